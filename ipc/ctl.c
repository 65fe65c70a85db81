/* ctl: the control socket's messages as structs. Each type's struct is
 * turned into the values of its fields and back; the schema (schema.c)
 * does the rest both ways: the rules before a frame is written, the walk
 * and the rules when one is read. */
#include <errno.h>
#include <string.h>

#include <msgpack.h>

#include "ipc/ctl.h"
#include "ipc/ipc_int.h"

/* Room for the counts array: CTL_OUT__N uint 64, 9 bytes each. */
#define COUNTS_ROOM	(9 * CTL_OUT__N)

/* A msgpack-c writer into a fixed array: what does not fit fails. */
struct fixed {
	uint8_t *p;
	size_t len, cap;
};

static int
fixed_write(void *data, const char *p, size_t len)
{
	struct fixed *f = data;

	if (len > f->cap - f->len)
		return -1;
	memcpy(f->p + f->len, p, len);
	f->len += len;
	return 0;
}

int
ctl_paths_add(struct ipc_buf *b, const char *path, size_t plen)
{
	msgpack_packer pk;

	msgpack_packer_init(&pk, b, ipc_buf_write);
	return msgpack_pack_bin_with_body(&pk, path, plen) < 0 ? -1 : 0;
}

int
ctl_paths_next(const struct ctl_paths *l, size_t *off, const char **path, size_t *plen)
{
	struct mp_head h;

	if (*off >= l->len)
		return 0;
	if (ipc_mp_head(l->packed + *off, l->len - *off, &h) < 0 || h.type != MPT_BIN)
		return -1;
	*off += h.size;
	*path = (const char *)h.p;
	*plen = h.n;
	return 1;
}

/* Packs opts into room (CTL_OPTS_MAX bytes) as the value of F_COPTS. */
static int
put_opts(struct ipc_fields *fs, const struct job_opts *o, uint8_t *room)
{
	struct fixed f = { room, 0, CTL_OPTS_MAX };
	msgpack_packer pk;

	msgpack_packer_init(&pk, &f, fixed_write);
	if (job_opts_pack(o, &pk) < 0) {
		errno = EINVAL;
		return -1;
	}
	fs_bytes(fs, F_COPTS, room, f.len);
	return 0;
}

/* A signed member as a uint: one below zero becomes a value no bound takes. */
static uint64_t
nonneg(int i)
{
	return i < 0 ? UINT64_MAX : (uint64_t)i;
}

/* A file's outcome, in a ROW or an outcome's EVENT. */
static void
put_row(struct ipc_fields *fs, const struct ctl_row *r)
{
	fs_uint(fs, F_SEQ, r->seq);
	fs_bytes(fs, F_PATH, r->path, r->path_len);
	fs_uint(fs, F_STATUS, nonneg(r->status));
	fs_uint(fs, F_ATTEMPTS, r->attempts);
	fs_uint(fs, F_DURATION, r->duration_ms);
	fs_uint(fs, F_FINISHED, r->finished_ms);
	if (r->signal != 0)
		fs_uint(fs, F_SIGNAL, nonneg(r->signal));
	if (r->exit_code != -1)
		fs_uint(fs, F_EXIT, nonneg(r->exit_code));
	fs_opt_bytes(fs, F_ERROR, r->error, r->error_len);
	fs_opt_bytes(fs, F_RESULT, r->result, r->result_len);
	fs_opt_bytes(fs, F_TAIL, r->tail, r->tail_len);
	if (r->limit > CTL_LIM_NONE && r->limit < CTL_LIM__N)
		fs_uint(fs, F_LIMIT, (uint64_t)r->limit - 1);	/* none is not a word */
}

static void
get_row(const struct ipc_fields *fs, struct ctl_row *r)
{
	const struct ipc_val *v = fs->v;

	r->seq = v[F_SEQ].u;
	FS_GET(fs, F_PATH, r->path, r->path_len);
	r->status = (int)v[F_STATUS].u;
	r->attempts = (uint32_t)v[F_ATTEMPTS].u;
	r->duration_ms = v[F_DURATION].u;
	r->finished_ms = v[F_FINISHED].u;
	r->signal = (int)v[F_SIGNAL].u;
	r->exit_code = fs->seen & FBIT(F_EXIT) ? (int)v[F_EXIT].u : -1;
	FS_GET(fs, F_ERROR, r->error, r->error_len);
	FS_GET(fs, F_RESULT, r->result, r->result_len);
	FS_GET(fs, F_TAIL, r->tail, r->tail_len);
	r->limit = fs->seen & FBIT(F_LIMIT) ? (int)v[F_LIMIT].u + 1 : CTL_LIM_NONE;
}

int
ctl_put(struct ipc_buf *b, const struct ctl_msg *m)
{
	struct ipc_fields fs;
	uint8_t opts[CTL_OPTS_MAX], counts[COUNTS_ROOM];
	const char *why;
	int i;

	memset(&fs, 0, sizeof fs);
	fs.type = m->type;
	fs_uint(&fs, F_RID, m->rid);
	switch (m->type) {
	case CTL_HELLO:
		fs_uint(&fs, F_V, m->hello.version);
		if (m->hello.pid != 0)
			fs_uint(&fs, F_PID, m->hello.pid);
		break;
	case CTL_SUBMIT: {
		const struct ctl_submit *s = &m->submit;

		fs_opt_bytes(&fs, F_NAME, s->name, s->name_len);
		fs_bytes(&fs, F_INPUTS, s->inputs.packed, s->inputs.len);
		fs.v[F_INPUTS].u = s->inputs.n;
		fs_bytes(&fs, F_CHANDLER, s->handler, s->handler_len);
		fs_opt_bytes(&fs, F_CARG, s->arg, s->arg_len);
		fs_uint(&fs, F_TIMEOUT, s->timeout_ms);
		fs_uint(&fs, F_RETRIES, s->retries);
		fs_uint(&fs, F_HALT_RATE, 0);
		fs.v[F_HALT_RATE].f = s->halt_rate;
		fs_uint(&fs, F_HALT_MIN, s->halt_min);
		fs_uint(&fs, F_PRIORITY, s->priority);
		fs_opt_bytes(&fs, F_EXTRACT, s->extract, s->extract_len);
		if (put_opts(&fs, &s->opts, opts) < 0)
			return -1;
		fs_uint(&fs, F_WAIT, s->wait != 0);
		if (s->given != CTL_GIVEN_ALL)
			fs_uint(&fs, F_GIVEN, s->given);
		if (s->stall_ms != 0)
			fs_uint(&fs, F_STALL, s->stall_ms);
		if (s->timeout_pct != 0)
			fs_uint(&fs, F_TIMEOUT_PCT, s->timeout_pct);
		if (s->shard_n) {
			fs_uint(&fs, F_SHARD_K, s->shard_k);
			fs_uint(&fs, F_SHARD_N, s->shard_n);
		}
		if (s->recheck)
			fs_uint(&fs, F_RECHECK, 1);
		fs_opt_bytes(&fs, F_FILTERS, s->filters, s->filters_len);
		if (s->min_size != 0)
			fs_uint(&fs, F_MIN_SIZE, s->min_size);
		if (s->has_max_size)
			fs_uint(&fs, F_MAX_SIZE, s->max_size);
		if (s->halt_fail != 0)
			fs_uint(&fs, F_HALT_FAIL, s->halt_fail);
		if (s->halt_soon)
			fs_uint(&fs, F_HALT_SOON, 1);
		break;
	}
	case CTL_JOBS:
	case CTL_WORKERS:
	case CTL_METRICS:
	case CTL_END:
		break;
	case CTL_TEXT:
		fs_bytes(&fs, F_TEXT, m->text.text, m->text.len);
		break;
	case CTL_RESULTS:
		fs_uint(&fs, F_FAILED, m->target.failed != 0);
		fs_uint(&fs, F_AFTER, m->target.after);
		/* FALLTHROUGH */
	case CTL_STATUS:
	case CTL_PAUSE:
	case CTL_RESUME:
	case CTL_CANCEL:
	case CTL_DELETE:
	case CTL_RETRY:
	case CTL_WATCH:
		fs_bytes(&fs, F_REF, m->target.job, m->target.job_len);
		if (m->type == CTL_RETRY && m->target.quarantined)
			fs_uint(&fs, F_QUARANTINED, 1);
		break;
	case CTL_CHECK:
		fs_bytes(&fs, F_CHANDLER, m->check.handler, m->check.handler_len);
		fs_opt_bytes(&fs, F_CARG, m->check.arg, m->check.arg_len);
		if (put_opts(&fs, &m->check.opts, opts) < 0)
			return -1;
		break;
	case CTL_OK:
		if (m->ok.id != 0)
			fs_uint(&fs, F_JOBID, m->ok.id);
		fs_opt_bytes(&fs, F_NAME, m->ok.name, m->ok.name_len);
		break;
	case CTL_ERROR:
		fs_uint(&fs, F_CODE, nonneg(m->error.code));
		fs_bytes(&fs, F_MESSAGE, m->error.message, m->error.message_len);
		break;
	case CTL_JOB: {
		const struct ctl_job *j = &m->job;
		struct fixed f = { counts, 0, sizeof counts };
		msgpack_packer pk;

		fs_uint(&fs, F_JOBID, j->id);
		fs_bytes(&fs, F_NAME, j->name, j->name_len);
		fs_bytes(&fs, F_STATE, j->state, j->state_len);
		fs_bytes(&fs, F_CHANDLER, j->handler, j->handler_len);
		fs_opt_bytes(&fs, F_CARG, j->arg, j->arg_len);
		fs_opt_bytes(&fs, F_SUMMARY, j->summary, j->summary_len);
		fs_uint(&fs, F_CREATED, j->created_ms);
		fs_uint(&fs, F_UPDATED, j->updated_ms);
		fs_uint(&fs, F_FINISHED, j->finished_ms);
		fs_uint(&fs, F_TOTAL, j->total);
		msgpack_packer_init(&pk, &f, fixed_write);
		for (i = 0; i < CTL_OUT__N; i++)
			msgpack_pack_uint64(&pk, j->counts[i]);	/* room for each */
		fs_bytes(&fs, F_COUNTS, counts, f.len);
		fs.v[F_COUNTS].u = CTL_OUT__N;
		fs_uint(&fs, F_RUNS, j->runs);
		fs_uint(&fs, F_WORKERS, j->workers);
		fs_uint(&fs, F_PRIORITY, j->priority);
		fs_opt_bytes(&fs, F_REASON, j->reason, j->reason_len);
		break;
	}
	case CTL_ROW:
		put_row(&fs, &m->row);
		break;
	case CTL_WORKER: {
		const struct ctl_worker *w = &m->worker;

		fs_uint(&fs, F_SLOT, w->slot);
		fs_uint(&fs, F_PID, w->pid);
		fs_bytes(&fs, F_STATE, w->state, w->state_len);
		fs_opt_bytes(&fs, F_REF, w->job, w->job_len);
		fs_opt_bytes(&fs, F_PATH, w->path, w->path_len);
		fs_uint(&fs, F_RUNNING, w->running_ms);
		fs_uint(&fs, F_TASKS, w->tasks_done);
		fs_uint(&fs, F_RSS, w->rss_bytes);
		break;
	}
	case CTL_EVENT: {
		const struct ctl_event *e = &m->event;

		fs_bytes(&fs, F_REF, e->job, e->job_len);
		fs_uint(&fs, F_KIND, nonneg(e->kind));
		fs_uint(&fs, F_DONE, e->done);
		fs_uint(&fs, F_TOTAL, e->total);
		fs_bytes(&fs, F_STATE, e->state, e->state_len);
		if (e->kind == CTL_EV_OUTCOME)
			put_row(&fs, &e->row);
		break;
	}
	case CTL_VERDICT:
		fs_uint(&fs, F_STATUS, nonneg(m->verdict.status));
		fs_opt_bytes(&fs, F_ERROR, m->verdict.error, m->verdict.error_len);
		fs_opt_bytes(&fs, F_RESULT, m->verdict.result, m->verdict.result_len);
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	if (ipc_fields_check(&fs, &why) < 0) {
		errno = EINVAL;
		return -1;
	}
	return ipc_fields_put(b, &fs);
}

/* The rid of a refused frame, when it is one well-formed map holding one. */
static uint64_t
rid_of(const uint8_t *body, size_t len)
{
	struct mp_head rid;
	size_t used;

	if (len == 0 || ipc_mp_skip(body, len, 64, &used) < 0 || used != len ||
	    ipc_map_find(body, len, "rid", &rid) < 0 || rid.type != MPT_UINT)
		return 0;
	return rid.u;
}

int
ctl_decode(const uint8_t *body, size_t len, uint64_t accept, struct ctl_msg *out,
    const char **why)
{
	struct ipc_fields fs;
	const struct ipc_val *v = fs.v;
	struct mp_head h;
	size_t off;
	int i;

	memset(out, 0, sizeof *out);
	if (ipc_fields_read(body, len, accept & (CTL_REQUESTS | CTL_REPLIES), &fs, why) < 0) {	/* NOLINT(misc-redundant-expression): HELLO is in both sets */
		out->rid = rid_of(body, len);
		return -1;
	}
	/* Every value is in its member's range: the rules saw to it. */
	out->type = fs.type;
	out->rid = v[F_RID].u;
	switch (fs.type) {
	case CTL_HELLO:
		out->hello.version = (uint32_t)v[F_V].u;
		out->hello.pid = (uint32_t)v[F_PID].u;
		break;
	case CTL_SUBMIT: {
		struct ctl_submit *s = &out->submit;

		FS_GET(&fs, F_NAME, s->name, s->name_len);
		s->inputs.packed = v[F_INPUTS].p;
		s->inputs.len = v[F_INPUTS].n;
		s->inputs.n = (uint32_t)v[F_INPUTS].u;
		FS_GET(&fs, F_CHANDLER, s->handler, s->handler_len);
		FS_GET(&fs, F_CARG, s->arg, s->arg_len);
		s->timeout_ms = v[F_TIMEOUT].u;
		s->retries = (uint32_t)v[F_RETRIES].u;
		s->halt_rate = v[F_HALT_RATE].f;
		s->halt_min = v[F_HALT_MIN].u;
		s->priority = (uint32_t)v[F_PRIORITY].u;
		FS_GET(&fs, F_EXTRACT, s->extract, s->extract_len);
		s->opts = fs.opts;
		s->wait = (int)v[F_WAIT].u;
		s->given = fs.seen & FBIT(F_GIVEN) ? v[F_GIVEN].u : CTL_GIVEN_ALL;
		s->stall_ms = v[F_STALL].u;
		s->timeout_pct = (uint32_t)v[F_TIMEOUT_PCT].u;
		s->shard_k = (uint32_t)v[F_SHARD_K].u;
		s->shard_n = (uint32_t)v[F_SHARD_N].u;
		s->recheck = (int)v[F_RECHECK].u;
		FS_GET(&fs, F_FILTERS, s->filters, s->filters_len);
		s->min_size = v[F_MIN_SIZE].u;
		s->has_max_size = (fs.seen & FBIT(F_MAX_SIZE)) != 0;
		s->max_size = v[F_MAX_SIZE].u;
		s->halt_fail = v[F_HALT_FAIL].u;
		s->halt_soon = (int)v[F_HALT_SOON].u;
		break;
	}
	case CTL_STATUS:
	case CTL_RESULTS:
	case CTL_PAUSE:
	case CTL_RESUME:
	case CTL_CANCEL:
	case CTL_DELETE:
	case CTL_RETRY:
	case CTL_WATCH:
		FS_GET(&fs, F_REF, out->target.job, out->target.job_len);
		out->target.failed = (int)v[F_FAILED].u;
		out->target.after = v[F_AFTER].u;
		out->target.quarantined = (int)v[F_QUARANTINED].u;
		break;
	case CTL_CHECK:
		FS_GET(&fs, F_CHANDLER, out->check.handler, out->check.handler_len);
		FS_GET(&fs, F_CARG, out->check.arg, out->check.arg_len);
		out->check.opts = fs.opts;
		break;
	case CTL_OK:
		out->ok.id = (uint32_t)v[F_JOBID].u;
		FS_GET(&fs, F_NAME, out->ok.name, out->ok.name_len);
		break;
	case CTL_ERROR:
		out->error.code = (int)v[F_CODE].u;
		FS_GET(&fs, F_MESSAGE, out->error.message, out->error.message_len);
		break;
	case CTL_JOB: {
		struct ctl_job *j = &out->job;

		j->id = (uint32_t)v[F_JOBID].u;
		FS_GET(&fs, F_NAME, j->name, j->name_len);
		FS_GET(&fs, F_STATE, j->state, j->state_len);
		FS_GET(&fs, F_CHANDLER, j->handler, j->handler_len);
		FS_GET(&fs, F_CARG, j->arg, j->arg_len);
		FS_GET(&fs, F_SUMMARY, j->summary, j->summary_len);
		j->created_ms = v[F_CREATED].u;
		j->updated_ms = v[F_UPDATED].u;
		j->finished_ms = v[F_FINISHED].u;
		j->total = v[F_TOTAL].u;
		for (i = 0, off = 0; i < CTL_OUT__N; i++) {
			/* Walked and checked: CTL_OUT__N uints. */
			if (ipc_mp_head(v[F_COUNTS].p + off, v[F_COUNTS].n - off, &h) < 0)
				break;
			j->counts[i] = h.u;
			off += h.size;
		}
		j->runs = v[F_RUNS].u;
		j->workers = (uint32_t)v[F_WORKERS].u;
		j->priority = (uint32_t)v[F_PRIORITY].u;
		FS_GET(&fs, F_REASON, j->reason, j->reason_len);
		break;
	}
	case CTL_ROW:
		get_row(&fs, &out->row);
		break;
	case CTL_WORKER: {
		struct ctl_worker *w = &out->worker;

		w->slot = (uint32_t)v[F_SLOT].u;
		w->pid = (uint32_t)v[F_PID].u;
		FS_GET(&fs, F_STATE, w->state, w->state_len);
		FS_GET(&fs, F_REF, w->job, w->job_len);
		FS_GET(&fs, F_PATH, w->path, w->path_len);
		w->running_ms = v[F_RUNNING].u;
		w->tasks_done = v[F_TASKS].u;
		w->rss_bytes = v[F_RSS].u;
		break;
	}
	case CTL_EVENT: {
		struct ctl_event *e = &out->event;

		FS_GET(&fs, F_REF, e->job, e->job_len);
		e->kind = (int)v[F_KIND].u;
		e->done = v[F_DONE].u;
		e->total = v[F_TOTAL].u;
		FS_GET(&fs, F_STATE, e->state, e->state_len);
		get_row(&fs, &e->row);
		break;
	}
	case CTL_VERDICT:
		out->verdict.status = (int)v[F_STATUS].u;
		FS_GET(&fs, F_ERROR, out->verdict.error, out->verdict.error_len);
		FS_GET(&fs, F_RESULT, out->verdict.result, out->verdict.result_len);
		break;
	case CTL_TEXT:
		FS_GET(&fs, F_TEXT, out->text.text, out->text.len);
		break;
	default:	/* CTL_JOBS, CTL_WORKERS, CTL_METRICS, CTL_END: rid only */
		break;
	}
	return 0;
}
