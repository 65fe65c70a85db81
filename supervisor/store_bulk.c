/* store_bulk: the writes that walk all of one job's rows: deleting a job
 * and requeueing its outcomes (docs/state.md, "Deleting, retrying and
 * paging"). Each call does at most STORE_CHUNK rows with a cursor, so memory
 * stays flat and an owner with an event loop can spread a job of a million
 * files over many short transactions. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "supervisor/record.h"
#include "supervisor/store.h"
#include "supervisor/store_int.h"

/* The job's record and its name: once these are gone, no read reaches the
 * job. The name is the record's, the caller's only when the record does not
 * decode, and is removed only while it still names this job. */
static int
forget_job(store *st, const struct store_job *job, MDB_val *k, MDB_val *v)
{
	struct store_job rec;
	const char *name = rec_job_decode(v->mv_data, v->mv_size, &rec) == 0 ? rec.name : job->name;
	MDB_val nk = { strnlen(name, sizeof rec.name - 1), (void *)name }, nv;
	int rc = 0;

	if (nk.mv_size > 0) {
		rc = mdb_get(st->wtxn, st->jobnames, &nk, &nv);
		if (rc == 0 && nv.mv_size == 4 && store_get_be(nv.mv_data, 4) == job->id)
			rc = mdb_del(st->wtxn, st->jobnames, &nk, NULL);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return store_fail(st, rc);
	}
	rc = mdb_del(st->wtxn, st->jobs, k, NULL);
	return rc ? store_fail(st, rc) : 0;
}

/* Deletes job's rows in dbi (every key there starts with the job id) while
 * *budget lasts: 0 none left, 1 some left, -1 error. A deleted row is gone
 * from the key range, so the next call's first seek lands on what is left. */
static int
drop_rows(store *st, MDB_dbi dbi, uint32_t job, int *budget)
{
	uint8_t kb[4];
	MDB_val k = { 4, kb }, v;
	MDB_cursor_op op = MDB_SET_RANGE;
	MDB_cursor *c;
	int rc, r = 0;

	if ((rc = mdb_cursor_open(st->wtxn, dbi, &c)) != 0)
		return store_fail(st, rc);
	store_put_be(kb, job, 4);
	/* After mdb_cursor_del the cursor stands on the next row, which
	 * MDB_NEXT then returns. */
	for (; (rc = mdb_cursor_get(c, &k, &v, op)) == 0; op = MDB_NEXT) {
		if (k.mv_size < 4 || store_get_be(k.mv_data, 4) != job)
			break;
		if (*budget == 0) {
			r = 1;
			break;
		}
		if ((rc = mdb_cursor_del(c, 0)) != 0)
			break;
		--*budget;
	}
	mdb_cursor_close(c);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_fail(st, rc);
	return r;
}

/* The record goes first and alone decides whether the job exists; its rows
 * then go in chunks, tasks last: every row of the other three belongs to a
 * task, so rows left by a crash between chunks always include tasks, and
 * store_job_leftover need look only there. */
int
store_job_delete(store *st, const struct store_job *job)
{
	MDB_dbi order[] = { st->pending, st->results, st->attempts, st->inflight, st->paths, st->tasks };
	uint8_t kb[4];
	MDB_val k = { 4, kb }, v;
	int budget = STORE_CHUNK, r = 0, rc;
	size_t i;

	if (st->wtxn == NULL || job->id == 0)
		return store_fail(st, EINVAL);
	store_put_be(kb, job->id, 4);
	rc = mdb_get(st->wtxn, st->jobs, &k, &v);
	if (rc == 0 && forget_job(st, job, &k, &v) < 0)
		return -1;
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_fail(st, rc);
	for (i = 0; r == 0 && i < sizeof order / sizeof order[0]; i++)
		r = drop_rows(st, order[i], job->id, &budget);
	return r;
}

/* Jumps from one job's tasks to the next one's: a seek per job, however
 * many tasks each has. */
int
store_job_leftover(store *st, uint32_t *job)
{
	MDB_cursor *c;
	uint8_t kb[4], jb[4];
	MDB_val k, v, jk = { 4, jb }, jv;
	uint64_t id = 0;
	int rc, r = 1;

	if ((c = ropen(st, st->tasks)) == NULL)
		return -1;
	for (;;) {
		store_put_be(kb, id, 4);
		k.mv_size = 4;
		k.mv_data = kb;
		if ((rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE)) != 0)
			break;
		if (k.mv_size != TASK_KEY) {
			rc = BAD_RECORD;
			break;
		}
		id = store_get_be(k.mv_data, 4);
		memcpy(jb, k.mv_data, 4);
		rc = mdb_get(mdb_cursor_txn(c), st->jobs, &jk, &jv);
		if (rc == MDB_NOTFOUND) {
			*job = (uint32_t)id;
			r = rc = 0;
			break;
		}
		if (rc != 0 || id++ == UINT32_MAX)
			break;
	}
	rclose(st, c);
	return rc != 0 && rc != MDB_NOTFOUND ? store_fail(st, rc) : r;
}

/* One task back to pending: its outcome goes (c stands on it) into the
 * task's attempt history, its attempts start again from 0, its strikes
 * stay (but for a quarantined file, released), and the job counts one
 * outcome less. */
static int
requeue(store *st, struct store_job *job, MDB_cursor *c, uint64_t seq, const MDB_val *ov,
    const struct store_outcome *o)
{
	uint8_t tk[TASK_KEY];
	MDB_val k = { TASK_KEY, tk }, v = { 0, "" };
	int rc, status = o->status;
	void *copy;
	uint32_t strikes = status == OUT_QUARANTINED ? 0 : o->strikes;

	store_task_key(tk, job->id, seq);
	if ((copy = malloc(ov->mv_size ? ov->mv_size : 1)) == NULL)
		return store_fail(st, ENOMEM);
	/* Copied: a write may move the page the value is on. */
	memcpy(copy, ov->mv_data, ov->mv_size);
	rc = store_attempt_raw(st, job->id, seq, copy, ov->mv_size);
	free(copy);
	if (rc < 0)
		return -1;
	if ((rc = mdb_cursor_del(c, 0)) != 0 || (rc = mdb_put(st->wtxn, st->pending, &k, &v, 0)) != 0)
		return store_fail(st, rc);
	if (store_task_attempts(st, job->id, seq, 0, strikes) < 0)
		return st->rc == MDB_NOTFOUND ? store_fail(st, BAD_RECORD) : -1;	/* an outcome without its task */
	if (job->count[status] > 0)
		job->count[status]--;
	return 0;
}

/* Walks results, not tasks: tasks without an outcome are never examined.
 * pick says which to requeue; with want_path it is given the task's path
 * (else NULL), read before anything of the task is written. */
static int
requeue_walk(store *st, struct store_job *job, int want_path, store_pick_fn pick, void *arg,
    uint64_t *after, uint64_t *requeued)
{
	uint8_t kb[TASK_KEY];
	MDB_val k = { TASK_KEY, kb }, v, tv;
	MDB_cursor_op op = MDB_SET_RANGE;
	struct store_outcome o;
	MDB_cursor *c;
	const char *path;
	size_t plen;
	uint32_t attempts, strikes;
	uint64_t seq;
	int rc, r = 0, n = 0, regular;

	*requeued = 0;
	if (st->wtxn == NULL || job->id == 0)
		return store_fail(st, EINVAL);
	if (*after == UINT64_MAX)
		return 0;
	if ((rc = mdb_cursor_open(st->wtxn, st->results, &c)) != 0)
		return store_fail(st, rc);
	store_task_key(kb, job->id, *after + 1);
	for (; (rc = mdb_cursor_get(c, &k, &v, op)) == 0; op = MDB_NEXT) {
		if (k.mv_size != TASK_KEY || store_get_be(k.mv_data, 4) != job->id)
			break;
		if (n++ == STORE_CHUNK) {
			r = 1;
			break;
		}
		if (rec_outcome_decode(v.mv_data, v.mv_size, &o) < 0) {
			rc = BAD_RECORD;
			break;
		}
		seq = store_get_be((const uint8_t *)k.mv_data + 4, 8);
		*after = seq;
		path = NULL;
		plen = 0;
		if (want_path) {
			if ((rc = mdb_get(st->wtxn, st->tasks, &k, &tv)) != 0 ||
			    rec_task_decode(tv.mv_data, tv.mv_size, &path, &plen, &attempts, &regular,
			    &strikes) < 0) {
				rc = rc == 0 || rc == MDB_NOTFOUND ? BAD_RECORD : rc;
				break;
			}
		}
		if (!pick(&o, path, plen, arg))
			continue;
		if ((r = requeue(st, job, c, seq, &v, &o)) < 0)
			break;
		++*requeued;
	}
	mdb_cursor_close(c);
	if (r == 0 && rc != 0 && rc != MDB_NOTFOUND)
		return store_fail(st, rc);
	return r;
}

static int
status_in_mask(const struct store_outcome *o, const char *path, size_t plen, void *arg)
{
	(void)path, (void)plen;
	return (*(const unsigned *)arg & 1u << o->status) != 0;
}

int
store_retry(store *st, struct store_job *job, unsigned mask, uint64_t *after, uint64_t *requeued)
{
	*requeued = 0;
	if ((mask & ((1u << OUT__COUNT) - 1)) == 0)
		return store_fail(st, EINVAL);
	return requeue_walk(st, job, 0, status_in_mask, &mask, after, requeued);
}

int
store_requeue_if(store *st, struct store_job *job, store_pick_fn pick, void *arg, uint64_t *after,
    uint64_t *requeued)
{
	return requeue_walk(st, job, 1, pick, arg, after, requeued);
}
