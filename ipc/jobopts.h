/* jobopts: what a job asks of its children beyond the handler's name and
 * argument: the archive limits and formats, extraction, and the sandbox. A
 * contract between the processes: the supervisor fills it from the command
 * line and keeps it with the job; it reaches the child in the JOB message,
 * and every child module reads its part here. */
#ifndef CORRAL_JOBOPTS_H
#define CORRAL_JOBOPTS_H

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

/* The archive formats the archive handler reads: bits of job_opts.formats,
 * named for --formats. A format left out reads as no archive at all. Off
 * by default: mtree (a text format that accepts almost any text, and whose
 * entries name files on the host) and empty (a file of no bytes is no
 * archive). docs/results.md lists them. */
enum format_bit {
	FMT_7ZIP, FMT_AR, FMT_CAB, FMT_CPIO, FMT_EMPTY, FMT_ISO9660, FMT_LHA, FMT_MTREE,
	FMT_RAR, FMT_RAR5, FMT_TAR, FMT_WARC, FMT_XAR, FMT_ZIP, FMT__N
};
#define FORMATS_ALL	((1u << FMT__N) - 1)
#define FORMATS_DEFAULT	(FORMATS_ALL & ~(1u << FMT_MTREE | 1u << FMT_EMPTY))

/* The name of format bit b ("7zip", "ar", ..., "zip"), or NULL. */
const char *format_name(unsigned b);
/* --formats: a comma-separated list of names, "all" or "default". A list
 * of plain names is the whole set; names with '+' or '-' add to or take
 * from the default (or from what comes before them). Returns 0, or -1 with
 * *bad pointing at the unknown name (its length in *badlen). */
int formats_parse(const char *spec, uint32_t *out, const char **bad, size_t *badlen);
/* The set as names separated by commas, into buf. */
void formats_string(uint32_t set, char *buf, size_t len);

struct job_opts {
	struct archive_limits limits;
	uint32_t formats;		/* archive: 1 << FMT_* read */
	int entry_sha256;		/* archive: a digest of every entry */
	int fail_on_suspicious;		/* archive: "suspicious" is failed, not ok */
	int extract;			/* each task brings a directory to extract into */
	int extract_suspicious;		/* archive: write out suspicious ones too, not
					 * only clean ones */
	struct sandbox_opts sandbox;
	/* Recycling: read by the supervisor alone, which replaces a child
	 * after max_tasks files, or when its RSS after a file is above
	 * max_rss; one above max_rss_hard while it works is killed. 0: off. */
	uint64_t max_tasks;
	uint64_t max_rss, max_rss_hard;
	int reuse;			/* hash each file first (HASH): an earlier ok
					 * outcome of the same spec may stand for it */
	/* Read by the supervisor alone: crashes and timeouts a file may be
	 * charged before it is quarantined (--max-strikes). */
	uint32_t max_strikes;
};
#define MAX_STRIKES_DEFAULT	2
#define MAX_STRIKES_MAX		100

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
