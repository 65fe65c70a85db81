/* store_read: the reads of the state directory (docs/state.md): jobs by id
 * and name, the pending range of a job, its results in order. Each runs in
 * the write transaction when the owner has one open, else in a read
 * transaction that is reset between calls, so no snapshot pins pages. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "supervisor/record.h"
#include "supervisor/store.h"
#include "supervisor/store_int.h"

/* The transaction a read runs in: the write one if open, so the owner sees
 * its own writes; else the one read transaction, renewed. */
MDB_txn *
rbegin(store *st)
{
	int rc;

	if (st->wtxn)
		return st->wtxn;
	if (st->rdepth++ > 0)
		return st->rtxn;
	rc = st->rtxn ? mdb_txn_renew(st->rtxn) : mdb_txn_begin(st->env, NULL, MDB_RDONLY, &st->rtxn);
	if (rc == MDB_MAP_RESIZED) {
		/* The owner grew the map past ours: take its size. */
		mdb_txn_abort(st->rtxn);
		st->rtxn = NULL;
		rc = mdb_env_set_mapsize(st->env, 0);
		if (rc == 0)
			rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &st->rtxn);
		store_find_map(st);
	}
	if (rc != 0) {
		if (st->rtxn)
			mdb_txn_abort(st->rtxn);
		st->rtxn = NULL;
		st->rdepth--;
		store_fail(st, rc);
		return NULL;
	}
	return st->rtxn;
}

/* Ends a read: a snapshot held between calls would pin its pages. */
void
rend(store *st, MDB_txn *txn)
{
	if (txn && txn == st->rtxn && --st->rdepth == 0)
		mdb_txn_reset(st->rtxn);
}

/* A cursor on dbi in a read's transaction; rclose ends both. */
MDB_cursor *
ropen(store *st, MDB_dbi dbi)
{
	MDB_txn *txn = rbegin(st);
	MDB_cursor *c;
	int rc;

	if (txn == NULL)
		return NULL;
	if ((rc = mdb_cursor_open(txn, dbi, &c)) != 0) {
		rend(st, txn);
		store_fail(st, rc);
		return NULL;
	}
	return c;
}

void
rclose(store *st, MDB_cursor *c)
{
	MDB_txn *txn = mdb_cursor_txn(c);

	mdb_cursor_close(c);
	rend(st, txn);
}

int
store_job_by_id(store *st, uint32_t id, struct store_job *out)
{
	MDB_txn *txn = rbegin(st);
	uint8_t kb[4];
	MDB_val k = { 4, kb }, v;
	int rc, r;

	if (txn == NULL)
		return -1;
	store_put_be(kb, id, 4);
	rc = mdb_get(txn, st->jobs, &k, &v);
	if (rc == MDB_NOTFOUND)
		r = 1;
	else if (rc != 0)
		r = store_fail(st, rc);
	else
		r = rec_job_decode(v.mv_data, v.mv_size, out) < 0 ? store_fail(st, BAD_RECORD) : 0;
	rend(st, txn);
	return r;
}

int
store_job_by_name(store *st, const char *name, struct store_job *out)
{
	MDB_txn *txn;
	MDB_val k = { strlen(name), (void *)name }, v;
	int rc, r;

	if (k.mv_size == 0 || k.mv_size > PATH_KEY_MAX)
		return 1;
	if ((txn = rbegin(st)) == NULL)
		return -1;
	rc = mdb_get(txn, st->jobnames, &k, &v);
	if (rc == MDB_NOTFOUND)
		r = 1;
	else if (rc != 0)
		r = store_fail(st, rc);
	else if (v.mv_size != 4)
		r = store_fail(st, BAD_RECORD);
	else
		r = store_job_by_id(st, (uint32_t)store_get_be(v.mv_data, 4), out);	/* same snapshot */
	rend(st, txn);
	return r;
}

/* Calls fn for each job from first on, in the direction of next. */
static int
jobs_walk(store *st, MDB_cursor_op first, MDB_cursor_op next,
    int (*fn)(const struct store_job *, void *), void *arg)
{
	struct store_job j;
	MDB_cursor *c;
	MDB_val k, v;
	int rc, r = 0;

	if ((c = ropen(st, st->jobs)) == NULL)
		return -1;
	for (rc = mdb_cursor_get(c, &k, &v, first); rc == 0; rc = mdb_cursor_get(c, &k, &v, next)) {
		if (rec_job_decode(v.mv_data, v.mv_size, &j) < 0) {
			r = store_fail(st, BAD_RECORD);
			break;
		}
		if (fn(&j, arg) != 0)
			break;
	}
	if (r == 0 && rc != 0 && rc != MDB_NOTFOUND)
		r = store_fail(st, rc);
	rclose(st, c);
	return r;
}

int
store_jobs_each(store *st, int (*fn)(const struct store_job *, void *), void *arg)
{
	return jobs_walk(st, MDB_FIRST, MDB_NEXT, fn, arg);
}

static int
job_copy(const struct store_job *j, void *arg)
{
	memcpy(arg, j, sizeof *j);
	return 1;
}

int
store_job_latest(store *st, struct store_job *out)
{
	out->id = 0;	/* ids start at 1 */
	if (jobs_walk(st, MDB_LAST, MDB_PREV, job_copy, out) < 0)
		return -1;
	return out->id ? 0 : 1;
}

/* The dispatch hot path: one cursor step in pending and one lookup in
 * tasks per task; nothing else is read. */
int
store_pending(store *st, uint32_t job, uint64_t after, struct store_task *out, int max)
{
	MDB_cursor *c;
	uint8_t kb[TASK_KEY];
	MDB_val k = { TASK_KEY, kb }, v, tv;
	MDB_cursor_op op = MDB_SET_RANGE;
	const char *path;
	size_t plen;
	uint32_t attempts, strikes;
	int rc = 0, n, regular;

	if (max <= 0 || after == UINT64_MAX)
		return 0;
	if ((c = ropen(st, st->pending)) == NULL)
		return -1;
	store_task_key(kb, job, after + 1);
	for (n = 0; n < max; n++, op = MDB_NEXT) {
		if ((rc = mdb_cursor_get(c, &k, &v, op)) != 0)
			break;
		if (k.mv_size != TASK_KEY || store_get_be(k.mv_data, 4) != job)
			break;
		if ((rc = mdb_get(mdb_cursor_txn(c), st->tasks, &k, &tv)) != 0) {
			rc = rc == MDB_NOTFOUND ? BAD_RECORD : rc;	/* pending without its task */
			break;
		}
		if (rec_task_decode(tv.mv_data, tv.mv_size, &path, &plen, &attempts, &regular,
		    &strikes) < 0) {
			rc = BAD_RECORD;
			break;
		}
		if ((out[n].path = malloc(plen + 1)) == NULL) {
			rc = ENOMEM;
			break;
		}
		memcpy(out[n].path, path, plen);
		out[n].path[plen] = '\0';
		out[n].path_len = plen;
		out[n].seq = store_get_be((const uint8_t *)k.mv_data + 4, 8);
		out[n].attempts = attempts;
		out[n].strikes = strikes;
		out[n].regular = regular;
	}
	rclose(st, c);
	if (rc != 0 && rc != MDB_NOTFOUND) {
		while (n > 0)
			store_task_free(&out[--n]);
		return store_fail(st, rc);
	}
	return n;
}

void
store_task_free(struct store_task *t)
{
	free(t->path);
	t->path = NULL;
}

/* The walk behind store_results_each and store_results_page: the tasks of
 * job with seq > after, in seq order, until max calls of fn or scan rows
 * examined. With a mask it walks results, where every row has an outcome to
 * test, and looks up the task of each match; without one it walks tasks and
 * looks up each one's outcome. */
static int
results_walk(store *st, uint32_t job, uint64_t after, int max, uint64_t scan, unsigned mask,
    store_result_fn fn, void *arg, uint64_t *last)
{
	MDB_cursor *c;
	uint8_t kb[TASK_KEY];
	MDB_val k = { TASK_KEY, kb }, v, tv, rv = { 0, NULL };
	MDB_cursor_op op = MDB_SET_RANGE;
	struct store_outcome o;
	const char *path;
	size_t plen;
	uint32_t attempts, strikes;
	uint64_t seq;
	int rc = 0, n = 0, regular, have;

	*last = after;
	if (after == UINT64_MAX)
		return 0;
	if ((c = ropen(st, mask ? st->results : st->tasks)) == NULL)
		return -1;
	store_task_key(kb, job, after + 1);
	for (; n < max && scan > 0; scan--, op = MDB_NEXT) {
		if ((rc = mdb_cursor_get(c, &k, &v, op)) != 0)
			break;
		if (k.mv_size != TASK_KEY || store_get_be(k.mv_data, 4) != job)
			break;
		seq = store_get_be((const uint8_t *)k.mv_data + 4, 8);
		*last = seq;
		if (mask) {
			if (rec_outcome_decode(v.mv_data, v.mv_size, &o) < 0) {
				rc = BAD_RECORD;
				break;
			}
			if ((mask & 1u << o.status) == 0)
				continue;
			have = 1;
			rc = mdb_get(mdb_cursor_txn(c), st->tasks, &k, &tv);
			if (rc == MDB_NOTFOUND)
				rc = BAD_RECORD;	/* an outcome without its task */
		} else {
			tv = v;
			rc = mdb_get(mdb_cursor_txn(c), st->results, &k, &rv);
			have = rc == 0;
			if (rc == MDB_NOTFOUND)
				rc = 0;
			else if (have && rec_outcome_decode(rv.mv_data, rv.mv_size, &o) < 0)
				rc = BAD_RECORD;
		}
		if (rc == 0 && rec_task_decode(tv.mv_data, tv.mv_size, &path, &plen, &attempts,
		    &regular, &strikes) < 0)
			rc = BAD_RECORD;
		if (rc != 0)
			break;
		n++;
		if (fn(seq, path, plen, have ? &o : NULL, arg))
			break;
	}
	rclose(st, c);
	return rc != 0 && rc != MDB_NOTFOUND ? store_fail(st, rc) : n;
}

int
store_results_each(store *st, uint32_t job, store_result_fn fn, void *arg)
{
	uint64_t last;

	return results_walk(st, job, 0, INT_MAX, UINT64_MAX, 0, fn, arg, &last) < 0 ? -1 : 0;
}

/* The job's record and the page are read in one snapshot: a page never
 * shows rows of a job that its own read found deleted. */
int
store_results_page(store *st, uint32_t job, uint64_t after, int max, unsigned mask,
    store_result_fn fn, void *arg, uint64_t *last)
{
	MDB_txn *txn;
	uint8_t kb[4];
	MDB_val k = { 4, kb }, v;
	int rc, n;

	*last = after;
	if (max < 1)
		return store_fail(st, EINVAL);
	if ((txn = rbegin(st)) == NULL)
		return -1;
	store_put_be(kb, job, 4);
	if ((rc = mdb_get(txn, st->jobs, &k, &v)) != 0)
		n = store_fail(st, rc);
	else
		n = results_walk(st, job, after, max, max > STORE_CHUNK ? (uint64_t)max : STORE_CHUNK,
		    mask, fn, arg, last);
	rend(st, txn);
	return n;
}
