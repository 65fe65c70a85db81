/* expand: replacement strings in an exec command (expand.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/expand.h"

/* s (n bytes) in single quotes for sh, each ' as '\'' , appended at o. */
static char *
put_quoted(char *o, const char *s, size_t n)
{
	size_t i;

	*o++ = '\'';
	for (i = 0; i < n; i++)
		if (s[i] == '\'')
			o = stpcpy(o, "'\\''");
		else
			*o++ = s[i];
	*o++ = '\'';
	return o;
}

enum rep { R_PATH, R_BASE, R_NOEXT, R_DIR, R_BASE_NOEXT, R_SEQ, R_SLOT, R__N };
static const char *const reps[R__N] = { "{}", "{/}", "{.}", "{//}", "{/.}", "{#}", "{%}" };

/* The replacement string at p, or -1. */
static int
rep_at(const char *p)
{
	int r;

	if (*p != '{')
		return -1;
	for (r = R__N - 1; r >= 0; r--)
		if (strncmp(p, reps[r], strlen(reps[r])) == 0)
			return r;
	return -1;
}

/* The value of r for path, as bytes (no NUL needed). */
static void
value(int r, const char *path, uint64_t seq, uint32_t slot, char *num, const char **v, size_t *n)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path, *dot;
	size_t len = strlen(path);

	dot = strrchr(base, '.');
	if (dot == base)
		dot = NULL;	/* ".profile" has no extension */
	switch (r) {
	case R_PATH: *v = path; *n = len; break;
	case R_BASE: *v = base; *n = strlen(base); break;
	case R_NOEXT: *v = path; *n = dot ? (size_t)(dot - path) : len; break;
	case R_BASE_NOEXT: *v = base; *n = dot ? (size_t)(dot - base) : strlen(base); break;
	case R_DIR:
		if (slash == NULL) {
			*v = ".";
			*n = 1;
		} else {
			*v = path;
			*n = slash == path ? 1 : (size_t)(slash - path);	/* "/a": "/" */
		}
		break;
	case R_SEQ:
	case R_SLOT:
		*n = (size_t)snprintf(num, 24, "%llu", r == R_SEQ ? (unsigned long long)seq :
		    (unsigned long long)slot + 1);
		*v = num;
		break;
	default: *v = ""; *n = 0; break;
	}
}

char *
expand_command(const char *cmd, const char *path, uint64_t seq, uint32_t slot)
{
	size_t need = strlen(cmd) + 1, n, plen = strlen(path);
	const char *p, *v;
	char num[24], *s, *o;
	int r, uses = 0;

	/* Each value quoted takes at most 4 bytes a byte of it, plus 2. */
	for (p = cmd; *p; p++)
		if ((r = rep_at(p)) >= 0) {
			need += 4 * (plen + 24) + 2;
			uses++;
			p += strlen(reps[r]) - 1;
		}
	if (uses == 0)
		need += 4 * plen + 3;
	if ((s = o = malloc(need)) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	for (p = cmd; *p; ) {
		if ((r = rep_at(p)) >= 0) {
			value(r, path, seq, slot, num, &v, &n);
			o = put_quoted(o, v, n);
			p += strlen(reps[r]);
		} else
			*o++ = *p++;
	}
	if (uses == 0) {
		*o++ = ' ';
		o = put_quoted(o, path, plen);
	}
	*o = '\0';
	return s;
}
