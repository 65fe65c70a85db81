/* inspect: the archive handler's look at one file: every entry of the
 * archive and of the archives inside it read to its end under the job's
 * limits (walk.c), each entry judged (judge.c; names.c for the bytes of
 * names and link targets; zip.c for what a zip's central directory says),
 * and what was found kept as reasons (reasons.c) and a manifest. It reads only the descriptor it is given and writes
 * nothing to disk; the result map is the handler's. */
#ifndef CORRAL_INSPECT_H
#define CORRAL_INSPECT_H

#include <stddef.h>
#include <stdint.h>

#include "ipc/jobopts.h"

struct archive;

/* formats.c: the readers of the job's formats (1 << FMT_*), of "raw", and
 * with with_filters of every filter that runs in-process, set up on a.
 * Returns 0, or -1 when libarchive refused one. */
int archive_support(struct archive *a, uint32_t formats, int with_filters);
/* What the above asks of libarchive once, asked before the walls go up. */
void formats_init(void);
struct archive_entry;
/* What a format leaves out of an entry, put in as extractors read it, for
 * inspection and extraction alike. Returns 1 for an entry that is no file
 * of the archive and is passed over (an ar symbol table), else 0. */
int entry_normalize(struct archive *a, struct archive_entry *e);
/* The name of a filter whose stream starts at p but that only an external
 * program decompresses ("lrzip", ...), or NULL. */
const char *filter_unsupported(const unsigned char *p, size_t n);

/* From best to worst: the worst reason found decides. */
enum verdict { V_CLEAN, V_SUSPICIOUS, V_MALFORMED, V_REJECTED };

/* Every reason a file can be judged by. docs/results.md lists them with
 * their verdicts; reason_name() and reason_verdict() read one table. */
enum reason {
	/* suspicious: names */
	R_PATH_TRAVERSAL, R_ABSOLUTE_PATH, R_DRIVE_LETTER, R_BACKSLASH,
	R_CONTROL_CHAR, R_BAD_NAME_ENCODING, R_EMPTY_NAME,
	/* suspicious: links */
	R_SYMLINK_ESCAPE, R_HARDLINK_ESCAPE, R_LINK_CHAIN, R_LINK_WRITE_THROUGH,
	/* suspicious: special entries and modes */
	R_DEVICE, R_FIFO, R_SOCKET, R_SETUID, R_SETGID, R_WORLD_WRITABLE,
	/* suspicious: the archive's structure */
	R_DUPLICATE_NAME, R_CASE_COLLISION, R_ENCRYPTED, R_OVERLAPPING_ENTRIES,
	R_NAME_MISMATCH, R_HEADER_MISMATCH, R_UNLISTED_ENTRY, R_PREFIX_DATA, R_TRAILING_DATA,
	R_HIDDEN_DATA, R_READER_WARNING, R_UNKNOWN_TYPE,
	/* malformed: could not be read to its end */
	R_TRUNCATED, R_CORRUPT, R_UNSUPPORTED, R_NOT_ARCHIVE,
	/* rejected: a limit was hit and work stopped there */
	R_TOO_MANY_ENTRIES, R_TOO_LARGE, R_ENTRY_TOO_LARGE, R_RATIO, R_TOO_DEEP,
	R_NAME_TOO_LONG, R_MEMORY,
	R_COUNT
};

const char *reason_name(enum reason r);
/* The reason named name, or R_COUNT. */
enum reason reason_find(const char *name);
/* libarchive refused to go on: the kind of damage its message (or NULL)
 * names. Its wording is all there is to go on. Extraction says the same. */
enum reason damage_kind(const char *msg);
/* libarchive warned about an entry's header (ARCHIVE_WARN): the reason its
 * message names, or R_COUNT for a warning that changes nothing corral
 * reports or writes (docs/results.md lists them). */
enum reason warning_kind(const char *msg);
enum verdict reason_verdict(enum reason r);
const char *verdict_name(enum verdict v);

/* Bounds on what one file's result holds. */
#define REASONS_MAX	100		/* reasons kept; the rest only counted */
#define FILES_MAX	1000		/* manifest entries kept */
#define FILES_BYTES	(512u << 10)	/* packed bytes of the manifest */
#define NAME_OUT_MAX	1024		/* bytes of a name as reported */
#define DETAIL_MAX	256		/* bytes of a reason's detail */
/* Ratios are judged only past this many uncompressed bytes: a small file
 * of zeros is no bomb, and a few bytes of header skew any ratio. */
#define RATIO_GRACE	(1u << 20)

struct reason_rec {
	enum reason code;
	char entry[NAME_OUT_MAX + 1];	/* "" when the reason is the archive's */
	char detail[DETAIL_MAX + 1];	/* "" or libarchive's word, a limit */
};

/* A growable msgpack buffer with room for an array header in front. */
struct mpbuf {
	char *buf;
	size_t len, cap;
	uint32_t count;		/* items packed */
	int err;
};

/* The outcome of one file. Buffers are kept from file to file. */
struct inspect {
	enum verdict verdict;
	struct reason_rec reasons[REASONS_MAX];
	uint32_t nreasons;		/* kept */
	uint64_t reasons_seen;		/* all, kept or not */
	struct reason_rec first[V_REJECTED + 1];	/* the first of each verdict */
	int have_first[V_REJECTED + 1];
	uint64_t entries, bytes;	/* all levels */
	uint64_t size;			/* of the file */
	const char *format;		/* of the outermost archive, or NULL */
	const char *filters[16];	/* outermost first */
	size_t nfilters;
	unsigned char sha256[32];
	int sha_ok;
	struct mpbuf files;		/* the manifest: an array of maps */
	int files_truncated;
};

/* Records r against entry ("" for the archive's own) after the walk: what
 * extraction, reading the file again, refused. */
void inspect_add(struct inspect *in, enum reason r, const char *entry, const char *detail);

/* The state kept from file to file (buffers, sets, digest contexts). */
struct walk;

struct walk *walk_new(void);
/* Inspects the file at fd (regular, read-only) under o's limits, filling
 * in. format and filters point into state that lives until the next call.
 * Returns 0, or -1 with errno when inspection could not start (ENOMEM,
 * a read error of the file itself). */
int walk_file(struct walk *w, int fd, const struct job_opts *o, struct inspect *in);

/* names.c: a set of 64-bit hashes (entry names, links), kept between files. */
struct nameset {
	uint64_t *slot;		/* 0 is empty */
	size_t cap, n;
};

/* 1 if h was there already; else adds it (-1 on ENOMEM). */
int nameset_add(struct nameset *s, uint64_t h);
int nameset_has(const struct nameset *s, uint64_t h);
void nameset_clear(struct nameset *s);
uint64_t name_hash(uint64_t salt, const char *p, size_t len);

/* Reasons found in a name as the archive gives it: a mask of 1 << R_*. */
uint64_t name_check(const char *name, size_t len);
/* The name as an extractor would lay it out: '/' and '\' both separate,
 * empty and "." components go, ".." stays. out holds len + 1 bytes.
 * Returns the length written. */
size_t name_normal(const char *name, size_t len, char *out);
/* 1 if a directory of the normal name norm, or norm itself, is a link in
 * links (hashed with salt). */
int name_through_link(const char *norm, size_t n, const struct nameset *links, uint64_t salt);
/* Resolves a link target lexically, from dir (a normal name, "" for the
 * root), with stack room for one hash state per component of dir and
 * target together. Returns 1 if it leaves the root, else 0; *through is set when
 * a component it passes through (not its last) is a link in links (hashed
 * with salt). Linear in the lengths, whatever the names. */
int link_resolve(const char *dir, size_t dirlen, const char *target, uint64_t *stack,
    const struct nameset *links, uint64_t salt, int *through);

/* mpbuf: a msgpack-c packer target (reasons.c). */
int mpbuf_write(void *data, const char *p, size_t len);
/* The array as msgpack: its header written in front of the items. */
const char *mpbuf_array(struct mpbuf *b, size_t *len);
void mpbuf_reset(struct mpbuf *b);

#endif
