/* death: how a child ended, decided in one place. From what its slot knew
 * (why the supervisor killed it, if it did; its wait status, if reaped;
 * whether it was set up; whether a task was running) to one cause, the
 * outcome charged to the running task, and when to start the next child.
 * Pure: no loop, no I/O, no logging; slot.c acts on the verdict. */
#ifndef CORRAL_DEATH_H
#define CORRAL_DEATH_H

#include <sys/types.h>

/* Why the supervisor killed a child; KILL_NONE: it died on its own. */
enum slot_kill_why {
	KILL_NONE,
	KILL_TIMEOUT,		/* its running task passed its deadline, or its
				 * stall (death_in.limit says which) */
	KILL_PROTOCOL,		/* it broke the protocol (why says how) */
	KILL_HELLO,		/* no hello in time */
	KILL_WORDS,		/* FATAL while serving: a sandbox's refusal, say */
	KILL_SETUP,		/* FATAL before it was set up */
	KILL_EXEC,		/* the worker program could not be executed */
	KILL_SHUTDOWN,		/* the supervisor is stopping */
	KILL_RECYCLE,		/* replaced by a fresh child, for another job or
				 * at its job's --max-tasks-per-child or
				 * --max-child-rss */
	KILL_RSS		/* its resident memory passed its job's hard cap
				 * while a task ran */
};

enum death_cause {
	DEATH_EXIT,		/* exited with a status of its own */
	DEATH_SIGNAL,		/* killed by a signal it was not sent by us */
	DEATH_TIMEOUT,
	DEATH_PROTOCOL,		/* protocol error, or no hello */
	DEATH_SANDBOX,		/* a refused system call: FATAL words or SIGSYS */
	DEATH_SETUP,		/* exit 78, FATAL before READY, exec failed */
	DEATH_SHUTDOWN,
	DEATH_RECYCLE,		/* replaced: nobody's fault */
	DEATH_RSS		/* killed above the hard cap: a crash, charged */
};

enum death_respawn {
	RESPAWN_NOW,		/* it died on a file: the file's fault */
	RESPAWN_BACKOFF,	/* it died with nothing to do: the program's */
	RESPAWN_NEVER,		/* set-up failed, or stopping */
	RESPAWN_HOST		/* the host refused it descriptors, processes
				 * or memory: later, nobody's fault */
};

/* No outcome: the running task, if any, goes back uncharged. */
#define DEATH_NO_OUTCOME	(-1)

struct death_in {
	enum slot_kill_why kill;
	const char *why;	/* KILL_PROTOCOL, KILL_WORDS, KILL_SETUP: the words */
	int exec_errno;		/* KILL_EXEC: exec's errno */
	int reaped;		/* status is a wait status */
	int status;
	int serving;		/* it said READY for a job (walls up) */
	int setting_up;		/* it was sent a job, and has not said READY */
	int running;		/* a task was running in it */
	pid_t pid;
	double timeout_s;	/* the running task's timeout */
	int limit;		/* KILL_TIMEOUT: which limit (enum time_limit) */
	double stall_s;		/* the running task's --stall */
	double hello_s;		/* what it had to say hello */
	const char *worker;	/* the worker program, for set-up errors */
};

struct death {
	enum death_cause cause;
	int outcome;		/* OUT_CRASHED, OUT_TIMEOUT or DEATH_NO_OUTCOME */
	enum death_respawn respawn;
	int killed;		/* by us: logged as "killed: ..." */
	int job_failed;		/* its job's set-up failed (what says why): the
				 * job fails, the pool goes on */
	int sig, code;		/* the signal (or 0), the exit status (or -1) */
	int limit;		/* OUT_TIMEOUT: the limit that fired (enum time_limit) */
	char what[384];		/* in words; for RESPAWN_NEVER, the fatal error */
};

void death_classify(const struct death_in *in, struct death *d);

#endif
