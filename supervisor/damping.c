/* damping: a job's crash-loop damping (damp.h decides) put to work. Every
 * end of one of its tasks is told; when its deaths spread over many files
 * the job's dispatch pauses, with the reason logged and stored in its
 * record (so that `corral status -s DIR` sees it too), and a timer lets
 * one probe file go after each back-off; an answer ends the pause. Per
 * job, not per pool: a broken handler or library is one job's, and a
 * host that kills every child (a full disk, no memory) damps each job it
 * kills, one at a time, while a job whose children live goes on. */
#include <string.h>

#include "common/log.h"
#include "supervisor/sup.h"

static void
damp_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct job *j = w->data;

	(void)revents;
	ev_timer_stop(loop, w);
	sup_dispatch(j->sup);
}

void
job_damp_init(struct job *j)
{
	damp_init(&j->damp);
	ev_timer_init(&j->damp_timer, damp_cb, 0, 0);
	j->damp_timer.data = j;
}

void
job_damp_stop(struct job *j)
{
	if (j->sup != NULL)
		ev_timer_stop(j->sup->loop, &j->damp_timer);
}

/* A stored reason of a pause that is no longer: a job taken up again
 * starts undamped. */
void
job_damp_forget(struct job *j)
{
	if (strncmp(j->rec.reason, DAMP_PREFIX, strlen(DAMP_PREFIX)) == 0)
		j->rec.reason[0] = '\0';
}

static void
arm(struct job *j, double after)
{
	struct ev_loop *loop = j->sup->loop;

	ev_timer_stop(loop, &j->damp_timer);
	ev_timer_set(&j->damp_timer, after > 0 ? after : 0, 0);
	ev_timer_start(loop, &j->damp_timer);
}

/* The reason goes into the job's record with the next commit. */
static void
store_reason(struct sup *s, struct job *j)
{
	if (j->rec.state != JOB_RUNNING)
		return;
	if (j->damp.on)
		damp_reason(&j->damp, 0, 0, j->rec.reason, sizeof j->rec.reason);
	else if (strncmp(j->rec.reason, DAMP_PREFIX, strlen(DAMP_PREFIX)) == 0)
		j->rec.reason[0] = '\0';
	else
		return;
	j->dirty = 1;
	sup_txn(s);
}

int
job_damp_end(struct sup *s, struct task *t, int status, const char *error, size_t elen)
{
	struct job *j = t->job;
	ev_tstamp now = ev_now(s->loop);
	const char *cut;
	char reason[600];
	double was;

	if (status != OUT_CRASHED && status != OUT_TIMEOUT) {
		if (status == OUT_SKIPPED)
			return 0;
		was = now - j->damp.since;
		if (damp_answer(&j->damp)) {
			log_warnx("job %s: crash loop over after %.1f s: %s was answered (%s); "
			    "full dispatch again", j->rec.name, was, sup_esc(t->path, t->path_len),
			    outcome_name(status));
			ev_timer_stop(s->loop, &j->damp_timer);
			store_reason(s, j);
		}
		return 0;
	}
	/* The death's words, less the child's last line of stderr. */
	if (error != NULL && (cut = memmem(error, elen, "; stderr: ", 10)) != NULL)
		elen = (size_t)(cut - error);
	switch (damp_death(&j->damp, t->seq, sup_esc(error, elen < 100 ? elen : 100), now)) {
	case DAMP_CHARGE:
		return 0;
	case DAMP_STARTED:
		damp_reason(&j->damp, 0, now, reason, sizeof reason);
		log_warnx("job %s: %s; next probe in %.1f s", j->rec.name, reason, j->damp.delay);
		store_reason(s, j);
		arm(j, j->damp.delay);
		return 0;
	case DAMP_PROBE_DIED:
		log_warnx("job %s: crash loop: probe %u (%s) died too; next probe in %.1f s",
		    j->rec.name, j->damp.probes, sup_esc(t->path, t->path_len), j->damp.delay);
		arm(j, j->damp.delay);
		return 0;
	case DAMP_UNCHARGED:
		break;
	}
	return 1;
}

void
job_damp_back(struct job *j, struct task *t)
{
	if (!j->damp.on || !j->damp.probing || t->seq != j->damp.probe)
		return;
	damp_back(&j->damp, t->seq);
	arm(j, j->damp.next - ev_now(j->sup->loop));
}

int
job_damp_room(const struct job *j, int room)
{
	return damp_room(&j->damp, ev_now(j->sup->loop), room);
}

void
job_damp_sent(struct job *j, const struct task *t)
{
	if (!j->damp.on)
		return;
	damp_sent(&j->damp, t->seq);
	log_warnx("job %s: crash loop: probe %u: %s", j->rec.name, j->damp.probes,
	    sup_esc(t->path, t->path_len));
}

int
job_damp_reason(const struct job *j, char *out, size_t len)
{
	damp_reason(&j->damp, 1, ev_now(j->sup->loop), out, len);
	return j->damp.on;
}
