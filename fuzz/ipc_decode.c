/* Fuzz target: bytes from a peer on the socket. The input is decoded whole
 * as one frame body, then sent through a socketpair in pieces, cut into
 * frames by the reader and each frame decoded, as the supervisor and a child
 * do. What a decoded message carries is used the way its receiver uses it
 * (a result rendered as JSON, strings shown on a terminal, a job's options
 * read), and a message encoded again decodes to the same fields. A failed
 * check aborts, so libFuzzer keeps the input. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <msgpack.h>

#include "ipc/jobopts.h"
#include "fuzz/fuzz.h"
#include "ipc/ipc.h"

/* The nesting ipc_decode allows a result, and json_msgpack renders. */
#define RESULT_DEPTH 32

/* The descriptor passed beside the bytes. */
static int devnull = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int
same_bytes(const void *a, size_t alen, const void *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* Encodes m again with the ipc_put_* of its type and decodes that. */
static void
roundtrip(const struct ipc_msg *m)
{
	struct ipc_buf b = { 0 };
	struct ipc_msg m2;
	const char *why = NULL;
	int r = -1;

	switch (m->type) {
	case IPC_HELLO:
		r = ipc_put_hello(&b, m->pid);
		break;
	case IPC_JOB:
		r = ipc_put_job(&b, m->job, m->handler, m->handler_len, m->arg, m->arg_len,
		    m->opts, m->opts_len, m->slot, m->name, m->name_len);
		break;
	case IPC_TASK:
		r = ipc_put_task(&b, m->job, m->id, m->path, m->path_len, m->seq);
		break;
	case IPC_RESULT:
		r = ipc_put_result(&b, m->id, m->ok, m->host, m->error, m->error_len, m->result,
		    m->result_len);
		break;
	case IPC_FATAL:
		r = ipc_put_fatal(&b, m->error, m->error_len);
		break;
	case IPC_READY:
		r = ipc_put_ready(&b, m->job);
		break;
	default:
		return;	/* a type newer than this target: decoded only */
	}
	CHECK(r == 0);
	CHECK(b.len > IPC_HDR && be32(b.data) == b.len - IPC_HDR);
	if (ipc_decode(b.data + IPC_HDR, b.len - IPC_HDR, &m2, &why) != 0) {
		fprintf(stderr, "fuzz_ipc_decode: re-encoded %s refused: %s\n",
		    ipc_type_name(m->type), why);
		abort();
	}
	CHECK(m2.type == m->type && m2.version == m->version && m2.pid == m->pid);
	CHECK(m2.job == m->job && m2.id == m->id && m2.ok == m->ok);
	CHECK(same_bytes(m2.path, m2.path_len, m->path, m->path_len));
	CHECK(same_bytes(m2.handler, m2.handler_len, m->handler, m->handler_len));
	CHECK(same_bytes(m2.arg, m2.arg_len, m->arg, m->arg_len));
	CHECK(same_bytes(m2.opts, m2.opts_len, m->opts, m->opts_len));
	CHECK(same_bytes(m2.error, m2.error_len, m->error, m->error_len));
	CHECK(same_bytes(m2.result, m2.result_len, m->result, m->result_len));
	ipc_buf_free(&b);
}

/* A JOB's options as a child reads them; options it accepts pack again to
 * the same options. */
static void
job_options(const uint8_t *p, size_t len)
{
	struct job_opts o, o2;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked u;
	const char *why = NULL;
	int r = -1;

	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, (const char *)p, len, NULL) == MSGPACK_UNPACK_SUCCESS) {
		r = job_opts_unpack(&u.data, &o, &why);
		CHECK(r == 0 || why != NULL);
	}
	msgpack_unpacked_destroy(&u);
	if (r < 0)
		return;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	CHECK(job_opts_pack(&o, &pk) == 0);
	msgpack_unpacked_init(&u);
	CHECK(msgpack_unpack_next(&u, sb.data, sb.size, NULL) == MSGPACK_UNPACK_SUCCESS);
	CHECK(job_opts_unpack(&u.data, &o2, &why) == 0);
	CHECK(memcmp(&o, &o2, sizeof o) == 0);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
}

/* One frame body, as a receiver decodes and then uses it. */
static void
decode(const uint8_t *body, size_t len)
{
	static const struct ipc_msg zero;
	struct ipc_msg m;
	const char *why = NULL;

	if (ipc_decode(body, len, &m, &why) != 0) {
		CHECK(why != NULL && *why != '\0');
		CHECK(memcmp(&m, &zero, sizeof m) == 0);
		return;
	}
	CHECK(m.type > 0 && m.type < IPC_TYPE_MAX);
	CHECK(strcmp(ipc_type_name(m.type), "unknown") != 0);
	CHECK(fuzz_inside(body, len, m.path, m.path_len));
	CHECK(fuzz_inside(body, len, m.handler, m.handler_len));
	CHECK(fuzz_inside(body, len, m.arg, m.arg_len));
	CHECK(fuzz_inside(body, len, m.opts, m.opts_len));
	CHECK(fuzz_inside(body, len, m.error, m.error_len));
	CHECK(fuzz_inside(body, len, m.result, m.result_len));
	if (m.result_len > 0) {
		CHECK(ipc_mp_check(m.result, m.result_len, RESULT_DEPTH) == 0);
		CHECK(fuzz_render_json(m.result, m.result_len) == 0);
	}
	fuzz_render_str(m.path, m.path_len);
	fuzz_render_str(m.handler, m.handler_len);
	fuzz_render_str(m.arg, m.arg_len);
	fuzz_render_str(m.error, m.error_len);
	if (m.opts_len > 0)
		job_options(m.opts, m.opts_len);
	roundtrip(&m);
}

/* A reader taking frames off one end of a socketpair, checked against the
 * frames a plain walk of the same bytes finds. */
struct run {
	const uint8_t *data;
	size_t size;
	size_t expect;		/* offset in data of the next frame to come out */
	size_t max;		/* the reader's frame bound */
	int refused;		/* the reader refused a length: the peer is dropped */
	struct ipc_reader r;
};

/* Takes every frame the reader has whole. */
static void
take_frames(struct run *u)
{
	const uint8_t *body;
	size_t len;
	int k, fd;

	while (!u->refused && (k = ipc_next(&u->r, &body, &len)) != 0) {
		uint32_t n;

		CHECK(u->expect + IPC_HDR <= u->size);
		n = be32(u->data + u->expect);
		if (k < 0) {
			CHECK(errno == EMSGSIZE);
			CHECK(n == 0 || n > u->max);
			u->refused = 1;
			return;
		}
		CHECK(n > 0 && n <= u->max && len == n);
		CHECK(u->expect + IPC_HDR + n <= u->size);
		CHECK(memcmp(body, u->data + u->expect + IPC_HDR, n) == 0);
		u->expect += IPC_HDR + n;
		decode(body, len);
		/* A child takes one descriptor per task, as it would here. */
		if ((fd = ipc_take_fd(&u->r)) >= 0)
			close(fd);
	}
}

/* Reads what the socket holds. Returns 0 at EOF, 1 when it would block,
 * -1 when the reader gave up on the stream. */
static int
drain(struct run *u, int sock, int want_fds)
{
	for (;;) {
		ssize_t n = ipc_read(&u->r, sock, want_fds);

		if (n < 0 && errno == EAGAIN)
			return 1;
		if (n < 0) {
			/* Bad lengths are ipc_next's to report, and every whole
			 * frame is taken before the next read. */
			CHECK(errno != EMSGSIZE && errno != ENOBUFS);
			CHECK(errno == EPROTO && want_fds);
			return -1;
		}
		CHECK(u->r.cap <= u->max + IPC_HDR);
		if (n == 0)
			return 0;
		take_frames(u);
		if (u->refused)
			return -1;
	}
}

/* Sends data in pieces whose sizes come from seed, a descriptor on every
 * fd_every-th piece (0: none), reading as the pieces arrive. */
static void
read_stream(const uint8_t *data, size_t size, size_t max, uint32_t seed, int fd_every)
{
	struct run u = { .data = data, .size = size, .max = max };
	int sv[2], st = 1, before = lowest_free_fd(), piece = 0;
	size_t off = 0, most = size / 8 + 1;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
	ipc_reader_init(&u.r, max);
	while (off < size && st > 0) {
		size_t want = seed == 0 ? size - off : 1 + (seed % most);
		ssize_t n;

		seed = seed * 1103515245u + 12345u;
		if (want > size - off)
			want = size - off;
		if (fd_every > 0 && ++piece % fd_every == 0)
			n = ipc_send(sv[1], data + off, want, devnull);
		else
			n = ipc_send(sv[1], data + off, want, -1);
		if (n < 0)
			CHECK(errno == EAGAIN);
		else
			off += (size_t)n;
		st = drain(&u, sv[0], fd_every > 0);
	}
	if (st > 0) {
		shutdown(sv[1], SHUT_WR);
		while ((st = drain(&u, sv[0], fd_every > 0)) > 0)
			;
	}
	if (st == 0) {
		/* At EOF: what is held is exactly the tail that makes no
		 * whole frame. */
		CHECK(ipc_pending(&u.r) == size - u.expect);
		CHECK(u.expect + IPC_HDR > size ||
		    u.expect + IPC_HDR + be32(data + u.expect) > size);
	}
	ipc_reader_free(&u.r);
	close(sv[0]);
	close(sv[1]);
	/* cppcheck-suppress leakReturnValNotUsed ; it closes the descriptor and returns its number */
	CHECK(lowest_free_fd() == before);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t seed = 2166136261u;
	size_t used, i;
	int check;

	if (devnull < 0)
		CHECK((devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0);
	/* The input as one frame body. */
	decode(data, size);

	/* As msgpack: the checker, the skipper and the JSON writer agree. */
	check = ipc_mp_check(data, size, RESULT_DEPTH);
	CHECK((fuzz_render_json(data, size) == 0) == (check == 0));
	if (ipc_mp_skip(data, size, RESULT_DEPTH, &used) == 0) {
		CHECK(used > 0 && used <= size);
		CHECK(ipc_mp_check(data, used, RESULT_DEPTH) == 0);
		CHECK((used == size) == (check == 0));
	} else {
		CHECK(check != 0);
	}

	/* As a stream: whole, then in pieces with descriptors beside them
	 * and a small frame bound. */
	for (i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 16777619u;
	read_stream(data, size, IPC_FRAME_MAX, 0, 0);
	read_stream(data, size, 256, seed | 1, 3);
	return 0;
}
