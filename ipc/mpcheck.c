/* mpcheck: validates untrusted msgpack bytes before anything decodes them,
 * and reads one object's head for the decoder that walks them then.
 * One pass, no allocation, no recursion. A decoder such as msgpack-c sizes
 * its arrays by the counts it reads, so every count is checked against the
 * bytes left before it is believed: each element still owed takes at least
 * one byte. Nesting is bounded, so a later recursive walk is too. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ipc/ipc.h"
#include "ipc/ipc_int.h"

/* The walker's own stack bound; a caller's max_depth above it counts as it. */
#define MP_DEPTH_MAX 64

enum mp_kind {
	MP_FIXED,	/* the header is the whole object */
	MP_BYTES,	/* str, bin: a length, then that many bytes */
	MP_EXT,		/* a length, a type byte, then that many bytes */
	MP_ARRAY,	/* a count, then that many objects */
	MP_MAP,		/* a count, then twice that many objects */
	MP_NEVER	/* 0xc1: not a msgpack byte */
};

/* The formats from 0xc0 up: the tag plus its fixed bytes, how many of those
 * are a big-endian length or count, and what follows. */
static const struct {
	uint8_t size, lenbytes, kind;
} formats[0xe0 - 0xc0] = {
	[0x00] = { 1, 0, MP_FIXED },	/* nil */
	[0x01] = { 1, 0, MP_NEVER },
	[0x02] = { 1, 0, MP_FIXED },	/* false */
	[0x03] = { 1, 0, MP_FIXED },	/* true */
	[0x04] = { 2, 1, MP_BYTES },	/* bin 8 */
	[0x05] = { 3, 2, MP_BYTES },	/* bin 16 */
	[0x06] = { 5, 4, MP_BYTES },	/* bin 32 */
	[0x07] = { 2, 1, MP_EXT },	/* ext 8 */
	[0x08] = { 3, 2, MP_EXT },	/* ext 16 */
	[0x09] = { 5, 4, MP_EXT },	/* ext 32 */
	[0x0a] = { 5, 0, MP_FIXED },	/* float 32 */
	[0x0b] = { 9, 0, MP_FIXED },	/* float 64 */
	[0x0c] = { 2, 0, MP_FIXED },	/* uint 8 */
	[0x0d] = { 3, 0, MP_FIXED },	/* uint 16 */
	[0x0e] = { 5, 0, MP_FIXED },	/* uint 32 */
	[0x0f] = { 9, 0, MP_FIXED },	/* uint 64 */
	[0x10] = { 2, 0, MP_FIXED },	/* int 8 */
	[0x11] = { 3, 0, MP_FIXED },	/* int 16 */
	[0x12] = { 5, 0, MP_FIXED },	/* int 32 */
	[0x13] = { 9, 0, MP_FIXED },	/* int 64 */
	[0x14] = { 3, 0, MP_FIXED },	/* fixext 1: tag, type, 1 byte */
	[0x15] = { 4, 0, MP_FIXED },	/* fixext 2 */
	[0x16] = { 6, 0, MP_FIXED },	/* fixext 4 */
	[0x17] = { 10, 0, MP_FIXED },	/* fixext 8 */
	[0x18] = { 18, 0, MP_FIXED },	/* fixext 16 */
	[0x19] = { 2, 1, MP_BYTES },	/* str 8 */
	[0x1a] = { 3, 2, MP_BYTES },	/* str 16 */
	[0x1b] = { 5, 4, MP_BYTES },	/* str 32 */
	[0x1c] = { 3, 2, MP_ARRAY },	/* array 16 */
	[0x1d] = { 5, 4, MP_ARRAY },	/* array 32 */
	[0x1e] = { 3, 2, MP_MAP },	/* map 16 */
	[0x1f] = { 5, 4, MP_MAP },	/* map 32 */
};

int
ipc_mp_skip(const uint8_t *p, size_t len, int max_depth, size_t *used)
{
	uint64_t left[MP_DEPTH_MAX + 1];	/* objects owed at each open level */
	uint64_t owed = 1;			/* their sum */
	size_t off = 0;
	int depth = 0;

	if (max_depth > MP_DEPTH_MAX)
		max_depth = MP_DEPTH_MAX;
	left[0] = 1;
	while (owed > 0) {
		uint64_t count = 0, skip = 0;
		size_t size = 1, i;
		int kind = MP_FIXED;
		uint8_t b;

		while (left[depth] == 0)
			depth--;
		left[depth]--;
		owed--;
		if (off >= len)
			return -1;
		b = p[off];
		if (b <= 0x7f || b >= 0xe0)
			;	/* positive or negative fixint */
		else if (b <= 0x8f)
			kind = MP_MAP, count = b & 0x0f;
		else if (b <= 0x9f)
			kind = MP_ARRAY, count = b & 0x0f;
		else if (b <= 0xbf)
			kind = MP_BYTES, skip = b & 0x1f;
		else {
			size = formats[b - 0xc0].size;
			kind = formats[b - 0xc0].kind;
			if (kind == MP_NEVER || len - off < size)
				return -1;
			for (i = 0; i < formats[b - 0xc0].lenbytes; i++)
				count = count << 8 | p[off + 1 + i];
			if (kind == MP_BYTES)
				skip = count;
			else if (kind == MP_EXT)
				skip = count + 1;	/* the type byte */
		}
		if (len - off < size)
			return -1;
		off += size;
		if (skip > len - off)
			return -1;
		off += (size_t)skip;
		if (kind != MP_ARRAY && kind != MP_MAP)
			continue;
		/* Empty containers count too: depth is what the bytes say,
		 * not what a decoder happens to recurse into. */
		if (depth >= max_depth)
			return -1;
		if (kind == MP_MAP)
			count *= 2;
		if (owed + count > len - off)
			return -1;
		if (count > 0) {
			left[++depth] = count;
			owed += count;
		}
	}
	*used = off;
	return 0;
}

int
ipc_mp_check(const uint8_t *p, size_t len, int max_depth)
{
	size_t used;

	if (ipc_mp_skip(p, len, max_depth, &used) < 0 || used != len)
		return -1;
	return 0;
}

static uint64_t
get_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

int
ipc_mp_head(const uint8_t *p, size_t len, struct mp_head *h)
{
	uint8_t b;
	size_t size, lenbytes;
	uint64_t v;

	memset(h, 0, sizeof *h);
	if (len == 0)
		return -1;
	b = p[0];
	h->size = 1;
	if (b <= 0x7f) {
		h->type = MPT_UINT;
		h->u = b;
		return 0;
	}
	if (b >= 0xe0) {
		h->type = MPT_NEG;
		return 0;
	}
	if (b <= 0x9f) {
		h->type = b <= 0x8f ? MPT_MAP : MPT_ARRAY;
		h->u = b & 0x0f;
		return 0;
	}
	if (b <= 0xbf) {
		h->type = MPT_STR;
		h->n = b & 0x1f;
		h->p = p + 1;
		h->size = 1 + h->n;
		return h->size <= len ? 0 : -1;
	}
	size = formats[b - 0xc0].size;
	lenbytes = formats[b - 0xc0].lenbytes;
	if (formats[b - 0xc0].kind == MP_NEVER || len < size)
		return -1;
	h->size = size;
	v = get_be(p + 1, lenbytes);
	switch (b) {
	case 0xc0:
		h->type = MPT_NIL;
		return 0;
	case 0xc2:
	case 0xc3:
		h->type = MPT_BOOL;
		h->u = b == 0xc3;
		return 0;
	case 0xca: {
		uint32_t bits = (uint32_t)get_be(p + 1, 4);
		float f;

		memcpy(&f, &bits, sizeof f);
		h->type = MPT_FLOAT;
		h->f = f;
		return 0;
	}
	case 0xcb: {
		uint64_t bits = get_be(p + 1, 8);

		memcpy(&h->f, &bits, sizeof h->f);
		h->type = MPT_FLOAT;
		return 0;
	}
	case 0xcc: case 0xcd: case 0xce: case 0xcf:
		h->type = MPT_UINT;
		h->u = get_be(p + 1, size - 1);
		return 0;
	case 0xd0: case 0xd1: case 0xd2: case 0xd3:
		/* A signed encoding of a value >= 0 is a uint, as msgpack-c
		 * reads it: the sign bit of its first byte says which. */
		h->type = p[1] & 0x80 ? MPT_NEG : MPT_UINT;
		h->u = get_be(p + 1, size - 1);
		return 0;
	}
	switch (formats[b - 0xc0].kind) {
	case MP_BYTES:
		h->type = b <= 0xc6 ? MPT_BIN : MPT_STR;
		h->p = p + size;
		h->n = (size_t)v;
		if (v > len - size)
			return -1;
		h->size = size + (size_t)v;
		return 0;
	case MP_EXT:
		if (v >= len - size)
			return -1;
		h->type = MPT_EXT;
		h->size = size + 1 + (size_t)v;
		return 0;
	case MP_ARRAY:
	case MP_MAP:
		h->type = formats[b - 0xc0].kind == MP_MAP ? MPT_MAP : MPT_ARRAY;
		h->u = v;
		return 0;
	default:
		h->type = MPT_EXT;	/* fixext: the header holds it all */
		return 0;
	}
}
