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

	const struct store_sig *g = &o->sig;
	int sig = g->code == 0 ? 0 : 1 + (g->signal > 0) + 3 * !!g->has_progress +
	    (g->proc != SIG_PROC_NONE) + 2 * (g->proc == SIG_PROC_READ);

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 8 + (o->tail_len > 0) + lim + (o->sha256 != NULL) + (o->reused_job != 0) +
	    2 * (o->has_stat != 0) + (o->strikes > 0) + (o->pid > 0) + (o->started_ms > 0) + sig);
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
	if (o->sha256 != NULL)
		B("h", o->sha256, 32);
	if (o->reused_job != 0) {
		msgpack_pack_str_with_body(&pk, "u", 1);
		msgpack_pack_array(&pk, 2);
		msgpack_pack_uint32(&pk, o->reused_job);
		msgpack_pack_uint64(&pk, o->reused_seq);
	}
	if (o->has_stat) {
		U("z", o->size);
		U("m", o->mtime_ns);
	}
	if (o->strikes > 0)
		U("k", o->strikes);
	if (o->pid > 0)
		U("p", o->pid);
	if (o->started_ms > 0)
		U("st", o->started_ms);
	if (g->code == 0)
		return;
	U("c", (uint64_t)g->code);
	if (g->signal > 0)
		U("ks", (uint64_t)g->signal);
	if (g->has_progress) {
		U("pd", g->done);
		U("pt", g->total);
		msgpack_pack_str_with_body(&pk, "pw", 2);
		msgpack_pack_bin_with_body(&pk, g->what, g->what_len);
	}
	if (g->proc != SIG_PROC_NONE)
		U("pr", (uint64_t)g->proc);
	if (g->proc == SIG_PROC_READ) {
		msgpack_pack_str_with_body(&pk, "sc", 2);
		msgpack_pack_int64(&pk, g->syscall);
		msgpack_pack_str_with_body(&pk, "wc", 2);
		msgpack_pack_bin_with_body(&pk, g->wchan, g->wchan_len);
	}
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
	static const uint8_t digest[32] = { 1, 2, 3 };
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
		/* The keys an outcome has only sometimes, in turn. */
		o.sha256 = i % 3 == 0 ? digest : NULL;
		o.reused_job = i % 5 == 0 ? (uint32_t)(1 + nums[i % 11] % UINT32_MAX) : 0;
		o.reused_seq = nums[(i + 5) % 11];
		o.has_stat = i % 2;
		o.size = nums[(i + 7) % 11];
		o.mtime_ns = nums[(i + 2) % 11];
		o.strikes = (uint32_t)nums[(i / 7) % 11];
		o.pid = i % 4 ? (uint32_t)nums[(i + 4) % 11] : 0;
		o.started_ms = i % 6 ? nums[(i + 9) % 11] : 0;
		if (i % 7 == 0) {
			o.sig.code = 1 + (int)(i % 3);
			o.sig.signal = (int)(i % 2) * 11;
			o.sig.has_progress = i % 14 == 0;
			o.sig.done = nums[(i + 1) % 11];
			o.sig.total = nums[(i + 6) % 11];
			o.sig.what = big;
			o.sig.what_len = (size_t)(i % 256);
			o.sig.proc = (int)(i % 3);
			o.sig.syscall = i % 2 ? -1 : (int64_t)(i % 400);
			o.sig.wchan = big;
			o.sig.wchan_len = (size_t)(i % 64);
		}
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
		    back.result_len != o.result_len || back.strikes != o.strikes ||
		    back.pid != o.pid || back.has_stat != o.has_stat ||
		    (o.has_stat && (back.size != o.size || back.mtime_ns != o.mtime_ns)) ||
		    back.reused_job != o.reused_job || (o.sha256 != NULL) != (back.sha256 != NULL) ||
		    back.sig.code != o.sig.code ||
		    (o.sig.has_progress && back.sig.what_len != o.sig.what_len))
			round = 0;
	}
	ok(same, "an outcome's bytes are msgpack-c's, for 660 mixes of field sizes and optional keys");
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
	uint32_t att, str;
	int reg, good = 1, bad = 1;
	uint8_t rec[16];

	memset(path, '/', sizeof path);
	msgpack_sbuffer_init(&sb);
	for (i = 0; i < 6; i++)
		for (k = 0; k < 10; k++) {
			sb.size = 0;
			if (rec_task_encode(&sb, path, lens[i], tries[k % 5], (int)(k / 5), 0) < 0 ||
			    rec_task_decode(sb.data, sb.size, &p, &plen, &att, &reg, &str) < 0 || str != 0 ||
			    p != sb.data + (sb.size - lens[i] - (tries[k % 5] < 128 ? 2 : tries[k % 5] < 256 ? 3 : 6)) ||
			    plen != lens[i] || att != tries[k % 5] || reg != (int)(k / 5))
				good = 0;
		}
	ok(good, "task records read back: paths of 1 B to 64 KiB, attempts to 70000, regular or not");
	sb.size = 0;
	ok(rec_task_encode(&sb, "/a", 2, 1, 1, 5) == 0 &&
	    rec_task_decode(sb.data, sb.size, &p, &plen, &att, &reg, &str) == 0 && str == 5 && att == 1 &&
	    plen == 2 && reg == 1, "a task record with strikes reads back with them");
	/* A record one byte short, or with a byte more, is not read. */
	sb.size = 0;
	rec_task_encode(&sb, "/a", 2, 3, 1, 0);
	memcpy(rec, sb.data, sb.size);
	if (rec_task_decode(rec, sb.size - 1, &p, &plen, &att, &reg, &str) == 0)
		bad = 0;
	rec[sb.size] = 0xc0;
	if (rec_task_decode(rec, sb.size + 1, &p, &plen, &att, &reg, &str) == 0)
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
