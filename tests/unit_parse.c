/* Unit tests of common/parse.c: durations, counts and rates as an operator
 * types them; everything else refused with the right errno (EINVAL for
 * what is not of the form, ERANGE for what is out of range), and nothing
 * written to the result on a refusal. */
#include <errno.h>
#include <string.h>

#include <stdlib.h>

#include "common/expand.h"
#include "common/parse.h"
#include "tests/tap.h"

static void
expands(const char *cmd, const char *path, uint64_t seq, uint32_t slot, const char *want)
{
	char *got = expand_command(cmd, path, seq, slot);

	ok(got != NULL && strcmp(got, want) == 0, "expand '%s' for '%s'", cmd, path);
	if (got == NULL || strcmp(got, want) != 0)
		printf("#   got  %s\n#   want %s\n", got ? got : "(null)", want);
	free(got);
}

/* GNU parallel's replacement strings, each value quoted for sh. */
static void
replacements(void)
{
	expands("f {} {/} {.} {//} {/.} {#} {%}", "d/sub/a.tar.gz", 7, 0,
	    "f 'd/sub/a.tar.gz' 'a.tar.gz' 'd/sub/a.tar' 'd/sub' 'a.tar' '7' '1'");
	expands("{.}|{/.}|{//}", "noext", 1, 3, "'noext'|'noext'|'.'");
	expands("{.}|{/.}", "d/.profile", 1, 0, "'d/.profile'|'.profile'");
	expands("{//}", "/top", 1, 0, "'/'");
	expands("{.}", "a.b/c", 1, 0, "'a.b/c'");
	expands("cat", "it's $(x) `y`", 1, 0, "cat 'it'\\''s $(x) `y`'");
	expands("echo {%} {#}", "p", 18446744073709551615ull, 4294967295u,
	    "echo '4294967296' '18446744073709551615'");
	expands("{x} {} {", "p", 1, 0, "{x} 'p' {");
	expands("{{}}", "p", 1, 0, "{'p'}");
}

static void
duration(const char *s, unsigned long long want)
{
	uint64_t ms = 0;
	int r;

	errno = 0;
	r = parse_duration_ms(s, &ms);
	ok(r == 0 && ms == want, "duration '%s' = %llu ms (got %llu, errno %d)", s, want,
	    (unsigned long long)ms, errno);
}

static void
duration_refused(const char *s, int want_errno)
{
	uint64_t ms = 12345;
	int r;

	errno = 0;
	r = parse_duration_ms(s, &ms);
	ok(r == -1 && errno == want_errno && ms == 12345, "duration '%s' refused: %s", s,
	    want_errno == EINVAL ? "EINVAL" : "ERANGE");
}

static void
rate_refused(const char *s, int want_errno)
{
	double v = 42;
	int r;

	errno = 0;
	r = parse_rate(s, &v);
	ok(r == -1 && errno == want_errno && v == 42, "rate '%s' refused: %s", s,
	    want_errno == EINVAL ? "EINVAL" : "ERANGE");
}

int
main(void)
{
	static const char *const malformed[] = {
		"", "-1s", "+1s", "1x", "inf", "nan", "0x10", " 5", "5 ", "1e3", ".", "s", "ms",
		"1..5s", "1.5.s", "1 s", "1S", "1sec", "1d",
	};
	static const char *const out_of_range[] = {
		"0", "0ms", "0.0s", "0.5ms", "99999999999999999999", "721h", "2592001s", "43201m",
	};
	uint64_t v;
	double rate;
	size_t i;

	replacements();

	duration("250ms", 250);
	duration("30s", 30000);
	duration("2m", 120000);
	duration("1h", 3600000);
	duration("1.5s", 1500);
	duration("5", 5000);
	duration("0.5", 500);
	duration("1ms", 1);
	duration("1.5ms", 2);	/* rounds to the nearest millisecond */
	duration("007s", 7000);
	duration("720h", 2592000000ull);
	duration("2592000s", 2592000000ull);
	for (i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
		duration_refused(malformed[i], EINVAL);
	for (i = 0; i < sizeof out_of_range / sizeof out_of_range[0]; i++)
		duration_refused(out_of_range[i], ERANGE);
	ok(parse_duration_ms(NULL, &v) == -1 && errno == EINVAL, "duration NULL refused");

	ok(parse_size("4096", 0, UINT64_MAX, &v) == 0 && v == 4096, "size 4096");
	ok(parse_size("512K", 0, UINT64_MAX, &v) == 0 && v == 512 * 1024, "size 512K");
	ok(parse_size("100M", 0, UINT64_MAX, &v) == 0 && v == 100ull << 20, "size 100M");
	ok(parse_size("4GiB", 0, UINT64_MAX, &v) == 0 && v == 4ull << 30, "size 4GiB");
	ok(parse_size("1TB", 0, UINT64_MAX, &v) == 0 && v == 1ull << 40, "size 1TB");
	ok(parse_size("15E", 0, UINT64_MAX, &v) == 0 && v == 15ull << 60, "size 15E");
	errno = 0;
	ok(parse_size("16E", 0, UINT64_MAX, &v) == -1 && errno == ERANGE, "size 16E overflows: ERANGE");
	errno = 0;
	ok(parse_size("99999999999999999999999999999999K", 0, UINT64_MAX, &v) == -1 && errno == ERANGE,
	    "size with 32 digits: ERANGE");
	errno = 0;
	ok(parse_size("1M", 0, 1000, &v) == -1 && errno == ERANGE, "size over its max: ERANGE");
	{
		static const char *const bad[] = { "", "K", "-1", "+1", " 1", "1 ", "1k", "1.5M", "1X",
		    "1Ki", "1MM", "1BB", "0x10", "1G!" };
		size_t k;
		int all = 1;

		for (k = 0; k < sizeof bad / sizeof bad[0]; k++) {
			errno = 0;
			if (parse_size(bad[k], 0, UINT64_MAX, &v) != -1 || errno != EINVAL) {
				all = 0;
				printf("# size '%s' accepted or not EINVAL\n", bad[k]);
			}
		}
		ok(all, "sizes not of the form refused with EINVAL");
	}
	ok(parse_uint("42", 1, 100, &v) == 0 && v == 42, "uint 42 in [1, 100]");
	ok(parse_uint("1", 1, 100, &v) == 0 && v == 1, "uint at its min");
	ok(parse_uint("100", 1, 100, &v) == 0 && v == 100, "uint at its max");
	ok(parse_uint("7", 7, 7, &v) == 0 && v == 7, "uint in [7, 7]");
	ok(parse_uint("0", 0, 0, &v) == 0 && v == 0, "uint 0 in [0, 0]");
	ok(parse_uint("0007", 0, 10, &v) == 0 && v == 7, "leading zeros read as decimal");
	v = 99;
	ok(parse_uint("0", 1, 100, &v) == -1 && errno == ERANGE && v == 99, "uint below min: ERANGE, untouched");
	ok(parse_uint("101", 1, 100, &v) == -1 && errno == ERANGE, "uint above max: ERANGE");
	ok(parse_uint("18446744073709551615", 0, UINT64_MAX, &v) == 0 && v == UINT64_MAX, "uint 2^64-1");
	ok(parse_uint("18446744073709551616", 0, UINT64_MAX, &v) == -1 && errno == ERANGE,
	    "uint 2^64: overflow, ERANGE");
	ok(parse_uint("99999999999999999999999", 0, UINT64_MAX, &v) == -1 && errno == ERANGE,
	    "uint far past 2^64: ERANGE");
	ok(parse_uint("-1", 0, 10, &v) == -1 && errno == EINVAL, "uint '-1': EINVAL");
	ok(parse_uint("+1", 0, 10, &v) == -1 && errno == EINVAL, "uint '+1': EINVAL");
	ok(parse_uint("1 ", 0, 10, &v) == -1 && errno == EINVAL, "uint trailing space: EINVAL");
	ok(parse_uint(" 1", 0, 10, &v) == -1 && errno == EINVAL, "uint leading space: EINVAL");
	ok(parse_uint("0x10", 0, 100, &v) == -1 && errno == EINVAL, "uint hex: EINVAL");
	ok(parse_uint("1.0", 0, 10, &v) == -1 && errno == EINVAL, "uint '1.0': EINVAL");
	ok(parse_uint("", 0, 10, &v) == -1 && errno == EINVAL, "uint empty: EINVAL");
	ok(parse_uint(NULL, 0, 10, &v) == -1 && errno == EINVAL, "uint NULL: EINVAL");

	ok(parse_rate("0.05", &rate) == 0 && rate == 0.05, "rate 0.05");
	ok(parse_rate("5%", &rate) == 0 && rate > 0.0499 && rate < 0.0501, "rate 5%%");
	ok(parse_rate("0.5%", &rate) == 0 && rate > 0.00499 && rate < 0.00501, "rate 0.5%%");
	ok(parse_rate("0", &rate) == 0 && rate == 0, "rate 0 (off)");
	ok(parse_rate("0%", &rate) == 0 && rate == 0, "rate 0%%");
	ok(parse_rate("1", &rate) == 0 && rate == 1, "rate 1");
	ok(parse_rate("100%", &rate) == 0 && rate == 1, "rate 100%%");
	ok(parse_rate(".5", &rate) == 0 && rate == 0.5, "rate .5");
	rate_refused("2", ERANGE);
	rate_refused("1.01", ERANGE);
	rate_refused("150%", ERANGE);
	rate_refused("abc", EINVAL);
	rate_refused("-0.1", EINVAL);
	rate_refused("5%%", EINVAL);
	rate_refused("%", EINVAL);
	rate_refused("", EINVAL);
	rate_refused("0.1 ", EINVAL);
	rate_refused("1e-2", EINVAL);
	rate_refused("nan", EINVAL);
	return done_testing();
}
