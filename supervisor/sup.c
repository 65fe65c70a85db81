/* sup: the supervisor's loop. Dispatch (pending task -> opened file -> a
 * child with room), the outcome of each task (recorded, or retried), the
 * group commit that makes outcomes durable, signals, and the end of a run.
 * Slots (slot.c) report task ends here; nothing here waits on a child. */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "supervisor/json.h"
#include "supervisor/outdir.h"
#include "supervisor/recheck.h"
#include "supervisor/spec.h"
#include "supervisor/sup.h"

#define COMMIT_WINDOW	0.05		/* seconds an outcome may wait to commit */
#define COMMIT_COUNT	2048		/* ... or this many outcomes */
#define COMMIT_BYTES	(4u << 20)	/* ... or this many bytes of them */
#define TRIM_EVERY	0.25		/* seconds between drops of the map's pages */

static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *
sup_esc(const char *str, size_t len)
{
	static char bufs[4][1024];
	static int next;
	char *b = bufs[next++ % 4];
	FILE *f = fmemopen(b, sizeof bufs[0], "w");

	if (f == NULL)
		return "?";
	text_escaped(f, str, len);
	if (fputc('\0', f) == EOF)
		b[sizeof bufs[0] - 1] = '\0';
	fclose(f);
	b[sizeof bufs[0] - 1] = '\0';
	return b;
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* opendir's own */
}

void
task_free(struct task *t)
{
	if (t == NULL)
		return;
	if (t->fd >= 0)
		close(t->fd);
	if (t->wait)
		t->wait->t = NULL;
	free(t->reused_result);
	free(t->path);
	free(t);
}

void
sup_fatal(struct sup *s, const char *fmt, ...)
{
	va_list ap;

	if (s->stopping)
		return;
	va_start(ap, fmt);
	vsnprintf(s->failure, sizeof s->failure, fmt, ap);
	va_end(ap);
	log_warnx("%s", s->failure);
	s->failed = 1;
	sup_stop(s);
}

int
sup_txn(struct sup *s)
{
	if (store_in_txn(s->st))
		return 0;
	if (s->store_failed)
		return -1;
	if (s->disk_full)
		return -1;
	if (store_begin(s->st) < 0) {
		sup_store_error(s, "unable to begin a transaction");
		return -1;
	}
	ev_timer_set(&s->commit_timer, COMMIT_WINDOW, 0);
	ev_timer_start(s->loop, &s->commit_timer);
	return 0;
}

static void
finished_free(struct finished *f)
{
	free(f->path);
	free(f->bytes);
	free(f);
}

static void complete_check(struct sup *s);

/* What a commit made durable, to its subscribers: each outcome, then each
 * job whose state changed, then the commit itself. */
static void
publish(struct sup *s, struct finished *fin)
{
	struct sup_sub *sub, *next;
	struct finished *f;
	struct job *j;

	for (f = fin; f; f = f->next)
		for (sub = s->subs; sub; sub = next) {
			next = sub->next;
			if (sub->outcome && (sub->job == NULL || sub->job == f->job))
				sub->outcome(sub->arg, f->job, f->seq, f->path, f->path_len, &f->o);
		}
	for (j = s->jobs; j; j = j->next) {
		if (!j->changed)
			continue;
		j->changed = 0;
		for (sub = s->subs; sub; sub = next) {
			next = sub->next;
			if (sub->job_changed && (sub->job == NULL || sub->job == j))
				sub->job_changed(sub->arg, j);
		}
	}
	for (sub = s->subs; sub; sub = next) {
		next = sub->next;
		if (sub->committed)
			sub->committed(sub->arg);
	}
}

void
sup_fin_clear(struct sup *s)
{
	struct finished *f;
	struct job *j;

	for (j = s->jobs; j; j = j->next)
		memset(j->fresh, 0, sizeof j->fresh);

	while ((f = s->fin) != NULL) {
		s->fin = f->next;
		finished_free(f);
	}
	s->fin_tail = NULL;
	s->nfin = 0;
	s->fin_bytes = 0;
}

/* The group commit: every outcome gathered in the window becomes durable
 * at once, and only then counts as done (published, counted). */
int
sup_commit(struct sup *s)
{
	struct finished *fin;
	struct job *j;
	ev_tstamp t0;
	int i;

	ev_timer_stop(s->loop, &s->commit_timer);
	if (!store_in_txn(s->st))
		return 0;
	if (strike_commit(s) < 0) {
		store_abort(s->st);
		goto fail;
	}
	for (j = s->jobs; j; j = j->next) {
		if (j->dirty && !j->check && store_job_put(s->st, &j->rec) < 0) {
			store_abort(s->st);
			goto fail;
		}
		j->dirty = 0;
	}
	t0 = ev_time();
	if (store_commit(s->st) < 0)
		goto fail;
	if (s->nfin > 0) {
		histogram_add(&s->stats.commit_s, ev_time() - t0);
		histogram_add(&s->stats.commit_n, (double)s->nfin);
		samples_add(&s->stats.commit_ms, (ev_time() - t0) * 1000);
		s->stats.commits++;
		s->stats.committed += (uint64_t)s->nfin;
	}
	/* At most so often: pages dropped are faulted back by the next
	 * transactions, and what a few commits touch is little. */
	if (t0 - s->trimmed >= TRIM_EVERY) {
		store_trim(s->st);
		s->trimmed = t0;
	}
	for (j = s->jobs; j; j = j->next) {
		for (i = 0; i < OUT__COUNT; i++)
			j->committed[i] += j->fresh[i];
		memset(j->fresh, 0, sizeof j->fresh);
		j->unseen = 0;
	}
	/* Taken off first: a subscriber may stop the pool, which commits. */
	fin = s->fin;
	s->fin = s->fin_tail = NULL;
	s->nfin = 0;
	s->fin_bytes = 0;
	publish(s, fin);
	s->fin = fin;
	sup_fin_clear(s);
	return 0;
fail:
	/* Our counters are now ahead of the store. The lost window is still
	 * pending and will run again: with no room, once there is; for any
	 * other fault, the only safe move is to stop. */
	sup_fin_clear(s);
	sup_store_error(s, "unable to commit to the state directory");
	return -1;
}

static void
commit_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sup *s = w->data;

	(void)loop, (void)revents;
	s->topup = 1;
	sup_dispatch(s);
	s->topup = 0;
	if (sup_commit(s) == 0)
		complete_check(s);
}

int
sup_record(struct sup *s, struct job *j, uint64_t seq, const char *path, size_t plen,
    const struct store_outcome *o)
{
	struct finished *f;
	size_t at;
	int r;

	if (sup_txn(s) < 0)
		return -1;
	r = store_outcome_put(s->st, &j->rec, seq, o);
	if (r < 0) {
		sup_store_error(s, "unable to record an outcome");
		return -1;
	}
	if (r == 1)
		return 0;	/* it already had one: exactly once */
	j->dirty = 1;
	j->unseen++;
	if (o->status >= 0 && o->status < OUT__COUNT)
		j->fresh[o->status]++;
	s->nfin++;
	s->fin_bytes += plen + o->error_len + o->result_len + o->tail_len;
	if (s->want_outcomes) {
		/* Kept until the commit, to be published once it is durable. */
		f = calloc(1, sizeof *f);
		if (f == NULL || (f->path = malloc(plen + 1)) == NULL ||
		    (f->bytes = malloc(o->error_len + o->result_len + o->tail_len + 32 +
		    o->sig.what_len + o->sig.wchan_len + 1)) == NULL) {
			if (f)
				finished_free(f);
			sup_fatal(s, "out of memory");
			return -1;
		}
		memcpy(f->path, path, plen);
		f->path[plen] = '\0';
		f->path_len = plen;
		f->job = j;
		f->seq = seq;
		f->o = *o;
		if (o->error_len)
			memcpy(f->bytes, o->error, o->error_len);
		if (o->result_len)
			memcpy(f->bytes + o->error_len, o->result, o->result_len);
		if (o->tail_len)
			memcpy(f->bytes + o->error_len + o->result_len, o->tail, o->tail_len);
		f->o.error = f->bytes;
		f->o.result = (const uint8_t *)f->bytes + o->error_len;
		f->o.tail = f->bytes + o->error_len + o->result_len;
		/* The signature's words, behind them. */
		at = o->error_len + o->result_len + o->tail_len;
		if (o->sig.what_len)
			memcpy(f->bytes + at, o->sig.what, o->sig.what_len);
		f->o.sig.what = f->bytes + at;
		at += o->sig.what_len;
		if (o->sig.wchan_len)
			memcpy(f->bytes + at, o->sig.wchan, o->sig.wchan_len);
		f->o.sig.wchan = f->bytes + at;
		at += o->sig.wchan_len;
		/* The task that owns the digest is freed before the commit. */
		f->o.reuse_key = NULL;
		if (o->sha256) {
			memcpy(f->bytes + at, o->sha256, 32);
			f->o.sha256 = (const uint8_t *)f->bytes + at;
		}
		if (s->fin_tail)
			s->fin_tail->next = f;
		else
			s->fin = f;
		s->fin_tail = f;
	}
	sup_halt_check(s, j);	/* may end the job */
	if (!s->stopping && (s->nfin >= COMMIT_COUNT || s->fin_bytes >= COMMIT_BYTES))
		return sup_commit(s);
	return 0;
}

void
sup_requeue(struct sup *s, struct task *t)
{
	(void)s;
	t->crash = NULL;	/* its child's, which is gone */
	t->job->inflight--;
	job_damp_back(t->job, t);
	/* Its next child hashes it again and asks again. */
	t->hashed = 0;
	t->reused_job = 0;
	free(t->reused_result);
	t->reused_result = NULL;
	t->reused_result_len = 0;
	if (t->job->check && t->wait == NULL) {
		task_free(t);	/* a check whose client went away */
		return;
	}
	job_unnext(t->job, t);
}

void
sup_task_end(struct sup *s, struct task *t, int status, const char *error, size_t elen,
    const uint8_t *result, size_t rlen, int sig, int exit_code, const char *tail, size_t tlen)
{
	struct job *j = t->job;
	struct store_outcome o;
	ev_tstamp took = ev_now(s->loop) - t->started;

	if (s->disk_full && !j->check) {
		/* Nowhere to record it: it runs again once there is room. */
		sup_requeue(s, t);
		return;
	}
	/* Died in a crash loop's pause, not the probe: not the file's fault. */
	if (!j->check && job_damp_end(s, t, status, error, elen)) {
		sup_requeue(s, t);
		return;
	}
	t->attempts++;
	if (took > 0)
		j->usage += took;
	if (j->check) {
		/* A check's verdict goes to its client; nothing is stored. */
		struct check_wait *w = t->wait;

		j->inflight--;
		t->wait = NULL;
		if (w) {
			w->t = NULL;
			w->done(w->arg, status, error, status == OUT_OK ? 0 : elen, result, rlen);
			free(w);
		}
		task_free(t);
		return;
	}
	memset(&o, 0, sizeof o);
	o.status = status;
	o.duration_ms = took > 0 ? (uint64_t)(took * 1000) : 0;
	o.finished_ms = wall_ms();
	o.pid = t->pid > 0 ? (uint32_t)t->pid : 0;
	o.signal = sig;
	o.exit_code = exit_code;
	o.error = error;
	o.error_len = status == OUT_OK ? 0 : elen;
	o.result = result;
	o.result_len = rlen;
	o.tail = tail;
	o.tail_len = tail ? tlen : 0;
	o.limit = status == OUT_TIMEOUT ? t->limit : TL_NONE;
	o.has_stat = t->has_stat;
	o.size = t->size;
	o.mtime_ns = t->mtime_ns;
	if ((status == OUT_CRASHED || status == OUT_TIMEOUT) && strike_end(s, t, &status, &o))
		return;
	j->inflight--;
	/* Nothing was extracted from a file that is not ok, nor from one
	 * the handler left unwritten: no directory. The child's word can
	 * cost no more than that, since only an empty one goes. */
	if (j->outfd >= 0 && (status != OUT_OK || !outdir_extracted(result, rlen)))
		outdir_prune(j->outfd, t->path, t->path_len);
	o.attempts = t->attempts;
	/* Only --timeout N% reads the median (slot.c). */
	if (status == OUT_OK && j->rec.timeout_pct > 0)
		median_add(&j->ok_s, took > 0 ? took : 0);
	if (t->hashed) {
		o.sha256 = t->sha256;
		o.reuse_key = j->reuse_key;
		o.reused_job = status == OUT_OK ? t->reused_job : 0;
		o.reused_seq = t->reused_seq;
	}
	job_hold_lifted(s, j);
	sup_record(s, j, t->seq, t->path, t->path_len, &o);
	task_free(t);
}

int
sup_task_hashed(struct sup *s, struct task *t, const uint8_t sha256[32])
{
	struct job *j = t->job;
	int r;

	t->hashed = 1;
	memcpy(t->sha256, sha256, sizeof t->sha256);
	if (j->check || !j->rec.opts.reuse)
		return 0;	/* a check stores nothing, and finds nothing */
	if (!j->has_reuse_key) {
		spec_reuse_key(&j->rec, j->reuse_key);
		j->has_reuse_key = 1;
	}
	r = store_reuse_find(s->st, j->reuse_key, sha256, &t->reused_job, &t->reused_seq,
	    &t->reused_result, &t->reused_result_len);
	if (r < 0) {
		/* Not the file's fault, nor a reason to stop: it runs. */
		log_warnx("job %s: unable to look up an earlier outcome: %s", j->rec.name,
		    store_strerror(s->st));
		t->reused_job = 0;
		return 0;
	}
	return r == 1;
}

int
job_owner_may(const struct job *j, const struct stat *sb, int want)
{
	mode_t bits;
	int i;

	if (!j->rec.has_owner || j->rec.owner == 0 || j->rec.owner == geteuid())
		return 1;
	if (sb->st_uid == j->rec.owner)
		bits = sb->st_mode >> 6;
	else {
		bits = sb->st_mode;
		for (i = 0; i < j->nowner_groups; i++)
			if (j->owner_groups[i] == sb->st_gid)
				bits = sb->st_mode >> 3;
	}
	return (bits & (mode_t)want) == (mode_t)want;
}

int
sup_file_open(const char *path, int regular, struct stat *sb, char *why, size_t len)
{
	static const struct { mode_t type; const char *name; } kinds[] = {
		{ S_IFDIR, "a directory" }, { S_IFIFO, "a FIFO" }, { S_IFSOCK, "a socket" },
		{ S_IFCHR, "a character device" }, { S_IFBLK, "a block device" },
		{ S_IFLNK, "a symbolic link (not followed)" },
	};
	size_t i;
	int fd;

	/* What the walk saw as a regular file is opened at once (open and
	 * fstat decide); anything else is looked at first, so a device or a
	 * FIFO is never opened. */
	if (!regular && lstat(path, sb) < 0)
		goto fail;
	if (!regular && !S_ISREG(sb->st_mode)) {
		for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
			if ((sb->st_mode & S_IFMT) == kinds[i].type)
				break;
		snprintf(why, len, "not a regular file: %s",
		    i < sizeof kinds / sizeof kinds[0] ? kinds[i].name : "unknown type");
		return -1;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		goto fail;
	if (fstat(fd, sb) < 0 || !S_ISREG(sb->st_mode)) {
		close(fd);
		snprintf(why, len, "not a regular file: replaced while being opened");
		return -1;
	}
	return fd;
fail:
	if (sup_host_refused(errno))
		return -2;
	if (errno == ENOENT)
		snprintf(why, len, "vanished before processing");
	else if (errno == ELOOP)
		snprintf(why, len, "not a regular file: a symbolic link (not followed)");
	else
		snprintf(why, len, "unable to open: %s", strerror(errno));
	return -1;
}

/* The same for a task: a check's file as its client opened it; a job's
 * relative paths under its directory, and only what its owner may read. */
static int
task_open(struct task *t, char *why, size_t len)
{
	char full[PATH_MAX * 2];
	const char *path = t->path;
	struct stat sb;
	int fd;

	/* A check's file: opened by its client, passed as is. */
	if (t->fd >= 0) {
		if (fstat(t->fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
			snprintf(why, len, "not a regular file");
			return -1;
		}
		if ((fd = fcntl(t->fd, F_DUPFD_CLOEXEC, 0)) < 0)
			snprintf(why, len, "unable to pass it on: %s", strerror(errno));
		return fd;
	}
	/* A job taken up from elsewhere: its relative paths under its
	 * directory. */
	if (t->job->prefix != NULL && path[0] != '/') {
		if ((size_t)snprintf(full, sizeof full, "%s%s", t->job->prefix, path) >= sizeof full) {
			errno = ENAMETOOLONG;
			snprintf(why, len, "unable to open: %s", strerror(errno));
			return -1;
		}
		path = full;
	}
	if ((fd = sup_file_open(path, t->regular, &sb, why, len)) < 0)
		return fd;
	if (!job_owner_may(t->job, &sb, R_OK)) {
		close(fd);
		snprintf(why, len, "unable to open: Permission denied (to uid %u, who submitted the job)",
		    (unsigned)t->job->rec.owner);
		return -1;
	}
	t->has_stat = 1;
	t->size = (uint64_t)sb.st_size;
	t->mtime_ns = recheck_mtime_ns(&sb);
	return fd;
}

static void
task_skip(struct sup *s, struct task *t, const char *why)
{
	struct store_outcome o;

	if (t->job->check) {
		t->job->inflight++;	/* sup_task_end takes it off */
		t->started = ev_now(s->loop);
		sup_task_end(s, t, OUT_SKIPPED, why, strlen(why), NULL, 0, 0, -1, NULL, 0);
		return;
	}
	memset(&o, 0, sizeof o);
	o.status = OUT_SKIPPED;
	o.attempts = t->attempts;
	o.finished_ms = wall_ms();
	o.exit_code = -1;
	o.error = why;
	o.error_len = strlen(why);
	sup_record(s, t->job, t->seq, t->path, t->path_len, &o);
	task_free(t);
}

/* Closes a batch's descriptors once they are sent: opened one after the
 * other, they are most often consecutive numbers, and each run of them
 * goes in one close_range instead of a close each. */
static void
close_batch(int *fds, int n)
{
	int i, k, lo, x;

	for (i = 1; i < n; i++) {
		x = fds[i];
		for (k = i; k > 0 && fds[k - 1] > x; k--)
			fds[k] = fds[k - 1];
		fds[k] = x;
	}
	for (i = 0; i < n; i = k) {
		lo = fds[i];
		for (k = i + 1; k < n && fds[k] == fds[k - 1] + 1; k++)
			;
		if (k - i == 1 || close_range((unsigned)lo, (unsigned)fds[k - 1], 0) < 0)
			for (x = i; x < k; x++)
				close(fds[x]);
	}
}

void
sup_dispatch(struct sup *s)
{
	struct task *batch[IPC_FD_QUEUE], *t;
	struct job *j;
	int fds[IPC_FD_QUEUE];
	char why[256];
	int i, n, nfds, room, fd, dfd;

	if (s->stopping || s->draining)
		return;
	for (i = 0; i < s->nslots && !s->stopping; i++) {
		struct slot *sl = s->slots[i];

		/* With no room to record, only checks run: they store nothing. */
		if (s->disk_full && !sl->lane)
			continue;
		while ((room = slot_room(sl)) > 0 && !s->stopping) {
			if ((j = sched_pick(s, sl)) == NULL || (room = slot_budget(sl, j, room)) == 0 ||
			    (room = job_damp_room(j, room)) == 0)
				break;
			/* Two descriptors a task with --extract, and one for
			 * the job's directory with the first. */
			if (room > IPC_FD_QUEUE / 2 - 1)
				room = IPC_FD_QUEUE / 2 - 1;
			for (n = nfds = 0; n < room && j->rec.state == JOB_RUNNING && !j->halting; ) {
				if ((t = job_next(j)) == NULL)
					break;
				if ((fd = task_open(t, why, sizeof why)) == -2) {
					/* Not the file's fault: it waits. With
					 * files of this batch open, they are
					 * what the limit is short of: sent, and
					 * closed, they make room. */
					job_unnext(j, t);
					if (n == 0)
						job_hold(s, j, errno, "unable to open a file");
					else
						s->stats.host_refusals++;
					break;
				}
				if (fd < 0) {
					task_skip(s, t, why);
					continue;
				}
				/* With --extract, its directory rides behind it. */
				dfd = -1;
				if (j->outfd >= 0 && (dfd = outdir_task(j->outfd, t->path,
				    t->path_len, j->uid, j->gid, why, sizeof why)) < 0) {
					int e = errno;

					close(fd);
					if (sup_host_refused(e)) {
						job_unnext(j, t);
						job_hold(s, j, e, "unable to make a file's --extract directory");
						break;
					}
					task_skip(s, t, why);
					continue;
				}
				t->id = ++s->next_id;
				j->inflight++;
				batch[n++] = t;
				fds[nfds++] = fd;
				if (dfd >= 0)
					fds[nfds++] = dfd;
			}
			if (n == 0)
				break;
			if (slot_send(sl, batch, n, fds, nfds) < 0) {
				int e = errno;

				while (n-- > 0)
					sup_requeue(s, batch[n]);
				while (nfds-- > 0)
					close(fds[nfds]);
				if (sup_host_refused(e))
					job_hold(s, j, e, "unable to pass files to a worker");
				break;
			}
			close_batch(fds, nfds);
			job_damp_sent(j, batch[0]);
			if (s->stats.first_dispatch_ms == 0) {
				s->stats.first_dispatch_ms = (ev_time() - s->started) * 1000;
				if (s->opts.verbose)
					log_warnx("first file dispatched %.0f ms after start",
					    s->stats.first_dispatch_ms);
			}
		}
	}
	/* What runs now goes into the window's commit: one is opened for
	 * it if no outcome has opened it yet. */
	if (s->inflight_dirty && !s->stopping)
		(void)sup_txn(s);
	complete_check(s);
}

/* ---- jobs' ends ---- */

void
sup_job_end(struct sup *s, struct job *j, int state, const char *why)
{
	int i;

	if (j->rec.state != JOB_RUNNING && j->rec.state != JOB_PAUSED)
		return;
	/* Said here once: a halt and a failure as warnings. */
	if (state == JOB_HALTED || state == JOB_FAILED)
		log_warnx("job %s %s%s%s", j->rec.name, job_state_name(state), why ? ": " : "",
		    why ? why : "");
	else if (state != JOB_DONE)
		log_infox("job %s %s%s%s", j->rec.name, job_state_name(state), why ? ": " : "",
		    why ? why : "");
	j->rec.state = state;
	j->rec.finished_ms = state == JOB_PAUSED ? 0 : wall_ms();
	snprintf(j->rec.reason, sizeof j->rec.reason, "%s", why ? why : "");
	j->dirty = 1;
	j->changed = 1;
	/* Its children go: what they hold is pending again, uncharged. */
	if (state != JOB_DONE)
		for (i = 0; i < s->nslots; i++)
			if (s->slots[i]->job == j)
				slot_recycle(s->slots[i]);
	if (sup_txn(s) == 0 && !s->stopping)
		sup_commit(s);
}

void
sup_job_setup_failed(struct sup *s, struct job *j, const char *why)
{
	if (j->rec.state != JOB_RUNNING)
		return;
	sup_job_end(s, j, JOB_FAILED, why);
}

/* A job whose inputs are all scanned and whose every task has a committed
 * outcome is done. */
static void
complete_check(struct sup *s)
{
	struct job *j;

	if (s->stopping)
		return;
	for (j = s->jobs; j; j = j->next) {
		if (j->rec.state != JOB_RUNNING || j->check)
			continue;
		if (j->halting) {
			if (sup_halt_settle(s, j) < 0 || s->stopping)
				return;
			continue;
		}
		if (j->scan || j->ready || j->inflight)
			continue;
		if (j->unseen) {
			/* Everything is answered: commit now, not in 50 ms. */
			if (sup_commit(s) < 0 || s->stopping)
				return;
		}
		if (j->rec.state == JOB_RUNNING && job_complete(j))
			sup_job_end(s, j, JOB_DONE, NULL);
		if (s->stopping)
			return;
	}
}

void
sup_stop(struct sup *s)
{
	struct job *j;
	int i;

	if (s->stopping)
		return;
	s->stopping = 1;
	for (i = 0; i < s->nslots; i++)
		slot_shutdown(s->slots[i]);
	for (j = s->jobs; j; j = j->next) {
		if (j->rec.state == JOB_RUNNING && !j->check) {
			j->rec.state = JOB_INTERRUPTED;
			j->dirty = 1;
			j->changed = 1;
		}
		if (j->dirty && !s->store_failed)
			sup_txn(s);	/* written by the commit below */
	}
	if (!s->store_failed)
		sup_commit(s);
	ev_idle_stop(s->loop, &s->scan_idle);
	ev_io_stop(s->loop, &s->scan_io);
	ev_timer_stop(s->loop, &s->full_timer);
	ev_break(s->loop, EVBREAK_ALL);
}

void
sup_suspend(struct sup *s)
{
	ev_tstamp before, by;
	int i;

	slot_stop_children(s, SIGSTOP);
	before = ev_time();
	raise(SIGSTOP);
	/* Continued. */
	by = ev_time() - before;
	s->stopped_for += by;
	slot_stop_children(s, SIGCONT);
	ev_now_update(s->loop);
	for (i = 0; i < s->nslots; i++)
		slot_shift(s->slots[i], by);
}

static void
scan_idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct sup *s = w->data;
	struct job *j;
	int more = 0, r;

	(void)revents;
	if (s->disk_full) {
		ev_idle_stop(loop, w);
		return;
	}
	for (j = s->jobs; j && !s->stopping; j = j->next) {
		if (job_held(j))
			continue;	/* its timer starts the scan again */
		r = job_scan_step(j, 512);
		if (r == 1)
			more = 1;
		else if (r == 2 && !ev_is_active(&s->scan_io)) {
			/* Waiting for the stdin list: sleep on it. */
			ev_io_set(&s->scan_io, scan_wait_fd(j->scan), EV_READ);
			ev_io_start(loop, &s->scan_io);
		}
	}
	if (more == 0)
		ev_idle_stop(loop, w);
	sup_dispatch(s);
}

static void
scan_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sup *s = w->data;

	(void)revents;
	ev_io_stop(loop, w);
	ev_idle_start(loop, &s->scan_idle);
}

void
sup_subscribe(struct sup *s, struct sup_sub *sub)
{
	sub->next = s->subs;
	s->subs = sub;
	if (sub->outcome)
		s->want_outcomes++;
}

void
sup_unsubscribe(struct sup *s, struct sup_sub *sub)
{
	struct sup_sub **p;

	for (p = &s->subs; *p; p = &(*p)->next)
		if (*p == sub) {
			*p = sub->next;
			if (sub->outcome)
				s->want_outcomes--;
			return;
		}
}

int
sup_init(struct sup *s, const struct pool_opts *o, char *err, size_t errlen)
{
	struct rlimit rl;
	const char *why;
	int i;

	memset(s, 0, sizeof *s);
	stats_init(&s->stats);
	s->started = ev_time();
	s->opts = *o;
	if (s->opts.host_wait <= 0)
		s->opts.host_wait = HOST_WAIT_DEFAULT;
	/* A child holds two descriptors a task at most (--extract): its
	 * queue fits what the host's hard limit leaves it. */
	s->depth_cap = DEPTH_MAX;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max < IPC_CHILD_NOFILE) {
		rlim_t room = rl.rlim_max > IPC_CHILD_OWN_FDS + 2 ? (rl.rlim_max - IPC_CHILD_OWN_FDS) / 2 : 1;

		s->depth_cap = (int)room;
	}
	s->pid = getpid();
	s->loop = ev_default_loop(EVFLAG_AUTO);
	if (s->loop == NULL) {
		snprintf(err, errlen, "unable to start the event loop");
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Its digests (a job's identity, a long path's key) need nothing of
	 * openssl.cnf, whose reading is a good part of a start's time. */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
	s->st = store_open(o->state_dir, STORE_WRITE, &why);
	if (s->st == NULL) {
		int e = errno;

		if (errno == EBUSY)
			snprintf(err, errlen, "state dir %s is in use by another corral process",
			    sup_esc(o->state_dir, strlen(o->state_dir)));
		else
			snprintf(err, errlen, "unable to %s state dir %s: %s", why,
			    sup_esc(o->state_dir, strlen(o->state_dir)), strerror(errno));
		errno = e;
		return -1;
	}
	ev_init(&s->commit_timer, commit_cb);
	s->commit_timer.data = s;
	ev_idle_init(&s->scan_idle, scan_idle_cb);
	s->scan_idle.data = s;
	ev_init(&s->scan_io, scan_io_cb);
	s->scan_io.data = s;
	s->nslots = (int)o->workers;
	s->slots = calloc((size_t)s->nslots, sizeof *s->slots);
	for (i = 0; s->slots && i < s->nslots; i++) {
		if ((s->slots[i] = calloc(1, sizeof **s->slots)) == NULL)
			break;
		slot_init(s, s->slots[i], i);
	}
	if (s->slots == NULL || i < s->nslots) {
		snprintf(err, errlen, "unable to allocate %d slots", s->nslots);
		while (s->slots && i-- > 0)
			free(s->slots[i]);
		free(s->slots);
		store_close(s->st);
		return -1;
	}
	return 0;
}

struct job *
sup_job_open(struct sup *s, const struct job_spec *spec, char *err, size_t errlen)
{
	struct job *j = job_open(s, spec, err, errlen);

	if (j == NULL)
		return NULL;
	sup_job_append(s, j);
	if (!s->stopping && s->loop_running)
		sup_dispatch(s);
	return j;
}

void
sup_job_append(struct sup *s, struct job *j)
{
	struct job **p;

	for (p = &s->jobs; *p; p = &(*p)->next)
		;
	*p = j;
	ev_idle_start(s->loop, &s->scan_idle);
}

void
sup_spawn(struct sup *s)
{
	int i;

	if (s->spawned)
		return;
	s->spawned = 1;
	/* The count -v compares with the end's: before any child's. */
	s->fds_at_start = count_fds();
	for (i = 0; i < s->nslots && !s->stopping; i++)
		slot_spawn(s->slots[i]);
}

void
sup_run(struct sup *s)
{
	sup_spawn(s);
	if (!s->stopping)
		sup_dispatch(s);
	s->loop_running = 1;
	if (!s->stopping)
		ev_run(s->loop, 0);
	s->loop_running = 0;
	if (s->opts.verbose)
		log_warnx("open descriptors: %d after start-up, %d at the end", s->fds_at_start,
		    count_fds());
}

void
sup_free(struct sup *s)
{
	struct job *j;
	int i;

	for (i = 0; i < s->nslots; i++) {
		slot_free(s->slots[i]);
		free(s->slots[i]);
	}
	while ((j = s->jobs) != NULL) {
		s->jobs = j->next;
		job_free(j);
	}
	free(s->slots);
	sup_fin_clear(s);
	if (s->st)
		store_close(s->st);
	s->st = NULL;
}
