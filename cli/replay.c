/* replay: `corral replay FILE` — one recorded file again, in the
 * foreground. Its task is found in a state directory opened read-only, its
 * job's spec read from the record, and one worker started as the pool
 * starts them (spawn.c: the same program, argv, environment and walls),
 * told the job and the file over the same protocol (ipc/), with its stderr
 * on ours and its job's time limits. With --gdb the worker runs under gdb,
 * left dumpable for it. Nothing is written to the state directory. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/rows.h"
#include "common/log.h"
#include "supervisor/json.h"
#include "supervisor/outdir.h"
#include "supervisor/spawn.h"
#include "supervisor/spec.h"
#include "supervisor/sup.h"

#define HELLO_WAIT	10.0	/* seconds a new child has to say hello (as slot.c) */
#define REAP_WAIT	2.0	/* seconds from EOF to SIGKILL if no exit (as slot.c) */
#define GDB_EX_MAX	16	/* --gdb-ex commands */
#define TASK_ID		1	/* the one task's id on the wire */

static const char usage[] = "corral replay [-s DIR] [--job NAME] [--json] [--gdb] [--gdb-batch] "
    "[--gdb-ex CMD] FILE";

struct replay_opts {
	const char *state_dir, *job, *file;
	int json, gdb, batch;
	char *ex[GDB_EX_MAX];
	int nex;
};

/* The task found: its job's record and its own. */
struct found {
	struct store_job job;
	int any;			/* a task matched */
	uint32_t jobs[8];		/* the jobs that have it (the first 8) */
	int njobs;
	uint64_t seq;
	char *path;			/* as stored */
	size_t plen;
	char *cwd;			/* its job's working directory, or NULL */
	int has_outcome;
	struct store_outcome rec;	/* its recorded outcome; bytes owned below */
	char *bytes;
};

int
cli_path_norm(const char *base, const char *p, size_t plen, char *out, size_t cap)
{
	const char *parts[2] = { p[0] == '/' ? "" : base, p };
	size_t lens[2] = { p[0] == '/' ? 0 : strlen(base), plen }, at = 0, i, n;
	const char *s, *end, *slash;

	if (memchr(p, '\0', plen) != NULL || cap < 2)
		return -1;
	for (i = 0; i < 2; i++) {
		for (s = parts[i], end = s + lens[i]; s < end; s = slash + 1) {
			if ((slash = memchr(s, '/', (size_t)(end - s))) == NULL)
				slash = end;
			n = (size_t)(slash - s);
			if (n == 0 || (n == 1 && s[0] == '.'))
				continue;
			if (n == 2 && s[0] == '.' && s[1] == '.') {
				while (at > 0 && out[--at] != '/')
					;
				continue;
			}
			if (at + 1 + n >= cap)
				return -1;
			out[at++] = '/';
			memcpy(out + at, s, n);
			at += n;
		}
	}
	if (at == 0)
		out[at++] = '/';
	out[at] = '\0';
	return 0;
}

struct scan_ctx {
	struct found *f;
	const struct store_job *job;
	const char *file;		/* as given */
	const char *want;		/* ... normal and absolute */
	const char *base;		/* the job's working directory */
	int hit;
};

static int
match_one(uint64_t seq, const char *path, size_t plen, const struct store_outcome *o, void *arg)
{
	struct scan_ctx *c = arg;
	struct found *f = c->f;
	char norm[PATH_MAX * 2];

	if (!((plen == strlen(c->file) && memcmp(path, c->file, plen) == 0) ||
	    (cli_path_norm(c->base, path, plen, norm, sizeof norm) == 0 && strcmp(norm, c->want) == 0)))
		return 0;
	c->hit = 1;
	/* Jobs come in id order: the last to match is the newest. */
	free(f->path);
	free(f->bytes);
	f->job = *c->job;
	f->seq = seq;
	f->plen = plen;
	f->has_outcome = o != NULL;
	f->bytes = NULL;
	if ((f->path = malloc(plen + 1)) == NULL)
		log_diex(EXIT_USAGE, "replay: out of memory");
	memcpy(f->path, path, plen);
	f->path[plen] = '\0';
	if (o != NULL) {
		f->rec = *o;
		if ((f->bytes = malloc(o->error_len + o->result_len + o->tail_len + 1)) == NULL)
			log_diex(EXIT_USAGE, "replay: out of memory");
		if (o->error_len > 0)
			memcpy(f->bytes, o->error, o->error_len);
		if (o->result_len > 0)
			memcpy(f->bytes + o->error_len, o->result, o->result_len);
		if (o->tail_len > 0)
			memcpy(f->bytes + o->error_len + o->result_len, o->tail, o->tail_len);
		f->rec.error = f->bytes;
		f->rec.result = (const uint8_t *)f->bytes + o->error_len;
		f->rec.tail = f->bytes + o->error_len + o->result_len;
	}
	return 1;	/* one task a path in a job */
}

static int
collect_job(const struct store_job *j, void *arg)
{
	struct store_job **list = arg;
	size_t n = 0;

	while (list[0] != NULL && list[0][n].id != 0)
		n++;
	if ((list[0] = realloc(list[0], (n + 2) * sizeof **list)) == NULL)
		log_diex(EXIT_USAGE, "replay: out of memory");
	list[0][n] = *j;
	list[0][n + 1].id = 0;
	return 0;
}

/* FILE's task: in the job --job names, else in the newest job that has
 * it. Exits with a message when there is none. */
static void
find_task(const struct replay_opts *o, struct found *f)
{
	struct store_job *jobs = NULL, *j;
	struct store_inputs in;
	struct scan_ctx c = { .f = f, .file = o->file };
	char cwd[PATH_MAX], want[PATH_MAX * 2];
	const char *why;
	store *st;
	int r, named = 0;

	if (getcwd(cwd, sizeof cwd) == NULL)
		log_die(EXIT_USAGE, "replay: unable to read the working directory");
	if (cli_path_norm(cwd, o->file, strlen(o->file), want, sizeof want) < 0)
		log_diex(EXIT_USAGE, "replay: %s: path too long", sup_esc(o->file, strlen(o->file)));
	c.want = want;
	if ((st = store_open(o->state_dir, STORE_READ, &why)) == NULL) {
		if (errno == ENOENT)
			log_diex(EXIT_USAGE, "replay: no corral state in %s",
			    sup_esc(o->state_dir, strlen(o->state_dir)));
		log_die(EXIT_USAGE, "replay: unable to %s state dir %s", why,
		    sup_esc(o->state_dir, strlen(o->state_dir)));
	}
	if (store_jobs_each(st, collect_job, &jobs) < 0)
		log_diex(EXIT_USAGE, "replay: unable to read the state: %s", store_strerror(st));
	for (j = jobs; j != NULL && j->id != 0; j++) {
		char id[16];

		snprintf(id, sizeof id, "%u", (unsigned)j->id);
		if (o->job != NULL && strcmp(o->job, j->name) != 0 && strcmp(o->job, id) != 0)
			continue;
		named = 1;
		if ((r = store_inputs_get(st, j->id, &in)) < 0)
			log_diex(EXIT_USAGE, "replay: job %s: unable to read its inputs: %s", j->name,
			    store_strerror(st));
		c.job = j;
		c.base = r == 0 && in.cwd[0] != '\0' ? in.cwd : cwd;
		c.hit = 0;
		if (store_results_each(st, j->id, match_one, &c) < 0)
			log_diex(EXIT_USAGE, "replay: job %s: unable to read its files: %s", j->name,
			    store_strerror(st));
		if (c.hit) {
			free(f->cwd);
			f->cwd = r == 0 && in.cwd[0] != '\0' ? strdup(in.cwd) : NULL;
			if (f->njobs < (int)(sizeof f->jobs / sizeof f->jobs[0]))
				f->jobs[f->njobs] = j->id;
			f->njobs++;
			f->any = 1;
		}
		if (r == 0)
			store_inputs_free(&in);
	}
	free(jobs);
	/* Read, then closed: the worker never sees the store. */
	store_close(st);
	if (o->job != NULL && !named)
		log_diex(EXIT_USAGE, "replay: no job named %s in %s", sup_esc(o->job, strlen(o->job)),
		    sup_esc(o->state_dir, strlen(o->state_dir)));
	if (!f->any && o->job != NULL)
		log_diex(EXIT_USAGE, "replay: %s is no file of job %s in %s",
		    sup_esc(o->file, strlen(o->file)), sup_esc(o->job, strlen(o->job)),
		    sup_esc(o->state_dir, strlen(o->state_dir)));
	if (!f->any)
		log_diex(EXIT_USAGE, "replay: %s is no file of any job in %s",
		    sup_esc(o->file, strlen(o->file)), sup_esc(o->state_dir, strlen(o->state_dir)));
	if (f->njobs > 1)
		log_warnx("replay: %s is a file of %d jobs: replaying it as the newest, %s, has it "
		    "(--job NAME picks another)", sup_esc(o->file, strlen(o->file)), f->njobs,
		    f->job.name);
}

static void
replay_args(int argc, char **argv, struct replay_opts *o)
{
	enum { OPT_JOB = 256, OPT_JSON, OPT_GDB, OPT_BATCH, OPT_EX };
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "job", required_argument, NULL, OPT_JOB },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "gdb", no_argument, NULL, OPT_GDB },
		{ "gdb-batch", no_argument, NULL, OPT_BATCH },
		{ "gdb-ex", required_argument, NULL, OPT_EX },
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
		case 's':
			o->state_dir = optarg;
			break;
		case OPT_JOB:
			o->job = optarg;
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_BATCH:
			o->batch = 1;
			/* fall through */
		case OPT_GDB:
			o->gdb = 1;
			break;
		case OPT_EX:
			if (o->nex == GDB_EX_MAX)
				log_diex(EXIT_USAGE, "replay: --gdb-ex: %d commands at most", GDB_EX_MAX);
			o->ex[o->nex++] = optarg;
			o->gdb = 1;
			break;
		case 'h':
			printf("usage: %s\n", usage);
			exit(EXIT_OK);
		case ':':
			log_diex(EXIT_USAGE, "replay: option '%s' needs a value (usage: %s)",
			    cli_badopt(argv), usage);
		default:
			log_diex(EXIT_USAGE, "replay: unknown option '%s' (usage: %s)", cli_badopt(argv),
			    usage);
		}
	}
	if (optind == argc)
		log_diex(EXIT_USAGE, "replay: no FILE given (usage: %s)", usage);
	if (argc - optind > 1)
		log_diex(EXIT_USAGE, "replay: one FILE at most (usage: %s)", usage);
	o->file = argv[optind];
	if (o->file[0] == '\0')
		log_diex(EXIT_USAGE, "replay: an empty FILE");
	if (o->state_dir[0] == '\0')
		log_diex(EXIT_USAGE, "replay: an empty state DIR");
	if (o->job != NULL && o->job[0] == '\0')
		log_diex(EXIT_USAGE, "replay: an empty job NAME");
}

/* ---- the one worker ---- */

/* One child's life, as a slot would see it: what it said, what we sent,
 * why we killed it, and its answer. */
struct session {
	const struct replay_opts *o;
	const struct found *f;
	struct spawned c;		/* the worker, or gdb with it */
	int sigfd;			/* SIGCHLD, and the signals that end a replay */
	struct ipc_reader rd;
	struct ipc_buf out;
	int hello, ready, sent, answered, eof;
	double sent_at, heard_at;	/* the task sent; its last PROGRESS */
	enum slot_kill_why kill;	/* why we killed it, or KILL_NONE */
	int limit;			/* KILL_TIMEOUT: which (enum time_limit) */
	char why[256];			/* the words that go with kill */
	int ok;				/* RESULT: ok or failed */
	int host;			/* ... refused by the host */
	char *error, *result;		/* ... its error and map (copies) */
	size_t elen, rlen;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The child killed, and why (the first reason stands). Under gdb, gdb is
 * the child, and the worker, its inferior, ends with it. */
static void
session_kill(struct session *s, enum slot_kill_why why, const char *words)
{
	if (s->kill == KILL_NONE) {
		s->kill = why;
		snprintf(s->why, sizeof s->why, "%s", words ? words : "");
	}
	slot_kill(s->c.pid, SIGKILL);
}

/* JOB and TASK in one write, the job's extraction directory, the file and
 * its own directory riding on its first byte, as slot_send sends them. */
static int
send_task(struct session *s, int fd, int jobfd, int dirfd)
{
	const struct store_job *j = &s->f->job;
	struct job_opts jo = j->opts;
	char *opts;
	size_t olen, off = 0;
	int fds[3], nfds = 0;
	ssize_t n;

	/* A replay runs the handler: it never asks for an earlier outcome. */
	jo.reuse = 0;
	if (spec_wire_opts(&jo, &opts, &olen) < 0)
		return -1;
	if (ipc_put_job(&s->out, j->id, j->handler, strlen(j->handler), j->arg, strlen(j->arg),
	    (const uint8_t *)opts, olen, 0, j->name, strnlen(j->name, sizeof j->name - 1)) < 0 ||
	    ipc_put_task(&s->out, j->id, TASK_ID, s->f->path, s->f->plen, s->f->seq) < 0) {
		free(opts);
		return -1;
	}
	free(opts);
	if (jobfd >= 0)
		fds[nfds++] = jobfd;
	fds[nfds++] = fd;
	if (dirfd >= 0)
		fds[nfds++] = dirfd;
	while (off < s->out.len) {
		n = off == 0 ? ipc_send_fds(s->c.sock, s->out.data, s->out.len, fds, nfds) :
		    ipc_send(s->c.sock, s->out.data + off, s->out.len - off, -1);
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = s->c.sock, .events = POLLOUT };

			if (poll(&p, 1, -1) < 0 && errno != EINTR)
				return -1;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		off += (size_t)n;
	}
	s->out.len = 0;
	s->sent = 1;
	s->sent_at = s->heard_at = now_s();
	return 0;
}

static char *
copy(const void *p, size_t n)
{
	char *c = malloc(n + 1);

	if (c == NULL)
		log_diex(EXIT_USAGE, "replay: out of memory");
	if (n > 0)
		memcpy(c, p, n);
	c[n] = '\0';
	return c;
}

/* One frame from the child, as slot.c's table takes it in the states a
 * replay passes through: STARTING, then BUSY with its one task. */
static void
message(struct session *s, const uint8_t *body, size_t len, int fd, int jobfd, int dirfd)
{
	const char *why;
	struct ipc_msg m;

	if (ipc_decode(body, len, &m, &why) < 0) {
		session_kill(s, KILL_PROTOCOL, why);
		return;
	}
	switch (m.type) {
	case IPC_HELLO:
		if (s->hello) {
			session_kill(s, KILL_PROTOCOL, "a second hello");
			return;
		}
		s->hello = 1;
		if (send_task(s, fd, jobfd, dirfd) < 0)
			session_kill(s, KILL_PROTOCOL, "unable to send the task");
		return;
	case IPC_READY:
		if (!s->sent || s->ready || m.job != s->f->job.id)
			session_kill(s, KILL_PROTOCOL, "unexpected message");
		else
			s->ready = 1;
		return;
	case IPC_PROGRESS:
		if (!s->sent || m.id != TASK_ID)
			session_kill(s, KILL_PROTOCOL, "progress for a task not running");
		else
			s->heard_at = now_s();
		return;
	case IPC_RESULT:
		if (!s->sent || m.id != TASK_ID || s->answered) {
			session_kill(s, KILL_PROTOCOL, "result for a task not running");
			return;
		}
		s->answered = 1;
		s->ok = m.ok;
		s->host = m.host;
		s->error = copy(m.error, m.error_len);
		s->elen = m.error_len;
		s->result = copy(m.result, m.result_len);
		s->rlen = m.result_len;
		return;
	case IPC_FATAL:
		/* Its last words: a refused system call, or a set-up failure. */
		session_kill(s, s->ready ? KILL_WORDS : KILL_SETUP, sup_esc(m.error, m.error_len));
		return;
	default:
		session_kill(s, KILL_PROTOCOL, "unexpected message");
		return;
	}
}

/* Milliseconds for poll to the first limit (*limit: which); -1: none. A
 * worker has HELLO_WAIT to say hello; its task the job's --timeout and
 * --stall from the send; one that hung up REAP_WAIT to exit. Under gdb
 * the debugger's user sets the pace: no limit. */
static int
wait_ms(const struct session *s, double start, double reap_by, int *limit)
{
	const struct store_job *j = &s->f->job;
	double now = now_s(), left = 0, quiet;
	int has = 0;

	*limit = TL_TOTAL;
	if (reap_by > 0) {
		left = reap_by - now;
		has = 1;
	} else if (s->o->gdb || s->kill != KILL_NONE || s->answered) {
		return -1;
	} else if (!s->hello) {
		left = start + HELLO_WAIT - now;
		has = 1;
	} else if (s->sent) {
		if (j->timeout_ms > 0) {
			left = (double)j->timeout_ms / 1000.0 - (now - s->sent_at);
			has = 1;
		}
		quiet = (double)j->stall_ms / 1000.0 - (now - s->heard_at);
		if (j->stall_ms > 0 && (!has || quiet < left)) {
			left = quiet;
			has = 1;
			*limit = TL_STALL;
		}
	}
	if (!has)
		return -1;
	return left <= 0 ? 0 : (int)(left * 1000) + 1;
}

/* Reads what the socket holds and acts on every whole frame; 1 at the end
 * of the stream, else 0. */
static int
take_frames(struct session *s, int fd, int jobfd, int dirfd)
{
	const uint8_t *body;
	size_t len;
	ssize_t n;
	int r = 0;

	for (;;) {
		n = ipc_read(&s->rd, s->c.sock, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			if (ipc_pending(&s->rd) > 0)
				session_kill(s, KILL_PROTOCOL, "end of stream in the middle of a frame");
			return 1;
		}
		while (s->kill == KILL_NONE && (r = ipc_next(&s->rd, &body, &len)) == 1)
			message(s, body, len, fd, jobfd, dirfd);
		if (s->kill == KILL_NONE && r < 0)
			session_kill(s, KILL_PROTOCOL, "frame length out of bounds");
		if (s->kill != KILL_NONE)
			return 1;
	}
}

/* The child's stderr onto ours, as it comes: what it can read now; -1
 * once the pipe has ended. Relayed rather than inherited, because the
 * child may write no file (RLIMIT_FSIZE): ours may be one. */
static int
relay_stderr(int errfd)
{
	char buf[8192];
	ssize_t n, w, off;

	for (;;) {
		n = read(errfd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		for (off = 0; off < n; off += w)
			if ((w = write(STDERR_FILENO, buf + off, (size_t)(n - off))) <= 0)
				break;
	}
}

/* Runs the session to the child's end: its wait status. */
static int
drive(struct session *s, int fd, int jobfd, int dirfd)
{
	double start = now_s(), reap_by = 0;
	struct signalfd_siginfo si;
	int status, limit, ms, r;

	for (;;) {
		struct pollfd p[3] = { { .fd = s->sigfd, .events = POLLIN },
		    { .fd = s->eof ? -1 : s->c.sock, .events = POLLIN },
		    { .fd = s->c.errfd, .events = POLLIN } };

		if (waitpid(s->c.pid, &status, WNOHANG) == s->c.pid) {
			/* What it sent and said before it died comes first;
			 * not waited for: a descendant may hold the pipe. */
			if (!s->eof && s->kill == KILL_NONE)
				take_frames(s, fd, jobfd, dirfd);
			if (s->c.errfd >= 0)
				relay_stderr(s->c.errfd);
			return status;
		}
		if (s->answered && !s->eof) {
			/* Answered: its end of the stream, and of its life. */
			shutdown(s->c.sock, SHUT_RDWR);
			s->eof = 1;
			reap_by = s->o->gdb ? 0 : now_s() + REAP_WAIT;
			continue;
		}
		ms = wait_ms(s, start, reap_by, &limit);
		if ((r = poll(p, 3, ms)) < 0 && errno != EINTR)
			log_die(EXIT_USAGE, "replay: poll");
		if (r == 0) {
			if (reap_by > 0)
				session_kill(s, KILL_PROTOCOL, "closed its socket without exiting");
			else if (!s->hello)
				session_kill(s, KILL_HELLO, NULL);
			else {
				s->limit = limit;
				session_kill(s, KILL_TIMEOUT, NULL);
			}
			reap_by = 0;
			s->eof = 1;
			continue;
		}
		if (r > 0 && (p[2].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    relay_stderr(s->c.errfd) < 0) {
			close(s->c.errfd);
			s->c.errfd = -1;
		}
		if (r > 0 && (p[0].revents & POLLIN))
			while (read(s->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
				if (si.ssi_signo == SIGCHLD || s->o->gdb)
					continue;	/* gdb takes the terminal's signals */
				session_kill(s, KILL_SHUTDOWN, NULL);
				waitpid(s->c.pid, &status, 0);
				log_diex(EXIT_INTR, "replay: interrupted by signal %d; the worker is killed",
				    (int)si.ssi_signo);
			}
		if (r > 0 && !s->eof && (p[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    take_frames(s, fd, jobfd, dirfd) == 1) {
			s->eof = 1;
			if (reap_by == 0 && !s->o->gdb && s->kill == KILL_NONE)
				reap_by = now_s() + REAP_WAIT;
		}
	}
}

/* The worker program as run names it; under gdb its real path, since gdb
 * would read /proc/self/exe as its own. */
static const char *
worker_program(int gdb, char *buf, size_t len)
{
	const char *w = cli_worker();

	if (!gdb)
		return w;
	if (realpath(w, buf) == NULL || strlen(buf) >= len)
		log_die(EXIT_USAGE, "replay: the worker program %s", sup_esc(w, strlen(w)));
	return buf;
}

/* What the file and, with --extract, a fresh directory in place of the
 * job's are: opened as the supervisor opens them. */
static int
open_inputs(const struct found *f, int *jobfd, int *dirfd)
{
	char full[PATH_MAX * 2], tmp[] = "/tmp/corral-replay.XXXXXX", why[PATH_MAX + 256];
	const char *path = f->path, *dir;
	const struct sandbox_opts *sb = &f->job.opts.sandbox;
	uid_t uid = sb->enabled && sb->drop && geteuid() == 0 ? (uid_t)sb->uid : (uid_t)-1;
	struct stat st;
	int fd;

	/* A job's relative paths are under its working directory. */
	if (f->cwd != NULL && path[0] != '/') {
		if ((size_t)snprintf(full, sizeof full, "%s/%s", f->cwd, f->path) >= sizeof full)
			log_diex(EXIT_USAGE, "replay: %s: path too long", sup_esc(f->path, f->plen));
		path = full;
	}
	if ((fd = sup_file_open(path, 0, &st, why, sizeof why)) < 0) {
		if (fd == -2)
			snprintf(why, sizeof why, "unable to open: %s", strerror(errno));
		log_diex(EXIT_USAGE, "replay: %s: %s", sup_esc(path, strlen(path)), why);
	}
	*jobfd = *dirfd = -1;
	if (f->job.extract[0] == '\0')
		return fd;
	if ((dir = getenv("TMPDIR")) != NULL && dir[0] == '/' &&
	    strlen(dir) + sizeof "/corral-replay.XXXXXX" <= sizeof full) {
		snprintf(full, sizeof full, "%s/corral-replay.XXXXXX", dir);
		dir = mkdtemp(full);
	} else
		dir = mkdtemp(tmp);
	if (dir == NULL)
		log_die(EXIT_USAGE, "replay: unable to make a directory to extract into");
	if ((*jobfd = outdir_open(dir, f->job.name, why, sizeof why)) < 0 ||
	    (*dirfd = outdir_task(*jobfd, f->path, f->plen, uid, (gid_t)sb->gid, why, sizeof why)) < 0)
		log_diex(EXIT_USAGE, "replay: %s: %s", sup_esc(dir, strlen(dir)), why);
	log_warnx("replay: extracting into %s/, not into the job's %s (left for you to look at)",
	    sup_esc(dir, strlen(dir)), sup_esc(f->job.extract, strlen(f->job.extract)));
	return fd;
}

/* gdb's argv before the worker's: -q, -batch, the commands, --args. */
static void
gdb_argv(const struct replay_opts *o, char **argv, size_t cap)
{
	size_t n = 0;
	int i;

	argv[n++] = "gdb";
	argv[n++] = "-q";
	if (o->batch) {
		argv[n++] = "-batch";
		if (o->nex == 0) {
			argv[n++] = "-ex";
			argv[n++] = "run";
			argv[n++] = "-ex";
			argv[n++] = "bt";
		}
	}
	for (i = 0; i < o->nex && n + 3 < cap; i++) {
		argv[n++] = "-ex";
		argv[n++] = o->ex[i];
	}
	argv[n++] = "--args";
	argv[n] = NULL;
}

/* The exec-status pipe: exec's errno, or 0 once the program runs. */
static int
exec_status(int execfd)
{
	struct pollfd p = { .fd = execfd, .events = POLLIN };
	int err = 0;
	ssize_t n;

	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	do
		n = read(execfd, &err, sizeof err);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof err ? err : 0;
}

/* The replay's outcome, as `corral results` prints one, and the exit
 * status. */
static int
report(const struct session *s, int status, double took)
{
	const struct store_job *j = &s->f->job;
	struct store_outcome o = { .exit_code = -1, .attempts = 1 };
	struct death_in in = {
		.kill = s->kill, .why = s->why, .reaped = 1, .status = status,
		.serving = s->ready, .setting_up = s->sent && !s->ready, .running = s->sent,
		.pid = s->c.pid, .timeout_s = (double)j->timeout_ms / 1000.0, .limit = s->limit,
		.stall_s = (double)j->stall_ms / 1000.0, .hello_s = HELLO_WAIT,
		.worker = cli_worker(),
	};
	struct death d;
	struct rows rows = { .form = ROWS_TEXT };
	const char *v;
	size_t vn;

	o.duration_ms = took > 0 ? (uint64_t)(took * 1000) : 0;
	o.finished_ms = (uint64_t)time(NULL) * 1000;
	if (s->answered && s->host != 0) {
		log_warnx("replay: the host refused the worker what the file needed (%s): %s; "
		    "no outcome", strerror(s->host), sup_esc(s->error, s->elen));
		return EXIT_USAGE;
	}
	if (s->answered) {
		o.status = s->ok ? OUT_OK : OUT_FAILED;
		o.error = s->ok ? "" : s->error;
		o.error_len = s->ok ? 0 : s->elen;
		o.result = (const uint8_t *)s->result;
		o.result_len = s->rlen;
	} else if (s->o->gdb && s->kill == KILL_NONE) {
		o.status = OUT_CRASHED;
		snprintf(d.what, sizeof d.what, "ended under gdb without an answer (gdb %s %d)",
		    WIFSIGNALED(status) ? "killed by signal" : "exited with status",
		    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		o.error = d.what;
		o.error_len = strlen(d.what);
	} else {
		death_classify(&in, &d);
		/* No outcome (a worker that cannot be set up, a host that
		 * refuses): an error, not a file that is not ok. */
		if (d.outcome == DEATH_NO_OUTCOME) {
			log_warnx("replay: %s", d.what);
			return EXIT_USAGE;
		}
		o.status = d.outcome;
		o.signal = d.sig;
		o.exit_code = d.code;
		o.limit = d.limit;
		o.error = d.what;
		o.error_len = strlen(d.what);
	}
	if (s->o->json) {
		json_outcome(stdout, j->name, s->f->seq, s->f->path, s->f->plen, &o);
		putchar('\n');
	} else {
		rows_put(&rows, stdout, j->name, s->f->seq, s->f->path, s->f->plen, &o);
		if (o.result_len > 1 && result_bytes(o.result, o.result_len, "verdict", &v, &vn) == 0) {
			fputs("verdict: ", stdout);
			text_escaped(stdout, v, vn);
			putchar('\n');
		}
		if (o.result_len > 1) {
			fputs("result: ", stdout);
			json_msgpack(stdout, o.result, o.result_len);
			putchar('\n');
		}
	}
	if (fflush(stdout) != 0)
		log_die(EXIT_USAGE, "replay: stdout");
	return o.status == OUT_OK ? EXIT_OK : EXIT_NOTOK;
}

int
cli_replay(int argc, char **argv)
{
	struct replay_opts o;
	struct found f;
	struct session s;
	struct rows rows = { .form = ROWS_TEXT };
	char prog[PATH_MAX], *wrap[2 * GDB_EX_MAX + 8];
	const char *worker, *what;
	sigset_t mask, old;
	int fd, jobfd, dirfd, status, err, r;

	replay_args(argc, argv, &o);
	memset(&f, 0, sizeof f);
	find_task(&o, &f);
	fd = open_inputs(&f, &jobfd, &dirfd);
	worker = worker_program(o.gdb, prog, sizeof prog);

	fprintf(stderr, "corral: replay: job %s, file %llu, handler %s%s%s\n", f.job.name,
	    (unsigned long long)f.seq, sup_esc(f.job.handler, strlen(f.job.handler)),
	    f.job.arg[0] ? ", command " : "", f.job.arg[0] ? sup_esc(f.job.arg, strlen(f.job.arg)) : "");
	if (f.has_outcome) {
		fputs("corral: replay: recorded: ", stderr);
		rows_put(&rows, stderr, f.job.name, f.seq, f.path, f.plen, &f.rec);
	}
	if (o.gdb)
		log_warnx("replay --gdb: the sandbox's ptrace rule is lifted for this child only: it "
		    "stays dumpable, so gdb may trace it; its other walls stay up; no time limit");

	memset(&s, 0, sizeof s);
	s.o = &o;
	s.f = &f;
	s.limit = TL_NONE;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	if (sigprocmask(SIG_BLOCK, &mask, &old) < 0 ||
	    (s.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		log_die(EXIT_USAGE, "replay: signalfd");
	if (o.gdb)
		gdb_argv(&o, wrap, sizeof wrap / sizeof wrap[0]);
	/* As the pool starts one (its own process group, its stderr a pipe,
	 * which is relayed to ours); under gdb, gdb is in our group, to have
	 * the terminal, and the worker is left dumpable. */
	if (spawn_worker(worker, o.gdb ? wrap : NULL, SPAWN_ERR_PIPE | (o.gdb ? SPAWN_TRACED :
	    SPAWN_OWN_GROUP), getpid(), &s.c, &what) < 0)
		log_die(EXIT_USAGE, "replay: unable to start a worker: %s", what);
	if ((err = exec_status(s.c.execfd)) != 0) {
		waitpid(s.c.pid, &status, 0);
		errno = err;
		log_die(EXIT_USAGE, "replay: unable to run %s", o.gdb ? "gdb" : sup_esc(worker,
		    strlen(worker)));
	}
	close(s.c.execfd);
	ipc_reader_init(&s.rd, IPC_FRAME_MAX);
	status = drive(&s, fd, jobfd, dirfd);
	r = report(&s, status, s.sent ? now_s() - s.sent_at : 0);

	sigprocmask(SIG_SETMASK, &old, NULL);
	close(s.sigfd);
	close(s.c.sock);
	if (s.c.errfd >= 0)
		close(s.c.errfd);
	close(fd);
	if (jobfd >= 0)
		close(jobfd);
	if (dirfd >= 0)
		close(dirfd);
	ipc_reader_free(&s.rd);
	ipc_buf_free(&s.out);
	free(s.error);
	free(s.result);
	free(f.path);
	free(f.bytes);
	free(f.cwd);
	return r;
}
