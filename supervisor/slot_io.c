/* slot_io: a slot's descriptors and timers, turned into slot events. The
 * callbacks here read and write the child's socket, watch the exec-status
 * pipe, the timer and the reap, and hand each happening to slot_step();
 * none of them looks at a slot's state. Also the dispatcher's side: how
 * many tasks a slot takes, and the write that sends them. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "supervisor/slot_step.h"
#include "supervisor/sup.h"

#define READS_PER_CB	16	/* fairness between children */

/* Callbacks bracket their steps, so that teardown waits for their end. */
static void
enter(struct slot *sl)
{
	sl->in_cb++;
}

static void
leave(struct slot *sl)
{
	sl->in_cb--;
	slot_settle(sl);
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
slot_pace_depth(const struct slot *sl)
{
	double d;

	if (sl->sup->opts.depth > 0)
		return (int)sl->sup->opts.depth;
	if (sl->busy_n < 8)
		return DEPTH_START;
	d = sl->busy_s > 0 ? QUEUE_S * sl->busy_n / sl->busy_s : DEPTH_MAX;	/* NOLINT(bugprone-integer-division): DEPTH_MAX is a whole count */
	return d < DEPTH_MIN ? DEPTH_MIN : d > DEPTH_MAX ? DEPTH_MAX : (int)d;	/* NOLINT(bugprone-integer-division): likewise */
}

/* ... within what the child may hold (a host's low descriptor limit). */
static int
slot_depth(const struct slot *sl)
{
	int d = slot_pace_depth(sl), cap = sl->sup->depth_cap;

	return cap > 0 && d > cap ? cap : d;
}

int
slot_room(const struct slot *sl)
{
	int depth = slot_depth(sl);

	/* Refilled in batches: when half the queue has drained, so one write
	 * carries several tasks and their descriptors, and the child still
	 * has work queued while the answer travels. Before a commit, which
	 * holds the loop while it syncs, every queue is filled. */
	if (!slot_takes_tasks(sl) || sl->spent != RECYCLE_NONE || sl->out_off != sl->out.len ||
	    (sl->nq > depth / 2 && !sl->sup->topup))
		return 0;
	return depth - sl->nq;
}

/* ... and within what its job lets one child do: no more than
 * --max-tasks-per-child files, those done and those queued. */
int
slot_budget(const struct slot *sl, const struct job *j, int room)
{
	uint64_t max = j->rec.opts.max_tasks, sent = sl->tasks_done + (uint64_t)sl->nq;

	if (max == 0 || (sl->job != NULL && sl->job != j))
		return room;
	if (sent >= max)
		return 0;
	return max - sent < (uint64_t)room ? (int)(max - sent) : room;
}

int
slot_send(struct slot *sl, struct task **t, int n, const int *fds, int nfds)
{
	struct sup *s = sl->sup;
	struct job *j = t[0]->job;
	size_t mark = sl->out.len;
	uint32_t job = j->rec.id;
	ssize_t sent;
	int i, all[IPC_FD_QUEUE];

	/* A child's walls are its job's, for life: another job's tasks go
	 * to a fresh child (slot_recycle), never to this one. */
	if (sl->job != NULL && sl->job != j) {
		log_warnx("slot %d: worker %d is set up for job %s, not %s; not sent", sl->index,
		    (int)sl->pid, sl->job->rec.name, j->rec.name);
		errno = EINVAL;
		return -1;
	}
	for (i = 1; i < n; i++)
		if (t[i]->job != j) {
			errno = EINVAL;
			return -1;
		}
	if (sl->job == NULL) {
		/* Its slot and its job's name: what the child calls itself
		 * (ps) and what {%} of an exec command is. */
		if (ipc_put_job(&sl->out, job, t[0]->job->rec.handler,
		    strlen(t[0]->job->rec.handler), t[0]->job->rec.arg, strlen(t[0]->job->rec.arg),
		    (const uint8_t *)t[0]->job->wire_opts, t[0]->job->wire_opts_len, (uint32_t)sl->index,
		    t[0]->job->rec.name, strnlen(t[0]->job->rec.name, sizeof t[0]->job->rec.name - 1)) < 0)
			goto undo;
		/* With --extract, the job's directory rides in front. */
		if (t[0]->job->outfd >= 0 && nfds < IPC_FD_QUEUE) {
			all[0] = t[0]->job->outfd;
			if (nfds > 0)
				memcpy(all + 1, fds, (size_t)nfds * sizeof *fds);
			fds = all;
			nfds++;
		}
	}
	for (i = 0; i < n; i++)
		if (ipc_put_task(&sl->out, job, t[i]->id, t[i]->path, t[i]->path_len, t[i]->seq) < 0)
			goto undo;
	/* The descriptors ride on the first byte of this write; the child
	 * pairs them with TASK frames in order. */
	sent = ipc_send_fds(sl->sock, sl->out.data + sl->out_off, sl->out.len - sl->out_off, fds, nfds);
	/* Too many descriptors in flight for our limit, or no kernel
	 * memory for them: the host's refusal, the tasks wait. */
	if (sent < 0 && sup_host_refused(errno))
		goto undo;
	if (sent < 0 && errno != EAGAIN && errno != EINTR) {
		sl->out.len = mark;
		slot_step(sl, SE_WRITE_ERROR, NULL);
		return -1;
	}
	if (sent <= 0)
		goto undo;
	sl->out_off += (size_t)sent;
	if (sl->out_off == sl->out.len)
		sl->out.len = sl->out_off = 0;
	else
		ev_io_start(s->loop, &sl->wio);
	if (sl->job == NULL) {
		sl->job = j;
		sl->job_since = ev_now(s->loop);
		j->held++;
	}
	for (i = 0; i < n; i++) {
		t[i]->next = NULL;
		if (sl->q_tail)
			sl->q_tail->next = t[i];
		else
			sl->q = t[i];
		sl->q_tail = t[i];
		sl->nq++;
	}
	slot_step(sl, SE_SENT, NULL);
	return 0;
undo:
	i = errno;
	sl->out.len = mark;
	errno = i;
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
		enter(sl);
		slot_step(sl, SE_WRITE_ERROR, NULL);
		leave(sl);
		return;
	}
	sl->out_off += (size_t)n;
	if (sl->out_off == sl->out.len) {
		sl->out.len = sl->out_off = 0;
		ev_io_stop(loop, w);
		sup_dispatch(sl->sup);
	}
}

/* One frame, decoded, as the event its type is. */
static void
slot_message(struct slot *sl, const uint8_t *body, size_t len)
{
	struct slot_input in = { 0 };
	struct ipc_msg m;

	if (ipc_decode(body, len, &m, &in.why) < 0) {
		slot_step(sl, SE_BAD_FRAME, &in);
		return;
	}
	in.m = &m;
	switch (m.type) {
	case IPC_HELLO:
		slot_step(sl, SE_HELLO, &in);
		return;
	case IPC_READY:
		slot_step(sl, SE_READY, &in);
		return;
	case IPC_RESULT:
		slot_step(sl, SE_ANSWER, &in);
		return;
	case IPC_FATAL:
		slot_step(sl, SE_WORDS, &in);
		return;
	case IPC_PROGRESS:
		slot_step(sl, SE_PROGRESS, &in);
		return;
	case IPC_HASH:
		slot_step(sl, SE_HASH, &in);
		return;
	default:
		in.why = "unexpected message";
		slot_step(sl, SE_BAD_FRAME, &in);
		return;
	}
}

static void
bad_stream(struct slot *sl, const char *why)
{
	struct slot_input in = { .why = why };

	slot_step(sl, SE_BAD_FRAME, &in);
}

/* Reads what the socket holds and steps on every whole frame; to_eof: the
 * child is dead, read until the end. Returns 0 while reading goes on, -1
 * once the stream ended or a step ended reading (or the run). */
static int
slot_drain(struct slot *sl, int max_reads, int to_eof)
{
	struct sup *s = sl->sup;
	const uint8_t *body;
	size_t len;
	ssize_t n;
	int r, drained;

	if (!sl->reading)
		return 0;
	while (max_reads-- > 0) {
		n = ipc_read(&sl->rd, sl->sock, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			if (ipc_pending(&sl->rd) > 0)
				bad_stream(sl, "end of stream in the middle of a frame");
			else
				slot_step(sl, SE_EOF, NULL);
			return -1;
		}
		/* A read that left room took all there was: the loop wakes
		 * us for more, so no second read only to hear EAGAIN. */
		drained = sl->rd.len < sl->rd.cap;
		while ((r = ipc_next(&sl->rd, &body, &len)) == 1) {
			slot_message(sl, body, len);
			if (!sl->reading || s->stopping)
				return -1;
		}
		if (r < 0) {
			bad_stream(sl, "frame length out of bounds");
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

	if (!ev_is_active(&sl->rio) || s->stopping || sl->nq < NAP_QUEUE || sl->busy_n < 8)
		return;
	/* With --reuse, each task's HASH waits for our answer: a child that
	 * waits on us has no work while we nap. */
	if (sl->job != NULL && sl->job->rec.opts.reuse)
		return;
	/* Whole milliseconds: the loop's timers have no finer grain, and a
	 * nap rounded up would leave the child idle. */
	nap = floor(sl->nq / 2 * sl->busy_s / sl->busy_n * 1000) / 1000;	/* NOLINT(bugprone-integer-division): half the queue in whole tasks */
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
	enter(sl);
	slot_drain(sl, READS_PER_CB, 0);
	leave(sl);
	/* The pace. A read that left tasks unanswered proves the child was
	 * busy all the time since the last one: its time per task is a
	 * sample. One that found all answered may have found the child idle
	 * for a while: its time per task is only an upper bound, taken when
	 * it is below the pace (the files got faster). */
	if (sl->tasks_done > done && sl->read_at > 0) {
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

/* The nap runs only while reading is on: every step that ends reading
 * stops it. */
static void
slot_nap_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct slot *sl = w->data;

	(void)revents;
	ev_io_start(loop, &sl->rio);
	slot_read_cb(loop, &sl->rio, EV_READ);
}

/* What the exec-status pipe holds: exec's errno, or its end (the program
 * runs), or nothing yet. */
static void
slot_exec_status(struct slot *sl)
{
	struct slot_input in = { 0 };
	ssize_t n;

	if (sl->execfd < 0)
		return;
	do
		n = read(sl->execfd, &in.err, sizeof in.err);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return;
	slot_step(sl, n == (ssize_t)sizeof in.err ? SE_EXEC_FAILED : SE_EXECED, &in);
}

static void
slot_exec_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct slot *sl = w->data;

	(void)loop, (void)revents;
	enter(sl);
	slot_exec_status(sl);
	leave(sl);
	sup_dispatch(sl->sup);
}

static void
slot_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct slot *sl = w->data;

	(void)loop, (void)revents;
	enter(sl);
	/* Answers already in the socket come first: a deadline is the
	 * running task's only if it is still running, and one re-armed
	 * (or ended) by what was read is not due. */
	if (slot_drain(sl, READS_PER_CB, 0) == 0 && !ev_is_active(&sl->timer))
		slot_step(sl, SE_TIMER, NULL);
	leave(sl);
	sup_dispatch(sl->sup);
}

static void
slot_child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct slot *sl = w->data;
	struct slot_input in = { .status = w->rstatus };

	(void)loop, (void)revents;
	enter(sl);
	/* Exec's verdict, and results it sent before dying, come first: the
	 * death is charged to the task that was running. */
	slot_exec_status(sl);
	slot_drain(sl, 1 << 20, 1);
	slot_step(sl, SE_REAPED, &in);
	leave(sl);
	sup_dispatch(sl->sup);
}

void
slot_io_init(struct slot *sl)
{
	ev_io_init(&sl->rio, slot_read_cb, -1, EV_READ);
	ev_io_init(&sl->wio, slot_write_cb, -1, EV_WRITE);
	ev_io_init(&sl->eio, slot_exec_cb, -1, EV_READ);
	ev_init(&sl->timer, slot_timer_cb);
	ev_init(&sl->nap, slot_nap_cb);
	ev_child_init(&sl->cw, slot_child_cb, 0, 0);
	sl->rio.data = sl->wio.data = sl->eio.data = sl->timer.data = sl->nap.data = sl->cw.data = sl;
}
