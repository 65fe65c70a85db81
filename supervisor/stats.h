/* stats: what a run measures about itself, for `run --stats FILE`: the
 * supervisor's own CPU and memory, the group commit, and how fast the pool
 * reacts to timeouts and crashes. Samples are kept in bounded rings, so a
 * long run costs the same memory as a short one. */
#ifndef CORRAL_STATS_H
#define CORRAL_STATS_H

#include <stdint.h>
#include <stdio.h>

#define STATS_RING 8192
#define STATS_KILLS 10			/* enum slot_kill_why's values */
#define STATS_RECYCLES 2		/* enum slot_recycle_why's values */

struct samples {
	double v[STATS_RING];
	uint64_t n;			/* ever added; the ring keeps the latest */
};

/* A histogram of fixed bounds: every observation counted, whatever the
 * rings above keep (for the Prometheus metrics, supervisor/metrics.c). */
#define HISTOGRAM_BOUNDS 16

struct histogram {
	const double *le;		/* upper bounds, ascending; +Inf after them */
	int nle;			/* at most HISTOGRAM_BOUNDS */
	uint64_t bucket[HISTOGRAM_BOUNDS + 1];	/* per bound, not cumulative;
					 * [nle]: above the last */
	uint64_t count;
	double sum;
};

struct stats {
	double first_dispatch_ms;	/* from start to the first file sent */
	uint64_t commits, committed;	/* transactions with outcomes, outcomes */
	struct samples commit_ms;	/* each such commit's latency */
	struct samples kill_late_ms;	/* deadline -> the kill */
	struct samples replace_ms;	/* kill or crash -> the replacement's hello */
	uint64_t respawns;		/* children started after the first ones */
	struct samples check_ms;	/* a service's checks: asked -> answered */
	uint64_t host_refusals;		/* opens, reads and forks the host refused */
	struct histogram commit_s;	/* each commit with outcomes: seconds */
	struct histogram commit_n;	/* ... and its outcomes */
	struct histogram check_s;	/* each check: asked -> answered, seconds */
	uint64_t kills[STATS_KILLS];	/* children we killed, by enum slot_kill_why */
	uint64_t recycles[STATS_RECYCLES];	/* children replaced at their job's
					 * limits, by enum slot_recycle_why */
};

/* The histograms' bounds set, every count zero. */
void stats_init(struct stats *st);
void histogram_init(struct histogram *h, const double *le, int nle);
void histogram_add(struct histogram *h, double v);
/* Observations at or below le[i]; i == nle: all of them. */
uint64_t histogram_cumulative(const struct histogram *h, int i);

/* The median of the latest MEDIAN_RING values: a job's ok files'
 * durations, for --timeout N%. Fixed memory; the median is kept up to
 * date on each add, so reading it costs nothing. */
#define MEDIAN_RING 31

struct median {
	double v[MEDIAN_RING];
	uint64_t n;			/* ever added */
	double mid;			/* the median of the kept ones; 0 when none */
};

void median_add(struct median *m, double v);

void samples_add(struct samples *s, double v);
/* The p-th percentile (0..100) of the kept samples; 0 when there are none. */
double samples_pct(const struct samples *s, double p);
/* One JSON object: the figures above, with the run's wall time, files
 * processed and the supervisor's rusage (user, system, peak RSS). */
void stats_write(FILE *f, const struct stats *st, double wall_s, uint64_t files);

#endif
