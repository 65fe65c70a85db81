/* store: the state directory, an LMDB environment (docs/state.md).
 *
 *	meta      "format" -> STORE_FORMAT, "next_job" -> last job id
 *	jobs      job id (u32 BE)                -> job record
 *	jobnames  name                           -> job id
 *	tasks     job id + seq (u32 + u64, BE)   -> [path, attempts]
 *	paths     job id + path (long: a prefix, NUL, 16 bytes of SHA-256) -> seq
 *	pending   task key                       -> ""   (until an outcome commits)
 *	results   task key                       -> outcome record
 *
 * Big-endian keys make a job's tasks one key range in seq order. Records are
 * msgpack, checked before they are decoded. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>
#include <msgpack.h>
#include <openssl/evp.h>

#include "ipc/ipc.h"
#include "supervisor/record.h"
#include "supervisor/store.h"

#define MAP_SIZE	(64ull << 30)	/* address space only: pages are used as needed */
#define TASK_KEY	12
#define PATH_KEY_MAX	500	/* LMDB's keys are at most 511 bytes */

struct store {
	MDB_env *env;
	MDB_dbi meta, jobs, jobnames, tasks, paths, pending, results;
	MDB_txn *wtxn;		/* the open write transaction, if any */
	MDB_txn *rtxn;		/* a reset read transaction kept for reuse */
	int lockfd;
	int rc;			/* the last LMDB error */
	void *map;		/* data.mdb's map, for store_trim */
	size_t map_len;
	char dir[4096];
};

static const char *const outcome_names[OUT__COUNT] = {
	"ok", "failed", "crashed", "timeout", "skipped",
};
static const char *const state_names[JOB__COUNT] = {
	"running", "done", "halted", "interrupted",
};

const char *
outcome_name(int status)
{
	return status >= 0 && status < OUT__COUNT ? outcome_names[status] : "unknown";
}

const char *
job_state_name(int state)
{
	return state >= 0 && state < JOB__COUNT ? state_names[state] : "unknown";
}

static void
put_be(uint8_t *p, uint64_t v, int n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void
task_key(uint8_t k[TASK_KEY], uint32_t job, uint64_t seq)
{
	put_be(k, job, 4);
	put_be(k + 4, seq, 8);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* LMDB's codes become errno for callers; the code stays for store_strerror. */
static int
fail(store *st, int rc)
{
	st->rc = rc;
	errno = rc > 0 ? rc : EIO;
	return -1;
}

const char *
store_strerror(store *st)
{
	return mdb_strerror(st->rc);
}

static void find_map(store *st);

static int
open_dbis(store *st, MDB_txn *txn, unsigned flags)
{
	static const char *const names[] = {
		"meta", "jobs", "jobnames", "tasks", "paths", "pending", "results",
	};
	MDB_dbi *dbi[] = {
		&st->meta, &st->jobs, &st->jobnames, &st->tasks, &st->paths, &st->pending,
		&st->results,
	};
	size_t i;
	int rc;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if ((rc = mdb_dbi_open(txn, names[i], flags, dbi[i])) != 0)
			return rc;
	return 0;
}

/* Opens the databases and checks (or, new, writes) the format. */
static int
store_init(store *st, enum store_mode mode, const char **why)
{
	MDB_txn *txn;
	MDB_val k = { 6, "format" }, v;
	uint8_t fmt[4];
	int rc;

	rc = mdb_txn_begin(st->env, NULL, mode == STORE_READ ? MDB_RDONLY : 0, &txn);
	if (rc == 0)
		rc = open_dbis(st, txn, mode == STORE_READ ? 0 : MDB_CREATE);
	if (rc == MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		*why = "open";
		errno = ENOENT;
		return -1;
	}
	if (rc == 0) {
		rc = mdb_get(txn, st->meta, &k, &v);
		if (rc == MDB_NOTFOUND && mode == STORE_WRITE) {
			put_be(fmt, STORE_FORMAT, 4);
			v.mv_size = 4;
			v.mv_data = fmt;
			rc = mdb_put(txn, st->meta, &k, &v, 0);
		} else if (rc == 0 && (v.mv_size != 4 || get_be(v.mv_data, 4) != STORE_FORMAT)) {
			mdb_txn_abort(txn);
			*why = "use (another state format)";
			errno = EPROTO;
			return -1;
		}
	}
	if (rc == 0)
		rc = mdb_txn_commit(txn);	/* keeps the handles, also read-only */
	else
		mdb_txn_abort(txn);
	if (rc != 0) {
		*why = "open";
		return fail(st, rc);
	}
	return 0;
}

store *
store_open(const char *dir, enum store_mode mode, const char **why)
{
	store *st = calloc(1, sizeof *st);
	char path[4200];
	struct stat sb;
	unsigned flags = MDB_NOTLS;
	const char *nosync = getenv("CORRAL_NOSYNC");
	int rc, e;

	*why = "open";
	if (st == NULL)
		return NULL;
	st->lockfd = -1;
	snprintf(st->dir, sizeof st->dir, "%s", dir);
	if (mode == STORE_WRITE) {
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			*why = "create";
			goto fail;
		}
		snprintf(path, sizeof path, "%s/lock", dir);
		st->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (st->lockfd < 0) {
			*why = errno == ENOTDIR ? "create" : "lock";
			goto fail;
		}
		if (flock(st->lockfd, LOCK_EX | LOCK_NB) < 0) {
			*why = "lock";
			if (errno == EWOULDBLOCK)
				errno = EBUSY;
			goto fail;
		}
		if (nosync && nosync[0])
			flags |= MDB_NOSYNC;
	} else {
		snprintf(path, sizeof path, "%s/data.mdb", dir);
		if (stat(path, &sb) < 0)
			goto fail;
		flags |= MDB_RDONLY;
	}
	if ((rc = mdb_env_create(&st->env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(st->env, 8)) != 0 ||
	    (rc = mdb_env_set_mapsize(st->env, MAP_SIZE)) != 0 ||
	    (rc = mdb_env_open(st->env, dir, flags, 0600)) != 0) {
		fail(st, rc);
		goto fail;
	}
	if (store_init(st, mode, why) < 0)
		goto fail;
	find_map(st);
	return st;
fail:
	e = errno;
	store_close(st);
	errno = e;
	return NULL;
}

void
store_close(store *st)
{
	if (st == NULL)
		return;
	if (st->wtxn)
		mdb_txn_abort(st->wtxn);
	if (st->rtxn)
		mdb_txn_abort(st->rtxn);
	if (st->env)
		mdb_env_close(st->env);
	if (st->lockfd >= 0)
		close(st->lockfd);
	free(st);
}

uint64_t
store_size(store *st)
{
	char path[4200];
	struct stat sb;

	snprintf(path, sizeof path, "%s/data.mdb", st->dir);
	return stat(path, &sb) == 0 ? (uint64_t)sb.st_blocks * 512 : 0;
}

/* Where LMDB mapped data.mdb: LMDB reports the address only for fixed
 * maps, so it is looked up once by inode in /proc/self/maps. */
static void
find_map(store *st)
{
	struct stat sb;
	unsigned long lo, hi, ino;
	char line[512];
	FILE *f;
	int fd;

	if (mdb_env_get_fd(st->env, &fd) != 0 || fstat(fd, &sb) < 0 ||
	    (f = fopen("/proc/self/maps", "re")) == NULL)
		return;
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "%lx-%lx %*s %*s %*s %lu", &lo, &hi, &ino) == 3 &&
		    ino == (unsigned long)sb.st_ino && hi - lo > st->map_len) {
			st->map = (void *)lo;
			st->map_len = hi - lo;
		}
	}
	fclose(f);
}

void
store_trim(store *st)
{
	MDB_envinfo info;
	MDB_stat ms;
	size_t used;

	if (st->wtxn || st->map == NULL || mdb_env_info(st->env, &info) != 0 ||
	    mdb_env_stat(st->env, &ms) != 0)
		return;
	used = (size_t)(info.me_last_pgno + 1) * ms.ms_psize;
	madvise(st->map, used < st->map_len ? used : st->map_len, MADV_DONTNEED);
}

/* The transaction reads run in: the write one if open, else a read one. */
static MDB_txn *
rbegin(store *st)
{
	int rc;

	if (st->wtxn)
		return st->wtxn;
	rc = st->rtxn ? mdb_txn_renew(st->rtxn) : mdb_txn_begin(st->env, NULL, MDB_RDONLY, &st->rtxn);
	if (rc != 0) {
		fail(st, rc);
		return NULL;
	}
	return st->rtxn;
}

/* Ends a read: never hold a snapshot between calls, it would pin pages. */
static void
rend(store *st, MDB_txn *txn)
{
	if (txn && txn == st->rtxn)
		mdb_txn_reset(st->rtxn);
}

/* Records read from the map; a damaged one is MDB_CORRUPTED. */
static int
task_read(store *st, const MDB_val *v, const char **path, size_t *plen, uint32_t *attempts,
    int *regular)
{
	return rec_task_decode(v->mv_data, v->mv_size, path, plen, attempts, regular) < 0 ?
	    fail(st, MDB_CORRUPTED) : 0;
}

static int
job_read(store *st, const MDB_val *v, struct store_job *j)
{
	return rec_job_decode(v->mv_data, v->mv_size, j) < 0 ? fail(st, MDB_CORRUPTED) : 0;
}

static int
outcome_read(store *st, const MDB_val *v, struct store_outcome *o)
{
	return rec_outcome_decode(v->mv_data, v->mv_size, o) < 0 ? fail(st, MDB_CORRUPTED) : 0;
}

/* ---- reads ------------------------------------------------------------ */

int
store_job_by_id(store *st, uint32_t id, struct store_job *out)
{
	MDB_txn *txn = rbegin(st);
	uint8_t kb[4];
	MDB_val k = { 4, kb }, v;
	int rc, r;

	if (txn == NULL)
		return -1;
	put_be(kb, id, 4);
	rc = mdb_get(txn, st->jobs, &k, &v);
	if (rc == MDB_NOTFOUND)
		r = 1;
	else if (rc != 0)
		r = fail(st, rc);
	else
		r = job_read(st, &v, out);
	rend(st, txn);
	return r;
}

int
store_job_by_name(store *st, const char *name, struct store_job *out)
{
	MDB_txn *txn;
	MDB_val k = { strlen(name), (void *)name }, v;
	uint32_t id;
	int rc;

	if (k.mv_size == 0 || k.mv_size > 511)
		return 1;
	if ((txn = rbegin(st)) == NULL)
		return -1;
	rc = mdb_get(txn, st->jobnames, &k, &v);
	if (rc == 0 && v.mv_size != 4)
		rc = MDB_CORRUPTED;
	id = rc == 0 ? (uint32_t)get_be(v.mv_data, 4) : 0;
	rend(st, txn);
	if (rc == MDB_NOTFOUND)
		return 1;
	if (rc != 0)
		return fail(st, rc);
	return store_job_by_id(st, id, out);
}

int
store_jobs_each(store *st, int (*fn)(const struct store_job *, void *), void *arg)
{
	MDB_txn *txn = rbegin(st);
	MDB_cursor *c;
	MDB_val k, v;
	struct store_job *j = malloc(sizeof *j);
	int rc, r = 0;

	if (txn == NULL || j == NULL) {
		free(j);
		rend(st, txn);
		return -1;
	}
	if ((rc = mdb_cursor_open(txn, st->jobs, &c)) != 0) {
		free(j);
		rend(st, txn);
		return fail(st, rc);
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (job_read(st, &v, j) < 0) {
			r = -1;
			break;
		}
		if (fn(j, arg) != 0)
			break;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		r = fail(st, rc);
	mdb_cursor_close(c);
	rend(st, txn);
	free(j);
	return r;
}

int
store_job_latest(store *st, struct store_job *out)
{
	MDB_txn *txn = rbegin(st);
	MDB_cursor *c;
	MDB_val k, v;
	int rc, r;

	if (txn == NULL)
		return -1;
	if ((rc = mdb_cursor_open(txn, st->jobs, &c)) != 0) {
		rend(st, txn);
		return fail(st, rc);
	}
	rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (rc == MDB_NOTFOUND)
		r = 1;
	else if (rc != 0)
		r = fail(st, rc);
	else
		r = job_read(st, &v, out);
	mdb_cursor_close(c);
	rend(st, txn);
	return r;
}

int
store_pending(store *st, uint32_t job, uint64_t after, struct store_task *out, int max)
{
	MDB_txn *txn = rbegin(st);
	MDB_cursor *c;
	uint8_t kb[TASK_KEY];
	MDB_val k = { TASK_KEY, kb }, v, tv;
	int rc, n = 0;

	if (txn == NULL)
		return -1;
	if (after == UINT64_MAX || (rc = mdb_cursor_open(txn, st->pending, &c)) != 0) {
		rend(st, txn);
		return after == UINT64_MAX ? 0 : fail(st, rc);
	}
	task_key(kb, job, after + 1);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0 && n < max;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		const char *path;
		size_t plen;
		uint32_t attempts;
		int regular;

		if (k.mv_size != TASK_KEY || get_be(k.mv_data, 4) != job)
			break;
		if ((rc = mdb_get(txn, st->tasks, &k, &tv)) != 0 ||
		    task_read(st, &tv, &path, &plen, &attempts, &regular) < 0) {
			rc = rc ? rc : MDB_CORRUPTED;
			break;
		}
		out[n].seq = get_be((const uint8_t *)k.mv_data + 4, 8);
		out[n].attempts = attempts;
		out[n].regular = regular;
		out[n].path_len = plen;
		out[n].path = malloc(plen + 1);
		if (out[n].path == NULL) {
			rc = ENOMEM;
			break;
		}
		memcpy(out[n].path, path, plen);
		out[n].path[plen] = '\0';
		n++;
	}
	mdb_cursor_close(c);
	rend(st, txn);
	if (rc != 0 && rc != MDB_NOTFOUND && n < max) {
		while (n > 0)
			store_task_free(&out[--n]);
		return fail(st, rc);
	}
	return n;
}

void
store_task_free(struct store_task *t)
{
	free(t->path);
	t->path = NULL;
}

int
store_results_each(store *st, uint32_t job, store_result_fn fn, void *arg)
{
	MDB_txn *txn = rbegin(st);
	MDB_cursor *c;
	uint8_t kb[TASK_KEY];
	MDB_val k = { TASK_KEY, kb }, v, rv;
	int rc, r = 0;

	if (txn == NULL)
		return -1;
	if ((rc = mdb_cursor_open(txn, st->tasks, &c)) != 0) {
		rend(st, txn);
		return fail(st, rc);
	}
	task_key(kb, job, 0);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		struct store_outcome o;
		const char *path;
		size_t plen;
		uint32_t attempts;
		int regular;
		int have;

		if (k.mv_size != TASK_KEY || get_be(k.mv_data, 4) != job)
			break;
		if (task_read(st, &v, &path, &plen, &attempts, &regular) < 0) {
			r = -1;
			break;
		}
		rc = mdb_get(txn, st->results, &k, &rv);
		if (rc != 0 && rc != MDB_NOTFOUND)
			break;
		have = rc == 0;
		if (have && outcome_read(st, &rv, &o) < 0) {
			r = -1;
			break;
		}
		if (fn(get_be((const uint8_t *)k.mv_data + 4, 8), path, plen, have ? &o : NULL, arg)) {
			rc = 0;
			break;
		}
	}
	if (r == 0 && rc != 0 && rc != MDB_NOTFOUND)
		r = fail(st, rc);
	mdb_cursor_close(c);
	rend(st, txn);
	return r;
}

/* ---- writes ----------------------------------------------------------- */

int
store_begin(store *st)
{
	int rc;

	if (st->wtxn)
		return 0;
	if ((rc = mdb_txn_begin(st->env, NULL, 0, &st->wtxn)) != 0) {
		st->wtxn = NULL;
		return fail(st, rc);
	}
	return 0;
}

int
store_in_txn(store *st)
{
	return st->wtxn != NULL;
}

int
store_commit(store *st)
{
	int rc;

	if (st->wtxn == NULL)
		return 0;
	rc = mdb_txn_commit(st->wtxn);
	st->wtxn = NULL;
	return rc ? fail(st, rc) : 0;
}

void
store_abort(store *st)
{
	if (st->wtxn)
		mdb_txn_abort(st->wtxn);
	st->wtxn = NULL;
}

static int
put(store *st, MDB_dbi dbi, const void *kp, size_t klen, const void *vp, size_t vlen,
    unsigned flags)
{
	MDB_val k = { klen, (void *)kp }, v = { vlen, (void *)vp };
	int rc;

	if (st->wtxn == NULL)
		return fail(st, EINVAL);
	rc = mdb_put(st->wtxn, dbi, &k, &v, flags);
	return rc ? fail(st, rc) : 0;
}

int
store_job_put(store *st, struct store_job *job)
{
	msgpack_sbuffer sb;
	uint8_t kb[4], last[4];
	MDB_val k = { 8, "next_job" }, v;
	int rc, r;

	if (st->wtxn == NULL)
		return fail(st, EINVAL);
	if (job->id == 0) {
		rc = mdb_get(st->wtxn, st->meta, &k, &v);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return fail(st, rc);
		job->id = rc == 0 && v.mv_size == 4 ? (uint32_t)get_be(v.mv_data, 4) + 1 : 1;
		put_be(last, job->id, 4);
		if (put(st, st->meta, "next_job", 8, last, 4, 0) < 0)
			return -1;
		job->created_ms = now_ms();
	}
	job->updated_ms = now_ms();
	msgpack_sbuffer_init(&sb);
	put_be(kb, job->id, 4);
	r = rec_job_encode(job, &sb) < 0 ? fail(st, ENOMEM) :
	    put(st, st->jobs, kb, 4, sb.data, sb.size, 0);
	if (r == 0)
		r = put(st, st->jobnames, job->name, strlen(job->name), kb, 4, 0);
	msgpack_sbuffer_destroy(&sb);
	return r;
}

/* The path index's key: the job, then the path itself, so that a scan,
 * which meets paths in order, touches the index at one end instead of all
 * over it. A path too long for an LMDB key keeps its first bytes, then a
 * NUL (never part of a path, so no short path's key can equal it) and 16
 * bytes of its SHA-256. Returns the key's length. */
static size_t
path_key(uint8_t k[PATH_KEY_MAX], uint32_t job, const char *path, size_t len)
{
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;

	put_be(k, job, 4);
	if (len <= PATH_KEY_MAX - 4) {
		memcpy(k + 4, path, len);
		return 4 + len;
	}
	memcpy(k + 4, path, PATH_KEY_MAX - 4 - 17);
	k[PATH_KEY_MAX - 17] = '\0';
	EVP_Digest(path, len, dig, &dlen, EVP_sha256(), NULL);
	memcpy(k + PATH_KEY_MAX - 16, dig, 16);
	return PATH_KEY_MAX;
}

int
store_task_add(store *st, struct store_job *job, const char *path, size_t len, int regular,
    uint64_t *seq)
{
	uint8_t pk[PATH_KEY_MAX], tk[TASK_KEY], sv[8];
	MDB_val k = { 0, pk }, v;
	msgpack_sbuffer sb;
	int rc, r;

	if (st->wtxn == NULL)
		return fail(st, EINVAL);
	k.mv_size = path_key(pk, job->id, path, len);
	rc = mdb_get(st->wtxn, st->paths, &k, &v);
	if (rc == 0) {
		*seq = v.mv_size == 8 ? get_be(v.mv_data, 8) : 0;
		return 1;
	}
	if (rc != MDB_NOTFOUND)
		return fail(st, rc);
	if (job->next_seq == 0)
		job->next_seq = 1;
	*seq = job->next_seq;
	task_key(tk, job->id, *seq);
	put_be(sv, *seq, 8);
	msgpack_sbuffer_init(&sb);
	r = rec_task_encode(&sb, path, len, 0, regular) < 0 ? fail(st, ENOMEM) :
	    put(st, st->tasks, tk, TASK_KEY, sb.data, sb.size, 0);
	msgpack_sbuffer_destroy(&sb);
	if (r == 0)
		r = put(st, st->paths, pk, k.mv_size, sv, 8, 0);
	if (r == 0)
		r = put(st, st->pending, tk, TASK_KEY, "", 0, 0);
	if (r < 0)
		return -1;
	job->next_seq++;
	job->total++;
	return 0;
}

int
store_task_attempts(store *st, uint32_t job, uint64_t seq, uint32_t attempts)
{
	uint8_t tk[TASK_KEY];
	MDB_val k = { TASK_KEY, tk }, v;
	msgpack_sbuffer sb;
	const char *path;
	size_t plen;
	uint32_t old;
	int rc, r, regular;

	if (st->wtxn == NULL)
		return fail(st, EINVAL);
	task_key(tk, job, seq);
	if ((rc = mdb_get(st->wtxn, st->tasks, &k, &v)) != 0)
		return fail(st, rc);
	if (task_read(st, &v, &path, &plen, &old, &regular) < 0)
		return -1;
	msgpack_sbuffer_init(&sb);
	r = rec_task_encode(&sb, path, plen, attempts, regular) < 0 ? fail(st, ENOMEM) :
	    put(st, st->tasks, tk, TASK_KEY, sb.data, sb.size, 0);
	msgpack_sbuffer_destroy(&sb);
	return r;
}

int
store_outcome_put(store *st, struct store_job *job, uint64_t seq, const struct store_outcome *o)
{
	uint8_t tk[TASK_KEY];
	MDB_val k = { TASK_KEY, tk };
	msgpack_sbuffer sb;
	int rc, r;

	if (st->wtxn == NULL)
		return fail(st, EINVAL);
	task_key(tk, job->id, seq);
	msgpack_sbuffer_init(&sb);
	if (rec_outcome_encode(&sb, o) < 0) {
		msgpack_sbuffer_destroy(&sb);
		return fail(st, ENOMEM);
	}
	r = put(st, st->results, tk, TASK_KEY, sb.data, sb.size, MDB_NOOVERWRITE);
	msgpack_sbuffer_destroy(&sb);
	if (r < 0)
		return st->rc == MDB_KEYEXIST ? 1 : -1;
	rc = mdb_del(st->wtxn, st->pending, &k, NULL);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return fail(st, rc);
	job->count[o->status >= 0 && o->status < OUT__COUNT ? o->status : OUT_FAILED]++;
	return 0;
}
