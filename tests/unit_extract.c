/* Unit tests of child/extract.c. Each case builds an archive in memory with
 * libarchive's writer, extracts it into a fresh directory "root" through
 * its descriptor, and then walks the whole temporary tree: nothing may land
 * in the sibling "outside" (or in /tmp), no special file, set-id or sticky
 * bit, world-writable mode or symlink leading out of root may exist, a
 * refused archive leaves root as it was (with the right reason code), and a
 * clean one is extracted whole with the right bytes, modes and links.
 * Every case runs four times: with openat2 and O_TMPFILE, and with each of
 * the fallbacks a kernel or sandbox without them takes. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "child/extract.h"
#include "child/extract_names.h"
#include "tests/tap.h"

#define ARCHIVE_CAP	(4u << 20)
#define PROBE		"/tmp/corral-extract-probe"

/* One entry to write. type: f file, S sparse file (size bytes, data at
 * off, the rest holes), d dir, l symlink, h hardlink, c char device, b
 * block device, p fifo, s socket. */
struct ent {
	char type;
	const char *path;
	unsigned mode;
	const char *data;	/* a file's bytes; NULL: size bytes of pattern */
	size_t size;
	const char *link;	/* symlink or hardlink target */
	long mtime;		/* 0: none */
	long off;		/* a sparse file's data */
};

struct xcase {
	const char *name;
	const char *reason;	/* NULL: a clean archive */
	struct ent e[16];
	int format;		/* 0: pax restricted */
	struct archive_limits lim;	/* zero fields: the defaults */
	size_t cut;		/* keep only this many bytes of the archive */
	const char *pre;	/* put in root first: "keep" a file, "escape" a
				 * symlink out, "dir" a directory */
	size_t (*raw)(unsigned char *);	/* writes the archive itself */
	const char *entry;	/* the entry refused; NULL: the last one */
};

static char base[64], root[PATH_MAX], outside[PATH_MAX];
static unsigned char *abuf;

static unsigned char
pattern(const char *path, size_t i)
{
	return (unsigned char)(i * 131 + strlen(path) * 7 + (i >> 9));
}

static size_t
build(const struct xcase *c)
{
	struct archive *a = archive_write_new();
	unsigned char *data;
	size_t used = 0, i, j;

	if (c->format)
		archive_write_set_format(a, c->format);
	else
		archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_per_block(a, 0);
	if (archive_write_open_memory(a, abuf, ARCHIVE_CAP, &used) != ARCHIVE_OK)
		return 0;
	for (i = 0; i < 16 && c->e[i].type; i++) {
		const struct ent *t = &c->e[i];
		struct archive_entry *e = archive_entry_new();
		size_t size = t->data && t->type != 'S' ? strlen(t->data) : t->size;

		archive_entry_set_pathname(e, t->path);
		archive_entry_set_perm(e, t->mode ? t->mode : 0644);
		archive_entry_set_size(e, 0);
		if (t->mtime)
			archive_entry_set_mtime(e, t->mtime, 0);
		switch (t->type) {
		case 'f':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_size(e, (la_int64_t)size);
			break;
		case 'S':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_size(e, (la_int64_t)size);
			archive_entry_sparse_add_entry(e, t->off, (la_int64_t)strlen(t->data));
			break;
		case 'd':
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, t->mode ? t->mode : 0755);
			break;
		case 'l':
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, t->link);
			break;
		case 'h':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, t->link);
			break;
		case 'c':
		case 'b':
			archive_entry_set_filetype(e, t->type == 'c' ? AE_IFCHR : AE_IFBLK);
			archive_entry_set_rdevmajor(e, 1);
			archive_entry_set_rdevminor(e, 3);
			break;
		case 'p':
			archive_entry_set_filetype(e, AE_IFIFO);
			break;
		case 's':
			archive_entry_set_filetype(e, AE_IFSOCK);
			break;
		}
		if (archive_write_header(a, e) < ARCHIVE_WARN) {
			printf("# %s: header of %s: %s\n", c->name, t->path, archive_error_string(a));
			archive_entry_free(e);
			archive_write_free(a);
			return 0;
		}
		if (t->type == 'f' && size > 0) {
			data = malloc(size);
			for (j = 0; j < size; j++)
				data[j] = t->data ? (unsigned char)t->data[j] : pattern(t->path, j);
			archive_write_data(a, data, size);
			free(data);
		}
		if (t->type == 'S') {
			/* The writer takes the whole stream and skips the holes. */
			static const char zeros[1 << 16];
			long done;

			for (done = 0; done < t->off; done += (long)sizeof zeros)
				archive_write_data(a, zeros, t->off - done < (long)sizeof zeros ?
				    (size_t)(t->off - done) : sizeof zeros);
			archive_write_data(a, t->data, strlen(t->data));
		}
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	return c->cut && c->cut < used ? c->cut : used;
}

/* s with bytes outside printable ASCII as \xNN, for a test's description. */
static const char *
shown(const char *s)
{
	static char buf[4 * EXTRACT_ENTRY_MAX + 1];
	size_t o = 0;

	for (; *s && o + 5 < sizeof buf; s++)
		if (*s >= 0x20 && *s < 0x7f)
			buf[o++] = *s;
		else
			o += (size_t)snprintf(buf + o, sizeof buf - o, "\\x%02x", (unsigned char)*s);
	buf[o] = '\0';
	return buf;
}

/* ---- the tree after extraction ------------------------------------- */

static struct {
	int in_root, in_outside, special, setid, world_w, escapes, temps;
} seen;

static int
inside(const char *p, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(p, dir, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

/* The symlink at p, resolved lexically from its directory, lands inside
 * root; and so does the kernel's resolution of it, where there is one. */
static int
link_stays(const char *p)
{
	char target[PATH_MAX], joined[2 * PATH_MAX], real[PATH_MAX], *parts[256];
	char *s, *save = NULL;
	ssize_t n = readlink(p, target, sizeof target - 1);
	int np = 0, i;
	size_t o = 0;

	if (n < 0)
		return 0;
	target[n] = '\0';
	if (target[0] == '/')
		return 0;
	snprintf(joined, sizeof joined, "%s/../%s", p, target);
	for (s = strtok_r(joined, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
		if (strcmp(s, ".") == 0)
			continue;
		if (strcmp(s, "..") == 0) {
			if (np == 0)
				return 0;
			np--;
		} else if (np < 256) {
			parts[np++] = s;
		}
	}
	for (i = 0; i < np; i++)
		o += (size_t)snprintf(real + o, sizeof real - o, "/%s", parts[i]);
	if (!inside(real, root))
		return 0;
	if (realpath(p, real) && !inside(real, root))
		return 0;
	return 1;
}

static int
walk_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)flag;
	(void)f;
	if (strcmp(p, base) == 0 || strcmp(p, root) == 0 || strcmp(p, outside) == 0)
		return 0;
	if (inside(p, outside))
		seen.in_outside++;
	else if (inside(p, root))
		seen.in_root++;
	else
		seen.in_outside++;	/* a stranger beside root and outside */
	if (S_ISCHR(sb->st_mode) || S_ISBLK(sb->st_mode) || S_ISFIFO(sb->st_mode) ||
	    S_ISSOCK(sb->st_mode))
		seen.special++;
	if (sb->st_mode & (S_ISUID | S_ISGID | S_ISVTX))
		seen.setid++;
	if (!S_ISLNK(sb->st_mode) && (sb->st_mode & S_IWOTH))
		seen.world_w++;
	if (S_ISLNK(sb->st_mode) && !link_stays(p) && strcmp(p + strlen(root), "/escape") != 0)
		seen.escapes++;
	if (strstr(p, ".corral-tmp"))
		seen.temps++;
	return 0;
}

static void
walk(void)
{
	memset(&seen, 0, sizeof seen);
	nftw(base, walk_one, 16, FTW_PHYS);
}

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)f;
	if (strcmp(p, root) != 0)
		(flag == FTW_DP ? rmdir : unlink)(p);
	return 0;
}

static void
empty_root(void)
{
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- checks of a clean extraction ----------------------------------- */

static void
check_file(const struct xcase *c, const struct ent *t)
{
	char p[2 * PATH_MAX];
	struct stat sb;
	size_t size = t->data ? strlen(t->data) : t->size, j, bad = 0;
	unsigned char *buf = malloc(size + 1);
	ssize_t n = -1;
	int fd;

	snprintf(p, sizeof p, "%s/%s", root, t->path);
	if ((fd = open(p, O_RDONLY | O_NOFOLLOW)) >= 0) {
		n = read(fd, buf, size + 1);
		fstat(fd, &sb);
		close(fd);
	}
	for (j = 0; n == (ssize_t)size && j < size; j++)
		bad += buf[j] != (t->data ? (unsigned char)t->data[j] : pattern(t->path, j));
	ok(n == (ssize_t)size && bad == 0, "%s: %s has its %zu bytes", c->name, t->path, size);
	if (n >= 0) {
		is_int(sb.st_mode & 07777, ((t->mode ? t->mode : 0644) & 0755) | 0600,
		    "%s: %s mode", c->name, t->path);
		if (t->mtime)
			is_int(sb.st_mtime, t->mtime, "%s: %s mtime", c->name, t->path);
	}
	free(buf);
}

static void
check_sparse(const struct xcase *c, const struct ent *t)
{
	char p[2 * PATH_MAX];
	unsigned char *buf = malloc(t->size + 1);
	size_t j, bad = 0, dlen = strlen(t->data);
	ssize_t n = -1;
	int fd;

	snprintf(p, sizeof p, "%s/%s", root, t->path);
	if ((fd = open(p, O_RDONLY | O_NOFOLLOW)) >= 0) {
		n = read(fd, buf, t->size + 1);
		close(fd);
	}
	for (j = 0; n == (ssize_t)t->size && j < t->size; j++)
		bad += buf[j] != ((long)j >= t->off && j - (size_t)t->off < dlen ?
		    (unsigned char)t->data[j - (size_t)t->off] : 0);
	ok(n == (ssize_t)t->size && bad == 0, "%s: %s has its %zu bytes, holes and all",
	    c->name, t->path, t->size);
	free(buf);
}

static void
check_clean(const struct xcase *c)
{
	char p[2 * PATH_MAX], q[2 * PATH_MAX], target[PATH_MAX];
	struct stat sb, sb2;
	ssize_t n;
	size_t i;

	for (i = 0; i < 16 && c->e[i].type; i++) {
		const struct ent *t = &c->e[i];

		snprintf(p, sizeof p, "%s/%s", root, t->path);
		switch (t->type) {
		case 'f':
			check_file(c, t);
			break;
		case 'S':
			check_sparse(c, t);
			break;
		case 'd':
			if (strcmp(t->path, "./") == 0)
				break;	/* the root: left as it is */
			ok(lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode) &&
			    (sb.st_mode & 07777) == (((t->mode ? t->mode : 0755) & 0755) | 0700),
			    "%s: directory %s, mode %o", c->name, t->path, (unsigned)(sb.st_mode & 07777));
			if (t->mtime)
				is_int(sb.st_mtime, t->mtime, "%s: %s mtime", c->name, t->path);
			break;
		case 'l':
			n = readlink(p, target, sizeof target - 1);
			if (n >= 0)
				target[n] = '\0';
			ok(n >= 0 && strcmp(target, t->link) == 0, "%s: symlink %s -> %s",
			    c->name, t->path, t->link);
			break;
		case 'h':
			snprintf(q, sizeof q, "%s/%s", root, t->link);
			ok(lstat(p, &sb) == 0 && lstat(q, &sb2) == 0 && sb.st_ino == sb2.st_ino &&
			    S_ISREG(sb.st_mode), "%s: %s is a hardlink of %s", c->name, t->path, t->link);
			break;
		}
	}
}

/* ---- the cases ------------------------------------------------------- */

/* One ustar header block at b. */
static void
ustar(unsigned char *b, const char *name, char type, const char *link, size_t size)
{
	unsigned sum = 0;
	int i;

	memset(b, 0, 512);
	memcpy(b, name, strlen(name));
	memcpy(b + 100, "0000644", 7);
	memcpy(b + 108, "0000000", 7);
	memcpy(b + 116, "0000000", 7);
	snprintf((char *)b + 124, 12, "%011zo", size);
	memcpy(b + 136, "00000000000", 11);
	b[156] = (unsigned char)type;
	memcpy(b + 157, link, strlen(link));
	memcpy(b + 257, "ustar", 6);
	memcpy(b + 263, "00", 2);
	memset(b + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += b[i];
	snprintf((char *)b + 148, 8, "%06o", sum);
}

/* A hardlink entry that carries data of its own, which pax allows and
 * libarchive's writers never produce: "f" (abc), then "h" linking to it
 * with 5 bytes, behind a pax header so that the reader keeps its size. */
static size_t
hardlink_with_data(unsigned char *b)
{
	memset(b, 0, 512 * 9);
	ustar(b, "f", '0', "", 3);
	memcpy(b + 512, "abc", 3);
	ustar(b + 1024, "PaxHeader/h", 'x', "", 10);
	memcpy(b + 1536, "10 path=h\n", 10);
	ustar(b + 2048, "h", '1', "f", 5);
	memcpy(b + 2560, "XXXXX", 5);
	return 512 * 8;
}

#define LONG64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define LONG256 LONG64 LONG64 LONG64 LONG64

static const struct xcase cases[] = {
	/* Clean archives. */
	{ .name = "nested", .reason = NULL, .e = {
		{ 'd', "./", 0755, NULL, 0, NULL, 0, 0 },
		{ 'd', "a", 0755, NULL, 0, NULL, 0, 0 },
		{ 'd', "a/b", 0750, NULL, 0, NULL, 1000000000, 0 },
		{ 'd', "a/b/c", 0755, NULL, 0, NULL, 0, 0 },
		{ 'f', "a/b/c/f", 0644, "hello\n", 0, NULL, 1234567890, 0 },
		{ 'f', "top", 0644, NULL, 200000, NULL, 0, 0 },
		{ 'f', "a/exe", 0755, "#!/bin/sh\necho hi\n", 0, NULL, 0, 0 },
		{ 'f', "a/ro", 0444, "read only", 0, NULL, 0, 0 },
		{ 'f', "x/y/z", 0644, "implied parents", 0, NULL, 0, 0 },
		{ 'f', "empty", 0644, "", 0, NULL, 0, 0 },
		{ 'f', "\xc3\xa9t\xc3\xa9.txt", 0644, "utf-8 name", 0, NULL, 0, 0 },
		{ 'h', "a/hl", 0644, NULL, 0, "a/b/c/f", 0, 0 },
		{ 'l', "a/b/l", 0, NULL, 0, "../exe", 0, 0 },
		{ 'l', "a/self", 0, NULL, 0, ".", 0, 0 },
		{ 'l', "a/b/up", 0, NULL, 0, "../..", 0, 0 },
	} },
	{ .name = "modes stripped", .reason = NULL, .e = {
		{ 'd', "w", 0777, NULL, 0, NULL, 0, 0 },
		{ 'd', "s", 01777, NULL, 0, NULL, 0, 0 },
		{ 'd', "g", 02755, NULL, 0, NULL, 0, 0 },
		{ 'f', "w/ww", 0666, "world", 0, NULL, 0, 0 },
		{ 'f', "s/sticky", 01644, "sticky", 0, NULL, 0, 0 },
		{ 'f', "g/none", 0000, "no mode", 0, NULL, 0, 0 },
	} },
	{ .name = "dir listed after its files", .reason = NULL, .e = {
		{ 'f', "d/e/f", 0644, "first", 0, NULL, 0, 0 },
		{ 'd', "d/e", 0700, NULL, 0, NULL, 0, 0 },
		{ 'd', "d", 0755, NULL, 0, NULL, 0, 0 },
	} },
	{ .name = "zip", .reason = NULL, .e = {
		{ 'd', "z/", 0755, NULL, 0, NULL, 0, 0 },
		{ 'f', "z/one", 0644, "zipped bytes", 0, NULL, 0, 0 },
		{ 'f', "z/two", 0755, NULL, 70000, NULL, 0, 0 },
	}, .format = ARCHIVE_FORMAT_ZIP },
	{ .name = "sparse", .reason = NULL, .e = {
		{ .type = 'S', .path = "sp", .mode = 0644, .data = "0123456789", .size = 100000, .off = 50000 },
		{ .type = 'S', .path = "tail", .mode = 0644, .data = "head", .size = 70000, .off = 0 },
	} },
	{ .name = "at the limits", .reason = NULL, .e = {
		{ 'f', "a", 0644, NULL, 500, NULL, 0, 0 },
		{ 'f', "b", 0644, NULL, 500, NULL, 0, 0 },
		{ 'd', "c", 0755, NULL, 0, NULL, 0, 0 },
	}, .lim = { .max_entries = 3, .max_bytes = 1000, .max_entry_bytes = 500, .max_name = 8 } },

	/* Names. */
	{ .name = "dotdot", .reason = "path_traversal", .e = {
		{ 'f', "../x", 0644, "out", 0, NULL, 0, 0 },
	} },
	{ .name = "dotdot inside", .reason = "path_traversal", .e = {
		{ 'f', "ok", 0644, "fine", 0, NULL, 0, 0 },
		{ 'f', "a/../../x", 0644, "out", 0, NULL, 0, 0 },
	} },
	{ .name = "dotdot that cancels", .reason = "path_traversal", .e = {
		{ 'f', "a/../b", 0644, "b", 0, NULL, 0, 0 },
	} },
	{ .name = "to outside", .reason = "path_traversal", .e = {
		{ 'f', "../outside/x", 0644, "o", 0, NULL, 0, 0 },
	} },
	{ .name = "absolute", .reason = "absolute_path", .e = {
		{ 'f', "/tmp/corral-extract-probe", 0644, "o", 0, NULL, 0, 0 },
	} },
	{ .name = "backslash", .reason = "backslash", .e = {
		{ 'f', "..\\x", 0644, "o", 0, NULL, 0, 0 },
	} },
	{ .name = "drive letter", .reason = "drive_letter", .e = {
		{ 'f', "C:x", 0644, "o", 0, NULL, 0, 0 },
	} },
	{ .name = "control char", .reason = "control_char", .e = {
		{ 'f', "a\x01" "b", 0644, "o", 0, NULL, 0, 0 },
	} },
	{ .name = "newline", .reason = "control_char", .e = {
		{ 'f', "a\nb", 0644, "o", 0, NULL, 0, 0 },
	} },
	{ .name = "C1 control", .reason = "control_char", .e = {
		{ 'f', "a\xc2\x9b" "b", 0644, "o", 0, NULL, 0, 0 },
	} },
	{ .name = "invalid utf-8", .reason = "bad_name_encoding", .e = {
		{ 'f', "a\xff\xfe", 0644, "o", 0, NULL, 0, 0 },
	}, .format = ARCHIVE_FORMAT_TAR_GNUTAR },
	{ .name = "name over max_name", .reason = "name_too_long", .e = {
		{ 'f', "short", 0644, "s", 0, NULL, 0, 0 },
		{ 'f', LONG64 "b", 0644, "o", 0, NULL, 0, 0 },
	}, .lim = { .max_name = 64 } },
	{ .name = "component over NAME_MAX", .reason = "name_too_long", .e = {
		{ 'f', "d/" LONG256, 0644, "o", 0, NULL, 0, 0 },
	} },
	{ .name = "dot alone", .reason = "empty_name", .e = {
		{ 'f', ".", 0644, "o", 0, NULL, 0, 0 },
	} },

	/* Links. */
	{ .name = "symlink absolute", .reason = "symlink_escape", .e = {
		{ 'l', "l", 0, NULL, 0, "/etc", 0, 0 },
	} },
	{ .name = "symlink up", .reason = "symlink_escape", .e = {
		{ 'l', "l", 0, NULL, 0, "../..", 0, 0 },
	} },
	{ .name = "symlink to outside", .reason = "symlink_escape", .e = {
		{ 'l', "a/l", 0, NULL, 0, "../../outside", 0, 0 },
	} },
	{ .name = "symlink dotdot after name", .reason = "symlink_escape", .e = {
		{ 'l', "s", 0, NULL, 0, ".", 0, 0 },
		{ 'l', "a/l", 0, NULL, 0, "../s/../x", 0, 0 },
	} },
	{ .name = "symlink then write through", .reason = "symlink_escape", .e = {
		{ 'l', "d", 0, NULL, 0, "/tmp", 0, 0 },
		{ 'f', "d/corral-extract-probe", 0644, "through", 0, NULL, 0, 0 },
	}, .entry = "d" },
	{ .name = "inner symlink then write through", .reason = "link_write_through", .e = {
		{ 'd', "sub", 0755, NULL, 0, NULL, 0, 0 },
		{ 'f', "sub/keep", 0644, "kept", 0, NULL, 0, 0 },
		{ 'l', "d", 0, NULL, 0, "sub", 0, 0 },
		{ 'f', "d/x", 0644, "through", 0, NULL, 0, 0 },
	} },
	{ .name = "symlink then dir through", .reason = "link_write_through", .e = {
		{ 'l', "d", 0, NULL, 0, ".", 0, 0 },
		{ 'd', "d/e", 0755, NULL, 0, NULL, 0, 0 },
	} },
	{ .name = "existing symlink out", .reason = "link_write_through", .e = {
		{ 'f', "escape/x", 0644, "through", 0, NULL, 0, 0 },
	}, .pre = "escape" },
	{ .name = "hardlink absolute", .reason = "hardlink_escape", .e = {
		{ 'h', "h", 0, NULL, 0, "/etc/passwd", 0, 0 },
	} },
	{ .name = "hardlink up", .reason = "hardlink_escape", .e = {
		{ 'h', "h", 0, NULL, 0, "../outside/f", 0, 0 },
	} },
	{ .name = "hardlink to nothing made", .reason = "hardlink_escape", .e = {
		{ 'h', "h", 0, NULL, 0, "nothing", 0, 0 },
	} },
	{ .name = "hardlink to a symlink", .reason = "hardlink_escape", .e = {
		{ 'f', "f", 0644, "f", 0, NULL, 0, 0 },
		{ 'l', "l", 0, NULL, 0, "f", 0, 0 },
		{ 'h', "h", 0, NULL, 0, "l", 0, 0 },
	} },
	{ .name = "hardlink to a dir", .reason = "hardlink_escape", .e = {
		{ 'd', "d", 0755, NULL, 0, NULL, 0, 0 },
		{ 'h', "h", 0, NULL, 0, "d", 0, 0 },
	} },
	{ .name = "hardlink with data", .reason = "hardlink_data", .raw = hardlink_with_data },
	{ .name = "hardlink to a file already there", .reason = "hardlink_escape", .e = {
		{ 'h', "h", 0, NULL, 0, "keep", 0, 0 },
	}, .pre = "keep" },

	/* Types and modes. */
	{ .name = "char device", .reason = "device", .e = {
		{ 'c', "null", 0666, NULL, 0, NULL, 0, 0 },
	} },
	{ .name = "block device", .reason = "device", .e = {
		{ 'b', "disk", 0660, NULL, 0, NULL, 0, 0 },
	} },
	{ .name = "fifo", .reason = "fifo", .e = {
		{ 'p', "fifo", 0644, NULL, 0, NULL, 0, 0 },
	} },
	{ .name = "socket", .reason = "socket", .e = {
		{ 's', "sock", 0644, NULL, 0, NULL, 0, 0 },
	}, .format = ARCHIVE_FORMAT_CPIO_SVR4_NOCRC },
	{ .name = "setuid", .reason = "setuid", .e = {
		{ 'f', "su", 04755, "#!/bin/sh\n", 0, NULL, 0, 0 },
	} },
	{ .name = "setgid", .reason = "setgid", .e = {
		{ 'f', "sg", 02755, "#!/bin/sh\n", 0, NULL, 0, 0 },
	} },

	/* Duplicates. */
	{ .name = "same name twice", .reason = "duplicate_name", .e = {
		{ 'f', "f", 0644, "first", 0, NULL, 0, 0 },
		{ 'f', "f", 0644, "second", 0, NULL, 0, 0 },
	} },
	{ .name = "same name, other spelling", .reason = "duplicate_name", .e = {
		{ 'f', "a/f", 0644, "first", 0, NULL, 0, 0 },
		{ 'f', "./a//f", 0644, "second", 0, NULL, 0, 0 },
	} },
	{ .name = "file over dir", .reason = "duplicate_name", .e = {
		{ 'd', "a", 0755, NULL, 0, NULL, 0, 0 },
		{ 'f', "a", 0644, "second", 0, NULL, 0, 0 },
	} },
	{ .name = "dir over file", .reason = "duplicate_name", .e = {
		{ 'f', "a", 0644, "first", 0, NULL, 0, 0 },
		{ 'd', "a", 0755, NULL, 0, NULL, 0, 0 },
	} },
	{ .name = "symlink over file", .reason = "duplicate_name", .e = {
		{ 'f', "a", 0644, "first", 0, NULL, 0, 0 },
		{ 'l', "a", 0, NULL, 0, "b", 0, 0 },
	} },
	{ .name = "file under file", .reason = "path_conflict", .e = {
		{ 'f', "a", 0644, "first", 0, NULL, 0, 0 },
		{ 'f', "a/b", 0644, "second", 0, NULL, 0, 0 },
	} },
	{ .name = "into a dir already there", .reason = NULL, .e = {
		{ 'f', "dir/new", 0644, "new", 0, NULL, 0, 0 },
	}, .pre = "dir" },
	{ .name = "dir already there listed", .reason = "duplicate_name", .e = {
		{ 'd', "dir", 0700, NULL, 0, NULL, 0, 0 },
	}, .pre = "dir" },
	{ .name = "file already there", .reason = "duplicate_name", .e = {
		{ 'f', "keep", 0644, "replaced", 0, NULL, 0, 0 },
	}, .pre = "keep" },

	/* Limits. */
	{ .name = "entry too large", .reason = "entry_too_large", .e = {
		{ 'f', "small", 0644, NULL, 100, NULL, 0, 0 },
		{ 'f', "big", 0644, NULL, 1001, NULL, 0, 0 },
	}, .lim = { .max_entry_bytes = 1000 } },
	{ .name = "total too large", .reason = "too_large", .e = {
		{ 'f', "a", 0644, NULL, 400, NULL, 0, 0 },
		{ 'f', "b", 0644, NULL, 400, NULL, 0, 0 },
		{ 'f', "c", 0644, NULL, 400, NULL, 0, 0 },
	}, .lim = { .max_bytes = 1000, .max_entry_bytes = 500 } },
	{ .name = "sparse hole too large", .reason = "entry_too_large", .e = {
		{ .type = 'S', .path = "sp", .mode = 0644, .data = "x", .size = 1 << 30, .off = (1 << 30) - 1 },
	}, .lim = { .max_entry_bytes = 1 << 20 } },
	{ .name = "sparse tail too large", .reason = "entry_too_large", .e = {
		{ .type = 'S', .path = "sp", .mode = 0644, .data = "x", .size = 1 << 30, .off = 0 },
	}, .lim = { .max_entry_bytes = 1 << 20 } },
	{ .name = "sparse holes over the total", .reason = "too_large", .e = {
		{ .type = 'S', .path = "a", .mode = 0644, .data = "x", .size = 600, .off = 300 },
		{ .type = 'S', .path = "b", .mode = 0644, .data = "x", .size = 600, .off = 300 },
	}, .lim = { .max_bytes = 1000 } },
	{ .name = "implied dirs count", .reason = "too_many_entries", .e = {
		{ 'f', "a/b/c/d/f", 0644, "deep", 0, NULL, 0, 0 },
	}, .lim = { .max_entries = 3 } },
	{ .name = "too many entries", .reason = "too_many_entries", .e = {
		{ 'f', "a", 0644, "a", 0, NULL, 0, 0 },
		{ 'd', "b", 0755, NULL, 0, NULL, 0, 0 },
		{ 'f', "b/c", 0644, "c", 0, NULL, 0, 0 },
		{ 'f', "d", 0644, "d", 0, NULL, 0, 0 },
	}, .lim = { .max_entries = 3 }, .entry = "" },
	{ .name = "truncated", .reason = "truncated", .e = {
		{ 'f', "whole", 0644, "complete", 0, NULL, 0, 0 },
		{ 'f', "cut", 0644, NULL, 100000, NULL, 0, 0 },
	}, .cut = 50000 },
};
#define NCASES (sizeof cases / sizeof cases[0])

static void
limits(const struct xcase *c, struct archive_limits *l)
{
	*l = c->lim;
	if (!l->max_entries)
		l->max_entries = LIMIT_ENTRIES;
	if (!l->max_bytes)
		l->max_bytes = LIMIT_BYTES;
	if (!l->max_entry_bytes)
		l->max_entry_bytes = LIMIT_ENTRY_BYTES;
	if (!l->max_name)
		l->max_name = LIMIT_NAME;
	l->max_ratio = LIMIT_RATIO;
	l->max_depth = LIMIT_DEPTH;
}

static void
prepare(const struct xcase *c)
{
	char p[2 * PATH_MAX];
	int fd;

	if (!c->pre)
		return;
	snprintf(p, sizeof p, "%s/%s", root, c->pre);
	if (strcmp(c->pre, "keep") == 0) {
		fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0 || write(fd, "kept", 4) != 4)
			printf("# unable to write %s\n", p);
		if (fd >= 0)
			close(fd);
	} else if (strcmp(c->pre, "dir") == 0) {
		if (mkdir(p, 0755) < 0)
			printf("# unable to make %s\n", p);
	} else if (symlink(outside, p) < 0) {
		printf("# unable to link %s\n", p);
	}
}

static void
run_case(const struct xcase *c, const char *mode)
{
	struct archive_limits l;
	struct extract_stats st;
	struct archive *a;
	char err[256];
	struct stat sb;
	size_t len;
	int fd, r, probe_before = lstat(PROBE, &sb) == 0, want_root;

	empty_root();
	prepare(c);
	limits(c, &l);
	if ((len = c->raw ? c->raw(abuf) : build(c)) == 0) {
		ok(0, "%s [%s]: archive built", c->name, mode);
		return;
	}
	a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	archive_read_open_memory(a, abuf, len);
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = extract_archive(a, fd, &l, &st, err, sizeof err);
	close(fd);
	archive_read_free(a);

	walk();
	if (c->reason) {
		ok(r == -1 && st.reason && strcmp(st.reason, c->reason) == 0 &&
		    strncmp(err, c->reason, strlen(c->reason)) == 0,
		    "%s [%s]: refused, %s (got %s)", c->name, mode, c->reason, r == 0 ? "success" : err);
		want_root = c->pre ? 1 : 0;
		if (!c->raw) {
			const char *want = c->entry;
			size_t k, n = strlen(st.entry);

			for (k = 0; !want && k < 16 && c->e[k].type; k++)
				want = k + 1 < 16 && c->e[k + 1].type ? NULL : c->e[k].path;
			/* pax writes a directory's name with a '/' at its end. */
			if (n > 1 && st.entry[n - 1] == '/' && want[strlen(want) - 1] != '/')
				st.entry[n - 1] = '\0';
			ok(strcmp(st.entry, want) == 0, "%s [%s]: names the entry refused (got '%s')",
			    c->name, mode, shown(st.entry));
		}
		is_int(seen.in_root, want_root, "%s [%s]: root left as it was", c->name, mode);
		is_int(st.left, 0, "%s [%s]: nothing left behind", c->name, mode);
		if (c->pre && strcmp(c->pre, "keep") == 0) {
			char p[2 * PATH_MAX], buf[16] = "";

			snprintf(p, sizeof p, "%s/keep", root);
			fd = open(p, O_RDONLY);
			ok(fd >= 0 && read(fd, buf, sizeof buf) == 4 && memcmp(buf, "kept", 4) == 0,
			    "%s [%s]: the file there is untouched", c->name, mode);
			if (fd >= 0)
				close(fd);
		}
	} else {
		ok(r == 0, "%s [%s]: extracted (%s)", c->name, mode, r == 0 ? "ok" : err);
		check_clean(c);
	}
	is_int(seen.in_outside, 0, "%s [%s]: nothing outside root", c->name, mode);
	ok(seen.special == 0 && seen.setid == 0 && seen.world_w == 0 && seen.escapes == 0 &&
	    seen.temps == 0, "%s [%s]: no special file, set-id, o+w, escaping link or temp "
	    "(%d %d %d %d %d)", c->name, mode, seen.special, seen.setid, seen.world_w,
	    seen.escapes, seen.temps);
	ok(probe_before || lstat(PROBE, &sb) < 0, "%s [%s]: nothing in /tmp", c->name, mode);
}

/* Names and link targets in their normal form, or refused. */
static void
norms(void)
{
	static const struct {
		const char *raw, *want;	/* want: the normal form, or the reason */
		int link;		/* a symlink target: leading ".." allowed */
		unsigned ups;
	} t[] = {
		{ "a/b", "a/b", 0, 0 },
		{ "./a//b/", "a/b", 0, 0 },
		{ "a/./b/.", "a/b", 0, 0 },
		{ "./", "", 0, 0 },
		{ "\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9", 0, 0 },
		{ "../x", "path_traversal", 0, 0 },
		{ "a/..", "path_traversal", 0, 0 },
		{ "../x", "x", 1, 1 },
		{ "./../..//", "", 1, 2 },
		{ "../a/../b", "path_traversal", 1, 0 },
		{ "/a", "absolute_path", 0, 0 },
		{ "//a", "absolute_path", 1, 0 },
		{ "C:", "drive_letter", 0, 0 },
		{ "z:/a", "drive_letter", 0, 0 },
		{ "1:a", "1:a", 0, 0 },
		{ "a\\b", "backslash", 0, 0 },
		{ "", "empty_name", 0, 0 },
		{ "a\tb", "control_char", 0, 0 },
		{ "a\x7f", "control_char", 0, 0 },
		{ "a\xc2\x80", "control_char", 0, 0 },
		{ "a\xc2\xa0", "a\xc2\xa0", 0, 0 },
		{ "a\xc0\xaf", "bad_name_encoding", 0, 0 },
		{ "a\xed\xa0\x80", "bad_name_encoding", 0, 0 },
		{ "a\xf4\x90\x80\x80", "bad_name_encoding", 0, 0 },
		{ "a\xe2\x82", "bad_name_encoding", 0, 0 },
		{ "d/" LONG256, "name_too_long", 0, 0 },
		{ LONG64 LONG64 "b", "name_too_long", 0, 0 },	/* over max 128 */
	};
	char out[PATH_MAX];
	const char *why, *leaf;
	size_t i, len = 0;
	unsigned ups = 99;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		ups = 99;
		why = names_norm(t[i].raw, 128, out, &len, t[i].link ? &ups : NULL);
		if (why)
			ok(strcmp(why, t[i].want) == 0, "name %zu: refused, %s (got %s)", i, t[i].want, why);
		else
			ok(strcmp(out, t[i].want) == 0 && len == strlen(out) &&
			    (!t[i].link || ups == t[i].ups), "name %zu: '%s' (got '%s', %u up)", i,
			    t[i].want, out, ups);
	}
	is_int(names_split("a/b/c", 5, &leaf), 3, "split: the directory of a/b/c is a/b");
	ok(strcmp(leaf, "c") == 0, "split: its leaf is c");
	is_int(names_split("c", 1, &leaf), 0, "split: c is in the root");
	ok(strcmp(leaf, "c") == 0, "split: its leaf is c");
}

/* The counts of the first clean case. */
static void
stats(void)
{
	struct archive_limits l;
	struct extract_stats st;
	struct archive *a;
	char err[256];
	size_t len;
	int fd;

	empty_root();
	limits(&cases[0], &l);
	len = build(&cases[0]);
	a = archive_read_new();
	archive_read_support_format_all(a);
	archive_read_open_memory(a, abuf, len);
	fd = open(root, O_RDONLY | O_DIRECTORY);
	ok(extract_archive(a, fd, &l, &st, err, sizeof err) == 0, "stats: extracted");
	close(fd);
	archive_read_free(a);
	is_int(st.entries, 15, "stats: entries");
	is_int(st.files, 8, "stats: files, the hardlink with them");
	is_int(st.hardlinks, 1, "stats: hardlinks");
	is_int(st.symlinks, 3, "stats: symlinks");
	is_int(st.dirs, 5, "stats: directories, listed and implied");
	is_int(st.bytes, 6 + 200000 + 18 + 9 + 15 + 0 + 10, "stats: bytes");
	ok(st.reason == NULL, "stats: no reason");
}

int
main(void)
{
	static const struct {
		int flags;
		const char *name;
	} modes[] = {
		{ 0, "openat2" },
		{ EXTRACT_NO_TMPFILE, "openat2, named temp" },
		{ EXTRACT_NO_OPENAT2, "openat" },
		{ EXTRACT_NO_OPENAT2 | EXTRACT_NO_TMPFILE, "openat, named temp" },
	};
	size_t i, m;

	umask(022);
	snprintf(base, sizeof base, "/tmp/corral-extract-XXXXXX");
	abuf = malloc(ARCHIVE_CAP);
	if (!abuf || !mkdtemp(base))
		return 1;
	snprintf(root, sizeof root, "%s/root", base);
	snprintf(outside, sizeof outside, "%s/outside", base);
	if (mkdir(root, 0700) < 0 || mkdir(outside, 0700) < 0)
		return 1;
	for (m = 0; m < sizeof modes / sizeof modes[0]; m++) {
		extract_test_force(modes[m].flags);
		for (i = 0; i < NCASES; i++)
			run_case(&cases[i], modes[m].name);
	}
	extract_test_force(0);
	stats();
	norms();

	empty_root();
	rmdir(root);
	rmdir(outside);
	rmdir(base);
	free(abuf);
	return done_testing();
}
