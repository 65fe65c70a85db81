/* survey: what another well-known reader of a file would see that
 * libarchive's reading does not (zip's is zip.c). After an archive read as
 * a stream: what follows its end. An ISO 9660 image with Joliet names as
 * well as Rock Ridge ones is read a second time by its Joliet names (what
 * Windows shows), and each of them must be one the first reading had. A
 * CAB's header says where its file records and data are: bytes between
 * them, and after the cabinet's stated end, are bytes no reader describes
 * alike. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child/archive/level.h"

/* The file read again, from w->pos, into w->scratch: for a second
 * reader beside the walk's, which has finished. */
static la_ssize_t
again_read(struct archive *a, void *cd, const void **buf)
{
	struct walk *w = cd;
	ssize_t n = read_at(w->fd, w->scratch, BLOCK, w->pos);

	if (n < 0) {
		archive_set_error(a, errno, "read error");
		return -1;
	}
	w->pos += (uint64_t)n;
	*buf = w->scratch;
	return n;
}

/* The first non-zero byte of [from, to) of the file, or to. */
static uint64_t
file_nonzero(struct walk *w, uint64_t from, uint64_t to)
{
	ssize_t n, i;

	while (from < to) {
		n = read_at(w->fd, w->scratch, to - from < BLOCK ? (size_t)(to - from) : BLOCK, from);
		if (n <= 0)
			return to;
		for (i = 0; i < n; i++)
			if (w->scratch[i] != 0)
				return from + (uint64_t)i;
		from += (uint64_t)n;
	}
	return to;
}

/* Data at offset at (of the file, or of the decompressed stream) after
 * the end of what: the archive, or the compressed stream. */
static void
trailing(struct level *top, uint64_t at, const char *what, int decompressed)
{
	char detail[DETAIL_MAX + 1];

	snprintf(detail, sizeof detail, "data after the end of the %s, at offset %llu of %s: "
	    "most readers stop before it", what, (unsigned long long)at,
	    decompressed ? "the decompressed stream" : "the file");
	level_note(top, R_TRAILING_DATA, detail);
}

/* The decompressed stream from end on, read with a (positioned at pos,
 * of which the first bytes at first/nfirst are still to be looked at):
 * zeros only, up to its end and within the limits. Returns 1 when it
 * ended, 0 when data was found (noted) or reading stopped. */
static int
rest_zero(struct level *top, struct archive *a, uint64_t pos, const void *first, size_t nfirst)
{
	const unsigned char *p = first;
	const void *buf;
	uint64_t start = pos;
	size_t len = nfirst, k;
	la_int64_t off;
	int r;

	for (;;) {
		for (k = 0; k < len; k++)
			if (p[k] != 0) {
				trailing(top, pos + k, "archive", 1);
				return 0;
			}
		pos += len;
		/* Zeros past the limits are read no further: noted all the
		 * same, as what no reader shows. */
		if (pos - start > top->w->lim.max_bytes) {
			trailing(top, start, "archive", 1);
			return 0;
		}
		if ((r = archive_read_data_block(a, &buf, &len, &off)) != ARCHIVE_OK)
			return r == ARCHIVE_EOF;
		p = buf;
	}
}

/* After the end of an archive read as a stream (tar, cpio, ar, a lone
 * compressed file): what follows it in the file, or in its decompressed
 * stream, is what a reader that stops at the end never shows, a second
 * archive appended included. Zeros (a tar's record padding) are no data;
 * members of a gzip file one after another are one stream. A compressed
 * file read in layers (walk.c) goes on being read from where the archive
 * ended; otherwise its stream is read once more from the start. */
static void
stream_tail(struct level *top)
{
	struct walk *w = top->w;
	struct archive *a = NULL;
	struct archive_entry *e;
	uint64_t end = (uint64_t)archive_filter_bytes(top->a, 0), pos = 0, k, unread;
	const void *buf;
	size_t len;
	la_int64_t off;
	int ended = 1;

	switch (archive_format(top->a) & ARCHIVE_FORMAT_BASE_MASK) {
	case ARCHIVE_FORMAT_TAR:
	case ARCHIVE_FORMAT_CPIO:
	case ARCHIVE_FORMAT_AR:
		break;
	case ARCHIVE_FORMAT_RAW:
		end = UINT64_MAX;	/* the stream is all the entry's */
		break;
	default:
		return;
	}
	if (w->outer == NULL && archive_filter_count(top->a) <= 1) {
		if ((k = file_nonzero(w, end, w->in->size)) < w->in->size)
			trailing(top, k, "archive", 0);
		return;
	}
	/* A lone compressed stream: its reader has read it to its end. */
	if (end == UINT64_MAX)
		goto compressed;
	if (w->outer != NULL) {
		/* Given to the archive's reader but not read by it: at most
		 * the last block, still in sight. */
		unread = w->fed > end ? w->fed - end : 0;
		if (unread <= w->last_len) {
			if (rest_zero(top, w->outer, end,
			    (const unsigned char *)w->last_block + w->last_len - unread, unread))
				goto compressed;
			return;
		}
	}
	/* The stream once more, up to end. */
	if ((a = archive_read_new()) == NULL)
		return;
	w->pos = 0;
	if (archive_support(a, 0, 1) < 0)
		goto out;
	archive_read_set_read_callback(a, again_read);
	archive_read_set_seek_callback(a, walk_seek);
	archive_read_set_callback_data(a, w);
	if (archive_read_open1(a) != ARCHIVE_OK || archive_read_next_header(a, &e) != ARCHIVE_OK)
		goto out;
	while (archive_read_data_block(a, &buf, &len, &off) == ARCHIVE_OK) {
		if (pos + len >= end) {
			k = end - pos;
			ended = rest_zero(top, a, end, (const unsigned char *)buf + k, len - k);
			break;
		}
		pos += len;
	}
	if (!ended)
		goto out;
compressed:
	/* The compressed stream's own end, against the file's. */
	k = (uint64_t)archive_filter_bytes(a != NULL ? a : w->outer != NULL ? w->outer : top->a, -1);
	if ((k = file_nonzero(w, k, w->in->size)) < w->in->size)
		trailing(top, k, "compressed stream", 0);
out:
	archive_read_free(a);
}

/* --- ISO 9660 ----------------------------------------------------------- */

#define ISO_SECTOR	2048
#define ISO_VD_FIRST	16
#define ISO_VD_MAX	32	/* volume descriptors looked at */

/* Whether the image has a Joliet volume descriptor (a supplementary one
 * with a UCS-2 escape sequence). */
static int
has_joliet(struct walk *w)
{
	unsigned char *vd = w->scratch;
	unsigned i;

	for (i = ISO_VD_FIRST; i < ISO_VD_FIRST + ISO_VD_MAX; i++) {
		if (read_at(w->fd, vd, ISO_SECTOR, (uint64_t)i * ISO_SECTOR) != ISO_SECTOR ||
		    memcmp(vd + 1, "CD001", 5) != 0 || vd[0] == 255)
			return 0;
		if (vd[0] == 2 && vd[88] == '%' && vd[89] == '/' &&
		    (vd[90] == '@' || vd[90] == 'C' || vd[90] == 'E'))
			return 1;
	}
	return 0;
}

/* Joliet limits a name to 64 UCS-2 characters: a longer Rock Ridge name
 * is cut there by honest writers, and such a pair is no disagreement. */
static int
cut_by_joliet(const char *norm, size_t n)
{
	size_t i, start, chars = 0;

	for (start = 0, i = 0; i <= n; i++) {
		if (i < n && norm[i] != '/') {
			if (((unsigned char)norm[i] & 0xc0) != 0x80)
				chars++;
			continue;
		}
		if (chars >= 64)
			return 1;
		chars = 0;
		start = i + 1;
	}
	(void)start;
	return 0;
}

static void
iso_survey(struct level *top)
{
	struct walk *w = top->w;
	struct archive *a;
	struct archive_entry *e;
	char detail[DETAIL_MAX + 1];
	const char *name;
	uint64_t seen = 0, h, m, i;
	size_t len, n;

	if (!has_joliet(w) || (a = archive_read_new()) == NULL)
		return;
	w->pos = 0;
	if (archive_read_support_format_iso9660(a) != ARCHIVE_OK ||
	    archive_read_set_format_option(a, "iso9660", "rockridge", NULL) < ARCHIVE_WARN)
		goto out;
	archive_read_set_read_callback(a, again_read);
	archive_read_set_seek_callback(a, walk_seek);
	archive_read_set_callback_data(a, w);
	if (archive_read_open1(a) != ARCHIVE_OK)
		goto out;
	while (seen++ < w->lim.max_entries && archive_read_next_header(a, &e) == ARCHIVE_OK) {
		if ((name = archive_entry_pathname(e)) == NULL)
			continue;
		len = strlen(name);
		if (len > w->lim.max_name || grow_names(w, len + 2) < 0)
			break;
		n = name_normal(name, len, w->norm);
		if (n == 0)
			continue;
		h = name_hash(top->salt, w->norm, n) & ~1ull;
		if (nameset_has(&w->names, h) || nameset_has(&w->names, h | 1) || cut_by_joliet(w->norm, n))
			continue;
		/* A name Windows shows and the Rock Ridge reading has not. */
		top->name = name;
		top->flags = 0;
		snprintf(detail, sizeof detail, "a Joliet name the Rock Ridge names do not have");
		level_note(top, R_NAME_MISMATCH, detail);
		m = name_check(name, len);
		for (i = 0; m != 0; i++, m >>= 1)
			if (m & 1)
				level_note(top, (enum reason)i, "a Joliet name");
		top->name = NULL;
	}
out:
	archive_read_free(a);
}

/* --- CAB ---------------------------------------------------------------- */

static void
hidden(struct level *top, enum reason r, uint64_t at, uint64_t len, const char *where)
{
	char detail[DETAIL_MAX + 1];

	snprintf(detail, sizeof detail, "%llu bytes at offset %llu, %s",
	    (unsigned long long)len, (unsigned long long)at, where);
	level_note(top, r, detail);
}

/* The header's layout (MS-CAB): the file records must start where the
 * folder records end, and the first folder's data where the file records
 * end; the cabinet ends at its stated size. */
static void
cab_survey(struct level *top)
{
	struct walk *w = top->w;
	unsigned char *p = w->scratch;
	uint64_t size = w->in->size, pos, cab, files, data = UINT64_MAX, end;
	unsigned folders, nfiles, flags, rhdr = 0, rfolder = 0, i, k;
	ssize_t got;

	if ((got = read_at(w->fd, p, BLOCK, 0)) < 36 || memcmp(p, "MSCF", 4) != 0)
		return;
	cab = le32(p + 8);
	files = le32(p + 16);
	folders = le16(p + 26);
	nfiles = le16(p + 28);
	flags = le16(p + 30);
	pos = 36;
	if (flags & 4) {
		rhdr = le16(p + 36);
		rfolder = p[38];
		pos = 40 + rhdr;
	}
	/* The names of the cabinets before and after: two strings each. */
	for (k = 0; k < (unsigned)(!!(flags & 1) + !!(flags & 2)) * 2; k++) {
		while (pos < (uint64_t)got && p[pos] != 0)
			pos++;
		pos++;
	}
	for (i = 0; i < folders; i++, pos += 8 + rfolder)
		if (pos + 8 <= (uint64_t)got && le32(p + pos) < data)
			data = le32(p + pos);
	if (pos > (uint64_t)got)
		return;		/* a header past the first block: left alone */
	if (files > pos)
		hidden(top, R_HIDDEN_DATA, pos, files - pos, "between the folders and the file records");
	else if (files < pos)
		hidden(top, R_HEADER_MISMATCH, files, pos - files,
		    "where the file records are said to start, inside the folder records");
	/* The file records: 16 bytes and a name each. */
	for (i = 0, end = files; i < nfiles && end + 16 < (uint64_t)got; i++) {
		end += 16;
		while (end < (uint64_t)got && p[end] != 0)
			end++;
		end++;
	}
	if (i == nfiles && data != UINT64_MAX && data > end && data <= size)
		hidden(top, R_HIDDEN_DATA, end, data - end, "between the file records and the data");
	if (cab < size)
		hidden(top, R_TRAILING_DATA, cab, size - cab, "after the cabinet's stated end");
}

void
level_survey(struct level *top)
{
	stream_tail(top);
	switch (archive_format(top->a) & ARCHIVE_FORMAT_BASE_MASK) {
	case ARCHIVE_FORMAT_ISO9660:
		iso_survey(top);
		break;
	case ARCHIVE_FORMAT_CAB:
		cab_survey(top);
		break;
	}
}
