/* fuzz.h: what the fuzz targets check with. A failed check aborts, which
 * libFuzzer reports as a crash with the input that caused it. */
#ifndef CORRAL_FUZZ_H
#define CORRAL_FUZZ_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
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

/* fuzz/render.c. Renders msgpack as JSON the way the supervisor writes
 * --json, checks what it wrote, and returns json_msgpack's status. */
int fuzz_render_json(const uint8_t *mp, size_t len);
/* Shows a string field as the supervisor does, in JSON and on a terminal,
 * and checks what came out. */
void fuzz_render_str(const char *s, size_t len);
/* Whether [p, p+n) lies in [body, body+len). */
int fuzz_inside(const uint8_t *body, size_t len, const void *p, size_t n);

#endif
