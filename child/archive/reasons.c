/* reasons: every reason a file can be judged by and its verdict (one
 * table, docs/results.md has it too), how one is recorded against an entry,
 * and the msgpack buffer the result's lists are packed in. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child/archive/level.h"

#define HEADER_ROOM	5

static const struct {
	const char *name;
	enum verdict verdict;
} reasons[R_COUNT] = {
	[R_PATH_TRAVERSAL] = { "path_traversal", V_SUSPICIOUS },
	[R_ABSOLUTE_PATH] = { "absolute_path", V_SUSPICIOUS },
	[R_DRIVE_LETTER] = { "drive_letter", V_SUSPICIOUS },
	[R_BACKSLASH] = { "backslash", V_SUSPICIOUS },
	[R_CONTROL_CHAR] = { "control_char", V_SUSPICIOUS },
	[R_BAD_NAME_ENCODING] = { "bad_name_encoding", V_SUSPICIOUS },
	[R_EMPTY_NAME] = { "empty_name", V_SUSPICIOUS },
	[R_SYMLINK_ESCAPE] = { "symlink_escape", V_SUSPICIOUS },
	[R_HARDLINK_ESCAPE] = { "hardlink_escape", V_SUSPICIOUS },
	[R_LINK_CHAIN] = { "link_chain", V_SUSPICIOUS },
	[R_LINK_WRITE_THROUGH] = { "link_write_through", V_SUSPICIOUS },
	[R_DEVICE] = { "device", V_SUSPICIOUS },
	[R_FIFO] = { "fifo", V_SUSPICIOUS },
	[R_SOCKET] = { "socket", V_SUSPICIOUS },
	[R_SETUID] = { "setuid", V_SUSPICIOUS },
	[R_SETGID] = { "setgid", V_SUSPICIOUS },
	[R_WORLD_WRITABLE] = { "world_writable", V_SUSPICIOUS },
	[R_DUPLICATE_NAME] = { "duplicate_name", V_SUSPICIOUS },
	[R_CASE_COLLISION] = { "case_collision", V_SUSPICIOUS },
	[R_ENCRYPTED] = { "encrypted", V_SUSPICIOUS },
	[R_OVERLAPPING_ENTRIES] = { "overlapping_entries", V_SUSPICIOUS },
	[R_NAME_MISMATCH] = { "name_mismatch", V_SUSPICIOUS },
	[R_HEADER_MISMATCH] = { "header_mismatch", V_SUSPICIOUS },
	[R_UNLISTED_ENTRY] = { "unlisted_entry", V_SUSPICIOUS },
	[R_PREFIX_DATA] = { "prefix_data", V_SUSPICIOUS },
	[R_TRAILING_DATA] = { "trailing_data", V_SUSPICIOUS },
	[R_HIDDEN_DATA] = { "hidden_data", V_SUSPICIOUS },
	[R_READER_WARNING] = { "reader_warning", V_SUSPICIOUS },
	[R_UNKNOWN_TYPE] = { "unknown_type", V_SUSPICIOUS },
	[R_TRUNCATED] = { "truncated", V_MALFORMED },
	[R_CORRUPT] = { "corrupt", V_MALFORMED },
	[R_UNSUPPORTED] = { "unsupported", V_MALFORMED },
	[R_NOT_ARCHIVE] = { "not_archive", V_MALFORMED },
	[R_TOO_MANY_ENTRIES] = { "too_many_entries", V_REJECTED },
	[R_TOO_LARGE] = { "too_large", V_REJECTED },
	[R_ENTRY_TOO_LARGE] = { "entry_too_large", V_REJECTED },
	[R_RATIO] = { "ratio", V_REJECTED },
	[R_TOO_DEEP] = { "too_deep", V_REJECTED },
	[R_NAME_TOO_LONG] = { "name_too_long", V_REJECTED },
	[R_MEMORY] = { "memory", V_REJECTED },
};

const char *
reason_name(enum reason r)
{
	return r < R_COUNT ? reasons[r].name : "unknown";
}

enum reason
reason_find(const char *name)
{
	unsigned r;

	for (r = 0; r < R_COUNT; r++)
		if (strcmp(reasons[r].name, name) == 0)
			return (enum reason)r;
	return R_COUNT;
}

enum verdict
reason_verdict(enum reason r)
{
	return r < R_COUNT ? reasons[r].verdict : V_MALFORMED;
}

const char *
verdict_name(enum verdict v)
{
	static const char *const names[] = { "clean", "suspicious", "malformed", "rejected" };

	return v <= V_REJECTED ? names[v] : "malformed";
}

int
mpbuf_write(void *data, const char *p, size_t len)
{
	struct mpbuf *b = data;
	size_t cap;
	char *nb;

	if (b->err)
		return -1;
	if (len > b->cap - b->len) {
		for (cap = b->cap ? b->cap : 4096; cap - b->len < len; cap *= 2)
			;
		if ((nb = realloc(b->buf, cap)) == NULL) {
			b->err = ENOMEM;
			return -1;
		}
		b->buf = nb;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, p, len);
	b->len += len;
	return 0;
}

void
mpbuf_reset(struct mpbuf *b)
{
	b->len = 0;
	b->count = 0;
	b->err = 0;
	if (mpbuf_write(b, "\0\0\0\0\0", HEADER_ROOM) < 0)
		b->len = 0;
}

const char *
mpbuf_array(struct mpbuf *b, size_t *len)
{
	unsigned char *h;
	uint32_t n = b->count;

	if (b->err || b->len < HEADER_ROOM) {
		*len = 1;
		return "\x90";
	}
	if (n < 16) {
		h = (unsigned char *)b->buf + HEADER_ROOM - 1;
		h[0] = 0x90 | n;
	} else if (n < 65536) {
		h = (unsigned char *)b->buf + HEADER_ROOM - 3;
		h[0] = 0xdc;
		h[1] = n >> 8;
		h[2] = n & 0xff;
	} else {
		h = (unsigned char *)b->buf;
		h[0] = 0xdd;
		h[1] = n >> 24;
		h[2] = (n >> 16) & 0xff;
		h[3] = (n >> 8) & 0xff;
		h[4] = n & 0xff;
	}
	*len = b->len - (size_t)((char *)h - b->buf);
	return (const char *)h;
}

static size_t
put(char *buf, size_t n, const char *s, size_t len)
{
	if (len > NAME_OUT_MAX - n)
		len = NAME_OUT_MAX - n;
	memcpy(buf + n, s, len);
	return n + len;
}

/* The entry's name as reported: the names of the archives it is inside
 * first, each followed by "!/". buf holds NAME_OUT_MAX + 1 bytes. */
size_t
level_display(const struct level *lv, char *buf)
{
	size_t n = 0;

	if (lv->up != NULL) {
		n = level_display(lv->up, buf);
		if (lv->name != NULL)
			n = put(buf, n, "!/", 2);
	}
	if (lv->name != NULL)
		n = put(buf, n, lv->name, strlen(lv->name));
	buf[n] = '\0';
	return n;
}

static void
fill(struct reason_rec *rec, const struct level *lv, enum reason r, const char *detail)
{
	size_t n;

	rec->code = r;
	level_display(lv, rec->entry);
	n = (size_t)snprintf(rec->detail, sizeof rec->detail, "%s", detail ? detail : "");
	/* libarchive ends some messages in a newline. */
	for (n = n < DETAIL_MAX ? n : DETAIL_MAX; n > 0 && (unsigned char)rec->detail[n - 1] <= ' '; n--)
		rec->detail[n - 1] = '\0';
}

void
inspect_add(struct inspect *in, enum reason r, const char *entry, const char *detail)
{
	enum verdict v = reason_verdict(r);
	struct reason_rec rec;

	rec.code = r;
	snprintf(rec.entry, sizeof rec.entry, "%s", entry ? entry : "");
	snprintf(rec.detail, sizeof rec.detail, "%s", detail ? detail : "");
	if (v > in->verdict)
		in->verdict = v;
	in->reasons_seen++;
	if (in->nreasons < REASONS_MAX)
		in->reasons[in->nreasons++] = rec;
	if (!in->have_first[v]) {
		in->first[v] = rec;
		in->have_first[v] = 1;
	}
}

/* Records reason r against the entry being read at lv (or lv's archive
 * when none is), once per entry. */
void
level_note(struct level *lv, enum reason r, const char *detail)
{
	struct inspect *in = lv->w->in;
	enum verdict v = reason_verdict(r);

	if (lv->name != NULL && (lv->flags & (1ull << r)))
		return;
	lv->flags |= 1ull << r;
	if (v > in->verdict)
		in->verdict = v;
	in->reasons_seen++;
	if (in->nreasons < REASONS_MAX)
		fill(&in->reasons[in->nreasons++], lv, r, detail);
	if (!in->have_first[v]) {
		fill(&in->first[v], lv, r, detail);
		in->have_first[v] = 1;
	}
}

/* A limit was hit: noted, and everything stops. Returns -1. */
int
level_hit(struct level *lv, enum reason r, const char *fmt, ...)
{
	char detail[DETAIL_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	level_note(lv, r, detail);
	lv->w->stop = 1;
	return -1;
}

enum reason
damage_kind(const char *msg)
{
	if (msg == NULL)
		return R_CORRUPT;
	if (strstr(msg, "ncrypt") || strstr(msg, "assphrase"))
		return R_ENCRYPTED;
	/* An allocation refused under the child's memory limit: the file
	 * needs more than the job allows, as when libarchive exits for it
	 * (child/worker.c). */
	if (strstr(msg, "ut of memory") || strstr(msg, "allocate") || strstr(msg, "alloc failed"))
		return R_MEMORY;
	/* zlib's Z_BUF_ERROR (-5) in a zip entry: its input ran out. */
	if (strstr(msg, "runcat") || strstr(msg, "remature") || strstr(msg, "nexpected end") ||
	    strstr(msg, "nexpected EOF") || strstr(msg, "decompression failed (-5)"))
		return R_TRUNCATED;
	if (strstr(msg, "nrecognized archive format"))
		return R_NOT_ARCHIVE;
	/* "Unsupported ...", "... not supported", and "does not support
	 * seeking": a 7-Zip archive inside another, too big to hold. */
	if (strstr(msg, "nsupported") || strstr(msg, "not support"))
		return R_UNSUPPORTED;
	return R_CORRUPT;
}

enum reason
warning_kind(const char *msg)
{
	if (msg == NULL)
		return R_READER_WARNING;
	/* Owners are never restored: their names' encoding is no concern. */
	if ((strncmp(msg, "Uname", 5) == 0 || strncmp(msg, "Gname", 5) == 0) &&
	    (strstr(msg, "cannot be converted") || strstr(msg, "can't be converted")))
		return R_COUNT;
	if (strstr(msg, "cannot be converted") || strstr(msg, "can't be converted"))
		return R_BAD_NAME_ENCODING;
	/* A zip's local header against its central directory record. */
	if (strstr(msg, "nconsistent"))
		return R_HEADER_MISMATCH;
	if (strstr(msg, "nsupported"))
		return R_UNSUPPORTED;
	if (strstr(msg, "CRC") || strstr(msg, "checksum"))
		return R_CORRUPT;
	/* cpio: bytes between two headers that no header describes. */
	if (strncmp(msg, "Skipped", 7) == 0)
		return R_HIDDEN_DATA;
	return R_READER_WARNING;
}

void
level_damaged(struct level *lv)
{
	const char *msg = archive_error_string(lv->a);

	lv->failed = 1;
	/* A limit, or the damage of the archive this one streams from, made
	 * the error: it is noted where it happened. */
	if (lv->w->stop || (lv->up != NULL && lv->up->failed))
		return;
	level_note(lv, damage_kind(msg), msg);
}
