/* config: the configuration file, read whole into memory, then parsed twice
 * by inih from there: once to check every line (bytes, syntax, sections),
 * once to hand the pairs to the front end. What is checked is what is
 * applied, and a file broken anywhere applies nothing. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "cli/config.h"
#include "common/utf8.h"

#define MSG_MAX	512

/* One reading of the file: where inih's reader is, and the first error. */
struct load {
	const char *buf;
	size_t len, at;
	unsigned line;		/* the line last handed to inih */
	int applying;		/* 0: checking only; 1: calling apply */
	config_apply_fn *apply;
	void *arg;
	unsigned err_line;	/* 0: no error yet */
	char msg[MSG_MAX];
};

static void __attribute__((format(printf, 2, 3)))
fail(struct load *ld, const char *fmt, ...)
{
	va_list ap;

	if (ld->err_line != 0)
		return;
	ld->err_line = ld->line;
	va_start(ap, fmt);
	vsnprintf(ld->msg, sizeof ld->msg, fmt, ap);
	va_end(ap);
}

/* Which bad byte, if any, stops this line: a NUL, a control byte (a lone CR
 * among them), or bytes that are not UTF-8. Returns 0 when there is none. */
static int
check_bytes(struct load *ld, const unsigned char *s, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i += k) {
		k = 1;
		if (s[i] == '\0') {
			fail(ld, "a NUL byte (a config file is text)");
			return -1;
		}
		if (s[i] == '\r') {
			fail(ld, "a carriage return that ends no line (CR line ends are not read)");
			return -1;
		}
		if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f) {
			fail(ld, "a control byte 0x%02x (a config file is text)", s[i]);
			return -1;
		}
		if (s[i] >= 0x80 && (k = utf8_seq(s + i, n - i)) == 0) {
			fail(ld, "bytes that are not UTF-8");
			return -1;
		}
	}
	return 0;
}

/* inih's fgets: the next line, checked, without its blanks in front (so no
 * line is ever taken as a continuation) and with LF for CRLF. NULL at the
 * end, at a bad line, and once apply has failed. */
static char *
next_line(char *str, int num, void *stream)
{
	struct load *ld = stream;
	const char *s, *nl;
	size_t n, lead = 0;

	if (ld->at >= ld->len || ld->err_line != 0)
		return NULL;
	s = ld->buf + ld->at;
	nl = memchr(s, '\n', ld->len - ld->at);
	n = nl ? (size_t)(nl - s) : ld->len - ld->at;
	ld->at += nl ? n + 1 : n;
	ld->line++;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (check_bytes(ld, (const unsigned char *)s, n) < 0)
		return NULL;
	if (n > CONFIG_LINE_MAX) {
		fail(ld, "a line of %zu bytes (at most %d)", n, CONFIG_LINE_MAX);
		return NULL;
	}
	if (ld->line == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		lead = 3;
	while (lead < n && (s[lead] == ' ' || s[lead] == '\t'))
		lead++;
	if (num < 2 || n - lead > (size_t)num - 2) {	/* an inih built with a smaller buffer */
		fail(ld, "a line of %zu bytes (this inih reads at most %d)", n, num - 3);
		return NULL;
	}
	memcpy(str, s + lead, n - lead);
	str[n - lead] = '\n';
	str[n - lead + 1] = '\0';
	return str;
}

/* inih's handler: a nonzero return is success. */
static int
on_pair(void *user, const char *section, const char *key, const char *value)
{
	struct load *ld = user;
	char msg[MSG_MAX];

	if (ld->err_line != 0)
		return 1;
	if (key[0] == '\0') {
		fail(ld, "a value with no key before its '='");
		return 0;
	}
	if (section[0] == '\0') {
		fail(ld, "'%s' outside any section: put it under [serve] or [defaults]", key);
		return 0;
	}
	if (strcmp(section, "serve") != 0 && strcmp(section, "defaults") != 0) {
		fail(ld, "unknown section [%s]: the sections are [serve] and [defaults]", section);
		return 0;
	}
	if (!ld->applying)
		return 1;
	msg[0] = '\0';
	if (ld->apply(ld->arg, section, key, value, msg, sizeof msg) < 0) {
		if (msg[0] == '\0')
			snprintf(msg, sizeof msg, "%s: '%s' is not accepted", key, value);
		fail(ld, "%s", msg);
		return 0;
	}
	return 1;
}

/* Line n of the buffer, without its line end. */
static const char *
line_at(const char *buf, size_t len, unsigned n, size_t *out)
{
	const char *s = buf, *end = buf + len, *nl;

	while (--n > 0 && (nl = memchr(s, '\n', (size_t)(end - s))) != NULL)
		s = nl + 1;
	nl = memchr(s, '\n', (size_t)(end - s));
	*out = (size_t)((nl ? nl : end) - s);
	return s;
}

/* What inih refused: a line that is no section, pair or comment. */
static void
syntax_error(struct load *ld, unsigned line)
{
	size_t n;
	const char *s = line_at(ld->buf, ld->len, line, &n);

	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	ld->line = line;
	if (n > 0 && *s == '[')
		fail(ld, "a section header needs its closing ']'");
	else
		fail(ld, "expected 'key = value', a [section] or a comment");
}

static int
parse(struct load *ld, int applying)
{
	int r;

	ld->at = 0;
	ld->line = 0;
	ld->applying = applying;
	r = ini_parse_stream(next_line, ld, on_pair, ld);
	if (r > 0 && (ld->err_line == 0 || (unsigned)r < ld->err_line)) {
		ld->err_line = 0;
		syntax_error(ld, (unsigned)r);
	} else if (r < 0 && ld->err_line == 0) {
		fail(ld, "out of memory");
	}
	return ld->err_line == 0 ? 0 : -1;
}

/* The path as it may appear in a one-line message. */
static const char *
shown(const char *path, char *buf, size_t len)
{
	size_t i;

	snprintf(buf, len, "%s", path);
	for (i = 0; buf[i] != '\0'; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	return buf;
}

static const char *
file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:	return "a directory";
	case S_IFIFO:	return "a FIFO";
	case S_IFSOCK:	return "a socket";
	case S_IFCHR:	return "a character device";
	case S_IFBLK:	return "a block device";
	default:	return "not a file";
	}
}

/* The whole file into *out (NUL-terminated), or -1 with err set. */
static int
slurp(const char *path, const char *name, char **out, size_t *outlen, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, e;

	/* Non-blocking: a FIFO opens at once and is refused below. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)) < 0) {
		snprintf(err, errlen, "%s: unable to open: %s", name, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: unable to stat: %s", name, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file (%s)", name, file_kind(st.st_mode));
		goto fail;
	}
	if ((buf = malloc(CONFIG_SIZE_MAX + 2)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		goto fail;
	}
	/* Read to the end whatever st_size said: the file may be growing. */
	for (;;) {
		n = read(fd, buf + len, CONFIG_SIZE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: unable to read: %s", name, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CONFIG_SIZE_MAX) {
			snprintf(err, errlen, "%s: larger than %u KiB", name, CONFIG_SIZE_MAX >> 10);
			goto fail;
		}
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
fail:
	e = errno;
	free(buf);
	close(fd);
	errno = e;
	return -1;
}

int
config_load(const char *path, config_apply_fn *apply, void *arg, char *err, size_t errlen)
{
	struct load ld;
	char name[512], *buf;
	size_t len;
	int r;

	shown(path, name, sizeof name);
	if (slurp(path, name, &buf, &len, err, errlen) < 0)
		return -1;
	memset(&ld, 0, sizeof ld);
	ld.buf = buf;
	ld.len = len;
	ld.apply = apply;
	ld.arg = arg;
	r = parse(&ld, 0);
	if (r == 0)
		r = parse(&ld, 1);
	if (r < 0)
		snprintf(err, errlen, "%s:%u: %s", name, ld.err_line, ld.msg);
	free(buf);
	return r;
}

int
config_bool(const char *value)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(value, yes[i]) == 0)
			return 1;
		if (strcasecmp(value, no[i]) == 0)
			return 0;
	}
	return -1;
}
