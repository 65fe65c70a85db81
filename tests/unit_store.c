/* Unit tests of supervisor/store.c: one owner at a time and readers beside
 * it, also mid-transaction; jobs by name, id and order; tasks known once per
 * path, whatever its bytes or length; pending in seq order and paged;
 * outcomes recorded exactly once and joined to their paths byte for byte;
 * aborts leave nothing; big-endian keys keep seqs numeric and jobs apart; a
 * map that fills grows; damaged records and other formats are errors, not
 * crashes; and everything is still there after a reopen. Then the calls a
 * serving owner makes on large jobs: results paged by status, each task
 * once, however few match; outcomes retried by status, counted and
 * requeued; jobs deleted down to their last row, also when the owner dies
 * between chunks, and nobody else's rows with them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lmdb.h>

#include "supervisor/store.h"
#include "tests/tap.h"

static char top[] = "/tmp/corral-unit-store.XXXXXX";
static char dir[256];
static char map_kept[32];	/* CORRAL_MAPSIZE as given, under memcheck */

/* Pending tasks of a job, counted the way dispatch reads them: in pages. */
static int64_t
pending_count(store *st, uint32_t job)
{
	struct store_task t[64];
	uint64_t after = 0;
	int64_t total = 0;
	int n, i;

	while ((n = store_pending(st, job, after, t, 64)) > 0) {
		for (i = 0; i < n; i++) {
			if (t[i].seq <= after)
				return -2;	/* out of order */
			after = t[i].seq;
			store_task_free(&t[i]);
		}
		total += n;
	}
	return n < 0 ? -1 : total;
}

static void
free_tasks(struct store_task *t, int n)
{
	while (n > 0)
		store_task_free(&t[--n]);
}

/* Runs fn in a forked child (a process of its own, as a reader or a rival
 * owner would be) and returns its exit status. */
static int
in_child(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int r;

	if (pid == 0)
		_exit(fn(arg));
	if (pid < 0 || waitpid(pid, &r, 0) < 0 || !WIFEXITED(r))
		return -1;
	return WEXITSTATUS(r);
}

static int
rival_owner(void *arg)
{
	const char *why;

	(void)arg;
	return store_open(dir, STORE_WRITE, &why) == NULL && errno == EBUSY ? 0 : 1;
}

/* A reader while the owner holds a write transaction: it sees the last
 * commit (3 tasks of job 1, 2 pending) and nothing uncommitted. */
static int
reader_mid_txn(void *arg)
{
	struct store_job x;
	const char *why;
	store *rd = store_open(dir, STORE_READ, &why);

	(void)arg;
	if (rd == NULL)
		return 1;
	if (store_job_by_name(rd, "alpha", &x) != 0 || x.total != 3 || pending_count(rd, x.id) != 2)
		return 2;
	if (store_begin(rd) == 0)
		return 3;	/* a reader cannot write */
	if (store_owned(rd) != 1)
		return 4;	/* the owner's mark is seen */
	store_close(rd);
	return 0;
}

struct seen {
	int with, without;
	uint64_t seq;		/* the one to check */
	const char *path;
	size_t len;
	const struct store_outcome *o;
	int match;
};

static int
results_check(uint64_t seq, const char *path, size_t len, const struct store_outcome *o, void *arg)
{
	struct seen *s = arg;

	if (o)
		s->with++;
	else
		s->without++;
	if (seq == s->seq)
		s->match = len == s->len && memcmp(path, s->path, len) == 0 && o &&
		    o->status == s->o->status && o->attempts == s->o->attempts &&
		    o->duration_ms == s->o->duration_ms && o->finished_ms == s->o->finished_ms &&
		    o->signal == s->o->signal && o->exit_code == s->o->exit_code &&
		    o->error_len == s->o->error_len &&
		    memcmp(o->error, s->o->error, o->error_len) == 0 &&
		    o->result_len == s->o->result_len &&
		    memcmp(o->result, s->o->result, o->result_len) == 0 &&
		    o->tail_len == s->o->tail_len && memcmp(o->tail, s->o->tail, o->tail_len) == 0;
	return 0;
}

static int
results_stop(uint64_t seq, const char *path, size_t len, const struct store_outcome *o, void *arg)
{
	(void)seq, (void)path, (void)len, (void)o;
	return ++*(int *)arg == 2;
}

struct walk {
	store *st;
	uint32_t ids[8];
	int n, stop_at;
	int64_t pending;
};

static int
jobs_collect(const struct store_job *j, void *arg)
{
	struct walk *w = arg;

	if (w->n < 8)
		w->ids[w->n] = j->id;
	w->n++;
	/* A read inside a read's callback shares its snapshot. */
	if (w->st)
		w->pending = pending_count(w->st, j->id);
	return w->n == w->stop_at;
}

static void
test_open(void)
{
	const char *why = NULL;
	char path[512];
	struct stat sb;
	static store *st;	/* static: a forked child (in_child) still reaches it, for memcheck */
	store *st2;

	snprintf(path, sizeof path, "%s/nowhere/st", top);
	ok(store_open(path, STORE_READ, &why) == NULL && errno == ENOENT, "read: a missing dir is ENOENT");
	ok(store_open(path, STORE_WRITE, &why) == NULL && errno == ENOENT && strcmp(why, "create") == 0,
	    "write: a missing parent is ENOENT at \"create\"");
	snprintf(path, sizeof path, "%s/empty", top);
	mkdir(path, 0700);
	ok(store_open(path, STORE_READ, &why) == NULL && errno == ENOENT,
	    "read: a dir with no state yet is ENOENT");
	snprintf(path, sizeof path, "%s/empty/data.mdb", top);
	close(open(path, O_WRONLY | O_CREAT, 0600));
	snprintf(path, sizeof path, "%s/empty", top);
	ok(store_open(path, STORE_READ, &why) == NULL && errno == ENOENT,
	    "read: an empty data file (an owner starting) is ENOENT");

	st = store_open(dir, STORE_WRITE, &why);
	ok(st != NULL, "write: created and opened");
	ok(stat(dir, &sb) == 0 && (sb.st_mode & 0777) == 0700, "the dir is mode 0700");
	snprintf(path, sizeof path, "%s/lock", dir);
	ok(stat(path, &sb) == 0, "DIR/lock exists");
	snprintf(path, sizeof path, "%s/data.mdb", dir);
	ok(stat(path, &sb) == 0 && store_size(st) > 0, "data.mdb exists; store_size %llu",
	    (unsigned long long)store_size(st));
	st2 = store_open(dir, STORE_WRITE, &why);
	ok(st2 == NULL && errno == EBUSY && strcmp(why, "lock") == 0, "a second owner in-process: EBUSY");
	is_int(in_child(rival_owner, NULL), 0, "a second owner in another process: EBUSY");
	ok(!store_in_txn(st), "no transaction yet");
	ok(store_task_attempts(st, 1, 1, 1, 0) < 0 && errno == EINVAL, "a write outside a transaction: EINVAL");
	store_close(st);
	st = store_open(dir, STORE_WRITE, &why);
	ok(st != NULL, "closing releases the lock");
	store_close(st);
}

static void
test_jobs(store *st, struct store_job *a)
{
	struct store_job b, old, got;
	struct walk w;

	memset(a, 0, sizeof *a);
	snprintf(a->name, sizeof a->name, "alpha");
	snprintf(a->handler, sizeof a->handler, "sha256");
	a->has = STORE_HAS_ALL;
	ok(store_begin(st) == 0 && store_in_txn(st), "begin");
	ok(store_job_put(st, a) == 0 && a->id == 1 && a->created_ms > 0 &&
	    a->updated_ms >= a->created_ms, "job put assigns id 1 and times");
	ok(store_job_by_name(st, "alpha", &got) == 0 && got.id == 1,
	    "the owner reads its own uncommitted job");
	memset(&b, 0, sizeof b);
	snprintf(b.name, sizeof b.name, "beta");
	snprintf(b.arg, sizeof b.arg, "wc -c");
	b.timeout_ms = 5000;
	b.workers = 3;
	job_opts_default(&b.opts);
	b.opts.limits.max_bytes = 12345678901ull;
	b.opts.limits.max_depth = 7;
	b.opts.fail_on_suspicious = 1;
	b.opts.sandbox.enabled = 0;
	b.opts.sandbox.uid = 65534;
	b.has = STORE_HAS_ALL;
	b.retries = 4;
	memset(b.inputs_id, 0xab, sizeof b.inputs_id);
	memset(b.list_id, 0xcd, sizeof b.list_id);
	b.has_list = 1;
	b.halt_rate = 0.125;
	b.halt_min = 20;
	snprintf(b.extract, sizeof b.extract, "/srv/out");
	ok(store_job_put(st, &b) == 0 && b.id == 2, "a second job gets id 2");
	ok(store_commit(st) == 0 && !store_in_txn(st), "committed");

	ok(store_job_by_id(st, 2, &got) == 0 && strcmp(got.name, "beta") == 0 &&
	    strcmp(got.arg, "wc -c") == 0 && got.timeout_ms == 5000 && got.workers == 3 &&
	    got.created_ms == b.created_ms, "by id: every field back");
	ok(memcmp(&got.opts, &b.opts, sizeof b.opts) == 0, "... the children's options too");
	ok(got.has == STORE_HAS_ALL && got.retries == 4 && got.has_list &&
	    memcmp(got.inputs_id, b.inputs_id, sizeof b.inputs_id) == 0 &&
	    memcmp(got.list_id, b.list_id, sizeof b.list_id) == 0 && got.halt_rate == 0.125 &&
	    got.halt_min == 20 && strcmp(got.extract, "/srv/out") == 0 && got.opts_raw_len > 0,
	    "... and the rest of the spec");
	old = b;
	old.has = STORE_HAS_TIMEOUT;	/* as an older corral wrote it */
	ok(store_begin(st) == 0 && store_job_put(st, &old) == 0 && store_commit(st) == 0 &&
	    store_job_by_id(st, 2, &got) == 0 && got.has == STORE_HAS_TIMEOUT &&
	    got.timeout_ms == 5000 && got.opts_raw_len == 0 && got.extract[0] == '\0',
	    "a record holds only the spec fields it has");
	ok(store_begin(st) == 0 && store_job_put(st, &b) == 0 && store_commit(st) == 0,
	    "and gets the others when put with them");
	ok(store_job_by_id(st, 1, &got) == 0 && got.opts.limits.max_entries == 0 &&
	    got.opts.sandbox.enabled == 0, "... a job put with zeroed options keeps them");
	ok(store_job_by_name(st, "beta", &got) == 0 && got.id == 2, "by name");
	ok(store_job_latest(st, &got) == 0 && got.id == 2, "latest is the highest id");
	is_int(store_job_by_name(st, "gamma", &got), 1, "an unknown name: 1");
	is_int(store_job_by_name(st, "", &got), 1, "an empty name: 1");
	is_int(store_job_by_id(st, 99, &got), 1, "an unknown id: 1");
	memset(&w, 0, sizeof w);
	ok(store_jobs_each(st, jobs_collect, &w) == 0 && w.n == 2 && w.ids[0] == 1 && w.ids[1] == 2,
	    "each: all jobs in id order");
	memset(&w, 0, sizeof w);
	w.stop_at = 1;
	ok(store_jobs_each(st, jobs_collect, &w) == 0 && w.n == 1, "each: non-zero from fn stops");

	b.state = JOB_DONE;
	ok(store_begin(st) == 0 && store_job_put(st, &b) == 0 && b.id == 2 && store_commit(st) == 0,
	    "an update keeps the id");
	ok(store_job_by_id(st, 2, &got) == 0 && got.state == JOB_DONE, "and is read back");
}

static void
test_tasks(store *st, struct store_job *a)
{
	static char longp[4001], longq[4001], p496[497], p497[498];
	struct store_task t[8];
	uint64_t seq = 0;
	int n;

	ok(store_begin(st) == 0, "begin");
	ok(store_task_add(st, a, "a", 1, 1, &seq) == 0 && seq == 1, "task a is seq 1");
	ok(store_task_add(st, a, "a", 1, 1, &seq) == 1 && seq == 1, "task a again: known, its seq");
	ok(store_task_add(st, a, "new\nline\xff\xfe", 11, 0, &seq) == 0 && seq == 2,
	    "a path with a newline and invalid UTF-8");
	memset(longp, 'p', 4000);
	ok(store_task_add(st, a, longp, 4000, 1, &seq) == 0 && seq == 3, "a 4000-byte path");
	ok(a->total == 3 && a->next_seq == 4, "total 3, next seq 4");
	ok(store_job_put(st, a) == 0 && store_commit(st) == 0, "committed");

	n = store_pending(st, a->id, 0, t, 8);
	ok(n == 3 && t[0].seq == 1 && t[1].seq == 2 && t[2].seq == 3, "pending: 3 in seq order");
	ok(n == 3 && t[0].path_len == 1 && strcmp(t[0].path, "a") == 0 && t[1].path_len == 11 &&
	    memcmp(t[1].path, "new\nline\xff\xfe", 11) == 0 && t[2].path_len == 4000 &&
	    memcmp(t[2].path, longp, 4000) == 0 && t[2].path[4000] == '\0',
	    "pending: paths byte-exact and NUL-terminated");
	ok(n == 3 && t[0].regular == 1 && t[1].regular == 0 && t[0].attempts == 0,
	    "pending: the scan's regular flag, no attempts");
	free_tasks(t, n);
	n = store_pending(st, a->id, 1, t, 1);
	ok(n == 1 && t[0].seq == 2, "paged: after 1, max 1 gives seq 2");
	free_tasks(t, n);
	n = store_pending(st, a->id, 2, t, 8);
	ok(n == 1 && t[0].seq == 3, "paged: after 2 gives seq 3 only");
	free_tasks(t, n);
	is_int(store_pending(st, a->id, 3, t, 8), 0, "after the last: 0");
	is_int(store_pending(st, a->id, 0, t, 0), 0, "max 0: 0");
	is_int(store_pending(st, a->id, UINT64_MAX, t, 8), 0, "after UINT64_MAX: 0");
	is_int(store_pending(st, 77, 0, t, 8), 0, "an unknown job: 0");

	/* Long paths are indexed by a prefix and a digest: the digest must
	 * tell apart paths that share the prefix, and the edge of the two
	 * forms must not confuse them. */
	memcpy(longq, longp, 4000);
	longq[3999] = 'q';
	memset(p496, 'p', 496);
	memset(p497, 'p', 497);
	ok(store_begin(st) == 0, "begin");
	ok(store_task_add(st, a, longq, 4000, 1, &seq) == 0 && seq == 4,
	    "a long path that differs only in its last byte is new");
	ok(store_task_add(st, a, longp, 4000, 1, &seq) == 1 && seq == 3, "the first long path is known");
	ok(store_task_add(st, a, longp, 3999, 1, &seq) == 0 && seq == 5, "its 3999-byte prefix is new");
	ok(store_task_add(st, a, p496, 496, 1, &seq) == 0 && store_task_add(st, a, p497, 497, 1, &seq) == 0 &&
	    seq == 7, "paths of 496 and 497 bytes (either side of the key limit) are new");
	ok(store_task_add(st, a, p496, 496, 1, &seq) == 1 && seq == 6 &&
	    store_task_add(st, a, p497, 497, 1, &seq) == 1 && seq == 7, "and known again");
	store_abort(st);
	/* The caller's copy of the job ran ahead of the aborted writes. */
	ok(!store_in_txn(st) && store_job_by_id(st, a->id, a) == 0 && a->total == 3,
	    "aborted; the job reloaded");
}

static void
test_outcomes(store *st, struct store_job *a)
{
	static const char err[] = "killed\0by\xff signal";
	static const uint8_t res[] = { 0x82, 0xa1, 'k', 0x01, 0xa1, 'z', 0xc4, 0x02, 0x00, 0xff };
	static const char tail[] = "first\nlast \x1b words\0\xff";
	struct store_outcome o, ok2;
	struct store_task t[8];
	struct store_job got;
	struct seen s;
	uint64_t before[OUT__COUNT];
	int n, stop = 0;

	memset(&o, 0, sizeof o);
	o.status = OUT_CRASHED;
	o.attempts = 2;
	o.duration_ms = 17;
	o.finished_ms = 1700000000123ull;
	o.signal = 11;
	o.exit_code = -1;
	o.error = err;
	o.error_len = sizeof err - 1;
	o.result = res;
	o.result_len = sizeof res;
	o.tail = tail;
	o.tail_len = sizeof tail - 1;
	ok(store_begin(st) == 0 && store_outcome_put(st, a, 2, &o) == 0 && a->count[OUT_CRASHED] == 1,
	    "an outcome recorded and counted");
	memcpy(before, a->count, sizeof before);
	ok2 = o;
	ok2.status = OUT_OK;
	is_int(store_outcome_put(st, a, 2, &ok2), 1, "a second outcome for the task: 1");
	ok(memcmp(before, a->count, sizeof before) == 0, "and the counts are unchanged");
	o.status = OUT__COUNT;
	ok(store_outcome_put(st, a, 1, &o) < 0 && errno == EINVAL, "an unknown status: EINVAL");
	o.status = OUT_CRASHED;
	ok(store_task_attempts(st, a->id, 3, 1, 0) == 0, "an attempt charged to seq 3");
	ok(store_task_attempts(st, a->id, 999, 1, 0) < 0, "an attempt on no task: -1");
	ok(store_in_txn(st) && store_job_put(st, a) == 0 && store_commit(st) == 0,
	    "the failed calls did not spoil the transaction");
	is_int(pending_count(st, a->id), 2, "pending shrank to 2");
	n = store_pending(st, a->id, 0, t, 8);
	ok(n == 2 && t[0].seq == 1 && t[1].seq == 3 && t[1].attempts == 1,
	    "pending skips the done one and keeps attempts");
	free_tasks(t, n);

	memset(&s, 0, sizeof s);
	s.seq = 2;
	s.path = "new\nline\xff\xfe";
	s.len = 11;
	s.o = &o;
	ok(store_results_each(st, a->id, results_check, &s) == 0 && s.match,
	    "results: the outcome joined to its path, every field and byte exact (stderr too)");
	ok(s.with == 1 && s.without == 2, "results: 1 with an outcome, 2 pending (NULL)");
	ok(store_results_each(st, a->id, results_stop, &stop) == 0 && stop == 2,
	    "results: non-zero from fn stops");
	ok(store_job_by_name(st, "alpha", &got) == 0 && got.count[OUT_CRASHED] == 1 && got.total == 3,
	    "the job record holds the counts");
}

static void
test_abort_and_readers(store *st, struct store_job *a)
{
	struct store_job got;
	uint64_t seq;

	ok(store_begin(st) == 0 && store_task_add(st, a, "ghost", 5, 1, &seq) == 0 &&
	    store_job_put(st, a) == 0, "a task added and the job put");
	store_abort(st);
	ok(store_job_by_name(st, "alpha", &got) == 0 && got.total == 3 && got.next_seq == 4,
	    "abort: the job record is as committed");
	is_int(pending_count(st, a->id), 2, "abort: the task is not pending");
	*a = got;
	ok(store_begin(st) == 0 && store_task_add(st, a, "ghost", 5, 1, &seq) == 0 && seq == 4,
	    "abort: the path is unknown again");
	store_abort(st);
	*a = got;

	ok(store_begin(st) == 0 && store_task_add(st, a, "uncommitted", 11, 1, &seq) == 0,
	    "the owner holds a write transaction");
	is_int(in_child(reader_mid_txn, NULL), 0,
	    "a reader in another process sees the last commit only, and cannot write");
	store_abort(st);
	*a = got;
}

static void
test_keys(store *st, struct store_job *a)
{
	struct store_job k, j2, far;
	struct store_task t[8];
	uint64_t seq;
	int n, i, ok_all = 1;

	/* Seqs either side of byte boundaries: numeric order only if the
	 * keys are big-endian. */
	memset(&k, 0, sizeof k);
	snprintf(k.name, sizeof k.name, "keys");
	ok(store_begin(st) == 0 && store_job_put(st, &k) == 0, "a job for key order");
	k.next_seq = 65536;
	ok_all &= store_task_add(st, &k, "s65536", 6, 1, &seq) == 0 && seq == 65536;
	k.next_seq = 256;
	ok_all &= store_task_add(st, &k, "s256", 4, 1, &seq) == 0 && seq == 256;
	k.next_seq = 255;
	ok_all &= store_task_add(st, &k, "s255", 4, 1, &seq) == 0 && seq == 255;
	k.next_seq = 65537;
	ok(ok_all && store_job_put(st, &k) == 0 && store_commit(st) == 0, "seqs 65536, 256, 255 added");
	n = store_pending(st, k.id, 0, t, 8);
	ok(n == 3 && t[0].seq == 255 && t[1].seq == 256 && t[2].seq == 65536, "seq 255 < 256 < 65536");
	free_tasks(t, n);
	n = store_pending(st, k.id, 255, t, 8);
	ok(n == 2 && t[0].seq == 256, "after 255 comes 256");
	free_tasks(t, n);

	/* Jobs 256 and 257 sort after job 1..255 only if ids are
	 * big-endian; no job's range may reach into another's. */
	ok(store_begin(st) == 0, "begin");
	memset(&far, 0, sizeof far);
	memset(&j2, 0, sizeof j2);
	for (i = 0; far.id < 257 && i < 300; i++) {
		memset(&far, 0, sizeof far);
		snprintf(far.name, sizeof far.name, "filler%d", i);
		if (store_job_put(st, &far) < 0)
			break;
		if (far.id == 256)
			j2 = far;
	}
	ok(far.id == 257 && j2.id == 256, "jobs 256 and 257 exist");
	ok(store_task_add(st, &j2, "x", 1, 1, &seq) == 0 && store_task_add(st, &far, "y", 1, 1, &seq) == 0 &&
	    store_task_add(st, &far, "x", 1, 1, &seq) == 0, "the same paths in other jobs are new");
	ok(store_job_put(st, &j2) == 0 && store_job_put(st, &far) == 0 && store_commit(st) == 0, "committed");
	is_int(pending_count(st, a->id), 2, "job 1 still has its 2 pending");
	is_int(pending_count(st, 256), 1, "job 256 has 1");
	is_int(pending_count(st, 257), 2, "job 257 has 2");
	{
		struct seen s;

		memset(&s, 0, sizeof s);
		store_results_each(st, 256, results_check, &s);
		ok(s.with + s.without == 1, "results of job 256 stay in its range");
	}
}

static void
test_bulk(store *st)
{
	struct store_job m, got;
	struct store_task t[256];
	struct store_outcome o;
	char path[64];
	uint64_t seq, after;
	int i, n, bad = 0;

	memset(&m, 0, sizeof m);
	snprintf(m.name, sizeof m.name, "many");
	ok(store_begin(st) == 0 && store_job_put(st, &m) == 0, "a job for 10,000 tasks");
	for (i = 0; i < 10000; i++) {
		snprintf(path, sizeof path, "many/%05d", i);
		bad += store_task_add(st, &m, path, strlen(path), 1, &seq) != 0;
	}
	ok(bad == 0 && store_job_put(st, &m) == 0 && store_commit(st) == 0, "10,000 tasks in one commit");
	is_int(pending_count(st, m.id), 10000, "10,000 pending");

	memset(&o, 0, sizeof o);
	o.exit_code = -1;
	o.attempts = 1;
	ok(store_begin(st) == 0, "begin");
	/* Paged as dispatch does, inside the transaction that records. */
	for (after = 0; (n = store_pending(st, m.id, after, t, 256)) > 0;) {
		for (i = 0; i < n; i++) {
			bad += store_outcome_put(st, &m, t[i].seq, &o) != 0;
			after = t[i].seq;
		}
		free_tasks(t, n);
	}
	ok(n == 0 && bad == 0 && store_job_put(st, &m) == 0 && store_commit(st) == 0,
	    "10,000 outcomes in one commit");
	is_int(pending_count(st, m.id), 0, "none pending");
	ok(store_job_by_id(st, m.id, &got) == 0 && got.count[OUT_OK] == 10000 && got.total == 10000,
	    "the job counts 10,000 ok of 10,000");
	store_trim(st);
	ok(store_job_by_id(st, m.id, &got) == 0 && got.total == 10000, "reads work after store_trim");
}

static void
test_reopen(struct store_job *a)
{
	struct store_job got, n;
	struct walk w;
	const char *why;
	store *st;

	st = store_open(dir, STORE_READ, &why);
	ok(st != NULL, "reopened read-only");
	ok(st && store_job_by_name(st, "alpha", &got) == 0 && got.total == 3 &&
	    got.count[OUT_CRASHED] == 1 && pending_count(st, a->id) == 2, "job alpha as it was");
	ok(st && store_job_by_name(st, "many", &got) == 0 && got.count[OUT_OK] == 10000,
	    "job many as it was");
	memset(&w, 0, sizeof w);
	w.st = st;
	w.stop_at = 1;
	ok(st && store_jobs_each(st, jobs_collect, &w) == 0 && w.pending == 2,
	    "a read inside a jobs_each callback works");
	ok(st && store_begin(st) < 0, "a reader cannot begin a write");
	ok(st && store_owned(st) == 0, "no owner now");
	store_close(st);

	st = store_open(dir, STORE_WRITE, &why);
	memset(&n, 0, sizeof n);
	snprintf(n.name, sizeof n.name, "after-reopen");
	ok(st && store_begin(st) == 0 && store_job_put(st, &n) == 0 && store_commit(st) == 0 &&
	    n.id == 259, "reopened as owner: the id counter goes on (%u)", n.id);
	store_close(st);
}

/* Writes key -> val into db of the environment in d, the way a damaged or
 * foreign state directory would look. The store must be closed: LMDB
 * wants one environment per file per process. */
static int
raw_put(const char *d, const char *db, const void *key, size_t klen, const void *val, size_t vlen)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
	int rc;

	if (mdb_env_create(&env) != 0)
		return -1;
	mdb_env_set_maxdbs(env, 8);
	rc = mdb_env_open(env, d, 0, 0600);
	if (rc == 0)
		rc = mdb_txn_begin(env, NULL, 0, &txn);
	if (rc == 0) {
		rc = mdb_dbi_open(txn, db, 0, &dbi);
		if (rc == 0)
			rc = mdb_put(txn, dbi, &k, &v, 0);
		rc = rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
	}
	mdb_env_close(env);
	return rc ? -1 : 0;
}

static void
test_damage(struct store_job *a)
{
	uint8_t tk[12] = { 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 };	/* job 1, seq 1 */
	uint8_t jk[4] = { 0, 0, 0, 2 };
	struct store_task t[4];
	struct store_job got;
	struct seen s;
	const char *why;
	store *st;

	ok(raw_put(dir, "tasks", tk, 12, "\xc1garbage", 8) == 0, "a task record damaged by hand");
	ok(raw_put(dir, "jobs", jk, 4, "\x93\x01", 2) == 0, "a job record damaged by hand");
	st = store_open(dir, STORE_READ, &why);
	ok(st != NULL, "opened");
	if (st == NULL)
		return;
	ok(store_pending(st, a->id, 0, t, 4) < 0 && errno == EBADMSG, "pending: a damaged task is EBADMSG");
	ok(strstr(store_strerror(st), "damaged") != NULL, "store_strerror: %s", store_strerror(st));
	memset(&s, 0, sizeof s);
	ok(store_results_each(st, a->id, results_check, &s) < 0, "results: -1");
	ok(store_job_by_id(st, 2, &got) < 0 && errno == EBADMSG, "a damaged job: -1");
	ok(store_job_by_id(st, 1, &got) == 0, "the other records still read");
	store_close(st);
}

static void
test_format(void)
{
	const char *why = "";
	uint8_t other[4] = { 0, 0, 0, 99 };

	ok(raw_put(dir, "meta", "format", 6, other, 4) == 0, "format 99 written by hand");
	ok(store_open(dir, STORE_WRITE, &why) == NULL && errno == EPROTO && strstr(why, "format"),
	    "write: another format is EPROTO (%s)", why);
	ok(store_open(dir, STORE_READ, &why) == NULL && errno == EPROTO, "read: likewise");
}

/* A reader opened while the map was small keeps reading after the owner
 * grew it: LMDB says MDB_MAP_RESIZED, and the reader adopts the size. */
static int
reader_after_growth(void *arg)
{
	int *fds = arg;
	const char *why;
	store *rd = store_open(dir, STORE_READ, &why);
	int64_t n;
	char c;

	if (rd == NULL || pending_count(rd, 1) != 0)
		return 1;
	if (write(fds[1], "r", 1) != 1 || read(fds[0], &c, 1) != 1)
		return 2;
	n = pending_count(rd, 1);
	store_close(rd);
	return n == 25000 ? 0 : 3;
}

static void
test_growth(void)
{
	struct store_job g;
	char path[64];
	const char *why;
	uint64_t seq, size0;
	int i, tries, r, bad, up[2], down[2], fds[2];
	pid_t pid;
	static store *st;	/* static: the forked reader still reaches it, for memcheck */
	char c;

	snprintf(dir, sizeof dir, "%s/small", top);
	setenv("CORRAL_MAPSIZE", "1048576", 1);
	setenv("CORRAL_NOSYNC", "1", 1);
	st = store_open(dir, STORE_WRITE, &why);
	ok(st != NULL, "a 1 MiB map (CORRAL_MAPSIZE), no sync (CORRAL_NOSYNC)");
	if (st == NULL)
		return;
	memset(&g, 0, sizeof g);
	snprintf(g.name, sizeof g.name, "grow");
	ok(store_begin(st) == 0 && store_job_put(st, &g) == 0 && store_commit(st) == 0, "a job");
	size0 = store_size(st);

	if (pipe(up) < 0 || pipe(down) < 0)
		return;
	fds[0] = down[0];
	fds[1] = up[1];
	pid = fork();
	if (pid == 0)
		_exit(reader_after_growth(fds));
	ok(read(up[0], &c, 1) == 1, "a reader opened the 1 MiB map");

	/* 20,000 tasks in one transaction overflow 1 MiB: the transaction
	 * fails, and the next one begins with a larger map. */
	for (tries = 0; tries < 8; tries++) {
		struct store_job j = g;

		bad = store_begin(st) < 0;
		for (i = 0; !bad && i < 20000; i++) {
			snprintf(path, sizeof path, "grow/%05d", i);
			bad = store_task_add(st, &j, path, strlen(path), 1, &seq) < 0;
		}
		if (!bad && store_job_put(st, &j) == 0 && store_commit(st) == 0) {
			g = j;
			break;
		}
		if (tries == 0)
			ok(errno == ENOSPC && strstr(store_strerror(st), "MDB_MAP_FULL"),
			    "the first try fails cleanly: ENOSPC, %s", store_strerror(st));
		store_abort(st);
	}
	ok(tries > 0 && tries < 8 && g.total == 20000, "committed after %d growths", tries);
	ok(store_size(st) > size0 && store_size(st) > (1 << 20), "the file grew past 1 MiB (%llu)",
	    (unsigned long long)store_size(st));
	is_int(pending_count(st, g.id), 20000, "all 20,000 pending");
	/* The map is now over half full: the next begin remaps, so 5,000
	 * more tasks, which would not fit in what is left, go in at once. */
	bad = store_begin(st) < 0;
	for (i = 0; !bad && i < 5000; i++) {
		snprintf(path, sizeof path, "more/%05d", i);
		bad = store_task_add(st, &g, path, strlen(path), 1, &seq) < 0;
	}
	ok(!bad && store_commit(st) == 0, "past half full, a begin grows the map before it is full");

	ok(write(down[1], "w", 1) == 1, "the reader reads again");
	waitpid(pid, &r, 0);
	ok(WIFEXITED(r) && WEXITSTATUS(r) == 0, "a reader opened at 1 MiB reads after the growth (%d)",
	    WIFEXITED(r) ? WEXITSTATUS(r) : -1);
	store_close(st);
	if (map_kept[0])
		setenv("CORRAL_MAPSIZE", map_kept, 1);
	else
		unsetenv("CORRAL_MAPSIZE");
	unsetenv("CORRAL_NOSYNC");
	close(up[0]), close(up[1]), close(down[0]), close(down[1]);
}

/* The status seq gets in a mixed job: every seventh none (pending, with an
 * attempt charged), the others the five outcomes in turn. */
static int
mixed_status(uint64_t seq)
{
	return seq % 7 == 0 ? -1 : (int)(seq % OUT__COUNT);
}

/* A job of n tasks "NAME/SEQ" with mixed_status outcomes; a crash or a
 * timeout had two attempts charged to its task first. */
static int
make_mixed(store *st, struct store_job *j, const char *name, int n)
{
	struct store_outcome o;
	char path[64];
	uint64_t seq;
	int i, bad = store_begin(st) < 0, s;

	memset(j, 0, sizeof *j);
	snprintf(j->name, sizeof j->name, "%s", name);
	bad |= store_job_put(st, j) < 0;
	memset(&o, 0, sizeof o);
	o.exit_code = -1;
	for (i = 0; !bad && i < n; i++) {
		snprintf(path, sizeof path, "%s/%05d", name, i + 1);
		bad |= store_task_add(st, j, path, strlen(path), 1, &seq) != 0;
		if ((s = mixed_status(seq)) < 0) {
			bad |= store_task_attempts(st, j->id, seq, 1, 0) < 0;
			continue;
		}
		if (s == OUT_CRASHED || s == OUT_TIMEOUT)
			bad |= store_task_attempts(st, j->id, seq, 2, 0) < 0;
		o.status = s;
		bad |= store_outcome_put(st, j, seq, &o) != 0;
	}
	bad |= store_job_put(st, j) < 0 || store_commit(st) < 0;
	return bad ? -1 : 0;
}

/* Rows of db in the environment d whose key starts with prefix. The store
 * must be closed (one environment per file per process). */
static int64_t
raw_rows(const char *d, const char *db, const void *prefix, size_t len)
{
	MDB_env *env;
	MDB_txn *txn = NULL;
	MDB_cursor *c;
	MDB_dbi dbi;
	MDB_val k = { len, (void *)prefix }, v;
	int64_t n = -1;
	int rc;

	if (mdb_env_create(&env) != 0)
		return -1;
	mdb_env_set_maxdbs(env, 8);
	if (mdb_env_open(env, d, MDB_RDONLY, 0600) == 0 &&
	    mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) == 0 && mdb_dbi_open(txn, db, 0, &dbi) == 0 &&
	    mdb_cursor_open(txn, dbi, &c) == 0) {
		for (n = 0, rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		    rc == 0 && k.mv_size >= len && memcmp(k.mv_data, prefix, len) == 0;
		    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
			n++;
		mdb_cursor_close(c);
	}
	if (txn)
		mdb_txn_abort(txn);
	mdb_env_close(env);
	return n;
}

/* Rows of job in the four databases keyed by it: tasks, paths, pending,
 * results. */
static int64_t
raw_job_rows(const char *d, uint32_t job)
{
	static const char *const dbs[] = { "tasks", "paths", "pending", "results" };
	uint8_t k[4] = { job >> 24, job >> 16 & 0xff, job >> 8 & 0xff, job & 0xff };
	int64_t n, total = 0;
	size_t i;

	for (i = 0; i < 4; i++) {
		if ((n = raw_rows(d, dbs[i], k, 4)) < 0)
			return -1;
		total += n;
	}
	return total;
}

/* What a paging reader saw: times each seq was visited, in what order. */
struct pages {
	uint8_t seen[10001];
	const char *name;	/* the job's paths are "NAME/SEQ" */
	uint64_t prev;
	unsigned mask;
	int calls, stop_at, wrong;
};

static int
page_visit(uint64_t seq, const char *path, size_t len, const struct store_outcome *o, void *arg)
{
	struct pages *p = arg;
	char want[64];

	snprintf(want, sizeof want, "%s/%05llu", p->name, (unsigned long long)seq);
	p->wrong += seq <= p->prev || seq >= sizeof p->seen || len != strlen(want) ||
	    memcmp(path, want, len) != 0 || (p->mask && (o == NULL || !(p->mask & 1u << o->status)));
	p->prev = seq;
	if (seq < sizeof p->seen)
		p->seen[seq]++;
	return ++p->calls == p->stop_at;
}

/* Pages through job max at a time, each page going on from the last one's
 * *last, until a page ends where it began. The number of pages, or -1. */
static int
page_all(store *st, uint32_t job, int max, unsigned mask, struct pages *p)
{
	uint64_t after = 0, last;
	int n, pages = 0;

	p->mask = mask;
	do {
		n = store_results_page(st, job, after, max, mask, page_visit, p, &last);
		if (n < 0 || n > max || last < after || (last == after && n != 0) || ++pages > 100000)
			return -1;
	} while (last != after && (after = last, 1));
	return pages;
}

/* Whether each seq of 1..n was visited once if it matches mask (mixed
 * statuses; 0: every task), else never. */
static int
pages_exact(const struct pages *p, int n, unsigned mask)
{
	uint64_t seq;
	int s;

	for (seq = 1; seq <= (uint64_t)n; seq++) {
		s = mixed_status(seq);
		if (p->seen[seq] != (!mask || (s >= 0 && mask & 1u << s)))
			return 0;
	}
	return p->wrong == 0;
}

static void
test_page(store *st)
{
	static struct pages p;
	struct store_job m, sparse, empty;
	struct store_outcome o;
	struct seen s;
	char path[64];
	unsigned fail = 1u << OUT_FAILED, bad = 1u << OUT_CRASHED | 1u << OUT_TIMEOUT;
	uint64_t seq, last;
	int i, n, err = 0;

	ok(make_mixed(st, &m, "paged", 3000) == 0, "a job of 3,000 tasks, mixed outcomes");
	memset(&p, 0, sizeof p);
	p.name = "paged";
	n = page_all(st, m.id, 7, 0, &p);
	ok(n > 1 && pages_exact(&p, 3000, 0), "mask 0, 7 a page: every task once, in order (%d pages)", n);
	memset(&s, 0, sizeof s);
	ok(store_results_each(st, m.id, results_check, &s) == 0 && p.calls == s.with + s.without,
	    "... as many as store_results_each gives (%d)", s.with + s.without);
	memset(&p, 0, sizeof p);
	p.name = "paged";
	ok(page_all(st, m.id, 5, fail, &p) > 1 && pages_exact(&p, 3000, fail) && p.calls == (int)m.count[OUT_FAILED],
	    "mask failed: each failed task once (%d), nothing else", p.calls);
	memset(&p, 0, sizeof p);
	p.name = "paged";
	ok(page_all(st, m.id, 3, bad, &p) > 1 && pages_exact(&p, 3000, bad) &&
	    p.calls == (int)(m.count[OUT_CRASHED] + m.count[OUT_TIMEOUT]),
	    "mask crashed|timeout: each once (%d)", p.calls);

	memset(&p, 0, sizeof p);
	p.name = "paged";
	p.stop_at = 3;
	n = store_results_page(st, m.id, 0, 10, 0, page_visit, &p, &last);
	ok(n == 3 && last == 3, "fn returning non-zero ends the page at its task");
	p.stop_at = 0;
	p.prev = 0;
	ok(store_results_page(st, m.id, last, 1, 0, page_visit, &p, &last) == 1 && p.prev == 4 && last == 4,
	    "and the next page goes on after it");
	n = store_results_page(st, m.id, 3000, 10, 0, page_visit, &p, &last);
	ok(n == 0 && last == 3000, "after the last task: 0, *last unchanged (the end)");
	n = store_results_page(st, m.id, 1000000, 10, 0, page_visit, &p, &last);
	ok(n == 0 && last == 1000000, "after far beyond the end: the end");
	n = store_results_page(st, m.id, UINT64_MAX, 10, 0, page_visit, &p, &last);
	ok(n == 0 && last == UINT64_MAX, "after UINT64_MAX: the end");
	ok(store_results_page(st, m.id, 0, 0, 0, page_visit, &p, &last) < 0 && errno == EINVAL, "max 0: EINVAL");
	ok(store_results_page(st, 99999, 0, 10, 0, page_visit, &p, &last) < 0 && errno == ENOENT && last == 0,
	    "a missing job: ENOENT");

	memset(&empty, 0, sizeof empty);
	snprintf(empty.name, sizeof empty.name, "empty");
	ok(store_begin(st) == 0 && store_job_put(st, &empty) == 0 && store_commit(st) == 0, "a job with no tasks");
	n = store_results_page(st, empty.id, 0, 10, 0, page_visit, &p, &last);
	ok(n == 0 && last == 0, "its page is the end at once");
	n = store_results_page(st, empty.id, 0, 10, fail, page_visit, &p, &last);
	ok(n == 0 && last == 0, "... with a mask too");

	/* One failure in 10,000: a page stops after STORE_CHUNK tasks
	 * examined, with *last moved on, instead of walking them all. */
	memset(&sparse, 0, sizeof sparse);
	snprintf(sparse.name, sizeof sparse.name, "sparse");
	memset(&o, 0, sizeof o);
	o.exit_code = -1;
	err = store_begin(st) < 0 || store_job_put(st, &sparse) < 0;
	for (i = 1; !err && i <= 10000; i++) {
		snprintf(path, sizeof path, "sparse/%05d", i);
		o.status = i == 9000 ? OUT_FAILED : OUT_OK;
		err = store_task_add(st, &sparse, path, strlen(path), 1, &seq) != 0 ||
		    store_outcome_put(st, &sparse, seq, &o) != 0;
	}
	ok(!err && store_job_put(st, &sparse) == 0 && store_commit(st) == 0, "a job of 10,000, seq 9000 failed");
	memset(&p, 0, sizeof p);
	p.name = "sparse";
	n = store_results_page(st, sparse.id, 0, 10, fail, page_visit, &p, &last);
	ok(n == 0 && last == STORE_CHUNK, "a page examines at most STORE_CHUNK: 0 found, *last %llu",
	    (unsigned long long)last);
	memset(&p, 0, sizeof p);
	p.name = "sparse";
	n = page_all(st, sparse.id, 10, fail, &p);
	ok(n == 4 && p.calls == 1 && p.seen[9000] == 1 && p.wrong == 0,
	    "paging finds the one failure, in %d pages", n);
	memset(&p, 0, sizeof p);
	p.name = "sparse";
	n = store_results_page(st, sparse.id, 0, 5000, 0, page_visit, &p, &last);
	ok(n == 5000 && last == 5000 && p.wrong == 0, "a max above STORE_CHUNK is served whole");
}

static void
test_retry(store *st)
{
	struct store_job r, other, got, before;
	struct store_task t[256];
	struct store_outcome o;
	struct seen s;
	unsigned mask = 1u << OUT_FAILED | 1u << OUT_CRASHED;
	uint64_t after = 0, n, total = 0, want, seq, prev;
	int64_t pending0, other_pending;
	int i, rc, calls = 0, wrong = 0, zeroed = 0, kept = 0, bad = 0;

	ok(make_mixed(st, &r, "retried", 6000) == 0 && make_mixed(st, &other, "bystander", 500) == 0,
	    "a job of 6,000 mixed outcomes, and another");
	before = r;
	want = r.count[OUT_FAILED] + r.count[OUT_CRASHED];
	pending0 = pending_count(st, r.id);
	other_pending = pending_count(st, other.id);
	ok(store_retry(st, &r, mask, &after, &n) < 0 && errno == EINVAL, "outside a transaction: EINVAL");
	ok(store_begin(st) == 0 && store_retry(st, &r, 0, &after, &n) < 0 && errno == EINVAL,
	    "no status in mask: EINVAL");
	store_abort(st);

	do {
		if (store_begin(st) < 0)
			break;
		rc = store_retry(st, &r, mask, &after, &n);
		total += n;
		calls++;
		if (store_job_put(st, &r) < 0 || store_commit(st) < 0)
			rc = -1;
	} while (rc == 1 && calls < 100);
	ok(rc == 0 && calls == 2, "retry in chunks, a commit after each: %d calls", calls);
	ok(total == want, "requeued the failed and crashed: %llu of %llu", (unsigned long long)total,
	    (unsigned long long)want);
	ok(r.count[OUT_FAILED] == 0 && r.count[OUT_CRASHED] == 0 && r.count[OUT_OK] == before.count[OUT_OK] &&
	    r.count[OUT_TIMEOUT] == before.count[OUT_TIMEOUT] && r.count[OUT_SKIPPED] == before.count[OUT_SKIPPED],
	    "their counts are 0, the others as they were");
	ok(store_job_by_id(st, r.id, &got) == 0 && memcmp(got.count, r.count, sizeof r.count) == 0,
	    "and the record says so");
	is_int(pending_count(st, r.id), pending0 + (int64_t)want, "pending grew by them");

	for (after = 0; (i = store_pending(st, r.id, after, t, 256)) > 0;) {
		while (i-- > 0) {
			seq = t[i].seq;
			after = after > seq ? after : seq;
			if (mixed_status(seq) < 0)
				kept += t[i].attempts == 1;
			else if (mask & 1u << mixed_status(seq))
				zeroed += t[i].attempts == 0;
			else
				wrong++;
			store_task_free(&t[i]);
		}
	}
	ok(wrong == 0 && zeroed == (int)want && kept == pending0,
	    "the requeued have no attempts charged; the never-done keep theirs");
	memset(&s, 0, sizeof s);
	ok(store_results_each(st, r.id, results_check, &s) == 0 &&
	    s.with == (int)(r.count[OUT_OK] + r.count[OUT_TIMEOUT] + r.count[OUT_SKIPPED] +
	    r.count[OUT_QUARANTINED]) &&
	    s.without == 6000 - s.with, "results: the requeued have no outcome");

	after = 0;
	ok(store_begin(st) == 0 && store_retry(st, &r, mask, &after, &n) == 0 && n == 0 && store_commit(st) == 0,
	    "a second retry finds nothing");
	/* Each call goes on from *after: a mask that matches nothing among
	 * 10,000 outcomes still ends, STORE_CHUNK at a time. */
	ok(store_job_by_name(st, "sparse", &got) == 0, "the job of 10,000");
	after = 0;
	calls = wrong = 0;
	do {
		prev = after;
		rc = store_begin(st) < 0 ? -1 : store_retry(st, &got, 1u << OUT_SKIPPED, &after, &n);
		wrong += n != 0 || after <= prev;
		store_abort(st);
	} while (rc == 1 && ++calls < 100);
	ok(rc == 0 && calls == 2 && wrong == 0 && after == 10000,
	    "a mask that matches nothing moves on: %d calls, *after %llu", calls + 1, (unsigned long long)after);
	ok(store_job_by_id(st, other.id, &got) == 0 && memcmp(got.count, other.count, sizeof got.count) == 0 &&
	    pending_count(st, other.id) == other_pending, "the other job is untouched");

	/* The requeued run again: their new outcomes are recorded, not refused
	 * as seconds. */
	memset(&o, 0, sizeof o);
	o.exit_code = -1;
	bad = store_begin(st) < 0;
	for (seq = 1; !bad && seq <= 6000; seq++)
		if (mixed_status(seq) >= 0 && mask & 1u << mixed_status(seq))
			bad = store_outcome_put(st, &r, seq, &o) != 0;
	ok(!bad && store_job_put(st, &r) == 0 && store_commit(st) == 0 &&
	    r.count[OUT_OK] == before.count[OUT_OK] + want && pending_count(st, r.id) == pending0,
	    "the requeued get new outcomes, counted once");
}

/* An outcome keeps the file's size and mtime (z, m); store_requeue_if
 * requeues the tasks its pick names, given each one's path. */
struct pick_log {
	int calls, nopath;
};

static int
pick_b(const struct store_outcome *o, const char *path, size_t plen, void *arg)
{
	struct pick_log *l = arg;

	l->calls++;
	if (path == NULL || !o->has_stat || o->size != plen * 100 || o->mtime_ns != 7000000000123ull)
		l->nopath++;
	return plen == 6 && memcmp(path, "stat/b", 6) == 0;
}

static int
stat_check(uint64_t seq, const char *path, size_t plen, const struct store_outcome *o, void *arg)
{
	int *bad = arg;

	(void)seq;
	if (o != NULL && o->status == OUT_SKIPPED)
		*bad += o->has_stat;
	else if (o != NULL && (!o->has_stat || o->size != plen * 100 || o->mtime_ns != 7000000000123ull))
		++*bad;
	if (o == NULL && !(plen == 6 && memcmp(path, "stat/b", 6) == 0))
		++*bad;
	return 0;
}

static void
test_requeue_if(store *st)
{
	static const char *const paths[] = { "stat/a", "stat/b", "stat/cc", "stat/skip" };
	struct store_job j, got;
	struct store_outcome o;
	struct pick_log l = { 0, 0 };
	uint64_t seq, after = 0, n = 0;
	int i, bad;

	memset(&j, 0, sizeof j);
	snprintf(j.name, sizeof j.name, "stat");
	bad = store_begin(st) < 0 || store_job_put(st, &j) < 0;
	for (i = 0; !bad && i < 4; i++) {
		memset(&o, 0, sizeof o);
		o.exit_code = -1;
		o.status = i == 3 ? OUT_SKIPPED : OUT_OK;
		if (i < 3) {	/* a skipped file was never opened */
			o.has_stat = 1;
			o.size = strlen(paths[i]) * 100;
			o.mtime_ns = 7000000000123ull;
		}
		bad = store_task_add(st, &j, paths[i], strlen(paths[i]), 1, &seq) != 0 ||
		    store_outcome_put(st, &j, seq, &o) != 0;
	}
	ok(!bad && store_job_put(st, &j) == 0 && store_commit(st) == 0, "a job of 4 outcomes, 3 with z and m");
	ok(store_begin(st) == 0 && store_requeue_if(st, &j, pick_b, &l, &after, &n) == 0 &&
	    store_job_put(st, &j) == 0 && store_commit(st) == 0, "store_requeue_if: one call, done");
	ok(l.calls == 4 && l.nopath == 1, "pick saw each outcome with its path, z and m read back "
	    "(absent for the skipped one): %d calls, %d without", l.calls, l.nopath);
	ok(n == 1 && after == 4 && j.count[OUT_OK] == 2 && j.count[OUT_SKIPPED] == 1,
	    "the picked one requeued, out of the counts");
	ok(store_job_by_id(st, j.id, &got) == 0 && got.count[OUT_OK] == 2, "... and the record says so");
	is_int(pending_count(st, j.id), 1, "it is pending");
	bad = 0;
	ok(store_results_each(st, j.id, stat_check, &bad) == 0 && bad == 0,
	    "it has no outcome; the others keep theirs, z and m with them");
}

static int
delete_all(store *st, const struct store_job *j, int commit_each)
{
	int r, calls = 0;

	do {
		if (store_begin(st) < 0)
			return -1;
		r = store_job_delete(st, j);
		calls++;
		if (commit_each && store_commit(st) < 0)
			return -1;
	} while (r == 1 && calls < 1000);
	if (!commit_each && store_commit(st) < 0)
		return -1;
	return r == 0 ? calls : -1;
}

static void
test_delete(store **stp, const char *d)
{
	store *st = *stp;
	struct store_job before, doomed, after, got, ghost, twin, twin2, again;
	struct seen s;
	uint64_t seq, last;
	int64_t rows_before, rows_after;
	const char *why;
	uint32_t id = 0;
	int r, calls, found;

	ok(make_mixed(st, &before, "before", 300) == 0 && make_mixed(st, &doomed, "doomed", 5000) == 0 &&
	    make_mixed(st, &after, "after", 300) == 0 && doomed.id == before.id + 1 && after.id == doomed.id + 1,
	    "a job of 5,000 mixed outcomes between two of 300");
	ok(store_job_delete(st, &doomed) < 0 && errno == EINVAL, "outside a transaction: EINVAL");

	/* All in one transaction, then aborted: nothing changed. */
	ok(store_begin(st) == 0, "begin");
	for (calls = 1; (r = store_job_delete(st, &doomed)) == 1 && calls < 100; calls++)
		;
	ok(r == 0 && calls > 1 && store_job_by_name(st, "doomed", &got) == 1 && pending_count(st, doomed.id) == 0,
	    "deleted in one transaction, %d calls", calls);
	store_abort(st);
	ok(store_job_by_name(st, "doomed", &got) == 0 && got.total == 5000 &&
	    pending_count(st, doomed.id) == 714, "aborted: all of it still there");

	/* Chunked, and the owner dies after the first commit. */
	ok(store_begin(st) == 0 && store_job_delete(st, &doomed) == 1 && store_commit(st) == 0,
	    "the first chunk committed, more to delete");
	ok(store_job_by_name(st, "doomed", &got) == 1 && store_job_by_id(st, doomed.id, &got) == 1,
	    "from then on no read finds the job");
	ok(store_results_page(st, doomed.id, 0, 10, 0, results_stop, &r, &last) < 0 && errno == ENOENT,
	    "paging it: ENOENT");
	store_close(st);
	*stp = st = store_open(d, STORE_WRITE, &why);
	ok(st && store_job_leftover(st, &id) == 0 && id == doomed.id, "a new owner finds the leftover job %u", id);
	if (st == NULL)
		return;
	memset(&ghost, 0, sizeof ghost);
	ghost.id = id;
	/* Whenever it stops, what is left must still be found. */
	for (calls = 0, found = 1; (r = store_begin(st) < 0 ? -1 : store_job_delete(st, &ghost)) == 1 &&
	    calls < 100; calls++)
		found &= store_commit(st) == 0 && store_job_leftover(st, &id) == 0 && id == doomed.id;
	ok(r == 0 && store_commit(st) == 0 && calls > 1 && found,
	    "and deletes the rest by its id, found again after each of %d chunks", calls + 1);
	is_int(store_job_leftover(st, &id), 1, "nothing is left over");
	is_int(pending_count(st, doomed.id), 0, "pending: none");
	memset(&s, 0, sizeof s);
	ok(store_results_each(st, doomed.id, results_check, &s) == 0 && s.with + s.without == 0,
	    "results_each: nothing");
	ok(store_job_by_id(st, before.id, &got) == 0 && got.total == 300 && pending_count(st, before.id) == 42 &&
	    store_job_by_name(st, "after", &got) == 0 && got.id == after.id && pending_count(st, after.id) == 42,
	    "the jobs either side are untouched");
	ok(store_begin(st) == 0 && store_task_add(st, &ghost, "doomed/00001", 12, 1, &seq) == 0,
	    "the path index forgot its paths: one is new again");
	store_abort(st);
	is_int(delete_all(st, &ghost, 1), 1, "deleting it again: 0 at once");

	store_close(st);
	rows_before = raw_job_rows(d, before.id);
	rows_after = raw_job_rows(d, after.id);
	is_int(raw_job_rows(d, doomed.id), 0, "no row of it in tasks, paths, pending, results");
	is_int(raw_rows(d, "jobnames", "doomed", 6), 0, "nor its name in jobnames");
	ok(rows_before == 300 * 2 + 42 + 258 && rows_after == rows_before,
	    "the neighbours keep every row (%lld, %lld)", (long long)rows_before, (long long)rows_after);
	*stp = st = store_open(d, STORE_WRITE, &why);
	if (st == NULL)
		return;

	memset(&again, 0, sizeof again);
	snprintf(again.name, sizeof again.name, "doomed");
	ok(store_begin(st) == 0 && store_job_put(st, &again) == 0 && store_commit(st) == 0 &&
	    again.id > after.id && store_job_by_name(st, "doomed", &got) == 0 && got.id == again.id &&
	    got.total == 0, "the name is free for a new job, under a new id (%u)", again.id);

	/* A name taken over by a later job stays with it. */
	memset(&twin, 0, sizeof twin);
	snprintf(twin.name, sizeof twin.name, "twin");
	twin2 = twin;
	ok(store_begin(st) == 0 && store_job_put(st, &twin) == 0 && store_job_put(st, &twin2) == 0 &&
	    store_job_delete(st, &twin) == 0 && store_commit(st) == 0 &&
	    store_job_by_name(st, "twin", &got) == 0 && got.id == twin2.id,
	    "deleting a job whose name a later one took leaves that one's name");
}

static void
test_ops(void)
{
	char d[256];
	const char *why;
	store *st;

	snprintf(d, sizeof d, "%s/ops", top);
	st = store_open(d, STORE_WRITE, &why);
	ok(st != NULL, "a store for paging, retry and delete");
	if (st == NULL)
		return;
	test_page(st);
	test_retry(st);
	test_requeue_if(st);
	test_delete(&st, d);
	store_close(st);
}

/* Attempts and strikes (store_history.c): strikes in the task record,
 * attempt rows in order, a retry that moves the outcome into the history
 * and keeps or forgives strikes, the in-flight set turned into interrupted
 * attempts by the next owner, and the lookups `corral why` makes. */
struct tries {
	int n, last_status;
	uint32_t last_n, last_pid;
};

static int
count_attempt(uint32_t n, const struct store_outcome *o, void *arg)
{
	struct tries *s = arg;

	s->n++;
	s->last_n = n;
	s->last_status = o->status;
	s->last_pid = o->pid;
	return 0;
}

static int
take_outcome(const struct store_outcome *o, void *arg)
{
	struct store_outcome *out = arg;

	*out = *o;
	out->error = out->tail = NULL;
	out->result = NULL;
	out->sig.what = out->sig.wchan = NULL;
	return 0;
}

static void
test_history(void)
{
	char d[256];
	const char *why;
	struct store_job j;
	struct store_task t;
	struct store_outcome o, got;
	struct store_inflight f = { 0 };
	struct tries sn;
	uint64_t seq = 0, after = 0, n = 0;
	store *st;
	int r;

	snprintf(d, sizeof d, "%s/history", top);
	st = store_open(d, STORE_WRITE, &why);
	ok(st != NULL, "a store for the history");
	if (st == NULL)
		return;
	memset(&j, 0, sizeof j);
	snprintf(j.name, sizeof j.name, "hist");
	snprintf(j.handler, sizeof j.handler, "sha256");
	ok(store_begin(st) == 0 && store_job_put(st, &j) == 0 &&
	    store_task_add(st, &j, "a/poison", 8, 1, &seq) == 0 && store_task_add(st, &j, "a/held", 6, 1, NULL) == 0 &&
	    store_commit(st) == 0, "a job of two tasks");
	/* A crash retried: the attempt and the strike, durable. */
	memset(&o, 0, sizeof o);
	o.status = OUT_CRASHED;
	o.signal = 11;
	o.exit_code = -1;
	o.pid = 4242;
	o.strikes = 1;
	o.started_ms = 1000;
	o.sig.code = 2;
	o.sig.signal = 11;
	o.sig.has_progress = 1;
	o.sig.done = 7;
	o.sig.what = "entry";
	o.sig.what_len = 5;
	ok(store_begin(st) == 0 && store_task_attempts(st, j.id, seq, 1, 1) == 0 &&
	    store_attempt_put(st, j.id, seq, &o) == 0 && store_commit(st) == 0, "a crash charged and kept");
	ok(store_task_get(st, j.id, seq, &t) == 0 && t.attempts == 1 && t.strikes == 1 &&
	    strcmp(t.path, "a/poison") == 0, "the task record holds its strike");
	store_task_free(&t);
	memset(&sn, 0, sizeof sn);
	ok(store_attempts_each(st, j.id, seq, count_attempt, &sn) == 0 && sn.n == 1 && sn.last_n == 1 &&
	    sn.last_status == OUT_CRASHED && sn.last_pid == 4242, "its attempt is row 1, as written");
	/* The second crash quarantines it; a plain retry passes it over; a
	 * release moves the outcome into the history, strikes 0. */
	o.strikes = 2;
	o.status = OUT_QUARANTINED;
	ok(store_begin(st) == 0 && store_outcome_put(st, &j, seq, &o) == 0 && store_commit(st) == 0 &&
	    j.count[OUT_QUARANTINED] == 1, "quarantined: counted");
	ok(store_outcome_get(st, j.id, seq, take_outcome, &got) == 0 && got.strikes == 2 &&
	    got.sig.code == 2 && got.sig.signal == 11 && got.sig.has_progress && got.sig.done == 7,
	    "the outcome keeps strikes and signature");
	ok(store_begin(st) == 0 && store_retry(st, &j, STORE_RETRY_MASK, &after, &n) == 0 && n == 0 &&
	    store_commit(st) == 0, "a plain retry leaves it quarantined");
	after = 0;
	ok(store_begin(st) == 0 && store_retry(st, &j, 1u << OUT_QUARANTINED, &after, &n) == 0 && n == 1 &&
	    store_commit(st) == 0 && j.count[OUT_QUARANTINED] == 0, "a release requeues it");
	ok(store_task_get(st, j.id, seq, &t) == 0 && t.attempts == 0 && t.strikes == 0,
	    "released: no attempt, no strike");
	store_task_free(&t);
	memset(&sn, 0, sizeof sn);
	ok(store_attempts_each(st, j.id, seq, count_attempt, &sn) == 0 && sn.n == 2 && sn.last_n == 2 &&
	    sn.last_status == OUT_QUARANTINED, "the released outcome is attempt 2");
	ok(store_outcome_get(st, j.id, seq, take_outcome, &got) == 1, "and no outcome is left");
	/* What runs: the next owner turns it into an interrupted attempt. */
	f.job = j.id;
	f.seq = seq + 1;
	f.pid = 777;
	f.started_ms = 5000;
	ok(store_begin(st) == 0 && store_inflight_set(st, &f, 1) == 0 && store_commit(st) == 0,
	    "the in-flight set committed");
	ok(store_inflight_get(st, j.id, seq + 1, &f) == 0 && f.pid == 777, "read back");
	store_close(st);
	st = store_open(d, STORE_WRITE, &why);
	ok(st != NULL, "a new owner");
	if (st == NULL)
		return;
	memset(&sn, 0, sizeof sn);
	ok(store_attempts_each(st, j.id, seq + 1, count_attempt, &sn) == 0 && sn.n == 1 &&
	    sn.last_status == ATTEMPT_INTERRUPTED && sn.last_pid == 777, "an interrupted attempt, its pid");
	ok(store_inflight_get(st, j.id, seq + 1, &f) == 1, "and the set is empty");
	ok(store_task_get(st, j.id, seq + 1, &t) == 0 && t.attempts == 0 && t.strikes == 0,
	    "no attempt, no strike charged");
	store_task_free(&t);
	r = store_task_find(st, j.id, "a/held", 6, &n);
	ok(r == 0 && n == seq + 1, "a task found by its path");
	ok(store_task_find(st, j.id, "a/none", 6, &n) == 1, "a path it has not: 1");
	ok(strcmp(attempt_name(ATTEMPT_INTERRUPTED), "interrupted") == 0 &&
	    strcmp(attempt_name(OUT_QUARANTINED), "quarantined") == 0, "the attempts' names");
	store_close(st);
}

int
main(void)
{
	struct store_job a;
	const char *why;
	char cmd[300];
	store *st;

	/* Under memcheck, which maps less than the default 64 GiB, the map
	 * size make valgrind gives is kept. */
	if (getenv("CORRAL_VALGRIND") && getenv("CORRAL_MAPSIZE"))
		snprintf(map_kept, sizeof map_kept, "%s", getenv("CORRAL_MAPSIZE"));
	else
		unsetenv("CORRAL_MAPSIZE");
	unsetenv("CORRAL_NOSYNC");
	if (mkdtemp(top) == NULL)
		return 1;
	snprintf(dir, sizeof dir, "%s/st", top);
	test_open();
	st = store_open(dir, STORE_WRITE, &why);
	if (st == NULL) {
		ok(0, "open: %s", strerror(errno));
		return done_testing();
	}
	test_jobs(st, &a);
	test_tasks(st, &a);
	test_outcomes(st, &a);
	test_abort_and_readers(st, &a);
	test_keys(st, &a);
	test_bulk(st);
	store_close(st);
	test_reopen(&a);
	test_damage(&a);
	test_format();
	test_growth();
	test_ops();
	test_history();

	snprintf(cmd, sizeof cmd, "rm -rf %s", top);
	if (system(cmd) != 0)
		return 1;
	return done_testing();
}
