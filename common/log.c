/* log: stderr lines, "corral: what failed: why", or "<N>what failed: why"
 * for journald. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common/log.h"

/* syslog's priorities, as sd-daemon.h's SD_ERR, SD_WARNING and SD_INFO
 * prefix them. */
enum { PRIO_ERR = 3, PRIO_WARNING = 4, PRIO_INFO = 6 };

static void (*hook_before)(void);
static void (*hook_after)(void);

void
log_set_hooks(void (*before)(void), void (*after)(void))
{
	hook_before = before;
	hook_after = after;
}

/* Whether stderr is journald's stream: JOURNAL_STREAM names its device and
 * inode (sd-daemon(3)). The name alone is not enough: a child inherits it
 * with its stderr pointed elsewhere (a pipe to the supervisor), and must
 * keep the plain look there. Decided at the first line. */
static int
to_journal(void)
{
	static int known = -1;
	unsigned long long dev, ino;
	const char *v;
	struct stat st;
	char tail;

	if (known < 0) {
		v = getenv("JOURNAL_STREAM");
		known = v != NULL && sscanf(v, "%llu:%llu%c", &dev, &ino, &tail) == 2 &&
		    fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev == dev &&
		    (unsigned long long)st.st_ino == ino;
	}
	return known;
}

static void
vlog(int prio, int with_errno, const char *fmt, va_list ap)
{
	int e = errno;
	char line[2048], prefix[16];
	int n;

	n = vsnprintf(line, sizeof line, fmt, ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof line)
		n = sizeof line - 1;
	if (to_journal())
		snprintf(prefix, sizeof prefix, "<%d>", prio);
	else
		snprintf(prefix, sizeof prefix, "corral: ");
	if (hook_before)
		hook_before();
	if (with_errno)
		fprintf(stderr, "%s%.*s: %s\n", prefix, n, line, strerror(e));
	else
		fprintf(stderr, "%s%.*s\n", prefix, n, line);
	fflush(stderr);
	if (hook_after)
		hook_after();
	errno = e;
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(PRIO_INFO, 1, fmt, ap);
	va_end(ap);
}

void
log_infox(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(PRIO_INFO, 0, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(PRIO_WARNING, 1, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(PRIO_WARNING, 0, fmt, ap);
	va_end(ap);
}

void
log_die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(PRIO_ERR, 1, fmt, ap);
	va_end(ap);
	exit(status);
}

void
log_diex(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(PRIO_ERR, 0, fmt, ap);
	va_end(ap);
	exit(status);
}
