/* damp: where a job's crashes are (damp.h). The window is the run of
 * deaths since the job's last answer, counted by the different files in
 * it: many different files dying one after the other is the spread shape,
 * one or a few files dying again and again the concentrated one. While
 * paused, a death of a task sent before the pause is not charged (it would
 * have died on any file), the probe's is; an answer, the probe's or a late
 * one of a task sent before, ends the pause. */
#include <stdio.h>
#include <string.h>

#include "supervisor/damp.h"

void
damp_init(struct damp *d)
{
	memset(d, 0, sizeof *d);
}

static void
note(struct damp *d, uint64_t seq)
{
	int i;

	d->run++;
	for (i = 0; i < d->nfiles; i++)
		if (d->files[i] == seq)
			return;
	if (d->nfiles < DAMP_SPREAD)
		d->files[d->nfiles++] = seq;
}

enum damp_verdict
damp_death(struct damp *d, uint64_t seq, const char *cause, double now)
{
	snprintf(d->cause, sizeof d->cause, "%s", cause ? cause : "");
	if (d->on) {
		if (!d->probing || seq != d->probe)
			return DAMP_UNCHARGED;
		d->probing = 0;
		d->delay = d->delay * 2 < DAMP_MAX ? d->delay * 2 : DAMP_MAX;
		d->next = now + d->delay;
		return DAMP_PROBE_DIED;
	}
	note(d, seq);
	if (d->nfiles < DAMP_SPREAD)
		return DAMP_CHARGE;
	d->on = 1;
	d->probing = 0;
	d->probes = 0;
	d->since = now;
	d->delay = DAMP_FIRST;
	d->next = now + d->delay;
	return DAMP_STARTED;
}

int
damp_answer(struct damp *d)
{
	int was = d->on;

	d->on = 0;
	d->probing = 0;
	d->run = 0;
	d->nfiles = 0;
	return was;
}

void
damp_back(struct damp *d, uint64_t seq)
{
	if (d->on && d->probing && seq == d->probe)
		d->probing = 0;
}

int
damp_room(const struct damp *d, double now, int room)
{
	if (!d->on)
		return room;
	if (d->probing || now < d->next || room < 1)
		return 0;
	return 1;
}

void
damp_sent(struct damp *d, uint64_t seq)
{
	if (!d->on)
		return;
	d->probing = 1;
	d->probe = seq;
	d->probes++;
}

double
damp_respawn(const struct damp *d)
{
	return d->on ? d->delay : 0;
}

void
damp_reason(const struct damp *d, int live, double now, char *out, size_t len)
{
	int n;

	if (len == 0)
		return;
	out[0] = '\0';
	if (!d->on)
		return;
	n = snprintf(out, len, DAMP_PREFIX "%d children in a row died on %d different files "
	    "(the last: %s); dispatch paused, one probe file at a time until one is answered",
	    d->run, d->nfiles, d->cause[0] ? d->cause : "?");
	if (!live || n < 0 || (size_t)n >= len)
		return;
	if (d->probing)
		snprintf(out + n, len - (size_t)n, "; probe %u running", d->probes);
	else
		snprintf(out + n, len - (size_t)n, "; next probe in %.1f s",
		    d->next > now ? d->next - now : 0.0);
}
