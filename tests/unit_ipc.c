/* Unit tests of ipc/: every message round-trips with its bytes exact and its
 * pointers inside the frame (the validator has tests/unit_mpcheck.c); the
 * decoder refuses each kind of malformed frame with its reason, and
 * survives 100000 random mutations;
 * the reader cuts frames right at every split point, never holds more than
 * one frame, refuses a bad length before growing for it; descriptors come
 * out in the order they were sent and never leak. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <msgpack.h>

#include "ipc/ipc.h"
#include "tests/mutate.h"
#include "tests/tap.h"

#define S(lit) (const uint8_t *)(lit), sizeof(lit) - 1

static int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (d == NULL)
		return -1;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* The body of the frame at the end of b that starts at start. */
static int
decode_at(const struct ipc_buf *b, size_t start, struct ipc_msg *m, const char **why)
{
	return ipc_decode(b->data + start + IPC_HDR, b->len - start - IPC_HDR, m, why);
}

static int
within(const struct ipc_buf *b, const void *p, size_t n)
{
	const uint8_t *q = p;

	return n == 0 || (q >= b->data && q + n <= b->data + b->len);
}

static void
roundtrips(void)
{
	struct ipc_buf b = { 0 };
	struct ipc_msg m;
	const char *why = "";
	const char path[] = "dir/new\nline\xff\xfe\0nul";
	const uint8_t map[] = { 0x82, 0xa1, 'k', 0x2a, 0xa1, 'a', 0x91, 0xc0 };
	size_t at, before;
	char *big;

	ok(ipc_put_hello(&b, 1234) == 0 && decode_at(&b, 0, &m, &why) == 0 &&
	    m.type == IPC_HELLO && m.pid == 1234 && m.version == IPC_PROTO_VERSION,
	    "hello round-trips");
	is_int(b.len - IPC_HDR, (uint32_t)b.data[0] << 24 | b.data[1] << 16 | b.data[2] << 8 | b.data[3],
	    "the length prefix is the body's length, big-endian");
	b.len = 0;
	ok(ipc_put_job(&b, UINT32_MAX, "exec", 4, "cat {}", 6, NULL, 0, 0, NULL, 0) == 0 && decode_at(&b, 0, &m, &why) == 0 &&
	    m.type == IPC_JOB && m.job == UINT32_MAX && m.handler_len == 4 &&
	    memcmp(m.handler, "exec", 4) == 0 && m.arg_len == 6 && memcmp(m.arg, "cat {}", 6) == 0,
	    "job round-trips");
	ok(within(&b, m.handler, m.handler_len) && within(&b, m.arg, m.arg_len),
	    "... its strings point into the frame");
	b.len = 0;
	ok(ipc_put_job(&b, 1, "sha256", 6, NULL, 0, NULL, 0, 0, NULL, 0) == 0 && decode_at(&b, 0, &m, &why) == 0 &&
	    m.arg_len == 0 && m.opts_len == 0, "job with an empty arg and no options round-trips");
	b.len = 0;
	{
		static const uint8_t opts[] = { 0x82, 0xa1, 'a', 0x01, 0xa1, 'b', 0xcd, 0x12, 0x34 };
		static const uint8_t nested[] = { 0x81, 0xa1, 'a', 0x91, 0x01 };
		static const uint8_t notmap[] = { 0x91, 0x01 };

		ok(ipc_put_job(&b, 2, "archive", 7, "", 0, opts, sizeof opts, 0, NULL, 0) == 0 &&
		    decode_at(&b, 0, &m, &why) == 0 && m.opts_len == sizeof opts &&
		    memcmp(m.opts, opts, sizeof opts) == 0 && within(&b, m.opts, m.opts_len),
		    "job with options round-trips, the map's bytes exact and in the frame");
		b.len = 0;
		ok(ipc_put_job(&b, 2, "archive", 7, "", 0, nested, sizeof nested, 0, NULL, 0) == 0 &&
		    decode_at(&b, 0, &m, &why) == -1 && strstr(why, "opts") != NULL,
		    "options holding a container refused: %s", why);
		b.len = 0;
		ok(ipc_put_job(&b, 2, "archive", 7, "", 0, notmap, sizeof notmap, 0, NULL, 0) == 0 &&
		    decode_at(&b, 0, &m, &why) == -1 && strstr(why, "opts") != NULL,
		    "options that are not a map refused");
		b.len = 0;
	}
	ok(ipc_put_job(&b, 3, "exec", 4, "x", 1, NULL, 0, 41, "nightly <r>", 11) == 0 &&
	    decode_at(&b, 0, &m, &why) == 0 && m.slot == 41 && m.name_len == 11 &&
	    memcmp(m.name, "nightly <r>", 11) == 0, "job with its slot and its job's name round-trips");
	b.len = 0;
	ok(ipc_put_task(&b, 7, 1, "p", 1, UINT64_MAX) == 0 && decode_at(&b, 0, &m, &why) == 0 &&
	    m.seq == UINT64_MAX, "task with its seq round-trips");
	b.len = 0;
	ok(ipc_put_task(&b, 7, UINT64_MAX, path, sizeof path - 1, 0) == 0 && decode_at(&b, 0, &m, &why) == 0 &&
	    m.type == IPC_TASK && m.job == 7 && m.id == UINT64_MAX && m.path_len == sizeof path - 1 &&
	    memcmp(m.path, path, m.path_len) == 0 && within(&b, m.path, m.path_len),
	    "task round-trips, path bytes exact (NUL, newline, invalid UTF-8)");
	b.len = 0;
	ok(ipc_put_result(&b, 9, 0, 0, "bad", 3, map, sizeof map) == 0 && decode_at(&b, 0, &m, &why) == 0 &&
	    m.type == IPC_RESULT && m.id == 9 && m.ok == 0 && m.error_len == 3 &&
	    memcmp(m.error, "bad", 3) == 0 && m.result_len == sizeof map &&
	    memcmp(m.result, map, sizeof map) == 0 && within(&b, m.result, m.result_len) &&
	    within(&b, m.error, m.error_len), "result round-trips");
	b.len = 0;
	ok(ipc_put_result(&b, 0, 1, 0, NULL, 0, NULL, 0) == 0 && decode_at(&b, 0, &m, &why) == 0 &&
	    m.ok == 1 && m.id == 0 && m.error == NULL && m.error_len == 0 && m.result == NULL &&
	    m.result_len == 0 && m.host == 0, "a bare ok result round-trips, absent fields NULL and 0");
	b.len = 0;
	ok(ipc_put_result(&b, 5, 0, EAGAIN, "fork", 4, NULL, 0) == 0 && decode_at(&b, 0, &m, &why) == 0 &&
	    m.ok == 0 && m.host == EAGAIN && m.error_len == 4, "a host's refusal round-trips with its errno");
	b.len = 0;
	ok(ipc_put_fatal(&b, "no plugin", 9) == 0 && decode_at(&b, 0, &m, &why) == 0 &&
	    m.type == IPC_FATAL && m.error_len == 9 && memcmp(m.error, "no plugin", 9) == 0,
	    "fatal round-trips");
	b.len = 0;
	ok(ipc_put_fatal(&b, "", 0) == 0 && decode_at(&b, 0, &m, &why) == 0 && m.error_len == 0,
	    "fatal with an empty error round-trips");
	/* The signal-safe FATAL, written by hand, is the same message. */
	{
		uint8_t frame[IPC_FATAL_FRAME_MAX];
		char text[300];
		size_t n;

		memset(text, 'x', sizeof text);
		n = ipc_fatal_frame(frame, sizeof frame, "sandbox: openat", 15);
		ok(n > IPC_HDR && ipc_decode(frame + IPC_HDR, n - IPC_HDR, &m, &why) == 0 &&
		    m.type == IPC_FATAL && m.error_len == 15 && memcmp(m.error, "sandbox: openat", 15) == 0 &&
		    (size_t)((uint32_t)frame[0] << 24 | frame[1] << 16 | frame[2] << 8 | frame[3]) == n - IPC_HDR,
		    "the hand-written fatal frame decodes as FATAL, its length prefix right");
		n = ipc_fatal_frame(frame, sizeof frame, text, sizeof text);
		ok(n == IPC_FATAL_FRAME_MAX && ipc_decode(frame + IPC_HDR, n - IPC_HDR, &m, &why) == 0 &&
		    m.error_len == IPC_FATAL_TEXT_MAX, "... an error past %d bytes is cut there", IPC_FATAL_TEXT_MAX);
		ok(ipc_fatal_frame(frame, IPC_FATAL_FRAME_MAX - 1, "x", 1) == 0, "... and too little room writes nothing");
	}

	/* Frames append: two in one buffer, each whole. */
	b.len = 0;
	ipc_put_hello(&b, 1);
	at = b.len;
	ipc_put_task(&b, 2, 3, "p", 1, 0);
	ok(ipc_decode(b.data + IPC_HDR, at - IPC_HDR, &m, &why) == 0 && m.type == IPC_HELLO &&
	    decode_at(&b, at, &m, &why) == 0 && m.type == IPC_TASK && m.id == 3,
	    "frames append, each decodes alone");

	/* Past the bound: refused before anything is copied, buffer as it was. */
	before = b.len;
	big = malloc(IPC_FRAME_MAX + 1);
	memset(big, 'x', IPC_FRAME_MAX + 1);
	errno = 0;
	ok(ipc_put_task(&b, 1, 1, big, IPC_FRAME_MAX + 1, 0) == -1 && errno == EMSGSIZE && b.len == before,
	    "a path past the bound: EMSGSIZE, buffer unchanged");
	errno = 0;
	ok(ipc_put_result(&b, 1, 1, 0, big, IPC_FRAME_MAX - 10, (const uint8_t *)big, 20) == -1 &&
	    errno == EMSGSIZE && b.len == before, "a result whose fields add up past it: EMSGSIZE");
	errno = 0;
	ok(ipc_put_task(&b, 1, 1, big, IPC_FRAME_MAX - 5, 0) == -1 && errno == EMSGSIZE && b.len == before,
	    "a path that fits only without the rest of the frame: EMSGSIZE");
	ok(ipc_put_task(&b, 1, 1, big, IPC_FRAME_MAX - 64, 0) == 0 && decode_at(&b, before, &m, &why) == 0 &&
	    m.path_len == IPC_FRAME_MAX - 64, "a frame just under the bound round-trips");
	free(big);

	ok(strcmp(ipc_type_name(IPC_HELLO), "hello") == 0 && strcmp(ipc_type_name(IPC_JOB), "job") == 0 &&
	    strcmp(ipc_type_name(IPC_TASK), "task") == 0 && strcmp(ipc_type_name(IPC_RESULT), "result") == 0 &&
	    strcmp(ipc_type_name(IPC_FATAL), "fatal") == 0, "type names");
	ok(strcmp(ipc_type_name(0), "unknown") == 0 && strcmp(ipc_type_name(99), "unknown") == 0 &&
	    strcmp(ipc_type_name(-1), "unknown") == 0 && strcmp(ipc_type_name(IPC_TYPE_MAX), "unknown") == 0,
	    "unknown types named 'unknown'");
	ipc_buf_free(&b);
}

/* A msgpack map built for a test frame. */
static msgpack_sbuffer sb;
static msgpack_packer pk;

static void
begin(uint32_t nfields)
{
	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, nfields);
}

static void
key(const char *k)
{
	msgpack_pack_str_with_body(&pk, k, strlen(k));
}

static void
kv_uint(const char *k, uint64_t v)
{
	key(k);
	msgpack_pack_uint64(&pk, v);
}

static void
kv_str(const char *k, const char *v)
{
	key(k);
	msgpack_pack_str_with_body(&pk, v, strlen(v));
}

static void
kv_bin(const char *k, const void *v, size_t n)
{
	key(k);
	msgpack_pack_bin_with_body(&pk, v, n);
}

static void
kv_true(const char *k)
{
	key(k);
	msgpack_pack_true(&pk);
}

/* Decodes an exact-size copy of body (so an over-read is caught under
 * AddressSanitizer). 0 or -1 as ipc_decode. */
static int
decode_copy(const void *body, size_t len, struct ipc_msg *m, const char **why)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);
	int r;

	memcpy(copy, body, len);
	r = ipc_decode(copy, len, m, why);
	free(copy);
	return r;
}

/* Expects a refusal whose reason is exactly want. */
static void
refused(const void *body, size_t len, const char *want, const char *name)
{
	struct ipc_msg m;
	const char *why = NULL;
	int r;

	memset(&m, 0xa5, sizeof m);
	r = decode_copy(body, len, &m, &why);
	ok(r == -1 && why != NULL && strcmp(why, want) == 0 && m.type == 0 && m.path == NULL,
	    "refused: %s", name);
	if (r != -1 || why == NULL || strcmp(why, want) != 0)
		printf("#   got %s '%s', want '%s'\n", r == 0 ? "accepted" : "refused", why ? why : "",
		    want);
}

#define REFUSED(lit, want, name) refused(lit, sizeof(lit) - 1, want, name)
#define REFUSED_SB(want, name) refused(sb.data, sb.size, want, name)

/* A result map nested depth levels: {"": {"": ... nil}}. */
static size_t
nested_map(uint8_t *p, int depth)
{
	int i;

	for (i = 0; i < depth; i++) {
		p[2 * i] = 0x81;
		p[2 * i + 1] = 0xa0;
	}
	p[2 * depth] = 0xc0;
	return 2 * (size_t)depth + 1;
}

static void
malformed(void)
{
	struct ipc_msg m;
	const char *why;
	uint8_t deep[128];
	size_t n;
	double t0;
	int i;

	REFUSED("", "empty frame", "an empty body");
	REFUSED("\xc1\xc1\xc1\xc1", "not a map", "garbage bytes");
	REFUSED("\x81\xc1\xc1", "malformed msgpack", "garbage inside a map");
	REFUSED("\x93\x01\x02\x03", "not a map", "an array");
	REFUSED("\x04", "not a map", "a bare integer");
	REFUSED("\x82\xa1t\x04", "malformed msgpack", "a truncated map");
	REFUSED("\x81\xa1t", "malformed msgpack", "a map cut after its key");
	REFUSED("\x81\xa1t\x01\x00", "trailing bytes", "trailing bytes");
	REFUSED("\x81\xa1t\x01\x81\xa1t\x01", "trailing bytes", "two maps in one frame");
	REFUSED("\x81\xa1t\x63", "unknown message type 99", "type 99");
	REFUSED("\x81\xa1t\x00", "unknown message type 0", "type 0");
	REFUSED("\x81\xa1t\xcf\xff\xff\xff\xff\xff\xff\xff\xff", "unknown message type 18446744073709551615",
	    "type 2^64-1");
	REFUSED("\x81\xa2id\x01", "missing field t", "no type");
	REFUSED("\x81\xa1t\xa1x", "field t has the wrong type", "type as a string");
	REFUSED("\x81\xa1t\xff", "field t has the wrong type", "a negative type");
	REFUSED("\x81\x01\x04", "a field name that is not a string", "an integer key");
	REFUSED("\x81\xc4\x01t\x04", "a field name that is not a string", "a bin key");

	begin(2), kv_uint("t", IPC_RESULT), kv_true("ok");
	REFUSED_SB("missing field id", "result without id");
	begin(2), kv_uint("t", IPC_RESULT), kv_uint("id", 1);
	REFUSED_SB("missing field ok", "result without ok");
	begin(3), kv_uint("t", IPC_RESULT), kv_str("id", "1"), kv_true("ok");
	REFUSED_SB("field id has the wrong type", "id as a string");
	begin(3), kv_uint("t", IPC_RESULT), kv_uint("id", 1), kv_uint("ok", 1);
	REFUSED_SB("field ok has the wrong type", "ok as an integer");
	begin(4), kv_uint("t", IPC_RESULT), kv_uint("id", 1), kv_true("ok"), kv_bin("error", "x", 1);
	REFUSED_SB("field error has the wrong type", "error as bin");
	begin(4), kv_uint("t", IPC_RESULT), kv_uint("id", 1), kv_true("ok"), kv_str("result", "\x80");
	REFUSED_SB("field result has the wrong type", "result as str");
	begin(4), kv_uint("t", IPC_TASK), kv_uint("job", 1), kv_uint("id", 1), kv_str("path", "a");
	REFUSED_SB("field path has the wrong type", "path as str");
	begin(3), kv_uint("t", IPC_TASK), kv_uint("job", 1), kv_bin("path", "a", 1);
	REFUSED_SB("missing field id", "task without id");
	begin(4), kv_uint("t", IPC_JOB), kv_uint("job", 1), kv_bin("handler", "exec", 4), kv_str("arg", "");
	REFUSED_SB("field handler has the wrong type", "handler as bin");
	begin(3), kv_uint("t", IPC_JOB), kv_uint("job", 1), kv_str("handler", "sha256");
	REFUSED_SB("missing field arg", "job without arg");
	begin(4), kv_uint("t", IPC_TASK), kv_uint("job", (uint64_t)UINT32_MAX + 1), kv_uint("id", 1),
	    kv_bin("path", "a", 1);
	REFUSED_SB("field job out of range", "job past 2^32-1");
	begin(3), kv_uint("t", IPC_HELLO), kv_uint("v", IPC_PROTO_VERSION), kv_uint("pid", 1ull << 32);
	REFUSED_SB("field pid out of range", "pid past 2^32-1");
	begin(3), kv_uint("t", IPC_HELLO), kv_uint("v", IPC_PROTO_VERSION + 1), kv_uint("pid", 1);
	REFUSED_SB("unsupported protocol version", "hello of another version");
	begin(3), kv_uint("t", IPC_HELLO), kv_uint("v", 0), kv_uint("pid", 1);
	REFUSED_SB("unsupported protocol version", "hello of version 0");
	begin(2), kv_uint("t", IPC_HELLO), kv_uint("pid", 1);
	REFUSED_SB("missing field v", "hello without a version");
	begin(4), kv_uint("t", IPC_RESULT), kv_uint("id", 1), kv_true("ok"), kv_uint("zzz", 1);
	REFUSED_SB("unknown field", "an unknown field");
	begin(4), kv_uint("t", IPC_RESULT), kv_uint("id", 1), kv_true("ok"), kv_uint("pid", 1);
	REFUSED_SB("field pid does not belong in this message", "a field of another message");
	begin(4), kv_uint("t", IPC_RESULT), kv_uint("id", 1), kv_true("ok"), kv_uint("id", 2);
	REFUSED_SB("field id given twice", "a duplicate field");
	begin(3), kv_uint("t", IPC_RESULT), kv_uint("t", IPC_RESULT), kv_true("ok");
	REFUSED_SB("field t given twice", "a duplicate type");
	begin(8), kv_uint("t", IPC_RESULT), kv_uint("id", 1), kv_true("ok"), kv_str("error", ""),
	    kv_bin("result", "\x80", 1), kv_uint("host", 11), kv_uint("x", 1), kv_uint("y", 1);
	REFUSED_SB("more fields than any message has", "eight fields (a JOB has seven at most)");
	begin(4), kv_uint("t", IPC_RESULT), kv_uint("id", 1), kv_true("ok"), kv_uint("host", 4096);
	REFUSED_SB("field host out of range", "a host errno out of range");
	begin(3), kv_uint("t", IPC_RESULT), kv_uint("id", 1), key("ok"), msgpack_pack_array(&pk, 0);
	REFUSED_SB("a field holds an array or a map", "a field holding an empty array");

	/* The result field: one well-formed map, at most 32 deep. */
	begin(4), kv_uint("t", IPC_RESULT), kv_uint("id", 1), kv_true("ok"), kv_bin("result", "\x91\x01", 2);
	REFUSED_SB("result is not a map", "a result that is an array");
	begin(4), kv_uint("t", IPC_RESULT), kv_uint("id", 1), kv_true("ok"), kv_bin("result", "\x01", 1);
	REFUSED_SB("result is not a map", "a result that is an integer");
	begin(4), kv_uint("t", IPC_RESULT), kv_uint("id", 1), kv_true("ok"), kv_bin("result", "\x81\xa1k", 3);
	REFUSED_SB("result is not one well-formed msgpack map", "a result map missing its value");
	begin(4), kv_uint("t", IPC_RESULT), kv_uint("id", 1), kv_true("ok"), kv_bin("result", "\x80\x80", 2);
	REFUSED_SB("result is not one well-formed msgpack map", "a result with bytes after its map");
	begin(4), kv_uint("t", IPC_RESULT), kv_uint("id", 1), kv_true("ok"),
	    kv_bin("result", "\xdf\xff\xff\xff\xff\x00", 6);
	REFUSED_SB("result is not one well-formed msgpack map", "a result map claiming 2^32-1 pairs");
	n = nested_map(deep, 33);
	begin(4), kv_uint("t", IPC_RESULT), kv_uint("id", 1), kv_true("ok"), kv_bin("result", deep, n);
	REFUSED_SB("result is not one well-formed msgpack map", "a result nested 33 deep");
	n = nested_map(deep, 32);
	begin(4), kv_uint("t", IPC_RESULT), kv_uint("id", 1), kv_true("ok"), kv_bin("result", deep, n);
	ok(decode_copy(sb.data, sb.size, &m, &why) == 0 && m.result_len == n, "a result nested 32 deep accepted");
	begin(4), kv_uint("t", IPC_RESULT), kv_uint("id", 1), kv_true("ok"), kv_bin("result", "", 0);
	ok(decode_copy(sb.data, sb.size, &m, &why) == 0 && m.result_len == 0,
	    "an empty result bin reads as absent");

	/* Counts that lie: refused at once, nothing allocated by them. */
	t0 = tap_now();
	for (i = 0; i < 1000; i++) {
		if (ipc_decode(S("\xdd\xff\xff\xff\xff\x00"), &m, &why) != -1 ||
		    ipc_decode(S("\xdf\xff\xff\xff\xff\x00"), &m, &why) != -1 ||
		    ipc_decode(S("\x81\xa1t\xdd\xff\xff\xff\xff"), &m, &why) != -1 ||
		    ipc_decode(S("\x82\xa1t\x04\xa6result\xc6\xff\xff\xff\xff"), &m, &why) != -1)
			break;
	}
	ok(i == 1000, "counts of 2^32-1 in a few bytes refused");
	ok(tap_now() - t0 < 0.5, "... 4000 times in %.3f s: nothing sized by them", tap_now() - t0);
	REFUSED("\xdd\xff\xff\xff\xff\x00", "not a map", "an array claiming 2^32-1 elements, 6 bytes");
	REFUSED("\xdf\xff\xff\xff\xff\x00", "malformed msgpack", "a map claiming 2^32-1 pairs, 6 bytes");
	memset(deep, 0x91, sizeof deep);
	deep[0] = 0x81, deep[1] = 0xa1, deep[2] = 't';
	deep[sizeof deep - 1] = 0x01;
	refused(deep, sizeof deep, "malformed msgpack", "a field nested 124 deep");
}

static void
fuzz(void)
{
	static const uint8_t special[] = { 0x00, 0x01, 0x7f, 0x80, 0x8f, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1,
	    0xc4, 0xc6, 0xc9, 0xcf, 0xd3, 0xd8, 0xdb, 0xdd, 0xdf, 0xff };
	struct ipc_buf b = { 0 };
	size_t starts[8], nframes = 0, n;
	int accepted = 0, sane = 1;
	const uint8_t map[] = { 0x83, 0xa1, 'k', 0x01, 0xa1, 'j', 0x92, 0x01, 0xa1, 's',
	    0xa1, 'b', 0xc4, 0x02, 0xff, 0x00 };

	starts[nframes++] = b.len, ipc_put_hello(&b, 4242);
	starts[nframes++] = b.len, ipc_put_job(&b, 3, "exec", 4, "wc -c", 5, (const uint8_t *)"\x81\xa1x\x01", 4, 0, NULL, 0);
	starts[nframes++] = b.len, ipc_put_task(&b, 3, 77, "a/b/c.zip", 9, 0);
	starts[nframes++] = b.len, ipc_put_result(&b, 77, 0, 0, "bad header", 10, map, sizeof map);
	starts[nframes++] = b.len, ipc_put_result(&b, 78, 1, 0, NULL, 0, NULL, 0);
	starts[nframes++] = b.len, ipc_put_fatal(&b, "no such handler", 15);
	starts[nframes] = b.len;

	for (n = 0; n < 100000; n++) {
		uint8_t frame[512], *copy;
		size_t k = (size_t)(tap_rand() % nframes), len;
		const char *why;
		struct ipc_msg m;

		len = starts[k + 1] - starts[k] - IPC_HDR;
		memcpy(frame, b.data + starts[k] + IPC_HDR, len);
		mutate(frame, &len, sizeof frame, special, sizeof special);
		/* Exact size: an over-read trips AddressSanitizer. */
		copy = malloc(len);
		memcpy(copy, frame, len);
		if (ipc_decode(copy, len, &m, &why) == 0) {
			accepted++;
			if (m.type < IPC_HELLO || m.type > IPC_FATAL ||
			    (m.path_len && (m.path < (char *)copy || m.path + m.path_len > (char *)copy + len)) ||
			    (m.result_len && (m.result < copy || m.result + m.result_len > copy + len ||
			    ipc_mp_check(m.result, m.result_len, 32) != 0)))
				sane = 0;
		} else if (why == NULL)
			sane = 0;
		free(copy);
	}
	ok(sane, "100000 mutated frames: each refused with a reason or decoded sanely (%d decoded)",
	    accepted);

	ipc_buf_free(&b);
}

/* Reads until want frames came out or the socket is empty, checking each
 * against the bodies expected. Returns the frames seen. */
static int
pull(struct ipc_reader *r, int fd, int want, const struct ipc_buf *b, const size_t *starts, int *seen,
    int *bad)
{
	const uint8_t *body;
	size_t len;

	while (*seen < want) {
		int got;

		while ((got = ipc_next(r, &body, &len)) == 1) {
			size_t s = starts[*seen], e = starts[*seen + 1];

			if (len != e - s - IPC_HDR || memcmp(body, b->data + s + IPC_HDR, len) != 0)
				(*bad)++;
			(*seen)++;
		}
		if (got < 0 || *seen >= want || ipc_read(r, fd, 0) <= 0)
			break;
	}
	return *seen;
}

static void
reader(void)
{
	struct ipc_buf b = { 0 };
	struct ipc_reader r;
	const uint8_t *body;
	const uint8_t map[] = { 0x81, 0xa1, 'k', 0x2a };
	size_t starts[4], i, len, k;
	int sv[2], seen, bad = 0, splits = 1, nonblock;
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		exit(99);
	/* Nonblocking reads, so a test that is wrong fails instead of hanging. */
	nonblock = fcntl(sv[1], F_GETFL);
	fcntl(sv[1], F_SETFL, nonblock | O_NONBLOCK);
	starts[0] = b.len, ipc_put_hello(&b, 1);
	starts[1] = b.len, ipc_put_task(&b, 1, 2, "some/path", 9, 0);
	starts[2] = b.len, ipc_put_result(&b, 2, 1, 0, NULL, 0, map, sizeof map);
	starts[3] = b.len;

	/* Split at every byte boundary. */
	for (k = 1; k < b.len; k++) {
		seen = 0;
		ipc_reader_init(&r, IPC_FRAME_MAX);
		if (write(sv[0], b.data, k) != (ssize_t)k)
			splits = 0;
		pull(&r, sv[1], 3, &b, starts, &seen, &bad);
		if (write(sv[0], b.data + k, b.len - k) != (ssize_t)(b.len - k))
			splits = 0;
		if (pull(&r, sv[1], 3, &b, starts, &seen, &bad) != 3 || ipc_pending(&r) != 0)
			splits = 0;
		ipc_reader_free(&r);
	}
	ok(splits && bad == 0, "three frames split at each of %zu boundaries come out whole", b.len - 1);

	/* One byte at a time. */
	seen = 0;
	ipc_reader_init(&r, IPC_FRAME_MAX);
	for (i = 0; i < b.len; i++) {
		if (write(sv[0], b.data + i, 1) != 1)
			splits = 0;
		pull(&r, sv[1], 3, &b, starts, &seen, &bad);
	}
	ok(seen == 3 && bad == 0 && ipc_pending(&r) == 0, "one byte at a time");

	/* Two frames in one read. */
	if (write(sv[0], b.data + starts[1], starts[3] - starts[1]) != (ssize_t)(starts[3] - starts[1]))
		bad++;
	n = ipc_read(&r, sv[1], 0);
	ok(n == (ssize_t)(starts[3] - starts[1]) && ipc_next(&r, &body, &len) == 1 &&
	    len == starts[2] - starts[1] - IPC_HDR && ipc_next(&r, &body, &len) == 1 &&
	    len == starts[3] - starts[2] - IPC_HDR && ipc_next(&r, &body, &len) == 0,
	    "two frames in one read, both taken");
	n = ipc_read(&r, sv[1], 0);
	ok(n == -1 && errno == EAGAIN, "then EAGAIN on an empty nonblocking socket");

	/* EOF in the middle of a frame shows as bytes pending. */
	if (write(sv[0], b.data, 5) != 5)
		bad++;
	ok(ipc_read(&r, sv[1], 0) == 5 && ipc_next(&r, &body, &len) == 0 && ipc_pending(&r) == 5,
	    "a cut frame is held, 5 bytes pending");
	close(sv[0]);
	ok(ipc_read(&r, sv[1], 0) == 0 && ipc_pending(&r) == 5, "EOF then: read 0, still 5 pending");
	ipc_reader_free(&r);
	close(sv[1]);
	ipc_buf_free(&b);
}

/* A socketpair whose read end does not block. */
static void
pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		exit(99);
	fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK);
}

static void
bounds(void)
{
	struct ipc_reader r;
	const uint8_t *body;
	uint8_t frame[IPC_HDR + 100];
	size_t len, maxcap = 0;
	int sv[2], i, got = 0, intact = 1;
	ssize_t n;
	pid_t pid;

	/* A reader bounded at 100: never holds more than 104 bytes. */
	pair(sv);
	ipc_reader_init(&r, 100);
	frame[0] = frame[1] = frame[2] = 0, frame[3] = 100;
	for (i = 0; i < 10; i++) {
		memset(frame + IPC_HDR, i, 100);
		if (write(sv[0], frame, sizeof frame) != (ssize_t)sizeof frame)
			intact = 0;
	}
	while (got < 10 && (n = ipc_read(&r, sv[1], 0)) > 0) {
		if (r.cap > maxcap)
			maxcap = r.cap;
		while (ipc_next(&r, &body, &len) == 1) {
			if (len != 100 || body[0] != got || body[99] != got)
				intact = 0;
			got++;
		}
	}
	ok(got == 10 && intact, "ten frames of the maximum size come out intact");
	ok(maxcap <= 104, "the buffer never held more than max + 4 bytes (%zu)", maxcap);

	/* Frames not taken fill it: the next read says so. */
	for (i = 0; i < 2; i++)
		if (write(sv[0], frame, sizeof frame) != (ssize_t)sizeof frame)
			intact = 0;
	n = ipc_read(&r, sv[1], 0);
	ok(n == 104 && ipc_read(&r, sv[1], 0) == -1 && errno == ENOBUFS, "a full buffer: ENOBUFS");
	ok(ipc_next(&r, &body, &len) == 1 && ipc_read(&r, sv[1], 0) == 104 &&
	    ipc_next(&r, &body, &len) == 1, "taking the frame makes room again");
	ipc_reader_free(&r);

	/* Length prefixes refused before anything grows for them. */
	ipc_reader_init(&r, 1024);
	if (write(sv[0], "\0\0\0\0", 4) != 4)
		intact = 0;
	ipc_read(&r, sv[1], 0);
	errno = 0;
	ok(ipc_next(&r, &body, &len) == -1 && errno == EMSGSIZE, "length 0 refused: EMSGSIZE");
	ipc_reader_free(&r);
	ipc_reader_init(&r, IPC_FRAME_MAX);
	if (write(sv[0], "\xff\xff\xff\xff", 4) != 4)
		intact = 0;
	ipc_read(&r, sv[1], 0);
	errno = 0;
	ok(ipc_next(&r, &body, &len) == -1 && errno == EMSGSIZE && r.cap <= 65536,
	    "length 2^32-1 refused: EMSGSIZE, buffer not grown (%zu)", r.cap);
	errno = 0;
	ok(ipc_read(&r, sv[1], 0) == -1 && errno == EMSGSIZE && r.cap <= 65536,
	    "... and a further read neither reads nor grows for it");
	ipc_reader_free(&r);
	ipc_reader_init(&r, 1024);
	if (write(sv[0], "\x00\x00\x04\x01", 4) != 4)
		intact = 0;
	ipc_read(&r, sv[1], 0);
	ok(ipc_next(&r, &body, &len) == -1 && errno == EMSGSIZE, "length max + 1 refused");
	ipc_reader_free(&r);
	ipc_reader_init(&r, 1024);
	if (write(sv[0], "\x00\x00\x04\x00", 4) != 4)
		intact = 0;
	ipc_read(&r, sv[1], 0);
	ok(ipc_next(&r, &body, &len) == 0 && ipc_read(&r, sv[1], 0) == -1 && errno == EAGAIN &&
	    r.cap == 1028, "length max accepted, room made for exactly it (%zu)", r.cap);
	ipc_reader_free(&r);
	close(sv[0]);
	close(sv[1]);

	/* A big frame: grown to exactly its size, shrunk after it. */
	pair(sv);
	len = 3u << 20;
	if ((pid = fork()) == 0) {
		uint8_t *big = calloc(1, IPC_HDR + len);
		size_t off = 0;

		big[1] = (uint8_t)(len >> 16);
		memcpy(big + IPC_HDR + len - 4, "\x00\x00\x00\x01", 4);
		while (off < IPC_HDR + len && (n = write(sv[0], big + off, IPC_HDR + len - off)) > 0)
			off += (size_t)n;
		/* Then a one-byte frame: its body is 0x2a. */
		if (write(sv[0], "\x00\x00\x00\x01\x2a", 5) != 5)
			_exit(1);
		_exit(0);
	}
	close(sv[0]);
	ipc_reader_init(&r, IPC_FRAME_MAX);
	got = 0;
	maxcap = 0;
	intact = 1;
	for (;;) {
		n = ipc_read(&r, sv[1], 0);
		if (n < 0 && errno == EAGAIN) {
			usleep(1000);
			continue;
		}
		if (n <= 0)
			break;
		if (r.cap > maxcap)
			maxcap = r.cap;
		while (ipc_next(&r, &body, &len) == 1) {
			if (got == 0 && (len != 3u << 20 || body[len - 1] != 1))
				intact = 0;
			if (got == 1 && (len != 1 || body[0] != 0x2a))
				intact = 0;
			got++;
		}
	}
	ok(got == 2 && intact, "a 3 MiB frame then a small one, both intact");
	ok(maxcap == IPC_HDR + (3u << 20), "grown to exactly the big frame (%zu)", maxcap);
	ok(r.cap <= 65536, "shrunk back after it (%zu)", r.cap);
	ipc_reader_free(&r);
	close(sv[1]);
	waitpid(pid, NULL, 0);
}

/* A pipe's read end with one marker byte in it, to know it again. */
static int
marked(char c)
{
	int p[2];

	if (pipe(p) < 0 || write(p[1], &c, 1) != 1)
		exit(99);
	close(p[1]);
	return p[0];
}

static char
marker(int fd)
{
	char c = '?';

	if (fd < 0 || read(fd, &c, 1) != 1)
		return '?';
	return c;
}

static void
descriptors(void)
{
	struct ipc_buf b = { 0 };
	struct ipc_reader r;
	struct ipc_msg m;
	const uint8_t *body;
	const char *why;
	char order[8] = "";
	size_t len, no = 0;
	int sv[2], fds[4], baseline, i, tasks = 0, cloexec = 1, frames = 0;
	ssize_t n;

	baseline = open_fds();
	pair(sv);
	baseline += 2;
	for (i = 0; i < 4; i++)
		fds[i] = marked((char)('0' + i));
	/* TASK + fd0, HELLO, TASK + fd1, RESULT, TASK + fd2 and fd3. */
	ipc_put_task(&b, 1, 0, "a", 1, 0);
	ipc_send(sv[0], b.data, b.len, fds[0]);
	b.len = 0, ipc_put_hello(&b, 1);
	ipc_send(sv[0], b.data, b.len, -1);
	b.len = 0, ipc_put_task(&b, 1, 1, "b", 1, 0);
	ipc_send(sv[0], b.data, b.len, fds[1]);
	b.len = 0, ipc_put_result(&b, 1, 1, 0, NULL, 0, NULL, 0);
	ipc_send(sv[0], b.data, b.len, -1);
	b.len = 0, ipc_put_task(&b, 1, 2, "c", 1, 0);
	ipc_send_fds(sv[0], b.data, b.len, fds + 2, 2);
	for (i = 0; i < 4; i++)
		close(fds[i]);

	ipc_reader_init(&r, IPC_FRAME_MAX);
	while (frames < 5 && ipc_read(&r, sv[1], 1) > 0) {
		while (ipc_next(&r, &body, &len) == 1) {
			frames++;
			if (ipc_decode(body, len, &m, &why) < 0 || m.type != IPC_TASK)
				continue;
			tasks++;
			fds[0] = ipc_take_fd(&r);
			if (fds[0] >= 0 && !(fcntl(fds[0], F_GETFD) & FD_CLOEXEC))
				cloexec = 0;
			order[no++] = marker(fds[0]);
			close(fds[0]);
		}
	}
	fds[0] = ipc_take_fd(&r);
	order[no++] = marker(fds[0]);
	close(fds[0]);
	ok(frames == 5 && tasks == 3 && strcmp(order, "0123") == 0,
	    "descriptors interleaved with frames come out in order (%s)", order);
	ok(cloexec, "received descriptors are close-on-exec");
	ok(ipc_take_fd(&r) == -1, "then none is left");
	ipc_reader_free(&r);
	is_int(open_fds(), baseline, "no descriptor open but the socket pair");

	/* Not taken: ipc_reader_free closes them. */
	for (i = 0; i < 3; i++) {
		fds[i] = marked('x');
		ipc_send(sv[0], "y", 1, fds[i]);
		close(fds[i]);
	}
	ipc_reader_init(&r, IPC_FRAME_MAX);
	while (r.nfds < 3 && ipc_read(&r, sv[1], 1) > 0)
		;
	is_int(r.nfds, 3, "three descriptors queued");
	ipc_reader_free(&r);
	is_int(open_fds(), baseline, "ipc_reader_free closed them");

	/* Read without want_fds: the kernel drops them. */
	fds[0] = marked('x');
	ipc_send(sv[0], "y", 1, fds[0]);
	close(fds[0]);
	ipc_reader_init(&r, IPC_FRAME_MAX);
	n = ipc_read(&r, sv[1], 0);
	ok(n == 1 && r.nfds == 0, "without want_fds nothing is queued");
	ipc_reader_free(&r);
	is_int(open_fds(), baseline, "... and nothing leaks");

	/* More than the queue holds, over several messages. */
	fds[0] = marked('x');
	for (i = 0; i < IPC_FD_QUEUE / 2 + 1; i++) {
		int two[2] = { fds[0], fds[0] };

		ipc_send_fds(sv[0], "\0\0\0\1\x80", 5, two, 2);
	}
	close(fds[0]);
	ipc_reader_init(&r, IPC_FRAME_MAX);
	errno = 0;
	while ((n = ipc_read(&r, sv[1], 1)) > 0)
		;
	ok(n == -1 && errno == EPROTO, "%d descriptors for a queue of %d: EPROTO", IPC_FD_QUEUE + 2,
	    IPC_FD_QUEUE);
	ipc_reader_free(&r);
	while (read(sv[1], order, sizeof order) > 0)
		;
	is_int(open_fds(), baseline, "... every one of them closed");

	/* More than the control buffer holds in one message: MSG_CTRUNC. */
	{
		int many[IPC_FD_QUEUE + 4];
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof many)];
		} ctl;
		struct iovec iov = { .iov_base = "w", .iov_len = 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
		    .msg_controllen = sizeof ctl.buf };
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

		fds[0] = marked('x');
		for (i = 0; i < IPC_FD_QUEUE + 4; i++)
			many[i] = fds[0];
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof many);
		memcpy(CMSG_DATA(c), many, sizeof many);
		ok(sendmsg(sv[0], &mh, 0) == 1, "sent %d descriptors in one message", IPC_FD_QUEUE + 4);
		close(fds[0]);
		ipc_reader_init(&r, IPC_FRAME_MAX);
		errno = 0;
		ok(ipc_read(&r, sv[1], 1) == -1 && errno == EPROTO, "a truncated control message: EPROTO");
		ipc_reader_free(&r);
		is_int(open_fds(), baseline, "... nothing leaked");
	}

	/* Sending: bounds, and no SIGPIPE from a peer that is gone. */
	{
		int many[IPC_FD_QUEUE + 1] = { 0 };

		errno = 0;
		ok(ipc_send_fds(sv[0], "x", 1, many, IPC_FD_QUEUE + 1) == -1 && errno == EINVAL,
		    "more descriptors than the queue: EINVAL");
	}
	ok(ipc_send(sv[0], "", 0, 0) == -1 && errno == EINVAL, "a descriptor with no byte: EINVAL");
	close(sv[1]);
	errno = 0;
	ok(ipc_send(sv[0], "x", 1, -1) == -1 && errno == EPIPE, "a gone peer: EPIPE, no SIGPIPE");
	close(sv[0]);
	ipc_buf_free(&b);
}

/* PROGRESS: the child's word that its running task is alive. What it
 * says is untrusted text: bounded, UTF-8, no NUL, or refused. */
static void
progress(void)
{
	struct ipc_buf b = { 0 };
	struct ipc_msg m;
	const char *why;
	char big[IPC_PROGRESS_WHAT_MAX + 1];

	ok(ipc_put_progress(&b, 42, 1000, 5000, "a/b.txt", 7) == 0 &&
	    decode_at(&b, 0, &m, &why) == 0 && m.type == IPC_PROGRESS && m.id == 42 &&
	    m.done == 1000 && m.total == 5000 && m.what_len == 7 && memcmp(m.what, "a/b.txt", 7) == 0 &&
	    within(&b, m.what, m.what_len), "progress round-trips");
	b.len = 0;
	ok(ipc_put_progress(&b, UINT64_MAX, UINT64_MAX, 0, NULL, 0) == 0 &&
	    decode_at(&b, 0, &m, &why) == 0 && m.id == UINT64_MAX && m.done == UINT64_MAX &&
	    m.total == 0 && m.what == NULL && m.what_len == 0,
	    "progress without words round-trips, what absent");
	memset(big, 'x', sizeof big);
	b.len = 0;
	ok(ipc_put_progress(&b, 1, 0, 0, big, IPC_PROGRESS_WHAT_MAX) == 0 &&
	    decode_at(&b, 0, &m, &why) == 0 && m.what_len == IPC_PROGRESS_WHAT_MAX,
	    "progress with %d bytes of words round-trips", IPC_PROGRESS_WHAT_MAX);
	ipc_buf_free(&b);
	ok(strcmp(ipc_type_name(IPC_PROGRESS), "progress") == 0, "its name: progress");

	begin(5), kv_uint("t", IPC_PROGRESS), kv_uint("id", 1), kv_uint("done", 1),
	    kv_uint("total", 0), key("what"), msgpack_pack_str_with_body(&pk, big, sizeof big);
	REFUSED_SB("field what out of range", "progress with 256 bytes of words");
	begin(5), kv_uint("t", IPC_PROGRESS), kv_uint("id", 1), kv_uint("done", 1),
	    kv_uint("total", 0), kv_str("what", "bad \xff byte");
	REFUSED_SB("field what is not UTF-8 or holds a NUL byte", "progress words not UTF-8");
	begin(5), kv_uint("t", IPC_PROGRESS), kv_uint("id", 1), kv_uint("done", 1),
	    kv_uint("total", 0), key("what"), msgpack_pack_str_with_body(&pk, "a\0b", 3);
	REFUSED_SB("field what is not UTF-8 or holds a NUL byte", "progress words with a NUL");
	begin(5), kv_uint("t", IPC_PROGRESS), kv_uint("id", 1), kv_uint("done", 1),
	    kv_uint("total", 0), kv_bin("what", "x", 1);
	REFUSED_SB("field what has the wrong type", "progress words as bin");
	begin(3), kv_uint("t", IPC_PROGRESS), kv_uint("id", 1), kv_uint("done", 1);
	REFUSED_SB("missing field total", "progress without its total");
	begin(4), kv_uint("t", IPC_PROGRESS), kv_uint("done", 1), kv_uint("total", 1),
	    kv_str("what", "x");
	REFUSED_SB("missing field id", "progress without its task");
	begin(5), kv_uint("t", IPC_PROGRESS), kv_uint("id", 1), kv_uint("done", 1),
	    kv_uint("total", 0), kv_true("ok");
	REFUSED_SB("field ok does not belong in this message", "progress with a result's field");
	begin(4), kv_uint("t", IPC_PROGRESS), kv_uint("id", 1), kv_uint("done", 1),
	    kv_str("total", "7");
	REFUSED_SB("field total has the wrong type", "progress with a str total");
}

int
main(void)
{
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	signal(SIGPIPE, SIG_DFL);
	roundtrips();
	malformed();
	progress();
	fuzz();
	reader();
	bounds();
	descriptors();
	msgpack_sbuffer_destroy(&sb);
	return done_testing();
}
