/* Unit tests of the archive handler (child/handlers/archive.c and
 * child/archive/), in this process: the corpus tests/mkhostile writes is
 * judged file by file as its expected.tsv says, verdict, reason and the
 * failed-or-ok return; each limit is hit with a small limit; a bomb costs
 * less than its limit in CPU time and memory; the result map stays well-formed
 * and bounded, its lists capped; the digests are right; with a directory,
 * what is clean is extracted (suspicious too when the job asks), and a
 * refusal leaves nothing. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <msgpack.h>
#include <openssl/evp.h>

#include "child/handler.h"
#include "ipc/ipc.h"
#include "tests/tap.h"

static char corpus[4096];
static int extract_dirfd = -1;	/* the task's directory, when extracting */
static struct corral_result *res;
static msgpack_unpacked u;

/* The CPU time a process has used, user and system. */
static double
cpu_seconds(const struct rusage *r)
{
	return (double)(r->ru_utime.tv_sec + r->ru_stime.tv_sec) +
	    (r->ru_utime.tv_usec + r->ru_stime.tv_usec) / 1e6;
}

/* The outcome of one file. */
struct got {
	int rc;
	msgpack_object map;		/* nil when not well-formed */
	char verdict[32];
	char error[RESULT_ERR_MAX];
};

static msgpack_object
get(msgpack_object m, const char *key)
{
	msgpack_object nil = { .type = MSGPACK_OBJECT_NIL };
	uint32_t i;

	for (i = 0; m.type == MSGPACK_OBJECT_MAP && i < m.via.map.size; i++) {
		msgpack_object k = m.via.map.ptr[i].key;

		if (k.type == MSGPACK_OBJECT_STR && k.via.str.size == strlen(key) &&
		    memcmp(k.via.str.ptr, key, k.via.str.size) == 0)
			return m.via.map.ptr[i].val;
	}
	return nil;
}

static int
str_is(msgpack_object o, const char *s)
{
	return o.type == MSGPACK_OBJECT_STR && o.via.str.size == strlen(s) &&
	    memcmp(o.via.str.ptr, s, o.via.str.size) == 0;
}

static void
str_copy(msgpack_object o, char *out, size_t cap)
{
	size_t n = 0;

	if (o.type == MSGPACK_OBJECT_STR)
		n = o.via.str.size < cap - 1 ? o.via.str.size : cap - 1;
	if (n > 0)
		memcpy(out, o.via.str.ptr, n);
	out[n] = '\0';
}

/* Whether the reasons hold code (with entry, when entry is not NULL). */
static int
has_reason(msgpack_object m, const char *code, const char *entry)
{
	msgpack_object r = get(m, "reasons");
	uint32_t i;

	for (i = 0; r.type == MSGPACK_OBJECT_ARRAY && i < r.via.array.size; i++)
		if (str_is(get(r.via.array.ptr[i], "code"), code) &&
		    (entry == NULL || str_is(get(r.via.array.ptr[i], "entry"), entry)))
			return 1;
	return 0;
}

static uint32_t
array_len(msgpack_object o)
{
	return o.type == MSGPACK_OBJECT_ARRAY ? o.via.array.size : 0;
}

static struct got
run(const char *name, const struct job_opts *o)
{
	struct got g;
	char path[8192], err[256];
	const uint8_t *map;
	const char *e;
	size_t len, off = 0, elen;
	int fd;

	memset(&g, 0, sizeof g);
	g.map.type = MSGPACK_OBJECT_NIL;
	snprintf(path, sizeof path, "%s/%s", corpus, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		g.rc = -1;
		return g;
	}
	if (handler_archive.setup(NULL, o, err, sizeof err) < 0) {
		close(fd);
		g.rc = -1;
		return g;
	}
	result_reset(res);
	g.rc = handler_archive.process(&(struct task_in){ .fd = fd, .dirfd = extract_dirfd, .path = path },
	    res);
	close(fd);
	map = result_map(res, &len);
	msgpack_unpacked_destroy(&u);
	msgpack_unpacked_init(&u);
	if (len <= RESULT_MAX && ipc_mp_check(map, len, 8) == 0 &&
	    msgpack_unpack_next(&u, (const char *)map, len, &off) == MSGPACK_UNPACK_SUCCESS &&
	    off == len && u.data.type == MSGPACK_OBJECT_MAP)
		g.map = u.data;
	str_copy(get(g.map, "verdict"), g.verdict, sizeof g.verdict);
	e = result_error(res, &elen);
	snprintf(g.error, sizeof g.error, "%.*s", (int)elen, e);
	return g;
}

/* Every case of expected.tsv, one by one. */
static void
corpus_cases(const struct job_opts *o)
{
	char path[8192], line[1024], *name, *verdict, *reason;
	FILE *f;
	int n = 0;

	snprintf(path, sizeof path, "%s/expected.tsv", corpus);
	if ((f = fopen(path, "r")) == NULL) {
		ok(0, "expected.tsv: %s", strerror(errno));
		return;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		struct rusage r0, r1;
		struct got g;
		double cpu;
		int bomb;

		line[strcspn(line, "\n")] = '\0';
		name = strtok(line, "\t");
		verdict = strtok(NULL, "\t");
		reason = strtok(NULL, "\t");
		if (name == NULL || verdict == NULL || reason == NULL)
			continue;
		n++;
		bomb = strncmp(name, "bomb", 4) == 0 || strcmp(name, "long-paths.tar") == 0;
		getrusage(RUSAGE_SELF, &r0);
		g = run(name, o);
		getrusage(RUSAGE_SELF, &r1);
		cpu = cpu_seconds(&r1) - cpu_seconds(&r0);
		ok(g.map.type == MSGPACK_OBJECT_MAP, "%s: a well-formed result", name);
		ok(strcmp(g.verdict, verdict) == 0, "%s: %s (got %s)", name, verdict, g.verdict);
		if (strcmp(reason, "-") == 0)
			is_int(array_len(get(g.map, "reasons")), 0, "%s: no reasons", name);
		else
			ok(has_reason(g.map, reason, NULL), "%s: reason %s", name, reason);
		if (strcmp(verdict, "rejected") == 0 || strcmp(verdict, "malformed") == 0)
			ok(g.rc != 0 && strncmp(g.error, reason, strlen(reason)) == 0,
			    "%s: failed, the error names it (%s)", name, g.error);
		else
			ok(g.rc == 0, "%s: ok", name);
		if (bomb) {
			/* CPU time, which other processes on the machine do
			 * not inflate: a few hundredths of a second, under a
			 * sanitizer too; checks through links that cost a
			 * name's square take about a second of it. memcheck
			 * runs code 10 to 50 times slower. */
			double limit = (strcmp(name, "long-paths.tar") == 0 ? 0.5 : 2.0) *
			    (getenv("CORRAL_VALGRIND") ? 20 : 1);

			ok(cpu < limit, "%s: less than %.1f s of CPU time (%.3f s)", name, limit, cpu);
			ok(r1.ru_maxrss - r0.ru_maxrss < 64 * 1024,
			    "%s: peak RSS grew less than 64 MiB (%ld KiB)", name,
			    r1.ru_maxrss - r0.ru_maxrss);
		}
	}
	fclose(f);
	ok(n >= 60, "%d cases in the corpus", n);
}

static void
limits(void)
{
	struct job_opts o;
	struct got g;

	job_opts_default(&o);
	o.limits.max_entry_bytes = 10;
	g = run("clean.tar", &o);
	ok(strcmp(g.verdict, "rejected") == 0 && has_reason(g.map, "entry_too_large", "d/a.txt") &&
	    g.rc != 0, "max_entry_bytes 10: rejected, entry_too_large at d/a.txt");

	job_opts_default(&o);
	o.limits.max_bytes = 20;
	g = run("clean.zip", &o);
	ok(strcmp(g.verdict, "rejected") == 0 && has_reason(g.map, "too_large", "d/sub/b.txt"),
	    "max_bytes 20: rejected, too_large at the entry that passed it");
	ok(get(g.map, "bytes").via.u64 <= 20 + 14, "and reading stopped there (%llu bytes)",
	    (unsigned long long)get(g.map, "bytes").via.u64);

	job_opts_default(&o);
	o.limits.max_entries = 2;
	g = run("clean.tar.xz", &o);
	ok(strcmp(g.verdict, "rejected") == 0 && has_reason(g.map, "too_many_entries", NULL),
	    "max_entries 2: rejected, too_many_entries");
	is_int(get(g.map, "entries").via.u64, 3, "counted up to the one past the limit");

	/* A zip's central directory is counted before libarchive reads it. */
	job_opts_default(&o);
	g = run("many.zip", &o);
	ok(has_reason(g.map, "too_many_entries", NULL) && get(g.map, "entries").via.u64 == 0,
	    "many.zip: rejected by its central directory's count, before any entry");

	job_opts_default(&o);
	o.limits.max_name = 4;
	g = run("clean.7z", &o);
	ok(strcmp(g.verdict, "rejected") == 0 && has_reason(g.map, "name_too_long", NULL),
	    "max_name 4: rejected, name_too_long");

	job_opts_default(&o);
	o.limits.max_name = 8;
	g = run("symlink-abs.tar", &o);
	ok(has_reason(g.map, "name_too_long", "passwd"), "a link target counts as a name too");

	job_opts_default(&o);
	o.limits.max_depth = 1;
	g = run("nested-ok.zip", &o);
	ok(strcmp(g.verdict, "rejected") == 0 && has_reason(g.map, "too_deep", "level1.zip!/level2.zip"),
	    "max_depth 1: two levels down is too deep");
	o.limits.max_depth = 2;
	g = run("nested-ok.zip", &o);
	ok(strcmp(g.verdict, "clean") == 0, "max_depth 2: clean");
	o.limits.max_depth = 0;
	g = run("nested-ok.zip", &o);
	ok(has_reason(g.map, "too_deep", "level1.zip"), "max_depth 0: no archive in an archive");

	job_opts_default(&o);
	o.limits.max_ratio = 1;
	g = run("big-text.tar.gz", &o);
	ok(strcmp(g.verdict, "rejected") == 0 && has_reason(g.map, "ratio", "numbers.txt"),
	    "max_ratio 1: a 2:1 entry is rejected");
	o.limits.max_ratio = 0;
	g = run("big-text.tar.gz", &o);
	ok(strcmp(g.verdict, "clean") == 0, "max_ratio 0: no ratio limit");
	/* 7-Zip's entries share solid blocks: no ratio of their own. */
	o.limits.max_ratio = 2;
	g = run("big-text.7z", &o);
	ok(strcmp(g.verdict, "clean") == 0, "max_ratio 2: a 2.2:1 7-Zip archive is clean (%s)", g.error);
	o.limits.max_ratio = 1;
	g = run("big-text.7z", &o);
	ok(has_reason(g.map, "ratio", "numbers.txt"), "max_ratio 1: rejected by the whole file's ratio");

	/* With no ratio limit, the absolute ones stop a bomb. */
	job_opts_default(&o);
	o.limits.max_ratio = 0;
	o.limits.max_entry_bytes = 64u << 20;
	g = run("bomb.zip", &o);
	ok(has_reason(g.map, "entry_too_large", "zeros.bin"), "bomb.zip, no ratio limit: entry_too_large");
	o.limits.max_entry_bytes = LIMIT_ENTRY_BYTES;
	o.limits.max_bytes = 32u << 20;
	g = run("bomb.gz", &o);
	ok(has_reason(g.map, "too_large", NULL), "bomb.gz, no ratio limit: too_large");
	is_int(get(g.map, "bytes").via.u64 <= (32u << 20) + (1u << 20), 1,
	    "stopped within a block of the limit");

	job_opts_default(&o);
	o.fail_on_suspicious = 1;
	g = run("trav.zip", &o);
	ok(g.rc != 0 && strcmp(g.error, "path_traversal ../../etc/cron.d/evil") == 0,
	    "fail_on_suspicious: suspicious is failed (%s)", g.error);
}

static void
hex(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static void
sha256_hex(const void *p, size_t len, char *out)
{
	unsigned char d[32];
	unsigned dl = 0;

	EVP_Digest(p, len, d, &dl, EVP_sha256(), NULL);
	hex(d, 32, out);
}

static void
manifest(void)
{
	struct job_opts o;
	struct got g;
	msgpack_object files, f;
	char want[65], path[8192], *buf;
	FILE *fp;
	long len;
	uint32_t i;
	int found = 0;

	job_opts_default(&o);
	o.entry_sha256 = 1;
	g = run("clean.tar", &o);
	files = get(g.map, "files");
	is_int(array_len(files), 5, "clean.tar: 5 entries in the manifest");
	sha256_hex("hello, world\n", 13, want);
	for (i = 0; i < array_len(files); i++) {
		f = files.via.array.ptr[i];
		if (str_is(get(f, "name"), "d/a.txt"))
			found = str_is(get(f, "sha256"), want) && get(f, "size").via.u64 == 13 &&
			    array_len(get(f, "flags")) == 0;
		if (str_is(get(f, "name"), "d/link"))
			ok(array_len(get(f, "flags")) == 1 &&
			    str_is(get(f, "flags").via.array.ptr[0], "symlink"), "a symlink is flagged so");
	}
	ok(found, "entry_sha256: d/a.txt's digest, size, no flags");

	snprintf(path, sizeof path, "%s/clean.tar", corpus);
	fp = fopen(path, "rb");
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)len);
	if (fread(buf, 1, (size_t)len, fp) != (size_t)len)
		len = 0;
	fclose(fp);
	sha256_hex(buf, (size_t)len, want);
	free(buf);
	ok(str_is(get(g.map, "sha256"), want), "the archive's own sha256");

	/* A file left mostly unread: the digest reads the rest. */
	job_opts_default(&o);
	g = run("bomb.zip", &o);
	ok(get(g.map, "sha256").type == MSGPACK_OBJECT_STR && get(g.map, "sha256").via.str.size == 64,
	    "a file left unread still has its digest");

	job_opts_default(&o);
	g = run("nested-ok.zip", &o);
	files = get(g.map, "files");
	found = 0;
	for (i = 0; i < array_len(files); i++)
		if (str_is(get(files.via.array.ptr[i], "name"), "level1.zip!/level2.zip!/inner.txt"))
			found = 1;
	ok(found, "nested entries are named through their archives");

	g = run("nested-trav.tar.gz", &o);
	ok(has_reason(g.map, "path_traversal", "inner.bin!/../../evil"),
	    "a reason inside a nested archive names its way in");

	g = run("name-mismatch.zip", &o);
	ok(has_reason(g.map, "name_mismatch", "../evil.txt") && has_reason(g.map, "path_traversal", "../evil.txt"),
	    "a central directory name unlike its local header's is judged under its own name");

	g = run("many-reasons.tar", &o);
	is_int(array_len(get(g.map, "reasons")), 100, "reasons: capped at 100");
	ok(get(g.map, "reasons_truncated").type == MSGPACK_OBJECT_BOOLEAN &&
	    get(g.map, "reasons_truncated").via.boolean, "and marked truncated");

	o.limits.max_entries = 200000;
	g = run("many.zip", &o);
	ok(strcmp(g.verdict, "clean") == 0, "many.zip under a higher limit: clean");
	is_int(array_len(get(g.map, "files")), 1000, "files: capped at 1000");
	ok(get(g.map, "files_truncated").type == MSGPACK_OBJECT_BOOLEAN, "and marked truncated");
	is_int(get(g.map, "entries").via.u64, 100001, "every entry counted");
	ok(get(g.map, "truncated").type == MSGPACK_OBJECT_NIL, "the result map itself stays whole");
}

/* With a directory: a clean archive written out; a suspicious one left
 * alone, ok, unless the job asks for it too; refused whole else. */
static void
extraction(void)
{
	struct job_opts o;
	struct got g;
	char dir[8192], cmd[8300], path[8300];

	snprintf(dir, sizeof dir, "%s/../x1", corpus);
	mkdir(dir, 0755);
	extract_dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	job_opts_default(&o);
	g = run("clean.zip", &o);
	ok(g.rc == 0 && get(g.map, "extracted").type == MSGPACK_OBJECT_BOOLEAN &&
	    get(g.map, "extracted").via.boolean, "extraction: clean.zip written out");
	snprintf(path, sizeof path, "%s/d/sub/b.txt", dir);
	ok(access(path, F_OK) == 0, "with its files");
	close(extract_dirfd);

	snprintf(dir, sizeof dir, "%s/../x2", corpus);
	mkdir(dir, 0755);
	extract_dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(cmd, sizeof cmd, "test -z \"$(ls -A %s)\"", dir);
	g = run("case.zip", &o);
	ok(g.rc == 0 && strcmp(g.verdict, "suspicious") == 0 &&
	    get(g.map, "extracted").type == MSGPACK_OBJECT_BOOLEAN && !get(g.map, "extracted").via.boolean &&
	    get(g.map, "extract_reason").type == MSGPACK_OBJECT_NIL && g.error[0] == '\0' && system(cmd) == 0,
	    "a suspicious archive by default: ok, not extracted, nothing written (%s)", g.error);
	g = run("dup.tar", &o);
	ok(g.rc == 0 && !get(g.map, "extracted").via.boolean && system(cmd) == 0,
	    "... another: the same, the write-time rules never asked");

	o.extract_suspicious = 1;
	g = run("dup.tar", &o);
	ok(g.rc != 0 && !get(g.map, "extracted").via.boolean &&
	    str_is(get(g.map, "extract_reason"), "duplicate_name") &&
	    str_is(get(g.map, "extract_entry"), "./a.txt"),
	    "extract_suspicious: one the write-time rules refuse: failed, extract_reason, extract_entry (%s)",
	    g.error);
	ok(system(cmd) == 0, "and nothing left");
	g = run("bomb.gz", &o);
	ok(g.rc != 0 && get(g.map, "extracted").type == MSGPACK_OBJECT_BOOLEAN &&
	    !get(g.map, "extracted").via.boolean && system(cmd) == 0,
	    "a rejected archive: not extracted, nothing written");
	g = run("case.zip", &o);
	ok(g.rc == 0 && get(g.map, "extracted").via.boolean && strcmp(g.verdict, "suspicious") == 0,
	    "extract_suspicious: a suspicious archive the rules let through: extracted, ok");
	close(extract_dirfd);
	extract_dirfd = -1;
}

int
main(int argc, char **argv)
{
	char cmd[8192], self[4096];
	struct job_opts o;

	(void)argc;
	res = result_new();
	msgpack_unpacked_init(&u);
	snprintf(corpus, sizeof corpus, "/tmp/corral-unit-archive.XXXXXX");
	if (mkdtemp(corpus) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return done_testing();
	}
	snprintf(self, sizeof self, "%s", argv[0]);
	snprintf(cmd, sizeof cmd, "%s/mkhostile %s/c", dirname(self), corpus);
	ok(system(cmd) == 0, "the corpus is written");
	strcat(corpus, "/c");

	job_opts_default(&o);
	corpus_cases(&o);
	limits();
	manifest();
	extraction();

	snprintf(cmd, sizeof cmd, "rm -rf %.4000s", dirname(corpus));
	system(cmd);
	msgpack_unpacked_destroy(&u);
	result_free(res);
	return done_testing();
}
