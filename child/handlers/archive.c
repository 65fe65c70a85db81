/* archive: an untrusted archive inspected under the job's limits, in every
 * format and filter libarchive reads, archives inside it included
 * (child/archive/). A lone compressed stream counts (format "raw" under a
 * filter); a plain file that only "raw" claims is not an archive.
 *
 * Result (docs/results.md): "verdict" (clean, suspicious, malformed,
 * rejected), "reasons" ({code, entry[, detail]} maps), "format", "filters",
 * "entries", "bytes", "ratio", "sha256" and the manifest "files". A
 * malformed or rejected file is failed, its first reason the error; a
 * suspicious one too with fail_on_suspicious. With --extract, a clean file
 * is then written out (child/extract.c, docs/extract.md), and a suspicious
 * one only with extract_suspicious: "extracted", and on refusal
 * "extract_reason" and "extract_entry". */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <msgpack.h>

#include "child/archive/inspect.h"
#include "child/extract.h"
#include "child/handler.h"

/* The defaults, for a caller that never ran setup (bench/floor.c). */
static struct job_opts opts = {
	.limits = {
		.max_entries = LIMIT_ENTRIES,
		.max_bytes = LIMIT_BYTES,
		.max_entry_bytes = LIMIT_ENTRY_BYTES,
		.max_ratio = LIMIT_RATIO,
		.max_depth = LIMIT_DEPTH,
		.max_name = LIMIT_NAME,
	},
	.formats = FORMATS_DEFAULT,
};

static struct walk *walk;
static struct inspect insp;
static struct mpbuf reasons_mp;

static int
archive_setup(const char *arg, const struct job_opts *o, char *err, size_t errlen)
{
	(void)arg;
	opts = *o;
	if (walk == NULL && (walk = walk_new()) == NULL) {
		snprintf(err, errlen, "archive: out of memory");
		return -1;
	}
	return 0;
}

static void
pack_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str_with_body(pk, s, strlen(s));
}

static void
set_reasons(struct corral_result *out, const struct inspect *in)
{
	msgpack_packer pk;
	const char *mp;
	size_t len;
	uint32_t i;

	mpbuf_reset(&reasons_mp);
	msgpack_packer_init(&pk, &reasons_mp, mpbuf_write);
	for (i = 0; i < in->nreasons; i++) {
		const struct reason_rec *r = &in->reasons[i];

		msgpack_pack_map(&pk, 1 + (r->entry[0] != '\0') + (r->detail[0] != '\0'));
		pack_str(&pk, "code");
		pack_str(&pk, reason_name(r->code));
		if (r->entry[0] != '\0') {
			pack_str(&pk, "entry");
			pack_str(&pk, r->entry);
		}
		if (r->detail[0] != '\0') {
			pack_str(&pk, "detail");
			pack_str(&pk, r->detail);
		}
		reasons_mp.count++;
	}
	mp = mpbuf_array(&reasons_mp, &len);
	result_set_packed(out, "reasons", mp, len);
	if (in->reasons_seen > in->nreasons)
		corral_result_set_bool(out, "reasons_truncated", 1);
}

static void
describe(struct corral_result *out, struct inspect *in)
{
	char sum[65];
	const char *mp;
	size_t len;
	int i;

	corral_result_set_str(out, "verdict", verdict_name(in->verdict));
	set_reasons(out, in);
	if (in->format != NULL)
		corral_result_set_str(out, "format", in->format);
	result_set_strv(out, "filters", in->filters, in->nfilters);
	corral_result_set_uint(out, "entries", in->entries);
	corral_result_set_uint(out, "bytes", in->bytes);
	corral_result_set_double(out, "ratio", in->size > 0 ? (double)in->bytes / (double)in->size : 0.0);
	if (in->sha_ok) {
		for (i = 0; i < 32; i++) {
			sum[2 * i] = "0123456789abcdef"[in->sha256[i] >> 4];
			sum[2 * i + 1] = "0123456789abcdef"[in->sha256[i] & 15];
		}
		sum[64] = '\0';
		corral_result_set_str(out, "sha256", sum);
	}
	mp = mpbuf_array(&in->files, &len);
	result_set_packed(out, "files", mp, len);
	if (in->files_truncated)
		corral_result_set_bool(out, "files_truncated", 1);
}

/* The file written out under t->dirfd, read afresh: extraction checks
 * every entry again as it makes its name, trusting nothing inspection
 * found. Returns 0, or -1 with the error set. */
static int
extract(const struct task_in *t, struct corral_result *out)
{
	struct extract_stats st;
	struct archive *a;
	char err[RESULT_ERR_MAX];
	int r = -1;

	memset(&st, 0, sizeof st);
	snprintf(err, sizeof err, "unable to read the file again");
	if ((a = archive_read_new()) == NULL) {
		corral_result_set_bool(out, "extracted", 0);
		corral_result_set_error(out, "extraction: out of memory");
		return -1;
	}
	if (archive_support(a, opts.formats, 1) == 0 && lseek(t->fd, 0, SEEK_SET) == 0 && archive_read_open_fd(a, t->fd, 64 * 1024) == ARCHIVE_OK)
		r = extract_archive(a, t->dirfd, &opts.limits, &st, err, sizeof err);
	archive_read_free(a);
	corral_result_set_bool(out, "extracted", r == 0);
	if (r == 0)
		return 0;
	/* A refusal that inspection should have found (libarchive read the
	 * file otherwise the second time): the verdict says it too, so that
	 * a file extraction refuses is never clean. A fault of the host
	 * (io_error: a full disk) is not the file's. */
	if (st.reason != NULL && reason_find(st.reason) != R_COUNT)
		inspect_add(&insp, reason_find(st.reason), st.entry, err);
	if (st.reason != NULL)
		corral_result_set_str(out, "extract_reason", st.reason);
	if (st.entry[0] != '\0')
		corral_result_set_str(out, "extract_entry", st.entry);
	if (st.entry[0] != '\0')
		corral_result_set_error(out, "extraction refused at %s: %s", st.entry, err);
	else
		corral_result_set_error(out, "extraction refused: %s", err);
	return -1;
}

static int
archive_process(const struct task_in *t, struct corral_result *out)
{
	const struct reason_rec *r;
	int failed, write_out;

	if (walk == NULL && (walk = walk_new()) == NULL) {
		corral_result_set_error(out, "unable to start: out of memory");
		return 1;
	}
	if (walk_file(walk, t->fd, &opts, &insp) < 0) {
		corral_result_set_error(out, "unable to inspect: %s", strerror(errno));
		return 1;
	}
	failed = insp.verdict >= V_MALFORMED ||
	    (insp.verdict == V_SUSPICIOUS && opts.fail_on_suspicious);
	/* Only what is clean is written out unless the job asks for the
	 * suspicious too; one left unwritten keeps its outcome. */
	write_out = insp.verdict == V_CLEAN ||
	    (insp.verdict == V_SUSPICIOUS && !failed && opts.extract_suspicious);
	if (t->dirfd >= 0 && !write_out)
		corral_result_set_bool(out, "extracted", 0);
	else if (t->dirfd >= 0 && extract(t, out) < 0) {
		describe(out, &insp);
		return 1;
	}
	describe(out, &insp);
	if (!failed)
		return 0;
	r = &insp.first[insp.verdict];
	corral_result_set_error(out, "%s%s%s%s%s", reason_name(r->code),
	    r->entry[0] ? " " : "", r->entry, r->detail[0] ? ": " : "", r->detail);
	return 1;
}

const struct handler handler_archive = { "archive", archive_setup, archive_process };
