/* handler: the per-file work inside a child, and the result it fills. Each
 * handler gets the file's descriptor (and its path, for messages only) and
 * writes keys into a corral_result. Nothing here knows about sockets. */
#ifndef CORRAL_HANDLER_H
#define CORRAL_HANDLER_H

#include <stddef.h>
#include <stdint.h>

#include <corral.h>

#include "ipc/ipc.h"
#include "ipc/jobopts.h"

#define RESULT_MAX	(1u << 20)	/* bound on one result map */
#define RESULT_ERR_MAX	4096		/* bound on an error text */

/* One file to process. */
struct task_in {
	int fd;			/* the file, read-only, at offset 0 */
	int dirfd;		/* with --extract: the directory to extract into; else -1 */
	const char *path;	/* for messages only */
	uint64_t seq;		/* its place in its job, from 1 (0: a check's) */
	uint32_t slot;		/* the child's slot in the pool, from 0 */
};

struct handler {
	const char *name;
	/* Once per job on this child, before its first file and before the
	 * sandbox closes: the last chance to open files. arg is the exec
	 * command or the plugin path; o the job's options (kept by the
	 * handler if it needs them). Returns 0, or -1 with a message in err. */
	int (*setup)(const char *arg, const struct job_opts *o, char *err, size_t errlen);
	/* Returns 0 ok, 1 failed (the error text set in out), or -1 with
	 * errno EAGAIN, ENOMEM, EMFILE or ENFILE when the host refused
	 * what the file needed (a process, a descriptor): no outcome, the
	 * supervisor sends the file again later (the error text says what
	 * was refused). */
	int (*process)(const struct task_in *t, struct corral_result *out);
};

extern const struct handler handler_archive, handler_sha256, handler_exec, handler_plugin;

/* The handler for a name: archive, sha256, exec; anything containing a '/'
 * or ending in ".so" is a plugin path. NULL when there is none. */
const struct handler *handler_find(const char *name);

/* The result of one file (child/result.c). */
struct corral_result *result_new(void);
void result_reset(struct corral_result *r);
void result_free(struct corral_result *r);
/* The map as msgpack (valid until the next reset) and the error text. */
const uint8_t *result_map(struct corral_result *r, size_t *len);
const char *result_error(struct corral_result *r, size_t *len);
/* An array of strings under key (the archive handler's filters). */
int result_set_strv(struct corral_result *r, const char *key, const char *const *v, size_t n);
/* A value packed by the caller: one msgpack object of len bytes (the
 * archive handler's arrays of maps). */
int result_set_packed(struct corral_result *r, const char *key, const void *mp, size_t len);

/* Progress of the running task (child/result.c, behind corral_progress):
 * between begin and end, child_progress sends a PROGRESS frame on sock
 * at most once per IPC_PROGRESS_EVERY_MS, the first no sooner than that
 * after begin; what (wlen bytes, any bytes) is cut and made printable.
 * Outside a task it does nothing. */
void child_progress_begin(int sock, uint64_t id);
void child_progress(uint64_t done, uint64_t total, const char *what, size_t wlen);
void child_progress_end(void);

/* Runs the worker: the child's whole life (child/worker.c). */
int child_main(int argc, char **argv);

#endif
