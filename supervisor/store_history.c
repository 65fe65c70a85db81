/* store_history: a file's attempts and what runs now (docs/state.md,
 * "Attempts and strikes"). The attempts database keeps every attempt that
 * did not end the file, keyed by its task key and its number; the attempt
 * that ended it is its outcome record. The inflight database holds the
 * tasks running at the last commit, replaced whole by each commit that
 * changes them, so that the next owner knows what a dead one was running.
 * Also the reads `corral why` needs: a task by path, its record, its
 * outcome. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>
#include <msgpack.h>

#include "supervisor/record.h"
#include "supervisor/store.h"
#include "supervisor/store_int.h"

static void
attempt_key(uint8_t k[ATTEMPT_KEY], uint32_t job, uint64_t seq, uint32_t n)
{
	store_task_key(k, job, seq);
	store_put_be(k + TASK_KEY, n, 4);
}

/* The number the task's next attempt gets: one past its last. */
static int
attempt_next(store *st, MDB_txn *txn, uint32_t job, uint64_t seq, uint32_t *n)
{
	uint8_t kb[ATTEMPT_KEY];
	MDB_val k = { ATTEMPT_KEY, kb }, v;
	MDB_cursor *c;
	int rc;

	*n = 1;
	attempt_key(kb, job, seq, UINT32_MAX);
	if ((rc = mdb_cursor_open(txn, st->attempts, &c)) != 0)
		return rc;
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	if (rc == 0)
		rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
	else if (rc == MDB_NOTFOUND)
		rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (rc == 0 && k.mv_size == ATTEMPT_KEY && memcmp(k.mv_data, kb, TASK_KEY) == 0)
		*n = (uint32_t)store_get_be((const uint8_t *)k.mv_data + TASK_KEY, 4) + 1;
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static int
attempt_add(store *st, MDB_txn *txn, uint32_t job, uint64_t seq, const void *p, size_t len)
{
	uint8_t kb[ATTEMPT_KEY];
	MDB_val k = { ATTEMPT_KEY, kb }, v = { len, (void *)p };
	uint32_t n;
	int rc;

	if ((rc = attempt_next(st, txn, job, seq, &n)) != 0)
		return rc;
	attempt_key(kb, job, seq, n);
	return mdb_put(txn, st->attempts, &k, &v, 0);
}

int
store_attempt_raw(store *st, uint32_t job, uint64_t seq, const void *p, size_t len)
{
	int rc;

	if (st->wtxn == NULL)
		return store_fail(st, EINVAL);
	rc = attempt_add(st, st->wtxn, job, seq, p, len);
	return rc ? store_fail(st, rc) : 0;
}

int
store_attempt_put(store *st, uint32_t job, uint64_t seq, const struct store_outcome *o)
{
	msgpack_sbuffer sb;
	int r;

	if (st->wtxn == NULL)
		return store_fail(st, EINVAL);
	msgpack_sbuffer_init(&sb);
	r = rec_outcome_encode(&sb, o) < 0 ? store_fail(st, ENOMEM) :
	    store_attempt_raw(st, job, seq, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	return r;
}

int
store_attempts_each(store *st, uint32_t job, uint64_t seq, store_attempt_fn fn, void *arg)
{
	uint8_t kb[ATTEMPT_KEY];
	MDB_val k = { ATTEMPT_KEY, kb }, v;
	MDB_cursor_op op = MDB_SET_RANGE;
	struct store_outcome o;
	MDB_cursor *c;
	int rc;

	if (st->attempts == 0)
		return 0;	/* an older directory: no history */
	if ((c = ropen(st, st->attempts)) == NULL)
		return -1;
	attempt_key(kb, job, seq, 0);
	for (; (rc = mdb_cursor_get(c, &k, &v, op)) == 0; op = MDB_NEXT) {
		if (k.mv_size != ATTEMPT_KEY || memcmp(k.mv_data, kb, TASK_KEY) != 0)
			break;
		if (rec_outcome_decode(v.mv_data, v.mv_size, &o) < 0) {
			rc = BAD_RECORD;
			break;
		}
		if (fn((uint32_t)store_get_be((const uint8_t *)k.mv_data + TASK_KEY, 4), &o, arg))
			break;
	}
	rclose(st, c);
	return rc != 0 && rc != MDB_NOTFOUND ? store_fail(st, rc) : 0;
}

static int
inflight_encode(msgpack_sbuffer *sb, const struct store_inflight *f)
{
	msgpack_packer pk;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	return (msgpack_pack_map(&pk, 2) | msgpack_pack_str_with_body(&pk, "p", 1) |
	    msgpack_pack_uint32(&pk, f->pid) | msgpack_pack_str_with_body(&pk, "st", 2) |
	    msgpack_pack_uint64(&pk, f->started_ms)) ? -1 : 0;
}

static int
inflight_decode(const MDB_val *k, const MDB_val *v, struct store_inflight *f)
{
	struct store_outcome o;

	/* The same keys as an outcome's, so its decoder reads them. */
	if (k->mv_size != TASK_KEY || rec_outcome_decode(v->mv_data, v->mv_size, &o) < 0)
		return -1;
	f->job = (uint32_t)store_get_be(k->mv_data, 4);
	f->seq = store_get_be((const uint8_t *)k->mv_data + 4, 8);
	f->pid = o.pid;
	f->started_ms = o.started_ms;
	return 0;
}

int
store_inflight_set(store *st, const struct store_inflight *v, int n)
{
	uint8_t kb[TASK_KEY];
	MDB_val k = { TASK_KEY, kb }, d;
	msgpack_sbuffer sb;
	int i, rc;

	if (st->wtxn == NULL)
		return store_fail(st, EINVAL);
	if ((rc = mdb_drop(st->wtxn, st->inflight, 0)) != 0)
		return store_fail(st, rc);
	for (i = 0; i < n; i++) {
		msgpack_sbuffer_init(&sb);
		if (inflight_encode(&sb, &v[i]) < 0)
			rc = ENOMEM;
		else {
			store_task_key(kb, v[i].job, v[i].seq);
			d.mv_size = sb.size;
			d.mv_data = sb.data;
			rc = mdb_put(st->wtxn, st->inflight, &k, &d, 0);
		}
		msgpack_sbuffer_destroy(&sb);
		if (rc != 0)
			return store_fail(st, rc);
	}
	return 0;
}

int
store_inflight_get(store *st, uint32_t job, uint64_t seq, struct store_inflight *out)
{
	uint8_t kb[TASK_KEY];
	MDB_val k = { TASK_KEY, kb }, v;
	MDB_txn *txn;
	int rc;

	if (st->inflight == 0)
		return 1;
	if ((txn = rbegin(st)) == NULL)
		return -1;
	store_task_key(kb, job, seq);
	rc = mdb_get(txn, st->inflight, &k, &v);
	if (rc == 0 && inflight_decode(&k, &v, out) < 0)
		rc = BAD_RECORD;
	rend(st, txn);
	if (rc == MDB_NOTFOUND)
		return 1;
	return rc ? store_fail(st, rc) : 0;
}

/* Every task that ran when the last owner died and has no outcome: an
 * attempt interrupted, no strike, no attempt charged. One with an outcome
 * (it cannot be, as both go in one commit) or with no task left (its job
 * deleted) is passed over. */
int
store_inflight_recover(store *st, MDB_txn *txn)
{
	struct store_inflight f;
	struct store_outcome o;
	msgpack_sbuffer sb;
	MDB_cursor *c;
	MDB_val k, v, x;
	int rc;

	if ((rc = mdb_cursor_open(txn, st->inflight, &c)) != 0)
		return rc;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (inflight_decode(&k, &v, &f) < 0)
			continue;	/* damaged: nothing to say of it */
		if (mdb_get(txn, st->results, &k, &x) == 0 || mdb_get(txn, st->tasks, &k, &x) != 0)
			continue;
		memset(&o, 0, sizeof o);
		o.status = ATTEMPT_INTERRUPTED;
		o.exit_code = -1;
		o.pid = f.pid;
		o.started_ms = f.started_ms;
		msgpack_sbuffer_init(&sb);
		rc = rec_outcome_encode(&sb, &o) < 0 ? ENOMEM :
		    attempt_add(st, txn, f.job, f.seq, sb.data, sb.size);
		msgpack_sbuffer_destroy(&sb);
		if (rc != 0)
			break;
	}
	mdb_cursor_close(c);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	return mdb_drop(txn, st->inflight, 0);
}

int
store_task_find(store *st, uint32_t job, const char *path, size_t len, uint64_t *seq)
{
	uint8_t pk[PATH_KEY_MAX];
	MDB_val k = { 0, pk }, v;
	MDB_txn *txn;
	int rc;

	if (len == 0 || (k.mv_size = store_path_key(pk, job, path, len)) == 0)
		return 1;
	if ((txn = rbegin(st)) == NULL)
		return -1;
	rc = mdb_get(txn, st->paths, &k, &v);
	if (rc == 0 && v.mv_size != 8)
		rc = BAD_RECORD;
	if (rc == 0)
		*seq = store_get_be(v.mv_data, 8);
	rend(st, txn);
	if (rc == MDB_NOTFOUND)
		return 1;
	return rc ? store_fail(st, rc) : 0;
}

int
store_task_get(store *st, uint32_t job, uint64_t seq, struct store_task *out)
{
	uint8_t kb[TASK_KEY];
	MDB_val k = { TASK_KEY, kb }, v;
	MDB_txn *txn;
	const char *path;
	int rc;

	memset(out, 0, sizeof *out);
	if ((txn = rbegin(st)) == NULL)
		return -1;
	store_task_key(kb, job, seq);
	rc = mdb_get(txn, st->tasks, &k, &v);
	if (rc == 0 && rec_task_decode(v.mv_data, v.mv_size, &path, &out->path_len, &out->attempts,
	    &out->regular, &out->strikes) < 0)
		rc = BAD_RECORD;
	if (rc == 0 && (out->path = malloc(out->path_len + 1)) == NULL)
		rc = ENOMEM;
	if (rc == 0) {
		memcpy(out->path, path, out->path_len);
		out->path[out->path_len] = '\0';
		out->seq = seq;
	}
	rend(st, txn);
	if (rc == MDB_NOTFOUND)
		return 1;
	return rc ? store_fail(st, rc) : 0;
}

int
store_outcome_get(store *st, uint32_t job, uint64_t seq,
    int (*fn)(const struct store_outcome *o, void *arg), void *arg)
{
	uint8_t kb[TASK_KEY];
	MDB_val k = { TASK_KEY, kb }, v;
	struct store_outcome o;
	MDB_txn *txn;
	int rc;

	if ((txn = rbegin(st)) == NULL)
		return -1;
	store_task_key(kb, job, seq);
	rc = mdb_get(txn, st->results, &k, &v);
	if (rc == 0 && rec_outcome_decode(v.mv_data, v.mv_size, &o) < 0)
		rc = BAD_RECORD;
	if (rc == 0)
		fn(&o, arg);
	rend(st, txn);
	if (rc == MDB_NOTFOUND)
		return 1;
	return rc ? store_fail(st, rc) : 0;
}
