/* why: what the state directory knows of why files failed. `corral why
 * FILE`: one file's whole history, every attempt with its child, time,
 * limit, signature and outcome (docs/state.md, "Attempts and strikes");
 * `corral results --signatures`: a job's quarantined files grouped by
 * signature, one line per bug; and `corral retry -s DIR JOB` for a state
 * directory no service owns. Reads open the store read-only; only the
 * retry writes, as the directory's owner for that moment. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "ipc/ctl.h"
#include "supervisor/json.h"
#include "supervisor/sup.h"
#include "cli/cli.h"
#include "cli/report.h"

enum { OPT_JSON = 256, OPT_JOB, OPT_QUARANTINED, OPT_UTC };

struct why_opts {
	const char *state_dir;
	const char *job;
	const char *file;
	int json, utc, quarantined;
};

/* The options of why (retry: 1, of retry), or one line and exit 2. */
static void
why_args(int argc, char **argv, struct why_opts *o, int retry, const char *usage)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "job", required_argument, NULL, OPT_JOB },
		{ "quarantined", no_argument, NULL, OPT_QUARANTINED },
		{ "utc", no_argument, NULL, OPT_UTC },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof *o);
	o->state_dir = "./.corral";
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o->state_dir = optarg; break;
		case OPT_JSON: o->json = 1; break;
		case OPT_UTC: o->utc = 1; break;
		case OPT_JOB: o->job = optarg; break;
		case OPT_QUARANTINED: o->quarantined = 1; break;
		default: report_opt_end(c, argv, usage);
		}
		if ((retry && (c == OPT_JSON || c == OPT_UTC || c == OPT_JOB)) ||
		    (!retry && c == OPT_QUARANTINED))
			report_opt_end('?', argv, usage);
	}
	if (optind != argc - 1 || argv[optind][0] == '\0')
		log_diex(EXIT_USAGE, "%s: name one %s (usage: %s)", argv[0], retry ? "JOB" : "FILE",
		    usage);
	if (retry)
		o->job = argv[optind];
	else
		o->file = argv[optind];
}

/* ---- why FILE ---- */

struct why_ctx {
	const struct why_opts *o;
	store *st;
	char cwd[PATH_MAX];
	char want[PATH_MAX * 2];	/* FILE made absolute and normal, or "" */
	const char *base;		/* the job's directory, for its relative paths */
	uint64_t seq;			/* the match, when hit */
	int hit;
	int found;
};

static void
put_when(char *b, size_t len, uint64_t ms, int utc)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms == 0 || (utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm)) == NULL)
		snprintf(b, len, "-");
	else
		strftime(b, len, "%Y-%m-%d %H:%M:%S %z", &tm);
}

/* The signature, for people: the fields that tell one bug from another. */
static void
text_signature(FILE *f, const struct store_outcome *o)
{
	const struct store_sig *g = &o->sig;

	if (g->code == 0)
		return;
	fprintf(f, " signal=%d code=%s exit=%d", g->signal, json_code_name(g->code), o->exit_code);
	if (o->limit > TL_NONE && o->limit < TL__COUNT)
		fprintf(f, " limit=%s", ctl_limit_name(o->limit));
	if (g->has_progress)
		fprintf(f, " progress=%llu/%llu at=%s", (unsigned long long)g->done,
		    (unsigned long long)g->total, g->what_len ? sup_esc(g->what, g->what_len) : "-");
	if (g->proc == SIG_PROC_READ)
		fprintf(f, " syscall=%lld wchan=%s", (long long)g->syscall,
		    g->wchan_len ? sup_esc(g->wchan, g->wchan_len) : "-");
	else if (g->proc == SIG_PROC_UNAVAILABLE)
		fputs(" proc=unavailable", f);
}

static void
put_attempt(const struct why_opts *o, uint32_t n, const struct store_outcome *a, int *first)
{
	char when[64];

	if (o->json) {
		fprintf(stdout, "%s{\"n\":%u,\"outcome\":\"%s\",\"pid\":%u,\"started_ms\":%llu,"
		    "\"duration_ms\":%llu", *first ? "" : ",", n, attempt_name(a->status), a->pid,
		    (unsigned long long)a->started_ms, (unsigned long long)a->duration_ms);
		if (a->limit > TL_NONE && a->limit < TL__COUNT)
			printf(",\"limit\":\"%s\"", ctl_limit_name(a->limit));
		if (a->status != OUT_OK && a->status != ATTEMPT_INTERRUPTED && a->error_len) {
			fputs(",\"error\":", stdout);
			json_str(stdout, a->error, a->error_len);
		}
		if (a->sig.code != 0) {
			fputs(",\"signature\":", stdout);
			json_signature(stdout, a);
		}
		putchar('}');
		*first = 0;
		return;
	}
	put_when(when, sizeof when, a->started_ms, o->utc);
	printf("  attempt %u  pid %u  started %s  %llums  %s", n, a->pid, when,
	    (unsigned long long)a->duration_ms, attempt_name(a->status));
	if (a->status == ATTEMPT_INTERRUPTED)
		fputs(" (its supervisor died; no strike)", stdout);
	text_signature(stdout, a);
	if (a->status != OUT_OK && a->status != ATTEMPT_INTERRUPTED && a->error_len)
		printf("  %s", sup_esc(a->error, a->error_len));
	putchar('\n');
}

struct history {
	const struct why_opts *o;
	uint32_t n;
	int first;
	int have;			/* the file has an outcome: ... */
	int status;			/* ... its status */
	uint32_t strikes;		/* ... and strikes */
};

static int
history_one(uint32_t n, const struct store_outcome *a, void *arg)
{
	struct history *h = arg;

	h->n = n;
	put_attempt(h->o, n, a, &h->first);
	return ferror(stdout) ? 1 : 0;
}

static int
history_last(const struct store_outcome *o, void *arg)
{
	struct history *h = arg;
	struct store_outcome copy = *o, *a = &copy;

	/* An outcome not struck keeps no start: its finish less its time. */
	if (a->started_ms == 0 && a->finished_ms > a->duration_ms)
		a->started_ms = a->finished_ms - a->duration_ms;
	h->have = 1;
	h->status = a->status;
	h->strikes = a->strikes;
	put_attempt(h->o, ++h->n, a, &h->first);
	return 0;
}

/* A path of the job that is FILE by another spelling: both made absolute
 * (the job's relative paths against its own directory) and lexically
 * normal, as replay matches them. */
static int
why_match(uint64_t seq, const char *path, size_t plen, const struct store_outcome *o, void *arg)
{
	struct why_ctx *c = arg;
	char norm[PATH_MAX * 2];

	(void)o;
	if (cli_path_norm(c->base, path, plen, norm, sizeof norm) < 0 || strcmp(norm, c->want) != 0)
		return 0;
	c->seq = seq;
	c->hit = 1;
	return 1;
}

static int
why_scan(struct why_ctx *c, const struct store_job *j)
{
	struct store_inputs in;
	int r, rc;

	if ((r = store_inputs_get(c->st, j->id, &in)) < 0)
		return -1;
	c->base = r == 0 && in.cwd[0] != '\0' ? in.cwd : c->cwd;
	c->hit = 0;
	rc = store_results_each(c->st, j->id, why_match, c);
	if (r == 0)
		store_inputs_free(&in);
	return rc < 0 ? -1 : 0;
}

/* One job's record of the file: its attempts, the outcome last. */
static int
why_job(const struct store_job *j, void *arg)
{
	struct why_ctx *c = arg;
	const struct why_opts *o = c->o;
	struct history h = { .o = o, .first = 1 };
	struct store_inflight f;
	struct store_task t;
	uint64_t seq = 0;
	const char *now;
	int r, running;

	r = store_task_find(c->st, j->id, o->file, strlen(o->file), &seq);
	if (r == 1 && c->want[0] != '\0') {
		if (why_scan(c, j) < 0)
			log_diex(EXIT_USAGE, "unable to read the state: %s", store_strerror(c->st));
		r = c->hit ? 0 : 1;
		seq = c->seq;
	}
	if (r == 1)
		return 0;
	if (r < 0 || store_task_get(c->st, j->id, seq, &t) != 0)
		log_diex(EXIT_USAGE, "unable to read the state: %s", store_strerror(c->st));
	c->found++;
	if (o->json) {
		fputs("{\"job\":", stdout);
		json_str(stdout, j->name, strlen(j->name));
		printf(",\"seq\":%llu,", (unsigned long long)seq);
		json_path(stdout, "path", t.path, t.path_len);
		fputs(",\"attempts\":[", stdout);
	} else
		printf("job %s  file %s  (seq %llu)\n", j->name, sup_esc(t.path, t.path_len),
		    (unsigned long long)seq);
	if (store_attempts_each(c->st, j->id, seq, history_one, &h) < 0 ||
	    store_outcome_get(c->st, j->id, seq, history_last, &h) < 0)
		log_diex(EXIT_USAGE, "unable to read the state: %s", store_strerror(c->st));
	/* In flight at the last commit: running, while an owner runs; else
	 * its supervisor died, and the next owner records it interrupted. */
	running = !h.have && store_inflight_get(c->st, j->id, seq, &f) == 0;
	now = h.have ? outcome_name(h.status) : !running ? "pending" :
	    store_owned(c->st) == 1 ? "running" : "interrupted";
	if (!h.have)
		h.strikes = t.strikes;
	if (o->json) {
		printf("],\"status\":\"%s\",\"strikes\":%u,\"max_strikes\":%u", now, h.strikes,
		    j->opts.max_strikes ? j->opts.max_strikes : MAX_STRIKES_DEFAULT);
		if (running)
			printf(",\"pid\":%u,\"started_ms\":%llu", f.pid, (unsigned long long)f.started_ms);
		puts("}");
	} else {
		if (h.n == 0)
			puts("  no attempt recorded");
		printf("  now %s, %u strike%s of %u", now, h.strikes, h.strikes == 1 ? "" : "s",
		    j->opts.max_strikes ? j->opts.max_strikes : MAX_STRIKES_DEFAULT);
		if (running) {
			char when[64];

			put_when(when, sizeof when, f.started_ms, o->utc);
			printf(" (%s worker %u since %s)", now[0] == 'r' ? "in" : "was in", f.pid, when);
		}
		putchar('\n');
	}
	store_task_free(&t);
	return ferror(stdout) ? 1 : 0;
}

int
report_why(int argc, char **argv)
{
	static const char usage[] = "corral why [-s DIR] [--job JOB] [--json] [--utc] FILE";
	struct why_opts o;
	struct why_ctx c;
	struct store_job j;

	why_args(argc, argv, &o, 0, usage);
	memset(&c, 0, sizeof c);
	c.o = &o;
	if (getcwd(c.cwd, sizeof c.cwd) == NULL ||
	    cli_path_norm(c.cwd, o.file, strlen(o.file), c.want, sizeof c.want) < 0)
		c.want[0] = '\0';	/* the exact path alone */
	c.st = report_open_dir(o.state_dir, STORE_READ);
	if (o.job) {
		report_find_job(c.st, o.state_dir, o.job, &j);
		why_job(&j, &c);
	} else if (store_jobs_each(c.st, why_job, &c) < 0)
		log_diex(EXIT_USAGE, "unable to read jobs: %s", store_strerror(c.st));
	store_close(c.st);
	if (c.found == 0)
		log_diex(EXIT_USAGE, "why: %s is in no job of %s", sup_esc(o.file, strlen(o.file)),
		    sup_esc(o.state_dir, strlen(o.state_dir)));
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_USAGE;
}

/* ---- results --signatures ---- */

/* One bug: what its crashes have in common. The fields that make two
 * signatures the same are the signal, the si_code, the exit code, the
 * limit, the system call, the wait channel and the entry the child was at;
 * never the pid, the time, the byte count or the path. */
struct sig_group {
	struct store_outcome o;		/* the first one's; its bytes below */
	char what[SIG_WHAT_MAX + 1], wchan[SIG_WCHAN_MAX + 1];
	uint64_t count;
	char *example;
};

struct sig_walk {
	struct sig_group *g;
	size_t n, cap;
};

static int
same_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static int
same_bug(const struct store_outcome *a, const struct store_outcome *b)
{
	return a->sig.signal == b->sig.signal && a->sig.code == b->sig.code && a->exit_code == b->exit_code &&
	    a->limit == b->limit && a->sig.proc == b->sig.proc && a->sig.syscall == b->sig.syscall &&
	    same_bytes(a->sig.wchan, a->sig.wchan_len, b->sig.wchan, b->sig.wchan_len) &&
	    same_bytes(a->sig.what, a->sig.what_len, b->sig.what, b->sig.what_len);
}

/* The group's outcome, its strings its own (the array may have moved). */
static const struct store_outcome *
group_outcome(struct sig_group *g)
{
	g->o.sig.what = g->what;
	g->o.sig.wchan = g->wchan;
	return &g->o;
}

static int
sig_one(uint64_t seq, const char *path, size_t plen, const struct store_outcome *o, void *arg)
{
	struct sig_walk *w = arg;
	struct sig_group *more;
	size_t i;

	(void)seq;
	if (o == NULL || o->status != OUT_QUARANTINED)
		return 0;
	for (i = 0; i < w->n && !same_bug(group_outcome(&w->g[i]), o); i++)
		;
	if (i < w->n) {
		w->g[i].count++;
		return 0;
	}
	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 8;
		if ((more = realloc(w->g, w->cap * sizeof *more)) == NULL)
			log_diex(EXIT_USAGE, "out of memory");
		w->g = more;
	}
	memset(&w->g[i], 0, sizeof w->g[i]);
	w->g[i].o = *o;
	w->g[i].o.error = w->g[i].o.tail = NULL;
	w->g[i].o.result = NULL;
	w->g[i].o.error_len = w->g[i].o.tail_len = w->g[i].o.result_len = 0;
	w->g[i].o.sig.what_len = o->sig.what_len > SIG_WHAT_MAX ? SIG_WHAT_MAX : o->sig.what_len;
	w->g[i].o.sig.wchan_len = o->sig.wchan_len > SIG_WCHAN_MAX ? SIG_WCHAN_MAX : o->sig.wchan_len;
	if (w->g[i].o.sig.what_len)
		memcpy(w->g[i].what, o->sig.what, w->g[i].o.sig.what_len);
	if (w->g[i].o.sig.wchan_len)
		memcpy(w->g[i].wchan, o->sig.wchan, w->g[i].o.sig.wchan_len);
	w->g[i].count = 1;
	if ((w->g[i].example = strndup(path, plen)) == NULL)
		log_diex(EXIT_USAGE, "out of memory");
	w->n++;
	return 0;
}

static int
by_count(const void *a, const void *b)
{
	const struct sig_group *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

int
why_signatures(store *st, const struct store_job *j, int json)
{
	struct sig_walk w = { 0 };
	size_t i;

	if (store_results_each(st, j->id, sig_one, &w) < 0)
		log_diex(EXIT_USAGE, "unable to read results: %s", store_strerror(st));
	qsort(w.g, w.n, sizeof *w.g, by_count);
	for (i = 0; i < w.n; i++) {
		const struct sig_group *g = &w.g[i];

		group_outcome(&w.g[i]);
		if (json) {
			fputs("{\"job\":", stdout);
			json_str(stdout, j->name, strlen(j->name));
			printf(",\"count\":%llu,", (unsigned long long)g->count);
			json_path(stdout, "example", g->example, strlen(g->example));
			fputs(",\"signature\":", stdout);
			json_signature(stdout, &g->o);
			puts("}");
		} else {
			printf("%6llu ", (unsigned long long)g->count);
			text_signature(stdout, &g->o);
			printf("  e.g. %s\n", sup_esc(g->example, strlen(g->example)));
		}
		free(w.g[i].example);
	}
	free(w.g);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_USAGE;
}

/* ---- retry -s DIR JOB ---- */

int
report_retry(int argc, char **argv)
{
	static const char usage[] = "corral retry [-s DIR | --socket PATH] [--quarantined] JOB";
	struct why_opts o;
	struct store_job j;
	uint64_t after = 0, n = 0, total = 0;
	store *st;
	int r;

	why_args(argc, argv, &o, 1, usage);
	/* A directory with no state is said so, not made one. */
	store_close(report_open_dir(o.state_dir, STORE_READ));
	st = report_open_dir(o.state_dir, STORE_WRITE);
	report_find_job(st, o.state_dir, o.job, &j);
	do {
		if ((r = store_begin(st)) == 0 && (r = store_retry(st, &j, o.quarantined ?
		    1u << OUT_QUARANTINED : STORE_RETRY_MASK, &after, &n)) < 0)
			store_abort(st);
		else if (r >= 0) {
			total += n;
			/* Resumable: the same command processes what is pending. */
			if (total > 0 && j.state != JOB_RUNNING && j.state != JOB_PAUSED) {
				j.state = JOB_INTERRUPTED;
				j.finished_ms = 0;
			}
			if (store_job_put(st, &j) < 0 || store_commit(st) < 0)
				r = -1;
		}
	} while (r == 1);
	if (r < 0)
		log_diex(EXIT_USAGE, "retry: unable to retry job %s: %s", sup_esc(j.name, strlen(j.name)),
		    store_strerror(st));
	store_close(st);
	fprintf(stderr, "corral: retry: %s: %llu file%s pending again%s\n", j.name,
	    (unsigned long long)total, total == 1 ? "" : "s",
	    total ? "; run the same command again to process them" : "");
	return EXIT_OK;
}
