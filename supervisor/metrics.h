/* metrics: the pool's figures in the Prometheus text exposition format
 * (0.0.4), for /metrics, `corral metrics` and --metrics-file. Reads the
 * pool (its jobs, slots and stats), the store's job records and the
 * process's own /proc; changes none of them. docs/metrics.md lists every
 * series. */
#ifndef CORRAL_METRICS_H
#define CORRAL_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ev.h>

#include "supervisor/store.h"

struct sup; struct job;

/* Writes the pool's metrics to f in the Prometheus text exposition format
 * (version 0.0.4). visible(j, arg) says whether job j's series are written;
 * NULL: every job's. Returns 0, or -1 when f reports an error. A finished
 * job the pool no longer holds is asked about as a stand-in whose rec alone
 * is filled. Check-lane profiles have no job series. */
int metrics_write(FILE *f, struct sup *s, int (*visible)(const struct job *j, void *arg), void *arg);
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* One job's record as the job-record series show it. */
struct metrics_job {
	char name[sizeof ((struct store_job *)0)->name];
	int state;			/* enum job_state, as a reader should see it */
	uint64_t total;
	uint64_t count[OUT__COUNT];
};
void metrics_job_set(struct metrics_job *mj, const struct store_job *r, int state);
/* The job-record series alone: corral_job_files, corral_job_files_pending,
 * corral_job_files_known and corral_jobs, what a reader of the state
 * directory knows too. 0, or -1 when f reports an error. */
int metrics_write_jobs(FILE *f, const struct metrics_job *jobs, size_t n);

/* --metrics-file PATH: rewritten whole (PATH.tmp.PID, then rename) at
 * start, every METRICS_FILE_EVERY seconds on the pool's loop, and at the
 * end. A failure is logged, at most once a minute, and changes nothing
 * else. */
#define METRICS_FILE_EVERY	5.0
struct metrics_file {
	struct sup *sup;
	const char *path;
	ev_timer timer;
	ev_tstamp warned;		/* the last failure logged; or 0 */
};
void metrics_file_start(struct metrics_file *mf, struct sup *s, const char *path);
/* Stops the timer, then writes the file a last time. */
void metrics_file_stop(struct metrics_file *mf);
/* Whether PATH may be the file: missing, or a regular file (a FIFO, a
 * device, a directory or a symbolic link there is never replaced). 0, or
 * -1 with one line in err. */
int metrics_file_check(const char *path, char *err, size_t errlen);
/* Writes the file once: 0, or -1 (logged) with the file as it was. */
int metrics_file_write(struct metrics_file *mf);

#endif
