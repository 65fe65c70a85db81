/* fuzz.h: what both fuzz targets check with. A failed check aborts, which
 * libFuzzer reports as a crash with the input that caused it. */
#ifndef CORRAL_FUZZ_H
#define CORRAL_FUZZ_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define CHECK(cond) do {                                                      \
	if (!(cond)) {                                                        \
		fprintf(stderr, "fuzz: check failed at %s:%d: %s\n",          \
		    __FILE__, __LINE__, #cond);                               \
		abort();                                                      \
	}                                                                     \
} while (0)

/* The lowest free descriptor number: the same before and after a run
 * unless something leaked one. */
static inline int
lowest_free_fd(void)
{
	int fd = fcntl(0, F_DUPFD_CLOEXEC, 0);

	if (fd < 0)
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	close(fd);
	return fd;
}

#endif
