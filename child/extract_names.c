/* extract_names: name rules and the set of names made. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "child/extract_names.h"
#include "common/utf8.h"

const char *
names_norm(const char *raw, uint32_t max, char *out, size_t *outlen, unsigned *ups)
{
	const unsigned char *p = (const unsigned char *)raw;
	size_t n = strlen(raw), i, j, o = 0;

	if (n == 0)
		return "empty_name";
	if (n > max || n >= PATH_MAX)
		return "name_too_long";
	if (!utf8_valid(raw, n))
		return "bad_name_encoding";
	for (i = 0; i < n; i++) {
		/* C0, DEL, and C1 (U+0080..U+009F, 0xc2 0x80..0x9f). */
		if (p[i] < 0x20 || p[i] == 0x7f ||
		    (p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f))
			return "control_char";
		if (p[i] == '\\')
			return "backslash";
	}
	if (raw[0] == '/')
		return "absolute_path";
	if (n >= 2 && raw[1] == ':' &&
	    ((raw[0] >= 'a' && raw[0] <= 'z') || (raw[0] >= 'A' && raw[0] <= 'Z')))
		return "drive_letter";
	if (ups)
		*ups = 0;
	for (i = 0; i < n; i = j + 1) {
		for (j = i; j < n && raw[j] != '/'; j++)
			;
		if (j == i || (j - i == 1 && raw[i] == '.'))
			continue;
		if (j - i == 2 && raw[i] == '.' && raw[i + 1] == '.') {
			if (!ups || o > 0)
				return "path_traversal";
			(*ups)++;
			continue;
		}
		if (j - i > NAME_MAX)
			return "name_too_long";
		if (o > 0)
			out[o++] = '/';
		memcpy(out + o, raw + i, j - i);
		o += j - i;
	}
	out[o] = '\0';
	*outlen = o;
	return NULL;
}

size_t
names_split(const char *path, size_t len, const char **leaf)
{
	size_t i = len;

	while (i > 0 && path[i - 1] != '/')
		i--;
	*leaf = path + i;
	return i > 0 ? i - 1 : 0;
}

/* FNV-1a from a seeded basis, then MurmurHash3's finalizer so that every
 * bit of the seed reaches the low bits the index uses. */
static uint64_t
hash(uint64_t seed, const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull ^ seed;

	while (n--)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

long
names_find(const struct names *s, const char *path, size_t len)
{
	size_t i, mask = s->indexcap - 1;
	uint32_t k;

	if (s->indexcap == 0)
		return -1;
	for (i = hash(s->seed, path, len) & mask; (k = s->index[i]) != 0; i = (i + 1) & mask)
		if (strncmp(s->v[k - 1].path, path, len) == 0 && s->v[k - 1].path[len] == '\0')
			return (long)k - 1;
	return -1;
}

static void
index_put(struct names *s, size_t pos)
{
	const char *p = s->v[pos].path;
	size_t i, mask = s->indexcap - 1;

	for (i = hash(s->seed, p, strlen(p)) & mask; s->index[i] != 0; i = (i + 1) & mask)
		;
	s->index[i] = (uint32_t)pos + 1;
}

int
names_reserve(struct names *s)
{
	size_t i;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct made *v = realloc(s->v, cap * sizeof *v);

		if (!v)
			goto nomem;
		s->v = v;
		s->cap = cap;
	}
	if ((s->n + 1) * 2 >= s->indexcap) {
		size_t cap = s->indexcap ? s->indexcap * 2 : 128;
		uint32_t *ix;

		if (s->n >= UINT32_MAX / 2 || (ix = calloc(cap, sizeof *ix)) == NULL)
			goto nomem;
		free(s->index);
		s->index = ix;
		s->indexcap = cap;
		for (i = 0; i < s->n; i++)
			index_put(s, i);
	}
	return 0;
nomem:
	errno = ENOMEM;
	return -1;
}

struct made *
names_add(struct names *s, char *path, enum made_type type)
{
	struct made *m = &s->v[s->n];

	m->path = path;
	m->type = (unsigned char)type;
	m->has_mtime = 0;
	index_put(s, s->n++);
	return m;
}

void
names_free(struct names *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].path);
	free(s->v);
	free(s->index);
	s->v = NULL;
	s->index = NULL;
	s->n = s->cap = s->indexcap = 0;
}
