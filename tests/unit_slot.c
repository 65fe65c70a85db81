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
	(void)tail, (void)tlen, (void)t;
	ended++;
	ended_status = status;
	if (stop_on_end)	/* a halt: the run stops inside the step */
		sup_stop(s);
}

int
sup_task_hashed(struct sup *s, struct task *t, const uint8_t sha256[32])
{
	(void)s, (void)t, (void)sha256;
	return 0;
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
	d = classify(KILL_TIMEOUT, W_EXITCODE(0, 0), 1, 1);
	ok(d.cause == DEATH_TIMEOUT && d.outcome == OUT_TIMEOUT, "... whatever its status");
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
	d = classify(KILL_SHUTDOWN, SIGKILL, 1, 1);
	ok(d.cause == DEATH_SHUTDOWN && d.outcome == DEATH_NO_OUTCOME && d.respawn == RESPAWN_NEVER,
	    "a stop charges nothing");
}

int
main(void)
{
	test_table();
	test_lives();
	test_one_job_for_life();
	test_death();
	return done_testing();
}
