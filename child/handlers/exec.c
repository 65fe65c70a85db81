/* exec: a command per file, like GNU parallel: `sh -c CMD` with {} and
 * parallel's other replacement strings expanded, quoted (common/expand.h;
 * the path appended when there is none), the file itself on stdin. Stdout and stderr are captured, bounded,
 * and drained so the command never blocks on a full pipe. The command runs
 * under a keeper (child/keeper.h): its outcome is taken when sh exits, not
 * when the last holder of its pipes lets go, and nothing it started
 * outlives the file. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child/handler.h"
#include "child/keeper.h"
#include "common/expand.h"
#include "common/utf8.h"

#define STDOUT_MAX (64 * 1024)
#define STDERR_MAX 4096

static char *command;

/* A timeout's kill starts with SIGTERM to the worker's group, the command
 * included, and SIGKILL only after a grace: the worker outlives the
 * SIGTERM so that the command can use its grace (its keeper would kill it
 * the moment the worker died), and leaves once the command has ended. */
static volatile sig_atomic_t term_asked;

static void
on_term(int sig)
{
	(void)sig;
	term_asked = 1;
}

static int
exec_setup(const char *arg, const struct job_opts *o, char *err, size_t errlen)
{
	struct sigaction sa;

	(void)o;
	if (arg == NULL || arg[0] == '\0') {
		snprintf(err, errlen, "exec needs a command");
		return -1;
	}
	free(command);
	if ((command = strdup(arg)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* No SA_RESTART: the wait for the command sees the signal. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0) {
		snprintf(err, errlen, "sigaction: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Keeps up to max bytes of what fd gives. Returns 1 when it read some, 0
 * at EOF (or an error), -1 when there is nothing yet. */
static int
drain(int fd, char *buf, size_t *len, size_t max, int *cut, uint64_t *total)
{
	char tmp[8192];
	ssize_t n = read(fd, tmp, sizeof tmp);

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? -1 : 0;
	if (n == 0)
		return 0;
	*total += (uint64_t)n;
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

/* Text stays text when it is one, under key; anything else (a NUL
 * included, which a C string cannot carry) travels as bytes, under
 * key_base64 (JSON shows bytes as base64: the name says so, as path_base64
 * does). buf has room for the NUL. */
static void
set_text(struct corral_result *out, const char *key, const char *key_base64, char *buf,
    size_t len)
{
	buf[len] = '\0';
	if (memchr(buf, '\0', len) == NULL && utf8_valid(buf, len))
		corral_result_set_str(out, key, buf);
	else
		corral_result_set_bytes(out, key_base64, buf, len);
}

/* "exit status N" or "killed by signal N (SIGNAME)", then the first line
 * of stderr: most commands say there why they failed. */
static void
set_failure(struct corral_result *out, int status, const char *err, size_t errlen)
{
	const char *nl = memchr(err, '\n', errlen);
	int n = (int)(nl ? (size_t)(nl - err) : errlen), sig;

	if (n > 255)
		n = 255;
	if (WIFEXITED(status)) {
		corral_result_set_error(out, "exit status %d%s%.*s", WEXITSTATUS(status),
		    n ? ": " : "", n, err);
		return;
	}
	sig = WTERMSIG(status);
	corral_result_set_error(out, "killed by signal %d (SIG%s)%s%.*s", sig,
	    sigabbrev_np(sig) ? sigabbrev_np(sig) : "?", n ? ": " : "", n, err);
}

/* What the pipes hold now, without waiting: the keeper has killed every
 * process that could write more. */
static void
drain_rest(int fd, char *buf, size_t *len, size_t max, int *cut)
{
	if (fd < 0)
		return;
	uint64_t total = 0;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (drain(fd, buf, len, max, cut, &total) == 1)
		;
}

/* Whether errno says the host refused (no process, descriptor or memory
 * to spare) rather than anything about the file. */
static int
host_refused(int e)
{
	return e == EAGAIN || e == ENOMEM || e == EMFILE || e == ENFILE;
}

/* The command could not be started: the host's refusal is no outcome
 * (-1, errno kept), anything else fails the file. */
static int
not_started(struct corral_result *out, const char *what, int e)
{
	corral_result_set_error(out, "%s: %s", what, strerror(e));
	errno = e;
	return host_refused(e) ? -1 : 1;
}

static int
exec_process(const struct task_in *t, struct corral_result *out)
{
	static char obuf[STDOUT_MAX + 1], ebuf[STDERR_MAX + 1];
	size_t olen = 0, elen = 0;
	int op[2], ep[2], ocut = 0, ecut = 0;	/* ecut: not reported */
	int link, status = 0, have = 0, kstatus = 0, e;
	uint64_t progress = 0;		/* bytes of output read, kept or not */
	struct pollfd p[3];
	char *cmd;
	pid_t pid, r;

	if (term_asked)
		_exit(0);
	if ((cmd = expand_command(command, t->path, t->seq, t->slot)) == NULL)
		return not_started(out, "unable to prepare the command", errno);
	if (pipe2(op, O_CLOEXEC) < 0) {
		e = errno;
		free(cmd);
		return not_started(out, "unable to prepare the command", e);
	}
	if (pipe2(ep, O_CLOEXEC) < 0) {
		e = errno;
		close(op[0]), close(op[1]), free(cmd);
		return not_started(out, "unable to prepare the command", e);
	}
	link = keeper_start(cmd, t->fd, op[1], ep[1], &pid);
	e = errno;
	free(cmd);
	close(op[1]);
	close(ep[1]);
	if (link < 0) {
		close(op[0]), close(ep[0]);
		return not_started(out, "unable to start the command", e);
	}
	/* Until the keeper is done, not until the pipes close: a background
	 * process of the command may hold them open for as long as it lives,
	 * and it does not live past the keeper's end. */
	p[0].fd = op[0];
	p[1].fd = ep[0];
	p[2].fd = link;
	p[0].events = p[1].events = p[2].events = POLLIN;
	while (p[2].fd >= 0) {
		if (term_asked == 1) {
			/* The timeout's SIGTERM: the keeper passes it on and
			 * lets the command's processes end within the grace. */
			keeper_term(link);
			term_asked = 2;
		}
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents && !drain(op[0], obuf, &olen, STDOUT_MAX, &ocut, &progress))
			p[0].fd = -1;
		if (p[1].revents && !drain(ep[0], ebuf, &elen, STDERR_MAX, &ecut, &progress))
			p[1].fd = -1;
		/* Output, kept or not, is the command's sign of life. */
		child_progress(progress, 0, NULL, 0);
		if (p[2].revents && keeper_read(link, &status) == 1)
			have = 1;
		else if (p[2].revents)
			p[2].fd = -1;	/* the keeper is done */
	}
	drain_rest(p[0].fd, obuf, &olen, STDOUT_MAX, &ocut);
	drain_rest(p[1].fd, ebuf, &elen, STDERR_MAX, &ecut);
	close(op[0]);
	close(ep[0]);
	close(link);
	while ((r = waitpid(pid, &kstatus, 0)) < 0 && errno == EINTR)
		;
	/* Killed for its time: the command has had its grace and ended. */
	if (term_asked)
		_exit(0);
	if (!have) {
		/* The keeper's exit status is spawn's errno. */
		if (r > 0 && WIFEXITED(kstatus) && WEXITSTATUS(kstatus) != 0)
			return not_started(out, "unable to start the command", WEXITSTATUS(kstatus));
		else
			corral_result_set_error(out, "the command's keeper ended without its status");
		return 1;
	}
	if (WIFEXITED(status))
		corral_result_set_int(out, "exit", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		corral_result_set_int(out, "signal", WTERMSIG(status));
	set_text(out, "stdout", "stdout_base64", obuf, olen);
	if (ocut)
		corral_result_set_bool(out, "stdout_truncated", 1);
	if (elen)
		set_text(out, "stderr", "stderr_base64", ebuf, elen);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	set_failure(out, status, ebuf, elen);
	return 1;
}

const struct handler handler_exec = { "exec", exec_setup, exec_process };
