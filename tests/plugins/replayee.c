/* replayee.so: a plugin for the tests of `corral replay`. Every file gets a
 * line on stderr naming it ("replayee: looking at PATH"); a file whose
 * base name holds "crash" dies by SIGSEGV in replayee_parse_header, a
 * function of a name a backtrace shows; any other is ok with its size and
 * first byte in the result. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <corral.h>

/* Not inlined, and not folded into its caller: the frame a debugger shows. */
__attribute__((noinline, noclone)) static void
replayee_parse_header(volatile int *header)
{
	/* cppcheck-suppress [nullPointer, ctunullpointer] ; the crash this file asks for */
	*header = 1;	/* NOLINT(clang-analyzer-core.NullDereference): the crash this file asks for */
	__asm__ volatile("" ::: "memory");
}

int
corral_process(int fd, const char *path, struct corral_result *out)
{
	const char *base = strrchr(path, '/');
	unsigned char first = 0;
	struct stat sb;

	fprintf(stderr, "replayee: looking at %s\n", path);
	fflush(stderr);
	if (strstr(base ? base + 1 : path, "crash") != NULL)
		replayee_parse_header(NULL);
	if (fstat(fd, &sb) < 0 || read(fd, &first, 1) < 0)
		return corral_result_set_error(out, "unable to read"), 1;
	corral_result_set_int(out, "size", (int64_t)sb.st_size);
	corral_result_set_int(out, "first", first);
	corral_result_set_str(out, "verdict", "fine");
	return 0;
}
