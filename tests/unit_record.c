/* unit_record: the store's records as the supervisor writes and reads them
 * per file, held to msgpack-c. An outcome's bytes, put together by hand,
 * must be what msgpack-c's packer writes for the same fields; a task record
 * read in place must read as the checked msgpack-c path reads it. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <msgpack.h>

#include "supervisor/record.h"
#include "tests/tap.h"

/* The outcome as msgpack-c packs it, field by field. */
static void
reference(msgpack_sbuffer *sb, const struct store_outcome *o)
{
	msgpack_packer pk;
	int lim = o->limit > TL_NONE && o->limit < TL__COUNT;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 8 + (o->tail_len > 0) + lim);
#define U(k, v) (msgpack_pack_str_with_body(&pk, k, strlen(k)), msgpack_pack_uint64(&pk, v))
#define B(k, p, n) (msgpack_pack_str_with_body(&pk, k, 1), msgpack_pack_bin_with_body(&pk, p, n))
	U("s", (uint64_t)o->status);
	U("a", o->attempts);
	U("d", o->duration_ms);
	U("f", o->finished_ms);
	U("sig", (uint64_t)(o->signal > 0 ? o->signal : 0));
	msgpack_pack_str_with_body(&pk, "x", 1);
	msgpack_pack_int64(&pk, o->exit_code);
	B("e", o->error, o->error_len);
	B("r", o->result, o->result_len);
	if (o->tail_len > 0)
		B("t", o->tail, o->tail_len);
	if (lim)
		U("lim", (uint64_t)o->limit);
}

static void
test_outcomes(void)
{
	static char big[70000];
	static const uint64_t nums[] = { 0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295u,
	    4294967296u, UINT64_MAX };
	static const int codes[] = { -1, -32, -33, -128, -129, 0, 1, 127, 128, 255 };
	static const size_t lens[] = { 0, 1, 255, 256, 65535, 65536 };
	const uint8_t res[] = { 0x81, 0xa1, 'k', 0x01 };
	struct store_outcome o, back;
	msgpack_sbuffer a, b;
	size_t i;
	int same = 1, round = 1;

	memset(big, 'x', sizeof big);
	msgpack_sbuffer_init(&a);
	msgpack_sbuffer_init(&b);
	for (i = 0; i < 11 * 10 * 6; i++) {
		memset(&o, 0, sizeof o);
		o.status = (int)(i % OUT__COUNT);
		o.attempts = (uint32_t)nums[i % 11];
		o.duration_ms = nums[(i / 11) % 11];
		o.finished_ms = nums[(i + 3) % 11];
		o.signal = (int)(i % 3) * 9;
		o.exit_code = codes[(i / 11) % 10];
		o.error = big;
		o.error_len = lens[(i / 110) % 6];
		o.result = i % 2 ? res : NULL;
		o.result_len = i % 2 ? sizeof res : 0;
		o.tail = big;
		o.tail_len = lens[(i + 1) % 6];
		o.limit = (int)(i % TL__COUNT);
		a.size = b.size = 0;
		if (rec_outcome_encode(&a, &o) < 0) {
			same = 0;
			break;
		}
		reference(&b, &o);
		if (a.size != b.size || memcmp(a.data, b.data, a.size) != 0)
			same = 0;
		if (rec_outcome_decode(a.data, a.size, &back) < 0 || back.status != o.status ||
		    back.attempts != o.attempts || back.duration_ms != o.duration_ms ||
		    back.error_len != o.error_len || back.tail_len != o.tail_len ||
		    back.result_len != o.result_len)
			round = 0;
	}
	ok(same, "an outcome's bytes are msgpack-c's, for 660 mixes of field sizes");
	ok(round, "... and read back");
	msgpack_sbuffer_destroy(&a);
	msgpack_sbuffer_destroy(&b);
}

static void
test_tasks(void)
{
	static char path[70000];
	static const size_t lens[] = { 1, 31, 255, 256, 65535, 65536 };
	static const uint32_t tries[] = { 0, 1, 127, 128, 70000 };
	msgpack_sbuffer sb;
	const char *p;
	size_t plen, i, k;
	uint32_t att;
	int reg, good = 1, bad = 1;
	uint8_t rec[16];

	memset(path, '/', sizeof path);
	msgpack_sbuffer_init(&sb);
	for (i = 0; i < 6; i++)
		for (k = 0; k < 10; k++) {
			sb.size = 0;
			if (rec_task_encode(&sb, path, lens[i], tries[k % 5], (int)(k / 5)) < 0 ||
			    rec_task_decode(sb.data, sb.size, &p, &plen, &att, &reg) < 0 ||
			    p != sb.data + (sb.size - lens[i] - (tries[k % 5] < 128 ? 2 : tries[k % 5] < 256 ? 3 : 6)) ||
			    plen != lens[i] || att != tries[k % 5] || reg != (int)(k / 5))
				good = 0;
		}
	ok(good, "task records read back: paths of 1 B to 64 KiB, attempts to 70000, regular or not");
	/* A record one byte short, or with a byte more, is not read. */
	sb.size = 0;
	rec_task_encode(&sb, "/a", 2, 3, 1);
	memcpy(rec, sb.data, sb.size);
	if (rec_task_decode(rec, sb.size - 1, &p, &plen, &att, &reg) == 0)
		bad = 0;
	rec[sb.size] = 0xc0;
	if (rec_task_decode(rec, sb.size + 1, &p, &plen, &att, &reg) == 0)
		bad = 0;
	ok(bad, "a task record cut short or with a byte more is refused");
	msgpack_sbuffer_destroy(&sb);
}

int
main(void)
{
	test_outcomes();
	test_tasks();
	return done_testing();
}
