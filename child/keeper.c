/* keeper: see keeper.h. The keeper is forked per command rather than kept
 * for the child's life: it then needs no protocol of its own (the command's
 * descriptors are simply inherited), and it costs one fork without an exec
 * beside the spawn of sh that the command costs anyway (measured: about a
 * tenth more time for `cat >/dev/null` on small files). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child/keeper.h"

/* How often the keeper lists its children again while it clears them,
 * when no death wakes it first: a child the listing missed (it was being
 * reparented to us just then) waits no longer than this. */
#define KEEPER_TICK_NS	(20 * 1000 * 1000)

/* Starts the command's process: the file on stdin, the pipes on stdout
 * and stderr, nothing else open (all the keeper holds is close-on-exec),
 * no signal blocked. It joins the worker's process group, where a
 * timeout's kill and a stop of the job (Ctrl-Z) reach it as before.
 * posix_spawn rather than fork: glibc's clone shares the keeper's memory
 * until the exec, which spares each file a second copy of the worker's
 * page tables. Returns its pid, or -1 with errno. */
static pid_t
spawn_command(int in, int out, int err, const char *cmd, pid_t group)
{
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)cmd, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none;
	pid_t pid;
	int e;

	sigemptyset(&none);
	if ((e = posix_spawn_file_actions_init(&fa)) != 0) {
		errno = e;
		return -1;
	}
	if ((e = posix_spawnattr_init(&at)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		errno = e;
		return -1;
	}
	if ((e = posix_spawn_file_actions_adddup2(&fa, in, STDIN_FILENO)) == 0 &&
	    (e = posix_spawn_file_actions_adddup2(&fa, out, STDOUT_FILENO)) == 0 &&
	    (e = posix_spawn_file_actions_adddup2(&fa, err, STDERR_FILENO)) == 0 &&
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 34)
	    (e = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) == 0 &&
#endif
	    (e = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK)) == 0 &&
	    (e = posix_spawnattr_setpgroup(&at, group)) == 0 &&
	    (e = posix_spawnattr_setsigmask(&at, &none)) == 0)
		e = posix_spawn(&pid, "/bin/sh", &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	if (e != 0) {
		errno = e;
		return -1;
	}
	return pid;
}

/* Closes every descriptor from 3 up but the n in keep. close_range needs
 * Linux 5.9; before that, walk what is open. */
static void
close_all_but(int *keep, size_t n)
{
	struct dirent *de;
	unsigned lo = 3;
	size_t i, j;
	DIR *d;
	int fd, t;

	for (i = 1; i < n; i++)		/* a handful: insertion sort */
		for (j = i; j > 0 && keep[j - 1] > keep[j]; j--)
			t = keep[j], keep[j] = keep[j - 1], keep[j - 1] = t;
	for (i = 0; i < n; i++) {
		if (keep[i] < (int)lo)
			continue;
		if (keep[i] > (int)lo && close_range(lo, (unsigned)keep[i] - 1, 0) < 0)
			goto walk;
		lo = (unsigned)keep[i] + 1;
	}
	if (close_range(lo, ~0U, 0) == 0)
		return;
walk:
	if ((d = opendir("/proc/self/fd")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		fd = atoi(de->d_name);
		for (i = 0; i < n && keep[i] != fd; i++)
			;
		if (fd >= 3 && i == n && fd != dirfd(d))
			close(fd);
	}
	closedir(d);
}

/* Who has had the grace's SIGTERM already: once each, so that a process
 * busy in its handler is not interrupted by another. */
#define TERMED_MAX	1024
static pid_t termed[TERMED_MAX];
static int ntermed;

static void
signal_one(pid_t pid, int sig)
{
	int i;

	if (sig == SIGTERM) {
		for (i = 0; i < ntermed; i++)
			if (termed[i] == pid)
				return;
		if (ntermed < TERMED_MAX)
			termed[ntermed++] = pid;
	}
	kill(pid, sig);
}

/* sig to each child listed in /proc/self/task/TID/children (Linux 3.5
 * with CONFIG_PROC_CHILDREN). Returns -1 when the listing is not there. */
static int
kill_listed(int sig)
{
	char path[64];
	FILE *f;
	int pid;

	/* The keeper has one thread, whose id is the process's. */
	snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (fscanf(f, "%d", &pid) == 1)
		if (pid > 1)
			signal_one(pid, sig);
	fclose(f);
	return 0;
}

/* sig to each process whose parent is the keeper, found by reading
 * every /proc/PID/stat: for kernels without the children listing. */
static void
kill_scanned(int sig)
{
	char path[64], buf[512], *p;
	struct dirent *de;
	pid_t self = getpid();
	ssize_t n;
	DIR *d;
	int fd, pid, ppid;

	if ((d = opendir("/proc")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if ((pid = atoi(de->d_name)) <= 1)
			continue;
		snprintf(path, sizeof path, "/proc/%d/stat", pid);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		/* "PID (COMM) S PPID ...": COMM may hold anything, ')' too. */
		if ((p = strrchr(buf, ')')) != NULL && sscanf(p + 1, " %*c %d", &ppid) == 1 &&
		    ppid == self)
			signal_one(pid, sig);
	}
	closedir(d);
}

/* Kills and reaps every descendant. Orphans keep being reparented to the
 * keeper as their parents die, a level of the tree at a time, so it lists
 * its children again after each death until it has none. A listed pid is
 * ours until we reap it: no other process can be hit by a reused one. */
static int listing = 1;

/* sig to every child: those listed, or found by a scan. */
static void
signal_children(int sig)
{
	if (!listing || kill_listed(sig) < 0) {
		listing = 0;
		kill_scanned(sig);
	}
}

static void
clear_descendants(const sigset_t *chld)
{
	const struct timespec tick = { 0, KEEPER_TICK_NS };
	pid_t p;

	for (;;) {
		/* Most commands leave nothing: then /proc is not read at all. */
		while ((p = waitpid(-1, NULL, WNOHANG)) > 0)
			;
		if (p < 0 && errno == ECHILD)
			return;
		signal_children(SIGKILL);
		sigtimedwait(chld, NULL, &tick);
	}
}

/* The grace of a timeout: every descendant has had SIGTERM and may end by
 * itself, orphans included (they are SIGTERMed as they become ours); the
 * end of the link (the worker killed when the grace is over) ends it.
 * Returns 1 when none is left, 0 when the link ended first. */
static int
grace(int link, const sigset_t *none)
{
	const struct timespec tick = { 0, KEEPER_TICK_NS };
	struct pollfd pf = { .fd = link, .events = POLLIN };
	char c;
	pid_t p;

	for (;;) {
		while ((p = waitpid(-1, NULL, WNOHANG)) > 0)
			;
		if (p < 0 && errno == ECHILD)
			return 1;
		signal_children(SIGTERM);
		if (ppoll(&pf, 1, &tick, none) > 0 && recv(link, &c, 1, MSG_DONTWAIT) <= 0)
			return 0;
	}
}

/* SIGCHLD only has to interrupt ppoll. */
static void
on_chld(int sig)
{
	(void)sig;
}

/* The keeper's whole life. End of file on link is the worker's death,
 * however it came (a timeout's kill of the worker's group, or the worker's
 * PDEATHSIG when the supervisor is killed): unlike a parent-death signal
 * it cannot be lost to a race, since the link exists before the keeper. */
static void __attribute__((noreturn))
keeper_main(int link, const char *cmd, int in, int out, int err, pid_t group)
{
	int keep[] = { link, in, out, err }, status = 0, have = 0, term = 0;
	ssize_t n;
	char c;
	struct sigaction sa;
	sigset_t chld, none;
	struct pollfd pf;
	pid_t sh, p;

	/* Out of the worker's group, so that a kill of the group spares us. */
	setpgid(0, 0);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	close_all_but(keep, sizeof keep / sizeof keep[0]);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGXCPU, &sa, NULL);	/* the worker's handlers are the worker's */
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_chld;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &none);
	sigdelset(&none, SIGCHLD);

	/* Fails when the worker's group is gone (EPERM): the worker with it. */
	if ((sh = spawn_command(in, out, err, cmd, group)) < 0)
		_exit(errno > 0 && errno < 256 ? errno : EAGAIN);
	close(in);
	close(out);
	close(err);

	pf.fd = link;
	pf.events = POLLIN;
	for (;;) {
		/* Orphans that die before sh are reaped as they go. */
		while ((p = waitpid(-1, &status, WNOHANG)) > 0)
			if (p == sh) {
				have = 1;
				break;
			}
		if (have)
			break;
		if (ppoll(&pf, 1, NULL, &none) <= 0)
			continue;	/* SIGCHLD */
		/* A byte: the worker's timeout began (keeper_term); its
		 * SIGTERM goes to the descendants that left the group too.
		 * The end: the worker is gone. */
		n = recv(link, &c, 1, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			break;
		if (n == 1) {
			term = 1;
			signal_children(SIGTERM);
		}
	}
	if (have)
		(void)!send(link, &status, sizeof status, MSG_NOSIGNAL);
	/* sh killed by SIGTERM is the group's SIGTERM too: the worker's word
	 * of it may still be on its way. */
	if (have && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)
		term = 1;
	if (!term && recv(link, &c, 1, MSG_DONTWAIT) == 1)
		term = 1;
	if (term)
		signal_children(SIGTERM);
	if (!term || !grace(link, &none))
		clear_descendants(&chld);
	_exit(0);
}

int
keeper_start(const char *cmd, int in, int out, int err, pid_t *pid)
{
	pid_t group = getpgrp();
	int sv[2], e;

	/* SEQPACKET: the status arrives whole, and a close reads as the end. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	if ((*pid = fork()) == 0) {
		close(sv[0]);
		keeper_main(sv[1], cmd, in, out, err, group);
	}
	e = errno;
	close(sv[1]);
	if (*pid < 0) {
		close(sv[0]);
		errno = e;
		return -1;
	}
	/* Both sides set it: a kill of our group must not find the keeper
	 * still in it because it has not run yet. */
	setpgid(*pid, *pid);
	return sv[0];
}

void
keeper_term(int link)
{
	(void)!send(link, "T", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
}

int
keeper_read(int link, int *status)
{
	ssize_t n;

	do
		n = recv(link, status, sizeof *status, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof *status) {
		errno = EPROTO;
		return -1;
	}
	return 1;
}
