/* Unit tests of the histograms of supervisor/stats.c: an observation goes
 * to the first bound at or above it (a value on a bound is in that
 * bucket, as Prometheus's le means), one above every bound only to +Inf;
 * the cumulative counts never go down and end at the count; the sum is
 * the observations'; the pool's own histograms have ascending bounds;
 * and a histogram keeps every observation, where the sample rings keep
 * only the latest STATS_RING. */
#include <math.h>
#include <string.h>

#include "supervisor/stats.h"
#include "tests/tap.h"

static void
buckets(void)
{
	static const double le[] = { 0.1, 1, 10 };
	struct histogram h;
	static const double v[] = { 0, 0.05, 0.1, 0.5, 1, 1.0000001, 9, 10, 11, 1e9 };
	size_t i;

	histogram_init(&h, le, 3);
	is_int(histogram_cumulative(&h, 3), 0, "an empty histogram counts nothing");
	for (i = 0; i < sizeof v / sizeof v[0]; i++)
		histogram_add(&h, v[i]);
	is_int(histogram_cumulative(&h, 0), 3, "le 0.1: 0, 0.05 and 0.1 itself");
	is_int(histogram_cumulative(&h, 1), 5, "le 1: and 0.5, 1");
	is_int(histogram_cumulative(&h, 2), 8, "le 10: and 1.0000001, 9, 10");
	is_int(histogram_cumulative(&h, 3), 10, "+Inf: every one");
	is_int(h.count, 10, "count");
	ok(fabs(h.sum - (0.05 + 0.1 + 0.5 + 1 + 1.0000001 + 9 + 10 + 11 + 1e9)) < 1e-3, "sum %.9g", h.sum);
	is_int(h.bucket[3], 2, "two above the last bound");
}

static void
pool_histograms(void)
{
	static struct stats st;
	const struct histogram *hs[] = { &st.commit_s, &st.commit_n, &st.check_s };
	size_t i;
	int k, up = 1, low = 0;

	memset(&st, 0xff, sizeof st);
	stats_init(&st);
	for (i = 0; i < 3; i++) {
		ok(hs[i]->nle > 0 && hs[i]->nle <= HISTOGRAM_BOUNDS && hs[i]->count == 0 &&
		    hs[i]->sum == 0, "pool histogram %zu: bounds set, counts zero", i);
		for (k = 1; k < hs[i]->nle; k++)
			up &= hs[i]->le[k] > hs[i]->le[k - 1];
	}
	ok(up, "every bound above the one before");
	for (k = 0; k < 3 * STATS_RING; k++) {
		histogram_add(&st.commit_n, (double)(k % 7));
		low += k % 7 <= 1;
		samples_add(&st.commit_ms, (double)k);
	}
	is_int(st.commit_n.count, 3 * STATS_RING, "a histogram keeps every observation");
	is_int(histogram_cumulative(&st.commit_n, 0), low,
	    "le 1 holds the 0s and the 1s");
	ok(samples_pct(&st.commit_ms, 0) >= 2 * STATS_RING, "the ring kept only the latest");
}

int
main(void)
{
	buckets();
	pool_histograms();
	return done_testing();
}
