/* full: a state directory with no room left. What a write that fails for
 * want of room does to the pool, and how it starts again once there is. */
#include "common/log.h"
#include "supervisor/sup.h"

/* ---- no room in the state directory ----
 *
 * A write that fails for want of room loses nothing recorded: the window
 * it would have committed is pending still. Dispatch stops, the children
 * go (their files pending again, uncharged), and a probe commit is tried
 * now and then; once one succeeds, the jobs are read back as the store has
 * them and dispatch starts again where the store says. */
#define FULL_PROBE_MIN	0.5
#define FULL_PROBE_MAX	10.0

static void full_cb(struct ev_loop *loop, ev_timer *w, int revents);

void
sup_store_error(struct sup *s, const char *what)
{
	int i;

	if (store_in_txn(s->st))
		store_abort(s->st);
	sup_fin_clear(s);
	if (!store_full(s->st) || s->stopping) {
		s->store_failed = 1;
		sup_fatal(s, "%s: %s", what, store_strerror(s->st));
		return;
	}
	if (s->disk_full)
		return;
	s->disk_full = 1;
	s->full_probe = FULL_PROBE_MIN;
	log_warnx("%s: %s; nothing more runs until there is room, and what was recorded is kept",
	    what, store_strerror(s->st));
	for (i = 0; i < s->nslots; i++)
		if (!s->slots[i]->lane)
			slot_recycle(s->slots[i]);
	ev_idle_stop(s->loop, &s->scan_idle);
	ev_timer_init(&s->full_timer, full_cb, s->full_probe, 0);
	s->full_timer.data = s;
	ev_timer_start(s->loop, &s->full_timer);
}

/* The jobs as the store has them: counts, states, pending tasks. */
static int
reload_jobs(struct sup *s)
{
	struct job *j;

	for (j = s->jobs; j; j = j->next) {
		if (j->check)
			continue;
		if (store_job_by_id(s->st, j->rec.id, &j->rec) != 0)
			return -1;
		job_reread(j);
		j->dirty = j->unseen = j->changed = 0;
		if (!j->rec.scanned && job_rescan(j) < 0)
			return -1;
	}
	return 0;
}

static void
full_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sup *s = w->data;
	struct job *j;

	(void)revents;
	for (j = s->jobs; j && j->check; j = j->next)
		;
	/* Room enough to go on for a while, then a write to prove it: the
	 * job's record as the store has it (ours is ahead of it). */
	if (store_room(s->st) && reload_jobs(s) == 0 && store_begin(s->st) == 0 &&
	    (j == NULL || store_job_put(s->st, &j->rec) == 0) && store_commit(s->st) == 0) {
		s->disk_full = 0;
		log_warnx("the state directory has room again: dispatching");
		ev_idle_start(loop, &s->scan_idle);
		sup_dispatch(s);
		return;
	}
	if (store_in_txn(s->st))
		store_abort(s->st);
	if (!store_full(s->st) && store_room(s->st)) {
		s->store_failed = 1;
		sup_fatal(s, "unable to write to the state directory: %s", store_strerror(s->st));
		return;
	}
	s->full_probe = s->full_probe * 2 < FULL_PROBE_MAX ? s->full_probe * 2 : FULL_PROBE_MAX;
	ev_timer_set(w, s->full_probe, 0);
	ev_timer_start(loop, w);
}

