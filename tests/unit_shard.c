/* Unit tests of common/shard.c: the --shard rule gives the shards that
 * docs/shards.md's worked examples give (the first 8 bytes of SHA-256,
 * big-endian, mod N, plus 1), over any bytes; K/N is read strictly. */
#include <errno.h>
#include <string.h>

#include "common/shard.h"
#include "tests/tap.h"

static void
shard(const char *path, size_t len, uint32_t n, uint32_t want)
{
	uint32_t got = shard_of(path, len, n);

	ok(got == want, "shard of '%.*s' (%zu bytes) in %u: %u (got %u)", (int)len, path, len, n, want,
	    got);
}

static void
parsed(const char *s, uint32_t k, uint32_t n)
{
	uint32_t gk = 0, gn = 0;

	ok(shard_parse(s, &gk, &gn) == 0 && gk == k && gn == n, "'%s' is %u/%u", s, k, n);
}

static void
refused(const char *s)
{
	uint32_t k = 7, n = 7;

	errno = 0;
	ok(shard_parse(s, &k, &n) < 0 && errno == EINVAL && k == 7 && n == 7, "'%s' refused", s);
}

int
main(void)
{
	uint32_t seen[4] = { 0 }, i;
	char name[32];

	/* docs/shards.md: sha256("a/b.zip") starts adbd96be32b72f73. */
	shard("a/b.zip", 7, 4, 4);
	shard("photos/2024/img 01.jpg", 22, 16, 4);
	shard("", 0, 4, 1);
	shard("x\xff\ny", 4, 7, 2);
	shard("f1", 2, 65536, 7549);
	shard("a/b.zip", 7, 1, 1);
	/* Every shard gets some of 400 names, and nothing falls outside. */
	for (i = 0; i < 400; i++) {
		uint32_t s;

		snprintf(name, sizeof name, "file %u", i);
		s = shard_of(name, strlen(name), 4);
		if (s >= 1 && s <= 4)
			seen[s - 1]++;
	}
	ok(seen[0] + seen[1] + seen[2] + seen[3] == 400 && seen[0] > 50 && seen[1] > 50 &&
	    seen[2] > 50 && seen[3] > 50, "400 names over 4 shards: %u %u %u %u", seen[0], seen[1],
	    seen[2], seen[3]);
	parsed("1/1", 1, 1);
	parsed("3/4", 3, 4);
	parsed("65536/65536", 65536, 65536);
	refused("0/4");
	refused("5/4");
	refused("1/0");
	refused("1/65537");
	refused("1");
	refused("1/4/");
	refused("/4");
	refused("1/");
	refused("-1/4");
	refused("1 /4");
	refused("01234567890123456/4");
	refused("");
	return done_testing();
}
