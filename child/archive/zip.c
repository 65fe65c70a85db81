/* zip: what a zip's central directory says that libarchive does not show.
 * libarchive reads a zip through its central directory, in the order of
 * the local headers' offsets, but names each entry from its local header
 * and keeps one entry per offset; extractors that go by the central
 * directory (unzip, most libraries) see its names and every record. A zip
 * inside another is read from memory the same way when it fits, else as a
 * stream, local header after local header, where none of this shows. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child/archive/level.h"

/* Files this small are read whole for the names' check: one read. */
#define ZIP_WHOLE	(1u << 20)
/* The most of a central directory held for it. */
#define ZIP_CD_MAX	(64u << 20)

static uint64_t
le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* The end of central directory record (zip64's when it has one): the
 * records, where the directory is said to be, and where the record itself
 * is. Returns 0, or -1 when there is none. */
static int
zip_end(struct walk *w, uint64_t *records, uint64_t *cd_off, uint64_t *cd_size, uint64_t *at,
    int *zip64)
{
	unsigned char *p, z[56];
	size_t len = w->in->size < BLOCK ? (size_t)w->in->size : BLOCK;

	if (len < 22 || read_at(w->fd, w->scratch, len, w->in->size - len) != (ssize_t)len)
		return -1;
	for (p = w->scratch + len - 22; p >= w->scratch; p--)
		if (memcmp(p, "PK\5\6", 4) == 0)
			break;
	if (p < w->scratch)
		return -1;
	*at = w->in->size - len + (uint64_t)(p - w->scratch);
	*records = le16(p + 10);
	*cd_size = le32(p + 12);
	*cd_off = le32(p + 16);
	*zip64 = 0;
	if (*records != 0xffff && *cd_off != 0xffffffff)
		return 0;
	/* zip64: the locator right before the record says where the zip64
	 * record is, with the 64-bit figures. */
	if (p - w->scratch < 20 || memcmp(p - 20, "PK\6\7", 4) != 0 ||
	    read_at(w->fd, z, sizeof z, le64(p - 20 + 8)) != (ssize_t)sizeof z ||
	    memcmp(z, "PK\6\6", 4) != 0)
		return -1;
	*records = le64(z + 32);
	*cd_size = le64(z + 40);
	*cd_off = le64(z + 48);
	*zip64 = 1;
	return 0;
}

/* Whether the n bytes at off differ from name (a file too big to hold). */
static int
name_differs(struct walk *w, uint64_t off, const unsigned char *name, size_t n)
{
	char *copy = malloc(n + 1);
	int r;

	if (copy == NULL)
		return 0;
	r = read_at(w->fd, copy, n, off) != (ssize_t)n || memcmp(copy, name, n) != 0;
	free(copy);
	return r;
}

uint64_t
zip_records(struct walk *w)
{
	uint64_t records, off, size, at;
	int zip64;

	return zip_end(w, &records, &off, &size, &at, &zip64) < 0 ? 0 : records;
}

/* The bytes of an entry's data must be its own: an entry that starts
 * before the data read so far ends overlaps one before it (a bomb's shared
 * kernel). */
void
level_overlap(struct level *lv, int64_t end)
{
	if (end <= lv->start)
		return;
	if (lv->start < lv->data_end && !lv->overlap_noted) {
		level_note(lv, R_OVERLAPPING_ENTRIES, "its data is another entry's");
		lv->overlap_noted = 1;
	}
	if (end > lv->data_end)
		lv->data_end = end;
}

/* Notes r against the entry a record or a local header names (n bytes at
 * name), its name judged too; lv's own entry is none at this point. */
static void
note_named(struct level *lv, const unsigned char *name, size_t n, enum reason r,
    const char *detail, const char *why)
{
	char *copy;
	uint64_t m;
	size_t i;

	if ((copy = malloc(n + 1)) == NULL)
		return;
	memcpy(copy, name, n);
	copy[n] = '\0';
	lv->name = copy;
	lv->flags = 0;
	level_note(lv, r, detail);
	m = name_check(copy, n);
	for (i = 0; m != 0; i++, m >>= 1)
		if (m & 1)
			level_note(lv, (enum reason)i, why);
	lv->name = NULL;
	free(copy);
}

/* Where one record's bytes lie: its local header to the end of its data
 * and data descriptor. */
struct span {
	uint64_t start, end;
};

static int
span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* The file as read for the survey: whole when small, else read where
 * needed. */
struct zfile {
	struct walk *w;
	unsigned char *buf;	/* the whole file, or NULL */
	uint64_t size;
};

/* len bytes at off into out, or -1 when they are not all there. */
static int
zget(const struct zfile *z, void *out, size_t len, uint64_t off)
{
	if (off > z->size || len > z->size - off)
		return -1;
	if (z->buf != NULL) {
		memcpy(out, z->buf + off, len);
		return 0;
	}
	return read_at(z->w->fd, out, len, off) == (ssize_t)len ? 0 : -1;
}

/* The most of the gaps' bytes looked through for local headers. */
#define GAP_SCAN_MAX	(64u << 20)

/* Bytes [from, to) that no record describes: each local header in them is
 * an entry a streaming reader (bsdtar on a pipe, a scanner reading local
 * headers) sees and the directory does not list. */
static void
gap(struct level *lv, struct zfile *z, uint64_t from, uint64_t to, enum reason r,
    uint64_t *scanned)
{
	struct walk *w = lv->w;
	char detail[DETAIL_MAX + 1];
	unsigned char lh[30], *name;
	uint64_t pos, i, n, end;
	size_t k, got;

	if (to <= from)
		return;
	if (r == R_PREFIX_DATA)
		snprintf(detail, sizeof detail, "%llu bytes before the first entry",
		    (unsigned long long)(to - from));
	else
		snprintf(detail, sizeof detail, "%llu bytes at offset %llu that no entry holds",
		    (unsigned long long)(to - from), (unsigned long long)from);
	level_note(lv, r, detail);
	for (pos = from; pos + 4 <= to && *scanned < GAP_SCAN_MAX; pos = end) {
		end = pos + BLOCK - 3 < to ? pos + BLOCK - 3 : to;
		got = (size_t)(end + 3 - pos);
		if (got > to - pos)
			got = (size_t)(to - pos);
		*scanned += got;
		if (zget(z, w->scratch, got, pos) < 0)
			return;
		for (k = 0; k + 4 <= got; k++) {
			if (memcmp(w->scratch + k, "PK\3\4", 4) != 0)
				continue;
			i = pos + k;
			if (zget(z, lh, 30, i) < 0)
				continue;
			n = le16(lh + 26);
			if (n == 0 || (name = malloc(n)) == NULL)
				continue;
			if (zget(z, name, n, i + 30) == 0) {
				snprintf(detail, sizeof detail,
				    "a local header at offset %llu that the central directory does not list",
				    (unsigned long long)i);
				note_named(lv, name, n, R_UNLISTED_ENTRY, detail, "an unlisted entry's name");
			}
			free(name);
		}
	}
}

void
level_zip_survey(struct level *lv)
{
	struct walk *w = lv->w;
	struct zfile z = { .w = w, .size = w->in->size };
	unsigned char eocd[22], lh[30], *cd;
	struct span *sp = NULL;
	uint64_t records, cd_off, cd_size, eocd_at, base, i, pos, off, csize, lname, llen;
	uint64_t cd_at, end, scanned = 0;
	size_t n, nspans = 0, rec;
	int zip64, extent = 1;
	char detail[DETAIL_MAX + 1];

	if (zip_end(w, &records, &cd_off, &cd_size, &eocd_at, &zip64) < 0)
		return;
	/* A directory too big to hold is left unchecked. */
	if (records > w->lim.max_entries || cd_size > ZIP_CD_MAX || cd_size > z.size)
		return;
	if (z.size <= ZIP_WHOLE) {
		if ((z.buf = malloc(z.size ? z.size : 1)) == NULL ||
		    read_at(w->fd, z.buf, z.size, 0) != (ssize_t)z.size)
			goto out;
	}
	/* Where the directory really is, against where the record says: a
	 * prefix (a self-extractor's program, another archive) shifts every
	 * offset by the same amount, and readers allow for it. */
	cd_at = zip64 ? cd_off : eocd_at - cd_size;
	if (cd_at < cd_off)
		goto out;
	base = cd_at - cd_off;
	if ((cd = malloc(cd_size + 1)) == NULL)
		goto out;
	if (zget(&z, cd, cd_size, cd_at) < 0) {
		free(cd);
		goto out;
	}
	if ((sp = calloc(records ? records : 1, sizeof *sp)) == NULL) {
		free(cd);
		goto out;
	}
	for (i = 0, pos = 0, rec = 0; i < records && pos + 46 <= cd_size; i++) {
		const unsigned char *r = cd + pos;

		if (memcmp(r, "PK\1\2", 4) != 0)
			break;
		n = le16(r + 28);
		if (pos + 46 + n > cd_size)
			break;
		off = le32(r + 42);
		csize = le32(r + 20);
		pos += 46 + n + le16(r + 30) + le16(r + 32);
		/* zip64 figures, in the extra field, are left alone. */
		if (off == 0xffffffff || csize == 0xffffffff) {
			extent = 0;
			continue;
		}
		off += base;
		if (zget(&z, lh, 30, off) < 0 || memcmp(lh, "PK\3\4", 4) != 0) {
			extent = 0;
			continue;
		}
		lname = le16(lh + 26);
		llen = 30 + lname + le16(lh + 28);
		/* The entry as the local header has it against its record:
		 * a reader of either sees another file. */
		if (le16(lh + 8) != le16(r + 10) || ((le16(lh + 6) ^ le16(r + 8)) & (1 | 1 << 11))) {
			snprintf(detail, sizeof detail,
			    "the local header says method %u, flags 0x%x; the central directory %u, 0x%x",
			    le16(lh + 8), le16(lh + 6), le16(r + 10), le16(r + 8));
			note_named(lv, r + 46, n, R_HEADER_MISMATCH, detail, NULL);
		}
		if (lname != n || (z.buf != NULL ? off + 30 + n > z.size ||
		    memcmp(z.buf + off + 30, r + 46, n) != 0 : name_differs(w, off + 30, r + 46, n))) {
			char local[201];
			size_t k = lname < 200 ? (size_t)lname : 200;

			if (zget(&z, local, k, off + 30) < 0)
				k = 0;
			local[k] = '\0';
			snprintf(detail, sizeof detail, "the local header says %.200s", local);
			note_named(lv, r + 46, n, R_NAME_MISMATCH, detail, "the central directory's name");
		}
		sp[rec].start = off;
		sp[rec].end = off + llen + csize;
		/* A data descriptor after the data: its signature optional. */
		if (le16(lh + 6) & 8) {
			unsigned char sig[4];

			sp[rec].end += zget(&z, sig, 4, sp[rec].end) == 0 &&
			    memcmp(sig, "PK\7\10", 4) == 0 ? 16 : 12;
		}
		rec++;
	}
	free(cd);
	nspans = rec;
	qsort(sp, nspans, sizeof *sp, span_cmp);
	/* Bytes of one entry that another's span holds: a bomb's shared
	 * kernel. Noted before any entry is read, and no entry's data is
	 * looked into as an archive: its bytes are others' too. */
	for (rec = 1, end = nspans ? sp[0].end : 0; rec < nspans; rec++) {
		if (sp[rec].start < end && !lv->overlap_noted) {
			level_note(lv, R_OVERLAPPING_ENTRIES, "an entry's data holds another entry");
			lv->overlap_noted = 1;
		}
		if (sp[rec].end > end)
			end = sp[rec].end;
	}
	/* What no record describes: before the first entry, between them,
	 * before the directory, after it, and after the end of the archive.
	 * With zip64 figures the extents are unknown, and this is skipped. */
	if (extent && !zip64) {
		for (rec = 0, end = 0; rec < nspans; rec++) {
			gap(lv, &z, end, sp[rec].start, end == 0 ? R_PREFIX_DATA : R_HIDDEN_DATA, &scanned);
			if (sp[rec].end > end)
				end = sp[rec].end;
		}
		gap(lv, &z, end, cd_at, end == 0 ? R_PREFIX_DATA : R_HIDDEN_DATA, &scanned);
		gap(lv, &z, cd_at + cd_size, eocd_at, R_HIDDEN_DATA, &scanned);
		if (zget(&z, eocd, 22, eocd_at) == 0 && eocd_at + 22 + le16(eocd + 20) < z.size) {
			snprintf(detail, sizeof detail, "%llu bytes after the end of the archive",
			    (unsigned long long)(z.size - (eocd_at + 22 + le16(eocd + 20))));
			level_note(lv, R_TRAILING_DATA, detail);
		}
	}
out:
	free(sp);
	free(z.buf);
}

/* After the last entry, seen in all: two records for one offset are one
 * entry to libarchive, so more records than entries overlap. */
void
level_zip_check(struct level *lv, uint64_t seen)
{
	struct walk *w = lv->w;
	uint64_t records, cd_off, cd_size, eocd_at;
	char detail[DETAIL_MAX + 1];
	int zip64;

	if (zip_end(w, &records, &cd_off, &cd_size, &eocd_at, &zip64) < 0)
		return;
	if (records > seen && !lv->overlap_noted) {
		snprintf(detail, sizeof detail, "%llu central directory records, %llu entries",
		    (unsigned long long)records, (unsigned long long)seen);
		level_note(lv, R_OVERLAPPING_ENTRIES, detail);
		lv->overlap_noted = 1;
	}
}
