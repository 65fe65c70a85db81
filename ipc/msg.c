/* msg: the message schema — encoders for each type, and the one decoder
 * that checks a frame from a peer before any field is used. The decoder
 * trusts nothing: the bytes are walked before msgpack-c sees them, every
 * field is looked up in one table, and what is left over is an error. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "ipc/ipc.h"

/* Nesting a RESULT's map may have; the supervisor's JSON writer recurses
 * that deep at most. */
#define RESULT_DEPTH 32

static const char *const type_names[IPC_TYPE_MAX] = {
	[IPC_HELLO] = "hello", [IPC_JOB] = "job", [IPC_TASK] = "task",
	[IPC_RESULT] = "result", [IPC_FATAL] = "fatal", [IPC_READY] = "ready",
};

const char *
ipc_type_name(int type)
{
	if (type > 0 && type < IPC_TYPE_MAX && type_names[type] != NULL)
		return type_names[type];
	return "unknown";
}

enum field {
	F_T, F_V, F_PID, F_JOB, F_ID, F_OK, F_PATH, F_HANDLER, F_ARG, F_OPTS, F_ERROR, F_RESULT,
	F_COUNT
};
#define BIT(f) (1u << (f))

/* Each field's name, msgpack type, and the ways it can be wrong, spelled
 * out here so that *why is always a static string. */
#define FIELD(name, mptype) { name, sizeof name - 1, mptype,                 \
	"missing field " name, "field " name " has the wrong type",          \
	"field " name " given twice", "field " name " does not belong in this message", \
	"field " name " out of range" }

static const struct {
	const char *key;
	size_t keylen;
	msgpack_object_type type;
	const char *missing, *mistyped, *twice, *unexpected, *range;
} fields[F_COUNT] = {
	[F_T] = FIELD("t", MSGPACK_OBJECT_POSITIVE_INTEGER),
	[F_V] = FIELD("v", MSGPACK_OBJECT_POSITIVE_INTEGER),
	[F_PID] = FIELD("pid", MSGPACK_OBJECT_POSITIVE_INTEGER),
	[F_JOB] = FIELD("job", MSGPACK_OBJECT_POSITIVE_INTEGER),
	[F_ID] = FIELD("id", MSGPACK_OBJECT_POSITIVE_INTEGER),
	[F_OK] = FIELD("ok", MSGPACK_OBJECT_BOOLEAN),
	[F_PATH] = FIELD("path", MSGPACK_OBJECT_BIN),
	[F_HANDLER] = FIELD("handler", MSGPACK_OBJECT_STR),
	[F_ARG] = FIELD("arg", MSGPACK_OBJECT_STR),
	[F_OPTS] = FIELD("opts", MSGPACK_OBJECT_BIN),
	[F_ERROR] = FIELD("error", MSGPACK_OBJECT_STR),
	[F_RESULT] = FIELD("result", MSGPACK_OBJECT_BIN),
};

/* The fields each type must and may carry. */
static const struct {
	unsigned must, may;
} schema[IPC_TYPE_MAX] = {
	[IPC_HELLO] = { BIT(F_T) | BIT(F_V) | BIT(F_PID), 0 },
	[IPC_JOB] = { BIT(F_T) | BIT(F_JOB) | BIT(F_HANDLER) | BIT(F_ARG), BIT(F_OPTS) },
	[IPC_TASK] = { BIT(F_T) | BIT(F_JOB) | BIT(F_ID) | BIT(F_PATH), 0 },
	[IPC_RESULT] = { BIT(F_T) | BIT(F_ID) | BIT(F_OK), BIT(F_ERROR) | BIT(F_RESULT) },
	[IPC_FATAL] = { BIT(F_T) | BIT(F_ERROR), 0 },
	[IPC_READY] = { BIT(F_T) | BIT(F_JOB), 0 },
};

/* The most fields any message has (RESULT). A map with more is refused
 * before msgpack-c allocates for it. */
#define FIELDS_MAX 5

/* msgpack-c writes through this into an ipc_buf. */
static int
buf_write(void *data, const char *p, size_t len)
{
	struct ipc_buf *b = data;

	if (len == 0)
		return 0;	/* an empty string may come with a NULL pointer */
	if (len > b->cap - b->len) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *d;

		while (cap - b->len < len) {
			if (cap > SIZE_MAX / 2) {
				errno = ENOMEM;
				return -1;
			}
			cap *= 2;
		}
		if ((d = realloc(b->data, cap)) == NULL)
			return -1;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, len);
	b->len += len;
	return 0;
}

/* One frame being appended: its start in the buffer, so a failure can
 * take it back whole. */
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
put_key(struct frame *f, enum field k)
{
	f->failed |= msgpack_pack_str_with_body(&f->pk, fields[k].key, fields[k].keylen) < 0;
}

static void
put_uint(struct frame *f, enum field k, uint64_t v)
{
	put_key(f, k);
	f->failed |= msgpack_pack_uint64(&f->pk, v) < 0;
}

static void
put_str(struct frame *f, enum field k, const char *s, size_t len)
{
	put_key(f, k);
	f->failed |= msgpack_pack_str_with_body(&f->pk, s, len) < 0;
}

static void
put_bin(struct frame *f, enum field k, const void *p, size_t len)
{
	put_key(f, k);
	f->failed |= msgpack_pack_bin_with_body(&f->pk, p, len) < 0;
}

/* Patches the length in, or takes the frame back out. */
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

/* Payloads that cannot fit are refused before a byte is copied. */
static int
too_big(size_t a, size_t b)
{
	if (a > IPC_FRAME_MAX || b > IPC_FRAME_MAX - a) {
		errno = EMSGSIZE;
		return 1;
	}
	return 0;
}

int
ipc_put_hello(struct ipc_buf *b, uint32_t pid)
{
	struct frame f;

	frame_begin(&f, b, IPC_HELLO, 3);
	put_uint(&f, F_V, IPC_PROTO_VERSION);
	put_uint(&f, F_PID, pid);
	return frame_end(&f);
}

int
ipc_put_job(struct ipc_buf *b, uint32_t job, const char *handler, size_t hlen,
    const char *arg, size_t alen, const uint8_t *opts, size_t olen)
{
	struct frame f;

	if (too_big(hlen, alen) || too_big(hlen + alen, olen))
		return -1;
	frame_begin(&f, b, IPC_JOB, 4 + (olen > 0));
	put_uint(&f, F_JOB, job);
	put_str(&f, F_HANDLER, handler, hlen);
	put_str(&f, F_ARG, arg, alen);
	if (olen > 0)
		put_bin(&f, F_OPTS, opts, olen);
	return frame_end(&f);
}

int
ipc_put_task(struct ipc_buf *b, uint32_t job, uint64_t id, const char *path, size_t plen)
{
	struct frame f;

	if (too_big(plen, 0))
		return -1;
	frame_begin(&f, b, IPC_TASK, 4);
	put_uint(&f, F_JOB, job);
	put_uint(&f, F_ID, id);
	put_bin(&f, F_PATH, path, plen);
	return frame_end(&f);
}

int
ipc_put_result(struct ipc_buf *b, uint64_t id, int ok, const char *error, size_t elen,
    const uint8_t *result, size_t rlen)
{
	struct frame f;

	if (too_big(elen, rlen))
		return -1;
	/* Empty optional fields are left out: absent and empty read alike. */
	frame_begin(&f, b, IPC_RESULT, 3 + (elen > 0) + (rlen > 0));
	put_uint(&f, F_ID, id);
	put_key(&f, F_OK);
	f.failed |= (ok ? msgpack_pack_true(&f.pk) : msgpack_pack_false(&f.pk)) < 0;
	if (elen > 0)
		put_str(&f, F_ERROR, error, elen);
	if (rlen > 0)
		put_bin(&f, F_RESULT, result, rlen);
	return frame_end(&f);
}

int
ipc_put_fatal(struct ipc_buf *b, const char *error, size_t elen)
{
	struct frame f;

	if (too_big(elen, 0))
		return -1;
	frame_begin(&f, b, IPC_FATAL, 2);
	put_str(&f, F_ERROR, error, elen);
	return frame_end(&f);
}

int
ipc_put_ready(struct ipc_buf *b, uint32_t job)
{
	struct frame f;

	frame_begin(&f, b, IPC_READY, 2);
	put_uint(&f, F_JOB, job);
	return frame_end(&f);
}

static int
refuse(const char **why, const char *what)
{
	*why = what;
	return -1;
}

/* The entry count of the map whose header is at p (already walked). */
static uint32_t
map_count(const uint8_t *p)
{
	if (p[0] == 0xde)
		return (uint32_t)p[1] << 8 | p[2];
	if (p[0] == 0xdf)
		return (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
	return p[0] & 0x0f;
}

static int
is_map(uint8_t b)
{
	return (b & 0xf0) == 0x80 || b == 0xde || b == 0xdf;
}

/* Whether [p, p+n) lies in [body, body+len). */
static int
inside(const uint8_t *body, size_t len, const void *p, size_t n)
{
	uintptr_t b = (uintptr_t)body, q = (uintptr_t)p;

	if (n == 0)
		return 1;
	return q >= b && q - b <= len && n <= len - (q - b);
}

/* The fields of the decoded map, checked against the schema, into out. */
static int
take_fields(const msgpack_object_map *map, const uint8_t *body, size_t len,
    struct ipc_msg *out, const char **why)
{
	/* Overwritten by the next refusal of an unknown type: callers copy
	 * *why before decoding again, and each process decodes on one thread. */
	static char unknown_type[48];
	const msgpack_object *val[F_COUNT] = { 0 };
	unsigned seen = 0, must, may;
	uint64_t t;
	uint32_t i;
	int k;

	for (i = 0; i < map->size; i++) {
		const msgpack_object *key = &map->ptr[i].key, *v = &map->ptr[i].val;

		if (key->type != MSGPACK_OBJECT_STR)
			return refuse(why, "a field name that is not a string");
		for (k = 0; k < F_COUNT; k++)
			if (fields[k].keylen == key->via.str.size &&
			    memcmp(fields[k].key, key->via.str.ptr, key->via.str.size) == 0)
				break;
		if (k == F_COUNT)
			return refuse(why, "unknown field");
		if (seen & BIT(k))
			return refuse(why, fields[k].twice);
		if (v->type != fields[k].type)
			return refuse(why, fields[k].mistyped);
		seen |= BIT(k);
		val[k] = v;
	}
	if (val[F_T] == NULL)
		return refuse(why, fields[F_T].missing);
	t = val[F_T]->via.u64;
	if (t == 0 || t >= IPC_TYPE_MAX) {
		snprintf(unknown_type, sizeof unknown_type, "unknown message type %llu",
		    (unsigned long long)t);
		return refuse(why, unknown_type);
	}
	out->type = (int)t;
	must = schema[t].must;
	may = schema[t].may;
	for (k = 0; k < F_COUNT; k++) {
		if ((must & BIT(k)) && !(seen & BIT(k)))
			return refuse(why, fields[k].missing);
		if ((seen & BIT(k)) && !((must | may) & BIT(k)))
			return refuse(why, fields[k].unexpected);
	}
	if (val[F_PID] != NULL && val[F_PID]->via.u64 > UINT32_MAX)
		return refuse(why, fields[F_PID].range);
	if (val[F_JOB] != NULL && val[F_JOB]->via.u64 > UINT32_MAX)
		return refuse(why, fields[F_JOB].range);
	if (val[F_V] != NULL) {
		if (val[F_V]->via.u64 != IPC_PROTO_VERSION)
			return refuse(why, "unsupported protocol version");
		out->version = IPC_PROTO_VERSION;
	}
	if (val[F_PID] != NULL)
		out->pid = (uint32_t)val[F_PID]->via.u64;
	if (val[F_JOB] != NULL)
		out->job = (uint32_t)val[F_JOB]->via.u64;
	if (val[F_ID] != NULL)
		out->id = val[F_ID]->via.u64;
	if (val[F_OK] != NULL)
		out->ok = val[F_OK]->via.boolean ? 1 : 0;
	if (val[F_PATH] != NULL) {
		out->path = val[F_PATH]->via.bin.ptr;
		out->path_len = val[F_PATH]->via.bin.size;
	}
	if (val[F_HANDLER] != NULL) {
		out->handler = val[F_HANDLER]->via.str.ptr;
		out->handler_len = val[F_HANDLER]->via.str.size;
	}
	if (val[F_ARG] != NULL) {
		out->arg = val[F_ARG]->via.str.ptr;
		out->arg_len = val[F_ARG]->via.str.size;
	}
	if (val[F_OPTS] != NULL) {
		out->opts = (const uint8_t *)val[F_OPTS]->via.bin.ptr;
		out->opts_len = val[F_OPTS]->via.bin.size;
	}
	if (val[F_ERROR] != NULL) {
		out->error = val[F_ERROR]->via.str.ptr;
		out->error_len = val[F_ERROR]->via.str.size;
	}
	if (val[F_RESULT] != NULL) {
		out->result = (const uint8_t *)val[F_RESULT]->via.bin.ptr;
		out->result_len = val[F_RESULT]->via.bin.size;
	}
	/* msgpack_unpack_next leaves str and bin pointing into the bytes it
	 * was given (msgpack-c 4.0); a version that copied them into its zone
	 * would hand out memory freed on return. */
	if (!inside(body, len, out->path, out->path_len) ||
	    !inside(body, len, out->handler, out->handler_len) ||
	    !inside(body, len, out->arg, out->arg_len) ||
	    !inside(body, len, out->opts, out->opts_len) ||
	    !inside(body, len, out->error, out->error_len) ||
	    !inside(body, len, out->result, out->result_len))
		return refuse(why, "msgpack-c copied a field out of the frame");
	/* Options: one map of scalars. */
	if (out->opts_len > 0 && (!is_map(out->opts[0]) ||
	    ipc_mp_check(out->opts, out->opts_len, 1) < 0))
		return refuse(why, "opts is not one well-formed msgpack map of scalars");
	if (out->result_len > 0) {
		if (!is_map(out->result[0]))
			return refuse(why, "result is not a map");
		if (ipc_mp_check(out->result, out->result_len, RESULT_DEPTH) < 0)
			return refuse(why, "result is not one well-formed msgpack map");
	}
	return 0;
}

int
ipc_decode(const uint8_t *body, size_t len, struct ipc_msg *out, const char **why)
{
	msgpack_unpacked u;
	size_t used, off = 0;
	int r;

	memset(out, 0, sizeof *out);
	if (len == 0)
		return refuse(why, "empty frame");
	if (!is_map(body[0]))
		return refuse(why, "not a map");
	/* Every count is checked against the bytes before msgpack-c sizes an
	 * allocation by it. Fields are scalars, strings and bins: a map
	 * nested one deep is the whole of a message. */
	if (ipc_mp_skip(body, len, 1, &used) < 0) {
		if (ipc_mp_skip(body, len, 64, &used) == 0)
			return refuse(why, "a field holds an array or a map");
		return refuse(why, "malformed msgpack");
	}
	if (used != len)
		return refuse(why, "trailing bytes");
	if (map_count(body) > FIELDS_MAX)
		return refuse(why, "more fields than any message has");

	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, (const char *)body, len, &off) != MSGPACK_UNPACK_SUCCESS ||
	    off != len || u.data.type != MSGPACK_OBJECT_MAP)
		r = refuse(why, "malformed msgpack");
	else
		r = take_fields(&u.data.via.map, body, len, out, why);
	msgpack_unpacked_destroy(&u);
	if (r < 0) {
		/* Nothing half-decoded is left for a careless caller. */
		memset(out, 0, sizeof *out);
		return -1;
	}
	return 0;
}

size_t
ipc_fatal_frame(uint8_t *buf, size_t cap, const char *error, size_t elen)
{
	/* {"t": IPC_FATAL, "error": str8}: a map of 2, fixstr keys. */
	static const uint8_t head[] = { 0x82, 0xa1, 't', IPC_FATAL, 0xa5, 'e', 'r', 'r', 'o', 'r', 0xd9 };
	size_t body, i;

	if (cap < IPC_FATAL_FRAME_MAX)
		return 0;
	if (elen > IPC_FATAL_TEXT_MAX)
		elen = IPC_FATAL_TEXT_MAX;
	for (i = 0; i < sizeof head; i++)
		buf[IPC_HDR + i] = head[i];
	buf[IPC_HDR + sizeof head] = (uint8_t)elen;
	for (i = 0; i < elen; i++)
		buf[IPC_HDR + sizeof head + 1 + i] = (uint8_t)error[i];
	body = sizeof head + 1 + elen;
	buf[0] = (uint8_t)(body >> 24);
	buf[1] = (uint8_t)(body >> 16);
	buf[2] = (uint8_t)(body >> 8);
	buf[3] = (uint8_t)body;
	return IPC_HDR + body;
}
