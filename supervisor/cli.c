/* cli: `corral run`'s command line, checked strictly, into a run_opts. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc/jobopts.h"
#include "common/log.h"
#include "common/parse.h"
#include "supervisor/cli.h"
#include "supervisor/json.h"
#include "supervisor/sup.h"

void
cli_usage(FILE *f)
{
	fputs(
"usage: corral run [OPTIONS] PATH...      process every file under PATHs\n"
"       corral status [-s DIR] [JOB] [--json]\n"
"       corral results [-s DIR] [JOB] [--json] [--failed]\n"
"       corral jobs [-s DIR] [--json]\n"
"       corral --help | --version\n"
"\n"
"run options:\n"
"  -j, --workers N        child processes (default: online CPUs)\n"
"  -t, --timeout DUR      per-file limit: 250ms, 30s, 2m (default 60s)\n"
"  -s, --state DIR        state directory (default ./.corral)\n"
"  -H, --handler NAME     archive, sha256, exec, or a plugin .so path (default archive)\n"
"  -x, --exec CMD         command per file, {} is its path; implies -H exec\n"
"  -r, --retries N        extra attempts after a crash or timeout (default 1)\n"
"      --depth N          tasks queued per child, 1 to 64 (default: by the pace\n"
"                         of the files, 2 to 64)\n"
"      --halt-on-error R  halt when the share of files not ok exceeds R (0.1 or 10%)\n"
"      --halt-min-sample N  ... once N files are done (default 10)\n"
"      --job NAME         job name (default: derived from the inputs and handler)\n"
"      --json             one JSON object per file on stdout as it is recorded\n"
"  -0, --null             the stdin list ('-') is NUL-separated, not by newlines\n"
"  -q, --quiet            no progress display\n"
"  -v, --verbose          log every worker start and the descriptor count\n"
"      --stats FILE       write this run's own figures (CPU, memory, commits,\n"
"                         timeout and respawn latency) to FILE as JSON\n"
"\n"
"archive options (each limit applies to the whole tree of nested archives):\n"
"      --max-entries N    entries (default 100000)\n"
"      --max-bytes SIZE   uncompressed bytes, all entries (default 4G)\n"
"      --max-entry-bytes SIZE  uncompressed bytes of one entry (default 1G)\n"
"      --max-ratio N      uncompressed:compressed, per entry and whole (default 1000)\n"
"      --max-depth N      archives inside archives looked into (default 3)\n"
"      --max-name N       bytes of an entry's name (default 4096)\n"
"      --entry-sha256     a SHA-256 of every entry in the manifest\n"
"      --fail-on suspicious  a suspicious archive is failed, not ok\n"
"      --formats LIST     formats read: names (zip,tar), or +NAME / -NAME from the\n"
"                         default, all but mtree and empty\n"
"      --extract DIR      write out each clean archive under DIR/JOB/PATH/\n"
"      --extract-suspicious  ... and each suspicious one too, still held to\n"
"                         the rules at write time\n"
"\n"
"sandbox options:\n"
"      --memory-limit SIZE  address space of a child (default 1G; 0: none)\n"
"      --user NAME        started as root, children run as NAME (default nobody)\n"
"      --no-sandbox       children run without seccomp, Landlock, namespaces\n"
"                         or the user change: for debugging only\n"
"\n"
"PATH '-' reads a list of files from stdin. Running the same command again\n"
"with the same state directory resumes the job. A job is its inputs and the\n"
"options that decide outcomes (not -j, --depth, -q, -v, --json, --stats):\n"
"the same job name with other ones is refused; --job NAME starts a new job.\n"
"\n"
"exit status: 0 every file ok; 1 some files not ok; 2 usage or set-up error;\n"
"             3 halted by --halt-on-error; 130 interrupted (resumable)\n", f);
}

static uint64_t
opt_uint(const char *name, const char *arg, uint64_t min, uint64_t max)
{
	uint64_t v;

	if (parse_uint(arg, min, max, &v) < 0)
		log_diex(EXIT_USAGE, "%s: '%s' is not a whole number from %llu to %llu", name,
		    sup_esc(arg, strlen(arg)), (unsigned long long)min, (unsigned long long)max);
	return v;
}

enum {
	OPT_DEPTH = 256, OPT_HALT, OPT_HALT_MIN, OPT_JOB, OPT_JSON, OPT_STATS,
	OPT_MAX_ENTRIES, OPT_MAX_BYTES, OPT_MAX_ENTRY_BYTES, OPT_MAX_RATIO, OPT_MAX_DEPTH,
	OPT_MAX_NAME, OPT_ENTRY_SHA256, OPT_FAIL_ON, OPT_EXTRACT, OPT_EXTRACT_SUSPICIOUS,
	OPT_MEMORY, OPT_USER, OPT_NO_SANDBOX, OPT_FORMATS
};

static uint64_t
opt_size(const char *name, const char *arg, uint64_t min, uint64_t max)
{
	uint64_t v;

	if (parse_size(arg, min, max, &v) < 0)
		log_diex(EXIT_USAGE, "%s: '%s' is not a size like 4096, 512K, 100M, 4G (from %llu to %llu bytes)",
		    name, sup_esc(arg, strlen(arg)), (unsigned long long)min, (unsigned long long)max);
	return v;
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

int
cli_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "workers", required_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "state", required_argument, NULL, 's' },
		{ "handler", required_argument, NULL, 'H' },
		{ "exec", required_argument, NULL, 'x' },
		{ "retries", required_argument, NULL, 'r' },
		{ "depth", required_argument, NULL, OPT_DEPTH },
		{ "halt-on-error", required_argument, NULL, OPT_HALT },
		{ "halt-min-sample", required_argument, NULL, OPT_HALT_MIN },
		{ "job", required_argument, NULL, OPT_JOB },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "stats", required_argument, NULL, OPT_STATS },
		{ "max-entries", required_argument, NULL, OPT_MAX_ENTRIES },
		{ "max-bytes", required_argument, NULL, OPT_MAX_BYTES },
		{ "max-entry-bytes", required_argument, NULL, OPT_MAX_ENTRY_BYTES },
		{ "max-ratio", required_argument, NULL, OPT_MAX_RATIO },
		{ "max-depth", required_argument, NULL, OPT_MAX_DEPTH },
		{ "max-name", required_argument, NULL, OPT_MAX_NAME },
		{ "entry-sha256", no_argument, NULL, OPT_ENTRY_SHA256 },
		{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
		{ "formats", required_argument, NULL, OPT_FORMATS },
		{ "extract", required_argument, NULL, OPT_EXTRACT },
		{ "extract-suspicious", no_argument, NULL, OPT_EXTRACT_SUSPICIOUS },
		{ "memory-limit", required_argument, NULL, OPT_MEMORY },
		{ "user", required_argument, NULL, OPT_USER },
		{ "no-sandbox", no_argument, NULL, OPT_NO_SANDBOX },
		{ "null", no_argument, NULL, '0' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static char plugin[PATH_MAX];
	struct run_opts o;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	const char *worker, *user = NULL;
	int c, i;

	memset(&o, 0, sizeof o);
	o.state_dir = "./.corral";
	o.handler = "archive";
	o.timeout_ms = 60000;
	o.workers = cpus > 0 ? (uint32_t)cpus : 1;
	o.retries = 1;
	o.depth = 0;
	o.halt_min = 10;
	o.list_sep = '\n';
	job_opts_default(&o.child);

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:j:t:s:H:x:r:0qvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o.workers = (uint32_t)opt_uint("--workers", optarg, 1, 1024);
			break;
		case 't':
			if (parse_duration_ms(optarg, &o.timeout_ms) < 0)
				log_diex(EXIT_USAGE, "--timeout: '%s' is not a duration like 250ms, 30s, 2m",
				    sup_esc(optarg, strlen(optarg)));
			break;
		case 's':
			o.state_dir = optarg;
			break;
		case 'H':
			o.handler = optarg;
			break;
		case 'x':
			o.exec_cmd = optarg;
			o.handler = "exec";
			break;
		case 'r':
			o.retries = (uint32_t)opt_uint("--retries", optarg, 0, 100);
			break;
		case OPT_DEPTH:
			o.depth = (uint32_t)opt_uint("--depth", optarg, 1, DEPTH_MAX);
			break;
		case OPT_HALT:
			if (parse_rate(optarg, &o.halt_rate) < 0)
				log_diex(EXIT_USAGE, "--halt-on-error: '%s' is not a share like 0.1 or 10%%",
				    sup_esc(optarg, strlen(optarg)));
			break;
		case OPT_HALT_MIN:
			o.halt_min = opt_uint("--halt-min-sample", optarg, 1, UINT64_MAX);
			break;
		case OPT_JOB:
			if (optarg[0] == '\0' || strlen(optarg) > 200 || strpbrk(optarg, "\n\r\t/") ||
			    !json_is_utf8(optarg, strlen(optarg)))
				log_diex(EXIT_USAGE, "--job: a name is 1 to 200 printable characters, no '/'");
			o.job_name = optarg;
			break;
		case OPT_JSON:
			o.json = 1;
			break;
		case OPT_STATS:
			o.stats = optarg;
			break;
		case OPT_MAX_ENTRIES:
			o.child.limits.max_entries = opt_uint("--max-entries", optarg, 1, UINT32_MAX);
			break;
		case OPT_MAX_BYTES:
			o.child.limits.max_bytes = opt_size("--max-bytes", optarg, 1, UINT64_MAX);
			break;
		case OPT_MAX_ENTRY_BYTES:
			o.child.limits.max_entry_bytes = opt_size("--max-entry-bytes", optarg, 1, UINT64_MAX);
			break;
		case OPT_MAX_RATIO:
			o.child.limits.max_ratio = opt_uint("--max-ratio", optarg, 1, UINT32_MAX);
			break;
		case OPT_MAX_DEPTH:
			o.child.limits.max_depth = (uint32_t)opt_uint("--max-depth", optarg, 0, 64);
			break;
		case OPT_MAX_NAME:
			o.child.limits.max_name = (uint32_t)opt_uint("--max-name", optarg, 1, 65536);
			break;
		case OPT_ENTRY_SHA256:
			o.child.entry_sha256 = 1;
			break;
		case OPT_FAIL_ON:
			if (strcmp(optarg, "suspicious") != 0)
				log_diex(EXIT_USAGE, "--fail-on: '%s' is not 'suspicious' (rejected and malformed always fail)",
				    sup_esc(optarg, strlen(optarg)));
			o.child.fail_on_suspicious = 1;
			break;
		case OPT_FORMATS: {
			const char *bad;
			size_t badlen;

			if (formats_parse(optarg, &o.child.formats, &bad, &badlen) < 0)
				log_diex(EXIT_USAGE, "--formats: '%s' is no format (7zip, ar, cab, cpio, empty, "
				    "iso9660, lha, mtree, rar, rar5, tar, warc, xar, zip, all, default)",
				    sup_esc(bad, badlen));
			if (o.child.formats == 0)
				log_diex(EXIT_USAGE, "--formats: no format left to read");
			break;
		}
		case OPT_EXTRACT:
			if (optarg[0] == '\0')
				log_diex(EXIT_USAGE, "--extract: an empty DIR");
			o.extract_dir = optarg;
			o.child.extract = 1;
			break;
		case OPT_EXTRACT_SUSPICIOUS:
			o.child.extract_suspicious = 1;
			break;
		case OPT_MEMORY:
			o.child.sandbox.memory_limit = opt_size("--memory-limit", optarg, 0, UINT64_MAX);
			if (o.child.sandbox.memory_limit != 0 && o.child.sandbox.memory_limit < (64u << 20))
				log_diex(EXIT_USAGE, "--memory-limit: at least 64M (or 0 for none)");
			break;
		case OPT_USER:
			user = optarg;
			break;
		case OPT_NO_SANDBOX:
			o.child.sandbox.enabled = 0;
			break;
		case '0':
			o.list_sep = '\0';
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'v':
			o.verbose = 1;
			break;
		case 'h':
			cli_usage(stdout);
			return EXIT_OK;
		case ':':
			log_diex(EXIT_USAGE, "run: option '%s' needs a value (see 'corral run --help')",
			    sup_esc(argv[optind - 1], strlen(argv[optind - 1])));
		default:
			log_diex(EXIT_USAGE, "run: unknown option '%s' (see 'corral run --help')",
			    sup_esc(argv[optind - 1], strlen(argv[optind - 1])));
		}
	}
	if (optind == argc)
		log_diex(EXIT_USAGE, "run: no PATH given (see 'corral run --help')");
	o.inputs = argv + optind;
	o.ninputs = argc - optind;
	for (i = 0; i < o.ninputs; i++)
		if (o.inputs[i][0] == '\0')
			log_diex(EXIT_USAGE, "run: an empty PATH");

	if (strcmp(o.handler, "exec") == 0) {
		if (o.exec_cmd == NULL || o.exec_cmd[0] == '\0')
			log_diex(EXIT_USAGE, "-H exec needs a command: -x 'CMD {}'");
	} else if (o.exec_cmd)
		log_diex(EXIT_USAGE, "-x gives a command for -H exec, not for -H %s",
		    sup_esc(o.handler, strlen(o.handler)));
	else if (strcmp(o.handler, "archive") != 0 && strcmp(o.handler, "sha256") != 0) {
		/* A plugin: by absolute path, so the child needs no search. */
		if (strchr(o.handler, '/') == NULL && strstr(o.handler, ".so") == NULL)
			log_diex(EXIT_USAGE, "-H %s: no such handler (archive, sha256, exec, or a path to a .so)",
			    sup_esc(o.handler, strlen(o.handler)));
		if (realpath(o.handler, plugin) == NULL)
			log_die(EXIT_USAGE, "plugin %s", sup_esc(o.handler, strlen(o.handler)));
		if (access(plugin, R_OK) < 0)
			log_die(EXIT_USAGE, "plugin %s", sup_esc(plugin, strlen(plugin)));
		o.handler = plugin;
	}
	if (o.child.extract && strcmp(o.handler, "archive") != 0)
		log_diex(EXIT_USAGE, "--extract works with the archive handler only");
	if (o.child.extract_suspicious && !o.child.extract)
		log_diex(EXIT_USAGE, "--extract-suspicious needs --extract DIR");
	if (o.child.extract_suspicious && o.child.fail_on_suspicious)
		log_diex(EXIT_USAGE, "--extract-suspicious with --fail-on suspicious: "
		    "a failed archive is never extracted");
	set_user(&o.child.sandbox, user ? user : "nobody", user != NULL);
	/* A backstop behind the timeout, per file: the child raises its soft
	 * limit by this much before each task. */
	o.child.sandbox.cpu_s = (uint32_t)(o.timeout_ms / 1000 + 2);
	/* Loud even with -q: nothing else shows that the walls are down. */
	if (!o.child.sandbox.enabled)
		log_warnx("--no-sandbox: children run without seccomp, Landlock, namespaces or a user change; "
		    "a hostile file that compromises a child can reach everything this user can");
	worker = getenv("CORRAL_WORKER");
	o.worker = worker && worker[0] ? worker : "/proc/self/exe";
	return sup_run(&o);
}
