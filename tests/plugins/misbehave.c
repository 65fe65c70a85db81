/* misbehave.so: a plugin for the tests that does what its file's name says.
 * A word in the file's base name picks the behaviour: hang, segv, abort,
 * exit, leak, garbage (bytes straight onto the worker's socket), oversize
 * (a frame length far past the bound), slow (300 ms, then ok), fail, big
 * (a result past its bound); on stderr: shout (two lines, then _exit(5)),
 * flood (32 MiB of lines and one long line, a last line, then _exit(6)),
 * orphan (a grandchild outside the group keeps stderr open, then _exit(9):
 * needs --no-sandbox); nomem (allocates until malloc fails, says "Out of
 * memory" and calls exit(1), as libarchive does); await (says "await:
 * waiting" on stderr, then answers only once the file is no longer empty,
 * so that a test holds a child in its handler, never reading its socket,
 * for as long as it needs); anything else is ok. */
#include <signal.h>
#include <stdio.h>
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

static void
flood(void)
{
	static char line[128], lump[1 << 20];
	size_t i;

	memset(line, 'f', sizeof line - 1);
	line[sizeof line - 1] = '\n';
	for (i = 0; i < (32u << 20) / sizeof line; i++)
		if (write(2, line, sizeof line) < 0)
			_exit(1);
	memset(lump, 'L', sizeof lump);
	if (write(2, lump, sizeof lump) < 0)
		_exit(1);
	fputs("\nflood: the last line\n", stderr);
	_exit(6);
}

static void
orphan(void)
{
	pid_t pid;
	int i;

	if ((pid = fork()) == 0) {
		setsid();
		close(3);
		/* Says something every 50 ms for 100 s, longer than any
		 * test waits: a closed pipe ends it sooner, by SIGPIPE. */
		for (i = 0; i < 2000; i++) {
			fputs("orphan: still here\n", stderr);
			usleep(50 * 1000);
		}
		_exit(0);
	}
	fprintf(stderr, "orphan: grandchild %d\n", (int)pid);
	usleep(100 * 1000);
	fputs("orphan: the parent goes\n", stderr);
	_exit(9);
}

static void
nomem(void)
{
	void **chain = NULL, **p;
	int i;

	/* 1 MiB at a time up to 64 GiB: a memory limit stops it long before. */
	for (i = 0; i < 65536; i++) {
		if ((p = malloc(1 << 20)) == NULL) {
			fputs("misbehave: Out of memory\n", stderr);
			exit(1);
		}
		*p = chain;
		chain = p;
	}
	fputs("misbehave: no memory limit was hit\n", stderr);
	exit(2);
}

static void
await(int fd)
{
	fputs("await: waiting\n", stderr);
	fflush(stderr);
	while (lseek(fd, 0, SEEK_END) == 0)
		usleep(10 * 1000);
}

int
corral_process(int fd, const char *path, struct corral_result *out)
{
	if (named(path, "shout")) {
		fputs("shout: a first line\n", stderr);
		fputs("shout: last words \x1b[31mred\n", stderr);
		_exit(5);
	}
	if (named(path, "flood"))
		flood();
	if (named(path, "orphan"))
		orphan();
	if (named(path, "nomem"))
		nomem();
	if (named(path, "await"))
		await(fd);
	if (named(path, "hang"))
		for (;;)
			pause();
	if (named(path, "segv")) {
		volatile int *p = NULL;

		/* cppcheck-suppress nullPointer ; the crash this file asks for */
		*p = 1;	/* NOLINT(clang-analyzer-core.NullDereference): the crash this file asks for */
	}
	if (named(path, "abort"))
		abort();
	if (named(path, "exit"))
		_exit(3);
	if (named(path, "leak")) {
		char *p = malloc(1 << 20);

		if (p)
			memset(p, 1, 1 << 20);
		if (dup(fd) < 0)	/* NOLINT(clang-analyzer-unix.Malloc): the leak this file asks for */
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
