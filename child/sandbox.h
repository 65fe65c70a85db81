/* sandbox: the walls a child puts up around itself before it touches a
 * hostile file — resource limits, namespaces, a user change, Landlock and a
 * seccomp filter — and the report of a syscall the filter refused. It owns
 * the process's limits and credentials; it never reads a task or a message.
 * docs/threat-model.md says which wall stops what. */
#ifndef CORRAL_SANDBOX_H
#define CORRAL_SANDBOX_H

#include <stddef.h>

#include "ipc/jobopts.h"

/* First thing after the worker starts, before its hello, whatever the job:
 * no core files, not dumpable (no ptrace by other processes of the same
 * user, /proc/PID owned by root), no_new_privs. Never fails. */
void sandbox_early(void);

/* Before sandbox_early, for `corral replay --gdb` only (the worker's
 * "--traced" argument): the child stays dumpable, so that the debugger
 * that started it may trace it and read its memory and /proc/PID; every
 * other wall (the seccomp filter, its refusal of ptrace by the child
 * included, Landlock, limits, the user change, namespaces) stays up. */
void sandbox_allow_tracing(void);

/* After the job's handler is set up (a plugin is loaded, files it needs
 * are open) and before the first task. o is the job's options, is_exec
 * whether the handler runs commands (it keeps fork and exec: only the
 * memory and CPU limits, no_new_privs and the user change apply), sock the
 * socket to the supervisor (the only descriptor a refused syscall's report
 * goes to), extract_root with o->extract the directory every task's
 * extraction directory lies beneath (Landlock holds writes there), or -1. With
 * o->sandbox.enabled == 0 nothing is done.
 *
 * Once the filter is in, a syscall it refuses makes the child send one
 * FATAL frame {"t": 5, "error": "sandbox: NAME"} on sock and die by
 * SIGSYS. A second call (a later job on the same child) can only keep the
 * walls already up: it succeeds when it would build the same ones.
 * Returns 0, or -1 with a message in err: a wall the kernel offers could
 * not be put up (setuid failed, the filter did not load). */
int sandbox_enter(const struct job_opts *o, int is_exec, int sock, int extract_root, char *err,
    size_t errlen);

/* Before each task: restarts the task's CPU budget (RLIMIT_CPU counts a
 * process's whole life; the budget is meant per file), at most once a
 * second, so a task always has the budget less a second. Without calls to
 * it the CPU limit stays inactive rather than charge one file for the
 * time of all those before it. */
void sandbox_task_begin(void);

/* What this kernel and this process offer, one wall per line ("seccomp:
 * ...", "landlock: ...", "namespaces: ...", "user: ..."), NUL-terminated
 * and cut to fit len. Changes nothing in the calling process. Returns
 * the length written. */
size_t sandbox_walls(char *buf, size_t len);

#endif
