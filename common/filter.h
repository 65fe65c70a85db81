/* filter: which of a scan's paths become tasks (--include, --exclude,
 * --min-size, --max-size; docs/filters.md). The patterns are kept packed,
 * as the job's record and SUBMIT carry them: per pattern a kind byte ('+'
 * include, '-' exclude), the pattern, a NUL. Knows nothing of scans or
 * jobs; matches bytes as the C locale does. */
#ifndef CORRAL_FILTER_H
#define CORRAL_FILTER_H

#include <stddef.h>
#include <stdint.h>

#define FILTER_BYTES	4096		/* the packed patterns, at most */

struct filter {
	char pat[FILTER_BYTES];		/* packed, len bytes */
	uint32_t len;
	uint64_t min_size;		/* --min-size; 0: none */
	uint64_t max_size;		/* --max-size, when has_max */
	int has_max;
};

/* No pattern, no bound: every path is kept. All zeros is the same. */
void filter_init(struct filter *f);
/* Appends a pattern (include: 1 for --include, 0 for --exclude). 0, or -1
 * with errno EINVAL (empty) or E2BIG (FILTER_BYTES would be passed). */
int filter_add(struct filter *f, int include, const char *pat);
/* Whether p[0..len) is a packed list filter_add could have made. 0 or -1. */
int filter_check(const char *p, size_t len);
/* Whether any pattern, or any bound, is set. */
int filter_globs(const struct filter *f);
int filter_sizes(const struct filter *f);
/* Whether the path rel (len bytes, relative to its input root) is kept by
 * the patterns: none matches an exclude, and there is no include or one
 * matches. A pattern without '/' is matched against the last part of rel,
 * one with '/' against the whole of it; '*' and '?' match '/' too. */
int filter_path(const struct filter *f, const char *rel, size_t len);
/* Whether a file of size bytes is within the bounds, both inclusive. */
int filter_size(const struct filter *f, uint64_t size);
/* The pattern after *off (0 for the first), advancing *off: 1 with *pat
 * and *include set, 0 after the last. */
int filter_next(const struct filter *f, uint32_t *off, const char **pat, int *include);

#endif
