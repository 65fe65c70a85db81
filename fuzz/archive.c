/* Fuzz target: an untrusted file through the archive handler, the way a
 * child runs it: set up once with the default job options, then each input
 * handed over as a task's descriptor, with no extraction. Only the handler
 * interface of child/handler.h is used, so the target follows the handler
 * as it grows. What the handler fills must be what a child can send: a
 * map the supervisor's decoder accepts and its JSON writer renders, an
 * error text on failure, and no descriptor left open. A failed check
 * aborts, so libFuzzer keeps the input. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "child/handler.h"
#include "fuzz/fuzz.h"
#include "ipc/ipc.h"
#include "supervisor/json.h"

/* The nesting ipc_decode allows a result map. */
#define RESULT_DEPTH 32

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);	/* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): AddressSanitizer's hook */

/* A child runs under RLIMIT_AS (SANDBOX_MEMORY), where an allocation a
 * header asks for beyond it fails and the file fails with it; libarchive
 * asks for gigabytes on some headers (a cpio name of 2 GiB). AddressSanitizer
 * cannot run under RLIMIT_AS, so an allocation above the limit returns NULL
 * here instead of ending the run as out-of-memory. */
const char *
__asan_default_options(void)
{
	return "allocator_may_return_null=1:max_allocation_size_mb=1024";
}


static struct job_opts opts;	/* the handler may keep a pointer to it */
static struct corral_result *res;
static struct ipc_buf frame;
static FILE *sink;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256] = "";

	(void)argc;
	(void)argv;
	job_opts_default(&opts);
	if (handler_archive.setup != NULL &&
	    handler_archive.setup(NULL, &opts, err, sizeof err) != 0) {
		fprintf(stderr, "fuzz_archive: handler set-up failed: %s\n", err);
		exit(1);
	}
	CHECK((res = result_new()) != NULL);
	CHECK((sink = fopen("/dev/null", "w")) != NULL);
	return 0;
}

/* A memory file holding the input, at offset 0. */
static int
file_of(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	size_t off = 0;

	CHECK(fd >= 0);
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);

		CHECK(n > 0 || (n < 0 && errno == EINTR));
		if (n > 0)
			off += (size_t)n;
	}
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	return fd;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *map;
	const char *err, *why = NULL;
	size_t maplen, errlen;
	struct ipc_msg m;
	int fd, before, failed;

	before = lowest_free_fd();
	fd = file_of(data, size);
	result_reset(res);
	failed = handler_archive.process(&(struct task_in){ .fd = fd, .dirfd = -1, .path = "fuzz" },
	    res);
	close(fd);
	/* cppcheck-suppress leakReturnValNotUsed ; it closes the descriptor and returns its number */
	CHECK(lowest_free_fd() == before);

	map = result_map(res, &maplen);
	err = result_error(res, &errlen);
	CHECK(maplen > 0 && maplen <= RESULT_MAX);
	CHECK(ipc_mp_check(map, maplen, RESULT_DEPTH) == 0);
	CHECK((map[0] & 0xf0) == 0x80 || map[0] == 0xde || map[0] == 0xdf);
	CHECK(errlen < RESULT_ERR_MAX && strlen(err) == errlen);
	CHECK(!failed || errlen > 0);

	/* Sent the way a child sends it, then decoded and written as the
	 * supervisor does. */
	frame.len = 0;
	CHECK(ipc_put_result(&frame, 1, !failed, 0, err, errlen, map, maplen) == 0);
	if (ipc_decode(frame.data + IPC_HDR, frame.len - IPC_HDR, &m, &why) != 0) {
		fprintf(stderr, "fuzz_archive: the supervisor refuses this result: %s\n", why);
		abort();
	}
	CHECK(m.type == IPC_RESULT && m.ok == !failed && m.result_len == maplen);
	CHECK(json_msgpack(sink, m.result, m.result_len) == 0);
	json_str(sink, m.error, m.error_len);
	return 0;
}
