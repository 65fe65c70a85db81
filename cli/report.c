/* report: `corral status`, `corral results`, `corral jobs`. Each opens the
 * state directory read-only, so it works while a run owns it. */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "ipc/ctl.h"
#include "supervisor/json.h"
#include "supervisor/metrics.h"
#include "supervisor/spec.h"
#include "cli/cli.h"
#include "cli/report.h"
#include "cli/rows.h"
#include "supervisor/sup.h"

struct report_opts {
	const char *state_dir;
	const char *job;
	int json, utc;
	struct rows rows;		/* results: what it shows, and how */
	int merge;			/* --merge: the arguments are state dirs */
	int changed;			/* status --changed */
	int signatures;			/* results --signatures */
	char **dirs;
	int ndirs;
};

enum {
	OPT_JSON = 256, OPT_FAILED, OPT_UTC, OPT_STATUS, OPT_FORMAT, OPT_CSV, OPT_MERGE, OPT_JOB,
	OPT_QUARANTINED, OPT_SIGNATURES, OPT_CHANGED
};
/* What report_args takes beyond the common options: results' rows, and
 * status's --changed. */
enum { TAKES_ROWS = 1, TAKES_CHANGED = 2 };
/* --merge: one shard of a job (--shard K/N), read from its own state dir. */
struct shard_view {
	const char *dir;
	store *st;
	struct store_job j;
	int state;
};

static int merge_status(const struct report_opts *o);
static int merge_results(const struct report_opts *o);

void
report_opt_end(int c, char **argv, const char *usage)
{
	if (c == 'h') {
		printf("usage: %s\n", usage);
		exit(EXIT_OK);
	}
	if (c == ':')
		log_diex(EXIT_USAGE, "%s: option '%s' needs a value (usage: %s)", argv[0],
		    cli_badopt(argv), usage);
	log_diex(EXIT_USAGE, "%s: unknown option '%s' (usage: %s)", argv[0], cli_badopt(argv), usage);
}

static int
report_args(int argc, char **argv, struct report_opts *o, int takes, const char *usage)
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
		{ "merge", no_argument, NULL, OPT_MERGE },
		{ "job", required_argument, NULL, OPT_JOB },
		{ "changed", no_argument, NULL, OPT_CHANGED },
		{ "quarantined", no_argument, NULL, OPT_QUARANTINED },
		{ "signatures", no_argument, NULL, OPT_SIGNATURES },
		{ NULL, 0, NULL, 0 },
	};
	char err[512];
	int c, allow_failed = takes & TAKES_ROWS;

	memset(o, 0, sizeof *o);
	o->state_dir = "./.corral";
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (optarg)	/* always, for a required argument */
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
		case OPT_QUARANTINED:
			if (!allow_failed)
				log_diex(EXIT_USAGE, "%s: unknown option '%s' (usage: %s)", argv[0],
				    cli_badopt(argv), usage);
			rows_option(&o->rows, c == OPT_FAILED ? "failed" : "quarantined", NULL, err, sizeof err);
			break;
		case OPT_SIGNATURES:
			if (!allow_failed)
				log_diex(EXIT_USAGE, "%s: unknown option '--signatures' (usage: %s)", argv[0],
				    usage);
			o->signatures = 1;
			break;
		case OPT_MERGE:
			o->merge = 1;
			break;
		case OPT_JOB:
			o->job = optarg;	/* NULL never: a required argument */
			break;
		case OPT_CHANGED:
			if (!(takes & TAKES_CHANGED))
				log_diex(EXIT_USAGE, "%s: unknown option '--changed' (usage: %s)", argv[0],
				    usage);
			o->changed = 1;
			break;
		default:
			report_opt_end(c, argv, usage);
		}
	}
	if (o->merge && o->changed)
		log_diex(EXIT_USAGE, "%s: --changed reads one state dir, not --merge (usage: %s)", argv[0],
		    usage);
	if (o->merge) {
		if (optind == argc)
			log_diex(EXIT_USAGE, "%s: --merge needs a state DIR at least (usage: %s)", argv[0],
			    usage);
		o->dirs = argv + optind;
		o->ndirs = argc - optind;
		return 0;
	}
	if (argc - optind > (o->job ? 0 : 1))
		log_diex(EXIT_USAGE, "%s: one JOB at most (usage: %s)", argv[0], usage);
	if (optind < argc)
		o->job = argv[optind];
	return 0;
}

store *
report_open_dir(const char *dir, enum store_mode mode)
{
	const char *why;
	store *st = store_open(dir, mode, &why);

	if (st == NULL) {
		if (errno == ENOENT)
			log_diex(EXIT_USAGE, "no corral state in %s", sup_esc(dir, strlen(dir)));
		if (errno == EBUSY && mode == STORE_WRITE)
			log_diex(EXIT_USAGE, "state dir %s is in use by another corral process (a "
			    "service: give --socket)", sup_esc(dir, strlen(dir)));
		if (errno == EBUSY)
			log_diex(EXIT_USAGE, "unable to read state dir %s while its owner runs: readers "
			    "must be able to write its lock.mdb", sup_esc(dir, strlen(dir)));
		log_die(EXIT_USAGE, "unable to %s state dir %s", why, sup_esc(dir, strlen(dir)));
	}
	return st;
}

static store *
report_open(const struct report_opts *o)
{
	return report_open_dir(o->state_dir, STORE_READ);
}

void
report_find_job(store *st, const char *dir, const char *job, struct store_job *j)
{
	int r = job ? store_job_by_name(st, job, j) : store_job_latest(st, j);

	if (r < 0)
		log_diex(EXIT_USAGE, "unable to read the state: %s", store_strerror(st));
	if (r == 1) {
		if (job)
			log_diex(EXIT_USAGE, "no job named %s", sup_esc(job, strlen(job)));
		log_diex(EXIT_USAGE, "no jobs in %s", sup_esc(dir, strlen(dir)));
	}
}

static void
report_find(store *st, const struct report_opts *o, struct store_job *j)
{
	report_find_job(st, o->state_dir, o->job, j);
}

uint64_t
done_of(const struct store_job *j)
{
	return store_done(j);
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

/* A job's fields in JSON, the braces aside. */
static void
job_json_fields(FILE *f, const struct store_job *j, int state)
{
	int i;

	fputs("\"job\":", f);
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
	fprintf(f, ",\"runs\":%llu,\"created_ms\":%llu,\"updated_ms\":%llu,\"finished_ms\":%llu",
	    (unsigned long long)j->runs, (unsigned long long)j->created_ms,
	    (unsigned long long)j->updated_ms, (unsigned long long)j->finished_ms);
	if (j->reason[0] != '\0') {
		fputs(",\"reason\":", f);
		json_str(f, j->reason, strlen(j->reason));
	}
}

static void
job_json(FILE *f, const struct store_job *j, int state)
{
	putc('{', f);
	job_json_fields(f, j, state);
	fputs("}\n", f);
}

/* Each DIR's job (the one named, else its latest), checked to be the
 * shards of one job: the same spec but for the inputs as named (each
 * machine names its own), N the same, no K twice. Any failure is one line
 * naming the DIR, and exit 2. */
static struct shard_view *
merge_open(const struct report_opts *o)
{
	static char was[4200], now[4200];
	static struct store_job other;	/* a shard's job, compared as the first */
	struct shard_view *v = calloc((size_t)o->ndirs, sizeof *v);
	struct store_job *b = &other;
	const char *option;
	int i, m, r;

	if (v == NULL)
		log_diex(EXIT_USAGE, "out of memory");
	for (i = 0; i < o->ndirs; i++) {
		struct report_opts one = *o;
		const char *dir = o->dirs[i];
		char d[PATH_MAX + 16];

		if (dir == NULL)	/* argv ends in NULL, past ndirs */
			log_diex(EXIT_USAGE, "--merge: a DIR is missing");
		snprintf(d, sizeof d, "%s", sup_esc(dir, strlen(dir)));
		one.state_dir = dir;
		v[i].dir = dir;
		v[i].st = report_open(&one);
		r = o->job ? store_job_by_name(v[i].st, o->job, &v[i].j) :
		    store_job_latest(v[i].st, &v[i].j);
		if (r < 0)
			log_diex(EXIT_USAGE, "%s: unable to read the state: %s", d,
			    store_strerror(v[i].st));
		if (r == 1 && o->job)
			log_diex(EXIT_USAGE, "%s: no job named %s", d, sup_esc(o->job, strlen(o->job)));
		if (r == 1)
			log_diex(EXIT_USAGE, "%s: no jobs", d);
		if (v[i].j.shard_n == 0)
			log_diex(EXIT_USAGE, "%s: job %s is not a shard (it was run without --shard)", d,
			    v[i].j.name);
		v[i].state = state_of(v[i].st, &v[i].j);
		if (i == 0)
			continue;
		if (v[i].j.shard_n != v[0].j.shard_n)
			log_diex(EXIT_USAGE, "%s: job %s is shard %u of %u, but %s holds shard %u of %u: "
			    "shards of different jobs do not add up", d, v[i].j.name, v[i].j.shard_k,
			    v[i].j.shard_n, sup_esc(v[0].dir, strlen(v[0].dir)), v[0].j.shard_k,
			    v[0].j.shard_n);
		for (m = 0; m < i; m++)
			if (v[m].j.shard_k == v[i].j.shard_k)
				log_diex(EXIT_USAGE, "%s: shard %u of %u is in %s too: each shard once", d,
				    v[i].j.shard_k, v[i].j.shard_n, sup_esc(v[m].dir, strlen(v[m].dir)));
		/* Compared as one job: what names the inputs and the shard aside. */
		*b = v[i].j;
		b->shard_k = v[0].j.shard_k;
		memcpy(b->inputs, v[0].j.inputs, sizeof b->inputs);
		memcpy(b->inputs_id, v[0].j.inputs_id, sizeof b->inputs_id);
		memcpy(b->list_id, v[0].j.list_id, sizeof b->list_id);
		b->has_list = v[0].j.has_list;
		memcpy(b->extract, v[0].j.extract, sizeof b->extract);
		if (spec_differs(&v[0].j, b, &option, was, now, sizeof was))
			log_diex(EXIT_USAGE, "%s: job %s has %s %s, but the job in %s has %s %s: shards of "
			    "different jobs do not add up", d, v[i].j.name, option, now,
			    sup_esc(v[0].dir, strlen(v[0].dir)), option, was);
	}
	return v;
}

static void
merge_close(struct shard_view *v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		store_close(v[i].st);
	free(v);
}

/* The state of the shards together: the first of these that one is in. */
static int
merge_state(const struct shard_view *v, int n)
{
	static const int order[] = { JOB_FAILED, JOB_HALTED, JOB_CANCELLED, JOB_INTERRUPTED,
	    JOB_PAUSED, JOB_RUNNING, JOB_DONE };
	size_t k;
	int i;

	for (k = 0; k < sizeof order / sizeof order[0]; k++)
		for (i = 0; i < n; i++)
			if (v[i].state == order[k])
				return order[k];
	return JOB_DONE;
}

static int
merge_status(const struct report_opts *o)
{
	struct shard_view *v = merge_open(o);
	uint64_t total = 0, count[OUT__COUNT] = { 0 }, done;
	uint32_t n = v[0].j.shard_n, k, missing = 0;
	int i, c, state = merge_state(v, o->ndirs), first;

	for (i = 0; i < o->ndirs; i++) {
		total += v[i].j.total;
		for (c = 0; c < OUT__COUNT; c++)
			count[c] += v[i].j.count[c];
	}
	for (done = 0, c = 0; c < OUT__COUNT; c++)
		done += count[c];
	missing = n - (uint32_t)o->ndirs;
	if (o->json) {
		printf("{\"shards\":%u,\"present\":%d,\"missing\":[", n, o->ndirs);
		for (first = 1, k = 1; k <= n && missing > 0; k++) {
			for (i = 0; i < o->ndirs && v[i].j.shard_k != k; i++)
				;
			if (i == o->ndirs) {
				printf("%s%u", first ? "" : ",", k);
				first = 0;
			}
		}
		printf("],\"state\":\"%s\",\"total\":%llu,\"done\":%llu,\"pending\":%llu",
		    job_state_name(state), (unsigned long long)total, (unsigned long long)done,
		    (unsigned long long)(total - done));
		for (c = 0; c < OUT__COUNT; c++)
			printf(",\"%s\":%llu", outcome_name(c), (unsigned long long)count[c]);
		fputs(",\"jobs\":[", stdout);
		for (i = 0; i < o->ndirs; i++) {
			printf("%s{\"state_dir\":", i ? "," : "");
			json_str(stdout, v[i].dir, strlen(v[i].dir));
			printf(",\"shard\":%u,", v[i].j.shard_k);
			job_json_fields(stdout, &v[i].j, v[i].state);
			putchar('}');
		}
		fputs("]}\n", stdout);
	} else {
		printf("%-10s %d of %u\n", "shards", o->ndirs, n);
		if (missing > 0) {
			printf("%-10s", "missing");
			for (k = 1; k <= n; k++) {
				for (i = 0; i < o->ndirs && v[i].j.shard_k != k; i++)
					;
				if (i == o->ndirs)
					printf(" %u", k);
			}
			putchar('\n');
		}
		printf("%-10s %s\n", "state", job_state_name(state));
		printf("%-10s %s\n", "handler", sup_esc(v[0].j.handler, strlen(v[0].j.handler)));
		printf("%-10s %llu known, %llu done, %llu pending\n", "files", (unsigned long long)total,
		    (unsigned long long)done, (unsigned long long)(total - done));
		for (c = 0; c < OUT__COUNT; c++)
			printf("%-10s %llu\n", outcome_name(c), (unsigned long long)count[c]);
		for (i = 0; i < o->ndirs; i++) {
			printf("shard %u/%u  %-11s %llu/%llu done, %llu not ok  %s  ", v[i].j.shard_k, n,
			    job_state_name(v[i].state), (unsigned long long)done_of(&v[i].j),
			    (unsigned long long)v[i].j.total,
			    (unsigned long long)(done_of(&v[i].j) - v[i].j.count[OUT_OK]), v[i].j.name);
			text_escaped(stdout, v[i].dir, strlen(v[i].dir));
			printf("%s\n", v[i].state == JOB_INTERRUPTED ?
			    "  (resumable: run its command again)" : "");
		}
	}
	merge_close(v, o->ndirs);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_USAGE;
}

int
report_status(int argc, char **argv)
{
	struct report_opts o;
	struct store_job j;
	store *st;
	int i, state;

	report_args(argc, argv, &o, TAKES_CHANGED, "corral status [-s DIR] [JOB] [--json] [--utc] "
	    "[--changed] | status --merge DIR... [--job NAME] [--json]");
	if (o.merge)
		return merge_status(&o);
	st = report_open(&o);
	report_find(st, &o, &j);
	if (o.changed) {
		report_changed(st, &j, o.json);
		store_close(st);
		return fflush(stdout) == 0 ? EXIT_OK : EXIT_USAGE;
	}
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
		if (j.reason[0] != '\0')
			printf("%-10s %s\n", "reason", sup_esc(j.reason, strlen(j.reason)));
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
	const struct shard_view *shard;	/* --merge: where the outcomes come from */
};

static int
results_one(uint64_t seq, const char *path, size_t plen, const struct store_outcome *o, void *arg)
{
	struct results_ctx *c = arg;

	if (o == NULL)
		return 0;
	if (!rows_shows(&c->o->rows, o->status))
		return 0;
	if (c->o->json && c->shard) {
		json_outcome_open(stdout, c->job, seq, path, plen, o);
		fputs(",\"state_dir\":", stdout);
		json_str(stdout, c->shard->dir, strlen(c->shard->dir));
		printf(",\"shard\":%u,\"shards\":%u}\n", c->shard->j.shard_k, c->shard->j.shard_n);
		return ferror(stdout) ? 1 : 0;
	}
	if (c->shard && c->o->rows.form == ROWS_TEXT)
		printf("%u/%u  ", c->shard->j.shard_k, c->shard->j.shard_n);
	rows_put(&c->o->rows, stdout, c->job, seq, path, plen, o);
	return ferror(stdout) ? 1 : 0;
}

/* Every shard's outcomes: by DIR in the order given, then by seq. */
static int
merge_results(const struct report_opts *o)
{
	struct shard_view *v = merge_open(o);
	struct results_ctx c;
	int i;

	for (i = 0; i < o->ndirs; i++) {
		c.o = (struct report_opts *)o;
		c.job = v[i].j.name;
		c.shard = &v[i];
		if (store_results_each(v[i].st, v[i].j.id, results_one, &c) < 0)
			log_diex(EXIT_USAGE, "%s: unable to read results: %s",
			    sup_esc(v[i].dir, strlen(v[i].dir)), store_strerror(v[i].st));
	}
	merge_close(v, o->ndirs);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_USAGE;
}

int
report_results(int argc, char **argv)
{
	struct report_opts o;
	struct store_job j;
	struct results_ctx c;
	store *st;

	report_args(argc, argv, &o, TAKES_ROWS, "corral results [-s DIR] [JOB] [--json|--csv|--format FMT] "
	    "[--failed|--quarantined|--status LIST] | results [-s DIR] [JOB] --signatures [--json] | "
	    "results --merge DIR... [--job NAME] [--json] [--failed]");
	if (o.signatures && (o.merge || (o.rows.form != ROWS_TEXT && o.rows.form != ROWS_JSON) ||
	    (o.rows.mask != 0 && o.rows.mask != 1u << OUT_QUARANTINED)))
		log_diex(EXIT_USAGE, "results: --signatures takes --json alone, and no --merge, "
		    "--failed or --status: it groups the quarantined files");
	if (o.merge)
		return merge_results(&o);
	st = report_open(&o);
	report_find(st, &o, &j);
	if (o.signatures) {
		int r = why_signatures(st, &j, o.json);

		store_close(st);
		return r;
	}
	c.o = &o;
	c.job = j.name;
	c.shard = NULL;
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
