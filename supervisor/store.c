/* store: the state directory, an LMDB environment (docs/state.md).
 *
 *	meta      "format" -> STORE_FORMAT, "next_job" -> last job id (u32 BE),
 *	          "inputs" + job id (u32 BE) -> the job's inputs (store_inputs.c)
 *	jobs      job id (u32 BE)                -> job record
 *	jobnames  name                           -> job id
 *	tasks     job id + seq (u32 + u64, BE)   -> [path, attempts, regular, strikes]
 *	paths     job id + path (long: a prefix, NUL, 16 bytes of SHA-256) -> seq
 *	pending   task key                       -> ""   (until an outcome commits)
 *	results   task key                       -> outcome record
 *	attempts  task key + attempt (u32 BE)    -> an earlier attempt, as an outcome
 *	inflight  task key                       -> {p pid, st start}: running at the commit
 *
 * Big-endian keys make a job's tasks one key range in seq order. Records are
 * msgpack (supervisor/record.c), checked before they are decoded. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>
#include <msgpack.h>
#include <openssl/evp.h>

#include "supervisor/record.h"
#include "supervisor/store.h"
#include "supervisor/store_int.h"

static const char *const outcome_names[OUT__COUNT] = {
	"ok", "failed", "crashed", "timeout", "skipped", "quarantined",
};
static const char *const state_names[JOB__COUNT] = {
	"running", "done", "halted", "interrupted", "failed", "paused", "cancelled",
};

const char *
outcome_name(int status)
{
	return status >= 0 && status < OUT__COUNT ? outcome_names[status] : "unknown";
}

uint64_t
store_done(const struct store_job *j)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < OUT__COUNT; i++)
		n += j->count[i];
	return n;
}

const char *
attempt_name(int status)
{
	return status == ATTEMPT_INTERRUPTED ? "interrupted" : outcome_name(status);
}

const char *
job_state_name(int state)
{
	return state >= 0 && state < JOB__COUNT ? state_names[state] : "unknown";
}

void
store_put_be(uint8_t *p, uint64_t v, int n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

uint64_t
store_get_be(const void *p, int n)
{
	const uint8_t *b = p;
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = v << 8 | b[i];
	return v;
}

void
store_task_key(uint8_t k[TASK_KEY], uint32_t job, uint64_t seq)
{
	store_put_be(k, job, 4);
	store_put_be(k + 4, seq, 8);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Callers see errno; LMDB's own (negative) codes get the nearest one, and
 * the code itself stays for store_strerror. */
int
store_fail(store *st, int rc)
{
	static const int map[][2] = {
		{ BAD_RECORD, EBADMSG }, { MDB_CORRUPTED, EBADMSG }, { MDB_NOTFOUND, ENOENT },
		{ MDB_MAP_FULL, ENOSPC }, { MDB_TXN_FULL, ENOSPC }, { MDB_READERS_FULL, EAGAIN },
		{ MDB_INVALID, EPROTO }, { MDB_VERSION_MISMATCH, EPROTO },
	};
	size_t i;

	st->rc = rc;
	st->full |= rc == MDB_MAP_FULL;
	errno = rc > 0 ? rc : EIO;
	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (map[i][0] == rc)
			errno = map[i][1];
	return -1;
}

/* Bytes the state directory's file system has free for us, or -1. */
static long long
dir_free(const store *st)
{
	struct statvfs vf;

	if (st->dir == NULL || statvfs(st->dir, &vf) < 0)
		return -1;
	return (long long)vf.f_bavail * (long long)vf.f_frsize;
}

int
store_room(store *st)
{
	long long left = dir_free(st);

	return left < 0 || left >= (8ll << 20);
}

int
store_full(store *st)
{
	long long left;

	if (st->rc == MDB_MAP_FULL || st->rc == ENOSPC || st->rc == EDQUOT)
		return 1;
	/* LMDB reports a short write as EIO: on a file system with no room
	 * left, that is what it was. */
	return st->rc == EIO && (left = dir_free(st)) >= 0 && left < (4ll << 20);
}

const char *
store_strerror(store *st)
{
	if (st->rc == BAD_RECORD)
		return "a damaged record in the state directory";
	if (st->rc != MDB_MAP_FULL && store_full(st)) {
		snprintf(st->why, sizeof st->why, "the disk is full (%lld KiB free for the state directory)",
		    dir_free(st) / 1024);
		return st->why;
	}
	return mdb_strerror(st->rc);
}

/* Where LMDB mapped data.mdb: LMDB reports the address only for fixed
 * maps, so it is looked up by inode in /proc/self/maps, after every remap. */
void
store_find_map(store *st)
{
	struct stat sb;
	unsigned long lo, hi, ino;
	char line[512];
	FILE *f;
	int fd;

	st->map = NULL;
	st->map_len = 0;
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

/* The map's first size. CORRAL_MAPSIZE (bytes) starts smaller, for tests
 * of growth and for hosts that limit address space (ulimit -v). */
static size_t
map_size(void)
{
	const char *s = getenv("CORRAL_MAPSIZE");
	unsigned long long v = s ? strtoull(s, NULL, 10) : 0;

	return v >= MAP_SIZE_MIN && v < MAP_SIZE * 1024 ? (size_t)v : MAP_SIZE;
}

/* Doubles the map when half of it is used or the last write overflowed it:
 * LMDB remaps only between transactions. A failed remap would leave LMDB
 * with no map at all, so the address space is tried first; without it the
 * map stays, and a write that overflows it fails cleanly (MDB_MAP_FULL). */
static void
grow(store *st)
{
	MDB_envinfo info;
	size_t used, want;
	void *p;

	if (st->lockfd < 0 || st->wtxn || st->rdepth > 0 || mdb_env_info(st->env, &info) != 0)
		return;
	used = (size_t)(info.me_last_pgno + 1) * st->psize;
	if (!st->full && used < info.me_mapsize / 2)
		return;
	want = info.me_mapsize * 2;
	p = mmap(NULL, want, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return;
	munmap(p, want);
	if (st->rtxn) {
		mdb_txn_abort(st->rtxn);
		st->rtxn = NULL;
	}
	if (mdb_env_set_mapsize(st->env, want) == 0)
		st->full = 0;
	store_find_map(st);
}

/* A new owner's first write: no other process can be running a job now,
 * so a job that says running was left so by an owner that died (kill -9,
 * power loss). It is interrupted, and says so to every reader. */
static int
interrupt_orphans(store *st)
{
	struct store_job j;
	msgpack_sbuffer sb;
	MDB_cursor *c;
	MDB_txn *txn;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		return store_fail(st, rc);
	if ((rc = mdb_cursor_open(txn, st->jobs, &c)) != 0) {
		mdb_txn_abort(txn);
		return store_fail(st, rc);
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (rec_job_decode(v.mv_data, v.mv_size, &j) < 0) {
			rc = BAD_RECORD;
			break;
		}
		if (j.state != JOB_RUNNING)
			continue;
		j.state = JOB_INTERRUPTED;
		msgpack_sbuffer_init(&sb);
		if (rec_job_encode(&j, &sb) < 0)
			rc = ENOMEM;
		else {
			v.mv_size = sb.size;
			v.mv_data = sb.data;
			rc = mdb_cursor_put(c, &k, &v, MDB_CURRENT);
		}
		msgpack_sbuffer_destroy(&sb);
		if (rc != 0)
			break;
	}
	mdb_cursor_close(c);
	if (rc == 0 || rc == MDB_NOTFOUND)
		rc = store_inflight_recover(st, txn);
	if (rc != 0 && rc != MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return store_fail(st, rc);
	}
	return (rc = mdb_txn_commit(txn)) != 0 ? store_fail(st, rc) : 0;
}

/* Opens the databases and checks the format; a new environment (meta
 * empty) gets it written. The handles outlive the transaction, also a
 * read-only one, because it commits. */
static int
store_init(store *st, enum store_mode mode, const char **why)
{
	static const char *const names[] = {
		"meta", "jobs", "jobnames", "tasks", "paths", "pending", "results",
	};
	MDB_dbi *dbi[] = {
		&st->meta, &st->jobs, &st->jobnames, &st->tasks, &st->paths, &st->pending,
		&st->results,
	};
	MDB_txn *txn;
	MDB_val k = { 6, "format" }, v;
	MDB_stat ms;
	uint8_t fmt[4];
	size_t i;
	int rc;

	*why = "open";
	if ((rc = mdb_txn_begin(st->env, NULL, mode == STORE_READ ? MDB_RDONLY : 0, &txn)) != 0)
		return store_fail(st, rc);
	for (i = 0; rc == 0 && i < sizeof names / sizeof names[0]; i++)
		rc = mdb_dbi_open(txn, names[i], mode == STORE_READ ? 0 : MDB_CREATE, dbi[i]);
	/* Apart: a state dir from before it is read without one. */
	if (rc == 0 && (rc = mdb_dbi_open(txn, "reuse", mode == STORE_READ ? 0 : MDB_CREATE,
	    &st->reuse)) == MDB_NOTFOUND && mode == STORE_READ) {
		st->reuse = 0;
		rc = 0;
	}
	/* Younger than the others: a reader of an older directory has none. */
	if (rc == 0 && mdb_dbi_open(txn, "attempts", mode == STORE_READ ? 0 : MDB_CREATE,
	    &st->attempts) != 0)
		st->attempts = 0;
	if (rc == 0 && mdb_dbi_open(txn, "inflight", mode == STORE_READ ? 0 : MDB_CREATE,
	    &st->inflight) != 0)
		st->inflight = 0;
	if (rc == MDB_NOTFOUND) {
		/* Read-only, and the owner has not made its first commit. */
		mdb_txn_abort(txn);
		errno = ENOENT;
		return -1;
	}
	if (rc == 0)
		rc = mdb_get(txn, st->meta, &k, &v);
	if (rc == MDB_NOTFOUND && mode == STORE_WRITE &&
	    mdb_stat(txn, st->meta, &ms) == 0 && ms.ms_entries == 0) {
		store_put_be(fmt, STORE_FORMAT, 4);
		v.mv_size = 4;
		v.mv_data = fmt;
		rc = mdb_put(txn, st->meta, &k, &v, 0);
	} else if (rc == MDB_NOTFOUND ||
	    (rc == 0 && (v.mv_size != 4 || store_get_be(v.mv_data, 4) != STORE_FORMAT))) {
		mdb_txn_abort(txn);
		/* Read as "unable to use (another state format) state dir D". */
		*why = "use (another state format)";
		errno = EPROTO;
		return -1;
	}
	if (rc == 0)
		rc = mdb_txn_commit(txn);
	else
		mdb_txn_abort(txn);
	return rc ? store_fail(st, rc) : 0;
}

/* The environment, its handle in st->env (to be closed even on failure). */
static int
env_open(store *st, const char *dir, unsigned flags)
{
	int rc;

	if ((rc = mdb_env_create(&st->env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(st->env, 16)) != 0 ||
	    (rc = mdb_env_set_mapsize(st->env, map_size())) != 0)
		return rc;
	return mdb_env_open(st->env, dir, flags, 0600);
}

store *
store_open(const char *dir, enum store_mode mode, const char **why)
{
	store *st;
	char path[4200];
	struct stat sb;
	MDB_stat ms;
	unsigned flags = MDB_NOTLS;
	const char *nosync = getenv("CORRAL_NOSYNC");
	struct flock mark = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int rc, dead, owner, e;

	*why = "open";
	if ((st = calloc(1, sizeof *st)) == NULL)
		return NULL;
	st->lockfd = st->probefd = -1;
	if ((st->dir = strdup(dir)) == NULL) {
		free(st);
		return NULL;
	}
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
		/* flock, not LMDB's fcntl locks: it belongs to this open file
		 * description, so it also excludes a second open in-process. */
		if (flock(st->lockfd, LOCK_EX | LOCK_NB) < 0) {
			*why = "lock";
			if (errno == EWOULDBLOCK)
				errno = EBUSY;
			goto fail;
		}
		/* The owner's mark for readers: a lock they can test
		 * (F_OFD_GETLK) without taking it. Testing the flock would
		 * mean taking it, for a moment in which an owner starting
		 * would find the directory in use. */
		if (fcntl(st->lockfd, F_OFD_SETLK, &mark) < 0) {
			*why = "lock";
			if (errno == EAGAIN || errno == EACCES)
				errno = EBUSY;
			goto fail;
		}
		if (nosync && nosync[0])
			flags |= MDB_NOSYNC;
	} else {
		/* A reader never creates: no data yet is "no state here". */
		snprintf(path, sizeof path, "%s/data.mdb", dir);
		if (stat(path, &sb) < 0)
			goto fail;
		if (sb.st_size == 0) {
			errno = ENOENT;
			goto fail;
		}
		flags |= MDB_RDONLY;
		snprintf(path, sizeof path, "%s/lock", dir);
		st->probefd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
		st->probe_err = st->probefd < 0 ? errno : 0;
	}
	rc = env_open(st, dir, flags);
	if ((rc == EACCES || rc == EPERM) && mode == STORE_READ) {
		/* A directory this reader cannot write (a read-only copy, another
		 * user's): LMDB's lock.mdb, where readers register, is not to be
		 * had. Without it a reader is safe only while no owner writes:
		 * one that does could reuse the pages being read. (A read-only
		 * filesystem LMDB itself reads without its lock file.) */
		mdb_env_close(st->env);
		st->env = NULL;
		if ((owner = store_owned(st)) != 0) {
			*why = "read";
			errno = owner > 0 ? EBUSY : rc;
			goto fail;
		}
		rc = env_open(st, dir, flags | MDB_NOLOCK);
	}
	if (rc != 0 || (rc = mdb_env_stat(st->env, &ms)) != 0) {
		store_fail(st, rc);
		goto fail;
	}
	st->psize = ms.ms_psize;
	/* A reader killed inside a transaction keeps its slot, and the pages
	 * of its snapshot, until somebody clears it: the owner does. */
	if (mode == STORE_WRITE)
		mdb_reader_check(st->env, &dead);
	if (store_init(st, mode, why) < 0)
		goto fail;
	if (mode == STORE_WRITE && interrupt_orphans(st) < 0) {
		*why = "open";
		goto fail;
	}
	store_find_map(st);
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
	if (st->probefd >= 0)
		close(st->probefd);
	msgpack_sbuffer_destroy(&st->rec);
	free(st->dir);
	free(st);
}

int
store_owned(store *st)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	if (st->lockfd >= 0)
		return 1;
	if (st->probefd < 0) {
		if (st->probe_err == ENOENT)
			return 0;	/* nobody has ever owned it */
		errno = st->probe_err;
		return -1;
	}
	if (fcntl(st->probefd, F_OFD_GETLK, &fl) < 0)
		return -1;
	return fl.l_type != F_UNLCK;
}

uint64_t
store_size(store *st)
{
	struct stat sb;
	int fd;

	if (mdb_env_get_fd(st->env, &fd) != 0 || fstat(fd, &sb) < 0)
		return 0;
	return (uint64_t)sb.st_blocks * 512;
}

/* Below this much data, store_trim leaves the map alone. */
#define TRIM_ABOVE	(16u << 20)

void
store_trim(store *st)
{
	MDB_envinfo info;
	size_t used;

	if (st->wtxn || st->rdepth > 0 || st->map == NULL || mdb_env_info(st->env, &info) != 0)
		return;
	used = (size_t)(info.me_last_pgno + 1) * st->psize;
	/* A small database costs little kept, and much refaulted. */
	if (used < TRIM_ABOVE)
		return;
	madvise(st->map, used < st->map_len ? used : st->map_len, MADV_DONTNEED);
}

int
store_begin(store *st)
{
	int rc;

	if (st->wtxn)
		return 0;
	grow(st);
	if ((rc = mdb_txn_begin(st->env, NULL, 0, &st->wtxn)) != 0) {
		st->wtxn = NULL;
		return store_fail(st, rc);
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
	/* LMDB frees the transaction also when the commit fails: then
	 * nothing of it was written. */
	rc = mdb_txn_commit(st->wtxn);
	st->wtxn = NULL;
	if (rc == 0)
		st->rc = 0;
	return rc ? store_fail(st, rc) : 0;
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

	rc = mdb_put(st->wtxn, dbi, &k, &v, flags);
	return rc ? store_fail(st, rc) : 0;
}

/* A put whose key is most often above every key of dbi (a task's key: the
 * job's next seq; a scan's paths, met in order): MDB_APPEND goes straight
 * to the last page instead of searching the tree. A key that is not above
 * the last is refused untouched (MDB_KEYEXIST), and put the usual way.
 * Returns LMDB's code; with MDB_NOOVERWRITE, MDB_KEYEXIST and *v the
 * stored value when the key was there. */
static int
put_append(store *st, MDB_dbi dbi, MDB_val *k, MDB_val *v, unsigned flags)
{
	MDB_val d = *v;
	int rc = mdb_put(st->wtxn, dbi, k, &d, MDB_APPEND);

	if (rc != MDB_KEYEXIST)
		return rc;
	return mdb_put(st->wtxn, dbi, k, v, flags);
}

/* The record buffer, emptied. */
static msgpack_sbuffer *
rec_buf(store *st)
{
	st->rec.size = 0;
	return &st->rec;
}

int
store_job_put(store *st, struct store_job *job)
{
	msgpack_sbuffer sb;
	uint8_t kb[4], last[4];
	MDB_val k = { 8, "next_job" }, v;
	uint32_t id = job->id;
	int rc, r;

	if (st->wtxn == NULL)
		return store_fail(st, EINVAL);
	if (id == 0) {
		/* A counter, not the highest key: a deleted job's id is
		 * never given again. */
		rc = mdb_get(st->wtxn, st->meta, &k, &v);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return store_fail(st, rc);
		if (rc == 0 && v.mv_size != 4)
			return store_fail(st, BAD_RECORD);
		id = rc == 0 ? (uint32_t)store_get_be(v.mv_data, 4) + 1 : 1;
		store_put_be(last, id, 4);
		if (put(st, st->meta, "next_job", 8, last, 4, 0) < 0)
			return -1;
		job->id = id;
		job->created_ms = now_ms();
	}
	job->updated_ms = now_ms();
	store_put_be(kb, id, 4);
	msgpack_sbuffer_init(&sb);
	r = rec_job_encode(job, &sb) < 0 ? store_fail(st, ENOMEM) :
	    put(st, st->jobs, kb, 4, sb.data, sb.size, 0);
	msgpack_sbuffer_destroy(&sb);
	if (r == 0 && job->name[0] != '\0')
		r = put(st, st->jobnames, job->name, strnlen(job->name, sizeof job->name - 1),
		    kb, 4, 0);
	return r;
}

/* The path index's key: the job, then the path itself, so that a scan,
 * which meets paths in order, touches the index at one end instead of all
 * over it (a hash key would put every insert on a random page). A path too
 * long for an LMDB key keeps its first bytes, then a NUL (never part of a
 * path, so no short path's key can equal it) and 16 bytes of its SHA-256.
 * Returns the key's length, or 0 when the digest fails. */
size_t
store_path_key(uint8_t k[PATH_KEY_MAX], uint32_t job, const char *path, size_t len)
{
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;

	store_put_be(k, job, 4);
	if (len <= PATH_KEY_MAX - 4) {
		memcpy(k + 4, path, len);
		return 4 + len;
	}
	if (EVP_Digest(path, len, dig, &dlen, EVP_sha256(), NULL) != 1 || dlen < 16)
		return 0;
	memcpy(k + 4, path, PATH_KEY_MAX - 4 - 17);
	k[PATH_KEY_MAX - 17] = '\0';
	memcpy(k + PATH_KEY_MAX - 16, dig, 16);
	return PATH_KEY_MAX;
}

int
store_task_add(store *st, struct store_job *job, const char *path, size_t len, int regular,
    uint64_t *seq)
{
	uint8_t pk[PATH_KEY_MAX], tk[TASK_KEY], sv[8];
	MDB_val k = { 0, pk }, v = { 8, sv }, tkv = { TASK_KEY, tk }, tv, none = { 0, "" };
	msgpack_sbuffer *sb = rec_buf(st);
	uint64_t s;
	int rc;

	if (st->wtxn == NULL || job->id == 0 || len == 0)
		return store_fail(st, EINVAL);
	if ((k.mv_size = store_path_key(pk, job->id, path, len)) == 0)
		return store_fail(st, ENOMEM);
	s = job->next_seq ? job->next_seq : 1;
	store_put_be(sv, s, 8);
	/* The path index decides whether the path is new: one put that
	 * hands back the seq it already has. */
	rc = put_append(st, st->paths, &k, &v, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST) {
		if (v.mv_size != 8)
			return store_fail(st, BAD_RECORD);
		if (seq)
			*seq = store_get_be(v.mv_data, 8);
		return 1;
	}
	if (rc != 0)
		return store_fail(st, rc);
	store_task_key(tk, job->id, s);
	if (rec_task_encode(sb, path, len, 0, regular, 0) < 0)
		return store_fail(st, ENOMEM);
	tv.mv_size = sb->size;
	tv.mv_data = sb->data;
	if ((rc = put_append(st, st->tasks, &tkv, &tv, 0)) != 0 ||
	    (rc = put_append(st, st->pending, &tkv, &none, 0)) != 0)
		return store_fail(st, rc);
	job->next_seq = s + 1;
	job->total++;
	if (seq)
		*seq = s;
	return 0;
}

int
store_task_attempts(store *st, uint32_t job, uint64_t seq, uint32_t attempts, uint32_t strikes)
{
	uint8_t tk[TASK_KEY];
	MDB_val k = { TASK_KEY, tk }, v;
	msgpack_sbuffer sb;
	const char *path;
	size_t plen;
	uint32_t old, old_strikes;
	int rc, r, regular;

	if (st->wtxn == NULL)
		return store_fail(st, EINVAL);
	store_task_key(tk, job, seq);
	if ((rc = mdb_get(st->wtxn, st->tasks, &k, &v)) != 0)
		return store_fail(st, rc);
	if (rec_task_decode(v.mv_data, v.mv_size, &path, &plen, &old, &regular, &old_strikes) < 0)
		return store_fail(st, BAD_RECORD);
	if (old == attempts && old_strikes == strikes)
		return 0;
	msgpack_sbuffer_init(&sb);
	r = rec_task_encode(&sb, path, plen, attempts, regular, strikes) < 0 ? store_fail(st, ENOMEM) :
	    put(st, st->tasks, tk, TASK_KEY, sb.data, sb.size, 0);
	msgpack_sbuffer_destroy(&sb);
	return r;
}

/* MDB_NOOVERWRITE makes "recorded once" the database's rule, not the
 * caller's: a late second result for a task changes nothing. The task
 * record's attempts are not rewritten here: results hold the final count,
 * and only pending tasks' attempts are ever read. */
int
store_outcome_put(store *st, struct store_job *job, uint64_t seq, const struct store_outcome *o)
{
	uint8_t tk[TASK_KEY];
	MDB_val k = { TASK_KEY, tk }, v;
	msgpack_sbuffer *sb = rec_buf(st);
	int rc;

	if (st->wtxn == NULL || o->status < 0 || o->status >= OUT__COUNT || seq == 0)
		return store_fail(st, EINVAL);
	store_task_key(tk, job->id, seq);
	if (rec_outcome_encode(sb, o) < 0)
		return store_fail(st, ENOMEM);
	v.mv_size = sb->size;
	v.mv_data = sb->data;
	/* Outcomes come nearly in seq order: most go on the last page. */
	rc = put_append(st, st->results, &k, &v, MDB_NOOVERWRITE);
	if (rc != 0) {
		store_fail(st, rc);
		return rc == MDB_KEYEXIST ? 1 : -1;
	}
	rc = mdb_del(st->wtxn, st->pending, &k, NULL);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_fail(st, rc);
	/* In the outcome's own transaction: the index never names an
	 * outcome that was not committed. */
	if (o->status == OUT_OK && o->sha256 != NULL && o->reuse_key != NULL && o->reused_job == 0) {
		uint8_t rk[64];

		memcpy(rk, o->reuse_key, 32);
		memcpy(rk + 32, o->sha256, 32);
		if (put(st, st->reuse, rk, sizeof rk, tk, TASK_KEY, 0) < 0)
			return -1;
	}
	job->count[o->status]++;
	return 0;
}

int
store_reuse_find(store *st, const uint8_t key[32], const uint8_t sha256[32], uint32_t *job,
    uint64_t *seq, uint8_t **result, size_t *rlen)
{
	struct store_outcome o;
	uint8_t rk[64];
	MDB_val k = { sizeof rk, rk }, v, ok = { 0, NULL }, jk, jv;
	MDB_txn *txn;
	int rc, r = 0;

	*result = NULL;
	*rlen = 0;
	if (st->reuse == 0)
		return 0;
	memcpy(rk, key, 32);
	memcpy(rk + 32, sha256, 32);
	if ((txn = rbegin(st)) == NULL)
		return -1;
	rc = mdb_get(txn, st->reuse, &k, &ok);
	if (rc == 0 && ok.mv_size != TASK_KEY)
		rc = MDB_NOTFOUND;
	/* A deleted job's record goes first, its rows later: no record, no
	 * reuse, whatever rows are left. */
	jk.mv_size = 4;
	jk.mv_data = ok.mv_data;
	if (rc == 0 && (rc = mdb_get(txn, st->jobs, &jk, &jv)) == 0)
		rc = mdb_get(txn, st->results, &ok, &v);
	if (rc == 0 && rec_outcome_decode(v.mv_data, v.mv_size, &o) == 0 && o.status == OUT_OK &&
	    o.sha256 != NULL && memcmp(o.sha256, sha256, 32) == 0 && o.reused_job == 0) {
		*job = (uint32_t)store_get_be(ok.mv_data, 4);
		*seq = store_get_be((const uint8_t *)ok.mv_data + 4, 8);
		if (o.result_len > 0 && (*result = malloc(o.result_len)) == NULL)
			r = store_fail(st, ENOMEM);
		else {
			if (o.result_len > 0)
				memcpy(*result, o.result, o.result_len);
			*rlen = o.result_len;
			r = 1;
		}
	} else if (rc != 0 && rc != MDB_NOTFOUND)
		r = store_fail(st, rc);
	rend(st, txn);
	return r;
}
