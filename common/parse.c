/* parse: durations, counts and rates from the command line. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/parse.h"

int
parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;

	if (s == NULL || *s == '\0') {
		errno = EINVAL;
		return -1;
	}
	for (; *p; p++) {
		if (*p < '0' || *p > '9') {
			errno = EINVAL;
			return -1;
		}
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10) {
			errno = ERANGE;
			return -1;
		}
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

int
parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	static const char units[] = "KMGTPE";
	char digits[32];
	const char *u;
	size_t n;
	uint64_t v;
	int shift = 0;

	if (s == NULL) {
		errno = EINVAL;
		return -1;
	}
	n = strspn(s, "0123456789");
	if (n == 0 || n >= sizeof digits) {
		errno = n == 0 ? EINVAL : ERANGE;
		return -1;
	}
	memcpy(digits, s, n);
	digits[n] = '\0';
	u = s + n;
	if (*u != '\0' && *u != 'B') {
		const char *k = strchr(units, *u);

		if (k == NULL) {
			errno = EINVAL;
			return -1;
		}
		shift = 10 * (int)(k - units + 1);
		u++;
		if (u[0] == 'i' && u[1] == 'B')
			u++;
	}
	if (*u == 'B')
		u++;
	if (*u != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (parse_uint(digits, 0, UINT64_MAX >> shift, &v) < 0)
		return -1;
	v <<= shift;
	if (v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

/* A non-negative decimal with an optional fraction, no sign, no exponent:
 * strtod alone would take "inf", "0x10" and " 5". */
static int
parse_decimal(const char *s, const char **end, double *out)
{
	const char *p = s;
	int digits = 0;

	while (*p >= '0' && *p <= '9')
		p++, digits++;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9')
			p++, digits++;
	}
	if (digits == 0 || p - s > 32)
		return -1;
	*out = strtod(s, NULL);
	*end = p;
	return 0;
}

int
parse_duration_ms(const char *s, uint64_t *ms)
{
	static const struct { const char *suffix; double ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};
	const char *end;
	double v;
	size_t i;

	if (s == NULL || parse_decimal(s, &end, &v) < 0) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		v *= units[i].ms;
		if (v < 1 || v > 30.0 * 86400 * 1000) {
			errno = ERANGE;
			return -1;
		}
		*ms = (uint64_t)llround(v);
		return 0;
	}
	errno = EINVAL;
	return -1;
}

int
parse_rate(const char *s, double *out)
{
	const char *end;
	double v;

	if (s == NULL || parse_decimal(s, &end, &v) < 0) {
		errno = EINVAL;
		return -1;
	}
	if (strcmp(end, "%") == 0)
		v /= 100;
	else if (*end != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (v > 1) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

int
parse_workers(const char *s, uint64_t cpus, uint64_t max, uint64_t *out)
{
	char num[32];
	size_t n = strlen(s);
	uint64_t v;
	double want;

	if (n == 0 || n >= sizeof num)
		return -1;
	if (s[0] != '+' && s[0] != '-' && s[n - 1] != '%')
		return parse_uint(s, 1, max, out);
	if (s[0] == '+' || s[0] == '-') {
		if (parse_uint(s + 1, 0, UINT32_MAX, &v) < 0)
			return -1;
		want = s[0] == '+' ? (double)cpus + (double)v : (double)cpus - (double)v;
	} else {
		memcpy(num, s, n - 1);
		num[n - 1] = '\0';
		if (parse_uint(num, 1, 100000, &v) < 0)
			return -1;
		want = (double)cpus * (double)v / 100;
	}
	*out = want < 1 ? 1 : want > (double)max ? max : (uint64_t)want;
	return 0;
}

int
parse_halt(const char *s, int *soon, uint64_t *fail, double *rate)
{
	const char *v;
	size_t n;

	if (strncmp(s, "now,fail=", 9) == 0)
		*soon = 0;
	else if (strncmp(s, "soon,fail=", 10) == 0)
		*soon = 1;
	else
		return errno = EINVAL, -1;
	v = strchr(s, '=') + 1;
	n = strlen(v);
	if (n > 1 && v[n - 1] == '%') {
		if (parse_rate(v, rate) < 0 || *rate <= 0)
			return errno = EINVAL, -1;
		*fail = 0;
		return 0;
	}
	if (parse_uint(v, 1, UINT64_MAX, fail) < 0)
		return -1;
	*rate = 0;
	return 0;
}
