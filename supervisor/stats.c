/* stats: bounded samples, percentiles and the --stats report. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "supervisor/stats.h"

/* Bounds a Prometheus user expects: seconds from well under a commit's
 * fsync to a slow disk's; outcomes up to sup.c's COMMIT_COUNT; checks up
 * to the longest --check-timeout anyone sets. */
static const double commit_s_le[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
	0.5, 1, 2.5, 5 };
static const double commit_n_le[] = { 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2048 };
static const double check_s_le[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
	2.5, 5, 10, 30 };
#define NLE(a)	((int)(sizeof (a) / sizeof (a)[0]))

void
stats_init(struct stats *st)
{
	histogram_init(&st->commit_s, commit_s_le, NLE(commit_s_le));
	histogram_init(&st->commit_n, commit_n_le, NLE(commit_n_le));
	histogram_init(&st->check_s, check_s_le, NLE(check_s_le));
}

void
histogram_init(struct histogram *h, const double *le, int nle)
{
	memset(h, 0, sizeof *h);
	h->le = le;
	h->nle = nle < HISTOGRAM_BOUNDS ? nle : HISTOGRAM_BOUNDS;
}

void
histogram_add(struct histogram *h, double v)
{
	int i = 0;

	while (i < h->nle && v > h->le[i])
		i++;
	h->bucket[i]++;
	h->count++;
	h->sum += v;
}

uint64_t
histogram_cumulative(const struct histogram *h, int i)
{
	uint64_t n = 0;
	int k;

	for (k = 0; k <= i && k <= h->nle; k++)
		n += h->bucket[k];
	return n;
}

void
samples_add(struct samples *s, double v)
{
	s->v[s->n++ % STATS_RING] = v;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double
samples_pct(const struct samples *s, double p)
{
	size_t n = s->n < STATS_RING ? (size_t)s->n : STATS_RING, i;
	double *v, r;

	if (n == 0 || (v = malloc(n * sizeof *v)) == NULL)
		return 0;
	memcpy(v, s->v, n * sizeof *v);
	qsort(v, n, sizeof *v, cmp_double);
	i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	r = v[i < n ? i : n - 1];
	free(v);
	return r;
}

void
median_add(struct median *m, double v)
{
	double sorted[MEDIAN_RING] = { 0 }, x;
	size_t n, i, j;

	m->v[m->n++ % MEDIAN_RING] = v;
	n = m->n < MEDIAN_RING ? (size_t)m->n : MEDIAN_RING;
	if (n == 0)
		return;		/* 2^64 values: not in this life */
	/* Thirty-one values at most: an insertion sort is plenty. */
	for (i = 0; i < n; i++) {
		x = m->v[i];
		for (j = i; j > 0 && sorted[j - 1] > x; j--)
			sorted[j] = sorted[j - 1];
		sorted[j] = x;
	}
	m->mid = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

static void
put_samples(FILE *f, const char *name, const struct samples *s)
{
	fprintf(f, ",\"%s\":{\"n\":%llu,\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f}", name,
	    (unsigned long long)s->n, samples_pct(s, 50), samples_pct(s, 99), samples_pct(s, 100));
}

void
stats_write(FILE *f, const struct stats *st, double wall_s, uint64_t files)
{
	struct rusage ru;
	double user, sys;

	getrusage(RUSAGE_SELF, &ru);
	user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
	sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	fprintf(f, "{\"files\":%llu,\"wall_s\":%.3f,\"files_per_s\":%.1f,\"user_s\":%.3f,\"sys_s\":%.3f,"
	    "\"cpu_us_per_file\":%.2f,\"maxrss_kb\":%ld,\"first_dispatch_ms\":%.3f,"
	    "\"commits\":%llu,\"outcomes_per_commit\":%.1f,\"respawns\":%llu,\"host_refusals\":%llu,"
	    "\"recycled\":%llu",
	    (unsigned long long)files, wall_s, wall_s > 0 ? (double)files / wall_s : 0.0, user, sys,
	    files ? (user + sys) * 1e6 / (double)files : 0.0, ru.ru_maxrss, st->first_dispatch_ms,
	    (unsigned long long)st->commits,
	    st->commits ? (double)st->committed / (double)st->commits : 0.0,
	    (unsigned long long)st->respawns, (unsigned long long)st->host_refusals,
	    (unsigned long long)st->recycles[0] + (unsigned long long)st->recycles[1]);
	put_samples(f, "commit_ms", &st->commit_ms);
	put_samples(f, "deadline_to_kill_ms", &st->kill_late_ms);
	put_samples(f, "kill_to_ready_ms", &st->replace_ms);
	fputs("}\n", f);
}
