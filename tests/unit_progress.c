/* Unit tests of cli/progress_text.c: the rate leaves out the time a job was
 * stopped with Ctrl-Z; seconds under a minute keep their tenths; a line
 * fitted to a width never takes more columns than it, is shortened in the
 * middle with "…", and is never cut inside a UTF-8 character. */
#include <string.h>

#include "cli/cli.h"
#include "tests/tap.h"

int
main(void)
{
	char b[256];
	int used;

	/* 100 files in 12 s, 2 of them stopped: 10/s, not 8.3/s. */
	ok(progress_rate(100, 12.0, 2.0) > 9.99 && progress_rate(100, 12.0, 2.0) < 10.01,
	    "the rate leaves out the time stopped (%.2f/s)", progress_rate(100, 12.0, 2.0));
	ok(progress_rate(5, 2.0, 2.0) == 0, "no time run: no rate, no division by zero");
	ok(progress_rate(0, 3.0, 0) == 0, "nothing done: rate 0");

	progress_secs(b, sizeof b, 0.4);
	ok(strcmp(b, "0.4s") == 0, "0.4 s is \"0.4s\" (%s)", b);
	progress_secs(b, sizeof b, 12.34);
	ok(strcmp(b, "12.3s") == 0, "12.34 s is \"12.3s\" (%s)", b);
	progress_secs(b, sizeof b, 245);
	ok(strcmp(b, "4m05s") == 0, "245 s is \"4m05s\" (%s)", b);
	progress_secs(b, sizeof b, 7380);
	ok(strcmp(b, "2h03m") == 0, "7380 s is \"2h03m\" (%s)", b);

	used = progress_fit(b, sizeof b, "in/short", 20);
	ok(strcmp(b, "in/short") == 0 && used == 8, "a line that fits is kept whole");
	used = progress_fit(b, sizeof b, "in/aaaaaaaaaa/bbbbbbbbbb/slow-file", 15);
	ok(strcmp(b, "in/aaaa\xe2\x80\xa6ow-file") == 0, "a long one is shortened in the middle (%s)", b);
	is_int(used, 15, "... to the width exactly");
	is_int(progress_cols(b), 15, "... counted in characters, not bytes");
	/* "é" is 2 bytes, "日" 3: every cut falls between characters. */
	used = progress_fit(b, sizeof b, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9/\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5", 6);
	ok(strcmp(b, "\xc3\xa9\xc3\xa9\xe2\x80\xa6\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5") == 0,
	    "multibyte characters are kept whole (%s)", b);
	is_int(used, 6, "... in 6 columns");
	progress_fit(b, sizeof b, "abc\xe6\x97", 10);
	ok(strcmp(b, "abc??") == 0, "a broken sequence is shown as '?', never raw (%s)", b);
	progress_fit(b, 6, "abcdefghij", 9);
	ok(strlen(b) < 6, "the buffer's size bounds what is written");
	progress_fit(b, sizeof b, "abcdef", 1);
	ok(strcmp(b, "\xe2\x80\xa6") == 0, "one column: the ellipsis alone");
	progress_fit(b, sizeof b, "abcdef", 0);
	ok(b[0] == '\0', "no column: nothing");
	return done_testing();
}
