/* record: the store's records as msgpack maps and arrays. Decoding is
 * forgiving of fields it does not know (records may grow) and strict about
 * bytes (checked before msgpack-c sees them). */
#include <string.h>

#include <msgpack.h>

#include "common/filter.h"
#include "common/shard.h"
#include "ipc/jobopts.h"
#include "ipc/ipc.h"
#include "supervisor/record.h"

static int
sbuf_pack_str(msgpack_packer *pk, const char *k, const char *s)
{
	return msgpack_pack_str_with_body(pk, k, strlen(k)) |
	    msgpack_pack_str_with_body(pk, s, strlen(s));
}

static int
sbuf_pack_u64(msgpack_packer *pk, const char *k, uint64_t v)
{
	return msgpack_pack_str_with_body(pk, k, strlen(k)) | msgpack_pack_uint64(pk, v);
}

static int
sbuf_pack_bin(msgpack_packer *pk, const char *k, const void *p, size_t len)
{
	return msgpack_pack_str_with_body(pk, k, strlen(k)) | msgpack_pack_bin_with_body(pk, p, len);
}

/* The spec's fields are written only when the record holds them (has):
 * an older record, rewritten, still says what it never knew by leaving it
 * out, not by a made-up value. */
int
rec_job_encode(const struct store_job *j, msgpack_sbuffer *sb)
{
	msgpack_packer pk;
	uint32_t n = 14 + !!j->priority + !!j->reason[0] + !!j->scanned + !!j->has_owner;
	int i, r = 0;

	n += !!(j->has & STORE_HAS_TIMEOUT) + !!(j->has & STORE_HAS_RETRIES) +
	    !!(j->has & STORE_HAS_OPTS) + !!(j->has & STORE_HAS_INPUTS) +
	    !!(j->has & STORE_HAS_LIST) + 2 * !!(j->has & STORE_HAS_HALT) +
	    !!(j->has & STORE_HAS_EXTRACT) + 2 * !!(j->has & STORE_HAS_STALL) +
	    !!(j->has & STORE_HAS_SHARD) + !!(j->has & STORE_HAS_FILTER) +
	    !!(j->has & STORE_HAS_HALT_FAIL);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	r |= msgpack_pack_map(&pk, n);
	r |= sbuf_pack_u64(&pk, "id", j->id);
	r |= sbuf_pack_u64(&pk, "state", (uint64_t)j->state);
	r |= sbuf_pack_str(&pk, "name", j->name);
	r |= sbuf_pack_str(&pk, "handler", j->handler);
	r |= sbuf_pack_str(&pk, "arg", j->arg);
	r |= sbuf_pack_str(&pk, "inputs", j->inputs);
	r |= sbuf_pack_u64(&pk, "created", j->created_ms);
	r |= sbuf_pack_u64(&pk, "updated", j->updated_ms);
	r |= sbuf_pack_u64(&pk, "finished", j->finished_ms);
	r |= sbuf_pack_u64(&pk, "total", j->total);
	r |= sbuf_pack_u64(&pk, "next_seq", j->next_seq);
	r |= msgpack_pack_str_with_body(&pk, "count", 5);
	r |= msgpack_pack_array(&pk, OUT__COUNT);
	for (i = 0; i < OUT__COUNT; i++)
		r |= msgpack_pack_uint64(&pk, j->count[i]);
	r |= sbuf_pack_u64(&pk, "runs", j->runs);
	r |= sbuf_pack_u64(&pk, "workers", j->workers);
	if (j->priority)
		r |= sbuf_pack_u64(&pk, "priority", j->priority);
	if (j->reason[0])
		r |= sbuf_pack_str(&pk, "reason", j->reason);
	if (j->scanned)
		r |= msgpack_pack_str_with_body(&pk, "scanned", 7) | msgpack_pack_true(&pk);
	if (j->has_owner)
		r |= sbuf_pack_u64(&pk, "owner", j->owner);
	if (j->has & STORE_HAS_TIMEOUT)
		r |= sbuf_pack_u64(&pk, "timeout", j->timeout_ms);
	if (j->has & STORE_HAS_RETRIES)
		r |= sbuf_pack_u64(&pk, "retries", j->retries);
	if (j->has & STORE_HAS_OPTS) {
		r |= msgpack_pack_str_with_body(&pk, "opts", 4);
		r |= job_opts_pack(&j->opts, &pk);
	}
	if (j->has & STORE_HAS_INPUTS)
		r |= sbuf_pack_bin(&pk, "inputs_id", j->inputs_id, sizeof j->inputs_id);
	if (j->has & STORE_HAS_LIST)
		r |= sbuf_pack_bin(&pk, "list", j->list_id, j->has_list ? sizeof j->list_id : 0);
	if (j->has & STORE_HAS_HALT) {
		r |= msgpack_pack_str_with_body(&pk, "halt_rate", 9) |
		    msgpack_pack_double(&pk, j->halt_rate);
		r |= sbuf_pack_u64(&pk, "halt_min", j->halt_min);
	}
	if (j->has & STORE_HAS_EXTRACT)
		r |= sbuf_pack_str(&pk, "extract", j->extract);
	if (j->has & STORE_HAS_STALL) {
		r |= sbuf_pack_u64(&pk, "stall", j->stall_ms);
		r |= sbuf_pack_u64(&pk, "timeout_pct", j->timeout_pct);
	}
	if (j->has & STORE_HAS_SHARD)
		r |= msgpack_pack_str_with_body(&pk, "shard", 5) | msgpack_pack_array(&pk, 2) |
		    msgpack_pack_uint32(&pk, j->shard_k) | msgpack_pack_uint32(&pk, j->shard_n);
	if (j->has & STORE_HAS_FILTER) {
		r |= msgpack_pack_str_with_body(&pk, "filter", 6) | msgpack_pack_array(&pk, 3) |
		    msgpack_pack_bin_with_body(&pk, j->filter.pat, j->filter.len) |
		    msgpack_pack_uint64(&pk, j->filter.min_size);
		r |= j->filter.has_max ? msgpack_pack_uint64(&pk, j->filter.max_size) :
		    msgpack_pack_nil(&pk);
	}
	if (j->has & STORE_HAS_HALT_FAIL)
		r |= msgpack_pack_str_with_body(&pk, "halt_fail", 9) | msgpack_pack_array(&pk, 2) |
		    msgpack_pack_uint64(&pk, j->halt_fail) |
		    (j->halt_soon ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk));
	return r ? -1 : 0;
}

static int
key_is(const msgpack_object *k, const char *s)
{
	return k->type == MSGPACK_OBJECT_STR && k->via.str.size == strlen(s) &&
	    memcmp(k->via.str.ptr, s, k->via.str.size) == 0;
}

static void
copy_str(char *dst, size_t len, const msgpack_object *v)
{
	size_t n = 0;

	if (v->type == MSGPACK_OBJECT_STR)
		n = v->via.str.size < len - 1 ? v->via.str.size : len - 1;
	if (n)
		memcpy(dst, v->via.str.ptr, n);
	dst[n] = '\0';
}

static uint64_t
as_u64(const msgpack_object *v)
{
	return v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? v->via.u64 : 0;
}

/* The children's options: decoded (defaults for keys the record lacks),
 * and kept as the record packs them, so that a comparison can skip the
 * keys an older record never had. A map that does not decode counts as
 * absent. */
static void
opts_decode(struct store_job *j, const msgpack_object *x)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	const char *why;

	if (job_opts_unpack(x, &j->opts, &why) < 0) {
		job_opts_default(&j->opts);
		return;
	}
	j->has |= STORE_HAS_OPTS;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (msgpack_pack_object(&pk, *x) == 0 && sb.size <= sizeof j->opts_raw) {
		memcpy(j->opts_raw, sb.data, sb.size);
		j->opts_raw_len = sb.size;
	}
	msgpack_sbuffer_destroy(&sb);
}

/* The n elements of x, an array of n; else NULL. */
static const msgpack_object *
tuple(const msgpack_object *x, uint32_t n)
{
	return x->type == MSGPACK_OBJECT_ARRAY && x->via.array.size == n ? x->via.array.ptr : NULL;
}

/* --shard K/N as [K, N], [0, 0] for none; anything else counts as absent. */
static void
shard_decode(struct store_job *j, const msgpack_object *x)
{
	const msgpack_object *a = tuple(x, 2);
	uint64_t k, n;

	if (a == NULL || a[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    a[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return;
	k = a[0].via.u64;
	n = a[1].via.u64;
	if (k > n || n > SHARD_MAX || (k == 0) != (n == 0))
		return;
	j->shard_k = (uint32_t)k;
	j->shard_n = (uint32_t)n;
	j->has |= STORE_HAS_SHARD;
}

/* The filters as [patterns, min_size, max_size or nil]; anything else
 * counts as absent. */
static void
filter_decode(struct store_job *j, const msgpack_object *x)
{
	const msgpack_object *a = tuple(x, 3);

	if (a == NULL || a[0].type != MSGPACK_OBJECT_BIN || a[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    (a[2].type != MSGPACK_OBJECT_NIL && a[2].type != MSGPACK_OBJECT_POSITIVE_INTEGER) ||
	    filter_check(a[0].via.bin.ptr, a[0].via.bin.size) < 0)
		return;
	memcpy(j->filter.pat, a[0].via.bin.ptr, a[0].via.bin.size);
	j->filter.len = a[0].via.bin.size;
	j->filter.min_size = a[1].via.u64;
	j->filter.has_max = a[2].type != MSGPACK_OBJECT_NIL;
	j->filter.max_size = j->filter.has_max ? a[2].via.u64 : 0;
	j->has |= STORE_HAS_FILTER;
}

/* --halt W,fail=N as [N, soon]; anything else counts as absent. */
static void
halt_fail_decode(struct store_job *j, const msgpack_object *x)
{
	const msgpack_object *a = tuple(x, 2);

	if (a == NULL || a[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    a[1].type != MSGPACK_OBJECT_BOOLEAN)
		return;
	j->halt_fail = a[0].via.u64;
	j->halt_soon = a[1].via.boolean;
	j->has |= STORE_HAS_HALT_FAIL;
}

/* Decodes a record's bytes into u after checking them. 0 or -1. */
static int
unpack(const void *p, size_t len, msgpack_unpacked *u, msgpack_object_type type)
{
	size_t off = 0;

	msgpack_unpacked_init(u);
	if (ipc_mp_check(p, len, 4) < 0 ||
	    msgpack_unpack_next(u, p, len, &off) != MSGPACK_UNPACK_SUCCESS || u->data.type != type) {
		msgpack_unpacked_destroy(u);
		return -1;
	}
	return 0;
}

int
rec_job_decode(const void *p, size_t len, struct store_job *j)
{
	msgpack_unpacked u;
	uint32_t i, c;

	if (unpack(p, len, &u, MSGPACK_OBJECT_MAP) < 0)
		return -1;
	memset(j, 0, sizeof *j);
	job_opts_default(&j->opts);
	for (i = 0; i < u.data.via.map.size; i++) {
		const msgpack_object *k = &u.data.via.map.ptr[i].key, *x = &u.data.via.map.ptr[i].val;

		if (key_is(k, "id")) j->id = (uint32_t)as_u64(x);
		else if (key_is(k, "state")) j->state = (int)(as_u64(x) % JOB__COUNT);
		else if (key_is(k, "name")) copy_str(j->name, sizeof j->name, x);
		else if (key_is(k, "handler")) copy_str(j->handler, sizeof j->handler, x);
		else if (key_is(k, "arg")) copy_str(j->arg, sizeof j->arg, x);
		else if (key_is(k, "inputs")) copy_str(j->inputs, sizeof j->inputs, x);
		else if (key_is(k, "created")) j->created_ms = as_u64(x);
		else if (key_is(k, "updated")) j->updated_ms = as_u64(x);
		else if (key_is(k, "finished")) j->finished_ms = as_u64(x);
		else if (key_is(k, "total")) j->total = as_u64(x);
		else if (key_is(k, "next_seq")) j->next_seq = as_u64(x);
		else if (key_is(k, "runs")) j->runs = as_u64(x);
		else if (key_is(k, "workers")) j->workers = (uint32_t)as_u64(x);
		else if (key_is(k, "priority")) j->priority = (uint32_t)as_u64(x);
		else if (key_is(k, "reason")) copy_str(j->reason, sizeof j->reason, x);
		else if (key_is(k, "owner") && x->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    x->via.u64 <= UINT32_MAX) {
			j->owner = (uint32_t)x->via.u64;
			j->has_owner = 1;
		} else if (key_is(k, "scanned")) j->scanned = x->type == MSGPACK_OBJECT_BOOLEAN && x->via.boolean;
		else if (key_is(k, "timeout")) {
			j->timeout_ms = as_u64(x);
			j->has |= STORE_HAS_TIMEOUT;
		} else if (key_is(k, "retries")) {
			j->retries = (uint32_t)as_u64(x);
			j->has |= STORE_HAS_RETRIES;
		} else if (key_is(k, "opts"))
			opts_decode(j, x);
		else if (key_is(k, "inputs_id") && x->type == MSGPACK_OBJECT_BIN &&
		    x->via.bin.size == sizeof j->inputs_id) {
			memcpy(j->inputs_id, x->via.bin.ptr, sizeof j->inputs_id);
			j->has |= STORE_HAS_INPUTS;
		} else if (key_is(k, "list") && x->type == MSGPACK_OBJECT_BIN &&
		    (x->via.bin.size == 0 || x->via.bin.size == sizeof j->list_id)) {
			memcpy(j->list_id, x->via.bin.ptr, x->via.bin.size);
			j->has_list = x->via.bin.size > 0;
			j->has |= STORE_HAS_LIST;
		} else if (key_is(k, "halt_rate") && x->type == MSGPACK_OBJECT_FLOAT64) {
			j->halt_rate = x->via.f64;
			j->has |= STORE_HAS_HALT;
		} else if (key_is(k, "halt_min"))
			j->halt_min = as_u64(x);
		else if (key_is(k, "extract") && x->type == MSGPACK_OBJECT_STR) {
			copy_str(j->extract, sizeof j->extract, x);
			j->has |= STORE_HAS_EXTRACT;
		} else if (key_is(k, "stall")) {
			j->stall_ms = as_u64(x);
			j->has |= STORE_HAS_STALL;
		} else if (key_is(k, "timeout_pct")) {
			j->timeout_pct = (uint32_t)as_u64(x);
		} else if (key_is(k, "shard"))
			shard_decode(j, x);
		else if (key_is(k, "filter"))
			filter_decode(j, x);
		else if (key_is(k, "halt_fail"))
			halt_fail_decode(j, x);
		else if (key_is(k, "count") && x->type == MSGPACK_OBJECT_ARRAY)
			for (c = 0; c < x->via.array.size && c < OUT__COUNT; c++)
				j->count[c] = as_u64(&x->via.array.ptr[c]);
	}
	msgpack_unpacked_destroy(&u);
	return 0;
}

/* The shape rec_task_encode writes for a path under 64 KiB and fewer than
 * 128 attempts, read in place: [bin8/bin16 path, fixint, bool] and not a
 * byte more. Dispatch reads one per file; anything else takes the checked
 * msgpack-c path. 0, or -1 when the bytes are not of this shape. */
static int
task_plain(const uint8_t *b, size_t len, const char **path, size_t *plen, uint32_t *attempts,
    int *regular)
{
	size_t n, off;

	if (len < 5 || b[0] != 0x93)
		return -1;
	if (b[1] == 0xc4) {
		n = b[2];
		off = 3;
	} else if (b[1] == 0xc5) {
		n = (size_t)b[2] << 8 | b[3];
		off = 4;
	} else
		return -1;
	if (len - off < 2 || n != len - off - 2 || b[off + n] > 0x7f ||
	    (b[off + n + 1] != 0xc2 && b[off + n + 1] != 0xc3))
		return -1;
	*path = (const char *)b + off;
	*plen = n;
	*attempts = b[off + n];
	*regular = b[off + n + 1] == 0xc3;
	return 0;
}

int
rec_task_decode(const void *p, size_t len, const char **path, size_t *plen, uint32_t *attempts,
    int *regular, uint32_t *strikes)
{
	msgpack_unpacked u;
	const msgpack_object *a;
	int r = -1;

	if (task_plain(p, len, path, plen, attempts, regular) == 0) {
		*strikes = 0;	/* its shape has none */
		return 0;
	}
	if (unpack(p, len, &u, MSGPACK_OBJECT_ARRAY) < 0)
		return -1;
	a = u.data.via.array.ptr;
	if (u.data.via.array.size >= 2 && a[0].type == MSGPACK_OBJECT_BIN &&
	    a[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		*path = a[0].via.bin.ptr;
		*plen = a[0].via.bin.size;
		*attempts = (uint32_t)a[1].via.u64;
		*regular = u.data.via.array.size > 2 && a[2].type == MSGPACK_OBJECT_BOOLEAN &&
		    a[2].via.boolean;
		*strikes = u.data.via.array.size > 3 && a[3].type == MSGPACK_OBJECT_POSITIVE_INTEGER ?
		    (uint32_t)a[3].via.u64 : 0;
		r = 0;
	}
	msgpack_unpacked_destroy(&u);
	return r;
}

int
rec_task_encode(msgpack_sbuffer *sb, const char *path, size_t len, uint32_t attempts, int regular,
    uint32_t strikes)
{
	msgpack_packer pk;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	return (msgpack_pack_array(&pk, strikes ? 4 : 3) | msgpack_pack_bin_with_body(&pk, path, len) |
	    msgpack_pack_uint32(&pk, attempts) |
	    (regular ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk)) |
	    (strikes ? msgpack_pack_uint32(&pk, strikes) : 0)) ? -1 : 0;
}

/* The signature's keys (docs/state.md): c, then pd pt pw with a
 * progress frame, then pr, and sc wc when /proc was read. */
static int
sig_keys(const struct store_sig *g)
{
	if (g->code == 0)
		return 0;
	return 1 + (g->signal > 0) + 3 * !!g->has_progress + (g->proc != SIG_PROC_NONE) + 2 * (g->proc == SIG_PROC_READ);
}

static int
sig_encode(msgpack_packer *pk, const struct store_sig *g)
{
	int r = 0;

	if (g->code == 0)
		return 0;
	r |= sbuf_pack_u64(pk, "c", (uint64_t)g->code);
	if (g->signal > 0)
		r |= sbuf_pack_u64(pk, "ks", (uint64_t)g->signal);
	if (g->has_progress) {
		r |= sbuf_pack_u64(pk, "pd", g->done);
		r |= sbuf_pack_u64(pk, "pt", g->total);
		r |= msgpack_pack_str_with_body(pk, "pw", 2) |
		    msgpack_pack_bin_with_body(pk, g->what, g->what_len);
	}
	if (g->proc != SIG_PROC_NONE)
		r |= sbuf_pack_u64(pk, "pr", (uint64_t)g->proc);
	if (g->proc == SIG_PROC_READ) {
		r |= msgpack_pack_str_with_body(pk, "sc", 2) | msgpack_pack_int64(pk, g->syscall);
		r |= msgpack_pack_str_with_body(pk, "wc", 2) |
		    msgpack_pack_bin_with_body(pk, g->wchan, g->wchan_len);
	}
	return r ? -1 : 0;
}

/* An outcome is written once per file: its small fields are put together
 * here, by hand, as msgpack-c would pack them, and go to the buffer with
 * its byte strings in a few writes instead of two or three a field. */
static uint8_t *
put_key(uint8_t *p, const char *k)
{
	uint8_t *head = p++;

	while (*k != '\0')
		*p++ = (uint8_t)*k++;
	*head = (uint8_t)(0xa0 | (p - head - 1));	/* fixstr: keys of a few letters */
	return p;
}

static uint8_t *
put_be(uint8_t *p, uint8_t tag, uint64_t v, int n)
{
	*p++ = tag;
	while (n-- > 0)
		*p++ = (uint8_t)(v >> (8 * n));
	return p;
}

/* An unsigned integer in its shortest form, as msgpack-c packs one. */
static uint8_t *
put_uint(uint8_t *p, uint64_t v)
{
	if (v < 0x80) {
		*p++ = (uint8_t)v;
		return p;
	}
	return v <= 0xff ? put_be(p, 0xcc, v, 1) : v <= 0xffff ? put_be(p, 0xcd, v, 2) :
	    v <= 0xffffffff ? put_be(p, 0xce, v, 4) : put_be(p, 0xcf, v, 8);
}

static uint8_t *
put_u64(uint8_t *p, const char *k, uint64_t v)
{
	return put_uint(put_key(p, k), v);
}

/* Key k and the head of a bin of len bytes. */
static uint8_t *
put_bin_head(uint8_t *p, const char *k, size_t len)
{
	p = put_key(p, k);
	return len <= 0xff ? put_be(p, 0xc4, len, 1) : len <= 0xffff ? put_be(p, 0xc5, len, 2) :
	    put_be(p, 0xc6, len, 4);
}

/* n bytes to the buffer; none, even from NULL, is nothing to do. */
static int
sb_put(msgpack_sbuffer *sb, const void *p, size_t n)
{
	return n == 0 ? 0 : msgpack_sbuffer_write(sb, p, n);
}

int
rec_outcome_encode(msgpack_sbuffer *sb, const struct store_outcome *o)
{
	uint8_t head[256], *p = head;
	int lim = o->limit > TL_NONE && o->limit < TL__COUNT;
	unsigned n;
	msgpack_packer pk;

	if (o->error_len > UINT32_MAX || o->result_len > UINT32_MAX || o->tail_len > UINT32_MAX)
		return -1;
	n = 8 + (o->tail_len > 0) + lim + (o->sha256 != NULL) + (o->reused_job != 0) +
	    2 * (o->has_stat != 0) + (o->strikes > 0) + (o->pid > 0) + (o->started_ms > 0) +
	    sig_keys(&o->sig);
	p = n <= 15 ? put_be(p, (uint8_t)(0x80 | n), 0, 0) : put_be(p, 0xde, (uint64_t)n, 2);
	p = put_u64(p, "s", (uint64_t)o->status);
	p = put_u64(p, "a", o->attempts);
	p = put_u64(p, "d", o->duration_ms);
	p = put_u64(p, "f", o->finished_ms);
	p = put_u64(p, "sig", (uint64_t)(o->signal > 0 ? o->signal : 0));
	if (o->exit_code >= 0)
		p = put_u64(p, "x", (uint64_t)o->exit_code);
	else {
		p = put_key(p, "x");
		p = o->exit_code >= -32 ? put_be(p, (uint8_t)(0xe0 | (o->exit_code & 0x1f)), 0, 0) :
		    o->exit_code >= -128 ? put_be(p, 0xd0, (uint64_t)o->exit_code, 1) :
		    o->exit_code >= -32768 ? put_be(p, 0xd1, (uint64_t)o->exit_code, 2) :
		    put_be(p, 0xd2, (uint64_t)o->exit_code, 4);
	}
	p = put_bin_head(p, "e", o->error_len);
	if (sb_put(sb, head, (size_t)(p - head)) != 0 ||
	    sb_put(sb, o->error, o->error_len) != 0)
		return -1;
	p = put_bin_head(head, "r", o->result_len);
	if (sb_put(sb, head, (size_t)(p - head)) != 0 ||
	    sb_put(sb, o->result, o->result_len) != 0)
		return -1;
	p = head;
	if (o->tail_len > 0) {
		p = put_bin_head(p, "t", o->tail_len);
		if (sb_put(sb, head, (size_t)(p - head)) != 0 ||
		    sb_put(sb, o->tail, o->tail_len) != 0)
			return -1;
		p = head;
	}
	if (lim)
		p = put_u64(p, "lim", (uint64_t)o->limit);
	if (o->sha256 != NULL) {
		p = put_bin_head(p, "h", 32);
		memcpy(p, o->sha256, 32);
		p += 32;
	}
	if (o->reused_job != 0) {
		p = put_key(p, "u");
		*p++ = 0x92;	/* fixarray of 2: job, seq */
		p = put_uint(p, o->reused_job);
		p = put_uint(p, o->reused_seq);
	}
	if (o->has_stat) {
		p = put_u64(p, "z", o->size);
		p = put_u64(p, "m", o->mtime_ns);
	}
	if (o->strikes > 0)
		p = put_u64(p, "k", o->strikes);
	if (o->pid > 0)
		p = put_u64(p, "p", o->pid);
	if (o->started_ms > 0)
		p = put_u64(p, "st", o->started_ms);
	if (sb_put(sb, head, (size_t)(p - head)) != 0)
		return -1;
	/* A death's signature, rare: msgpack-c's packer. */
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	return sig_encode(&pk, &o->sig);
}

int
rec_outcome_decode(const void *p, size_t len, struct store_outcome *o)
{
	msgpack_unpacked u;
	uint32_t i;

	if (unpack(p, len, &u, MSGPACK_OBJECT_MAP) < 0)
		return -1;
	memset(o, 0, sizeof *o);
	o->exit_code = -1;
	for (i = 0; i < u.data.via.map.size; i++) {
		const msgpack_object *k = &u.data.via.map.ptr[i].key, *x = &u.data.via.map.ptr[i].val;

		if (key_is(k, "s"))
			o->status = as_u64(x) == ATTEMPT_INTERRUPTED ? ATTEMPT_INTERRUPTED :
			    (int)(as_u64(x) % OUT__COUNT);
		else if (key_is(k, "a")) o->attempts = (uint32_t)as_u64(x);
		else if (key_is(k, "d")) o->duration_ms = as_u64(x);
		else if (key_is(k, "f")) o->finished_ms = as_u64(x);
		else if (key_is(k, "sig")) o->signal = (int)(as_u64(x) & 0xff);
		else if (key_is(k, "x") && x->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
			o->exit_code = (int)(x->via.u64 & 0xff);
		else if (key_is(k, "e") && x->type == MSGPACK_OBJECT_BIN) {
			o->error = x->via.bin.ptr;
			o->error_len = x->via.bin.size;
		} else if (key_is(k, "r") && x->type == MSGPACK_OBJECT_BIN) {
			o->result = (const uint8_t *)x->via.bin.ptr;
			o->result_len = x->via.bin.size;
		} else if (key_is(k, "t") && x->type == MSGPACK_OBJECT_BIN) {
			o->tail = x->via.bin.ptr;
			o->tail_len = x->via.bin.size;
		} else if (key_is(k, "lim") && x->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    x->via.u64 < TL__COUNT)
			o->limit = (int)x->via.u64;
		else if (key_is(k, "h") && x->type == MSGPACK_OBJECT_BIN && x->via.bin.size == 32) {
			o->sha256 = (const uint8_t *)x->via.bin.ptr;
		} else if (key_is(k, "u") && x->type == MSGPACK_OBJECT_ARRAY && x->via.array.size == 2 &&
		    x->via.array.ptr[0].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    x->via.array.ptr[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    x->via.array.ptr[0].via.u64 > 0 && x->via.array.ptr[0].via.u64 <= UINT32_MAX) {
			o->reused_job = (uint32_t)x->via.array.ptr[0].via.u64;
			o->reused_seq = x->via.array.ptr[1].via.u64;
		} else if (key_is(k, "z") && x->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
			o->size = x->via.u64;
			o->has_stat |= 1;
		} else if (key_is(k, "m") && x->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
			o->mtime_ns = x->via.u64;
			o->has_stat |= 2;
		} else if (key_is(k, "k")) o->strikes = (uint32_t)as_u64(x);
		else if (key_is(k, "p")) o->pid = (uint32_t)as_u64(x);
		else if (key_is(k, "st")) o->started_ms = as_u64(x);
		else if (key_is(k, "c")) o->sig.code = (int)(as_u64(x) & 0xff);
		else if (key_is(k, "ks")) o->sig.signal = (int)(as_u64(x) & 0xff);
		else if (key_is(k, "pd")) o->sig.done = as_u64(x), o->sig.has_progress = 1;
		else if (key_is(k, "pt")) o->sig.total = as_u64(x);
		else if (key_is(k, "pw") && x->type == MSGPACK_OBJECT_BIN) {
			o->sig.what = x->via.bin.ptr;
			o->sig.what_len = x->via.bin.size;
		}
		else if (key_is(k, "pr")) o->sig.proc = (int)(as_u64(x) % 3);
		else if (key_is(k, "sc") && x->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
			o->sig.syscall = (int64_t)(x->via.u64 & 0xffff);
		else if (key_is(k, "sc") && x->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
			o->sig.syscall = -1;
		else if (key_is(k, "wc") && x->type == MSGPACK_OBJECT_BIN) {
			o->sig.wchan = x->via.bin.ptr;
			o->sig.wchan_len = x->via.bin.size;
		}
	}
	msgpack_unpacked_destroy(&u);
	o->has_stat = o->has_stat == 3;	/* both, or it cannot be compared */
	return 0;
}
