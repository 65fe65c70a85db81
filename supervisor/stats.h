/* stats: what a run measures about itself, for `run --stats FILE`: the
 * supervisor's own CPU and memory, the group commit, and how fast the pool
 * reacts to timeouts and crashes. Samples are kept in bounded rings, so a
 * long run costs the same memory as a short one. */
#ifndef CORRAL_STATS_H
#define CORRAL_STATS_H

#include <stdint.h>
#include <stdio.h>

#define STATS_RING 8192

struct samples {
	double v[STATS_RING];
	uint64_t n;			/* ever added; the ring keeps the latest */
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
};

void samples_add(struct samples *s, double v);
/* The p-th percentile (0..100) of the kept samples; 0 when there are none. */
double samples_pct(const struct samples *s, double p);
/* One JSON object: the figures above, with the run's wall time, files
 * processed and the supervisor's rusage (user, system, peak RSS). */
void stats_write(FILE *f, const struct stats *st, double wall_s, uint64_t files);

#endif
