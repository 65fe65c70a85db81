/* store_int: what the files of the store share and nothing else sees: the
 * environment's handle, the key layout, and the read transactions
 * (store.c owns the environment and the writes, store_read.c the reads,
 * store_bulk.c the writes that walk a whole job). */
#ifndef CORRAL_STORE_INT_H
#define CORRAL_STORE_INT_H

#include <stdint.h>

#include <lmdb.h>
#include <msgpack.h>

#include "supervisor/store.h"

#define MAP_SIZE	(64ull << 30)	/* address space only: pages are used as needed */
#define MAP_SIZE_MIN	(1ull << 20)
#define TASK_KEY	12
#define PATH_KEY_MAX	500	/* LMDB's keys are at most 511 bytes */
#define BAD_RECORD	(-1)	/* st->rc for a record that does not decode */

struct store {
	MDB_env *env;
	MDB_dbi meta, jobs, jobnames, tasks, paths, pending, results;
	MDB_dbi reuse;		/* --reuse's index; 0 in a reader of a state
				 * dir written before it */
	MDB_dbi attempts, inflight;	/* 0 in a reader of an older directory */
	MDB_txn *wtxn;		/* the open write transaction, if any */
	MDB_txn *rtxn;		/* a read transaction, reset between calls */
	int rdepth;		/* reads under way: a callback may read too */
	int lockfd;		/* DIR/lock, flocked: only the owner has it */
	int probefd;		/* a reader's DIR/lock, to test for an owner */
	int probe_err;		/* why a reader has no probefd */
	int rc;			/* the last error, for store_strerror */
	int full;		/* a write hit MDB_MAP_FULL: grow before the next */
	unsigned psize;
	void *map;		/* data.mdb's map, for store_trim */
	size_t map_len;
	char *dir;		/* the state directory, for store_full */
	char why[300];		/* store_strerror's words when they are ours */
	msgpack_sbuffer rec;	/* a record being written: kept, not
				 * allocated again for every file */
};

/* store.c */
/* Keeps rc as the store's last error. Returns -1. */
int store_fail(store *st, int rc);
void store_put_be(uint8_t *p, uint64_t v, int n);
uint64_t store_get_be(const void *p, int n);
/* A task's key: job id and seq, big-endian. */
void store_task_key(uint8_t k[TASK_KEY], uint32_t job, uint64_t seq);
/* Finds data.mdb's map, for store_trim. */
void store_find_map(store *st);

/* A path's key in paths: its length. 0 when it cannot be made. */
size_t store_path_key(uint8_t k[PATH_KEY_MAX], uint32_t job, const char *path, size_t len);
/* store_history.c: a new owner turns what was running when the last one
 * died into interrupted attempts (in txn). 0 or an LMDB code. */
int store_inflight_recover(store *st, MDB_txn *txn);
/* Adds an attempt from its record's bytes (an outcome's, moved by a
 * retry) as the task's next, in the write transaction: 0 or -1. */
int store_attempt_raw(store *st, uint32_t job, uint64_t seq, const void *p, size_t len);
/* The key of attempt n of a task. */
#define ATTEMPT_KEY	(TASK_KEY + 4)

/* store_read.c */
/* The transaction a read runs in (the write one, if open), and its end;
 * a cursor on dbi in one, and its end. NULL with the error kept. */
MDB_txn *rbegin(store *st);
void rend(store *st, MDB_txn *txn);
MDB_cursor *ropen(store *st, MDB_dbi dbi);
void rclose(store *st, MDB_cursor *c);

#endif
