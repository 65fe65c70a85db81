/* mpcheck: validates untrusted msgpack bytes before anything decodes them.
 * One pass, no allocation: every container's count must fit in the bytes
 * left (each element takes at least one), nesting is bounded, and the
 * object must end exactly at the end of the buffer. */
#include <stddef.h>
#include <stdint.h>

#include "ipc/ipc.h"

#define MP_DEPTH_MAX 64

static uint32_t
be(const uint8_t *p, int n)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

int
ipc_mp_check(const uint8_t *p, size_t len, int max_depth)
{
	/* Objects still to read at each open nesting level. */
	uint64_t todo[MP_DEPTH_MAX + 1];
	size_t off = 0;
	int depth = 0;

	if (max_depth > MP_DEPTH_MAX)
		max_depth = MP_DEPTH_MAX;
	todo[0] = 1;
	while (depth > 0 || todo[0] > 0) {
		uint8_t b;
		uint64_t skip = 0, count = 0;
		int hdr = 1, container = 0;

		if (todo[depth] == 0) {
			depth--;
			continue;
		}
		todo[depth]--;
		if (off >= len)
			return -1;
		b = p[off];
		if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
			;	/* fixint, nil, bool */
		else if (b >= 0x80 && b <= 0x8f)
			count = 2u * (b & 0x0f), container = 1;
		else if (b >= 0x90 && b <= 0x9f)
			count = b & 0x0f, container = 1;
		else if (b >= 0xa0 && b <= 0xbf)
			skip = b & 0x1f;
		else {
			static const struct { uint8_t hdr, lenbytes, kind; } t[] = {
				/* kind: 0 fixed size, 1 bytes, 2 array, 3 map, 4 ext */
				[0xc4 - 0xc4] = { 1, 1, 1 }, [0xc5 - 0xc4] = { 1, 2, 1 },
				[0xc6 - 0xc4] = { 1, 4, 1 }, [0xc7 - 0xc4] = { 1, 1, 4 },
				[0xc8 - 0xc4] = { 1, 2, 4 }, [0xc9 - 0xc4] = { 1, 4, 4 },
				[0xca - 0xc4] = { 5, 0, 0 }, [0xcb - 0xc4] = { 9, 0, 0 },
				[0xcc - 0xc4] = { 2, 0, 0 }, [0xcd - 0xc4] = { 3, 0, 0 },
				[0xce - 0xc4] = { 5, 0, 0 }, [0xcf - 0xc4] = { 9, 0, 0 },
				[0xd0 - 0xc4] = { 2, 0, 0 }, [0xd1 - 0xc4] = { 3, 0, 0 },
				[0xd2 - 0xc4] = { 5, 0, 0 }, [0xd3 - 0xc4] = { 9, 0, 0 },
				[0xd4 - 0xc4] = { 3, 0, 0 }, [0xd5 - 0xc4] = { 4, 0, 0 },
				[0xd6 - 0xc4] = { 6, 0, 0 }, [0xd7 - 0xc4] = { 10, 0, 0 },
				[0xd8 - 0xc4] = { 18, 0, 0 }, [0xd9 - 0xc4] = { 1, 1, 1 },
				[0xda - 0xc4] = { 1, 2, 1 }, [0xdb - 0xc4] = { 1, 4, 1 },
				[0xdc - 0xc4] = { 1, 2, 2 }, [0xdd - 0xc4] = { 1, 4, 2 },
				[0xde - 0xc4] = { 1, 2, 3 }, [0xdf - 0xc4] = { 1, 4, 3 },
			};
			uint32_t n;

			if (b == 0xc1)
				return -1;	/* never used */
			hdr = t[b - 0xc4].hdr + t[b - 0xc4].lenbytes;
			if (len - off < (size_t)hdr)
				return -1;
			n = be(p + off + 1, t[b - 0xc4].lenbytes);
			switch (t[b - 0xc4].kind) {
			case 1: skip = n; break;
			case 2: count = n, container = 1; break;
			case 3: count = 2ull * n, container = 1; break;
			case 4: skip = (uint64_t)n + 1; break;	/* type byte + data */
			default: break;
			}
		}
		if (len - off < (size_t)hdr)
			return -1;
		off += (size_t)hdr;
		if (skip > len - off)
			return -1;
		off += (size_t)skip;
		if (container && count > 0) {
			if (count > len - off || depth == max_depth)
				return -1;
			todo[++depth] = count;
		}
	}
	return off == len ? 0 : -1;
}
