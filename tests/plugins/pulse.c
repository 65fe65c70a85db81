/* pulse.so: a plugin whose pace the file sets, for tests/59-stall.t. The
 * file holds one line "MODE A B" (milliseconds):
 *	pulse A B	corral_progress every A ms for B ms, then ok
 *	fade A B	corral_progress every 50 ms for A ms, then silent for B ms
 *	sleep A 0	silent for A ms, then ok
 *	burn A 0	spins on the CPU for A ms (0: for ever), no progress
 *	flood A 0	corral_progress in a tight loop for A ms; "calls" says how
 *			many were made */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <corral.h>

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

int
corral_process(int fd, const char *path, struct corral_result *out)
{
	char line[64] = "", mode[16] = "";
	long a = 0, b = 0, i;
	ssize_t n = pread(fd, line, sizeof line - 1, 0);
	double t0 = now_ms();
	volatile unsigned long spin = 0;
	uint64_t calls = 0;

	(void)path;
	if (n <= 0 || sscanf(line, "%15s %ld %ld", mode, &a, &b) < 2) {
		corral_result_set_error(out, "no MODE A B in the file");
		return 1;
	}
	if (strcmp(mode, "pulse") == 0) {
		for (i = 0; now_ms() - t0 < (double)b; i++) {
			corral_progress((uint64_t)i, 0, "pulse\nwith a newline and \xff");
			nap(a);
		}
	} else if (strcmp(mode, "fade") == 0) {
		for (i = 0; now_ms() - t0 < (double)a; i++) {
			corral_progress((uint64_t)i, 0, NULL);
			nap(50);
		}
		nap(b);
	} else if (strcmp(mode, "sleep") == 0) {
		nap(a);
	} else if (strcmp(mode, "burn") == 0) {
		while (a == 0 || now_ms() - t0 < (double)a)
			spin++;
	} else if (strcmp(mode, "flood") == 0) {
		while (now_ms() - t0 < (double)a) {
			corral_progress(calls, 0, "flood");
			calls++;
		}
		corral_result_set_uint(out, "calls", calls);
	} else {
		corral_result_set_error(out, "unknown mode %s", mode);
		return 1;
	}
	return 0;
}
