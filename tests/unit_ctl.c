/* Unit tests of the control socket's codec (ipc/ctl.h): every message type
 * round-trips through ctl_put and ctl_decode with each field exact and its
 * bytes inside the frame; the encoder refuses what the decoder would, and
 * leaves the buffer as it was; the decoder refuses each kind of bad frame
 * with its reason — wrong types, missing, unknown and doubled fields,
 * values past their bounds, a type of the other wire or direction, trailing
 * and missing bytes, bad options — keeping only the request's rid; and
 * 100000 mutated frames are each refused with a reason or decoded into a
 * message that encodes again to itself. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "ipc/ctl.h"
#include "ipc/ipc.h"
#include "ipc/jobopts.h"
#include "tests/mutate.h"
#include "tests/tap.h"

#define ALL_CTL (CTL_REQUESTS | CTL_REPLIES)

static int
same(const void *a, size_t alen, const char *b)
{
	return alen == strlen(b) && memcmp(a, b, alen) == 0;
}

/* Whether [p, p+n) lies in the frame at the end of b. */
static int
within(const struct ipc_buf *b, const void *p, size_t n)
{
	const uint8_t *q = p;

	return n == 0 || (q >= b->data && q + n <= b->data + b->len);
}

/* Encodes m into b (emptied first) and decodes it back into out. */
static int
cycle(struct ipc_buf *b, const struct ctl_msg *m, uint64_t accept, struct ctl_msg *out)
{
	const char *why = NULL;

	b->len = 0;
	if (ctl_put(b, m) < 0) {
		printf("#   ctl_put: %s\n", strerror(errno));
		return -1;
	}
	if ((uint32_t)b->data[0] << 24 != 0 || ((uint32_t)b->data[1] << 16 | b->data[2] << 8 |
	    b->data[3]) != b->len - IPC_HDR) {
		printf("#   bad length prefix\n");
		return -1;
	}
	if (ctl_decode(b->data + IPC_HDR, b->len - IPC_HDR, accept, out, &why) < 0) {
		printf("#   ctl_decode: %s\n", why);
		return -1;
	}
	return out->type == m->type && out->rid == m->rid ? 0 : -1;
}

/* Whether the frame in b has a field named key (a fixstr key, so its
 * bytes are 0xa0 | length, then the name). */
static int
has_key(const struct ipc_buf *b, const char *key)
{
	size_t n = strlen(key), i;

	for (i = IPC_HDR; i + n + 1 <= b->len; i++)
		if (b->data[i] == (0xa0 | n) && memcmp(b->data + i + 1, key, n) == 0)
			return 1;
	return 0;
}

/* Two inputs, one of them with bytes no terminal should see raw. */
static void put_refused(const struct ctl_msg *m, int want, const char *name);

static struct ipc_buf inputs;
static const char in1[] = "/srv/in/a.zip", in2[] = "/srv/in/new\nline\xff.tar";

static void
roundtrip_requests(void)
{
	struct ipc_buf b = { 0 };
	struct ctl_msg m, d;
	struct job_opts o;
	const char *p;
	size_t off = 0, plen;
	int got = 0, i;
	static const int targets[] = { CTL_STATUS, CTL_PAUSE, CTL_RESUME, CTL_CANCEL, CTL_DELETE,
	    CTL_RETRY, CTL_WATCH };

	memset(&m, 0, sizeof m);
	m.type = CTL_HELLO, m.rid = 1, m.hello.version = IPC_PROTO_VERSION;
	ok(cycle(&b, &m, CTL_REQUESTS, &d) == 0 && d.hello.version == IPC_PROTO_VERSION &&
	    d.hello.pid == 0, "a client's hello round-trips");
	m.hello.pid = 4242;
	ok(cycle(&b, &m, CTL_REPLIES, &d) == 0 && d.hello.pid == 4242, "the daemon's, with its pid");

	ctl_paths_add(&inputs, in1, sizeof in1 - 1);
	ctl_paths_add(&inputs, in2, sizeof in2 - 1);
	job_opts_default(&o);
	o.limits.max_depth = 7;
	o.extract = 1;
	o.sandbox.memory_limit = 1ull << 40;
	o.max_tasks = 3;
	o.max_rss = 20u << 20;
	o.max_rss_hard = 40u << 20;
	memset(&m, 0, sizeof m);
	m.type = CTL_SUBMIT;
	m.rid = UINT64_MAX;
	m.submit = (struct ctl_submit){ .name = "nightly", .name_len = 7,
	    .inputs = { inputs.data, inputs.len, 2 }, .handler = "exec", .handler_len = 4,
	    .arg = "bsdtar -tf {}", .arg_len = 13, .timeout_ms = 250, .retries = 3,
	    .halt_rate = 0.25, .halt_min = 40, .priority = 100, .extract = "/var/out",
	    .extract_len = 8, .opts = o, .wait = 1 };
	ok(cycle(&b, &m, CTL_REQUESTS, &d) == 0, "submit round-trips");
	ok(same(d.submit.name, d.submit.name_len, "nightly") &&
	    same(d.submit.handler, d.submit.handler_len, "exec") &&
	    same(d.submit.arg, d.submit.arg_len, "bsdtar -tf {}") &&
	    same(d.submit.extract, d.submit.extract_len, "/var/out"),
	    "... its strings exact");
	ok(d.submit.timeout_ms == 250 && d.submit.retries == 3 && d.submit.halt_rate == 0.25 &&
	    d.submit.halt_min == 40 && d.submit.priority == 100 && d.submit.wait == 1,
	    "... its numbers exact");
	ok(memcmp(&d.submit.opts, &o, sizeof o) == 0, "... its options exact");
	ok(d.submit.stall_ms == 0 && d.submit.timeout_pct == 0 && !has_key(&b, "stall_ms") &&
	    !has_key(&b, "timeout_pct"), "... no stall, no share of the median: left out");
	m.submit.stall_ms = 300, m.submit.timeout_pct = 250;
	ok(cycle(&b, &m, CTL_REQUESTS, &d) == 0 && d.submit.stall_ms == 300 &&
	    d.submit.timeout_pct == 250, "... a stall and a share of the median round-trip");
	m.submit.stall_ms = 0, m.submit.timeout_pct = 0;
	ok(!has_key(&b, "filters") && !has_key(&b, "min_size") && !has_key(&b, "max_size") &&
	    !has_key(&b, "halt_fail") && !has_key(&b, "halt_soon") && d.submit.filters_len == 0 &&
	    !d.submit.has_max_size && d.submit.halt_fail == 0,
	    "... no filters, no --halt W,fail=N: left out");
	m.submit.filters = "+*.zip\0-a/b/*\0", m.submit.filters_len = 14;
	m.submit.min_size = 1, m.submit.has_max_size = 1, m.submit.max_size = 0;
	m.submit.halt_fail = 7, m.submit.halt_soon = 1;
	ok(cycle(&b, &m, CTL_REQUESTS, &d) == 0 && d.submit.filters_len == 14 &&
	    memcmp(d.submit.filters, "+*.zip\0-a/b/*\0", 14) == 0 && d.submit.min_size == 1 &&
	    d.submit.has_max_size && d.submit.max_size == 0 && d.submit.halt_fail == 7 &&
	    d.submit.halt_soon == 1, "... filters, a max size of 0 and --halt soon,fail=7 round-trip");
	m.submit.filters = "+\0", m.submit.filters_len = 2;
	put_refused(&m, EINVAL, "an empty pattern in filters");
	m.submit.filters = "*.zip\0", m.submit.filters_len = 6;
	put_refused(&m, EINVAL, "a pattern in filters without its kind byte");
	m.submit.filters = "+*.zip", m.submit.filters_len = 6;
	put_refused(&m, EINVAL, "a pattern in filters without its NUL");
	m.submit.filters = NULL, m.submit.filters_len = 0, m.submit.min_size = 0;
	m.submit.has_max_size = 0, m.submit.max_size = 0, m.submit.halt_fail = 0, m.submit.halt_soon = 0;
	ok(d.submit.inputs.n == 2 && within(&b, d.submit.inputs.packed, d.submit.inputs.len) &&
	    within(&b, d.submit.name, d.submit.name_len) &&
	    within(&b, d.submit.handler, d.submit.handler_len), "... pointing into the frame");
	while (ctl_paths_next(&d.submit.inputs, &off, &p, &plen) == 1) {
		if (got == 0 && same(p, plen, in1))
			got++;
		else if (got == 1 && same(p, plen, in2))
			got++;
		else
			got = -9;
	}
	ok(got == 2 && off == d.submit.inputs.len, "... its inputs walk out in order, exact");

	/* given: which options the client gave; the rest are the daemon's
	 * [defaults]. */
	m.submit.given = 1u << CTL_GIVEN_TIMEOUT | 1u << CTL_GIVEN_MAX_ENTRIES | 1u << (CTL_GIVEN__N - 1);
	ok(cycle(&b, &m, CTL_REQUESTS, &d) == 0 && d.submit.given == m.submit.given,
	    "submit's given round-trips, each bit exact");
	ok(has_key(&b, "given"), "... on the wire as given");
	m.submit.given = 0;
	ok(cycle(&b, &m, CTL_REQUESTS, &d) == 0 && d.submit.given == 0 && has_key(&b, "given"),
	    "... and none given (every option from the defaults) is a given of 0");
	m.submit.given = CTL_GIVEN_ALL;
	ok(cycle(&b, &m, CTL_REQUESTS, &d) == 0 && d.submit.given == CTL_GIVEN_ALL && !has_key(&b, "given"),
	    "... every option given: left out, and absent reads as all");
	ok(CTL_GIVEN__N == 29 && CTL_GIVEN_ALL == 0x1fffffff && CTL_GIVEN_MAX_STRIKES == 25,
	    "%d options a client may give", CTL_GIVEN__N);

	m.submit = (struct ctl_submit){ .inputs = { inputs.data, inputs.len, 2 },
	    .handler = "sha256", .handler_len = 6, .timeout_ms = 1, .priority = 1 };
	job_opts_default(&m.submit.opts);
	ok(cycle(&b, &m, CTL_REQUESTS, &d) == 0 && d.submit.name_len == 0 && d.submit.arg_len == 0 &&
	    d.submit.extract_len == 0 && d.submit.name == NULL && d.submit.wait == 0,
	    "a submit without name, arg or extract: absent read as empty");

	memset(&m, 0, sizeof m);
	m.rid = 9;
	m.type = CTL_JOBS;
	ok(cycle(&b, &m, CTL_REQUESTS, &d) == 0, "jobs round-trips");
	m.type = CTL_WORKERS;
	ok(cycle(&b, &m, CTL_REQUESTS, &d) == 0, "workers round-trips");
	for (i = 0; i < (int)(sizeof targets / sizeof targets[0]); i++) {
		m.type = targets[i];
		m.target.job = "1234", m.target.job_len = 4;
		ok(cycle(&b, &m, CTL_REQUESTS, &d) == 0 && same(d.target.job, d.target.job_len, "1234") &&
		    d.target.failed == 0 && d.target.after == 0, "%s round-trips", ipc_type_name(targets[i]));
	}
	m.type = CTL_RESULTS;
	m.target = (struct ctl_target){ "nightly", 7, 1, 1ull << 40, 0 };
	ok(cycle(&b, &m, CTL_REQUESTS, &d) == 0 && same(d.target.job, d.target.job_len, "nightly") &&
	    d.target.failed == 1 && d.target.after == 1ull << 40, "results round-trips");
	m.type = CTL_RETRY;
	m.target = (struct ctl_target){ "nightly", 7, 0, 0, 1 };
	ok(cycle(&b, &m, CTL_REQUESTS, &d) == 0 && d.target.quarantined == 1 &&
	    has_key(&b, "quarantined"), "retry --quarantined round-trips");
	m.target.quarantined = 0;
	ok(cycle(&b, &m, CTL_REQUESTS, &d) == 0 && d.target.quarantined == 0 &&
	    !has_key(&b, "quarantined"), "a plain retry has no quarantined key");

	m.type = CTL_CHECK;
	m.check = (struct ctl_check){ .handler = "archive", .handler_len = 7 };
	job_opts_default(&m.check.opts);
	m.check.opts.fail_on_suspicious = 1;
	ok(cycle(&b, &m, CTL_REQUESTS, &d) == 0 && same(d.check.handler, d.check.handler_len, "archive") &&
	    d.check.arg_len == 0 && memcmp(&d.check.opts, &m.check.opts, sizeof o) == 0,
	    "check round-trips");
	ipc_buf_free(&b);
}

static void
roundtrip_replies(void)
{
	static const uint8_t map[] = { 0x82, 0xa1, 'k', 0x2a, 0xa1, 'a', 0x91, 0xc0 };
	struct ipc_buf b = { 0 };
	struct ctl_msg m, d;
	int i, codes = 1;

	memset(&m, 0, sizeof m);
	m.rid = 3;
	m.type = CTL_OK;
	m.ok = (struct ctl_ok){ 17, "nightly", 7 };
	ok(cycle(&b, &m, CTL_REPLIES, &d) == 0 && d.ok.id == 17 && same(d.ok.name, d.ok.name_len, "nightly"),
	    "ok with a job round-trips");
	m.ok = (struct ctl_ok){ 0, NULL, 0 };
	ok(cycle(&b, &m, CTL_REPLIES, &d) == 0 && d.ok.id == 0 && d.ok.name_len == 0, "... and bare");

	m.type = CTL_ERROR;
	for (i = 0; i < CTL_E__N; i++) {
		m.error = (struct ctl_error){ i, "no job named x", 14 };
		if (cycle(&b, &m, CTL_REPLIES, &d) < 0 || d.error.code != i ||
		    !same(d.error.message, d.error.message_len, "no job named x"))
			codes = 0;
	}
	ok(codes, "error round-trips with each of its %d codes", CTL_E__N);
	ok(strcmp(ctl_code_name(CTL_E_BAD_REQUEST), "bad_request") == 0 &&
	    strcmp(ctl_code_name(CTL_E_DISK_FULL), "disk_full") == 0 &&
	    strcmp(ctl_code_name(CTL_E__N), "unknown") == 0 && strcmp(ctl_code_name(-1), "unknown") == 0,
	    "code names");

	m.type = CTL_JOB;
	m.job = (struct ctl_job){ .id = UINT32_MAX, .name = "nightly", .name_len = 7,
	    .state = "running", .state_len = 7, .handler = "exec", .handler_len = 4,
	    .arg = "wc -c", .arg_len = 5, .summary = "/srv/in (2 inputs)", .summary_len = 18,
	    .created_ms = 1700000000000, .updated_ms = 1700000000500, .finished_ms = 0,
	    .total = 1000, .counts = { 1, 2, 3, 4, UINT64_MAX }, .runs = 2, .workers = 8,
	    .priority = 50, .reason = "waiting for a worker", .reason_len = 20 };
	ok(cycle(&b, &m, CTL_REPLIES, &d) == 0 && d.job.id == UINT32_MAX &&
	    same(d.job.name, d.job.name_len, "nightly") && same(d.job.state, d.job.state_len, "running") &&
	    same(d.job.handler, d.job.handler_len, "exec") && same(d.job.arg, d.job.arg_len, "wc -c") &&
	    same(d.job.summary, d.job.summary_len, "/srv/in (2 inputs)") &&
	    same(d.job.reason, d.job.reason_len, "waiting for a worker"), "job round-trips, strings exact");
	ok(d.job.created_ms == 1700000000000 && d.job.updated_ms == 1700000000500 &&
	    d.job.finished_ms == 0 && d.job.total == 1000 && d.job.runs == 2 && d.job.workers == 8 &&
	    d.job.priority == 50 && memcmp(d.job.counts, m.job.counts, sizeof m.job.counts) == 0,
	    "... numbers and counts exact");

	m.type = CTL_ROW;
	m.row = (struct ctl_row){ .seq = 77, .path = "a/b\0c", .path_len = 5, .status = CTL_OUT_CRASHED,
	    .attempts = 2, .duration_ms = 1500, .finished_ms = 1700000000000, .signal = 11,
	    .exit_code = -1, .error = "killed by signal 11", .error_len = 19, .result = map,
	    .result_len = sizeof map, .tail = "boom\n", .tail_len = 5 };
	ok(cycle(&b, &m, CTL_REPLIES, &d) == 0 && d.row.seq == 77 && d.row.path_len == 5 &&
	    memcmp(d.row.path, "a/b\0c", 5) == 0 && d.row.status == CTL_OUT_CRASHED &&
	    d.row.attempts == 2 && d.row.duration_ms == 1500 && d.row.finished_ms == 1700000000000 &&
	    d.row.signal == 11 && d.row.exit_code == -1 &&
	    same(d.row.error, d.row.error_len, "killed by signal 11") &&
	    d.row.result_len == sizeof map && memcmp(d.row.result, map, sizeof map) == 0 &&
	    same(d.row.tail, d.row.tail_len, "boom\n") && within(&b, d.row.result, d.row.result_len),
	    "row round-trips");
	m.row = (struct ctl_row){ .seq = 1, .path = "x", .path_len = 1, .status = CTL_OUT_CRASHED,
	    .exit_code = 0 };
	ok(cycle(&b, &m, CTL_REPLIES, &d) == 0 && d.row.exit_code == 0 && d.row.signal == 0,
	    "... a crash by exit status 0 keeps its 0");
	m.row.status = CTL_OUT_OK, m.row.exit_code = -1;
	ok(cycle(&b, &m, CTL_REPLIES, &d) == 0 && d.row.exit_code == -1 && d.row.status == CTL_OUT_OK &&
	    d.row.error_len == 0 && d.row.result_len == 0 && d.row.tail_len == 0,
	    "... an ok row: no exit code, no error");
	ok(d.row.limit == CTL_LIM_NONE && !has_key(&b, "limit"), "... and no limit, none on the wire");
	{
		int lim, all = 1;

		m.row.status = CTL_OUT_TIMEOUT;
		for (lim = CTL_LIM_STALL; lim < CTL_LIM__N; lim++) {
			m.row.limit = lim;
			all &= cycle(&b, &m, CTL_REPLIES, &d) == 0 && d.row.limit == lim &&
			    has_key(&b, "limit");
		}
		ok(all, "... a timeout's limit round-trips, each of them, as a word");
		m.row.limit = CTL_LIM_NONE;
	}
	ok(strcmp(ctl_limit_name(CTL_LIM_STALL), "stall") == 0 &&
	    strcmp(ctl_limit_name(CTL_LIM_TOTAL), "total") == 0 &&
	    strcmp(ctl_limit_name(CTL_LIM_CPU), "cpu") == 0 &&
	    strcmp(ctl_limit_name(CTL_LIM_ADAPTIVE), "adaptive") == 0 &&
	    strcmp(ctl_limit_name(CTL_LIM_NONE), "") == 0 &&
	    strcmp(ctl_limit_name(CTL_LIM__N), "unknown") == 0, "the limits' words");

	m.type = CTL_WORKER;
	m.worker = (struct ctl_worker){ .slot = 3, .pid = 999, .state = "busy", .state_len = 4,
	    .job = "nightly", .job_len = 7, .path = "/srv/in/a.zip", .path_len = 13,
	    .running_ms = 1200, .tasks_done = 40, .rss_bytes = 1 << 20 };
	ok(cycle(&b, &m, CTL_REPLIES, &d) == 0 && d.worker.slot == 3 && d.worker.pid == 999 &&
	    same(d.worker.state, d.worker.state_len, "busy") &&
	    same(d.worker.job, d.worker.job_len, "nightly") &&
	    same(d.worker.path, d.worker.path_len, "/srv/in/a.zip") && d.worker.running_ms == 1200 &&
	    d.worker.tasks_done == 40 && d.worker.rss_bytes == 1 << 20, "worker round-trips");
	m.worker = (struct ctl_worker){ .slot = 0, .state = "idle", .state_len = 4 };
	ok(cycle(&b, &m, CTL_REPLIES, &d) == 0 && d.worker.job_len == 0 && d.worker.path_len == 0 &&
	    d.worker.pid == 0, "... an idle one");

	m.type = CTL_EVENT;
	m.event = (struct ctl_event){ .job = "nightly", .job_len = 7, .kind = CTL_EV_PROGRESS,
	    .done = 5, .total = 10, .state = "running", .state_len = 7 };
	ok(cycle(&b, &m, CTL_REPLIES, &d) == 0 && same(d.event.job, d.event.job_len, "nightly") &&
	    d.event.kind == CTL_EV_PROGRESS && d.event.done == 5 && d.event.total == 10 &&
	    same(d.event.state, d.event.state_len, "running") && d.event.row.path_len == 0,
	    "a progress event round-trips");
	m.event.kind = CTL_EV_STATE;
	m.event.state = "paused", m.event.state_len = 6;
	ok(cycle(&b, &m, CTL_REPLIES, &d) == 0 && d.event.kind == CTL_EV_STATE &&
	    same(d.event.state, d.event.state_len, "paused"), "a state event round-trips");
	m.event.kind = CTL_EV_OUTCOME;
	m.event.row = (struct ctl_row){ .seq = 6, .path = "/srv/in/a.zip", .path_len = 13,
	    .status = CTL_OUT_FAILED, .attempts = 1, .duration_ms = 3, .finished_ms = 9,
	    .exit_code = -1, .error = "damaged", .error_len = 7, .result = map, .result_len = sizeof map };
	ok(cycle(&b, &m, CTL_REPLIES, &d) == 0 && d.event.kind == CTL_EV_OUTCOME &&
	    d.event.row.seq == 6 && same(d.event.row.path, d.event.row.path_len, "/srv/in/a.zip") &&
	    d.event.row.status == CTL_OUT_FAILED && same(d.event.row.error, d.event.row.error_len, "damaged") &&
	    d.event.row.result_len == sizeof map && d.event.row.exit_code == -1,
	    "an outcome event round-trips with its row");
	ok(strcmp(ctl_event_name(CTL_EV_OUTCOME), "outcome") == 0 &&
	    strcmp(ctl_outcome_name(CTL_OUT_SKIPPED), "skipped") == 0 &&
	    strcmp(ctl_outcome_name(CTL_OUT_QUARANTINED), "quarantined") == 0 &&
	    strcmp(ctl_outcome_name(CTL_OUT__N), "unknown") == 0, "event and outcome names");

	m.type = CTL_VERDICT;
	m.verdict = (struct ctl_verdict){ CTL_OUT_FAILED, "zip bomb", 8, map, sizeof map };
	ok(cycle(&b, &m, CTL_REPLIES, &d) == 0 && d.verdict.status == CTL_OUT_FAILED &&
	    same(d.verdict.error, d.verdict.error_len, "zip bomb") && d.verdict.result_len == sizeof map,
	    "verdict round-trips");
	memset(&m, 0, sizeof m);
	m.type = CTL_END, m.rid = 12;
	ok(cycle(&b, &m, CTL_REPLIES, &d) == 0, "end round-trips");

	ok(strcmp(ipc_type_name(CTL_HELLO), "ctl_hello") == 0 &&
	    strcmp(ipc_type_name(CTL_END), "ctl_end") == 0 && strcmp(ipc_type_name(10), "unknown") == 0 &&
	    strcmp(ipc_type_name(30), "unknown") == 0, "control type names; the gaps are unknown");
	ipc_buf_free(&b);
}

/* ctl_put refuses with errno want, and leaves b as it was. */
static void
put_refused(const struct ctl_msg *m, int want, const char *name)
{
	struct ipc_buf b = { 0 };
	struct ctl_msg end = { .type = CTL_END, .rid = 1 };

	size_t before;
	int r;

	ctl_put(&b, &end);	/* a frame before: it stays whole */
	before = b.len;
	errno = 0;
	r = ctl_put(&b, m);
	ok(r == -1 && errno == want && b.len == before, "ctl_put refuses %s: %s", name, strerror(want));
	if (r != -1 || errno != want)
		printf("#   got %d, errno %s\n", r, strerror(errno));
	ipc_buf_free(&b);
}

static void
encoder_refusals(void)
{
	struct ctl_msg m, base;
	struct ipc_buf rel = { 0 }, many = { 0 };
	char *big;
	int i;

	memset(&base, 0, sizeof base);
	base.type = CTL_SUBMIT;
	base.rid = 1;
	base.submit = (struct ctl_submit){ .inputs = { inputs.data, inputs.len, 2 }, .handler = "sha256",
	    .handler_len = 6, .timeout_ms = 1000, .priority = 50 };
	job_opts_default(&base.submit.opts);

	m = base, m.submit.priority = 0;
	put_refused(&m, EINVAL, "a priority of 0");
	m = base, m.submit.halt_rate = 1.5;
	put_refused(&m, EINVAL, "a halt rate of 1.5");
	m = base, m.submit.inputs.n = 3;
	put_refused(&m, EINVAL, "an input count above the list's");
	m = base, m.submit.inputs.n = 1;
	put_refused(&m, EINVAL, "an input count below the list's");
	m = base, m.submit.inputs = (struct ctl_paths){ (const uint8_t *)"\xa2/a", 3, 1 };
	put_refused(&m, EINVAL, "an input packed as a string");
	ctl_paths_add(&rel, "rel/path", 8);
	m = base, m.submit.inputs = (struct ctl_paths){ rel.data, rel.len, 1 };
	put_refused(&m, EINVAL, "a relative input");
	m = base, m.submit.inputs = (struct ctl_paths){ NULL, 0, 0 };
	put_refused(&m, EINVAL, "no inputs");
	m = base, m.submit.opts.extract = 2;
	put_refused(&m, EINVAL, "options job_opts_unpack refuses");
	m = base, m.submit.name = "a\0b", m.submit.name_len = 3;
	put_refused(&m, EINVAL, "a name with a NUL byte");
	m = base, m.submit.given = CTL_GIVEN_ALL + 1;
	put_refused(&m, EINVAL, "a given with a bit past the options");
	m = base, m.submit.given = UINT64_MAX;
	put_refused(&m, EINVAL, "a given of every bit");
	memset(&m, 0, sizeof m);
	m.type = CTL_ERROR, m.error = (struct ctl_error){ CTL_E__N, "x", 1 };
	put_refused(&m, EINVAL, "an unknown error code");
	m.error = (struct ctl_error){ CTL_E_BUSY, "", 0 };
	put_refused(&m, EINVAL, "an error without a message");
	memset(&m, 0, sizeof m);
	m.type = CTL_ROW, m.row = (struct ctl_row){ .path = "p", .path_len = 1, .signal = -1,
	    .exit_code = -1 };
	put_refused(&m, EINVAL, "a negative signal");
	m.row.signal = 0, m.row.exit_code = -2;
	put_refused(&m, EINVAL, "an exit code below -1");
	m.row.exit_code = -1, m.row.status = -1;
	put_refused(&m, EINVAL, "a negative status");
	memset(&m, 0, sizeof m);
	m.type = CTL_STATUS;
	put_refused(&m, EINVAL, "a status without a job");
	m.type = IPC_TASK;
	put_refused(&m, EINVAL, "a child's type");
	m.type = 30;
	put_refused(&m, EINVAL, "an unused type");

	/* Bounds of the frame: a request's, then an answer's. */
	big = malloc(IPC_FRAME_MAX + 1);
	memset(big, 'x', IPC_FRAME_MAX + 1);
	for (i = 0; i < 300; i++) {
		big[0] = '/';
		ctl_paths_add(&many, big, 4000);
	}
	m = base, m.submit.inputs = (struct ctl_paths){ many.data, many.len, 300 };
	put_refused(&m, EMSGSIZE, "a submit of 1.2 MB");
	memset(&m, 0, sizeof m);
	m.type = CTL_ROW, m.row = (struct ctl_row){ .path = "p", .path_len = 1, .exit_code = -1,
	    .error = big, .error_len = IPC_FRAME_MAX - 8 };
	put_refused(&m, EMSGSIZE, "a row whose error fills the frame");
	m.row.error_len = IPC_FRAME_MAX + 1;
	put_refused(&m, EMSGSIZE, "a row whose error is past the frame");
	{
		struct ipc_buf b = { 0 };

		ok(ctl_put(&b, &m) == -1 && errno == EMSGSIZE && b.cap == 0,
		    "... refused before a byte is copied: the buffer never grew");
		ipc_buf_free(&b);
	}
	m.row.error_len = IPC_FRAME_MAX - 200;
	{
		struct ipc_buf b = { 0 };
		struct ctl_msg d;
		const char *why;

		ok(ctl_put(&b, &m) == 0 && ctl_decode(b.data + IPC_HDR, b.len - IPC_HDR, CTL_REPLIES, &d,
		    &why) == 0 && d.row.error_len == IPC_FRAME_MAX - 200,
		    "a row just under the bound round-trips");
		ipc_buf_free(&b);
	}
	free(big);
	ipc_buf_free(&rel);
	ipc_buf_free(&many);
}

/* A frame to be refused, built one field at a time. */
enum vk { V_UINT, V_STR, V_BIN, V_BOOL, V_FLOAT, V_RAW, V_DROP };
struct kv {
	const char *key;
	int kind;
	uint64_t u;
	const void *p;
	size_t n;
	double f;
};
#define KU(k, v)	{ k, V_UINT, v, NULL, 0, 0 }
#define KS(k, s)	{ k, V_STR, 0, s, sizeof s - 1, 0 }
#define KB(k, s)	{ k, V_BIN, 0, s, sizeof s - 1, 0 }
#define KT(k, v)	{ k, V_BOOL, v, NULL, 0, 0 }
#define KF(k, v)	{ k, V_FLOAT, 0, NULL, 0, v }
#define KR(k, p, n)	{ k, V_RAW, 0, p, n, 0 }
#define KD(k)		{ k, V_DROP, 0, NULL, 0, 0 }
#define KMAX		32

static msgpack_sbuffer sb;
static msgpack_packer pk;
static uint8_t opts_map[CTL_OPTS_MAX];
static size_t opts_len;
static uint8_t two_inputs[64];
static size_t two_inputs_len;

static void
pack_kv(const struct kv *e)
{
	msgpack_pack_str_with_body(&pk, e->key, strlen(e->key));
	switch (e->kind) {
	case V_UINT:
		msgpack_pack_uint64(&pk, e->u);
		break;
	case V_STR:
		msgpack_pack_str_with_body(&pk, e->p, e->n);
		break;
	case V_BIN:
		msgpack_pack_bin_with_body(&pk, e->p, e->n);
		break;
	case V_BOOL:
		(e->u ? msgpack_pack_true : msgpack_pack_false)(&pk);
		break;
	case V_FLOAT:
		msgpack_pack_double(&pk, e->f);
		break;
	default:
		msgpack_sbuffer_write(&sb, e->p, e->n);
		break;
	}
}

/* Packs base with each of changes applied: a key already there is replaced
 * (V_DROP: removed), a new one added at the end. */
static void
build(const struct kv *base, size_t nbase, const struct kv *changes, size_t nchanges)
{
	struct kv all[KMAX];
	size_t n = 0, i, j;

	for (i = 0; i < nbase; i++)
		all[n++] = base[i];
	for (j = 0; j < nchanges; j++) {
		for (i = 0; i < n; i++)
			if (strcmp(all[i].key, changes[j].key) == 0)
				break;
		all[i] = changes[j];
		if (i == n)
			n++;
	}
	for (i = j = 0; i < n; i++)
		if (all[i].kind != V_DROP)
			all[j++] = all[i];
	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, j);
	for (i = 0; i < j; i++)
		pack_kv(&all[i]);
}

/* Expects ctl_decode (accepting accept) to refuse sb's frame with exactly
 * want, leaving *out zero but for rid. */
static void
refused_as(uint64_t accept, const void *body, size_t len, const char *want, uint64_t rid,
    const char *name)
{
	struct ctl_msg m, zero;
	const char *why = NULL;
	uint8_t *copy = malloc(len > 0 ? len : 1);
	int r;

	memcpy(copy, body, len);	/* exact size: an over-read trips ASan */
	memset(&m, 0xa5, sizeof m);
	memset(&zero, 0, sizeof zero);
	zero.rid = rid;
	r = ctl_decode(copy, len, accept, &m, &why);
	free(copy);
	ok(r == -1 && why != NULL && strcmp(why, want) == 0 && memcmp(&m, &zero, sizeof m) == 0,
	    "refused: %s", name);
	if (r != -1 || why == NULL || strcmp(why, want) != 0)
		printf("#   got %s '%s', want '%s'\n", r == 0 ? "accepted" : "refused", why ? why : "", want);
	else if (memcmp(&m, &zero, sizeof m) != 0)
		printf("#   *out not zeroed (rid %llu, want %llu)\n", (unsigned long long)m.rid,
		    (unsigned long long)rid);
}

static int
accepted(uint64_t accept, struct ctl_msg *m)
{
	const char *why = "";
	int r = ctl_decode((const uint8_t *)sb.data, sb.size, accept, m, &why);

	if (r < 0)
		printf("#   refused: %s\n", why);
	return r == 0;
}

#define NKV(a)	(sizeof(a) / sizeof((a)[0]))
/* Each test: the base with one or more changes, refused with want. */
#define REFUSE(base, want, name, ...) do {                                    \
	const struct kv ch_[] = { __VA_ARGS__ };                              \
	build(base, NKV(base), ch_, NKV(ch_));                                \
	refused_as(ALL_CTL, sb.data, sb.size, want, 5, name);                 \
} while (0)
#define ACCEPT(base, name, ...) do {                                          \
	const struct kv ch_[] = { __VA_ARGS__ };                              \
	struct ctl_msg m_;                                                    \
	build(base, NKV(base), ch_, NKV(ch_));                                \
	ok(accepted(ALL_CTL, &m_), "accepted: %s", name);                     \
} while (0)

/* A packed array of n bins, each of len bytes "/xxx...", into a new buffer. */
static uint8_t *
path_array(uint32_t n, size_t len, size_t *size)
{
	msgpack_sbuffer a;
	msgpack_packer apk;
	char *path = malloc(len + 1);
	uint32_t i;

	memset(path, 'x', len);
	path[0] = '/';
	msgpack_sbuffer_init(&a);
	msgpack_packer_init(&apk, &a, msgpack_sbuffer_write);
	msgpack_pack_array(&apk, n);
	for (i = 0; i < n; i++)
		msgpack_pack_bin_with_body(&apk, path, len);
	free(path);
	*size = a.size;
	return (uint8_t *)msgpack_sbuffer_release(&a);
}

static void
decoder_refusals(void)
{
	const struct kv submit[] = {
		KU("t", CTL_SUBMIT), KU("rid", 5), KR("inputs", two_inputs, two_inputs_len),
		KS("handler", "sha256"), KU("timeout_ms", 1000), KU("retries", 1),
		KF("halt_rate", 0), KU("halt_min", 10), KU("priority", 50),
		KR("opts", NULL, 0), KT("wait", 0),
	};
	struct kv sub[NKV(submit)];
	const struct kv status[] = { KU("t", CTL_STATUS), KU("rid", 5), KS("job", "nightly") };
	const struct kv error[] = { KU("t", CTL_ERROR), KU("rid", 5), KS("code", "busy"),
		KS("message", "later") };
	const struct kv row[] = { KU("t", CTL_ROW), KU("rid", 5), KU("seq", 1), KB("path", "/a"),
		KS("status", "ok"), KU("attempts", 1), KU("duration_ms", 2), KU("finished_ms", 3) };
	const struct kv event[] = { KU("t", CTL_EVENT), KU("rid", 5), KS("job", "nightly"),
		KS("kind", "progress"), KU("done", 1), KU("total", 2), KS("state", "running") };
	const struct kv job[] = { KU("t", CTL_JOB), KU("rid", 5), KU("id", 1), KS("name", "n"),
		KS("state", "done"), KS("handler", "sha256"), KU("created_ms", 1), KU("updated_ms", 2),
		KU("finished_ms", 3), KU("total", 4), KR("counts", "\x95\x01\x02\x03\x04\x05", 6),
		KU("runs", 1), KU("workers", 2), KU("priority", 3) };
	uint8_t opts_bin[CTL_OPTS_MAX + 8], big_opts[CTL_OPTS_MAX + 8];
	char name[CTL_CMD_MAX + 2];
	uint8_t *arr;
	size_t n;
	struct ctl_msg m;

	/* The base frames are good. */
	memcpy(sub, submit, sizeof sub);
	opts_bin[0] = 0xc5;	/* bin 16 */
	opts_bin[1] = (uint8_t)(opts_len >> 8), opts_bin[2] = (uint8_t)opts_len;
	memcpy(opts_bin + 3, opts_map, opts_len);
	sub[9] = (struct kv)KR("opts", opts_bin, opts_len + 3);
	ACCEPT(sub, "the base submit");
	ACCEPT(status, "the base status");
	ACCEPT(error, "the base error");
	ACCEPT(row, "the base row");
	ACCEPT(event, "the base event");
	ACCEPT(job, "the base job");

	/* Wrong types. */
	build(status, NKV(status), (const struct kv[]){ KS("rid", "5") }, 1);
	refused_as(ALL_CTL, sb.data, sb.size, "field rid has the wrong type", 0,
	    "rid as a string, and no rid kept");
	REFUSE(status, "field job has the wrong type", "job as a uint", KU("job", 5));
	REFUSE(sub, "field inputs has the wrong type", "inputs as one bin", KB("inputs", "/a"));
	REFUSE(sub, "field inputs has the wrong type", "an input as a string",
	    KR("inputs", "\x91\xa2/a", 4));
	REFUSE(sub, "field inputs has the wrong type", "an input that is an array",
	    KR("inputs", "\x91\x91\xc4\x01/", 5));
	REFUSE(sub, "field halt_rate has the wrong type", "halt_rate as a uint", KU("halt_rate", 0));
	REFUSE(sub, "field wait has the wrong type", "wait as a uint", KU("wait", 1));
	REFUSE(sub, "field opts has the wrong type", "opts as a string", KS("opts", "\x80"));
	REFUSE(sub, "a field holds an array or a map", "opts as a map", KR("opts", "\x80", 1));
	REFUSE(error, "field code has the wrong type", "code as bin", KB("code", "busy"));
	REFUSE(job, "field counts has the wrong type", "a count as a string",
	    KR("counts", "\x95\x01\x02\xa1x\x04\x05", 7));
	REFUSE(job, "field counts has the wrong type", "a negative count",
	    KR("counts", "\x95\x01\x02\xff\x04\x05", 6));
	REFUSE(row, "field path has the wrong type", "path as a string", KS("path", "/a"));
	REFUSE(status, "field t has the wrong type", "type as a string", KS("t", "status"));

	/* Missing fields. */
	REFUSE(status, "missing field job", "status without job", KD("job"));
	build(status, NKV(status), (const struct kv[]){ KD("rid") }, 1);
	refused_as(ALL_CTL, sb.data, sb.size, "missing field rid", 0, "status without rid");
	REFUSE(sub, "missing field handler", "submit without handler", KD("handler"));
	REFUSE(sub, "missing field opts", "submit without opts", KD("opts"));
	REFUSE(sub, "missing field wait", "submit without wait", KD("wait"));
	REFUSE(error, "missing field message", "error without message", KD("message"));
	REFUSE(row, "missing field finished_ms", "row without finished_ms", KD("finished_ms"));
	REFUSE(job, "missing field counts", "job without counts", KD("counts"));
	REFUSE(event, "missing field path", "an outcome event without its row",
	    KS("kind", "outcome"));
	REFUSE(event, "missing field seq", "an outcome event without the row's seq",
	    KS("kind", "outcome"), KB("path", "/a"), KS("status", "ok"), KU("attempts", 1),
	    KU("duration_ms", 1), KU("finished_ms", 1));
	build(status, 2, NULL, 0);
	msgpack_sbuffer_clear(&sb), msgpack_pack_map(&pk, 1), pack_kv(&status[1]);
	refused_as(ALL_CTL, sb.data, sb.size, "missing field t", 5, "no type");

	/* Unknown fields, and fields of another message. */
	REFUSE(status, "unknown field", "an unknown field", KU("zzz", 1));
	REFUSE(status, "unknown field", "a child's field on the control socket", KT("ok", 1));
	REFUSE(status, "field inputs does not belong in this message", "inputs in a status",
	    KR("inputs", two_inputs, two_inputs_len));
	REFUSE(status, "field failed does not belong in this message", "a results field in a status",
	    KT("failed", 1));
	REFUSE(event, "field seq does not belong in this message", "a row field in a progress event",
	    KU("seq", 1));
	REFUSE(row, "field pid does not belong in this message", "a hello field in a row",
	    KU("pid", 1));
	{
		msgpack_sbuffer_clear(&sb);
		msgpack_pack_map(&pk, 3), pack_kv(&status[0]), pack_kv(&status[1]);
		msgpack_pack_bin_with_body(&pk, "job", 3), msgpack_pack_str_with_body(&pk, "x", 1);
		refused_as(ALL_CTL, sb.data, sb.size, "a field name that is not a string", 5,
		    "a field name as bin");
	}

	/* Fields twice. */
	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, 4), pack_kv(&status[0]), pack_kv(&status[1]), pack_kv(&status[2]),
	    pack_kv(&status[2]);
	refused_as(ALL_CTL, sb.data, sb.size, "field job given twice", 5, "job twice");
	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, 4), pack_kv(&status[1]), pack_kv(&status[0]), pack_kv(&status[2]),
	    pack_kv(&status[1]);
	refused_as(ALL_CTL, sb.data, sb.size, "field rid given twice", 5, "rid twice");
	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, 4), pack_kv(&status[0]), pack_kv(&status[1]), pack_kv(&status[2]),
	    pack_kv(&status[0]);
	refused_as(ALL_CTL, sb.data, sb.size, "field t given twice", 5, "the type twice");

	/* Strings past their bounds. */
	memset(name, 'n', sizeof name);
	REFUSE(status, "field job out of range", "a job of 256 bytes", { "job", V_STR, 0, name, 256, 0 });
	ACCEPT(status, "a job of 255 bytes", { "job", V_STR, 0, name, 255, 0 });
	REFUSE(status, "field job out of range", "an empty job", KS("job", ""));
	REFUSE(sub, "field name out of range", "a name of 256 bytes", { "name", V_STR, 0, name, 256, 0 });
	ACCEPT(sub, "a name of 255 bytes", { "name", V_STR, 0, name, 255, 0 });
	REFUSE(sub, "field handler out of range", "a handler of 4096 bytes",
	    { "handler", V_STR, 0, name, 4096, 0 });
	REFUSE(sub, "field handler out of range", "an empty handler", KS("handler", ""));
	REFUSE(sub, "field arg out of range", "an arg of 4096 bytes", { "arg", V_STR, 0, name, 4096, 0 });
	ACCEPT(sub, "an arg of 4095 bytes", { "arg", V_STR, 0, name, 4095, 0 });
	name[0] = '/';
	REFUSE(sub, "field extract out of range", "an extract path of 4096 bytes",
	    { "extract", V_BIN, 0, name, 4096, 0 });
	ACCEPT(sub, "an extract path of 4095 bytes", { "extract", V_BIN, 0, name, 4095, 0 });
	REFUSE(job, "field state out of range", "a state of 33 bytes", { "state", V_STR, 0, name, 33, 0 });
	REFUSE(job, "field summary out of range", "a summary of 1024 bytes",
	    { "summary", V_STR, 0, name, 1024, 0 });
	arr = malloc(CTL_TEXT_MAX + 1);
	memset(arr, 'm', CTL_TEXT_MAX + 1);
	REFUSE(error, "field message out of range", "a message past 16 KiB",
	    { "message", V_STR, 0, arr, CTL_TEXT_MAX + 1, 0 });
	ACCEPT(error, "a message of 16 KiB", { "message", V_STR, 0, arr, CTL_TEXT_MAX, 0 });
	REFUSE(error, "field message out of range", "an empty message", KS("message", ""));
	REFUSE(row, "field tail out of range", "a tail past 16 KiB",
	    { "tail", V_BIN, 0, arr, CTL_TEXT_MAX + 1, 0 });
	REFUSE(job, "field reason out of range", "a reason past 16 KiB",
	    { "reason", V_STR, 0, arr, CTL_TEXT_MAX + 1, 0 });
	free(arr);

	/* Arrays past their bounds, paths that are not absolute. */
	arr = path_array(CTL_INPUTS_MAX + 1, 2, &n);
	REFUSE(sub, "field inputs out of range", "4097 inputs", KR("inputs", arr, n));
	free(arr);
	arr = path_array(CTL_INPUTS_MAX, 2, &n);
	ACCEPT(sub, "4096 inputs", KR("inputs", arr, n));
	free(arr);
	REFUSE(sub, "field inputs out of range", "no inputs", KR("inputs", "\x90", 1));
	arr = path_array(1, CTL_PATH_MAX + 1, &n);
	REFUSE(sub, "field inputs out of range", "an input of 4096 bytes", KR("inputs", arr, n));
	free(arr);
	arr = path_array(1, CTL_PATH_MAX, &n);
	ACCEPT(sub, "an input of 4095 bytes", KR("inputs", arr, n));
	free(arr);
	REFUSE(sub, "field inputs holds a path that is not absolute or has a NUL byte",
	    "a relative input", KR("inputs", "\x92\xc4\x02/a\xc4\x01" "a", 8));
	REFUSE(sub, "field inputs holds a path that is not absolute or has a NUL byte",
	    "an input with a NUL byte", KR("inputs", "\x91\xc4\x03/a\0", 6));
	REFUSE(sub, "field inputs holds a path that is not absolute or has a NUL byte",
	    "an empty input", KR("inputs", "\x91\xc4\x00", 3));
	REFUSE(sub, "field extract holds a path that is not absolute or has a NUL byte",
	    "a relative extract directory", KB("extract", "out"));
	ACCEPT(sub, "an empty extract, as absent", KB("extract", ""));
	{
		const struct kv worker[] = { KU("t", CTL_WORKER), KU("rid", 5), KU("slot", 1),
			KU("pid", 2), KS("state", "idle"), KU("running_ms", 0), KU("tasks_done", 0),
			KU("rss_bytes", 0) };

		ACCEPT(worker, "a worker");
		ACCEPT(worker, "a worker with an empty job, as absent", KS("job", ""));
		REFUSE(worker, "field job holds a NUL byte", "a worker's job with a NUL byte",
		    KS("job", "\0"));
	}
	REFUSE(sub, "field name holds a NUL byte", "a name with a NUL byte", KS("name", "a\0b"));
	REFUSE(status, "field job holds a NUL byte", "a job with a NUL byte", KS("job", "1\0"));
	REFUSE(job, "field counts out of range", "four counts", KR("counts", "\x94\x01\x02\x03\x04", 5));
	REFUSE(job, "field counts out of range", "seven counts",
	    KR("counts", "\x97\x01\x02\x03\x04\x05\x06\x07", 8));

	/* Numbers past their bounds. */
	REFUSE(sub, "field priority out of range", "priority 0", KU("priority", 0));
	REFUSE(sub, "field priority out of range", "priority 101", KU("priority", 101));
	ACCEPT(sub, "priority 100", KU("priority", 100));
	REFUSE(sub, "field timeout_ms out of range", "timeout 0", KU("timeout_ms", 0));
	REFUSE(sub, "field timeout_ms out of range", "a timeout past 30 days",
	    KU("timeout_ms", CTL_TIMEOUT_MAX + 1));
	REFUSE(sub, "field retries out of range", "101 retries", KU("retries", 101));
	REFUSE(sub, "field halt_rate out of range", "a halt rate of 1.5", KF("halt_rate", 1.5));
	REFUSE(sub, "field halt_rate out of range", "a negative halt rate", KF("halt_rate", -0.1));
	REFUSE(sub, "field halt_rate out of range", "a halt rate that is NaN", KF("halt_rate", NAN));
	ACCEPT(sub, "a halt rate of 1 as float 32", KR("halt_rate", "\xca\x3f\x80\x00\x00", 5));
	REFUSE(row, "field signal out of range", "signal 0", KU("signal", 0));
	REFUSE(row, "field signal out of range", "signal 256", KU("signal", 256));
	REFUSE(row, "field exit_code out of range", "exit code 256", KU("exit_code", 256));
	REFUSE(row, "field attempts out of range", "attempts past 2^32-1",
	    KU("attempts", 1ull << 32));
	REFUSE(job, "field id out of range", "job id 0", KU("id", 0));
	REFUSE(job, "field id out of range", "job id 2^32", KU("id", 1ull << 32));
	REFUSE(job, "field workers out of range", "workers past 2^32-1", KU("workers", 1ull << 32));
	ACCEPT(sub, "a given of 0: nothing given", KU("given", 0));
	REFUSE(sub, "field filters: not one or more of a kind byte '+' or '-', a pattern and a NUL",
	    "filters whose last pattern has no NUL", KB("filters", "+*.zip\0-x"));
	REFUSE(sub, "field filters: not one or more of a kind byte '+' or '-', a pattern and a NUL",
	    "filters of another kind byte", KB("filters", "!x\0"));
	ACCEPT(sub, "filters of an include and an exclude", KB("filters", "+*.zip\0-a b\n\0"));
	REFUSE(sub, "field halt_soon has the wrong type", "halt_soon as a number", KU("halt_soon", 1));
	ACCEPT(sub, "a given of every known bit", KU("given", CTL_GIVEN_ALL));
	{
		struct ctl_msg d;

		build(sub, NKV(sub), (const struct kv[]){ KU("given", 5) }, 1);
		ok(accepted(CTL_REQUESTS, &d) && d.submit.given == 5, "given 5: the handler and timeout bits");
		build(sub, NKV(sub), NULL, 0);
		ok(accepted(CTL_REQUESTS, &d) && d.submit.given == CTL_GIVEN_ALL,
		    "a submit without given: every option given");
	}
	REFUSE(sub, "field given out of range", "a given with the bit past the last option",
	    KU("given", 1ull << CTL_GIVEN__N));
	REFUSE(sub, "field given out of range", "a given with an unknown bit among known ones",
	    KU("given", CTL_GIVEN_ALL | 1ull << 40));
	REFUSE(sub, "field given out of range", "a given with the top bit", KU("given", 1ull << 63));
	REFUSE(sub, "field given has the wrong type", "given as a bool", KT("given", 1));
	REFUSE(sub, "field given has the wrong type", "given as a string", KS("given", "timeout"));
	REFUSE(sub, "field given has the wrong type", "given as a negative number",
	    KR("given", "\xff", 1));
	REFUSE(sub, "a field holds an array or a map", "given as an array of names",
	    KR("given", "\x91\xa7timeout", 9));
	REFUSE(status, "field given does not belong in this message", "given in a status",
	    KU("given", 1));
	REFUSE(job, "field given does not belong in this message", "given in a job (an answer)",
	    KU("given", 1));
	{
		msgpack_sbuffer_clear(&sb);
		msgpack_pack_map(&pk, NKV(submit) + 2);
		for (n = 0; n < NKV(submit); n++)
			pack_kv(&sub[n]);
		pack_kv(&(struct kv)KU("given", 1)), pack_kv(&(struct kv)KU("given", 1));
		refused_as(ALL_CTL, sb.data, sb.size, "field given given twice", 5, "given twice");
	}

	/* Words not in their vocabulary. */
	REFUSE(error, "field code holds an unknown word", "an unknown code", KS("code", "oops"));
	REFUSE(error, "field code holds an unknown word", "a code with a suffix", KS("code", "busy2"));
	REFUSE(row, "field status holds an unknown word", "an unknown status", KS("status", "fine"));
	REFUSE(event, "field kind holds an unknown word", "an unknown kind", KS("kind", "tick"));

	/* Options that are not a map job_opts_unpack takes. */
	REFUSE(sub, "opts is not one well-formed msgpack map of scalars", "opts not a map",
	    KB("opts", "\x91\x01"));
	REFUSE(sub, "opts is not one well-formed msgpack map of scalars", "opts holding a map",
	    KB("opts", "\x81\xa1" "a\x80"));
	REFUSE(sub, "opts is not one well-formed msgpack map of scalars", "opts with trailing bytes",
	    KB("opts", "\x80\x00"));
	REFUSE(sub, "an option out of range", "an option out of range",
	    KB("opts", "\x81\xa7" "extract\x02"));
	REFUSE(sub, "an option out of range", "an option of the wrong type",
	    KB("opts", "\x81\xa9max_depth\xa1x"));
	REFUSE(sub, "an option name that is not a string", "an option keyed by a number",
	    KB("opts", "\x81\x01\x01"));
	REFUSE(sub, "field opts out of range", "empty opts", KB("opts", ""));
	memset(big_opts, 0, sizeof big_opts);
	big_opts[0] = 0xc5, big_opts[1] = (CTL_OPTS_MAX + 1) >> 8, big_opts[2] = (CTL_OPTS_MAX + 1) & 0xff;
	big_opts[3] = 0x80;
	REFUSE(sub, "field opts out of range", "opts past 1 KiB", KR("opts", big_opts, CTL_OPTS_MAX + 4));
	ACCEPT(sub, "options from a later version, their names skipped", KB("opts", "\x81\xa3new\x01"));

	/* The other wire, the other direction. */
	{
		const struct kv task[] = { KU("t", IPC_TASK), KU("job", 1), KU("id", 1), KB("path", "a") };
		struct ipc_msg im;
		const char *why = NULL;

		build(task, NKV(task), NULL, 0);
		refused_as(ALL_CTL, sb.data, sb.size, "a task message does not belong on this socket", 0,
		    "a child's task on the control decoder");
		ok(ipc_decode((const uint8_t *)sb.data, sb.size, &im, &why) == 0 && im.type == IPC_TASK &&
		    im.job == 1, "... which the child's decoder takes, job a uint there");
		build(status, NKV(status), NULL, 0);
		ok(ipc_decode((const uint8_t *)sb.data, sb.size, &im, &why) == -1 &&
		    strcmp(why, "a ctl_status message does not belong on this socket") == 0,
		    "a control status on the child's decoder: %s", why);
		build(status, NKV(status), (const struct kv[]){ KD("rid"), KD("job"), KU("t", CTL_END) }, 3);
		ok(ipc_decode((const uint8_t *)sb.data, sb.size, &im, &why) == -1 &&
		    strcmp(why, "a ctl_end message does not belong on this socket") == 0,
		    "an answer's type on the child's decoder: %s", why);
	}
	build(status, NKV(status), NULL, 0);
	refused_as(CTL_REPLIES, sb.data, sb.size, "a ctl_status message does not belong on this socket", 5,
	    "a request on a client's decoder");
	build(error, NKV(error), NULL, 0);
	refused_as(CTL_REQUESTS, sb.data, sb.size, "a ctl_error message does not belong on this socket", 5,
	    "an answer on the daemon's decoder");
	ok(ctl_decode((const uint8_t *)sb.data, sb.size, CTL_REQUESTS | IPC_BIT(CTL_ERROR), &m,
	    &(const char *){ NULL }) == 0 && m.type == CTL_ERROR, "... taken when the set has it");
	REFUSE(status, "unknown message type 30", "an unused type", KU("t", 30));
	REFUSE(status, "unknown message type 99", "type 99", KU("t", 99));

	/* Frames that are not one map. */
	build(status, NKV(status), NULL, 0);
	{
		uint8_t frame[64];
		size_t len = sb.size, cut;
		int all_cut = 1;

		memcpy(frame, sb.data, len);
		frame[len] = 0xc0;
		refused_as(ALL_CTL, frame, len + 1, "trailing bytes", 0,
		    "a nil after the map, and no rid kept from more than one map");
		for (cut = 0; cut < len; cut++) {
			struct ctl_msg d;
			const char *why;

			if (ctl_decode(frame, cut, ALL_CTL, &d, &why) != -1)
				all_cut = 0;
		}
		ok(all_cut, "each of the %zu shorter cuts of a status refused", len);
		refused_as(ALL_CTL, frame, len - 1, "malformed msgpack", 0, "a status cut by one byte");
	}
	refused_as(ALL_CTL, "", 0, "empty frame", 0, "an empty body");
	refused_as(ALL_CTL, "\x92\x01\x02", 3, "not a map", 0, "an array");
	refused_as(ALL_CTL, "\x82\xa3rid\x07\xa1t\xa1x", 10, "field t has the wrong type", 7,
	    "rid kept past a refusal");
	refused_as(ALL_CTL, "\x82\xa3rid\x07\xa1t\xc1", 8, "malformed msgpack", 0,
	    "no rid from malformed bytes");
	refused_as(ALL_CTL, "\x81\xa3rid\xa1x", 7, "field rid has the wrong type", 0,
	    "a rid that is no uint");
	REFUSE(status, "more fields than any message has", "26 fields",
	    KU("a", 1), KU("b", 1), KU("c", 1), KU("d", 1), KU("e", 1), KU("f", 1), KU("g", 1),
	    KU("h", 1), KU("i", 1), KU("j", 1), KU("k", 1), KU("l", 1), KU("m", 1), KU("n", 1),
	    KU("o", 1), KU("p", 1), KU("q", 1), KU("r", 1), KU("s", 1), KU("u", 1), KU("v", 1),
	    KU("w", 1), KU("x", 1));
	REFUSE(status, "a field holds an array or a map", "job as an array", KR("job", "\x91\x01", 2));

	/* A request past CTL_FRAME_MAX, though each field is within its bound. */
	arr = path_array(300, 4000, &n);
	REFUSE(sub, "a request frame above CTL_FRAME_MAX", "a submit of 1.2 MB", KR("inputs", arr, n));
	free(arr);
}

/* Decodes a frame, encodes what came out and decodes that: the second
 * encoding must be the first again, byte for byte. 1 decoded and stable, 0
 * refused with a reason, -1 anything else. */
static int
settles(const uint8_t *body, size_t len)
{
	struct ipc_buf b1 = { 0 }, b2 = { 0 };
	struct ctl_msg m1, m2;
	const char *why = NULL;
	int r = -1;

	if (ctl_decode(body, len, ALL_CTL, &m1, &why) < 0)
		return why != NULL && *why != '\0' ? 0 : -1;
	if (ctl_put(&b1, &m1) == 0 &&
	    ctl_decode(b1.data + IPC_HDR, b1.len - IPC_HDR, ALL_CTL, &m2, &why) == 0 &&
	    ctl_put(&b2, &m2) == 0 && b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0)
		r = 1;
	ipc_buf_free(&b1);
	ipc_buf_free(&b2);
	return r;
}

static void
fuzz(void)
{
	static const uint8_t special[] = { 0x00, 0x01, 0x2f, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0,
	    0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xca, 0xcb, 0xcf, 0xd3, 0xd9, 0xdd, 0xdf, 0xff };
	static const uint8_t map[] = { 0x81, 0xa1, 'k', 0x92, 0x01, 0xc4, 0x01, 0xff };
	struct ipc_buf b = { 0 };
	struct ctl_msg m;
	size_t starts[32], nframes = 0, n;
	int accepted = 0, sane = 1, i;

	memset(&m, 0, sizeof m);
	m.rid = 7;
#define FRAME(...) do {                                                       \
	struct ctl_msg f_ = { .rid = 7, __VA_ARGS__ };                        \
	starts[nframes++] = b.len;                                            \
	if (ctl_put(&b, &f_) < 0)                                             \
		sane = 0;                                                     \
} while (0)
	FRAME(.type = CTL_HELLO, .hello = { IPC_PROTO_VERSION, 1 });
	FRAME(.type = CTL_SUBMIT, .submit = { .name = "n", .name_len = 1,
	    .inputs = { inputs.data, inputs.len, 2 }, .handler = "exec", .handler_len = 4,
	    .arg = "cat", .arg_len = 3, .timeout_ms = 9, .retries = 1, .halt_rate = 0.5,
	    .halt_min = 3, .priority = 2, .extract = "/o", .extract_len = 2, .wait = 1,
	    .opts = { .formats = 3, .extract = 1 }, .given = 1u << CTL_GIVEN_EXTRACT });
	FRAME(.type = CTL_RESULTS, .target = { "j", 1, 1, 5 });
	FRAME(.type = CTL_WATCH, .target = { "12", 2, 0, 0 });
	FRAME(.type = CTL_CHECK, .check = { "archive", 7, "", 0, { .formats = 1 } });
	FRAME(.type = CTL_OK, .ok = { 4, "j", 1 });
	FRAME(.type = CTL_ERROR, .error = { CTL_E_NO_SUCH_JOB, "no job j", 8 });
	FRAME(.type = CTL_JOB, .job = { .id = 4, .name = "j", .name_len = 1, .state = "done",
	    .state_len = 4, .handler = "sha256", .handler_len = 6, .summary = "/in", .summary_len = 3,
	    .total = 9, .counts = { 1, 2, 3, 4, 5 }, .priority = 1, .reason = "r", .reason_len = 1 });
	FRAME(.type = CTL_ROW, .row = { .seq = 1, .path = "/a", .path_len = 2, .status = 2,
	    .signal = 9, .exit_code = 3, .error = "e", .error_len = 1, .result = map,
	    .result_len = sizeof map, .tail = "t", .tail_len = 1 });
	FRAME(.type = CTL_WORKER, .worker = { 1, 2, "busy", 4, "j", 1, "/a", 2, 3, 4, 5 });
	FRAME(.type = CTL_EVENT, .event = { "j", 1, CTL_EV_OUTCOME, 1, 2, "running", 7,
	    { .seq = 1, .path = "/a", .path_len = 2, .exit_code = -1 } });
	FRAME(.type = CTL_VERDICT, .verdict = { 1, "bad", 3, map, sizeof map });
	FRAME(.type = CTL_END);
	FRAME(.type = CTL_METRICS);
	FRAME(.type = CTL_TEXT, .text = { "a 1\n", 4 });
	starts[nframes] = b.len;
	ok(sane, "%zu seed frames encoded", nframes);

	for (i = 0; i < (int)nframes; i++)
		if (settles(b.data + starts[i] + IPC_HDR, starts[i + 1] - starts[i] - IPC_HDR) != 1)
			sane = 0;
	ok(sane, "each decodes, and encodes again to itself");

	for (n = 0; n < 100000; n++) {
		uint8_t frame[1024];
		size_t k = (size_t)(tap_rand() % nframes), len;

		len = starts[k + 1] - starts[k] - IPC_HDR;
		memcpy(frame, b.data + starts[k] + IPC_HDR, len);
		mutate(frame, &len, sizeof frame, special, sizeof special);
		{
			uint8_t *copy = malloc(len);
			int r;

			memcpy(copy, frame, len);	/* exact size, for ASan */
			r = settles(copy, len);
			free(copy);
			if (r < 0)
				sane = 0;
			accepted += r == 1;
		}
	}
	ok(sane, "100000 mutated frames: each refused with a reason, or decoded and stable (%d decoded)",
	    accepted);
	ipc_buf_free(&b);
}

/* METRICS asks, TEXT answers in chunks of whole lines: any bytes (a
 * label value is escaped, not checked), 1 to CTL_CHUNK_MAX of them. */
static void
text_chunks(void)
{
	struct ipc_buf b = { 0 };
	struct ctl_msg m, d;
	const char *why;
	char *big = malloc(CTL_CHUNK_MAX + 1);

	memset(&m, 0, sizeof m);
	m.type = CTL_METRICS, m.rid = 41;
	ok(cycle(&b, &m, CTL_REQUESTS, &d) == 0 && d.rid == 41, "metrics round-trips as a request");
	ok(ctl_decode(b.data + IPC_HDR, b.len - IPC_HDR, CTL_REPLIES, &d, &why) < 0,
	    "metrics is no reply");
	m.type = CTL_TEXT;
	m.text.text = "x_total{job=\"\xff\\n\"} 1\n", m.text.len = 21;
	ok(cycle(&b, &m, CTL_REPLIES, &d) == 0 && d.text.len == 21 &&
	    memcmp(d.text.text, m.text.text, 21) == 0 && within(&b, d.text.text, d.text.len),
	    "text round-trips byte for byte, inside its frame");
	ok(ctl_decode(b.data + IPC_HDR, b.len - IPC_HDR, CTL_REQUESTS, &d, &why) < 0,
	    "text is no request");
	memset(big, '#', CTL_CHUNK_MAX + 1);
	m.text.text = big, m.text.len = CTL_CHUNK_MAX;
	ok(cycle(&b, &m, CTL_REPLIES, &d) == 0 && d.text.len == CTL_CHUNK_MAX,
	    "a text of CTL_CHUNK_MAX bytes round-trips");
	m.text.len = CTL_CHUNK_MAX + 1;
	put_refused(&m, EINVAL, "a text above CTL_CHUNK_MAX");
	m.text.len = 0;
	put_refused(&m, EINVAL, "an empty text");
	ok(strcmp(ipc_type_name(CTL_METRICS), "ctl_metrics") == 0 &&
	    strcmp(ipc_type_name(CTL_TEXT), "ctl_text") == 0, "metrics and text type names");
	free(big);
	ipc_buf_free(&b);
}

static void
paths(void)
{
	struct ctl_paths l = { (const uint8_t *)"\xc4\x02/a\xa2/b", 7, 2 };
	const char *p;
	size_t off = 0, plen;

	ok(ctl_paths_next(&l, &off, &p, &plen) == 1 && same(p, plen, "/a") &&
	    ctl_paths_next(&l, &off, &p, &plen) == -1, "ctl_paths_next: a str in a hand-made list is -1");
	l.len = 3, off = 0;
	ok(ctl_paths_next(&l, &off, &p, &plen) == -1, "... and so is a bin cut short");
	l.len = 0, off = 0;
	ok(ctl_paths_next(&l, &off, &p, &plen) == 0, "... an empty list ends at once");
}

int
main(void)
{
	msgpack_sbuffer os;
	msgpack_packer opk;
	struct job_opts o;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_sbuffer_init(&os);
	msgpack_packer_init(&opk, &os, msgpack_sbuffer_write);
	job_opts_default(&o);
	job_opts_pack(&o, &opk);
	memcpy(opts_map, os.data, os.size);
	opts_len = os.size;
	msgpack_sbuffer_destroy(&os);
	memcpy(two_inputs, "\x92\xc4\x02/a\xc4\x03/bc", 10);
	two_inputs_len = 10;

	roundtrip_requests();
	roundtrip_replies();
	encoder_refusals();
	decoder_refusals();
	paths();
	text_chunks();
	fuzz();
	ipc_buf_free(&inputs);
	msgpack_sbuffer_destroy(&sb);
	return done_testing();
}
