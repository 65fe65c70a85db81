/* opts: what a job asks of its children beyond the handler's name and
 * argument: the archive limits, extraction, and the sandbox. The supervisor
 * fills it from the command line and keeps it with the job; it reaches the
 * child in the JOB message, and every child module reads its part here. */
#ifndef CORRAL_OPTS_H
#define CORRAL_OPTS_H

#include <stdint.h>

/* The archive handler's limits. A limit hit stops work on the file at
 * once, verdict "rejected". Each applies to the whole tree of nested
 * archives, not to each archive alone. */
struct archive_limits {
	uint64_t max_entries;		/* entries, all levels together */
	uint64_t max_bytes;		/* uncompressed bytes, all levels */
	uint64_t max_entry_bytes;	/* uncompressed bytes of one entry */
	uint64_t max_ratio;		/* uncompressed : compressed, per entry and whole */
	uint32_t max_depth;		/* archives inside archives; 0 looks inside none */
	uint32_t max_name;		/* bytes of one entry's path name */
};

#define LIMIT_ENTRIES		100000
#define LIMIT_BYTES		(4ull << 30)		/* 4 GiB */
#define LIMIT_ENTRY_BYTES	(1ull << 30)		/* 1 GiB */
#define LIMIT_RATIO		1000
#define LIMIT_DEPTH		3
#define LIMIT_NAME		4096

struct sandbox_opts {
	int enabled;			/* 0 with --no-sandbox */
	uint64_t memory_limit;		/* RLIMIT_AS, bytes; 0 for none */
	uint32_t cpu_s;			/* RLIMIT_CPU, seconds; above the timeout */
	int drop;			/* started as root: become uid/gid */
	uint32_t uid, gid;
};

#define SANDBOX_MEMORY		(1ull << 30)		/* 1 GiB */

struct job_opts {
	struct archive_limits limits;
	int entry_sha256;		/* archive: a digest of every entry */
	int fail_on_suspicious;		/* archive: "suspicious" is failed, not ok */
	int extract;			/* each task brings a directory to extract into */
	struct sandbox_opts sandbox;
};

/* The defaults above. */
void job_opts_default(struct job_opts *o);

/* As one msgpack map of unsigned integers keyed by name. Unpacking starts
 * from the defaults and skips names it does not know; a known name with a
 * value of the wrong type or range fails, with *why. 0 or -1. */
struct msgpack_packer;
struct msgpack_object;
int job_opts_pack(const struct job_opts *o, struct msgpack_packer *pk);
int job_opts_unpack(const struct msgpack_object *map, struct job_opts *o, const char **why);

#endif
