/* spawn: how a worker process comes to be. The socketpair, the pipes, the
 * fork and what the child does before exec (its own process group, death
 * with its parent, the socket at IPC_CHILD_FD, stderr, no blocked signal),
 * and the worker's argv. The pool's slots and `corral replay` both start
 * their children here, so a replayed file meets the worker the pool would
 * start. Never touches the loop, a slot's state or the store. */
#ifndef CORRAL_SPAWN_H
#define CORRAL_SPAWN_H

#include <sys/types.h>

enum {
	SPAWN_OWN_GROUP = 1u << 0,	/* the child leads a process group of its own */
	SPAWN_ERR_PIPE = 1u << 1,	/* its stderr is a pipe (errfd); else ours */
	SPAWN_TRACED = 1u << 2		/* the worker keeps itself dumpable
					 * (IPC_TRACED_ARG): replay --gdb only */
};

/* A child just forked. sock: our end of its socket (non-blocking, close-on-
 * exec); execfd: the exec-status pipe's read end (non-blocking), which
 * holds exec's errno when exec failed and ends (EOF) when it worked;
 * errfd: its stderr's read end (non-blocking), or -1. */
struct spawned {
	pid_t pid;
	int sock, execfd, errfd;
};

/* Starts worker (a path) as "worker __worker [--traced] PAD": PAD is room
 * for the name the child takes once it knows its job (what ps shows).
 * wrap, when not NULL, is a NULL-terminated argv run instead, with the
 * worker's argv after it (gdb ... --args): searched in PATH. parent is the
 * pid the child checks it was forked by, for its PR_SET_PDEATHSIG.
 * Returns 0, or -1 with errno and *what naming the step that failed
 * ("socketpair", "pipe", "fork", "out of memory"). */
int spawn_worker(const char *worker, char *const *wrap, unsigned flags, pid_t parent,
    struct spawned *out, const char **what);

#endif
