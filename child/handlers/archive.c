/* archive: every entry of an archive, read to its end with libarchive, in
 * every format and filter it knows. A lone compressed stream counts (format
 * "raw"); a plain file that no format claims is not an archive. */
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "child/handler.h"

#define BLOCK (64 * 1024)

static void
describe(struct archive *a, struct corral_result *out, uint64_t entries, uint64_t bytes)
{
	const char *filters[16];
	int i, n = archive_filter_count(a);
	size_t k = 0;

	/* Outermost first: libarchive counts from the innermost. */
	for (i = n - 1; i >= 0 && k < sizeof filters / sizeof filters[0]; i--) {
		const char *name = archive_filter_name(a, i);

		if (name && archive_filter_code(a, i) != ARCHIVE_FILTER_NONE)
			filters[k++] = name;
	}
	if (archive_format(a))
		corral_result_set_str(out, "format", archive_format_name(a));
	result_set_strv(out, "filters", filters, k);
	corral_result_set_uint(out, "entries", entries);
	corral_result_set_uint(out, "bytes", bytes);
}

static int
archive_process(int fd, const char *path, struct corral_result *out)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	uint64_t entries = 0, bytes = 0;
	const void *buf;
	size_t len;
	la_int64_t off;
	int r, bad = 0;

	(void)path;
	if (a == NULL) {
		corral_result_set_error(out, "unable to start libarchive");
		return 1;
	}
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_fd(a, fd, BLOCK) != ARCHIVE_OK) {
		corral_result_set_error(out, "%s", archive_error_string(a) ?
		    archive_error_string(a) : "unreadable");
		archive_read_free(a);
		return 1;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		if (archive_format(a) == ARCHIVE_FORMAT_RAW && archive_filter_count(a) <= 1) {
			/* Raw with no filter is any file at all. */
			corral_result_set_error(out, "unrecognized archive format");
			bad = 1;
			break;
		}
		entries++;
		while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK ||
		    r == ARCHIVE_WARN)
			bytes += len;
		if (r != ARCHIVE_EOF) {
			bad = 1;
			break;
		}
	}
	if (!bad && r != ARCHIVE_EOF)
		bad = 1;
	if (bad && archive_error_string(a) && !(archive_format(a) == ARCHIVE_FORMAT_RAW &&
	    archive_filter_count(a) <= 1))
		corral_result_set_error(out, "%s", archive_error_string(a));
	else if (bad && archive_format(a) != ARCHIVE_FORMAT_RAW)
		corral_result_set_error(out, "damaged archive");
	describe(a, out, entries, bytes);
	archive_read_free(a);
	return bad;
}

const struct handler handler_archive = { "archive", NULL, archive_process };
