/* progress: what a person watching a run sees on stderr. On a terminal, a
 * live block redrawn a few times a second, each line fitted to its width:
 * done/total, the ok count and those that are not ok, elapsed time, rate
 * and ETA (neither counting time stopped with Ctrl-Z), and what each
 * worker is doing; before it, a line if the stdin list keeps the job
 * waiting. Elsewhere,
 * a plain line every few seconds. Log lines clear the block and it is
 * redrawn. */
#include <poll.h>
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

/* Appends field f to the line at b (*at bytes used), after a space, when
 * it fits in width columns (0: any width); once one does not, none after
 * it is added either, so what is shown keeps its order. */
static void
field(char *b, size_t len, size_t *at, int width, int *full, const char *f)
{
	int cols;

	if (*full)
		return;
	cols = progress_cols(b) + (*at ? 1 : 0) + progress_cols(f);
	if ((width && cols > width) || *at + strlen(f) + 2 > len) {
		*full = 1;
		return;
	}
	*at += (size_t)snprintf(b + *at, len - *at, "%s%s", *at ? " " : "", f);
}

/* The headline, the most telling first: "1234/10000 ok 1200 failed 34
 * elapsed 12.3s 250/s ETA 35s (12%)", the counts that are not ok only when
 * there are some, fields that do not fit in width left off the end. */
static void
headline(struct sup *s, char *b, size_t len, int width)
{
	static const char *const bad_name[OUT__COUNT] = {
		[OUT_FAILED] = "failed", [OUT_CRASHED] = "crashed",
		[OUT_TIMEOUT] = "timeout", [OUT_SKIPPED] = "skipped",
		[OUT_QUARANTINED] = "quarantined",
	};
	struct job *j = s->jobs;
	uint64_t done = 0, total = 0, ran = 0, count[OUT__COUNT] = { 0 };
	double took, rate;
	char f[64], t[32];
	size_t at = 0;
	int i, scanning = 0, full = 0;

	for (; j; j = j->next) {
		done += job_done(j);
		ran += job_done(j) - j->done_at_start;
		total += j->rec.total;
		scanning |= j->scan != NULL;
		for (i = 0; i < OUT__COUNT; i++)
			count[i] += j->rec.count[i];
	}
	took = ev_time() - s->jobs->t0;	/* NOLINT(clang-analyzer-core.NullDereference): run's pool keeps its one job while progress is shown */
	/* A job stopped with Ctrl-Z did nothing meanwhile: it would dilute the rate. */
	rate = progress_rate(ran, took, s->stopped_for);
	b[0] = '\0';
	snprintf(f, sizeof f, "%llu/%llu%s", (unsigned long long)done, (unsigned long long)total,
	    scanning ? "+" : "");
	field(b, len, &at, width, &full, f);
	snprintf(f, sizeof f, "ok %llu", (unsigned long long)count[OUT_OK]);
	field(b, len, &at, width, &full, f);
	for (i = 0; i < OUT__COUNT; i++)
		if (bad_name[i] && count[i]) {
			snprintf(f, sizeof f, "%s %llu", bad_name[i], (unsigned long long)count[i]);
			field(b, len, &at, width, &full, f);
		}
	progress_secs(t, sizeof t, took);
	snprintf(f, sizeof f, "elapsed %s", t);
	field(b, len, &at, width, &full, f);
	snprintf(f, sizeof f, rate < 10 ? "%.1f/s" : "%.0f/s", rate);
	field(b, len, &at, width, &full, f);
	if (rate > 0 && !scanning)
		progress_secs(t, sizeof t, (double)(total - done) / rate);
	else
		snprintf(t, sizeof t, "?");
	snprintf(f, sizeof f, "ETA %s", t);
	field(b, len, &at, width, &full, f);
	snprintf(f, sizeof f, "(%.0f%%)", total ? 100.0 * (double)done / (double)total : 0.0);
	field(b, len, &at, width, &full, f);
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

/* One line of the block, in at most width - 1 columns: the last column
 * is left alone, where some terminals wrap at once. */
static void
block_line(const char *line, int width, int *n)
{
	char fitted[1024];

	progress_fit(fitted, sizeof fitted, line, width - 1);
	fprintf(stderr, "%s%s", *n ? "\n" : "", fitted);
	(*n)++;
}

static void
draw(struct sup *s)
{
	char line[1024], secs[32], head[128], path[sizeof line - sizeof head];
	int width = term_width(), i, n = 0, room;
	ev_tstamp now = ev_time();
	struct job *j;

	if (!tty) {
		headline(s, line, sizeof line, 0);
		fprintf(stderr, "corral: progress: %s\n", line);
		for (j = s->jobs; j; j = j->next)
			if (job_damp_reason(j, line, sizeof line))
				fprintf(stderr, "corral: progress: job %s: %s\n", j->rec.name, line);
		fflush(stderr);
		return;
	}
	headline(s, line, sizeof line, width - 1);
	clear_block();
	block_line(line, width, &n);
	/* Why it is not going faster, when a crash loop paused it. */
	for (j = s->jobs; j; j = j->next)
		if (job_damp_reason(j, path, sizeof path)) {
			snprintf(line, sizeof line, "  %s", path);
			block_line(line, width, &n);
		}
	for (i = 0; i < s->nslots && i < MAX_WORKER_LINES; i++) {
		struct slot *sl = s->slots[i];

		if (sl->state == SLOT_BUSY) {
			progress_secs(secs, sizeof secs, now - sl->q->started);
			snprintf(head, sizeof head, "  [%d] pid %d %s ", i, (int)sl->pid, secs);
			/* The path gets what the rest leaves, shortened in its middle:
			 * both its top directories and its file name stay in view. */
			room = width - 1 - progress_cols(head);
			progress_fit(path, sizeof path, sup_esc(sl->q->path, sl->q->path_len), room);
			snprintf(line, sizeof line, "%s%s", head, path);
		} else
			snprintf(line, sizeof line, "  [%d] pid %d %s", i, (int)sl->pid,
			    sl->state == SLOT_IDLE ? "idle" : sl->state == SLOT_EMPTY ? "restarting" :
			    slot_state_name(sl->state));
		block_line(line, width, &n);
	}
	if (s->nslots > MAX_WORKER_LINES) {
		snprintf(line, sizeof line, "  (+%d more workers)", s->nslots - MAX_WORKER_LINES);
		block_line(line, width, &n);
	}
	if (n > 1)
		fprintf(stderr, "\033[%dA", n - 1);
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
progress_list_wait(const struct job_spec *spec, int quiet)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	int i;

	if (quiet || !isatty(STDERR_FILENO))
		return;
	for (i = 0; i < spec->ninputs; i++)
		if (strcmp(spec->inputs[i], "-") == 0)
			break;
	/* Nothing there yet: without a word, a person at a terminal would see
	 * a run that hangs, or not know that the paths are to be typed. */
	if (i < spec->ninputs && poll(&p, 1, 0) == 0) {
		fputs("corral: waiting for paths on stdin (end with Ctrl-D)\n", stderr);
		fflush(stderr);
	}
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
