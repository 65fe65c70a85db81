/* strike: what a file that kills children is charged, durably. Each crash
 * or timeout is a strike, kept in the task record across resumes and
 * retries; at its job's --max-strikes the file is quarantined, an outcome
 * that no resume and no plain retry dispatches again. Also the crash
 * signature's parts the supervisor reads itself (/proc, the wait status)
 * and the in-flight set each commit records, so that the next owner can
 * say which attempts a dead supervisor interrupted (docs/state.md,
 * "Attempts and strikes"). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor/sup.h"

uint32_t
strike_max(const struct job *j)
{
	uint32_t n = j->rec.opts.max_strikes;

	return n == 0 ? MAX_STRIKES_DEFAULT : n;
}

int
strike_end(struct sup *s, struct task *t, int *status, struct store_outcome *o)
{
	struct job *j = t->job;

	t->strikes++;
	o->strikes = t->strikes;
	/* An ok file's start is its finish less its duration; a struck one's
	 * is kept, as its attempts are read apart. */
	o->started_ms = t->started > 0 ? (uint64_t)(t->started * 1000) : 0;
	if (t->crash)
		o->sig = *t->crash;
	if (t->strikes >= strike_max(j)) {
		/* Never again, whatever --retries has left: a poison file. */
		*status = o->status = OUT_QUARANTINED;
		return 0;
	}
	if (t->attempts > j->rec.retries)
		return 0;
	/* Charged durably, with the attempt in its history, so that a file
	 * that keeps killing children stops being retried even across
	 * restarts. */
	o->attempts = t->attempts;
	if (sup_txn(s) == 0 &&
	    (store_task_attempts(s->st, j->rec.id, t->seq, t->attempts, t->strikes) < 0 ||
	    store_attempt_put(s->st, j->rec.id, t->seq, o) < 0))
		sup_store_error(s, "unable to record an attempt");
	t->pid = 0;
	sup_requeue(s, t);
	return 1;
}

/* The running task of each slot: the head of its queue while BUSY (or
 * being killed, lost: it still runs until the reap). */
int
strike_commit(struct sup *s)
{
	struct store_inflight v[64] = { { 0 } }, *p = v;
	int i, n = 0, r;

	if (!s->inflight_dirty)
		return 0;
	if (s->nslots > (int)(sizeof v / sizeof v[0]) &&
	    (p = calloc((size_t)s->nslots, sizeof *p)) == NULL)
		return -1;
	for (i = 0; i < s->nslots; i++) {
		struct slot *sl = s->slots[i];
		struct task *t = sl->q;

		if (t == NULL || t->job->check || t->pid <= 0)
			continue;
		p[n].job = t->job->rec.id;
		p[n].seq = t->seq;
		p[n].pid = (uint32_t)t->pid;
		p[n].started_ms = (uint64_t)(t->started * 1000);
		n++;
	}
	r = store_inflight_set(s->st, p, n);
	if (p != v)
		free(p);
	if (r == 0)
		s->inflight_dirty = 0;
	return r;
}

/* One small /proc file of pid, its first line without the newline: its
 * length, or -1 with errno (EACCES, EPERM: not ours to read). */
static ssize_t
proc_read(pid_t pid, const char *name, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return (ssize_t)strlen(buf);
}

void
strike_proc(pid_t pid, struct store_sig *g, char *wchan, size_t len)
{
	char sc[256], wc[SIG_WCHAN_MAX + 1];
	ssize_t ns, nw;

	g->proc = SIG_PROC_UNAVAILABLE;
	g->syscall = -1;
	g->wchan = wchan;
	g->wchan_len = 0;
	if (pid <= 0)
		return;
	/* A child that is not dumpable, or another user's, may be refused
	 * to us: said so, and never a reason to fail. */
	ns = proc_read(pid, "syscall", sc, sizeof sc);
	nw = proc_read(pid, "wchan", wc, sizeof wc);
	if (ns <= 0 && nw < 0)
		return;
	g->proc = SIG_PROC_READ;
	/* "running" in user space; else the number, then its arguments. */
	if (ns > 0 && sc[0] >= '0' && sc[0] <= '9')
		g->syscall = strtol(sc, NULL, 10);
	if (nw > 0 && strcmp(wc, "0") != 0)
		g->wchan_len = (size_t)snprintf(wchan, len, "%.*s", (int)(len - 1), wc);
}

int
strike_code(int reaped, int status, int *sig)
{
	*sig = reaped && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	if (!reaped)
		return 0;
	if (WIFSIGNALED(status))
		return WCOREDUMP(status) ? CLD_DUMPED : CLD_KILLED;
	if (WIFEXITED(status))
		return CLD_EXITED;
	return 0;
}
