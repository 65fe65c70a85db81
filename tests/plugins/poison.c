/* poison.so: a plugin for tests/62-strikes.t. It appends the base name of
 * each file it is called on, one a line, to the file $POISON_LOG names (the
 * test's own count of its invocations: run it with --no-sandbox), then
 * crashes with SIGSEGV on a file whose base name starts with "poison-"; any
 * other file is ok. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <corral.h>

int
corral_process(int fd, const char *path, struct corral_result *out)
{
	const char *base = strrchr(path, '/'), *log = getenv("POISON_LOG");
	char line[4200];
	int n, lfd;

	(void)fd, (void)out;
	base = base ? base + 1 : path;
	n = snprintf(line, sizeof line, "%s\n", base);
	/* One write with O_APPEND: lines of children at once never mix. */
	if (log && n > 0 && (lfd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) >= 0) {
		if (write(lfd, line, (size_t)n) < 0)
			n = 0;
		close(lfd);
	}
	if (strncmp(base, "poison-", 7) == 0)
		raise(SIGSEGV);
	return 0;
}
