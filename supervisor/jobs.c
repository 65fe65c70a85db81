/* jobs: the pool's jobs as they come and go while it runs: taken up from
 * a previous owner, found, paused and resumed, forgotten, deleted, run
 * again; the pool made larger or smaller; the check lane and its checks;
 * the mark a service leaves in its state directory. The loop, dispatch
 * and the group commit are sup.c's. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "supervisor/sup.h"

struct adopt {
	struct sup *s;
	uint32_t *ids;
	size_t n, cap;
};

static int
adopt_collect(const struct store_job *r, void *arg)
{
	struct adopt *a = arg;
	uint32_t *ids;

	if (r->state != JOB_RUNNING && r->state != JOB_INTERRUPTED && r->state != JOB_PAUSED)
		return 0;
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		if ((ids = realloc(a->ids, a->cap * sizeof *ids)) == NULL)
			return -1;
		a->ids = ids;
	}
	a->ids[a->n++] = r->id;
	return 0;
}

int
sup_adopt(struct sup *s, char *err, size_t errlen)
{
	struct adopt a = { .s = s };
	struct store_job rec;
	struct job *j;
	size_t i;
	int n = 0;

	if (store_jobs_each(s->st, adopt_collect, &a) < 0 || (a.n > 0 && a.ids == NULL)) {
		snprintf(err, errlen, "unable to read the jobs: %s", store_strerror(s->st));
		free(a.ids);
		return -1;
	}
	for (i = 0; i < a.n; i++) {
		if (store_job_by_id(s->st, a.ids[i], &rec) != 0)
			continue;
		if ((j = job_adopt(s, &rec, err, errlen)) == NULL) {
			log_warnx("%s", err);
			continue;	/* the others are still served */
		}
		sup_job_append(s, j);
		log_infox("job %s taken up: %s, %llu of %llu file%s done", j->rec.name,
		    job_state_name(j->rec.state), (unsigned long long)job_done(j),
		    (unsigned long long)j->rec.total, plural_s(j->rec.total));
		n++;
	}
	free(a.ids);
	return n;
}

struct job *
sup_job_find(struct sup *s, const char *name)
{
	struct job *j;
	char *end;
	unsigned long id;

	for (j = s->jobs; j; j = j->next)
		if (strcmp(j->rec.name, name) == 0)
			return j;
	errno = 0;
	id = strtoul(name, &end, 10);
	if (errno == 0 && *name != '\0' && *end == '\0')
		for (j = s->jobs; j; j = j->next)
			if (j->rec.id == id)
				return j;
	return NULL;
}

/* Pause and resume: from one state to the other, committed at once. */
static int
job_switch(struct sup *s, struct job *j, int from, int to)
{
	if (j->rec.state == to)
		return 0;
	if (j->rec.state != from) {
		errno = EINVAL;
		return -1;
	}
	j->rec.state = to;
	j->dirty = 1;
	j->changed = 1;
	if (sup_txn(s) == 0)
		sup_commit(s);
	return 0;
}

int
sup_job_pause(struct sup *s, struct job *j)
{
	/* Its files in children finish; no more go. */
	return job_switch(s, j, JOB_RUNNING, JOB_PAUSED);
}

int
sup_job_resume(struct sup *s, struct job *j)
{
	if (job_switch(s, j, JOB_PAUSED, JOB_RUNNING) < 0)
		return -1;
	ev_idle_start(s->loop, &s->scan_idle);
	sup_dispatch(s);
	return 0;
}


/* Out of the pool: no slot may name it any more. Only for a job with
 * nothing in flight. */
void
sup_job_forget(struct sup *s, struct job *j)
{
	struct job **p;
	struct sup_sub *sub;
	int i;

	for (i = 0; i < s->nslots; i++)
		if (s->slots[i]->job == j) {
			slot_recycle(s->slots[i]);
			if (s->slots[i]->job == j) {	/* not yet reaped */
				j->held--;
				s->slots[i]->job = NULL;
			}
		}
	for (sub = s->subs; sub; sub = sub->next)
		if (sub->job == j)
			sub->job = NULL, sub->outcome = NULL, sub->job_changed = NULL;
	for (p = &s->jobs; *p; p = &(*p)->next)
		if (*p == j) {
			*p = j->next;
			break;
		}
	job_free(j);
}

int
sup_job_delete(struct sup *s, const struct store_job *rec)
{
	struct job *j;
	char path[PATH_MAX];
	int r, i;

	for (j = s->jobs; j; j = j->next)
		if (j->rec.id == rec->id) {
			sup_job_forget(s, j);
			break;
		}
	do {
		if (sup_txn(s) < 0)
			return -1;
		if ((r = store_job_delete(s->st, rec)) < 0 ||
		    (r == 0 && store_inputs_del(s->st, rec->id) < 0)) {
			store_abort(s->st);
			return -1;
		}
		if (sup_commit(s) < 0)
			return -1;
	} while (r == 1);
	if (rec->has_list) {
		/* Its list, unless another job has the same one. */
		for (j = s->jobs, i = 0; j; j = j->next)
			i |= j->rec.has_list && memcmp(j->rec.list_id, rec->list_id, 32) == 0;
		if (!i) {
			job_list_path(s->opts.state_dir, rec->list_id, path, sizeof path);
			unlink(path);
		}
	}
	return 0;
}

struct job *
sup_job_take_up(struct sup *s, const struct store_job *rec)
{
	struct store_job r = *rec;
	char err[1024];
	struct job *j;

	r.state = JOB_PAUSED;	/* taken up, not run until sup_job_rerun */
	r.scanned = 1;
	if ((j = job_adopt(s, &r, err, sizeof err)) == NULL) {
		log_warnx("%s", err);
		return NULL;
	}
	j->rec.state = rec->state;
	sup_job_append(s, j);
	return j;
}

void
sup_job_rerun(struct sup *s, struct job *j)
{
	/* What is pending is read again from the start: the files made
	 * pending again lie behind where dispatch had got to. */
	job_reread(j);
	j->bad_at_start = job_bad(j);
	j->seq_at_start = j->rec.next_seq;
	j->halting = 0;
	j->rec.state = JOB_RUNNING;
	j->rec.finished_ms = 0;
	j->rec.reason[0] = '\0';
	j->dirty = 1;
	j->changed = 1;
	if (sup_txn(s) == 0)
		sup_commit(s);
	ev_idle_start(s->loop, &s->scan_idle);
	sup_dispatch(s);
}

/* Slots are the workers first, then the check lane's. */
static void
renumber(struct sup *s)
{
	int i;

	for (i = 0; i < s->nslots; i++)
		s->slots[i]->index = s->slots[i]->err.slot = i;
}

/* Adds n slots at position at (lane ones or not), started if the loop
 * runs. 0 or -1. */
static int
slots_add(struct sup *s, int at, int n, int lane)
{
	struct slot **slots, *sl;
	int i;

	if ((slots = realloc(s->slots, (size_t)(s->nslots + n) * sizeof *slots)) == NULL)
		return -1;
	s->slots = slots;
	memmove(slots + at + n, slots + at, (size_t)(s->nslots - at) * sizeof *slots);
	for (i = 0; i < n; i++) {
		if ((sl = calloc(1, sizeof *sl)) == NULL) {
			memmove(slots + at + i, slots + at + n, (size_t)(s->nslots - at) * sizeof *slots);
			renumber(s);
			return -1;
		}
		slots[at + i] = sl;
		s->nslots++;
		slot_init(s, sl, at + i);
		sl->lane = lane;
	}
	renumber(s);
	if (s->loop_running)
		for (i = 0; i < n; i++)
			slot_spawn(slots[at + i]);
	return 0;
}

void
sup_resize(struct sup *s, int n)
{
	int i, workers = s->nslots - s->nlanes;

	if (n < 1 || n == workers)
		return;
	if (n > workers) {
		if (slots_add(s, workers, n - workers, 0) < 0)
			log_warn("unable to grow the pool to %d children", n);
		return;
	}
	for (i = n; i < workers; i++) {
		slot_shutdown(s->slots[i]);
		slot_free(s->slots[i]);
		free(s->slots[i]);
	}
	memmove(s->slots + n, s->slots + workers, (size_t)s->nlanes * sizeof *s->slots);
	s->nslots -= workers - n;
	renumber(s);
	sup_dispatch(s);
}

void
sup_lanes(struct sup *s, int n)
{
	if (n > 0 && slots_add(s, s->nslots, n, 1) == 0)
		s->nlanes += n;
}

/* The lane's profile for a handler, its argument, options and timeout:
 * one job, kept while the service runs, never stored. */
static struct job *
check_job(struct sup *s, const char *handler, const char *arg, const struct job_opts *opts,
    uint64_t timeout_ms)
{
	struct job *j;

	for (j = s->jobs; j; j = j->next)
		if (j->check && strcmp(j->rec.handler, handler) == 0 && strcmp(j->rec.arg, arg) == 0 &&
		    /* NOLINTNEXTLINE(bugprone-suspicious-memory-comparison,cert-exp42-c,cert-flp37-c): every job_opts starts from job_opts_default's memset and is copied whole */
		    j->rec.timeout_ms == timeout_ms && memcmp(&j->rec.opts, opts, sizeof *opts) == 0)
			return j;
	if ((j = job_check_new(s, handler, arg, opts, timeout_ms, CHECK_JOB_ID + ++s->next_check_job)) == NULL)
		return NULL;
	sup_job_append(s, j);
	return j;
}

struct check_wait *
sup_check(struct sup *s, const char *handler, const char *arg, const struct job_opts *opts,
    uint64_t timeout_ms, int fd, check_done_fn *done, void *arg_)
{
	struct check_wait *w = calloc(1, sizeof *w);
	struct task *t = calloc(1, sizeof *t);
	struct job *j;

	errno = 0;
	if (t)
		t->fd = -1;
	if (w == NULL || t == NULL || (t->path = strdup("-")) == NULL ||
	    (j = check_job(s, handler, arg, opts, timeout_ms)) == NULL ||
	    (t->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
		goto fail;
	t->path_len = 1;
	t->job = j;
	t->wait = w;
	t->started = ev_now(s->loop);	/* when it was asked for, while queued */
	w->t = t;
	w->done = done;
	w->arg = arg_;
	j->used_at = ev_now(s->loop);
	/* In order of asking: at the end of its profile's queue. */
	job_queue(j, t);
	sup_dispatch(s);
	return w;
fail:
	if (errno == 0)
		errno = ENOMEM;
	if (t)
		t->wait = NULL;
	task_free(t);
	free(w);
	return NULL;
}

void
sup_check_cancel(struct sup *s, struct check_wait *w)
{
	struct task *t = w->t, **p, *q;
	struct job *j;
	int i;

	free(w);
	if (t == NULL)
		return;
	t->wait = NULL;
	j = t->job;
	/* Queued: taken out. In a child: the child goes, and the task goes
	 * back, with no one to tell, and is dropped when it comes round. */
	for (p = &j->ready; *p; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			j->ready_tail = NULL;
			for (q = j->ready; q; q = q->next)
				j->ready_tail = q;
			j->nready--;
			task_free(t);
			return;
		}
	for (i = 0; i < s->nslots; i++)
		for (q = s->slots[i]->q; q; q = q->next)
			if (q == t) {
				slot_recycle(s->slots[i]);
				return;
			}
}

int
sup_mark_service(struct sup *s, const char *socket)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof path, "%s/serve", s->opts.state_dir);
	if ((f = fopen(path, "we")) == NULL)
		return -1;
	fprintf(f, "%s\n", socket);
	return fclose(f) == EOF ? -1 : 0;
}

void
sup_unmark_service(struct sup *s)
{
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/serve", s->opts.state_dir);
	unlink(path);
}

