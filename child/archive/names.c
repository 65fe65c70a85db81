/* names: what an entry's name and link target would do to the directory it
 * is extracted into, judged from the bytes alone, and the sets of names
 * that catch duplicates, case collisions and writes through links. Only
 * 64-bit hashes are kept, so a hostile archive of 100,000 long names costs
 * 16 bytes a name, not the names. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "child/archive/inspect.h"
#include "common/utf8.h"

#define SET_MIN		64
/* A set this big after a file is freed, not kept for the next. */
#define SET_KEEP	(1u << 14)

/* FNV-1a keyed by salt, in steps, so that every prefix of a path is
 * hashed in one pass over it; a finalizer makes the low bits good too. */
static uint64_t
hash_more(uint64_t h, const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t
hash_end(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h ? h : 1;
}

uint64_t
name_hash(uint64_t salt, const char *p, size_t len)
{
	return hash_end(hash_more(0xcbf29ce484222325ull ^ salt, p, len));
}

static int
set_grow(struct nameset *s)
{
	size_t cap = s->cap ? s->cap * 2 : SET_MIN, i, j;
	uint64_t *slot = calloc(cap, sizeof *slot);

	if (slot == NULL)
		return -1;
	for (i = 0; i < s->cap; i++) {
		if (s->slot[i] == 0)
			continue;
		for (j = s->slot[i] & (cap - 1); slot[j] != 0; j = (j + 1) & (cap - 1))
			;
		slot[j] = s->slot[i];
	}
	free(s->slot);
	s->slot = slot;
	s->cap = cap;
	return 0;
}

int
nameset_has(const struct nameset *s, uint64_t h)
{
	size_t j;

	if (s->n == 0)
		return 0;
	for (j = h & (s->cap - 1); s->slot[j] != 0; j = (j + 1) & (s->cap - 1))
		if (s->slot[j] == h)
			return 1;
	return 0;
}

int
nameset_add(struct nameset *s, uint64_t h)
{
	size_t j;

	if (h == 0)
		h = 1;
	if (nameset_has(s, h))
		return 1;
	/* Half full at most: probes stay short. */
	if ((s->n + 1) * 2 > s->cap && set_grow(s) < 0) {
		errno = ENOMEM;
		return -1;
	}
	for (j = h & (s->cap - 1); s->slot[j] != 0; j = (j + 1) & (s->cap - 1))
		;
	s->slot[j] = h;
	s->n++;
	return 0;
}

void
nameset_clear(struct nameset *s)
{
	if (s->n == 0)
		return;
	if (s->cap > SET_KEEP) {
		free(s->slot);
		s->slot = NULL;
		s->cap = 0;
	} else
		memset(s->slot, 0, s->cap * sizeof *s->slot);
	s->n = 0;
}

static int
is_sep(char c)
{
	return c == '/' || c == '\\';
}

static int
is_dotdot(const char *p, size_t len)
{
	return len == 2 && p[0] == '.' && p[1] == '.';
}

uint64_t
name_check(const char *name, size_t len)
{
	uint64_t m = 0;
	size_t i, start;

	if (len == 0)
		return 1ull << R_EMPTY_NAME;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x20 || c == 0x7f)
			m |= 1ull << R_CONTROL_CHAR;
		else if (c == '\\')
			m |= 1ull << R_BACKSLASH;
	}
	if (!utf8_valid(name, len))
		m |= 1ull << R_BAD_NAME_ENCODING;
	/* "/etc", and "\\server\share" or "\x" on Windows. */
	if (is_sep(name[0]))
		m |= 1ull << R_ABSOLUTE_PATH;
	if (len >= 2 && name[1] == ':' &&
	    ((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z')))
		m |= 1ull << R_DRIVE_LETTER;
	/* ".." as a component, with either separator: "a/../../b", "..\x". */
	for (start = 0, i = 0; i <= len; i++) {
		if (i < len && !is_sep(name[i]))
			continue;
		if (is_dotdot(name + start, i - start))
			m |= 1ull << R_PATH_TRAVERSAL;
		start = i + 1;
	}
	return m;
}

size_t
name_normal(const char *name, size_t len, char *out)
{
	size_t i, start, n = 0, clen;

	for (start = 0, i = 0; i <= len; i++) {
		if (i < len && !is_sep(name[i]))
			continue;
		clen = i - start;
		if (clen > 0 && !(clen == 1 && name[start] == '.')) {
			if (n > 0)
				out[n++] = '/';
			memcpy(out + n, name + start, clen);
			n += clen;
		}
		start = i + 1;
	}
	out[n] = '\0';
	return n;
}

int
name_through_link(const char *norm, size_t n, const struct nameset *links, uint64_t salt)
{
	uint64_t h = 0xcbf29ce484222325ull ^ salt;
	size_t i;

	if (links->n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (norm[i] == '/' && i > 0 && nameset_has(links, hash_end(h)))
			return 1;
		h = hash_more(h, norm + i, 1);
	}
	return n > 0 && nameset_has(links, hash_end(h));
}

/* One component onto the path of the resolution: the hash state of the
 * path with it. Returns the new depth. */
static size_t
push(uint64_t *stack, size_t depth, uint64_t salt, const char *c, size_t clen)
{
	uint64_t h = depth > 0 ? hash_more(stack[depth - 1], "/", 1) :
	    0xcbf29ce484222325ull ^ salt;

	stack[depth] = hash_more(h, c, clen);
	return depth + 1;
}

int
link_resolve(const char *dir, size_t dirlen, const char *target, uint64_t *stack,
    const struct nameset *links, uint64_t salt, int *through)
{
	size_t depth = 0, i, start, clen, len = strlen(target);
	int moved = 0;

	*through = 0;
	if (is_sep(target[0]) || (len >= 2 && target[1] == ':'))
		return 1;
	/* dir is a normal name: '/' between components, none empty. */
	for (start = 0, i = 0; i <= dirlen; i++)
		if (i == dirlen || dir[i] == '/') {
			if (i > start)
				depth = push(stack, depth, salt, dir + start, i - start);
			start = i + 1;
		}
	for (start = 0, i = 0; i <= len; i++) {
		if (i < len && !is_sep(target[i]))
			continue;
		clen = i - start;
		start = i + 1;
		if (clen == 0 || (clen == 1 && target[i - 1] == '.'))
			continue;
		/* The path so far is a link and the target goes on past it
		 * (into it, or to its ".."): where that ends is the other
		 * link's business, unknown here. The link's own directory
		 * is the write-through check's. */
		if (moved && depth > 0 && links->n > 0 &&
		    nameset_has(links, hash_end(stack[depth - 1])))
			*through = 1;
		moved = 1;
		if (is_dotdot(target + i - clen, clen)) {
			if (depth == 0)
				return 1;
			depth--;
		} else
			depth = push(stack, depth, salt, target + i - clen, clen);
	}
	return 0;
}
