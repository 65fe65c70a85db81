/* mutate.h: the random edits the decoder tests make to a good frame body
 * (a byte changed, a telling byte put in, the body cut, a byte inserted or
 * deleted), from tap_rand, so every run makes the same ones. */
#ifndef CORRAL_MUTATE_H
#define CORRAL_MUTATE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tests/tap.h"

/* One to four edits of frame[0, *len), never past cap bytes; special holds
 * the bytes worth putting in (msgpack type bytes). *len stays at least 1. */
static inline void
mutate(uint8_t *frame, size_t *len, size_t cap, const uint8_t *special, size_t nspecial)
{
	size_t muts;

	for (muts = 1 + tap_rand() % 4; muts > 0; muts--) {
		size_t at = (size_t)(tap_rand() % *len);

		switch (tap_rand() % 5) {
		case 0:
			frame[at] = (uint8_t)tap_rand();
			break;
		case 1:
			frame[at] = special[tap_rand() % nspecial];
			break;
		case 2:
			*len = at + 1;	/* cut */
			break;
		case 3:
			if (*len < cap - 1) {	/* insert */
				memmove(frame + at + 1, frame + at, *len - at);
				frame[at] = special[tap_rand() % nspecial];
				(*len)++;
			}
			break;
		default:
			if (*len > 1) {	/* delete */
				memmove(frame + at, frame + at + 1, *len - at - 1);
				(*len)--;
			}
			break;
		}
	}
}

#endif
