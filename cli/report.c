/* report: `corral status`, `corral results`, `corral jobs`. Each opens the
 * state directory read-only, so it works while a run owns it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "ipc/ctl.h"
#include "supervisor/json.h"
#include "supervisor/metrics.h"
#include "cli/cli.h"
#include "cli/report.h"
#include "cli/rows.h"
#include "supervisor/sup.h"

struct report_opts {
	const char *state_dir;
	const char *job;
	int json, utc;
	struct rows rows;		/* results: what it shows, and how */
};

enum { OPT_JSON = 256, OPT_FAILED, OPT_UTC, OPT_STATUS, OPT_FORMAT, OPT_CSV };

static int
report_args(int argc, char **argv, struct report_opts *o, int allow_failed, const char *usage)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "failed", no_argument, NULL, OPT_FAILED },
		{ "utc", no_argument, NULL, OPT_UTC },
		{ "status", required_argument, NULL, OPT_STATUS },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[512];
	int c;

	memset(o, 0, sizeof *o);
	o->state_dir = "./.corral";
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->state_dir = optarg;
			break;
		case OPT_JSON:
			o->json = 1;
			if (allow_failed && rows_option(&o->rows, "json", NULL, err, sizeof err) < 0)
				log_diex(EXIT_USAGE, "%s: %s", argv[0], err);
			break;
		case OPT_STATUS:
		case OPT_FORMAT:
		case OPT_CSV:
			if (!allow_failed)
				log_diex(EXIT_USAGE, "%s: unknown option '%s' (usage: %s)", argv[0],
				    cli_badopt(argv), usage);
			if (rows_option(&o->rows, c == OPT_STATUS ? "status" : c == OPT_FORMAT ? "format" :
			    "csv", optarg, err, sizeof err) < 0)
				log_diex(EXIT_USAGE, "%s: %s", argv[0], err);
			break;
		case OPT_UTC:
			o->utc = 1;
			break;
		case OPT_FAILED:
			if (!allow_failed)
				log_diex(EXIT_USAGE, "%s: unknown option '--failed' (usage: %s)", argv[0], usage);
			rows_option(&o->rows, "failed", NULL, err, sizeof err);
			break;
		case 'h':
			printf("usage: %s\n", usage);
			exit(EXIT_OK);
		case ':':
			log_diex(EXIT_USAGE, "%s: option '%s' needs a value (usage: %s)", argv[0],
			    cli_badopt(argv), usage);
		default:
			log_diex(EXIT_USAGE, "%s: unknown option '%s' (usage: %s)", argv[0], cli_badopt(argv),
			    usage);
		}
	}
	if (argc - optind > 1)
		log_diex(EXIT_USAGE, "%s: one JOB at most (usage: %s)", argv[0], usage);
	o->job = optind < argc ? argv[optind] : NULL;
	return 0;
}

static store *
report_open(const struct report_opts *o)
{
	const char *why;
	store *st = store_open(o->state_dir, STORE_READ, &why);

	if (st == NULL) {
		if (errno == ENOENT)
			log_diex(EXIT_USAGE, "no corral state in %s", sup_esc(o->state_dir, strlen(o->state_dir)));
		if (errno == EBUSY)
			log_diex(EXIT_USAGE, "unable to read state dir %s while its owner runs: readers "
			    "must be able to write its lock.mdb", sup_esc(o->state_dir, strlen(o->state_dir)));
		log_die(EXIT_USAGE, "unable to %s state dir %s", why,
		    sup_esc(o->state_dir, strlen(o->state_dir)));
	}
	return st;
}

static void
report_find(store *st, const struct report_opts *o, struct store_job *j)
{
	int r = o->job ? store_job_by_name(st, o->job, j) : store_job_latest(st, j);

	if (r < 0)
		log_diex(EXIT_USAGE, "unable to read the state: %s", store_strerror(st));
	if (r == 1) {
		if (o->job)
			log_diex(EXIT_USAGE, "no job named %s", sup_esc(o->job, strlen(o->job)));
		log_diex(EXIT_USAGE, "no jobs in %s", sup_esc(o->state_dir, strlen(o->state_dir)));
	}
}

static uint64_t
done_of(const struct store_job *j)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < OUT__COUNT; i++)
		n += j->count[i];
	return n;
}

/* An instant for people: in the local time zone (TZ, else the system's)
 * with its offset from UTC, or in UTC with --utc. */
static void
put_time(FILE *f, const char *label, uint64_t ms, int utc)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char b[64];

	if (ms == 0)
		return;
	if (utc)
		gmtime_r(&t, &tm);
	else
		localtime_r(&t, &tm);
	strftime(b, sizeof b, utc ? "%Y-%m-%d %H:%M:%S UTC" : "%Y-%m-%d %H:%M:%S %z", &tm);
	fprintf(f, "%-10s %s\n", label, b);
}

/* The job's state as a reader should see it. A job that says running
 * while no process owns the state directory was left so by an owner that
 * died (kill -9, power loss): it is interrupted. The lock is looked at
 * after the record was read, so an owner that started since is seen. */
static int
state_of(store *st, const struct store_job *j)
{
	return j->state == JOB_RUNNING && store_owned(st) == 0 ? JOB_INTERRUPTED : j->state;
}

static void
job_json(FILE *f, const struct store_job *j, int state)
{
	int i;

	fputs("{\"job\":", f);
	json_str(f, j->name, strlen(j->name));
	fprintf(f, ",\"state\":\"%s\",\"handler\":", job_state_name(state));
	json_str(f, j->handler, strlen(j->handler));
	if (j->arg[0]) {
		fputs(",\"exec\":", f);
		json_str(f, j->arg, strlen(j->arg));
	}
	fputs(",\"inputs\":", f);
	json_str(f, j->inputs, strlen(j->inputs));
	fprintf(f, ",\"total\":%llu,\"done\":%llu,\"pending\":%llu", (unsigned long long)j->total,
	    (unsigned long long)done_of(j), (unsigned long long)(j->total - done_of(j)));
	for (i = 0; i < OUT__COUNT; i++)
		fprintf(f, ",\"%s\":%llu", outcome_name(i), (unsigned long long)j->count[i]);
	fprintf(f, ",\"runs\":%llu,\"created_ms\":%llu,\"updated_ms\":%llu,\"finished_ms\":%llu}\n",
	    (unsigned long long)j->runs, (unsigned long long)j->created_ms,
	    (unsigned long long)j->updated_ms, (unsigned long long)j->finished_ms);
}

int
report_status(int argc, char **argv)
{
	struct report_opts o;
	struct store_job j;
	store *st;
	int i, state;

	report_args(argc, argv, &o, 0, "corral status [-s DIR] [JOB] [--json] [--utc]");
	st = report_open(&o);
	report_find(st, &o, &j);
	state = state_of(st, &j);
	if (o.json)
		job_json(stdout, &j, state);
	else {
		printf("%-10s %s\n", "job", j.name);
		printf("%-10s %s%s\n", "state", job_state_name(state), state == JOB_INTERRUPTED ?
		    " (resumable: run the same command again)" : "");
		printf("%-10s %s%s%s\n", "handler", sup_esc(j.handler, strlen(j.handler)),
		    j.arg[0] ? " -x " : "", sup_esc(j.arg, strlen(j.arg)));
		printf("%-10s %s\n", "inputs", j.inputs);
		printf("%-10s %llu known, %llu done, %llu pending\n", "files",
		    (unsigned long long)j.total, (unsigned long long)done_of(&j),
		    (unsigned long long)(j.total - done_of(&j)));
		for (i = 0; i < OUT__COUNT; i++)
			printf("%-10s %llu\n", outcome_name(i), (unsigned long long)j.count[i]);
		printf("%-10s %llu\n", "runs", (unsigned long long)j.runs);
		put_time(stdout, "created", j.created_ms, o.utc);
		put_time(stdout, "updated", j.updated_ms, o.utc);
		put_time(stdout, "finished", j.finished_ms, o.utc);
	}
	store_close(st);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_USAGE;
}

struct results_ctx {
	struct report_opts *o;
	const char *job;
};

static int
results_one(uint64_t seq, const char *path, size_t plen, const struct store_outcome *o, void *arg)
{
	struct results_ctx *c = arg;

	if (o == NULL)
		return 0;
	rows_put(&c->o->rows, stdout, c->job, seq, path, plen, o);
	return ferror(stdout) ? 1 : 0;
}

int
report_results(int argc, char **argv)
{
	struct report_opts o;
	struct store_job j;
	struct results_ctx c;
	store *st;

	report_args(argc, argv, &o, 1, "corral results [-s DIR] [JOB] [--json|--csv|--format FMT] "
	    "[--failed|--status LIST]");
	st = report_open(&o);
	report_find(st, &o, &j);
	c.o = &o;
	c.job = j.name;
	if (store_results_each(st, j.id, results_one, &c) < 0)
		log_diex(EXIT_USAGE, "unable to read results: %s", store_strerror(st));
	store_close(st);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_USAGE;
}

struct jobs_ctx {
	const struct report_opts *o;
	store *st;
};

static int
jobs_one(const struct store_job *j, void *arg)
{
	const struct jobs_ctx *c = arg;
	int state = state_of(c->st, j);

	if (c->o->json) {
		job_json(stdout, j, state);
		return 0;
	}
	printf("%-32s %-11s %llu/%llu done, %llu not ok\n", j->name, job_state_name(state),
	    (unsigned long long)done_of(j), (unsigned long long)j->total,
	    (unsigned long long)(done_of(j) - j->count[OUT_OK]));
	return 0;
}

int
report_jobs(int argc, char **argv)
{
	struct report_opts o;
	struct jobs_ctx c;
	store *st;

	report_args(argc, argv, &o, 0, "corral jobs [-s DIR] [--json]");
	if (o.job)
		log_diex(EXIT_USAGE, "usage: corral jobs [-s DIR] [--json]");
	st = report_open(&o);
	c.o = &o;
	c.st = st;
	if (store_jobs_each(st, jobs_one, &c) < 0)
		log_diex(EXIT_USAGE, "unable to read jobs: %s", store_strerror(st));
	store_close(st);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_USAGE;
}

/* The records, as the series show them. */
struct metrics_walk {
	store *st;
	struct metrics_job *jobs;
	size_t n, cap;
};

static int
metrics_one(const struct store_job *j, void *arg)
{
	struct metrics_walk *w = arg;
	struct metrics_job *more;

	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 16;
		if ((more = realloc(w->jobs, w->cap * sizeof *more)) == NULL)
			log_diex(EXIT_USAGE, "out of memory");
		w->jobs = more;
	}
	metrics_job_set(&w->jobs[w->n++], j, state_of(w->st, j));
	return 0;
}

int
report_metrics(int argc, char **argv)
{
	struct report_opts o;
	struct metrics_walk w = { 0 };
	int r;

	report_args(argc, argv, &o, 0, "corral metrics [-s DIR]");
	if (o.job)
		log_diex(EXIT_USAGE, "usage: corral metrics [-s DIR]");
	w.st = report_open(&o);
	if (store_jobs_each(w.st, metrics_one, &w) < 0)
		log_diex(EXIT_USAGE, "unable to read jobs: %s", store_strerror(w.st));
	printf("# corral metrics read from the state directory %s: its job records only; the\n"
	    "# rest (files this run, children, commits, the process) is known to the\n"
	    "# supervisor alone: see --metrics-file, or --socket for a service\n",
	    sup_esc(o.state_dir, strlen(o.state_dir)));
	r = metrics_write_jobs(stdout, w.jobs, w.n);
	free(w.jobs);
	store_close(w.st);
	return r == 0 && fflush(stdout) == 0 ? EXIT_OK : EXIT_USAGE;
}
