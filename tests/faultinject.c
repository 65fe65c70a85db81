/* faultinject: an LD_PRELOAD library that makes some system calls fail as
 * a host at its limits would, for tests/47-host-faults.t.
 *
 * CORRAL_FAULTS="CALL=ERRNO:COUNT[,...]" fails the first COUNT calls of
 * CALL (open, opendir, fork, posix_spawn, socketpair) with ERRNO (EMFILE,
 * ENFILE, EAGAIN, ENOMEM; or EACCES, the file's own), then lets them through: a limit that lifts.
 * COUNT "always" never lets them through. CORRAL_FAULT_ROLE says in which
 * processes: "supervisor" (the default) or "worker" (argv[1] "__worker",
 * and what they fork); CORRAL_FAULT_UNDER limits open and opendir to paths
 * that start with it. Counts are per process. Each failure is written to
 * stderr as "faultinject: CALL PATH" so a test can wait for it. */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { C_OPEN, C_OPENDIR, C_FORK, C_SPAWN, C_SOCKETPAIR, C__N };

static const char *const names[C__N] = { "open", "opendir", "fork", "posix_spawn", "socketpair" };
static struct { int err; long left; } rule[C__N];	/* left < 0: always */
static int active;
static const char *under;

static void __attribute__((constructor))
setup(void)
{
	const char *spec = getenv("CORRAL_FAULTS"), *role = getenv("CORRAL_FAULT_ROLE");
	char cmd[256] = "", *p, *save = NULL, *copy;
	int worker = 0, fd, i;
	ssize_t n;

	if (spec == NULL)
		return;
	if ((fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, cmd, sizeof cmd - 1);
		close(fd);
		if (n > 0) {
			cmd[n] = '\0';
			p = cmd + strlen(cmd) + 1;
			worker = p < cmd + n && strcmp(p, "__worker") == 0;
		}
	}
	if (worker != (role != NULL && strcmp(role, "worker") == 0))
		return;
	under = getenv("CORRAL_FAULT_UNDER");
	if ((copy = strdup(spec)) == NULL)
		return;
	for (p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(p, '='), *colon = eq ? strchr(eq, ':') : NULL;
		int err;

		if (eq == NULL || colon == NULL)
			continue;
		*eq = *colon = '\0';
		err = strcmp(eq + 1, "EMFILE") == 0 ? EMFILE : strcmp(eq + 1, "ENFILE") == 0 ? ENFILE :
		    strcmp(eq + 1, "EAGAIN") == 0 ? EAGAIN : strcmp(eq + 1, "ENOMEM") == 0 ? ENOMEM :
		    strcmp(eq + 1, "EACCES") == 0 ? EACCES : 0;
		for (i = 0; i < C__N; i++)
			if (strcmp(p, names[i]) == 0 && err != 0) {
				rule[i].err = err;
				rule[i].left = strcmp(colon + 1, "always") == 0 ? -1 : atol(colon + 1);
				active = 1;
			}
	}
	free(copy);
}

/* Whether this call fails; errno set when it does. */
static int
fail(int c, const char *path)
{
	char line[512];
	int len;

	if (!active || rule[c].err == 0 || rule[c].left == 0)
		return 0;
	if (path != NULL && under != NULL && strncmp(path, under, strlen(under)) != 0)
		return 0;
	if (rule[c].left > 0)
		rule[c].left--;
	len = snprintf(line, sizeof line, "faultinject: %s %s\n", names[c], path ? path : "");
	if (len > 0)
		(void)!write(STDERR_FILENO, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
	errno = rule[c].err;
	return 1;
}

/* The real calls, looked up on first use (a worker's sandbox allows that:
 * it is no system call). */
typedef int (*open_fn)(const char *, int, ...);
typedef DIR *(*opendir_fn)(const char *);
typedef pid_t (*fork_fn)(void);
typedef int (*spawn_fn)(pid_t *, const char *, const posix_spawn_file_actions_t *,
    const posix_spawnattr_t *, char *const[], char *const[]);
typedef int (*socketpair_fn)(int, int, int, int[2]);
#define NEXT(name, type)	({ static type f_; if (f_ == NULL) f_ = (type)dlsym(RTLD_NEXT, name); f_; })

/* open's third argument, when its flags say there is one. */
static mode_t
open_mode(int flags, va_list ap)
{
	return flags & (O_CREAT | O_TMPFILE) ? (mode_t)va_arg(ap, int) : 0;
}

int
open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return fail(C_OPEN, path) ? -1 : NEXT("open", open_fn)(path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return fail(C_OPEN, path) ? -1 : NEXT("open64", open_fn)(path, flags, mode);
}

DIR *
opendir(const char *path)
{
	if (fail(C_OPENDIR, path))
		return NULL;
	return NEXT("opendir", opendir_fn)(path);
}

pid_t
fork(void)
{
	if (fail(C_FORK, NULL))
		return -1;
	return NEXT("fork", fork_fn)();
}

int
posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
    const posix_spawnattr_t *at, char *const argv[], char *const envp[])
{
	if (fail(C_SPAWN, NULL))
		return errno;
	return NEXT("posix_spawn", spawn_fn)(pid, path, fa, at, argv, envp);
}

int
socketpair(int domain, int type, int protocol, int sv[2])
{
	if (fail(C_SOCKETPAIR, NULL))
		return -1;
	return NEXT("socketpair", socketpair_fn)(domain, type, protocol, sv);
}
