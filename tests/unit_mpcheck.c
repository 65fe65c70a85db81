/* Unit tests of ipc/mpcheck.c: the msgpack validator knows every format,
 * refuses every cut and every trailing byte, believes no count the bytes
 * cannot back, bounds nesting, and stays inside random bytes. */
#include <stdlib.h>
#include <string.h>

#include "ipc/ipc.h"
#include "tests/tap.h"

#define S(lit) (const uint8_t *)(lit), sizeof(lit) - 1

/* One object of each msgpack format. */
static const struct {
	const char *name, *bytes;
	size_t len;
} formats[] = {
#define F(name, lit) { name, lit, sizeof(lit) - 1 }
	F("nil", "\xc0"), F("false", "\xc2"), F("true", "\xc3"),
	F("positive fixint", "\x7f"), F("negative fixint", "\xe0"),
	F("uint8", "\xcc\xff"), F("uint16", "\xcd\xff\xff"), F("uint32", "\xce\xff\xff\xff\xff"),
	F("uint64", "\xcf\xff\xff\xff\xff\xff\xff\xff\xff"),
	F("int8", "\xd0\x80"), F("int16", "\xd1\x80\x00"), F("int32", "\xd2\x80\x00\x00\x00"),
	F("int64", "\xd3\x80\x00\x00\x00\x00\x00\x00\x00"),
	F("float32", "\xca\x3f\xc0\x00\x00"), F("float64", "\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00"),
	F("fixstr", "\xa3" "abc"), F("str8", "\xd9\x02" "ab"), F("str16", "\xda\x00\x01" "a"),
	F("str32", "\xdb\x00\x00\x00\x01" "a"),
	F("bin8", "\xc4\x02\x00\x01"), F("bin16", "\xc5\x00\x01\xff"), F("bin32", "\xc6\x00\x00\x00\x00"),
	F("fixarray", "\x92\x01\xc0"), F("array16", "\xdc\x00\x01\x01"),
	F("array32", "\xdd\x00\x00\x00\x02\x01\x02"),
	F("fixmap", "\x81\xa1k\x01"), F("map16", "\xde\x00\x01\x01\x02"),
	F("map32", "\xdf\x00\x00\x00\x01\xc0\xc0"),
	F("fixext1", "\xd4\x01\x00"), F("fixext2", "\xd5\x01\x00\x00"),
	F("fixext4", "\xd6\x01\x00\x00\x00\x00"), F("fixext8", "\xd7\x01\x00\x00\x00\x00\x00\x00\x00\x00"),
	F("fixext16", "\xd8\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
	F("ext8", "\xc7\x01\x05\x00"), F("ext16", "\xc8\x00\x02\x05\x00\x00"),
	F("ext32", "\xc9\x00\x00\x00\x00\x05"),
	F("empty map", "\x80"), F("empty array", "\x90"), F("empty str", "\xa0"),
	F("nested", "\x82\xa1" "a\x92\x81\xc0\xc3\x90\xa1" "b\xde\x00\x00"),
#undef F
};

static void
mpcheck(void)
{
	uint8_t buf[256];
	size_t i, k, used;
	int all = 1, prefixes = 1, trailing = 1;
	double t0;

	for (i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		const uint8_t *p = (const uint8_t *)formats[i].bytes;
		size_t n = formats[i].len;
		uint8_t *exact = malloc(n);

		/* An exact-size copy, so that a read past the end is caught
		 * under AddressSanitizer. */
		memcpy(exact, p, n);
		if (ipc_mp_check(exact, n, 8) != 0) {
			all = 0;
			printf("# %s refused\n", formats[i].name);
		}
		for (k = 0; k < n; k++)
			if (ipc_mp_check(exact, k, 8) != -1) {
				prefixes = 0;
				printf("# %s: %zu-byte prefix accepted\n", formats[i].name, k);
			}
		free(exact);
		memcpy(buf, p, n);
		buf[n] = 0x01;
		if (ipc_mp_check(buf, n + 1, 8) != -1 || ipc_mp_skip(buf, n + 1, 8, &used) != 0 ||
		    used != n)
			trailing = 0;
	}
	ok(all, "every msgpack format accepted");
	ok(prefixes, "every cut of each refused");
	ok(trailing, "a byte after each refused by check, measured by skip");
	ok(ipc_mp_check(S("\xc1"), 8) == -1, "0xc1 refused");
	ok(ipc_mp_check(S("\x92\x01\xc1"), 8) == -1, "0xc1 inside an array refused");
	ok(ipc_mp_check(NULL, 0, 8) == -1, "nothing is not an object");
	ok(ipc_mp_check(S("\x01\x02"), 8) == -1, "two objects are not one");

	/* Counts the bytes cannot back. */
	t0 = tap_now();
	ok(ipc_mp_check(S("\xdd\xff\xff\xff\xff\x00"), 8) == -1, "array32 of 2^32-1 in 6 bytes refused");
	ok(ipc_mp_check(S("\xdf\xff\xff\xff\xff\x00"), 8) == -1, "map32 of 2^32-1 pairs refused");
	ok(ipc_mp_check(S("\xdb\xff\xff\xff\xff" "abc"), 8) == -1, "str32 longer than the bytes refused");
	ok(ipc_mp_check(S("\xc6\xff\xff\xff\xff" "abc"), 8) == -1, "bin32 longer than the bytes refused");
	ok(ipc_mp_check(S("\xc9\xff\xff\xff\xff\x01"), 8) == -1, "ext32 longer than the bytes refused");
	ok(ipc_mp_check(S("\x82\x01"), 8) == -1, "fixmap missing its values refused");
	/* Each inner array fits alone, but not together with its siblings. */
	ok(ipc_mp_check(S("\x93\x92\xc0\xc0\x92\xc0\xc0"), 8) == -1, "siblings owed more than is left refused");
	ok(tap_now() - t0 < 0.5, "... at once");

	/* Depth: every container counts, empty ones too. */
	ok(ipc_mp_check(S("\x01"), 0) == 0 && ipc_mp_check(S("\x90"), 0) == -1, "depth 0: scalars only");
	ok(ipc_mp_check(S("\x91\x90"), 1) == -1 && ipc_mp_check(S("\x91\x90"), 2) == 0,
	    "an empty array counts as a level");
	memset(buf, 0x91, 40);
	buf[40] = 0x01;
	ok(ipc_mp_check(buf + 8, 33, 32) == 0, "32 levels within a bound of 32");
	ok(ipc_mp_check(buf + 7, 34, 32) == -1, "33 refused");
	ok(ipc_mp_check(buf, 41, 1000) == 0, "a bound above 64 counts as 64 (40 deep)");
	memset(buf, 0x91, 100);
	buf[100] = 0x01;
	ok(ipc_mp_check(buf, 101, 1000) == -1, "100 deep refused even with a bound of 1000");
}

/* Random bytes, biased towards the bytes that start containers and sized
 * objects: whatever they claim, the validator reads only what it was given
 * (an exact-size copy each time, for AddressSanitizer). */
static void
random_bytes(void)
{
	static const uint8_t special[] = { 0x00, 0x01, 0x7f, 0x80, 0x8f, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1,
	    0xc4, 0xc6, 0xc9, 0xcf, 0xd3, 0xd8, 0xdb, 0xdd, 0xdf, 0xff };
	size_t i, n;
	int sane = 1;

	for (n = 0; n < 100000; n++) {
		uint8_t *p;
		size_t len = (size_t)(tap_rand() % 24), used;

		p = malloc(len > 0 ? len : 1);
		for (i = 0; i < len; i++)
			p[i] = tap_rand() % 3 ? special[tap_rand() % sizeof special] : (uint8_t)tap_rand();
		if (ipc_mp_skip(p, len, 8, &used) == 0 && used > len)
			sane = 0;
		free(p);
	}
	ok(sane, "100000 random byte strings: the validator stays inside them");
}

int
main(void)
{
	mpcheck();
	random_bytes();
	return done_testing();
}
