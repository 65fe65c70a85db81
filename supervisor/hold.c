/* hold: the host's refusals are no file's outcome. When the supervisor
 * cannot open a file or read a directory, or a child cannot start what a
 * file needs, for want of descriptors, processes or memory (EMFILE, ENFILE,
 * EAGAIN, ENOMEM, ENOBUFS), the task is pending again (the directory is
 * read again) and its job waits a moment, longer each time, before it is
 * given more. The first refusal of a run of them is logged, naming the
 * limit. A recorded outcome of the job ends the run of refusals. A job
 * refused for --host-wait with nothing recorded and nothing in children
 * stops: a one-shot run stops, resumable, with the limit named; a service
 * pauses the job with that reason and goes on with the others. The same
 * for the pool's own children: a fork the host refuses is retried later
 * and never counted against the worker program. */
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "supervisor/sup.h"

#define HOLD_FIRST	0.05	/* seconds before the first retry */
#define HOLD_MAX	2.0	/* ... and at most */
#define LOG_EVERY	60.0	/* seconds between logged refusals */
#define LOG_LIFTED	1.0	/* a wait this long is logged when it ends */

const char *
sup_host_limit(int e)
{
	switch (e) {
	case EMFILE:
		return "the limit on this process's open files (ulimit -n)";
	case ENFILE:
		return "the system's limit on open files (fs.file-max)";
	case EAGAIN:
		return "the limit on processes (ulimit -u, or the cgroup's pids.max)";
	case ENOMEM:
		return "the memory available";
	case ENOBUFS:
		return "the kernel's buffer space";
	case ETOOMANYREFS:
		return "the limit on descriptors in flight to children (ulimit -n)";
	default:
		return "a limit of the host";
	}
}

/* Whether a new run of refusals is logged: the first, then one a minute
 * with the count of the others, so a limit hit a thousand times a second
 * says so once. */
static int
log_refusal(struct sup *s, char *more, size_t len)
{
	ev_tstamp now = ev_now(s->loop);

	more[0] = '\0';
	if (s->refusal_logged != 0 && now - s->refusal_logged < LOG_EVERY) {
		s->refusals_unlogged++;
		return 0;
	}
	if (s->refusals_unlogged > 0)
		snprintf(more, len, " (and %llu more since the last such line)",
		    (unsigned long long)s->refusals_unlogged);
	s->refusal_logged = now;
	s->refusals_unlogged = 0;
	return 1;
}

static void
hold_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct job *j = w->data;
	struct sup *s = j->sup;

	(void)revents;
	ev_timer_stop(loop, w);
	if (j->scan != NULL)
		ev_idle_start(loop, &s->scan_idle);
	sup_dispatch(s);
}

void
job_hold_init(struct job *j)
{
	ev_timer_init(&j->hold, hold_cb, 0, 0);
	j->hold.data = j;
}

void
job_hold_stop(struct job *j)
{
	if (j->sup != NULL)
		ev_timer_stop(j->sup->loop, &j->hold);
}

int
job_held(const struct job *j)
{
	return ev_is_active(&j->hold);
}

/* Refused for too long with nothing to show: a run stops, a service's
 * job is paused. */
static void
give_up(struct sup *s, struct job *j, int err, const char *what)
{
	double waited = ev_now(s->loop) - j->hold_since;

	if (s->opts.service) {
		snprintf(j->rec.reason, sizeof j->rec.reason,
		    "paused after %.0f s of refusals: %s: %s (%s); resume it once the limit is raised",
		    waited, what, strerror(err), sup_host_limit(err));
		log_warnx("job %s %s", j->rec.name, j->rec.reason);
		j->hold_since = 0;
		j->dirty = 1;
		sup_job_pause(s, j);
		return;
	}
	sup_fatal(s, "stopped after %.0f s of refusals: %s: %s (%s); job %s is resumable: "
	    "raise the limit and run the same command again", waited, what, strerror(err),
	    sup_host_limit(err), j->rec.name);
}

void
job_hold(struct sup *s, struct job *j, int err, const char *what)
{
	ev_tstamp now = ev_now(s->loop);
	char more[80];

	s->stats.host_refusals++;
	if (j->hold_since == 0) {
		j->hold_since = now;
		j->hold_delay = HOLD_FIRST;
		if (log_refusal(s, more, sizeof more))
			log_warnx("job %s: %s: %s (%s): its files wait, nothing is recorded for them%s",
			    j->rec.name, what, strerror(err), sup_host_limit(err), more);
	} else if (!job_held(j) && (j->hold_delay *= 2) > HOLD_MAX)
		j->hold_delay = HOLD_MAX;
	if (j->inflight == 0 && now - j->hold_since >= s->opts.host_wait) {
		give_up(s, j, err, what);
		return;
	}
	if (!job_held(j)) {
		ev_timer_set(&j->hold, j->hold_delay, 0);
		ev_timer_start(s->loop, &j->hold);
	}
}

void
sup_task_refused(struct sup *s, struct task *t, int err, const char *error, size_t elen, pid_t pid)
{
	struct job *j = t->job;
	const char *e = strerror(err);
	size_t k = strlen(e);
	char what[640];

	/* "unable to start the command: Resource temporarily unavailable":
	 * the errno's words are said once, by job_hold. */
	if (elen > k + 2 && memcmp(error + elen - k, e, k) == 0 && memcmp(error + elen - k - 2, ": ", 2) == 0)
		elen -= k + 2;
	snprintf(what, sizeof what, "in worker %d: %s", (int)pid, sup_esc(error, elen < 120 ? elen : 120));
	sup_requeue(s, t);
	job_hold(s, j, err, what);
}

void
job_hold_lifted(struct sup *s, struct job *j)
{
	if (j->hold_since == 0)
		return;
	if (ev_now(s->loop) - j->hold_since >= LOG_LIFTED)
		log_warnx("job %s: the host gives again after %.1f s of refusals", j->rec.name,
		    ev_now(s->loop) - j->hold_since);
	j->hold_since = 0;
	j->hold_delay = 0;
}

double
sup_spawn_refused(struct sup *s, int err, const char *what)
{
	ev_tstamp now = ev_now(s->loop);
	char more[80];
	int i;

	s->stats.host_refusals++;
	if (s->spawn_since == 0) {
		s->spawn_since = now;
		s->spawn_delay = HOLD_FIRST;
		if (log_refusal(s, more, sizeof more))
			log_warnx("unable to start a worker: %s: %s (%s): trying again%s", what,
			    strerror(err), sup_host_limit(err), more);
	} else if ((s->spawn_delay *= 2) > HOLD_MAX)
		s->spawn_delay = HOLD_MAX;
	/* A service waits for its children as long as it takes; a run
	 * with not one child left stops. */
	if (!s->opts.service && now - s->spawn_since >= s->opts.host_wait) {
		for (i = 0; i < s->nslots; i++)
			if (s->slots[i]->pid > 0)
				break;
		if (i == s->nslots) {
			sup_fatal(s, "stopped after %.0f s of refusals: unable to start a worker: %s: %s "
			    "(%s); the job is resumable: raise the limit and run the same command again",
			    now - s->spawn_since, what, strerror(err), sup_host_limit(err));
			return -1;
		}
	}
	return s->spawn_delay;
}

void
sup_spawn_given(struct sup *s)
{
	if (s->spawn_since == 0)
		return;
	if (ev_now(s->loop) - s->spawn_since >= LOG_LIFTED)
		log_warnx("workers start again after %.1f s of refusals",
		    ev_now(s->loop) - s->spawn_since);
	s->spawn_since = 0;
	s->spawn_delay = 0;
}
