/* count_bytes.so: an example corral plugin. It counts the bytes and lines
 * of each file through the descriptor corral hands it, and judges empty
 * files bad.
 *
 *	cc $(pkg-config --cflags corral) -shared -fPIC -o count_bytes.so count_bytes.c
 *	corral run -H ./count_bytes.so DIR
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <corral.h>

int
corral_process(int fd, const char *path, struct corral_result *out)
{
	char buf[65536];
	uint64_t bytes = 0, lines = 0;
	ssize_t n, i;

	(void)path;	/* for messages only: never open it */
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			corral_result_set_error(out, "read: %s", strerror(errno));
			return 1;
		}
		bytes += (uint64_t)n;
		for (i = 0; i < n; i++)
			lines += buf[i] == '\n';
	}
	corral_result_set_uint(out, "bytes", bytes);
	corral_result_set_uint(out, "lines", lines);
	if (bytes == 0) {
		corral_result_set_error(out, "empty file");
		return 1;
	}
	return 0;
}
