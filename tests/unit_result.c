/* Unit tests of child/result.c: the setters build one well-formed msgpack
 * map with the right count and values, bounded at 1 MiB (E2BIG and a
 * truncated flag), with a bounded error text; reset clears all of it. */
#include <errno.h>
#include <string.h>

#include <msgpack.h>

#include "child/handler.h"
#include "ipc/ipc.h"
#include "tests/tap.h"

int
main(void)
{
	struct corral_result *r = result_new();
	const uint8_t *map;
	size_t len, elen;
	msgpack_unpacked u;
	size_t off = 0;
	char big[5000];
	int i, rc = 0;

	ok(r != NULL, "a result");
	map = result_map(r, &len);
	ok(len == 1 && map[0] == 0x80, "empty: an empty map");
	corral_result_set_str(r, "s", "text");
	corral_result_set_bytes(r, "b", "\0\1", 2);
	corral_result_set_int(r, "i", -5);
	corral_result_set_uint(r, "u", UINT64_MAX);
	corral_result_set_bool(r, "t", 1);
	corral_result_set_double(r, "d", 0.5);
	map = result_map(r, &len);
	ok(ipc_mp_check(map, len, 4) == 0, "a well-formed object");
	msgpack_unpacked_init(&u);
	ok(msgpack_unpack_next(&u, (const char *)map, len, &off) == MSGPACK_UNPACK_SUCCESS &&
	    u.data.type == MSGPACK_OBJECT_MAP && u.data.via.map.size == 6, "a map of 6");
	if (u.data.type == MSGPACK_OBJECT_MAP && u.data.via.map.size == 6) {
		msgpack_object_kv *kv = u.data.via.map.ptr;

		ok(kv[0].val.type == MSGPACK_OBJECT_STR && kv[0].val.via.str.size == 4, "str value");
		ok(kv[1].val.type == MSGPACK_OBJECT_BIN && kv[1].val.via.bin.size == 2, "bin value");
		ok(kv[2].val.type == MSGPACK_OBJECT_NEGATIVE_INTEGER && kv[2].val.via.i64 == -5, "int value");
		ok(kv[3].val.via.u64 == UINT64_MAX, "uint value");
		ok(kv[4].val.type == MSGPACK_OBJECT_BOOLEAN && kv[4].val.via.boolean, "bool value");
		ok(kv[5].val.type == MSGPACK_OBJECT_FLOAT64 && kv[5].val.via.f64 == 0.5, "double value");
	}
	msgpack_unpacked_destroy(&u);

	result_reset(r);
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	for (i = 0; i < 1000 && rc == 0; i++)
		rc = corral_result_set_str(r, "k", big);
	ok(rc == -1 && errno == E2BIG, "past 1 MiB: E2BIG (after %d)", i);
	map = result_map(r, &len);
	ok(len <= RESULT_MAX && ipc_mp_check(map, len, 4) == 0, "still one well-formed map within the bound");
	ok(len > 1 && memmem(map, len, "truncated", 9) != NULL, "marked truncated");

	result_reset(r);
	corral_result_set_error(r, "%s", big);
	result_error(r, &elen);
	ok(elen == RESULT_ERR_MAX - 1, "the error text is bounded (%zu)", elen);
	result_reset(r);
	map = result_map(r, &len);
	result_error(r, &elen);
	ok(len == 1 && elen == 0, "reset clears the map and the error");
	ok(corral_result_set_str(r, NULL, "x") == -1 && errno == EINVAL, "a NULL key: EINVAL");
	result_free(r);
	return done_testing();
}
