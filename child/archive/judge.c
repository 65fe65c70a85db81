/* judge: what extracting an entry would do, from its name, type, mode
 * and link target (names.c does the bytes), and the manifest of the
 * entries read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child/archive/level.h"

/* Room for a name and a link target of need bytes together. */
int
grow_names(struct walk *w, size_t need)
{
	char *a, *b;
	uint64_t *c;

	if (need <= w->namecap)
		return 0;
	a = realloc(w->norm, need);
	if (a != NULL)
		w->norm = a;
	b = realloc(w->fold, need);
	if (b != NULL)
		w->fold = b;
	c = realloc(w->stack, need * sizeof *c);
	if (c != NULL)
		w->stack = c;
	if (a == NULL || b == NULL || c == NULL) {
		w->err = ENOMEM;
		w->stop = 1;
		return -1;
	}
	w->namecap = need;
	return 0;
}

/* Whether the entry's permission bits are the archive's, not made up by
 * libarchive for a format that stores none: CAB never does, and 7-Zip
 * (without its Unix extension, as on Windows) and LHA (without a Unix
 * header) get 0666 or 0777, less the write bits when read-only. A real
 * Unix mode of exactly those is not judged either: the cost of reading
 * modes that are not there would be a false alarm on every entry. */
static int
mode_stored(struct archive *a, unsigned mode)
{
	unsigned perm = mode & 07777;

	switch (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) {
	case ARCHIVE_FORMAT_CAB:
		return 0;
	case ARCHIVE_FORMAT_7ZIP:
	case ARCHIVE_FORMAT_LHA:
		return perm != 0666 && perm != 0777 && perm != 0444 && perm != 0555;
	default:
		return 1;
	}
}

int
level_judge(struct level *lv, struct archive_entry *e, const char *name, size_t len)
{
	struct walk *w = lv->w;
	unsigned type = archive_entry_filetype(e);
	unsigned mode = archive_entry_mode(e);
	const char *sym = type == AE_IFLNK ? archive_entry_symlink(e) : NULL;
	const char *hard = archive_entry_hardlink(e);
	size_t n, i, tlen = 0, dirlen, tn;
	uint64_t m, h, hf, th;
	int isdir = type == AE_IFDIR, through;

	m = name_check(name, len);
	for (i = 0; m != 0; i++, m >>= 1)
		if (m & 1)
			level_note(lv, (enum reason)i, NULL);
	if (type == AE_IFCHR || type == AE_IFBLK)
		level_note(lv, R_DEVICE, NULL);
	else if (type == AE_IFIFO)
		level_note(lv, R_FIFO, NULL);
	else if (type == AE_IFSOCK)
		level_note(lv, R_SOCKET, NULL);
	else if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK && hard == NULL)
		level_note(lv, R_UNKNOWN_TYPE, NULL);
	if (!mode_stored(lv->a, mode))
		mode = 0;
	if (!isdir && (mode & 04000))
		level_note(lv, R_SETUID, NULL);
	if (!isdir && (mode & 02000))
		level_note(lv, R_SETGID, NULL);
	/* A sticky world-writable directory is /tmp's shape: not flagged. */
	if ((mode & 0002) && type != AE_IFLNK && !(isdir && (mode & 01000)))
		level_note(lv, R_WORLD_WRITABLE, NULL);

	if (sym != NULL || hard != NULL) {
		tlen = strlen(sym != NULL ? sym : hard);
		if (tlen > w->lim.max_name)
			return level_hit(lv, R_NAME_TOO_LONG, "link target over %u bytes",
			    (unsigned)w->lim.max_name);
	}
	if (grow_names(w, len + tlen + 2) < 0)
		return -1;
	n = name_normal(name, len, w->norm);
	/* "." or "./": the root itself, which only a directory may name. */
	if (n == 0) {
		if (!isdir)
			level_note(lv, R_EMPTY_NAME, NULL);
		return 0;
	}
	/* The low bit of a name's hash says "directory": two entries for one
	 * directory are no conflict, a file and anything else of its name
	 * are. */
	h = name_hash(lv->salt, w->norm, n) & ~1ull;
	for (i = 0; i < n; i++)
		w->fold[i] = w->norm[i] >= 'A' && w->norm[i] <= 'Z' ? w->norm[i] + 32 : w->norm[i];
	hf = name_hash(lv->salt, w->fold, n) & ~1ull;
	if (nameset_has(&w->names, h) || (!isdir && nameset_has(&w->names, h | 1)))
		level_note(lv, R_DUPLICATE_NAME, NULL);
	else if (nameset_has(&w->folded, hf) || (!isdir && nameset_has(&w->folded, hf | 1)))
		level_note(lv, R_CASE_COLLISION, NULL);
	if (nameset_add(&w->names, h | (uint64_t)isdir) < 0 ||
	    nameset_add(&w->folded, hf | (uint64_t)isdir) < 0)
		goto nomem;
	/* Through an earlier symbolic link: a directory of this entry's
	 * path, or the entry itself, is one. */
	if (name_through_link(w->norm, n, &w->links, lv->salt))
		level_note(lv, R_LINK_WRITE_THROUGH, NULL);
	if (sym != NULL && tlen > 0) {
		for (dirlen = n; dirlen > 0 && w->norm[dirlen - 1] != '/'; dirlen--)
			;
		if (dirlen > 0)
			dirlen--;
		if (link_resolve(w->norm, dirlen, sym, w->stack, &w->links, lv->salt, &through))
			level_note(lv, R_SYMLINK_ESCAPE, NULL);
		if (through)
			level_note(lv, R_LINK_CHAIN, NULL);
		if (nameset_add(&w->links, name_hash(lv->salt, w->norm, n)) < 0)
			goto nomem;
	}
	/* A hard link's target is a name in the archive, from its root, and
	 * an extractor links only to a file it has written: to a symbolic
	 * link it would make another symbolic link, here, whose target then
	 * means something else; to a directory or to nothing, it fails. */
	if (hard != NULL && tlen > 0) {
		if (link_resolve("", 0, hard, w->stack, &w->links, lv->salt, &through))
			level_note(lv, R_HARDLINK_ESCAPE, NULL);
		if (through)
			level_note(lv, R_LINK_CHAIN, NULL);
		tn = name_normal(hard, tlen, w->norm + n + 1);
		th = name_hash(lv->salt, w->norm + n + 1, tn);
		if (nameset_has(&w->links, th)) {
			level_note(lv, R_LINK_CHAIN, "a hard link to a symbolic link");
			if (nameset_add(&w->links, name_hash(lv->salt, w->norm, n)) < 0)
				goto nomem;
		} else if (!nameset_has(&w->files, th))
			level_note(lv, R_HARDLINK_ESCAPE, "its target is no file written before it");
	}
	if ((type == AE_IFREG || hard != NULL) &&
	    nameset_add(&w->files, name_hash(lv->salt, w->norm, n)) < 0)
		goto nomem;
	return 0;
nomem:
	w->err = ENOMEM;
	w->stop = 1;
	return -1;
}

static void
hex(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = "0123456789abcdef"[p[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static void
pack_str(msgpack_packer *pk, const char *s)
{
	size_t len = strlen(s);

	msgpack_pack_str_with_body(pk, s, len);
}

/* The entry in the manifest: {name, size, flags[, sha256]}. */
void
level_record(struct level *lv, struct archive_entry *e, int digest)
{
	struct walk *w = lv->w;
	struct inspect *in = w->in;
	const char *flags[R_COUNT + 2];
	const char *type = NULL;
	char name[NAME_OUT_MAX + 1], sum[65];
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	size_t nflags = 0, mark = in->files.len, i;

	if (in->files.count >= FILES_MAX || in->files.len > FILES_BYTES) {
		in->files_truncated = 1;
		return;
	}
	switch (archive_entry_filetype(e)) {
	case AE_IFREG: type = archive_entry_hardlink(e) ? "hardlink" : NULL; break;
	case AE_IFDIR: type = "dir"; break;
	case AE_IFLNK: type = "symlink"; break;
	case AE_IFCHR: type = "chardev"; break;
	case AE_IFBLK: type = "blockdev"; break;
	case AE_IFIFO: type = "fifo"; break;
	case AE_IFSOCK: type = "socket"; break;
	default: type = archive_entry_hardlink(e) ? "hardlink" : "other"; break;
	}
	if (type != NULL)
		flags[nflags++] = type;
	if (lv->nested)
		flags[nflags++] = "archive";
	for (i = 0; i < R_COUNT; i++)
		if (lv->flags & (1ull << i))
			flags[nflags++] = reason_name((enum reason)i);
	level_display(lv, name);
	msgpack_pack_map(&w->pk, digest ? 4 : 3);
	pack_str(&w->pk, "name");
	pack_str(&w->pk, name);
	pack_str(&w->pk, "size");
	msgpack_pack_uint64(&w->pk, lv->ebytes);
	pack_str(&w->pk, "flags");
	msgpack_pack_array(&w->pk, nflags);
	for (i = 0; i < nflags; i++)
		pack_str(&w->pk, flags[i]);
	if (digest) {
		EVP_DigestFinal_ex(lv->md, dig, &dlen);
		hex(dig, dlen, sum);
		pack_str(&w->pk, "sha256");
		pack_str(&w->pk, sum);
	}
	if (in->files.err || in->files.len > FILES_BYTES) {
		in->files.len = mark;
		in->files.err = 0;
		in->files_truncated = 1;
		return;
	}
	in->files.count++;
}
