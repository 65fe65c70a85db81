/* poison.so: a plugin for tests/62-strikes.t. It says on stderr which file
 * it was called on ("poison: called on NAME", the test's count of its own
 * invocations), then crashes with SIGSEGV on a file whose base name starts
 * with "poison-"; any other file is ok. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <corral.h>

int
corral_process(int fd, const char *path, struct corral_result *out)
{
	const char *base = strrchr(path, '/');

	(void)fd, (void)out;
	base = base ? base + 1 : path;
	fprintf(stderr, "poison: called on %s\n", base);
	fflush(stderr);
	if (strncmp(base, "poison-", 7) == 0)
		raise(SIGSEGV);
	return 0;
}
