/* Fuzz target: bytes from a peer on the control socket. The input is
 * decoded whole as one frame body, as the daemon does (requests) and as a
 * client does (answers), and by the child's decoder, which must refuse
 * every control type; then it is walked as a stream of frames, each decoded
 * as a request. What a decoded message carries is held to its bounds and
 * used the way its receiver uses it (inputs walked, strings shown, a result
 * rendered as JSON, options packed again), and a message encoded again
 * settles: its second encoding is its first, byte for byte. A refused frame
 * leaves nothing but the rid it carried. A failed check aborts, so
 * libFuzzer keeps the input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/filter.h"
#include "common/shard.h"
#include "fuzz/fuzz.h"
#include "ipc/ctl.h"
#include "ipc/ipc.h"

/* The nesting ctl_decode allows a result, and json_msgpack renders. */
#define RESULT_DEPTH 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A string the decoder handed out: inside the body, within its bound, and
 * safe to show once escaped. */
static void
field(const uint8_t *body, size_t len, const void *p, size_t n, size_t max)
{
	CHECK(fuzz_inside(body, len, p, n));
	CHECK(n <= max);
	fuzz_render_str(p, n);
}

/* A string that becomes a C string on the daemon's side. */
static void
text(const uint8_t *body, size_t len, const char *p, size_t n, size_t max)
{
	field(body, len, p, n, max);
	CHECK(n == 0 || memchr(p, '\0', n) == NULL);
}

static void
row(const uint8_t *body, size_t len, const struct ctl_row *r)
{
	field(body, len, r->path, r->path_len, IPC_FRAME_MAX);
	field(body, len, r->error, r->error_len, IPC_FRAME_MAX);
	field(body, len, r->tail, r->tail_len, CTL_TEXT_MAX);
	CHECK(r->status >= 0 && r->status < CTL_OUT__N);
	CHECK(strcmp(ctl_outcome_name(r->status), "unknown") != 0);
	CHECK(r->signal >= 0 && r->signal <= 255);
	CHECK(r->exit_code >= -1 && r->exit_code <= 255);
	CHECK(fuzz_inside(body, len, r->result, r->result_len));
	if (r->result_len > 0) {
		CHECK(ipc_mp_check(r->result, r->result_len, RESULT_DEPTH) == 0);
		CHECK(fuzz_render_json(r->result, r->result_len) == 0);
	}
}

/* The inputs of a SUBMIT, as the daemon walks them. */
static void
inputs(const uint8_t *body, size_t len, const struct ctl_paths *l)
{
	const char *p;
	size_t off = 0, plen;
	uint32_t n = 0;
	int r;

	CHECK(l->n >= 1 && l->n <= CTL_INPUTS_MAX);
	CHECK(fuzz_inside(body, len, l->packed, l->len));
	while ((r = ctl_paths_next(l, &off, &p, &plen)) == 1) {
		CHECK(plen >= 1 && plen <= CTL_PATH_MAX && p[0] == '/');
		CHECK(memchr(p, '\0', plen) == NULL);
		n++;
	}
	CHECK(r == 0 && n == l->n && off == l->len);
}

/* Each member of an accepted message within what the header promises. */
static void
bounds(const uint8_t *body, size_t len, const struct ctl_msg *m)
{
	switch (m->type) {
	case CTL_SUBMIT:
		text(body, len, m->submit.name, m->submit.name_len, CTL_NAME_MAX);
		inputs(body, len, &m->submit.inputs);
		text(body, len, m->submit.handler, m->submit.handler_len, CTL_CMD_MAX);
		CHECK(m->submit.handler_len >= 1);
		text(body, len, m->submit.arg, m->submit.arg_len, CTL_CMD_MAX);
		CHECK(m->submit.timeout_ms >= 1 && m->submit.timeout_ms <= CTL_TIMEOUT_MAX);
		CHECK(m->submit.retries <= CTL_RETRIES_MAX);
		CHECK(m->submit.halt_rate >= 0 && m->submit.halt_rate <= 1);
		CHECK(m->submit.priority >= CTL_PRIORITY_MIN && m->submit.priority <= CTL_PRIORITY_MAX);
		field(body, len, m->submit.extract, m->submit.extract_len, CTL_PATH_MAX);
		CHECK(m->submit.extract_len == 0 || m->submit.extract[0] == '/');
		CHECK((m->submit.given & ~CTL_GIVEN_ALL) == 0);
		CHECK(m->submit.shard_k <= m->submit.shard_n && m->submit.shard_n <= SHARD_MAX &&
		    (m->submit.shard_k == 0) == (m->submit.shard_n == 0));
		field(body, len, m->submit.filters, m->submit.filters_len, FILTER_BYTES);
		CHECK(filter_check(m->submit.filters, m->submit.filters_len) == 0);
		CHECK(m->submit.halt_soon == 0 || m->submit.halt_soon == 1);
		CHECK(m->submit.has_max_size || m->submit.max_size == 0);
		break;
	case CTL_STATUS: case CTL_RESULTS: case CTL_PAUSE: case CTL_RESUME:
	case CTL_CANCEL: case CTL_DELETE: case CTL_RETRY: case CTL_WATCH:
		text(body, len, m->target.job, m->target.job_len, CTL_NAME_MAX);
		CHECK(m->target.job_len >= 1);
		break;
	case CTL_CHECK:
		text(body, len, m->check.handler, m->check.handler_len, CTL_CMD_MAX);
		text(body, len, m->check.arg, m->check.arg_len, CTL_CMD_MAX);
		break;
	case CTL_OK:
		text(body, len, m->ok.name, m->ok.name_len, CTL_NAME_MAX);
		break;
	case CTL_ERROR:
		CHECK(strcmp(ctl_code_name(m->error.code), "unknown") != 0);
		field(body, len, m->error.message, m->error.message_len, CTL_TEXT_MAX);
		CHECK(m->error.message_len >= 1);
		break;
	case CTL_JOB:
		CHECK(m->job.id >= 1);
		text(body, len, m->job.name, m->job.name_len, CTL_NAME_MAX);
		text(body, len, m->job.state, m->job.state_len, CTL_WORD_MAX);
		text(body, len, m->job.handler, m->job.handler_len, CTL_CMD_MAX);
		text(body, len, m->job.arg, m->job.arg_len, CTL_CMD_MAX);
		text(body, len, m->job.summary, m->job.summary_len, CTL_SUMMARY_MAX);
		field(body, len, m->job.reason, m->job.reason_len, CTL_TEXT_MAX);
		CHECK(m->job.priority >= CTL_PRIORITY_MIN && m->job.priority <= CTL_PRIORITY_MAX);
		break;
	case CTL_ROW:
		row(body, len, &m->row);
		break;
	case CTL_WORKER:
		text(body, len, m->worker.state, m->worker.state_len, CTL_WORD_MAX);
		text(body, len, m->worker.job, m->worker.job_len, CTL_NAME_MAX);
		field(body, len, m->worker.path, m->worker.path_len, IPC_FRAME_MAX);
		break;
	case CTL_EVENT:
		text(body, len, m->event.job, m->event.job_len, CTL_NAME_MAX);
		text(body, len, m->event.state, m->event.state_len, CTL_WORD_MAX);
		CHECK(strcmp(ctl_event_name(m->event.kind), "unknown") != 0);
		if (m->event.kind == CTL_EV_OUTCOME)
			row(body, len, &m->event.row);
		else
			CHECK(m->event.row.path == NULL && m->event.row.seq == 0);
		break;
	case CTL_VERDICT:
		CHECK(strcmp(ctl_outcome_name(m->verdict.status), "unknown") != 0);
		field(body, len, m->verdict.error, m->verdict.error_len, IPC_FRAME_MAX);
		CHECK(fuzz_inside(body, len, m->verdict.result, m->verdict.result_len));
		if (m->verdict.result_len > 0)
			CHECK(fuzz_render_json(m->verdict.result, m->verdict.result_len) == 0);
		break;
	}
}

/* Encodes m, decodes that and encodes again: the same bytes. */
static void
settles(const struct ctl_msg *m, uint64_t accept)
{
	struct ipc_buf b1 = { 0 }, b2 = { 0 };
	struct ctl_msg m2;
	const char *why = NULL;

	CHECK(ctl_put(&b1, m) == 0);
	CHECK(b1.len > IPC_HDR && be32(b1.data) == b1.len - IPC_HDR);
	if (ctl_decode(b1.data + IPC_HDR, b1.len - IPC_HDR, accept, &m2, &why) != 0) {
		fprintf(stderr, "fuzz_ctl_decode: re-encoded %s refused: %s\n",
		    ipc_type_name(m->type), why);
		abort();
	}
	CHECK(m2.type == m->type && m2.rid == m->rid);
	CHECK(ctl_put(&b2, &m2) == 0);
	CHECK(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
	if (m->type == CTL_SUBMIT)
		CHECK(memcmp(&m2.submit.opts, &m->submit.opts, sizeof m->submit.opts) == 0);
	if (m->type == CTL_CHECK)
		CHECK(memcmp(&m2.check.opts, &m->check.opts, sizeof m->check.opts) == 0);
	ipc_buf_free(&b1);
	ipc_buf_free(&b2);
}

/* One frame body, as a reader that accepts accept decodes and uses it. */
static void
decode(const uint8_t *body, size_t len, uint64_t accept)
{
	struct ctl_msg m, zero;
	const char *why = NULL;

	if (ctl_decode(body, len, accept, &m, &why) != 0) {
		CHECK(why != NULL && *why != '\0');
		memset(&zero, 0, sizeof zero);
		zero.rid = m.rid;
		CHECK(memcmp(&m, &zero, sizeof m) == 0);
		return;
	}
	CHECK(m.type > 0 && m.type < IPC_TYPE_MAX && (accept & IPC_BIT(m.type)));
	CHECK(strncmp(ipc_type_name(m.type), "ctl_", 4) == 0);
	CHECK(!(CTL_REQUESTS & IPC_BIT(m.type)) || len <= CTL_FRAME_MAX);
	bounds(body, len, &m);
	settles(&m, accept);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_msg im;
	const char *why = NULL;
	size_t off = 0;

	decode(data, size, CTL_REQUESTS);
	decode(data, size, CTL_REPLIES);
	/* The child's decoder takes no control message. */
	if (ipc_decode(data, size, &im, &why) == 0)
		CHECK(im.type >= IPC_HELLO && im.type <= IPC_REUSE);

	/* As a daemon reads a client: frames of at most CTL_FRAME_MAX. */
	while (size - off >= IPC_HDR) {
		uint32_t n = be32(data + off);

		if (n == 0 || n > CTL_FRAME_MAX || n > size - off - IPC_HDR)
			break;
		decode(data + off + IPC_HDR, n, CTL_REQUESTS);
		off += IPC_HDR + n;
	}
	return 0;
}
