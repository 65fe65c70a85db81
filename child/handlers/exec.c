/* exec: a command per file, like GNU parallel: `sh -c CMD` with every {}
 * replaced by the file's quoted path (or the path appended when there is no
 * {}), the file itself on stdin. Stdout and stderr are captured, bounded,
 * and drained to the end so the command never blocks on a full pipe. The
 * command stays in the child's process group: a timeout kills both. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child/handler.h"
#include "common/utf8.h"

#define STDOUT_MAX (64 * 1024)
#define STDERR_MAX 4096

static char *command;

static int
exec_setup(const char *arg, char *err, size_t errlen)
{
	if (arg == NULL || arg[0] == '\0') {
		snprintf(err, errlen, "exec needs a command");
		return -1;
	}
	free(command);
	if ((command = strdup(arg)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* CMD with {} replaced by 'path' quoted for sh; malloc'd. */
static char *
build(const char *cmd, const char *path)
{
	size_t plen = strlen(path), qlen = 2, n = 0, i, uses = 0;
	const char *p;
	char *q, *s, *o;

	for (i = 0; i < plen; i++)
		qlen += path[i] == '\'' ? 4 : 1;
	for (p = cmd; (p = strstr(p, "{}")) != NULL; p += 2)
		uses++;
	s = malloc(strlen(cmd) + (uses ? uses : 1) * (qlen + 1) + 2);
	q = malloc(qlen + 1);
	if (s == NULL || q == NULL) {
		free(s);
		free(q);
		return NULL;
	}
	q[n++] = '\'';
	for (i = 0; i < plen; i++) {
		if (path[i] == '\'') {
			memcpy(q + n, "'\\''", 4);
			n += 4;
		} else
			q[n++] = path[i];
	}
	q[n++] = '\'';
	q[n] = '\0';
	o = s;
	for (p = cmd; *p; ) {
		if (p[0] == '{' && p[1] == '}') {
			o = stpcpy(o, q);
			p += 2;
		} else
			*o++ = *p++;
	}
	if (!uses) {
		*o++ = ' ';
		o = stpcpy(o, q);
	}
	*o = '\0';
	free(q);
	return s;
}

/* Keeps up to max bytes of what fd gives; returns 0 at EOF, 1 for more. */
static int
drain(int fd, char *buf, size_t *len, size_t max, int *cut)
{
	char tmp[8192];
	ssize_t n = read(fd, tmp, sizeof tmp);

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : 0;
	if (n == 0)
		return 0;
	if (*len < max) {
		size_t k = (size_t)n < max - *len ? (size_t)n : max - *len;

		memcpy(buf + *len, tmp, k);
		*len += k;
		if (k < (size_t)n)
			*cut = 1;
	} else
		*cut = 1;
	return 1;
}

static void
set_text(struct corral_result *out, const char *key, const char *buf, size_t len)
{
	char *s = strndup(buf, len);

	/* Text stays text when it is one; anything else travels as bytes. */
	if (s && strlen(s) == len && utf8_valid(buf, len))
		corral_result_set_str(out, key, s);
	else
		corral_result_set_bytes(out, key, buf, len);
	free(s);
}

static int
exec_process(int fd, const char *path, struct corral_result *out)
{
	static char obuf[STDOUT_MAX], ebuf[STDERR_MAX];
	size_t olen = 0, elen = 0;
	int op[2], ep[2], ocut = 0, ecut = 0, dummy = 0, status;
	struct pollfd p[2];
	char *cmd = build(command, path);
	pid_t pid;

	if (cmd == NULL || pipe2(op, O_CLOEXEC) < 0) {
		free(cmd);
		corral_result_set_error(out, "unable to prepare the command: %s", strerror(errno));
		return 1;
	}
	if (pipe2(ep, O_CLOEXEC) < 0) {
		close(op[0]), close(op[1]), free(cmd);
		corral_result_set_error(out, "pipe: %s", strerror(errno));
		return 1;
	}
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fd, STDIN_FILENO);
		dup2(op[1], STDOUT_FILENO);
		dup2(ep[1], STDERR_FILENO);
		/* The command gets stdio and nothing else: not the socket. */
		if (syscall(SYS_close_range, 3, ~0U, 0) < 0)
			for (int i = 3; i < 1024; i++)
				close(i);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	free(cmd);
	close(op[1]);
	close(ep[1]);
	if (pid < 0) {
		close(op[0]), close(ep[0]);
		corral_result_set_error(out, "fork: %s", strerror(errno));
		return 1;
	}
	p[0].fd = op[0];
	p[1].fd = ep[0];
	p[0].events = p[1].events = POLLIN;
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents && !drain(op[0], obuf, &olen, sizeof obuf, &ocut))
			p[0].fd = -1;
		if (p[1].revents && !drain(ep[0], ebuf, &elen, sizeof ebuf, &ecut))
			p[1].fd = -1;
	}
	close(op[0]);
	close(ep[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			status = 0x7f00;	/* as if exit 127 */
			break;
		}
	(void)dummy;
	if (WIFEXITED(status))
		corral_result_set_int(out, "exit", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		corral_result_set_int(out, "signal", WTERMSIG(status));
	set_text(out, "stdout", obuf, olen);
	if (ocut)
		corral_result_set_bool(out, "stdout_truncated", 1);
	if (elen)
		set_text(out, "stderr", ebuf, elen);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	{
		char first[256] = "";
		size_t n = 0;

		while (n < elen && n < sizeof first - 1 && ebuf[n] != '\n') {
			first[n] = ebuf[n];
			n++;
		}
		first[n] = '\0';
		if (WIFEXITED(status))
			corral_result_set_error(out, "exit status %d%s%s", WEXITSTATUS(status),
			    n ? ": " : "", first);
		else
			corral_result_set_error(out, "killed by signal %d (SIG%s)%s%s", WTERMSIG(status),
			    sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?",
			    n ? ": " : "", first);
	}
	return 1;
}

const struct handler handler_exec = { "exec", exec_setup, exec_process };
