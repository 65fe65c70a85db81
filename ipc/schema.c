/* schema: every message of both wires as data — one table of fields (name,
 * msgpack type, bounds, what else makes a value wrong), one of types (the
 * fields each must and may carry) — and the code that holds frames to it:
 * the walk that reads a frame body into field values without allocating,
 * the rules on those values, and the writer of frames from them. A frame
 * is trusted in nothing: its bytes are validated before the walk, every
 * key is looked up in the table, and a refusal names its cause in a static
 * string. msg.c and ctl.c fill their structs from the values. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <msgpack.h>

#include "common/utf8.h"
#include "common/filter.h"
#include "common/shard.h"
#include "ipc/ctl.h"
#include "ipc/ipc.h"
#include "ipc/ipc_int.h"

/* How deep ipc_mp_skip looks: past it a frame is malformed. What a field
 * may hold is shallower, and the walk refuses the rest by type. */
#define FRAME_DEPTH	64
/* Nesting a result's map may have; the supervisor's JSON writer recurses
 * that deep at most. */
#define RESULT_DEPTH	32

static const char *const type_names[IPC_TYPE_MAX] = {
	[IPC_HELLO] = "hello", [IPC_JOB] = "job", [IPC_TASK] = "task",
	[IPC_RESULT] = "result", [IPC_FATAL] = "fatal", [IPC_READY] = "ready",
	[IPC_PROGRESS] = "progress", [IPC_HASH] = "hash", [IPC_REUSE] = "reuse",
	[CTL_HELLO] = "ctl_hello", [CTL_SUBMIT] = "ctl_submit", [CTL_JOBS] = "ctl_jobs",
	[CTL_STATUS] = "ctl_status", [CTL_RESULTS] = "ctl_results", [CTL_PAUSE] = "ctl_pause",
	[CTL_RESUME] = "ctl_resume", [CTL_CANCEL] = "ctl_cancel", [CTL_DELETE] = "ctl_delete",
	[CTL_RETRY] = "ctl_retry", [CTL_WORKERS] = "ctl_workers", [CTL_WATCH] = "ctl_watch",
	[CTL_CHECK] = "ctl_check", [CTL_OK] = "ctl_ok", [CTL_ERROR] = "ctl_error",
	[CTL_JOB] = "ctl_job", [CTL_ROW] = "ctl_row", [CTL_WORKER] = "ctl_worker",
	[CTL_EVENT] = "ctl_event", [CTL_VERDICT] = "ctl_verdict", [CTL_END] = "ctl_end",
	[CTL_METRICS] = "ctl_metrics", [CTL_TEXT] = "ctl_text",
};

const char *
ipc_type_name(int type)
{
	if (type > 0 && type < IPC_TYPE_MAX && type_names[type] != NULL)
		return type_names[type];
	return "unknown";
}

/* The control socket's vocabularies. */
static const char *const code_words[CTL_E__N] = {
	[CTL_E_BAD_REQUEST] = "bad_request", [CTL_E_UNSUPPORTED] = "unsupported",
	[CTL_E_NO_SUCH_JOB] = "no_such_job", [CTL_E_EXISTS] = "exists",
	[CTL_E_BAD_STATE] = "bad_state", [CTL_E_BUSY] = "busy", [CTL_E_DENIED] = "denied",
	[CTL_E_DISK_FULL] = "disk_full", [CTL_E_INTERNAL] = "internal",
};
static const char *const outcome_words[CTL_OUT__N] = {
	[CTL_OUT_OK] = "ok", [CTL_OUT_FAILED] = "failed", [CTL_OUT_CRASHED] = "crashed",
	[CTL_OUT_TIMEOUT] = "timeout", [CTL_OUT_SKIPPED] = "skipped",
	[CTL_OUT_QUARANTINED] = "quarantined",
};
/* A word for each but none, which is never on the wire. */
static const char *const limit_words[CTL_LIM__N - 1] = {
	"stall", "total", "cpu", "adaptive",
};
static const char *const event_words[CTL_EV__N] = {
	[CTL_EV_PROGRESS] = "progress", [CTL_EV_OUTCOME] = "outcome", [CTL_EV_STATE] = "state",
};

static const char *
word(const char *const *words, int n, int i)
{
	return i >= 0 && i < n ? words[i] : "unknown";
}

const char *
ctl_code_name(int code)
{
	return word(code_words, CTL_E__N, code);
}

const char *
ctl_outcome_name(int status)
{
	return word(outcome_words, CTL_OUT__N, status);
}

const char *
ctl_event_name(int kind)
{
	return word(event_words, CTL_EV__N, kind);
}

const char *
ctl_limit_name(int limit)
{
	return limit == CTL_LIM_NONE ? "" : word(limit_words, CTL_LIM__N - 1, limit - 1);
}

/* What a field's value is on the wire. */
enum kind {
	K_UINT,		/* lo..hi */
	K_BOOL,
	K_SHARE,	/* a float, 32 or 64 bits, 0..1 */
	K_STR,		/* lo..hi bytes */
	K_BIN,		/* lo..hi bytes */
	K_WORD,		/* a str, one of words */
	K_PATHS,	/* an array of lo..hi bins, each an absolute path */
	K_UINTS		/* an array of lo..hi uints */
};

/* What else makes a str or bin wrong. */
enum rule { R_NONE, R_NONUL, R_ABSPATH, R_UTF8 };

/* Each field's name, kind and bounds, and the ways it can be wrong, spelled
 * out here so that *why is always a static string. */
#define FIELD(name, kind, lo, hi, rule, words, nwords, bad) { name, sizeof (name) - 1,   \
	kind, rule, lo, hi, words, nwords,                                             \
	"missing field " name, "field " name " has the wrong type",                   \
	"field " name " given twice", "field " name " does not belong in this message", \
	"field " name " out of range", "field " name bad }
#define ANY			UINT64_MAX
#define UINTF(name, lo, hi)	FIELD(name, K_UINT, lo, hi, R_NONE, NULL, 0, "")
#define BOOLF(name)		FIELD(name, K_BOOL, 0, 1, R_NONE, NULL, 0, "")
#define BINF(name, lo, hi)	FIELD(name, K_BIN, lo, hi, R_NONE, NULL, 0, "")
#define STRF(name, hi)		FIELD(name, K_STR, 0, hi, R_NONE, NULL, 0, "")
#define TEXTF(name, lo, hi)	FIELD(name, K_STR, lo, hi, R_NONUL, NULL, 0, " holds a NUL byte")
#define PATHF(name, kind, lo, hi) FIELD(name, kind, lo, hi, R_ABSPATH, NULL, 0,         \
	" holds a path that is not absolute or has a NUL byte")
#define WORDF(name, words)	FIELD(name, K_WORD, 0, 0, R_NONE, words,                 \
	(int)(sizeof (words) / sizeof (words)[0]), " holds an unknown word")

static const struct field {
	const char *key;
	size_t keylen;
	uint8_t kind, rule;
	uint64_t lo, hi;	/* a uint's value; bytes of a str or bin; elements */
	const char *const *words;
	int nwords;
	const char *missing, *mistyped, *twice, *unexpected, *range, *bad;
} fields[F_COUNT] = {
	[F_T] = UINTF("t", 0, ANY),
	[F_V] = UINTF("v", 0, UINT32_MAX),
	[F_PID] = UINTF("pid", 0, UINT32_MAX),
	[F_JOB] = UINTF("job", 0, UINT32_MAX),
	[F_ID] = UINTF("id", 0, ANY),
	[F_OK] = BOOLF("ok"),
	[F_PATH] = BINF("path", 0, ANY),
	[F_HANDLER] = STRF("handler", ANY),
	[F_ARG] = STRF("arg", ANY),
	[F_OPTS] = BINF("opts", 0, ANY),
	[F_ERROR] = STRF("error", ANY),
	[F_RESULT] = BINF("result", 0, ANY),
	[F_HOST] = UINTF("host", 1, 4095),

	[F_RID] = UINTF("rid", 0, ANY),
	[F_NAME] = TEXTF("name", 0, CTL_NAME_MAX),
	[F_INPUTS] = PATHF("inputs", K_PATHS, 1, CTL_INPUTS_MAX),
	[F_CHANDLER] = TEXTF("handler", 1, CTL_CMD_MAX),
	[F_CARG] = TEXTF("arg", 0, CTL_CMD_MAX),
	[F_TIMEOUT] = UINTF("timeout_ms", 1, CTL_TIMEOUT_MAX),
	[F_RETRIES] = UINTF("retries", 0, CTL_RETRIES_MAX),
	[F_HALT_RATE] = FIELD("halt_rate", K_SHARE, 0, 1, R_NONE, NULL, 0, ""),
	[F_HALT_MIN] = UINTF("halt_min", 0, ANY),
	[F_PRIORITY] = UINTF("priority", CTL_PRIORITY_MIN, CTL_PRIORITY_MAX),
	[F_EXTRACT] = PATHF("extract", K_BIN, 0, CTL_PATH_MAX),
	[F_COPTS] = BINF("opts", 1, CTL_OPTS_MAX),
	[F_WAIT] = BOOLF("wait"),
	/* A bit past the known ones is out of range. */
	[F_GIVEN] = UINTF("given", 0, CTL_GIVEN_ALL),
	[F_REF] = TEXTF("job", 1, CTL_NAME_MAX),
	[F_FAILED] = BOOLF("failed"),
	[F_AFTER] = UINTF("after", 0, ANY),

	[F_CODE] = WORDF("code", code_words),
	[F_MESSAGE] = FIELD("message", K_STR, 1, CTL_TEXT_MAX, R_NONE, NULL, 0, ""),
	[F_JOBID] = UINTF("id", 1, UINT32_MAX),
	[F_STATE] = TEXTF("state", 1, CTL_WORD_MAX),
	[F_SUMMARY] = TEXTF("summary", 0, CTL_SUMMARY_MAX),
	[F_CREATED] = UINTF("created_ms", 0, ANY),
	[F_UPDATED] = UINTF("updated_ms", 0, ANY),
	[F_FINISHED] = UINTF("finished_ms", 0, ANY),
	[F_TOTAL] = UINTF("total", 0, ANY),
	[F_COUNTS] = FIELD("counts", K_UINTS, CTL_OUT__N - 1, CTL_OUT__N, R_NONE, NULL, 0, ""),
	[F_RUNS] = UINTF("runs", 0, ANY),
	[F_WORKERS] = UINTF("workers", 0, UINT32_MAX),
	[F_REASON] = STRF("reason", CTL_TEXT_MAX),
	[F_SEQ] = UINTF("seq", 0, ANY),
	[F_STATUS] = WORDF("status", outcome_words),
	[F_ATTEMPTS] = UINTF("attempts", 0, UINT32_MAX),
	[F_DURATION] = UINTF("duration_ms", 0, ANY),
	[F_SIGNAL] = UINTF("signal", 1, 255),
	[F_EXIT] = UINTF("exit_code", 0, 255),
	[F_TAIL] = BINF("tail", 0, CTL_TEXT_MAX),
	[F_SLOT] = UINTF("slot", 0, UINT32_MAX),
	[F_RUNNING] = UINTF("running_ms", 0, ANY),
	[F_TASKS] = UINTF("tasks_done", 0, ANY),
	[F_RSS] = UINTF("rss_bytes", 0, ANY),
	[F_KIND] = WORDF("kind", event_words),
	[F_DONE] = UINTF("done", 0, ANY),
	[F_TEXT] = FIELD("text", K_STR, 1, CTL_CHUNK_MAX, R_NONE, NULL, 0, ""),
	[F_LIMIT] = WORDF("limit", limit_words),
	[F_STALL] = UINTF("stall_ms", 0, CTL_TIMEOUT_MAX),
	[F_TIMEOUT_PCT] = UINTF("timeout_pct", 0, 100000),
	[F_WHAT] = FIELD("what", K_STR, 0, IPC_PROGRESS_WHAT_MAX, R_UTF8, NULL, 0,
	    " is not UTF-8 or holds a NUL byte"),
	[F_SHARD_K] = UINTF("shard_k", 1, SHARD_MAX),
	[F_SHARD_N] = UINTF("shard_n", 1, SHARD_MAX),
	[F_SHA256] = BINF("sha256", IPC_SHA256, IPC_SHA256),
	[F_REUSE] = BOOLF("reuse"),
	[F_RECHECK] = BOOLF("recheck"),
	[F_QUARANTINED] = BOOLF("quarantined"),
	[F_FILTERS] = FIELD("filters", K_BIN, 0, FILTER_BYTES, R_NONE, NULL, 0, ""),
	[F_MIN_SIZE] = UINTF("min_size", 0, ANY),
	[F_MAX_SIZE] = UINTF("max_size", 0, ANY),
	[F_HALT_FAIL] = UINTF("halt_fail", 0, ANY),
	[F_HALT_SOON] = BOOLF("halt_soon"),
};

_Static_assert(F_COUNT <= 128, "a message's fields are the bits of a fieldset");
_Static_assert(IPC_TYPE_MAX <= 64, "a set of types is the bits of a uint64_t");

/* A file's outcome, in a ROW and in an outcome's EVENT. */
#define ROW_MUST	(FBIT(F_SEQ) | FBIT(F_PATH) | FBIT(F_STATUS) | FBIT(F_ATTEMPTS) | \
	FBIT(F_DURATION) | FBIT(F_FINISHED))
#define ROW_MAY		(FBIT(F_SIGNAL) | FBIT(F_EXIT) | FBIT(F_ERROR) | FBIT(F_RESULT) | \
	FBIT(F_TAIL) | FBIT(F_LIMIT))
#define JOB_REQUEST	{ FBIT(F_T) | FBIT(F_RID) | FBIT(F_REF), 0 }

/* The fields each type must and may carry. */
static const struct {
	fieldset must, may;
} schema[IPC_TYPE_MAX] = {
	[IPC_HELLO] = { FBIT(F_T) | FBIT(F_V) | FBIT(F_PID), 0 },
	[IPC_JOB] = { FBIT(F_T) | FBIT(F_JOB) | FBIT(F_HANDLER) | FBIT(F_ARG),
	    FBIT(F_OPTS) | FBIT(F_SLOT) | FBIT(F_NAME) },
	[IPC_TASK] = { FBIT(F_T) | FBIT(F_JOB) | FBIT(F_ID) | FBIT(F_PATH), FBIT(F_SEQ) },
	[IPC_RESULT] = { FBIT(F_T) | FBIT(F_ID) | FBIT(F_OK), FBIT(F_ERROR) | FBIT(F_RESULT) | FBIT(F_HOST) },
	[IPC_FATAL] = { FBIT(F_T) | FBIT(F_ERROR), 0 },
	[IPC_READY] = { FBIT(F_T) | FBIT(F_JOB), 0 },
	[IPC_PROGRESS] = { FBIT(F_T) | FBIT(F_ID) | FBIT(F_DONE) | FBIT(F_TOTAL), FBIT(F_WHAT) },
	[IPC_HASH] = { FBIT(F_T) | FBIT(F_ID) | FBIT(F_SHA256), 0 },
	[IPC_REUSE] = { FBIT(F_T) | FBIT(F_ID) | FBIT(F_REUSE), 0 },

	[CTL_HELLO] = { FBIT(F_T) | FBIT(F_RID) | FBIT(F_V), FBIT(F_PID) },
	[CTL_SUBMIT] = { FBIT(F_T) | FBIT(F_RID) | FBIT(F_INPUTS) | FBIT(F_CHANDLER) |
	    FBIT(F_TIMEOUT) | FBIT(F_RETRIES) | FBIT(F_HALT_RATE) | FBIT(F_HALT_MIN) |
	    FBIT(F_PRIORITY) | FBIT(F_COPTS) | FBIT(F_WAIT),
	    FBIT(F_NAME) | FBIT(F_CARG) | FBIT(F_EXTRACT) | FBIT(F_GIVEN) | FBIT(F_STALL) |
	    FBIT(F_TIMEOUT_PCT) | FBIT(F_SHARD_K) | FBIT(F_SHARD_N) | FBIT(F_RECHECK) | FBIT(F_FILTERS) |
	    FBIT(F_MIN_SIZE) | FBIT(F_MAX_SIZE) | FBIT(F_HALT_FAIL) | FBIT(F_HALT_SOON) },
	[CTL_JOBS] = { FBIT(F_T) | FBIT(F_RID), 0 },
	[CTL_STATUS] = JOB_REQUEST,
	[CTL_RESULTS] = { FBIT(F_T) | FBIT(F_RID) | FBIT(F_REF) | FBIT(F_FAILED) | FBIT(F_AFTER), 0 },
	[CTL_PAUSE] = JOB_REQUEST,
	[CTL_RESUME] = JOB_REQUEST,
	[CTL_CANCEL] = JOB_REQUEST,
	[CTL_DELETE] = JOB_REQUEST,
	[CTL_RETRY] = { FBIT(F_T) | FBIT(F_RID) | FBIT(F_REF), FBIT(F_QUARANTINED) },
	[CTL_WORKERS] = { FBIT(F_T) | FBIT(F_RID), 0 },
	[CTL_WATCH] = JOB_REQUEST,
	[CTL_CHECK] = { FBIT(F_T) | FBIT(F_RID) | FBIT(F_CHANDLER) | FBIT(F_COPTS), FBIT(F_CARG) },
	[CTL_METRICS] = { FBIT(F_T) | FBIT(F_RID), 0 },

	[CTL_OK] = { FBIT(F_T) | FBIT(F_RID), FBIT(F_JOBID) | FBIT(F_NAME) },
	[CTL_ERROR] = { FBIT(F_T) | FBIT(F_RID) | FBIT(F_CODE) | FBIT(F_MESSAGE), 0 },
	[CTL_JOB] = { FBIT(F_T) | FBIT(F_RID) | FBIT(F_JOBID) | FBIT(F_NAME) | FBIT(F_STATE) |
	    FBIT(F_CHANDLER) | FBIT(F_CREATED) | FBIT(F_UPDATED) | FBIT(F_FINISHED) |
	    FBIT(F_TOTAL) | FBIT(F_COUNTS) | FBIT(F_RUNS) | FBIT(F_WORKERS) | FBIT(F_PRIORITY),
	    FBIT(F_CARG) | FBIT(F_SUMMARY) | FBIT(F_REASON) },
	[CTL_ROW] = { FBIT(F_T) | FBIT(F_RID) | ROW_MUST, ROW_MAY },
	[CTL_WORKER] = { FBIT(F_T) | FBIT(F_RID) | FBIT(F_SLOT) | FBIT(F_PID) | FBIT(F_STATE) |
	    FBIT(F_RUNNING) | FBIT(F_TASKS) | FBIT(F_RSS), FBIT(F_REF) | FBIT(F_PATH) },
	/* The row's fields with kind "outcome" only: ipc_fields_check. */
	[CTL_EVENT] = { FBIT(F_T) | FBIT(F_RID) | FBIT(F_REF) | FBIT(F_KIND) | FBIT(F_DONE) |
	    FBIT(F_TOTAL) | FBIT(F_STATE), ROW_MUST | ROW_MAY },
	[CTL_VERDICT] = { FBIT(F_T) | FBIT(F_RID) | FBIT(F_STATUS), FBIT(F_ERROR) | FBIT(F_RESULT) },
	[CTL_END] = { FBIT(F_T) | FBIT(F_RID), 0 },
	[CTL_TEXT] = { FBIT(F_T) | FBIT(F_RID) | FBIT(F_TEXT), 0 },
};

/* The bound on a frame body of type t. */
static size_t
frame_max(int t)
{
	return t > 0 && t < IPC_TYPE_MAX && (CTL_REQUESTS & IPC_BIT(t)) ? CTL_FRAME_MAX :
	    IPC_FRAME_MAX;
}

static int
refuse(const char **why, const char *what)
{
	*why = what;
	return -1;
}

static int
is_map(uint8_t b)
{
	return (b & 0xf0) == 0x80 || b == 0xde || b == 0xdf;
}

static int
known_type(uint64_t t)
{
	return t > 0 && t < IPC_TYPE_MAX && type_names[t] != NULL;
}

/* The msgpack type a field's value has on the wire. */
static int
wire_type(const struct field *f)
{
	switch (f->kind) {
	case K_UINT:
		return MPT_UINT;
	case K_BOOL:
		return MPT_BOOL;
	case K_SHARE:
		return MPT_FLOAT;
	case K_STR:
	case K_WORD:
		return MPT_STR;
	case K_BIN:
		return MPT_BIN;
	default:
		return MPT_ARRAY;
	}
}

/* The msgpack type of an array field's elements. */
static int
elem_type(const struct field *f)
{
	return f->kind == K_PATHS ? MPT_BIN : MPT_UINT;
}

/* The fields a decoder's types may carry, worked out once per set of
 * types (a process decodes one or two sets, on one thread): every frame
 * then looks its keys up among these few, not among all F_COUNT. */
struct cands {
	uint64_t accept;
	int n;
	size_t most;		/* fields of the type that has the most */
	uint8_t k[F_COUNT];	/* in table order */
};

static const struct cands *
cands_of(uint64_t accept)
{
	static struct cands c[2];
	static int next;
	fieldset all = 0;
	struct cands *x;
	uint64_t t;
	int i, k;

	for (i = 0; i < 2; i++)
		if (c[i].accept == accept && c[i].n > 0)
			return &c[i];
	x = &c[next++ % 2];
	x->accept = accept;
	x->most = 0;
	x->n = 0;
	for (t = 1; t < IPC_TYPE_MAX; t++)
		if ((accept & IPC_BIT(t)) && known_type(t)) {
			fieldset f = schema[t].must | schema[t].may;

			all |= f;
			if ((size_t)fieldset_count(f) > x->most)
				x->most = (size_t)fieldset_count(f);
		}
	for (k = 0; k < F_COUNT; k++)
		if (all & FBIT(k))
			x->k[x->n++] = (uint8_t)k;
	return x;
}

/* The field named [key, key+len) among the candidates, or F_COUNT. */
static int
lookup(const uint8_t *key, size_t len, const struct cands *c)
{
	int i;

	for (i = 0; i < c->n; i++) {
		const struct field *f = &fields[c->k[i]];

		if (f->keylen == len && (uint8_t)f->key[0] == key[0] && memcmp(f->key, key, len) == 0)
			return c->k[i];
	}
	return F_COUNT;
}

/* Reads field k's value, whose head is h at p; advances *off past it. */
static int
read_value(int k, const uint8_t *p, size_t len, const struct mp_head *h, struct ipc_val *v,
    size_t *off, const char **why)
{
	const struct field *f = &fields[k];
	struct mp_head e;
	uint64_t i;
	int i_word;

	if ((h->type == MPT_ARRAY || h->type == MPT_MAP) && wire_type(f) != MPT_ARRAY)
		return refuse(why, "a field holds an array or a map");
	if (h->type != wire_type(f))
		return refuse(why, f->mistyped);
	*off += h->size;
	v->u = h->u;
	v->f = h->f;
	v->p = h->p;
	v->n = h->n;
	if (f->kind == K_WORD) {
		/* Its index; one past the words for none, which the rules
		 * refuse. */
		for (i_word = 0; i_word < f->nwords; i_word++)
			if (strlen(f->words[i_word]) == h->n &&
			    memcmp(f->words[i_word], h->p, h->n) == 0)
				break;
		v->u = (uint64_t)i_word;
	}
	if (h->type != MPT_ARRAY)
		return 0;
	/* An array's elements are scalars of one type: read in place. */
	v->p = p + *off;
	for (i = 0; i < h->u; i++) {
		if (ipc_mp_head(p + *off, len - *off, &e) < 0)
			return refuse(why, "malformed msgpack");
		if (e.type != elem_type(f))
			return refuse(why, f->mistyped);
		*off += e.size;
	}
	v->n = (size_t)(p + *off - v->p);
	return 0;
}

int
ipc_map_find(const uint8_t *map, size_t len, const char *key, struct mp_head *val)
{
	struct mp_head h, k;
	size_t off, used, klen = strlen(key);
	uint64_t i;

	if (ipc_mp_head(map, len, &h) < 0 || h.type != MPT_MAP)
		return -1;
	off = h.size;
	for (i = 0; i < h.u; i++) {
		if (ipc_mp_head(map + off, len - off, &k) < 0)
			return -1;
		off += k.size;
		if (k.type == MPT_STR && k.n == klen && memcmp(k.p, key, klen) == 0)
			return ipc_mp_head(map + off, len - off, val);
		if (ipc_mp_skip(map + off, len - off, FRAME_DEPTH, &used) < 0)
			return -1;
		off += used;
	}
	return -1;
}

int
ipc_fields_read(const uint8_t *body, size_t len, uint64_t accept, struct ipc_fields *fs,
    const char **why)
{
	/* Overwritten by the next refusal of a type: callers copy *why
	 * before decoding again, and each process decodes on one thread. */
	static char bad_type[80];
	struct mp_head map, key, val;
	const struct cands *cand;
	uint64_t t, i;
	size_t used, off;
	int k;

	memset(fs, 0, sizeof *fs);
	if (len == 0)
		return refuse(why, "empty frame");
	if (!is_map(body[0]))
		return refuse(why, "not a map");
	/* Every count is checked against the bytes before the walk believes
	 * it, and the walk never descends further than an array's scalars. */
	if (ipc_mp_skip(body, len, FRAME_DEPTH, &used) < 0)
		return refuse(why, "malformed msgpack");
	if (used != len)
		return refuse(why, "trailing bytes");
	/* The type first: a message of the other wire or direction is named
	 * as such, not by the first of its fields this one lacks. */
	if (ipc_map_find(body, len, "t", &val) == 0 && val.type == MPT_UINT) {
		t = val.u;
		if (!known_type(t)) {
			snprintf(bad_type, sizeof bad_type, "unknown message type %llu",
			    (unsigned long long)t);
			return refuse(why, bad_type);
		}
		if (!(accept & IPC_BIT(t))) {
			snprintf(bad_type, sizeof bad_type,
			    "a %s message does not belong on this socket", type_names[t]);
			return refuse(why, bad_type);
		}
		if (len > frame_max((int)t))
			return refuse(why, "a request frame above CTL_FRAME_MAX");
	}
	cand = cands_of(accept);
	if (ipc_mp_head(body, len, &map) < 0)
		return refuse(why, "malformed msgpack");
	if (map.u > cand->most)
		return refuse(why, "more fields than any message has");
	off = map.size;
	for (i = 0; i < map.u; i++) {
		if (ipc_mp_head(body + off, len - off, &key) < 0)
			return refuse(why, "malformed msgpack");
		if (key.type != MPT_STR)
			return refuse(why, "a field name that is not a string");
		off += key.size;
		if ((k = lookup(key.p, key.n, cand)) == F_COUNT)
			return refuse(why, "unknown field");
		if (fs->seen & FBIT(k))
			return refuse(why, fields[k].twice);
		if (ipc_mp_head(body + off, len - off, &val) < 0)
			return refuse(why, "malformed msgpack");
		if (read_value(k, body, len, &val, &fs->v[k], &off, why) < 0)
			return -1;
		fs->seen |= FBIT(k);
	}
	/* A type that is there was looked at above. */
	if (!(fs->seen & FBIT(F_T)))
		return refuse(why, fields[F_T].missing);
	fs->type = (int)fs->v[F_T].u;
	return ipc_fields_check(fs, why);
}

/* Whether p[0, n) is one absolute path with no NUL byte. */
static int
abs_path(const uint8_t *p, size_t n)
{
	return n > 0 && p[0] == '/' && memchr(p, '\0', n) == NULL;
}

/* The bounds and rules of field k, present with value v. */
static int
check_value(int k, const struct ipc_val *v, const char **why)
{
	const struct field *f = &fields[k];
	struct mp_head e;
	uint64_t i;
	size_t off;

	switch (f->kind) {
	case K_UINT:
		if (v->u < f->lo || v->u > f->hi)
			return refuse(why, f->range);
		return 0;
	case K_SHARE:
		if (!(v->f >= 0 && v->f <= 1))	/* NaN too */
			return refuse(why, f->range);
		return 0;
	case K_WORD:
		if (v->u >= (uint64_t)f->nwords)
			return refuse(why, f->bad);
		return 0;
	case K_STR:
	case K_BIN:
		if (v->n < f->lo || v->n > f->hi)
			return refuse(why, f->range);
		if (f->rule == R_NONUL && v->n > 0 && memchr(v->p, '\0', v->n) != NULL)
			return refuse(why, f->bad);
		if (f->rule == R_ABSPATH && v->n > 0 && !abs_path(v->p, v->n))
			return refuse(why, f->bad);
		if (f->rule == R_UTF8 && v->n > 0 && (memchr(v->p, '\0', v->n) != NULL ||
		    !utf8_valid((const char *)v->p, v->n)))
			return refuse(why, f->bad);
		return 0;
	case K_PATHS:
	case K_UINTS:
		if (v->u < f->lo || v->u > f->hi)
			return refuse(why, f->range);
		/* Walked again: an encoder's caller packed these. */
		for (i = 0, off = 0; i < v->u; i++) {
			if (ipc_mp_head(v->p + off, v->n - off, &e) < 0)
				return refuse(why, f->mistyped);
			off += e.size;
			if (e.type != elem_type(f))
				return refuse(why, f->mistyped);
			if (f->kind != K_PATHS)
				continue;
			if (e.n > CTL_PATH_MAX)
				return refuse(why, f->range);
			if (!abs_path(e.p, e.n))
				return refuse(why, f->bad);
		}
		if (off != v->n)
			return refuse(why, f->mistyped);
		return 0;
	default:
		return 0;
	}
}

/* The first field of bits, refused as missing (want) or as stray. */
static int
refuse_first(fieldset bits, int want, const char **why)
{
	int k;

	if (bits == 0)
		return 0;
	k = fieldset_first(bits);
	return refuse(why, want ? fields[k].missing : fields[k].unexpected);
}

/* The fields of want that have lacks, and those of have outside allowed. */
#define lacking(want, have, why)	refuse_first((want) & ~(have), 1, why)
#define stray(have, allowed, why)	refuse_first((have) & ~(allowed), 0, why)

/* A job's options in a control request: a map of scalars that
 * job_opts_unpack takes, into *o. */
static int
check_opts(const struct ipc_val *v, struct job_opts *o, const char **why)
{
	msgpack_unpacked u;
	int r;

	if (!is_map(v->p[0]) || ipc_mp_check(v->p, v->n, 1) < 0)
		return refuse(why, "opts is not one well-formed msgpack map of scalars");
	/* Checked and at most CTL_OPTS_MAX bytes: msgpack-c allocates a
	 * few KiB for it. */
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, (const char *)v->p, v->n, NULL) != MSGPACK_UNPACK_SUCCESS)
		r = refuse(why, "opts is not one well-formed msgpack map of scalars");
	else
		r = job_opts_unpack(&u.data, o, why);
	msgpack_unpacked_destroy(&u);
	return r;
}

int
ipc_fields_check(struct ipc_fields *fs, const char **why)
{
	fieldset must, may, seen = fs->seen | FBIT(F_T), rest;
	const struct ipc_val *v = fs->v;
	int t = fs->type, k;

	if (!known_type((uint64_t)t))
		return refuse(why, "unknown message type");
	must = schema[t].must;
	may = schema[t].may;
	if (lacking(must, seen, why) < 0 || stray(seen, must | may, why) < 0)
		return -1;
	for (rest = seen & ~FBIT(F_T); rest != 0; rest &= rest - 1) {
		k = fieldset_first(rest);
		/* An optional field that is empty reads as one left out. */
		if ((may & FBIT(k)) && (fields[k].kind == K_STR || fields[k].kind == K_BIN) &&
		    v[k].n == 0)
			continue;
		if (check_value(k, &v[k], why) < 0)
			return -1;
	}
	if (t == IPC_HELLO && v[F_V].u != IPC_PROTO_VERSION)
		return refuse(why, "unsupported protocol version");
	/* A shard is K of N: both, and K <= N. */
	if (t == CTL_SUBMIT && (!(seen & FBIT(F_SHARD_K)) != !(seen & FBIT(F_SHARD_N)) ||
	    v[F_SHARD_K].u > v[F_SHARD_N].u))
		return refuse(why, "shard_k and shard_n: both or neither, shard_k <= shard_n");
	if (t == CTL_SUBMIT && v[F_FILTERS].n > 0 && filter_check((const char *)v[F_FILTERS].p, v[F_FILTERS].n) < 0)
		return refuse(why, "field filters: not one or more of a kind byte '+' or '-', a "
		    "pattern and a NUL");
	if (t == CTL_EVENT) {
		/* The file's fields come with an outcome, and only with it. */
		if (v[F_KIND].u == CTL_EV_OUTCOME ? lacking(ROW_MUST, seen, why) < 0 :
		    stray(seen, must, why) < 0)
			return -1;
	}
	/* Options on the child's wire: one map of scalars; on the control
	 * socket, one that job_opts_unpack takes too. */
	if ((seen & FBIT(F_OPTS)) && v[F_OPTS].n > 0 && (!is_map(v[F_OPTS].p[0]) ||
	    ipc_mp_check(v[F_OPTS].p, v[F_OPTS].n, 1) < 0))
		return refuse(why, "opts is not one well-formed msgpack map of scalars");
	if ((seen & FBIT(F_COPTS)) && check_opts(&v[F_COPTS], &fs->opts, why) < 0)
		return -1;
	if ((seen & FBIT(F_RESULT)) && v[F_RESULT].n > 0) {
		if (!is_map(v[F_RESULT].p[0]))
			return refuse(why, "result is not a map");
		if (ipc_mp_check(v[F_RESULT].p, v[F_RESULT].n, RESULT_DEPTH) < 0)
			return refuse(why, "result is not one well-formed msgpack map");
	}
	return 0;
}

int
ipc_fields_put(struct ipc_buf *b, const struct ipc_fields *fs)
{
	static const char zero[IPC_HDR];
	size_t start = b->len, body, max = frame_max(fs->type), sum = 0;
	fieldset seen = fs->seen & ~FBIT(F_T), rest;
	msgpack_packer pk;
	uint8_t *h;
	int k, failed, bad = 0;

	/* Payloads that cannot fit are refused before a byte is copied. */
	for (rest = seen; rest != 0; rest &= rest - 1) {
		k = fieldset_first(rest);
		if (fs->v[k].n > max - sum) {
			errno = EMSGSIZE;
			return -1;
		}
		sum += fs->v[k].n;
	}
	failed = ipc_buf_write(b, zero, sizeof zero) < 0;
	msgpack_packer_init(&pk, b, ipc_buf_write);
	failed |= msgpack_pack_map(&pk, 1 + (uint32_t)fieldset_count(seen)) < 0;
	failed |= msgpack_pack_str_with_body(&pk, "t", 1) < 0;
	failed |= msgpack_pack_uint32(&pk, (uint32_t)fs->type) < 0;
	for (rest = seen; rest != 0 && !failed && !bad; rest &= rest - 1) {
		const struct field *f;
		const struct ipc_val *v;

		k = fieldset_first(rest);
		f = &fields[k];
		v = &fs->v[k];
		failed |= msgpack_pack_str_with_body(&pk, f->key, f->keylen) < 0;
		switch (f->kind) {
		case K_UINT:
			failed |= msgpack_pack_uint64(&pk, v->u) < 0;
			break;
		case K_BOOL:
			failed |= (v->u ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk)) < 0;
			break;
		case K_SHARE:
			failed |= msgpack_pack_double(&pk, v->f) < 0;
			break;
		case K_STR:
			failed |= msgpack_pack_str_with_body(&pk, v->p, v->n) < 0;
			break;
		case K_WORD:
			if (v->u >= (uint64_t)f->nwords)
				bad = 1;
			else
				failed |= msgpack_pack_str_with_body(&pk, f->words[v->u],
				    strlen(f->words[v->u])) < 0;
			break;
		case K_BIN:
			failed |= msgpack_pack_bin_with_body(&pk, v->p, v->n) < 0;
			break;
		default:
			failed |= msgpack_pack_array(&pk, (size_t)v->u) < 0;
			failed |= ipc_buf_write(b, (const char *)v->p, v->n) < 0;
			break;
		}
	}
	body = b->len - start - IPC_HDR;
	if (failed || bad || body > max) {
		b->len = start;
		errno = failed ? ENOMEM : bad ? EINVAL : EMSGSIZE;
		return -1;
	}
	h = b->data + start;
	h[0] = (uint8_t)(body >> 24);
	h[1] = (uint8_t)(body >> 16);
	h[2] = (uint8_t)(body >> 8);
	h[3] = (uint8_t)body;
	return 0;
}
