/* misbehave.so: a plugin for the tests that does what its file's name says.
 * A word in the file's base name picks the behaviour: hang, segv, abort,
 * exit, leak, garbage (bytes straight onto the worker's socket), oversize
 * (a frame length far past the bound), slow (300 ms, then ok), fail, big
 * (a result past its bound); anything else is ok. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <corral.h>

static int
named(const char *path, const char *word)
{
	const char *base = strrchr(path, '/');

	return strstr(base ? base + 1 : path, word) != NULL;
}

int
corral_process(int fd, const char *path, struct corral_result *out)
{
	if (named(path, "hang"))
		for (;;)
			pause();
	if (named(path, "segv")) {
		volatile int *p = NULL;

		*p = 1;
	}
	if (named(path, "abort"))
		abort();
	if (named(path, "exit"))
		_exit(3);
	if (named(path, "leak")) {
		char *p = malloc(1 << 20);

		if (p)
			memset(p, 1, 1 << 20);
		if (dup(fd) < 0)
			return 1;
	}
	if (named(path, "garbage")) {
		static const char junk[64] = "\xc1\xc1\xc1\xc1 this is not a frame at all \xff\xfe";

		if (write(3, junk, sizeof junk) < 0)
			return 1;
	}
	if (named(path, "oversize")) {
		static const char hdr[] = "\x7f\xff\xff\xff" "abcdefgh";

		if (write(3, hdr, sizeof hdr - 1) < 0)
			return 1;
	}
	if (named(path, "slow"))
		usleep(300 * 1000);
	if (named(path, "fail")) {
		corral_result_set_error(out, "judged bad");
		return 1;
	}
	if (named(path, "big")) {
		char key[32], val[1000];
		int i;

		memset(val, 'x', sizeof val - 1);
		val[sizeof val - 1] = '\0';
		for (i = 0; i < 100000; i++) {
			key[0] = 'k';
			key[1] = (char)('a' + i % 26);
			key[2] = '\0';
			if (corral_result_set_str(out, key, val) < 0)
				break;
		}
	}
	corral_result_set_int(out, "bytes", lseek(fd, 0, SEEK_END));
	return 0;
}
