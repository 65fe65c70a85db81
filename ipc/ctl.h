/* ctl: the messages of the control socket, between `corral serve` and its
 * clients (submit, status, results, jobs, pause, ..., check). A codec only:
 * a struct becomes one frame appended to an ipc_buf, and a frame body
 * becomes the struct again, checked as strictly as the child's wire, whose
 * enum (ipc.h), framing and reader it shares. Never touches a socket, the
 * loop or the store. docs/protocol.md, "Control socket", is the wire. */
#ifndef CORRAL_CTL_H
#define CORRAL_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "ipc/ipc.h"
#include "ipc/jobopts.h"

/* Bounds. A request's frame body is at most CTL_FRAME_MAX bytes (the daemon
 * reads its clients with ipc_reader_init(&r, CTL_FRAME_MAX)); an answer's at
 * most IPC_FRAME_MAX. Lengths are bytes, without a terminating NUL: each
 * fits the store's char arrays with one. */
#define CTL_FRAME_MAX		(1u << 20)
#define CTL_NAME_MAX		255	/* a job's name; a `job` reference */
#define CTL_PATH_MAX		4095	/* an input, the extract directory */
#define CTL_INPUTS_MAX		4096	/* inputs of one SUBMIT */
#define CTL_CMD_MAX		4095	/* handler, arg */
#define CTL_OPTS_MAX		1024	/* the packed options map */
#define CTL_SUMMARY_MAX		1023	/* a job's inputs, summed up for people */
#define CTL_WORD_MAX		32	/* a job's or a worker's state */
#define CTL_TEXT_MAX		16384	/* message, reason, tail */
#define CTL_CHUNK_MAX		65536	/* a TEXT's text: whole lines but for
					 * a line longer than this */
#define CTL_TIMEOUT_MAX		(30ull * 24 * 3600 * 1000)	/* ms; at least 1 */
#define CTL_RETRIES_MAX		100
#define CTL_PRIORITY_MIN	1
#define CTL_PRIORITY_MAX	100

/* What a daemon reads, and what a client reads. CTL_HELLO is in both: a
 * client sends it first, the daemon answers with one. */
#define CTL_REQUESTS	(IPC_BIT(CTL_HELLO) | IPC_BIT(CTL_SUBMIT) | IPC_BIT(CTL_JOBS) |       \
	IPC_BIT(CTL_STATUS) | IPC_BIT(CTL_RESULTS) | IPC_BIT(CTL_PAUSE) | IPC_BIT(CTL_RESUME) | \
	IPC_BIT(CTL_CANCEL) | IPC_BIT(CTL_DELETE) | IPC_BIT(CTL_RETRY) | IPC_BIT(CTL_WORKERS) |  \
	IPC_BIT(CTL_WATCH) | IPC_BIT(CTL_CHECK) | IPC_BIT(CTL_METRICS))
#define CTL_REPLIES	(IPC_BIT(CTL_HELLO) | IPC_BIT(CTL_OK) | IPC_BIT(CTL_ERROR) |           \
	IPC_BIT(CTL_JOB) | IPC_BIT(CTL_ROW) | IPC_BIT(CTL_WORKER) | IPC_BIT(CTL_EVENT) |       \
	IPC_BIT(CTL_VERDICT) | IPC_BIT(CTL_END) | IPC_BIT(CTL_TEXT))

/* SUBMIT's given: a bit for each option of the job that the client's user
 * gave, named as run's and submit's flags; the daemon takes every other
 * from its configuration's [defaults]. The handler and its command go
 * together: with either bit, both are the client's. */
enum ctl_given {
	CTL_GIVEN_HANDLER,		/* "handler": handler, arg */
	CTL_GIVEN_EXEC,			/* "exec": handler exec, arg */
	CTL_GIVEN_TIMEOUT,		/* "timeout": timeout_ms, timeout_pct */
	CTL_GIVEN_RETRIES,		/* "retries" */
	CTL_GIVEN_HALT_RATE,		/* "halt-on-error": halt_rate */
	CTL_GIVEN_HALT_MIN,		/* "halt-min-sample": halt_min */
	CTL_GIVEN_PRIORITY,		/* "priority" */
	CTL_GIVEN_EXTRACT,		/* "extract": extract, opts' extract */
	CTL_GIVEN_MAX_ENTRIES,		/* "max-entries", and so on: opts */
	CTL_GIVEN_MAX_BYTES,
	CTL_GIVEN_MAX_ENTRY_BYTES,
	CTL_GIVEN_MAX_RATIO,
	CTL_GIVEN_MAX_DEPTH,
	CTL_GIVEN_MAX_NAME,
	CTL_GIVEN_ENTRY_SHA256,
	CTL_GIVEN_FAIL_ON,		/* "fail-on": fail_on_suspicious */
	CTL_GIVEN_FORMATS,
	CTL_GIVEN_EXTRACT_SUSPICIOUS,
	CTL_GIVEN_MEMORY_LIMIT,		/* "memory-limit": the sandbox's */
	CTL_GIVEN_STALL,		/* "stall": stall_ms */
	CTL_GIVEN_MAX_TASKS,		/* "max-tasks-per-child": opts' max_tasks */
	CTL_GIVEN_MAX_RSS,		/* "max-child-rss": opts' max_rss, max_rss_hard */
	CTL_GIVEN_SHARD,		/* "shard": shard_k, shard_n */
	CTL_GIVEN_REUSE = 23,		/* "reuse": opts' reuse */
	CTL_GIVEN_RECHECK = 24,		/* "recheck" */
	CTL_GIVEN_MAX_STRIKES = 25,	/* "max-strikes": opts' max_strikes */
	CTL_GIVEN_INCLUDE = 26,		/* "include", "exclude": filters */
	CTL_GIVEN_SIZE = 27,		/* "min-size", "max-size": min_size, max_size */
	CTL_GIVEN_HALT = 28,		/* "halt": halt_fail, halt_soon */
	CTL_GIVEN__N
};
#define CTL_GIVEN_ALL	((UINT64_C(1) << CTL_GIVEN__N) - 1)

/* ERROR's code: a word on the wire. */
enum ctl_code {
	CTL_E_BAD_REQUEST,	/* "bad_request": refused by ctl_decode, or its values by the daemon */
	CTL_E_UNSUPPORTED,	/* "unsupported": another protocol version; a request before HELLO */
	CTL_E_NO_SUCH_JOB,	/* "no_such_job" */
	CTL_E_EXISTS,		/* "exists": a job of that name has another spec */
	CTL_E_BAD_STATE,	/* "bad_state": not in the job's state (resume a done job) */
	CTL_E_BUSY,		/* "busy": a limit of the daemon's; try again later */
	CTL_E_DENIED,		/* "denied": not for this peer's credentials */
	CTL_E_DISK_FULL,	/* "disk_full": the state directory is full */
	CTL_E_INTERNAL,		/* "internal": the daemon failed (its log says how) */
	CTL_E__N
};

/* A file's outcome, in the order of enum outcome (supervisor/store.h), so
 * that the daemon copies store_job.count[] and store_outcome.status as they
 * are: "ok", "failed", "crashed", "timeout", "skipped", "quarantined". */
enum ctl_outcome {
	CTL_OUT_OK, CTL_OUT_FAILED, CTL_OUT_CRASHED, CTL_OUT_TIMEOUT, CTL_OUT_SKIPPED,
	CTL_OUT_QUARANTINED, CTL_OUT__N
};

/* Which limit ended a timeout, in the order of enum time_limit
 * (supervisor/store.h): none, "stall", "total", "cpu", "adaptive". */
enum ctl_limit {
	CTL_LIM_NONE, CTL_LIM_STALL, CTL_LIM_TOTAL, CTL_LIM_CPU, CTL_LIM_ADAPTIVE, CTL_LIM__N
};

/* An EVENT's kind: "progress" (done or total moved), "outcome" (one file's,
 * committed), "state" (the job's state changed). */
enum ctl_event_kind { CTL_EV_PROGRESS, CTL_EV_OUTCOME, CTL_EV_STATE, CTL_EV__N };

/* The words of each vocabulary, "unknown" for anything else. */
const char *ctl_code_name(int code);
const char *ctl_outcome_name(int status);
const char *ctl_event_name(int kind);
/* A limit's word; "" for CTL_LIM_NONE. */
const char *ctl_limit_name(int limit);

/* Absolute paths as they lie in a frame: the packed msgpack bin objects of
 * the inputs array, n of them in len bytes. Build one by appending each path
 * to an ipc_buf with ctl_paths_add and counting them; walk one with
 * ctl_paths_next. */
struct ctl_paths {
	const uint8_t *packed;
	size_t len;
	uint32_t n;
};
/* Appends path (plen bytes) to b. 0, or -1 with errno ENOMEM. */
int ctl_paths_add(struct ipc_buf *b, const char *path, size_t plen);
/* The path at *off (0 for the first), advancing *off past it: 1 with *path
 * and *plen set (pointing into packed), 0 after the last, -1 on bytes that
 * are no bin. A list ctl_decode gave back yields exactly n, never -1. */
int ctl_paths_next(const struct ctl_paths *l, size_t *off, const char **path, size_t *plen);

/* The payloads. Byte strings are pointer and length, without NUL; a
 * decoded one points into the frame body and lives as long as it. An
 * optional one that is empty is left out on the wire, and absent reads as
 * empty. Times are milliseconds; *_ms that are instants are Unix time. */

struct ctl_hello {			/* CTL_HELLO */
	uint32_t version;		/* IPC_PROTO_VERSION */
	uint32_t pid;			/* the daemon's, in its answer; 0 in a request */
};

struct ctl_submit {			/* CTL_SUBMIT: a job's spec */
	const char *name; size_t name_len;	/* optional; the daemon names it */
	struct ctl_paths inputs;	/* 1..CTL_INPUTS_MAX, each absolute */
	const char *handler; size_t handler_len;	/* archive, sha256, exec, a plugin */
	const char *arg; size_t arg_len;	/* exec's command, a plugin's path, or empty */
	uint64_t timeout_ms;		/* per file, 1..CTL_TIMEOUT_MAX */
	uint32_t retries;		/* after a crash or timeout, 0..CTL_RETRIES_MAX */
	double halt_rate;		/* share of files not ok that halts, 0..1; 0: off */
	uint64_t halt_min;		/* ... once this many are done */
	uint32_t priority;		/* CTL_PRIORITY_MIN..MAX; a larger share of the pool */
	const char *extract; size_t extract_len;	/* an absolute directory, or empty */
	struct job_opts opts;		/* as job_opts_pack packs them */
	int wait;			/* 1: after OK, the job's EVENTs until it ends */
	uint64_t given;			/* CTL_GIVEN_* bits; optional on the wire: left
					 * out when CTL_GIVEN_ALL, and absent reads so */
	uint64_t stall_ms;		/* optional: 0 (off), or 200..CTL_TIMEOUT_MAX */
	uint32_t timeout_pct;		/* optional: 0 (off), or 1..100000 */
	uint32_t shard_k, shard_n;	/* --shard K/N; optional, both or neither:
					 * 1 <= K <= N <= SHARD_MAX; 0 when none */
	int recheck;			/* optional: 1, files changed since their
					 * outcome are processed again */
	const char *filters; size_t filters_len;	/* optional: packed as common/filter.h
					 * packs them, each checked by filter_check */
	uint64_t min_size;		/* optional: --min-size; 0: none */
	uint64_t max_size;		/* optional: --max-size, when has_max_size */
	int has_max_size;
	uint64_t halt_fail;		/* optional: --halt W,fail=N: N; 0: none */
	int halt_soon;			/* optional: --halt soon,...; 0: now */
};

/* The job a request acts on: STATUS, RESULTS, PAUSE, RESUME, CANCEL,
 * DELETE, RETRY, WATCH. job is a name, or a decimal id (docs/protocol.md
 * says which wins). */
struct ctl_target {
	const char *job; size_t job_len;	/* 1..CTL_NAME_MAX bytes */
	int failed;			/* RESULTS: only the files not ok */
	uint64_t after;			/* RESULTS: only the files of seq > after */
	int quarantined;		/* RETRY: release the quarantined files (only
					 * them); optional, absent 0 */
};

struct ctl_check {			/* CTL_CHECK; the file's descriptor rides with it */
	const char *handler; size_t handler_len;
	const char *arg; size_t arg_len;
	struct job_opts opts;
};

struct ctl_ok {				/* CTL_OK */
	uint32_t id;			/* the job acted on, or 0 */
	const char *name; size_t name_len;	/* its name, or empty */
};

struct ctl_error {			/* CTL_ERROR */
	int code;			/* enum ctl_code */
	const char *message; size_t message_len;	/* for people: 1..CTL_TEXT_MAX */
};

struct ctl_job {			/* CTL_JOB: a job's record, as struct store_job has it */
	uint32_t id;			/* >= 1 */
	const char *name; size_t name_len;
	const char *state; size_t state_len;	/* the supervisor's word: running, done, ... */
	const char *handler; size_t handler_len;
	const char *arg; size_t arg_len;
	const char *summary; size_t summary_len;	/* its inputs, for people */
	uint64_t created_ms, updated_ms;
	uint64_t finished_ms;		/* 0 while not finished */
	uint64_t total;			/* files known */
	uint64_t counts[CTL_OUT__N];	/* committed outcomes, by enum ctl_outcome */
	uint64_t runs;
	uint32_t workers;
	uint32_t priority;
	const char *reason; size_t reason_len;	/* why it waits or is slow, or empty */
};

struct ctl_row {			/* CTL_ROW, and an outcome's EVENT: store_outcome */
	uint64_t seq;			/* the file's place in its job, from 1 */
	const char *path; size_t path_len;	/* arbitrary bytes */
	int status;			/* enum ctl_outcome */
	uint32_t attempts;
	uint64_t duration_ms, finished_ms;
	int signal;			/* crashed by a signal: 1..255; else 0 */
	int exit_code;			/* crashed by exit: 0..255; else -1 (not 0!) */
	const char *error; size_t error_len;
	const uint8_t *result; size_t result_len;	/* one msgpack map, or empty */
	const char *tail; size_t tail_len;	/* a dead child's stderr, 0..CTL_TEXT_MAX */
	int limit;			/* a timeout's: enum ctl_limit; else CTL_LIM_NONE */
};

struct ctl_worker {			/* CTL_WORKER: one child slot */
	uint32_t slot;
	uint32_t pid;			/* 0 while none */
	const char *state; size_t state_len;	/* the supervisor's word: idle, busy, ... */
	const char *job; size_t job_len;	/* the job it serves (a name), or empty */
	const char *path; size_t path_len;	/* the file it runs, or empty */
	uint64_t running_ms;		/* on that file so far; 0 when idle */
	uint64_t tasks_done;
	uint64_t rss_bytes;		/* 0 when unknown */
};

struct ctl_event {			/* CTL_EVENT: to a WATCH or a SUBMIT with wait */
	const char *job; size_t job_len;	/* the job's name */
	int kind;			/* enum ctl_event_kind */
	uint64_t done, total;		/* files done and known, after it */
	const char *state; size_t state_len;	/* the job's state, after it */
	struct ctl_row row;		/* CTL_EV_OUTCOME only */
};

struct ctl_verdict {			/* CTL_VERDICT: CHECK's answer */
	int status;			/* enum ctl_outcome */
	const char *error; size_t error_len;
	const uint8_t *result; size_t result_len;	/* one msgpack map, or empty */
};

struct ctl_text {			/* CTL_TEXT: a chunk of a text answer (METRICS) */
	const char *text; size_t len;	/* 1..CTL_CHUNK_MAX bytes */
};

/* One message. CTL_JOBS, CTL_WORKERS, CTL_METRICS and CTL_END carry no
 * more than rid. */
struct ctl_msg {
	int type;			/* enum ipc_type, a CTL_* */
	uint64_t rid;			/* chosen by the client, echoed in every answer */
	union {
		struct ctl_hello hello;
		struct ctl_submit submit;
		struct ctl_target target;
		struct ctl_check check;
		struct ctl_ok ok;
		struct ctl_error error;
		struct ctl_job job;
		struct ctl_row row;
		struct ctl_worker worker;
		struct ctl_event event;
		struct ctl_verdict verdict;
		struct ctl_text text;
	};
};

/* Appends m as one whole frame (length prefix included) to b, growing it.
 * It writes only what ctl_decode accepts: the same rules are checked first.
 * Returns 0, or -1 with errno: EINVAL (a value ctl_decode would refuse, or
 * not a control type), EMSGSIZE (above the frame bound: CTL_FRAME_MAX for a
 * request, IPC_FRAME_MAX for an answer), ENOMEM. On -1, b is as it was. */
int ctl_put(struct ipc_buf *b, const struct ctl_msg *m);

/* Decodes one frame body (without its length prefix) of a type in accept
 * (CTL_REQUESTS in a daemon, CTL_REPLIES in a client; types of the child's
 * wire are never accepted). Returns 0, or -1 with a static description of
 * what was wrong in *why (valid until the next refusal): everything
 * ipc_decode refuses, a type not in accept, a bound, a relative path, a
 * NUL byte in a name, a word not in its vocabulary, a bit of SUBMIT's
 * given past CTL_GIVEN_ALL, options that
 * job_opts_unpack refuses. On -1, *out is zero but for rid: the request's
 * when the body is a well-formed msgpack map with a uint rid (the daemon
 * answers ERROR bad_request to it), else 0. Allocates nothing but the few
 * KiB msgpack-c takes to read opts. */
int ctl_decode(const uint8_t *body, size_t len, uint64_t accept, struct ctl_msg *out,
    const char **why);

#endif
