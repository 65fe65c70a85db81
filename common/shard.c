/* shard: the --shard rule, common/shard.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "common/parse.h"
#include "common/shard.h"

uint32_t
shard_of(const char *rel, size_t len, uint32_t n)
{
	unsigned char dig[SHA256_DIGEST_LENGTH];
	uint64_t h = 0;
	int i;

	if (n <= 1)
		return 1;
	/* The one-shot digest allocates nothing and cannot fail. */
	SHA256((const unsigned char *)rel, len, dig);
	for (i = 0; i < 8; i++)
		h = h << 8 | dig[i];
	return (uint32_t)(h % n) + 1;
}

int
shard_parse(const char *s, uint32_t *k, uint32_t *n)
{
	const char *slash = strchr(s, '/');
	char kbuf[16];
	uint64_t kv, nv;

	if (slash == NULL || (size_t)(slash - s) >= sizeof kbuf)
		return errno = EINVAL, -1;
	memcpy(kbuf, s, (size_t)(slash - s));
	kbuf[slash - s] = '\0';
	if (parse_uint(kbuf, 1, SHARD_MAX, &kv) < 0 || parse_uint(slash + 1, 1, SHARD_MAX, &nv) < 0 ||
	    kv > nv)
		return errno = EINVAL, -1;
	*k = (uint32_t)kv;
	*n = (uint32_t)nv;
	return 0;
}
