/* Unit tests of supervisor/json.c: JSON strings escape control bytes and
 * replace invalid UTF-8; base64 matches RFC 4648; msgpack becomes JSON; the
 * terminal form escapes what a terminal would act on. */
#include <stdlib.h>
#include <string.h>

#include "supervisor/json.h"
#include "tests/tap.h"

static char out[4096];

static const char *
render(void (*fn)(FILE *, const char *, size_t), const char *s, size_t len)
{
	FILE *f = fmemopen(out, sizeof out, "w");

	fn(f, s, len);
	fputc('\0', f);
	fclose(f);
	return out;
}

static void
b64(FILE *f, const char *s, size_t len)
{
	json_base64(f, s, len);
}

static const char *
mp(const char *bytes, size_t len, int *rc)
{
	FILE *f = fmemopen(out, sizeof out, "w");

	*rc = json_msgpack(f, bytes, len);
	fputc('\0', f);
	fclose(f);
	return out;
}

#define S(lit) lit, sizeof(lit) - 1

int
main(void)
{
	static const char *const vec[][2] = {
		{ "", "\"\"" }, { "f", "\"Zg==\"" }, { "fo", "\"Zm8=\"" }, { "foo", "\"Zm9v\"" },
		{ "foob", "\"Zm9vYg==\"" }, { "fooba", "\"Zm9vYmE=\"" }, { "foobar", "\"Zm9vYmFy\"" },
	};
	size_t i;
	int rc;

	ok(json_is_utf8(S("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80")), "valid UTF-8 accepted");
	ok(!json_is_utf8(S("\xc0\xaf")), "an overlong refused");
	ok(!json_is_utf8(S("\xe0\x80\xaf")), "a three-byte overlong refused");
	ok(!json_is_utf8(S("\xed\xa0\x80")), "a surrogate refused");
	ok(!json_is_utf8(S("\xf4\x90\x80\x80")), "past U+10FFFF refused");
	ok(!json_is_utf8(S("\xe2\x82")), "a cut sequence refused");
	ok(!json_is_utf8(S("\xff")), "0xff refused");

	is_int(strcmp(render(json_str, S("a\"b\\c")), "\"a\\\"b\\\\c\""), 0, "quotes and backslashes escaped");
	is_int(strcmp(render(json_str, S("l1\nl2\t\r\x01\x7f")), "\"l1\\nl2\\t\\r\\u0001\\u007f\""), 0,
	    "control bytes escaped");
	is_int(strcmp(render(json_str, S("a\xffz")), "\"a\xef\xbf\xbdz\""), 0, "invalid UTF-8 becomes U+FFFD");
	is_int(strcmp(render(json_str, S("\xc3\xa9")), "\"\xc3\xa9\""), 0, "valid UTF-8 kept");
	is_int(strcmp(render(json_str, "a\0b", 3), "\"a\\u0000b\""), 0, "NUL escaped");
	for (i = 0; i < sizeof vec / sizeof vec[0]; i++)
		is_int(strcmp(render(b64, vec[i][0], strlen(vec[i][0])), vec[i][1]), 0, "base64 '%s'", vec[i][0]);

	is_int(strcmp(mp(S("\x83\xa1" "a\x01\xa1" "b\x92\xc3\xc0\xa1" "c\x81\xa1" "d\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00"), &rc),
	    "{\"a\":1,\"b\":[true,null],\"c\":{\"d\":1.5}}"), 0, "nested msgpack as JSON");
	is_int(strcmp(mp(S("\x92\xd3\x80\x00\x00\x00\x00\x00\x00\x00\xcf\xff\xff\xff\xff\xff\xff\xff\xff"), &rc),
	    "[-9223372036854775808,18446744073709551615]"), 0, "INT64_MIN and UINT64_MAX");
	is_int(strcmp(mp(S("\x81\x01\xc4\x03" "abc"), &rc), "{\"1\":\"YWJj\"}"), 0,
	    "a number key becomes a string, bin becomes base64");
	is_int(strcmp(mp(S("\xa2\xff\x41"), &rc), "\"\xef\xbf\xbd" "A\""), 0, "invalid UTF-8 in a str replaced");
	is_int(strcmp(mp(S("\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00"), &rc), "null"), 0, "NaN becomes null");
	mp(S("\x82\xa1" "a"), &rc);
	is_int(rc, -1, "malformed msgpack refused");
	mp(S("\xc1"), &rc);
	is_int(rc, -1, "0xc1 refused");

	is_int(strcmp(render(text_escaped, S("a\nb\tc\\d\x1b[31m\xff\xc3\xa9")), "a\\nb\\tc\\\\d\\x1b[31m\\xff\xc3\xa9"), 0,
	    "terminal form: escapes, ESC and invalid bytes as \\xNN, UTF-8 kept");
	return done_testing();
}
