/* progress: what a person watching a run sees on stderr. On a terminal, a
 * live block redrawn a few times a second: done/total, rate, ETA, the
 * counts that are not ok, and what each worker is doing. Elsewhere, a plain
 * line every few seconds. Log lines clear the block and it is redrawn. */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/log.h"
#include "supervisor/sup.h"

#define TTY_EVERY	0.25
#define PLAIN_EVERY	5.0
#define MAX_WORKER_LINES 8

static struct sup *shown;	/* the run the block belongs to */
static ev_timer timer;
static int tty, drawn;

static int
term_width(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		return ws.ws_col;
	return 80;
}

static void
fmt_secs(char *b, size_t len, double secs)
{
	unsigned long s = secs > 0 ? (unsigned long)(secs + 0.5) : 0;

	if (s >= 3600)
		snprintf(b, len, "%luh%02lum", s / 3600, s / 60 % 60);
	else if (s >= 60)
		snprintf(b, len, "%lum%02lus", s / 60, s % 60);
	else
		snprintf(b, len, "%lus", s);
}

/* The headline: "1234/10000 (12%) 250/s ETA 35s, 3 failed ...". */
static void
headline(struct sup *s, char *b, size_t len)
{
	struct job *j = s->jobs;
	uint64_t done = 0, total = 0, ran = 0, bad[OUT__COUNT] = { 0 };
	double took, rate;
	char eta[32] = "?";
	int i, scanning = 0;

	for (; j; j = j->next) {
		done += job_done(j);
		ran += job_done(j) - j->done_at_start;
		total += j->rec.total;
		scanning |= j->scan != NULL;
		for (i = 0; i < OUT__COUNT; i++)
			bad[i] += j->rec.count[i];
	}
	took = ev_time() - s->jobs->t0;	/* NOLINT(clang-analyzer-core.NullDereference): run's pool keeps its one job while progress is shown */
	rate = took > 0 ? (double)ran / took : 0;
	if (rate > 0 && !scanning)
		fmt_secs(eta, sizeof eta, (double)(total - done) / rate);
	snprintf(b, len, "%llu/%llu%s (%.0f%%) %.0f/s ETA %s  failed %llu crashed %llu timeout %llu skipped %llu",
	    (unsigned long long)done, (unsigned long long)total, scanning ? "+" : "",
	    total ? 100.0 * (double)done / (double)total : 0.0, rate, eta,
	    (unsigned long long)bad[OUT_FAILED], (unsigned long long)bad[OUT_CRASHED],
	    (unsigned long long)bad[OUT_TIMEOUT], (unsigned long long)bad[OUT_SKIPPED]);
}

static void
clear_block(void)
{
	if (tty && drawn) {
		fputs("\r\033[J", stderr);
		fflush(stderr);
		drawn = 0;
	}
}

static void
draw(struct sup *s)
{
	char line[1024], secs[32];
	int width = term_width(), i, n = 0;
	ev_tstamp now = ev_time();

	headline(s, line, sizeof line);
	if (!tty) {
		fprintf(stderr, "corral: progress: %s\n", line);
		fflush(stderr);
		return;
	}
	clear_block();
	fprintf(stderr, "%.*s", width - 1, line);
	for (i = 0; i < s->nslots && i < MAX_WORKER_LINES; i++) {
		struct slot *sl = s->slots[i];
		const char *what = slot_state_name(sl->state);
		int w;

		if (sl->state == SLOT_BUSY) {
			fmt_secs(secs, sizeof secs, now - sl->q->started);
			w = snprintf(line, sizeof line, "  [%d] pid %d %s %s", i, (int)sl->pid, secs,
			    sup_esc(sl->q->path, sl->q->path_len));
		} else
			w = snprintf(line, sizeof line, "  [%d] pid %d %s", i, (int)sl->pid,
			    sl->state == SLOT_IDLE ? "idle" : sl->state == SLOT_EMPTY ? "restarting" : what);
		(void)w;
		fprintf(stderr, "\n%.*s", width - 1, line);
		n++;
	}
	if (s->nslots > MAX_WORKER_LINES) {
		fprintf(stderr, "\n  (+%d more workers)", s->nslots - MAX_WORKER_LINES);
		n++;
	}
	if (n)
		fprintf(stderr, "\033[%dA", n);
	fputc('\r', stderr);
	fflush(stderr);
	drawn = 1;
}

static void
progress_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop, (void)revents;
	draw(w->data);
}

static void
before_log(void)
{
	clear_block();
}

static void
after_log(void)
{
	if (shown && !shown->stopping)
		draw(shown);
}

void
progress_start(struct sup *s, int quiet)
{
	ev_tstamp every;

	if (quiet)
		return;
	tty = isatty(STDERR_FILENO);
	every = tty ? TTY_EVERY : PLAIN_EVERY;
	shown = s;
	ev_timer_init(&timer, progress_cb, every, every);
	timer.data = s;
	ev_timer_start(s->loop, &timer);
	if (tty)
		log_set_hooks(before_log, after_log);
}

void
progress_stop(struct sup *s)
{
	if (shown != s)
		return;
	ev_timer_stop(s->loop, &timer);
	clear_block();
	log_set_hooks(NULL, NULL);
	shown = NULL;
}
