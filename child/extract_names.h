/* extract_names: what an archive entry's name may be and its normal form,
 * and the set of names one extraction has made (child/extract.c's
 * bookkeeping). Pure computation: no system calls, no archive. */
#ifndef CORRAL_EXTRACT_NAMES_H
#define CORRAL_EXTRACT_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* Checks a name from an archive and writes its normal form to out (at
 * least PATH_MAX bytes) and its length to *outlen: components joined by one
 * '/', without "." and empty ones. With ups non-NULL (a symlink's target),
 * ".." may lead and is counted there, not written. Returns NULL, or the
 * reason code: empty_name, name_too_long (over max, PATH_MAX or a component
 * over NAME_MAX), bad_name_encoding, control_char, backslash, absolute_path,
 * drive_letter, path_traversal. */
const char *names_norm(const char *raw, uint32_t max, char *out, size_t *outlen, unsigned *ups);

/* Length of the directory part of a normal path; *leaf gets the last name. */
size_t names_split(const char *path, size_t len, const char **leaf);

enum made_type { MADE_DIR, MADE_FILE, MADE_SYMLINK };

/* One name made. */
struct made {
	char *path;		/* normal form, relative to the root */
	unsigned char type;	/* enum made_type */
	unsigned char has_mtime;
	int64_t mtime;
	long mtime_ns;
};

/* Names made, in order, with an open-addressing index on the path. Zeroed
 * is empty; set seed before the first name for an index that names chosen
 * beforehand cannot load with collisions. */
struct names {
	uint64_t seed;
	struct made *v;
	size_t n, cap;
	uint32_t *index;	/* position in v + 1; 0 for empty */
	size_t indexcap;	/* a power of two, above twice n */
};

/* The position of a path (len bytes) in s->v, or -1. */
long names_find(const struct names *s, const char *path, size_t len);
/* Room for one more, so that names_add cannot fail: 0, or -1 (ENOMEM). */
int names_reserve(struct names *s);
/* Records path (malloc'd, now owned by s) after names_reserve; the new
 * entry has no mtime. */
struct made *names_add(struct names *s, char *path, enum made_type type);
void names_free(struct names *s);

#endif
