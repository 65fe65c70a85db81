/* Unit tests of supervisor/store.c: one owner at a time, readers beside it,
 * tasks known once per path, pending in seq order and paged, outcomes
 * recorded exactly once, results joined to paths byte for byte, key order
 * numeric, jobs kept apart, and everything still there after a reopen. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lmdb.h>

#include "supervisor/store.h"
#include "tests/tap.h"

static char dir[] = "/tmp/corral-unit-store.XXXXXX";

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
			after = t[i].seq;
			store_task_free(&t[i]);
		}
		total += n;
	}
	return n < 0 ? -1 : total;
}

static int
count_results(uint64_t seq, const char *path, size_t len, const struct store_outcome *o, void *arg)
{
	int *n = arg;

	(void)seq, (void)path, (void)len;
	if (o)
		n[0]++;
	else
		n[1]++;
	return 0;
}

struct want {
	uint64_t seq;
	const char *path;
	size_t len;
	int found;
	const struct store_outcome *o;
};

static int
find_result(uint64_t seq, const char *path, size_t len, const struct store_outcome *o, void *arg)
{
	struct want *w = arg;

	if (seq != w->seq)
		return 0;
	w->found = len == w->len && memcmp(path, w->path, len) == 0 && o &&
	    o->status == w->o->status && o->attempts == w->o->attempts &&
	    o->error_len == w->o->error_len && memcmp(o->error, w->o->error, o->error_len) == 0 &&
	    o->result_len == w->o->result_len && memcmp(o->result, w->o->result, o->result_len) == 0 &&
	    o->signal == w->o->signal && o->exit_code == w->o->exit_code;
	return 1;
}

int
main(void)
{
	struct store_job j, k, got;
	struct store_task t[8];
	struct store_outcome o;
	const char *why;
	char longpath[4001], path[64];
	store *st, *st2;
	uint64_t seq, s1, i;
	int n, r, counts[2];
	pid_t pid;

	if (mkdtemp(dir) == NULL)
		return 1;
	ok(store_open("/nonexistent/x", STORE_READ, &why) == NULL && errno == ENOENT,
	    "read: a missing dir is ENOENT");
	st = store_open(dir, STORE_WRITE, &why);
	ok(st != NULL, "write: opened");
	st2 = store_open(dir, STORE_WRITE, &why);
	ok(st2 == NULL && errno == EBUSY && strcmp(why, "lock") == 0, "a second owner: EBUSY");
	pid = fork();
	if (pid == 0)
		_exit(store_open(dir, STORE_WRITE, &why) == NULL && errno == EBUSY ? 0 : 1);
	waitpid(pid, &r, 0);
	ok(WIFEXITED(r) && WEXITSTATUS(r) == 0, "a second owner in another process: EBUSY");

	memset(&j, 0, sizeof j);
	snprintf(j.name, sizeof j.name, "alpha");
	snprintf(j.handler, sizeof j.handler, "sha256");
	ok(store_begin(st) == 0 && store_job_put(st, &j) == 0 && j.id == 1 && j.created_ms > 0,
	    "job put assigns id 1");
	ok(store_task_add(st, &j, "a", 1, 1, &seq) == 0 && seq == 1, "task a is seq 1");
	ok(store_task_add(st, &j, "a", 1, 1, &seq) == 1 && seq == 1, "task a again: known");
	ok(store_task_add(st, &j, "new\nline\xff", 9, 1, &seq) == 0 && seq == 2, "a path with a newline and 0xff");
	memset(longpath, 'p', sizeof longpath - 1);
	longpath[sizeof longpath - 1] = '\0';
	ok(store_task_add(st, &j, longpath, 4000, 1, &seq) == 0 && seq == 3, "a 4000-byte path");
	ok(j.total == 3 && j.next_seq == 4, "total 3, next seq 4");
	ok(store_job_put(st, &j) == 0 && store_commit(st) == 0, "committed");

	n = store_pending(st, j.id, 0, t, 8);
	ok(n == 3 && t[0].seq == 1 && t[1].seq == 2 && t[2].seq == 3, "pending: 3 in seq order");
	ok(n == 3 && t[1].path_len == 9 && memcmp(t[1].path, "new\nline\xff", 9) == 0 &&
	    t[2].path_len == 4000, "pending: paths byte-exact");
	ok(n == 3 && t[0].regular == 1, "pending: the scan's regular flag kept");
	while (n > 0)
		store_task_free(&t[--n]);
	n = store_pending(st, j.id, 1, t, 1);
	ok(n == 1 && t[0].seq == 2, "pending paged: after 1, max 1 gives seq 2");
	store_task_free(&t[0]);

	memset(&o, 0, sizeof o);
	o.status = OUT_CRASHED;
	o.attempts = 2;
	o.duration_ms = 17;
	o.signal = 11;
	o.exit_code = -1;
	o.error = "killed\0by";
	o.error_len = 9;
	o.result = (const uint8_t *)"\x81\xa1k\x01";
	o.result_len = 4;
	ok(store_begin(st) == 0 && store_outcome_put(st, &j, 2, &o) == 0, "outcome recorded");
	ok(store_outcome_put(st, &j, 2, &o) == 1 && j.count[OUT_CRASHED] == 1, "a second outcome: 1, not counted");
	ok(store_task_attempts(st, j.id, 3, 1) == 0, "an attempt charged");
	ok(store_job_put(st, &j) == 0 && store_commit(st) == 0, "committed");
	ok(pending_count(st, j.id) == 2, "pending shrank to 2");
	n = store_pending(st, j.id, 0, t, 8);
	ok(n == 2 && t[0].seq == 1 && t[1].seq == 3 && t[1].attempts == 1, "pending skips the done one, keeps attempts");
	while (n > 0)
		store_task_free(&t[--n]);
	{
		struct want w = { 2, "new\nline\xff", 9, 0, &o };

		store_results_each(st, j.id, find_result, &w);
		ok(w.found, "results: outcome joined to its path, bytes exact");
	}
	counts[0] = counts[1] = 0;
	store_results_each(st, j.id, count_results, counts);
	ok(counts[0] == 1 && counts[1] == 2, "results: 1 with an outcome, 2 without");

	/* Aborted writes leave nothing. */
	store_begin(st);
	store_task_add(st, &j, "ghost", 5, 1, &seq);
	store_abort(st);
	ok(store_job_by_name(st, "alpha", &got) == 0 && got.total == 3, "abort left nothing");

	/* A reader in another process while the owner holds a transaction. */
	store_begin(st);
	store_task_add(st, &j, "uncommitted", 11, 1, &seq);
	pid = fork();
	if (pid == 0) {
		store *rd = store_open(dir, STORE_READ, &why);
		struct store_job x;

		_exit(rd && store_job_by_name(rd, "alpha", &x) == 0 && x.total == 3 &&
		    pending_count(rd, x.id) == 2 ? 0 : 1);
	}
	waitpid(pid, &r, 0);
	ok(WIFEXITED(r) && WEXITSTATUS(r) == 0, "a reader sees committed data during an open write");
	store_abort(st);

	/* Seq order is numeric, and jobs do not bleed into each other. */
	memset(&k, 0, sizeof k);
	snprintf(k.name, sizeof k.name, "beta");
	store_begin(st);
	store_job_put(st, &k);
	k.next_seq = 255;
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "b%llu", (unsigned long long)i);
		store_task_add(st, &k, path, strlen(path), 1, &seq);
		if (i == 0)
			k.next_seq = 256;
		if (i == 1)
			k.next_seq = 65536;
	}
	store_job_put(st, &k);
	store_commit(st);
	n = store_pending(st, k.id, 0, t, 8);
	ok(n == 3 && t[0].seq == 255 && t[1].seq == 256 && t[2].seq == 65536, "seq 255 < 256 < 65536");
	while (n > 0)
		store_task_free(&t[--n]);
	ok(pending_count(st, j.id) == 2, "job alpha still has its 2");
	ok(store_job_latest(st, &got) == 0 && strcmp(got.name, "beta") == 0, "latest is beta");

	/* 10,000 tasks, then 10,000 outcomes. */
	store_begin(st);
	for (i = 0; i < 10000; i++) {
		snprintf(path, sizeof path, "many/%llu", (unsigned long long)i);
		store_task_add(st, &k, path, strlen(path), 1, &seq);
	}
	store_commit(st);
	ok(pending_count(st, k.id) == 10003, "10,003 pending");
	store_begin(st);
	memset(&o, 0, sizeof o);
	o.exit_code = -1;
	s1 = 0;
	for (;;) {
		n = store_pending(st, k.id, s1, t, 8);
		if (n <= 0)
			break;
		for (r = 0; r < n; r++) {
			store_outcome_put(st, &k, t[r].seq, &o);
			s1 = t[r].seq;
			store_task_free(&t[r]);
		}
	}
	store_job_put(st, &k);
	ok(store_commit(st) == 0 && pending_count(st, k.id) == 0 && k.count[OUT_OK] == 10003,
	    "all recorded, none pending");
	store_close(st);

	st = store_open(dir, STORE_READ, &why);
	ok(st && store_job_by_name(st, "beta", &got) == 0 && got.count[OUT_OK] == 10003 &&
	    got.total == 10003, "reopened: everything kept");
	ok(store_job_by_name(st, "nope", &got) == 1, "an unknown job: 1");
	store_close(st);

	/* Another format is refused. */
	{
		MDB_env *env;
		MDB_txn *txn;
		MDB_dbi dbi;
		MDB_val key = { 6, "format" }, val = { 4, "\0\0\0\x63" };

		mdb_env_create(&env);
		mdb_env_set_maxdbs(env, 8);
		mdb_env_set_mapsize(env, 64ull << 30);
		mdb_env_open(env, dir, 0, 0600);
		mdb_txn_begin(env, NULL, 0, &txn);
		mdb_dbi_open(txn, "meta", 0, &dbi);
		mdb_put(txn, dbi, &key, &val, 0);
		mdb_txn_commit(txn);
		mdb_env_close(env);
	}
	ok(store_open(dir, STORE_WRITE, &why) == NULL && errno == EPROTO, "another format: EPROTO");
	{
		char cmd[200];

		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return done_testing();
}
