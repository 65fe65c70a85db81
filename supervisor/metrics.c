/* metrics: the Prometheus text exposition format (0.0.4) of what the pool
 * knows. Each family is its HELP and TYPE lines, then every sample of it;
 * a label value is escaped as the format says (\\, \", \n) and made valid
 * UTF-8 (U+FFFD for each byte that is not), so no job name can make the
 * output unparseable. docs/metrics.md is the reference. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/resource.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/utf8.h"
#include "common/version.h"
#include "supervisor/metrics.h"
#include "supervisor/sup.h"

_Static_assert(KILL_RSS + 1 == STATS_KILLS, "stats.kills has a count for each enum slot_kill_why");
_Static_assert(RECYCLE_RSS + 1 == STATS_RECYCLES, "stats.recycles has a count for each enum slot_recycle_why");

/* The reasons of enum slot_kill_why, as corral_child_kills_total's label. */
static const char *const kill_words[STATS_KILLS] = {
	[KILL_TIMEOUT] = "timeout", [KILL_PROTOCOL] = "protocol", [KILL_HELLO] = "hello",
	[KILL_WORDS] = "words", [KILL_SETUP] = "setup", [KILL_EXEC] = "exec",
	[KILL_SHUTDOWN] = "shutdown", [KILL_RECYCLE] = "recycle", [KILL_RSS] = "rss",
};

static const char *const recycle_words[STATS_RECYCLES] = {
	[RECYCLE_TASKS] = "tasks", [RECYCLE_RSS] = "rss",
};

static void
family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: escaped, and valid UTF-8 whatever the bytes were. */
static void
put_value(FILE *f, const char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\' || c == '"') {
			fputc('\\', f);
			fputc(c, f);
			i++;
		} else if (c == '\n') {
			fputs("\\n", f);
			i++;
		} else if (c < 0x80) {
			fputc(c, f);
			i++;
		} else if ((n = utf8_seq((const unsigned char *)s + i, len - i)) > 0) {
			fwrite(s + i, 1, n, f);
			i += n;
		} else {
			fputs("\xef\xbf\xbd", f);	/* U+FFFD */
			i++;
		}
	}
}

/* name{job="..."[,key="value"]} v */
static void
job_sample(FILE *f, const char *name, const char *job, const char *key, const char *value,
    uint64_t v)
{
	fprintf(f, "%s{job=\"", name);
	put_value(f, job, strlen(job));
	if (key)
		fprintf(f, "\",%s=\"%s", key, value);
	fprintf(f, "\"} %llu\n", (unsigned long long)v);
}

void
metrics_job_set(struct metrics_job *mj, const struct store_job *r, int state)
{
	snprintf(mj->name, sizeof mj->name, "%s", r->name);
	mj->state = state;
	mj->total = r->total;
	memcpy(mj->count, r->count, sizeof mj->count);
}

int
metrics_write_jobs(FILE *f, const struct metrics_job *jobs, size_t n)
{
	uint64_t by_state[JOB__COUNT] = { 0 }, done;
	size_t i;
	int k;

	family(f, "corral_job_files", "gauge", "Files of the job with a committed outcome, by outcome, "
	    "as its record has them.");
	for (i = 0; i < n; i++)
		for (k = 0; k < OUT__COUNT; k++)
			job_sample(f, "corral_job_files", jobs[i].name, "outcome", outcome_name(k),
			    jobs[i].count[k]);
	family(f, "corral_job_files_pending", "gauge", "Files of the job known and without an outcome yet.");
	for (i = 0; i < n; i++) {
		for (k = 0, done = 0; k < OUT__COUNT; k++)
			done += jobs[i].count[k];
		job_sample(f, "corral_job_files_pending", jobs[i].name, NULL, NULL,
		    jobs[i].total > done ? jobs[i].total - done : 0);
	}
	family(f, "corral_job_files_known", "gauge", "Files of the job its scan has found so far.");
	for (i = 0; i < n; i++)
		job_sample(f, "corral_job_files_known", jobs[i].name, NULL, NULL, jobs[i].total);
	family(f, "corral_jobs", "gauge", "Jobs in the state directory, by state.");
	for (i = 0; i < n; i++)
		if (jobs[i].state >= 0 && jobs[i].state < JOB__COUNT)
			by_state[jobs[i].state]++;
	for (k = 0; k < JOB__COUNT; k++)
		fprintf(f, "corral_jobs{state=\"%s\"} %llu\n", job_state_name(k),
		    (unsigned long long)by_state[k]);
	return ferror(f) ? -1 : 0;
}

/* ---- the pool's jobs ---- */

struct jobs_walk {
	struct sup *s;
	int (*visible)(const struct job *, void *);
	void *arg;
	struct job *standin;		/* a finished job's record, to ask visible */
	struct metrics_job *jobs;
	size_t n, cap;
	int failed;
};

static int
shown(struct jobs_walk *w, const struct job *j)
{
	return w->visible == NULL || w->visible(j, w->arg);
}

static int
walk_add(struct jobs_walk *w, const struct store_job *r)
{
	struct metrics_job *more;

	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 16;
		if ((more = realloc(w->jobs, w->cap * sizeof *more)) == NULL) {
			w->failed = 1;
			return 1;
		}
		w->jobs = more;
	}
	metrics_job_set(&w->jobs[w->n++], r, r->state);
	return 0;
}

static int
walk_one(const struct store_job *r, void *arg)
{
	struct jobs_walk *w = arg;
	struct job *j = sup_job_find(w->s, r->name);

	if (j && (j->check || j->rec.id != r->id))
		j = NULL;
	/* The pool's copy is the newer: it holds the open transaction's. */
	if (j)
		return shown(w, j) ? walk_add(w, &j->rec) : 0;
	w->standin->rec = *r;
	return shown(w, w->standin) ? walk_add(w, r) : 0;
}

/* Every job of the state directory the caller may see, with those the
 * pool holds as it has them. -1: out of memory. */
static int
jobs_collect(struct jobs_walk *w)
{
	struct job *j;
	size_t i;

	if ((w->standin = calloc(1, sizeof *w->standin)) == NULL)
		return -1;
	if (store_jobs_each(w->s->st, walk_one, w) < 0)
		w->n = 0;	/* unreadable: the pool's own jobs at least */
	for (j = w->s->jobs; j && !w->failed; j = j->next) {
		if (j->check || !shown(w, j))
			continue;
		for (i = 0; i < w->n; i++)
			if (strcmp(w->jobs[i].name, j->rec.name) == 0)
				break;
		if (i == w->n)
			walk_add(w, &j->rec);
	}
	free(w->standin);
	return w->failed ? -1 : 0;
}

static void
live_series(FILE *f, struct sup *s, struct jobs_walk *w)
{
	struct job *j;
	int k;

	family(f, "corral_files_total", "counter", "Outcomes committed by this process since it "
	    "started, by job and outcome.");
	for (j = s->jobs; j; j = j->next)
		if (!j->check && shown(w, j))
			for (k = 0; k < OUT__COUNT; k++)
				job_sample(f, "corral_files_total", j->rec.name, "outcome", outcome_name(k),
				    j->committed[k]);
	family(f, "corral_job_tasks_queued", "gauge", "Files of the job fetched for dispatch, not yet "
	    "in a child.");
	for (j = s->jobs; j; j = j->next)
		if (!j->check && shown(w, j))
			job_sample(f, "corral_job_tasks_queued", j->rec.name, NULL, NULL, (uint64_t)j->nready);
	family(f, "corral_job_tasks_inflight", "gauge", "Files of the job in children now.");
	for (j = s->jobs; j; j = j->next)
		if (!j->check && shown(w, j))
			job_sample(f, "corral_job_tasks_inflight", j->rec.name, NULL, NULL,
			    (uint64_t)j->inflight);
}

/* ---- the pool ---- */

static void
counter(FILE *f, const char *name, const char *help, uint64_t v)
{
	family(f, name, "counter", help);
	fprintf(f, "%s %llu\n", name, (unsigned long long)v);
}

static void
histogram(FILE *f, const char *name, const char *help, const struct histogram *h)
{
	int i;

	family(f, name, "histogram", help);
	for (i = 0; i < h->nle; i++)
		fprintf(f, "%s_bucket{le=\"%g\"} %llu\n", name, h->le[i],
		    (unsigned long long)histogram_cumulative(h, i));
	fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)h->count);
	fprintf(f, "%s_sum %.9g\n", name, h->sum);
	fprintf(f, "%s_count %llu\n", name, (unsigned long long)h->count);
}

static void
pool_series(FILE *f, const struct sup *s)
{
	uint64_t by_state[SLOT__COUNT] = { 0 }, alive = 0;
	int i;

	for (i = 0; i < s->nslots; i++) {
		if (s->slots[i]->state >= 0 && s->slots[i]->state < SLOT__COUNT)
			by_state[s->slots[i]->state]++;
		alive += s->slots[i]->pid > 0;
	}
	family(f, "corral_children", "gauge", "Child slots (workers and the check lane), by state.");
	for (i = 0; i < SLOT__COUNT; i++)
		fprintf(f, "corral_children{state=\"%s\"} %llu\n", slot_state_name(i),
		    (unsigned long long)by_state[i]);
	family(f, "corral_children_alive", "gauge", "Child processes alive now.");
	fprintf(f, "corral_children_alive %llu\n", (unsigned long long)alive);
	counter(f, "corral_child_respawns_total", "Children started after the first ones.",
	    s->stats.respawns);
	counter(f, "corral_task_timeouts_total", "Files whose child was killed at the file's deadline.",
	    s->stats.kills[KILL_TIMEOUT]);
	family(f, "corral_child_kills_total", "counter", "Children the supervisor killed, by why.");
	for (i = KILL_TIMEOUT; i < STATS_KILLS; i++)
		fprintf(f, "corral_child_kills_total{reason=\"%s\"} %llu\n", kill_words[i],
		    (unsigned long long)s->stats.kills[i]);
	family(f, "corral_child_recycles_total", "counter",
	    "Children replaced at their job's --max-tasks-per-child or --max-child-rss, by which.");
	for (i = 0; i < STATS_RECYCLES; i++)
		fprintf(f, "corral_child_recycles_total{reason=\"%s\"} %llu\n", recycle_words[i],
		    (unsigned long long)s->stats.recycles[i]);
	counter(f, "corral_host_refusals_total", "Opens, reads and forks the host refused "
	    "(EMFILE, ENFILE, EAGAIN, ENOMEM).", s->stats.host_refusals);
	histogram(f, "corral_commit_duration_seconds", "Time of each group commit that held outcomes.",
	    &s->stats.commit_s);
	histogram(f, "corral_commit_outcomes", "Outcomes in each group commit that held any.",
	    &s->stats.commit_n);
	histogram(f, "corral_check_duration_seconds", "Time from a check's request to its verdict.",
	    &s->stats.check_s);
}

/* ---- the process ---- */

/* The start of a small file of /proc, terminated, into buf: 0 or -1. */
static int
proc_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static void
gauge_d(FILE *f, const char *name, const char *type, const char *help, double v)
{
	family(f, name, type, help);
	fprintf(f, "%s %.15g\n", name, v);
}

static void
process_series(FILE *f)
{
	struct rusage ru;
	struct rlimit rl;
	char buf[4096], *p;
	long page = sysconf(_SC_PAGESIZE), tck = sysconf(_SC_CLK_TCK);
	unsigned long long vm, rss, start, btime;
	DIR *d;
	int i, fds = 0;

	if (getrusage(RUSAGE_SELF, &ru) == 0)
		gauge_d(f, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in "
		    "seconds.", (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
	if (page > 0 && proc_read("/proc/self/statm", buf, sizeof buf) == 0 &&
	    sscanf(buf, "%llu %llu", &vm, &rss) == 2) {
		gauge_d(f, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
		    (double)rss * (double)page);
		gauge_d(f, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
		    (double)vm * (double)page);
	}
	/* starttime is field 22, counted after the command's closing ')'. */
	if (tck > 0 && proc_read("/proc/self/stat", buf, sizeof buf) == 0 &&
	    (p = strrchr(buf, ')')) != NULL) {
		for (i = 2; i < 22 && p; i++)
			p = strchr(p + 1, ' ');
		if (p && sscanf(p, " %llu", &start) == 1 && proc_read("/proc/stat", buf, sizeof buf) == 0 &&
		    (p = strstr(buf, "\nbtime ")) != NULL && sscanf(p, "\nbtime %llu", &btime) == 1)
			gauge_d(f, "process_start_time_seconds", "gauge", "Start time of the process since "
			    "unix epoch in seconds.", (double)btime + (double)start / (double)tck);
	}
	if ((d = opendir("/proc/self/fd")) != NULL) {
		while (readdir(d) != NULL)
			fds++;
		closedir(d);
		/* ".", ".." and the directory's own descriptor. */
		gauge_d(f, "process_open_fds", "gauge", "Number of open file descriptors.",
		    (double)(fds > 3 ? fds - 3 : 0));
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		gauge_d(f, "process_max_fds", "gauge", "Maximum number of open file descriptors.",
		    (double)rl.rlim_cur);
}

int
metrics_write(FILE *f, struct sup *s, int (*visible)(const struct job *j, void *arg), void *arg)
{
	struct jobs_walk w = { .s = s, .visible = visible, .arg = arg };

	family(f, "corral_build_info", "gauge", "Always 1: the version of corral serving these metrics.");
	fputs("corral_build_info{version=\"", f);
	put_value(f, CORRAL_VERSION, strlen(CORRAL_VERSION));
	fputs("\"} 1\n", f);
	live_series(f, s, &w);
	if (jobs_collect(&w) < 0)
		fputs("# the job records are left out: out of memory\n", f);
	else
		metrics_write_jobs(f, w.jobs, w.n);
	free(w.jobs);
	pool_series(f, s);
	process_series(f);
	return ferror(f) || fflush(f) == EOF ? -1 : 0;
}

/* ---- --metrics-file ---- */

#define WARN_EVERY	60.0	/* seconds between logged failures */

int
metrics_file_check(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) < 0 || S_ISREG(st.st_mode))
		return 0;
	snprintf(err, errlen, "--metrics-file: %s is %s, not a regular file: it would be replaced",
	    sup_esc(path, strlen(path)), S_ISLNK(st.st_mode) ? "a symbolic link" :
	    S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ? "a FIFO" :
	    S_ISSOCK(st.st_mode) ? "a socket" : "a device");
	return -1;
}

int
metrics_file_write(struct metrics_file *mf)
{
	char tmp[4096], why[512];
	FILE *f = NULL;
	int fd, e;

	/* What came to be at PATH since the start is left alone too. */
	if (metrics_file_check(mf->path, why, sizeof why) < 0) {
		if (mf->warned == 0 || ev_time() - mf->warned >= WARN_EVERY) {
			log_warnx("%s", why);
			mf->warned = ev_time();
		}
		return -1;
	}

	if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", mf->path, (long)getpid()) >= (int)sizeof tmp) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	/* A temporary a crash left under our pid is ours to replace. */
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0644)) < 0)
		goto fail;
	if ((f = fdopen(fd, "w")) == NULL) {
		e = errno;
		close(fd);
		errno = e;
		goto fail_tmp;
	}
	if (metrics_write(f, mf->sup, NULL, NULL) < 0) {
		e = errno;
		fclose(f);
		errno = e;
		goto fail_tmp;
	}
	if (fclose(f) == EOF)
		goto fail_tmp;
	if (rename(tmp, mf->path) < 0)
		goto fail_tmp;
	return 0;
fail_tmp:
	e = errno;
	unlink(tmp);
	errno = e;
fail:
	if (mf->warned == 0 || ev_time() - mf->warned >= WARN_EVERY) {
		log_warn("unable to write --metrics-file %s", sup_esc(mf->path, strlen(mf->path)));
		mf->warned = ev_time();
	}
	return -1;
}

static void
file_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop, (void)revents;
	metrics_file_write(w->data);
}

void
metrics_file_start(struct metrics_file *mf, struct sup *s, const char *path)
{
	mf->sup = s;
	mf->path = path;
	mf->warned = 0;
	metrics_file_write(mf);
	ev_timer_init(&mf->timer, file_cb, METRICS_FILE_EVERY, METRICS_FILE_EVERY);
	mf->timer.data = mf;
	ev_timer_start(s->loop, &mf->timer);
}

void
metrics_file_stop(struct metrics_file *mf)
{
	if (mf->sup == NULL)
		return;
	ev_timer_stop(mf->sup->loop, &mf->timer);
	metrics_file_write(mf);
}
