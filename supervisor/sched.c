/* sched: which job a slot serves next. Fair dispatch by slot share and
 * priority, the check lane's picks, and when a slot moves to another job
 * (recycled: a child serves one job for life). Reads the jobs and slots;
 * dispatch itself, and what it sends, are sup.c's. */
#include "supervisor/sup.h"

#define QUANTUM		0.5		/* seconds a slot serves a job before it may move */

/* ---- fair dispatch ----
 *
 * Slots, not tasks, are shared: each running job with work is due its
 * priority's share of the slots, so the time jobs hold children is shared
 * by weight however long their files take. A slot keeps serving the job
 * its child was set up for (a child's walls are for one job, for life)
 * until that job has no work, or holds more than its share while another
 * would still be further below its own with this slot given up, and then
 * only after QUANTUM of serving it: it is recycled, and its fresh child
 * goes to the job furthest below its share, the one that has had the
 * least slot-time for its weight first. */

static double
job_vtime(const struct job *j)
{
	return j->usage / (double)(j->rec.priority ? j->rec.priority : PRIORITY_DEFAULT);
}

static int
job_runnable(struct job *j)
{
	return j->rec.state == JOB_RUNNING && !j->halting && !job_held(j) && job_damp_room(j, 1) > 0 &&
	    job_has_work(j);
}

/* A slot of the check lane: the checks, the profile it is set up for
 * first, else the one waiting longest. */
static struct job *
lane_pick(struct sup *s, struct slot *sl)
{
	struct job *j, *best = NULL;

	if (sl->job != NULL && job_runnable(sl->job))
		return sl->job;
	for (j = s->jobs; j; j = j->next)
		if (j->check && job_runnable(j) && (best == NULL || j->ready->started < best->ready->started))
			best = j;
	if (best == NULL || sl->job == NULL)
		return best;
	if (sl->nq == 0)
		slot_recycle(sl);
	return NULL;
}

/* The job this slot serves next, or NULL (nothing to do, or the slot is
 * moving to another job and is being recycled). */
struct job *
sched_pick(struct sup *s, struct slot *sl)
{
	struct job *cur = sl->job, *j, *best = NULL;
	double weight = 0, want_best = 0, d;
	int n = 0, cur_ok, nslots = s->nslots - s->nlanes;

	if (sl->lane)
		return lane_pick(s, sl);
	for (j = s->jobs; j; j = j->next)
		if (j->rec.state == JOB_RUNNING && !j->check)
			n++;
	cur_ok = cur != NULL && job_runnable(cur);
	/* One job (a run): no choice to make. */
	if (cur_ok && n == 1)
		return cur;
	if (cur_ok && ev_now(s->loop) - sl->job_since < QUANTUM)
		return cur;
	for (j = s->jobs; j; j = j->next)
		if (!j->check && (j == cur ? cur_ok : job_runnable(j)))
			weight += j->rec.priority;
	if (weight == 0)
		return NULL;
	/* The job furthest below its share; ties to the least slot-time. */
	for (j = s->jobs; j; j = j->next) {
		if (j == cur || j->check || !job_runnable(j))
			continue;
		d = (double)nslots * j->rec.priority / weight - j->held;
		if (best == NULL || d > want_best + 1e-9 ||
		    (d > want_best - 1e-9 && job_vtime(j) < job_vtime(best))) {
			best = j;
			want_best = d;
		}
	}
	if (cur_ok) {
		d = (double)nslots * cur->rec.priority / weight - cur->held;
		if (best == NULL || want_best <= 0 || d >= 0)
			return cur;
		/* Given up, the slot leaves cur d + 1 below its share: it
		 * moves only if best still comes first then, or its fresh
		 * child would be handed straight back to cur. */
		if (want_best < d + 1 - 1e-9 ||
		    (want_best < d + 1 + 1e-9 && job_vtime(best) >= job_vtime(cur)))
			return cur;
	}
	if (best == NULL)
		return NULL;
	if (cur == NULL)
		return best;
	/* Set up for another job: once its queue is empty, a fresh child. */
	if (sl->nq == 0)
		slot_recycle(sl);
	return NULL;
}

