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

static unsigned
le16(const unsigned char *p)
{
	return p[0] | p[1] << 8;
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static ssize_t
read_at(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n;

	do
		n = pread(fd, buf, len, (off_t)off);
	while (n < 0 && errno == EINTR);
	return n;
}

/* The end of central directory record (zip64's when it has one): the
 * records, and where the directory is. Returns 0, or -1 when there is
 * none. */
static int
zip_end(struct walk *w, uint64_t *records, uint64_t *cd_off, uint64_t *cd_size)
{
	unsigned char *p, z[56];
	size_t len = w->in->size < BLOCK ? (size_t)w->in->size : BLOCK;

	if (len < 22 || read_at(w->fd, w->block, len, w->in->size - len) != (ssize_t)len)
		return -1;
	for (p = w->block + len - 22; p >= w->block; p--)
		if (memcmp(p, "PK\5\6", 4) == 0)
			break;
	if (p < w->block)
		return -1;
	*records = le16(p + 10);
	*cd_size = le32(p + 12);
	*cd_off = le32(p + 16);
	if (*records != 0xffff && *cd_off != 0xffffffff)
		return 0;
	/* zip64: the locator right before the record says where the zip64
	 * record is, with the 64-bit figures. */
	if (p - w->block < 20 || memcmp(p - 20, "PK\6\7", 4) != 0 ||
	    read_at(w->fd, z, sizeof z, le64(p - 20 + 8)) != (ssize_t)sizeof z ||
	    memcmp(z, "PK\6\6", 4) != 0)
		return -1;
	*records = le64(z + 32);
	*cd_size = le64(z + 40);
	*cd_off = le64(z + 48);
	return 0;
}

uint64_t
zip_records(struct walk *w)
{
	uint64_t records, off, size;

	return zip_end(w, &records, &off, &size) < 0 ? 0 : records;
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

/* A record's name is judged under its own name, as an entry of lv. */
static void
judge_cd_name(struct level *lv, const unsigned char *name, size_t n, const char *local)
{
	char detail[DETAIL_MAX + 1], *copy;
	uint64_t m;
	size_t i;

	if ((copy = malloc(n + 1)) == NULL)
		return;
	memcpy(copy, name, n);
	copy[n] = '\0';
	lv->name = copy;
	lv->flags = 0;
	snprintf(detail, sizeof detail, "the local header says %.200s", local);
	level_note(lv, R_NAME_MISMATCH, detail);
	m = name_check(copy, n);
	for (i = 0; m != 0; i++, m >>= 1)
		if (m & 1)
			level_note(lv, (enum reason)i, "the central directory's name");
	lv->name = NULL;
	free(copy);
}

/* After the last entry, seen in all: two records for one offset are one
 * entry to libarchive, so more records than entries overlap; and each
 * record's name against its local header's, so that an archive that names
 * a file one way to libarchive and another way to an extractor is judged
 * under both. */
void
level_zip_check(struct level *lv, uint64_t seen)
{
	struct walk *w = lv->w;
	unsigned char *buf = NULL, *cd, lh[30];
	const unsigned char *local;
	uint64_t records, cd_off, cd_size, i, pos, off;
	size_t n, ln;
	char *copy, detail[DETAIL_MAX + 1];

	if (zip_end(w, &records, &cd_off, &cd_size) < 0)
		return;
	if (records > seen && !lv->overlap_noted) {
		snprintf(detail, sizeof detail, "%llu central directory records, %llu entries",
		    (unsigned long long)records, (unsigned long long)seen);
		level_note(lv, R_OVERLAPPING_ENTRIES, detail);
		lv->overlap_noted = 1;
	}
	/* A directory too big to hold is left unchecked. */
	if (records > w->lim.max_entries || cd_off > w->in->size || cd_size > w->in->size - cd_off ||
	    cd_size > ZIP_CD_MAX)
		return;
	/* Small files whole, in one read; else the directory alone, and
	 * each local header where it is. */
	if (w->in->size <= ZIP_WHOLE) {
		if ((buf = malloc(w->in->size)) == NULL ||
		    read_at(w->fd, buf, w->in->size, 0) != (ssize_t)w->in->size)
			goto out;
		cd = buf + cd_off;
	} else {
		if ((buf = malloc(cd_size + 1)) == NULL ||
		    read_at(w->fd, buf, cd_size, cd_off) != (ssize_t)cd_size)
			goto out;
		cd = buf;
	}
	for (i = 0, pos = 0; i < records && pos + 46 <= cd_size; i++) {
		const unsigned char *r = cd + pos;

		if (memcmp(r, "PK\1\2", 4) != 0)
			break;
		n = le16(r + 28);
		if (pos + 46 + n > cd_size)
			break;
		off = le32(r + 42);
		pos += 46 + n + le16(r + 30) + le16(r + 32);
		/* zip64 offsets, in the extra field, are left alone. */
		if (off == 0xffffffff)
			continue;
		if (w->in->size <= ZIP_WHOLE) {
			if (off + 30 > w->in->size)
				continue;
			local = buf + off;
		} else {
			if (read_at(w->fd, lh, 30, off) != 30)
				continue;
			local = lh;
		}
		/* No local header where the record points (a prefix before
		 * the archive, as a self-extracting one has): not comparable. */
		if (memcmp(local, "PK\3\4", 4) != 0)
			goto out;
		ln = le16(local + 26);
		if (ln == n && w->in->size <= ZIP_WHOLE && off + 30 + ln <= w->in->size &&
		    memcmp(local + 30, r + 46, n) == 0)
			continue;
		if (ln == n && w->in->size > ZIP_WHOLE) {
			if ((copy = malloc(n + 1)) == NULL)
				goto out;
			if (read_at(w->fd, copy, n, off + 30) == (ssize_t)n && memcmp(copy, r + 46, n) == 0) {
				free(copy);
				continue;
			}
			free(copy);
		}
		/* The local name, for the detail: up to 200 bytes of it. */
		{
			char lname[201];
			size_t k = ln < 200 ? ln : 200;

			if (w->in->size <= ZIP_WHOLE && off + 30 + k <= w->in->size)
				memcpy(lname, local + 30, k);
			else if (read_at(w->fd, lname, k, off + 30) != (ssize_t)k)
				k = 0;
			lname[k] = '\0';
			judge_cd_name(lv, r + 46, n, lname);
		}
	}
out:
	free(buf);
}
