/* jobopts: a job's options for its children: their defaults, and their form
 * as one msgpack map, the same in the JOB message and in the job's record. */
#include <string.h>

#include <msgpack.h>

#include "ipc/jobopts.h"

void
job_opts_default(struct job_opts *o)
{
	memset(o, 0, sizeof *o);
	o->limits.max_entries = LIMIT_ENTRIES;
	o->limits.max_bytes = LIMIT_BYTES;
	o->limits.max_entry_bytes = LIMIT_ENTRY_BYTES;
	o->limits.max_ratio = LIMIT_RATIO;
	o->limits.max_depth = LIMIT_DEPTH;
	o->limits.max_name = LIMIT_NAME;
	o->formats = FORMATS_DEFAULT;
	o->sandbox.enabled = 1;
	o->sandbox.memory_limit = SANDBOX_MEMORY;
	o->max_strikes = MAX_STRIKES_DEFAULT;
}

static const char *const format_names[FMT__N] = {
	[FMT_7ZIP] = "7zip", [FMT_AR] = "ar", [FMT_CAB] = "cab", [FMT_CPIO] = "cpio",
	[FMT_EMPTY] = "empty", [FMT_ISO9660] = "iso9660", [FMT_LHA] = "lha",
	[FMT_MTREE] = "mtree", [FMT_RAR] = "rar", [FMT_RAR5] = "rar5", [FMT_TAR] = "tar",
	[FMT_WARC] = "warc", [FMT_XAR] = "xar", [FMT_ZIP] = "zip",
};

const char *
format_name(unsigned b)
{
	return b < FMT__N ? format_names[b] : NULL;
}

static int
format_find(const char *p, size_t n, uint32_t *set)
{
	unsigned b;

	if (n == 3 && memcmp(p, "all", 3) == 0) {
		*set = FORMATS_ALL;
		return 0;
	}
	if (n == 7 && memcmp(p, "default", 7) == 0) {
		*set = FORMATS_DEFAULT;
		return 0;
	}
	for (b = 0; b < FMT__N; b++)
		if (strlen(format_names[b]) == n && memcmp(format_names[b], p, n) == 0) {
			*set = 1u << b;
			return 0;
		}
	return -1;
}

int
formats_parse(const char *spec, uint32_t *out, const char **bad, size_t *badlen)
{
	uint32_t set = FORMATS_DEFAULT, one;
	const char *p = spec, *end;
	size_t n;
	int first = 1;
	char sign;

	for (;;) {
		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		sign = n > 0 && (*p == '+' || *p == '-') ? *p : 0;
		if (format_find(p + !!sign, n - !!sign, &one) < 0) {
			*bad = p;
			*badlen = n;
			return -1;
		}
		if (first && !sign)
			set = 0;
		first = 0;
		if (sign == '-')
			set &= ~one;
		else
			set |= one;
		if (end == NULL)
			break;
		p = end + 1;
	}
	*out = set;
	return 0;
}

void
formats_string(uint32_t set, char *buf, size_t len)
{
	size_t at = 0, n;
	unsigned b;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (b = 0; b < FMT__N; b++) {
		if (!(set & (1u << b)))
			continue;
		n = strlen(format_names[b]);
		if (at + n + 2 > len)
			break;
		if (at > 0)
			buf[at++] = ',';
		memcpy(buf + at, format_names[b], n + 1);
		at += n;
	}
}

/* Every option as a key and where it lives; all are unsigned integers
 * (flags 0 or 1) no larger than their field holds. */
#define U64(name, field) { name, offsetof(struct job_opts, field), 8 }
#define U32(name, field) { name, offsetof(struct job_opts, field), 4 }
#define INT(name, field) { name, offsetof(struct job_opts, field), 1 }
static const struct {
	const char *key;
	size_t off;
	int size;	/* 8, 4, or 1 for an int flag */
} keys[] = {
	U64("max_entries", limits.max_entries),
	U64("max_bytes", limits.max_bytes),
	U64("max_entry_bytes", limits.max_entry_bytes),
	U64("max_ratio", limits.max_ratio),
	U32("max_depth", limits.max_depth),
	U32("max_name", limits.max_name),
	U32("formats", formats),
	INT("entry_sha256", entry_sha256),
	INT("fail_on_suspicious", fail_on_suspicious),
	INT("extract", extract),
	INT("extract_suspicious", extract_suspicious),
	INT("sandbox", sandbox.enabled),
	U64("memory_limit", sandbox.memory_limit),
	U32("cpu_s", sandbox.cpu_s),
	INT("drop", sandbox.drop),
	U32("uid", sandbox.uid),
	U32("gid", sandbox.gid),
	U64("max_tasks", max_tasks),
	U64("max_rss", max_rss),
	U64("max_rss_hard", max_rss_hard),
	INT("reuse", reuse),
	U32("max_strikes", max_strikes),
};
#define NKEYS (sizeof keys / sizeof keys[0])

static uint64_t
get(const struct job_opts *o, size_t i)
{
	const char *p = (const char *)o + keys[i].off;
	uint64_t v64;
	uint32_t v32;
	int vi;

	switch (keys[i].size) {
	case 8:
		memcpy(&v64, p, 8);
		return v64;
	case 4:
		memcpy(&v32, p, 4);
		return v32;
	default:
		memcpy(&vi, p, sizeof vi);
		return (uint64_t)vi;
	}
}

static int
set(struct job_opts *o, size_t i, uint64_t v)
{
	char *p = (char *)o + keys[i].off;
	uint32_t v32 = (uint32_t)v;
	int vi = (int)v;

	switch (keys[i].size) {
	case 8:
		memcpy(p, &v, 8);
		return 0;
	case 4:
		if (v > UINT32_MAX)
			return -1;
		memcpy(p, &v32, 4);
		return 0;
	default:
		if (v > 1)
			return -1;
		memcpy(p, &vi, sizeof vi);
		return 0;
	}
}

int
job_opts_pack(const struct job_opts *o, msgpack_packer *pk)
{
	size_t i;
	int r;

	r = msgpack_pack_map(pk, NKEYS);
	for (i = 0; i < NKEYS; i++) {
		r |= msgpack_pack_str_with_body(pk, keys[i].key, strlen(keys[i].key));
		r |= msgpack_pack_uint64(pk, get(o, i));
	}
	return r ? -1 : 0;
}

int
job_opts_unpack(const msgpack_object *map, struct job_opts *o, const char **why)
{
	uint32_t i;
	size_t k;

	job_opts_default(o);
	if (map->type != MSGPACK_OBJECT_MAP) {
		*why = "options are not a map";
		return -1;
	}
	for (i = 0; i < map->via.map.size; i++) {
		const msgpack_object *key = &map->via.map.ptr[i].key, *v = &map->via.map.ptr[i].val;

		if (key->type != MSGPACK_OBJECT_STR) {
			*why = "an option name that is not a string";
			return -1;
		}
		for (k = 0; k < NKEYS; k++)
			if (strlen(keys[k].key) == key->via.str.size &&
			    memcmp(keys[k].key, key->via.str.ptr, key->via.str.size) == 0)
				break;
		if (k == NKEYS)
			continue;	/* from a later version: its default stands */
		if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER || set(o, k, v->via.u64) < 0) {
			*why = "an option out of range";
			return -1;
		}
	}
	return 0;
}
