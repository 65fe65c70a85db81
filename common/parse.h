/* parse: strict readers for the numbers an operator types. Each returns 0, or
 * -1 with errno EINVAL (not of the form) or ERANGE (out of range); nothing is
 * accepted with trailing bytes, signs, or overflow. */
#ifndef CORRAL_PARSE_H
#define CORRAL_PARSE_H

#include <stdint.h>

/* "250ms", "30s", "2m", "1h", "1.5s"; a bare number is seconds. > 0, <= 30 days. */
int parse_duration_ms(const char *s, uint64_t *ms);
/* A decimal integer in [min, max]. */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* A byte count: "4096", "512K", "100M", "4G", "1T" (powers of 1024; a
 * trailing "B" or "iB" allowed: "4GiB"). In [min, max]. */
int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* A share: "0.05", "5%", "0" (off). Result in [0, 1]. */
int parse_rate(const char *s, double *out);
/* A count of workers as GNU parallel's -j takes it, against cpus (> 0):
 * "8"; "50%" of cpus (rounded down); "+2" and "-1" more or fewer than
 * cpus. The result is clamped to [1, max] when it is relative; an absolute
 * count must be in [1, max] itself. */
int parse_workers(const char *s, uint64_t cpus, uint64_t max, uint64_t *out);
/* --halt in GNU parallel's form: "now,fail=N" or "soon,fail=N" (N >= 1:
 * *fail, *rate 0), "now,fail=P%" or "soon,fail=P%" (0 < P <= 100: *rate,
 * *fail 0); *soon 1 for soon. */
int parse_halt(const char *s, int *soon, uint64_t *fail, double *rate);

#endif
