/* shard: which of N shards a path belongs to (--shard K/N), by a rule
 * another tool can reproduce (docs/shards.md): the first 8 bytes of the
 * SHA-256 of the path's bytes, as a big-endian number, modulo N. Knows
 * nothing of scans or jobs. */
#ifndef CORRAL_SHARD_H
#define CORRAL_SHARD_H

#include <stddef.h>
#include <stdint.h>

#define SHARD_MAX	65536

/* The shard of the bytes rel[0..len), from 1 to n (n >= 1). */
uint32_t shard_of(const char *rel, size_t len, uint32_t n);
/* "K/N" with 1 <= K <= N <= SHARD_MAX, decimal, nothing else. Returns 0,
 * or -1 with errno EINVAL. */
int shard_parse(const char *s, uint32_t *k, uint32_t *n);

#endif
