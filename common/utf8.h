/* utf8: strict UTF-8 checks (no overlongs, no surrogates, nothing past
 * U+10FFFF), for deciding how untrusted bytes may be shown. */
#ifndef CORRAL_UTF8_H
#define CORRAL_UTF8_H

#include <stddef.h>

/* Length of the valid sequence at s (of at most len bytes), or 0. */
size_t utf8_seq(const unsigned char *s, size_t len);
/* 1 if all of s is valid UTF-8. */
int utf8_valid(const char *s, size_t len);
/* Makes LC_CTYPE a UTF-8 locale whatever the host's (C.UTF-8 first, built
 * into glibc since 2.35), so that libraries converting text (libarchive's
 * entry names) convert to UTF-8. Returns 0, or -1 when none exists. */
int utf8_locale(void);

#endif
