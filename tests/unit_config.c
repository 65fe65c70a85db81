/* Unit tests of cli/config.c: the pairs of a good file reach apply in file
 * order with their sections (a key given twice twice, the later winning),
 * CRLF and LF files read alike, and every bad file — a syntax error, a key
 * outside any section, an unknown section or key, a bad value, a NUL or
 * control byte, invalid UTF-8, a long line, a huge file, a missing file, a
 * directory, a FIFO, a device — is refused with one "PATH[:LINE]: ..." line,
 * without a crash or a hang (SIGALRM ends a hung run), applying nothing when
 * the file is broken before apply is reached. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/config.h"
#include "tests/tap.h"

static char dir[] = "/tmp/corral-unit-config.XXXXXX";
static char path[256];

/* What apply saw, and the settings it keeps the way a front end would. */
static struct {
	int calls;
	char seen[4096];
	long workers;
	char timeout[64];
} got;

static int
apply(void *arg, const char *section, const char *key, const char *value, char *err, size_t errlen)
{
	char *end;
	size_t at = strlen(got.seen);

	(void)arg;
	got.calls++;
	snprintf(got.seen + at, sizeof got.seen - at, "%s%s.%s=%s", at ? "|" : "", section, key,
	    value);
	if (strcmp(key, "workers") == 0) {
		errno = 0;
		got.workers = strtol(value, &end, 10);
		if (value[0] == '\0' || *end != '\0' || got.workers < 1) {
			snprintf(err, errlen, "workers: '%s' is not a whole number from 1 to 1024", value);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "timeout") == 0) {
		snprintf(got.timeout, sizeof got.timeout, "%s", value);
		return 0;
	}
	if (strcmp(key, "silent") == 0)	/* fails without a word */
		return -1;
	if (strcmp(key, "socket") == 0 || strcmp(key, "state") == 0 || strcmp(key, "max-entries") == 0)
		return 0;
	snprintf(err, errlen, "unknown key '%s' in [%s]", key, section);
	return -1;
}

static void
reset(void)
{
	memset(&got, 0, sizeof got);
}

static void
put(const char *bytes, size_t len)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	if (f == NULL || fwrite(bytes, 1, len, f) != len || fclose(f) != 0) {
		printf("Bail out! unable to write %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

/* Loads text from the test file; returns config_load's result, err in e. */
static int
load_text(const char *text, char *e, size_t elen)
{
	put(text, strlen(text));
	reset();
	e[0] = '\0';
	return config_load(path, apply, NULL, e, elen);
}

/* The file is refused with exactly "PATH:want" and nothing applied. */
static void
refused(const char *text, size_t len, const char *want, int want_calls, const char *what)
{
	char e[1024], full[1024];
	int r;

	put(text, len);
	reset();
	r = config_load(path, apply, NULL, e, sizeof e);
	snprintf(full, sizeof full, "%s%s", path, want);
	ok(r == -1 && strcmp(e, full) == 0 && got.calls == want_calls, "%s: refused, %d applied", what,
	    want_calls);
	if (r != -1 || strcmp(e, full) != 0 || got.calls != want_calls)
		printf("#   got %d '%s' (%d applied)\n#   want '%s'\n", r, r < 0 ? e : "", got.calls,
		    full);
}

static void
refused_str(const char *text, const char *want, int want_calls, const char *what)
{
	refused(text, strlen(text), want, want_calls, what);
}

static void
test_good(void)
{
	char e[512];
	int r;

	r = load_text("; corral.conf\n"
	    "# both comment styles\n"
	    "\n"
	    "[serve]\n"
	    "workers = 4\n"
	    "timeout=30s\n"
	    "  socket = /run/corral/control.sock\n"
	    "\tstate = /var/lib/corral   ; where the jobs live\n"
	    "[defaults]\n"
	    "max-entries = 10000\n", e, sizeof e);
	is_int(r, 0, "a good file loads");
	ok(strcmp(got.seen, "serve.workers=4|serve.timeout=30s|serve.socket=/run/corral/control.sock|"
	    "serve.state=/var/lib/corral|defaults.max-entries=10000") == 0,
	    "every pair, in file order, with its section; blanks and inline comments gone");
	if (strcmp(got.seen, "serve.workers=4|serve.timeout=30s|serve.socket=/run/corral/control.sock|"
	    "serve.state=/var/lib/corral|defaults.max-entries=10000") != 0)
		printf("#   got %s\n", got.seen);
	is_int(got.workers, 4, "workers applied");

	r = load_text("[serve]\nworkers = 2\ntimeout = 10s\nworkers = 8\n", e, sizeof e);
	ok(r == 0 && got.calls == 3 && got.workers == 8, "a key given twice: both applied, the later wins");

	r = load_text("[serve]\r\nworkers = 3\r\n; comment\r\ntimeout = 5s\r\n", e, sizeof e);
	ok(r == 0 && strcmp(got.seen, "serve.workers=3|serve.timeout=5s") == 0 &&
	    strcmp(got.timeout, "5s") == 0, "CRLF line ends: the same pairs, no CR in a value");
	r = load_text("[serve]\r\nworkers = 3\r\n\r\nbogus\r\n", e, sizeof e);
	ok(r == -1 && strstr(e, ":4: expected 'key = value'") != NULL, "CRLF: line numbers count as LF's");

	r = load_text("\xef\xbb\xbf[serve]\nworkers = 5\n", e, sizeof e);
	ok(r == 0 && got.workers == 5, "a UTF-8 byte order mark is skipped");
	r = load_text("[serve]\ntimeout = 5s", e, sizeof e);
	ok(r == 0 && strcmp(got.timeout, "5s") == 0, "the last line needs no line end");
	r = load_text("", e, sizeof e);
	ok(r == 0 && got.calls == 0, "an empty file applies nothing");
	r = load_text("[serve]\n[defaults]\n", e, sizeof e);
	ok(r == 0 && got.calls == 0, "sections without keys");
	r = load_text("[serve]\ntimeout =\n", e, sizeof e);
	ok(r == 0 && got.calls == 1 && strcmp(got.seen, "serve.timeout=") == 0,
	    "an empty value reaches apply, which decides");
	r = load_text("[serve]\ntimeout = d\xc3\xa9j\xc3\xa0 vu\n", e, sizeof e);
	ok(r == 0 && strcmp(got.timeout, "d\xc3\xa9j\xc3\xa0 vu") == 0, "UTF-8 in a value is kept");
}

static void
test_refused(void)
{
	char longline[12000];
	char *big;
	size_t n;

	refused_str("workers = 4\n[serve]\n", ":1: 'workers' outside any section: put it under [serve] or "
	    "[defaults]", 0, "a key outside any section");
	refused_str("[serve]\nworkers = 4\n[sevre]\ntimeout = 1s\n", ":4: unknown section [sevre]: the "
	    "sections are [serve] and [defaults]", 0, "a key in an unknown section");
	refused_str("[serve]\nworkers = 4\nworkers 4\ntimeout = 1s\n",
	    ":3: expected 'key = value', a [section] or a comment", 0,
	    "a syntax error: nothing applied, not even the lines before it");
	refused_str("[serve]\nworkers = 4\ntimeout = 1s\n[defaults\n",
	    ":4: a section header needs its closing ']'", 0, "an unclosed section header");
	refused_str("[serve]\n= 4\n", ":2: a value with no key before its '='", 0, "a value with no key");
	refused_str("[serve]\nworkers = 4\nwrokers = 4\ntimeout = 1s\n",
	    ":3: unknown key 'wrokers' in [serve]", 2, "an unknown key, as apply says; the pairs after it "
	    "are not applied");
	refused_str("[serve]\n\n\nworkers = many\n", ":4: workers: 'many' is not a whole number from 1 "
	    "to 1024", 1, "a bad value, as apply says");
	refused_str("[defaults]\nsilent = x\n", ":2: silent: 'x' is not accepted", 1,
	    "apply failing without a message: a message all the same");

	refused("[serve]\nwork\0ers = 4\n", 21, ":2: a NUL byte (a config file is text)", 0, "a NUL byte");
	refused_str("[serve]\nworkers = 4\x1b[2J\n", ":2: a control byte 0x1b (a config file is text)", 0,
	    "an escape sequence");
	refused_str("[serve]\nworkers = 4\rtimeout = 1s\n",
	    ":2: a carriage return that ends no line (CR line ends are not read)", 0, "a lone CR");
	refused_str("[serve]\rworkers = 4\r", ":1: a carriage return that ends no line (CR line ends are "
	    "not read)", 0, "a file with CR line ends");
	refused_str("[serve]\ntimeout = \xff\xfe\n", ":2: bytes that are not UTF-8", 0, "invalid UTF-8");
	refused_str("[serve]\ntimeout = \xc0\x80\n", ":2: bytes that are not UTF-8", 0, "an overlong NUL");
	refused_str("[serve]\ntimeout = \xed\xa0\x80\n", ":2: bytes that are not UTF-8", 0, "a surrogate");
	refused_str("[serve]\ntimeout = \xe2\x82\n", ":2: bytes that are not UTF-8", 0,
	    "a sequence cut by the line end");

	/* The longest line passes; one byte more does not. */
	memset(longline, 0, sizeof longline);
	strcpy(longline, "[serve]\ntimeout = ");
	n = strlen(longline);
	memset(longline + n, 'x', CONFIG_LINE_MAX - (n - 8));
	strcat(longline, "\n");
	put(longline, strlen(longline));
	{
		char e[512];

		reset();
		ok(config_load(path, apply, NULL, e, sizeof e) == 0 && strlen(got.timeout) > 0,
		    "a line of %d bytes is read", CONFIG_LINE_MAX);
	}
	longline[strlen(longline) - 1] = 'x';
	strcat(longline, "\n");
	{
		char want[128];

		snprintf(want, sizeof want, ":2: a line of %d bytes (at most %d)", CONFIG_LINE_MAX + 1,
		    CONFIG_LINE_MAX);
		refused_str(longline, want, 0, "one byte longer is refused");
	}
	memset(longline, 'a', sizeof longline - 1);
	longline[sizeof longline - 1] = '\0';
	memcpy(longline, "[serve]\n", 8);
	refused_str(longline, ":2: a line of 11991 bytes (at most 197)", 0, "a very long line");

	/* Lines of text, each short, past the size limit. */
	if ((big = malloc(CONFIG_SIZE_MAX + 64)) != NULL) {
		for (n = 0; n < CONFIG_SIZE_MAX + 32; n++)
			big[n] = n % 64 == 63 ? '\n' : ';';
		refused(big, CONFIG_SIZE_MAX + 32, ": larger than 1024 KiB", 0, "a file over 1 MiB");
		refused(big, CONFIG_SIZE_MAX + 1, ": larger than 1024 KiB", 0, "... by one byte");
		put(big, CONFIG_SIZE_MAX);
		{
			char e[512];

			reset();
			ok(config_load(path, apply, NULL, e, sizeof e) == 0, "1 MiB of comments is read");
		}
		free(big);
	}
}

static void
test_files(void)
{
	char e[1024], want[1024], p[512];
	int r;

	snprintf(p, sizeof p, "%s/missing.conf", dir);
	r = config_load(p, apply, NULL, e, sizeof e);
	snprintf(want, sizeof want, "%s: unable to open: No such file or directory", p);
	ok(r == -1 && strcmp(e, want) == 0, "a missing file: '%s'", e);

	r = config_load(dir, apply, NULL, e, sizeof e);
	snprintf(want, sizeof want, "%s: not a regular file (a directory)", dir);
	ok(r == -1 && strcmp(e, want) == 0, "a directory: '%s'", e);

	snprintf(p, sizeof p, "%s/fifo", dir);
	if (mkfifo(p, 0600) == 0) {
		double t0 = tap_now();

		r = config_load(p, apply, NULL, e, sizeof e);
		snprintf(want, sizeof want, "%s: not a regular file (a FIFO)", p);
		ok(r == -1 && strcmp(e, want) == 0 && tap_now() - t0 < 5,
		    "a FIFO with no writer: refused at once: '%s'", e);
		unlink(p);
	} else
		ok(0, "mkfifo %s: %s", p, strerror(errno));

	r = config_load("/dev/null", apply, NULL, e, sizeof e);
	ok(r == -1 && strcmp(e, "/dev/null: not a regular file (a character device)") == 0,
	    "a device: '%s'", e);

	put("[serve]\n", 8);
	if (geteuid() != 0 && chmod(path, 0) == 0) {
		r = config_load(path, apply, NULL, e, sizeof e);
		snprintf(want, sizeof want, "%s: unable to open: Permission denied", path);
		ok(r == -1 && strcmp(e, want) == 0, "an unreadable file: '%s'", e);
	} else
		ok(1, "an unreadable file # skip root reads every file");

	r = config_load("/tmp/a\nb\x1b", apply, NULL, e, sizeof e);
	ok(r == -1 && strcmp(e, "/tmp/a?b?: unable to open: No such file or directory") == 0,
	    "control bytes in the path are not printed: '%s'", e);

	/* A short buffer still gets a terminated, cut message. */
	put("[serve]\nbogus\n", 14);
	memset(e, 'z', sizeof e);
	r = config_load(path, apply, NULL, e, 16);
	ok(r == -1 && strlen(e) == 15, "a short err buffer: cut and terminated");
}

/* Random bytes, and random mixes of the pieces of a file: loaded without a
 * crash (the sanitizer build watches), each result 0 or a message naming
 * the file. */
static void
test_noise(void)
{
	static const char *const pieces[] = {
		"[serve]", "[defaults]", "[", "]", "workers", "timeout", "=", " = ", ":", ";", "#",
		"\n", "\r\n", "\r", " ", "\t", "4", "30s", "\xc3\xa9", "\xff", "\xef\xbb\xbf", "\0",
		"silent", "x",
	};
	char buf[2048], e[600];
	size_t n, len, k, plen;
	int i, bad = 0, r;

	for (i = 0; i < 3000; i++) {
		len = 0;
		if (i % 2 == 0) {
			n = tap_rand() % sizeof buf;
			for (len = 0; len < n; len++)
				buf[len] = (char)tap_rand();
		} else {
			n = tap_rand() % 60;
			while (n-- > 0) {
				k = tap_rand() % (sizeof pieces / sizeof pieces[0]);
				plen = pieces[k][0] == '\0' ? 1 : strlen(pieces[k]);
				if (len + plen > sizeof buf)
					break;
				memcpy(buf + len, pieces[k], plen);
				len += plen;
			}
		}
		put(buf, len);
		reset();
		e[0] = '\0';
		r = config_load(path, apply, NULL, e, sizeof e);
		if (!(r == 0 || (r == -1 && strncmp(e, path, strlen(path)) == 0 &&
		    e[strlen(path)] == ':' && strchr(e, '\n') == NULL)))
			bad++;
	}
	is_int(bad, 0, "3000 noisy files: each loads or is refused with one line naming it");
}

static int
count_pair(void *arg, const char *section, const char *key, const char *value, char *err, size_t errlen)
{
	(void)section, (void)key, (void)value, (void)err, (void)errlen;
	++*(int *)arg;
	return 0;
}

/* The example systemd/corral.conf (read from the top of the tree, where
 * prove runs): all comments as shipped, and every key in it loads once its
 * '#' is taken off. */
static void
test_example(void)
{
	FILE *in = fopen("systemd/corral.conf", "r"), *out;
	char line[512], e[512];
	int keys = 0, pairs = 0, r;

	if (in == NULL) {
		ok(1, "the example config # skip not run from the top of the tree");
		ok(1, "the example config # skip not run from the top of the tree");
		return;
	}
	r = config_load("systemd/corral.conf", count_pair, &pairs, e, sizeof e);
	ok(r == 0 && pairs == 0, "systemd/corral.conf loads, every key commented out");
	unlink(path);
	if ((out = fopen(path, "w")) == NULL) {
		fclose(in);
		ok(0, "unable to write %s", path);
		return;
	}
	while (fgets(line, sizeof line, in) != NULL) {
		if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z' && strstr(line, " = ") != NULL) {
			fputs(line + 1, out);
			keys++;
		} else
			fputs(line, out);
	}
	fclose(in);
	fclose(out);
	pairs = 0;
	r = config_load(path, count_pair, &pairs, e, sizeof e);
	ok(r == 0 && pairs == keys && keys > 20, "uncommented, its %d keys all load (%s)", keys,
	    r == 0 ? "no error" : e);
}

static void
test_bool(void)
{
	ok(config_bool("yes") == 1 && config_bool("On") == 1 && config_bool("TRUE") == 1 &&
	    config_bool("1") == 1, "config_bool: yes, on, true, 1");
	ok(config_bool("no") == 0 && config_bool("Off") == 0 && config_bool("false") == 0 &&
	    config_bool("0") == 0, "config_bool: no, off, false, 0");
	ok(config_bool("") == -1 && config_bool("y") == -1 && config_bool("2") == -1 &&
	    config_bool("yes ") == -1, "config_bool: anything else is -1");
}

int
main(void)
{
	alarm(60);	/* a hang fails the test instead of stalling the suite */
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(path, sizeof path, "%s/corral.conf", dir);
	test_good();
	test_refused();
	test_files();
	test_noise();
	test_example();
	test_bool();
	unlink(path);
	rmdir(dir);
	return done_testing();
}
