/* worker: a child's whole life, top to bottom. Check the socket, close
 * everything else, reset signals, say hello, then serve: a JOB message sets
 * up the handler, each TASK brings a file descriptor to process and gets
 * one RESULT back, strictly in order. Blocking I/O throughout: a child does
 * one thing at a time. Any surprise from the supervisor ends it. A task
 * that ends the process by exit() for want of memory under the job's
 * memory limit is still answered, as rejected for memory (out_of_memory). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <msgpack.h>

#include "child/handler.h"
#include "child/sandbox.h"
#include "common/log.h"
#include "common/utf8.h"
#include "ipc/ipc.h"

/* How a worker ends: its exit status. */
enum {
	WORKER_DONE = 0,	/* the supervisor is done with us: EOF, or it is gone */
	WORKER_FAILED = 1,	/* the worker itself failed (out of memory) */
	WORKER_BAD_PEER = 2,	/* no socket at fd 3, or a bad message on it */
	/* CHILD_EXIT_SETUP: the job's handler cannot be set up; FATAL said why */
	WORKER_GO_ON = -1	/* not an ending: serve the next message */
};

/* Address space given back when a task dies for want of memory, so that
 * its answer can still be built and sent. */
#define SPARE_BYTES	(1u << 20)

struct worker {
	uint32_t slot;			/* the supervisor's slot, from 0 */
	int sock;
	uint64_t running;		/* the task being processed; 0: none */
	void *spare;			/* SPARE_BYTES mapped, or NULL */
	struct ipc_reader rd;
	struct ipc_buf out;
	struct corral_result *res;
	const struct handler *h;	/* NULL until the first JOB */
	uint32_t job;
	char *name, *arg;		/* of the job's handler */
	struct job_opts opts;
	/* With --reuse: tasks that came while one waited for REUSE, in
	 * order; their descriptors wait in rd's queue, in the same order. */
	struct stashed {
		uint32_t job;
		uint64_t id, seq;
		char *path;
		size_t path_len;
	} *stash;
	size_t nstash, stash_head, stash_cap;
};

/* What ps shows of this process: the bytes of its arguments, which the
 * supervisor pads (slot.c) so that a job's name fits. */
static char *title;
static size_t title_room;

static void
title_init(int argc, char **argv)
{
	if (argc < 1 || argv[0] == NULL)
		return;
	title = argv[0];
	title_room = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) - argv[0]);
	prctl(PR_SET_NAME, "corral-worker", 0, 0, 0);
}

/* "corral worker: NAME" (or without ": NAME"), cut to the room there is;
 * bytes of the name that are not printable ASCII show as '?'. */
static void
title_set(const char *name)
{
	size_t n, i;

	if (title == NULL || title_room < 2)
		return;
	n = (size_t)snprintf(title, title_room, "corral worker%s%s", name ? ": " : "", name ? name : "");
	if (n >= title_room)
		n = title_room - 1;
	for (i = 15; i < n; i++)
		if ((unsigned char)title[i] < 0x20 || (unsigned char)title[i] >= 0x7f)
			title[i] = '?';
	memset(title + n, '\0', title_room - n);
}

const struct handler *
handler_find(const char *name)
{
	if (strcmp(name, "archive") == 0)
		return &handler_archive;
	if (strcmp(name, "sha256") == 0)
		return &handler_sha256;
	if (strcmp(name, "exec") == 0)
		return &handler_exec;
	if (strchr(name, '/') != NULL || strstr(name, ".so") != NULL)
		return &handler_plugin;
	return NULL;
}

/* Every descriptor from lowfd up. close_range needs Linux 5.9; before
 * that, walk what is open. */
static void
close_from(int lowfd)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if (close_range((unsigned)lowfd, ~0U, 0) == 0)
		return;
	if ((d = opendir("/proc/self/fd")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		fd = atoi(de->d_name);
		if (fd >= lowfd && fd != dirfd(d))
			close(fd);
	}
	closedir(d);
}

/* Nothing inherited but the socket and stdio, stdio made harmless, every
 * signal at its default and none blocked. */
static void
reset_process(int sock)
{
	struct sigaction sa;
	sigset_t none;
	int sig, fd;

	close_from(sock + 1);
	/* A handler's subprocesses (exec, a plugin's system()) never get
	 * the socket: everything else the worker opens is close-on-exec. */
	fcntl(sock, F_SETFD, FD_CLOEXEC);
	if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	/* A plugin's printf must not land in the supervisor's --json. */
	dup2(STDERR_FILENO, STDOUT_FILENO);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);	/* SIGKILL, SIGSTOP: EINVAL */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Writes all of out to the socket. Fails only when the supervisor is
 * gone: the socket is blocking, and sends use MSG_NOSIGNAL. */
static int
flush(struct worker *w)
{
	size_t off = 0;
	ssize_t n;

	while (off < w->out.len) {
		n = ipc_send(w->sock, w->out.data + off, w->out.len - off, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		off += (size_t)n;
	}
	w->out.len = 0;
	return 0;
}

/* A copy of a wire string as a C string; NULL if it holds a NUL, which
 * would silently cut it. */
static char *
cstring(const char *s, size_t len)
{
	if (memchr(s, '\0', len) != NULL) {
		errno = EINVAL;
		return NULL;
	}
	return strndup(s, len);
}

/* The memory limit, in words, for the error. */
static void
limit_words(rlim_t limit, char *buf, size_t len)
{
	if (limit % (1u << 30) == 0)
		snprintf(buf, len, "%lluG", (unsigned long long)(limit >> 30));
	else if (limit % (1u << 20) == 0)
		snprintf(buf, len, "%lluM", (unsigned long long)(limit >> 20));
	else
		snprintf(buf, len, "%llu bytes", (unsigned long long)limit);
}

/* msgpack-c's writer into a fixed buffer: the reasons list below. */
struct fixed {
	char buf[256];
	size_t len;
};

static int
fixed_write(void *data, const char *p, size_t len)
{
	struct fixed *f = data;

	if (len > sizeof f->buf - f->len)
		return -1;
	memcpy(f->buf + f->len, p, len);
	f->len += len;
	return 0;
}

/* The answer of a task that ran out of memory under the limit, in the
 * archive handler's shape whatever the handler: verdict rejected, one
 * reason "memory", and an error that starts with its code. */
static int
memory_result(struct corral_result *res, rlim_t limit)
{
	char words[64], detail[128];
	msgpack_packer pk;
	struct fixed reasons = { .len = 0 };

	limit_words(limit, words, sizeof words);
	snprintf(detail, sizeof detail, "out of memory under the limit of %s", words);
	msgpack_packer_init(&pk, &reasons, fixed_write);
	if (msgpack_pack_array(&pk, 1) | msgpack_pack_map(&pk, 2) |
	    msgpack_pack_str_with_body(&pk, "code", 4) | msgpack_pack_str_with_body(&pk, "memory", 6) |
	    msgpack_pack_str_with_body(&pk, "detail", 6) |
	    msgpack_pack_str_with_body(&pk, detail, strlen(detail)))
		return -1;
	result_reset(res);
	if (corral_result_set_str(res, "verdict", "rejected") < 0 ||
	    result_set_packed(res, "reasons", reasons.buf, reasons.len) < 0)
		return -1;
	return corral_result_set_error(res, "memory: %s", detail);
}

/* Runs at exit(): a handler, or a library under it, gave up on its task
 * by calling exit(), as libarchive does when an allocation fails
 * ("Out of memory", exit(1)). When that happened under a memory limit and
 * errno still says ENOMEM, the file needs more memory than the job allows:
 * a verdict, not a crash, and answered as one before the process ends.
 * Decided here, not in the supervisor, because only this process knows
 * its errno and its limit; the supervisor would have to guess from the
 * words on stderr. A death by a signal, or an exit for any other reason,
 * stays a crash. */
static struct worker *exiting;

static void
out_of_memory(int status, void *arg)
{
	struct worker *w = exiting;
	struct rlimit rl;
	const uint8_t *map;
	const char *error;
	size_t mlen, elen;
	int e = errno;

	(void)arg;
	if (w == NULL || w->running == 0 || status == 0 || e != ENOMEM)
		return;
	if (getrlimit(RLIMIT_AS, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return;
	if (w->spare != NULL) {
		munmap(w->spare, SPARE_BYTES);
		w->spare = NULL;
	}
	if (memory_result(w->res, rl.rlim_cur) < 0)
		return;
	map = result_map(w->res, &mlen);
	error = result_error(w->res, &elen);
	w->out.len = 0;
	if (ipc_put_result(&w->out, w->running, 0, 0, error, elen, map, mlen) == 0)
		flush(w);
	w->running = 0;
}

/* Tells the supervisor why this worker cannot serve the job, which ends
 * it and the run: respawning would fail the same way. */
static int
fatal(struct worker *w, const char *why)
{
	if (ipc_put_fatal(&w->out, why, strlen(why)) == 0)
		flush(w);
	return CHILD_EXIT_SETUP;
}

/* The JOB message's options, over the defaults. */
static int
opts_decode(const uint8_t *p, size_t len, struct job_opts *o, char *err, size_t errlen)
{
	msgpack_unpacked u;
	const char *why = "malformed";
	int r = -1;

	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, (const char *)p, len, NULL) == MSGPACK_UNPACK_SUCCESS)
		r = job_opts_unpack(&u.data, o, &why);
	msgpack_unpacked_destroy(&u);
	if (r < 0)
		snprintf(err, errlen, "the job's options: %s", why);
	return r;
}

/* JOB: find and set up the handler. Returns WORKER_GO_ON, or an exit
 * status. */
static int
job(struct worker *w, const struct ipc_msg *m)
{
	const char *arg;
	char err[1024], *name;
	int root, r;

	/* Named first, so that what the handler's set-up starts (exec's
	 * keeper) has the name too. */
	if (m->name_len > 0 && (name = cstring(m->name, m->name_len)) != NULL) {
		title_set(name);
		free(name);
	}
	free(w->name);
	free(w->arg);
	w->h = NULL;
	w->name = cstring(m->handler, m->handler_len);
	w->arg = cstring(m->arg, m->arg_len);
	if (w->name == NULL || w->arg == NULL) {
		if (errno == ENOMEM)
			return WORKER_FAILED;
		return fatal(w, "the handler's name or argument holds a NUL byte");
	}
	if (m->opts_len > 0 && opts_decode(m->opts, m->opts_len, &w->opts, err, sizeof err) < 0)
		return fatal(w, err);
	if ((w->h = handler_find(w->name)) == NULL) {
		snprintf(err, sizeof err, "no such handler: %.200s", w->name);
		return fatal(w, err);
	}
	/* A plugin is named by its path; arg is exec's command. */
	arg = w->h == &handler_plugin ? w->name : w->arg;
	if (w->h->setup != NULL && w->h->setup(arg, &w->opts, err, sizeof err) < 0)
		return fatal(w, err);
	/* With --extract, JOB brings the job's directory: the walls hold
	 * writes beneath it. */
	root = -1;
	if (w->opts.extract && (root = ipc_take_fd(&w->rd)) < 0)
		return fatal(w, "--extract without the job's directory");
	r = sandbox_enter(&w->opts, w->h == &handler_exec, w->sock, root, err, sizeof err);
	if (root >= 0)
		close(root);
	if (r < 0)
		return fatal(w, err);
	/* After the handler's set-up and the libraries it loaded, so this
	 * runs first among the exit handlers and sees errno as the task
	 * left it. */
	if (exiting == NULL) {
		exiting = w;
		on_exit(out_of_memory, NULL);
	}
	w->job = m->job;
	w->slot = m->slot;
	/* From here on, a FATAL from this child is not a set-up failure. */
	if (ipc_put_ready(&w->out, w->job) < 0)
		return WORKER_FAILED;
	return flush(w) < 0 ? WORKER_DONE : WORKER_GO_ON;
}

/* A TASK that came while another waited for its REUSE: kept, path copied. */
static int
stash_push(struct worker *w, const struct ipc_msg *m)
{
	struct stashed *s;

	if (w->stash_head > 0 && w->stash_head == w->nstash)
		w->stash_head = w->nstash = 0;
	if (w->nstash == w->stash_cap) {
		size_t cap = w->stash_cap ? w->stash_cap * 2 : 8;

		if ((s = realloc(w->stash, cap * sizeof *s)) == NULL)
			return -1;
		w->stash = s;
		w->stash_cap = cap;
	}
	s = &w->stash[w->nstash];
	if ((s->path = malloc(m->path_len + 1)) == NULL)
		return -1;
	memcpy(s->path, m->path, m->path_len);
	s->path[m->path_len] = '\0';
	s->path_len = m->path_len;
	s->job = m->job;
	s->id = m->id;
	s->seq = m->seq;
	w->nstash++;
	return 0;
}

/* The file's SHA-256 from its start, the offset left alone for the
 * handler. -1 when it cannot be read: the handler runs, and says so. */
static int
content_digest(int fd, uint8_t out[IPC_SHA256])
{
	static uint8_t buf[1 << 16];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned dlen = 0;
	off_t off = 0;
	ssize_t n;
	int r = -1;

	if (md == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
		goto out;
	while ((n = pread(fd, buf, sizeof buf, off)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		EVP_DigestUpdate(md, buf, (size_t)n);
		off += n;
		child_progress((uint64_t)off, 0, NULL, 0);	/* alive, for --stall */
	}
	if (EVP_DigestFinal_ex(md, out, &dlen) && dlen == IPC_SHA256)
		r = 0;
out:
	EVP_MD_CTX_free(md);
	return r;
}

/* The supervisor's next message into *m: WORKER_GO_ON, or an exit status
 * (its end, or a bad frame, said on stderr). */
static int
next_message(struct worker *w, struct ipc_msg *m)
{
	const uint8_t *body;
	const char *why;
	size_t len;
	ssize_t n;
	int r;

	for (;;) {
		r = ipc_next(&w->rd, &body, &len);
		if (r < 0) {
			log_warnx("worker %d: frame length out of bounds from the supervisor",
			    (int)getpid());
			return WORKER_BAD_PEER;
		}
		if (r > 0)
			break;
		n = ipc_read(&w->rd, w->sock, 1);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return WORKER_DONE;
		if (n < 0 && errno != EINTR) {
			log_warn("worker %d: unable to read from the supervisor", (int)getpid());
			return WORKER_BAD_PEER;
		}
	}
	if (ipc_decode(body, len, m, &why) < 0) {
		log_warnx("worker %d: bad message from the supervisor: %s", (int)getpid(), why);
		return WORKER_BAD_PEER;
	}
	return WORKER_GO_ON;
}

/* HASH sent for task id: reads until its REUSE, stashing the TASKs that
 * come first. Returns 1 (reuse), 0 (run the handler), or an exit status. */
static int
await_reuse(struct worker *w, uint64_t id)
{
	struct ipc_msg m;
	int r;

	while ((r = next_message(w, &m)) == WORKER_GO_ON) {
		if (m.type == IPC_TASK) {
			if (stash_push(w, &m) < 0)
				return WORKER_FAILED;
			continue;
		}
		if (m.type == IPC_REUSE && m.id == id)
			return m.reuse;
		log_warnx("worker %d: unexpected %s message while waiting for reuse", (int)getpid(),
		    ipc_type_name(m.type));
		return WORKER_BAD_PEER;
	}
	return r;
}

/* TASK: run the handler on the descriptor that came with it and answer;
 * with --reuse, first ask whether an earlier outcome stands for the
 * file's content. Returns WORKER_GO_ON, or an exit status. */
static int
task(struct worker *w, uint32_t job, uint64_t id, uint64_t seq, const char *mpath, size_t mpath_len)
{
	uint8_t digest[IPC_SHA256];
	const uint8_t *map;
	const char *error;
	size_t mlen, elen;
	char *path = NULL;
	int fd, dirfd = -1, ok, r = -1, host = 0;

	/* The file, and with --extract the directory to extract it into. */
	if ((fd = ipc_take_fd(&w->rd)) < 0 || (w->opts.extract && (dirfd = ipc_take_fd(&w->rd)) < 0)) {
		log_warnx("worker %d: a task without its descriptor%s", (int)getpid(),
		    fd < 0 ? "" : " for extraction");
		if (fd >= 0)
			close(fd);
		return WORKER_BAD_PEER;
	}
	if (w->h == NULL || job != w->job) {
		log_warnx("worker %d: a task for job %u, set up for %s", (int)getpid(),
		    (unsigned)job, w->h ? "another" : "none");
		ok = WORKER_BAD_PEER;
		goto out;
	}
	/* Copied first: mpath lies in the reader's buffer, which waiting
	 * for REUSE reads on into. For messages and exec's replacement
	 * strings; a NUL inside cuts it short, nothing worse. */
	if ((path = strndup(mpath, mpath_len)) == NULL) {
		ok = WORKER_FAILED;
		goto out;
	}
	if (w->opts.reuse) {
		child_progress_begin(w->sock, id);
		r = content_digest(fd, digest);
		child_progress_end();
	}
	if (w->opts.reuse && r == 0) {
		if (ipc_put_hash(&w->out, id, digest) < 0) {
			ok = WORKER_FAILED;
			goto out;
		}
		if (flush(w) < 0) {
			ok = WORKER_DONE;
			goto out;
		}
		if ((r = await_reuse(w, id)) != 0 && r != 1) {
			ok = r;
			goto out;
		}
		if (r == 1) {
			/* An earlier outcome stands: the supervisor records it. */
			close(fd);
			if (dirfd >= 0)
				close(dirfd);
			free(path);
			if (ipc_put_result(&w->out, id, 1, 0, NULL, 0, NULL, 0) < 0)
				return WORKER_FAILED;
			return flush(w) < 0 ? WORKER_DONE : WORKER_GO_ON;
		}
	}
	result_reset(w->res);
	sandbox_task_begin();
	w->running = id;
	child_progress_begin(w->sock, id);
	errno = 0;	/* an ENOMEM at exit is this task's own (out_of_memory) */
	r = w->h->process(&(struct task_in){ .fd = fd, .dirfd = dirfd, .path = path, .seq = seq,
	    .slot = w->slot }, w->res);
	child_progress_end();
	if (r < 0)
		host = errno > 0 && errno < 4096 ? errno : EAGAIN;
	ok = r == 0;
	w->running = 0;
	close(fd);
	if (dirfd >= 0)
		close(dirfd);
	free(path);

	map = result_map(w->res, &mlen);
	error = result_error(w->res, &elen);
	if (ok) {
		elen = 0;
	} else if (elen == 0) {
		error = "failed";
		elen = strlen(error);
	}
	/* An empty map (one byte) is left out: it reads as {} all the same. */
	if (ipc_put_result(&w->out, id, ok, host, error, elen, map, mlen > 1 ? mlen : 0) < 0) {
		log_warn("worker %d: unable to encode a result", (int)getpid());
		return WORKER_FAILED;
	}
	return flush(w) < 0 ? WORKER_DONE : WORKER_GO_ON;
out:
	close(fd);
	if (dirfd >= 0)
		close(dirfd);
	free(path);
	return ok;
}

/* Reads, decodes and acts on the supervisor's messages until one side is
 * done. Returns the exit status. */
static int
serve(struct worker *w)
{
	struct ipc_msg m;
	int r;

	for (;;) {
		if ((r = next_message(w, &m)) != WORKER_GO_ON)
			return r;
		switch (m.type) {
		case IPC_JOB:
			r = job(w, &m);
			break;
		case IPC_TASK:
			r = task(w, m.job, m.id, m.seq, m.path, m.path_len);
			/* Those that came while it waited for REUSE, in order. */
			while (r == WORKER_GO_ON && w->stash_head < w->nstash) {
				struct stashed s = w->stash[w->stash_head++];

				r = task(w, s.job, s.id, s.seq, s.path, s.path_len);
				free(s.path);
			}
			break;
		default:
			log_warnx("worker %d: unexpected %s message from the supervisor",
			    (int)getpid(), ipc_type_name(m.type));
			r = WORKER_BAD_PEER;
			break;
		}
		if (r != WORKER_GO_ON)
			return r;
	}
}

int
child_main(int argc, char **argv)
{
	struct worker w = { .sock = IPC_CHILD_FD };
	struct stat sb;
	int status;
	int traced = argc > 2 && strcmp(argv[2], IPC_TRACED_ARG) == 0;

	/* Read before the title takes the room of the arguments. */
	title_init(argc, argv);
	title_set(NULL);
	/* Started under a debugger by `corral replay --gdb`: it says so. */
	if (traced) {
		sandbox_allow_tracing();
		log_warnx("worker %d: left dumpable for the debugger that started it (replay --gdb)",
		    (int)getpid());
	}
	job_opts_default(&w.opts);
	if (fstat(w.sock, &sb) < 0 || !S_ISSOCK(sb.st_mode)) {
		log_warnx("the worker runs only under a corral supervisor (no socket at fd %d)",
		    IPC_CHILD_FD);
		return WORKER_BAD_PEER;
	}
	reset_process(w.sock);
	/* Text that libraries convert (libarchive's entry names from UTF-16,
	 * CP932, or a zip's UTF-8 flag) comes out as UTF-8, not refused by
	 * the C locale the supervisor may run in. */
	if (utf8_locale() < 0)
		log_warnx("worker %d: no UTF-8 locale (C.UTF-8): names outside ASCII cannot be read",
		    (int)getpid());
	sandbox_early();
	/* Before any limit: counted in it, and given back at need. */
	if ((w.spare = mmap(NULL, SPARE_BYTES, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
	    -1, 0)) == MAP_FAILED)
		w.spare = NULL;
	ipc_reader_init(&w.rd, IPC_FRAME_MAX);
	if ((w.res = result_new()) == NULL || ipc_put_hello(&w.out, (uint32_t)getpid()) < 0)
		status = WORKER_FAILED;
	else if (flush(&w) < 0)
		status = WORKER_DONE;
	else
		status = serve(&w);
	/* Freed, so a leak checker keeps the exit status to itself. */
	exiting = NULL;
	result_free(w.res);
	ipc_reader_free(&w.rd);
	ipc_buf_free(&w.out);
	free(w.name);
	free(w.arg);
	while (w.stash_head < w.nstash)
		free(w.stash[w.stash_head++].path);
	free(w.stash);
	return status;
}
