/* slot_step: what slot.c (the state x event table and its actions) and
 * slot_io.c (the callbacks that raise the events) share. Private to the
 * two; the pool's interface is in sup.h. */
#ifndef CORRAL_SLOT_STEP_H
#define CORRAL_SLOT_STEP_H

#include "supervisor/sup.h"

enum slot_event {
	SE_START,		/* start the first child */
	SE_EXECED,		/* the exec-status pipe closed: the program runs */
	SE_EXEC_FAILED,		/* it carried exec's errno */
	SE_HELLO,
	SE_READY,		/* READY for the job it was sent */
	SE_ANSWER,		/* a RESULT */
	SE_WORDS,		/* a FATAL: its last words */
	SE_BAD_FRAME,		/* undecodable, unexpected, oversize, cut */
	SE_EOF,			/* end of stream, or a read error */
	SE_WRITE_ERROR,
	SE_SENT,		/* tasks were queued at it */
	SE_TIMER,		/* its timer: respawn, hello, deadline, reap wait, grace */
	SE_CONT,		/* the supervisor was stopped and continued */
	SE_REAPED,
	SE_STOP,		/* the supervisor stops */
	SE_RECYCLE,		/* a fresh child wanted (another job's, or none) */
	SE_PROGRESS,		/* a PROGRESS: the running task is alive */
	SE_HASH,		/* a HASH: --reuse asks about the running task */
	SE__COUNT
};

struct slot_input {
	const struct ipc_msg *m;	/* frames */
	const char *why;		/* SE_BAD_FRAME */
	int err;			/* SE_EXEC_FAILED */
	int status;			/* SE_REAPED: the wait status */
};

/* Looks up table[state][event] and runs it. */
void slot_step(struct slot *sl, enum slot_event ev, const struct slot_input *in);
/* Does the teardown steps asked for, unless inside one of the slot's own
 * callbacks (in_cb): then its end does. */
void slot_settle(struct slot *sl);
int slot_takes_tasks(const struct slot *sl);
void slot_io_init(struct slot *sl);

#endif
