/* escape.so: a plugin for the sandbox tests that tries what a compromised
 * child would, picked by the first line of its file: "open" (/etc/passwd),
 * "creat" (/tmp/corral-escape), "socket", "execve", "fork", "ptrace" (of
 * its parent), "traceme" (PTRACE_TRACEME: harmless unsandboxed, so that a
 * test whose walls are lost fails rather than stops its parent), or
 * anything else, which does nothing and is ok. The result says what it
 * tried and what came back, in case the try was let through. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <corral.h>

/* The file's first line, without its newline. */
static void
first_line(int fd, char *buf, size_t len)
{
	ssize_t n = read(fd, buf, len - 1);

	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

static long
try(const char *what)
{
	char *argv[] = { "true", NULL }, *envp[] = { NULL };
	pid_t pid;

	if (strcmp(what, "open") == 0)
		return open("/etc/passwd", O_RDONLY);
	if (strcmp(what, "creat") == 0)
		return creat("/tmp/corral-escape", 0644);
	if (strcmp(what, "socket") == 0)
		return socket(AF_INET, SOCK_STREAM, 0);
	if (strcmp(what, "execve") == 0)
		return execve("/bin/true", argv, envp);
	if (strcmp(what, "fork") == 0) {
		if ((pid = fork()) == 0)
			_exit(0);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		return pid;
	}
	if (strcmp(what, "ptrace") == 0)
		return ptrace(PTRACE_ATTACH, getppid(), NULL, NULL);
	if (strcmp(what, "traceme") == 0)
		return ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	return 0;
}

int
corral_process(int fd, const char *path, struct corral_result *out)
{
	char what[64];
	long r;

	(void)path;
	first_line(fd, what, sizeof what);
	errno = 0;
	r = try(what);
	corral_result_set_str(out, "tried", what);
	corral_result_set_int(out, "returned", r);
	if (r < 0)
		corral_result_set_str(out, "errno", strerror(errno));
	return 0;
}
