/* --recheck and status --changed: a file compared with its outcome. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "supervisor/recheck.h"
#include "supervisor/sup.h"

uint64_t
recheck_mtime_ns(const struct stat *sb)
{
	if (sb->st_mtim.tv_sec < 0)
		return 0;
	return (uint64_t)sb->st_mtim.tv_sec * 1000000000u + (uint64_t)sb->st_mtim.tv_nsec;
}

enum recheck_change
recheck_compare(const struct store_outcome *o, const char *path, size_t plen, const char *prefix)
{
	char full[PATH_MAX * 2];
	struct stat sb;
	size_t pre = prefix != NULL && (plen == 0 || path[0] != '/') ? strlen(prefix) : 0;

	if (!o->has_stat)
		return RECHECK_UNKNOWN;
	if (pre + plen >= sizeof full)
		return RECHECK_UNREADABLE;
	if (pre > 0)
		memcpy(full, prefix, pre);
	if (plen > 0)
		memcpy(full + pre, path, plen);
	full[pre + plen] = '\0';
	if (lstat(full, &sb) < 0)
		return errno == ENOENT || errno == ENOTDIR ? RECHECK_GONE : RECHECK_UNREADABLE;
	if (!S_ISREG(sb.st_mode))
		return RECHECK_TYPE;
	if ((uint64_t)sb.st_size != o->size)
		return RECHECK_SIZE;
	if (recheck_mtime_ns(&sb) != o->mtime_ns)
		return RECHECK_MTIME;
	return RECHECK_SAME;
}

const char *
recheck_word(enum recheck_change c)
{
	static const char *const words[RECHECK__COUNT] = {
		[RECHECK_SIZE] = "size", [RECHECK_MTIME] = "mtime", [RECHECK_GONE] = "vanished",
		[RECHECK_TYPE] = "type", [RECHECK_UNREADABLE] = "unreadable",
	};

	return c > RECHECK_SAME && c < RECHECK__COUNT ? words[c] : "";
}

static int
changed(const struct store_outcome *o, const char *path, size_t plen, void *arg)
{
	const struct job *j = arg;

	return recheck_compare(o, path, plen, j->prefix) > RECHECK_SAME;
}

int64_t
recheck_job(struct sup *s, struct job *j, char *err, size_t errlen)
{
	uint64_t after = 0, n, total = 0;
	int r;

	do {
		if (store_begin(s->st) < 0 ||
		    (r = store_requeue_if(s->st, &j->rec, changed, j, &after, &n)) < 0 ||
		    store_job_put(s->st, &j->rec) < 0 || store_commit(s->st) < 0) {
			snprintf(err, errlen, "job %s: unable to recheck its files: %s", j->rec.name,
			    store_strerror(s->st));
			store_abort(s->st);
			return -1;
		}
		total += n;
	} while (r == 1);
	return (int64_t)total;
}
