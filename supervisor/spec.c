/* spec: what makes a job this job (DESIGN.md, "One pool, many jobs"): the
 * spec a command asks for, the name derived from it, and the comparison
 * with a job's record that refuses "the same job" with another spec. Reads
 * the command's options and records; never touches the store or the loop. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <msgpack.h>
#include <openssl/evp.h>

#include "supervisor/spec.h"

/* "in" and "in/" are the same input. */
static size_t
input_len(const char *in)
{
	size_t n = strlen(in);

	while (n > 1 && in[n - 1] == '/')
		n--;
	return n;
}

/* The name a job gets when none is given: the first input's base name and
 * a digest of the command's identity (working directory, inputs, handler,
 * command, and the stdin list's digest), so the same command run again
 * finds the same job, and another stdin list is another job. */
void
spec_name(const struct job_spec *o, const struct store_job *spec, const char *cwd, char *out,
    size_t len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	char base[41], shard[32] = "";
	const char *first = o->inputs[0];
	size_t i, n = 0;
	int k;

	memset(dig, 0, sizeof dig);
	if (spec->shard_n)
		snprintf(shard, sizeof shard, "-%uof%u", spec->shard_k, spec->shard_n);
	if (md && EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_DigestUpdate(md, cwd, strlen(cwd) + 1);
		EVP_DigestUpdate(md, o->handler, strlen(o->handler) + 1);
		EVP_DigestUpdate(md, o->exec_cmd ? o->exec_cmd : "", strlen(o->exec_cmd ? o->exec_cmd : "") + 1);
		for (k = 0; k < o->ninputs; k++) {
			EVP_DigestUpdate(md, o->inputs[k], input_len(o->inputs[k]));
			EVP_DigestUpdate(md, "", 1);
		}
		/* Only with a list, so that the names of jobs without one
		 * stay what they were. */
		if (spec->has_list)
			EVP_DigestUpdate(md, spec->list_id, sizeof spec->list_id);
		/* Likewise only with --shard: the shards of one tree differ. */
		if (spec->shard_n)
			EVP_DigestUpdate(md, shard, strlen(shard) + 1);
		/* And with filters: they choose another set of files. */
		if (filter_globs(&spec->filter) || filter_sizes(&spec->filter)) {
			uint64_t b[3] = { spec->filter.min_size, (uint64_t)spec->filter.has_max,
			    spec->filter.max_size };

			EVP_DigestUpdate(md, spec->filter.pat, spec->filter.len);
			EVP_DigestUpdate(md, b, sizeof b);
		}
		EVP_DigestFinal_ex(md, dig, &dlen);
	}
	EVP_MD_CTX_free(md);
	/* The base name of the first input, trailing slashes aside. */
	first = scan_base_name(first, &n);
	for (i = 0; i < n && i < sizeof base - 1; i++) {
		char c = first[i];
		base[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ? c : '_';
	}
	base[i] = '\0';
	if (strcmp(first, "-") == 0 || i == 0 || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 ||
	    strcmp(base, "/") == 0)
		snprintf(base, sizeof base, "%s", strcmp(first, "-") == 0 ? "stdin" : "job");
	snprintf(out, len, "%s%s-%02x%02x%02x%02x", base, shard, dig[0], dig[1], dig[2], dig[3]);
}

int
spec_check(const struct job_spec *o, char *err, size_t len)
{
	if (strcmp(o->handler, "exec") == 0) {
		if (o->exec_cmd == NULL || o->exec_cmd[0] == '\0')
			return snprintf(err, len, "-H exec needs a command: -x 'CMD {}'"), -1;
	} else if (o->exec_cmd)
		return snprintf(err, len, "-x gives a command for -H exec, not for -H %s",
		    sup_esc(o->handler, strlen(o->handler))), -1;
	/* Kept whole in the job's record, or replay and a resume would read
	 * another command than the one run. */
	if (o->exec_cmd && strlen(o->exec_cmd) >= sizeof ((struct store_job *)0)->arg)
		return snprintf(err, len, "-x: a command of %zu bytes; %zu at most", strlen(o->exec_cmd),
		    sizeof ((struct store_job *)0)->arg - 1), -1;
	if (o->child.extract && strcmp(o->handler, "archive") != 0)
		return snprintf(err, len, "--extract works with the archive handler only"), -1;
	if (o->child.extract_suspicious && !o->child.extract)
		return snprintf(err, len, "--extract-suspicious needs --extract DIR"), -1;
	if (o->child.extract_suspicious && o->child.fail_on_suspicious)
		return snprintf(err, len, "--extract-suspicious with --fail-on suspicious: "
		    "a failed archive is never extracted"), -1;
	if (o->child.reuse && o->child.extract)
		return snprintf(err, len, "--reuse with --extract: a reused outcome writes "
		    "nothing out"), -1;
	if (o->filter.has_max && o->filter.min_size > o->filter.max_size)
		return snprintf(err, len, "--min-size %llu is more than --max-size %llu: no file "
		    "would be left", (unsigned long long)o->filter.min_size,
		    (unsigned long long)o->filter.max_size), -1;
	return 0;
}

#define GAVE(given, bit)	((given) & UINT64_C(1) << (bit))

/* The children's options that a bit of SUBMIT's given stands for alone. */
#define GIVEN_OPT(bit, member)	{ bit, offsetof(struct job_opts, member), \
	sizeof ((struct job_opts *)0)->member }
static const struct {
	int bit;
	size_t off, size;
} given_opts[] = {
	GIVEN_OPT(CTL_GIVEN_MAX_ENTRIES, limits.max_entries),
	GIVEN_OPT(CTL_GIVEN_MAX_BYTES, limits.max_bytes),
	GIVEN_OPT(CTL_GIVEN_MAX_ENTRY_BYTES, limits.max_entry_bytes),
	GIVEN_OPT(CTL_GIVEN_MAX_RATIO, limits.max_ratio),
	GIVEN_OPT(CTL_GIVEN_MAX_DEPTH, limits.max_depth),
	GIVEN_OPT(CTL_GIVEN_MAX_NAME, limits.max_name),
	GIVEN_OPT(CTL_GIVEN_ENTRY_SHA256, entry_sha256),
	GIVEN_OPT(CTL_GIVEN_FAIL_ON, fail_on_suspicious),
	GIVEN_OPT(CTL_GIVEN_FORMATS, formats),
	GIVEN_OPT(CTL_GIVEN_EXTRACT_SUSPICIOUS, extract_suspicious),
	GIVEN_OPT(CTL_GIVEN_MEMORY_LIMIT, sandbox.memory_limit),
	GIVEN_OPT(CTL_GIVEN_MAX_TASKS, max_tasks),
	GIVEN_OPT(CTL_GIVEN_MAX_RSS, max_rss),
	GIVEN_OPT(CTL_GIVEN_MAX_RSS, max_rss_hard),
	GIVEN_OPT(CTL_GIVEN_REUSE, reuse),
	GIVEN_OPT(CTL_GIVEN_MAX_STRIKES, max_strikes),
};

void
spec_submitted(const struct job_spec *def, const struct ctl_submit *q, uint64_t given,
    struct job_spec *spec, char *handler, char *arg, char *extract)
{
	const struct job_opts *qo = &q->opts;
	struct job_opts *o = &spec->child;
	size_t i;

	if (def)
		*spec = *def;
	else {
		memset(spec, 0, sizeof *spec);
		*o = *qo;
		given = CTL_GIVEN_ALL;
	}
	/* The handler and its command go together. */
	if (GAVE(given, CTL_GIVEN_HANDLER) || GAVE(given, CTL_GIVEN_EXEC)) {
		snprintf(handler, CTL_CMD_MAX + 1, "%.*s", (int)q->handler_len, q->handler);
		snprintf(arg, CTL_CMD_MAX + 1, "%.*s", (int)q->arg_len, q->arg);
		spec->handler = handler;
		spec->exec_cmd = strcmp(handler, "exec") == 0 ? arg : NULL;
	}
	if (GAVE(given, CTL_GIVEN_TIMEOUT)) {
		spec->timeout_ms = q->timeout_ms;
		spec->timeout_pct = q->timeout_pct;
	}
	if (GAVE(given, CTL_GIVEN_STALL))
		spec->stall_ms = q->stall_ms;
	if (GAVE(given, CTL_GIVEN_RETRIES))
		spec->retries = q->retries;
	if (GAVE(given, CTL_GIVEN_HALT_RATE))
		spec->halt_rate = q->halt_rate;
	if (GAVE(given, CTL_GIVEN_HALT_MIN))
		spec->halt_min = q->halt_min;
	if (GAVE(given, CTL_GIVEN_PRIORITY))
		spec->priority = q->priority;
	if (GAVE(given, CTL_GIVEN_RECHECK))
		spec->recheck = q->recheck;
	if (GAVE(given, CTL_GIVEN_SHARD)) {
		spec->shard_k = q->shard_k;
		spec->shard_n = q->shard_n;
	}
	if (GAVE(given, CTL_GIVEN_INCLUDE)) {
		if (q->filters_len > 0)	/* left out: none, and no bytes */
			memcpy(spec->filter.pat, q->filters, q->filters_len);
		spec->filter.len = (uint32_t)q->filters_len;
	}
	if (GAVE(given, CTL_GIVEN_SIZE)) {
		spec->filter.min_size = q->min_size;
		spec->filter.has_max = q->has_max_size;
		spec->filter.max_size = q->max_size;
	}
	if (GAVE(given, CTL_GIVEN_HALT)) {
		spec->halt_fail = q->halt_fail;
		spec->halt_soon = q->halt_soon;
	}
	if (GAVE(given, CTL_GIVEN_EXTRACT)) {
		snprintf(extract, CTL_PATH_MAX + 1, "%.*s", (int)q->extract_len, q->extract);
		spec->extract_dir = q->extract_len > 0 ? extract : NULL;
		o->extract = qo->extract;
	}
	for (i = 0; i < sizeof given_opts / sizeof given_opts[0]; i++)
		if (GAVE(given, given_opts[i].bit))
			memcpy((char *)o + given_opts[i].off, (const char *)qo + given_opts[i].off,
			    given_opts[i].size);
	/* The defaults that the client's own options rule out. */
	if (!GAVE(given, CTL_GIVEN_EXTRACT) && strcmp(spec->handler, "archive") != 0) {
		spec->extract_dir = NULL;
		o->extract = 0;
	}
	if (!GAVE(given, CTL_GIVEN_EXTRACT_SUSPICIOUS) && (!o->extract ||
	    (GAVE(given, CTL_GIVEN_FAIL_ON) && o->fail_on_suspicious)))
		o->extract_suspicious = 0;
	if (!GAVE(given, CTL_GIVEN_FAIL_ON) && GAVE(given, CTL_GIVEN_EXTRACT_SUSPICIOUS) &&
	    o->extract_suspicious)
		o->fail_on_suspicious = 0;
}

/* This command's spec into rec: everything that decides a file's outcome
 * (docs/state.md, "The job's spec"). Pool options (-j, --depth) and what
 * is shown (-q, -v, --json, --stats) are not part of it. */
void
spec_fill(const struct job_spec *o, const char *cwd, struct store_job *rec)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned dlen = 0;
	size_t n;
	int k;

	snprintf(rec->handler, sizeof rec->handler, "%s", o->handler);
	snprintf(rec->arg, sizeof rec->arg, "%s", o->exec_cmd ? o->exec_cmd : "");
	/* The inputs as named, relative ones from where they were named. */
	memset(rec->inputs_id, 0, sizeof rec->inputs_id);
	if (md && EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		for (k = 0; k < o->ninputs; k++) {
			if (o->inputs[k][0] != '/' && strcmp(o->inputs[k], "-") != 0) {
				EVP_DigestUpdate(md, cwd, strlen(cwd));
				EVP_DigestUpdate(md, "/", 1);
			}
			EVP_DigestUpdate(md, o->inputs[k], input_len(o->inputs[k]));
			EVP_DigestUpdate(md, "", 1);
		}
		EVP_DigestFinal_ex(md, rec->inputs_id, &dlen);
	}
	EVP_MD_CTX_free(md);
	rec->timeout_ms = o->timeout_ms;
	rec->retries = o->retries;
	rec->halt_rate = o->halt_rate;
	rec->halt_min = o->halt_rate > 0 ? o->halt_min : 0;
	rec->extract[0] = '\0';
	if (o->extract_dir) {
		n = input_len(o->extract_dir);
		if (o->extract_dir[0] == '/')
			snprintf(rec->extract, sizeof rec->extract, "%.*s", (int)n, o->extract_dir);
		else
			snprintf(rec->extract, sizeof rec->extract, "%s/%.*s", cwd, (int)n,
			    o->extract_dir);
	}
	rec->opts = o->child;
	rec->opts_raw_len = 0;
	rec->stall_ms = o->stall_ms;
	rec->timeout_pct = o->timeout_pct;
	rec->shard_k = o->shard_n ? o->shard_k : 0;
	rec->shard_n = o->shard_n;
	rec->filter = o->filter;
	rec->halt_fail = o->halt_fail;
	rec->halt_soon = o->halt_fail > 0 || o->halt_rate > 0 ? o->halt_soon : 0;
	rec->has = STORE_HAS_ALL;
}

void
spec_reuse_key(const struct store_job *rec, uint8_t out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	struct job_opts opts = rec->opts;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	uint64_t v[4] = { rec->timeout_ms, rec->retries, rec->stall_ms, rec->timeout_pct };
	uint8_t num[sizeof v];
	unsigned dlen = 0;
	size_t i;

	memset(out, 0, 32);
	/* Recycling replaces children, never changes an outcome. */
	opts.reuse = 0;
	opts.max_tasks = opts.max_rss = opts.max_rss_hard = 0;
	for (i = 0; i < sizeof num; i++)
		num[i] = (uint8_t)(v[i / 8] >> (56 - 8 * (i % 8)));
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (md && job_opts_pack(&opts, &pk) == 0 && EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_DigestUpdate(md, rec->handler, strlen(rec->handler) + 1);
		EVP_DigestUpdate(md, rec->arg, strlen(rec->arg) + 1);
		EVP_DigestUpdate(md, num, sizeof num);
		EVP_DigestUpdate(md, sb.data, sb.size);
		EVP_DigestFinal_ex(md, out, &dlen);
	}
	msgpack_sbuffer_destroy(&sb);
	EVP_MD_CTX_free(md);
}

/* How the spec's fields are named on the command line, and shown. */
enum show { SHOW_NUM, SHOW_SIZE, SHOW_FLAG, SHOW_NOFLAG, SHOW_FORMATS };
static const struct {
	const char *key, *option;
	enum show show;
} opt_names[] = {
	{ "max_entries", "--max-entries", SHOW_NUM },
	{ "max_bytes", "--max-bytes", SHOW_SIZE },
	{ "max_entry_bytes", "--max-entry-bytes", SHOW_SIZE },
	{ "max_ratio", "--max-ratio", SHOW_NUM },
	{ "max_depth", "--max-depth", SHOW_NUM },
	{ "max_name", "--max-name", SHOW_NUM },
	{ "formats", "--formats", SHOW_FORMATS },
	{ "entry_sha256", "--entry-sha256", SHOW_FLAG },
	{ "fail_on_suspicious", "--fail-on suspicious", SHOW_FLAG },
	{ "extract", "--extract", SHOW_FLAG },
	{ "extract_suspicious", "--extract-suspicious", SHOW_FLAG },
	{ "sandbox", "--no-sandbox", SHOW_NOFLAG },
	{ "memory_limit", "--memory-limit", SHOW_SIZE },
	{ "cpu_s", "--timeout (its CPU limit, seconds)", SHOW_NUM },
	{ "drop", "--user", SHOW_FLAG },
	{ "uid", "--user (uid)", SHOW_NUM },
	{ "gid", "--user (gid)", SHOW_NUM },
	{ "max_tasks", "--max-tasks-per-child", SHOW_NUM },
	{ "max_rss", "--max-child-rss", SHOW_SIZE },
	{ "max_rss_hard", "--max-child-rss (its hard cap)", SHOW_SIZE },
	{ "reuse", "--reuse", SHOW_FLAG },
	{ "max_strikes", "--max-strikes", SHOW_NUM },
};

static void
show_value(char *out, size_t len, enum show how, uint64_t v)
{
	static const char units[] = "KMGTPE";
	int u = -1;

	switch (how) {
	case SHOW_FLAG:
	case SHOW_NOFLAG:
		snprintf(out, len, "%s", (v != 0) == (how == SHOW_FLAG) ? "on" : "off");
		break;
	case SHOW_FORMATS:
		formats_string((uint32_t)v, out, len);
		break;
	case SHOW_SIZE:
		while (v != 0 && u < 5 && v % 1024 == 0) {
			v /= 1024;
			u++;
		}
		if (u >= 0) {
			snprintf(out, len, "%llu%c", (unsigned long long)v, units[u]);
			break;
		}
		/* FALLTHROUGH */
	case SHOW_NUM:
		snprintf(out, len, "%llu", (unsigned long long)v);
		break;
	}
}

static void
show_pct(char *out, size_t len, uint32_t pct)
{
	if (pct == 0)
		snprintf(out, len, "a fixed cap");
	else
		snprintf(out, len, "%u%%", pct);
}

static void
show_ms(char *out, size_t len, uint64_t ms)
{
	if (ms == 0)
		snprintf(out, len, "off");
	else if (ms % 60000 == 0)
		snprintf(out, len, "%llum", (unsigned long long)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(out, len, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(out, len, "%llums", (unsigned long long)ms);
}

static const msgpack_object *
map_get(const msgpack_object *map, const char *key, size_t klen)
{
	uint32_t i;

	for (i = 0; i < map->via.map.size; i++) {
		const msgpack_object *k = &map->via.map.ptr[i].key;

		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == klen &&
		    memcmp(k->via.str.ptr, key, klen) == 0)
			return &map->via.map.ptr[i].val;
	}
	return NULL;
}

/* The children's options: the first key in which they differ, of the keys
 * the old record holds (one from before a key existed is compared on the
 * others). Returns 1 with option and values filled, or 0. */
static int
opts_diff(const struct store_job *old, const struct store_job *new, const char **option,
    char *was, char *now, size_t len)
{
	static char unknown[64];
	msgpack_sbuffer ob, nb;
	msgpack_packer pk;
	msgpack_unpacked ou, nu;
	const msgpack_object *ov;
	size_t off = 0, i;
	uint32_t k;
	int r = 0;

	msgpack_sbuffer_init(&ob);
	msgpack_sbuffer_init(&nb);
	msgpack_unpacked_init(&ou);
	msgpack_unpacked_init(&nu);
	if (old->opts_raw_len > 0)
		msgpack_sbuffer_write(&ob, (const char *)old->opts_raw, old->opts_raw_len);
	else {
		msgpack_packer_init(&pk, &ob, msgpack_sbuffer_write);
		job_opts_pack(&old->opts, &pk);
	}
	msgpack_packer_init(&pk, &nb, msgpack_sbuffer_write);
	if (job_opts_pack(&new->opts, &pk) < 0 ||
	    msgpack_unpack_next(&ou, ob.data, ob.size, &off) != MSGPACK_UNPACK_SUCCESS ||
	    ou.data.type != MSGPACK_OBJECT_MAP || (off = 0,
	    msgpack_unpack_next(&nu, nb.data, nb.size, &off) != MSGPACK_UNPACK_SUCCESS))
		goto out;
	for (k = 0; k < nu.data.via.map.size && r == 0; k++) {
		const msgpack_object *key = &nu.data.via.map.ptr[k].key, *nv = &nu.data.via.map.ptr[k].val;
		enum show how = SHOW_NUM;

		ov = map_get(&ou.data, key->via.str.ptr, key->via.str.size);
		if (ov == NULL || ov->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    nv->type != MSGPACK_OBJECT_POSITIVE_INTEGER || ov->via.u64 == nv->via.u64)
			continue;
		snprintf(unknown, sizeof unknown, "%.*s", (int)key->via.str.size, key->via.str.ptr);
		*option = unknown;
		for (i = 0; i < sizeof opt_names / sizeof opt_names[0]; i++)
			if (strcmp(opt_names[i].key, unknown) == 0) {
				*option = opt_names[i].option;
				how = opt_names[i].show;
			}
		show_value(was, len, how, ov->via.u64);
		show_value(now, len, how, nv->via.u64);
		r = 1;
	}
out:
	msgpack_unpacked_destroy(&ou);
	msgpack_unpacked_destroy(&nu);
	msgpack_sbuffer_destroy(&ob);
	msgpack_sbuffer_destroy(&nb);
	return r;
}

static void
show_rate(char *out, size_t len, double rate)
{
	if (rate <= 0)
		snprintf(out, len, "off");
	else
		snprintf(out, len, "%g%%", rate * 100);
}

static void
show_shard(char *out, size_t len, const struct store_job *j)
{
	if (j->shard_n == 0)
		snprintf(out, len, "off");
	else
		snprintf(out, len, "%u/%u", j->shard_k, j->shard_n);
}

/* The patterns as a command line gives them, or "none". */
static void
show_globs(char *out, size_t len, const struct filter *f)
{
	const char *pat;
	uint32_t off = 0;
	size_t at = 0;
	int include, n;

	snprintf(out, len, "none");
	while (at < len && filter_next(f, &off, &pat, &include)) {
		n = snprintf(out + at, len - at, "%s--%s '%s'", at ? " " : "",
		    include ? "include" : "exclude", sup_esc(pat, strlen(pat)));
		if (n < 0)
			break;
		at += (size_t)n;
	}
}

static void
show_bound(char *out, size_t len, int has, uint64_t v)
{
	if (!has)
		snprintf(out, len, "off");
	else
		snprintf(out, len, "%llu", (unsigned long long)v);
}

static void
show_halt(char *out, size_t len, const struct store_job *j)
{
	const char *when = j->halt_soon ? "soon" : "now";

	if (j->halt_fail > 0)
		snprintf(out, len, "%s,fail=%llu", when, (unsigned long long)j->halt_fail);
	else if (j->halt_rate > 0)
		snprintf(out, len, "%s,fail=%g%%", when, j->halt_rate * 100);
	else
		snprintf(out, len, "off");
}

/* The filters and --halt W,fail=N: the first that differs, as
 * spec_differs says it. 1 or 0. */
static int
later_differs(const struct store_job *old, const struct store_job *new, const char **option,
    char *was, char *now, size_t len)
{
	const struct filter *o = &old->filter, *n = &new->filter;

	if ((old->has & STORE_HAS_FILTER) &&
	    (o->len != n->len || memcmp(o->pat, n->pat, o->len) != 0)) {
		*option = "--include/--exclude";
		show_globs(was, len, o);
		show_globs(now, len, n);
	} else if ((old->has & STORE_HAS_FILTER) && o->min_size != n->min_size) {
		*option = "--min-size";
		show_bound(was, len, o->min_size > 0, o->min_size);
		show_bound(now, len, n->min_size > 0, n->min_size);
	} else if ((old->has & STORE_HAS_FILTER) &&
	    (o->has_max != n->has_max || o->max_size != n->max_size)) {
		*option = "--max-size";
		show_bound(was, len, o->has_max, o->max_size);
		show_bound(now, len, n->has_max, n->max_size);
	} else if ((old->has & STORE_HAS_HALT_FAIL) &&
	    (old->halt_fail != new->halt_fail || old->halt_soon != new->halt_soon)) {
		*option = "--halt";
		show_halt(was, len, old);
		show_halt(now, len, new);
	} else
		return 0;
	return 1;
}

/* The first option in which new differs from old, and its two values
 * (len bytes each). A field the old record does not hold (it is older than
 * the field) is not compared. 1 or 0. */
int
spec_differs(const struct store_job *old, const struct store_job *new, const char **optionp,
    char *was, char *now, size_t len)
{
	const char *option = NULL;

	if (strcmp(old->handler, new->handler) != 0) {
		option = "-H";
		snprintf(was, len, "%s", sup_esc(old->handler, strlen(old->handler)));
		snprintf(now, len, "%s", sup_esc(new->handler, strlen(new->handler)));
	} else if (strcmp(old->arg, new->arg) != 0) {
		option = "-x";
		snprintf(was, len, "%s", sup_esc(old->arg, strlen(old->arg)));
		snprintf(now, len, "%s", sup_esc(new->arg, strlen(new->arg)));
	} else if ((old->has & STORE_HAS_INPUTS) &&
	    memcmp(old->inputs_id, new->inputs_id, sizeof old->inputs_id) != 0) {
		option = "inputs";
		snprintf(was, len, "%s", old->inputs);
		snprintf(now, len, "%s%s", new->inputs, strcmp(old->inputs, new->inputs) == 0 ?
		    " (named from another directory)" : "");
	} else if ((old->has & STORE_HAS_LIST) && old->has_list && new->has_list &&
	    memcmp(old->list_id, new->list_id, sizeof old->list_id) != 0) {
		option = "the stdin list";
		snprintf(was, len, "sha256:%02x%02x%02x%02x...", old->list_id[0],
		    old->list_id[1], old->list_id[2], old->list_id[3]);
		snprintf(now, len, "sha256:%02x%02x%02x%02x...", new->list_id[0],
		    new->list_id[1], new->list_id[2], new->list_id[3]);
	} else if ((old->has & STORE_HAS_TIMEOUT) && old->timeout_ms != new->timeout_ms) {
		option = "--timeout";
		show_ms(was, len, old->timeout_ms);
		show_ms(now, len, new->timeout_ms);
	} else if ((old->has & STORE_HAS_RETRIES) && old->retries != new->retries) {
		option = "--retries";
		snprintf(was, len, "%u", old->retries);
		snprintf(now, len, "%u", new->retries);
	} else if ((old->has & STORE_HAS_HALT) && old->halt_rate != new->halt_rate &&
	    !(old->halt_rate > 0 && new->halt_rate > 0 &&
	    fabs(old->halt_rate - new->halt_rate) <= 1e-12 * new->halt_rate)) {
		option = "--halt-on-error";
		show_rate(was, len, old->halt_rate);
		show_rate(now, len, new->halt_rate);
	} else if ((old->has & STORE_HAS_HALT) && old->halt_min != new->halt_min) {
		option = "--halt-min-sample";
		snprintf(was, len, "%llu", (unsigned long long)old->halt_min);
		snprintf(now, len, "%llu", (unsigned long long)new->halt_min);
	} else if ((old->has & STORE_HAS_EXTRACT) && strcmp(old->extract, new->extract) != 0) {
		option = "--extract";
		snprintf(was, len, "%s", old->extract[0] ?
		    sup_esc(old->extract, strlen(old->extract)) : "off");
		snprintf(now, len, "%s", new->extract[0] ?
		    sup_esc(new->extract, strlen(new->extract)) : "off");
	} else if ((old->has & STORE_HAS_STALL) && old->stall_ms != new->stall_ms) {
		option = "--stall";
		show_ms(was, len, old->stall_ms);
		show_ms(now, len, new->stall_ms);
	} else if ((old->has & STORE_HAS_STALL) && old->timeout_pct != new->timeout_pct) {
		option = "--timeout";
		show_pct(was, len, old->timeout_pct);
		show_pct(now, len, new->timeout_pct);
	} else if ((old->has & STORE_HAS_SHARD) &&
	    (old->shard_k != new->shard_k || old->shard_n != new->shard_n)) {
		option = "--shard";
		show_shard(was, len, old);
		show_shard(now, len, new);
	} else if (later_differs(old, new, &option, was, now, len))
		;
	else if (!(old->has & STORE_HAS_OPTS) || !opts_diff(old, new, &option, was, now, len))
		return 0;
	*optionp = option;
	return 1;
}

/* Whether this command asks another spec of a job that exists: the first
 * option that differs, old and new, in why. 1 or 0. */
int
spec_diff(const struct store_job *old, const struct store_job *new, char *why, size_t len)
{
	char was[4200], now[4200];
	const char *option = NULL;

	if (!spec_differs(old, new, &option, was, now, sizeof was))
		return 0;
	snprintf(why, len, "job %s was run with %s %s; this command has %s %s: a job's inputs and "
	    "options are fixed when it starts; give --job NEWNAME to run this as a new job", old->name,
	    option, was, option, now);
	return 1;
}

int
spec_wire_opts(const struct job_opts *o, char **data, size_t *len)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (job_opts_pack(o, &pk) < 0) {
		msgpack_sbuffer_destroy(&sb);
		return -1;
	}
	*data = sb.data;
	*len = sb.size;
	return 0;
}
