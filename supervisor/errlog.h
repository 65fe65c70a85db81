/* errlog: a child's stderr, a pipe read on the loop. Each line goes to the
 * supervisor's log, prefixed with the worker's pid and slot, escaped, cut
 * at ERRLOG_LINE bytes and at ERRLOG_RATE lines a second; the last
 * ERRLOG_TAIL bytes are kept for the outcome of a death. Fixed memory per
 * slot, reads bounded per wake-up, and never a wait for EOF: a grandchild
 * may hold the pipe open long after the child is gone. */
#ifndef CORRAL_ERRLOG_H
#define CORRAL_ERRLOG_H

#include <stddef.h>
#include <sys/types.h>

#include <ev.h>

#define ERRLOG_LINE	256	/* bytes of one line as logged */
#define ERRLOG_TAIL	2048	/* bytes kept for the outcome */
#define ERRLOG_RATE	20	/* lines logged per second and child */

struct errlog {
	struct ev_loop *loop;
	ev_io io;
	int fd;				/* the pipe's read end, or -1 */
	pid_t pid;
	int slot;
	char line[ERRLOG_LINE];		/* the line being read */
	size_t line_len;
	int line_cut;			/* the line passed ERRLOG_LINE */
	char tail[2 * ERRLOG_TAIL];	/* the last bytes, at most ERRLOG_TAIL after a shift */
	size_t tail_len;
	int tail_cut;			/* bytes before tail were dropped */
	ev_tstamp second;		/* the rate's current second */
	unsigned shown;			/* lines logged in it */
	unsigned long long hidden;	/* lines not logged, not yet told */
};

void errlog_init(struct errlog *e, struct ev_loop *loop, int slot);
/* Takes fd (non-blocking, the read end) for the child pid: the tail starts
 * empty. */
void errlog_open(struct errlog *e, int fd, pid_t pid);
/* Reads what the pipe holds now, up to a bound, logs its last partial line
 * and closes it. The tail stays until the next open. */
void errlog_close(struct errlog *e);
/* The tail from its first whole line, trailing newlines left out; *len is
 * 0 when the child said nothing. */
const char *errlog_tail(const struct errlog *e, size_t *len);
/* The last non-empty line of the tail. */
const char *errlog_last_line(const struct errlog *e, size_t *len);

#endif
