/* Unit tests of supervisor/json.c: the UTF-8 check is strict; JSON strings
 * escape quotes, backslashes and control characters and replace invalid
 * UTF-8; base64 matches RFC 4648; msgpack becomes JSON, every format of it,
 * and malformed msgpack writes nothing; the terminal form escapes whatever
 * a terminal would act on. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/json.h"
#include "tests/tap.h"

#define S(lit) lit, sizeof(lit) - 1

static char *out;
static size_t outlen;
static FILE *mem;

/* Output goes to a fresh memory stream for each check. */
static FILE *
start(void)
{
	free(out);
	out = NULL;
	mem = open_memstream(&out, &outlen);
	return mem;
}

static const char *
finish(void)
{
	fclose(mem);
	return out;
}

/* Compares what was written with want; on a mismatch, shows both. */
static void
is_out(const char *got, const char *want, const char *name)
{
	int same = got != NULL && strcmp(got, want) == 0;

	ok(same, "%s", name);
	if (!same) {
		printf("#   got:  ");
		text_escaped(stdout, got ? got : "(null)", got ? strlen(got) : 6);
		printf("\n#   want: ");
		text_escaped(stdout, want, strlen(want));
		printf("\n");
	}
}

static const char *
str(const char *s, size_t len)
{
	json_str(start(), s, len);
	return finish();
}

static const char *
text(const char *s, size_t len)
{
	text_escaped(start(), s, len);
	return finish();
}

static const char *
b64(const char *s, size_t len)
{
	json_base64(start(), s, len);
	return finish();
}

static int mp_rc;

static const char *
mp(const char *bytes, size_t len)
{
	char *copy = malloc(len > 0 ? len : 1);

	/* Exact size: an over-read trips AddressSanitizer. */
	memcpy(copy, bytes, len);
	mp_rc = json_msgpack(start(), copy, len);
	free(copy);
	return finish();
}

static void
utf8(void)
{
	ok(json_is_utf8(S("")), "empty is valid UTF-8");
	ok(json_is_utf8(S("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80")), "two-, three-, four-byte sequences");
	ok(json_is_utf8(S("\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf")), "U+D7FF, U+E000, U+10FFFF");
	ok(!json_is_utf8(S("\xc0\xaf")), "overlong '/' in two bytes refused");
	ok(!json_is_utf8(S("\xc1\xbf")), "overlong in two bytes (0xc1) refused");
	ok(!json_is_utf8(S("\xe0\x80\xaf")), "overlong in three bytes refused");
	ok(!json_is_utf8(S("\xf0\x80\x80\xaf")), "overlong in four bytes refused");
	ok(!json_is_utf8(S("\xed\xa0\x80")), "surrogate U+D800 refused");
	ok(!json_is_utf8(S("\xed\xbf\xbf")), "surrogate U+DFFF refused");
	ok(!json_is_utf8(S("\xf4\x90\x80\x80")), "U+110000 refused");
	ok(!json_is_utf8(S("\xf5\x80\x80\x80")), "0xf5 lead refused");
	ok(!json_is_utf8(S("\xe2\x82")), "a cut sequence refused");
	ok(!json_is_utf8(S("\x80")), "a lone continuation byte refused");
	ok(!json_is_utf8(S("\xff")), "0xff refused");
	ok(!json_is_utf8(S("a\xc3")), "a lead byte at the end refused");
	ok(json_is_utf8("a\0b", 3), "NUL is valid UTF-8 (escaping is json_str's job)");
}

static void
strings(void)
{
	is_out(str(S("")), "\"\"", "empty string");
	is_out(str(S("a\"b\\c/")), "\"a\\\"b\\\\c/\"", "quotes and backslashes escaped");
	is_out(str(S("l1\nl2\tx\ry")), "\"l1\\nl2\\tx\\ry\"", "\\n \\t \\r");
	is_out(str(S("\x01\x08\x0c\x1b\x1f\x7f")), "\"\\u0001\\u0008\\u000c\\u001b\\u001f\\u007f\"",
	    "other control bytes as \\u00XX");
	is_out(str("a\0b", 3), "\"a\\u0000b\"", "NUL escaped");
	is_out(str(S("\xc2\x9b" "1m")), "\"\\u009b1m\"", "C1 control (CSI) escaped");
	is_out(str(S("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80")), "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
	    "valid UTF-8 kept");
	is_out(str(S("a\xffz")), "\"a\xef\xbf\xbdz\"", "an invalid byte becomes U+FFFD");
	is_out(str(S("\xc0\xaf")), "\"\xef\xbf\xbd\xef\xbf\xbd\"", "an overlong becomes U+FFFD per byte");
	is_out(str(S("\xed\xa0\x80")), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"", "a surrogate too");
	is_out(str(S("x\xe2\x82")), "\"x\xef\xbf\xbd\xef\xbf\xbd\"", "a sequence cut at the end");
}

static void
base64(void)
{
	static const char *const vec[][2] = {	/* RFC 4648, section 10 */
		{ "", "\"\"" }, { "f", "\"Zg==\"" }, { "fo", "\"Zm8=\"" }, { "foo", "\"Zm9v\"" },
		{ "foob", "\"Zm9vYg==\"" }, { "fooba", "\"Zm9vYmE=\"" }, { "foobar", "\"Zm9vYmFy\"" },
	};
	size_t i;

	for (i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		char name[32];

		snprintf(name, sizeof name, "base64 \"%s\"", vec[i][0]);
		is_out(b64(vec[i][0], strlen(vec[i][0])), vec[i][1], name);
	}
	is_out(b64(S("\x00\xff\xfe\x3e\x3f")), "\"AP/+Pj8=\"", "base64 of bytes using + and /");
}

static void
msgpack(void)
{
	char buf[80];

	is_out(mp(S("\x83\xa1" "a\x01\xa1" "b\x92\xc3\xc0\xa1" "c\x81\xa1" "d\x90")),
	    "{\"a\":1,\"b\":[true,null],\"c\":{\"d\":[]}}", "nested maps and arrays");
	is_int(mp_rc, 0, "... returns 0");
	is_out(mp(S("\x80")), "{}", "empty map");
	is_out(mp(S("\x93\xc2\xc3\xc0")), "[false,true,null]", "nil and booleans");
	is_out(mp(S("\x9a\x00\x7f\xff\xe0\xcc\xff\xcd\xff\xff\xce\xff\xff\xff\xff\xd0\x80\xd1\x80\x00\xd2\x80\x00\x00\x00")),
	    "[0,127,-1,-32,255,65535,4294967295,-128,-32768,-2147483648]", "integers of every width");
	is_out(mp(S("\x92\xd3\x80\x00\x00\x00\x00\x00\x00\x00\xcf\xff\xff\xff\xff\xff\xff\xff\xff")),
	    "[-9223372036854775808,18446744073709551615]", "INT64_MIN and UINT64_MAX");
	is_out(mp(S("\xd3\x00\x00\x00\x00\x00\x00\x00\x05")), "5", "a positive int64");
	is_out(mp(S("\x93\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00\xca\x3f\xc0\x00\x00\xcb\x3f\xb9\x99\x99\x99\x99\x99\x9a")),
	    "[1.5,1.5,0.10000000000000001]", "float64 and float32 at %.17g");
	is_out(mp(S("\x93\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00\xcb\x7f\xf0\x00\x00\x00\x00\x00\x00\xca\xff\x80\x00\x00")),
	    "[null,null,null]", "NaN and infinities become null");
	is_out(mp(S("\x92\xa3" "abc\xd9\x03\"\n\xff")), "[\"abc\",\"\\\"\\n\xef\xbf\xbd\"]",
	    "strings escaped, invalid UTF-8 replaced");
	is_out(mp(S("\x93\xc4\x03" "abc\xc5\x00\x01\xff\xc6\x00\x00\x00\x00")), "[\"YWJj\",\"/w==\",\"\"]",
	    "bin of each width becomes base64");
	is_out(mp(S("\x95\xd4\x01\x00\xd8\x01" "0123456789abcdef" "\xc7\x02\x05xy\xc8\x00\x00\x05\xc9\x00\x00\x00\x01\x05z")),
	    "[null,null,null,null,null]", "ext of each form becomes null");
	is_out(mp(S("\x86\x01\xa1" "a\xc0\xa1" "b\xc3\xa1" "c\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00\xa1" "d\xc4\x02\xff\x00\xa1"
	    "e\x91\x01\xa1" "f")),
	    "{\"1\":\"a\",\"null\":\"b\",\"true\":\"c\",\"1.5\":\"d\",\"/wA=\":\"e\",\"[1]\":\"f\"}",
	    "keys that are not strings become strings");
	is_out(mp(S("\x81\x81\xa1k\xa1\"\x01")), "{\"{\\\"k\\\":\\\"\\\\\\\"\\\"}\":1}",
	    "a map as a key: its JSON, escaped, as the name");
	is_out(mp(S("\x81\xa2\xff\x0a\x01")), "{\"\xef\xbf\xbd\\n\":1}", "keys escaped like any string");

	/* Malformed: -1 and nothing written. */
	is_out(mp(S("\x82\xa1" "a\x01")), "", "a map missing a pair writes nothing");
	is_int(mp_rc, -1, "... returns -1");
	mp(S("\xc1"));
	is_int(mp_rc, -1, "0xc1: -1");
	mp(S(""));
	is_int(mp_rc, -1, "nothing: -1");
	mp(S("\x01\x02"));
	is_int(mp_rc, -1, "two objects: -1");
	mp(S("\xdd\xff\xff\xff\xff\x00"));
	is_int(mp_rc, -1, "an array claiming 2^32-1 elements: -1");
	mp(S("\xdb\x00\x01\x00\x00" "abc"));
	is_int(mp_rc, -1, "a string longer than the bytes: -1");
	mp(S("\xca\x00\x00"));
	is_int(mp_rc, -1, "a cut float: -1");
	memset(buf, 0x91, 33);
	buf[33] = 0x01;
	is_out(mp(buf + 1, 33), "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", "32 deep written");
	mp(buf, 34);
	is_int(mp_rc, -1, "33 deep: -1");
}

/* Maps as keys inside maps as keys: were each level to escape the text of
 * the one inside it again, the output would double per level, and the 32
 * levels a child may send would take gigabytes (found by fuzz/ipc_decode.c).
 * A key that is no string, inside such a key's text, is "". */
static void
key_growth(void)
{
	char buf[64];
	size_t n = 0;
	int i;

	for (i = 0; i < 20; i++)
		buf[n++] = (char)0x81;
	buf[n++] = (char)0xa1;
	buf[n++] = '"';
	for (i = 0; i < 20; i++)
		buf[n++] = (char)0xc0;
	mp(buf, n);
	ok(mp_rc == 0 && outlen <= 4 * n, "20 levels of maps as keys: %zu bytes of JSON from %zu", outlen, n);
	mp("\x81\x81\x81\xa1k\x01\x02\x03", 8);
	is_out(out, "{\"{\\\"\\\":2}\":3}", "a map key inside a map key is \"\"");
	mp("\x81\x92\x01\xa1" "a\x02", 6);
	is_out(out, "{\"[1,\\\"a\\\"]\":2}", "an array key: its JSON text as the name");
}

static void
terminal(void)
{
	is_out(text(S("plain caf\xc3\xa9 \xe2\x82\xac")), "plain caf\xc3\xa9 \xe2\x82\xac", "printable UTF-8 as is");
	is_out(text(S("a\nb\tc\rd\\e\"f")), "a\\nb\\tc\\rd\\\\e\"f", "\\n \\t \\r \\\\ escaped, quotes kept");
	is_out(text(S("\x1b[31mred\x07\x7f")), "\\x1b[31mred\\x07\\x7f", "ESC, BEL and DEL as \\xNN");
	is_out(text("a\0b", 3), "a\\x00b", "NUL as \\x00");
	is_out(text(S("\xc2\x9b" "2J")), "\\xc2\\x9b2J", "a C1 control as its bytes");
	is_out(text(S("\xff\xc0\xaf\xed\xa0\x80x")), "\\xff\\xc0\\xaf\\xed\\xa0\\x80x",
	    "invalid bytes, overlongs and surrogates as \\xNN");
	is_out(text(S("\xe2\x82")), "\\xe2\\x82", "a cut sequence as \\xNN");
}

static const char *
html(const char *s, size_t len)
{
	html_escaped(start(), s, len);
	return finish();
}

static const char *
reasons(const char *mp, size_t len)
{
	html_result_reasons(start(), mp, len);
	return finish();
}

/* For a web page: a terminal's escapes, and & < > " ' as entities. */
static void
page(void)
{
	is_out(html(S("<script>alert('x')</script>")),
	    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", "tags and quotes become entities");
	is_out(html(S("a&amp;\"b\"")), "a&amp;amp;&quot;b&quot;", "& and \" too");
	is_out(html(S("caf\xc3\xa9\n\x1b[1m\xff")), "caf\xc3\xa9\\n\\x1b[1m\\xff",
	    "UTF-8 as is; controls and invalid bytes as a terminal's escapes");
	/* {"verdict":"malformed","reasons":[{"code":"truncated","entry":"a"},{"code":"<x>"}]} */
	is_out(reasons(S("\x82\xa7verdict\xa9malformed\xa7reasons\x92"
	    "\x82\xa4" "code\xa9truncated\xa5" "entry\xa1" "a\x81\xa4" "code\xa3<x>")),
	    "malformed: truncated, &lt;x&gt;", "a result's verdict and reason codes, escaped");
	is_out(reasons(S("\x81\xa2ok\xc3")), "", "a map without them: nothing");
	is_out(reasons(S("\x82\xa7verdict\xa5" "clean\xa7reasons\x90")), "clean",
	    "a verdict with no reasons");
	is_out(reasons(S("\x81\xa7reasons\x9f")), "", "bytes cut short: nothing past them");
	is_out(reasons(S("\x92\x01\x02")), "", "not a map: nothing");
}

int
main(void)
{
	utf8();
	strings();
	base64();
	msgpack();
	key_growth();
	terminal();
	page();
	free(out);
	return done_testing();
}
