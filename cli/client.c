/* client: `corral submit`, `pause`, `resume`, `cancel`, `delete`, `retry`,
 * `workers`, and `jobs`, `status`, `results` when a socket is named: each
 * one request to a service's control socket (docs/protocol.md), its answer
 * printed for people, or with --json one JSON object a line. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdnoreturn.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <msgpack.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/report.h"
#include "cli/rows.h"
#include "common/log.h"
#include "ipc/ctl.h"
#include "supervisor/json.h"
#include "supervisor/sup.h"

#define SOCKET_DEFAULT	"/run/corral/control.sock"

struct conn {
	int fd;
	struct ipc_reader rd;
	struct ipc_buf out;
	const char *path;
};

const char *
client_socket(const char *flag)
{
	const char *env = getenv("CORRAL_SOCKET");

	if (flag)
		return flag;
	return env && env[0] ? env : NULL;
}

static void recv_msg(struct conn *c, struct ctl_msg *m);
static noreturn void die_error(const struct ctl_msg *m);

/* The service hung up on a request: an ERROR it sent first is the reason. */
static void
told(struct conn *c)
{
	struct ctl_msg m;
	int e = errno;

	if (c->rd.buf == NULL)
		ipc_reader_init(&c->rd, IPC_FRAME_MAX);
	if (ipc_read(&c->rd, c->fd, 0) > 0) {
		recv_msg(c, &m);
		if (m.type == CTL_ERROR)
			die_error(&m);
	}
	errno = e;
}

static void
send_msg(struct conn *c, const struct ctl_msg *m)
{
	size_t off = 0;
	ssize_t n;

	c->out.len = 0;
	if (ctl_put(&c->out, m) < 0)
		log_die(EXIT_USAGE, "unable to encode the request");
	while (off < c->out.len) {
		n = send(c->fd, c->out.data + off, c->out.len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			told(c);	/* it closed: its last answer says why */
		if (n < 0)
			log_die(EXIT_USAGE, "control socket %s: send", sup_esc(c->path, strlen(c->path)));
		off += (size_t)n;
	}
}

/* The next answer; exits on a closed socket or a malformed answer. */
static void
recv_msg(struct conn *c, struct ctl_msg *m)
{
	const uint8_t *body;
	size_t len;
	const char *why;
	ssize_t n;
	int r;

	for (;;) {
		r = ipc_next(&c->rd, &body, &len);
		if (r < 0)
			log_diex(EXIT_USAGE, "control socket %s: a malformed answer",
			    sup_esc(c->path, strlen(c->path)));
		if (r == 1)
			break;
		n = ipc_read(&c->rd, c->fd, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			log_die(EXIT_USAGE, "control socket %s", sup_esc(c->path, strlen(c->path)));
		if (n == 0)
			log_diex(EXIT_USAGE, "control socket %s: the service closed the connection",
			    sup_esc(c->path, strlen(c->path)));
	}
	if (ctl_decode(body, len, CTL_REPLIES, m, &why) < 0)
		log_diex(EXIT_USAGE, "control socket %s: a malformed answer: %s",
		    sup_esc(c->path, strlen(c->path)), why);
}

static noreturn void
die_error(const struct ctl_msg *m)
{
	log_diex(EXIT_USAGE, "%s: %.*s", ctl_code_name(m->error.code), (int)m->error.message_len,
	    m->error.message);
}

static void
conn_open(struct conn *c, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl_msg m = { .type = CTL_HELLO, .rid = 1 };

	memset(c, 0, sizeof *c);
	ipc_reader_init(&c->rd, IPC_FRAME_MAX);
	c->path = path ? path : SOCKET_DEFAULT;
	if (strlen(c->path) >= sizeof sa.sun_path)
		log_diex(EXIT_USAGE, "control socket %s: path too long", sup_esc(c->path, strlen(c->path)));
	memcpy(sa.sun_path, c->path, strlen(c->path));
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		log_die(EXIT_USAGE, "no service at %s (is 'corral serve' running? --socket or "
		    "CORRAL_SOCKET names another)", sup_esc(c->path, strlen(c->path)));
	m.hello.version = IPC_PROTO_VERSION;
	send_msg(c, &m);
	recv_msg(c, &m);
	if (m.type == CTL_ERROR)
		die_error(&m);
	if (m.type != CTL_HELLO)
		log_diex(EXIT_USAGE, "control socket %s: no hello", sup_esc(c->path, strlen(c->path)));
}

static void
conn_close(struct conn *c)
{
	close(c->fd);
	ipc_reader_free(&c->rd);
	ipc_buf_free(&c->out);
}

/* ---- printing ---- */

/* open: JSON left open for the job's workers, `,"workers":[`. */
static void
print_job(const struct ctl_job *j, int json, int open)
{
	uint64_t done = 0, bad;
	int i;

	for (i = 0; i < CTL_OUT__N; i++)
		done += j->counts[i];
	bad = done - j->counts[CTL_OUT_OK];
	if (json) {
		json_ctl_job(stdout, j);
		printf(open ? ",\"workers\":[" : "}\n");
		return;
	}
	printf("%-32.*s %-11.*s %llu/%llu done, %llu not ok%s%.*s\n", (int)j->name_len, j->name,
	    (int)j->state_len, j->state, (unsigned long long)done, (unsigned long long)j->total,
	    (unsigned long long)bad, j->reason_len ? "; " : "", (int)j->reason_len, j->reason);
}

static void
print_worker(const struct ctl_worker *w, int json, int first)
{
	if (json) {
		if (first == 0)
			putchar(',');
		json_ctl_worker(stdout, w);
		if (first < 0)
			putchar('\n');
		return;
	}
	printf("  [%u] pid %u %-8.*s %.*s%s%s %.1fs, %llu done, %llu KiB\n", (unsigned)w->slot,
	    (unsigned)w->pid, (int)w->state_len, w->state, (int)w->job_len, w->job,
	    w->path_len ? " " : "", w->path_len ? sup_esc(w->path, w->path_len) : "",
	    (double)w->running_ms / 1000, (unsigned long long)w->tasks_done,
	    (unsigned long long)(w->rss_bytes >> 10));
}

/* A row as `results` prints it (rows.c), from the service's words. */
static void
print_row(const char *job, size_t jlen, const struct ctl_row *r, struct rows *rows)
{
	struct store_outcome o = {
		.status = r->status, .attempts = r->attempts, .duration_ms = r->duration_ms,
		.finished_ms = r->finished_ms, .signal = r->signal, .exit_code = r->exit_code,
		.error = r->error, .error_len = r->error_len, .result = r->result,
		.result_len = r->result_len, .tail = r->tail, .tail_len = r->tail_len,
		.limit = r->limit,
	};
	char name[CTL_NAME_MAX + 1];

	snprintf(name, sizeof name, "%.*s", (int)jlen, job);
	rows_put(rows, stdout, name, r->seq, r->path, r->path_len, &o);
}

/* ---- commands ---- */

/* Follows a job's events to its end; the exit status `run` would give. */
static int
follow(struct conn *c, int json)
{
	struct ctl_msg m;
	const char *state = "running";
	char st[CTL_WORD_MAX + 1] = "running", name[CTL_NAME_MAX + 1] = "";
	struct rows jrows = { .form = ROWS_JSON };
	uint64_t bad = 0;

	for (;;) {
		recv_msg(c, &m);
		if (m.type == CTL_ERROR)
			die_error(&m);
		if (m.type == CTL_END)
			break;
		if (m.type != CTL_EVENT)
			continue;
		snprintf(name, sizeof name, "%.*s", (int)m.event.job_len, m.event.job);
		snprintf(st, sizeof st, "%.*s", (int)m.event.state_len, m.event.state);
		if (m.event.kind == CTL_EV_OUTCOME) {
			if (m.event.row.status != CTL_OUT_OK)
				bad++;
			if (json)
				print_row(m.event.job, m.event.job_len, &m.event.row, &jrows);
		}
		if (m.event.kind == CTL_EV_STATE && !json)
			fprintf(stderr, "corral: job %s %s: %llu of %llu file%s done\n", name, st,
			    (unsigned long long)m.event.done, (unsigned long long)m.event.total,
			    plural_s(m.event.total));
		fflush(stdout);
	}
	state = st;
	if (strcmp(state, "done") == 0 && name[0] != '\0') {
		/* Its whole record, not only what came while we watched. */
		struct ctl_msg q = { .type = CTL_STATUS, .rid = 3 };
		uint64_t done = 0;
		int i;

		q.target.job = name;
		q.target.job_len = strlen(name);
		send_msg(c, &q);
		do
			recv_msg(c, &q);
		while (q.type != CTL_JOB && q.type != CTL_ERROR && q.type != CTL_END);
		if (q.type == CTL_JOB) {
			for (i = 0; i < CTL_OUT__N; i++)
				done += q.job.counts[i];
			bad = done - q.job.counts[CTL_OUT_OK];
		}
	}
	if (strcmp(state, "done") == 0)
		return bad ? EXIT_NOTOK : EXIT_OK;
	if (strcmp(state, "halted") == 0)
		return EXIT_HALTED;
	if (strcmp(state, "failed") == 0 || strcmp(state, "cancelled") == 0)
		return EXIT_USAGE;
	return EXIT_INTR;
}

int
cli_submit(int argc, char **argv)
{
	struct run_cmd o;
	struct conn c;
	struct ctl_msg m = { .type = CTL_SUBMIT, .rid = 2 };
	struct ipc_buf paths = { 0 };
	char cwd[PATH_MAX], full[PATH_MAX], handler[PATH_MAX], extract[PATH_MAX];
	int i;

	if (run_parse(argc, argv, &o, "submit") < 0)
		return EXIT_OK;
	/* A run's alone: a job submitted without them would be wrong. */
	if (o.dry_run || o.results || o.tag || o.keep_order || o.no_output)
		log_diex(EXIT_USAGE, "submit: %s is for 'corral run'", o.dry_run ? "--dry-run" :
		    o.results ? "--results" : o.tag ? "--tag" : o.keep_order ? "-k" : "--no-output");
	if (getcwd(cwd, sizeof cwd) == NULL)
		log_die(EXIT_USAGE, "getcwd");
	/* The service has another working directory: every path absolute. */
	for (i = 0; i < o.spec.ninputs; i++) {
		const char *in = o.spec.inputs[i];

		if (strcmp(in, "-") == 0)
			log_diex(EXIT_USAGE, "submit: a list on stdin is for 'corral run'; name the paths");
		if ((size_t)snprintf(full, sizeof full, "%s%s%s", in[0] == '/' ? "" : cwd,
		    in[0] == '/' ? "" : "/", in) >= sizeof full)
			log_diex(EXIT_USAGE, "submit: %s: path too long", sup_esc(in, strlen(in)));
		if (ctl_paths_add(&paths, full, strlen(full)) < 0)
			log_die(EXIT_USAGE, "submit");
	}
	m.submit.inputs.packed = paths.data;
	m.submit.inputs.len = paths.len;
	m.submit.inputs.n = (uint32_t)o.spec.ninputs;
	snprintf(handler, sizeof handler, "%s", o.spec.handler);
	m.submit.handler = handler;
	m.submit.handler_len = strlen(handler);
	if (o.spec.exec_cmd) {
		m.submit.arg = o.spec.exec_cmd;
		m.submit.arg_len = strlen(o.spec.exec_cmd);
	}
	if (o.spec.job_name) {
		m.submit.name = o.spec.job_name;
		m.submit.name_len = strlen(o.spec.job_name);
	}
	m.submit.timeout_ms = o.spec.timeout_ms;
	m.submit.timeout_pct = o.spec.timeout_pct;
	m.submit.stall_ms = o.spec.stall_ms;
	m.submit.retries = o.spec.retries;
	m.submit.halt_rate = o.spec.halt_rate;
	m.submit.halt_min = o.spec.halt_min;
	m.submit.shard_k = o.spec.shard_k;
	m.submit.shard_n = o.spec.shard_n;
	m.submit.recheck = o.spec.recheck;
	m.submit.filters = o.spec.filter.pat;
	m.submit.filters_len = o.spec.filter.len;
	m.submit.min_size = o.spec.filter.min_size;
	m.submit.has_max_size = o.spec.filter.has_max;
	m.submit.max_size = o.spec.filter.max_size;
	m.submit.halt_fail = o.spec.halt_fail;
	m.submit.halt_soon = o.spec.halt_soon;
	m.submit.priority = o.spec.priority ? o.spec.priority : PRIORITY_DEFAULT;
	if (o.spec.extract_dir) {
		if (realpath(o.spec.extract_dir, extract) == NULL)
			log_die(EXIT_USAGE, "--extract %s", sup_esc(o.spec.extract_dir,
			    strlen(o.spec.extract_dir)));
		m.submit.extract = extract;
		m.submit.extract_len = strlen(extract);
	}
	m.submit.opts = o.spec.child;
	m.submit.opts.sandbox.drop = 0;	/* the service's to decide */
	m.submit.opts.sandbox.uid = m.submit.opts.sandbox.gid = 0;
	m.submit.wait = o.wait;
	/* What this command line gave: the service has the rest from its
	 * [defaults]. */
	m.submit.given = o.given;
	conn_open(&c, client_socket(o.socket));
	send_msg(&c, &m);
	recv_msg(&c, &m);
	if (m.type == CTL_ERROR)
		die_error(&m);
	if (m.type != CTL_OK)
		log_diex(EXIT_USAGE, "submit: an unexpected answer");
	if (!o.json || !o.wait)
		printf("%.*s\n", (int)m.ok.name_len, m.ok.name);
	fflush(stdout);
	i = o.wait ? follow(&c, o.json) : EXIT_OK;
	ipc_buf_free(&paths);
	conn_close(&c);
	return i;
}

static const struct {
	const char *name;
	int type;
	int takes_job;
} commands[] = {
	{ "jobs", CTL_JOBS, 0 }, { "workers", CTL_WORKERS, 0 }, { "status", CTL_STATUS, 1 },
	{ "results", CTL_RESULTS, 1 }, { "pause", CTL_PAUSE, 1 }, { "resume", CTL_RESUME, 1 },
	{ "cancel", CTL_CANCEL, 1 }, { "delete", CTL_DELETE, 1 }, { "retry", CTL_RETRY, 1 },
	{ "watch", CTL_WATCH, 1 }, { "metrics", CTL_METRICS, 0 },
};

int
cli_control(const char *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'J' },
		{ "failed", no_argument, NULL, 'F' },
		{ "status", required_argument, NULL, 'T' },
		{ "format", required_argument, NULL, 'O' },
		{ "csv", no_argument, NULL, 'C' },
		{ "state", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "quarantined", no_argument, NULL, 'Q' },
		{ "signatures", no_argument, NULL, 'G' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_msg m = { .rid = 2 };
	struct conn c;
	const char *sock = NULL;
	char job[CTL_NAME_MAX + 1] = "";
	size_t k;
	int ch, json = 0, failed = 0, status = EXIT_OK, open = 0, nworkers = 0;
	struct rows rows = { .form = ROWS_TEXT };
	char err[512];

	for (k = 0; k < sizeof commands / sizeof commands[0]; k++)
		if (strcmp(commands[k].name, cmd) == 0)
			break;
	if (k == sizeof commands / sizeof commands[0])
		log_diex(EXIT_USAGE, "unknown command '%s'", sup_esc(cmd, strlen(cmd)));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":s:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'S': sock = optarg; break;
		case 'J':
			json = 1;
			if (rows_option(&rows, "json", NULL, err, sizeof err) < 0)
				log_diex(EXIT_USAGE, "%s: %s", cmd, err);
			break;
		case 'F':
			failed = 1;
			rows_option(&rows, "failed", NULL, err, sizeof err);
			break;
		case 'T':
		case 'O':
		case 'C':
			if (commands[k].type != CTL_RESULTS)
				log_diex(EXIT_USAGE, "%s: unknown option '%s' (see 'corral --help')", cmd,
				    cli_badopt(argv));
			if (rows_option(&rows, ch == 'T' ? "status" : ch == 'O' ? "format" : "csv", optarg,
			    err, sizeof err) < 0)
				log_diex(EXIT_USAGE, "%s: %s", cmd, err);
			break;
		case 's': break;	/* a socket is named: the state dir is the service's */
		case 'Q':
			if (commands[k].type == CTL_RETRY)
				m.target.quarantined = 1;
			else if (commands[k].type == CTL_RESULTS)
				rows_option(&rows, "quarantined", NULL, err, sizeof err);
			else
				log_diex(EXIT_USAGE, "%s: unknown option '%s' (see 'corral --help')", cmd,
				    cli_badopt(argv));
			break;
		case 'G':
			if (commands[k].type != CTL_RESULTS)
				log_diex(EXIT_USAGE, "%s: unknown option '%s' (see 'corral --help')", cmd,
				    cli_badopt(argv));
			log_diex(EXIT_USAGE, "results: --signatures reads the state directory: give -s "
			    "DIR (the service's)");
		case 'h':
			cli_usage(stdout);
			return EXIT_OK;
		case ':':
			log_diex(EXIT_USAGE, "%s: option '%s' needs a value (see 'corral --help')", cmd,
			    cli_badopt(argv));
		default:
			log_diex(EXIT_USAGE, "%s: unknown option '%s' (see 'corral --help')", cmd,
			    cli_badopt(argv));
		}
	}
	if (commands[k].takes_job) {
		if (optind != argc - 1)
			log_diex(EXIT_USAGE, "%s: name one JOB (see 'corral --help')", cmd);
		if (strlen(argv[optind]) > CTL_NAME_MAX || argv[optind][0] == '\0')
			log_diex(EXIT_USAGE, "%s: no such job name", cmd);
		snprintf(job, sizeof job, "%s", argv[optind]);
		m.target.job = job;
		m.target.job_len = strlen(job);
		/* Only the files not ok are asked for when no ok one is shown. */
		m.target.failed = failed || (rows.mask != 0 && !rows_shows(&rows, OUT_OK));
	} else if (optind != argc)
		log_diex(EXIT_USAGE, "%s: takes no JOB", cmd);
	m.type = commands[k].type;
	conn_open(&c, client_socket(sock));
	send_msg(&c, &m);
	for (;;) {
		recv_msg(&c, &m);
		switch (m.type) {
		case CTL_ERROR:
			/* A service from before METRICS cannot read the request. */
			if (commands[k].type == CTL_METRICS && m.error.code == CTL_E_BAD_REQUEST)
				log_diex(EXIT_USAGE, "metrics: the service at %s is older than 'corral "
				    "metrics' and serves none (upgrade it, or read --metrics-file)",
				    sup_esc(c.path, strlen(c.path)));
			die_error(&m);
		case CTL_OK:
			if (commands[k].type == CTL_WATCH) {
				status = follow(&c, json);
				goto out;
			}
			if (!json)
				fprintf(stderr, "corral: %s: %s\n", cmd, job);
			goto out;
		case CTL_JOB:
			/* status: the job, its workers inside it in JSON. */
			open = json && commands[k].type == CTL_STATUS;
			print_job(&m.job, json, open);
			break;
		case CTL_WORKER:
			print_worker(&m.worker, json, open ? nworkers == 0 : -1);
			nworkers++;
			break;
		case CTL_ROW:
			print_row(job, strlen(job), &m.row, &rows);
			break;
		case CTL_TEXT:
			fwrite(m.text.text, 1, m.text.len, stdout);
			break;
		case CTL_END:
			if (open)
				printf("]}\n");
			goto out;
		default:
			break;
		}
	}
out:
	if (fflush(stdout) == EOF)
		status = EXIT_INTR;
	conn_close(&c);
	return status;
}

/* ---- check ---- */

/* The archive handler's verdict in a result map, or NULL (other handlers
 * have none: an ok file is clean). */
static int
verdict_clean(const uint8_t *result, size_t rlen)
{
	msgpack_unpacked u;
	size_t off = 0;
	uint32_t i;
	int clean = 1;

	if (rlen == 0)
		return 1;
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, (const char *)result, rlen, &off) == MSGPACK_UNPACK_SUCCESS &&
	    u.data.type == MSGPACK_OBJECT_MAP)
		for (i = 0; i < u.data.via.map.size; i++) {
			const msgpack_object *k = &u.data.via.map.ptr[i].key, *v = &u.data.via.map.ptr[i].val;

			if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == 7 &&
			    memcmp(k->via.str.ptr, "verdict", 7) == 0)
				clean = v->type == MSGPACK_OBJECT_STR && v->via.str.size == 5 &&
				    memcmp(v->via.str.ptr, "clean", 5) == 0;
		}
	msgpack_unpacked_destroy(&u);
	return clean;
}

/* The file to check, open: a path, or "-": stdin kept in memory first, so
 * that the handler can seek in it. */
static int
check_open(const char *path)
{
	char buf[65536];
	struct stat sb;
	ssize_t n, w;
	int fd;

	if (strcmp(path, "-") != 0) {
		if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) {
			log_warn("check: %s", sup_esc(path, strlen(path)));
			return -1;
		}
		if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
			log_warnx("check: %s: not a regular file", sup_esc(path, strlen(path)));
			close(fd);
			return -1;
		}
		return fd;
	}
	if ((fd = memfd_create("corral-check", MFD_CLOEXEC)) < 0)
		log_die(EXIT_USAGE, "check: memfd_create");
	while ((n = read(STDIN_FILENO, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			log_die(EXIT_USAGE, "check: stdin");
		for (w = 0; w < n; ) {
			ssize_t k = write(fd, buf + w, (size_t)(n - w));

			if (k < 0)
				log_die(EXIT_USAGE, "check: keeping stdin");
			w += k;
		}
	}
	return fd;
}

int
cli_check(int argc, char **argv)
{
	struct run_cmd o;
	struct conn c;
	struct ctl_msg m;
	size_t off = 0;
	ssize_t n;
	int i, fd, left, status = EXIT_OK, unsent = 0;

	if (run_parse(argc, argv, &o, "check") < 0)
		return EXIT_OK;
	conn_open(&c, client_socket(o.socket));
	/* Every file asked for at once; the answers come as they are ready. */
	for (i = 0; i < o.spec.ninputs; i++) {
		memset(&m, 0, sizeof m);
		m.type = CTL_CHECK;
		m.rid = (uint64_t)i + 2;
		m.check.handler = o.spec.handler;
		m.check.handler_len = strlen(o.spec.handler);
		if (o.spec.exec_cmd) {
			m.check.arg = o.spec.exec_cmd;
			m.check.arg_len = strlen(o.spec.exec_cmd);
		}
		m.check.opts = o.spec.child;
		m.check.opts.sandbox.drop = 0;
		m.check.opts.sandbox.uid = m.check.opts.sandbox.gid = 0;
		if ((fd = check_open(o.spec.inputs[i])) < 0) {
			/* One file that cannot be checked; the others still are. */
			status = EXIT_USAGE;
			unsent++;
			continue;
		}
		c.out.len = 0;
		if (ctl_put(&c.out, &m) < 0)
			log_die(EXIT_USAGE, "check: unable to encode the request");
		for (off = 0; off < c.out.len; off += (size_t)n) {
			n = ipc_send(c.fd, c.out.data + off, c.out.len - off, off == 0 ? fd : -1);
			if (n < 0 && errno == EINTR) {
				n = 0;
				continue;
			}
			if (n < 0) {
				if (errno == EPIPE || errno == ECONNRESET)
					told(&c);
				log_die(EXIT_USAGE, "control socket %s: send", sup_esc(c.path, strlen(c.path)));
			}
		}
		close(fd);
	}
	for (left = o.spec.ninputs - unsent; left > 0; left--) {
		const char *path;
		int clean;

		recv_msg(&c, &m);
		if (m.rid < 2 || m.rid >= (uint64_t)o.spec.ninputs + 2) {
			left++;
			continue;
		}
		path = o.spec.inputs[m.rid - 2];
		if (m.type == CTL_ERROR) {
			log_warnx("check: %s: %s: %.*s", sup_esc(path, strlen(path)),
			    ctl_code_name(m.error.code), (int)m.error.message_len, m.error.message);
			status = EXIT_USAGE;
			continue;
		}
		if (m.type != CTL_VERDICT) {
			left++;
			continue;
		}
		clean = m.verdict.status == CTL_OUT_OK && verdict_clean(m.verdict.result,
		    m.verdict.result_len);
		if (o.json) {
			struct ctl_row r = {
				.seq = m.rid - 1, .path = path, .path_len = strlen(path),
				.status = m.verdict.status, .exit_code = -1, .error = m.verdict.error,
				.error_len = m.verdict.error_len, .result = m.verdict.result,
				.result_len = m.verdict.result_len,
			};
			struct rows jrows = { .form = ROWS_JSON };

			print_row("check", 5, &r, &jrows);
		} else
			printf("%-8s %s%s%.*s\n", clean ? "clean" : m.verdict.status == CTL_OUT_OK ?
			    "unclean" : ctl_outcome_name(m.verdict.status), sup_esc(path, strlen(path)),
			    m.verdict.error_len ? "  " : "", (int)m.verdict.error_len, m.verdict.error);
		/* Not clean: the file's verdict, a failure, a crash or a timeout.
		 * An error, which wins: a file that could not be checked. */
		if (m.verdict.status == CTL_OUT_SKIPPED)
			status = EXIT_USAGE;
		else if (!clean && status == EXIT_OK)
			status = EXIT_NOTOK;
	}
	if (fflush(stdout) == EOF)
		status = EXIT_INTR;
	conn_close(&c);
	return status;
}
