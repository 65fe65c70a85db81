/* death: one child's end, classified (death.h). The rules, in order: a
 * stop charges nothing; a set-up failure (exec, FATAL before READY, exit
 * 78) fails the job it was being set up for, or stops the pool when it
 * had none; a kill of ours is what we killed it for, whatever
 * its status says; otherwise the wait status says how it died. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "supervisor/death.h"
#include "supervisor/sup.h"

static const char *
signame(int sig)
{
	const char *n = sigabbrev_np(sig);

	return n ? n : "?";
}

void
death_classify(const struct death_in *in, struct death *d)
{
	const char *why = in->why ? in->why : "";

	memset(d, 0, sizeof *d);
	d->code = -1;
	d->outcome = in->running ? OUT_CRASHED : DEATH_NO_OUTCOME;
	d->respawn = in->running ? RESPAWN_NOW : RESPAWN_BACKOFF;
	d->killed = in->kill != KILL_NONE;

	switch (in->kill) {
	case KILL_SHUTDOWN:
		d->cause = DEATH_SHUTDOWN;
		snprintf(d->what, sizeof d->what, "stopped with the supervisor");
		goto never;
	case KILL_EXEC:
		d->cause = DEATH_SETUP;
		snprintf(d->what, sizeof d->what, "unable to start worker program %s: %s",
		    in->worker, strerror(in->exec_errno));
		if (sup_host_refused(in->exec_errno)) {
			d->outcome = DEATH_NO_OUTCOME;
			d->respawn = RESPAWN_HOST;
			return;
		}
		goto never;
	case KILL_SETUP:
		d->cause = DEATH_SETUP;
		snprintf(d->what, sizeof d->what, "worker set-up failed: %s", why);
		goto setup;
	case KILL_RECYCLE:
		d->cause = DEATH_RECYCLE;
		d->outcome = DEATH_NO_OUTCOME;
		d->respawn = RESPAWN_NOW;
		snprintf(d->what, sizeof d->what, "replaced by a fresh worker");
		return;
	case KILL_RSS:
		/* The running file's doing, as any crash is: charged, and
		 * retried under --retries like one. */
		d->cause = DEATH_RSS;
		snprintf(d->what, sizeof d->what, "%s", why);
		return;
	case KILL_TIMEOUT:
		d->cause = DEATH_TIMEOUT;
		if (in->running)
			d->outcome = OUT_TIMEOUT;
		d->limit = in->limit == TL_NONE ? TL_TOTAL : in->limit;
		if (d->limit == TL_STALL)
			snprintf(d->what, sizeof d->what, "stalled: no progress for %gs", in->stall_s);
		else
			snprintf(d->what, sizeof d->what, "timeout after %gs%s", in->timeout_s,
			    d->limit == TL_ADAPTIVE ? " (of the median of its job's ok files)" : "");
		return;
	case KILL_PROTOCOL:
		d->cause = DEATH_PROTOCOL;
		snprintf(d->what, sizeof d->what, "protocol error: %s", why);
		return;
	case KILL_HELLO:
		d->cause = DEATH_PROTOCOL;
		snprintf(d->what, sizeof d->what, "no hello within %gs", in->hello_s);
		return;
	case KILL_WORDS:
		d->cause = DEATH_SANDBOX;
		snprintf(d->what, sizeof d->what, "%s", why);
		return;
	case KILL_NONE:
		break;
	}

	if (!in->reaped) {
		/* Only a stop ends a child before its reap. */
		d->cause = DEATH_SHUTDOWN;
		snprintf(d->what, sizeof d->what, "ended unreaped");
		goto never;
	}
	if (WIFSIGNALED(in->status)) {
		d->sig = WTERMSIG(in->status);
		d->cause = DEATH_SIGNAL;
		if (d->sig == SIGSYS && in->serving) {
			/* Killed by seccomp without a word. */
			d->cause = DEATH_SANDBOX;
			snprintf(d->what, sizeof d->what,
			    "sandbox: a refused system call (killed by signal %d (SIGSYS))", d->sig);
			return;
		}
		if (d->sig == SIGXCPU && in->serving && in->running) {
			/* The kernel's backstop, RLIMIT_CPU, which the child
			 * arms per task above its timeout: a timeout, not a
			 * crash. */
			d->cause = DEATH_TIMEOUT;
			d->outcome = OUT_TIMEOUT;
			d->limit = TL_CPU;
			snprintf(d->what, sizeof d->what,
			    "CPU time limit reached (killed by signal %d (SIGXCPU))", d->sig);
			return;
		}
		snprintf(d->what, sizeof d->what, "killed by signal %d (SIG%s)%s", d->sig,
		    signame(d->sig), WCOREDUMP(in->status) ? ", core dumped" : "");
		return;
	}
	if (WIFEXITED(in->status)) {
		d->code = WEXITSTATUS(in->status);
		d->cause = DEATH_EXIT;
		if (d->code == CHILD_EXIT_SETUP) {
			/* Nobody's file's fault, and no point starting another. */
			d->cause = DEATH_SETUP;
			snprintf(d->what, sizeof d->what, "worker %d: set-up failed (exit status %d)",
			    (int)in->pid, d->code);
			goto setup;
		}
		snprintf(d->what, sizeof d->what, "exited with status %d", d->code);
		return;
	}
	d->cause = DEATH_EXIT;
	snprintf(d->what, sizeof d->what, "ended with wait status %#x", in->status);
	return;
setup:
	/* For a job: the job's fault (its plugin, its sandbox), not the
	 * pool's; a fresh child is ready for other jobs. */
	if (in->setting_up) {
		d->outcome = DEATH_NO_OUTCOME;
		d->respawn = RESPAWN_NOW;
		d->job_failed = 1;
		return;
	}
never:
	d->outcome = DEATH_NO_OUTCOME;
	d->respawn = RESPAWN_NEVER;
}
