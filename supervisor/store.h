/* store: the state directory. Owns the LMDB environment, the lock that makes
 * one supervisor its owner, and the record formats of docs/state.md: jobs,
 * tasks (job id + seq, big-endian), a path index, the pending set and results.
 * Never touches the loop, children or the terminal. Single-threaded use. */
#ifndef CORRAL_STORE_H
#define CORRAL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/filter.h"
#include "ipc/jobopts.h"

typedef struct store store;

#define STORE_FORMAT 1	/* bump when a record format changes */

enum outcome {
	OUT_OK, OUT_FAILED, OUT_CRASHED, OUT_TIMEOUT, OUT_SKIPPED, OUT_QUARANTINED, OUT__COUNT
};
const char *outcome_name(int status);	/* "ok", "failed", ..., "quarantined" */
/* An attempt's status beyond the outcomes: its supervisor died while it
 * ran (docs/state.md, attempts). Never a file's outcome; never a strike. */
#define ATTEMPT_INTERRUPTED	16
const char *attempt_name(int status);	/* outcome_name, or "interrupted" */

/* Which limit ended a file as timeout: its running time past --timeout
 * (total; adaptive when the cap came from --timeout N%), no progress for
 * --stall (stall), or the kernel's RLIMIT_CPU (cpu). */
enum time_limit {
	TL_NONE, TL_STALL, TL_TOTAL, TL_CPU, TL_ADAPTIVE, TL__COUNT
};

/* A job's life: running, then done, halted (its --halt-on-error), failed
 * (its handler could not be set up), cancelled; interrupted when its owner
 * stopped or died first (resumable); paused by a request (resumable). */
enum job_state {
	JOB_RUNNING, JOB_DONE, JOB_HALTED, JOB_INTERRUPTED, JOB_FAILED, JOB_PAUSED,
	JOB_CANCELLED, JOB__COUNT
};
const char *job_state_name(int state);	/* "running", "done", ... */

struct store_job {
	uint32_t id;			/* 0 until first store_job_put */
	int state;			/* enum job_state */
	char name[256];
	char handler[4096];		/* archive, sha256, exec, or a plugin path */
	char arg[4096];			/* exec command; "" otherwise */
	char inputs[1024];		/* a summary of the inputs, for people */
	uint64_t created_ms, updated_ms;	/* unix time */
	uint64_t finished_ms;		/* 0 while running */
	uint64_t total;			/* tasks known */
	uint64_t next_seq;		/* seq the next new task gets (from 1) */
	uint64_t count[OUT__COUNT];	/* committed outcomes */
	uint64_t runs;			/* times a supervisor has taken it up */
	uint32_t workers;		/* children of the latest run, for status */
	uint32_t priority;		/* weight in dispatch, 1 to 100; 0: unset */
	char reason[512];		/* why it halted or failed, for people; or "" */
	int scanned;			/* every input is in its tasks: no scan to resume */
	int has_owner;			/* submitted to a service by ... */
	uint32_t owner;			/* ... this uid, whose read permission its files need */
	/* The job's spec beyond handler and arg: what makes it this job
	 * (docs/state.md). A record written before a field existed lacks
	 * it: has tells which ones this record holds (STORE_HAS_*). */
	unsigned has;
	uint64_t timeout_ms;
	uint32_t retries;
	struct job_opts opts;		/* the children's options */
	uint8_t opts_raw[1024];		/* ... as the record packs them, for */
	size_t opts_raw_len;		/* comparing the keys it has; 0: none */
	uint8_t inputs_id[32];		/* SHA-256 of the inputs as named */
	uint8_t list_id[32];		/* SHA-256 of the stdin list */
	int has_list;			/* the inputs hold the stdin list */
	double halt_rate;		/* --halt-on-error; 0: off */
	uint64_t halt_min;		/* --halt-min-sample; 0 when off */
	char extract[4096];		/* --extract DIR, absolute; "" when none */
	uint64_t stall_ms;		/* --stall; 0: off */
	uint32_t timeout_pct;		/* --timeout N%: N; 0: a fixed timeout */
	uint32_t shard_k, shard_n;	/* --shard K/N; both 0 when none */
	struct filter filter;		/* --include ... --max-size; zeros when none */
	uint64_t halt_fail;		/* --halt W,fail=N: N; 0 when none */
	int halt_soon;			/* --halt soon,...; 0: now */
};

enum {
	STORE_HAS_TIMEOUT = 1 << 0, STORE_HAS_RETRIES = 1 << 1, STORE_HAS_OPTS = 1 << 2,
	STORE_HAS_INPUTS = 1 << 3, STORE_HAS_LIST = 1 << 4, STORE_HAS_HALT = 1 << 5,
	STORE_HAS_EXTRACT = 1 << 6, STORE_HAS_STALL = 1 << 7, STORE_HAS_SHARD = 1 << 8,
	STORE_HAS_FILTER = 1 << 9, STORE_HAS_HALT_FAIL = 1 << 10, STORE_HAS_ALL = (1 << 11) - 1
};

/* What a crash or a kill left behind, to tell one bug from another
 * (docs/state.md, the outcome record's signature keys). */
enum { SIG_PROC_NONE, SIG_PROC_READ, SIG_PROC_UNAVAILABLE };
struct store_sig {
	int code;			/* si_code of its end: CLD_EXITED, CLD_KILLED,
					 * CLD_DUMPED; 0: not reaped */
	int signal;			/* the signal in its wait status (ours too,
					 * for a kill); 0 none */
	int has_progress;		/* the task sent a PROGRESS: ... */
	uint64_t done, total;		/* ... its last one's units */
	const char *what; size_t what_len;	/* ... and what it was at */
	int proc;			/* SIG_PROC_*: /proc read before a timeout kill */
	int64_t syscall;		/* ... the system call it was in; -1 none
					 * (running in user space) */
	const char *wchan; size_t wchan_len;	/* ... where the kernel had it wait */
};
/* The longest what and wchan kept. */
#define SIG_WHAT_MAX	255
#define SIG_WCHAN_MAX	63

/* One outcome: what results holds per file. The same map, one per
 * earlier attempt, is what the attempts database holds. */
struct store_outcome {
	int status;			/* enum outcome */
	uint32_t attempts;
	uint64_t duration_ms;
	uint64_t finished_ms;		/* unix time */
	int signal;			/* crashed by a signal: its number; else 0 */
	int exit_code;			/* crashed by exit: its code; else -1 */
	const char *error; size_t error_len;	/* empty when ok */
	const uint8_t *result; size_t result_len; /* raw msgpack map, or empty */
	const char *tail; size_t tail_len;	/* a dead child's last stderr, or empty */
	int limit;			/* timeout: enum time_limit; else TL_NONE */
	/* --reuse: the file's SHA-256 as its child sent it (HASH), or NULL;
	 * the job's reuse key (spec_reuse_key) with it when written, which
	 * indexes an ok outcome that is not itself reused. */
	const uint8_t *sha256;
	const uint8_t *reuse_key;
	uint32_t reused_job;		/* not 0: recorded from that job's ... */
	uint64_t reused_seq;		/* ... outcome of this seq, unrun */
	/* The file as the supervisor opened it for this outcome (--recheck,
	 * status --changed): its size and mtime; has_stat 0 when it was not
	 * opened (skipped before, or a record from before they were kept). */
	int has_stat;
	uint64_t size;
	uint64_t mtime_ns;		/* ns since the epoch */
	uint32_t strikes;		/* crashes and timeouts charged, durably */
	uint32_t pid;			/* the child that ran it; 0 none */
	uint64_t started_ms;		/* when it started; 0 unknown */
	struct store_sig sig;		/* a crash's or a kill's; code 0 else */
};

/* A pending task as dispatch sees it. path is malloc'd: free it. */
struct store_task {
	uint64_t seq;
	uint32_t attempts;		/* crashes/timeouts already charged */
	uint32_t strikes;		/* ... and not forgiven by a retry */
	int regular;			/* the scan saw a regular file */
	char *path;
	size_t path_len;
};

/* Opens (write: creating) the state directory. STORE_WRITE also takes an
 * exclusive lock on DIR/lock: a second owner gets EBUSY; and, being the
 * only owner, marks every job a previous owner left running interrupted.
 * STORE_READ writes nothing: a directory the reader cannot write (a
 * read-only copy, another user's) is read without LMDB's lock file, which
 * is safe only while no owner writes, so it fails with EBUSY (why "read")
 * while one does.
 * On failure returns NULL with errno and *why naming the step ("create",
 * "lock", "open"...). */
enum store_mode { STORE_READ, STORE_WRITE };
store *store_open(const char *dir, enum store_mode mode, const char **why);
void store_close(store *st);
/* Whether a process owns the state directory now: 1 yes (this one, or
 * another), 0 no, -1 unknown (errno). A reader asks it after reading a
 * job that says running: with no owner, that job was interrupted. It only
 * looks: it never takes the lock, so it never stands in an owner's way. */
int store_owned(store *st);
/* Bytes the data file takes on disk. */
uint64_t store_size(store *st);
/* Drops the map's pages from this process's resident set (they stay in
 * the page cache): LMDB reads through a shared map, so a long job would
 * otherwise count every page it ever read as its own memory. Only between
 * transactions; no pointer into a record may be held across it. Does
 * nothing while the data is under 16 MiB. */
void store_trim(store *st);
/* A text for the last LMDB error, for logs: "the disk is full (...)" when
 * store_full says so. */
const char *store_strerror(store *st);
/* Whether the last error was a lack of room (no space or quota on the
 * disk, or the map): 1, and nothing recorded was lost; the same write
 * can succeed once there is room. 0 otherwise. */
int store_full(store *st);
/* Whether the state directory's file system has room to go on with (8 MiB,
 * or it cannot tell): 1 or 0. */
int store_room(store *st);

/* Reads. Work inside the open write transaction when there is one, so the
 * owner sees its own uncommitted writes. 0 found, 1 not found, -1 error. */
int store_job_by_name(store *st, const char *name, struct store_job *out);
int store_job_by_id(store *st, uint32_t id, struct store_job *out);
int store_job_latest(store *st, struct store_job *out);
/* Calls fn for each job in id order; fn returning non-zero stops. */
int store_jobs_each(store *st, int (*fn)(const struct store_job *, void *), void *arg);

/* Up to max pending tasks of job with seq > after, in seq order. Returns the
 * count (0: none left) or -1. */
int store_pending(store *st, uint32_t job, uint64_t after, struct store_task *out, int max);
void store_task_free(struct store_task *t);

/* Calls fn for each task of job in seq order, with its outcome (NULL while it
 * has none). Pointers are valid during the call only. */
typedef int (*store_result_fn)(uint64_t seq, const char *path, size_t path_len,
    const struct store_outcome *o, void *arg);
int store_results_each(store *st, uint32_t job, store_result_fn fn, void *arg);
/* A page of the same walk, for a reader that streams a large job over many
 * calls (a socket that drains slowly): calls fn for the tasks of job with
 * seq > after, in seq order. mask picks them by their outcome's status
 * (1 << OUT_FAILED | ...): only tasks with an outcome whose status is in it;
 * 0 picks every task, with its outcome or NULL, as store_results_each does.
 * A call stops after max calls of fn, after STORE_CHUNK tasks examined (or
 * max, when larger) matched or not, at the end of the job's tasks, or after
 * a call of fn that returns non-zero. *last: the seq of the last task
 * examined, or after when none was; the next page goes on after it. A page
 * starts at its key (no rescan from the job's first task): it costs one
 * seek and the rows it examines, wherever after is.
 * Returns the number of calls of fn (0 to max). A page with *last == after
 * is the end: no task after it (with a mask: no outcome), for now: a job
 * still at work may add some.
 * -1 with ENOENT: no such job (also one deleted while it was paged); EINVAL:
 * max < 1; EBADMSG: a damaged record. */
int store_results_page(store *st, uint32_t job, uint64_t after, int max, unsigned mask,
    store_result_fn fn, void *arg, uint64_t *last);

/* A job's inputs as named and the directory relative ones are under
 * (store_inputs.c). get: 0, 1 none kept (a job of an older corral), -1.
 * put and del: only inside the write transaction; 0 or -1. */
struct store_inputs {
	char *cwd;			/* "" when none was needed */
	char **paths;			/* n of them, "-" for the list */
	int n;
	int sep;			/* the list's separator, '\n' or '\0' */
};
int store_inputs_get(store *st, uint32_t job, struct store_inputs *out);
void store_inputs_free(struct store_inputs *in);
int store_inputs_put(store *st, uint32_t job, const char *cwd, char *const *paths, int n, int sep);
int store_inputs_del(store *st, uint32_t job);

/* Writes. Everything from store_begin to store_commit is one LMDB write
 * transaction: the group commit. Only a STORE_WRITE store. */
int store_begin(store *st);
/* Assigns job->id (and created_ms) when 0, then writes the record. */
int store_job_put(store *st, struct store_job *job);
/* Adds path as a new pending task unless the job already has it: 0 added
 * (job->total and job->next_seq advance, *seq set), 1 known, -1 error.
 * regular: the scan saw a regular file there (dispatch may skip its lstat). */
int store_task_add(store *st, struct store_job *job, const char *path, size_t len, int regular,
    uint64_t *seq);
/* Charges a crash or timeout that will be retried: attempts (reset by a
 * retry) and strikes (reset only by a release of a quarantined file). */
int store_task_attempts(store *st, uint32_t job, uint64_t seq, uint32_t attempts,
    uint32_t strikes);
/* Records the outcome of task seq, removes it from pending and counts it in
 * job->count: 0 recorded, 1 it already had one (nothing changed), -1 error. */
int store_outcome_put(store *st, struct store_job *job, uint64_t seq, const struct store_outcome *o);
/* --reuse: the ok outcome indexed under the job's reuse key and a file's
 * SHA-256, when it is still there, ok, and of that content (a deleted
 * job's entries stay behind and are found missing here). 1 with its job,
 * seq and a malloc'd copy of its result map (*rlen bytes, NULL when
 * empty), 0 when there is none, -1 with the error kept. */
int store_reuse_find(store *st, const uint8_t key[32], const uint8_t sha256[32], uint32_t *job,
    uint64_t *seq, uint8_t **result, size_t *rlen);
/* The writes that walk a whole job do at most STORE_CHUNK rows a call (a
 * few milliseconds), so that an owner serving clients from an event loop
 * spreads a large job over many short transactions, committing between
 * calls. A caller that wants all of it at once calls again in the same
 * transaction while they return 1 (docs/state.md gives the cost). */
#define STORE_CHUNK	4096
/* Deletes job and everything of it; job gives its id, and its name should
 * its record be damaged. The first call removes the job's record and its
 * name: from that commit on no read finds the job, and its name may be
 * given to a new job (its id never is). Each call then removes up to
 * STORE_CHUNK rows of the job's pending set, results, path index and tasks,
 * in that order. Returns 0 when nothing of the job is left (also for one
 * that never existed); 1 when rows are left: call again with the same id,
 * after a commit or in the same transaction; -1 on error (EINVAL: no
 * transaction, or id 0). A job must be stopped before it is deleted: an
 * outcome put after the first call may stay behind, and a store_job_put
 * would bring its record back. */
int store_job_delete(store *st, const struct store_job *job);
/* A job that store_job_delete did not finish (its owner stopped between
 * two calls): its record is gone, some of its rows are not. 0 and *job set
 * to its id; 1 none; -1 error. A read, as cheap as one seek per job that
 * has tasks; a new owner asks it, then finishes with store_job_delete. */
int store_job_leftover(store *st, uint32_t *job);
/* Requeues the tasks of job whose outcome's status is in mask (1 <<
 * OUT_FAILED | ...): removes the outcome, puts the task back in pending with
 * no attempts charged, and takes it out of job->count. Examines the
 * outcomes of tasks with seq > *after, at most STORE_CHUNK a call; sets
 * *after to the last seq examined and *requeued to the tasks this call
 * requeued. Returns 0 when the job has no outcome after *after left to
 * examine; 1 when it has: call again with *after, after a commit or in the
 * same transaction; -1 on error (EINVAL: no transaction, id 0, or no status
 * in mask). The caller puts job and sets its state (a done job runs
 * again). Dispatch reading pending from a cursor (store_pending's after)
 * sees tasks requeued behind it only once it starts again from 0. */
int store_retry(store *st, struct store_job *job, unsigned mask, uint64_t *after,
    uint64_t *requeued);
/* The same walk, requeueing the tasks for which pick returns non-zero;
 * pick gets each outcome and its task's path (plen bytes, valid during
 * the call). EBADMSG when an outcome has no task record. */
typedef int (*store_pick_fn)(const struct store_outcome *o, const char *path, size_t plen,
    void *arg);
int store_requeue_if(store *st, struct store_job *job, store_pick_fn pick, void *arg,
    uint64_t *after, uint64_t *requeued);
/* What a plain retry makes pending again: failed, crashed and timed out,
 * never quarantined (that takes a release, mask 1 << OUT_QUARANTINED,
 * which also forgives the strikes). */
#define STORE_RETRY_MASK	(1u << OUT_FAILED | 1u << OUT_CRASHED | 1u << OUT_TIMEOUT)
/* Files of a job's record with an outcome: the sum of its counts. */
uint64_t store_done(const struct store_job *j);
/* The attempt history (store_history.c; docs/state.md, attempts). */
/* Adds an attempt that did not end the file (a retried crash, an
 * interrupted one) as the task's next: 0 or -1. Inside the write
 * transaction only. */
int store_attempt_put(store *st, uint32_t job, uint64_t seq, const struct store_outcome *o);
/* Calls fn for each earlier attempt of task seq in order (1, 2, ...); the
 * outcome's pointers live for the call. 0, or -1 (EBADMSG). */
typedef int (*store_attempt_fn)(uint32_t n, const struct store_outcome *o, void *arg);
int store_attempts_each(store *st, uint32_t job, uint64_t seq, store_attempt_fn fn, void *arg);
/* What runs now, as the owner last committed it: one entry per running
 * task. set: replaces them all (inside the write transaction). */
struct store_inflight {
	uint32_t job;
	uint64_t seq;
	uint32_t pid;
	uint64_t started_ms;
};
int store_inflight_set(store *st, const struct store_inflight *v, int n);
/* Whether task seq ran at the last commit: 0 with *out, 1 no, -1. */
int store_inflight_get(store *st, uint32_t job, uint64_t seq, struct store_inflight *out);
/* A file's task, its outcome: 0 found, 1 not, -1. find: the seq of path
 * in job. get: the task's path (malloc'd into *path), attempts, strikes.
 * outcome: fn's arg gets the outcome (pointers for the call). */
int store_task_find(store *st, uint32_t job, const char *path, size_t len, uint64_t *seq);
int store_task_get(store *st, uint32_t job, uint64_t seq, struct store_task *out);
int store_outcome_get(store *st, uint32_t job, uint64_t seq,
    int (*fn)(const struct store_outcome *o, void *arg), void *arg);
/* Commits (durably, unless the store was opened with CORRAL_NOSYNC set in the
 * environment, a benchmark-only switch). 0 or -1; on -1 nothing was written. */
int store_commit(store *st);
void store_abort(store *st);
/* Whether a write transaction is open. */
int store_in_txn(store *st);

#endif
