/* mkhostile.h: what the corpus generator's files share (tests/mkhostile.c
 * has the helpers, tests/mkhostile_field.c the cases rebuilt from faults
 * reported against archive readers and extractors). */
#ifndef CORRAL_MKHOSTILE_H
#define CORRAL_MKHOSTILE_H

#include <stddef.h>
#include <stdint.h>

/* One entry to write. type 0 is a regular file. */
struct ent {
	const char *name;
	const char *data;	/* NULL: none */
	size_t len;		/* of data; 0: strlen */
	unsigned type;		/* AE_IF*, 0 for AE_IFREG */
	unsigned mode;		/* permission bits; 0 for 0644 / 0755 */
	const char *symlink;
	const char *hardlink;
};

struct out {
	char *buf;
	size_t len, cap;
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

void die(const char *what, const char *why);
void out_add(struct out *o, const void *p, size_t len);
void put_file(const char *name, const void *p, size_t len);
/* One line of expected.tsv: the file's verdict and a reason it must have. */
void expect(const char *name, const char *verdict, const char *reason);
/* ents as format under filter (NULL: none) with options, into o. Returns 0,
 * or -1 when this libarchive cannot write it. */
int build(struct out *o, const char *format, const char *filter, const char *options,
    const struct ent *ents, size_t n);
/* build() into the file name, with its expected verdict. */
void make(const char *name, const char *format, const char *filter, const char *options,
    const struct ent *ents, size_t n, const char *verdict, const char *reason);
void le16(struct out *o, unsigned v);
void le32(struct out *o, uint32_t v);
/* A zip's local header, central directory record and end record, by hand. */
void zip_local(struct out *o, const char *name, unsigned method, unsigned flags, uint32_t crc,
    uint32_t csize, uint32_t usize);
void zip_central(struct out *o, const char *name, unsigned method, unsigned flags, uint32_t crc,
    uint32_t csize, uint32_t usize, uint32_t offset);
void zip_end(struct out *o, unsigned n, uint32_t cdsize, uint32_t cdoff);

/* mkhostile_field.c */
void field(void);

#endif
