/* damp: crash-loop damping by where the crashes are, for one job. Told of
 * each death charged to one of the job's files (a crash or a timeout) and
 * of each answer (ok or failed: the child lived), it judges whether the
 * deaths since the last answer are spread over many files (the handler,
 * its library or the host is broken: dispatch pauses, one probe file at a
 * time after a back-off that doubles) or concentrated on a few (those
 * files are the trouble: their retries deal with them, dispatch goes on at
 * full speed). Pure: no loop, no I/O, no logging; damping.c acts on it. */
#ifndef CORRAL_DAMP_H
#define CORRAL_DAMP_H

#include <stddef.h>
#include <stdint.h>

/* Different files that died one after the other, no answer between, that
 * pause dispatch. A dozen: a broken handler or host kills every file and
 * gets there in a dozen files charged, while a corpus of which a third
 * kills its child does so by chance about once in 500,000 files, and then
 * pays only the first probe's wait (a corpus that is half poison: once in
 * 4,000). A file retried in the run counts once: the same file again is
 * the concentrated shape. */
#define DAMP_SPREAD	12
#define DAMP_FIRST	0.5		/* seconds before the first probe */
#define DAMP_MAX	60.0		/* ... doubling after each probe that dies, up to */

/* Words a damped job's stored reason starts with. */
#define DAMP_PREFIX	"crash loop: "

enum damp_verdict {
	DAMP_CHARGE,		/* charged to its file as usual */
	DAMP_STARTED,		/* charged, and dispatch pauses from now */
	DAMP_PROBE_DIED,	/* the probe: charged, the next probe waits twice as long */
	DAMP_UNCHARGED		/* sent before the pause and died in it: back to
				 * pending, not charged (the host's or the
				 * handler's fault, not the file's) */
};

struct damp {
	int on;				/* dispatch paused */
	int run;			/* deaths since the last answer */
	int nfiles;			/* different files among them, up to DAMP_SPREAD */
	uint64_t files[DAMP_SPREAD];	/* ... their seqs */
	int probing;			/* a probe is in a child */
	uint64_t probe;			/* ... its seq */
	uint32_t probes;		/* probes sent in this pause */
	double since;			/* when it paused (the loop's clock) */
	double delay;			/* the wait before the next probe */
	double next;			/* when the next probe may go */
	char cause[128];		/* how the last of them died, in words */
};

void damp_init(struct damp *d);
/* A task of seq died at now, charged to its file unless the verdict says
 * not; cause: in words ("killed by signal 11 (SIGSEGV)"). */
enum damp_verdict damp_death(struct damp *d, uint64_t seq, const char *cause, double now);
/* A task answered (ok or failed). Returns 1 when that ends a pause. */
int damp_answer(struct damp *d);
/* A task went back to pending uncharged (its child recycled, the host
 * refused it): if it was the probe, another may go. */
void damp_back(struct damp *d, uint64_t seq);
/* Whether the job may be given tasks at now, and how many of room: all of
 * them when not paused; one, the probe, when it is due and none is out. */
int damp_room(const struct damp *d, double now, int room);
/* The probe (a task of seq) was sent. */
void damp_sent(struct damp *d, uint64_t seq);
/* Seconds a child that died on one of its tasks waits to be started
 * again: 0, or the probes' back-off while paused. */
double damp_respawn(const struct damp *d);
/* The reason, for people: with live 0, what is stored with the job (no
 * times, which would go stale); with live 1, also what it waits for now. */
void damp_reason(const struct damp *d, int live, double now, char *out, size_t len);

#endif
