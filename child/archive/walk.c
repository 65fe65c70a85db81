/* walk: one file read as a careful extractor would read it, writing
 * nothing. Every entry's data is read to its end (a damaged archive shows
 * only there), counted against the job's limits as it comes (header sizes
 * are never believed), and looked at: data that starts like an archive is
 * read as one, streamed from the entry that holds it through a read
 * callback, with no temporary file, and so on down to max_depth. The limits
 * hold for the whole tree, and the first one hit stops everything at once:
 * a bomb costs at most its limit in time and memory. The file's own SHA-256
 * is taken from the reads libarchive asks for; what a seek skipped over is
 * read once more at the end. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child/archive/level.h"
#include "child/handler.h"
#include "common/utf8.h"

/* Where lv's reading is in its compressed input: the file's, through the
 * outer reader, for the file's own archive read in layers. */
static int64_t
comp_pos(const struct level *lv)
{
	return archive_filter_bytes(lv->depth == 0 && lv->w->outer != NULL ? lv->w->outer : lv->a, -1);
}

/* Counts one block of the entry's data against the limits. Returns 0, or
 * -1 when one was hit. */
static int
account(struct level *lv, const void *buf, size_t len)
{
	struct walk *w = lv->w;
	struct inspect *in = w->in;
	int64_t comp;

	lv->ebytes += len;
	in->bytes += len;
	/* Bytes read so far, all levels, and the entry they are from. */
	child_progress(in->bytes, 0, lv->name, lv->name ? strlen(lv->name) : 0);
	if (lv->md != NULL)
		EVP_DigestUpdate(lv->md, buf, len);
	if (lv->ebytes > w->lim.max_entry_bytes)
		return level_hit(lv, R_ENTRY_TOO_LARGE, "over %llu bytes",
		    (unsigned long long)w->lim.max_entry_bytes);
	if (in->bytes > w->lim.max_bytes)
		return level_hit(lv, R_TOO_LARGE, "over %llu bytes", (unsigned long long)w->lim.max_bytes);
	if (w->lim.max_ratio == 0 || in->bytes <= RATIO_GRACE)
		return 0;
	if (in->size > 0 && in->bytes / in->size > w->lim.max_ratio)
		return level_hit(lv, R_RATIO, "archive over %llu:1", (unsigned long long)w->lim.max_ratio);
	if (lv->ebytes <= RATIO_GRACE || !lv->entry_ratio)
		return 0;
	/* The compressed bytes this entry has used so far: what libarchive
	 * has consumed of its input since the entry's header. */
	comp = comp_pos(lv) - lv->start;
	if (comp > 0 && lv->ebytes / (uint64_t)comp > w->lim.max_ratio)
		return level_hit(lv, R_RATIO, "entry over %llu:1", (unsigned long long)w->lim.max_ratio);
	return 0;
}

/* What a hole of a sparse entry reads as. */
static const unsigned char zeros[BLOCK];

/* The next block of the entry's data, counted. A sparse entry's holes are
 * data too, zeros as an extractor writes them: they count against every
 * limit and reach a nested reader. Returns 1, 0 at its end, or -1 (damage
 * or a limit, noted). */
static int
pull(struct level *lv, const void **buf, size_t *len)
{
	la_int64_t off;
	int r;

	if (lv->w->stop || lv->failed)
		return -1;
	if (lv->hole > 0) {
		*len = lv->hole < sizeof zeros ? (size_t)lv->hole : sizeof zeros;
		*buf = zeros;
		lv->hole -= *len;
		return account(lv, *buf, *len) < 0 ? -1 : 1;
	}
	if (lv->held != NULL) {
		*buf = lv->held;
		*len = lv->heldlen;
		lv->held = NULL;
		return account(lv, *buf, *len) < 0 ? -1 : 1;
	}
	if (lv->eof)
		return 0;
	r = archive_read_data_block(lv->a, buf, len, &off);
	if (r == ARCHIVE_EOF) {
		lv->eof = 1;
		/* The hole a sparse entry ends in has no block. */
		if (lv->logical <= lv->ebytes)
			return 0;
		lv->hole = lv->logical - lv->ebytes;
		return pull(lv, buf, len);
	}
	if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
		level_damaged(lv);
		return -1;
	}
	/* A warning on data is a check that failed (a zip entry's CRC or
	 * size): the data is there, and wrong. */
	if (r == ARCHIVE_WARN && !(lv->flags & (1ull << R_CORRUPT)))
		level_note(lv, R_CORRUPT, archive_error_string(lv->a));
	/* A hole before this block: its zeros first, the block held. */
	if (off > 0 && (uint64_t)off > lv->ebytes) {
		lv->hole = (uint64_t)off - lv->ebytes;
		lv->held = *buf;
		lv->heldlen = *len;
		return pull(lv, buf, len);
	}
	return account(lv, *buf, *len) < 0 ? -1 : 1;
}

/* The read callback of a nested archive: its container's data, the bytes
 * already looked at first. */
static la_ssize_t
feed(struct archive *a, void *cd, const void **buf)
{
	struct level *lv = cd;
	size_t len = 0;
	int i, r;

	for (i = 0; i < 2; i++)
		if (lv->pendlen[i] > 0) {
			*buf = lv->pend[i];
			len = lv->pendlen[i];
			lv->pendlen[i] = 0;
			return (la_ssize_t)len;
		}
	/* Sparse files give empty blocks; 0 would mean the end here. */
	while ((r = pull(lv->up, buf, &len)) > 0 && len == 0)
		;
	if (r < 0) {
		archive_set_error(a, EIO, "the archive it is in could not be read on");
		return -1;
	}
	return (la_ssize_t)len;
}

static la_ssize_t
file_read(struct archive *a, void *cd, const void **buf)
{
	struct walk *w = cd;
	ssize_t n;

	n = read_at(w->fd, w->block, BLOCK, w->pos);
	if (n < 0) {
		archive_set_error(a, errno, "read error");
		return -1;
	}
	/* Digested only when it continues what has been: one pass in the
	 * usual case, never a byte twice or out of order. */
	if (w->pos <= w->hashed && w->pos + (uint64_t)n > w->hashed) {
		EVP_DigestUpdate(w->file_md, w->block + (w->hashed - w->pos),
		    w->pos + (uint64_t)n - w->hashed);
		w->hashed = w->pos + (uint64_t)n;
	}
	w->pos += (uint64_t)n;
	*buf = w->block;
	return n;
}

ssize_t
read_at(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n;

	do
		n = pread(fd, buf, len, (off_t)off);
	while (n < 0 && errno == EINTR);
	return n;
}

la_int64_t
walk_seek(struct archive *a, void *cd, la_int64_t off, int whence)
{
	struct walk *w = cd;
	int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)w->pos :
	    (int64_t)w->in->size;

	if (base + off < 0) {
		archive_set_error(a, EINVAL, "seek before the start");
		return ARCHIVE_FATAL;
	}
	w->pos = (uint64_t)(base + off);
	return (la_int64_t)w->pos;
}

static struct archive *
reader_new(const struct walk *w)
{
	struct archive *a = archive_read_new();

	if (a != NULL && archive_support(a, w->formats, 1) < 0) {
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* Raw with no filter under it bids for any bytes at all. */
static int
is_plain(const struct level *lv)
{
	const struct walk *w = lv->w;

	return archive_format(lv->a) == ARCHIVE_FORMAT_RAW && archive_filter_count(lv->a) <= 1 &&
	    (lv->depth > 0 || w->outer == NULL || archive_filter_count(w->outer) <= 1);
}

/* Whether an entry's compressed bytes are its own and read in order, so
 * that what libarchive consumes while reading its data measures them: not
 * in 7-Zip, RAR and cab (entries share solid blocks, found with seeks),
 * nor xar (its heap is read with seeks). There, the whole file's ratio and
 * the absolute limits stand guard. */
static int
own_data(struct archive *a)
{
	switch (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) {
	case ARCHIVE_FORMAT_7ZIP:
	case ARCHIVE_FORMAT_RAR:
	case ARCHIVE_FORMAT_RAR_V5:
	case ARCHIVE_FORMAT_CAB:
	case ARCHIVE_FORMAT_XAR:
		return 0;
	default:
		return 1;
	}
}

/* Whether data starting with p looks like an archive or a compressed
 * stream libarchive reads: 0 not, 1 yes, 2 yes and best read with seeks
 * (zip through its central directory, as extractors read it; 7-Zip, whose
 * header is at its end). Only magic numbers long or checked enough not to
 * catch ordinary files: no binary cpio, lzma-alone, compress or lha. */
static int
looks_archived(const unsigned char *p, size_t n)
{
	static const struct {
		unsigned off, len;
		const char *magic;
	} m[] = {
		{ 0, 4, "PK\3\4" }, { 0, 4, "PK\7\10" }, { 0, 2, "\x1f\x8b" },
		{ 0, 3, "BZh" }, { 0, 6, "\xfd" "7zXZ\0" }, { 0, 4, "\x28\xb5\x2f\xfd" },
		{ 0, 4, "\x04\x22\x4d\x18" }, { 0, 4, "LZIP" }, { 0, 6, "7z\xbc\xaf\x27\x1c" },
		{ 0, 6, "Rar!\x1a\x07" }, { 0, 4, "MSCF" }, { 0, 8, "!<arch>\n" },
		{ 0, 6, "070707" }, { 0, 6, "070701" }, { 0, 6, "070702" }, { 0, 4, "xar!" },
		{ 0, 9, "\x89LZO\0\r\n\x1a\n" }, { 257, 5, "ustar" }, { 0, 4, "LRZI" },
		{ 0, 12, "GRZipII\0\2\4:)" },
	};
	size_t i;

	for (i = 0; i < sizeof m / sizeof m[0]; i++)
		if (n >= m[i].off + m[i].len && memcmp(p + m[i].off, m[i].magic, m[i].len) == 0)
			return i < 2 || i == 8 ? 2 : 1;
	return 0;
}

static void walk_level(struct level *lv);

/* Only "raw" took the data at lv (its first n bytes at p, or NULL for the
 * file's own): no archive, or a stream of a filter the sandbox cannot run,
 * which is noted at the entry that holds it. */
static void
plain(struct level *lv, const unsigned char *p, size_t n)
{
	unsigned char head[16];
	char detail[DETAIL_MAX + 1];
	const char *name;
	ssize_t got;

	if (p == NULL) {
		got = pread(lv->w->fd, head, sizeof head, 0);
		p = head;
		n = got > 0 ? (size_t)got : 0;
	}
	if ((name = filter_unsupported(p, n)) != NULL) {
		snprintf(detail, sizeof detail,
		    "%s: decompressed only by an external program, which the sandbox does not run", name);
		level_note(lv->up != NULL ? lv->up : lv, R_UNSUPPORTED, detail);
	} else if (lv->up == NULL)
		level_note(lv, R_NOT_ARCHIVE, "unrecognized archive format");
}

/* Reads the entry's data at up as an archive: all of it in memory (mem,
 * len), read with seeks; or streamed from up, its first bytes given in two
 * pieces. Returns 0 (the rest of the data is the caller's), or -1 when
 * everything stops. */
static int
nest(struct level *up, int mem, const void *p0, size_t n0, const void *p1, size_t n1)
{
	struct walk *w = up->w;
	struct level *in;
	int r;

	if (up->depth >= w->lim.max_depth)
		return level_hit(up, R_TOO_DEEP, "deeper than %u", (unsigned)w->lim.max_depth);
	/* On the heap: max_depth is the job's to choose. */
	if ((in = calloc(1, sizeof *in)) == NULL || (in->a = reader_new(w)) == NULL) {
		free(in);
		w->err = ENOMEM;
		w->stop = 1;
		return -1;
	}
	in->w = w;
	in->up = up;
	in->depth = up->depth + 1;
	in->salt = w->seed + ++w->levels * 0x9e3779b97f4a7c15ull;
	up->nested = 1;
	if (mem)
		r = archive_read_open_memory(in->a, p0, n0);
	else {
		in->pend[0] = p0;
		in->pendlen[0] = n0;
		in->pend[1] = p1;
		in->pendlen[1] = n1;
		archive_read_set_read_callback(in->a, feed);
		archive_read_set_callback_data(in->a, in);
		r = archive_read_open1(in->a);
	}
	if (r != ARCHIVE_OK && !w->stop && !up->failed)
		level_damaged(in);
	else if (r == ARCHIVE_OK)
		walk_level(in);
	if (in->plain) {
		up->nested = 0;
		plain(in, p0, n0);
	}
	EVP_MD_CTX_free(in->md);
	archive_read_free(in->a);
	free(in);
	return w->stop || up->failed ? -1 : 0;
}

/* A zip or 7-Zip archive in an entry, its first bytes in two pieces: the
 * whole of it gathered in memory when it fits (NEST_MEMORY for all levels
 * together), so that it is read with seeks; else streamed, which 7-Zip
 * cannot be. Returns as nest() does. */
static int
nest_seekable(struct level *lv, const void *p0, size_t n0, const void *p1, size_t n1)
{
	struct walk *w = lv->w;
	const void *b;
	char *buf, *nb;
	size_t len = n0 + n1, cap = 65536, blen;
	int r;

	while (cap < len)
		cap *= 2;
	if (w->mem_used + cap > NEST_MEMORY || (buf = malloc(cap)) == NULL)
		return nest(lv, 0, p0, n0, p1, n1);
	w->mem_used += cap;
	memcpy(buf, p0, n0);
	if (n1 > 0)
		memcpy(buf + n0, p1, n1);
	while ((r = pull(lv, &b, &blen)) > 0) {
		if (len + blen > cap) {
			if (w->mem_used + cap > NEST_MEMORY || (nb = realloc(buf, cap * 2)) == NULL)
				break;
			w->mem_used += cap;
			buf = nb;
			cap *= 2;
		}
		memcpy(buf + len, b, blen);
		len += blen;
	}
	if (r == 0)
		r = nest(lv, 1, buf, len, NULL, 0);
	else if (r > 0)
		/* Too big to hold: what is held goes first, then the rest. */
		r = nest(lv, 0, buf, len, b, blen);
	free(buf);
	w->mem_used -= cap;
	return r;
}

/* Reads the entry's data to its end, and into it when it is an archive.
 * Returns 0, or -1 when this level or everything stops. */
static int
read_data(struct level *lv, int may_nest)
{
	const void *b, *p0, *p1 = NULL;
	size_t len, k, have = 0, n0, n1 = 0;
	int r, kind;

	if ((r = pull(lv, &b, &len)) <= 0)
		return r;
	if (!may_nest)
		goto drain;
	if (len >= SNIFF) {
		p0 = b;
		n0 = len;
	} else {
		/* Gather the first bytes: blocks can be short. */
		for (;;) {
			k = len < SNIFF - have ? len : SNIFF - have;
			if (k > 0) {
				memcpy(lv->sniff + have, b, k);
				have += k;
				p1 = (const char *)b + k;
				n1 = len - k;
			}
			if (have == SNIFF)
				break;
			if ((r = pull(lv, &b, &len)) < 0)
				return -1;
			if (r == 0)
				break;
		}
		p0 = lv->sniff;
		n0 = have;
	}
	kind = looks_archived(p0, n0);
	if (kind == 2)
		r = nest_seekable(lv, p0, n0, p1, n1);
	else if (kind == 1)
		r = nest(lv, 0, p0, n0, p1, n1);
	if (kind != 0 && r < 0)
		return -1;
drain:
	while ((r = pull(lv, &b, &len)) > 0)
		;
	return r;
}

/* One entry: its name and kind judged, its data read. Returns 0, or -1
 * when this level or everything stops. */
static int
entry(struct level *lv, struct archive_entry *e, const char *warning)
{
	struct walk *w = lv->w;
	const char *name = archive_entry_pathname(e);
	enum reason why;
	size_t len;
	int r, reg, digest, has_data;

	if (name == NULL)
		name = archive_entry_pathname_utf8(e);
	lv->name = name != NULL ? name : "";
	lv->flags = 0;
	lv->nested = 0;
	lv->eof = 0;
	lv->ebytes = 0;
	lv->hole = 0;
	lv->held = NULL;
	lv->logical = archive_entry_sparse_count(e) > 0 && archive_entry_size_is_set(e) &&
	    archive_entry_size(e) > 0 ? (uint64_t)archive_entry_size(e) : 0;
	/* What libarchive warned of while reading the header: two readers
	 * may see two different entries here. */
	if (warning != NULL && (why = warning_kind(warning)) != R_COUNT)
		level_note(lv, why, warning);
	len = strlen(lv->name);
	if (len > w->lim.max_name)
		return level_hit(lv, R_NAME_TOO_LONG, "over %u bytes", (unsigned)w->lim.max_name);
	if (level_judge(lv, e, lv->name, len) < 0)
		return -1;
	lv->start = comp_pos(lv);
	lv->entry_ratio = own_data(lv->a);
	reg = archive_entry_filetype(e) == AE_IFREG && archive_entry_hardlink(e) == NULL;
	/* A directory, a symbolic link or a device has no data to read (a
	 * RAR5 reader refuses to read a directory's, and stops there). */
	has_data = archive_entry_filetype(e) == AE_IFREG || archive_entry_filetype(e) == 0 ||
	    archive_entry_hardlink(e) != NULL;
	if (archive_entry_is_encrypted(e)) {
		/* Unreadable without its password: what it holds is unknown. */
		level_note(lv, R_ENCRYPTED, NULL);
		if (archive_read_data_skip(lv->a) != ARCHIVE_OK)
			level_damaged(lv);
		level_record(lv, e, 0);
		return lv->failed ? -1 : 0;
	}
	digest = w->entry_sha256 && reg;
	if (digest) {
		if (lv->md == NULL)
			lv->md = lv->depth == 0 ? w->entry_md : EVP_MD_CTX_new();
		if (lv->md == NULL || !EVP_DigestInit_ex(lv->md, w->sha256, NULL)) {
			w->err = ENOMEM;
			w->stop = 1;
			return -1;
		}
	}
	r = has_data ? read_data(lv, reg && !lv->overlap_noted) : 0;
	if (archive_format(lv->a) == ARCHIVE_FORMAT_ZIP && r == 0)
		level_overlap(lv, comp_pos(lv));
	level_record(lv, e, digest && r == 0);
	return r;
}

static void
walk_level(struct level *lv)
{
	struct walk *w = lv->w;
	struct archive_entry *e;
	char warning[DETAIL_MAX + 1];
	uint64_t seen = 0;
	int r;

	for (;;) {
		lv->name = NULL;
		r = archive_read_next_header(lv->a, &e);
		if (w->stop)
			return;
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			level_damaged(lv);
			return;
		}
		if (seen++ == 0 && is_plain(lv)) {
			lv->plain = 1;
			return;
		}
		child_progress(w->in->bytes, 0, NULL, 0);
		if (++w->in->entries > w->lim.max_entries) {
			level_hit(lv, R_TOO_MANY_ENTRIES, "over %llu", (unsigned long long)w->lim.max_entries);
			return;
		}
		if (seen == 1 && lv->depth == 0 && archive_format(lv->a) == ARCHIVE_FORMAT_ZIP)
			level_zip_survey(lv);
		if (entry_normalize(lv->a, e))
			continue;
		if (r == ARCHIVE_WARN)
			snprintf(warning, sizeof warning, "%s",
			    archive_error_string(lv->a) ? archive_error_string(lv->a) : "a warning");
		if (entry(lv, e, r == ARCHIVE_WARN ? warning : NULL) < 0)
			return;
	}
	lv->name = NULL;
	if (lv->depth == 0 && archive_format(lv->a) == ARCHIVE_FORMAT_ZIP)
		level_zip_check(lv, seen);
}

struct walk *
walk_new(void)
{
	struct walk *w = calloc(1, sizeof *w);

	if (w == NULL)
		return NULL;
	/* Names read as UTF-8 whatever the caller's locale (the worker sets
	 * it too; a caller in-process, the benchmark's floor, may not). */
	utf8_locale();
	formats_init();
	w->block = malloc(BLOCK);
	w->scratch = malloc(BLOCK);
	w->file_md = EVP_MD_CTX_new();
	w->entry_md = EVP_MD_CTX_new();
	/* The names' hashes are keyed: an archive cannot choose names that
	 * pile up in one chain of the sets. */
	if (getrandom(&w->seed, sizeof w->seed, 0) != sizeof w->seed)
		w->seed = (uint64_t)(uintptr_t)w ^ (uint64_t)getpid() << 32;
	/* Fetched once: EVP_sha256() looks it up again on every use. */
	w->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (w->block == NULL || w->scratch == NULL || w->file_md == NULL || w->entry_md == NULL ||
	    w->sha256 == NULL) {
		EVP_MD_free(w->sha256);
		free(w->block);
		free(w->scratch);
		EVP_MD_CTX_free(w->file_md);
		EVP_MD_CTX_free(w->entry_md);
		free(w);
		return NULL;
	}
	return w;
}

static void
describe(struct archive *a, const struct level *top, struct inspect *in)
{
	struct archive *f = top->w->outer != NULL ? top->w->outer : a;
	int i;

	if (archive_format(a) != 0 && !top->plain)
		in->format = archive_format_name(a);
	/* libarchive numbers filters from the innermost. */
	a = f;
	for (i = archive_filter_count(a) - 1; i >= 0 && in->nfilters < 16; i--)
		if (archive_filter_code(a, i) != ARCHIVE_FILTER_NONE && archive_filter_name(a, i))
			in->filters[in->nfilters++] = archive_filter_name(a, i);
}

/* The rest of the file's digest: what was skipped, or never read. */
static int
digest_rest(struct walk *w)
{
	unsigned dlen = 0;
	ssize_t n;

	for (;;) {
		n = pread(w->fd, w->block, BLOCK, (off_t)w->hashed);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		EVP_DigestUpdate(w->file_md, w->block, (size_t)n);
		w->hashed += (uint64_t)n;
	}
	if (n < 0)
		return -1;
	return EVP_DigestFinal_ex(w->file_md, w->in->sha256, &dlen) ? 0 : -1;
}

/* libarchive reads a zip's central directory whole, a few hundred bytes
 * of memory a record, before it gives the first entry: the count is
 * checked first where it could pass max_entries (a record takes 46 bytes
 * at least, so only in a file big enough to hold that many). */
static int
too_many_records(struct level *top)
{
	struct walk *w = top->w;
	unsigned char magic[4];
	uint64_t records;

	if (w->in->size / 46 <= w->lim.max_entries ||
	    pread(w->fd, magic, 4, 0) != 4 || memcmp(magic, "PK\3\4", 4) != 0 ||
	    (records = zip_records(w)) <= w->lim.max_entries)
		return 0;
	level_hit(top, R_TOO_MANY_ENTRIES, "over %llu: the central directory counts %llu",
	    (unsigned long long)w->lim.max_entries, (unsigned long long)records);
	return 1;
}

/* Whether the file starts like a stream of a filter that libarchive
 * decompresses in-process and that says so by its first bytes. */
static int
looks_compressed(struct walk *w)
{
	static const struct {
		unsigned len;
		const char *magic;
	} m[] = {
		{ 2, "\x1f\x8b" }, { 3, "BZh" }, { 6, "\xfd" "7zXZ\0" }, { 4, "\x28\xb5\x2f\xfd" },
		{ 4, "\x04\x22\x4d\x18" }, { 4, "LZIP" }, { 2, "\x1f\x9d" },
	};
	unsigned char head[8];
	size_t i;

	if (read_at(w->fd, head, sizeof head, 0) != (ssize_t)sizeof head)
		return 0;
	for (i = 0; i < sizeof m / sizeof m[0]; i++)
		if (memcmp(head, m[i].magic, m[i].len) == 0)
			return 1;
	return 0;
}

/* The read callback of the archive inside a compressed file read in
 * layers: the outer reader's decompressed stream. The last block given is
 * kept in sight, so that what follows the archive's end is looked at
 * without decompressing anything twice (survey.c). */
static la_ssize_t
layer_read(struct archive *a, void *cd, const void **buf)
{
	struct walk *w = cd;
	la_int64_t off;
	size_t len = 0;
	int r;

	do
		r = archive_read_data_block(w->outer, buf, &len, &off);
	while (r == ARCHIVE_OK && len == 0);
	if (r == ARCHIVE_EOF) {
		w->last_len = 0;
		return 0;
	}
	if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
		archive_set_error(a, archive_errno(w->outer), "%s",
		    archive_error_string(w->outer) ? archive_error_string(w->outer) : "read error");
		return -1;
	}
	w->fed += len;
	w->last_block = *buf;
	w->last_len = len;
	return (la_ssize_t)len;
}

/* A compressed file is read in two layers: the outer reader decompresses
 * (its filters, and "raw"), the archive's reader reads its stream. Returns
 * the archive's reader, opened, or NULL with the outer one's damage noted
 * at top (or errno ENOMEM). */
static struct archive *
layers_open(struct level *top)
{
	struct walk *w = top->w;
	struct archive_entry *e;
	struct archive *a;

	if ((w->outer = archive_read_new()) == NULL || archive_support(w->outer, 0, 1) < 0)
		return NULL;
	archive_read_set_read_callback(w->outer, file_read);
	archive_read_set_seek_callback(w->outer, walk_seek);
	archive_read_set_callback_data(w->outer, w);
	if (archive_read_open1(w->outer) != ARCHIVE_OK ||
	    archive_read_next_header(w->outer, &e) != ARCHIVE_OK) {
		top->a = w->outer;
		level_damaged(top);
		top->a = NULL;
		return NULL;
	}
	if ((a = archive_read_new()) == NULL || archive_support(a, w->formats, 0) < 0) {
		archive_read_free(a);
		return NULL;
	}
	archive_read_set_read_callback(a, layer_read);
	archive_read_set_callback_data(a, w);
	return a;
}

int
walk_file(struct walk *w, int fd, const struct job_opts *o, struct inspect *in)
{
	struct level top;
	struct stat st;

	in->verdict = V_CLEAN;
	in->nreasons = 0;
	in->reasons_seen = 0;
	memset(in->have_first, 0, sizeof in->have_first);
	in->entries = in->bytes = in->size = 0;
	in->format = NULL;
	in->nfilters = 0;
	in->sha_ok = 0;
	in->files_truncated = 0;
	mpbuf_reset(&in->files);
	msgpack_packer_init(&w->pk, &in->files, mpbuf_write);

	w->lim = o->limits;
	w->formats = o->formats;
	w->entry_sha256 = o->entry_sha256;
	w->in = in;
	w->fd = fd;
	w->pos = w->hashed = 0;
	w->stop = w->err = 0;
	w->levels = 0;
	w->mem_used = 0;
	nameset_clear(&w->names);
	nameset_clear(&w->folded);
	nameset_clear(&w->links);
	nameset_clear(&w->files);
	if (w->last != NULL) {
		archive_read_free(w->last);
		w->last = NULL;
	}
	if (w->outer != NULL) {
		archive_read_free(w->outer);
		w->outer = NULL;
	}
	w->fed = 0;
	w->last_len = 0;
	if (fstat(fd, &st) < 0)
		return -1;
	in->size = (uint64_t)st.st_size;
	if (!EVP_DigestInit_ex(w->file_md, w->sha256, NULL)) {
		errno = ENOMEM;
		return -1;
	}

	memset(&top, 0, sizeof top);
	top.w = w;
	top.salt = w->seed;
	if (looks_compressed(w)) {
		if ((top.a = layers_open(&top)) == NULL) {
			if (!top.failed) {
				errno = ENOMEM;
				return -1;
			}
			describe(w->outer, &top, in);
			goto digest;
		}
	} else if ((top.a = reader_new(w)) != NULL) {
		archive_read_set_read_callback(top.a, file_read);
		archive_read_set_seek_callback(top.a, walk_seek);
		archive_read_set_callback_data(top.a, w);
	} else {
		errno = ENOMEM;
		return -1;
	}
	w->last = top.a;
	if (too_many_records(&top))
		;
	else if (archive_read_open1(top.a) != ARCHIVE_OK)
		level_damaged(&top);
	else
		walk_level(&top);
	if (top.plain)
		plain(&top, NULL, 0);
	else if (!w->stop && !top.failed && w->err == 0)
		level_survey(&top);
	describe(top.a, &top, in);
digest:
	if (w->err != 0) {
		errno = w->err;
		return -1;
	}
	if (digest_rest(w) < 0)
		return -1;
	in->sha_ok = 1;
	return 0;
}
