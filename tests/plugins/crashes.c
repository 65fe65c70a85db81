/* crashes.so: a plugin that dies on every file, whatever its name (the
 * files of `corral check` reach handlers under no name of their own). */
#include <signal.h>

#include <corral.h>

int
corral_process(int fd, const char *path, struct corral_result *out)
{
	(void)fd, (void)path, (void)out;
	raise(SIGSEGV);
	return 0;
}
