/* recheck: whether a file is still what its outcome was recorded for, by
 * its size and mtime as the supervisor saw them when it opened the file
 * (--recheck, status --changed). Looks at the file system and the given
 * outcome only; never the loop, never a child. */
#ifndef CORRAL_RECHECK_H
#define CORRAL_RECHECK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "supervisor/store.h"

enum recheck_change {
	RECHECK_UNKNOWN = -1,		/* no size and mtime kept: not compared */
	RECHECK_SAME,
	RECHECK_SIZE,			/* its size differs (its mtime may too) */
	RECHECK_MTIME,			/* the same size, another mtime */
	RECHECK_GONE,			/* no such file now */
	RECHECK_TYPE,			/* no longer a regular file */
	RECHECK_UNREADABLE,		/* lstat failed otherwise (a permission) */
	RECHECK__COUNT
};

/* A stat's mtime in ns since the epoch (0 for one before it). */
uint64_t recheck_mtime_ns(const struct stat *sb);
/* How the file at path (plen bytes, not NUL-terminated; under prefix when
 * relative and prefix is not NULL) differs from what o was recorded for.
 * Links are not followed, as dispatch follows none. */
enum recheck_change recheck_compare(const struct store_outcome *o, const char *path, size_t plen,
    const char *prefix);
/* "size", "mtime", "vanished", "type", "unreadable"; "" for the others. */
const char *recheck_word(enum recheck_change c);

struct sup;
struct job;
/* --recheck, as a job is taken up again: each of its files whose outcome
 * no longer matches the file (a change above) is pending again, its old
 * outcome removed, a chunk of the job a transaction. Returns the number
 * requeued, or -1 with one line in err. */
int64_t recheck_job(struct sup *s, struct job *j, char *err, size_t errlen);

#endif
