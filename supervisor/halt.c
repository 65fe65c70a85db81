/* halt: a job's halt rules (--halt-on-error, --halt W,fail=N|P%), read
 * from its spec after each outcome it records: the job ends halted now,
 * or (soon) sends no more files and ends once those in children are back.
 * Decides only that; sup_job_end does the ending. */
#include <stdio.h>

#include "common/log.h"
#include "supervisor/sup.h"

/* The job's halt rules, from its spec: --halt-on-error's share of files
 * not ok, --halt W,fail=N's count of files failed, crashed or timed out
 * in this run. Now: the job ends, its files in children go back pending.
 * Soon: nothing more goes out, and it ends once they are back
 * (complete_check). */
void
sup_halt_check(struct sup *s, struct job *j)
{
	const struct store_job *r = &j->rec;
	uint64_t done = job_done(j), bad = done - j->rec.count[OUT_OK];
	uint64_t failed = job_bad(j) - j->bad_at_start;
	char why[sizeof j->halt_why];

	if (r->state != JOB_RUNNING || j->halting)
		return;
	if (r->halt_fail > 0 && failed >= r->halt_fail)
		snprintf(why, sizeof why, "%llu file%s failed, crashed or timed out in this run, "
		    "--halt %s,fail=%llu", (unsigned long long)failed, plural_s(failed),
		    r->halt_soon ? "soon" : "now", (unsigned long long)r->halt_fail);
	else if (r->halt_rate > 0 && done >= r->halt_min && done > 0 &&
	    (double)bad / (double)done > r->halt_rate)
		snprintf(why, sizeof why, "%llu of %llu file%s not ok (%.1f%%), over --halt-on-error "
		    "%.1f%%", (unsigned long long)bad, (unsigned long long)done, plural_s(done),
		    100.0 * (double)bad / (double)done, 100.0 * r->halt_rate);
	else
		return;
	if (r->halt_soon && j->inflight > 0) {
		log_warnx("job %s halting: %s; the files in children finish", j->rec.name, why);
		snprintf(j->halt_why, sizeof j->halt_why, "%s", why);
		j->halting = 1;
		return;
	}
	sup_job_end(s, j, JOB_HALTED, why);
}

int
sup_halt_settle(struct sup *s, struct job *j)
{
	if (j->inflight > 0)
		return 0;
	/* --halt soon: the last of its files is back, and recorded. */
	if (sup_commit(s) < 0)
		return -1;
	if (s->stopping)
		return 0;
	sup_job_end(s, j, JOB_HALTED, j->halt_why);
	return 0;
}
