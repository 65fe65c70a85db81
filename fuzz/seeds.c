/* fuzz-seeds DIR: writes the seed corpora of the fuzz targets, so nothing
 * binary is kept in the tree. DIR/ipc gets frames of every message type
 * from the ipc_put_* encoders, alone and as a stream; DIR/ctl the same for
 * the control socket from ctl_put, with the length prefix (the target
 * reads a stream) and without (it decodes a body); DIR/archive gets
 * small archives written with libarchive in the formats and filters it can
 * write, one nested in another, and a few broken ones. Deterministic. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <msgpack.h>

#include "ipc/ctl.h"
#include "ipc/ipc.h"
#include "ipc/jobopts.h"

#define ARCHIVE_ROOM	(1u << 20)

static const char *top;

static void
die(const char *what, const char *name)
{
	fprintf(stderr, "fuzz-seeds: unable to %s %s: %s\n", what, name, strerror(errno));
	exit(1);
}

static void
put_file(const char *sub, const char *name, const void *p, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s/%s", top, sub, name);
	if ((f = fopen(path, "wb")) == NULL)
		die("create", path);
	if ((len > 0 && fwrite(p, 1, len, f) != len) || fclose(f) != 0)
		die("write", path);
}

static void
make_dir(const char *sub)
{
	char path[4096];

	snprintf(path, sizeof path, "%s%s%s", top, *sub ? "/" : "", sub);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die("create directory", path);
}

/* msgpack-c writes into an ipc_buf through this. */
static int
buf_write(void *data, const char *p, size_t len)
{
	struct ipc_buf *b = data;

	if (len > b->cap - b->len) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		uint8_t *d;

		while (cap - b->len < len)
			cap *= 2;
		if ((d = realloc(b->data, cap)) == NULL)
			return -1;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, len);
	b->len += len;
	return 0;
}

static void
pack_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str_with_body(pk, s, strlen(s));
}

/* A result map like the archive handler's, with one of every msgpack type
 * a plugin may set and a nested map and array. */
static void
result_map(struct ipc_buf *b)
{
	msgpack_packer pk;

	msgpack_packer_init(&pk, b, buf_write);
	msgpack_pack_map(&pk, 9);
	pack_str(&pk, "format");
	pack_str(&pk, "ZIP 2.0 (deflation)");
	pack_str(&pk, "filters");
	msgpack_pack_array(&pk, 2);
	pack_str(&pk, "gzip");
	pack_str(&pk, "uu");
	pack_str(&pk, "entries");
	msgpack_pack_uint64(&pk, 4);
	pack_str(&pk, "bytes");
	msgpack_pack_uint64(&pk, 1ull << 40);
	pack_str(&pk, "delta");
	msgpack_pack_int64(&pk, -300);
	pack_str(&pk, "ratio");
	msgpack_pack_double(&pk, 12.5);
	pack_str(&pk, "digest");
	msgpack_pack_bin_with_body(&pk, "\x00\x01\xfe\xff", 4);
	pack_str(&pk, "nested");
	msgpack_pack_map(&pk, 2);
	pack_str(&pk, "name\n\x1b[31m\xc2\x9b\xff");
	msgpack_pack_true(&pk);
	msgpack_pack_uint8(&pk, 7);
	msgpack_pack_nil(&pk);
	pack_str(&pk, "truncated");
	msgpack_pack_false(&pk);
}

/* The options map of a JOB: unsigned integers by name. */
static void
opts_map(struct ipc_buf *b)
{
	msgpack_packer pk;

	msgpack_packer_init(&pk, b, buf_write);
	msgpack_pack_map(&pk, 3);
	pack_str(&pk, "max_entries");
	msgpack_pack_uint64(&pk, 100000);
	pack_str(&pk, "max_depth");
	msgpack_pack_uint64(&pk, 3);
	pack_str(&pk, "extract");
	msgpack_pack_uint64(&pk, 1);
}

static void
ipc_seeds(void)
{
	static const char path[] = "dir/new\nline\xff\0nul";
	static const char error[] = "damaged archive: \xe2\x80\xae bad";	/* NOLINT(misc-misleading-bidirectional): a hostile error text on purpose */
	struct ipc_buf b = { 0 }, all = { 0 }, map = { 0 }, opts = { 0 };
	char name[32];
	int i, r;

	make_dir("ipc");
	result_map(&map);
	opts_map(&opts);
	for (i = 0; i < 9; i++) {
		b.len = 0;
		switch (i) {
		case 0: r = ipc_put_hello(&b, 4242); break;
		case 1: r = ipc_put_job(&b, 1, "archive", 7, "", 0, opts.data, opts.len, 0, NULL, 0); break;
		case 2: r = ipc_put_job(&b, 2, "exec", 4, "bsdtar -tf {}", 13, NULL, 0, 0, NULL, 0); break;
		case 3: r = ipc_put_task(&b, 1, 77, path, sizeof path - 1, 0); break;
		case 4: r = ipc_put_result(&b, 77, 1, 0, NULL, 0, map.data, map.len); break;
		case 5: r = ipc_put_result(&b, 78, 0, 0, error, sizeof error - 1, map.data, map.len); break;
		case 6: r = ipc_put_result(&b, 79, 0, 0, error, sizeof error - 1, NULL, 0); break;
		case 7: r = ipc_put_ready(&b, 1); break;
		default: r = ipc_put_fatal(&b, "unable to start: out of memory", 30); break;
		}
		if (r < 0)
			die("encode", "a frame");
		snprintf(name, sizeof name, "frame-%d", i);
		put_file("ipc", name, b.data, b.len);
		if (buf_write(&all, (const char *)b.data, b.len) < 0)
			die("encode", "a stream");
	}
	put_file("ipc", "stream", all.data, all.len);
	/* A length over any bound, then a cut frame. */
	put_file("ipc", "bad-length", "\xff\xff\xff\xff\x81\xa1t\x01", 8);
	put_file("ipc", "cut", all.data, all.len - 3);
	put_file("ipc", "result-map", map.data, map.len);
	ipc_buf_free(&b);
	ipc_buf_free(&all);
	ipc_buf_free(&map);
	ipc_buf_free(&opts);
}

static void
ctl_seeds(void)
{
	static const char path[] = "/srv/in/new\nline\xff.zip";
	struct ipc_buf b = { 0 }, all = { 0 }, map = { 0 }, in = { 0 };
	struct ctl_msg m;
	struct job_opts o;
	char name[32];
	int i;

	make_dir("ctl");
	result_map(&map);
	job_opts_default(&o);
	o.extract = 1;
	if (ctl_paths_add(&in, "/srv/in", 7) < 0 || ctl_paths_add(&in, path, sizeof path - 1) < 0)
		die("encode", "inputs");
	for (i = 0; i < 24; i++) {
		memset(&m, 0, sizeof m);
		m.rid = (uint64_t)i + 1;
		switch (i) {
		case 0: m.type = CTL_HELLO, m.hello.version = IPC_PROTO_VERSION; break;
		case 1: m.type = CTL_HELLO, m.hello = (struct ctl_hello){ IPC_PROTO_VERSION, 4242 }; break;
		case 2:
			m.type = CTL_SUBMIT;
			m.submit = (struct ctl_submit){ .name = "nightly", .name_len = 7,
			    .inputs = { in.data, in.len, 2 }, .handler = "exec", .handler_len = 4,
			    .arg = "bsdtar -tf {}", .arg_len = 13, .timeout_ms = 60000, .retries = 1,
			    .halt_rate = 0.1, .halt_min = 10, .priority = 50, .extract = "/var/out",
			    .extract_len = 8, .opts = o, .wait = 1,
			    .given = 1u << CTL_GIVEN_EXEC | 1u << CTL_GIVEN_TIMEOUT, .shard_k = 3,
			    .shard_n = 4, .filters = "+*.zip\0-a/b/*\0", .filters_len = 14,
			    .min_size = 1, .has_max_size = 1, .max_size = 1 << 20, .halt_fail = 3,
			    .halt_soon = 1 };
			break;
		case 3: m.type = CTL_JOBS; break;
		case 4: m.type = CTL_STATUS, m.target = (struct ctl_target){ "nightly", 7, 0, 0 }; break;
		case 5: m.type = CTL_RESULTS, m.target = (struct ctl_target){ "12", 2, 1, 300 }; break;
		case 6: m.type = CTL_PAUSE, m.target = (struct ctl_target){ "nightly", 7, 0, 0 }; break;
		case 7: m.type = CTL_CANCEL, m.target = (struct ctl_target){ "1", 1, 0, 0 }; break;
		case 8: m.type = CTL_WORKERS; break;
		case 9: m.type = CTL_WATCH, m.target = (struct ctl_target){ "nightly", 7, 0, 0 }; break;
		case 10:
			m.type = CTL_CHECK;
			m.check = (struct ctl_check){ .handler = "archive", .handler_len = 7, .opts = o };
			break;
		case 11: m.type = CTL_OK, m.ok = (struct ctl_ok){ 12, "nightly", 7 }; break;
		case 12:
			m.type = CTL_ERROR;
			m.error = (struct ctl_error){ CTL_E_NO_SUCH_JOB, "no job named x", 14 };
			break;
		case 13:
			m.type = CTL_JOB;
			m.job = (struct ctl_job){ .id = 12, .name = "nightly", .name_len = 7,
			    .state = "running", .state_len = 7, .handler = "exec", .handler_len = 4,
			    .arg = "wc -c", .arg_len = 5, .summary = "/srv/in", .summary_len = 7,
			    .created_ms = 1700000000000, .updated_ms = 1700000001000, .total = 100,
			    .counts = { 50, 3, 1, 1, 2 }, .runs = 1, .workers = 4, .priority = 50,
			    .reason = "waiting for a worker", .reason_len = 20 };
			break;
		case 14:
			m.type = CTL_ROW;
			m.row = (struct ctl_row){ .seq = 7, .path = path, .path_len = sizeof path - 1,
			    .status = CTL_OUT_CRASHED, .attempts = 2, .duration_ms = 1500,
			    .finished_ms = 1700000000000, .signal = 11, .exit_code = -1,
			    .error = "killed by signal 11", .error_len = 19, .result = map.data,
			    .result_len = map.len, .tail = "boom\n", .tail_len = 5 };
			break;
		case 15:
			m.type = CTL_ROW;
			m.row = (struct ctl_row){ .seq = 8, .path = "/a", .path_len = 2,
			    .status = CTL_OUT_CRASHED, .attempts = 1, .exit_code = 3 };
			break;
		case 16:
			m.type = CTL_WORKER;
			m.worker = (struct ctl_worker){ 2, 999, "busy", 4, "nightly", 7, path,
			    sizeof path - 1, 1200, 40, 1 << 20 };
			break;
		case 17:
			m.type = CTL_EVENT;
			m.event = (struct ctl_event){ .job = "nightly", .job_len = 7,
			    .kind = CTL_EV_PROGRESS, .done = 5, .total = 10, .state = "running",
			    .state_len = 7 };
			break;
		case 18:
			m.type = CTL_EVENT;
			m.event = (struct ctl_event){ .job = "nightly", .job_len = 7,
			    .kind = CTL_EV_OUTCOME, .done = 6, .total = 10, .state = "running",
			    .state_len = 7, .row = { .seq = 6, .path = "/a", .path_len = 2,
			    .status = CTL_OUT_FAILED, .attempts = 1, .exit_code = -1,
			    .error = "damaged", .error_len = 7, .result = map.data,
			    .result_len = map.len } };
			break;
		case 19:
			m.type = CTL_EVENT;
			m.event = (struct ctl_event){ .job = "nightly", .job_len = 7,
			    .kind = CTL_EV_STATE, .done = 10, .total = 10, .state = "done",
			    .state_len = 4 };
			break;
		case 20:
			m.type = CTL_VERDICT;
			m.verdict = (struct ctl_verdict){ CTL_OUT_FAILED, "zip bomb", 8, map.data,
			    map.len };
			break;
		case 21: m.type = CTL_END; break;
		case 22: m.type = CTL_RETRY, m.target = (struct ctl_target){ "nightly", 7, 0, 0 }; break;
		default: m.type = CTL_DELETE, m.target = (struct ctl_target){ "nightly", 7, 0, 0 }; break;
		}
		b.len = 0;
		if (ctl_put(&b, &m) < 0)
			die("encode", ipc_type_name(m.type));
		snprintf(name, sizeof name, "frame-%d", i);
		put_file("ctl", name, b.data, b.len);
		snprintf(name, sizeof name, "body-%d", i);
		put_file("ctl", name, b.data + IPC_HDR, b.len - IPC_HDR);
		if (buf_write(&all, (const char *)b.data, b.len) < 0)
			die("encode", "a stream");
	}
	put_file("ctl", "stream", all.data, all.len);
	ipc_buf_free(&b);
	ipc_buf_free(&all);
	ipc_buf_free(&map);
	ipc_buf_free(&in);
}

/* What goes into each archive. */
struct member {
	const char *name;
	const char *body;	/* NULL: a directory */
	size_t len;
};

/* Writes an archive into buf (ARCHIVE_ROOM bytes); returns its size, or 0
 * when this libarchive cannot write the format or a filter. */
static size_t
write_archive(uint8_t *buf, int (*format)(struct archive *), const char *option,
    const int *filters, const struct member *mm)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	size_t used = 0;
	int ok = a != NULL && e != NULL && format(a) == ARCHIVE_OK;

	for (; ok && filters != NULL && *filters >= 0; filters++)
		ok = archive_write_add_filter(a, *filters) == ARCHIVE_OK;
	if (ok && option != NULL)
		ok = archive_write_set_options(a, option) == ARCHIVE_OK;
	ok = ok && archive_write_open_memory(a, buf, ARCHIVE_ROOM, &used) == ARCHIVE_OK;
	for (; ok && mm->name != NULL; mm++) {
		archive_entry_clear(e);
		archive_entry_set_pathname(e, mm->name);
		archive_entry_set_mtime(e, 1700000000, 0);
		archive_entry_set_uid(e, 1000);
		archive_entry_set_gid(e, 1000);
		archive_entry_set_size(e, (la_int64_t)mm->len);	/* cpio wants it on directories too */
		if (mm->body == NULL) {
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, 0755);
		} else {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0644);
		}
		ok = archive_write_header(a, e) == ARCHIVE_OK;
		if (ok && mm->body != NULL && mm->len > 0)
			ok = archive_write_data(a, mm->body, mm->len) == (la_ssize_t)mm->len;
	}
	ok = ok && archive_write_close(a) == ARCHIVE_OK;
	archive_entry_free(e);
	archive_write_free(a);
	return ok ? used : 0;
}

static int
format_raw(struct archive *a)
{
	return archive_write_set_format_raw(a);
}

static void
archive_seeds(void)
{
	static const char text[] =
	    "entry one\nentry one\nentry one\nentry one\nentry one\nentry one\n";
	static const struct member tree[] = {
		{ "d/", NULL, 0 },
		{ "d/a.txt", "hello\n", 6 },
		{ "d/sub/", NULL, 0 },
		{ "d/sub/b.txt", text, sizeof text - 1 },
		{ "d/empty", "", 0 },
		{ NULL, NULL, 0 },
	};
	static const struct member flat[] = {
		{ "a.txt", "hello\n", 6 },
		{ "b.txt", text, sizeof text - 1 },
		{ NULL, NULL, 0 },
	};
	static const int none[] = { -1 }, gz[] = { ARCHIVE_FILTER_GZIP, -1 },
	    bz2[] = { ARCHIVE_FILTER_BZIP2, -1 }, xz[] = { ARCHIVE_FILTER_XZ, -1 },
	    lzma[] = { ARCHIVE_FILTER_LZMA, -1 }, lzip[] = { ARCHIVE_FILTER_LZIP, -1 },
	    zstd[] = { ARCHIVE_FILTER_ZSTD, -1 }, lz4[] = { ARCHIVE_FILTER_LZ4, -1 },
	    compress[] = { ARCHIVE_FILTER_COMPRESS, -1 },
	    uu_gz[] = { ARCHIVE_FILTER_GZIP, ARCHIVE_FILTER_UU, -1 };
	static const struct {
		const char *name;
		int (*format)(struct archive *);
		const char *option;
		const int *filters;
		const struct member *members;
	} kinds[] = {
		{ "a.zip", archive_write_set_format_zip, NULL, none, tree },
		{ "stored.zip", archive_write_set_format_zip, "zip:compression=store", none, tree },
		{ "a.tar", archive_write_set_format_pax_restricted, NULL, none, tree },
		{ "a.tar.gz", archive_write_set_format_pax_restricted, NULL, gz, tree },
		{ "a.tar.bz2", archive_write_set_format_ustar, NULL, bz2, tree },
		{ "a.tar.xz", archive_write_set_format_gnutar, NULL, xz, tree },
		{ "a.tar.lzma", archive_write_set_format_ustar, NULL, lzma, tree },
		{ "a.tar.lz", archive_write_set_format_ustar, NULL, lzip, tree },
		{ "a.tar.zst", archive_write_set_format_ustar, NULL, zstd, tree },
		{ "a.tar.lz4", archive_write_set_format_ustar, NULL, lz4, tree },
		{ "a.tar.Z", archive_write_set_format_ustar, NULL, compress, tree },
		{ "a.tar.gz.uu", archive_write_set_format_ustar, NULL, uu_gz, tree },
		{ "a.7z", archive_write_set_format_7zip, NULL, none, tree },
		{ "stored.7z", archive_write_set_format_7zip, "7zip:compression=store", none, tree },
		{ "newc.cpio", archive_write_set_format_cpio_newc, NULL, none, tree },
		{ "odc.cpio", archive_write_set_format_cpio, NULL, none, tree },
		{ "a.iso", archive_write_set_format_iso9660, "iso9660:!pad", none, tree },
		{ "a.ar", archive_write_set_format_ar_svr4, NULL, none, flat },
		{ "a.xar", archive_write_set_format_xar, NULL, none, tree },
		{ "a.warc", archive_write_set_format_warc, NULL, none, flat },
		{ "a.mtree", archive_write_set_format_mtree, NULL, none, tree },
		{ "a.shar", archive_write_set_format_shar, NULL, none, tree },
		{ "raw.gz", format_raw, NULL, gz, flat + 1 },
	};
	static uint8_t buf[ARCHIVE_ROOM], inner[ARCHIVE_ROOM];
	struct member nested[3] = { { "inner.zip", NULL, 0 }, { "x", "x", 1 }, { NULL, NULL, 0 } };
	size_t i, n, ninner;

	make_dir("archive");
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		n = write_archive(buf, kinds[i].format, kinds[i].option, kinds[i].filters,
		    kinds[i].members);
		if (n == 0)
			fprintf(stderr, "fuzz-seeds: skipped %s, not written by this libarchive\n",
			    kinds[i].name);
		else
			put_file("archive", kinds[i].name, buf, n);
	}

	/* Archives inside archives: a zip in a tar.gz, that in a 7z. */
	if ((ninner = write_archive(inner, archive_write_set_format_zip, NULL, none, tree)) == 0)
		die("write", "a zip");
	nested[0].body = (const char *)inner;
	nested[0].len = ninner;
	if ((n = write_archive(buf, archive_write_set_format_pax_restricted, NULL, gz, nested)) == 0)
		die("write", "a nested tar.gz");
	put_file("archive", "nested.tar.gz", buf, n);
	memcpy(inner, buf, n);
	nested[0].name = "inner.tar.gz";
	nested[0].len = n;
	if ((n = write_archive(buf, archive_write_set_format_7zip, NULL, none, nested)) == 0)
		die("write", "a nested 7z");
	put_file("archive", "nested2.7z", buf, n);

	/* Broken: cut short, and a zip signature with nothing behind it. */
	if ((n = write_archive(buf, archive_write_set_format_pax_restricted, NULL, gz, tree)) == 0)
		die("write", "a tar.gz");
	put_file("archive", "cut.tar.gz", buf, n / 2);
	put_file("archive", "garbage.zip", "PK\003\004this is not really a zip file\n", 34);
	put_file("archive", "empty", "", 0);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fuzz-seeds DIR\n");
		return 2;
	}
	top = argv[1];
	make_dir("");
	ipc_seeds();
	ctl_seeds();
	archive_seeds();
	return 0;
}
