/* spawn: a worker's fork and exec, for the pool's slots (slot.c) and for
 * `corral replay` alike (spawn.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "supervisor/spawn.h"

#define WRAP_MAX	64	/* words of a wrapper's argv */

/* Closes the descriptors given (-1s skipped), keeping errno. */
static void
close_all(const int *fds, int n)
{
	int e = errno, i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	errno = e;
}

/* In the child, between fork and exec: never returns. */
static void __attribute__((noreturn))
child_side(char *const *argv, int search, unsigned flags, pid_t parent, const int sv[2],
    const int ep[2], const int op[2])
{
	sigset_t none;
	int e = fcntl(ep[1], F_DUPFD_CLOEXEC, IPC_CHILD_FD + 1), err;
	/* Both ends lifted clear of 2 and 3 first, so that placing one
	 * cannot overwrite the other. */
	int sock = fcntl(sv[1], F_DUPFD_CLOEXEC, IPC_CHILD_FD + 1);
	int out = op[1] >= 0 ? fcntl(op[1], F_DUPFD_CLOEXEC, IPC_CHILD_FD + 1) : -1;

	/* No descriptor to spare: the errno goes where it is. */
	if (e < 0)
		e = ep[1];
	/* Its own process group, so a kill takes the handler's subprocesses
	 * too; and it dies with its parent. The getppid() check closes the
	 * race with a parent that died before prctl. */
	if (flags & SPAWN_OWN_GROUP)
		setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	if (sock < 0 || ((flags & SPAWN_ERR_PIPE) && (out < 0 || dup2(out, STDERR_FILENO) < 0)) ||
	    dup2(sock, IPC_CHILD_FD) < 0)
		goto fail;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (search)
		execvp(argv[0], argv);
	else
		execv(argv[0], argv);
fail:
	err = errno;
	if (write(e, &err, sizeof err) < 0)
		_exit(127);
	_exit(127);
}

int
spawn_worker(const char *worker, char *const *wrap, unsigned flags, pid_t parent,
    struct spawned *out, const char **what)
{
	/* The padding is room for the name the child takes once it knows
	 * its job ("corral worker: JOB", what ps shows). */
	static char pad[] = "                                                                ";
	char *argv[WRAP_MAX + 5];
	int sv[2], ep[2], op[2] = { -1, -1 }, n = 0, i;
	pid_t pid;

	if (wrap != NULL)
		for (i = 0; wrap[i] != NULL; i++) {
			if (n == WRAP_MAX) {
				*what = "too many words for the wrapper";
				errno = E2BIG;
				return -1;
			}
			argv[n++] = wrap[i];
		}
	argv[n++] = (char *)worker;
	argv[n++] = "__worker";
	if (flags & SPAWN_TRACED)
		argv[n++] = IPC_TRACED_ARG;
	argv[n++] = pad;
	argv[n] = NULL;
	*what = "socketpair";
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	/* ep: exec's errno; op: the child's stderr, whose read end no other
	 * child inherits (close-on-exec, and never the child's own). */
	*what = "pipe";
	if (pipe2(ep, O_CLOEXEC) < 0) {
		close_all(sv, 2);
		return -1;
	}
	if ((flags & SPAWN_ERR_PIPE) && pipe2(op, O_CLOEXEC) < 0) {
		close_all((int[]){ sv[0], sv[1], ep[0], ep[1] }, 4);
		return -1;
	}
	*what = "fork";
	if ((pid = fork()) < 0) {
		close_all((int[]){ sv[0], sv[1], ep[0], ep[1], op[0], op[1] }, 6);
		return -1;
	}
	if (pid == 0)
		child_side(argv, wrap != NULL, flags, parent, sv, ep, op);
	close_all((int[]){ sv[1], ep[1], op[1] }, 3);
	if (flags & SPAWN_OWN_GROUP)
		setpgid(pid, pid);	/* both sides set it: whoever runs first wins */
	/* The exec-status pipe closes on exec; bytes on it are exec's errno. */
	fcntl(ep[0], F_SETFL, fcntl(ep[0], F_GETFL) | O_NONBLOCK);
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	if (op[0] >= 0)
		fcntl(op[0], F_SETFL, fcntl(op[0], F_GETFL) | O_NONBLOCK);
	out->pid = pid;
	out->sock = sv[0];
	out->execfd = ep[0];
	out->errfd = op[0];
	*what = NULL;
	return 0;
}
