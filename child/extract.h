/* extract: writes the entries of an archive under one directory, given as a
 * descriptor, and nowhere else. Every rule (docs/extract.md) is checked as
 * each name is created, not trusted from an earlier inspection; a failed
 * archive leaves the directory as it was. Never reads or writes outside. */
#ifndef CORRAL_EXTRACT_H
#define CORRAL_EXTRACT_H

#include <stddef.h>
#include <stdint.h>

#include <archive.h>

#include "ipc/jobopts.h"

#define EXTRACT_ENTRY_MAX	1024	/* bytes of the refused entry's name kept */

struct extract_stats {
	uint64_t entries;	/* headers read, the refused one included */
	uint64_t files;		/* regular files, hardlinks included */
	uint64_t dirs;		/* directories made, listed or implied */
	uint64_t symlinks;
	uint64_t hardlinks;
	uint64_t bytes;		/* file bytes written, holes counted */
	const char *reason;	/* on failure: the reason code (static) */
	uint64_t left;		/* on failure: names made that could not be removed */
	/* On failure: the name of the entry refused, as the archive gives it
	 * (untrusted bytes, cut to fit); "" when no entry was at fault. */
	char entry[EXTRACT_ENTRY_MAX + 1];
};

/* Extracts every entry of a, a reader positioned before its first header,
 * under dirfd (a directory; it is not closed). l bounds the entries, the
 * bytes of one file and of all, and the length of a name.
 *
 * Returns 0, or -1 with st->reason set to a snake_case reason code and err
 * to that code, followed by ": " and a detail for truncated, corrupt,
 * encrypted and unsupported (libarchive's text) and io_error (the failed
 * call and strerror). On failure every name this call created is removed
 * again. st is filled in both cases. The reason codes are listed in
 * docs/extract.md; those inspection also reports are spelled as it does. */
int extract_archive(struct archive *a, int dirfd, const struct archive_limits *l,
    struct extract_stats *st, char *err, size_t errlen);

/* For tests only: take the paths a kernel or sandbox without them would.
 * EXTRACT_NO_OPENAT2 walks names with openat(O_NOFOLLOW) one component
 * at a time; EXTRACT_NO_TMPFILE writes hidden temporary names. */
#define EXTRACT_NO_OPENAT2	1
#define EXTRACT_NO_TMPFILE	2
void extract_test_force(int flags);

#endif
