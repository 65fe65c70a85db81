/* ipc: the wires between processes, shared by every side: the supervisor and
 * its children here, `corral serve` and its clients in ipc/ctl.h. Owns the
 * one message enum and schema, framing (4-byte big-endian length, then one
 * msgpack map), validation of untrusted frames, and descriptor passing.
 * Never touches LMDB, the event loop or handlers. docs/protocol.md
 * describes the wire. */
#ifndef CORRAL_IPC_H
#define CORRAL_IPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Bump IPC_PROTO_VERSION when enum ipc_type or any payload changes. */
#define IPC_PROTO_VERSION 7
#define IPC_FRAME_MAX     (4u << 20)	/* default bound on one frame's body */
#define IPC_HDR           4		/* the length prefix */
#define IPC_CHILD_FD      3		/* where a child finds its socket */
/* A child's stderr (fd 2) is a pipe the supervisor reads: not protocol,
 * only logged, its last lines kept with a death (docs/protocol.md). */
#define IPC_FD_QUEUE      128		/* descriptors a child holds before use:
					 * two per task (--extract) at depth 64 */
/* A child's RLIMIT_NOFILE, or the host's hard limit when that is lower:
 * its socket, its queued tasks' descriptors, its libraries' own. The
 * supervisor keeps the queues within what the child may hold. */
#define IPC_CHILD_NOFILE  (IPC_FD_QUEUE + 32)
#define IPC_CHILD_OWN_FDS 32
/* The exit status of a child whose set-up for its job failed (FATAL said
 * why): the supervisor does not respawn it. */
#define CHILD_EXIT_SETUP  78
/* The worker's second word ("PROGRAM __worker --traced ...") that keeps it
 * dumpable: `corral replay --gdb` only (child/sandbox.h). */
#define IPC_TRACED_ARG    "--traced"

enum ipc_type {
	IPC_HELLO  = 1,	/* child -> sup: {t, v, pid}               */
	IPC_JOB    = 2,	/* sup -> child: {t, job, handler, arg, opts, slot, name} */
	IPC_TASK   = 3,	/* sup -> child: {t, job, id, path, seq}, + fd  */
	IPC_RESULT = 4,	/* child -> sup: {t, id, ok, error, result, host} */
	IPC_FATAL  = 5,	/* child -> sup: {t, error}; before READY: do not
			 * respawn; after: last words of a dying child */
	IPC_READY  = 6,	/* child -> sup: {t, job}: set up for the job */
	IPC_PROGRESS = 7,	/* child -> sup: {t, id, done, total, what}: the
			 * running task is alive; at most one per
			 * IPC_PROGRESS_EVERY_MS per task */
	IPC_HASH   = 8,	/* child -> sup: {t, id, sha256}: with --reuse, the
			 * running task's content digest, before its handler */
	IPC_REUSE  = 9,	/* sup -> child: {t, id, reuse}: HASH's answer; 1:
			 * an earlier outcome stands, answer ok and empty
			 * without running the handler; 0: run it */
	/* 10..15: unused. The control socket (ipc/ctl.h); every request
	 * carries rid, and every answer echoes it. Client -> daemon: */
	CTL_HELLO   = 16,	/* {rid, v}; answered by CTL_HELLO {rid, v, pid} */
	CTL_SUBMIT  = 17,	/* {rid, a job spec}: OK, then EVENTs with wait */
	CTL_JOBS    = 18,	/* {rid}: JOB per job, END */
	CTL_STATUS  = 19,	/* {rid, job}: JOB */
	CTL_RESULTS = 20,	/* {rid, job, failed, after}: ROW per outcome, END */
	CTL_PAUSE   = 21,	/* {rid, job}: OK */
	CTL_RESUME  = 22,	/* {rid, job}: OK */
	CTL_CANCEL  = 23,	/* {rid, job}: OK */
	CTL_DELETE  = 24,	/* {rid, job}: OK */
	CTL_RETRY   = 25,	/* {rid, job}: OK */
	CTL_WORKERS = 26,	/* {rid}: WORKER per slot, END */
	CTL_WATCH   = 27,	/* {rid, job}: OK, EVENTs, END */
	CTL_CHECK   = 28,	/* {rid, handler, arg, opts} + fd: VERDICT */
	CTL_METRICS = 29,	/* {rid}: TEXT per chunk, END (a service before
			 * it answers ERROR bad_request: no version bump) */
	/* 30..31: unused. Daemon -> client: */
	CTL_OK      = 32,	/* {rid, id, name} */
	CTL_ERROR   = 33,	/* {rid, code, message}: ends any request */
	CTL_JOB     = 34,	/* {rid, a job's record} */
	CTL_ROW     = 35,	/* {rid, one file's outcome} */
	CTL_WORKER  = 36,	/* {rid, one child slot} */
	CTL_EVENT   = 37,	/* {rid, job, kind, ...}: to a subscriber */
	CTL_VERDICT = 38,	/* {rid, status, error, result}: CHECK's answer */
	CTL_END     = 39,	/* {rid}: the end of a stream */
	CTL_TEXT    = 40,	/* {rid, text}: a chunk of METRICS' answer */
	IPC_TYPE_MAX
};

/* A set of types, as ctl_decode takes it (CTL_REQUESTS, CTL_REPLIES). */
#define IPC_BIT(t)	(UINT64_C(1) << (t))

/* The printable name of a type ("hello", ..., "ctl_submit", ...),
 * "unknown" for anything else. */
const char *ipc_type_name(int type);

/* One decoded message. Byte strings point into the frame given to ipc_decode
 * and live as long as it; absent optional fields have length 0. */
struct ipc_msg {
	int type;
	uint32_t version;		/* HELLO */
	uint32_t pid;			/* HELLO */
	uint32_t job;			/* JOB, TASK */
	uint64_t id;			/* TASK, RESULT */
	uint64_t seq;			/* TASK: the file's place in its job, from 1;
					 * 0 for a check's (optional: absent, 0) */
	uint32_t slot;			/* JOB: the child's slot, from 0 (optional) */
	int ok;				/* RESULT: 1 ok, 0 failed */
	int host;			/* RESULT: an errno (1..4095) when the host
					 * refused what the file needed (no process,
					 * descriptor or memory): no outcome, the
					 * task is sent again later; else 0 */
	const char *path;    size_t path_len;	/* TASK */
	const char *handler; size_t handler_len;	/* JOB */
	const char *arg;     size_t arg_len;	/* JOB: command or plugin path */
	const uint8_t *opts; size_t opts_len;	/* JOB: one msgpack map, validated, or empty */
	const char *name;    size_t name_len;	/* JOB: the job's name (optional) */
	const char *error;   size_t error_len;	/* RESULT, FATAL */
	const uint8_t *result; size_t result_len; /* RESULT: one msgpack map, validated */
	uint64_t done, total;		/* PROGRESS: in the handler's units; total 0: unknown */
	const char *what;    size_t what_len;	/* PROGRESS: what it is at, or empty */
	const uint8_t *sha256;		/* HASH: IPC_SHA256 bytes */
	int reuse;			/* REUSE: 1 or 0 */
};
#define IPC_SHA256	32

/* Encoding: each call appends one whole frame (length prefix included) to
 * *buf, growing it; returns 0, or -1 with errno ENOMEM or EMSGSIZE. */
struct ipc_buf {
	uint8_t *data;
	size_t len, cap;
};
void ipc_buf_free(struct ipc_buf *b);
int ipc_put_hello(struct ipc_buf *b, uint32_t pid);
int ipc_put_job(struct ipc_buf *b, uint32_t job, const char *handler, size_t hlen,
    const char *arg, size_t alen, const uint8_t *opts, size_t olen, uint32_t slot,
    const char *name, size_t nlen);
int ipc_put_task(struct ipc_buf *b, uint32_t job, uint64_t id, const char *path, size_t plen,
    uint64_t seq);
/* host: 0, or the errno of the host's refusal (ipc_msg.host). */
int ipc_put_result(struct ipc_buf *b, uint64_t id, int ok, int host, const char *error, size_t elen,
    const uint8_t *result, size_t rlen);
int ipc_put_fatal(struct ipc_buf *b, const char *error, size_t elen);
/* The same FATAL frame, written by hand into buf (cap bytes) so that a
 * signal handler may call it: no allocation, no library. error is cut at
 * IPC_FATAL_TEXT_MAX bytes. Returns the frame's length, or 0 when cap is
 * under IPC_FATAL_FRAME_MAX. */
#define IPC_FATAL_TEXT_MAX	200
#define IPC_FATAL_FRAME_MAX	(IPC_HDR + 12 + IPC_FATAL_TEXT_MAX)
size_t ipc_fatal_frame(uint8_t *buf, size_t cap, const char *error, size_t elen);
int ipc_put_ready(struct ipc_buf *b, uint32_t job);
/* what: valid UTF-8 of at most IPC_PROGRESS_WHAT_MAX bytes, no NUL (the
 * decoder refuses anything else), or empty. */
#define IPC_PROGRESS_WHAT_MAX	255
#define IPC_PROGRESS_EVERY_MS	100
int ipc_put_progress(struct ipc_buf *b, uint64_t id, uint64_t done, uint64_t total,
    const char *what, size_t wlen);
int ipc_put_hash(struct ipc_buf *b, uint64_t id, const uint8_t sha256[IPC_SHA256]);
int ipc_put_reuse(struct ipc_buf *b, uint64_t id, int reuse);

/* Decodes one frame body (without its length prefix) of the child's wire:
 * types HELLO to REUSE, either direction; a control type is refused. Returns
 * 0, or -1 with a static description of what was wrong in *why (valid until
 * the next refusal): not a map, unknown type, missing or mistyped field,
 * trailing bytes, a result that is not one well-formed msgpack map. On -1
 * *out is all zero. Allocates nothing. */
int ipc_decode(const uint8_t *body, size_t len, struct ipc_msg *out, const char **why);

/* Checks that [p, p+len) is exactly one well-formed msgpack object nested at
 * most max_depth deep (empty containers count; above 64 counts as 64) whose
 * every container count fits in the bytes left. Returns 0 or -1. */
int ipc_mp_check(const uint8_t *p, size_t len, int max_depth);
/* The same for the one object at the start of [p, p+len): 0 with its length
 * in *used (bytes may follow it), or -1. */
int ipc_mp_skip(const uint8_t *p, size_t len, int max_depth, size_t *used);

/* Incoming bytes, split into frames. */
struct ipc_reader {
	uint8_t *buf;
	size_t off, len, cap, max;	/* buf[off, len) is not yet handed out */
	int fds[IPC_FD_QUEUE];		/* received descriptors, oldest first */
	int nfds;
};
void ipc_reader_init(struct ipc_reader *r, size_t max_frame);
void ipc_reader_free(struct ipc_reader *r);	/* closes queued fds */
/* Reads once from fd. With want_fds, uses recvmsg and queues SCM_RIGHTS
 * descriptors (more than IPC_FD_QUEUE is a protocol error: EPROTO); without,
 * any passed descriptors are dropped by the kernel. Returns bytes read, 0 on
 * EOF, -1 with errno (EAGAIN when nothing is there on a nonblocking fd;
 * EMSGSIZE if the frame at the head has a bad length, which ipc_next reports
 * first; ENOBUFS if frames not yet taken with ipc_next fill the buffer). The
 * buffer never grows past max_frame + IPC_HDR bytes. */
ssize_t ipc_read(struct ipc_reader *r, int fd, int want_fds);
/* Takes the next complete frame: 1 with *body and *len set (valid until the next
 * ipc_read or ipc_next), 0 when more bytes are needed, -1 when the length
 * prefix is 0 or above the maximum (errno EMSGSIZE). */
int ipc_next(struct ipc_reader *r, const uint8_t **body, size_t *len);
/* Pops the oldest queued descriptor, or -1 if none. */
int ipc_take_fd(struct ipc_reader *r);
/* Bytes held that do not yet make a whole frame (EOF then is a cut frame). */
size_t ipc_pending(const struct ipc_reader *r);

/* Sends len bytes from data, attaching pass_fd (if >= 0) to the first byte
 * with SCM_RIGHTS. MSG_NOSIGNAL. Returns bytes sent (possibly short on a
 * nonblocking socket), or -1 with errno. */
ssize_t ipc_send(int sock, const void *data, size_t len, int pass_fd);
/* The same with nfds descriptors (at most IPC_FD_QUEUE) on the first byte. */
ssize_t ipc_send_fds(int sock, const void *data, size_t len, const int *fds, int nfds);

#endif
