/* msg: the child's wire — an encoder for each of its messages, and its
 * decoder, which holds a frame to the schema (schema.c) and fills a struct
 * ipc_msg from it. The encoders write what the supervisor and a child mean;
 * the decoder trusts nothing. Also the FATAL frame a signal handler writes. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/ipc.h"
#include "ipc/ipc_int.h"

int
ipc_buf_write(void *data, const char *p, size_t len)
{
	struct ipc_buf *b = data;

	if (len == 0)
		return 0;	/* an empty string may come with a NULL pointer */
	if (len > b->cap - b->len) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *d;

		while (cap - b->len < len) {
			if (cap > SIZE_MAX / 2) {
				errno = ENOMEM;
				return -1;
			}
			cap *= 2;
		}
		if ((d = realloc(b->data, cap)) == NULL)
			return -1;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, len);
	b->len += len;
	return 0;
}

/* A message of type t being put together. Only the fields set are ever
 * read (ipc_fields_put looks at seen first), so the rest stay as they are:
 * clearing them all would cost a TASK more than writing it. */
static struct ipc_fields *
fields_of(struct ipc_fields *fs, int t)
{
	fs->type = t;
	fs->seen = 0;
	return fs;
}

int
ipc_put_hello(struct ipc_buf *b, uint32_t pid)
{
	struct ipc_fields fs;

	fields_of(&fs, IPC_HELLO);
	fs_uint(&fs, F_V, IPC_PROTO_VERSION);
	fs_uint(&fs, F_PID, pid);
	return ipc_fields_put(b, &fs);
}

int
ipc_put_job(struct ipc_buf *b, uint32_t job, const char *handler, size_t hlen,
    const char *arg, size_t alen, const uint8_t *opts, size_t olen, uint32_t slot,
    const char *name, size_t nlen)
{
	struct ipc_fields fs;

	fields_of(&fs, IPC_JOB);
	fs_uint(&fs, F_JOB, job);
	fs_bytes(&fs, F_HANDLER, handler, hlen);
	fs_bytes(&fs, F_ARG, arg, alen);
	fs_opt_bytes(&fs, F_OPTS, opts, olen);
	fs_uint(&fs, F_SLOT, slot);
	fs_opt_bytes(&fs, F_NAME, name, nlen);
	return ipc_fields_put(b, &fs);
}

int
ipc_put_task(struct ipc_buf *b, uint32_t job, uint64_t id, const char *path, size_t plen,
    uint64_t seq)
{
	struct ipc_fields fs;

	fields_of(&fs, IPC_TASK);
	fs_uint(&fs, F_JOB, job);
	fs_uint(&fs, F_ID, id);
	fs_bytes(&fs, F_PATH, path, plen);
	fs_uint(&fs, F_SEQ, seq);
	return ipc_fields_put(b, &fs);
}

int
ipc_put_result(struct ipc_buf *b, uint64_t id, int ok, int host, const char *error, size_t elen,
    const uint8_t *result, size_t rlen)
{
	struct ipc_fields fs;

	fields_of(&fs, IPC_RESULT);
	fs_uint(&fs, F_ID, id);
	fs_uint(&fs, F_OK, ok != 0);
	if (host > 0 && host < 4096)
		fs_uint(&fs, F_HOST, (uint64_t)host);
	fs_opt_bytes(&fs, F_ERROR, error, elen);
	fs_opt_bytes(&fs, F_RESULT, result, rlen);
	return ipc_fields_put(b, &fs);
}

int
ipc_put_fatal(struct ipc_buf *b, const char *error, size_t elen)
{
	struct ipc_fields fs;

	fields_of(&fs, IPC_FATAL);
	fs_bytes(&fs, F_ERROR, error, elen);
	return ipc_fields_put(b, &fs);
}

int
ipc_put_ready(struct ipc_buf *b, uint32_t job)
{
	struct ipc_fields fs;

	fields_of(&fs, IPC_READY);
	fs_uint(&fs, F_JOB, job);
	return ipc_fields_put(b, &fs);
}

int
ipc_put_progress(struct ipc_buf *b, uint64_t id, uint64_t done, uint64_t total, const char *what,
    size_t wlen)
{
	struct ipc_fields fs;

	fields_of(&fs, IPC_PROGRESS);
	fs_uint(&fs, F_ID, id);
	fs_uint(&fs, F_DONE, done);
	fs_uint(&fs, F_TOTAL, total);
	fs_opt_bytes(&fs, F_WHAT, what, wlen);
	return ipc_fields_put(b, &fs);
}

int
ipc_put_hash(struct ipc_buf *b, uint64_t id, const uint8_t sha256[IPC_SHA256])
{
	struct ipc_fields fs;

	fields_of(&fs, IPC_HASH);
	fs_uint(&fs, F_ID, id);
	fs_bytes(&fs, F_SHA256, sha256, IPC_SHA256);
	return ipc_fields_put(b, &fs);
}

int
ipc_put_reuse(struct ipc_buf *b, uint64_t id, int reuse)
{
	struct ipc_fields fs;

	fields_of(&fs, IPC_REUSE);
	fs_uint(&fs, F_ID, id);
	fs_uint(&fs, F_REUSE, reuse != 0);
	return ipc_fields_put(b, &fs);
}

int
ipc_decode(const uint8_t *body, size_t len, struct ipc_msg *out, const char **why)
{
	struct ipc_fields fs;
	const struct ipc_val *v = fs.v;

	memset(out, 0, sizeof *out);
	if (ipc_fields_read(body, len, IPC_CHILD_TYPES, &fs, why) < 0)
		return -1;
	/* Ranges and versions are checked: each value fits its member. */
	out->type = fs.type;
	out->version = (uint32_t)v[F_V].u;
	out->pid = (uint32_t)v[F_PID].u;
	out->job = (uint32_t)v[F_JOB].u;
	out->id = v[F_ID].u;
	out->ok = (int)v[F_OK].u;
	out->host = (int)v[F_HOST].u;
	out->seq = v[F_SEQ].u;
	out->slot = (uint32_t)v[F_SLOT].u;
	FS_GET(&fs, F_PATH, out->path, out->path_len);
	FS_GET(&fs, F_NAME, out->name, out->name_len);
	FS_GET(&fs, F_HANDLER, out->handler, out->handler_len);
	FS_GET(&fs, F_ARG, out->arg, out->arg_len);
	FS_GET(&fs, F_OPTS, out->opts, out->opts_len);
	FS_GET(&fs, F_ERROR, out->error, out->error_len);
	FS_GET(&fs, F_RESULT, out->result, out->result_len);
	out->done = v[F_DONE].u;
	out->total = v[F_TOTAL].u;
	FS_GET(&fs, F_WHAT, out->what, out->what_len);
	if (fs.seen & FBIT(F_SHA256))
		out->sha256 = v[F_SHA256].p;
	out->reuse = (int)v[F_REUSE].u;
	return 0;
}

size_t
ipc_fatal_frame(uint8_t *buf, size_t cap, const char *error, size_t elen)
{
	/* {"t": IPC_FATAL, "error": str8}: a map of 2, fixstr keys. */
	static const uint8_t head[] = { 0x82, 0xa1, 't', IPC_FATAL, 0xa5, 'e', 'r', 'r', 'o', 'r', 0xd9 };
	size_t body, i;

	if (cap < IPC_FATAL_FRAME_MAX)
		return 0;
	if (elen > IPC_FATAL_TEXT_MAX)
		elen = IPC_FATAL_TEXT_MAX;
	for (i = 0; i < sizeof head; i++)
		buf[IPC_HDR + i] = head[i];
	buf[IPC_HDR + sizeof head] = (uint8_t)elen;
	for (i = 0; i < elen; i++)
		buf[IPC_HDR + sizeof head + 1 + i] = (uint8_t)error[i];
	body = sizeof head + 1 + elen;
	buf[0] = (uint8_t)(body >> 24);
	buf[1] = (uint8_t)(body >> 16);
	buf[2] = (uint8_t)(body >> 8);
	buf[3] = (uint8_t)body;
	return IPC_HDR + body;
}
