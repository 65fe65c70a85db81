/* worker: a child's whole life, top to bottom. Check the socket, close
 * everything else, reset signals, say hello, then serve: a JOB message
 * configures the handler, each TASK brings a file descriptor to process
 * and gets one RESULT back, strictly in order. Blocking I/O throughout: a
 * child does one thing at a time. Any surprise from the supervisor ends it. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child/handler.h"
#include "ipc/ipc.h"

#ifndef SYS_close_range
#include <sys/syscall.h>
#endif

const struct handler *
handler_find(const char *name)
{
	if (strcmp(name, "archive") == 0)
		return &handler_archive;
	if (strcmp(name, "sha256") == 0)
		return &handler_sha256;
	if (strcmp(name, "exec") == 0)
		return &handler_exec;
	if (strchr(name, '/') || strstr(name, ".so"))
		return &handler_plugin;
	return NULL;
}

static void
say(const char *msg)
{
	fprintf(stderr, "corral: worker %d: %s\n", (int)getpid(), msg);
}

/* Writes all of buf to the socket; the supervisor may be gone. */
static int
send_all(int sock, struct ipc_buf *b)
{
	size_t off = 0;
	ssize_t n;

	while (off < b->len) {
		n = ipc_send(sock, b->data + off, b->len - off, -1);
		if (n < 0)
			return -1;
		off += (size_t)n;
	}
	b->len = 0;
	return 0;
}

static void
setup_process(void)
{
	struct sigaction sa;
	sigset_t none;
	int sig, fd;

	/* Nothing inherited but the socket and stdio. */
	if (syscall(SYS_close_range, IPC_CHILD_FD + 1, ~0U, 0) < 0)
		for (fd = IPC_CHILD_FD + 1; fd < 1024; fd++)
			close(fd);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	/* A plugin's printf must not land in the supervisor's --json. */
	dup2(STDERR_FILENO, STDOUT_FILENO);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

int
child_main(int argc, char **argv)
{
	const struct handler *h = NULL;
	struct corral_result *res;
	struct ipc_reader rd;
	struct ipc_buf out = { 0 };
	struct stat sb;
	static char hname[4096], arg[4096];
	char err[1024], *path = NULL;
	uint32_t job = 0;
	int sock = IPC_CHILD_FD, status = 0;

	(void)argc, (void)argv;
	if (fstat(sock, &sb) < 0 || !S_ISSOCK(sb.st_mode)) {
		fprintf(stderr, "corral: the worker runs only under a corral supervisor\n");
		return 2;
	}
	setup_process();
	res = result_new();
	ipc_reader_init(&rd, IPC_FRAME_MAX);
	if (res == NULL || ipc_put_hello(&out, (uint32_t)getpid()) < 0 || send_all(sock, &out) < 0)
		return 2;
	for (;;) {
		const uint8_t *body;
		const char *why;
		struct ipc_msg m;
		size_t len;
		ssize_t n;
		int r, fd, ok;

		r = ipc_next(&rd, &body, &len);
		if (r < 0) {
			say("frame length out of bounds from the supervisor");
			{ status = 2; goto out; }
		}
		if (r == 0) {
			n = ipc_read(&rd, sock, 1);
			if (n == 0)
				{ status = 0; goto out; }	/* the supervisor is done with us */
			if (n < 0) {
				if (errno == EINTR)
					continue;
				{ status = 2; goto out; }
			}
			continue;
		}
		if (ipc_decode(body, len, &m, &why) < 0) {
			snprintf(err, sizeof err, "bad message from the supervisor: %s", why);
			say(err);
			{ status = 2; goto out; }
		}
		switch (m.type) {
		case IPC_JOB:
			if (m.handler_len >= sizeof hname || m.arg_len >= sizeof arg) {
				snprintf(err, sizeof err, "handler name or argument too long");
				goto fatal;
			}
			memcpy(hname, m.handler, m.handler_len);
			hname[m.handler_len] = '\0';
			memcpy(arg, m.arg, m.arg_len);
			arg[m.arg_len] = '\0';
			if ((h = handler_find(hname)) == NULL) {
				snprintf(err, sizeof err, "no such handler: %.200s", hname);
				goto fatal;
			}
			/* A plugin's argument is its path: the handler name. */
			if (h->setup && h->setup(h == &handler_plugin ? hname : arg, err, sizeof err) < 0)
				goto fatal;
			job = m.job;
			break;
		case IPC_TASK:
			fd = ipc_take_fd(&rd);
			if (fd < 0 || h == NULL || m.job != job) {
				say(fd < 0 ? "a task without its descriptor" : "a task for another job");
				{ status = 2; goto out; }
			}
			path = malloc(m.path_len + 1);
			if (path == NULL)
				{ status = 2; goto out; }
			memcpy(path, m.path, m.path_len);
			path[m.path_len] = '\0';
			result_reset(res);
			ok = h->process(fd, path, res) == 0;
			close(fd);
			free(path);
			path = NULL;
			{
				size_t mlen, elen;
				const uint8_t *map = result_map(res, &mlen);
				const char *e = result_error(res, &elen);

				if (!ok && elen == 0)
					e = "failed", elen = 6;
				if (ipc_put_result(&out, m.id, ok, e, ok ? 0 : elen, map,
				    mlen > 1 ? mlen : 0) < 0) {
					/* Too big to send: say so instead. */
					result_reset(res);
					corral_result_set_bool(res, "truncated", 1);
					map = result_map(res, &mlen);
					if (ipc_put_result(&out, m.id, 0, "result too large", 16, map, mlen) < 0)
						{ status = 2; goto out; }
				}
			}
			if (send_all(sock, &out) < 0)
				{ status = 0; goto out; }
			break;
		default:
			snprintf(err, sizeof err, "unexpected %s message from the supervisor",
			    ipc_type_name(m.type));
			say(err);
			{ status = 2; goto out; }
		}
	}
fatal:
	ipc_put_fatal(&out, err, strlen(err));
	send_all(sock, &out);
	status = CHILD_EXIT_SETUP;
out:
	free(path);
	result_free(res);
	ipc_reader_free(&rd);
	ipc_buf_free(&out);
	return status;
}
