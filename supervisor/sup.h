/* sup: the supervisor. One thread, one libev loop: the child pool (slot.c),
 * the jobs it runs (job.c, scan.c), the group commit into the store, signals,
 * progress and shutdown. `run` is this with one job; nothing here assumes
 * there is only one. Never runs a handler and never blocks on a child. */
#ifndef CORRAL_SUP_H
#define CORRAL_SUP_H

#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <ev.h>

#include "common/filter.h"
#include "ipc/ipc.h"
#include "supervisor/damp.h"
#include "supervisor/death.h"
#include "supervisor/errlog.h"
#include "supervisor/stats.h"
#include "supervisor/store.h"

/* Tasks queued at a child, at most: each has its descriptor, and its
 * extraction directory's with --extract. */
#define DEPTH_MAX	(IPC_FD_QUEUE / 2)

/* The pool's own options: what the supervisor is, whatever jobs it runs. */
struct pool_opts {
	const char *state_dir;
	uint32_t workers;
	uint32_t depth;			/* tasks queued per child; 0: by their pace */
	const char *worker;		/* the worker program */
	int verbose;
	double host_wait;		/* seconds a job may be refused by the host
					 * (hold.c) before it stops; 0: the default */
	int service;			/* a service: such a job is paused instead,
					 * and the pool never stops for it */
};
#define HOST_WAIT_DEFAULT	60.0

/* What one job asks for: its spec (stored in its record, spec.c) and how
 * it is named and weighed. Owned by the caller until sup_job_open returns. */
#define PRIORITY_DEFAULT	10
#define PRIORITY_MAX		100

struct job_spec {
	const char *job_name;		/* NULL: derived from what follows */
	const char *handler;		/* archive, sha256, exec, or a .so path */
	const char *exec_cmd;		/* exec's command, else NULL */
	char **inputs;			/* paths; "-" is the stdin list */
	int ninputs;
	int list_sep;			/* '\n' or '\0' for the stdin list */
	uint64_t timeout_ms;
	uint32_t retries;
	double halt_rate;		/* 0: off */
	uint64_t halt_min;
	const char *extract_dir;	/* --extract DIR, or NULL */
	uint32_t priority;		/* 1 to PRIORITY_MAX: its weight in dispatch */
	int has_owner;			/* submitted to a service by ... */
	uid_t owner;			/* ... this user: only what it may read is read */
	struct job_opts child;		/* what the children are told */
	uint64_t stall_ms;		/* --stall; 0: off */
	uint32_t timeout_pct;		/* --timeout N%: N; 0: off */
	uint32_t shard_k, shard_n;	/* --shard K/N: 1 <= K <= N; N 0: none */
	int recheck;			/* --recheck: taken up again, a file changed
					 * since its outcome is pending again (not
					 * part of the spec) */
	struct filter filter;		/* --include, --exclude, --min-size, --max-size */
	uint64_t halt_fail;		/* --halt W,fail=N: N; 0: none */
	int halt_soon;			/* --halt soon,...: in-flight files finish */
};
/* --stall's least: a child reports progress at most once per
 * IPC_PROGRESS_EVERY_MS, so less would kill a file between reports. */
#define STALL_MIN_MS		(2 * IPC_PROGRESS_EVERY_MS)
#define TIMEOUT_PCT_MAX		100000u

/* A file on its way through: fetched from the store, queued, in a child. */
struct task {
	struct task *next;
	struct job *job;
	uint64_t seq;			/* its key in the store */
	uint64_t id;			/* its id on the wire */
	uint32_t attempts;		/* crashes and timeouts charged so far */
	uint32_t strikes;		/* ... and not forgiven by a retry */
	int regular;			/* the scan saw a regular file there */
	pid_t pid;			/* the child it runs in, once running */
	const struct store_sig *crash;	/* how that child ended, during sup_task_end */
	ev_tstamp started;		/* when it became its child's running task */
	ev_tstamp heard;		/* ... or its last PROGRESS, when later */
	int limit;			/* the time limit that ended it (enum time_limit) */
	size_t path_len;
	char *path;			/* NUL-terminated copy */
	/* A check's: the file as its client opened it, and who waits for
	 * the verdict (sup_check). -1 and NULL for a job's file. */
	int fd;
	struct check_wait *wait;
	/* --reuse: its content's digest once its child sent HASH; and when
	 * an earlier outcome stands for it, that one's job, seq and result
	 * map (malloc'd), recorded when the child answers. */
	int hashed;
	uint8_t sha256[32];
	uint32_t reused_job;
	uint64_t reused_seq;
	uint8_t *reused_result;
	size_t reused_result_len;
	/* The file as task_open found it, kept with its outcome. */
	int has_stat;
	uint64_t size, mtime_ns;
};

/* An outcome written into the open transaction, shown once it commits. */
struct finished {
	struct finished *next;
	struct job *job;
	uint64_t seq;
	struct store_outcome o;
	size_t path_len;
	char *path;
	char *bytes;			/* owns o.error, o.result and o.tail */
};

struct scan;
struct check_wait;

/* What a check's client hears: the outcome, never stored. Pointers live
 * for the call. */
typedef void check_done_fn(void *arg, int status, const char *error, size_t elen,
    const uint8_t *result, size_t rlen);

/* A check waiting for its verdict (sup_check). */
struct check_wait {
	struct task *t;			/* NULL once answered or cancelled */
	check_done_fn *done;
	void *arg;
};

struct job {
	struct job *next;
	struct sup *sup;
	struct store_job rec;		/* as committed, plus this transaction */
	char **inputs;			/* its own copy of the spec's inputs */
	int ninputs;
	int listfd;			/* its stdin list, kept in the state dir; or -1 */
	int list_sep;			/* ... and its separator */
	char *prefix;			/* "DIR/" its relative paths are under; or NULL */
	int outfd;			/* --extract DIR/JOB, or -1 */
	uid_t uid;			/* whom its children run as, or -1 */
	gid_t gid;
	char *wire_opts;		/* rec.opts packed for the JOB message */
	size_t wire_opts_len;
	struct scan *scan;		/* NULL once the inputs are all known */
	struct task *ready, *ready_tail;	/* fetched, not yet dispatched */
	int nready;
	uint64_t cursor;		/* highest seq fetched from pending */
	int inflight;			/* tasks in children */
	int unseen;			/* outcomes in the open transaction */
	uint64_t fresh[OUT__COUNT];	/* ... by status */
	uint64_t committed[OUT__COUNT];	/* committed by this process, by status */
	int dirty;			/* rec changed in the open transaction */
	int changed;			/* its state changed: published after the commit */
	int held;			/* slots whose child is set up for it */
	int nowner_groups;		/* the owner's groups (rec.owner), -1: no owner */
	gid_t owner_groups[64];
	double usage;			/* slot-seconds its tasks have run, this run */
	uint64_t done_at_start;		/* for this run's rate */
	uint64_t bad_at_start;		/* failed, crashed, timeout: for --halt W,fail=N */
	uint64_t seq_at_start;		/* tasks before it were walked before this run (or
					 * retry): what they were then is looked at again */
	uint64_t filtered;		/* files its scans' filters left out, this run */
	int halting;			/* --halt soon: no new file goes out */
	char halt_why[256];		/* ... and why, for when the last one is back */
	ev_tstamp t0;
	int check;			/* a check lane's profile: never stored, never ends */
	ev_tstamp used_at;		/* a check profile's last task */
	ev_timer hold;			/* refused by the host: waiting (hold.c) */
	ev_tstamp hold_since;		/* the first refusal since an outcome; or 0 */
	double hold_delay;		/* the wait after the next refusal */
	struct median ok_s;		/* its ok files' durations, seconds (--timeout N%) */
	int has_reuse_key;		/* --reuse: spec_reuse_key(rec), once asked */
	uint8_t reuse_key[32];
	struct damp damp;		/* crash-loop damping (damping.c) */
	ev_timer damp_timer;		/* ... the next probe's back-off */
};

/* A slot's states (slot.c has the table of what each event does in each). */
enum slot_state {
	SLOT_EMPTY,	/* no child: waiting to (re)spawn */
	SLOT_STARTING,	/* spawned, no hello yet */
	SLOT_IDLE,	/* said hello, nothing queued: takes tasks */
	SLOT_BUSY,	/* tasks queued; the oldest is running, under its deadline */
	SLOT_LOST,	/* hung up (EOF, or a write failed): waiting for the reap */
	SLOT_KILLING,	/* killed by us: waiting for the reap */
	SLOT__COUNT
};

/* Why a child is replaced at its job's limits (stats' recycles). */
enum slot_recycle_why {
	RECYCLE_NONE = -1,
	RECYCLE_TASKS,		/* --max-tasks-per-child files done */
	RECYCLE_RSS		/* --max-child-rss passed after a file */
};

struct slot {
	struct sup *sup;
	int index;
	enum slot_state state;
	pid_t pid;
	int sock;
	int execfd;			/* exec-status pipe until exec is known to work */
	ev_io rio, wio, eio;
	ev_timer timer;			/* respawn, hello wait, deadline, reap wait or grace */
	ev_timer nap;			/* reads paused while its queue is long */
	ev_child cw;
	struct errlog err;		/* the child's stderr */
	struct ipc_reader rd;
	struct ipc_buf out;		/* bytes not yet taken by the socket */
	size_t out_off;
	struct task *q, *q_tail;	/* sent, in order; q is the running one */
	int nq;
	struct job *job;		/* the job its child was sent, for life; or NULL */
	int job_ready;			/* the child said READY for it: walls up */
	ev_tstamp job_since;		/* when it took the job */
	int reading;			/* its socket is read (no EOF yet) */
	enum slot_kill_why kill_why;	/* why we killed it, once KILLING */
	int kill_limit;			/* KILL_TIMEOUT: which (enum time_limit) */
	char why[256];			/* the words that go with kill_why */
	int exec_errno;
	int in_cb;			/* inside one of its own callbacks */
	int stepping;			/* in slot_step: events wait till its end */
	int stop_pending, recycle_pending;	/* ... a stop or a recycle did */
	int lane;			/* a check lane's: serves checks only */
	unsigned drop;			/* teardown asked for, done after the callback */
	uint64_t tasks_done;
	ev_tstamp ended_at;		/* its child was lost: for --stats */
	double busy_s, busy_n;		/* recent tasks' running time and count */
	struct store_sig crash;		/* the running task's last progress, and
					 * /proc read before its timeout kill; */
	char crash_what[SIG_WHAT_MAX + 1];	/* ... their bytes */
	char crash_wchan[SIG_WCHAN_MAX + 1];
	ev_tstamp read_at;		/* its last read of answers */
	enum slot_recycle_why spent;	/* at its job's limits: being replaced */
};

/* Who hears what the pool did, once it is durable: each outcome and each
 * job's change of state after the commit that wrote it, and the end of
 * each commit. Any callback may be NULL. A subscriber with a job hears only
 * that job's. Callbacks may call sup_stop and sup_job_end, never free the
 * job. */
struct sup_sub {
	struct sup_sub *next;
	struct job *job;
	void (*outcome)(void *arg, struct job *j, uint64_t seq, const char *path, size_t plen,
	    const struct store_outcome *o);
	void (*job_changed)(void *arg, struct job *j);
	void (*committed)(void *arg);
	void *arg;
};

struct sup {
	struct ev_loop *loop;
	store *st;
	struct pool_opts opts;
	struct job *jobs;
	struct slot **slots;
	int nslots;
	struct sup_sub *subs;
	int want_outcomes;		/* subscribers with an outcome callback */
	ev_timer commit_timer;
	ev_idle scan_idle;
	ev_io scan_io;			/* the stdin list, while it has nothing */
	struct finished *fin, *fin_tail;
	int nfin;
	size_t fin_bytes;
	uint64_t next_id;
	int start_failures;		/* children in a row that died unused */
	int ever_hello;
	int stopping;			/* shutting down: dispatch nothing */
	int failed;			/* stopped by a fatal error of the pool */
	char failure[1024];		/* ... in one line */
	int store_failed;		/* a commit failed: write nothing more */
	int inflight_dirty;		/* a running task started or ended: the
					 * next commit records what runs (strike.c) */
	int fds_at_start;
	ev_tstamp started;		/* when the pool began */
	ev_tstamp stopped_for;		/* time spent stopped by sup_suspend, in all */
	ev_tstamp trimmed;		/* when the store's map was last trimmed */
	int topup;			/* dispatch fills every queue (a commit is next) */
	int loop_running;
	int draining;			/* a service stopping: nothing new dispatched */
	int disk_full;			/* no room to record: nothing runs (sup_store_error) */
	double full_probe;		/* seconds to the next try */
	ev_timer full_timer;
	int nlanes;			/* slots (the last ones) that serve checks only */
	uint64_t check_timeout_ms;	/* a check's limit */
	uint32_t next_check_job;	/* ids of check profiles, above every stored job's */
	struct sandbox_opts child_sandbox;	/* a service's walls for every job */
	pid_t pid;
	int depth_cap;			/* tasks a child may hold (its descriptors) */
	ev_tstamp spawn_since;		/* forks refused since a worker started; or 0 */
	ev_tstamp refusal_logged;	/* the last refusal logged (one a minute) */
	uint64_t refusals_unlogged;	/* ... and those since, not logged */
	double spawn_delay;
	int spawned;			/* sup_spawn has started the children */
	struct stats stats;
};

/* sup.c */
/* Opens the state directory as its owner and sets up the pool (no child
 * yet). Returns 0, or -1 with one line in err (the directory is another
 * process's, cannot be created, ...). */
int sup_init(struct sup *s, const struct pool_opts *o, char *err, size_t errlen);
/* Opens the job the spec names, or resumes it, and adds it to the pool.
 * Returns it, or NULL with one line in err (bad inputs, another spec under
 * the same name, the store's errors). */
struct job *sup_job_open(struct sup *s, const struct job_spec *spec, char *err, size_t errlen);
/* Takes up every job a previous owner left running, interrupted or
 * paused. Returns how many, or -1 with err (the store). A job that cannot
 * be taken up is logged and left as it is. */
int sup_adopt(struct sup *s, char *err, size_t errlen);
/* The job by name or decimal id, or NULL. */
struct job *sup_job_find(struct sup *s, const char *name);
/* Pause: it takes no more tasks, those in children finish. Resume: it
 * takes tasks again. 0, or -1 with EINVAL when it is in no state to. */
int sup_job_pause(struct sup *s, struct job *j);
int sup_job_resume(struct sup *s, struct job *j);
/* Whether the job's owner (rec.owner, a service's submitter) may have want
 * (R_OK, R_OK | X_OK) on sb, by its owner, group and other bits as the
 * kernel would decide without ACLs; 1 for a job with no owner. */
int job_owner_may(const struct job *j, const struct stat *sb, int want);
/* Ends the pool's hold on a job that is not running and has nothing in
 * flight (another of the same name takes its place). */
void sup_job_forget(struct sup *s, struct job *j);
/* Deletes a job that is not running, and everything of it: the store's
 * records, its kept inputs and list. 0 or -1 (the store's error). */
int sup_job_delete(struct sup *s, const struct store_job *rec);
/* A finished job taken up again, not yet running (for retry). */
struct job *sup_job_take_up(struct sup *s, const struct store_job *rec);
/* Runs again a job whose files were made pending again (retry). */
void sup_job_rerun(struct sup *s, struct job *j);
/* Another number of children: new slots start, slots beyond n stop (what
 * their children hold is pending again). */
void sup_resize(struct sup *s, int n);
/* DIR/serve names the control socket while a service owns DIR, so that a
 * `corral run` refused there can say where to submit. */
int sup_mark_service(struct sup *s, const char *socket);
void sup_unmark_service(struct sup *s);
/* The check lane: n more children, beyond the workers, that serve only
 * checks, so that no batch job can fill them. */
void sup_lanes(struct sup *s, int n);
/* Runs one file (fd, the caller's: dup'ed) through a child of the lane set
 * up for the handler (handler, arg, opts; timeout_ms), ahead of every job;
 * done is called once with its outcome, unless sup_check_cancel comes
 * first. Returns a handle, or NULL with errno (ENOMEM, EMFILE). */
struct check_wait *sup_check(struct sup *s, const char *handler, const char *arg,
    const struct job_opts *opts, uint64_t timeout_ms, int fd, check_done_fn *done, void *arg_);
/* Its client is gone: dropped if queued, its child killed if running. */
void sup_check_cancel(struct sup *s, struct check_wait *w);
/* Starts the children, once: a front end calls it before it opens its job,
 * so that their start (an exec, its libraries) overlaps the job's set-up
 * instead of following it. */
void sup_spawn(struct sup *s);
/* Starts the children (if sup_spawn has not) and runs the loop until
 * sup_stop. */
void sup_run(struct sup *s);
/* Frees the pool and its jobs, and closes the store. */
void sup_free(struct sup *s);
void sup_subscribe(struct sup *s, struct sup_sub *sub);
void sup_unsubscribe(struct sup *s, struct sup_sub *sub);
/* Ends a job: done, halted, failed, cancelled (why, for a person, or
 * NULL). It takes no more tasks; its children are recycled, their tasks
 * pending again. Published once committed. The pool goes on. */
void sup_job_end(struct sup *s, struct job *j, int state, const char *why);
/* After an outcome of j is recorded: its halt rules (halt.c). It may end
 * the job, or mark it halting: no file goes out, and sup_halt_settle ends
 * it once those in children are back (0, or -1 when the commit failed). */
void sup_halt_check(struct sup *s, struct job *j);
int sup_halt_settle(struct sup *s, struct job *j);
/* Stops the pool: children killed, running jobs interrupted (resumable),
 * everything committed, the loop left. */
void sup_stop(struct sup *s);
/* The same for a fault of the pool itself (the store, the worker program):
 * logged, and kept in s->failure. */
void sup_fatal(struct sup *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A write to the store failed (what: the step, for the log): for want of
 * room, the pool waits for room and starts again from what the store has,
 * losing nothing recorded; for anything else, sup_fatal. */
void sup_store_error(struct sup *s, const char *what);
/* A job stop (Ctrl-Z): children stopped with the process, and the time
 * spent stopped given back to their deadlines once continued, and added to
 * stopped_for (for front ends' rates). */
void sup_suspend(struct sup *s);
void sup_dispatch(struct sup *s);
/* A task's end as the pool saw it: an answer, a crash, a timeout. The task
 * is consumed (recorded, retried, or both). tail: the last of a dead
 * child's stderr, or NULL. */
void sup_task_end(struct sup *s, struct task *t, int status, const char *error, size_t elen,
    const uint8_t *result, size_t rlen, int sig, int exit_code, const char *tail, size_t tlen);
/* Back to the front of its job's queue, uncharged. */
void sup_requeue(struct sup *s, struct task *t);
/* A job's set-up in a child failed (its plugin cannot load, say): the job
 * fails with why; the pool goes on. */
void sup_job_setup_failed(struct sup *s, struct job *j, const char *why);
void task_free(struct task *t);
/* HASH: t's content digest came (t is its child's running task). Returns
 * 1 when an earlier ok outcome of the same spec stands for it (kept in
 * t), else 0: the handler runs. */
int sup_task_hashed(struct sup *s, struct task *t, const uint8_t sha256[32]);
/* Writes an outcome into the open transaction; it is published once that
 * commits. 0 or -1 (fatal). */
int sup_record(struct sup *s, struct job *j, uint64_t seq, const char *path, size_t plen,
    const struct store_outcome *o);
/* Commits the open group-commit transaction and publishes what it held:
 * 0, or -1 (handled: sup_store_error). */
int sup_commit(struct sup *s);
/* Drops the outcomes gathered for a commit that will not be. */
void sup_fin_clear(struct sup *s);
/* strike.c: strikes, quarantine, signatures and what runs (docs/state.md,
 * "Attempts and strikes"). strike_end: the running task t crashed or timed
 * out (*status): charges its strike and attempt; 1 when it runs again
 * (requeued, the attempt in its history), 0 when *status (now perhaps
 * OUT_QUARANTINED) is to be recorded in o. strike_commit: the running
 * tasks into the open transaction, when they changed. strike_proc: the
 * child's /proc wchan and syscall into g, before a timeout kill.
 * strike_code: the si_code of a wait status, and its signal in *sig. */
int strike_end(struct sup *s, struct task *t, int *status, struct store_outcome *o);
int strike_commit(struct sup *s);
void strike_proc(pid_t pid, struct store_sig *g, char *wchan, size_t len);
int strike_code(int reaped, int status, int *sig);
/* The job's --max-strikes (its opts'; never 0). */
uint32_t strike_max(const struct job *j);

/* hold.c: the host's refusals (EMFILE, ENFILE, EAGAIN, ENOMEM, ENOBUFS)
 * are no file's outcome. sup_host_refused says whether errno is one;
 * sup_host_limit names the limit in words. job_hold: the caller has put
 * the task back (or will read the directory again); the job waits, then
 * dispatch and the scan try again; refused for --host-wait with nothing
 * in children, a run stops (sup_fatal, resumable) and a service pauses the
 * job. job_hold_lifted: an outcome was recorded. job_held: waiting now.
 * sup_spawn_refused: a worker's fork refused; returns the seconds to wait
 * before the next, or -1 when the run stopped. sup_spawn_given: a worker
 * said hello. */
static inline int
sup_host_refused(int e)
{
	return e == EMFILE || e == ENFILE || e == EAGAIN || e == ENOMEM || e == ENOBUFS ||
	    e == ETOOMANYREFS;
}
const char *sup_host_limit(int e);
void job_hold_init(struct job *j);
void job_hold_stop(struct job *j);
void job_hold(struct sup *s, struct job *j, int err, const char *what);
void job_hold_lifted(struct sup *s, struct job *j);
/* A child's answer that the host refused it what the file needed (RESULT
 * host, an errno; error its words): the task is pending again, uncharged,
 * and its job held. */
void sup_task_refused(struct sup *s, struct task *t, int err, const char *error, size_t elen, pid_t pid);
int job_held(const struct job *j);
double sup_spawn_refused(struct sup *s, int err, const char *what);
void sup_spawn_given(struct sup *s);
/* damping.c: a job's crash-loop damping (damp.h). job_damp_end: a task
 * of the job ended with status (sup_task_end); returns 1 when it goes back
 * pending uncharged (it died in a pause, not the probe). job_damp_back: a
 * task went back uncharged. job_damp_room: how many of room dispatch may
 * send it now (0 while paused, 1 for a probe that is due).
 * job_damp_sent: t was sent. job_damp_reason: the live reason; returns
 * whether it is paused. job_damp_forget: a stored reason of an old pause
 * dropped (a job taken up again). */
void job_damp_init(struct job *j);
void job_damp_stop(struct job *j);
void job_damp_forget(struct job *j);
int job_damp_end(struct sup *s, struct task *t, int status, const char *error, size_t elen);
void job_damp_back(struct job *j, struct task *t);
int job_damp_room(const struct job *j, int room);
void job_damp_sent(struct job *j, const struct task *t);
int job_damp_reason(const struct job *j, char *out, size_t len);
/* sched.c: the job a slot serves next, or NULL (nothing to do, or the
 * slot is being recycled to move to another job). */
struct job *sched_pick(struct sup *s, struct slot *sl);
/* Adds a job to the pool's list, its scan started. */
void sup_job_append(struct sup *s, struct job *j);
/* Opens the group-commit transaction if none is: 0 or -1 (fatal). */
int sup_txn(struct sup *s);
/* The supervisor's own check before a file goes to a child: never follow a
 * link, never open a FIFO or a device, only regular files pass (regular:
 * a walk saw one there, so open and fstat decide alone). Returns the
 * descriptor (read-only, non-blocking, close-on-exec) with *sb its fstat;
 * -1 with why, the file's own reason to be skipped; or -2 with errno when
 * the host refused (sup_host_refused): no outcome. */
int sup_file_open(const char *path, int regular, struct stat *sb, char *why, size_t len);
/* The bytes as a terminal-safe string, in one of a few rotating static
 * buffers: for log lines naming untrusted paths and messages. */
const char *sup_esc(const char *str, size_t len);

/* slot.c: one child process per slot, one state x event table; death.c
 * classifies each child's end. */
void slot_init(struct sup *s, struct slot *sl, int index);
/* Starts its first child. */
void slot_spawn(struct slot *sl);
/* How many tasks the slot takes now (0: none). */
int slot_room(const struct slot *sl);
/* ... of job j: room, less what its --max-tasks-per-child leaves. */
int slot_budget(const struct slot *sl, const struct job *j, int room);
/* Sends n tasks of one job, with their descriptors, in one write: 0, or
 * -1 (the tasks untouched: requeue them). */
int slot_send(struct slot *sl, struct task **t, int n, const int *fds, int nfds);
/* Kills the child at once, never waiting for it: every task it holds goes
 * back uncharged, but for one it was already being killed for. */
void slot_shutdown(struct slot *sl);
/* Replaces the child with a fresh one, set up for no job: its tasks go
 * back uncharged. For a slot moving to another job, or whose job ended. */
void slot_recycle(struct slot *sl);
/* Frees what the slot holds once the loop has stopped. */
void slot_free(struct slot *sl);
/* Shifts running deadlines after the job was stopped for `by` seconds. */
void slot_shift(struct slot *sl, ev_tstamp by);
void slot_stop_children(struct sup *s, int sig);
/* Signals a child's process group; never anything but a child's. */
void slot_kill(pid_t pid, int sig);
const char *slot_state_name(int state);
/* The child's resident set, bytes; 0 when unknown. */
uint64_t slot_rss(const struct slot *sl);

/* job.c */
/* Opens the job the spec names, or resumes it: checked against its
 * record's spec, stored, its scan started. Returns it, or NULL with a
 * one-line message in err (bad inputs, another spec under the same name,
 * the store's errors). */
struct job *job_open(struct sup *s, const struct job_spec *o, char *err, size_t errlen);
/* The ids of the check lane's profiles: above any stored job's. */
#define CHECK_JOB_ID	0xf0000000u
/* A check lane's profile (sup_check): a job in memory only, running for
 * good, with no retries. NULL when memory ran out. */
struct job *job_check_new(struct sup *s, const char *handler, const char *arg,
    const struct job_opts *opts, uint64_t timeout_ms, uint32_t id);
/* DIR/lists/HEX: the kept list whose digest is id. */
void job_list_path(const char *dir, const uint8_t id[32], char *out, size_t len);
/* Takes up a job a previous owner left (running, interrupted or paused):
 * its scan resumed from its kept inputs. NULL with one line in err. */
struct job *job_adopt(struct sup *s, const struct store_job *rec, char *err, size_t errlen);
void job_free(struct job *j);
/* The next task to dispatch, scanning and fetching as needed; NULL when
 * none is ready now. */
struct task *job_next(struct job *j);
/* Puts a task at the end of its queue. */
void job_queue(struct job *j, struct task *t);
/* Drops the queue: what is pending is read from the store again, from
 * its first task (after a lost write, or files made pending again). */
void job_reread(struct job *j);
/* Puts a task job_next gave back at the front of the queue. */
void job_unnext(struct job *j, struct task *t);
/* Scans its inputs again from the start (what the store has is kept):
 * after a write that was lost. 0, or -1 with errno. */
int job_rescan(struct job *j);
/* Whether it has a task to dispatch now. */
int job_has_work(struct job *j);
/* Whether nothing is left: inputs scanned, nothing pending or in flight. */
int job_complete(struct job *j);
/* Outcomes committed so far. */
uint64_t job_done(const struct job *j);
/* Its files failed, crashed, timed out or quarantined, all runs. */
uint64_t job_bad(const struct job *j);
/* Runs the scan for a bounded number of entries: 1 more to do, 0 done,
 * 2 waiting for stdin, SCAN_REFUSED refused by the host (the job is held). */
int job_scan_step(struct job *j, int budget);

/* scan.c: the inputs, walked in path order, a bounded step at a time. */
/* listfd: the list an input "-" names (a descriptor the scan reads, not
 * owns). prefix: "DIR/" under which relative paths are looked up, or NULL.
 * exclude: a directory never to scan into (the state directory). */
struct scan *scan_new(char **inputs, int n, int list_sep, int listfd, const char *prefix,
    const char *exclude);
void scan_free(struct scan *sc);
/* What the scan yields: a path, whether the walk saw a regular file there,
 * and an error (or NULL) naming why the walk could not read it. */
typedef int (*scan_fn)(const char *path, size_t len, int regular, const char *error, void *arg);
/* A directory is walked only if may_enter(its stat, arg) says 1; else it
 * is reported unreadable (Permission denied). */
void scan_guard(struct scan *sc, int (*may_enter)(const struct stat *, void *), void *arg);
/* The base name of an input as named, its trailing slashes aside: a
 * pointer into in, and its length ("/" and "a/" are themselves). */
const char *scan_base_name(const char *in, size_t *len);
/* --shard K/N: only the paths of shard K (1..n) are yielded; n 0: all. */
void scan_shard(struct scan *sc, uint32_t k, uint32_t n);
/* Only the files f lets through are yielded (a copy of f is kept). */
void scan_filter(struct scan *sc, const struct filter *f);
/* The files the filter left out since the last call. */
uint64_t scan_filtered(struct scan *sc);
/* Yields up to budget paths to fn. Returns 1 if more remain, 0 when done,
 * 2 when waiting for stdin, SCAN_REFUSED with errno when the host refused
 * to open a directory (sup_host_refused): nothing is yielded for it, and
 * the next step tries it again. -1 when fn failed. */
#define SCAN_REFUSED	3
int scan_step(struct scan *sc, int budget, scan_fn fn, void *arg);
/* For the stdin list: the descriptor to watch while scan_step returns 2. */
int scan_wait_fd(const struct scan *sc);

#endif
