/* report: what people and programs read about jobs — `corral status`,
 * `corral results`, `corral jobs` — and the JSON form of one outcome, which
 * `run --json` prints too. Opens the store read-only; never writes. */
#ifndef CORRAL_REPORT_H
#define CORRAL_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "supervisor/store.h"

int report_status(int argc, char **argv);
/* status --changed: the files of job j whose size or mtime differs now
 * from when their outcome was recorded, or that are gone, one a line (or
 * one JSON object a line); files without both kept are not compared
 * (cli/changed.c). 0; dies with EXIT_USAGE on a read error. */
int report_changed(store *st, const struct store_job *j, int json);
int report_results(int argc, char **argv);
int report_jobs(int argc, char **argv);
/* Files of a job's record with an outcome: the sum of its counts. */
uint64_t done_of(const struct store_job *j);
/* A state directory opened for a command, or the command ends with one
 * line and exit status 2; the job named (NULL: the latest) in it, or the
 * same. */
store *report_open_dir(const char *dir, enum store_mode mode);
void report_find_job(store *st, const char *dir, const char *job, struct store_job *j);
/* A getopt_long code no reader option takes: 'h' prints usage and exits
 * 0; ':' (a value missing) and anything else are one line and exit 2. */
_Noreturn void report_opt_end(int c, char **argv, const char *usage);
/* why.c: `corral why FILE`; `results --signatures` of job j (exit status);
 * `corral retry -s DIR JOB` with no service. */
int report_why(int argc, char **argv);
int why_signatures(store *st, const struct store_job *j, int json);
int report_retry(int argc, char **argv);
/* `corral metrics -s DIR`: the job-record series alone (supervisor/metrics.h). */
int report_metrics(int argc, char **argv);

#endif
