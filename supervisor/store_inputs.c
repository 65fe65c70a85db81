/* store_inputs: a job's inputs as named, kept so that any later owner of
 * the state directory (a daemon adopting a job `corral run` left
 * interrupted) can scan them again: its working directory and its paths,
 * in meta under "inputs" and the job id (docs/state.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "ipc/ipc.h"
#include "supervisor/store_int.h"

#define INPUTS_KEY	10	/* "inputs" and the job id, big-endian */

static void
inputs_key(uint8_t k[INPUTS_KEY], uint32_t job)
{
	memcpy(k, "inputs", 6);	/* NOLINT(bugprone-not-null-terminated-result): a key's bytes, no string */
	store_put_be(k + 6, job, 4);
}

int
store_inputs_put(store *st, uint32_t job, const char *cwd, char *const *paths, int n, int sep)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	uint8_t kb[INPUTS_KEY];
	MDB_val k = { INPUTS_KEY, kb }, v;
	int i, r = 0, rc;

	if (st->wtxn == NULL || job == 0 || n < 0)
		return store_fail(st, EINVAL);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	r |= msgpack_pack_map(&pk, 3);
	r |= msgpack_pack_str_with_body(&pk, "sep", 3);
	r |= msgpack_pack_uint8(&pk, (uint8_t)sep);
	r |= msgpack_pack_str_with_body(&pk, "cwd", 3);
	r |= msgpack_pack_bin_with_body(&pk, cwd, strlen(cwd));
	r |= msgpack_pack_str_with_body(&pk, "paths", 5);
	r |= msgpack_pack_array(&pk, (size_t)n);
	for (i = 0; i < n; i++)
		r |= msgpack_pack_bin_with_body(&pk, paths[i], strlen(paths[i]));
	if (r != 0) {
		msgpack_sbuffer_destroy(&sb);
		return store_fail(st, ENOMEM);
	}
	inputs_key(kb, job);
	v.mv_size = sb.size;
	v.mv_data = sb.data;
	rc = mdb_put(st->wtxn, st->meta, &k, &v, 0);
	msgpack_sbuffer_destroy(&sb);
	return rc ? store_fail(st, rc) : 0;
}

/* A bin without a NUL, copied and terminated; NULL when not one. */
static char *
bin_str(const msgpack_object *o)
{
	char *s;

	if (o->type != MSGPACK_OBJECT_BIN || memchr(o->via.bin.ptr, '\0', o->via.bin.size) != NULL)
		return NULL;
	if ((s = malloc(o->via.bin.size + 1)) == NULL)
		return NULL;
	memcpy(s, o->via.bin.ptr, o->via.bin.size);
	s[o->via.bin.size] = '\0';
	return s;
}

void
store_inputs_free(struct store_inputs *in)
{
	int i;

	for (i = 0; in->paths && i < in->n; i++)
		free(in->paths[i]);
	free(in->paths);
	free(in->cwd);
	memset(in, 0, sizeof *in);
}

int
store_inputs_get(store *st, uint32_t job, struct store_inputs *out)
{
	uint8_t kb[INPUTS_KEY];
	MDB_val k = { INPUTS_KEY, kb }, v;
	MDB_txn *txn;
	msgpack_unpacked u;
	const msgpack_object *map = NULL, *paths = NULL, *cwd = NULL;
	size_t off = 0;
	uint32_t i;
	int rc, r = -1;

	memset(out, 0, sizeof *out);
	out->sep = '\n';
	if ((txn = rbegin(st)) == NULL)
		return -1;
	inputs_key(kb, job);
	rc = mdb_get(txn, st->meta, &k, &v);
	if (rc == MDB_NOTFOUND) {
		rend(st, txn);
		return 1;
	}
	if (rc != 0) {
		rend(st, txn);
		return store_fail(st, rc);
	}
	msgpack_unpacked_init(&u);
	if (ipc_mp_check(v.mv_data, v.mv_size, 3) == 0 &&
	    msgpack_unpack_next(&u, v.mv_data, v.mv_size, &off) == MSGPACK_UNPACK_SUCCESS &&
	    u.data.type == MSGPACK_OBJECT_MAP)
		map = &u.data;
	for (i = 0; map && i < map->via.map.size; i++) {
		const msgpack_object *key = &map->via.map.ptr[i].key;

		if (key->type != MSGPACK_OBJECT_STR)
			continue;
		if (key->via.str.size == 3 && memcmp(key->via.str.ptr, "cwd", 3) == 0)
			cwd = &map->via.map.ptr[i].val;
		else if (key->via.str.size == 5 && memcmp(key->via.str.ptr, "paths", 5) == 0)
			paths = &map->via.map.ptr[i].val;
		else if (key->via.str.size == 3 && memcmp(key->via.str.ptr, "sep", 3) == 0 &&
		    map->via.map.ptr[i].val.type == MSGPACK_OBJECT_POSITIVE_INTEGER)
			out->sep = map->via.map.ptr[i].val.via.u64 == 0 ? '\0' : '\n';
	}
	if (cwd == NULL || paths == NULL || paths->type != MSGPACK_OBJECT_ARRAY ||
	    (out->cwd = bin_str(cwd)) == NULL)
		goto bad;
	if ((out->paths = calloc((size_t)paths->via.array.size + 1, sizeof *out->paths)) == NULL)
		goto bad;
	for (i = 0; i < paths->via.array.size; i++) {
		if ((out->paths[i] = bin_str(&paths->via.array.ptr[i])) == NULL)
			goto bad;
		out->n++;
	}
	r = 0;
bad:
	msgpack_unpacked_destroy(&u);
	rend(st, txn);
	if (r < 0) {
		store_inputs_free(out);
		return store_fail(st, BAD_RECORD);
	}
	return 0;
}

int
store_inputs_del(store *st, uint32_t job)
{
	uint8_t kb[INPUTS_KEY];
	MDB_val k = { INPUTS_KEY, kb };
	int rc;

	if (st->wtxn == NULL)
		return store_fail(st, EINVAL);
	inputs_key(kb, job);
	rc = mdb_del(st->wtxn, st->meta, &k, NULL);
	return rc && rc != MDB_NOTFOUND ? store_fail(st, rc) : 0;
}
