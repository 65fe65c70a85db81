/* mkhostile DIR: writes the hostile archive corpus the archive handler's
 * tests read, and DIR/expected.tsv: one line per file, "name<TAB>verdict
 * <TAB>reason" (reason "-" for none). Archives are made with libarchive's
 * writer; what it refuses to make (bombs, a broken central directory,
 * overlapping entries, damaged data) is made by hand from the formats'
 * specifications. Deterministic, a few seconds, nothing kept in the tree.
 *
 * The corpus: clean controls in every format libarchive writes; names that
 * escape (traversal, absolute, drive letter, backslash, control
 * characters, invalid UTF-8); links that escape or are written through;
 * device, FIFO and socket entries; set-id and world-writable modes;
 * duplicates and case collisions; encrypted entries; archives nested past
 * the limit; bombs of gigabytes in megabytes (deflate, gzip, zstd); too
 * many entries; truncated, corrupt and damaged archives. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include "tests/mkhostile.h"

static const char *dir;
static FILE *manifest;

void
die(const char *what, const char *why)
{
	fprintf(stderr, "mkhostile: %s: %s\n", what, why);
	exit(1);
}

void
out_add(struct out *o, const void *p, size_t len)
{
	if (o->len + len > o->cap) {
		while (o->len + len > o->cap)
			o->cap = o->cap ? o->cap * 2 : 65536;
		if ((o->buf = realloc(o->buf, o->cap)) == NULL)
			die("realloc", strerror(errno));
	}
	memcpy(o->buf + o->len, p, len);
	o->len += len;
}

void
put_file(const char *name, const void *p, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL)
		die(path, strerror(errno));
	if (len > 0 && fwrite(p, 1, len, f) != len)
		die(path, "short write");
	if (fclose(f) != 0)
		die(path, strerror(errno));
}

void
expect(const char *name, const char *verdict, const char *reason)
{
	fprintf(manifest, "%s\t%s\t%s\n", name, verdict, reason);
}

static la_ssize_t
mem_write(struct archive *a, void *cd, const void *p, size_t len)
{
	(void)a;
	out_add(cd, p, len);
	return (la_ssize_t)len;
}

/* Writes ents as format (archive_write_set_format_by_name) under filter
 * (archive_write_add_filter_by_name, or NULL), with options, into o.
 * Returns 0, or -1 when this libarchive cannot write it. */
int
build(struct out *o, const char *format, const char *filter, const char *options,
    const struct ent *ents, size_t n)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	size_t i, len;

	o->len = 0;
	if (archive_write_set_format_by_name(a, format) != ARCHIVE_OK ||
	    (filter != NULL && archive_write_add_filter_by_name(a, filter) != ARCHIVE_OK) ||
	    (options != NULL && archive_write_set_options(a, options) != ARCHIVE_OK) ||
	    archive_write_set_passphrase(a, "secret") != ARCHIVE_OK) {
		archive_write_free(a);
		archive_entry_free(e);
		return -1;
	}
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open(a, o, NULL, mem_write, NULL) != ARCHIVE_OK)
		die(format, archive_error_string(a));
	for (i = 0; i < n; i++) {
		const struct ent *t = &ents[i];

		len = t->data == NULL ? 0 : t->len ? t->len : strlen(t->data);
		archive_entry_clear(e);
		archive_entry_copy_pathname(e, t->name);
		archive_entry_set_filetype(e, t->type ? t->type : AE_IFREG);
		archive_entry_set_perm(e, t->mode ? t->mode :
		    t->type == AE_IFDIR ? 0755 : t->type == AE_IFLNK ? 0777 : 0644);
		archive_entry_set_mtime(e, 1700000000, 0);
		archive_entry_set_uid(e, 1000);
		archive_entry_set_gid(e, 1000);
		if (t->type == AE_IFCHR)
			archive_entry_set_rdev(e, 0x0103);
		if (t->symlink)
			archive_entry_copy_symlink(e, t->symlink);
		if (t->hardlink)
			archive_entry_copy_hardlink(e, t->hardlink);
		archive_entry_set_size(e, (la_int64_t)len);
		if (archive_write_header(a, e) < ARCHIVE_WARN)
			die(t->name, archive_error_string(a));
		if (len > 0 && archive_write_data(a, t->data, len) != (la_ssize_t)len)
			die(t->name, archive_error_string(a));
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		die(format, archive_error_string(a));
	archive_write_free(a);
	archive_entry_free(e);
	return 0;
}

/* A case: the archive written to name, and its expected verdict. */
void
make(const char *name, const char *format, const char *filter, const char *options,
    const struct ent *ents, size_t n, const char *verdict, const char *reason)
{
	struct out o = { 0 };

	if (build(&o, format, filter, options, ents, n) < 0) {
		fprintf(stderr, "mkhostile: %s: not made (this libarchive cannot write %s%s%s)\n",
		    name, format, filter ? "+" : "", filter ? filter : "");
		free(o.buf);
		return;
	}
	put_file(name, o.buf, o.len);
	expect(name, verdict, reason);
	free(o.buf);
}


static const struct ent tree[] = {
	{ .name = "d/", .type = AE_IFDIR },
	{ .name = "d/a.txt", .data = "hello, world\n" },
	{ .name = "d/sub/", .type = AE_IFDIR },
	{ .name = "d/sub/b.txt", .data = "one\ntwo\nthree\n" },
	{ .name = "d/link", .type = AE_IFLNK, .symlink = "sub/b.txt" },
};

static void
clean_controls(void)
{
	static const struct {
		const char *name, *format, *filter, *options;
	} c[] = {
		{ "clean.zip", "zip", NULL, NULL },
		{ "clean-stored.zip", "zip", NULL, "zip:compression=store" },
		{ "clean.tar", "pax", NULL, NULL },
		{ "clean-ustar.tar", "ustar", NULL, NULL },
		{ "clean-gnu.tar", "gnutar", NULL, NULL },
		{ "clean.tar.gz", "pax", "gzip", NULL },
		{ "clean.tar.bz2", "pax", "bzip2", NULL },
		{ "clean.tar.xz", "pax", "xz", NULL },
		{ "clean.tar.zst", "pax", "zstd", NULL },
		{ "clean.tar.lz4", "pax", "lz4", NULL },
		{ "clean.tar.lzma", "pax", "lzma", NULL },
		{ "clean.tar.lz", "pax", "lzip", NULL },
		{ "clean.tar.Z", "pax", "compress", NULL },
		{ "clean.tar.uu", "pax", "uuencode", NULL },
		{ "clean.7z", "7zip", NULL, NULL },
		{ "clean.cpio", "newc", NULL, NULL },
		{ "clean-odc.cpio", "odc", NULL, NULL },
		{ "clean.iso", "iso9660", NULL, NULL },
		{ "clean.xar", "xar", NULL, NULL },
	};
	static const struct ent flat[] = {
		{ .name = "a.txt", .data = "hello, world\n" },
		{ .name = "b.txt", .data = "one\ntwo\nthree\n" },
	};
	size_t i;

	for (i = 0; i < N(c); i++)
		make(c[i].name, c[i].format, c[i].filter, c[i].options, tree, N(tree), "clean", "-");
	/* ar and warc hold plain files only. */
	make("clean.a", "arbsd", NULL, NULL, flat, N(flat), "clean", "-");
	make("clean-svr4.a", "argnu", NULL, NULL, flat, N(flat), "clean", "-");
	make("clean.warc", "warc", NULL, NULL, flat, N(flat), "clean", "-");
	make("clean.gz", "raw", "gzip", NULL, flat, 1, "clean", "-");
	make("clean.xz", "raw", "xz", NULL, flat, 1, "clean", "-");
}

static void
names(void)
{
	static const struct ent trav[] = { { .name = "../../etc/cron.d/evil", .data = "x\n" } };
	static const struct ent trav2[] = { { .name = "a/../../b", .data = "x\n" } };
	static const struct ent abs[] = { { .name = "/etc/passwd", .data = "x\n" } };
	static const struct ent drive[] = { { .name = "C:/Windows/evil.dll", .data = "x\n" } };
	static const struct ent bslash[] = { { .name = "dir\\file.txt", .data = "x\n" } };
	static const struct ent bstrav[] = { { .name = "..\\..\\evil.txt", .data = "x\n" } };
	static const struct ent ctrl[] = { { .name = "evil\x1b[2Jname.txt", .data = "x\n" } };
	static const struct ent nl[] = { { .name = "two\nlines.txt", .data = "x\n" } };
	static const struct ent latin1[] = { { .name = "caf\xe9.txt", .data = "x\n" } };
	static const struct ent utf8[] = { { .name = "caf\xc3\xa9-\xe2\x82\xac.txt", .data = "x\n" } };

	make("trav.zip", "zip", NULL, NULL, trav, 1, "suspicious", "path_traversal");
	make("trav.tar", "ustar", NULL, NULL, trav2, 1, "suspicious", "path_traversal");
	make("abs.tar", "ustar", NULL, NULL, abs, 1, "suspicious", "absolute_path");
	make("abs.zip", "zip", NULL, NULL, abs, 1, "suspicious", "absolute_path");
	make("drive.zip", "zip", NULL, NULL, drive, 1, "suspicious", "drive_letter");
	/* libarchive's zip reader turns a backslash into '/': tar keeps it. */
	make("backslash.tar", "ustar", NULL, NULL, bslash, 1, "suspicious", "backslash");
	make("backslash-trav.zip", "zip", NULL, NULL, bstrav, 1, "suspicious", "path_traversal");
	make("ctrl.tar", "ustar", NULL, NULL, ctrl, 1, "suspicious", "control_char");
	make("newline.zip", "zip", NULL, NULL, nl, 1, "suspicious", "control_char");
	make("latin1.tar", "ustar", NULL, NULL, latin1, 1, "suspicious", "bad_name_encoding");
	make("utf8.tar", "ustar", NULL, NULL, utf8, 1, "clean", "-");
}

/* More reasons than a result keeps: 150 entries that climb out. */
static void
many_reasons(void)
{
	static struct ent e[150];
	static char names[150][32];
	size_t i;

	for (i = 0; i < 150; i++) {
		snprintf(names[i], sizeof names[i], "../up%03zu.txt", i);
		e[i] = (struct ent){ .name = names[i], .data = "x\n" };
	}
	make("many-reasons.tar", "ustar", NULL, NULL, e, 150, "suspicious", "path_traversal");
}

/* Names of 2,000 components under one link: the checks through links
 * must cost in proportion to a name's length, not to its square (which
 * here would take seconds). */
static void
long_paths(void)
{
	static struct ent e[401];
	static char deep[4100], names[200][4120], links[200][16];
	size_t i;

	for (i = 0; i < 2000; i++)
		memcpy(deep + 2 * i, "a/", 2);
	deep[3999] = '\0';
	e[0] = (struct ent){ .name = "l", .type = AE_IFLNK, .symlink = "a" };
	for (i = 0; i < 200; i++) {
		snprintf(names[i], sizeof names[i], "%s/%zu", deep, i);
		snprintf(links[i], sizeof links[i], "s%zu", i);
		e[1 + 2 * i] = (struct ent){ .name = names[i] };
		e[2 + 2 * i] = (struct ent){ .name = links[i], .type = AE_IFLNK, .symlink = deep };
	}
	make("long-paths.tar", "pax", NULL, NULL, e, N(e), "clean", "-");
}

/* 4 MiB of decimal numbers, about 2:1 under gzip: past the ratio's grace,
 * far under its limit. */
static void
big_text(void)
{
	static char text[4 << 20];
	struct ent e = { .name = "numbers.txt", .data = text, .len = sizeof text };
	uint64_t x = 0x9e3779b97f4a7c15ull;
	size_t i;

	for (i = 0; i < sizeof text; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		text[i] = i % 64 == 63 ? '\n' : '0' + (char)(x % 10);
	}
	make("big-text.tar.gz", "pax", "gzip", NULL, &e, 1, "clean", "-");
	e.len = 2 << 20;
	make("big-text.7z", "7zip", NULL, "7zip:compression-level=1", &e, 1, "clean", "-");
}

static void
links(void)
{
	static const struct ent sym[] = { { .name = "etc", .type = AE_IFLNK, .symlink = "../../../etc" } };
	static const struct ent symabs[] = { { .name = "passwd", .type = AE_IFLNK, .symlink = "/etc/passwd" } };
	static const struct ent hard[] = { { .name = "h", .hardlink = "../../etc/shadow" } };
	static const struct ent through[] = {
		{ .name = "sub/", .type = AE_IFDIR },
		{ .name = "d", .type = AE_IFLNK, .symlink = "sub" },
		{ .name = "d/x.txt", .data = "written through d\n" },
	};
	static const struct ent chain[] = {
		{ .name = "a/", .type = AE_IFDIR },
		{ .name = "a/up", .type = AE_IFLNK, .symlink = ".." },
		{ .name = "x", .type = AE_IFLNK, .symlink = "a/up/.." },
	};
	static const struct ent hardok[] = {
		{ .name = "f.txt", .data = "x\n" },
		{ .name = "g.txt", .hardlink = "f.txt" },
	};

	make("symlink.tar", "ustar", NULL, NULL, sym, 1, "suspicious", "symlink_escape");
	make("symlink-abs.tar", "pax", NULL, NULL, symabs, 1, "suspicious", "symlink_escape");
	make("symlink.zip", "zip", NULL, NULL, sym, 1, "suspicious", "symlink_escape");
	make("hardlink.tar", "ustar", NULL, NULL, hard, 1, "suspicious", "hardlink_escape");
	make("through.tar", "pax", NULL, NULL, through, N(through), "suspicious", "link_write_through");
	make("through.zip", "zip", NULL, NULL, through, N(through), "suspicious", "link_write_through");
	make("chain.tar", "pax", NULL, NULL, chain, N(chain), "suspicious", "link_chain");
	make("hardlink-ok.tar", "pax", NULL, NULL, hardok, N(hardok), "clean", "-");
}

static void
specials(void)
{
	static const struct ent dev[] = { { .name = "dev/mem", .type = AE_IFCHR, .mode = 0600 } };
	static const struct ent blk[] = { { .name = "dev/sda", .type = AE_IFBLK, .mode = 0600 } };
	static const struct ent fifo[] = { { .name = "pipe", .type = AE_IFIFO, .mode = 0644 } };
	static const struct ent sock[] = { { .name = "sock", .type = AE_IFSOCK, .mode = 0755 } };
	static const struct ent suid[] = { { .name = "bin/su", .data = "\x7f" "ELF", .mode = 04755 } };
	static const struct ent sgid[] = { { .name = "bin/wall", .data = "\x7f" "ELF", .mode = 02755 } };
	static const struct ent ww[] = { { .name = "open.txt", .data = "x\n", .mode = 0666 } };
	static const struct ent tmp[] = { { .name = "tmp/", .type = AE_IFDIR, .mode = 01777 } };

	make("device.tar", "ustar", NULL, NULL, dev, 1, "suspicious", "device");
	make("blockdev.cpio", "newc", NULL, NULL, blk, 1, "suspicious", "device");
	make("fifo.tar", "ustar", NULL, NULL, fifo, 1, "suspicious", "fifo");
	make("socket.cpio", "newc", NULL, NULL, sock, 1, "suspicious", "socket");
	make("setuid.tar", "ustar", NULL, NULL, suid, 1, "suspicious", "setuid");
	make("setgid.zip", "zip", NULL, NULL, sgid, 1, "suspicious", "setgid");
	make("world-writable.tar", "ustar", NULL, NULL, ww, 1, "suspicious", "world_writable");
	make("sticky-tmp.tar", "ustar", NULL, NULL, tmp, 1, "clean", "-");
}

static void
structure(void)
{
	static const struct ent dup[] = {
		{ .name = "a.txt", .data = "first\n" },
		{ .name = "./a.txt", .data = "second\n" },
	};
	static const struct ent dupdir[] = {
		{ .name = "d/", .type = AE_IFDIR },
		{ .name = "d/", .type = AE_IFDIR },
	};
	static const struct ent cas[] = {
		{ .name = "README", .data = "upper\n" },
		{ .name = "readme", .data = "lower\n" },
	};
	static const struct ent secret[] = { { .name = "secret.txt", .data = "attack at dawn\n" } };

	make("dup.zip", "zip", NULL, NULL, dup, N(dup), "suspicious", "duplicate_name");
	make("dup.tar", "ustar", NULL, NULL, dup, N(dup), "suspicious", "duplicate_name");
	make("dupdir.tar", "ustar", NULL, NULL, dupdir, N(dupdir), "clean", "-");
	make("case.zip", "zip", NULL, NULL, cas, N(cas), "suspicious", "case_collision");
	make("encrypted.zip", "zip", NULL, "zip:encryption=zipcrypt", secret, 1, "suspicious", "encrypted");
	make("encrypted-aes.zip", "zip", NULL, "zip:encryption=aes256", secret, 1, "suspicious", "encrypted");
}

/* Archives in archives: depth levels of zip around a text file. */
static void
nested(const char *name, int depth, const char *verdict, const char *reason)
{
	struct out o = { 0 }, in = { 0 };
	struct ent e = { .name = "inner.txt", .data = "at the bottom\n" };
	char inner[32];
	int i;

	build(&o, "zip", NULL, NULL, &e, 1);
	for (i = 1; i < depth; i++) {
		in.len = 0;
		out_add(&in, o.buf, o.len);
		snprintf(inner, sizeof inner, "level%d.zip", depth - i);
		e = (struct ent){ .name = inner, .data = in.buf, .len = in.len };
		build(&o, i % 2 ? "pax" : "zip", i % 2 ? "gzip" : NULL, NULL, &e, 1);
	}
	put_file(name, o.buf, o.len);
	expect(name, verdict, reason);
	free(o.buf);
	free(in.buf);
}

/* One archive inside another, of other formats. */
static void
inside(const char *name, const char *outer, const char *filter, const char *inner,
    const struct ent *ents, size_t n, const char *verdict, const char *reason)
{
	struct out o = { 0 }, in = { 0 };
	struct ent e = { .name = "inner.bin" };

	if (build(&in, inner, NULL, NULL, ents, n) < 0 || in.len == 0)
		die(name, "inner archive not made");
	e.data = in.buf;
	e.len = in.len;
	build(&o, outer, filter, NULL, &e, 1);
	put_file(name, o.buf, o.len);
	expect(name, verdict, reason);
	free(o.buf);
	free(in.buf);
}

static void
insides(void)
{
	static const struct ent trav[] = { { .name = "../../evil", .data = "x\n" } };

	inside("nested-7z.tar", "pax", NULL, "7zip", tree, N(tree), "clean", "-");
	inside("nested-cpio.zip", "zip", NULL, "newc", tree, N(tree), "clean", "-");
	inside("nested-trav.tar.gz", "pax", "gzip", "zip", trav, 1, "suspicious", "path_traversal");
}

/* Hand-made: one deflate stream of n MiB of one byte, as MiB chunks that
 * each end in a full flush: byte-aligned, no reference across, so one
 * chunk compressed once serves them all. */
struct zeros {
	unsigned char chunk[4096];
	size_t len;
	uLong crc1;	/* CRC-32 of one MiB */
};

static void
zeros_init(struct zeros *z, int fill)
{
	static unsigned char mib[1 << 20];
	z_stream s;

	memset(mib, fill, sizeof mib);
	memset(&s, 0, sizeof s);
	if (deflateInit2(&s, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		die("deflateInit2", "failed");
	s.next_in = mib;
	s.avail_in = sizeof mib;
	s.next_out = z->chunk;
	s.avail_out = sizeof z->chunk;
	if (deflate(&s, Z_FULL_FLUSH) != Z_OK || s.avail_in != 0)
		die("deflate", "failed");
	z->len = sizeof z->chunk - s.avail_out;
	deflateEnd(&s);
	z->crc1 = crc32(0, mib, sizeof mib);
}

void
le16(struct out *o, unsigned v)
{
	unsigned char b[2] = { v & 0xff, (v >> 8) & 0xff };

	out_add(o, b, 2);
}

void
le32(struct out *o, uint32_t v)
{
	unsigned char b[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };

	out_add(o, b, 4);
}

/* The deflate stream of mib MiB of zeros, its final block empty. */
static uLong
zeros_stream(struct out *o, const struct zeros *z, unsigned mib)
{
	uLong crc = 0;
	unsigned i;

	for (i = 0; i < mib; i++) {
		out_add(o, z->chunk, z->len);
		crc = crc32_combine(crc, z->crc1, 1 << 20);
	}
	out_add(o, "\x03\x00", 2);
	return crc;
}

/* A zip entry's local header; method 0 or 8. */
void
zip_local(struct out *o, const char *name, unsigned method, unsigned flags, uint32_t crc,
    uint32_t csize, uint32_t usize)
{
	le32(o, 0x04034b50);
	le16(o, 20);
	le16(o, flags);
	le16(o, method);
	le16(o, 0);
	le16(o, 0x5821);
	le32(o, crc);
	le32(o, csize);
	le32(o, usize);
	le16(o, (unsigned)strlen(name));
	le16(o, 0);
	out_add(o, name, strlen(name));
}

void
zip_central(struct out *o, const char *name, unsigned method, unsigned flags, uint32_t crc,
    uint32_t csize, uint32_t usize, uint32_t offset)
{
	le32(o, 0x02014b50);
	le16(o, 0x031e);	/* made by Unix */
	le16(o, 20);
	le16(o, flags);
	le16(o, method);
	le16(o, 0);
	le16(o, 0x5821);
	le32(o, crc);
	le32(o, csize);
	le32(o, usize);
	le16(o, (unsigned)strlen(name));
	le16(o, 0);
	le16(o, 0);
	le16(o, 0);
	le16(o, 0);
	le32(o, (0100644u) << 16);
	le32(o, offset);
	out_add(o, name, strlen(name));
}

void
zip_end(struct out *o, unsigned n, uint32_t cdsize, uint32_t cdoff)
{
	le32(o, 0x06054b50);
	le16(o, 0);
	le16(o, 0);
	le16(o, n);
	le16(o, n);
	le32(o, cdsize);
	le32(o, cdoff);
	le16(o, 0);
}

static void
bombs(void)
{
	static struct zeros z;
	struct out o = { 0 }, d = { 0 };
	uint32_t crc, cd, off;
	unsigned i;

	/* zip: 3.5 GiB of zeros in one deflated entry, about 3.6 MB. */
	zeros_init(&z, 0);
	crc = (uint32_t)zeros_stream(&d, &z, 3584);
	zip_local(&o, "zeros.bin", 8, 0, crc, (uint32_t)d.len, 3584u << 20);
	out_add(&o, d.buf, d.len);
	cd = (uint32_t)o.len;
	zip_central(&o, "zeros.bin", 8, 0, crc, (uint32_t)d.len, 3584u << 20, 0);
	zip_end(&o, 1, (uint32_t)o.len - cd, cd);
	put_file("bomb.zip", o.buf, o.len);
	expect("bomb.zip", "rejected", "ratio");

	/* gzip: 5 GiB of one letter, about 5 MB. Not zeros: those are an
	 * empty tar archive, read no further than its end marker. */
	zeros_init(&z, 'a');
	o.len = 0;
	out_add(&o, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03", 10);
	crc = (uint32_t)zeros_stream(&o, &z, 5120);
	le32(&o, crc);
	le32(&o, (uint32_t)((5120ull << 20) & 0xffffffff));
	put_file("bomb.gz", o.buf, o.len);
	expect("bomb.gz", "rejected", "ratio");

	/* zstd: 5 GiB of one letter in RLE blocks of 128 KiB, 160 KB. */
	o.len = 0;
	out_add(&o, "\x28\xb5\x2f\xfd\x00\x38", 6);
	for (i = 0; i < 40960; i++) {
		uint32_t h = (131072u << 3) | (1u << 1) | (i == 40959);
		unsigned char b[4] = { h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff, 'a' };

		out_add(&o, b, 4);
	}
	put_file("bomb.zst", o.buf, o.len);
	expect("bomb.zst", "rejected", "ratio");

	/* Overlapping entries, stored: a.txt's data holds all of b.txt,
	 * local header included, the shape of a bomb's shared kernel. */
	o.len = 0;
	d.len = 0;
	out_add(&d, "#", 1);
	zip_local(&d, "b.txt", 0, 0, (uint32_t)crc32(0, (const unsigned char *)"kernel\n", 7), 7, 7);
	out_add(&d, "kernel\n", 7);
	crc = (uint32_t)crc32(0, (const unsigned char *)d.buf, (uInt)d.len);
	zip_local(&o, "a.txt", 0, 0, crc, (uint32_t)d.len, (uint32_t)d.len);
	off = (uint32_t)o.len + 1;
	out_add(&o, d.buf, d.len);
	cd = (uint32_t)o.len;
	zip_central(&o, "a.txt", 0, 0, crc, (uint32_t)d.len, (uint32_t)d.len, 0);
	zip_central(&o, "b.txt", 0, 0, (uint32_t)crc32(0, (const unsigned char *)"kernel\n", 7), 7, 7, off);
	zip_end(&o, 2, (uint32_t)o.len - cd, cd);
	put_file("overlap.zip", o.buf, o.len);
	expect("overlap.zip", "suspicious", "overlapping_entries");

	/* The local header names a harmless file, the central directory
	 * another: libarchive goes by the one, unzip by the other. */
	o.len = 0;
	crc = (uint32_t)crc32(0, (const unsigned char *)"hello\n", 6);
	zip_local(&o, "good.txt", 0, 0, crc, 6, 6);
	out_add(&o, "hello\n", 6);
	cd = (uint32_t)o.len;
	zip_central(&o, "../evil.txt", 0, 0, crc, 6, 6, 0);
	zip_end(&o, 1, (uint32_t)o.len - cd, cd);
	put_file("name-mismatch.zip", o.buf, o.len);
	expect("name-mismatch.zip", "suspicious", "name_mismatch");

	/* Two central directory records for one local file. */
	o.len = 0;
	crc = (uint32_t)crc32(0, (const unsigned char *)"shared bytes\n", 13);
	zip_local(&o, "a.txt", 0, 0, crc, 13, 13);
	out_add(&o, "shared bytes\n", 13);
	cd = (uint32_t)o.len;
	zip_central(&o, "a.txt", 0, 0, crc, 13, 13, 0);
	zip_central(&o, "b.txt", 0, 0, crc, 13, 13, 0);
	zip_end(&o, 2, (uint32_t)o.len - cd, cd);
	put_file("overlap-same.zip", o.buf, o.len);
	expect("overlap-same.zip", "suspicious", "overlapping_entries");
	free(o.buf);
	free(d.buf);
}

/* 100,001 empty entries: one past the default limit. */
static void
many(void)
{
	struct ent *e = calloc(100001, sizeof *e);
	char (*names)[16] = calloc(100001, sizeof *names);
	struct out o = { 0 };
	size_t i;

	if (e == NULL || names == NULL)
		die("calloc", strerror(errno));
	for (i = 0; i < 100001; i++) {
		snprintf(names[i], sizeof names[i], "f%06zu", i);
		e[i].name = names[i];
	}
	build(&o, "zip", NULL, "zip:compression=store", e, 100001);
	put_file("many.zip", o.buf, o.len);
	expect("many.zip", "rejected", "too_many_entries");
	free(o.buf);
	free(e);
	free(names);
}

/* Damage: cut short, a broken central directory, broken data. */
static void
damage(void)
{
	static char text[200000];
	struct ent e[] = {
		{ .name = "a.txt", .data = text, .len = sizeof text },
		{ .name = "b.txt", .data = "second\n" },
	};
	struct out o = { 0 };
	size_t i;
	char *p;

	for (i = 0; i < sizeof text; i++)
		text[i] = "abcdefghijklmnopqrstuvwxyz\n"[(i * 7 + i / 13) % 27];

	build(&o, "pax", "gzip", NULL, e, N(e));
	put_file("truncated.tar.gz", o.buf, o.len / 2);
	expect("truncated.tar.gz", "malformed", "truncated");

	build(&o, "zip", NULL, NULL, e, N(e));
	put_file("truncated.zip", o.buf, o.len / 2);
	expect("truncated.zip", "malformed", "truncated");

	/* The second central directory record's signature broken. */
	build(&o, "zip", NULL, NULL, e, N(e));
	for (p = o.buf + o.len - 22; p > o.buf && memcmp(p, "PK\1\2", 4) != 0; p--)
		;
	p[3] = 9;
	put_file("bad-cd.zip", o.buf, o.len);
	expect("bad-cd.zip", "malformed", "corrupt");

	/* Bytes in the middle of the deflated data changed. */
	build(&o, "zip", NULL, NULL, e, N(e));
	for (i = 200; i < 260; i++)
		o.buf[i] ^= 0x55;
	put_file("damaged.zip", o.buf, o.len);
	expect("damaged.zip", "malformed", "corrupt");

	build(&o, "pax", "xz", NULL, e, N(e));
	for (i = o.len / 2; i < o.len / 2 + 40; i++)
		o.buf[i] ^= 0x55;
	put_file("damaged.tar.xz", o.buf, o.len);
	expect("damaged.tar.xz", "malformed", "corrupt");

	put_file("text.txt", "just some text, not an archive\n", 31);
	expect("text.txt", "malformed", "not_archive");
	free(o.buf);
}

int
main(int argc, char **argv)
{
	char path[4096];

	if (argc != 2) {
		fprintf(stderr, "usage: mkhostile DIR\n");
		return 2;
	}
	dir = argv[1];
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		die(dir, strerror(errno));
	snprintf(path, sizeof path, "%s/expected.tsv", dir);
	if ((manifest = fopen(path, "w")) == NULL)
		die(path, strerror(errno));
	clean_controls();
	big_text();
	names();
	many_reasons();
	long_paths();
	links();
	specials();
	structure();
	nested("nested-ok.zip", 3, "clean", "-");
	nested("deep.zip", 6, "rejected", "too_deep");
	insides();
	bombs();
	many();
	damage();
	field();
	if (fclose(manifest) != 0)
		die(path, strerror(errno));
	return 0;
}
