/* sandbox: a child's walls, put up in the order that lets each one go in.
 * Early: no core, not dumpable, no_new_privs. At the job's start, after the
 * handler's set-up: what libraries would load later is loaded now, then the
 * resource limits, namespaces and the user change (root only), Landlock,
 * and last the seccomp filter, since everything before needs syscalls it
 * refuses. A refused syscall traps into on_sigsys, which reports it to the
 * supervisor and dies by SIGSYS. */
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <langinfo.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <seccomp.h>

#include "child/sandbox.h"
#include "ipc/ipc.h"

/* Sanitizer builds: AddressSanitizer reserves terabytes of address space,
 * and its leak check at exit and its reports need more than the handlers
 * do (see sanitizer_allow). */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN 1
#endif
#endif
#ifndef SANDBOX_ASAN
#define SANDBOX_ASAN 0
#endif

#ifndef SYS_SECCOMP
#define SYS_SECCOMP	1	/* si_code of a SIGSYS from a seccomp filter */
#endif

#define NOFILE_MAX	IPC_CHILD_NOFILE
#define SYSCALL_NAMES	512	/* x86_64 numbers in use end near 462 */
#define ALTSTACK	(64 * 1024)

/* Landlock's rights by the ABI that brought them, past what older
 * <linux/landlock.h> defines. */
#define LL_FS_ABI1		((1ULL << 13) - 1)	/* EXECUTE .. MAKE_SYM */
#define LL_FS_REFER		(1ULL << 13)		/* ABI 2 */
#define LL_FS_TRUNCATE		(1ULL << 14)		/* ABI 3 */
#define LL_FS_IOCTL_DEV		(1ULL << 15)		/* ABI 5 */
#define LL_NET_ALL		((1ULL << 0) | (1ULL << 1))	/* ABI 4: bind, connect TCP */
#define LL_SCOPE_ALL		((1ULL << 0) | (1ULL << 1))	/* ABI 6: abstract unix, signal */

struct ll_ruleset_attr {	/* struct landlock_ruleset_attr, ABI 6 */
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

/* What the SIGSYS handler reads: set before the filter goes in, never
 * after. */
static int trap_sock = -1;
static pid_t trap_pid;
static char *syscall_names[SYSCALL_NAMES];

/* The CPU budget of one task (sandbox_task_begin). */
static rlim_t cpu_budget;
static volatile sig_atomic_t cpu_armed_by_task;

/* The walls up, so a second job on this child can be told apart. */
static struct {
	int entered;
	int is_exec, extract, drop;
	uint32_t uid, gid;
} state;

/* Whether the child stays dumpable (replay --gdb). */
static int dumpable;

void
sandbox_allow_tracing(void)
{
	dumpable = 1;
}

void
sandbox_early(void)
{
	struct rlimit none = { 0, 0 };

	setrlimit(RLIMIT_CORE, &none);
	prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/* --- the report of a refused syscall --------------------------------- */

/* "sandbox: NAME" (or "sandbox: syscall NR") into text, signal-safely.
 * Returns its length. */
static size_t
refused(char *text, size_t cap, long nr)
{
	char num[32], *s = num + sizeof num;
	const char *name;
	size_t nlen, at = 9;
	unsigned long u = nr < 0 ? 0 : (unsigned long)nr;

	if (nr >= 0 && nr < SYSCALL_NAMES && syscall_names[nr] != NULL) {
		name = syscall_names[nr];
	} else {
		do
			*--s = (char)('0' + u % 10);
		while ((u /= 10) != 0);
		s -= 8;
		memcpy(s, "syscall ", 8);
		name = s;
	}
	nlen = strlen(name);
	if (nlen > cap - at)
		nlen = cap - at;
	memcpy(text, "sandbox: ", at);
	memcpy(text + at, name, nlen);
	return at + nlen;
}

/* SIGSYS from the filter: one send on the socket, then death by the same
 * signal, as if no handler were there. Async-signal-safe throughout. */
static void
on_sigsys(int sig, siginfo_t *si, void *uc)
{
	struct sigaction dfl;
	sigset_t unblock;
	uint8_t frame[IPC_FATAL_FRAME_MAX];
	char text[IPC_FATAL_TEXT_MAX];
	size_t n;

	(void)uc;
	if (si->si_code == SYS_SECCOMP && trap_sock >= 0) {
		n = refused(text, sizeof text, (long)si->si_syscall);
		n = ipc_fatal_frame(frame, sizeof frame, text, n);
		(void)!send(trap_sock, frame, n, MSG_NOSIGNAL);
	}
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigaction(sig, &dfl, NULL);
	sigemptyset(&unblock);
	sigaddset(&unblock, sig);
	sigprocmask(SIG_UNBLOCK, &unblock, NULL);
	syscall(SYS_tgkill, trap_pid, (pid_t)syscall(SYS_gettid), sig);
	_exit(128 + sig);
}

/* SIGXCPU: the soft CPU limit was reached. A task that began since it was
 * armed has spent its whole budget: die as the default action would. If no
 * task ever re-armed it, it is the child's life that reached it: re-arm. */
static void
on_sigxcpu(int sig, siginfo_t *si, void *uc)
{
	struct rusage ru;
	struct rlimit rl;
	struct sigaction dfl;

	(void)si, (void)uc;
	if (!cpu_armed_by_task && getrusage(RUSAGE_SELF, &ru) == 0) {
		rl.rlim_cur = (rlim_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + cpu_budget;
		rl.rlim_max = RLIM_INFINITY;
		if (syscall(SYS_prlimit64, 0, RLIMIT_CPU, &rl, NULL) == 0)
			return;
	}
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigaction(sig, &dfl, NULL);
	syscall(SYS_tgkill, trap_pid, (pid_t)syscall(SYS_gettid), sig);
}

void
sandbox_task_begin(void)
{
	static struct timespec armed;
	struct timespec now;
	struct rusage ru;
	struct rlimit rl;

	/* A single thread spends no more CPU than the time that passes: while
	 * less than a second has passed since the limit was armed, at least
	 * the budget less a second is left, which is still above the timeout
	 * (cpu_s is the timeout plus two). So most tasks read only the clock. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (cpu_armed_by_task && now.tv_sec - armed.tv_sec < 1)
		return;
	armed = now;
	if (cpu_budget == 0 || getrusage(RUSAGE_SELF, &ru) < 0)
		return;
	rl.rlim_cur = (rlim_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + cpu_budget;
	rl.rlim_max = RLIM_INFINITY;
	if (syscall(SYS_prlimit64, 0, RLIMIT_CPU, &rl, NULL) == 0)
		cpu_armed_by_task = 1;
}

/* --- before the walls: what would otherwise load later --------------- */

/* Libraries that open files on first use would do it mid-task, inside the
 * walls: the time zone (glibc stats it on every mktime while TZ is unset),
 * iconv's modules (libarchive's names in UTF-16, CP932, ...) and OpenSSL's
 * configuration. Load them now and keep them loaded. */
static void
preload(void)
{
	static const char *const charsets[] = {
		"UTF-16LE", "UTF-16BE", "UTF-8", "CP932", "SJIS", "CP437",
	};
	static iconv_t pinned[sizeof charsets / sizeof charsets[0]];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	size_t i;

	if (getenv("TZ") == NULL)
		setenv("TZ", ":/etc/localtime", 1);
	tzset();
	for (i = 0; i < sizeof charsets / sizeof charsets[0]; i++)
		if (pinned[i] == NULL || pinned[i] == (iconv_t)-1)
			pinned[i] = iconv_open(nl_langinfo(CODESET), charsets[i]);
	OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL);
	EVP_Digest("", 0, md, &mdlen, EVP_sha256(), NULL);
}

/* --- limits, namespaces, user ----------------------------------------- */

static int
limit(int resource, rlim_t soft, rlim_t hard, const char *name, char *err, size_t errlen)
{
	struct rlimit rl = { soft, hard };

	if (setrlimit(resource, &rl) == 0)
		return 0;
	snprintf(err, errlen, "sandbox: unable to set %s: %s", name, strerror(errno));
	return -1;
}

static int
limits(const struct job_opts *o, int is_exec, char *err, size_t errlen)
{
	const struct sandbox_opts *sb = &o->sandbox;
	struct sigaction sa;

	if (sb->memory_limit != 0 && !SANDBOX_ASAN &&
	    limit(RLIMIT_AS, sb->memory_limit, sb->memory_limit, "RLIMIT_AS", err, errlen) < 0)
		return -1;
	if (sb->cpu_s != 0) {
		/* Per task, re-armed by sandbox_task_begin; the hard limit
		 * stays open so that it can be. An exec command inherits the
		 * soft limit with a fresh count of its own. */
		cpu_budget = sb->cpu_s;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = on_sigxcpu;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
		sigaction(SIGXCPU, &sa, NULL);
		sandbox_task_begin();
		cpu_armed_by_task = 0;
	}
	/* A command run by exec keeps the descriptors and file sizes it
	 * needs: the user's command is not the hostile file's parser. */
	if (is_exec)
		return 0;
	/* A write past the limit fails with EFBIG instead of killing. */
	if (!o->extract && !SANDBOX_ASAN) {
		signal(SIGXFSZ, SIG_IGN);
		if (limit(RLIMIT_FSIZE, 0, 0, "RLIMIT_FSIZE", err, errlen) < 0)
			return -1;
	}
	/* A host whose hard limit is lower keeps it: a limit is never
	 * raised (the supervisor's queues fit it, ipc.h). */
	{
		struct rlimit now;
		rlim_t n = NOFILE_MAX;

		if (getrlimit(RLIMIT_NOFILE, &now) == 0 && now.rlim_max < n)
			n = now.rlim_max;
		return limit(RLIMIT_NOFILE, n, n, "RLIMIT_NOFILE", err, errlen);
	}
}

/* Root only: a network, IPC and mount namespace of the child's own, each
 * where the kernel allows it. Returns the walls that came up. */
static int
namespaces(void)
{
	static const int flags[] = { CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWNS };
	size_t i;
	int up = 0;

	for (i = 0; i < sizeof flags / sizeof flags[0]; i++)
		if (unshare(flags[i]) == 0)
			up |= flags[i];
	return up;
}

/* Root only: become uid/gid for good. A credential change clears the
 * parent-death signal and may make the process dumpable: both are put
 * back, and a parent that died in between is noticed. */
static int
drop_user(uint32_t uid, uint32_t gid, char *err, size_t errlen)
{
	int pdeath = 0;
	pid_t parent = getppid();

	prctl(PR_GET_PDEATHSIG, &pdeath, 0, 0, 0);
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0) {
		snprintf(err, errlen, "sandbox: unable to become uid %u gid %u: %s",
		    (unsigned)uid, (unsigned)gid, strerror(errno));
		return -1;
	}
	if (getuid() != uid || geteuid() != uid || getgid() != gid || setuid(0) == 0) {
		snprintf(err, errlen, "sandbox: still privileged after becoming uid %u",
		    (unsigned)uid);
		return -1;
	}
	prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0);
	if (pdeath != 0) {
		prctl(PR_SET_PDEATHSIG, pdeath, 0, 0, 0);
		if (getppid() != parent)
			_exit(0);
	}
	return 0;
}

/* --- Landlock --------------------------------------------------------- */

static int
landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return abi < 0 ? -errno : (int)abi;
}

/* The filesystem rights this ABI knows. */
static uint64_t
landlock_fs_all(int abi)
{
	uint64_t fs = LL_FS_ABI1;

	if (abi >= 2)
		fs |= LL_FS_REFER;
	if (abi >= 3)
		fs |= LL_FS_TRUNCATE;
	if (abi >= 5)
		fs |= LL_FS_IOCTL_DEV;
	return fs;
}

/* No filesystem access by path at all. With extraction, writes beneath
 * root (the job's directory under --extract, which every task's directory
 * lies in): making and removing files, directories and symlinks, writing,
 * truncating and moving names between its directories (hardlinks), and
 * listing them; nothing else anywhere. Without a root, only what
 * extraction never needs is refused: reading and executing files by path,
 * and device, socket and FIFO nodes. Also no TCP, no abstract sockets, no
 * signals out of the domain where the ABI has them. Returns the ABI used,
 * 0 when Landlock is absent, or -1. */
static int
landlock(int extract, int root, char *err, size_t errlen)
{
	struct ll_ruleset_attr attr;
	struct landlock_path_beneath_attr rule;
	size_t size = sizeof attr.handled_access_fs;
	int abi = landlock_abi(), fd;

	if (abi == -ENOSYS || abi == -EOPNOTSUPP)
		return 0;
	if (abi < 0) {
		snprintf(err, errlen, "sandbox: Landlock: %s", strerror(-abi));
		return -1;
	}
	memset(&attr, 0, sizeof attr);
	attr.handled_access_fs = landlock_fs_all(abi);
	if (extract && root < 0)
		attr.handled_access_fs &= LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE |
		    LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
		    LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | LL_FS_IOCTL_DEV;
	if (abi >= 4) {
		attr.handled_access_net = LL_NET_ALL;
		size = offsetof(struct ll_ruleset_attr, scoped);
	}
	if (abi >= 6) {
		attr.scoped = LL_SCOPE_ALL;
		size = sizeof attr;
	}
	if ((fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0)) < 0) {
		snprintf(err, errlen, "sandbox: Landlock ruleset: %s", strerror(errno));
		return -1;
	}
	if (extract && root >= 0) {
		memset(&rule, 0, sizeof rule);
		rule.parent_fd = root;
		rule.allowed_access = attr.handled_access_fs & (LANDLOCK_ACCESS_FS_WRITE_FILE |
		    LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_DIR |
		    LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR |
		    LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SYM | LL_FS_REFER |
		    LL_FS_TRUNCATE);
		if (syscall(SYS_landlock_add_rule, fd, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) < 0) {
			snprintf(err, errlen, "sandbox: Landlock rule for the extraction directory: %s",
			    strerror(errno));
			close(fd);
			return -1;
		}
	}
	if (SANDBOX_ASAN) {
		/* The sanitizer reads /proc and the binaries for its leak
		 * check and its reports. */
		memset(&rule, 0, sizeof rule);
		rule.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
		if ((rule.parent_fd = open("/", O_PATH | O_CLOEXEC)) >= 0) {
			syscall(SYS_landlock_add_rule, fd, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
			close(rule.parent_fd);
		}
	}
	if (syscall(SYS_landlock_restrict_self, fd, 0) < 0) {
		snprintf(err, errlen, "sandbox: Landlock: %s", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return abi;
}

/* --- seccomp ----------------------------------------------------------- */

/* Syscalls the handlers make on what they were given: the file's
 * descriptor, memory, time, signals to themselves, the socket. Found by
 * tracing the archive, sha256 and plugin handlers over a corpus; see
 * docs/threat-model.md for each group. */
static const int allowed[] = {
	SCMP_SYS(read), SCMP_SYS(pread64), SCMP_SYS(readv), SCMP_SYS(preadv), SCMP_SYS(preadv2),
	SCMP_SYS(lseek), SCMP_SYS(fstat), SCMP_SYS(close), SCMP_SYS(dup), SCMP_SYS(dup2),
	SCMP_SYS(dup3),
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect),
	SCMP_SYS(madvise),
	SCMP_SYS(futex), SCMP_SYS(sched_yield), SCMP_SYS(getrandom),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep), SCMP_SYS(pause),
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(sigaltstack),
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getppid), SCMP_SYS(getuid),
	SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid), SCMP_SYS(getrusage),
	SCMP_SYS(getrlimit), SCMP_SYS(uname), SCMP_SYS(sysinfo),
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(restart_syscall),
};

/* With extraction: creating and writing beneath a directory descriptor. */
static const int extract_at0[] = {	/* the directory descriptor is argument 0 */
	SCMP_SYS(mkdirat), SCMP_SYS(unlinkat), SCMP_SYS(fchmodat), SCMP_SYS(utimensat),
	SCMP_SYS(readlinkat), SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(faccessat),
	SCMP_SYS(faccessat2),
};
static const int extract_any[] = {	/* on descriptors already open */
	SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(pwrite64), SCMP_SYS(pwritev),
	SCMP_SYS(ftruncate), SCMP_SYS(fallocate), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
	SCMP_SYS(getdents64),
};

/* Argument n equals v; argument n masked with m equals v. */
#define ARG_EQ(n, v)		((struct scmp_arg_cmp){ (n), SCMP_CMP_EQ, (scmp_datum_t)(v), 0 })
#define ARG_MASKED(n, m, v)	((struct scmp_arg_cmp){ (n), SCMP_CMP_MASKED_EQ, \
				    (scmp_datum_t)(m), (scmp_datum_t)(v) })

/* A descriptor argument that is not negative, so never AT_FDCWD: only
 * the low 32 bits count, as the kernel reads an int. */
#define FD_OK(arg)	ARG_MASKED(arg, 0x80000000u, 0)
/* O_TMPFILE's own bit: glibc's __O_TMPFILE holds O_DIRECTORY too. */
#define TMPFILE_BIT	020000000
#define NO_SETID(arg)	ARG_MASKED(arg, S_ISUID | S_ISGID, 0)

static int
allow_extract(scmp_filter_ctx f)
{
	size_t i;
	int r = 0;

	for (i = 0; i < sizeof extract_any / sizeof extract_any[0]; i++)
		r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, extract_any[i], 0);
	for (i = 0; i < sizeof extract_at0 / sizeof extract_at0[0]; i++)
		r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, extract_at0[i], 1, FD_OK(0));
	/* No set-user-ID or set-group-ID bits, whatever the archive says. */
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(openat), 2, FD_OK(0),
	    ARG_MASKED(2, O_CREAT | TMPFILE_BIT, 0));
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(openat), 2, FD_OK(0), NO_SETID(3));
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(fchmod), 1, NO_SETID(1));
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(symlinkat), 1, FD_OK(1));
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(linkat), 2, FD_OK(0), FD_OK(2));
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(renameat), 2, FD_OK(0), FD_OK(2));
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(renameat2), 2, FD_OK(0), FD_OK(2));
	/* openat2's flags and mode sit behind a pointer the filter cannot
	 * read: it answers ENOSYS, and the extractor walks with openat. */
	r |= seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0);
	return r;
}

/* What the sanitizer runtime does inside the walls: LeakSanitizer's check
 * at exit clones a tracer (CLONE_VM, no new thread group), ptraces this
 * process and reads /proc; reports read the binaries. Read-only opens of
 * paths; Landlock allows reading, nothing more. */
static int
sanitizer_allow(scmp_filter_ctx f, pid_t pid)
{
	int r = 0;

	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
	    ARG_MASKED(0, CLONE_THREAD | CLONE_VM, CLONE_VM));
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(ptrace), 1, ARG_EQ(1, (uint64_t)pid));
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(wait4), 0);
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 0);
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 0);
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(stat), 0);
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(lstat), 0);
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(getcwd), 0);
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(getdents), 0);
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(getdents64), 0);
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(readlink), 0);
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(readlinkat), 0);
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
	    ARG_MASKED(2, O_ACCMODE | O_CREAT | O_TRUNC | TMPFILE_BIT, O_RDONLY));
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
	    ARG_MASKED(1, O_ACCMODE | O_CREAT | O_TRUNC | TMPFILE_BIT, O_RDONLY));
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(write), 0);
	return r;
}

static int
seccomp_filter(int extract, int sock, char *err, size_t errlen)
{
	static const int fcntl_cmds[] = { F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD, F_DUPFD_CLOEXEC };
	static const int out_fds[] = { STDOUT_FILENO, STDERR_FILENO };
	scmp_filter_ctx f;
	size_t i;
	int r = 0;

	if ((f = seccomp_init(SCMP_ACT_TRAP)) == NULL) {
		snprintf(err, errlen, "sandbox: seccomp: out of memory");
		return -1;
	}
	r |= seccomp_attr_set(f, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	for (i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, allowed[i], 0);
	/* The socket, and no other. */
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(recvmsg), 1, ARG_EQ(0, (uint64_t)sock));
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(recvfrom), 1, ARG_EQ(0, (uint64_t)sock));
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(sendmsg), 1, ARG_EQ(0, (uint64_t)sock));
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(sendto), 1, ARG_EQ(0, (uint64_t)sock));
	/* Writes: the socket and stdout/stderr (a file there takes nothing:
	 * RLIMIT_FSIZE), any descriptor when extracting. */
	if (!extract) {
		r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(write), 1, ARG_EQ(0, (uint64_t)sock));
		r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(writev), 1, ARG_EQ(0, (uint64_t)sock));
		for (i = 0; i < sizeof out_fds / sizeof out_fds[0]; i++) {
			r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(write), 1, ARG_EQ(0, out_fds[i]));
			r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(writev), 1, ARG_EQ(0, out_fds[i]));
		}
		/* fstat by descriptor only (glibc's fstat is newfstatat(fd, "", AT_EMPTY_PATH)). */
		r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 2, FD_OK(0),
		    ARG_MASKED(3, AT_EMPTY_PATH, AT_EMPTY_PATH));
		r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(statx), 2, FD_OK(0),
		    ARG_MASKED(2, AT_EMPTY_PATH, AT_EMPTY_PATH));
	} else
		r |= allow_extract(f);
	for (i = 0; i < sizeof fcntl_cmds / sizeof fcntl_cmds[0]; i++)
		r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
		    ARG_EQ(1, (uint64_t)fcntl_cmds[i]));
	/* isatty() for stdio's buffering, nothing else. */
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, ARG_EQ(1, TCGETS));
	/* Signals to itself only (abort, raise); limits of itself only, read,
	 * or the CPU budget re-armed. */
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1, ARG_EQ(0, (uint64_t)trap_pid));
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1, ARG_EQ(0, (uint64_t)trap_pid));
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(tkill), 1, ARG_EQ(0, (uint64_t)trap_pid));
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 2, ARG_EQ(0, 0),
	    ARG_EQ(2, 0));
	r |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 2, ARG_EQ(0, 0),
	    ARG_EQ(1, RLIMIT_CPU));
	if (SANDBOX_ASAN)
		r |= sanitizer_allow(f, trap_pid);
	if (r != 0) {
		snprintf(err, errlen, "sandbox: seccomp: a rule was refused");
		seccomp_release(f);
		return -1;
	}
	if ((r = seccomp_load(f)) < 0) {
		snprintf(err, errlen, "sandbox: seccomp: %s", strerror(-r));
		seccomp_release(f);
		return -1;
	}
	seccomp_release(f);
	return 0;
}

/* The table the SIGSYS handler reads, and the handler itself on a stack
 * of its own. */
static int
trap_setup(int sock, char *err, size_t errlen)
{
	struct sigaction sa;
	stack_t ss;
	uint32_t arch = seccomp_arch_native();
	int nr;

	for (nr = 0; nr < SYSCALL_NAMES; nr++)
		if (syscall_names[nr] == NULL)
			syscall_names[nr] = seccomp_syscall_resolve_num_arch(arch, nr);
	memset(&ss, 0, sizeof ss);
	ss.ss_size = ALTSTACK;
	if ((ss.ss_sp = mmap(NULL, ALTSTACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0)) == MAP_FAILED || sigaltstack(&ss, NULL) < 0) {
		snprintf(err, errlen, "sandbox: signal stack: %s", strerror(errno));
		return -1;
	}
	trap_sock = sock;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0) {
		snprintf(err, errlen, "sandbox: SIGSYS handler: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* --- the whole ----------------------------------------------------------- */

int
sandbox_enter(const struct job_opts *o, int is_exec, int sock, int extract_root, char *err,
    size_t errlen)
{
	const struct sandbox_opts *sb = &o->sandbox;
	struct rlimit none = { 0, 0 };
	int root = geteuid() == 0;

	setrlimit(RLIMIT_CORE, &none);
	if (!sb->enabled)
		return 0;
	if (state.entered) {
		if (state.is_exec == is_exec && state.extract == !!o->extract &&
		    state.drop == !!sb->drop && state.uid == sb->uid && state.gid == sb->gid)
			return 0;
		snprintf(err, errlen, "sandbox: this child's walls were built for another job");
		return -1;
	}
	state.entered = 1;
	state.is_exec = is_exec;
	state.extract = !!o->extract;
	state.drop = !!sb->drop;
	state.uid = sb->uid;
	state.gid = sb->gid;
	trap_pid = getpid();

	if (!is_exec)
		preload();
	if (limits(o, is_exec, err, errlen) < 0)
		return -1;
	if (root && sb->drop) {
		if (!is_exec)
			namespaces();
		if (drop_user(sb->uid, sb->gid, err, errlen) < 0)
			return -1;
	}
	if (is_exec)
		return 0;
	if (landlock(o->extract, extract_root, err, errlen) < 0)
		return -1;
	if (trap_setup(sock, err, errlen) < 0)
		return -1;
	return seccomp_filter(o->extract, sock, err, errlen);
}

/* --- what this kernel offers ------------------------------------------ */

/* Whether unshare of a network, IPC and mount namespace works here, tried
 * in a short-lived child so that this process keeps its own. */
static int
unshare_works(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return 0;
	if (pid == 0)
		_exit(unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWNS) == 0 ? 0 : 1);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Appends one printf'd line to buf, cut to fit. */
static void __attribute__((format(printf, 4, 5)))
line(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*at + 1 >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *at, len - *at, fmt, ap);
	va_end(ap);
	if (n > 0)
		*at += (size_t)n < len - *at ? (size_t)n : len - *at - 1;
}

size_t
sandbox_walls(char *buf, size_t len)
{
	uint32_t trap = SECCOMP_RET_TRAP;
	size_t at = 0;
	int abi = landlock_abi();

	if (len == 0)
		return 0;
	buf[0] = '\0';
	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &trap) == 0)
		line(buf, len, &at, "seccomp: filter mode, trap action (libseccomp API level %u)\n",
		    seccomp_api_get());
	else
		line(buf, len, &at, "seccomp: absent (%s)\n", strerror(errno));
	if (abi > 0)
		line(buf, len, &at, "landlock: ABI %d\n", abi);
	else
		line(buf, len, &at, "landlock: absent (%s)\n", strerror(-abi));
	if (geteuid() != 0)
		line(buf, len, &at, "namespaces: not used (not root)\n");
	else
		line(buf, len, &at, "namespaces: network, IPC, mount (root, with the user change): %s\n",
		    unshare_works() ? "permitted" : "refused by this kernel");
	if (geteuid() == 0)
		line(buf, len, &at, "user: root: children become the --user account (nobody by default)\n");
	else
		line(buf, len, &at, "user: uid %u, not root: children keep it\n", (unsigned)geteuid());
	line(buf, len, &at, "rlimits: no core, address space, CPU per file, no file writes, %d descriptors\n",
	    NOFILE_MAX);
	return at;
}
