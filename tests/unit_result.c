/* Unit tests of child/result.c: the setters build one well-formed msgpack
 * map (ipc_mp_check accepts it) whose count, keys and values decode back
 * with msgpack-c; the 1 MiB bound refuses a pair whole with E2BIG and marks
 * the result truncated once; the error text is bounded and cut between
 * characters; a value packed by the caller is kept as it is, under the
 * same bound; reset clears it all. Progress: corral_progress sends nothing
 * outside a task nor in a task's first 100 ms, then at most one PROGRESS
 * per 100 ms however often it is called, for the running task, its words
 * made printable and cut at 255 bytes on a character's edge. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>

#include "child/handler.h"
#include "ipc/ipc.h"
#include "tests/tap.h"

/* The map as msgpack-c sees it, or a nil object. */
static msgpack_object
decode(msgpack_unpacked *u, struct corral_result *r)
{
	size_t len, off = 0;
	const uint8_t *map = result_map(r, &len);

	msgpack_unpacked_destroy(u);
	msgpack_unpacked_init(u);
	if (ipc_mp_check(map, len, 4) < 0 ||
	    msgpack_unpack_next(u, (const char *)map, len, &off) != MSGPACK_UNPACK_SUCCESS ||
	    off != len || u->data.type != MSGPACK_OBJECT_MAP) {
		msgpack_object nil = { .type = MSGPACK_OBJECT_NIL };

		return nil;
	}
	return u->data;
}

static int
key_is(const msgpack_object_kv *kv, const char *key)
{
	return kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == strlen(key) &&
	    memcmp(kv->key.via.str.ptr, key, strlen(key)) == 0;
}

/* How many pairs have this key. */
static int
count_key(msgpack_object m, const char *key)
{
	uint32_t i;
	int n = 0;

	for (i = 0; m.type == MSGPACK_OBJECT_MAP && i < m.via.map.size; i++)
		n += key_is(&m.via.map.ptr[i], key);
	return n;
}

static double
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Every PROGRESS frame waiting on fd (nonblocking): how many, the last
 * (its words copied out of the reader's buffer). */
static char last_what[IPC_PROGRESS_WHAT_MAX];

static int
frames(int fd, struct ipc_reader *rd, struct ipc_msg *last, int *bad)
{
	const uint8_t *body;
	const char *why;
	size_t len;
	int n = 0;

	for (;;) {
		while (ipc_next(rd, &body, &len) == 1) {
			if (ipc_decode(body, len, last, &why) < 0 || last->type != IPC_PROGRESS ||
			    last->what_len > sizeof last_what) {
				(*bad)++;
				last->what_len = 0;
			}
			if (last->what_len > 0)
				memcpy(last_what, last->what, last->what_len);
			last->what = last_what;
			n++;
		}
		if (ipc_read(rd, fd, 0) <= 0)
			return n;
	}
}

static void
test_progress(void)
{
	struct ipc_reader rd;
	struct ipc_msg m;
	char long_name[600];
	int sv[2], bad = 0, n;
	double t0, took;
	long calls = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		ok(0, "socketpair");
		return;
	}
	/* Both ends nonblocking: a sender that floods fills the socket and
	 * fails this test, rather than blocking it for ever. */
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	ipc_reader_init(&rd, IPC_FRAME_MAX);

	corral_progress(1, 2, "outside");
	child_progress(1, 2, "outside", 7);
	is_int(frames(sv[0], &rd, &m, &bad), 0, "outside a task: nothing sent");

	t0 = mono_ms();
	child_progress_begin(sv[1], 77);
	corral_progress(1, 2, "at once");
	took = mono_ms() - t0;
	n = frames(sv[0], &rd, &m, &bad);
	ok(n == 0 || took >= IPC_PROGRESS_EVERY_MS, "a call in the task's first 100 ms sends nothing");

	/* A tight loop for 350 ms: 3 or 4 frames, whatever the calls. */
	t0 = mono_ms();
	while ((took = mono_ms() - t0) < 350) {
		corral_progress((uint64_t)calls, 0, "loop");
		calls++;
	}
	n = frames(sv[0], &rd, &m, &bad);
	ok(n >= 1 && n <= (int)(took / IPC_PROGRESS_EVERY_MS) + 1 && bad == 0,
	    "%ld calls in %.0f ms: %d frames, at most one per 100 ms", calls, took, n);
	ok(m.id == 77 && m.total == 0 && m.what_len == 4 && memcmp(m.what, "loop", 4) == 0,
	    "... each for the running task, with its words");

	/* Words: invalid UTF-8 and control bytes become '?', cut at 255. */
	memset(long_name, 'a', sizeof long_name);
	memcpy(long_name, "x\ny\xff\xc3\xa9", 6);
	long_name[sizeof long_name - 1] = '\0';
	t0 = mono_ms();
	while (mono_ms() - t0 < IPC_PROGRESS_EVERY_MS + 20)
		;
	corral_progress(5, 9, long_name);
	n = frames(sv[0], &rd, &m, &bad);
	ok(n == 1 && bad == 0 && m.done == 5 && m.total == 9 && m.what_len == IPC_PROGRESS_WHAT_MAX &&
	    memcmp(m.what, "x?y?\xc3\xa9" "aa", 8) == 0, "untrusted words sent printable, cut at %d bytes",
	    IPC_PROGRESS_WHAT_MAX);

	child_progress_end();
	t0 = mono_ms();
	while (mono_ms() - t0 < IPC_PROGRESS_EVERY_MS + 20)
		;
	corral_progress(1, 1, "after");
	is_int(frames(sv[0], &rd, &m, &bad), 0, "after the task: nothing sent");
	ipc_reader_free(&rd);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	struct corral_result *r = result_new();
	static char big[5000], err[RESULT_ERR_MAX + 100];
	const char *filters[] = { "xz", "uu" };
	const uint8_t *map;
	msgpack_unpacked u;
	msgpack_object m;
	msgpack_object_kv *kv;
	size_t len, elen;
	char key[16];
	int i, rc = 0;

	msgpack_unpacked_init(&u);
	ok(r != NULL, "a result");
	map = result_map(r, &len);
	ok(len == 1 && map[0] == 0x80, "empty: an empty map");

	ok(corral_result_set_str(r, "s", "text") == 0, "set_str");
	ok(corral_result_set_bytes(r, "b", "\0\1", 2) == 0, "set_bytes");
	ok(corral_result_set_int(r, "i", -5) == 0, "set_int");
	ok(corral_result_set_uint(r, "u", UINT64_MAX) == 0, "set_uint");
	ok(corral_result_set_bool(r, "t", 1) == 0, "set_bool");
	ok(corral_result_set_double(r, "d", 0.5) == 0, "set_double");
	ok(result_set_strv(r, "filters", filters, 2) == 0, "set_strv");
	m = decode(&u, r);
	ok(m.type == MSGPACK_OBJECT_MAP, "one well-formed map");
	is_int(m.type == MSGPACK_OBJECT_MAP ? m.via.map.size : 0, 7, "of 7 pairs");
	if (m.type == MSGPACK_OBJECT_MAP && m.via.map.size == 7) {
		kv = m.via.map.ptr;
		ok(key_is(&kv[0], "s") && kv[0].val.type == MSGPACK_OBJECT_STR &&
		    kv[0].val.via.str.size == 4 && memcmp(kv[0].val.via.str.ptr, "text", 4) == 0,
		    "s: \"text\"");
		ok(key_is(&kv[1], "b") && kv[1].val.type == MSGPACK_OBJECT_BIN &&
		    kv[1].val.via.bin.size == 2 && memcmp(kv[1].val.via.bin.ptr, "\0\1", 2) == 0,
		    "b: two bytes");
		ok(key_is(&kv[2], "i") && kv[2].val.type == MSGPACK_OBJECT_NEGATIVE_INTEGER &&
		    kv[2].val.via.i64 == -5, "i: -5");
		ok(key_is(&kv[3], "u") && kv[3].val.type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    kv[3].val.via.u64 == UINT64_MAX, "u: UINT64_MAX");
		ok(key_is(&kv[4], "t") && kv[4].val.type == MSGPACK_OBJECT_BOOLEAN &&
		    kv[4].val.via.boolean, "t: true");
		ok(key_is(&kv[5], "d") && kv[5].val.type == MSGPACK_OBJECT_FLOAT64 &&
		    kv[5].val.via.f64 == 0.5, "d: 0.5");
		ok(key_is(&kv[6], "filters") && kv[6].val.type == MSGPACK_OBJECT_ARRAY &&
		    kv[6].val.via.array.size == 2 &&
		    kv[6].val.via.array.ptr[1].type == MSGPACK_OBJECT_STR &&
		    memcmp(kv[6].val.via.array.ptr[1].via.str.ptr, "uu", 2) == 0,
		    "filters: an array of strings");
	}
	ok(corral_result_set_str(r, NULL, "x") == -1 && errno == EINVAL, "a NULL key: EINVAL");
	ok(corral_result_set_str(r, "x", NULL) == -1 && errno == EINVAL, "a NULL string: EINVAL");
	m = decode(&u, r);
	is_int(m.type == MSGPACK_OBJECT_MAP ? m.via.map.size : 0, 7, "refused pairs leave no trace");

	/* Maps of 16 and more pairs take a longer header. */
	result_reset(r);
	for (i = 0; i < 70000; i++) {
		snprintf(key, sizeof key, "%d", i);
		if (corral_result_set_bool(r, key, 0) < 0)
			break;
	}
	m = decode(&u, r);
	is_int(m.type == MSGPACK_OBJECT_MAP ? m.via.map.size : 0, 70000, "a map of 70000 pairs");

	result_reset(r);
	memset(big, 'x', sizeof big - 1);
	for (i = 0; i < 1000 && rc == 0; i++)
		rc = corral_result_set_str(r, "k", big);
	ok(rc == -1 && errno == E2BIG, "past 1 MiB: E2BIG (after %d)", i);
	ok(corral_result_set_str(r, "k", big) == -1 && errno == E2BIG, "and again");
	ok(corral_result_set_bytes(r, "k", big, 100u << 20) == -1 && errno == E2BIG,
	    "a value far past the bound: E2BIG");
	ok(corral_result_set_int(r, "n", 1) == 0, "a small pair still fits");
	map = result_map(r, &len);
	ok(len <= RESULT_MAX, "within the bound (%zu)", len);
	m = decode(&u, r);
	ok(m.type == MSGPACK_OBJECT_MAP, "still one well-formed map");
	is_int(count_key(m, "truncated"), 1, "marked truncated, once");
	is_int(count_key(m, "k"), i - 1, "every pair that fitted, none cut");
	/* Fill to the last byte: the flag still fits. */
	for (i = 0; i < 5000 && corral_result_set_uint(r, "f", 1) == 0; i++)
		;
	result_map(r, &len);
	ok(len <= RESULT_MAX && decode(&u, r).type == MSGPACK_OBJECT_MAP,
	    "filled up: still well-formed, within the bound (%zu)", len);

	result_reset(r);
	memset(err, 'e', sizeof err - 1);
	ok(corral_result_set_error(r, "%s", err) == 0, "a long error text");
	result_error(r, &elen);
	is_int(elen, RESULT_ERR_MAX - 1, "is bounded");
	/* A 2-byte character straddling the cut is dropped whole. */
	memset(err, 'e', sizeof err - 1);
	memcpy(err + RESULT_ERR_MAX - 2, "\xc3\xa9", 2);
	corral_result_set_error(r, "%s", err);
	result_error(r, &elen);
	is_int(elen, RESULT_ERR_MAX - 2, "and cut between characters");
	memset(err, 'e', sizeof err - 1);
	memcpy(err + RESULT_ERR_MAX - 3, "\xe2\x82\xac", 3);
	corral_result_set_error(r, "%s", err);
	result_error(r, &elen);
	is_int(elen, RESULT_ERR_MAX - 3, "a 3-byte one too");
	memcpy(err + RESULT_ERR_MAX - 3, "\xc3\xa9", 2);
	corral_result_set_error(r, "%s", err);
	result_error(r, &elen);
	is_int(elen, RESULT_ERR_MAX - 1, "a whole one stays");
	corral_result_set_error(r, "first");
	corral_result_set_error(r, "exit status %d", 3);
	ok(strcmp(result_error(r, &elen), "exit status 3") == 0 && elen == 13, "the last call wins");

	/* A value the caller packed goes in as it is, under the same bound. */
	result_reset(r);
	ok(result_set_packed(r, "list", "\x92\x81\xa1" "a" "\x01\xc0", 6) == 0, "set_packed");
	ok(result_set_packed(r, "x", NULL, 0) == -1 && errno == EINVAL, "set_packed: nothing, EINVAL");
	m = decode(&u, r);
	ok(m.type == MSGPACK_OBJECT_MAP && m.via.map.size == 1 && key_is(&m.via.map.ptr[0], "list") &&
	    m.via.map.ptr[0].val.type == MSGPACK_OBJECT_ARRAY && m.via.map.ptr[0].val.via.array.size == 2 &&
	    m.via.map.ptr[0].val.via.array.ptr[0].type == MSGPACK_OBJECT_MAP &&
	    m.via.map.ptr[0].val.via.array.ptr[1].type == MSGPACK_OBJECT_NIL,
	    "set_packed: an array of a map and a nil, decoded back");
	{
		static char bin[RESULT_MAX + 16];

		bin[0] = (char)0xc6;
		bin[1] = 0;
		bin[2] = (char)((RESULT_MAX + 8) >> 16);
		bin[3] = (char)(((RESULT_MAX + 8) >> 8) & 0xff);
		bin[4] = (char)((RESULT_MAX + 8) & 0xff);
		ok(result_set_packed(r, "big", bin, RESULT_MAX + 13) == -1 && errno == E2BIG,
		    "set_packed past 1 MiB: E2BIG");
		m = decode(&u, r);
		is_int(count_key(m, "truncated") + count_key(m, "list") + count_key(m, "big"), 2,
		    "dropped whole, the result marked truncated");
	}

	corral_result_set_int(r, "n", 1);
	result_reset(r);
	map = result_map(r, &len);
	result_error(r, &elen);
	ok(len == 1 && map[0] == 0x80 && elen == 0, "reset clears the map and the error");
	msgpack_unpacked_destroy(&u);
	result_free(r);
	test_progress();
	return done_testing();
}
