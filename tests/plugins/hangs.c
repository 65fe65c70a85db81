/* hangs.so: a plugin that never returns, whatever the file's name. */
#include <unistd.h>

#include <corral.h>

int
corral_process(int fd, const char *path, struct corral_result *out)
{
	(void)fd, (void)path, (void)out;
	for (;;)
		pause();
	return 0;
}
