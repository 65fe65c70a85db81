/* Unit tests of crash-loop damping's decisions (supervisor/damp.c): deaths
 * concentrated on a few files never pause, however many; deaths spread
 * over DAMP_SPREAD files in a row do; an answer resets the window and ends
 * a pause; while paused only one probe goes, after a back-off that doubles
 * up to DAMP_MAX; deaths in the pause that are not the probe's are not
 * charged; a probe that comes back uncharged lets another go. */
#include <string.h>

#include "supervisor/damp.h"
#include "tests/tap.h"

static const char *segv = "killed by signal 11 (SIGSEGV)";

static void
test_concentrated(void)
{
	struct damp d;
	int i, paused = 0;

	damp_init(&d);
	/* Three poison files, each dying again and again, among answers. */
	for (i = 0; i < 1000; i++)
		paused |= damp_death(&d, 1 + (uint64_t)(i % 3), segv, i) != DAMP_CHARGE;
	ok(!paused && !d.on, "1000 deaths on 3 files in a row: never paused");
	is_int(damp_room(&d, 1000, 4), 4, "... dispatch at full speed");
	is_int(d.nfiles, 3, "... 3 different files in the window");
	/* DAMP_SPREAD - 1 different files, an answer, then as many again. */
	damp_init(&d);
	for (i = 0; i < DAMP_SPREAD - 1; i++)
		paused |= damp_death(&d, (uint64_t)100 + (uint64_t)i, segv, 0) != DAMP_CHARGE;
	is_int(damp_answer(&d), 0, "an answer outside a pause ends none");
	for (i = 0; i < DAMP_SPREAD - 1; i++)
		paused |= damp_death(&d, (uint64_t)200 + (uint64_t)i, segv, 0) != DAMP_CHARGE;
	ok(!paused && !d.on, "%d different files, an answer, %d more: an answer between resets the window",
	    DAMP_SPREAD - 1, DAMP_SPREAD - 1);
	is_int(d.run, DAMP_SPREAD - 1, "... the run counts from the answer");
}

static void
test_spread(void)
{
	struct damp d;
	char why[600];
	int i;

	damp_init(&d);
	for (i = 0; i < DAMP_SPREAD - 1; i++)
		if (damp_death(&d, (uint64_t)i + 1, segv, 10) != DAMP_CHARGE)
			break;
	is_int(i, DAMP_SPREAD - 1, "the first %d different files: charged, no pause", DAMP_SPREAD - 1);
	is_int(damp_death(&d, 5, segv, 10), DAMP_CHARGE, "a file of the window again: still no pause");
	is_int(damp_death(&d, 500, segv, 10), DAMP_STARTED, "the %dth different file: paused", DAMP_SPREAD);
	ok(d.on, "... on");
	is_int(damp_room(&d, 10, 4), 0, "no task goes at once");
	is_int(damp_room(&d, 10 + DAMP_FIRST - 0.01, 4), 0, "... nor before the first back-off");
	is_int(damp_room(&d, 10 + DAMP_FIRST, 4), 1, "one probe after DAMP_FIRST");
	damp_reason(&d, 0, 10, why, sizeof why);
	ok(strncmp(why, DAMP_PREFIX, strlen(DAMP_PREFIX)) == 0 && strstr(why, segv) &&
	    strstr(why, "13 children in a row died on 12 different files") && !strstr(why, "next probe"),
	    "the stored reason: the prefix, the count, the cause, no time: %s", why);
	damp_reason(&d, 1, 10.2, why, sizeof why);
	ok(strstr(why, "; next probe in 0.3 s") != NULL, "the live reason: the wait: %s", why);

	/* A task sent before the pause dies in it: not charged. */
	is_int(damp_death(&d, 700, segv, 10.1), DAMP_UNCHARGED, "a death in the pause, not the probe: uncharged");
	damp_sent(&d, 42);
	is_int(d.probes, 1, "the probe is sent");
	is_int(damp_room(&d, 100, 4), 0, "one probe at a time");
	damp_reason(&d, 1, 10.6, why, sizeof why);
	ok(strstr(why, "; probe 1 running") != NULL, "the live reason: the probe runs: %s", why);
	is_int(damp_death(&d, 701, segv, 10.7), DAMP_UNCHARGED, "another's death while the probe runs: uncharged");
	is_int(damp_death(&d, 42, segv, 11), DAMP_PROBE_DIED, "the probe dies: charged");
	ok(d.delay == 2 * DAMP_FIRST, "... the back-off doubles (%g s)", d.delay);
	is_int(damp_room(&d, 11 + 2 * DAMP_FIRST - 0.01, 4), 0, "... no probe before it");
	is_int(damp_room(&d, 11 + 2 * DAMP_FIRST, 4), 1, "... the next after it");
	is_int(damp_respawn(&d), 2 * DAMP_FIRST, "respawns wait the back-off too");

	/* Doubling, capped. */
	for (i = 0; i < 20; i++) {
		damp_sent(&d, 42);
		damp_death(&d, 42, segv, 20 + i);
	}
	ok(d.delay == DAMP_MAX, "after many probes die: the back-off is capped at %g s", d.delay);

	/* A probe handed back uncharged (its child recycled): another may go. */
	damp_sent(&d, 43);
	damp_back(&d, 99);
	is_int(damp_room(&d, 1e9, 4), 0, "another task back: the probe still out");
	damp_back(&d, 43);
	is_int(damp_room(&d, 1e9, 4), 1, "the probe back uncharged: another may go");

	/* The answer ends the pause. */
	damp_sent(&d, 44);
	is_int(damp_answer(&d), 1, "the probe answered: the pause ends");
	ok(!d.on && d.run == 0 && d.nfiles == 0, "... the window is empty");
	is_int(damp_room(&d, 0, 4), 4, "... full dispatch again");
	is_int(damp_respawn(&d), 0, "... respawns at once");
	damp_reason(&d, 1, 0, why, sizeof why);
	is_int(strlen(why), 0, "... no reason");
	/* It pauses again from a fresh back-off. */
	for (i = 0; i < DAMP_SPREAD; i++)
		damp_death(&d, (uint64_t)900 + (uint64_t)i, segv, 50);
	ok(d.on && d.delay == DAMP_FIRST && d.probes == 0, "a second pause starts from DAMP_FIRST");
}

static void
test_reason_bounds(void)
{
	struct damp d;
	char small[16], why[600], cause[400];
	int i;

	damp_init(&d);
	memset(cause, 'x', sizeof cause - 1);
	cause[sizeof cause - 1] = '\0';
	for (i = 0; i < DAMP_SPREAD; i++)
		damp_death(&d, (uint64_t)i, cause, 0);
	damp_reason(&d, 1, 0, small, sizeof small);
	is_int(strlen(small), sizeof small - 1, "a reason cut to its buffer");
	damp_reason(&d, 1, 0, why, sizeof why);
	ok(strlen(why) < sizeof why && strstr(why, "next probe"), "a long cause is cut, the wait still said");
}

int
main(void)
{
	test_concentrated();
	test_spread();
	test_reason_bounds();
	return done_testing();
}
