/* Unit tests of child/sandbox.c. Each attempt runs in a child of its own
 * that enters the sandbox with one end of a socketpair as its socket:
 * opening a path, creating a file, socket(), execve, fork, ptrace, kill of
 * the parent, io_uring each die by SIGSYS after one FATAL frame naming the
 * syscall (decoded with ipc_decode); ignoring SIGSYS changes nothing; a
 * descriptor with its high bits set is no way around the filter. Work
 * on what the child was given still runs: reading a passed descriptor,
 * a big malloc, mmap, exit with its handlers, abort (by SIGABRT, no frame). RLIMIT_AS makes a
 * malloc past the limit fail without a crash; RLIMIT_FSIZE makes a write
 * to a file fail; extraction may create files beneath a directory
 * descriptor and nowhere else, and the extractor runs whole inside (as
 * root, after the user change, only into a directory that user owns); the exec handler keeps fork and exec; the
 * user change as root. Walls the kernel lacks are skipped and named. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/seccomp.h>

#include <archive.h>

#include "child/extract.h"
#include "child/sandbox.h"
#include "ipc/ipc.h"
#include "tests/tap.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif
#ifndef ASAN
#define ASAN 0
#endif

#define ENTER_FAILED 90		/* the child could not enter the sandbox */

/* What one attempt ended in. */
struct outcome {
	int status;		/* from waitpid */
	int frames;		/* whole frames the child sent */
	int fatal;		/* the last one decoded as a FATAL */
	char error[256];	/* its error text */
};

static struct job_opts opts;
static int is_exec;
static int data_fd = -1;	/* a file the attempts read */
static int root_fd = -1;	/* with extract: where Landlock lets writes go */
static char tmpdir[64];

/* Runs fn in a sandboxed child; its exit status is fn's return. */
static void
attempt(int (*fn)(void), struct outcome *out)
{
	uint8_t buf[4096];
	size_t len = 0, off = 0;
	ssize_t n;
	char err[512];
	int sv[2];
	pid_t pid;

	memset(out, 0, sizeof *out);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("socketpair");
		exit(2);
	}
	fflush(stdout);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		sandbox_early();
		if (sandbox_enter(&opts, is_exec, sv[1], root_fd, err, sizeof err) < 0) {
			fprintf(stderr, "%s\n", err);
			_exit(ENTER_FAILED);
		}
		_exit(fn());
	}
	close(sv[1]);
	while (len < sizeof buf && (n = read(sv[0], buf + len, sizeof buf - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		len += (size_t)n;
	}
	close(sv[0]);
	while (waitpid(pid, &out->status, 0) < 0 && errno == EINTR)
		;
	while (len - off >= IPC_HDR) {
		size_t blen = (size_t)buf[off] << 24 | (size_t)buf[off + 1] << 16 |
		    (size_t)buf[off + 2] << 8 | buf[off + 3];
		struct ipc_msg m;
		const char *why;

		if (blen > len - off - IPC_HDR)
			break;
		out->frames++;
		out->fatal = ipc_decode(buf + off + IPC_HDR, blen, &m, &why) == 0 &&
		    m.type == IPC_FATAL;
		if (out->fatal)
			snprintf(out->error, sizeof out->error, "%.*s", (int)m.error_len, m.error);
		off += IPC_HDR + blen;
	}
}

static int
sigsys_named(const struct outcome *o, const char *want)
{
	return WIFSIGNALED(o->status) && WTERMSIG(o->status) == SIGSYS && o->frames == 1 &&
	    o->fatal && strcmp(o->error, want) == 0;
}

static void
explain(const struct outcome *o)
{
	if (WIFSIGNALED(o->status))
		printf("#   killed by signal %d", WTERMSIG(o->status));
	else
		printf("#   exited %d", WEXITSTATUS(o->status));
	printf(", %d frame(s), fatal %d, error '%s'\n", o->frames, o->fatal, o->error);
}

#define expect_sigsys(fn, name) do {                                           \
	struct outcome o_;                                                     \
	attempt(fn, &o_);                                                      \
	ok(sigsys_named(&o_, "sandbox: " name), #fn ": SIGSYS, FATAL 'sandbox: " name "'"); \
	if (!sigsys_named(&o_, "sandbox: " name))                             \
		explain(&o_);                                                  \
} while (0)

#define expect_exit(fn, code, what) do {                                      \
	struct outcome o_;                                                     \
	attempt(fn, &o_);                                                      \
	ok(WIFEXITED(o_.status) && WEXITSTATUS(o_.status) == (code) && o_.frames == 0, \
	    #fn ": %s", what);                                                 \
	if (!(WIFEXITED(o_.status) && WEXITSTATUS(o_.status) == (code) && o_.frames == 0)) \
		explain(&o_);                                                  \
} while (0)

/* --- attempts: each returns the child's exit status ------------------ */

static int open_path(void) { return open("/etc/passwd", O_RDONLY) >= 0 ? 0 : 3; }
static int create_file(void)
{
	char p[128];

	snprintf(p, sizeof p, "%s/created", tmpdir);
	return open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644) >= 0 ? 0 : 3;
}
static int make_socket(void) { return socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 0 : 3; }
static int do_execve(void)
{
	char *argv[] = { "true", NULL }, *envp[] = { NULL };

	execve("/bin/true", argv, envp);
	return 3;
}
static int do_fork(void)
{
	pid_t p = fork();

	if (p == 0)
		_exit(0);
	return p > 0 ? 0 : 3;
}
static int do_ptrace(void) { return ptrace(PTRACE_ATTACH, getppid(), NULL, NULL) == 0 ? 0 : 3; }
static int kill_parent(void) { return kill(getppid(), 0) == 0 ? 0 : 3; }
static int io_uring(void) { return syscall(SYS_io_uring_setup, 1, NULL) >= 0 ? 0 : 3; }
static int ignore_sigsys(void)
{
	signal(SIGSYS, SIG_IGN);
	return make_socket();
}
/* Extraction's openat wants a directory descriptor: AT_FDCWD with the
 * bits above the int clear is still AT_FDCWD to the kernel. */
static int high_bits_cwd(void)
{
	char p[128];

	snprintf(p, sizeof p, "%s/escaped", tmpdir);
	return syscall(SYS_openat, (long)(unsigned)AT_FDCWD, p, O_WRONLY | O_CREAT, 0644) >= 0 ? 0 : 3;
}

static int
allowed_work(void)
{
	char buf[64];
	struct stat sb;
	char *big, *map;
	size_t i;

	if (lseek(data_fd, 0, SEEK_SET) != 0 || read(data_fd, buf, 6) != 6 ||
	    memcmp(buf, "corral", 6) != 0)
		return 10;
	if (pread(data_fd, buf, 3, 1) != 3 || memcmp(buf, "orr", 3) != 0)
		return 11;
	if (fstat(data_fd, &sb) < 0 || sb.st_size != 7)
		return 12;
	if ((map = mmap(NULL, 7, PROT_READ, MAP_PRIVATE, data_fd, 0)) == MAP_FAILED ||
	    map[0] != 'c' || munmap(map, 7) < 0)
		return 13;
	if ((big = malloc(64u << 20)) == NULL)
		return 14;
	for (i = 0; i < 64u << 20; i += 4096)
		big[i] = 1;
	free(big);
	if ((map = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0)) == MAP_FAILED)
		return 15;
	map[12345] = 1;
	munmap(map, 1 << 20);
	if (write(STDERR_FILENO, "", 0) < 0)
		return 16;
	time(NULL);
	return 0;
}

static int do_abort(void) { abort(); }
/* exit(), not _exit: what runs at exit (the leak checker of a sanitizer
 * build, OpenSSL's clean-up) runs inside the walls. */
static int do_exit(void) { exit(0); }
/* A sanitizer build's leak check finds a leak made inside the walls. */
static int
leak_and_exit(void)
{
	static volatile char *lost;

	lost = malloc(100);
	lost[0] = 1;
	lost = NULL;
	exit(0);
}

/* A malloc past RLIMIT_AS fails and the child goes on. */
static int
past_memory(void)
{
	char *p = malloc(512u << 20);

	if (p != NULL)
		return 4;
	p = malloc(1 << 20);
	free(p);
	return p != NULL ? 0 : 5;
}

static int write_fd = -1;	/* a regular file at fd 1 in the child */

static int
write_file(void)
{
	signal(SIGPIPE, SIG_DFL);
	if (write(STDOUT_FILENO, "x", 1) == 1)
		return 0;
	return errno == EFBIG ? 6 : 7;
}

static int dir_fd = -1;

static int
extract_create(void)
{
	int fd = openat(dir_fd, "out.txt", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);

	if (fd < 0 || write(fd, "data", 4) != 4 || close(fd) < 0)
		return 20;
	if (mkdirat(dir_fd, "sub", 0755) < 0)
		return 21;
	return 0;
}
/* The extractor itself, inside the walls: every call it makes passes. */
static int archive_fd = -1;

static int
extract_whole(void)
{
	struct extract_stats st;
	struct archive *a = archive_read_new();
	char err[256];
	int r;

	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	if (lseek(archive_fd, 0, SEEK_SET) != 0 ||
	    archive_read_open_fd(a, archive_fd, 65536) != ARCHIVE_OK)
		return 30;
	r = extract_archive(a, dir_fd, &opts.limits, &st, err, sizeof err);
	archive_read_free(a);
	if (r < 0) {
		printf("#   extract_archive: %s\n", err);
		fflush(stdout);
	}
	return r < 0 ? 31 : st.files == 3 && st.symlinks == 1 ? 0 : 32;
}

/* A compromised child naming a path out of its directory. */
static int
extract_escape(void)
{
	int fd = openat(dir_fd, "../escaped", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);

	return fd >= 0 ? 0 : errno == EACCES ? 3 : 4;
}

static int extract_setuid(void) { return openat(dir_fd, "suid", O_WRONLY | O_CREAT, 04755) >= 0 ? 0 : 3; }
static int extract_read_back(void) { return openat(dir_fd, "out.txt", O_RDONLY) >= 0 ? 0 : 3; }

static int
exec_child(void)
{
	int status;
	pid_t p = fork();

	if (p == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	if (p < 0 || waitpid(p, &status, 0) < 0)
		return 3;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 4;
}

static int
dropped(void)
{
	return getuid() == 65534 && geteuid() == 65534 && getgid() == 65534 ? 0 : 3;
}

/* --- the walls -------------------------------------------------------- */

static int
has_seccomp(void)
{
	uint32_t trap = SECCOMP_RET_TRAP;

	return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &trap) == 0;
}

static void
skip(int n, const char *why)
{
	while (n-- > 0) {
		printf("ok %d # SKIP %s\n", ++tap_n, why);
	}
}

int
main(void)
{
	char walls[1024], path[128], cmd[512], *nl, *p;
	struct outcome o;

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(tmpdir, sizeof tmpdir, "/tmp/corral-sandbox.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(path, sizeof path, "%s/data", tmpdir);
	if ((data_fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 ||
	    write(data_fd, "corral\n", 7) != 7)
		return 2;

	sandbox_walls(walls, sizeof walls);
	ok(strstr(walls, "seccomp: ") != NULL && strstr(walls, "landlock: ") != NULL &&
	    strstr(walls, "user: ") != NULL, "sandbox_walls names each wall");
	for (p = walls; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
		printf("# %.*s\n", (int)(nl - p), p);

	job_opts_default(&opts);
	if (!has_seccomp()) {
		skip(13, "this kernel has no seccomp filter mode");
	} else {
		if (ASAN)
			skip(1, "sanitizer build: read-only opens of paths are let through "
			    "(the leak check and reports read /proc and the binaries)");
		else
			expect_sigsys(open_path, "openat");
		expect_sigsys(create_file, "openat");
		expect_sigsys(make_socket, "socket");
		expect_sigsys(do_execve, "execve");
		expect_sigsys(do_fork, "clone");
		expect_sigsys(do_ptrace, "ptrace");
		expect_sigsys(kill_parent, "kill");
		expect_sigsys(io_uring, "io_uring_setup");
		attempt(ignore_sigsys, &o);
		ok(WIFSIGNALED(o.status) && WTERMSIG(o.status) == SIGSYS && o.frames == 0,
		    "a child that ignores SIGSYS still dies by it (no report)");
		expect_exit(allowed_work, 0, "reading the passed descriptor, fstat, mmap, a 64 MiB malloc");
		expect_exit(do_exit, 0, "exit() and what runs at exit");
		if (ASAN) {
			/* The report itself would read as a leak in the suite's log. */
			int saved = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY);

			dup2(null, STDERR_FILENO);
			close(null);
			attempt(leak_and_exit, &o);
			dup2(saved, STDERR_FILENO);
			close(saved);
			ok(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 1 && o.frames == 0,
			    "sanitizer build: a leak made inside the walls is found at exit (status 1)");
		} else
			skip(1, "not a sanitizer build: no leak check at exit");
		attempt(do_abort, &o);
		ok(WIFSIGNALED(o.status) && WTERMSIG(o.status) == SIGABRT && o.frames == 0,
		    "abort: dies by SIGABRT, no report");
	}

	/* RLIMIT_AS */
	if (ASAN) {
		skip(1, "sanitizer build: RLIMIT_AS is not set (the shadow memory needs terabytes of address space)");
	} else {
		opts.sandbox.memory_limit = 256u << 20;
		expect_exit(past_memory, 0, "a malloc past RLIMIT_AS (256 MiB) fails, the child goes on");
		opts.sandbox.memory_limit = SANDBOX_MEMORY;
	}

	/* RLIMIT_FSIZE: a regular file as stdout. */
	snprintf(path, sizeof path, "%s/out", tmpdir);
	if ((write_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		return 2;
	fflush(stdout);
	{
		int saved = dup(STDOUT_FILENO);

		dup2(write_fd, STDOUT_FILENO);
		attempt(write_file, &o);
		dup2(saved, STDOUT_FILENO);
		close(saved);
	}
	if (ASAN)
		skip(1, "sanitizer build: RLIMIT_FSIZE is not set (reports must reach a file stderr)");
	else
		ok(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 6,
		    "a write to a file at stdout fails with EFBIG (RLIMIT_FSIZE 0), no SIGXFSZ");

	/* Extraction: beneath a directory descriptor only. */
	snprintf(path, sizeof path, "%s/x", tmpdir);
	mkdir(path, 0700);
	if ((dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 2;
	opts.extract = 1;
	root_fd = dir_fd;
	if (!has_seccomp()) {
		skip(9, "this kernel has no seccomp filter mode");
	} else {
		expect_exit(extract_create, 0, "extract: create, write, mkdir beneath the directory");
		snprintf(cmd, sizeof cmd, "cd '%s' && mkdir -p src/d/e && echo one > src/d/a && "
		    "echo two > src/d/e/b && ln -s a src/d/l && ln src/d/a src/d/h && "
		    "bsdtar -C src -czf t.tgz d", tmpdir);
		if (system(cmd) != 0) {
			skip(2, "bsdtar could not make the test archive");
		} else {
			snprintf(path, sizeof path, "%s/t.tgz", tmpdir);
			archive_fd = open(path, O_RDONLY | O_CLOEXEC);
			expect_exit(extract_whole, 0, "extract: the extractor's whole archive inside the walls");
			snprintf(path, sizeof path, "%s/x/d/e/b", tmpdir);
			ok(access(path, F_OK) == 0, "extract: its files are there");
		}
		expect_sigsys(create_file, "openat");
		expect_sigsys(extract_setuid, "openat");
		expect_sigsys(high_bits_cwd, "openat");
		if (!strstr(walls, "landlock: ABI")) {
			skip(3, "no Landlock: reading back by path and ../ are not refused");
		} else {
			if (ASAN)
				skip(1, "sanitizer build: Landlock lets the sanitizer read by path");
			else
				expect_exit(extract_read_back, 3,
				    "extract: reading a file by path is refused (Landlock)");
			expect_exit(extract_escape, 3, "extract: creating ../escaped is refused (Landlock: EACCES)");
			snprintf(path, sizeof path, "%s/escaped", tmpdir);
			ok(access(path, F_OK) != 0, "extract: ... and nothing is there");
		}
	}

	/* Started as root, the child extracts as the user it becomes: into a
	 * directory that user owns, not into root's. */
	if (geteuid() != 0 || !has_seccomp() || archive_fd < 0) {
		skip(2, "not root, no seccomp or no test archive: no user change to extract as");
	} else {
		opts.sandbox.drop = 1;
		opts.sandbox.uid = opts.sandbox.gid = 65534;
		root_fd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		snprintf(path, sizeof path, "%s/mine", tmpdir);
		mkdir(path, 0755);
		if (chown(path, 65534, 65534) < 0)
			return 2;
		close(dir_fd);
		dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		expect_exit(extract_whole, 0, "extract as uid 65534: into a directory it owns");
		snprintf(path, sizeof path, "%s/roots", tmpdir);
		mkdir(path, 0755);
		close(dir_fd);
		dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		expect_exit(extract_whole, 31, "extract as uid 65534: not into root's (the supervisor must hand it one it owns)");
		opts.sandbox.drop = 0;
		close(root_fd);
	}
	root_fd = -1;
	opts.extract = 0;

	/* exec keeps fork and exec. */
	is_exec = 1;
	expect_exit(exec_child, 0, "exec handler: fork and execve still work");
	is_exec = 0;

	/* The user change. */
	if (geteuid() != 0) {
		skip(1, "not root: no user change to test");
	} else {
		opts.sandbox.drop = 1;
		opts.sandbox.uid = opts.sandbox.gid = 65534;
		expect_exit(dropped, 0, "as root with drop: uid and gid 65534 for good");
		opts.sandbox.drop = 0;
	}

	/* --no-sandbox */
	opts.sandbox.enabled = 0;
	expect_exit(do_fork, 0, "--no-sandbox: fork is not refused");
	opts.sandbox.enabled = 1;

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# unable to remove %s\n", tmpdir);
	return done_testing();
}
