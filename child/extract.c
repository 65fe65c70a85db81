/* extract: an archive's entries written beneath one directory descriptor.
 *
 * Names are checked and brought to a normal form first (relative, no "..",
 * no "." or empty components, valid UTF-8 without controls). Directories
 * are then opened one descriptor at a time from the root with openat2
 * (RESOLVE_BENEATH, NO_SYMLINKS, NO_MAGICLINKS, NO_XDEV) or, without it,
 * with openat(O_NOFOLLOW | O_DIRECTORY) and a check of type and device;
 * every name is made by a call relative to such a descriptor with a single
 * component that never follows or replaces what is there (mkdirat,
 * symlinkat, linkat, renameat2 RENAME_NOREPLACE). A file's bytes go to an
 * unnamed O_TMPFILE (or a hidden name) and get their name once complete.
 * Every name made is remembered, in order, to find hardlink targets and
 * duplicates and to take everything away again when the archive fails. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "child/extract.h"
#include "child/archive/inspect.h"
#include "child/extract_names.h"

/* How finished files get their name: an O_TMPFILE linked by its
 * descriptor, or a hidden name renamed. */
enum tmp_mode { TMP_NAMED, TMP_EMPTY_PATH };

#define PARENTS	4	/* directories kept open */

struct xctx {
	struct archive *a;
	int root;
	dev_t dev;
	const struct archive_limits *l;
	struct extract_stats *st;
	char *err;
	size_t errlen;
	int openat2;
	int full;		/* names made reached max_entries */
	enum tmp_mode tmp;
	unsigned tmpseq;
	/* The directories of the last entries, kept open: archives list a
	 * directory's entries together, or interleave a few directories
	 * (each miss walks the whole path again, and deep paths cost a walk
	 * of the kernel's for every step). */
	struct {
		int fd;
		size_t len;
		unsigned long used;
		char path[PATH_MAX];
	} parent[PARENTS];
	unsigned long tick;
	struct names made;	/* every name made, in order */
	char path[PATH_MAX], target[PATH_MAX];
};

static int force_flags;

void
extract_test_force(int flags)
{
	force_flags = flags;
}

static int
fail(struct xctx *x, const char *reason, const char *detail)
{
	x->st->reason = reason;
	if (x->errlen == 0)
		return -1;
	if (detail)
		snprintf(x->err, x->errlen, "%s: %s", reason, detail);
	else
		snprintf(x->err, x->errlen, "%s", reason);
	return -1;
}

/* A failed system call: errnos that a hostile tree explains get their own
 * reason; the rest are I/O errors naming the call. */
static int
fail_errno(struct xctx *x, const char *call)
{
	char detail[128];
	int e = errno;

	if (x->full)
		return fail(x, "too_many_entries", NULL);
	switch (e) {
	case EEXIST:
		return fail(x, "duplicate_name", NULL);
	case ENAMETOOLONG:
		return fail(x, "name_too_long", NULL);
	}
	snprintf(detail, sizeof detail, "%s: %s", call, strerror(e));
	return fail(x, "io_error", detail);
}

/* A directory on the way that could not be opened (dir_open's errnos). */
static int
fail_walk(struct xctx *x)
{
	switch (errno) {
	case ELOOP:
		return fail(x, "link_write_through", NULL);
	case ENOTDIR:
		return fail(x, "path_conflict", NULL);
	case EXDEV:
		return fail(x, "path_traversal", NULL);
	}
	return fail_errno(x, "open");
}

/* libarchive refused to go on: the kind of damage its message names, in
 * the archive handler's words (its own reading of them). */
static int
fail_archive(struct xctx *x)
{
	const char *msg = archive_error_string(x->a);

	return fail(x, reason_name(damage_kind(msg)), msg);
}

/* Reserves room and copies the path; fails with ENOMEM, or when the names
 * made, directories implied by a path included, would pass max_entries
 * (x->full). */
static char *
made_prepare(struct xctx *x, const char *path, size_t len)
{
	char *copy;

	if (x->made.n >= x->l->max_entries) {
		x->full = 1;
		errno = ENOSPC;
		return NULL;
	}
	if (names_reserve(&x->made) < 0 || (copy = strndup(path, len)) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	return copy;
}

/* ---- directories ---------------------------------------------------- */

/* Opens the directory name below at: one component, or (with openat2) a
 * relative path. Never a symlink, never another filesystem. */
static int
dir_open(struct xctx *x, int at, const char *name)
{
	struct stat sb;
	int fd;

	if (x->openat2) {
		struct open_how how = {
			.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			    RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
		};
		long r;
		int tries = 0;

		/* EAGAIN: a rename or mount raced with the lookup. */
		do
			r = syscall(SYS_openat2, at, name, &how, sizeof how);
		while (r < 0 && (errno == EINTR || errno == EAGAIN) && ++tries < 16);
		return (int)r;
	}
	if ((fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		/* O_DIRECTORY answers ENOTDIR for a symlink too: tell them apart. */
		if (errno == ENOTDIR && fstatat(at, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(sb.st_mode))
			errno = ELOOP;
		return -1;
	}
	if (fstat(fd, &sb) < 0) {
		close(fd);
		return -1;
	}
	if (!S_ISDIR(sb.st_mode) || sb.st_dev != x->dev) {
		close(fd);
		errno = S_ISDIR(sb.st_mode) ? EXDEV : ENOTDIR;
		return -1;
	}
	return fd;
}

/* Opens the directory dir (a normal path of len bytes; empty for the
 * root) and returns a descriptor of the caller's. With create, missing
 * directories are made (mode 0755) and recorded. */
static int
dir_walk(struct xctx *x, const char *dir, size_t len, int create)
{
	char buf[PATH_MAX], *c, *slash;
	int cur, fd;

	if (len == 0)
		return dir_open(x, x->root, ".");
	memcpy(buf, dir, len);
	buf[len] = '\0';
	if (x->openat2) {
		fd = dir_open(x, x->root, buf);
		if (fd >= 0 || errno != ENOENT || !create)
			return fd;
	}
	cur = x->root;
	for (c = buf; c; c = slash ? slash + 1 : NULL) {
		if ((slash = strchr(c, '/')) != NULL)
			*slash = '\0';
		fd = dir_open(x, cur, c);
		if (fd < 0 && errno == ENOENT && create) {
			size_t plen = (size_t)(c - buf) + strlen(c);
			char *copy = made_prepare(x, dir, plen);

			if (!copy)
				goto fail;
			if (mkdirat(cur, c, 0700) < 0) {
				free(copy);
				goto fail;
			}
			names_add(&x->made, copy, MADE_DIR);
			x->st->dirs++;
			if ((fd = dir_open(x, cur, c)) >= 0 && fchmod(fd, 0755) < 0) {
				close(fd);
				fd = -1;
			}
		}
		if (fd < 0)
			goto fail;
		if (cur != x->root)
			close(cur);
		cur = fd;
		if (slash)
			*slash = '/';
	}
	return cur;
fail:
	if (cur != x->root) {
		int e = errno;

		close(cur);
		errno = e;
	}
	return -1;
}

/* The directory that holds path, kept open in x->parent until it is the
 * least recently used of them; *leaf gets the last component. Missing
 * directories are made. */
static int
parent_get(struct xctx *x, const char *path, size_t len, const char **leaf)
{
	size_t dlen = names_split(path, len, leaf), i, lru = 0;
	int fd;

	for (i = 0; i < PARENTS; i++) {
		if (x->parent[i].fd >= 0 && x->parent[i].len == dlen &&
		    memcmp(x->parent[i].path, path, dlen) == 0) {
			x->parent[i].used = ++x->tick;
			return x->parent[i].fd;
		}
		if (x->parent[i].used < x->parent[lru].used)
			lru = i;
	}
	if ((fd = dir_walk(x, path, dlen, 1)) < 0)
		return -1;
	if (x->parent[lru].fd >= 0)
		close(x->parent[lru].fd);
	x->parent[lru].fd = fd;
	x->parent[lru].len = dlen;
	x->parent[lru].used = ++x->tick;
	memcpy(x->parent[lru].path, path, dlen);
	return fd;
}

static void
parent_drop(struct xctx *x)
{
	size_t i;

	for (i = 0; i < PARENTS; i++) {
		if (x->parent[i].fd >= 0)
			close(x->parent[i].fd);
		x->parent[i].fd = -1;
		x->parent[i].used = 0;
	}
}

/* ---- entries -------------------------------------------------------- */

static int
set_mtime(int fd, const struct made *m)
{
	struct timespec ts[2] = {
		{ .tv_sec = 0, .tv_nsec = UTIME_OMIT },
		{ .tv_sec = (time_t)m->mtime, .tv_nsec = m->mtime_ns },
	};

	return m->has_mtime ? futimens(fd, ts) : 0;
}

static void
get_mtime(struct archive_entry *e, struct made *m)
{
	long ns = archive_entry_mtime_nsec(e);

	m->has_mtime = archive_entry_mtime_is_set(e) != 0;
	m->mtime = archive_entry_mtime(e);
	m->mtime_ns = ns >= 0 && ns < 1000000000 ? ns : 0;
}

static int
do_dir(struct xctx *x, struct archive_entry *e, size_t len)
{
	const char *leaf;
	char *copy = NULL;
	struct made *m;
	long i;
	int pfd, fd;

	if (len == 0)
		return 0;	/* "./": the root itself, left as it is */
	if ((pfd = parent_get(x, x->path, len, &leaf)) < 0)
		return fail_walk(x);
	if ((i = names_find(&x->made, x->path, len)) >= 0) {
		/* A directory listed again, or first implied by a name in it. */
		if (x->made.v[i].type != MADE_DIR)
			return fail(x, "duplicate_name", NULL);
		m = &x->made.v[i];
	} else {
		if ((copy = made_prepare(x, x->path, len)) == NULL)
			return fail_errno(x, "malloc");
		if (mkdirat(pfd, leaf, 0700) < 0) {
			free(copy);
			return fail_errno(x, "mkdirat");
		}
		m = names_add(&x->made, copy, MADE_DIR);
		x->st->dirs++;
	}
	get_mtime(e, m);
	if ((fd = dir_open(x, pfd, leaf)) < 0)
		return fail_walk(x);
	/* Owner rwx always: the tree stays readable and removable. */
	if (fchmod(fd, (archive_entry_perm(e) & 0755) | 0700) < 0) {
		close(fd);
		return fail_errno(x, "fchmod");
	}
	close(fd);
	return 0;
}

static int
write_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;
	ssize_t w;

	while (len > 0) {
		if ((w = pwrite(fd, p, len, off)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
		off += w;
	}
	return 0;
}

/* Charges cost bytes to the entry (charged so far) and the archive. */
static int
charge(struct xctx *x, uint64_t *charged, uint64_t cost)
{
	if (cost > x->l->max_entry_bytes - *charged)
		return fail(x, "entry_too_large", NULL);
	if (cost > x->l->max_bytes - x->st->bytes)
		return fail(x, "too_large", NULL);
	*charged += cost;
	x->st->bytes += cost;
	return 0;
}

/* Writes the entry's data to fd. Each block is charged its length and the
 * hole before it, against the entry's and the archive's limits, before it
 * is written. */
static int
write_data(struct xctx *x, struct archive_entry *e, int fd)
{
	uint64_t extent = 0, charged = 0, end;
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	for (;;) {
		r = archive_read_data_block(x->a, &buf, &len, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return fail_archive(x);
		if (off < 0 || (uint64_t)off > INT64_MAX - (uint64_t)len)
			return fail(x, "corrupt", "entry data at an impossible offset");
		if (charge(x, &charged, len + ((uint64_t)off > extent ? (uint64_t)off - extent : 0)) < 0)
			return -1;
		if ((uint64_t)off + len > extent)
			extent = (uint64_t)off + len;
		if (len > 0 && write_all(fd, buf, len, (off_t)off) < 0)
			return fail_errno(x, "write");
	}
	/* A sparse file's hole at its end has no block: the header's size
	 * says how long it is, and is charged like the holes before. */
	if (archive_entry_sparse_count(e) > 0 && archive_entry_size_is_set(e) &&
	    archive_entry_size(e) > 0 && (uint64_t)archive_entry_size(e) > extent) {
		end = (uint64_t)archive_entry_size(e);
		if (charge(x, &charged, end - extent) < 0)
			return -1;
		extent = end;
	}
	if (ftruncate(fd, (off_t)extent) < 0)
		return fail_errno(x, "ftruncate");
	return 0;
}

/* Opens a file to write in pfd: unnamed, or under a hidden name in tmp. */
static int
tmp_open(struct xctx *x, int pfd, char *tmp, size_t tmplen)
{
	int fd, tries;

	if (x->tmp != TMP_NAMED)
		return openat(pfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	for (tries = 0; tries < 100; tries++) {
		snprintf(tmp, tmplen, ".corral-tmp-%ld-%u", (long)getpid(), x->tmpseq++);
		fd = openat(pfd, tmp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/* Gives the complete file its name, never replacing one. */
static int
tmp_link(struct xctx *x, int fd, int pfd, const char *tmp, const char *leaf)
{
	if (x->tmp == TMP_EMPTY_PATH)
		return linkat(fd, "", pfd, leaf, AT_EMPTY_PATH);
	if (renameat2(pfd, tmp, pfd, leaf, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* A filesystem without RENAME_NOREPLACE: linkat never replaces. */
	if (linkat(pfd, tmp, pfd, leaf, 0) < 0)
		return -1;
	unlinkat(pfd, tmp, 0);
	return 0;
}

static int
do_file(struct xctx *x, struct archive_entry *e, size_t len)
{
	char tmp[64] = "", *copy;
	const char *leaf;
	struct made m;
	mode_t perm = archive_entry_perm(e);
	int pfd, fd, r = -1;

	if (perm & S_ISUID)
		return fail(x, "setuid", NULL);
	if (perm & S_ISGID)
		return fail(x, "setgid", NULL);
	if ((pfd = parent_get(x, x->path, len, &leaf)) < 0)
		return fail_walk(x);
	if (names_find(&x->made, x->path, len) >= 0)
		return fail(x, "duplicate_name", NULL);
	if ((copy = made_prepare(x, x->path, len)) == NULL)
		return fail_errno(x, "malloc");
	if ((fd = tmp_open(x, pfd, tmp, sizeof tmp)) < 0) {
		fail_errno(x, "open");
		goto out;
	}
	get_mtime(e, &m);
	if (write_data(x, e, fd) < 0)
		goto out;
	/* Owner read and write always; group and others never write. */
	if (fchmod(fd, (perm & 0755) | 0600) < 0 || set_mtime(fd, &m) < 0) {
		fail_errno(x, "fchmod");
		goto out;
	}
	if (tmp_link(x, fd, pfd, tmp, leaf) < 0) {
		fail_errno(x, "linkat");
		goto out;
	}
	tmp[0] = '\0';
	names_add(&x->made, copy, MADE_FILE);
	copy = NULL;
	x->st->files++;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp[0])
		unlinkat(pfd, tmp, 0);
	free(copy);
	return r;
}

/* A symlink is made only when its target, taken as written from the
 * link's own directory, stays inside: relative, its ".." components all
 * leading and no more of them than the link is deep. A ".." after a name
 * is refused even when it would cancel out, since that name may itself be
 * a symlink that the kernel resolves elsewhere. */
static int
do_symlink(struct xctx *x, struct archive_entry *e, size_t len)
{
	const char *raw = archive_entry_symlink(e), *leaf, *why;
	char link[PATH_MAX], *copy;
	size_t tlen, depth = 0, i, o = 0;
	unsigned ups;
	int pfd;

	if (!raw)
		return fail(x, "symlink_escape", NULL);
	if ((why = names_norm(raw, x->l->max_name, x->target, &tlen, &ups)) != NULL) {
		if (strcmp(why, "path_traversal") == 0 || strcmp(why, "absolute_path") == 0 ||
		    strcmp(why, "drive_letter") == 0)
			why = "symlink_escape";
		return fail(x, why, NULL);
	}
	for (i = 0; i < len; i++)
		depth += x->path[i] == '/';
	if (ups > depth)
		return fail(x, "symlink_escape", NULL);
	if (ups * 3 + tlen + 2 > sizeof link)
		return fail(x, "name_too_long", NULL);
	for (i = 0; i < ups; i++) {
		memcpy(link + o, "../", 3);
		o += 3;
	}
	memcpy(link + o, x->target, tlen);
	o += tlen;
	if (tlen == 0 && o > 0)
		o--;		/* "../.." without its last '/' */
	if (o == 0)
		link[o++] = '.';
	link[o] = '\0';
	if ((pfd = parent_get(x, x->path, len, &leaf)) < 0)
		return fail_walk(x);
	if (names_find(&x->made, x->path, len) >= 0)
		return fail(x, "duplicate_name", NULL);
	if ((copy = made_prepare(x, x->path, len)) == NULL)
		return fail_errno(x, "malloc");
	if (symlinkat(link, pfd, leaf) < 0) {
		free(copy);
		return fail_errno(x, "symlinkat");
	}
	names_add(&x->made, copy, MADE_SYMLINK);
	x->st->symlinks++;
	return 0;
}

/* A hardlink only to a regular file this call has already made. */
static int
do_hardlink(struct xctx *x, const char *raw, size_t len)
{
	const char *leaf, *tleaf;
	const void *buf;
	size_t tlen, n, tdir;
	la_int64_t off;
	struct stat sb;
	char *copy;
	long i;
	int pfd, tfd, r;

	if (names_norm(raw, x->l->max_name, x->target, &tlen, NULL) != NULL || tlen == 0)
		return fail(x, "hardlink_escape", NULL);
	if ((i = names_find(&x->made, x->target, tlen)) < 0 || x->made.v[i].type != MADE_FILE)
		return fail(x, "hardlink_escape", NULL);
	/* Data on a link entry would be written through to its target. */
	while ((r = archive_read_data_block(x->a, &buf, &n, &off)) == ARCHIVE_OK ||
	    r == ARCHIVE_WARN)
		if (n > 0)
			return fail(x, "hardlink_data", NULL);
	if (r != ARCHIVE_EOF)
		return fail_archive(x);
	if ((pfd = parent_get(x, x->path, len, &leaf)) < 0)
		return fail_walk(x);
	if (names_find(&x->made, x->path, len) >= 0)
		return fail(x, "duplicate_name", NULL);
	tdir = names_split(x->target, tlen, &tleaf);
	if ((tfd = dir_walk(x, x->target, tdir, 0)) < 0)
		return fail_walk(x);
	if (fstatat(tfd, tleaf, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(sb.st_mode)) {
		close(tfd);
		return fail(x, "hardlink_escape", NULL);
	}
	if ((copy = made_prepare(x, x->path, len)) == NULL) {
		close(tfd);
		return fail_errno(x, "malloc");
	}
	if (linkat(tfd, tleaf, pfd, leaf, 0) < 0) {
		free(copy);
		close(tfd);
		return fail_errno(x, "linkat");
	}
	close(tfd);
	names_add(&x->made, copy, MADE_FILE);
	x->st->files++;
	x->st->hardlinks++;
	return 0;
}

static int
do_entry(struct xctx *x, struct archive_entry *e)
{
	const char *raw = archive_entry_pathname(e), *hl = archive_entry_hardlink(e), *why;
	size_t len;

	if (!raw)
		return fail(x, "bad_name_encoding", NULL);
	if ((why = names_norm(raw, x->l->max_name, x->path, &len, NULL)) != NULL)
		return fail(x, why, NULL);
	if (len == 0 && (hl || archive_entry_filetype(e) != AE_IFDIR))
		return fail(x, "empty_name", NULL);
	if (hl)
		return do_hardlink(x, hl, len);
	switch (archive_entry_filetype(e)) {
	case AE_IFREG:
		return do_file(x, e, len);
	case AE_IFDIR:
		return do_dir(x, e, len);
	case AE_IFLNK:
		return do_symlink(x, e, len);
	case AE_IFCHR:
	case AE_IFBLK:
		return fail(x, "device", NULL);
	case AE_IFIFO:
		return fail(x, "fifo", NULL);
	case AE_IFSOCK:
		return fail(x, "socket", NULL);
	default:
		return fail(x, "unknown_type", NULL);
	}
}

/* ---- the whole archive ---------------------------------------------- */

/* Which paths this kernel and sandbox allow: openat2, and linking an
 * O_TMPFILE by its descriptor (AT_EMPTY_PATH: older kernels allow it only
 * with CAP_DAC_READ_SEARCH; the /proc/self/fd way needs /proc and a path
 * from AT_FDCWD, which a sandbox rightly refuses). The link probes name
 * "." as the new name: the source is looked up first, so EEXIST means the
 * link itself would have been allowed, and nothing is created. */
static int
probe(struct xctx *x)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
		    RESOLVE_NO_XDEV,
	};
	long fd;

	x->openat2 = 0;
	if (!(force_flags & EXTRACT_NO_OPENAT2)) {
		fd = syscall(SYS_openat2, x->root, ".", &how, sizeof how);
		if (fd >= 0) {
			close((int)fd);
			x->openat2 = 1;
		} else if (errno != ENOSYS && errno != EPERM && errno != EINVAL && errno != E2BIG) {
			return fail_errno(x, "openat2");
		}
	}
	x->tmp = TMP_NAMED;
	if (force_flags & EXTRACT_NO_TMPFILE)
		return 0;
	if ((fd = openat(x->root, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600)) < 0)
		return 0;
	if (linkat((int)fd, "", x->root, ".", AT_EMPTY_PATH) < 0 && errno == EEXIST)
		x->tmp = TMP_EMPTY_PATH;
	close((int)fd);
	return 0;
}

/* Removes every name made, the last first; counts those that stay. */
static void
undo(struct xctx *x)
{
	const char *leaf;
	size_t i, dlen;
	int fd;

	parent_drop(x);
	for (i = x->made.n; i-- > 0;) {
		const struct made *m = &x->made.v[i];

		dlen = names_split(m->path, strlen(m->path), &leaf);
		fd = dir_walk(x, m->path, dlen, 0);
		if (fd < 0 || unlinkat(fd, leaf, m->type == MADE_DIR ? AT_REMOVEDIR : 0) < 0)
			x->st->left++;
		if (fd >= 0)
			close(fd);
	}
}

/* Directory times last: making names in a directory changes its mtime. */
static int
dir_times(struct xctx *x)
{
	size_t i;
	int fd;

	parent_drop(x);
	for (i = x->made.n; i-- > 0;) {
		const struct made *m = &x->made.v[i];

		if (m->type != MADE_DIR || !m->has_mtime)
			continue;
		if ((fd = dir_walk(x, m->path, strlen(m->path), 0)) < 0)
			return fail_walk(x);
		if (set_mtime(fd, m) < 0) {
			close(fd);
			return fail_errno(x, "futimens");
		}
		close(fd);
	}
	return 0;
}

int
extract_archive(struct archive *a, int dirfd, const struct archive_limits *l,
    struct extract_stats *st, char *err, size_t errlen)
{
	struct xctx x;
	struct archive_entry *e;
	struct stat sb;
	size_t i;
	int r, rc = -1;

	memset(st, 0, sizeof *st);
	memset(&x, 0, sizeof x);
	x.a = a;
	x.root = dirfd;
	x.l = l;
	x.st = st;
	x.err = err;
	x.errlen = errlen;
	for (i = 0; i < PARENTS; i++)
		x.parent[i].fd = -1;
	/* Names are the archive's choice: an unknown seed keeps them from
	 * being chosen to collide in the index. */
	if (getrandom(&x.made.seed, sizeof x.made.seed, GRND_NONBLOCK) != sizeof x.made.seed)
		x.made.seed = (uint64_t)(uintptr_t)&x ^ (uint64_t)getpid() << 32;
	if (errlen > 0)
		err[0] = '\0';
	if (fstat(dirfd, &sb) < 0)
		return fail_errno(&x, "fstat");
	if (!S_ISDIR(sb.st_mode)) {
		errno = ENOTDIR;
		return fail_errno(&x, "fstat");
	}
	x.dev = sb.st_dev;
	if (probe(&x) < 0)
		return -1;
	for (;;) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			fail_archive(&x);
			goto out;
		}
		if (entry_normalize(a, e))
			continue;
		if (++st->entries > l->max_entries) {
			fail(&x, "too_many_entries", NULL);
			goto out;
		}
		if (do_entry(&x, e) < 0) {
			snprintf(st->entry, sizeof st->entry, "%s",
			    archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
			goto out;
		}
	}
	if (dir_times(&x) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		undo(&x);
	parent_drop(&x);
	names_free(&x.made);
	return rc;
}
