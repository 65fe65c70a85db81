/* Unit tests of the slot table (supervisor/slot.c) and the death classifier
 * (supervisor/death.c): every (state, event) pair has an action, the pairs
 * that cannot happen are bad_pair, a few lives driven through slot_step()
 * without a child or a running loop, and the verdicts for a set of wait
 * statuses. slot.c is included whole to see its static table; the rest of
 * the supervisor is stubbed below. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "supervisor/slot.c"
#include "tests/tap.h"

/* ---- stubs: what slot.c calls in sup.c ---- */

static int ended, ended_status, requeued, fatals, dispatched, job_failures, holds, hold_err,
    spawn_refusals;
static struct slot *stop_on_end;
static int ended_limit;
static struct job *failed_job;

const char *
sup_esc(const char *str, size_t len)
{
	static char buf[512];

	snprintf(buf, sizeof buf, "%.*s", (int)len, str);
	return buf;
}

void
sup_stop(struct sup *s)
{
	int i;

	if (s->stopping)
		return;
	s->stopping = 1;
	for (i = 0; i < s->nslots; i++)
		slot_shutdown(s->slots[i]);
}

void
sup_fatal(struct sup *s, const char *fmt, ...)
{
	(void)fmt;
	fatals++;
	s->failed = 1;
	sup_stop(s);
}

void
sup_job_setup_failed(struct sup *s, struct job *j, const char *why)
{
	(void)s, (void)why;
	job_failures++;
	failed_job = j;
}

void
sup_task_end(struct sup *s, struct task *t, int status, const char *error, size_t elen,
    const uint8_t *result, size_t rlen, int sig, int exit_code, const char *tail, size_t tlen)
{
	(void)error, (void)elen, (void)result, (void)rlen, (void)sig, (void)exit_code;
	(void)tail, (void)tlen;
	ended++;
	ended_status = status;
	ended_limit = t->limit;
	if (stop_on_end)	/* a halt: the run stops inside the step */
		sup_stop(s);
}

int
sup_task_hashed(struct sup *s, struct task *t, const uint8_t sha256[32])
{
	(void)s, (void)t, (void)sha256;
	return 0;
}

/* strike.c's, as the slot calls them: the /proc read counted, the code
 * as strike.c gives it. */
static int proc_reads;

void
strike_proc(pid_t pid, struct store_sig *g, char *wchan, size_t len)
{
	(void)pid, (void)wchan, (void)len;
	proc_reads++;
	g->proc = SIG_PROC_UNAVAILABLE;
}

int
strike_code(int reaped, int status, int *sig)
{
	*sig = reaped && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	return reaped && WIFSIGNALED(status) ? CLD_KILLED : reaped ? CLD_EXITED : 0;
}

void
sup_requeue(struct sup *s, struct task *t)
{
	(void)s, (void)t;
	requeued++;
}

void
sup_dispatch(struct sup *s)
{
	(void)s;
	dispatched++;
}

void
sup_task_refused(struct sup *s, struct task *t, int err, const char *error, size_t elen, pid_t pid)
{
	(void)s, (void)t, (void)error, (void)elen, (void)pid;
	requeued++;
	holds++;
	hold_err = err;
}

double
sup_spawn_refused(struct sup *s, int err, const char *what)
{
	(void)s, (void)err, (void)what;
	spawn_refusals++;
	return 0.5;
}

void
sup_spawn_given(struct sup *s)
{
	(void)s;
}

/* ---- the table ---- */

static void
test_table(void)
{
	int st, ev, holes = 0, stop_bad = 0, reap_bad = 0;

	for (st = 0; st < SLOT__COUNT; st++)
		for (ev = 0; ev < SE__COUNT; ev++) {
			if (slot_table[st][ev] == NULL) {
				holes++;
				printf("# no action for %s x %s\n", state_names[st], event_names[ev]);
			}
		}
	is_int(holes, 0, "every (state, event) pair has an action or bad_pair");
	for (st = 0; st < SLOT__COUNT; st++) {
		stop_bad += slot_table[st][SE_STOP] == bad_pair;
		reap_bad += slot_table[st][SE_REAPED] == bad_pair;
	}
	is_int(stop_bad, 0, "a stop is handled in every state");
	is_int(reap_bad, 0, "a reap is handled in every state");
	for (ev = 0; ev < SE__COUNT; ev++)
		ok(state_names[0] && event_names[ev] != NULL, "event %d has a name", ev);

	ok(slot_table[SLOT_IDLE][SE_ANSWER] == idle_answer, "an answer with nothing running is a protocol error");
	ok(slot_table[SLOT_BUSY][SE_ANSWER] == answer, "busy: an answer ends the running task");
	ok(slot_table[SLOT_BUSY][SE_TIMER] == deadline, "busy: the timer is the deadline");
	ok(slot_table[SLOT_STARTING][SE_TIMER] == no_hello, "starting: the timer is the hello wait");
	ok(slot_table[SLOT_LOST][SE_TIMER] == reap_wait_over, "lost: the timer is the reap wait");
	ok(slot_table[SLOT_KILLING][SE_TIMER] == grace_over, "killing: the timer ends the grace");
	ok(slot_table[SLOT_EMPTY][SE_TIMER] == respawn, "empty: the timer respawns");
	ok(slot_table[SLOT_KILLING][SE_ANSWER] == bad_pair, "killing: no frame can arrive");
	ok(slot_table[SLOT_KILLING][SE_EOF] == bad_pair, "killing: nothing is read");
	ok(slot_table[SLOT_EMPTY][SE_HELLO] == bad_pair, "empty: no child to say hello");
	ok(slot_table[SLOT_IDLE][SE_EXEC_FAILED] == bad_pair, "a child that said hello was executed");
	ok(slot_table[SLOT_STARTING][SE_SENT] == bad_pair, "nothing is sent before hello");
	ok(slot_table[SLOT_IDLE][SE_PROGRESS] == idle_progress,
	    "a progress with nothing running is a protocol error");
	ok(slot_table[SLOT_BUSY][SE_PROGRESS] == progress && slot_table[SLOT_LOST][SE_PROGRESS] == progress,
	    "busy, lost: a progress is the running task's");
	ok(slot_table[SLOT_STARTING][SE_PROGRESS] == unexpected, "starting: a progress is unexpected");
	ok(slot_table[SLOT_KILLING][SE_PROGRESS] == bad_pair && slot_table[SLOT_EMPTY][SE_PROGRESS] == bad_pair,
	    "killing, empty: no progress can arrive");
	ok(slot_takes_tasks(&(struct slot){ .state = SLOT_IDLE }) &&
	    slot_takes_tasks(&(struct slot){ .state = SLOT_BUSY }) &&
	    !slot_takes_tasks(&(struct slot){ .state = SLOT_KILLING }) &&
	    !slot_takes_tasks(&(struct slot){ .state = SLOT_STARTING }), "only idle and busy slots take tasks");
}

/* ---- lives driven through slot_step, pid 0 (never signalled) ---- */

static struct pool_opts opts = { .worker = "/bin/false" };
static struct sup sup;
static struct slot slot0;
static struct slot *slots[1] = { &slot0 };
static struct task tasks[3];
static struct job job = { .rec = { .id = 1, .timeout_ms = 1000, .handler = "sha256" }, .outfd = -1 };
static struct job other = { .rec = { .id = 2, .timeout_ms = 1000, .handler = "/p.so" }, .outfd = -1 };

static struct slot *
busy_slot(int ntasks)
{
	struct slot *sl = slots[0];
	int i;

	memset(&sup, 0, sizeof sup);
	sup.loop = ev_default_loop(0);
	sup.opts = opts;
	sup.slots = slots;
	sup.nslots = 1;
	sup.ever_hello = 1;
	slot_init(&sup, sl, 0);
	memset(tasks, 0, sizeof tasks);
	for (i = 0; i < ntasks; i++) {
		tasks[i].id = (uint64_t)i + 1;
		tasks[i].job = &job;
		tasks[i].path = (char *)"f";
		tasks[i].path_len = 1;
		tasks[i].next = i + 1 < ntasks ? &tasks[i + 1] : NULL;
		tasks[i].started = ev_now(sup.loop) - 5;	/* past its 1 s */
	}
	sl->q = &tasks[0];
	sl->q_tail = &tasks[ntasks - 1];
	sl->nq = ntasks;
	sl->state = SLOT_BUSY;
	sl->job = &job;
	sl->job_ready = 1;
	job.held = 1;
	ended = requeued = fatals = job_failures = holds = hold_err = spawn_refusals = 0;
	failed_job = NULL;
	ended_status = -1;
	stop_on_end = NULL;
	return sl;
}

static void
test_lives(void)
{
	struct slot *sl;
	struct slot_input in = { 0 };
	struct ipc_msg m = { 0 };

	sl = busy_slot(3);
	slot_step(sl, SE_TIMER, NULL);
	is_int(sl->state, SLOT_KILLING, "deadline passed: KILLING");
	is_int(ended, 0, "... nothing charged before the reap");
	in.status = SIGKILL;	/* the wait status of a SIGKILL */
	slot_step(sl, SE_REAPED, &in);
	is_int(sl->state, SLOT_EMPTY, "reaped: EMPTY");
	is_int(ended, 1, "... the running task charged once");
	is_int(ended_status, OUT_TIMEOUT, "... with a timeout");
	is_int(requeued, 2, "... the two behind it back uncharged");
	ok(ev_is_active(&sl->timer), "... and a respawn is due");
	slot_step(sl, SE_STOP, NULL);

	sl = busy_slot(1);
	m.type = IPC_RESULT;
	m.id = 7;
	in.m = &m;
	slot_step(sl, SE_ANSWER, &in);
	is_int(sl->state, SLOT_KILLING, "an answer for a task not running: KILLING");
	ok(strstr(sl->why, "not running") != NULL, "... named");
	slot_step(sl, SE_STOP, NULL);
	is_int(sl->state, SLOT_EMPTY, "a stop while killing ends it without a reap");
	is_int(ended_status, OUT_CRASHED, "... charged what it was killed for");

	sl = busy_slot(2);
	m.id = 1;
	m.ok = 1;
	stop_on_end = sl;	/* the outcome halts the run, inside the step */
	slot_step(sl, SE_ANSWER, &in);
	is_int(ended, 1, "an answer recorded");
	is_int(sl->state, SLOT_EMPTY, "a stop asked for during the step is taken after it");
	is_int(requeued, 1, "... the task behind goes back");
	ok(!ev_is_active(&sl->timer), "... and nothing respawns");

	sl = busy_slot(1);
	slot_step(sl, SE_EOF, NULL);
	is_int(sl->state, SLOT_LOST, "EOF: LOST, waiting for the reap");
	in.status = W_EXITCODE(0, 0);
	slot_step(sl, SE_REAPED, &in);
	is_int(ended_status, OUT_CRASHED, "an exit with a task running is a crash");
	slot_step(sl, SE_STOP, NULL);

	sl = busy_slot(1);
	sl->q = sl->q_tail = NULL;
	sl->nq = 0;
	sl->state = SLOT_STARTING;
	in.err = ENOENT;
	slot_step(sl, SE_EXEC_FAILED, &in);
	is_int(sl->state, SLOT_KILLING, "a failed exec: KILLING");
	in.status = W_EXITCODE(127, 0);
	slot_step(sl, SE_REAPED, &in);
	is_int(fatals, 1, "... then the run stops: the program cannot start");
	is_int(sup.stopping, 1, "... stopping");

	/* The host refused what a file needed (exec's fork): no outcome,
	 * the task back, the job held; the child takes the next. */
	sl = busy_slot(2);
	m.type = IPC_RESULT;
	m.id = 1;
	m.ok = 0;
	m.host = EAGAIN;
	m.error = "unable to start the command: Resource temporarily unavailable";
	m.error_len = strlen(m.error);
	in.m = &m;
	slot_step(sl, SE_ANSWER, &in);
	ok(ended == 0 && requeued == 1, "a host's refusal from a child records nothing: the task is back");
	ok(holds == 1 && hold_err == EAGAIN, "... and its job waits, for EAGAIN");
	ok(sl->state == SLOT_BUSY && sl->nq == 1 && fatals == 0, "... the child goes on with the next");
	m.host = 0;
	slot_step(sl, SE_STOP, NULL);

	/* The worker program could not be executed for want of descriptors:
	 * tried again later, never "cannot start". */
	sl = busy_slot(1);
	sl->q = sl->q_tail = NULL;
	sl->nq = 0;
	sl->state = SLOT_STARTING;
	sl->job = NULL;
	job.held = 0;
	in.err = EMFILE;
	slot_step(sl, SE_EXEC_FAILED, &in);
	in.status = W_EXITCODE(127, 0);
	slot_step(sl, SE_REAPED, &in);
	ok(fatals == 0 && !sup.stopping && spawn_refusals == 1, "an exec refused for EMFILE waits, the run goes on");
	ok(sup.start_failures == 0 && ev_is_active(&sl->timer), "... not counted against the program, tried again");
	slot_step(sl, SE_STOP, NULL);

	/* A stop (Ctrl-Z) of 10 s while a task ran 0.5 s of its 1 s: once
	 * continued, the time stopped is not the task's. Its deadline comes
	 * 0.5 s on, not at once, and its duration leaves the stop out. */
	sl = busy_slot(2);
	tasks[0].started = ev_now(sup.loop) - 0.5;
	tasks[1].started = 0;
	slot_shift(sl, 10);
	ok(tasks[0].started > ev_now(sup.loop) + 9, "a stop's time is given back to the running task's start");
	slot_step(sl, SE_TIMER, NULL);
	ok(sl->state == SLOT_BUSY && ended == 0, "... so its deadline, checked after the stop, has not passed");
	ok(ev_is_active(&sl->timer) && ev_timer_remaining(sup.loop, &sl->timer) > 9,
	    "... and is armed again for the rest of its time");
	slot_step(sl, SE_STOP, NULL);

	/* Recycled: its tasks back uncharged, no job, a fresh child due. */
	sl = busy_slot(2);
	slot_recycle(sl);
	is_int(sl->state, SLOT_KILLING, "recycle: KILLING");
	in.status = SIGKILL;
	slot_step(sl, SE_REAPED, &in);
	is_int(sl->state, SLOT_EMPTY, "... reaped: EMPTY");
	is_int(ended, 0, "... nothing charged");
	is_int(requeued, 2, "... both tasks back");
	ok(sl->job == NULL && job.held == 0, "... set up for no job any more");
	ok(ev_is_active(&sl->timer) && fatals == 0, "... and a fresh child due at once");
	slot_step(sl, SE_STOP, NULL);

	/* A job's set-up fails (its plugin does not load): the job fails,
	 * the pool goes on with a fresh child. */
	sl = busy_slot(1);
	sl->job_ready = 0;
	m.type = IPC_FATAL;
	m.error = "plugin: cannot open";
	m.error_len = strlen(m.error);
	in.m = &m;
	slot_step(sl, SE_WORDS, &in);
	in.status = W_EXITCODE(CHILD_EXIT_SETUP, 0);
	slot_step(sl, SE_REAPED, &in);
	ok(job_failures == 1 && failed_job == &job, "a job's set-up failure fails that job");
	ok(fatals == 0 && !sup.stopping, "... not the pool");
	is_int(requeued, 1, "... its task back, uncharged");
	ok(ev_is_active(&sl->timer), "... and a fresh child due");
	slot_step(sl, SE_STOP, NULL);
}

/* Two tiers: --stall on what the running task last said, --timeout (or
 * its share of the median) on the whole of it; which one fired goes with
 * the outcome. */
static void
test_stall(void)
{
	struct slot *sl;
	struct slot_input in = { 0 };
	struct ipc_msg m = { 0 };
	ev_tstamp now;
	int i;

	job.rec.stall_ms = 300;
	sl = busy_slot(1);
	now = ev_now(sup.loop);
	tasks[0].started = now - 0.5;
	tasks[0].heard = now - 0.1;
	slot_step(sl, SE_TIMER, NULL);
	ok(sl->state == SLOT_BUSY && ev_is_active(&sl->timer) &&
	    ev_timer_remaining(sup.loop, &sl->timer) <= 0.2 + 1e-6,
	    "heard 0.1s ago under a 0.3s stall: busy, the timer set for the stall's rest");
	m.type = IPC_PROGRESS;
	m.id = 1;
	in.m = &m;
	slot_step(sl, SE_PROGRESS, &in);
	ok(sl->state == SLOT_BUSY && tasks[0].heard == ev_now(sup.loop) && tasks[0].started == now - 0.5,
	    "a progress moves when it was heard, not when it started");
	tasks[0].heard = now - 0.4;
	slot_step(sl, SE_TIMER, NULL);
	is_int(sl->state, SLOT_KILLING, "unheard for 0.4s under a 0.3s stall: KILLING");
	in.status = SIGKILL;
	slot_step(sl, SE_REAPED, &in);
	ok(ended == 1 && ended_status == OUT_TIMEOUT && ended_limit == TL_STALL,
	    "... a timeout, its limit the stall");
	slot_step(sl, SE_STOP, NULL);

	sl = busy_slot(1);
	tasks[0].heard = ev_now(sup.loop);	/* past its 1s, heard just now */
	slot_step(sl, SE_TIMER, NULL);
	in.status = SIGKILL;
	slot_step(sl, SE_REAPED, &in);
	ok(ended == 1 && ended_status == OUT_TIMEOUT && ended_limit == TL_TOTAL,
	    "heard just now but past its --timeout: a timeout, limit total");
	slot_step(sl, SE_STOP, NULL);

	sl = busy_slot(1);
	m.id = 9;
	slot_step(sl, SE_PROGRESS, &in);
	ok(sl->state == SLOT_KILLING && strcmp(sl->why, "progress for a task not running") == 0,
	    "a progress for another task: a protocol error");
	slot_step(sl, SE_STOP, NULL);
	sl = busy_slot(1);
	sl->q = sl->q_tail = NULL;
	sl->nq = 0;
	sl->state = SLOT_IDLE;
	m.id = 1;
	slot_step(sl, SE_PROGRESS, &in);
	ok(sl->state == SLOT_KILLING && strcmp(sl->why, "progress while no task was running") == 0,
	    "a progress with nothing running: a protocol error");
	slot_step(sl, SE_STOP, NULL);
	job.rec.stall_ms = 0;

	/* --timeout 300% over ok files of 0.5s: a cap of 1.5s, under the
	 * fixed 10s; not before five were ok. */
	job.rec.timeout_ms = 10000;
	job.rec.timeout_pct = 300;
	memset(&job.ok_s, 0, sizeof job.ok_s);
	for (i = 0; i < 4; i++)
		median_add(&job.ok_s, 0.5);
	sl = busy_slot(1);
	tasks[0].started = ev_now(sup.loop) - 2;
	slot_step(sl, SE_TIMER, NULL);
	ok(sl->state == SLOT_BUSY, "four ok files: the fixed cap still, 2s of 10s is in time");
	median_add(&job.ok_s, 0.5);
	slot_step(sl, SE_TIMER, NULL);
	is_int(sl->state, SLOT_KILLING, "five ok files of 0.5s: past 300%% of the median at 2s");
	in.status = SIGKILL;
	slot_step(sl, SE_REAPED, &in);
	ok(ended == 1 && ended_limit == TL_ADAPTIVE, "... a timeout, limit adaptive");
	slot_step(sl, SE_STOP, NULL);
	job.rec.timeout_ms = 1000;
	job.rec.timeout_pct = 0;
}

/* A child's walls are its job's for life: tasks of another job are never
 * sent to it (no second JOB message), whatever asks. */
static void
test_one_job_for_life(void)
{
	struct slot *sl = busy_slot(0 + 1);
	struct task t = { .job = &other, .id = 9, .path = (char *)"g", .path_len = 1 };
	struct task *batch[1] = { &t };
	char buf[64];
	int sv[2], r;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		ok(0, "socketpair");
		return;
	}
	sl->q = sl->q_tail = NULL;
	sl->nq = 0;
	sl->state = SLOT_IDLE;
	sl->sock = sv[0];
	r = slot_send(sl, batch, 1, NULL, 0);
	is_int(r, -1, "tasks of another job are refused by a child set up for one");
	ok(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT) < 0 && errno == EAGAIN, "... nothing reached it");
	ok(sl->job == &job && sl->nq == 0 && sl->state == SLOT_IDLE, "... and the slot is as it was");
	sl->job = NULL;
	job.held = 0;
	r = slot_send(sl, batch, 1, NULL, 0);
	ok(r == 0 && sl->job == &other && other.held == 1, "a fresh child takes the job it is sent");
	ok(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT) > 0, "... its JOB and TASK sent");
	close(sv[0]);
	close(sv[1]);
	ipc_buf_free(&sl->out);
	sl->out_off = 0;
	sl->sock = -1;
	sl->q = sl->q_tail = NULL;
	sl->nq = 0;
	sl->state = SLOT_EMPTY;
}

/* ---- the classifier ---- */

static struct death
classify(enum slot_kill_why kill, int status, int running, int serving)
{
	struct death_in in = {
		.kill = kill, .why = "words", .exec_errno = ENOENT, .reaped = 1, .status = status,
		.serving = serving, .running = running, .pid = 42, .timeout_s = 1, .hello_s = 10,
		.worker = "/w",
	};
	struct death d;

	death_classify(&in, &d);
	return d;
}

static void
test_death(void)
{
	struct death d;

	d = classify(KILL_NONE, W_EXITCODE(0, 0), 1, 1);
	ok(d.cause == DEATH_EXIT && d.outcome == OUT_CRASHED && d.respawn == RESPAWN_NOW &&
	    d.code == 0 && !d.killed && strcmp(d.what, "exited with status 0") == 0,
	    "exit 0 on a file: crashed, respawn now (%s)", d.what);
	d = classify(KILL_NONE, W_EXITCODE(1, 0), 0, 1);
	ok(d.cause == DEATH_EXIT && d.outcome == DEATH_NO_OUTCOME && d.respawn == RESPAWN_BACKOFF,
	    "exit 1 with nothing running: no outcome, back off");
	d = classify(KILL_NONE, SIGSEGV | 0x80, 1, 1);
	ok(d.cause == DEATH_SIGNAL && d.sig == SIGSEGV && d.code == -1 &&
	    strcmp(d.what, "killed by signal 11 (SIGSEGV), core dumped") == 0,
	    "SIGSEGV with a core (%s)", d.what);
	d = classify(KILL_NONE, SIGSYS, 1, 1);
	ok(d.cause == DEATH_SANDBOX && d.outcome == OUT_CRASHED && strncmp(d.what, "sandbox: ", 9) == 0,
	    "SIGSYS while serving: the sandbox (%s)", d.what);
	d = classify(KILL_NONE, SIGSYS, 0, 0);
	ok(d.cause == DEATH_SIGNAL, "SIGSYS before set-up: a plain signal");
	d = classify(KILL_NONE, W_EXITCODE(CHILD_EXIT_SETUP, 0), 1, 0);
	ok(d.cause == DEATH_SETUP && d.outcome == DEATH_NO_OUTCOME && d.respawn == RESPAWN_NEVER &&
	    strstr(d.what, "set-up failed (exit status 78)") != NULL, "exit 78 with no job: set-up, never (%s)", d.what);
	d = classify(KILL_TIMEOUT, SIGKILL, 1, 1);
	ok(d.cause == DEATH_TIMEOUT && d.outcome == OUT_TIMEOUT && d.respawn == RESPAWN_NOW && d.killed &&
	    d.sig == 0 && strcmp(d.what, "timeout after 1s") == 0, "our SIGKILL for a deadline: timeout");
	ok(d.limit == TL_TOTAL, "... its limit total when the slot named none");
	d = classify(KILL_TIMEOUT, W_EXITCODE(0, 0), 1, 1);
	ok(d.cause == DEATH_TIMEOUT && d.outcome == OUT_TIMEOUT, "... whatever its status");
	{
		struct death_in in = { .kill = KILL_TIMEOUT, .reaped = 1, .status = SIGKILL, .serving = 1,
		    .running = 1, .timeout_s = 60, .stall_s = 0.3, .limit = TL_STALL, .worker = "/w" };

		death_classify(&in, &d);
		ok(d.outcome == OUT_TIMEOUT && d.limit == TL_STALL &&
		    strcmp(d.what, "stalled: no progress for 0.3s") == 0, "a stall: timeout, limit stall (%s)",
		    d.what);
	}
	d = classify(KILL_NONE, SIGXCPU, 1, 1);
	ok(d.cause == DEATH_TIMEOUT && d.outcome == OUT_TIMEOUT && d.limit == TL_CPU && d.sig == SIGXCPU &&
	    d.respawn == RESPAWN_NOW, "SIGXCPU on a file: the kernel's CPU limit, a timeout (%s)", d.what);
	d = classify(KILL_NONE, SIGXCPU | 0x80, 1, 1);
	ok(d.outcome == OUT_TIMEOUT && d.limit == TL_CPU, "... with a core the same");
	d = classify(KILL_NONE, SIGXCPU, 0, 1);
	ok(d.cause == DEATH_SIGNAL && d.outcome == DEATH_NO_OUTCOME && d.limit == TL_NONE,
	    "SIGXCPU with nothing running: a plain signal");
	d = classify(KILL_NONE, SIGSEGV, 1, 1);
	ok(d.limit == TL_NONE, "a crash names no limit");
	d = classify(KILL_PROTOCOL, SIGKILL, 1, 1);
	ok(d.cause == DEATH_PROTOCOL && d.outcome == OUT_CRASHED && strcmp(d.what, "protocol error: words") == 0,
	    "protocol error on a file: crashed");
	d = classify(KILL_PROTOCOL, SIGKILL, 0, 1);
	ok(d.outcome == DEATH_NO_OUTCOME && d.respawn == RESPAWN_BACKOFF, "... with nothing running: back off");
	d = classify(KILL_HELLO, SIGKILL, 0, 0);
	ok(d.cause == DEATH_PROTOCOL && d.respawn == RESPAWN_BACKOFF && strcmp(d.what, "no hello within 10s") == 0,
	    "no hello: back off");
	d = classify(KILL_WORDS, SIGKILL, 1, 1);
	ok(d.cause == DEATH_SANDBOX && d.outcome == OUT_CRASHED && strcmp(d.what, "words") == 0,
	    "FATAL while serving: its words, crashed");
	d = classify(KILL_SETUP, W_EXITCODE(CHILD_EXIT_SETUP, 0), 0, 0);
	ok(d.cause == DEATH_SETUP && d.respawn == RESPAWN_NEVER &&
	    strcmp(d.what, "worker set-up failed: words") == 0, "FATAL before READY: set-up, never");
	d = classify(KILL_EXEC, W_EXITCODE(127, 0), 0, 0);
	ok(d.cause == DEATH_SETUP && d.respawn == RESPAWN_NEVER &&
	    strcmp(d.what, "unable to start worker program /w: No such file or directory") == 0,
	    "exec failed: never (%s)", d.what);
	{
		struct death_in in = { .kill = KILL_SETUP, .why = "no plugin", .reaped = 1,
		    .status = W_EXITCODE(CHILD_EXIT_SETUP, 0), .setting_up = 1, .worker = "/w" };

		death_classify(&in, &d);
		ok(d.cause == DEATH_SETUP && d.job_failed && d.respawn == RESPAWN_NOW &&
		    d.outcome == DEATH_NO_OUTCOME, "FATAL while set up for a job: the job fails, respawn now");
		in.kill = KILL_NONE;
		death_classify(&in, &d);
		ok(d.job_failed && d.respawn == RESPAWN_NOW, "... exit 78 for a job the same");
		in.kill = KILL_EXEC;
		death_classify(&in, &d);
		ok(!d.job_failed && d.respawn == RESPAWN_NEVER, "... but a program that cannot exec stops the pool");
	}
	d = classify(KILL_RECYCLE, SIGKILL, 0, 1);
	ok(d.cause == DEATH_RECYCLE && d.outcome == DEATH_NO_OUTCOME && d.respawn == RESPAWN_NOW,
	    "recycled: nobody's fault, respawn now");
	d = classify(KILL_RECYCLE, SIGKILL, 1, 1);
	ok(d.outcome == DEATH_NO_OUTCOME, "... with a file running: it goes back uncharged");
	d = classify(KILL_RSS, SIGKILL, 1, 1);
	ok(d.cause == DEATH_RSS && d.outcome == OUT_CRASHED && d.respawn == RESPAWN_NOW && d.killed &&
	    strcmp(d.what, "words") == 0, "above the hard cap: crashed, its words, respawn now");
	d = classify(KILL_SHUTDOWN, SIGKILL, 1, 1);
	ok(d.cause == DEATH_SHUTDOWN && d.outcome == DEATH_NO_OUTCOME && d.respawn == RESPAWN_NEVER,
	    "a stop charges nothing");
}

/* A child to stand for a slot's: alive, with a resident set, and ours to
 * kill and reap. */
static pid_t
sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static void
reap(struct slot *sl, pid_t pid)
{
	struct slot_input in = { 0 };

	waitpid(pid, &in.status, 0);
	slot_step(sl, SE_REAPED, &in);
}

/* --max-tasks-per-child and --max-child-rss: a child at its job's limits
 * is replaced, nobody's fault; the hard cap kills one mid-file, charged. */
static void
test_recycle(void)
{
	struct slot *sl;
	struct slot_input in = { 0 };
	struct ipc_msg m = { .type = IPC_RESULT, .id = 1, .ok = 1 };
	pid_t pid;

	slot_free(slots[0]);	/* the buffer the test before wrote */
	in.m = &m;
	job.rec.opts.max_tasks = 1;
	sl = busy_slot(1);
	sl->pid = pid = sleeper();
	slot_step(sl, SE_ANSWER, &in);
	is_int(sl->state, SLOT_KILLING, "its Nth file answered: replaced");
	ok(sl->kill_why == KILL_RECYCLE && sup.stats.recycles[RECYCLE_TASKS] == 1 &&
	    sup.stats.recycles[RECYCLE_RSS] == 0, "... as a recycle, counted by tasks");
	reap(sl, pid);
	ok(ended == 1 && ended_status == OUT_OK && requeued == 0, "... its file recorded ok, nothing else");
	ok(sl->state == SLOT_EMPTY && ev_is_active(&sl->timer), "... and a fresh child is due");
	slot_step(sl, SE_STOP, NULL);

	sl = busy_slot(2);
	sl->tasks_done = 0;
	ok(slot_budget(sl, &job, 8) == 0, "a child sent its N: no room for the job");
	job.rec.opts.max_tasks = 3;
	ok(slot_budget(sl, &job, 8) == 1, "... N 3, 2 queued: room for 1");
	sl->tasks_done = 1;
	ok(slot_budget(sl, &job, 8) == 0, "... 1 done and 2 queued: none");
	ok(slot_budget(sl, &other, 8) == 8, "... another job's limit is not this child's");
	job.rec.opts.max_tasks = 0;
	ok(slot_budget(sl, &job, 8) == 8, "... no limit: the room as it was");
	slot_step(sl, SE_STOP, NULL);

	job.rec.opts.max_rss = 1;
	sl = busy_slot(2);
	sl->pid = pid = sleeper();
	slot_step(sl, SE_ANSWER, &in);
	is_int(sl->state, SLOT_KILLING, "above --max-child-rss after a file: replaced");
	ok(sl->kill_why == KILL_RECYCLE && sup.stats.recycles[RECYCLE_RSS] == 1, "... counted by rss");
	ok(slot_room(sl) == 0, "... and sent nothing more");
	reap(sl, pid);
	ok(ended == 1 && ended_status == OUT_OK && requeued == 1,
	    "... its file recorded, the one queued behind back uncharged");
	slot_step(sl, SE_STOP, NULL);
	job.rec.opts.max_rss = 0;

	job.rec.opts.max_rss_hard = 1;
	sl = busy_slot(1);
	sl->pid = pid = sleeper();
	tasks[0].started = ev_now(sup.loop);	/* far from its deadline */
	slot_step(sl, SE_TIMER, NULL);
	is_int(sl->state, SLOT_KILLING, "above the hard cap while a file runs: killed");
	ok(sl->kill_why == KILL_RSS && strstr(sl->why, "above the hard cap 1 ") != NULL, "... saying so (%s)",
	    sl->why);
	reap(sl, pid);
	ok(ended == 1 && ended_status == OUT_CRASHED && requeued == 0, "... its file crashed");
	slot_step(sl, SE_STOP, NULL);
	job.rec.opts.max_rss_hard = 0;
}

int
main(void)
{
	test_table();
	test_lives();
	test_one_job_for_life();
	test_stall();
	test_death();
	test_recycle();
	return done_testing();
}
