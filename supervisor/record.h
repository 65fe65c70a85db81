/* record: the byte formats of the store's records (docs/state.md), as
 * msgpack. Encoders append to an sbuffer; decoders check the bytes before
 * reading them and point into them (valid as long as the bytes are). Knows
 * nothing of LMDB. */
#ifndef CORRAL_RECORD_H
#define CORRAL_RECORD_H

#include <msgpack.h>

#include "supervisor/store.h"

int rec_job_encode(const struct store_job *j, msgpack_sbuffer *sb);
int rec_job_decode(const void *p, size_t len, struct store_job *j);
/* A task record: [path, attempts, regular, strikes]; regular: the scan saw
 * a regular file there (a record without it reads as not known); strikes
 * only when not 0 (a record without them reads 0). */
int rec_task_encode(msgpack_sbuffer *sb, const char *path, size_t len, uint32_t attempts,
    int regular, uint32_t strikes);
int rec_task_decode(const void *p, size_t len, const char **path, size_t *plen, uint32_t *attempts,
    int *regular, uint32_t *strikes);
int rec_outcome_encode(msgpack_sbuffer *sb, const struct store_outcome *o);
int rec_outcome_decode(const void *p, size_t len, struct store_outcome *o);

#endif
