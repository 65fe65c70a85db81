/* msg: the message schema — encoders for each type, and the one decoder
 * that checks a frame from a peer before any field is used. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "ipc/ipc.h"

static const char *const type_names[IPC_TYPE_MAX] = {
	[IPC_HELLO] = "hello", [IPC_JOB] = "job", [IPC_TASK] = "task",
	[IPC_RESULT] = "result", [IPC_FATAL] = "fatal",
};

const char *
ipc_type_name(int type)
{
	return type > 0 && type < IPC_TYPE_MAX && type_names[type] ? type_names[type] : "unknown";
}

/* The fields, as bits; each type names those it must and may carry. */
enum {
	F_T = 1 << 0, F_V = 1 << 1, F_PID = 1 << 2, F_JOB = 1 << 3, F_ID = 1 << 4,
	F_OK = 1 << 5, F_PATH = 1 << 6, F_HANDLER = 1 << 7, F_ARG = 1 << 8,
	F_ERROR = 1 << 9, F_RESULT = 1 << 10,
};

static const struct {
	const char *key;
	int bit;
	msgpack_object_type type;
} fields[] = {
	{ "t", F_T, MSGPACK_OBJECT_POSITIVE_INTEGER },
	{ "v", F_V, MSGPACK_OBJECT_POSITIVE_INTEGER },
	{ "pid", F_PID, MSGPACK_OBJECT_POSITIVE_INTEGER },
	{ "job", F_JOB, MSGPACK_OBJECT_POSITIVE_INTEGER },
	{ "id", F_ID, MSGPACK_OBJECT_POSITIVE_INTEGER },
	{ "ok", F_OK, MSGPACK_OBJECT_BOOLEAN },
	{ "path", F_PATH, MSGPACK_OBJECT_BIN },
	{ "handler", F_HANDLER, MSGPACK_OBJECT_STR },
	{ "arg", F_ARG, MSGPACK_OBJECT_STR },
	{ "error", F_ERROR, MSGPACK_OBJECT_STR },
	{ "result", F_RESULT, MSGPACK_OBJECT_BIN },
};

static const struct {
	int must, may;
} schema[IPC_TYPE_MAX] = {
	[IPC_HELLO] = { F_T | F_V | F_PID, 0 },
	[IPC_JOB] = { F_T | F_JOB | F_HANDLER | F_ARG, 0 },
	[IPC_TASK] = { F_T | F_JOB | F_ID | F_PATH, 0 },
	[IPC_RESULT] = { F_T | F_ID | F_OK, F_ERROR | F_RESULT },
	[IPC_FATAL] = { F_T | F_ERROR, 0 },
};

/* msgpack-c writes through this into an ipc_buf. */
static int
buf_write(void *data, const char *p, size_t len)
{
	struct ipc_buf *b = data;

	if (len > b->cap - b->len) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *d;

		while (cap - b->len < len)
			cap *= 2;
		if ((d = realloc(b->data, cap)) == NULL)
			return -1;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, len);
	b->len += len;
	return 0;
}

struct frame {
	struct ipc_buf *b;
	size_t start;
	msgpack_packer pk;
	int failed;
};

static void
frame_begin(struct frame *f, struct ipc_buf *b, int type, size_t nfields)
{
	static const char zero[IPC_HDR];

	f->b = b;
	f->start = b->len;
	f->failed = buf_write(b, zero, sizeof zero) < 0;
	msgpack_packer_init(&f->pk, b, buf_write);
	f->failed |= msgpack_pack_map(&f->pk, nfields) < 0;
	f->failed |= msgpack_pack_str_with_body(&f->pk, "t", 1) < 0;
	f->failed |= msgpack_pack_uint32(&f->pk, (uint32_t)type) < 0;
}

static void
put_key(struct frame *f, const char *k)
{
	f->failed |= msgpack_pack_str_with_body(&f->pk, k, strlen(k)) < 0;
}

static void
put_uint(struct frame *f, const char *k, uint64_t v)
{
	put_key(f, k);
	f->failed |= msgpack_pack_uint64(&f->pk, v) < 0;
}

static void
put_str(struct frame *f, const char *k, const char *s, size_t len)
{
	put_key(f, k);
	f->failed |= msgpack_pack_str_with_body(&f->pk, s, len) < 0;
}

static void
put_bin(struct frame *f, const char *k, const void *p, size_t len)
{
	put_key(f, k);
	f->failed |= msgpack_pack_bin_with_body(&f->pk, p, len) < 0;
}

static int
frame_end(struct frame *f)
{
	size_t body = f->b->len - f->start - IPC_HDR;
	uint8_t *h;

	if (f->failed || body > IPC_FRAME_MAX) {
		f->b->len = f->start;
		errno = f->failed ? ENOMEM : EMSGSIZE;
		return -1;
	}
	h = f->b->data + f->start;
	h[0] = (uint8_t)(body >> 24);
	h[1] = (uint8_t)(body >> 16);
	h[2] = (uint8_t)(body >> 8);
	h[3] = (uint8_t)body;
	return 0;
}

int
ipc_put_hello(struct ipc_buf *b, uint32_t pid)
{
	struct frame f;

	frame_begin(&f, b, IPC_HELLO, 3);
	put_uint(&f, "v", IPC_PROTO_VERSION);
	put_uint(&f, "pid", pid);
	return frame_end(&f);
}

int
ipc_put_job(struct ipc_buf *b, uint32_t job, const char *handler, size_t hlen,
    const char *arg, size_t alen)
{
	struct frame f;

	frame_begin(&f, b, IPC_JOB, 4);
	put_uint(&f, "job", job);
	put_str(&f, "handler", handler, hlen);
	put_str(&f, "arg", arg, alen);
	return frame_end(&f);
}

int
ipc_put_task(struct ipc_buf *b, uint32_t job, uint64_t id, const char *path, size_t plen)
{
	struct frame f;

	frame_begin(&f, b, IPC_TASK, 4);
	put_uint(&f, "job", job);
	put_uint(&f, "id", id);
	put_bin(&f, "path", path, plen);
	return frame_end(&f);
}

int
ipc_put_result(struct ipc_buf *b, uint64_t id, int ok, const char *error, size_t elen,
    const uint8_t *result, size_t rlen)
{
	struct frame f;

	frame_begin(&f, b, IPC_RESULT, 3 + (elen > 0) + (rlen > 0));
	put_uint(&f, "id", id);
	put_key(&f, "ok");
	f.failed |= (ok ? msgpack_pack_true(&f.pk) : msgpack_pack_false(&f.pk)) < 0;
	if (elen > 0)
		put_str(&f, "error", error, elen);
	if (rlen > 0)
		put_bin(&f, "result", result, rlen);
	return frame_end(&f);
}

int
ipc_put_fatal(struct ipc_buf *b, const char *error, size_t elen)
{
	struct frame f;

	frame_begin(&f, b, IPC_FATAL, 2);
	put_str(&f, "error", error, elen);
	return frame_end(&f);
}

static int
is_map(const uint8_t *p, size_t len)
{
	return len > 0 && ((p[0] & 0xf0) == 0x80 || p[0] == 0xde || p[0] == 0xdf);
}

/* The fields of one decoded map into out; returns the bits seen, or -1. */
static int
take_fields(const msgpack_object_map *map, struct ipc_msg *out, const char **why)
{
	uint32_t i;
	size_t k;
	int seen = 0;

	for (i = 0; i < map->size; i++) {
		const msgpack_object *key = &map->ptr[i].key, *v = &map->ptr[i].val;

		if (key->type != MSGPACK_OBJECT_STR) {
			*why = "a field name that is not a string";
			return -1;
		}
		for (k = 0; k < sizeof fields / sizeof fields[0]; k++)
			if (strlen(fields[k].key) == key->via.str.size &&
			    memcmp(fields[k].key, key->via.str.ptr, key->via.str.size) == 0)
				break;
		if (k == sizeof fields / sizeof fields[0]) {
			*why = "an unknown field";
			return -1;
		}
		if (seen & fields[k].bit) {
			*why = "a field given twice";
			return -1;
		}
		if (v->type != fields[k].type) {
			*why = "a field of the wrong type";
			return -1;
		}
		seen |= fields[k].bit;
		switch (fields[k].bit) {
		case F_T: out->type = v->via.u64 < IPC_TYPE_MAX ? (int)v->via.u64 : IPC_TYPE_MAX; break;
		case F_V: out->version = v->via.u64 > UINT32_MAX ? UINT32_MAX : (uint32_t)v->via.u64; break;
		case F_PID:
		case F_JOB:
			if (v->via.u64 > UINT32_MAX) {
				*why = "a number out of range";
				return -1;
			}
			if (fields[k].bit == F_PID)
				out->pid = (uint32_t)v->via.u64;
			else
				out->job = (uint32_t)v->via.u64;
			break;
		case F_ID: out->id = v->via.u64; break;
		case F_OK: out->ok = v->via.boolean; break;
		case F_PATH:
			out->path = v->via.bin.ptr;
			out->path_len = v->via.bin.size;
			break;
		case F_HANDLER:
			out->handler = v->via.str.ptr;
			out->handler_len = v->via.str.size;
			break;
		case F_ARG:
			out->arg = v->via.str.ptr;
			out->arg_len = v->via.str.size;
			break;
		case F_ERROR:
			out->error = v->via.str.ptr;
			out->error_len = v->via.str.size;
			break;
		case F_RESULT:
			out->result = (const uint8_t *)v->via.bin.ptr;
			out->result_len = v->via.bin.size;
			break;
		}
	}
	return seen;
}

int
ipc_decode(const uint8_t *body, size_t len, struct ipc_msg *out, const char **why)
{
	msgpack_unpacked u;
	size_t off = 0;
	int seen = -1;

	memset(out, 0, sizeof *out);
	/* The whole frame is checked first, so msgpack-c never sizes an
	 * allocation by a count the bytes cannot back. */
	if (ipc_mp_check(body, len, 1) < 0) {
		*why = "malformed msgpack";
		return -1;
	}
	if (!is_map(body, len)) {
		*why = "not a map";
		return -1;
	}
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, (const char *)body, len, &off) != MSGPACK_UNPACK_SUCCESS ||
	    u.data.type != MSGPACK_OBJECT_MAP || off != len)
		*why = "malformed msgpack";
	else
		seen = take_fields(&u.data.via.map, out, why);
	msgpack_unpacked_destroy(&u);
	if (seen < 0)
		return -1;
	if (!(seen & F_T) || out->type <= 0 || out->type >= IPC_TYPE_MAX) {
		*why = "an unknown message type";
		return -1;
	}
	if ((seen & schema[out->type].must) != schema[out->type].must) {
		*why = "a missing field";
		return -1;
	}
	if (seen & ~(schema[out->type].must | schema[out->type].may)) {
		*why = "a field that does not belong to its message";
		return -1;
	}
	if (out->type == IPC_HELLO && out->version != IPC_PROTO_VERSION) {
		*why = "another protocol version";
		return -1;
	}
	if (out->result_len > 0 && (!is_map(out->result, out->result_len) ||
	    ipc_mp_check(out->result, out->result_len, 32) < 0)) {
		*why = "a result that is not one well-formed map";
		return -1;
	}
	return 0;
}
