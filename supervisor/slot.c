/* slot: one child process per slot, as one state x event table.
 *
 *	EMPTY --start--> STARTING --hello--> IDLE <--sent/answer--> BUSY
 *	  ^                  |                 |                      |
 *	  |                  +---- EOF, write error ------> LOST -----+
 *	  |                  +---- timeout, protocol error, stop ---> KILLING
 *	  +--- reaped (from any of them): death_classify() says why, whom
 *	       to charge and when to start the next child
 *
 * Each libev callback turns what happened into one event and calls
 * slot_step(); only the table looks at the state. A child we kill stays
 * KILLING until its reap, and every end of a child, a stop and a failed
 * exec included, goes through slot_died(). What a step tears down (the
 * socket, the reader's buffer, the exec pipe) is closed and freed after
 * the callback that ran the step returns (slot_settle). */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "supervisor/slot_step.h"
#include "supervisor/spawn.h"
#include "supervisor/sup.h"

#define HELLO_WAIT	10.0	/* seconds a new child has to say hello */
#define REAP_WAIT	2.0	/* seconds from EOF to SIGKILL if no exit */
#define TERM_GRACE	1.0	/* exec: seconds from SIGTERM to SIGKILL */
#define BACKOFF_MIN	0.1
#define BACKOFF_MAX	10.0
#define START_TRIES	3	/* never-started children before giving up */
#define RESTART_TRIES	10	/* children in a row dying unused, later on */
#define ERRLOG_WORDS	200	/* bytes of its last stderr line in an error */
#define ADAPTIVE_OK	5	/* --timeout N%: ok files before the median counts */
#define ADAPTIVE_FLOOR	1.0	/* ... and the least cap it gives, seconds */
#define RSS_POLL	0.1	/* seconds between reads of a working child's RSS
				 * under --max-child-rss's hard cap */

/* Teardown a step asks for, done by slot_settle(). */
#define DROP_CONN	1u	/* socket, reader, stderr pipe */
#define DROP_EXEC	2u	/* the exec-status pipe */

typedef void slot_action(struct slot *, const struct slot_input *);

/* Signals a child's whole process group, and the child itself in case it
 * left the group. A pid that is not a child's (0 would be our own group)
 * is never signalled. */
void
slot_kill(pid_t pid, int sig)
{
	if (pid <= 1)
		return;
	kill(-pid, sig);
	kill(pid, sig);
}

static const char *const state_names[SLOT__COUNT] = {
	[SLOT_EMPTY] = "empty", [SLOT_STARTING] = "starting", [SLOT_IDLE] = "idle",
	[SLOT_BUSY] = "busy", [SLOT_LOST] = "lost", [SLOT_KILLING] = "killing",
};

static const char *const event_names[SE__COUNT] = {
	[SE_START] = "start", [SE_EXECED] = "execed", [SE_EXEC_FAILED] = "exec failed",
	[SE_HELLO] = "hello", [SE_READY] = "ready", [SE_ANSWER] = "answer", [SE_WORDS] = "fatal",
	[SE_BAD_FRAME] = "bad frame", [SE_EOF] = "eof", [SE_WRITE_ERROR] = "write error",
	[SE_SENT] = "sent", [SE_TIMER] = "timer", [SE_CONT] = "cont", [SE_REAPED] = "reaped",
	[SE_STOP] = "stop", [SE_RECYCLE] = "recycle", [SE_PROGRESS] = "progress",
	[SE_HASH] = "hash",
};

const char *
slot_state_name(int state)
{
	return state >= 0 && state < SLOT__COUNT ? state_names[state] : "unknown";
}

void
slot_init(struct sup *s, struct slot *sl, int index)
{
	memset(sl, 0, sizeof *sl);
	sl->sup = s;
	sl->index = index;
	sl->state = SLOT_EMPTY;
	sl->sock = -1;
	sl->execfd = -1;
	sl->spent = RECYCLE_NONE;
	slot_io_init(sl);
	errlog_init(&sl->err, s->loop, index);
}

/* Teardown. Watchers stop at once, so that nothing already pending for
 * them runs; descriptors and buffers go in slot_settle(), after the
 * callback that is running (and may still hold the reader's frame). */
void
slot_settle(struct slot *sl)
{
	if (sl->in_cb > 0 || sl->drop == 0)
		return;
	if (sl->drop & DROP_CONN) {
		if (sl->sock >= 0)
			close(sl->sock);
		sl->sock = -1;
		ipc_reader_free(&sl->rd);
		sl->out.len = sl->out_off = 0;
	}
	if ((sl->drop & DROP_EXEC) && sl->execfd >= 0) {
		close(sl->execfd);
		sl->execfd = -1;
	}
	sl->drop = 0;
}

static void
slot_drop(struct slot *sl, unsigned what)
{
	struct ev_loop *loop = sl->sup->loop;

	if (what & DROP_CONN) {
		ev_io_stop(loop, &sl->rio);
		ev_io_stop(loop, &sl->wio);
		ev_timer_stop(loop, &sl->nap);
		sl->reading = 0;
	}
	if (what & DROP_EXEC)
		ev_io_stop(loop, &sl->eio);
	sl->drop |= what;
	slot_settle(sl);
}

static void
slot_timer(struct slot *sl, ev_tstamp after)
{
	ev_timer_stop(sl->sup->loop, &sl->timer);
	ev_timer_set(&sl->timer, after, 0);
	ev_timer_start(sl->sup->loop, &sl->timer);
}

/* The running task's cap on its whole run, and the limit that names it:
 * its job's --timeout; with --timeout N%, once ADAPTIVE_OK files were ok,
 * N% of their median duration, no less than ADAPTIVE_FLOOR and never more
 * than the fixed cap. */
static ev_tstamp
slot_timeout_as(const struct slot *sl, int *limit)
{
	const struct job *j = sl->q != NULL ? sl->q->job : NULL;
	ev_tstamp fixed, cap;

	*limit = TL_TOTAL;
	if (j == NULL)
		return 0;
	fixed = (ev_tstamp)j->rec.timeout_ms / 1000.0;
	if (j->rec.timeout_pct == 0 || j->ok_s.n < ADAPTIVE_OK)
		return fixed;
	cap = j->ok_s.mid * j->rec.timeout_pct / 100.0;
	if (cap < ADAPTIVE_FLOOR)
		cap = ADAPTIVE_FLOOR;
	if (cap >= fixed)
		return fixed;
	*limit = TL_ADAPTIVE;
	return cap;
}

static ev_tstamp
slot_timeout(const struct slot *sl)
{
	int limit;

	return slot_timeout_as(sl, &limit);
}

/* Its job's --stall: how long the running task may go unheard; 0: no
 * limit. */
static ev_tstamp
slot_stall(const struct slot *sl)
{
	return (ev_tstamp)(sl->q != NULL ? sl->q->job->rec.stall_ms : 0) / 1000.0;
}

/* What is left of the running task's time: to its cap, or to its stall
 * when that comes first (*limit says which). A PROGRESS only moves
 * q->heard; the timer, when it fires early, comes back here. */
static ev_tstamp
slot_time_left(const struct slot *sl, int *limit)
{
	ev_tstamp now = ev_now(sl->sup->loop), stall = slot_stall(sl), left, quiet;

	left = slot_timeout_as(sl, limit) - (now - sl->q->started);
	if (stall > 0 && (quiet = stall - (now - sl->q->heard)) < left) {
		left = quiet;
		*limit = TL_STALL;
	}
	return left;
}

/* The running task's deadline: the rest of its time. Under a hard cap
 * on its RSS the same timer wakes every RSS_POLL to read it: a cost by
 * time, never by byte. */
static void
slot_arm_deadline(struct slot *sl)
{
	struct sup *s = sl->sup;
	ev_tstamp left;
	int limit;

	if (sl->q == NULL) {
		ev_timer_stop(s->loop, &sl->timer);
		return;
	}
	left = slot_time_left(sl, &limit);
	if (sl->q->job->rec.opts.max_rss_hard > 0 && left > RSS_POLL)
		left = RSS_POLL;
	slot_timer(sl, left > 0 ? left : 0);
}

/* The running task's clock starts: now. */
static void
slot_task_starts(struct slot *sl)
{
	sl->q->started = sl->q->heard = ev_now(sl->sup->loop);
	sl->q->pid = sl->pid;
	/* What the last task left is not this one's (the rest is only read
	 * under these). */
	sl->crash.has_progress = 0;
	sl->crash.proc = SIG_PROC_NONE;
	sl->crash.code = sl->crash.signal = 0;
	/* A check is never stored: what runs for one is nobody's record. */
	if (!sl->q->job->check)
		sl->sup->inflight_dirty = 1;
}

static struct task *
slot_pop(struct slot *sl)
{
	struct task *t = sl->q;

	if (t == NULL)
		return NULL;
	if (!t->job->check)
		sl->sup->inflight_dirty = 1;	/* it ran: the next commit says it ended */
	sl->q = t->next;
	if (sl->q == NULL)
		sl->q_tail = NULL;
	sl->nq--;
	t->next = NULL;
	return t;
}

/* A child that died without a task to blame: back off, or give up when the
 * worker program cannot start at all. The slot is EMPTY. */
static void
slot_backoff(struct slot *sl)
{
	struct sup *s = sl->sup;
	ev_tstamp delay;
	int n = ++s->start_failures;

	sl->state = SLOT_EMPTY;
	if (!s->ever_hello && n >= START_TRIES) {
		sup_fatal(s, "worker program %s cannot start: %d children in a row died before saying hello",
		    s->opts.worker, n);
		return;
	}
	if (n >= RESTART_TRIES) {
		sup_fatal(s, "worker program %s: %d children in a row died unused; giving up",
		    s->opts.worker, n);
		return;
	}
	delay = n == 1 ? 0 : BACKOFF_MIN * (double)(1u << (n - 2));
	if (delay > BACKOFF_MAX)
		delay = BACKOFF_MAX;
	if (delay > 0)
		log_warnx("slot %d: %d children in a row died unused; next start in %.1fs",
		    sl->index, n, delay);
	slot_timer(sl, delay);
}

/* The kill: the group gets SIGKILL (SIGTERM first, with a grace), the
 * connection goes, and the slot waits for the reap in KILLING. */
static void
start_kill(struct slot *sl, enum slot_kill_why why, const char *words, ev_tstamp grace)
{
	if (sl->state != SLOT_KILLING && why < STATS_KILLS)
		sl->sup->stats.kills[why]++;
	sl->kill_why = why;
	snprintf(sl->why, sizeof sl->why, "%s", words ? words : "");
	slot_kill(sl->pid, grace > 0 ? SIGTERM : SIGKILL);
	if (grace > 0)
		slot_timer(sl, grace);
	else
		ev_timer_stop(sl->sup->loop, &sl->timer);
	sl->state = SLOT_KILLING;
	slot_drop(sl, DROP_CONN);
}

static void
protocol_error(struct slot *sl, const char *why)
{
	start_kill(sl, KILL_PROTOCOL, why, 0);
}

/* Every end of a child: reaped, or (a stop) never to be. One verdict,
 * one log line, the running task charged or not, the rest back uncharged. */
static void
slot_died(struct slot *sl, int reaped, int status)
{
	struct sup *s = sl->sup;
	struct death_in in = {
		.kill = sl->kill_why, .why = sl->why, .exec_errno = sl->exec_errno,
		.reaped = reaped, .status = status, .serving = sl->job_ready,
		.setting_up = sl->job != NULL && !sl->job_ready,
		.running = sl->q != NULL, .pid = sl->pid, .timeout_s = slot_timeout(sl),
		.limit = sl->kill_limit, .stall_s = slot_stall(sl),
		.hello_s = HELLO_WAIT, .worker = s->opts.worker,
	};
	struct death d;
	struct job *job = sl->job;
	struct task *t, *rest;
	char what[sizeof d.what + ERRLOG_WORDS + 16];
	const char *tail = NULL, *last;
	size_t tlen = 0, llen;
	int charged;

	death_classify(&in, &d);
	/* Reaped: what is left of its group. Not (a stop): the child too,
	 * which init reaps once we have exited; it is not waited for. */
	slot_kill(sl->pid, SIGKILL);
	ev_child_stop(s->loop, &sl->cw);
	ev_timer_stop(s->loop, &sl->timer);
	errlog_close(&sl->err);
	slot_drop(sl, DROP_CONN | DROP_EXEC);
	sl->state = SLOT_EMPTY;
	sl->pid = 0;
	sl->kill_why = KILL_NONE;
	sl->exec_errno = 0;
	if (sl->job)
		sl->job->held--;
	sl->job = NULL;
	sl->job_ready = 0;

	t = d.outcome != DEATH_NO_OUTCOME ? slot_pop(sl) : NULL;
	if (t) {
		t->limit = d.limit;
		sl->crash.code = strike_code(reaped, status, &sl->crash.signal);
		t->crash = &sl->crash;
	}
	sl->kill_limit = TL_NONE;
	snprintf(what, sizeof what, "%s", d.what);
	if (d.respawn == RESPAWN_NEVER || d.respawn == RESPAWN_HOST || d.job_failed ||
	    d.cause == DEATH_RECYCLE)
		;	/* said below, or nothing to say */
	else if (t)
		log_warnx("worker %d (slot %d, job %s) %s%s on %s", (int)in.pid, sl->index,
		    t->job->rec.name, d.killed ? "killed: " : "", what, sup_esc(t->path, t->path_len));
	else if (!s->stopping)
		log_warnx("worker %d (slot %d%s%s) %s%s", (int)in.pid, sl->index, job ? ", job " : "",
		    job ? job->rec.name : "", d.killed ? "killed: " : "", what);

	/* What it said last is the likeliest why: its last line goes into
	 * the error (the log has had it already), the tail with the outcome. */
	if (t) {
		tail = errlog_tail(&sl->err, &tlen);
		last = errlog_last_line(&sl->err, &llen);
		if (llen > 0)
			snprintf(what + strlen(what), sizeof what - strlen(what), "; stderr: %.*s",
			    (int)(llen < ERRLOG_WORDS ? llen : ERRLOG_WORDS), last);
	}
	while ((rest = slot_pop(sl)) != NULL)
		sup_requeue(s, rest);
	charged = t != NULL;
	if (t)
		sup_task_end(s, t, d.outcome, what, strlen(what), NULL, 0, d.sig, d.code, tail, tlen);
	if (d.job_failed && job != NULL && !s->stopping)
		sup_job_setup_failed(s, job, d.what);
	/* A stop (unreaped), the pool's or this slot's alone when the pool
	 * is made smaller, starts nothing and is nobody's fault. */
	if (s->stopping || !reaped)
		return;
	switch (d.respawn) {
	case RESPAWN_NOW:
		/* In a crash loop's pause, respawns back off with its probes. */
		sl->ended_at = ev_time();
		slot_timer(sl, charged && job ? damp_respawn(&job->damp) : 0);
		break;
	case RESPAWN_BACKOFF:
		slot_backoff(sl);
		break;
	case RESPAWN_HOST: {
		double delay = sup_spawn_refused(s, in.exec_errno, "starting the worker program");

		if (delay >= 0)
			slot_timer(sl, delay);
		break;
	}
	case RESPAWN_NEVER:
		sup_fatal(s, "%s", d.what);
		break;
	}
}

/* A child could not even be made: the host's refusal waits and is
 * nobody's fault; anything else counts as a child that died unused. */
static void
spawn_failed(struct slot *sl, const char *what)
{
	double delay;

	if (!sup_host_refused(errno)) {
		log_warn("slot %d: %s", sl->index, what);
		slot_backoff(sl);
		return;
	}
	sl->state = SLOT_EMPTY;
	if ((delay = sup_spawn_refused(sl->sup, errno, what)) >= 0)
		slot_timer(sl, delay);
}

static void
slot_spawn_child(struct slot *sl)
{
	struct sup *s = sl->sup;
	struct spawned c;
	const char *what;

	if (spawn_worker(s->opts.worker, NULL, SPAWN_OWN_GROUP | SPAWN_ERR_PIPE, s->pid, &c,
	    &what) < 0) {
		spawn_failed(sl, what);
		return;
	}
	/* The exec-status pipe is watched, not waited for: a failed exec is
	 * an event. */
	sl->execfd = c.execfd;
	ev_io_set(&sl->eio, sl->execfd, EV_READ);
	ev_io_start(s->loop, &sl->eio);
	sl->pid = c.pid;
	sl->sock = c.sock;
	sl->reading = 1;
	sl->job = NULL;
	sl->job_ready = 0;
	sl->read_at = 0;
	sl->kill_why = KILL_NONE;
	sl->exec_errno = 0;
	sl->tasks_done = 0;
	sl->spent = RECYCLE_NONE;
	ipc_reader_init(&sl->rd, IPC_FRAME_MAX);
	sl->out.len = sl->out_off = 0;
	errlog_open(&sl->err, c.errfd, c.pid);
	ev_io_set(&sl->rio, sl->sock, EV_READ);
	ev_io_start(s->loop, &sl->rio);
	ev_io_set(&sl->wio, sl->sock, EV_WRITE);
	ev_child_set(&sl->cw, c.pid, 0);
	ev_child_start(s->loop, &sl->cw);
	sl->state = SLOT_STARTING;
	slot_timer(sl, HELLO_WAIT);
	if (s->opts.verbose)
		log_warnx("slot %d: started worker %d", sl->index, (int)c.pid);
}

/* ---- actions: table entries, one per (state, event) that can happen ---- */

static void
nop(struct slot *sl, const struct slot_input *in)
{
	(void)sl, (void)in;
}

/* A pair the table says cannot happen: a bug here, not the child's. */
static void
bad_pair(struct slot *sl, const struct slot_input *in)
{
	(void)in;
	log_warnx("slot %d: worker %d: unexpected event in state %s; killing it", sl->index,
	    (int)sl->pid, state_names[sl->state]);
	if (sl->pid > 0 && sl->kill_why == KILL_NONE)
		protocol_error(sl, "unexpected event in the supervisor");
	else
		slot_kill(sl->pid, SIGKILL);
}

static void
spawn(struct slot *sl, const struct slot_input *in)
{
	(void)in;
	slot_spawn_child(sl);
}

static void
respawn(struct slot *sl, const struct slot_input *in)
{
	(void)in;
	sl->sup->stats.respawns++;
	slot_spawn_child(sl);
}

static void
exec_ok(struct slot *sl, const struct slot_input *in)
{
	(void)in;
	slot_drop(sl, DROP_EXEC);
}

static void
exec_failed(struct slot *sl, const struct slot_input *in)
{
	sl->exec_errno = in->err;
	slot_drop(sl, DROP_EXEC);
	start_kill(sl, KILL_EXEC, NULL, 0);
}

static void
hello(struct slot *sl, const struct slot_input *in)
{
	struct sup *s = sl->sup;

	(void)in;
	sl->state = SLOT_IDLE;
	ev_timer_stop(s->loop, &sl->timer);
	if (sl->ended_at > 0) {
		/* A replacement is ready; dispatch follows in this turn. */
		samples_add(&s->stats.replace_ms, (ev_time() - sl->ended_at) * 1000);
		sl->ended_at = 0;
	}
	s->start_failures = 0;
	s->ever_hello = 1;
	sup_spawn_given(s);
}

static void
second_hello(struct slot *sl, const struct slot_input *in)
{
	(void)in;
	protocol_error(sl, "a second hello");
}

static void
unexpected(struct slot *sl, const struct slot_input *in)
{
	(void)in;
	protocol_error(sl, "unexpected message");
}

static void
job_ready(struct slot *sl, const struct slot_input *in)
{
	if (sl->job == NULL || in->m->job != sl->job->rec.id || sl->job_ready) {
		protocol_error(sl, "unexpected message");
		return;
	}
	sl->job_ready = 1;
}

static void
idle_answer(struct slot *sl, const struct slot_input *in)
{
	(void)in;
	protocol_error(sl, "result while no task was running");
}

/* After a file: a child at its job's limits is sent nothing more and is
 * replaced by a fresh one, nobody's fault (the recycle runs once this
 * step is over). Past --max-tasks-per-child nothing is queued at it, as
 * dispatch sent it no more than that (slot_budget); past --max-child-rss
 * what is queued goes back to pending uncharged, so that no file runs in
 * a child already over the limit. */
static void
check_spent(struct slot *sl)
{
	const struct job_opts *o;
	uint64_t rss = 0;

	if (sl->job == NULL || sl->spent != RECYCLE_NONE)
		return;
	o = &sl->job->rec.opts;
	if (o->max_tasks > 0 && sl->tasks_done >= o->max_tasks)
		sl->spent = RECYCLE_TASKS;
	else if (o->max_rss > 0 && (rss = slot_rss(sl)) > o->max_rss)
		sl->spent = RECYCLE_RSS;
	else
		return;
	sl->sup->stats.recycles[sl->spent]++;
	if (sl->sup->opts.verbose) {
		if (sl->spent == RECYCLE_TASKS)
			log_warnx("slot %d: worker %d (job %s) recycled: %llu files done, "
			    "--max-tasks-per-child %llu", sl->index, (int)sl->pid, sl->job->rec.name,
			    (unsigned long long)sl->tasks_done, (unsigned long long)o->max_tasks);
		else
			log_warnx("slot %d: worker %d (job %s) recycled: resident memory %llu bytes "
			    "above --max-child-rss %llu", sl->index, (int)sl->pid, sl->job->rec.name,
			    (unsigned long long)rss, (unsigned long long)o->max_rss);
	}
	slot_recycle(sl);
}

static void
idle_hash(struct slot *sl, const struct slot_input *in)
{
	(void)in;
	protocol_error(sl, "hash while no task was running");
}

/* HASH: once per running task, of a job with --reuse; answered at once,
 * on the socket's own turn, before anything sent after it. */
static void
hash_asked(struct slot *sl, const struct slot_input *in)
{
	struct task *t = sl->q;
	int reuse;

	if (t == NULL || t->id != in->m->id || t->hashed || !t->job->rec.opts.reuse) {
		protocol_error(sl, t == NULL || t->id != in->m->id ? "hash for a task not running" :
		    t->hashed ? "a second hash for a task" : "hash without --reuse");
		return;
	}
	reuse = sup_task_hashed(sl->sup, t, in->m->sha256);
	if (ipc_put_reuse(&sl->out, t->id, reuse) < 0) {
		sup_fatal(sl->sup, "out of memory");
		return;
	}
	ev_io_start(sl->sup->loop, &sl->wio);
}

/* The running task's answer: it ends, the next one starts its time. */
static int
take_answer(struct slot *sl, const struct ipc_msg *m, enum slot_state when_empty)
{
	struct sup *s = sl->sup;
	struct task *t;

	if (sl->q == NULL || sl->q->id != m->id) {
		protocol_error(sl, sl->q == NULL ? "result while no task was running" :
		    "result for a task not running");
		return -1;
	}
	/* A child told to reuse answers ok with nothing; anything else is
	 * a lie. */
	if (sl->q->reused_job != 0 && (!m->ok || m->host != 0 || m->result_len != 0 ||
	    m->error_len != 0)) {
		protocol_error(sl, "a reused task answered with a result of its own");
		return -1;
	}
	t = slot_pop(sl);
	sl->tasks_done++;
	if (sl->q)
		slot_task_starts(sl);
	else
		sl->state = when_empty;
	slot_arm_deadline(sl);
	if (when_empty == SLOT_IDLE)
		check_spent(sl);
	if (t->reused_job != 0) {
		/* Its earlier outcome, not the child's word. */
		sup_task_end(s, t, OUT_OK, NULL, 0, t->reused_result, t->reused_result_len, 0, -1, NULL, 0);
		return 0;
	}
	if (m->host != 0) {
		/* The host refused the child what the file needed. */
		sup_task_refused(s, t, m->host, m->error, m->error_len, sl->pid);
		return 0;
	}
	sup_task_end(s, t, m->ok ? OUT_OK : OUT_FAILED, m->error, m->error_len,
	    m->result, m->result_len, 0, -1, NULL, 0);
	return 0;
}

static void
answer(struct slot *sl, const struct slot_input *in)
{
	if (take_answer(sl, in->m, SLOT_IDLE) < 0)
		return;
	/* --halt soon: the file that ran is back; those queued behind it
	 * for the halting job never run. Its child is replaced, and they go
	 * back pending, uncharged (the next one has only just started). */
	if (sl->state == SLOT_BUSY && sl->q != NULL && sl->q->job->halting)
		slot_recycle(sl);
}

/* Answers read after a failed write, before the end of the stream. */
static void
lost_answer(struct slot *sl, const struct slot_input *in)
{
	take_answer(sl, in->m, SLOT_LOST);
}

static void
last_words(struct slot *sl, const struct slot_input *in)
{
	const char *words = sup_esc(in->m->error, in->m->error_len);

	/* Set up and serving: not a set-up failure but the last words of a
	 * child dying on its running task, such as the system call its
	 * sandbox refused. The child may lie; it only names its own end. */
	start_kill(sl, sl->job_ready ? KILL_WORDS : KILL_SETUP, words, 0);
}

static void
bad_frame(struct slot *sl, const struct slot_input *in)
{
	protocol_error(sl, in->why);
}

/* EOF or a read error: wait for the exit status, which says how it died. */
static void
hung_up(struct slot *sl, const struct slot_input *in)
{
	struct ev_loop *loop = sl->sup->loop;

	(void)in;
	sl->reading = 0;
	ev_io_stop(loop, &sl->rio);
	ev_io_stop(loop, &sl->wio);
	ev_timer_stop(loop, &sl->nap);
	sl->state = SLOT_LOST;
	slot_timer(sl, REAP_WAIT);
}

/* A write failed: the child's end is closed. Its answers sent before are
 * still read, to the end of the stream; the reap decides. */
static void
write_lost(struct slot *sl, const struct slot_input *in)
{
	(void)in;
	ev_io_stop(sl->sup->loop, &sl->wio);
	sl->out.len = sl->out_off = 0;
	sl->state = SLOT_LOST;
	slot_timer(sl, REAP_WAIT);
}

static void
stop_reading(struct slot *sl, const struct slot_input *in)
{
	(void)in;
	sl->reading = 0;
	ev_io_stop(sl->sup->loop, &sl->rio);
	ev_timer_stop(sl->sup->loop, &sl->nap);
}

static void
went_busy(struct slot *sl, const struct slot_input *in)
{
	(void)in;
	slot_task_starts(sl);
	sl->state = SLOT_BUSY;
	slot_arm_deadline(sl);
}

static void
no_hello(struct slot *sl, const struct slot_input *in)
{
	(void)in;
	start_kill(sl, KILL_HELLO, NULL, 0);
}

static void
deadline(struct slot *sl, const struct slot_input *in)
{
	struct sup *s = sl->sup;
	uint64_t hard = sl->q->job->rec.opts.max_rss_hard, rss;
	char words[160];
	ev_tstamp left;
	int limit;

	(void)in;
	if (hard > 0 && (rss = slot_rss(sl)) > hard) {
		snprintf(words, sizeof words, "resident memory %llu bytes above the hard cap %llu "
		    "(twice --max-child-rss)", (unsigned long long)rss, (unsigned long long)hard);
		start_kill(sl, KILL_RSS, words, 0);
		return;
	}
	if ((left = slot_time_left(sl, &limit)) > 0) {
		slot_arm_deadline(sl);
		return;
	}
	samples_add(&s->stats.kill_late_ms, (ev_time() - ev_now(s->loop) - left) * 1000);
	sl->kill_limit = limit;
	/* Where it is stuck, while it still is: for its signature. */
	strike_proc(sl->pid, &sl->crash, sl->crash_wchan, sizeof sl->crash_wchan);
	start_kill(sl, KILL_TIMEOUT, NULL, strcmp(sl->q->job->rec.handler, "exec") == 0 ? TERM_GRACE : 0);
}

/* The running task is alive. Only its time moves: the timer, if it fires
 * first, finds the stall further off and is set again. So a flood of
 * frames costs a decode and a clock read each, and no timer work. */
static void
progress(struct slot *sl, const struct slot_input *in)
{
	if (sl->q == NULL || sl->q->id != in->m->id) {
		protocol_error(sl, sl->q == NULL ? "progress while no task was running" :
		    "progress for a task not running");
		return;
	}
	sl->q->heard = ev_now(sl->sup->loop);
	/* Its last frame, for a signature should it die. */
	sl->crash.has_progress = 1;
	sl->crash.done = in->m->done;
	sl->crash.total = in->m->total;
	sl->crash.what_len = in->m->what_len < SIG_WHAT_MAX ? in->m->what_len : SIG_WHAT_MAX;
	if (sl->crash.what_len)
		memcpy(sl->crash_what, in->m->what, sl->crash.what_len);
	sl->crash.what = sl->crash_what;
}

static void
idle_progress(struct slot *sl, const struct slot_input *in)
{
	(void)in;
	protocol_error(sl, "progress while no task was running");
}

/* It closed its socket but lives on: make it exit. */
static void
reap_wait_over(struct slot *sl, const struct slot_input *in)
{
	(void)in;
	protocol_error(sl, "closed its socket without exiting");
}

static void
grace_over(struct slot *sl, const struct slot_input *in)
{
	(void)in;
	slot_kill(sl->pid, SIGKILL);
}

static void
restart_hello_wait(struct slot *sl, const struct slot_input *in)
{
	(void)in;
	slot_timer(sl, HELLO_WAIT);
}

static void
rearm_deadline(struct slot *sl, const struct slot_input *in)
{
	(void)in;
	slot_arm_deadline(sl);
}

static void
reaped(struct slot *sl, const struct slot_input *in)
{
	slot_died(sl, 1, in->status);
}

static void
stop_empty(struct slot *sl, const struct slot_input *in)
{
	(void)in;
	ev_timer_stop(sl->sup->loop, &sl->timer);
}

/* The loop ends after a stop: no reap will come, and none is waited for. */
static void
stop_child(struct slot *sl, const struct slot_input *in)
{
	(void)in;
	start_kill(sl, KILL_SHUTDOWN, NULL, 0);
	slot_died(sl, 0, 0);
}

/* A child set up for a job that is no longer its to serve: replaced. Its
 * tasks go back uncharged. */
static void
recycle(struct slot *sl, const struct slot_input *in)
{
	(void)in;
	start_kill(sl, KILL_RECYCLE, NULL, 0);
}

/* Killed already: its outcome is what it was killed for. */
static void
stop_killing(struct slot *sl, const struct slot_input *in)
{
	(void)in;
	slot_died(sl, 0, 0);
}

/* Every pair is here; one that cannot happen is bad_pair, which logs and
 * kills. A frame arrives only while reading (STARTING, IDLE, BUSY, and
 * LOST after a failed write); the exec pipe is watched until exec is
 * known to have worked or the child is gone. */
static slot_action *const slot_table[SLOT__COUNT][SE__COUNT] = {
	[SLOT_EMPTY] = {
		[SE_START] = spawn,		[SE_EXECED] = bad_pair,
		[SE_EXEC_FAILED] = bad_pair,	[SE_HELLO] = bad_pair,
		[SE_READY] = bad_pair,		[SE_ANSWER] = bad_pair,
		[SE_WORDS] = bad_pair,		[SE_BAD_FRAME] = bad_pair,
		[SE_EOF] = bad_pair,		[SE_WRITE_ERROR] = bad_pair,
		[SE_SENT] = bad_pair,		[SE_TIMER] = respawn,
		[SE_CONT] = nop,		/* its respawn timer runs on */
		[SE_REAPED] = nop,		/* a stop ended it while its last answers were read */
		[SE_STOP] = stop_empty,
		[SE_RECYCLE] = nop,		/* no child: the next one is fresh */
		[SE_PROGRESS] = bad_pair,
		[SE_HASH] = bad_pair,
	},
	[SLOT_STARTING] = {
		[SE_START] = bad_pair,		[SE_EXECED] = exec_ok,
		[SE_EXEC_FAILED] = exec_failed,	[SE_HELLO] = hello,
		[SE_READY] = unexpected,	[SE_ANSWER] = unexpected,
		[SE_WORDS] = last_words,	[SE_BAD_FRAME] = bad_frame,
		[SE_EOF] = hung_up,		[SE_WRITE_ERROR] = bad_pair,	/* nothing is sent before hello */
		[SE_SENT] = bad_pair,		[SE_TIMER] = no_hello,
		[SE_CONT] = restart_hello_wait,	[SE_REAPED] = reaped,
		[SE_STOP] = stop_child,
		[SE_RECYCLE] = nop,		/* no job yet: it is fresh */
		[SE_PROGRESS] = unexpected,
		[SE_HASH] = unexpected,
	},
	[SLOT_IDLE] = {
		[SE_START] = bad_pair,		[SE_EXECED] = exec_ok,	/* the hello came first */
		[SE_EXEC_FAILED] = bad_pair,	[SE_HELLO] = second_hello,
		[SE_READY] = job_ready,		[SE_ANSWER] = idle_answer,
		[SE_WORDS] = last_words,	[SE_BAD_FRAME] = bad_frame,
		[SE_EOF] = hung_up,		[SE_WRITE_ERROR] = write_lost,
		[SE_SENT] = went_busy,		[SE_TIMER] = nop,	/* a deadline met in the same turn */
		[SE_CONT] = nop,		[SE_REAPED] = reaped,
		[SE_STOP] = stop_child,
		[SE_RECYCLE] = recycle,
		[SE_PROGRESS] = idle_progress,
		[SE_HASH] = idle_hash,
	},
	[SLOT_BUSY] = {
		[SE_START] = bad_pair,		[SE_EXECED] = exec_ok,
		[SE_EXEC_FAILED] = bad_pair,	[SE_HELLO] = second_hello,
		[SE_READY] = job_ready,		[SE_ANSWER] = answer,
		[SE_WORDS] = last_words,	[SE_BAD_FRAME] = bad_frame,
		[SE_EOF] = hung_up,		[SE_WRITE_ERROR] = write_lost,
		[SE_SENT] = nop,		[SE_TIMER] = deadline,
		[SE_CONT] = rearm_deadline,	[SE_REAPED] = reaped,
		[SE_STOP] = stop_child,
		[SE_RECYCLE] = recycle,
		[SE_PROGRESS] = progress,
		[SE_HASH] = hash_asked,
	},
	[SLOT_LOST] = {
		[SE_START] = bad_pair,		[SE_EXECED] = exec_ok,
		[SE_EXEC_FAILED] = exec_failed,	[SE_HELLO] = second_hello,
		[SE_READY] = job_ready,		[SE_ANSWER] = lost_answer,
		[SE_WORDS] = last_words,	[SE_BAD_FRAME] = bad_frame,
		[SE_EOF] = stop_reading,	[SE_WRITE_ERROR] = nop,	/* already lost */
		[SE_SENT] = bad_pair,		[SE_TIMER] = reap_wait_over,
		[SE_CONT] = nop,		[SE_REAPED] = reaped,
		[SE_STOP] = stop_child,
		[SE_RECYCLE] = nop,		/* ending already; its successor is fresh */
		[SE_PROGRESS] = progress,	/* read to the end of the stream */
		[SE_HASH] = nop,		/* no answer can reach it: it runs again */
	},
	[SLOT_KILLING] = {
		[SE_START] = bad_pair,		[SE_EXECED] = exec_ok,
		[SE_EXEC_FAILED] = exec_failed,	[SE_HELLO] = bad_pair,
		[SE_READY] = bad_pair,		[SE_ANSWER] = bad_pair,
		[SE_WORDS] = bad_pair,		[SE_BAD_FRAME] = bad_pair,
		[SE_EOF] = bad_pair,		[SE_WRITE_ERROR] = bad_pair,
		[SE_SENT] = bad_pair,		[SE_TIMER] = grace_over,
		[SE_CONT] = nop,		[SE_REAPED] = reaped,
		[SE_STOP] = stop_killing,
		[SE_RECYCLE] = nop,
		[SE_PROGRESS] = bad_pair,
		[SE_HASH] = bad_pair,
	},
};

/* One event, one table entry. A stop asked for during a step (a recorded
 * outcome can halt the run) is taken once the step is over. */
void
slot_step(struct slot *sl, enum slot_event ev, const struct slot_input *in)
{
	static const struct slot_input none;

	if (sl->stepping) {
		if (ev == SE_STOP)
			sl->stop_pending = 1;
		else if (ev == SE_RECYCLE)
			sl->recycle_pending = 1;
		else
			log_warnx("slot %d: event %s inside a step; ignored", sl->index, event_names[ev]);
		return;
	}
	sl->stepping = 1;
	slot_table[sl->state][ev](sl, in ? in : &none);
	sl->stepping = 0;
	if (sl->stop_pending) {
		sl->stop_pending = sl->recycle_pending = 0;
		slot_step(sl, SE_STOP, NULL);
	} else if (sl->recycle_pending) {
		sl->recycle_pending = 0;
		slot_step(sl, SE_RECYCLE, NULL);
	}
}

/* ---- the pool's calls ---- */

int
slot_takes_tasks(const struct slot *sl)
{
	static const char takes[SLOT__COUNT] = { [SLOT_IDLE] = 1, [SLOT_BUSY] = 1 };

	return takes[sl->state];
}

void
slot_spawn(struct slot *sl)
{
	slot_step(sl, SE_START, NULL);
}

void
slot_shutdown(struct slot *sl)
{
	slot_step(sl, SE_STOP, NULL);
}

void
slot_recycle(struct slot *sl)
{
	slot_step(sl, SE_RECYCLE, NULL);
}

void
slot_free(struct slot *sl)
{
	slot_settle(sl);
	ipc_reader_free(&sl->rd);
	ipc_buf_free(&sl->out);
}

void
slot_shift(struct slot *sl, ev_tstamp by)
{
	struct task *t;

	for (t = sl->q; t; t = t->next) {
		t->started += by;
		t->heard += by;
	}
	slot_step(sl, SE_CONT, NULL);
}

uint64_t
slot_rss(const struct slot *sl)
{
	char path[64];
	unsigned long long size, rss;
	FILE *f;
	int n;

	if (sl->pid <= 0)
		return 0;
	snprintf(path, sizeof path, "/proc/%d/statm", (int)sl->pid);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	n = fscanf(f, "%llu %llu", &size, &rss);
	fclose(f);
	return n == 2 ? (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

void
slot_stop_children(struct sup *s, int sig)
{
	int i;

	for (i = 0; i < s->nslots; i++)
		slot_kill(s->slots[i]->pid, sig);
}
