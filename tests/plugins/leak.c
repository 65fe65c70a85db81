/* leak.so: a plugin that leaks memory on purpose, for --max-tasks-per-child
 * and --max-child-rss (tests/59-recycle.t). Each file costs its child
 * LEAK bytes, touched, and never given back; a file whose first bytes are
 * "hog" takes HOG bytes at once and then waits to be killed. The result
 * says which child did the file: its pid, how many files that child has
 * done (this one included) and its peak resident set after the leak. The
 * blocks stay reachable, so a sanitizer's leak check has nothing to say. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <corral.h>

#define LEAK	(4u << 20)
#define HOG	(256u << 20)

/* Every block, chained through its first bytes; volatile, so that the
 * leak is not optimised away. */
static void *volatile kept;
static unsigned served;

static int
grab(size_t n, struct corral_result *out)
{
	char *p = malloc(n);

	if (p == NULL)
		return corral_result_set_error(out, "out of memory"), 1;
	memset(p, 0x5a, n);
	memcpy(p, (const void *)&kept, sizeof kept);
	kept = p;
	return 0;
}

int
corral_process(int fd, const char *path, struct corral_result *out)
{
	struct rusage ru;
	char head[3] = { 0 };

	(void)path;
	if (pread(fd, head, sizeof head, 0) == (ssize_t)sizeof head && memcmp(head, "hog", 3) == 0) {
		if (grab(HOG, out) != 0)
			return 1;
		for (;;)
			pause();
	}
	if (grab(LEAK, out) != 0)
		return 1;
	served++;
	getrusage(RUSAGE_SELF, &ru);
	corral_result_set_int(out, "pid", (int64_t)getpid());
	corral_result_set_uint(out, "served", served);
	corral_result_set_uint(out, "rss", (uint64_t)ru.ru_maxrss * 1024);
	return 0;
}
