/* archive: every entry of an archive read to its end with libarchive, in
 * every format and filter it knows; a damaged one is found only by reading
 * all of its data. A lone compressed stream counts (format "raw" under a
 * filter); a plain file that only "raw" claims is not an archive.
 *
 * Result: "format" (libarchive's name; absent when none was recognized),
 * "filters" (an array of filter names, outermost first, without "none"),
 * "entries" and "bytes" (uncompressed) read so far, also on failure. */
#include <archive.h>
#include <archive_entry.h>

#include "child/handler.h"

#define BLOCK		(64 * 1024)
#define FILTERS_MAX	16

/* What has been read of one file. Limits on it belong here too. */
struct tally {
	uint64_t entries;
	uint64_t bytes;
	int not_archive;
};

/* Raw with no filter under it bids for any bytes at all. */
static int
is_plain_file(struct archive *a)
{
	return archive_format(a) == ARCHIVE_FORMAT_RAW && archive_filter_count(a) <= 1;
}

/* Reads one entry's data to its end. Returns an ARCHIVE_ status:
 * ARCHIVE_EOF when all of it was read. */
static int
read_entry(struct archive *a, struct tally *t)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK ||
	    r == ARCHIVE_WARN)
		t->bytes += len;
	return r;
}

/* Reads every entry. Returns 0, or -1 when the archive is damaged, not
 * an archive, or unreadable. */
static int
read_all(struct archive *a, struct tally *t)
{
	struct archive_entry *e;
	int r;

	for (;;) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return -1;
		if (t->entries == 0 && is_plain_file(a)) {
			t->not_archive = 1;
			return -1;
		}
		t->entries++;
		if (read_entry(a, t) != ARCHIVE_EOF)
			return -1;
	}
}

static void
describe(struct archive *a, const struct tally *t, struct corral_result *out)
{
	const char *filters[FILTERS_MAX];
	int i;
	size_t n = 0;

	if (archive_format(a) != 0 && !t->not_archive)
		corral_result_set_str(out, "format", archive_format_name(a));
	/* libarchive numbers filters from the innermost. */
	for (i = archive_filter_count(a) - 1; i >= 0 && n < FILTERS_MAX; i--)
		if (archive_filter_code(a, i) != ARCHIVE_FILTER_NONE && archive_filter_name(a, i))
			filters[n++] = archive_filter_name(a, i);
	result_set_strv(out, "filters", filters, n);
	corral_result_set_uint(out, "entries", t->entries);
	corral_result_set_uint(out, "bytes", t->bytes);
}

static int
archive_process(const struct task_in *t, struct corral_result *out)
{
	struct tally tl = { 0, 0, 0 };
	struct archive *a;
	int bad;

	if ((a = archive_read_new()) == NULL) {
		corral_result_set_error(out, "unable to start libarchive: out of memory");
		return 1;
	}
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	archive_read_support_format_raw(a);
	bad = archive_read_open_fd(a, t->fd, BLOCK) != ARCHIVE_OK || read_all(a, &tl) < 0;
	if (bad && tl.not_archive)
		corral_result_set_error(out, "unrecognized archive format");
	else if (bad)
		corral_result_set_error(out, "%s", archive_error_string(a) ?
		    archive_error_string(a) : "damaged archive");
	describe(a, &tl, out);
	archive_read_free(a);
	return bad;
}

const struct handler handler_archive = { "archive", NULL, archive_process };
