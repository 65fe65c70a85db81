/* fakeworker: a worker that breaks the protocol on purpose, for the tests.
 * The supervisor starts it like the real one (socket at fd 3). It says a
 * correct hello, then for each task does what the file's base name says:
 * dup (answers twice), unknownid, cut (half a frame, then exit), garbage,
 * oversize (a length prefix of 4 GiB), badtype, closesock (closes the socket
 * and lives on), silent-exit, lastwords (a FATAL naming a refused system
 * call, then death by SIGSYS), sigsys (that death without a word), liar (a
 * FATAL mid-task, as if its set-up had failed, and lives on), readyagain (a
 * second READY), flood (100000 PROGRESS frames, as fast as the socket takes
 * them, then its answer), progresswrong (a PROGRESS for another task),
 * progressbad (a PROGRESS whose words are not UTF-8); anything else gets a
 * correct answer. A JOB gets READY.
 * FAKEWORKER_NOHELLO set: exits at once, as a worker that cannot start. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc/ipc.h"

static struct ipc_reader rd;
static struct ipc_buf out;

/* Exits with nothing left allocated, so a leak checker keeps the status. */
static int
quit(int status)
{
	ipc_reader_free(&rd);
	ipc_buf_free(&out);
	return status;
}

static void
send_buf(struct ipc_buf *b, size_t len)
{
	if (len > b->len)
		len = b->len;
	if (ipc_send(IPC_CHILD_FD, b->data, len, -1) < 0)
		exit(quit(1));
	b->len = 0;
}

static int
named(const char *path, size_t len, const char *word)
{
	const char *base = memrchr(path, '/', len);
	size_t blen = base ? len - (size_t)(base + 1 - path) : len;

	base = base ? base + 1 : path;
	return blen == strlen(word) && memcmp(base, word, blen) == 0;
}

int
main(void)
{
	const uint8_t empty_map[] = { 0x80 };

	if (getenv("FAKEWORKER_NOHELLO"))
		return 1;
	ipc_reader_init(&rd, IPC_FRAME_MAX);
	ipc_put_hello(&out, (uint32_t)getpid());
	send_buf(&out, out.len);
	for (;;) {
		const uint8_t *body;
		const char *why;
		struct ipc_msg m;
		size_t len;
		int r = ipc_next(&rd, &body, &len), fd;

		if (r < 0)
			return quit(2);
		if (r == 0) {
			if (ipc_read(&rd, IPC_CHILD_FD, 1) <= 0)
				return quit(0);
			continue;
		}
		if (ipc_decode(body, len, &m, &why) < 0)
			return quit(2);
		if (m.type == IPC_JOB) {
			ipc_put_ready(&out, m.job);
			send_buf(&out, out.len);
		}
		if (m.type != IPC_TASK)
			continue;
		if ((fd = ipc_take_fd(&rd)) >= 0)
			close(fd);
		if (named(m.path, m.path_len, "garbage")) {
			static const uint8_t junk[20] = { 0, 0, 0, 16, 0xc1, 0xc1, 0xc1, 0xc1,
			    0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1 };

			ipc_send(IPC_CHILD_FD, junk, sizeof junk, -1);
		} else if (named(m.path, m.path_len, "oversize")) {
			ipc_send(IPC_CHILD_FD, "\xff\xff\xff\xff", 4, -1);
		} else if (named(m.path, m.path_len, "badtype")) {
			/* {"t": 99} */
			ipc_send(IPC_CHILD_FD, "\x00\x00\x00\x04\x81\xa1t\x63", 8, -1);
		} else if (named(m.path, m.path_len, "cut")) {
			ipc_put_result(&out, m.id, 1, 0, NULL, 0, empty_map, 1);
			send_buf(&out, out.len / 2);
			return quit(0);
		} else if (named(m.path, m.path_len, "closesock")) {
			close(IPC_CHILD_FD);
			for (;;)
				pause();
		} else if (named(m.path, m.path_len, "silent-exit")) {
			return quit(0);
		} else if (named(m.path, m.path_len, "lastwords")) {
			ipc_put_fatal(&out, "sandbox: openat", 15);
			send_buf(&out, out.len);
			raise(SIGSYS);
		} else if (named(m.path, m.path_len, "sigsys")) {
			raise(SIGSYS);
		} else if (named(m.path, m.path_len, "liar")) {
			ipc_put_fatal(&out, "no such handler: x", 18);
			send_buf(&out, out.len);
			for (;;)
				pause();
		} else if (named(m.path, m.path_len, "readyagain")) {
			ipc_put_ready(&out, m.job);
			send_buf(&out, out.len);
			for (;;)
				pause();
		} else if (named(m.path, m.path_len, "flood")) {
			int i;

			/* Unlike the real child, no rate limit: in batches. */
			for (i = 0; i < 100000; i++) {
				ipc_put_progress(&out, m.id, (uint64_t)i, 100000, "flood", 5);
				if (out.len > 60000)
					send_buf(&out, out.len);
			}
			ipc_put_result(&out, m.id, 1, 0, NULL, 0, empty_map, 1);
			send_buf(&out, out.len);
		} else if (named(m.path, m.path_len, "progresswrong")) {
			ipc_put_progress(&out, m.id + 1000, 1, 0, NULL, 0);
			send_buf(&out, out.len);
			for (;;)
				pause();
		} else if (named(m.path, m.path_len, "progressbad")) {
			/* The encoder checks nothing: the words go as they are. */
			ipc_put_progress(&out, m.id, 1, 0, "bad \xff", 5);
			send_buf(&out, out.len);
			for (;;)
				pause();
		} else if (named(m.path, m.path_len, "unknownid")) {
			ipc_put_result(&out, m.id + 1000, 1, 0, NULL, 0, empty_map, 1);
			send_buf(&out, out.len);
		} else {
			ipc_put_result(&out, m.id, 1, 0, NULL, 0, empty_map, 1);
			if (named(m.path, m.path_len, "dup"))
				ipc_put_result(&out, m.id, 1, 0, NULL, 0, empty_map, 1);
			send_buf(&out, out.len);
		}
	}
}
