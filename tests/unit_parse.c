/* Unit tests of common/parse.c: durations, counts and rates as typed by an
 * operator, and everything that must be refused. */
#include <errno.h>
#include <string.h>

#include "common/parse.h"
#include "tests/tap.h"

static void
duration(const char *s, long long want)
{
	uint64_t ms = 0;
	int r = parse_duration_ms(s, &ms);

	if (want < 0)
		ok(r == -1, "duration '%s' refused", s);
	else
		ok(r == 0 && (long long)ms == want, "duration '%s' = %lld ms (got %llu)", s, want,
		    (unsigned long long)ms);
}

int
main(void)
{
	static const char *const bad[] = {
		"", "-1s", "1x", "inf", "nan", "0x10", " 5", "5 ", "0", "0ms", "1e3", ".", "s",
		"1..5s", "99999999999999999999", "31d", "1000h",
	};
	uint64_t v;
	double rate;
	size_t i;

	duration("250ms", 250);
	duration("30s", 30000);
	duration("2m", 120000);
	duration("1h", 3600000);
	duration("1.5s", 1500);
	duration("5", 5000);
	duration("0.5", 500);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		duration(bad[i], -1);

	ok(parse_uint("42", 1, 100, &v) == 0 && v == 42, "uint 42");
	ok(parse_uint("0", 1, 100, &v) == -1 && errno == ERANGE, "uint below min: ERANGE");
	ok(parse_uint("101", 1, 100, &v) == -1 && errno == ERANGE, "uint above max: ERANGE");
	ok(parse_uint("18446744073709551615", 0, UINT64_MAX, &v) == 0 && v == UINT64_MAX, "uint max");
	ok(parse_uint("18446744073709551616", 0, UINT64_MAX, &v) == -1 && errno == ERANGE, "uint overflow");
	ok(parse_uint("-1", 0, 10, &v) == -1 && errno == EINVAL, "uint sign refused");
	ok(parse_uint("1 ", 0, 10, &v) == -1 && errno == EINVAL, "uint trailing space refused");
	ok(parse_uint("", 0, 10, &v) == -1, "uint empty refused");

	ok(parse_rate("0.05", &rate) == 0 && rate == 0.05, "rate 0.05");
	ok(parse_rate("5%", &rate) == 0 && rate > 0.0499 && rate < 0.0501, "rate 5%%");
	ok(parse_rate("0", &rate) == 0 && rate == 0, "rate 0 (off)");
	ok(parse_rate("1", &rate) == 0 && rate == 1, "rate 1");
	ok(parse_rate("2", &rate) == -1 && errno == ERANGE, "rate 2 refused");
	ok(parse_rate("150%", &rate) == -1, "rate 150%% refused");
	ok(parse_rate("abc", &rate) == -1 && errno == EINVAL, "rate abc refused");
	ok(parse_rate("-0.1", &rate) == -1, "rate -0.1 refused");
	ok(parse_rate("5%%", &rate) == -1, "rate 5%%%% refused");
	return done_testing();
}
