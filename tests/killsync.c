/* killsync.so: an LD_PRELOAD shim for tests/torture that kills a corral
 * supervisor at one of its durable points, as SQLite's crash tests do.
 *
 * A durable point is a call of fsync, fdatasync, msync or sync_file_range,
 * or a write to a descriptor opened O_DSYNC or O_SYNC (LMDB writes its meta
 * page so, after the fdatasync of the transaction's pages). The shim counts
 * them and, at the KILLSYNC_AT-th, sends its own process SIGKILL just
 * before the call or just after it returns (KILLSYNC_WHEN=before|after).
 * KILLSYNC_LOG names a file that gets one line per point: its number, its
 * call, and "killed" on the one the process dies at.
 *
 * Only a supervisor counts: a process whose argv[1] is "run" or "serve".
 * Its workers are exec'd from the same binary and load the shim again, as
 * does every command an exec handler runs; they are left alone. */
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

static int armed;		/* this process is a supervisor */
static long kill_at;		/* 0: count only */
static int kill_after;
static long points;
static int logfd = -1;

static void *
real(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	if (f == NULL)
		abort();
	return f;
}

static ssize_t
raw_write(int fd, const void *buf, size_t n)
{
	static ssize_t (*w)(int, const void *, size_t);

	if (w == NULL)
		w = (ssize_t (*)(int, const void *, size_t))real("write");
	return w(fd, buf, n);
}

__attribute__((constructor)) static void
killsync_init(void)
{
	char cmd[4096], *arg;
	const char *at = getenv("KILLSYNC_AT"), *when = getenv("KILLSYNC_WHEN");
	const char *log = getenv("KILLSYNC_LOG");
	ssize_t n = 0;
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = read(fd, cmd, sizeof cmd - 1);
		close(fd);
	}
	if (n <= 0)
		return;
	cmd[n] = '\0';
	arg = memchr(cmd, '\0', (size_t)n);
	if (arg == NULL || arg + 1 >= cmd + n)
		return;
	arg++;
	if (strcmp(arg, "run") != 0 && strcmp(arg, "serve") != 0)
		return;
	armed = 1;
	kill_at = at ? atol(at) : 0;
	kill_after = when && strcmp(when, "after") == 0;
	if (log && *log)
		logfd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

/* Called around every durable point; `after` says which side of it. */
static void
point(const char *what, int after)
{
	char line[96];
	int n, dies;

	if (!armed)
		return;
	if (!after)
		points++;
	dies = kill_at > 0 && points == kill_at && after == kill_after;
	if (!after || dies) {
		n = snprintf(line, sizeof line, "%ld %s%s\n", points, what,
		    dies ? (after ? " killed after" : " killed before") : "");
		if (logfd >= 0 && n > 0)
			(void)raw_write(logfd, line, (size_t)n);
	}
	if (dies)
		kill(getpid(), SIGKILL);
}

static int
synced_fd(int fd)
{
	int fl;

	return armed && (fl = fcntl(fd, F_GETFL)) >= 0 && (fl & O_DSYNC);
}

int
fsync(int fd)
{
	static int (*f)(int);
	int r;

	if (f == NULL)
		f = (int (*)(int))real("fsync");
	point("fsync", 0);
	r = f(fd);
	point("fsync", 1);
	return r;
}

int
fdatasync(int fd)
{
	static int (*f)(int);
	int r;

	if (f == NULL)
		f = (int (*)(int))real("fdatasync");
	point("fdatasync", 0);
	r = f(fd);
	point("fdatasync", 1);
	return r;
}

int
msync(void *addr, size_t len, int flags)
{
	static int (*f)(void *, size_t, int);
	int r;

	if (f == NULL)
		f = (int (*)(void *, size_t, int))real("msync");
	point("msync", 0);
	r = f(addr, len, flags);
	point("msync", 1);
	return r;
}

int
sync_file_range(int fd, off64_t off, off64_t n, unsigned int flags)
{
	static int (*f)(int, off64_t, off64_t, unsigned int);
	int r;

	if (f == NULL)
		f = (int (*)(int, off64_t, off64_t, unsigned int))real("sync_file_range");
	point("sync_file_range", 0);
	r = f(fd, off, n, flags);
	point("sync_file_range", 1);
	return r;
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	static ssize_t (*f)(int, const void *, size_t, off_t);
	int dsync = synced_fd(fd);
	ssize_t r;

	if (f == NULL)
		f = (ssize_t (*)(int, const void *, size_t, off_t))real("pwrite");
	if (dsync)
		point("pwrite O_DSYNC", 0);
	r = f(fd, buf, n, off);
	if (dsync)
		point("pwrite O_DSYNC", 1);
	return r;
}

ssize_t
pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	return pwrite(fd, buf, n, (off_t)off);
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	int dsync = synced_fd(fd);
	ssize_t r;

	if (dsync)
		point("write O_DSYNC", 0);
	r = raw_write(fd, buf, n);
	if (dsync)
		point("write O_DSYNC", 1);
	return r;
}
