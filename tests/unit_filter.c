/* Unit tests of common/filter.c and parse_halt: the --include/--exclude
 * rule as docs/filters.md states it (a pattern without '/' against the
 * file's name, one with '/' against its whole path under its input, '*'
 * across '/', excludes win, no include keeps all), the inclusive size
 * bounds, the packed form and its check, and --halt's values. */
#include <errno.h>
#include <string.h>

#include "common/filter.h"
#include "common/parse.h"
#include "tests/tap.h"

static struct filter f;

static void
kept(const char *rel, int want)
{
	ok(filter_path(&f, rel, strlen(rel)) == want, "'%s' %s", rel, want ? "kept" : "left out");
}

static void
halt(const char *s, int soon, uint64_t fail, double rate)
{
	int gs = -1;
	uint64_t gf = 99;
	double gr = 99;

	ok(parse_halt(s, &gs, &gf, &gr) == 0 && gs == soon && gf == fail && gr == rate,
	    "--halt %s: %s, fail %llu, rate %g", s, soon ? "soon" : "now", (unsigned long long)fail,
	    rate);
}

static void
halt_refused(const char *s)
{
	int gs = 0;
	uint64_t gf = 0;
	double gr = 0;

	ok(parse_halt(s, &gs, &gf, &gr) < 0, "--halt '%s' refused", s);
}

int
main(void)
{
	char big[5000];

	filter_init(&f);
	kept("a/b/c.zip", 1);
	ok(!filter_globs(&f) && !filter_sizes(&f) && filter_size(&f, 0) &&
	    filter_size(&f, UINT64_MAX), "no filter: every path, every size");

	ok(filter_add(&f, 1, "*.zip") == 0, "--include '*.zip'");
	kept("top.zip", 1);
	kept("a/b/deep.zip", 1);
	kept("a/b/deep.ZIP", 0);
	kept("a.zip/inner.txt", 0);
	kept(".hidden.zip", 1);
	kept("new\nline.zip", 1);
	kept("bad\xff\xfe.zip", 1);
	kept("sp ace/x y.zip", 1);
	ok(filter_add(&f, 0, "a/b/*") == 0, "--exclude 'a/b/*'");
	kept("a/b/deep.zip", 0);
	kept("a/b/c/deeper.zip", 0);
	kept("x/a/b/c.zip", 1);
	kept("a/bc.zip", 1);
	ok(filter_add(&f, 1, "*.tar") == 0, "--include '*.tar' as well");
	kept("z/y.tar", 1);
	kept("z/y.tgz", 0);

	filter_init(&f);
	ok(filter_add(&f, 0, "b.zip") == 0, "--exclude 'b.zip' (a name, any depth)");
	kept("b.zip", 0);
	kept("q/r/b.zip", 0);
	kept("q/r/ab.zip", 1);
	kept("b.zip/x", 1);

	filter_init(&f);
	ok(filter_add(&f, 1, "[[]x].zip") == 0 && filter_add(&f, 1, "\\*.zip") == 0,
	    "--include '[[]x].zip' --include '\\*.zip': metacharacters taken literally");
	kept("d/[x].zip", 1);
	kept("d/x.zip", 0);
	kept("*.zip", 1);
	kept("a.zip", 0);

	filter_init(&f);
	ok(filter_add(&f, 1, "*/keep/*") == 0, "--include '*/keep/*': '*' crosses '/'");
	kept("a/keep/b", 1);
	kept("a/b/keep/c/d", 1);
	kept("keep/b", 0);
	ok(filter_add(&f, 1, "nothing-matches-this") == 0, "... and a pattern that matches nothing");
	kept("a/keep/b", 1);
	kept("other", 0);

	filter_init(&f);
	errno = 0;
	ok(filter_add(&f, 1, "") < 0 && errno == EINVAL && f.len == 0, "an empty pattern refused");
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	errno = 0;
	ok(filter_add(&f, 1, big) < 0 && errno == E2BIG && f.len == 0, "a pattern past 4096 bytes refused");
	big[FILTER_BYTES - 2] = '\0';
	ok(filter_add(&f, 1, big) == 0 && f.len == FILTER_BYTES, "... one that fills 4096 taken");
	errno = 0;
	ok(filter_add(&f, 0, "y") < 0 && errno == E2BIG, "... and nothing after it");

	ok(filter_check("+a\0-b c\0", 8) == 0, "the packed form of two patterns checks");
	ok(filter_check("", 0) == 0, "... and of none");
	ok(filter_check("+a", 2) < 0, "... a pattern without its NUL does not");
	ok(filter_check("+\0", 2) < 0, "... nor an empty pattern");
	ok(filter_check("a\0", 2) < 0, "... nor one without its kind byte");
	ok(filter_check("+a\0+", 4) < 0, "... nor a kind byte alone at the end");

	filter_init(&f);
	f.min_size = 10;
	f.has_max = 1;
	f.max_size = 20;
	ok(filter_sizes(&f) && !filter_size(&f, 9) && filter_size(&f, 10) && filter_size(&f, 20) &&
	    !filter_size(&f, 21), "--min-size 10 --max-size 20: 10 and 20 in, 9 and 21 out");
	f.min_size = 0;
	f.max_size = 0;
	ok(filter_size(&f, 0) && !filter_size(&f, 1), "--max-size 0: only empty files");

	halt("now,fail=1", 0, 1, 0);
	halt("soon,fail=2", 1, 2, 0);
	halt("now,fail=10%", 0, 0, 0.1);
	halt("soon,fail=100%", 1, 0, 1);
	halt_refused("now");
	halt_refused("now,fail=0");
	halt_refused("later,fail=1");
	halt_refused("soon,fail=101%");
	halt_refused("now,fail=0%");
	halt_refused("now,fail=");
	halt_refused("now,fail=-1");
	halt_refused("now,fail=1x");
	halt_refused("now,success=1");
	halt_refused("NOW,fail=1");
	halt_refused("");
	return done_testing();
}
