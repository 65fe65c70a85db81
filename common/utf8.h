/* utf8: strict UTF-8 checks (no overlongs, no surrogates, nothing past
 * U+10FFFF), for deciding how untrusted bytes may be shown. */
#ifndef CORRAL_UTF8_H
#define CORRAL_UTF8_H

#include <stddef.h>

/* Length of the valid sequence at s (of at most len bytes), or 0. */
size_t utf8_seq(const unsigned char *s, size_t len);
/* 1 if all of s is valid UTF-8. */
int utf8_valid(const char *s, size_t len);

#endif
