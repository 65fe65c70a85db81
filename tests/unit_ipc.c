/* Unit tests of ipc/: every message round-trips; the reader cuts frames
 * right however the bytes arrive; descriptors travel with their frames; and
 * the decoder refuses every kind of malformed frame without crashing or
 * allocating by a count the bytes cannot back. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "tests/tap.h"

static int
decode_frame(struct ipc_buf *b, struct ipc_msg *m, const char **why)
{
	return ipc_decode(b->data + IPC_HDR, b->len - IPC_HDR, m, why);
}

static int
rejects(const void *body, size_t len, const char *want_why)
{
	struct ipc_msg m;
	const char *why = NULL;

	if (ipc_decode(body, len, &m, &why) == 0)
		return 0;
	return want_why == NULL || (why && strstr(why, want_why) != NULL);
}

/* A literal frame body, its length taken from the literal. */
#define REJECTS(lit, why) rejects(lit, sizeof(lit) - 1, why)

static void
roundtrips(void)
{
	struct ipc_buf b = { 0 };
	struct ipc_msg m;
	const char *why;
	const char path[] = "dir/new\nline\xff\xfe";
	const uint8_t map[] = { 0x81, 0xa1, 'k', 0x2a };

	ok(ipc_put_hello(&b, 1234) == 0 && decode_frame(&b, &m, &why) == 0 &&
	    m.type == IPC_HELLO && m.pid == 1234 && m.version == IPC_PROTO_VERSION, "hello round-trips");
	b.len = 0;
	ok(ipc_put_job(&b, 7, "exec", 4, "cat {}", 6) == 0 && decode_frame(&b, &m, &why) == 0 &&
	    m.type == IPC_JOB && m.job == 7 && m.handler_len == 4 && memcmp(m.handler, "exec", 4) == 0 &&
	    m.arg_len == 6 && memcmp(m.arg, "cat {}", 6) == 0, "job round-trips");
	b.len = 0;
	ok(ipc_put_task(&b, 7, UINT64_MAX, path, sizeof path - 1) == 0 && decode_frame(&b, &m, &why) == 0 &&
	    m.type == IPC_TASK && m.id == UINT64_MAX && m.path_len == sizeof path - 1 &&
	    memcmp(m.path, path, m.path_len) == 0, "task round-trips, path bytes exact");
	b.len = 0;
	ok(ipc_put_result(&b, 9, 0, "bad", 3, map, sizeof map) == 0 && decode_frame(&b, &m, &why) == 0 &&
	    m.type == IPC_RESULT && m.id == 9 && !m.ok && m.error_len == 3 &&
	    m.result_len == sizeof map && memcmp(m.result, map, sizeof map) == 0, "result round-trips");
	b.len = 0;
	ok(ipc_put_result(&b, 9, 1, NULL, 0, NULL, 0) == 0 && decode_frame(&b, &m, &why) == 0 &&
	    m.ok && m.error_len == 0 && m.result_len == 0, "a bare ok result round-trips");
	b.len = 0;
	ok(ipc_put_fatal(&b, "no", 2) == 0 && decode_frame(&b, &m, &why) == 0 && m.type == IPC_FATAL,
	    "fatal round-trips");
	b.len = 0;
	{
		char *big = malloc(IPC_FRAME_MAX + 1);

		memset(big, 'x', IPC_FRAME_MAX + 1);
		ok(ipc_put_task(&b, 1, 1, big, IPC_FRAME_MAX + 1) == -1 && errno == EMSGSIZE && b.len == 0,
		    "a frame past the bound is not encoded");
		free(big);
	}
	ok(strcmp(ipc_type_name(IPC_RESULT), "result") == 0 && strcmp(ipc_type_name(99), "unknown") == 0,
	    "type names");
	ipc_buf_free(&b);
}

static void
malformed(void)
{
	struct ipc_buf b = { 0 };
	uint8_t buf[64];
	clock_t t0;

	ok(REJECTS("\xc1", "malformed"), "0xc1 refused");
	ok(REJECTS("\x93\x01\x02\x03", "not a map"), "an array refused");
	ok(REJECTS("\x81\xa1t", "malformed"), "a truncated map refused");
	ok(REJECTS("\x81\xa1t\x63", "unknown message type"), "type 99 refused");
	ok(REJECTS("\x82\xa1t\x04\xa2id\x01", "missing field"), "result without ok refused");
	ok(REJECTS("\x83\xa1t\x04\xa2id\xa1x\xa2ok\xc3", "wrong type"), "id as a string refused");
	ok(REJECTS("\x84\xa1t\x04\xa2id\x01\xa2ok\xc3\xa3zzz\x01", "unknown field"),
	    "an unknown field refused");
	ok(REJECTS("\x83\xa1t\x04\xa1t\x04\xa2ok\xc3", "twice"), "a duplicate field refused");
	ok(REJECTS("\x83\xa1t\x04\xa2id\x01\xa2ok\xc3\x00", "malformed"), "trailing bytes refused");
	ok(REJECTS("\x84\xa1t\x04\xa2id\x01\xa2ok\xc3\xa3pid\x01", "does not belong"),
	    "a field of another message refused");
	ok(REJECTS("\x84\xa1t\x04\xa2id\x01\xa2ok\xc3\xa6result\xc4\x01\x01", "result"),
	    "a result that is not a map refused");
	ok(REJECTS("\x84\xa1t\x04\xa2id\x01\xa2ok\xc3\xa6result\xc4\x02\x81\x01", "result"),
	    "a result map missing its value refused");
	ok(REJECTS("\x83\xa1t\x01\xa1v\x63\xa3pid\x01", "version"), "another protocol version refused");
	/* An array claiming 2^32-1 elements in a few bytes. */
	t0 = clock();
	ok(REJECTS("\xdd\xff\xff\xff\xff\x00", NULL), "a lying array count refused");
	ok(REJECTS("\x81\xa1t\xdf\xff\xff\xff\xff", NULL), "a lying map count refused");
	ok(clock() - t0 < CLOCKS_PER_SEC / 10, "... at once, without allocating by it");
	/* Nesting past the bound inside a result. */
	memset(buf, 0x91, sizeof buf);
	buf[sizeof buf - 1] = 0x01;
	ok(ipc_mp_check(buf, sizeof buf, 32) == -1, "nesting past the bound refused");
	ok(ipc_mp_check(buf + 40, sizeof buf - 40, 32) == 0, "nesting within it accepted");
	ok(ipc_mp_check((const uint8_t *)"\xcb\x00", 2, 4) == -1, "a cut float refused");
	ok(ipc_mp_check((const uint8_t *)"\xc7\x01\x05\x00", 4, 4) == 0, "ext8 accepted");

	/* Random mutations of valid frames never crash the decoder. */
	{
		uint8_t frame[256];
		size_t len, i;
		int n, survived = 1;
		struct ipc_msg m;
		const char *why;

		srand(42);
		ipc_put_result(&b, 5, 1, "e", 1, (const uint8_t *)"\x82\xa1k\x01\xa1j\x92\x01\xa1s", 10);
		len = b.len - IPC_HDR;
		for (n = 0; n < 100000; n++) {
			memcpy(frame, b.data + IPC_HDR, len);
			for (i = 0; i < 1 + (size_t)(rand() % 4); i++)
				frame[rand() % len] = (uint8_t)rand();
			if (ipc_decode(frame, (size_t)(rand() % (int)len) + 1, &m, &why) == 0 &&
			    m.type != IPC_RESULT && m.type != IPC_FATAL && m.type != IPC_HELLO &&
			    m.type != IPC_JOB && m.type != IPC_TASK)
				survived = 0;
		}
		ok(survived, "100000 mutated frames decoded or refused, never misread");
	}
	ipc_buf_free(&b);
}

static void
reader(void)
{
	struct ipc_buf b = { 0 };
	struct ipc_reader r;
	const uint8_t *body;
	size_t len, i;
	int sv[2], got = 0, fine = 1, fds[2];
	struct stat sa, sb;

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	ipc_put_hello(&b, 1);
	ipc_put_task(&b, 1, 2, "p", 1);
	ipc_put_hello(&b, 3);
	/* One byte at a time: every split point. */
	ipc_reader_init(&r, IPC_FRAME_MAX);
	for (i = 0; i < b.len; i++) {
		if (write(sv[0], b.data + i, 1) != 1 || ipc_read(&r, sv[1], 0) != 1)
			fine = 0;
		while (ipc_next(&r, &body, &len) == 1)
			got++;
	}
	ok(fine && got == 3 && ipc_pending(&r) == 0, "frames cut right, one byte at a time (%d)", got);
	/* All at once. */
	got = 0;
	if (write(sv[0], b.data, b.len) != (ssize_t)b.len)
		fine = 0;
	ipc_read(&r, sv[1], 0);
	while (ipc_next(&r, &body, &len) == 1)
		got++;
	ok(got == 3, "three frames in one read");
	/* Half a frame, then EOF. */
	if (write(sv[0], b.data, 5) != 5)
		fine = 0;
	ipc_read(&r, sv[1], 0);
	ok(ipc_next(&r, &body, &len) == 0 && ipc_pending(&r) == 5, "a cut frame is held, pending 5");
	ipc_reader_free(&r);

	/* A zero and an oversize length prefix: refused before any growth. */
	ipc_reader_init(&r, 1024);
	if (write(sv[0], "\0\0\0\0", 4) != 4)
		fine = 0;
	ipc_read(&r, sv[1], 0);
	ok(ipc_next(&r, &body, &len) == -1 && errno == EMSGSIZE, "length 0 refused");
	ipc_reader_free(&r);
	ipc_reader_init(&r, 1024);
	if (write(sv[0], "\x7f\xff\xff\xff", 4) != 4)
		fine = 0;
	ipc_read(&r, sv[1], 0);
	ok(ipc_next(&r, &body, &len) == -1 && errno == EMSGSIZE && r.cap < 200000,
	    "length past the bound refused, buffer not grown (%zu)", r.cap);
	ipc_reader_free(&r);

	/* Descriptors ride with their frames and come out in order. */
	fds[0] = open("/dev/null", O_RDONLY);
	fds[1] = open("/", O_RDONLY | O_DIRECTORY);
	b.len = 0;
	ipc_put_task(&b, 1, 1, "a", 1);
	ipc_send(sv[0], b.data, b.len, fds[0]);
	ipc_send(sv[0], b.data, b.len, fds[1]);
	ipc_reader_init(&r, IPC_FRAME_MAX);
	got = 0;
	while (got < 2 && ipc_read(&r, sv[1], 1) > 0)
		while (ipc_next(&r, &body, &len) == 1)
			got++;
	{
		int a = ipc_take_fd(&r), c = ipc_take_fd(&r);

		fstat(fds[0], &sa);
		fstat(a, &sb);
		ok(got == 2 && a >= 0 && sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev,
		    "first descriptor with the first frame");
		fstat(fds[1], &sa);
		fstat(c, &sb);
		ok(c >= 0 && sa.st_ino == sb.st_ino, "second with the second");
		ok(ipc_take_fd(&r) == -1, "then none");
		ok((fcntl(a, F_GETFD) & FD_CLOEXEC) != 0, "received descriptors are close-on-exec");
		close(a);
		close(c);
	}
	/* A descriptor flood past the queue: refused, nothing leaked. */
	for (i = 0; i < IPC_FD_QUEUE + 2; i++)
		ipc_send(sv[0], "x", 1, fds[0]);
	{
		int before = 0, after = 0, k;
		ssize_t n = 0;

		for (k = 0; k < 1024; k++)
			before += fcntl(k, F_GETFD) >= 0;
		for (i = 0; i < IPC_FD_QUEUE + 2 && n >= 0; i++)
			n = ipc_read(&r, sv[1], 1);
		ok(n == -1 && errno == EPROTO, "more descriptors than the queue holds: EPROTO");
		ipc_reader_free(&r);
		for (k = 0; k < 1024; k++)
			after += fcntl(k, F_GETFD) >= 0;
		ok(after <= before, "no descriptor leaked (%d, %d)", before, after);
	}
	close(fds[0]);
	close(fds[1]);
	close(sv[0]);
	close(sv[1]);
	ipc_buf_free(&b);
	(void)fine;
}

int
main(void)
{
	roundtrips();
	malformed();
	reader();
	return done_testing();
}
