/* keeper: one command run so that nothing of it outlives its file. A small
 * process of its own, the keeper, runs `sh -c CMD` as its child, reports
 * the command's wait status when sh exits, then kills and reaps every
 * descendant left, and exits. It owns those processes and nothing else:
 * it never reads the command's output nor touches the supervisor's socket. */
#ifndef CORRAL_KEEPER_H
#define CORRAL_KEEPER_H

#include <sys/types.h>

/* Starts `/bin/sh -c cmd` with in, out and err as its stdin, stdout and
 * stderr and no other descriptor, in the caller's process group, under a
 * new keeper. The keeper is a subreaper in a process group of its own:
 * a descendant that leaves the command's group (setsid, a double fork) is
 * still its child, and a kill of the caller's group leaves it standing to
 * kill what is left. It learns of the caller's death by end of file on
 * the link, however the caller dies.
 *
 * Returns the caller's end of the link (close-on-exec) with *pid the
 * keeper's, or -1 with errno (EMFILE, EAGAIN, ENOMEM). The link becomes
 * readable with the command's wait status (keeper_read), then at end of
 * file once the keeper has killed and reaped every descendant; the caller
 * then reaps the keeper. */
int keeper_start(const char *cmd, int in, int out, int err, pid_t *pid);

/* A timeout's SIGTERM reached the caller: the keeper passes it on to the
 * descendants that left the group, and once sh has ended lets them all end
 * by themselves, killing what is left only when the link ends (the caller
 * killed when its grace is over). */
void keeper_term(int link);

/* Reads the link once poll says it is readable. Returns 1 with *status the
 * command's wait status, 0 at end of file (the keeper is done, or died), or
 * -1 with errno. */
int keeper_read(int link, int *status);

#endif
