/* result: the map a handler fills for one file, kept as packed msgpack
 * pairs behind room for the map's header, bounded at RESULT_MAX, plus the
 * error text. The setters are the plugin API of include/corral.h, exported
 * from the corral executable (corral.sym). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <msgpack.h>

#include "child/handler.h"
#include "common/utf8.h"

/* The map's header goes in front of the pairs once their count is known,
 * so the body is never copied: a msgpack map header is at most 5 bytes. */
#define HEADER_ROOM	5
/* "truncated": true, packed: fixstr 9 + "truncated" + true. Always kept
 * free, so the flag fits even when a setter has just been refused. */
#define TRUNCATED_PAIR	11

struct corral_result {
	char *buf;		/* HEADER_ROOM bytes, then key, value, key, value ... */
	size_t len, cap;
	size_t limit;		/* len never passes it */
	int err;		/* why the pair being packed failed, or 0 */
	uint32_t count;		/* pairs */
	int truncated;
	msgpack_packer pk;
	char error[RESULT_ERR_MAX];
	size_t error_len;
};

/* msgpack-c writes every piece through here: the one place the bound is
 * enforced, before anything is allocated for a value too big to keep. The
 * first failure of a pair is kept in err and the rest of the pair dropped. */
static int
result_write(void *data, const char *p, size_t len)
{
	struct corral_result *r = data;
	size_t cap;
	char *b;

	if (r->err)
		return -1;
	if (len == 0)
		return 0;
	if (len > r->limit - r->len) {
		r->err = E2BIG;
		return -1;
	}
	if (len > r->cap - r->len) {
		for (cap = r->cap; cap - r->len < len; cap *= 2)
			;
		if ((b = realloc(r->buf, cap)) == NULL) {
			r->err = ENOMEM;
			return -1;
		}
		r->buf = b;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, p, len);
	r->len += len;
	return 0;
}

struct corral_result *
result_new(void)
{
	struct corral_result *r = calloc(1, sizeof *r);

	if (r == NULL)
		return NULL;
	r->cap = 256;
	if ((r->buf = malloc(r->cap)) == NULL) {
		free(r);
		return NULL;
	}
	msgpack_packer_init(&r->pk, r, result_write);
	result_reset(r);
	return r;
}

void
result_reset(struct corral_result *r)
{
	r->len = HEADER_ROOM;
	r->limit = RESULT_MAX - TRUNCATED_PAIR;
	r->count = 0;
	r->truncated = 0;
	r->error_len = 0;
	r->error[0] = '\0';
}

void
result_free(struct corral_result *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r);
}

/* Packs the key of a pair; the caller packs its value, then pair_end. */
static int
pair_begin(struct corral_result *r, const char *key, size_t *mark)
{
	if (key == NULL) {
		errno = EINVAL;
		return -1;
	}
	*mark = r->len;
	r->err = 0;
	msgpack_pack_str_with_body(&r->pk, key, strlen(key));
	return 0;
}

/* The pair packed from mark on stays, or goes whole: a map never holds a
 * key without its value. Past the bound, the result says so, once. */
static int
pair_end(struct corral_result *r, size_t mark)
{
	int e = r->err;

	if (e == 0) {
		r->count++;
		return 0;
	}
	r->len = mark;
	if (e == E2BIG && !r->truncated) {
		r->truncated = 1;
		r->err = 0;
		r->limit = RESULT_MAX;
		msgpack_pack_str_with_body(&r->pk, "truncated", 9);
		msgpack_pack_true(&r->pk);
		r->count++;
		r->limit = RESULT_MAX - TRUNCATED_PAIR;
	}
	errno = e;
	return -1;
}

int
corral_result_set_str(struct corral_result *r, const char *key, const char *value)
{
	size_t mark;

	if (value == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (pair_begin(r, key, &mark) < 0)
		return -1;
	msgpack_pack_str_with_body(&r->pk, value, strlen(value));
	return pair_end(r, mark);
}

int
corral_result_set_bytes(struct corral_result *r, const char *key, const void *p, size_t len)
{
	size_t mark;

	if (p == NULL && len > 0) {
		errno = EINVAL;
		return -1;
	}
	if (pair_begin(r, key, &mark) < 0)
		return -1;
	msgpack_pack_bin_with_body(&r->pk, p, len);
	return pair_end(r, mark);
}

int
corral_result_set_int(struct corral_result *r, const char *key, int64_t value)
{
	size_t mark;

	if (pair_begin(r, key, &mark) < 0)
		return -1;
	msgpack_pack_int64(&r->pk, value);
	return pair_end(r, mark);
}

int
corral_result_set_uint(struct corral_result *r, const char *key, uint64_t value)
{
	size_t mark;

	if (pair_begin(r, key, &mark) < 0)
		return -1;
	msgpack_pack_uint64(&r->pk, value);
	return pair_end(r, mark);
}

int
corral_result_set_bool(struct corral_result *r, const char *key, int value)
{
	size_t mark;

	if (pair_begin(r, key, &mark) < 0)
		return -1;
	if (value)
		msgpack_pack_true(&r->pk);
	else
		msgpack_pack_false(&r->pk);
	return pair_end(r, mark);
}

int
corral_result_set_double(struct corral_result *r, const char *key, double value)
{
	size_t mark;

	if (pair_begin(r, key, &mark) < 0)
		return -1;
	msgpack_pack_double(&r->pk, value);
	return pair_end(r, mark);
}

int
result_set_strv(struct corral_result *r, const char *key, const char *const *v, size_t n)
{
	size_t i, mark;

	if (pair_begin(r, key, &mark) < 0)
		return -1;
	msgpack_pack_array(&r->pk, n);
	for (i = 0; i < n; i++)
		msgpack_pack_str_with_body(&r->pk, v[i], strlen(v[i]));
	return pair_end(r, mark);
}

/* The caller packed the value: exactly one msgpack object, copied as it
 * is, under the same bound as any other pair. */
int
result_set_packed(struct corral_result *r, const char *key, const void *mp, size_t len)
{
	size_t mark;

	if (mp == NULL || len == 0) {
		errno = EINVAL;
		return -1;
	}
	if (pair_begin(r, key, &mark) < 0)
		return -1;
	result_write(r, mp, len);
	return pair_end(r, mark);
}

/* The bytes of a UTF-8 character that the cut at len left incomplete: a
 * cut text ends between characters, not inside one. */
static size_t
cut_tail(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = len, need;

	while (i > 0 && len - i < 3 && (u[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0 || u[i - 1] < 0xc0)
		return 0;
	need = u[i - 1] >= 0xf0 ? 4 : u[i - 1] >= 0xe0 ? 3 : 2;
	return len - (i - 1) < need ? len - (i - 1) : 0;
}

int
corral_result_set_error(struct corral_result *r, const char *fmt, ...)
{
	va_list ap;
	size_t len;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->error, sizeof r->error, fmt, ap);
	va_end(ap);
	if (n < 0) {
		r->error_len = 0;
		r->error[0] = '\0';
		return -1;
	}
	len = (size_t)n;
	if (len >= sizeof r->error) {
		len = sizeof r->error - 1;
		r->error_len = len - cut_tail(r->error, len);
		r->error[r->error_len] = '\0';
		return 0;
	}
	r->error_len = len;
	return 0;
}

const uint8_t *
result_map(struct corral_result *r, size_t *len)
{
	uint8_t *h;
	uint32_t n = r->count;

	/* The map header of the msgpack spec, right before the pairs. */
	if (n < 16) {
		h = (uint8_t *)r->buf + HEADER_ROOM - 1;
		h[0] = 0x80 | n;
	} else if (n < 65536) {
		h = (uint8_t *)r->buf + HEADER_ROOM - 3;
		h[0] = 0xde;
		h[1] = n >> 8;
		h[2] = n & 0xff;
	} else {
		h = (uint8_t *)r->buf;
		h[0] = 0xdf;
		h[1] = n >> 24;
		h[2] = (n >> 16) & 0xff;
		h[3] = (n >> 8) & 0xff;
		h[4] = n & 0xff;
	}
	*len = r->len - (size_t)(h - (uint8_t *)r->buf);
	return h;
}

const char *
result_error(struct corral_result *r, size_t *len)
{
	*len = r->error_len;
	return r->error;
}

/* ---- progress: what the running task says of itself (corral_progress) ---- */

static struct {
	int sock;			/* the supervisor's socket; -1: no task */
	uint64_t id;			/* the running task */
	struct timespec next;		/* no frame before this */
	struct ipc_buf out;
} progress = { .sock = -1 };

static int
progress_due(void)
{
	struct timespec now;

	/* The coarse clock costs a few nanoseconds, so that a plugin calling
	 * in a tight loop pays little more than a call. */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	if (now.tv_sec < progress.next.tv_sec ||
	    (now.tv_sec == progress.next.tv_sec && now.tv_nsec < progress.next.tv_nsec))
		return 0;
	progress.next = now;
	progress.next.tv_nsec += IPC_PROGRESS_EVERY_MS * 1000000L;
	if (progress.next.tv_nsec >= 1000000000L) {
		progress.next.tv_sec++;
		progress.next.tv_nsec -= 1000000000L;
	}
	return 1;
}

void
child_progress_begin(int sock, uint64_t id)
{
	static int off = -1;

	/* CORRAL_NO_PROGRESS: no frame at all, a benchmark's switch to show
	 * what they cost (--stall then sees none either). */
	if (off < 0) {
		const char *v = getenv("CORRAL_NO_PROGRESS");

		off = v != NULL && v[0] != '\0';
	}
	if (off) {
		progress.sock = -1;
		return;
	}
	progress.sock = sock;
	progress.id = id;
	progress.next.tv_sec = 0;
	progress.next.tv_nsec = 0;
	/* None at all for a task that ends within its first interval. */
	(void)progress_due();
}

void
child_progress_end(void)
{
	progress.sock = -1;
}

/* Untrusted words (an entry's name, a plugin's text) made fit for the
 * wire: cut at IPC_PROGRESS_WHAT_MAX bytes on a character's edge, each
 * byte of invalid UTF-8 and each control character a '?'. */
static size_t
progress_words(char *to, const char *s, size_t len)
{
	size_t i = 0, n = 0, k;

	while (i < len && n < IPC_PROGRESS_WHAT_MAX) {
		k = utf8_seq((const unsigned char *)s + i, len - i);
		if (k == 0 || (k == 1 && ((unsigned char)s[i] < 0x20 || s[i] == 0x7f))) {
			to[n++] = '?';
			i++;
			continue;
		}
		if (k > IPC_PROGRESS_WHAT_MAX - n)
			break;
		memcpy(to + n, s + i, k);
		n += k;
		i += k;
	}
	return n;
}

/* One frame, due now. */
static void
progress_send(uint64_t done, uint64_t total, const char *what, size_t wlen)
{
	char words[IPC_PROGRESS_WHAT_MAX];
	size_t n = what != NULL ? progress_words(words, what, wlen) : 0;
	size_t off = 0;
	ssize_t sent;

	progress.out.len = 0;
	if (ipc_put_progress(&progress.out, progress.id, done, total, words, n) < 0)
		return;
	/* A blocking socket: the whole frame goes, or the supervisor is
	 * gone and the result's own write will say so. */
	while (off < progress.out.len) {
		sent = ipc_send(progress.sock, progress.out.data + off, progress.out.len - off, -1);
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent <= 0) {
			progress.sock = -1;
			return;
		}
		off += (size_t)sent;
	}
}

void
child_progress(uint64_t done, uint64_t total, const char *what, size_t wlen)
{
	if (progress.sock >= 0 && progress_due())
		progress_send(done, total, what, wlen);
}

void
corral_progress(uint64_t done, uint64_t total, const char *what)
{
	/* Past twice the bound, nothing more is shown. */
	if (progress.sock >= 0 && progress_due())
		progress_send(done, total, what,
		    what != NULL ? strnlen(what, 2 * IPC_PROGRESS_WHAT_MAX) : 0);
}
