/* progress_text: the pure pieces of the progress display (cli/cli.h): a
 * rate that leaves out the time stopped, seconds a person reads, and a
 * line fitted to the terminal's width. No terminal, no clock, no pool. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/utf8.h"

double
progress_rate(uint64_t ran, double elapsed, double stopped)
{
	double ran_for = elapsed - stopped;

	return ran_for > 0 ? (double)ran / ran_for : 0;
}

void
progress_secs(char *b, size_t len, double secs)
{
	unsigned long s;

	if (secs < 0)
		secs = 0;
	/* Under a minute the tenths matter: a file at 0.4s is not one at 0s. */
	if (secs < 59.95) {
		snprintf(b, len, "%.1fs", secs);
		return;
	}
	s = (unsigned long)(secs + 0.5);
	if (s >= 3600)
		snprintf(b, len, "%luh%02lum", s / 3600, s / 60 % 60);
	else
		snprintf(b, len, "%lum%02lus", s / 60, s % 60);
}

/* The bytes of the character at s: a valid sequence, or 1 for a byte
 * that starts none (shown as '?', never copied raw). */
static size_t
char_len(const char *s, int *bad)
{
	size_t n = utf8_seq((const unsigned char *)s, strlen(s));

	*bad = n == 0;
	return n ? n : 1;
}

int
progress_cols(const char *s)
{
	int n = 0, bad;

	while (*s) {
		s += char_len(s, &bad);
		n++;
	}
	return n;
}

int
progress_fit(char *out, size_t outlen, const char *s, int cols)
{
	static const char ellipsis[] = "\xe2\x80\xa6";	/* U+2026 */
	int n = progress_cols(s), head, tail, i, used = 0, bad;
	size_t at = 0, cl;

	if (outlen == 0)
		return 0;
	if (cols < 0)
		cols = 0;
	/* The tail gets the odd column: a path's end names the file. */
	head = n <= cols ? n : (cols - 1) / 2;
	tail = n <= cols ? 0 : cols - 1 - head;
	for (i = 0; *s; i++, s += cl) {
		const char *c = s;

		cl = char_len(s, &bad);
		if (n > cols && i == head && cols > 0) {
			if (at + sizeof ellipsis > outlen)
				break;
			memcpy(out + at, ellipsis, sizeof ellipsis - 1);
			at += sizeof ellipsis - 1;
			used++;
		}
		if (i >= head && i < n - tail)
			continue;
		if (bad)
			c = "?", cl = 1;
		if (at + cl + 1 > outlen)
			break;
		memcpy(out + at, c, cl);
		at += cl;
		used++;
	}
	out[at] = '\0';
	return used;
}
