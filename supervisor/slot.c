/* slot: one child process per slot, and every event that can happen to it.
 *
 *	EMPTY --spawn--> STARTING --hello--> READY --EOF/read error--> LOST
 *	  ^                 |                  |                         |
 *	  +----- respawn ---+--- timeout, protocol error, reap ----------+
 *
 * Whatever ends a child goes through slot_end(): it charges the running task
 * (the oldest unanswered one: a child works strictly in order), puts the
 * tasks queued behind it back uncharged, hands an unreaped process to the
 * corpse list, and schedules the replacement. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "supervisor/sup.h"

#define HELLO_WAIT	10.0	/* seconds a new child has to say hello */
#define REAP_WAIT	2.0	/* seconds from EOF to SIGKILL if no exit */
#define TERM_GRACE	1.0	/* exec: seconds from SIGTERM to SIGKILL */
#define BACKOFF_MIN	0.1
#define BACKOFF_MAX	10.0
#define START_TRIES	3	/* never-started children before giving up */
#define RESTART_TRIES	10	/* children in a row dying unused, later on */
#define READS_PER_CB	16	/* fairness between children */
#define ERRLOG_WORDS	200	/* bytes of its last stderr line in an error */

enum end_cause { END_EXIT, END_TIMEOUT, END_VIOLATION, END_HELLO, END_FATAL, END_WORDS };

static void slot_read_cb(struct ev_loop *, ev_io *, int);
static void slot_write_cb(struct ev_loop *, ev_io *, int);
static void slot_timer_cb(struct ev_loop *, ev_timer *, int);
static void slot_nap_cb(struct ev_loop *, ev_timer *, int);
static void slot_child_cb(struct ev_loop *, ev_child *, int);
static void slot_end(struct slot *sl, enum end_cause cause, int status, const char *why);

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
	[SLOT_EMPTY] = "empty", [SLOT_STARTING] = "starting",
	[SLOT_READY] = "ready", [SLOT_LOST] = "lost",
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
	ev_io_init(&sl->rio, slot_read_cb, -1, EV_READ);
	ev_io_init(&sl->wio, slot_write_cb, -1, EV_WRITE);
	ev_init(&sl->timer, slot_timer_cb);
	ev_init(&sl->nap, slot_nap_cb);
	ev_child_init(&sl->cw, slot_child_cb, 0, 0);
	errlog_init(&sl->err, s->loop, index);
	sl->rio.data = sl->wio.data = sl->timer.data = sl->nap.data = sl->cw.data = sl;
}

static void
slot_timer(struct slot *sl, ev_tstamp after)
{
	ev_timer_stop(sl->sup->loop, &sl->timer);
	ev_timer_set(&sl->timer, after, 0);
	ev_timer_start(sl->sup->loop, &sl->timer);
}

/* The running task's deadline: the rest of its timeout. */
static void
slot_arm_deadline(struct slot *sl)
{
	struct sup *s = sl->sup;
	ev_tstamp left;

	if (sl->q == NULL) {
		ev_timer_stop(s->loop, &sl->timer);
		return;
	}
	left = (ev_tstamp)s->opts->timeout_ms / 1000.0 - (ev_now(s->loop) - sl->q->started);
	slot_timer(sl, left > 0 ? left : 0);
}

/* A child that died without a task to blame: back off, or give up when the
 * worker program cannot start at all. */
static void
slot_backoff(struct slot *sl)
{
	struct sup *s = sl->sup;
	ev_tstamp delay;
	int n = ++s->start_failures;

	if (!s->ever_hello && n >= START_TRIES) {
		sup_fatal(s, "worker program %s cannot start: %d children in a row died before saying hello",
		    s->opts->worker, n);
		return;
	}
	if (n >= RESTART_TRIES) {
		sup_fatal(s, "worker program %s: %d children in a row died unused; giving up",
		    s->opts->worker, n);
		return;
	}
	delay = n == 1 ? 0 : BACKOFF_MIN * (double)(1u << (n - 2));
	if (delay > BACKOFF_MAX)
		delay = BACKOFF_MAX;
	if (delay > 0)
		log_warnx("slot %d: %d children in a row died unused; next start in %.1fs",
		    sl->index, n, delay);
	sl->state = SLOT_EMPTY;
	slot_timer(sl, delay);
}

void
slot_spawn(struct slot *sl)
{
	struct sup *s = sl->sup;
	char *argv[] = { (char *)s->opts->worker, "__worker", NULL };
	int sv[2], ep[2], op[2], err = 0;
	ssize_t n;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		log_warn("slot %d: unable to create socketpair", sl->index);
		slot_backoff(sl);
		return;
	}
	/* ep: exec's errno; op: the child's stderr, whose read end no other
	 * child inherits (close-on-exec, and never the child's own). */
	if (pipe2(ep, O_CLOEXEC) < 0) {
		log_warn("slot %d: unable to create pipe", sl->index);
		close(sv[0]), close(sv[1]);
		slot_backoff(sl);
		return;
	}
	if (pipe2(op, O_CLOEXEC) < 0) {
		log_warn("slot %d: unable to create pipe", sl->index);
		close(sv[0]), close(sv[1]), close(ep[0]), close(ep[1]);
		slot_backoff(sl);
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_warn("slot %d: unable to fork", sl->index);
		close(sv[0]), close(sv[1]), close(ep[0]), close(ep[1]), close(op[0]), close(op[1]);
		slot_backoff(sl);
		return;
	}
	if (pid == 0) {
		sigset_t none;
		int e = fcntl(ep[1], F_DUPFD_CLOEXEC, IPC_CHILD_FD + 1);
		/* Both ends lifted clear of 2 and 3 first, so that placing one
		 * cannot overwrite the other. */
		int sock = fcntl(sv[1], F_DUPFD_CLOEXEC, IPC_CHILD_FD + 1);
		int out = fcntl(op[1], F_DUPFD_CLOEXEC, IPC_CHILD_FD + 1);

		/* Its own process group, so a kill takes the handler's
		 * subprocesses too; and it dies with the supervisor. The
		 * getppid() check closes the race with a parent that died
		 * before prctl. */
		setpgid(0, 0);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != s->pid)
			_exit(1);
		if (sock < 0 || out < 0 || dup2(out, STDERR_FILENO) < 0 ||
		    dup2(sock, IPC_CHILD_FD) < 0)
			goto fail;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(argv[0], argv);
fail:
		err = errno;
		if (write(e, &err, sizeof err) < 0)
			_exit(127);
		_exit(127);
	}
	close(sv[1]);
	close(ep[1]);
	close(op[1]);
	setpgid(pid, pid);	/* both sides set it: whoever runs first wins */
	/* The pipe closes on exec; bytes on it are exec's errno. */
	do
		n = read(ep[0], &err, sizeof err);
	while (n < 0 && errno == EINTR);
	close(ep[0]);
	if (n == (ssize_t)sizeof err) {
		waitpid(pid, NULL, 0);
		close(sv[0]);
		close(op[0]);
		sup_fatal(s, "unable to start worker program %s: %s", s->opts->worker, strerror(err));
		return;
	}
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	sl->pid = pid;
	sl->sock = sv[0];
	sl->job_sent = 0;
	sl->job_ready = 0;
	sl->read_at = 0;
	sl->lost_why = NULL;
	sl->reaped = 0;
	sl->tasks_done = 0;
	ipc_reader_init(&sl->rd, IPC_FRAME_MAX);
	sl->out.len = sl->out_off = 0;
	fcntl(op[0], F_SETFL, fcntl(op[0], F_GETFL) | O_NONBLOCK);
	errlog_open(&sl->err, op[0], pid);
	ev_io_set(&sl->rio, sl->sock, EV_READ);
	ev_io_start(s->loop, &sl->rio);
	ev_io_set(&sl->wio, sl->sock, EV_WRITE);
	ev_child_set(&sl->cw, pid, 0);
	ev_child_start(s->loop, &sl->cw);
	sl->state = SLOT_STARTING;
	slot_timer(sl, HELLO_WAIT);
	if (s->opts->verbose)
		log_warnx("slot %d: started worker %d", sl->index, (int)pid);
}

/* Without --depth, a child's queue holds about QUEUE_S of work at the pace
 * its recent tasks went: deep for small files, where the round trip is the
 * cost and each write and wake-up should carry many, shallow for big ones,
 * so that the last files of a job are not stuck behind a busy child. */
#define QUEUE_S		0.006
#define DEPTH_MIN	2
#define DEPTH_START	4
#define PACE_WINDOW	64	/* tasks the pace is taken over, about */

static int
slot_depth(const struct slot *sl)
{
	double d;

	if (sl->sup->opts->depth > 0)
		return (int)sl->sup->opts->depth;
	if (sl->busy_n < 8)
		return DEPTH_START;
	d = sl->busy_s > 0 ? QUEUE_S * sl->busy_n / sl->busy_s : DEPTH_MAX;
	return d < DEPTH_MIN ? DEPTH_MIN : d > DEPTH_MAX ? DEPTH_MAX : (int)d;
}

int
slot_room(const struct slot *sl)
{
	int depth = slot_depth(sl);

	/* Refilled in batches: when half the queue has drained, so one write
	 * carries several tasks and their descriptors, and the child still
	 * has work queued while the answer travels. Before a commit, which
	 * holds the loop while it syncs, every queue is filled. */
	if (sl->state != SLOT_READY || sl->out_off != sl->out.len ||
	    (sl->nq > depth / 2 && !sl->sup->topup))
		return 0;
	return depth - sl->nq;
}

int
slot_send(struct slot *sl, struct task **t, int n, const int *fds, int nfds)
{
	struct sup *s = sl->sup;
	size_t mark = sl->out.len;
	uint32_t job = t[0]->job->rec.id;
	ssize_t sent;
	int i, all[IPC_FD_QUEUE];

	if (sl->job_sent != job) {
		if (ipc_put_job(&sl->out, job, t[0]->job->rec.handler,
		    strlen(t[0]->job->rec.handler), t[0]->job->rec.arg, strlen(t[0]->job->rec.arg),
		    (const uint8_t *)t[0]->job->wire_opts, t[0]->job->wire_opts_len) < 0)
			goto undo;
		/* With --extract, the job's directory rides in front. */
		if (t[0]->job->outfd >= 0 && nfds < IPC_FD_QUEUE) {
			all[0] = t[0]->job->outfd;
			memcpy(all + 1, fds, (size_t)nfds * sizeof *fds);
			fds = all;
			nfds++;
		}
	}
	for (i = 0; i < n; i++)
		if (ipc_put_task(&sl->out, job, t[i]->id, t[i]->path, t[i]->path_len) < 0)
			goto undo;
	/* The descriptors ride on the first byte of this write; the child
	 * pairs them with TASK frames in order. */
	sent = ipc_send_fds(sl->sock, sl->out.data + sl->out_off, sl->out.len - sl->out_off, fds, nfds);
	if (sent <= 0)
		goto undo;
	sl->out_off += (size_t)sent;
	if (sl->out_off == sl->out.len)
		sl->out.len = sl->out_off = 0;
	else
		ev_io_start(s->loop, &sl->wio);
	sl->job_sent = job;
	for (i = 0; i < n; i++) {
		t[i]->next = NULL;
		if (sl->q_tail)
			sl->q_tail->next = t[i];
		else
			sl->q = t[i];
		sl->q_tail = t[i];
		if (sl->nq++ == 0) {
			t[i]->started = ev_now(s->loop);
			slot_arm_deadline(sl);
		}
	}
	return 0;
undo:
	sl->out.len = mark;
	return -1;
}

static void
slot_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct slot *sl = w->data;
	ssize_t n;

	(void)revents;
	n = ipc_send(sl->sock, sl->out.data + sl->out_off, sl->out.len - sl->out_off, -1);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		ev_io_stop(loop, w);	/* EOF or the reap will end it */
		return;
	}
	sl->out_off += (size_t)n;
	if (sl->out_off == sl->out.len) {
		sl->out.len = sl->out_off = 0;
		ev_io_stop(loop, w);
		sup_dispatch(sl->sup);
	}
}

/* Forgets the child: watchers, socket, buffers. The slot is then EMPTY. */
static void
slot_close(struct slot *sl)
{
	struct ev_loop *loop = sl->sup->loop;

	ev_io_stop(loop, &sl->rio);
	ev_io_stop(loop, &sl->wio);
	ev_timer_stop(loop, &sl->timer);
	ev_timer_stop(loop, &sl->nap);
	ev_child_stop(loop, &sl->cw);
	errlog_close(&sl->err);
	if (sl->sock >= 0)
		close(sl->sock);
	sl->sock = -1;
	ipc_reader_free(&sl->rd);
	sl->out.len = sl->out_off = 0;
	sl->state = SLOT_EMPTY;
	sl->pid = 0;
}

static struct task *
slot_pop(struct slot *sl)
{
	struct task *t = sl->q;

	if (t == NULL)
		return NULL;
	sl->q = t->next;
	if (sl->q == NULL)
		sl->q_tail = NULL;
	sl->nq--;
	t->next = NULL;
	return t;
}

/* Decodes and acts on one frame. Returns 0, or -1 when the child is gone. */
static int
slot_message(struct slot *sl, const uint8_t *body, size_t len)
{
	struct sup *s = sl->sup;
	struct ipc_msg m;
	struct task *t;
	const char *why;

	if (ipc_decode(body, len, &m, &why) < 0) {
		slot_end(sl, END_VIOLATION, 0, why);
		return -1;
	}
	if (m.type == IPC_FATAL && sl->job_ready != 0) {
		/* Set up and serving: not a set-up failure but the last words
		 * of a child dying on its running task, such as the system
		 * call its sandbox refused. The child may lie; it only names
		 * its own end. */
		slot_end(sl, END_WORDS, 0, sup_esc(m.error, m.error_len));
		return -1;
	}
	if (m.type == IPC_FATAL) {
		sup_fatal(s, "worker set-up failed: %s", sup_esc(m.error, m.error_len));
		slot_end(sl, END_FATAL, 0, NULL);
		return -1;
	}
	switch (sl->state) {
	case SLOT_STARTING:
		if (m.type != IPC_HELLO)
			break;
		sl->state = SLOT_READY;
		ev_timer_stop(s->loop, &sl->timer);
		if (sl->ended_at > 0) {
			/* A replacement is ready; dispatch follows in this turn. */
			samples_add(&s->stats.replace_ms, (ev_time() - sl->ended_at) * 1000);
			sl->ended_at = 0;
		}
		s->start_failures = 0;
		s->ever_hello = 1;
		return 0;
	case SLOT_READY:
		if (m.type == IPC_READY && m.job == sl->job_sent && sl->job_ready != m.job) {
			sl->job_ready = m.job;
			return 0;
		}
		if (m.type != IPC_RESULT)
			break;
		if (sl->q == NULL || sl->q->id != m.id) {
			slot_end(sl, END_VIOLATION, 0, sl->q == NULL ?
			    "result while no task was running" : "result for a task not running");
			return -1;
		}
		t = slot_pop(sl);
		sl->tasks_done++;
		if (sl->q)
			sl->q->started = ev_now(s->loop);
		slot_arm_deadline(sl);
		sup_task_end(s, t, m.ok ? OUT_OK : OUT_FAILED, m.error, m.error_len,
		    m.result, m.result_len, 0, -1, NULL, 0);
		return 0;
	default:
		break;
	}
	slot_end(sl, END_VIOLATION, 0, m.type == IPC_HELLO ? "a second hello" : "unexpected message");
	return -1;
}

/* Reads what the socket holds and acts on every whole frame; to_eof: the
 * child is dead, read until the end. Returns 0 while the child lives, -1
 * once it has been ended (or the socket is finished). */
static int
slot_drain(struct slot *sl, int max_reads, int to_eof)
{
	struct sup *s = sl->sup;
	const uint8_t *body;
	size_t len;
	ssize_t n;
	pid_t pid = sl->pid;
	int r, drained;

	while (max_reads-- > 0) {
		n = ipc_read(&sl->rd, sl->sock, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			if (ipc_pending(&sl->rd) > 0) {
				slot_end(sl, END_VIOLATION, 0, "end of stream in the middle of a frame");
				return -1;
			}
			/* EOF or a read error: wait for the exit status, which
			 * says how the child died. */
			ev_io_stop(s->loop, &sl->rio);
			ev_io_stop(s->loop, &sl->wio);
			ev_timer_stop(s->loop, &sl->nap);
			if (sl->state != SLOT_LOST) {
				sl->state = SLOT_LOST;
				slot_timer(sl, REAP_WAIT);
			}
			return -1;
		}
		/* A read that left room took all there was: the loop wakes
		 * us for more, so no second read only to hear EAGAIN. */
		drained = sl->rd.len < sl->rd.cap;
		while ((r = ipc_next(&sl->rd, &body, &len)) == 1) {
			if (slot_message(sl, body, len) < 0 || sl->pid != pid ||
			    sl->state == SLOT_EMPTY || s->stopping)
				return -1;
		}
		if (r < 0) {
			slot_end(sl, END_VIOLATION, 0, "frame length out of bounds");
			return -1;
		}
		if (drained && !to_eof)
			return 0;
	}
	return 0;
}

/* With a long queue at a known pace, a child has work for a while: its
 * answers can wait in the socket, and be read many at a time, instead of
 * waking the supervisor one by one. The nap lasts while half the queue
 * runs at that pace, never longer than NAP_MAX; a death, a deadline or a
 * stop is noticed as before (they do not wait on the socket). */
#define NAP_MIN		0.001
#define NAP_MAX		0.003
#define NAP_QUEUE	4	/* tasks queued, at least, to nap */

static void
slot_nap(struct slot *sl)
{
	struct sup *s = sl->sup;
	double nap;

	if (sl->state != SLOT_READY || s->stopping || sl->nq < NAP_QUEUE || sl->busy_n < 8 ||
	    ev_is_active(&sl->nap))
		return;
	/* Whole milliseconds: the loop's timers have no finer grain, and a
	 * nap rounded up would leave the child idle. */
	nap = floor(sl->nq / 2 * sl->busy_s / sl->busy_n * 1000) / 1000;
	if (nap < NAP_MIN)
		return;
	ev_io_stop(s->loop, &sl->rio);
	ev_timer_set(&sl->nap, nap < NAP_MAX ? nap : NAP_MAX, 0);
	ev_timer_start(s->loop, &sl->nap);
}

static void
slot_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct slot *sl = w->data;

	int queued = sl->nq;
	uint64_t done = sl->tasks_done;

	(void)revents;
	slot_drain(sl, READS_PER_CB, 0);
	/* The pace. A read that left tasks unanswered proves the child was
	 * busy all the time since the last one: its time per task is a
	 * sample. One that found all answered may have found the child idle
	 * for a while: its time per task is only an upper bound, taken when
	 * it is below the pace (the files got faster). */
	if (sl->state == SLOT_READY && sl->tasks_done > done && sl->read_at > 0) {
		double took = ev_now(loop) - sl->read_at, n = (double)(sl->tasks_done - done);

		if ((int)n < queued || sl->busy_n == 0 || took / n < sl->busy_s / sl->busy_n) {
			sl->busy_s += took;
			sl->busy_n += n;
		}
		if (sl->busy_n >= 2 * PACE_WINDOW) {
			sl->busy_s /= 2;
			sl->busy_n /= 2;
		}
	}
	sup_dispatch(sl->sup);
	sl->read_at = ev_now(loop);
	slot_nap(sl);
}

static void
slot_nap_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct slot *sl = w->data;

	(void)revents;
	if (sl->state != SLOT_READY)
		return;
	ev_io_start(loop, &sl->rio);
	slot_read_cb(loop, &sl->rio, EV_READ);
}

static void
corpse_reaped(struct ev_loop *loop, ev_child *w, int revents)
{
	struct corpse *c = w->data, **pp;

	(void)revents;
	/* The leader is gone; anything left in its group goes too. */
	slot_kill(c->pid, SIGKILL);
	ev_child_stop(loop, &c->cw);
	ev_timer_stop(loop, &c->grace);
	for (pp = &c->sup->corpses; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	free(c);
}

static void
corpse_grace(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct corpse *c = w->data;

	(void)loop, (void)revents;
	slot_kill(c->pid, SIGKILL);
}

/* Kills pid's group (SIGTERM first when grace) and watches for its reap. */
static void
corpse_add(struct sup *s, pid_t pid, ev_tstamp grace)
{
	struct corpse *c;

	if (pid <= 1)
		return;
	slot_kill(pid, grace > 0 ? SIGTERM : SIGKILL);
	if ((c = calloc(1, sizeof *c)) == NULL) {
		slot_kill(pid, SIGKILL);
		return;			/* init reaps it after we exit */
	}
	c->sup = s;
	c->pid = pid;
	ev_child_init(&c->cw, corpse_reaped, pid, 0);
	ev_timer_init(&c->grace, corpse_grace, grace, 0);
	c->cw.data = c->grace.data = c;
	ev_child_start(s->loop, &c->cw);
	if (grace > 0)
		ev_timer_start(s->loop, &c->grace);
	c->next = s->corpses;
	s->corpses = c;
}

static const char *
signame(int sig)
{
	const char *n = sigabbrev_np(sig);

	return n ? n : "?";
}

/* One exit status in words: "killed by signal 11 (SIGSEGV)". */
static void
describe_status(int status, char *buf, size_t len, int *sig, int *code)
{
	*sig = 0;
	*code = -1;
	if (WIFSIGNALED(status)) {
		*sig = WTERMSIG(status);
		snprintf(buf, len, "killed by signal %d (SIG%s)%s", *sig, signame(*sig),
		    WCOREDUMP(status) ? ", core dumped" : "");
	} else if (WIFEXITED(status)) {
		*code = WEXITSTATUS(status);
		snprintf(buf, len, "exited with status %d", *code);
	} else
		snprintf(buf, len, "ended with wait status %#x", status);
}

static void
slot_end(struct slot *sl, enum end_cause cause, int status, const char *why)
{
	struct sup *s = sl->sup;
	/* A set-up failure is nobody's file's fault: charge nothing. */
	struct task *t = cause == END_FATAL ? NULL : slot_pop(sl), *rest;
	char what[256 + ERRLOG_WORDS + 16];
	const char *tail = NULL, *last;
	size_t tlen = 0, llen;
	int sig = 0, code = -1, charged = t != NULL;
	pid_t pid = sl->pid;

	if (sl->state == SLOT_EMPTY)
		return;		/* already ended: by a shutdown, say */

	slot_close(sl);

	switch (cause) {
	case END_EXIT:
		describe_status(status, what, sizeof what, &sig, &code);
		if (sl->lost_why) {
			/* It hung up on us before exiting: the hang-up is the
			 * violation, the status only how it ended. */
			snprintf(what, sizeof what, "protocol error: %s", sl->lost_why);
			sig = 0, code = -1;
		}
		if (sig == SIGSYS && sl->job_ready != 0) {
			/* Killed by seccomp without a word. */
			snprintf(what, sizeof what, "sandbox: a refused system call (killed by signal %d (SIGSYS))",
			    sig);
			break;
		}
		if (code == CHILD_EXIT_SETUP) {
			sup_fatal(s, "worker %d: set-up failed (exit status %d)", (int)pid, code);
			break;
		}
		break;
	case END_TIMEOUT:
		snprintf(what, sizeof what, "timeout after %gs", (double)s->opts->timeout_ms / 1000);
		corpse_add(s, pid, strcmp(s->opts->handler, "exec") == 0 ? TERM_GRACE : 0);
		break;
	case END_VIOLATION:
		snprintf(what, sizeof what, "protocol error: %s", why);
		if (!sl->reaped)
			corpse_add(s, pid, 0);
		break;
	case END_WORDS:
		snprintf(what, sizeof what, "%s", why);
		if (!sl->reaped)
			corpse_add(s, pid, 0);
		break;
	case END_FATAL:
		snprintf(what, sizeof what, "set-up failed");
		if (!sl->reaped)
			corpse_add(s, pid, 0);
		break;
	case END_HELLO:
		snprintf(what, sizeof what, "no hello within %gs", HELLO_WAIT);
		corpse_add(s, pid, 0);
		break;
	}
	if (t)
		log_warnx("worker %d (slot %d) %s%s on %s", (int)pid, sl->index,
		    cause == END_EXIT ? "" : "killed: ", what, sup_esc(t->path, t->path_len));
	else if (!s->stopping)
		log_warnx("worker %d (slot %d) %s%s", (int)pid, sl->index,
		    cause == END_EXIT ? "" : "killed: ", what);

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
	if (t)
		sup_task_end(s, t, cause == END_TIMEOUT ? OUT_TIMEOUT : OUT_CRASHED,
		    what, strlen(what), NULL, 0, sig, code, tail, tlen);
	if (s->stopping)
		return;
	/* A child that died on a file is the file's fault: replace it now.
	 * One that died with nothing to do is the program's: back off. */
	if (charged) {
		sl->ended_at = ev_time();
		sl->state = SLOT_EMPTY;
		slot_timer(sl, 0);
	} else
		slot_backoff(sl);
}

static void
slot_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct slot *sl = w->data;

	(void)loop, (void)revents;
	switch (sl->state) {
	case SLOT_EMPTY:
		sl->sup->stats.respawns++;
		slot_spawn(sl);
		break;
	case SLOT_STARTING:
		slot_end(sl, END_HELLO, 0, NULL);
		break;
	case SLOT_READY:
		/* Answers already in the socket come first: the deadline is
		 * the running task's only if it is still running. */
		if (slot_drain(sl, READS_PER_CB, 0) < 0 || sl->state != SLOT_READY)
			break;
		if (sl->q && ev_now(loop) - sl->q->started < (ev_tstamp)sl->sup->opts->timeout_ms / 1000.0) {
			slot_arm_deadline(sl);
			break;
		}
		if (sl->q) {
			samples_add(&sl->sup->stats.kill_late_ms, (ev_time() - sl->q->started -
			    (ev_tstamp)sl->sup->opts->timeout_ms / 1000.0) * 1000);
			slot_end(sl, END_TIMEOUT, 0, NULL);
		}
		break;
	case SLOT_LOST:
		/* It closed its socket but lives on: make it exit. */
		sl->lost_why = "closed its socket without exiting";
		slot_kill(sl->pid, SIGKILL);
		break;
	default:
		break;
	}
	sup_dispatch(sl->sup);
}

static void
slot_child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct slot *sl = w->data;
	int status = w->rstatus;

	(void)loop, (void)revents;
	/* Results it sent before dying are still in the socket: take them
	 * first, so the death is charged to the task that was running. */
	sl->reaped = 1;
	if (sl->state == SLOT_READY || sl->state == SLOT_STARTING) {
		if (slot_drain(sl, 1 << 20, 1) == 0 && sl->state != SLOT_EMPTY)
			sl->state = SLOT_LOST;
	}
	if (sl->state == SLOT_EMPTY)	/* ended while draining */
		return;
	slot_kill(w->rpid, SIGKILL);	/* what is left of its group */
	slot_end(sl, END_EXIT, status, NULL);
	sup_dispatch(sl->sup);
}

void
slot_shutdown(struct slot *sl)
{
	struct task *t;

	if (sl->pid > 0) {
		slot_kill(sl->pid, SIGKILL);
		waitpid(sl->pid, NULL, 0);
	}
	slot_close(sl);
	ipc_buf_free(&sl->out);
	while ((t = slot_pop(sl)) != NULL) {
		t->job->inflight--;
		task_free(t);
	}
}

void
slot_shift(struct slot *sl, ev_tstamp by)
{
	struct task *t;

	for (t = sl->q; t; t = t->next)
		t->started += by;
	if (sl->state == SLOT_READY && sl->q)
		slot_arm_deadline(sl);
	else if (sl->state == SLOT_STARTING)
		slot_timer(sl, HELLO_WAIT);
}

void
slot_stop_children(struct sup *s, int sig)
{
	struct corpse *c;
	int i;

	for (i = 0; i < s->nslots; i++)
		slot_kill(s->slots[i].pid, sig);
	for (c = s->corpses; c; c = c->next)
		slot_kill(c->pid, sig);
}
