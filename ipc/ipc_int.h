/* ipc_int: what the files of ipc/ share and nobody else sees: the one table
 * of fields, a message as the values of its fields, the walk that reads one
 * from a frame and the rules that check it, and the writer of frames. The
 * child's wire (msg.c) and the control socket's (ctl.c) are two fillers of
 * their own structs on top of it (schema.c). */
#ifndef CORRAL_IPC_INT_H
#define CORRAL_IPC_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ipc/ipc.h"
#include "ipc/jobopts.h"

/* Every field of every message. A name may stand twice only for two wires
 * (job: a uint on the child's, a job's name on the control socket's): a
 * frame's keys are looked up among the fields its decoder's types have. */
enum ipc_field {
	/* The child's wire. */
	F_T, F_V, F_PID, F_JOB, F_ID, F_OK, F_PATH, F_HANDLER, F_ARG, F_OPTS, F_ERROR,
	F_RESULT, F_HOST,
	/* The control socket: requests. */
	F_RID, F_NAME, F_INPUTS, F_CHANDLER, F_CARG, F_TIMEOUT, F_RETRIES, F_HALT_RATE,
	F_HALT_MIN, F_PRIORITY, F_EXTRACT, F_COPTS, F_WAIT, F_GIVEN, F_REF, F_FAILED, F_AFTER,
	/* ... and answers. */
	F_CODE, F_MESSAGE, F_JOBID, F_STATE, F_SUMMARY, F_CREATED, F_UPDATED, F_FINISHED,
	F_TOTAL, F_COUNTS, F_RUNS, F_WORKERS, F_REASON, F_SEQ, F_STATUS, F_ATTEMPTS,
	F_DURATION, F_SIGNAL, F_EXIT, F_TAIL, F_SLOT, F_RUNNING, F_TASKS, F_RSS, F_KIND,
	F_DONE, F_TEXT,
	/* Added later, each where it belongs. */
	F_WHAT, F_LIMIT, F_STALL, F_TIMEOUT_PCT,
	/* Requests again. */
	F_SHARD_K, F_SHARD_N,
	/* The child's wire, later: --reuse. */
	F_SHA256, F_REUSE,
	/* Requests, later: --recheck. */
	F_RECHECK,
	/* Requests, later: retry --quarantined. */
	F_QUARANTINED,
	/* Requests, later: filters and --halt. */
	F_FILTERS, F_MIN_SIZE, F_MAX_SIZE, F_HALT_FAIL, F_HALT_SOON,
	F_COUNT
};
/* A set of fields: bit f is field f. 128 bits, room for every field of
 * both wires. */
typedef unsigned __int128 fieldset;
#define FBIT(f)	((fieldset)1 << (f))

static inline int
fieldset_count(fieldset s)
{
	return __builtin_popcountll((uint64_t)s) + __builtin_popcountll((uint64_t)(s >> 64));
}

/* The lowest field of a set that is not empty. */
static inline int
fieldset_first(fieldset s)
{
	return (uint64_t)s ? __builtin_ctzll((uint64_t)s) : 64 + __builtin_ctzll((uint64_t)(s >> 64));
}

/* The child's wire, both directions. */
#define IPC_CHILD_TYPES	(IPC_BIT(IPC_HELLO) | IPC_BIT(IPC_JOB) | IPC_BIT(IPC_TASK) | \
	IPC_BIT(IPC_RESULT) | IPC_BIT(IPC_FATAL) | IPC_BIT(IPC_READY) | IPC_BIT(IPC_PROGRESS) | \
	IPC_BIT(IPC_HASH) | IPC_BIT(IPC_REUSE))

/* One field's value. uint, bool (0 or 1) and a word's index in its
 * vocabulary are in u; a share in f; str and bin are p[0, n); an array is
 * its elements' packed bytes p[0, n), u of them. */
struct ipc_val {
	const uint8_t *p;
	size_t n;
	uint64_t u;
	double f;
};

/* A message as its fields: those present are the bits of seen. */
struct ipc_fields {
	int type;
	fieldset seen;
	struct ipc_val v[F_COUNT];
	struct job_opts opts;	/* F_COPTS read, once checked */
};

/* Reads one frame body whose type is in accept: every check of a decoder
 * but those only its filler makes. 0, or -1 with a static *why. */
int ipc_fields_read(const uint8_t *body, size_t len, uint64_t accept, struct ipc_fields *fs,
    const char **why);
/* The rules on the values: each field's kind of bound, the type's fields,
 * what goes only with what. Reading runs it; so do the control encoders,
 * before they write a byte. Fills fs->opts. 0, or -1 with a static *why. */
int ipc_fields_check(struct ipc_fields *fs, const char **why);
/* Appends one frame of fs (fields in table order) to b; does not check.
 * 0, or -1 with errno ENOMEM, or EMSGSIZE past the type's bound on a
 * frame body (CTL_FRAME_MAX for a request, else IPC_FRAME_MAX). */
int ipc_fields_put(struct ipc_buf *b, const struct ipc_fields *fs);

static inline void
fs_uint(struct ipc_fields *fs, enum ipc_field f, uint64_t u)
{
	fs->v[f] = (struct ipc_val){ .u = u };
	fs->seen |= FBIT(f);
}

static inline void
fs_bytes(struct ipc_fields *fs, enum ipc_field f, const void *p, size_t n)
{
	fs->v[f] = (struct ipc_val){ .p = p, .n = n };
	fs->seen |= FBIT(f);
}

/* An optional field: empty reads as absent, so it is left out. */
static inline void
fs_opt_bytes(struct ipc_fields *fs, enum ipc_field f, const void *p, size_t n)
{
	if (n > 0)
		fs_bytes(fs, f, p, n);
}

/* A str or bin field's value into a struct's pointer and length member:
 * NULL and 0 when absent. */
#define FS_GET(fs, f, ptr, len) \
	((ptr) = (const void *)(fs)->v[f].p, (len) = (fs)->v[f].n)

/* The head of one msgpack object: what it is, and its bytes. */
enum mp_type {
	MPT_NIL, MPT_BOOL, MPT_UINT, MPT_NEG, MPT_FLOAT, MPT_STR, MPT_BIN, MPT_ARRAY,
	MPT_MAP, MPT_EXT
};
struct mp_head {
	int type;
	uint64_t u;		/* BOOL, UINT; ARRAY, MAP: the count */
	double f;		/* FLOAT, 32 or 64 bits */
	const uint8_t *p;	/* STR, BIN: the bytes */
	size_t n;
	size_t size;		/* to the next object: all of a scalar, str, bin
				 * or ext; only the header of an array or map */
};
/* Reads the head of the object at the start of [p, p+len) (mpcheck.c).
 * 0, or -1 when it does not fit or is 0xc1. */
int ipc_mp_head(const uint8_t *p, size_t len, struct mp_head *h);

/* Finds key among the keys of the map at the start of [map, map+len),
 * which ipc_mp_skip has walked, and reads its value's head into *val.
 * 0, or -1 when it is not there. */
int ipc_map_find(const uint8_t *map, size_t len, const char *key, struct mp_head *val);

/* msgpack-c's writer into an ipc_buf (msg.c). */
int ipc_buf_write(void *buf, const char *p, size_t len);

#endif
