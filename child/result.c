/* result: the map a handler fills for one file, kept as packed msgpack
 * pairs and bounded, plus the error text. The setters are the plugin API of
 * include/corral.h, exported from the corral executable. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "child/handler.h"

struct corral_result {
	msgpack_sbuffer pairs;	/* key, value, key, value ... */
	msgpack_packer pk;
	uint32_t count;
	int truncated;
	msgpack_sbuffer map;	/* the finished map, built by result_map */
	char error[RESULT_ERR_MAX];
	size_t error_len;
};

struct corral_result *
result_new(void)
{
	struct corral_result *r = calloc(1, sizeof *r);

	if (r == NULL)
		return NULL;
	msgpack_sbuffer_init(&r->pairs);
	msgpack_sbuffer_init(&r->map);
	msgpack_packer_init(&r->pk, &r->pairs, msgpack_sbuffer_write);
	return r;
}

void
result_reset(struct corral_result *r)
{
	msgpack_sbuffer_clear(&r->pairs);
	msgpack_sbuffer_clear(&r->map);
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
	msgpack_sbuffer_destroy(&r->pairs);
	msgpack_sbuffer_destroy(&r->map);
	free(r);
}

/* Room for a pair of about len bytes? Past the bound the result is marked
 * truncated once, and the setter fails with E2BIG. */
static int
room(struct corral_result *r, const char *key, size_t len)
{
	size_t need = strlen(key) + len + 16;

	if (r->pairs.size + need <= RESULT_MAX - 64)
		return 0;
	if (!r->truncated) {
		r->truncated = 1;
		msgpack_pack_str_with_body(&r->pk, "truncated", 9);
		msgpack_pack_true(&r->pk);
		r->count++;
	}
	errno = E2BIG;
	return -1;
}

/* Packs the key; the caller packs the value. Rolls back on failure. */
static int
pair(struct corral_result *r, const char *key, size_t vlen)
{
	if (key == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (room(r, key, vlen) < 0)
		return -1;
	if (msgpack_pack_str_with_body(&r->pk, key, strlen(key)) < 0) {
		errno = ENOMEM;
		return -1;
	}
	r->count++;
	return 0;
}

static int
done(int rc)
{
	if (rc < 0) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int
corral_result_set_str(struct corral_result *r, const char *key, const char *value)
{
	size_t len = value ? strlen(value) : 0;

	if (pair(r, key, len) < 0)
		return -1;
	return done(msgpack_pack_str_with_body(&r->pk, value ? value : "", len));
}

int
corral_result_set_bytes(struct corral_result *r, const char *key, const void *p, size_t len)
{
	if (pair(r, key, len) < 0)
		return -1;
	return done(msgpack_pack_bin_with_body(&r->pk, p, len));
}

int
corral_result_set_int(struct corral_result *r, const char *key, int64_t value)
{
	if (pair(r, key, 9) < 0)
		return -1;
	return done(msgpack_pack_int64(&r->pk, value));
}

int
corral_result_set_uint(struct corral_result *r, const char *key, uint64_t value)
{
	if (pair(r, key, 9) < 0)
		return -1;
	return done(msgpack_pack_uint64(&r->pk, value));
}

int
corral_result_set_bool(struct corral_result *r, const char *key, int value)
{
	if (pair(r, key, 1) < 0)
		return -1;
	return done(value ? msgpack_pack_true(&r->pk) : msgpack_pack_false(&r->pk));
}

int
corral_result_set_double(struct corral_result *r, const char *key, double value)
{
	if (pair(r, key, 9) < 0)
		return -1;
	return done(msgpack_pack_double(&r->pk, value));
}

int
result_set_strv(struct corral_result *r, const char *key, const char *const *v, size_t n)
{
	size_t i, len = 0;
	int rc;

	for (i = 0; i < n; i++)
		len += strlen(v[i]) + 5;
	if (pair(r, key, len) < 0)
		return -1;
	rc = msgpack_pack_array(&r->pk, n);
	for (i = 0; i < n; i++)
		rc |= msgpack_pack_str_with_body(&r->pk, v[i], strlen(v[i]));
	return done(rc);
}

int
corral_result_set_error(struct corral_result *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->error, sizeof r->error, fmt, ap);
	va_end(ap);
	if (n < 0) {
		r->error_len = 0;
		return -1;
	}
	r->error_len = (size_t)n < sizeof r->error ? (size_t)n : sizeof r->error - 1;
	return 0;
}

const uint8_t *
result_map(struct corral_result *r, size_t *len)
{
	msgpack_packer pk;

	msgpack_sbuffer_clear(&r->map);
	msgpack_packer_init(&pk, &r->map, msgpack_sbuffer_write);
	if (msgpack_pack_map(&pk, r->count) < 0 ||
	    (r->pairs.size && msgpack_sbuffer_write(&r->map, r->pairs.data, r->pairs.size) < 0)) {
		*len = 0;
		return NULL;
	}
	*len = r->map.size;
	return (const uint8_t *)r->map.data;
}

const char *
result_error(struct corral_result *r, size_t *len)
{
	*len = r->error_len;
	return r->error;
}
