/* sup: the supervisor's loop. Dispatch (pending task -> opened file -> a
 * child with room), the outcome of each task (recorded, or retried), the
 * group commit that makes outcomes durable, signals, and the end of a run.
 * Slots (slot.c) report task ends here; nothing here waits on a child. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "supervisor/json.h"
#include "supervisor/report.h"
#include "supervisor/outdir.h"
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
	free(t->path);
	free(t);
}

void
sup_fatal(struct sup *s, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (s->stopping)
		return;
	log_warnx("%s", msg);
	sup_stop(s, EXIT_USAGE);
}

int
sup_txn(struct sup *s)
{
	if (store_in_txn(s->st))
		return 0;
	if (s->store_failed)
		return -1;
	if (store_begin(s->st) < 0) {
		sup_fatal(s, "unable to begin a transaction: %s", store_strerror(s->st));
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

static void halt_check(struct sup *s, struct job *j);
static void complete_check(struct sup *s);

/* The group commit: every outcome gathered in the window becomes durable
 * at once, and only then counts as done (shown, printed, counted). */
static int
sup_commit(struct sup *s)
{
	struct finished *f;
	struct job *j;
	ev_tstamp t0;

	ev_timer_stop(s->loop, &s->commit_timer);
	if (!store_in_txn(s->st))
		return 0;
	for (j = s->jobs; j; j = j->next) {
		if (j->dirty && store_job_put(s->st, &j->rec) < 0) {
			store_abort(s->st);
			goto fail;
		}
		j->dirty = 0;
	}
	t0 = ev_time();
	if (store_commit(s->st) < 0)
		goto fail;
	if (s->nfin > 0) {
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
	for (j = s->jobs; j; j = j->next)
		j->unseen = 0;
	while ((f = s->fin) != NULL) {
		s->fin = f->next;
		if (!s->stopping_output)
			report_outcome_json(stdout, f->job->rec.name, f->seq, f->path, f->path_len, &f->o);
		finished_free(f);
	}
	s->fin_tail = NULL;
	s->nfin = 0;
	s->fin_bytes = 0;
	if (s->opts->json && !s->stopping_output && fflush(stdout) == EOF) {
		/* The reader of --json went away: stop like an interrupt. */
		s->stopping_output = 1;
		log_warn("unable to write to stdout");
		sup_stop(s, EXIT_INTR);
		return -1;
	}
	return 0;
fail:
	/* Our counters are now ahead of the store: the only safe move is to
	 * stop. The lost window is still pending and will run again. */
	log_warnx("unable to commit to the state directory: %s", store_strerror(s->st));
	while ((f = s->fin) != NULL) {
		s->fin = f->next;
		finished_free(f);
	}
	s->fin_tail = NULL;
	s->nfin = 0;
	s->stopping_output = 1;
	s->store_failed = 1;
	sup_stop(s, EXIT_USAGE);
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
	int r;

	if (sup_txn(s) < 0)
		return -1;
	r = store_outcome_put(s->st, &j->rec, seq, o);
	if (r < 0) {
		sup_fatal(s, "unable to record an outcome: %s", store_strerror(s->st));
		return -1;
	}
	if (r == 1)
		return 0;	/* it already had one: exactly once */
	j->dirty = 1;
	j->unseen++;
	s->nfin++;
	s->fin_bytes += plen + o->error_len + o->result_len + o->tail_len;
	if (s->opts->json) {
		/* Kept until the commit, to be printed once it is durable. */
		f = calloc(1, sizeof *f);
		if (f == NULL || (f->path = malloc(plen + 1)) == NULL ||
		    (f->bytes = malloc(o->error_len + o->result_len + o->tail_len + 1)) == NULL) {
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
		if (s->fin_tail)
			s->fin_tail->next = f;
		else
			s->fin = f;
		s->fin_tail = f;
	}
	halt_check(s, j);	/* may stop the run, committing this too */
	if (!s->stopping && (s->nfin >= COMMIT_COUNT || s->fin_bytes >= COMMIT_BYTES))
		return sup_commit(s);
	return 0;
}

/* Back to the front of its job's queue, never having left it. */
static void
sup_requeue_ready(struct task *t)
{
	struct job *j = t->job;

	t->next = j->ready;
	j->ready = t;
	if (j->ready_tail == NULL)
		j->ready_tail = t;
	j->nready++;
}

void
sup_requeue(struct sup *s, struct task *t)
{
	(void)s;
	t->job->inflight--;
	sup_requeue_ready(t);
}

void
sup_task_end(struct sup *s, struct task *t, int status, const char *error, size_t elen,
    const uint8_t *result, size_t rlen, int sig, int exit_code, const char *tail, size_t tlen)
{
	struct job *j = t->job;
	struct store_outcome o;
	ev_tstamp took = ev_now(s->loop) - t->started;

	t->attempts++;
	if ((status == OUT_CRASHED || status == OUT_TIMEOUT) && t->attempts <= j->rec.retries) {
		/* Charge the attempt durably, so a file that keeps killing
		 * children stops being retried even across restarts. */
		if (sup_txn(s) == 0 && store_task_attempts(s->st, j->rec.id, t->seq, t->attempts) < 0)
			sup_fatal(s, "unable to record an attempt: %s", store_strerror(s->st));
		sup_requeue(s, t);
		return;
	}
	j->inflight--;
	/* Nothing was extracted from a file that is not ok, nor from one
	 * the handler left unwritten: no directory. The child's word can
	 * cost no more than that, since only an empty one goes. */
	if (j->outfd >= 0 && (status != OUT_OK || !outdir_extracted(result, rlen)))
		outdir_prune(j->outfd, t->path, t->path_len);
	memset(&o, 0, sizeof o);
	o.status = status;
	o.attempts = t->attempts;
	o.duration_ms = took > 0 ? (uint64_t)(took * 1000) : 0;
	o.finished_ms = wall_ms();
	o.signal = sig;
	o.exit_code = exit_code;
	o.error = error;
	o.error_len = status == OUT_OK ? 0 : elen;
	o.result = result;
	o.result_len = rlen;
	o.tail = tail;
	o.tail_len = tail ? tlen : 0;
	sup_record(s, j, t->seq, t->path, t->path_len, &o);
	task_free(t);
}

/* The supervisor's own check before a file goes to a child: never follow a
 * link, never open a FIFO or a device, only regular files pass. */
static int
task_open(struct task *t, char *why, size_t len)
{
	static const struct { mode_t type; const char *name; } kinds[] = {
		{ S_IFDIR, "a directory" }, { S_IFIFO, "a FIFO" }, { S_IFSOCK, "a socket" },
		{ S_IFCHR, "a character device" }, { S_IFBLK, "a block device" },
		{ S_IFLNK, "a symbolic link (not followed)" },
	};
	struct stat sb;
	size_t i;
	int fd;

	/* What the walk saw as a regular file is opened at once (open and
	 * fstat decide); anything else is looked at first, so a device or a
	 * FIFO is never opened. */
	if (!t->regular && lstat(t->path, &sb) < 0)
		goto fail;
	if (!t->regular && !S_ISREG(sb.st_mode)) {
		for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
			if ((sb.st_mode & S_IFMT) == kinds[i].type)
				break;
		snprintf(why, len, "not a regular file: %s",
		    i < sizeof kinds / sizeof kinds[0] ? kinds[i].name : "unknown type");
		return -1;
	}
	fd = open(t->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		goto fail;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		snprintf(why, len, "not a regular file: replaced while being opened");
		return -1;
	}
	return fd;
fail:
	if (errno == ENOENT)
		snprintf(why, len, "vanished before processing");
	else if (errno == ELOOP)
		snprintf(why, len, "not a regular file: a symbolic link (not followed)");
	else
		snprintf(why, len, "unable to open: %s", strerror(errno));
	return -1;
}

static void
task_skip(struct sup *s, struct task *t, const char *why)
{
	struct store_outcome o;

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

static struct task *
next_task(struct sup *s)
{
	struct job *j;
	struct task *t;

	for (j = s->jobs; j; j = j->next) {
		if (j->rec.state != JOB_RUNNING)
			continue;
		if ((t = job_next(j)) != NULL)
			return t;
	}
	return NULL;
}

void
sup_dispatch(struct sup *s)
{
	struct task *batch[IPC_FD_QUEUE], *t;
	int fds[IPC_FD_QUEUE];
	char why[256];
	int i, n, nfds, room, fd, dfd;

	if (s->stopping)
		return;
	for (i = 0; i < s->nslots && !s->stopping; i++) {
		struct slot *sl = &s->slots[i];

		while ((room = slot_room(sl)) > 0 && !s->stopping) {
			/* Two descriptors a task with --extract, and one for
			 * the job's directory with the first. */
			if (room > IPC_FD_QUEUE / 2 - 1)
				room = IPC_FD_QUEUE / 2 - 1;
			for (n = nfds = 0; n < room; ) {
				if ((t = next_task(s)) == NULL)
					break;
				if (n > 0 && t->job != batch[0]->job) {
					sup_requeue_ready(t);	/* one job per write */
					break;
				}
				if ((fd = task_open(t, why, sizeof why)) < 0) {
					task_skip(s, t, why);
					continue;
				}
				/* With --extract, its directory rides behind it. */
				dfd = -1;
				if (t->job->outfd >= 0 && (dfd = outdir_task(t->job->outfd, t->path,
				    t->path_len, t->job->uid, t->job->gid, why, sizeof why)) < 0) {
					close(fd);
					task_skip(s, t, why);
					continue;
				}
				t->id = ++s->next_id;
				t->job->inflight++;
				batch[n++] = t;
				fds[nfds++] = fd;
				if (dfd >= 0)
					fds[nfds++] = dfd;
			}
			if (n == 0)
				goto out;
			if (slot_send(sl, batch, n, fds, nfds) < 0) {
				while (n-- > 0)
					sup_requeue(s, batch[n]);
				while (nfds-- > 0)
					close(fds[nfds]);
				break;
			}
			while (nfds-- > 0)
				close(fds[nfds]);
			if (s->stats.first_dispatch_ms == 0) {
				s->stats.first_dispatch_ms = (ev_time() - s->started) * 1000;
				if (s->opts->verbose)
					log_warnx("first file dispatched %.0f ms after start",
					    s->stats.first_dispatch_ms);
			}
		}
	}
out:
	complete_check(s);
}

/* The job's halt rule, from its spec. */
static void
halt_check(struct sup *s, struct job *j)
{
	const struct store_job *r = &j->rec;
	uint64_t done = job_done(j), bad = done - j->rec.count[OUT_OK];

	if (s->stopping || r->halt_rate <= 0 || done < r->halt_min || done == 0)
		return;
	if ((double)bad / (double)done <= r->halt_rate)
		return;
	log_warnx("job %s halted: %llu of %llu files not ok (%.1f%%), over --halt-on-error %.1f%%",
	    j->rec.name, (unsigned long long)bad, (unsigned long long)done,
	    100.0 * (double)bad / (double)done, 100.0 * r->halt_rate);
	j->rec.state = JOB_HALTED;
	j->dirty = 1;
	sup_stop(s, EXIT_HALTED);
}

/* A job whose inputs are all scanned and whose every task has a committed
 * outcome is done; a run ends when its jobs are. */
static void
complete_check(struct sup *s)
{
	struct job *j;
	int running = 0, notok = 0;

	if (s->stopping)
		return;
	for (j = s->jobs; j; j = j->next) {
		if (j->rec.state != JOB_RUNNING)
			continue;
		if (j->scan || j->ready || j->inflight)
			return;
		if (j->unseen) {
			/* Everything is answered: commit now, not in 20 ms. */
			if (sup_commit(s) < 0 || s->stopping)
				return;
		}
		if (!job_complete(j)) {
			running++;
			continue;
		}
		j->rec.state = JOB_DONE;
		j->rec.finished_ms = wall_ms();
		j->dirty = 1;
	}
	if (running)
		return;
	for (j = s->jobs; j; j = j->next)
		if (j->rec.count[OUT_OK] != job_done(j))
			notok = 1;
	sup_stop(s, notok ? EXIT_NOTOK : EXIT_OK);
}

void
sup_stop(struct sup *s, int status)
{
	struct job *j;
	int i;

	if (s->stopping)
		return;
	s->stopping = 1;
	s->exit_code = status;
	for (i = 0; i < s->nslots; i++)
		slot_shutdown(&s->slots[i]);
	for (j = s->jobs; j; j = j->next) {
		if (j->rec.state == JOB_RUNNING) {
			j->rec.state = JOB_INTERRUPTED;
			j->dirty = 1;
		}
		if (j->dirty)
			sup_txn(s);	/* written by the commit below */
	}
	sup_commit(s);
	ev_break(s->loop, EVBREAK_ALL);
}

static void
signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct sup *s = w->data;

	(void)loop, (void)revents;
	log_warnx("%s: stopping; the job stays resumable", strsignal(w->signum));
	sup_stop(s, EXIT_INTR);
}

/* Ctrl-Z: the children are in their own process groups, out of the
 * terminal's reach, so stop them ourselves; and give the running tasks
 * back the time the job spent stopped. */
static void
tstp_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct sup *s = w->data;
	ev_tstamp before, by;
	int i;

	(void)revents;
	slot_stop_children(s, SIGSTOP);
	progress_stop(s);
	before = ev_time();
	raise(SIGSTOP);
	/* Continued. */
	by = ev_time() - before;
	slot_stop_children(s, SIGCONT);
	ev_now_update(loop);
	for (i = 0; i < s->nslots; i++)
		slot_shift(&s->slots[i], by);
	progress_start(s);
}

static void
scan_idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct sup *s = w->data;
	struct job *j;
	int more = 0, r;

	(void)revents;
	for (j = s->jobs; j && !s->stopping; j = j->next) {
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

static void
write_stats(struct sup *s, uint64_t done)
{
	FILE *f = fopen(s->opts->stats, "we");

	if (f == NULL) {
		log_warn("unable to write --stats %s", s->opts->stats);
		return;
	}
	stats_write(f, &s->stats, ev_time() - s->started, done);
	if (fclose(f) == EOF)
		log_warn("unable to write --stats %s", s->opts->stats);
}

int
sup_run(const struct run_opts *opts)
{
	struct sup s;
	struct job *j;
	const char *why;
	char err[9300];
	uint64_t done = 0;
	int i;

	memset(&s, 0, sizeof s);
	s.started = ev_time();
	s.opts = opts;
	s.pid = getpid();
	s.loop = ev_default_loop(EVFLAG_AUTO);
	if (s.loop == NULL)
		log_diex(EXIT_USAGE, "unable to start the event loop");
	signal(SIGPIPE, SIG_IGN);
	s.st = store_open(opts->state_dir, STORE_WRITE, &why);
	if (s.st == NULL) {
		if (errno == EBUSY)
			log_diex(EXIT_USAGE, "state dir %s is in use by another corral process",
			    sup_esc(opts->state_dir, strlen(opts->state_dir)));
		log_die(EXIT_USAGE, "unable to %s state dir %s", why,
		    sup_esc(opts->state_dir, strlen(opts->state_dir)));
	}
	if ((j = job_open(&s, opts, err, sizeof err)) == NULL) {
		store_close(s.st);
		log_diex(EXIT_USAGE, "%s", err);
	}
	s.jobs = j;

	ev_signal_init(&s.sig_int, signal_cb, SIGINT);
	ev_signal_init(&s.sig_term, signal_cb, SIGTERM);
	ev_signal_init(&s.sig_hup, signal_cb, SIGHUP);
	ev_signal_init(&s.sig_tstp, tstp_cb, SIGTSTP);
	s.sig_int.data = s.sig_term.data = s.sig_hup.data = s.sig_tstp.data = &s;
	ev_signal_start(s.loop, &s.sig_int);
	ev_signal_start(s.loop, &s.sig_term);
	ev_signal_start(s.loop, &s.sig_hup);
	ev_signal_start(s.loop, &s.sig_tstp);
	ev_init(&s.commit_timer, commit_cb);
	s.commit_timer.data = &s;
	ev_idle_init(&s.scan_idle, scan_idle_cb);
	s.scan_idle.data = &s;
	ev_idle_start(s.loop, &s.scan_idle);
	ev_init(&s.scan_io, scan_io_cb);
	s.scan_io.data = &s;

	s.nslots = (int)opts->workers;
	s.slots = calloc((size_t)s.nslots, sizeof *s.slots);
	if (s.slots == NULL)
		log_die(EXIT_USAGE, "unable to allocate %d slots", s.nslots);
	s.fds_at_start = count_fds();
	for (i = 0; i < s.nslots; i++)
		slot_init(&s, &s.slots[i], i);
	for (i = 0; i < s.nslots && !s.stopping; i++)
		slot_spawn(&s.slots[i]);
	if (!s.stopping) {
		progress_start(&s);
		sup_dispatch(&s);
	}
	if (!s.stopping)
		ev_run(s.loop, 0);
	progress_stop(&s);

	/* A set-up failure said its one line; a summary would bury it. */
	for (j = s.jobs; j; j = j->next) {
		done += job_done(j) - j->done_at_start;
		if (s.exit_code != EXIT_USAGE)
			job_summary(j, stderr);
	}
	for (i = 0; i < s.nslots; i++)
		slot_free(&s.slots[i]);
	while ((j = s.jobs) != NULL) {
		s.jobs = j->next;
		job_free(j);
	}
	free(s.slots);
	if (opts->verbose)
		log_warnx("open descriptors: %d after start-up, %d at the end", s.fds_at_start,
		    count_fds());
	if (opts->stats)
		write_stats(&s, done);
	store_close(s.st);
	return s.exit_code;
}
