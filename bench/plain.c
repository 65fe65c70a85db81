/* plain: the plain floor of the benchmark. A libarchive lister with none of
 * corral in it: every entry of every archive of a list read to its end,
 * in this one process, with libarchive's defaults (every format and
 * filter, no limits, no judging). Run two of them on a static split to use
 * two cores, as bench/floor.
 *
 *	plain LIST K N	  the files of LIST (NUL-separated) whose index % N == K
 */
#include <stdio.h>
#include <stdlib.h>

#include <archive.h>
#include <archive_entry.h>

int
main(int argc, char **argv)
{
	char *path = NULL;
	size_t cap = 0;
	long k, n, i = 0, ok = 0, bad = 0, entries = 0;
	FILE *list;

	if (argc != 4 || (list = fopen(argv[1], "r")) == NULL) {
		fprintf(stderr, "usage: plain LIST K N\n");
		return 2;
	}
	k = atol(argv[2]);
	n = atol(argv[3]);
	while (getdelim(&path, &cap, '\0', list) > 0) {
		struct archive *a;
		struct archive_entry *e;
		const void *buf;
		size_t len;
		la_int64_t off;
		int r;

		if (i++ % n != k)
			continue;
		if ((a = archive_read_new()) == NULL)
			return 1;
		archive_read_support_filter_all(a);
		archive_read_support_format_all(a);
		r = archive_read_open_filename(a, path, 64 * 1024);
		while (r == ARCHIVE_OK && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
			entries++;
			while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK)
				;
			if (r == ARCHIVE_EOF)
				r = ARCHIVE_OK;
		}
		if (r == ARCHIVE_EOF)
			ok++;
		else
			bad++;
		archive_read_free(a);
	}
	printf("%ld ok %ld not ok, %ld entries\n", ok, bad, entries);
	free(path);
	fclose(list);
	return 0;
}
