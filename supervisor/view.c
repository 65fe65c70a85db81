/* view: the pool and its jobs in the control protocol's shapes (view.h). */
#include <stdio.h>
#include <string.h>

#include "supervisor/sup.h"
#include "supervisor/view.h"

static int
others_running(const struct sup *s, const struct job *j)
{
	const struct job *o;

	for (o = s->jobs; o; o = o->next)
		if (o != j && o->rec.state == JOB_RUNNING && !o->check)
			return 1;
	return 0;
}

/* Why a running job is not going faster, for people. */
static void
job_reason(const struct sup *s, const struct store_job *r, const struct job *j, char *out,
    size_t len)
{
	int i, busy = 0, workers = s->nslots - s->nlanes;

	out[0] = '\0';
	if (j != NULL && r->state == JOB_RUNNING && job_damp_reason(j, out, len))
		return;
	if (r->reason[0] != '\0') {
		snprintf(out, len, "%s", r->reason);
		return;
	}
	if (j == NULL || r->state != JOB_RUNNING)
		return;
	if (s->disk_full) {
		snprintf(out, len, "waiting: the state directory's disk is full");
		return;
	}
	if (j->held == 0 && (j->ready != NULL || j->scan != NULL)) {
		for (i = 0; i < workers; i++)
			busy += s->slots[i]->job != NULL && s->slots[i]->job != j;
		snprintf(out, len, busy == workers ? "waiting: every child is busy with other jobs" :
		    "waiting for a child");
	} else if (j->held > 0 && j->held < workers && others_running(s, j))
		snprintf(out, len, "at its share: %d of %d children", j->held, workers);
	else if (s->start_failures > 0)
		snprintf(out, len, "backing off: %d children in a row died unused", s->start_failures);
}

void
view_job(const struct sup *s, const struct store_job *r, const struct job *j, struct ctl_job *m,
    char *reason, size_t rlen)
{
	int i;

	memset(m, 0, sizeof *m);
	m->id = r->id;
	m->name = r->name;
	m->name_len = strlen(r->name);
	m->state = job_state_name(r->state);
	m->state_len = strlen(m->state);
	m->handler = r->handler;
	m->handler_len = strlen(r->handler);
	m->arg = r->arg;
	m->arg_len = strlen(r->arg);
	m->summary = r->inputs;
	m->summary_len = strlen(r->inputs);
	m->created_ms = r->created_ms;
	m->updated_ms = r->updated_ms;
	m->finished_ms = r->finished_ms;
	m->total = r->total;
	for (i = 0; i < CTL_OUT__N && i < OUT__COUNT; i++)	/* NOLINT(misc-redundant-expression): equal today, each bounds its own array */
		m->counts[i] = r->count[i];
	m->runs = r->runs;
	m->workers = r->workers;
	m->priority = r->priority ? r->priority : PRIORITY_DEFAULT;
	job_reason(s, r, j, reason, rlen);
	m->reason = reason;
	m->reason_len = strlen(reason);
}

void
view_worker(const struct sup *s, int i, int show_job, struct ctl_worker *m)
{
	const struct slot *sl = s->slots[i];
	ev_tstamp now = ev_now(s->loop);

	memset(m, 0, sizeof *m);
	m->slot = (uint32_t)i;
	m->pid = sl->pid > 0 ? (uint32_t)sl->pid : 0;
	m->state = slot_state_name(sl->state);
	m->state_len = strlen(m->state);
	if (sl->job && show_job) {
		m->job = sl->job->rec.name;
		m->job_len = strlen(sl->job->rec.name);
		if (sl->state == SLOT_BUSY && sl->q) {
			m->path = sl->q->path;
			m->path_len = sl->q->path_len;
			m->running_ms = now > sl->q->started ?
			    (uint64_t)((now - sl->q->started) * 1000) : 0;
		}
	}
	m->tasks_done = sl->tasks_done;
	m->rss_bytes = slot_rss(sl);
}

struct job *
view_live_job(const struct sup *s, uint32_t id)
{
	struct job *j;

	for (j = s->jobs; j; j = j->next)
		if (j->rec.id == id)
			return j;
	return NULL;
}

double
view_rate(const struct sup *s, const struct job *j)
{
	ev_tstamp took = ev_now(s->loop) - j->t0;
	uint64_t done = job_done(j);

	if (took - s->stopped_for > 0)
		took -= s->stopped_for;
	if (j->rec.state != JOB_RUNNING || done <= j->done_at_start || took <= 0)
		return 0;
	return (double)(done - j->done_at_start) / took;
}

double
view_eta(const struct sup *s, const struct job *j)
{
	double rate = view_rate(s, j);
	uint64_t done = job_done(j);

	if (j->rec.state != JOB_RUNNING || rate <= 0 || j->rec.total <= done)
		return 0;
	return (double)(j->rec.total - done) / rate;
}
