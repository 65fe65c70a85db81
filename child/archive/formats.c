/* formats: which of libarchive's readers a job's archives are read with.
 * Formats come from the job's set (--formats); filters are every one that
 * decompresses in-process. lrzip and grzip, and lzop where libarchive was
 * built without liblzo2, run an external program (pipe, fork, exec), which
 * the sandbox refuses: they are never enabled, and a stream of theirs is
 * named as unsupported instead of failing as a crash. */
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "child/archive/inspect.h"

static int (*const support[FMT__N])(struct archive *) = {
	[FMT_7ZIP] = archive_read_support_format_7zip,
	[FMT_AR] = archive_read_support_format_ar,
	[FMT_CAB] = archive_read_support_format_cab,
	[FMT_CPIO] = archive_read_support_format_cpio,
	[FMT_EMPTY] = archive_read_support_format_empty,
	[FMT_ISO9660] = archive_read_support_format_iso9660,
	[FMT_LHA] = archive_read_support_format_lha,
	[FMT_MTREE] = archive_read_support_format_mtree,
	[FMT_RAR] = archive_read_support_format_rar,
	[FMT_RAR5] = archive_read_support_format_rar5,
	[FMT_TAR] = archive_read_support_format_tar,
	[FMT_WARC] = archive_read_support_format_warc,
	[FMT_XAR] = archive_read_support_format_xar,
	[FMT_ZIP] = archive_read_support_format_zip,
};

static int (*const filters[])(struct archive *) = {
	archive_read_support_filter_bzip2, archive_read_support_filter_compress,
	archive_read_support_filter_gzip, archive_read_support_filter_lzip,
	archive_read_support_filter_lzma, archive_read_support_filter_xz,
	archive_read_support_filter_uu, archive_read_support_filter_rpm,
	archive_read_support_filter_lz4, archive_read_support_filter_zstd,
};

/* Whether this libarchive decompresses lzop itself: its support call says
 * ARCHIVE_WARN when it would run the lzop program. Asked once. */
static int
lzop_native(void)
{
	static int native = -1;
	struct archive *a;

	if (native < 0 && (a = archive_read_new()) != NULL) {
		native = archive_read_support_filter_lzop(a) == ARCHIVE_OK;
		archive_read_free(a);
	}
	return native == 1;
}

void
formats_init(void)
{
	lzop_native();
}

int
archive_support(struct archive *a, uint32_t formats, int with_filters)
{
	size_t i;
	int r = 0;

	for (i = 0; with_filters && i < sizeof filters / sizeof filters[0]; i++)
		r |= filters[i](a) != ARCHIVE_OK;
	if (with_filters && lzop_native())
		r |= archive_read_support_filter_lzop(a) != ARCHIVE_OK;
	for (i = 0; i < FMT__N; i++)
		if (formats & (1u << i))
			r |= support[i](a) != ARCHIVE_OK;
	/* A lone compressed stream is read as "raw" under its filter. */
	r |= archive_read_support_format_raw(a) != ARCHIVE_OK;
	return r ? -1 : 0;
}

const char *
filter_unsupported(const unsigned char *p, size_t n)
{
	static const struct {
		const char *magic;
		size_t len;
		const char *name;
	} m[] = {
		{ "\x89LZO\0\r\n\x1a\n", 9, "lzop" },
		{ "LRZI", 4, "lrzip" },
		{ "GRZipII\0\2\4:)", 12, "grzip" },
	};
	size_t i;

	for (i = 0; i < sizeof m / sizeof m[0]; i++)
		if (n >= m[i].len && memcmp(p, m[i].magic, m[i].len) == 0)
			return i == 0 && lzop_native() ? NULL : m[i].name;
	return NULL;
}

int
entry_normalize(struct archive *a, struct archive_entry *e)
{
	const char *name;

	if ((archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) != ARCHIVE_FORMAT_AR)
		return 0;
	/* The symbol table of a static library and the table of long names
	 * (SVR4/GNU): indexes of the members, not members; ar x writes no
	 * file of them. */
	name = archive_entry_pathname(e);
	if (name != NULL && (strcmp(name, "/") == 0 || strcmp(name, "/SYM64/") == 0 ||
	    strcmp(name, "//") == 0))
		return 1;
	/* ar stores a mode, and Debian's ar (deterministic mode, as in every
	 * .deb) writes it without the file type: a member is a file. */
	if (archive_entry_filetype(e) == 0)
		archive_entry_set_filetype(e, AE_IFREG);
	return 0;
}
