/* errlog: a child's stderr, read on the loop a bounded amount at a time,
 * relayed to the log line by line and its tail kept for the outcome. The
 * child writes into a pipe it cannot outgrow: when the supervisor reads
 * slower than it writes, the child blocks on the full pipe, not the loop
 * on the child. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "supervisor/errlog.h"
#include "supervisor/sup.h"

#define CHUNK		4096
#define READS_PER_CB	4		/* then the other watchers get their turn */
#define CLOSE_MAX	(1u << 20)	/* read at close at most: the largest pipe */

static void
errlog_hidden(struct errlog *e)
{
	if (e->hidden > 0)
		log_warnx("worker %d (slot %d): %llu more lines on stderr not shown", (int)e->pid,
		    e->slot, e->hidden);
	e->hidden = 0;
}

/* One line to the log, unless this second's share is used up. */
static void
errlog_line(struct errlog *e)
{
	ev_tstamp now = ev_now(e->loop);
	size_t len = e->line_len;

	while (len > 0 && e->line[len - 1] == '\r')
		len--;
	if (len > 0 || e->line_cut) {
		if (now - e->second >= 1.0) {
			errlog_hidden(e);
			e->second = now;
			e->shown = 0;
		}
		if (e->shown < ERRLOG_RATE) {
			e->shown++;
			log_warnx("worker %d (slot %d) stderr: %s%s", (int)e->pid, e->slot,
			    sup_esc(e->line, len), e->line_cut ? " [cut]" : "");
		} else
			e->hidden++;
	}
	e->line_len = 0;
	e->line_cut = 0;
}

/* Keeps the last ERRLOG_TAIL bytes at least, shifting at most once per
 * ERRLOG_TAIL bytes read. */
static void
errlog_keep(struct errlog *e, const char *p, size_t n)
{
	size_t keep;

	if (n >= ERRLOG_TAIL) {
		memcpy(e->tail, p + n - ERRLOG_TAIL, ERRLOG_TAIL);
		e->tail_cut |= n > ERRLOG_TAIL || e->tail_len > 0;
		e->tail_len = ERRLOG_TAIL;
		return;
	}
	if (e->tail_len + n > sizeof e->tail) {
		keep = ERRLOG_TAIL;
		memmove(e->tail, e->tail + e->tail_len - keep, keep);
		e->tail_len = keep;
		e->tail_cut = 1;
	}
	memcpy(e->tail + e->tail_len, p, n);
	e->tail_len += n;
}

static void
errlog_bytes(struct errlog *e, const char *p, size_t n)
{
	const char *nl;
	size_t seg, room;

	errlog_keep(e, p, n);
	while (n > 0) {
		nl = memchr(p, '\n', n);
		seg = nl ? (size_t)(nl - p) : n;
		room = sizeof e->line - e->line_len;
		if (seg > room)
			e->line_cut = 1;
		memcpy(e->line + e->line_len, p, seg < room ? seg : room);
		e->line_len += seg < room ? seg : room;
		if (nl == NULL)
			return;
		errlog_line(e);
		p += seg + 1;
		n -= seg + 1;
	}
}

/* Reads up to max bytes. Returns 1 if the pipe may hold more, 0 if not
 * (empty now, or closed by every writer). */
static int
errlog_read(struct errlog *e, size_t max)
{
	char buf[CHUNK];
	size_t got = 0;
	ssize_t n;

	while (e->fd >= 0 && got < max) {
		n = read(e->fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			/* Every writer is gone (or the pipe broke): done. */
			ev_io_stop(e->loop, &e->io);
			close(e->fd);
			e->fd = -1;
			return 0;
		}
		errlog_bytes(e, buf, (size_t)n);
		got += (size_t)n;
	}
	return e->fd >= 0;
}

static void
errlog_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop, (void)revents;
	errlog_read(w->data, READS_PER_CB * CHUNK);
}

void
errlog_init(struct errlog *e, struct ev_loop *loop, int slot)
{
	memset(e, 0, sizeof *e);
	e->loop = loop;
	e->fd = -1;
	e->slot = slot;
	ev_io_init(&e->io, errlog_cb, -1, EV_READ);
	e->io.data = e;
}

void
errlog_open(struct errlog *e, int fd, pid_t pid)
{
	e->fd = fd;
	e->pid = pid;
	e->line_len = e->tail_len = 0;
	e->line_cut = e->tail_cut = 0;
	e->shown = 0;
	e->hidden = 0;
	e->second = 0;
	ev_io_set(&e->io, fd, EV_READ);
	ev_io_start(e->loop, &e->io);
}

void
errlog_close(struct errlog *e)
{
	if (e->fd < 0 && e->line_len == 0 && !e->line_cut && e->hidden == 0)
		return;
	/* What the child wrote before it died is all in the pipe by now;
	 * more would come only from a descendant still holding it, and is
	 * not waited for. */
	errlog_read(e, CLOSE_MAX);
	if (e->line_len > 0 || e->line_cut)
		errlog_line(e);
	errlog_hidden(e);
	if (e->fd >= 0) {
		ev_io_stop(e->loop, &e->io);
		close(e->fd);
		e->fd = -1;
	}
}

const char *
errlog_tail(const struct errlog *e, size_t *len)
{
	const char *p = e->tail, *end = e->tail + e->tail_len, *nl;

	if (e->tail_len > ERRLOG_TAIL)
		p = end - ERRLOG_TAIL;
	/* A line cut at its front is left out, unless it is all there is. */
	if ((e->tail_cut || p > e->tail) && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL &&
	    nl + 1 < end)
		p = nl + 1;
	while (end > p && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	*len = (size_t)(end - p);
	return p;
}

const char *
errlog_last_line(const struct errlog *e, size_t *len)
{
	size_t n;
	const char *p = errlog_tail(e, &n), *end = p + n, *start;

	start = end;
	while (start > p && start[-1] != '\n')
		start--;
	while (end > start && end[-1] == '\r')
		end--;
	*len = (size_t)(end - start);
	return start;
}
