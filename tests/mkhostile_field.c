/* mkhostile_field: cases rebuilt from faults reported against archive
 * readers, extractors and scanners in the field: text that a lenient
 * format takes for an archive, streams only an external program reads,
 * headers that disagree, names only a directory may have, links through
 * links, archives glued to other bytes, and .deb files as Debian's ar
 * writes them. Each with its expected verdict and a reason it must have. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include "tests/mkhostile.h"

static void
put(const char *name, const struct out *o, const char *verdict, const char *reason)
{
	put_file(name, o->buf, o->len);
	expect(name, verdict, reason);
}

/* data as one gzip member. */
static void
gz(struct out *o, const void *data, size_t len)
{
	unsigned char buf[65536];
	z_stream z;
	int r;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		die("deflateInit2", "failed");
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	do {
		z.next_out = buf;
		z.avail_out = sizeof buf;
		r = deflate(&z, Z_FINISH);
		out_add(o, buf, sizeof buf - z.avail_out);
	} while (r == Z_OK);
	deflateEnd(&z);
}

static uint32_t
crc(const char *s)
{
	return (uint32_t)crc32(0, (const unsigned char *)s, (uInt)strlen(s));
}

/* A stored zip of one entry at offset base of the file it will be part of
 * (its directory's offsets count from the file's start, as `zip -A` makes
 * them after a prefix). */
static void
zip_one(struct out *o, const char *name, const char *data, uint32_t base)
{
	uint32_t len = (uint32_t)strlen(data), start = (uint32_t)o->len, cd;

	zip_local(o, name, 0, 0, crc(data), len, len);
	out_add(o, data, len);
	cd = (uint32_t)o->len;
	zip_central(o, name, 0, 0, crc(data), len, len, base + start);
	zip_end(o, 1, (uint32_t)o->len - cd, base + cd);
}

static void
text(void)
{
	static const char digest[] =
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n";
	static const char csv[] = "name,size,owner\nreport.pdf,1024,alice\nimage.png,2048,bob\n";
	struct out o = { 0 };

	/* libarchive's mtree reader took each line for an entry. */
	out_add(&o, digest, strlen(digest));
	put("digest.sha256", &o, "malformed", "not_archive");
	o.len = 0;
	out_add(&o, csv, strlen(csv));
	put("rows.csv", &o, "malformed", "not_archive");
	put_file("empty.bin", "", 0);
	expect("empty.bin", "malformed", "not_archive");
	/* Streams of filters libarchive runs as a program (pipe, fork,
	 * exec): never inside the sandbox. */
	o.len = 0;
	out_add(&o, "LRZI\0\6\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 24);
	put("fake.tar.lrz", &o, "malformed", "unsupported");
	o.len = 0;
	out_add(&o, "GRZipII\0\2\4:)\0\0\0\0\0\0\0\0", 20);
	put("fake.tar.grz", &o, "malformed", "unsupported");
	free(o.buf);
}

static void
headers(void)
{
	struct out o = { 0 };
	uint32_t cd;

	/* The central directory's CRC is not the local header's (which the
	 * data matches): libarchive warns, unzip goes by the other. */
	zip_local(&o, "a.txt", 0, 0, crc("hello\n"), 6, 6);
	out_add(&o, "hello\n", 6);
	cd = (uint32_t)o.len;
	zip_central(&o, "a.txt", 0, 0, crc("hello\n") ^ 1, 6, 6, 0);
	zip_end(&o, 1, (uint32_t)o.len - cd, cd);
	put("crc-mismatch.zip", &o, "suspicious", "header_mismatch");

	/* Stored by the local header, deflated by the directory. */
	o.len = 0;
	zip_local(&o, "a.txt", 0, 0, crc("hello\n"), 6, 6);
	out_add(&o, "hello\n", 6);
	cd = (uint32_t)o.len;
	zip_central(&o, "a.txt", 8, 0, crc("hello\n"), 6, 6, 0);
	zip_end(&o, 1, (uint32_t)o.len - cd, cd);
	put("method-mismatch.zip", &o, "suspicious", "header_mismatch");
	free(o.buf);
}

static void
names_links(void)
{
	static const struct ent dot[] = { { .name = ".", .data = "a file named dot\n" } };
	static const struct ent dotlink[] = { { .name = "./", .type = AE_IFLNK, .symlink = "x" } };
	static const struct ent hsym[] = {
		{ .name = "a/", .type = AE_IFDIR },
		{ .name = "a/s", .type = AE_IFLNK, .symlink = "../x" },
		{ .name = "h", .hardlink = "a/s" },
	};
	static const struct ent hmiss[] = { { .name = "h", .hardlink = "nothere" } };
	static const struct ent hdir[] = {
		{ .name = "d/", .type = AE_IFDIR },
		{ .name = "h", .hardlink = "d" },
	};
	static const struct ent l2l[] = {
		{ .name = "sub/", .type = AE_IFDIR },
		{ .name = "l1", .type = AE_IFLNK, .symlink = "sub" },
		{ .name = "l2", .type = AE_IFLNK, .symlink = "l1" },
		{ .name = "l2/x.txt", .data = "through two links\n" },
	};
	static const struct ent hthrough[] = {
		{ .name = "sub/", .type = AE_IFDIR },
		{ .name = "s", .type = AE_IFLNK, .symlink = "sub" },
		{ .name = "h", .hardlink = "s" },
		{ .name = "h/x.txt", .data = "through a hard link to a symbolic link\n" },
	};

	make("dot-file.tar", "pax", NULL, NULL, dot, N(dot), "suspicious", "empty_name");
	make("dot-symlink.tar", "pax", NULL, NULL, dotlink, N(dotlink), "suspicious", "empty_name");
	make("hardlink-symlink.tar", "pax", NULL, NULL, hsym, N(hsym), "suspicious", "link_chain");
	make("hardlink-missing.tar", "pax", NULL, NULL, hmiss, N(hmiss), "suspicious", "hardlink_escape");
	make("hardlink-dir.tar", "pax", NULL, NULL, hdir, N(hdir), "suspicious", "hardlink_escape");
	make("link-to-link.tar", "pax", NULL, NULL, l2l, N(l2l), "suspicious", "link_write_through");
	make("hardlink-through.tar", "pax", NULL, NULL, hthrough, N(hthrough), "suspicious",
	    "link_write_through");
}

static void
glued(void)
{
	static const struct ent trav[] = { { .name = "../evil.txt", .data = "x\n" } };
	static const struct ent ok[] = { { .name = "readme.txt", .data = "nothing to see\n" } };
	static const char stub[] = "MZ\x90\0 this program cannot be run in DOS mode\r\n";
	struct out o = { 0 }, a = { 0 }, b = { 0 };
	uint32_t cd, off;

	/* Zip A (with ../) then zip B: the directory at the end is B's; a
	 * reader of local headers reads A. */
	build(&a, "zip", NULL, NULL, trav, 1);
	out_add(&o, a.buf, a.len);
	zip_one(&o, "readme.txt", "nothing to see\n", 0);
	put("glued.zip", &o, "suspicious", "unlisted_entry");

	/* A self-extractor's shape: a program, then the zip. */
	o.len = 0;
	out_add(&o, stub, sizeof stub - 1);
	zip_one(&o, "readme.txt", "nothing to see\n", 0);
	put("prefixed.zip", &o, "suspicious", "prefix_data");

	o.len = 0;
	zip_one(&o, "readme.txt", "nothing to see\n", 0);
	out_add(&o, "and then some\n", 14);
	put("trailing.zip", &o, "suspicious", "trailing_data");

	/* Bytes between two entries that no record describes. */
	o.len = 0;
	zip_local(&o, "a.txt", 0, 0, crc("first\n"), 6, 6);
	out_add(&o, "first\n", 6);
	out_add(&o, "bytes nobody lists, between the entries\n", 40);
	off = (uint32_t)o.len;
	zip_local(&o, "b.txt", 0, 0, crc("second\n"), 7, 7);
	out_add(&o, "second\n", 7);
	cd = (uint32_t)o.len;
	zip_central(&o, "a.txt", 0, 0, crc("first\n"), 6, 6, 0);
	zip_central(&o, "b.txt", 0, 0, crc("second\n"), 7, 7, off);
	zip_end(&o, 2, (uint32_t)o.len - cd, cd);
	put("gap.zip", &o, "suspicious", "hidden_data");

	/* A tar followed by a zip; a .tar.gz followed by another, holding a
	 * ../ name; a .tar.gz followed by a zip. */
	build(&b, "pax", NULL, NULL, ok, 1);
	o.len = 0;
	out_add(&o, b.buf, b.len);
	out_add(&o, a.buf, a.len);
	put("tar-then-zip.tar", &o, "suspicious", "trailing_data");
	build(&b, "pax", "gzip", NULL, ok, 1);
	o.len = 0;
	out_add(&o, b.buf, b.len);
	build(&b, "pax", "gzip", NULL, trav, 1);
	out_add(&o, b.buf, b.len);
	put("tgz-then-tgz.tar.gz", &o, "suspicious", "trailing_data");
	build(&b, "pax", "gzip", NULL, ok, 1);
	o.len = 0;
	out_add(&o, b.buf, b.len);
	out_add(&o, a.buf, a.len);
	put("tgz-then-zip.tar.gz", &o, "suspicious", "trailing_data");

	/* One tar stream in two gzip members: an honest multi-member gzip. */
	build(&b, "pax", NULL, NULL, ok, 1);
	o.len = 0;
	gz(&o, b.buf, 700);
	gz(&o, b.buf + 700, b.len - 700);
	put("multimember.tar.gz", &o, "clean", "-");

	/* a.txt's data is b.txt, local header and all, and starts with it:
	 * the overlap comes first, never a reading of the data as a zip. */
	o.len = 0;
	b.len = 0;
	zip_local(&b, "b.txt", 0, 0, crc("kernel\n"), 7, 7);
	out_add(&b, "kernel\n", 7);
	zip_local(&o, "a.txt", 0, 0, (uint32_t)crc32(0, (const unsigned char *)b.buf, (uInt)b.len),
	    (uint32_t)b.len, (uint32_t)b.len);
	off = (uint32_t)o.len;
	out_add(&o, b.buf, b.len);
	cd = (uint32_t)o.len;
	zip_central(&o, "a.txt", 0, 0, (uint32_t)crc32(0, (const unsigned char *)b.buf, (uInt)b.len),
	    (uint32_t)b.len, (uint32_t)b.len, 0);
	zip_central(&o, "b.txt", 0, 0, crc("kernel\n"), 7, 7, off);
	zip_end(&o, 2, (uint32_t)o.len - cd, cd);
	put("overlap-kernel.zip", &o, "suspicious", "overlapping_entries");
	free(o.buf);
	free(a.buf);
	free(b.buf);
}

/* One member of an ar archive as Debian's ar writes it (deterministic:
 * zero times and owners, a mode without the file type). */
static void
ar_member(struct out *o, const char *name, const void *data, size_t len)
{
	char h[61];

	snprintf(h, sizeof h, "%-16s%-12u%-6u%-6u%-8s%-10zu`\n", name, 0u, 0u, 0u, "644", len);
	out_add(o, h, 60);
	out_add(o, data, len);
	if (len % 2)
		out_add(o, "\n", 1);
}

static void
deb(const char *name, const struct ent *data, size_t n, const char *verdict, const char *reason)
{
	static const struct ent control[] = { { .name = "./control", .data = "Package: x\n" } };
	struct out o = { 0 }, t = { 0 };

	out_add(&o, "!<arch>\n", 8);
	ar_member(&o, "debian-binary", "2.0\n", 4);
	build(&t, "gnutar", "gzip", NULL, control, N(control));
	ar_member(&o, "control.tar.gz", t.buf, t.len);
	build(&t, "gnutar", "gzip", NULL, data, n);
	ar_member(&o, "data.tar.gz", t.buf, t.len);
	put(name, &o, verdict, reason);
	free(o.buf);
	free(t.buf);
}

static void
debs(void)
{
	static const struct ent ok[] = {
		{ .name = "./usr/", .type = AE_IFDIR },
		{ .name = "./usr/share/", .type = AE_IFDIR },
		{ .name = "./usr/share/x.txt", .data = "packaged\n" },
	};
	static const struct ent trav[] = { { .name = "./../../etc/cron.d/evil", .data = "x\n" } };

	deb("package.deb", ok, N(ok), "clean", "-");
	deb("traversal.deb", trav, N(trav), "suspicious", "path_traversal");
}

/* An ISO 9660 image whose Joliet name (what Windows shows) is not its Rock
 * Ridge name (what Linux shows): one UTF-16 name rewritten. */
static void
iso_joliet(void)
{
	static const struct ent e[] = { { .name = "aaaa.txt", .data = "which name?\n" } };
	static const char from[] = "\0a\0a\0a\0a\0.\0t\0x\0t", to[] = "\0b\0b\0b\0b\0.\0t\0x\0t";
	struct out o = { 0 };
	size_t i, hits = 0;

	if (build(&o, "iso9660", NULL, "iso9660:joliet,iso9660:rockridge", e, N(e)) < 0)
		die("iso9660", "not made");
	for (i = 0; i + 16 <= o.len; i++)
		if (memcmp(o.buf + i, from, 16) == 0) {
			memcpy(o.buf + i, to, 16);
			hits++;
		}
	if (hits == 0)
		die("joliet.iso", "no Joliet name to rewrite");
	put("joliet.iso", &o, "suspicious", "name_mismatch");
	free(o.buf);
}

/* A stored cabinet of one file (MS-CAB), its file records gap bytes after
 * the folder records that the header skips. */
static void
cab(const char *name, size_t gap, const char *verdict, const char *reason)
{
	static const char data[] = "cabinet data\n";
	struct out o = { 0 };
	uint32_t files = 36 + 8 + (uint32_t)gap, dat = files + 16 + 6, total = dat + 8 + 13;

	out_add(&o, "MSCF\0\0\0\0", 8);
	le32(&o, total);
	le32(&o, 0);
	le32(&o, files);
	le32(&o, 0);
	out_add(&o, "\3\1", 2);	/* version 1.3 */
	le16(&o, 1);		/* folders */
	le16(&o, 1);		/* files */
	le16(&o, 0);		/* flags */
	le16(&o, 0);		/* set id */
	le16(&o, 0);		/* cabinet number */
	le32(&o, dat);		/* the folder: its data, one block, stored */
	le16(&o, 1);
	le16(&o, 0);
	for (; gap > 0; gap--)
		out_add(&o, "!", 1);
	le32(&o, 13);		/* the file: size, offset in folder, folder */
	le32(&o, 0);
	le16(&o, 0);
	le16(&o, 0x5821);	/* date, time, attributes */
	le16(&o, 0);
	le16(&o, 0x20);
	out_add(&o, "a.txt", 6);
	le32(&o, 0);		/* the data block: no checksum */
	le16(&o, 13);
	le16(&o, 13);
	out_add(&o, data, 13);
	put(name, &o, verdict, reason);
	free(o.buf);
}

void
field(void)
{
	text();
	headers();
	names_links();
	glued();
	debs();
	iso_joliet();
	cab("clean-stored.cab", 0, "clean", "-");
	cab("gap.cab", 24, "suspicious", "hidden_data");
}
