/* filter: the rule of common/filter.h. */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <string.h>

#include "common/filter.h"

void
filter_init(struct filter *f)
{
	memset(f, 0, sizeof *f);
}

int
filter_add(struct filter *f, int include, const char *pat)
{
	size_t n = strlen(pat);

	if (n == 0)
		return errno = EINVAL, -1;
	if (n + 2 > FILTER_BYTES - f->len)
		return errno = E2BIG, -1;
	f->pat[f->len] = include ? '+' : '-';
	memcpy(f->pat + f->len + 1, pat, n + 1);
	f->len += (uint32_t)n + 2;
	return 0;
}

int
filter_check(const char *p, size_t len)
{
	const char *nul;
	size_t i = 0;

	if (len > FILTER_BYTES)
		return -1;
	while (i < len) {
		/* A kind byte, one byte of pattern at least, a NUL. */
		if ((p[i] != '+' && p[i] != '-') || i + 2 >= len)
			return -1;
		nul = memchr(p + i + 1, '\0', len - i - 1);
		if (nul == NULL || nul == p + i + 1)
			return -1;
		i = (size_t)(nul - p) + 1;
	}
	return 0;
}

int
filter_globs(const struct filter *f)
{
	return f->len > 0;
}

int
filter_sizes(const struct filter *f)
{
	return f->min_size > 0 || f->has_max;
}

int
filter_next(const struct filter *f, uint32_t *off, const char **pat, int *include)
{
	if (*off >= f->len)
		return 0;
	*include = f->pat[*off] == '+';
	*pat = f->pat + *off + 1;
	*off += (uint32_t)strlen(*pat) + 2;
	return 1;
}

int
filter_path(const struct filter *f, const char *rel, size_t len)
{
	char buf[PATH_MAX * 2];
	const char *base, *pat, *slash;
	int includes = 0, included = 0, include;
	uint32_t off = 0;

	if (f->len == 0)
		return 1;
	/* fnmatch reads to a NUL; a path holds none. */
	if (len >= sizeof buf)
		len = sizeof buf - 1;
	memcpy(buf, rel, len);
	buf[len] = '\0';
	slash = memrchr(buf, '/', len);
	base = slash ? slash + 1 : buf;
	while (filter_next(f, &off, &pat, &include)) {
		includes |= include;
		if ((include && included) || fnmatch(pat, strchr(pat, '/') ? buf : base, 0) != 0)
			continue;
		if (!include)
			return 0;
		included = 1;
	}
	return !includes || included;
}

int
filter_size(const struct filter *f, uint64_t size)
{
	return size >= f->min_size && (!f->has_max || size <= f->max_size);
}
