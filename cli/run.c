/* run: `corral run` — its command line, checked strictly, into the pool's
 * options and one job's spec; the pool run with that one job; what a
 * person sees of it (progress, the summary, --json) and the exit status. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/config.h"
#include "cli/output.h"
#include "cli/report.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/shard.h"
#include "ipc/ctl.h"
#include "ipc/jobopts.h"
#include "supervisor/http.h"
#include "supervisor/json.h"
#include "supervisor/metrics.h"
#include "supervisor/spec.h"
#include "supervisor/sup.h"

enum {
	OPT_DEPTH = 256, OPT_HALT, OPT_HALT_MIN, OPT_JOB, OPT_JSON, OPT_STATS,
	OPT_MAX_ENTRIES, OPT_MAX_BYTES, OPT_MAX_ENTRY_BYTES, OPT_MAX_RATIO, OPT_MAX_DEPTH,
	OPT_MAX_NAME, OPT_ENTRY_SHA256, OPT_FAIL_ON, OPT_EXTRACT, OPT_EXTRACT_SUSPICIOUS,
	OPT_MEMORY, OPT_USER, OPT_NO_SANDBOX, OPT_FORMATS, OPT_PRIORITY, OPT_WAIT, OPT_SOCKET,
	OPT_HOST_WAIT, OPT_HTTP, OPT_METRICS_FILE, OPT_DRY_RUN, OPT_TAG, OPT_KEEP_ORDER,
	OPT_NO_OUTPUT, OPT_RESULTS, OPT_STALL, OPT_MAX_TASKS, OPT_MAX_RSS, OPT_SHARD,
	OPT_REUSE, OPT_RECHECK,
	OPT_MAX_STRIKES,
	OPT_INCLUDE, OPT_EXCLUDE, OPT_MIN_SIZE, OPT_MAX_SIZE, OPT_HALT_WHEN
};

#define NOT_JOB	(-1)

/* What an option's value is checked as before it is set. */
enum { V_NONE, V_NUM, V_SIZE };

/* Every option of run and submit: getopt's code for it, the bounds of a
 * number or size, and for a job's own option the bit that says a SUBMIT
 * gave it (what a service may otherwise take from its [defaults]).
 * --user and --no-sandbox are in a job's spec, but a service decides them
 * itself. */
static const struct run_option {
	const char *name;
	int has_arg;
	int code;
	int given;			/* a CTL_GIVEN_*, or NOT_JOB */
	int value;			/* V_NUM, V_SIZE: from min to max */
	uint64_t min, max;
} run_options[] = {
	{ "wait", no_argument, OPT_WAIT, NOT_JOB, V_NONE, 0, 0 },
	{ "socket", required_argument, OPT_SOCKET, NOT_JOB, V_NONE, 0, 0 },
	{ "workers", required_argument, 'j', NOT_JOB, V_NONE, 1, 1024 },
	{ "timeout", required_argument, 't', CTL_GIVEN_TIMEOUT, V_NONE, 0, 0 },
	{ "state", required_argument, 's', NOT_JOB, V_NONE, 0, 0 },
	{ "handler", required_argument, 'H', CTL_GIVEN_HANDLER, V_NONE, 0, 0 },
	{ "exec", required_argument, 'x', CTL_GIVEN_EXEC, V_NONE, 0, 0 },
	{ "retries", required_argument, 'r', CTL_GIVEN_RETRIES, V_NUM, 0, 100 },
	{ "depth", required_argument, OPT_DEPTH, NOT_JOB, V_NUM, 1, DEPTH_MAX },
	{ "host-wait", required_argument, OPT_HOST_WAIT, NOT_JOB, V_NONE, 0, 0 },
	{ "halt-on-error", required_argument, OPT_HALT, CTL_GIVEN_HALT_RATE, V_NONE, 0, 0 },
	{ "halt-min-sample", required_argument, OPT_HALT_MIN, CTL_GIVEN_HALT_MIN, V_NUM, 1, UINT64_MAX },
	{ "job", required_argument, OPT_JOB, NOT_JOB, V_NONE, 0, 0 },
	{ "priority", required_argument, OPT_PRIORITY, CTL_GIVEN_PRIORITY, V_NUM, 1, PRIORITY_MAX },
	{ "json", no_argument, OPT_JSON, NOT_JOB, V_NONE, 0, 0 },
	{ "stats", required_argument, OPT_STATS, NOT_JOB, V_NONE, 0, 0 },
	{ "http", required_argument, OPT_HTTP, NOT_JOB, V_NONE, 0, 0 },
	{ "metrics-file", required_argument, OPT_METRICS_FILE, NOT_JOB, V_NONE, 0, 0 },
	{ "dry-run", no_argument, OPT_DRY_RUN, NOT_JOB, V_NONE, 0, 0 },
	{ "tag", no_argument, OPT_TAG, NOT_JOB, V_NONE, 0, 0 },
	{ "keep-order", no_argument, 'k', NOT_JOB, V_NONE, 0, 0 },
	{ "no-output", no_argument, OPT_NO_OUTPUT, NOT_JOB, V_NONE, 0, 0 },
	{ "results", required_argument, OPT_RESULTS, NOT_JOB, V_NONE, 0, 0 },
	{ "max-entries", required_argument, OPT_MAX_ENTRIES, CTL_GIVEN_MAX_ENTRIES, V_NUM, 1, UINT32_MAX },
	{ "max-bytes", required_argument, OPT_MAX_BYTES, CTL_GIVEN_MAX_BYTES, V_SIZE, 1, UINT64_MAX },
	{ "max-entry-bytes", required_argument, OPT_MAX_ENTRY_BYTES, CTL_GIVEN_MAX_ENTRY_BYTES, V_SIZE, 1,
	    UINT64_MAX },
	{ "max-ratio", required_argument, OPT_MAX_RATIO, CTL_GIVEN_MAX_RATIO, V_NUM, 1, UINT32_MAX },
	{ "max-depth", required_argument, OPT_MAX_DEPTH, CTL_GIVEN_MAX_DEPTH, V_NUM, 0, 64 },
	{ "max-name", required_argument, OPT_MAX_NAME, CTL_GIVEN_MAX_NAME, V_NUM, 1, 65536 },
	{ "entry-sha256", no_argument, OPT_ENTRY_SHA256, CTL_GIVEN_ENTRY_SHA256, V_NONE, 0, 0 },
	{ "fail-on", required_argument, OPT_FAIL_ON, CTL_GIVEN_FAIL_ON, V_NONE, 0, 0 },
	{ "formats", required_argument, OPT_FORMATS, CTL_GIVEN_FORMATS, V_NONE, 0, 0 },
	{ "extract", required_argument, OPT_EXTRACT, CTL_GIVEN_EXTRACT, V_NONE, 0, 0 },
	{ "extract-suspicious", no_argument, OPT_EXTRACT_SUSPICIOUS, CTL_GIVEN_EXTRACT_SUSPICIOUS, V_NONE,
	    0, 0 },
	{ "memory-limit", required_argument, OPT_MEMORY, CTL_GIVEN_MEMORY_LIMIT, V_SIZE, 0, UINT64_MAX },
	{ "user", required_argument, OPT_USER, NOT_JOB, V_NONE, 0, 0 },
	{ "no-sandbox", no_argument, OPT_NO_SANDBOX, NOT_JOB, V_NONE, 0, 0 },
	{ "reuse", no_argument, OPT_REUSE, CTL_GIVEN_REUSE, V_NONE, 0, 0 },
	{ "recheck", no_argument, OPT_RECHECK, CTL_GIVEN_RECHECK, V_NONE, 0, 0 },
	{ "null", no_argument, '0', NOT_JOB, V_NONE, 0, 0 },
	{ "quiet", no_argument, 'q', NOT_JOB, V_NONE, 0, 0 },
	{ "verbose", no_argument, 'v', NOT_JOB, V_NONE, 0, 0 },
	{ "help", no_argument, 'h', NOT_JOB, V_NONE, 0, 0 },
	{ "stall", required_argument, OPT_STALL, CTL_GIVEN_STALL, V_NONE, 0, 0 },
	{ "max-tasks-per-child", required_argument, OPT_MAX_TASKS, CTL_GIVEN_MAX_TASKS, V_NUM, 0,
	    UINT32_MAX },
	{ "max-child-rss", required_argument, OPT_MAX_RSS, CTL_GIVEN_MAX_RSS, V_SIZE, 0, UINT64_MAX / 2 },
	{ "shard", required_argument, OPT_SHARD, CTL_GIVEN_SHARD, V_NONE, 0, 0 },
	{ "max-strikes", required_argument, OPT_MAX_STRIKES, CTL_GIVEN_MAX_STRIKES, V_NUM, 1,
	    MAX_STRIKES_MAX },
	{ "include", required_argument, OPT_INCLUDE, CTL_GIVEN_INCLUDE, V_NONE, 0, 0 },
	{ "exclude", required_argument, OPT_EXCLUDE, CTL_GIVEN_INCLUDE, V_NONE, 0, 0 },
	{ "min-size", required_argument, OPT_MIN_SIZE, CTL_GIVEN_SIZE, V_SIZE, 0, UINT64_MAX },
	{ "max-size", required_argument, OPT_MAX_SIZE, CTL_GIVEN_SIZE, V_SIZE, 0, UINT64_MAX },
	{ "halt", required_argument, OPT_HALT_WHEN, CTL_GIVEN_HALT, V_NONE, 0, 0 },
};
#define RUN_OPTIONS	(sizeof run_options / sizeof run_options[0])

static const struct run_option *
run_option(const char *name)
{
	size_t i;

	for (i = 0; i < RUN_OPTIONS; i++)
		if (strcmp(run_options[i].name, name) == 0)
			return &run_options[i];
	return NULL;
}

int
run_opt_kind(const char *name)
{
	const struct run_option *opt = run_option(name);

	if (opt == NULL)
		return RUN_OPT_NONE;
	return opt->given == NOT_JOB ? RUN_OPT_OTHER : RUN_OPT_JOB;
}

static int __attribute__((format(printf, 3, 4)))
refuse(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

uint64_t
cpus_online(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	return cpus > 0 ? (uint64_t)cpus : 1;
}

void
run_init(struct run_cmd *o)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(o, 0, sizeof *o);
	o->pool.state_dir = "./.corral";
	o->spec.handler = "archive";
	o->spec.timeout_ms = 60000;
	o->pool.workers = cpus > 0 ? (uint32_t)cpus : 1;
	o->spec.retries = 1;
	o->pool.depth = 0;
	o->spec.halt_min = 10;
	o->spec.list_sep = '\n';
	job_opts_default(&o->spec.child);
}

/* The value of opt, checked, into o. on: a flag's yes or no. */
/* NOLINTBEGIN(clang-analyzer-core.NonNullParamChecker,clang-analyzer-core.NullDereference):
 * arg is NULL only for options of no_argument, which read no value (the table's rule). */
static int
opt_apply(struct run_cmd *o, const struct run_option *opt, const char *arg, int on, char *err,
    size_t len)
{
	struct job_opts *ch = &o->spec.child;
	uint64_t v = 0;
	uint32_t set;
	double rate;
	const char *bad;
	size_t badlen, n;

	if (opt->value == V_NUM && parse_uint(arg, opt->min, opt->max, &v) < 0)
		return refuse(err, len, "--%s: '%s' is not a whole number from %llu to %llu", opt->name,
		    sup_esc(arg, strlen(arg)), (unsigned long long)opt->min, (unsigned long long)opt->max);
	if (opt->value == V_SIZE && parse_size(arg, opt->min, opt->max, &v) < 0)
		return refuse(err, len, "--%s: '%s' is not a size like 4096, 512K, 100M, 4G (from %llu to "
		    "%llu bytes)", opt->name, sup_esc(arg, strlen(arg)), (unsigned long long)opt->min,
		    (unsigned long long)opt->max);
	switch (opt->code) {
	case 'j':
		if (parse_workers(arg, cpus_online(), 1024, &v) < 0)
			return refuse(err, len, "--workers: '%s' is not a count from 1 to 1024, a share of "
			    "the CPUs like 50%%, or +N / -N from their number", sup_esc(arg, strlen(arg)));
		o->pool.workers = (uint32_t)v;
		break;
	case 't':
		/* A share of the median, or the fixed cap: each its own. */
		n = strlen(arg);
		if (n > 1 && arg[n - 1] == '%') {
			char pct[16];

			snprintf(pct, sizeof pct, "%.*s", (int)(n - 1), arg);
			if (n - 1 >= sizeof pct || parse_uint(pct, 1, TIMEOUT_PCT_MAX, &v) < 0)
				return refuse(err, len, "--timeout: '%s' is not a share of the median "
				    "like 200%% (1%% to %u%%)", sup_esc(arg, n), TIMEOUT_PCT_MAX);
			o->spec.timeout_pct = (uint32_t)v;
			break;
		}
		if (parse_duration_ms(arg, &v) < 0)
			return refuse(err, len, "--timeout: '%s' is not a duration like 250ms, 30s, 2m, "
			    "or a share of the median like 200%%", sup_esc(arg, strlen(arg)));
		o->spec.timeout_ms = v;
		break;
	case OPT_STALL:
		if (parse_duration_ms(arg, &v) < 0 || (v != 0 && v < STALL_MIN_MS) ||
		    v > CTL_TIMEOUT_MAX)
			return refuse(err, len, "--stall: '%s' is not a duration like 500ms, 10s, 2m "
			    "(at least %ums; 0: off)", sup_esc(arg, strlen(arg)), STALL_MIN_MS);
		o->spec.stall_ms = v;
		break;
	case 's':
		o->pool.state_dir = arg;
		break;
	case 'H':
		o->spec.handler = arg;
		break;
	case 'x':
		o->spec.exec_cmd = arg;
		o->spec.handler = "exec";
		break;
	case 'r':
		o->spec.retries = (uint32_t)v;
		break;
	case OPT_DEPTH:
		o->pool.depth = (uint32_t)v;
		break;
	case OPT_HOST_WAIT:
		if (parse_duration_ms(arg, &v) < 0 || v == 0)
			return refuse(err, len, "--host-wait: '%s' is not a duration like 30s, 5m",
			    sup_esc(arg, strlen(arg)));
		o->pool.host_wait = (double)v / 1000.0;
		break;
	case OPT_HALT:
		if (parse_rate(arg, &rate) < 0)
			return refuse(err, len, "--halt-on-error: '%s' is not a share like 0.1 or 10%%",
			    sup_esc(arg, strlen(arg)));
		o->spec.halt_rate = rate;
		break;
	case OPT_HALT_MIN:
		o->spec.halt_min = v;
		break;
	case OPT_JOB:
		if (arg[0] == '\0' || strlen(arg) > 200 || strpbrk(arg, "\n\r\t/") ||
		    !json_is_utf8(arg, strlen(arg)))
			return refuse(err, len, "--job: a name is 1 to 200 printable characters, no '/'");
		o->spec.job_name = arg;
		break;
	case OPT_PRIORITY:
		o->spec.priority = (uint32_t)v;
		break;
	case OPT_JSON:
		o->json = on;
		break;
	case OPT_STATS:
		o->stats = arg;
		break;
	case OPT_HTTP:
		o->http = arg;
		break;
	case OPT_DRY_RUN:
		o->dry_run = on;
		break;
	case OPT_TAG:
		o->tag = on;
		break;
	case 'k':
		o->keep_order = on;
		break;
	case OPT_NO_OUTPUT:
		o->no_output = on;
		break;
	case OPT_RESULTS:
		if (arg[0] == '\0')
			return refuse(err, len, "--results: an empty DIR");
		o->results = arg;
		break;
	case OPT_METRICS_FILE:
		if (arg[0] == '\0')
			return refuse(err, len, "--metrics-file: an empty PATH");
		o->metrics_file = arg;
		break;
	case OPT_MAX_ENTRIES:
		ch->limits.max_entries = v;
		break;
	case OPT_MAX_BYTES:
		ch->limits.max_bytes = v;
		break;
	case OPT_MAX_ENTRY_BYTES:
		ch->limits.max_entry_bytes = v;
		break;
	case OPT_MAX_RATIO:
		ch->limits.max_ratio = v;
		break;
	case OPT_MAX_DEPTH:
		ch->limits.max_depth = (uint32_t)v;
		break;
	case OPT_MAX_NAME:
		ch->limits.max_name = (uint32_t)v;
		break;
	case OPT_ENTRY_SHA256:
		ch->entry_sha256 = on;
		break;
	case OPT_REUSE:
		ch->reuse = on;
		break;
	case OPT_RECHECK:
		o->spec.recheck = on;
		break;
	case OPT_FAIL_ON:
		if (strcmp(arg, "suspicious") != 0)
			return refuse(err, len, "--fail-on: '%s' is not 'suspicious' (rejected and "
			    "malformed always fail)", sup_esc(arg, strlen(arg)));
		ch->fail_on_suspicious = 1;
		break;
	case OPT_FORMATS:
		if (formats_parse(arg, &set, &bad, &badlen) < 0)
			return refuse(err, len, "--formats: '%s' is no format (7zip, ar, cab, cpio, empty, "
			    "iso9660, lha, mtree, rar, rar5, tar, warc, xar, zip, all, default)",
			    sup_esc(bad, badlen));
		if (set == 0)
			return refuse(err, len, "--formats: no format left to read");
		ch->formats = set;
		break;
	case OPT_EXTRACT:
		if (arg[0] == '\0')
			return refuse(err, len, "--extract: an empty DIR");
		o->spec.extract_dir = arg;
		ch->extract = 1;
		break;
	case OPT_EXTRACT_SUSPICIOUS:
		ch->extract_suspicious = on;
		break;
	case OPT_MEMORY:
		if (v != 0 && v < (64u << 20))
			return refuse(err, len, "--memory-limit: at least 64M (or 0 for none)");
		ch->sandbox.memory_limit = v;
		break;
	case OPT_MAX_TASKS:
		ch->max_tasks = v;
		break;
	case OPT_MAX_STRIKES:
		ch->max_strikes = (uint32_t)v;
		break;
	case OPT_MAX_RSS:
		if (v != 0 && v < (1u << 20))
			return refuse(err, len, "--max-child-rss: at least 1M (or 0 for none)");
		ch->max_rss = v;
		ch->max_rss_hard = 2 * v;
		break;
	case OPT_USER:
		o->user = arg;
		break;
	case OPT_NO_SANDBOX:
		ch->sandbox.enabled = !on;
		break;
	case '0':
		o->spec.list_sep = on ? '\0' : '\n';
		break;
	case 'q':
		o->quiet = on;
		break;
	case 'v':
		o->pool.verbose = on;
		break;
	case OPT_WAIT:
		o->wait = on;
		break;
	case OPT_SHARD:
		if (shard_parse(arg, &o->spec.shard_k, &o->spec.shard_n) < 0)
			return refuse(err, len, "--shard: '%s' is not K/N with 1 <= K <= N <= %u",
			    sup_esc(arg, strlen(arg)), SHARD_MAX);
		break;
	case OPT_INCLUDE:
	case OPT_EXCLUDE:
		if (filter_add(&o->spec.filter, opt->code == OPT_INCLUDE, arg) < 0)
			return refuse(err, len, "--%s: %s", opt->name, errno == EINVAL ?
			    "an empty GLOB matches nothing" : "the patterns pass 4096 bytes in all");
		break;
	case OPT_MIN_SIZE:
		o->spec.filter.min_size = v;
		break;
	case OPT_MAX_SIZE:
		o->spec.filter.max_size = v;
		o->spec.filter.has_max = 1;
		break;
	case OPT_HALT_WHEN:
		if (parse_halt(arg, &o->spec.halt_soon, &v, &rate) < 0)
			return refuse(err, len, "--halt: '%s' is not now,fail=N or soon,fail=N (N >= 1), "
			    "or now,fail=P%% or soon,fail=P%% (0 < P <= 100)", sup_esc(arg, strlen(arg)));
		if (rate > 0)
			o->spec.halt_rate = rate;
		else
			o->spec.halt_fail = v;
		break;
	case OPT_SOCKET:
		o->socket = arg;
		break;
	}
	return 0;
}
/* NOLINTEND(clang-analyzer-core.NonNullParamChecker,clang-analyzer-core.NullDereference) */

int
run_opt_set(struct run_cmd *o, const char *name, const char *value, char *err, size_t len)
{
	const struct run_option *opt = run_option(name);
	int on = 1;

	if (opt == NULL || opt->code == 'h')
		return refuse(err, len, "no option --%s", sup_esc(name, strlen(name)));
	if (opt->has_arg == no_argument) {
		if (value != NULL && (on = config_bool(value)) < 0)
			return refuse(err, len, "--%s: '%s' is not yes or no", name,
			    sup_esc(value, strlen(value)));
	} else if (value == NULL)
		return refuse(err, len, "--%s needs a value", name);
	if (opt_apply(o, opt, value, on, err, len) < 0)
		return -1;
	if (opt->given != NOT_JOB)
		o->given |= UINT64_C(1) << opt->given;
	/* --halt W,fail=P% is --halt-on-error P% too. */
	if (opt->code == OPT_HALT_WHEN && value != NULL && strchr(value, '%'))
		o->given |= UINT64_C(1) << CTL_GIVEN_HALT_RATE;
	return 0;
}

int
run_check(struct run_cmd *o, char *err, size_t len)
{
	const char *h = o->spec.handler;

	/* A plugin: by absolute path, so the child needs no search. */
	if (o->spec.exec_cmd == NULL && h != o->plugin && strcmp(h, "exec") != 0 && strcmp(h, "archive") != 0 &&
	    strcmp(h, "sha256") != 0) {
		if (strchr(h, '/') == NULL && strstr(h, ".so") == NULL)
			return refuse(err, len, "-H %s: no such handler (archive, sha256, exec, or a path "
			    "to a .so)", sup_esc(h, strlen(h)));
		if (realpath(h, o->plugin) == NULL)
			return refuse(err, len, "plugin %s: %s", sup_esc(h, strlen(h)), strerror(errno));
		if (access(o->plugin, R_OK) < 0)
			return refuse(err, len, "plugin %s: %s", sup_esc(o->plugin, strlen(o->plugin)),
			    strerror(errno));
		o->spec.handler = o->plugin;
	}
	if (o->results && o->spec.exec_cmd == NULL)
		return refuse(err, len, "--results: it keeps the output of -x's commands, and this "
		    "job runs none");
	if ((o->tag || o->keep_order || o->no_output) && o->spec.exec_cmd == NULL)
		return refuse(err, len, "%s: it is about the output of -x's commands, and this job "
		    "runs none", o->tag ? "--tag" : o->no_output ? "--no-output" : "-k");
	return spec_check(&o->spec, err, len);
}

/* --user: who the children become when the run starts as root. */
static void
set_user(struct sandbox_opts *sb, const char *name, int given)
{
	struct passwd *pw;

	if (geteuid() != 0) {
		if (given)
			log_diex(EXIT_USAGE, "--user: only a run started as root changes user");
		return;
	}
	errno = 0;
	if ((pw = getpwnam(name)) == NULL)
		log_diex(EXIT_USAGE, "--user: no such user: %s", sup_esc(name, strlen(name)));
	if (pw->pw_uid == 0)
		log_diex(EXIT_USAGE, "--user: %s has uid 0; children must not run as root",
		    sup_esc(name, strlen(name)));
	sb->drop = 1;
	sb->uid = (uint32_t)pw->pw_uid;
	sb->gid = (uint32_t)pw->pw_gid;
}

/* The run as its front end sees it. */
struct run_view {
	struct sup *sup;
	struct job *job;
	const struct run_cmd *cmd;
	int interrupted;		/* a signal, or stdout went away */
	int stdout_gone;
	struct output *out;		/* -x without --json: the commands' output */
};

/* Each outcome once it is durable: --json's line; -x's output and
 * --results (output.c). */
static void
print_outcome(void *arg, struct job *j, uint64_t seq, const char *path, size_t plen,
    const struct store_outcome *o)
{
	struct run_view *v = arg;

	if (v->cmd->json && !v->stdout_gone) {
		json_outcome(stdout, j->rec.name, seq, path, plen, o);
		putc('\n', stdout);
	}
	if (v->out && !v->stdout_gone)
		output_outcome(v->out, seq, path, plen, o);
}

static void
flush_outcomes(void *arg)
{
	struct run_view *v = arg;
	struct store_task t;
	int n;

	/* --keep-order: what comes before the job's first file still to do. */
	if (v->out && !v->stdout_gone) {
		n = store_pending(v->sup->st, v->job->rec.id, 0, &t, 1);
		if (n >= 0)
			output_release(v->out, n == 1 ? t.seq : 0);
		if (n == 1)
			store_task_free(&t);
	}
	if (v->stdout_gone || fflush(stdout) != EOF)
		return;
	/* The reader of --json went away: stop like an interrupt. */
	v->stdout_gone = 1;
	v->interrupted = 1;
	log_warn("unable to write to stdout");
	sup_stop(v->sup);
}

/* The run ends with its job. */
static void
job_changed(void *arg, struct job *j)
{
	struct run_view *v = arg;

	if (j->rec.state != JOB_RUNNING)
		sup_stop(v->sup);
}

static void
signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct run_view *v = w->data;

	(void)loop, (void)revents;
	log_warnx("%s: stopping; the job stays resumable", strsignal(w->signum));
	v->interrupted = 1;
	sup_stop(v->sup);
}

/* Ctrl-Z: the children are in their own process groups, out of the
 * terminal's reach: the pool stops them with itself. */
static void
tstp_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct run_view *v = w->data;

	(void)loop, (void)revents;
	progress_stop(v->sup);
	sup_suspend(v->sup);
	progress_start(v->sup, v->cmd->quiet);
}

/* ", N quarantined", when some are: a line that tests and scripts read
 * keeps its old words otherwise. */
static const char *
quarantined_words(const struct store_job *r)
{
	static char b[48];

	b[0] = '\0';
	if (r->count[OUT_QUARANTINED] > 0)
		snprintf(b, sizeof b, ", %llu quarantined", (unsigned long long)r->count[OUT_QUARANTINED]);
	return b;
}

static void
job_summary(struct job *j, FILE *f)
{
	const struct store_job *r = &j->rec;
	ev_tstamp took = ev_time() - j->t0;
	uint64_t done = job_done(j), now = done - j->done_at_start;

	fprintf(f, "corral: job %s %s: %llu of %llu file%s done: %llu ok, %llu failed, %llu crashed, "
	    "%llu timeout, %llu skipped%s\n", r->name, job_state_name(r->state),
	    (unsigned long long)done, (unsigned long long)r->total, plural_s(r->total),
	    (unsigned long long)r->count[OUT_OK], (unsigned long long)r->count[OUT_FAILED],
	    (unsigned long long)r->count[OUT_CRASHED], (unsigned long long)r->count[OUT_TIMEOUT],
	    (unsigned long long)r->count[OUT_SKIPPED], quarantined_words(r));
	/* The rate leaves out the time the job was stopped (Ctrl-Z). */
	fprintf(f, "corral: this run: %llu file%s in %.1fs (%.0f/s)%s", (unsigned long long)now,
	    plural_s(now), took, progress_rate(now, took, j->sup->stopped_for),
	    r->state == JOB_DONE && now == 0 ? ", nothing left to do" : "");
	if (j->filtered > 0)
		fprintf(f, "; %llu file%s filtered out", (unsigned long long)j->filtered,
		    plural_s(j->filtered));
	putc('\n', f);
	if (r->state == JOB_INTERRUPTED || r->state == JOB_HALTED)
		fprintf(f, "corral: run the same command again to resume\n");
}

/* The exit status a job's end gives (documented in --help). */
static int
run_status(const struct run_view *v)
{
	const struct store_job *r = &v->job->rec;

	if (v->sup->failed)
		return EXIT_USAGE;
	switch (r->state) {
	case JOB_DONE:
		return r->count[OUT_OK] == job_done(v->job) ? EXIT_OK : EXIT_NOTOK;
	case JOB_HALTED:
		return EXIT_HALTED;
	case JOB_FAILED:
		return EXIT_USAGE;
	default:
		return EXIT_INTR;
	}
}

/* --results DIR: made when missing, a directory of ours to write under.
 * Its descriptor, or -1 with one line in err. */
static int
results_open(const char *dir, char *err, size_t len)
{
	int fd;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return refuse(err, len, "--results %s: %s", sup_esc(dir, strlen(dir)), strerror(errno));
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return refuse(err, len, "--results %s: %s", sup_esc(dir, strlen(dir)), strerror(errno));
	return fd;
}

static int
run(const struct run_cmd *o)
{
	static struct sup s;
	struct run_view v = { .sup = &s, .cmd = o };
	struct sup_sub sub = { .job_changed = job_changed, .arg = &v };
	struct metrics_file mf = { 0 };
	ev_signal sig_int, sig_term, sig_hup, sig_tstp;
	char err[9300];
	int status, stats_fd = -1, stats_made = 0, results_fd = -1;

	if (o->stats)
		stats_fd = stats_open(o->stats, &stats_made);
	if (sup_init(&s, &o->pool, err, sizeof err) < 0) {
		char mark[PATH_MAX], sock[PATH_MAX] = "";
		FILE *f;

		stats_drop(stats_fd, o->stats, stats_made);
		/* A service owns it: say where its jobs go instead. */
		snprintf(mark, sizeof mark, "%s/serve", o->pool.state_dir);
		if (errno == EBUSY && (f = fopen(mark, "re")) != NULL) {
			if (fgets(sock, sizeof sock, f) != NULL)
				sock[strcspn(sock, "\n")] = '\0';
			fclose(f);
			log_diex(EXIT_USAGE, "state dir %s belongs to a corral serve: "
			    "use 'corral submit --wait --socket %s' with the same options",
			    sup_esc(o->pool.state_dir, strlen(o->pool.state_dir)), sup_esc(sock, strlen(sock)));
		}
		log_diex(EXIT_USAGE, "%s", err);
	}
	/* Refused before the job is opened, so its record is left as it was. */
	if (o->results && (results_fd = results_open(o->results, err, sizeof err)) < 0) {
		sup_free(&s);
		stats_drop(stats_fd, o->stats, stats_made);
		log_diex(EXIT_USAGE, "%s", err);
	}
	if ((o->metrics_file && metrics_file_check(o->metrics_file, err, sizeof err) < 0) ||
	    (o->http && http_start(&s, o->http, -1, err, sizeof err) < 0)) {
		sup_free(&s);
		stats_drop(stats_fd, o->stats, stats_made);
		log_diex(EXIT_USAGE, "%s", err);
	}
	progress_list_wait(&o->spec, o->quiet);
	/* The children start while the job is opened (its spec checked and
	 * written, the scan begun): they are ready about when it is. */
	sup_spawn(&s);
	if ((v.job = sup_job_open(&s, &o->spec, err, sizeof err)) == NULL) {
		http_stop();
		sup_free(&s);
		stats_drop(stats_fd, o->stats, stats_made);
		log_diex(EXIT_USAGE, "%s", err);
	}
	if (o->spec.exec_cmd != NULL && ((!o->json && !o->no_output) || results_fd >= 0)) {
		if ((v.out = output_new(!o->json && !o->no_output ? stdout : NULL, o->tag,
		    o->keep_order)) == NULL)
			log_die(EXIT_USAGE, "unable to allocate");
		if (results_fd >= 0)
			output_results(v.out, results_fd, o->results);
	}
	if (o->json || v.out) {
		sub.outcome = print_outcome;
		sub.committed = flush_outcomes;
	}
	sub.job = v.job;
	sup_subscribe(&s, &sub);
	ev_signal_init(&sig_int, signal_cb, SIGINT);
	ev_signal_init(&sig_term, signal_cb, SIGTERM);
	ev_signal_init(&sig_hup, signal_cb, SIGHUP);
	ev_signal_init(&sig_tstp, tstp_cb, SIGTSTP);
	sig_int.data = sig_term.data = sig_hup.data = sig_tstp.data = &v;
	ev_signal_start(s.loop, &sig_int);
	ev_signal_start(s.loop, &sig_term);
	ev_signal_start(s.loop, &sig_hup);
	ev_signal_start(s.loop, &sig_tstp);
	progress_start(&s, o->quiet);
	if (o->metrics_file)
		metrics_file_start(&mf, &s, o->metrics_file);
	sup_run(&s);
	output_free(v.out);
	metrics_file_stop(&mf);
	progress_stop(&s);
	http_stop();
	ev_signal_stop(s.loop, &sig_int);
	ev_signal_stop(s.loop, &sig_term);
	ev_signal_stop(s.loop, &sig_hup);
	ev_signal_stop(s.loop, &sig_tstp);

	status = run_status(&v);
	if (v.job->rec.state == JOB_FAILED)
		log_warnx("job %s failed: %s", v.job->rec.name, v.job->rec.reason);
	/* A set-up failure said its one line; a summary would bury it. */
	if (status != EXIT_USAGE)
		job_summary(v.job, stderr);
	if (stats_fd >= 0)
		write_stats(&s, stats_fd, o->stats, job_done(v.job) - v.job->done_at_start);
	sup_free(&s);
	return status;
}

const char *
cli_badopt(char **argv)
{
	char letter_opt[3] = { '-', (char)optopt, '\0' };
	const char *a = optind > 0 ? argv[optind - 1] : "";
	const char *next = argv[optind];
	int letter = optopt > 0 && optopt < 127 && isgraph(optopt);

	/* A short option inside a cluster leaves optind on the cluster; one
	 * that ends it, or a long option, moves past it. */
	if (letter && next != NULL && next[0] == '-' && next[1] != '-' && next[1] != '\0' &&
	    strchr(next + 1, optopt) != NULL)
		a = "";
	if (letter && strncmp(a, "--", 2) != 0)
		return sup_esc(letter_opt, 2);
	return sup_esc(a, strcspn(a, "="));
}

static const struct run_option *
run_option_code(int c)
{
	size_t i;

	for (i = 0; i < RUN_OPTIONS; i++)
		if (run_options[i].code == c)
			return &run_options[i];
	return NULL;
}

const char *
cli_worker(void)
{
	const char *worker = getenv("CORRAL_WORKER");

	return worker && worker[0] ? worker : "/proc/self/exe";
}

int
run_parse(int argc, char **argv, struct run_cmd *o, const char *cmd)
{
	struct option longopts[RUN_OPTIONS + 1];
	const struct run_option *opt;
	int submit = strcmp(cmd, "submit") == 0 || strcmp(cmd, "check") == 0;
	char err[2048];
	size_t k;
	int c, i;

	run_init(o);
	memset(longopts, 0, sizeof longopts);
	for (k = 0; k < RUN_OPTIONS; k++) {
		longopts[k].name = run_options[k].name;
		longopts[k].has_arg = run_options[k].has_arg;
		longopts[k].val = run_options[k].code;
	}
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":j:t:s:H:x:r:0qvhk", longopts, NULL)) != -1) {
		if (c == 'h') {
			cli_usage(stdout);
			return -1;
		}
		if (c == ':')
			log_diex(EXIT_USAGE, "%s: option '%s' needs a value (see 'corral %s --help')", cmd,
			    cli_badopt(argv), cmd);
		if (c == '?')
			log_diex(EXIT_USAGE, "%s: unknown option '%s' (see 'corral %s --help')", cmd,
			    cli_badopt(argv), cmd);
		if ((opt = run_option_code(c)) == NULL || (!submit && (c == OPT_WAIT || c == OPT_SOCKET)))
			log_diex(EXIT_USAGE, "%s: unknown option '--%s' (see 'corral %s --help')", cmd,
			    opt ? opt->name : "?", cmd);
		if (run_opt_set(o, opt->name, opt->has_arg == no_argument ? NULL : optarg, err,
		    sizeof err) < 0)
			log_diex(EXIT_USAGE, "%s", err);
	}
	if (optind == argc)
		log_diex(EXIT_USAGE, "%s: no PATH given (see 'corral %s --help')", cmd, cmd);
	o->spec.inputs = argv + optind;
	o->spec.ninputs = argc - optind;
	for (i = 0; i < o->spec.ninputs; i++)
		if (o->spec.inputs[i][0] == '\0')
			log_diex(EXIT_USAGE, "%s: an empty PATH", cmd);
	if (run_check(o, err, sizeof err) < 0)
		log_diex(EXIT_USAGE, "%s", err);
	set_user(&o->spec.child.sandbox, o->user ? o->user : "nobody", o->user != NULL);
	/* A backstop behind the timeout, per file: the child raises its soft
	 * limit by this much before each task. */
	o->spec.child.sandbox.cpu_s = (uint32_t)(o->spec.timeout_ms / 1000 + 2);
	/* Loud even with -q: nothing else shows that the walls are down. */
	if (!o->spec.child.sandbox.enabled)
		log_warnx("--no-sandbox: children run without seccomp, Landlock, namespaces or a user change; "
		    "a hostile file that compromises a child can reach everything this user can");
	o->pool.worker = cli_worker();
	return 0;
}

int
cli_run(int argc, char **argv)
{
	struct run_cmd o;

	if (run_parse(argc, argv, &o, "run") < 0)
		return EXIT_OK;
	return o.dry_run ? run_dry(&o) : run(&o);
}
