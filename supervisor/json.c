/* json: untrusted bytes written safely for programs (JSON) and people (a
 * terminal). Result maps come from children that may be compromised: they
 * are checked with ipc_mp_check, then walked in place, so nothing here
 * allocates by a count the bytes claim and recursion stays bounded. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/utf8.h"
#include "ipc/ctl.h"
#include "ipc/ipc.h"
#include "supervisor/json.h"
#include "supervisor/store.h"

/* Nesting json_msgpack accepts: the depth a child's result map may have
 * (ipc_decode checks the same), and so the depth the walk recurses to. */
#define JSON_DEPTH 32

/* An outcome's word is the control protocol's (ipc/ctl.c), whose order is
 * the store's. */
_Static_assert((int)CTL_OUT_OK == (int)OUT_OK && (int)CTL_OUT_SKIPPED == (int)OUT_SKIPPED &&
    (int)CTL_OUT_QUARANTINED == (int)OUT_QUARANTINED &&
    (int)CTL_OUT__N == (int)OUT__COUNT && (int)CTL_LIM_STALL == (int)TL_STALL &&
    (int)CTL_LIM_ADAPTIVE == (int)TL_ADAPTIVE && (int)CTL_LIM__N == (int)TL__COUNT,
    "enum ctl_outcome follows enum outcome");

int
json_is_utf8(const char *s, size_t len)
{
	return utf8_valid(s, len);
}

/* How escape() writes: a JSON string's inside, text for a terminal, or
 * text for an HTML page (a terminal's escapes, and the characters HTML
 * gives a meaning as entities, so no byte can open a tag or an attribute). */
enum esc { ESC_JSON, ESC_TEXT, ESC_HTML, ESC_HTML_PLAIN };

/* Valid UTF-8 goes out as it is; backslashes, quotes (for JSON), C0 and
 * C1 control characters, DEL and invalid bytes are escaped, the JSON way
 * or the terminal way. C1 controls are valid UTF-8, but some terminals act
 * on them (U+009B is a CSI), so they are never shown raw. */
static void
escape(FILE *f, const char *s, size_t len, enum esc how)
{
	const unsigned char *p = (const unsigned char *)s;
	int json = how == ESC_JSON;
	size_t i = 0, n;

	while (i < len) {
		unsigned char c = p[i];

		if ((c == '\\' && how != ESC_HTML_PLAIN) || (c == '"' && json)) {
			putc('\\', f);
			putc(c, f);
			i++;
		} else if ((how == ESC_HTML || how == ESC_HTML_PLAIN) && (c == '&' || c == '<' || c == '>' || c == '"' || c == '\'')) {
			fputs(c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" :
			    c == '"' ? "&quot;" : "&#39;", f);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			switch (c) {
			case '\n': fputs("\\n", f); break;
			case '\t': fputs("\\t", f); break;
			case '\r': fputs("\\r", f); break;
			default: fprintf(f, json ? "\\u%04x" : "\\x%02x", c); break;
			}
			i++;
		} else if ((n = utf8_seq(p + i, len - i)) == 0) {
			if (json)
				fputs("\xef\xbf\xbd", f);	/* U+FFFD */
			else
				fprintf(f, "\\x%02x", c);
			i++;
		} else if (n == 2 && c == 0xc2 && p[i + 1] < 0xa0) {
			if (json)
				fprintf(f, "\\u%04x", p[i + 1]);
			else
				fprintf(f, "\\x%02x\\x%02x", c, p[i + 1]);
			i += 2;
		} else {
			fwrite(p + i, 1, n, f);
			i += n;
		}
	}
}

void
json_str(FILE *f, const char *s, size_t len)
{
	putc('"', f);
	escape(f, s, len, ESC_JSON);
	putc('"', f);
}

void
text_escaped(FILE *f, const char *s, size_t len)
{
	escape(f, s, len, ESC_TEXT);
}

void
html_escaped(FILE *f, const char *s, size_t len)
{
	escape(f, s, len, ESC_HTML);
}

void
html_text(FILE *f, const char *s, size_t len)
{
	escape(f, s, len, ESC_HTML_PLAIN);
}

void
json_base64(FILE *f, const void *data, size_t len)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	size_t i;

	putc('"', f);
	for (i = 0; i + 2 < len; i += 3) {
		putc(a[p[i] >> 2], f);
		putc(a[(p[i] & 3) << 4 | p[i + 1] >> 4], f);
		putc(a[(p[i + 1] & 15) << 2 | p[i + 2] >> 6], f);
		putc(a[p[i + 2] & 63], f);
	}
	if (len - i == 1) {
		putc(a[p[i] >> 2], f);
		putc(a[(p[i] & 3) << 4], f);
		fputs("==", f);
	} else if (len - i == 2) {
		putc(a[p[i] >> 2], f);
		putc(a[(p[i] & 3) << 4 | p[i + 1] >> 4], f);
		putc(a[(p[i + 1] & 15) << 2], f);
		putc('=', f);
	}
	putc('"', f);
}

/* Where the walk is in the msgpack bytes. The bytes were checked first;
 * every read is bounded all the same. */
struct mp_cursor {
	const uint8_t *p, *end;
	int in_key;		/* writing the text of a key that is no string */
};

/* n bytes from the cursor, or NULL if fewer are left. */
static const uint8_t *
mp_take(struct mp_cursor *c, uint64_t n)
{
	const uint8_t *q = c->p;

	if (n > (uint64_t)(c->end - c->p))
		return NULL;
	c->p += n;
	return q;
}

/* A big-endian number of n bytes (1, 2, 4 or 8) from the cursor. */
static int
mp_uint(struct mp_cursor *c, int n, uint64_t *v)
{
	const uint8_t *q = mp_take(c, (uint64_t)n);
	int i;

	if (q == NULL)
		return -1;
	*v = 0;
	for (i = 0; i < n; i++)
		*v = *v << 8 | q[i];
	return 0;
}

/* A map's or an array's header at the cursor (map 1: a map): its count,
 * or -1 if it is not one. */
static int
mp_count(struct mp_cursor *c, int map, uint64_t *n)
{
	uint8_t b;

	if (c->p >= c->end)
		return -1;
	b = *c->p;
	if ((map && b >= 0x80 && b <= 0x8f) || (!map && b >= 0x90 && b <= 0x9f)) {
		c->p++;
		*n = b & 0x0f;
		return 0;
	}
	if (b == (map ? 0xde : 0xdc) || b == (map ? 0xdf : 0xdd)) {
		c->p++;
		return mp_uint(c, b == 0xde || b == 0xdc ? 2 : 4, n);
	}
	return -1;
}

/* A string at the cursor: its bytes, or -1 if it is not one. */
static int
mp_string(struct mp_cursor *c, const char **s, size_t *n)
{
	static const int width[3] = { 1, 2, 4 };
	uint64_t v;
	uint8_t b;

	if (c->p >= c->end)
		return -1;
	b = *c->p;
	if (b >= 0xa0 && b <= 0xbf) {
		c->p++;
		v = b & 0x1f;
	} else if (b >= 0xd9 && b <= 0xdb) {
		c->p++;
		if (mp_uint(c, width[b - 0xd9], &v) < 0)
			return -1;
	} else
		return -1;
	if ((*s = (const char *)mp_take(c, v)) == NULL)
		return -1;
	*n = (size_t)v;
	return 0;
}

static int
mp_skip(struct mp_cursor *c)
{
	size_t used;

	if (ipc_mp_skip(c->p, (size_t)(c->end - c->p), JSON_DEPTH, &used) < 0)
		return -1;
	c->p += used;
	return 0;
}

/* Moves the cursor, at a map, to the value of its string key, or -1. */
static int
mp_find(struct mp_cursor *c, const char *key)
{
	uint64_t n, i;
	const char *k;
	size_t klen;

	if (mp_count(c, 1, &n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (mp_string(c, &k, &klen) == 0) {
			if (klen == strlen(key) && memcmp(k, key, klen) == 0)
				return 0;
		} else if (mp_skip(c) < 0)
			return -1;
		if (mp_skip(c) < 0)
			return -1;
	}
	return -1;
}

/* A bin at the cursor: its bytes, or -1 if it is not one. */
static int
mp_bin(struct mp_cursor *c, const char **s, size_t *n)
{
	static const int width[3] = { 1, 2, 4 };
	uint64_t v;
	uint8_t b;

	if (c->p >= c->end || c->p[0] < 0xc4 || c->p[0] > 0xc6)
		return -1;
	b = *c->p++;
	if (mp_uint(c, width[b - 0xc4], &v) < 0 || (*s = (const char *)mp_take(c, v)) == NULL)
		return -1;
	*n = (size_t)v;
	return 0;
}

int
result_bytes(const void *mp, size_t len, const char *key, const char **v, size_t *n)
{
	const uint8_t *p = mp;
	struct mp_cursor c = { p, p + len, 0 };

	if (mp_find(&c, key) < 0)
		return -1;
	return mp_string(&c, v, n) == 0 || mp_bin(&c, v, n) == 0 ? 0 : -1;
}

int
result_int(const void *mp, size_t len, const char *key, int64_t *v)
{
	static const int width[4] = { 1, 2, 4, 8 };
	const uint8_t *p = mp;
	struct mp_cursor c = { p, p + len, 0 };
	uint64_t u;
	uint8_t b;

	if (mp_find(&c, key) < 0 || c.p >= c.end)
		return -1;
	b = *c.p++;
	if (b <= 0x7f) {
		*v = b;
		return 0;
	}
	if (b >= 0xe0) {
		*v = (int64_t)b - 256;	/* a negative fixint */
		return 0;
	}
	if (b >= 0xcc && b <= 0xcf) {
		if (mp_uint(&c, width[b - 0xcc], &u) < 0 || u > INT64_MAX)
			return -1;
		*v = (int64_t)u;
		return 0;
	}
	if (b >= 0xd0 && b <= 0xd3) {
		if (mp_uint(&c, width[b - 0xd0], &u) < 0)
			return -1;
		*v = b == 0xd0 ? (int8_t)u : b == 0xd1 ? (int16_t)u : b == 0xd2 ? (int32_t)u : (int64_t)u;
		return 0;
	}
	return -1;
}

void
html_result_reasons(FILE *f, const void *mp, size_t len)
{
	const uint8_t *p = mp;
	struct mp_cursor c = { p, p + len, 0 }, r;
	const char *s;
	size_t n;
	uint64_t count, i, shown = 0;

	if (mp_find(&c, "verdict") == 0 && mp_string(&c, &s, &n) == 0)
		html_escaped(f, s, n);
	c.p = p;
	if (mp_find(&c, "reasons") < 0 || mp_count(&c, 0, &count) < 0)
		return;
	for (i = 0; i < count; i++) {
		r = c;
		if (mp_find(&r, "code") == 0 && mp_string(&r, &s, &n) == 0 && shown < 8) {
			fputs(shown++ ? ", " : ": ", f);
			html_escaped(f, s, n);
		}
		if (mp_skip(&c) < 0)
			return;
	}
	if (count > shown && shown > 0)
		fprintf(f, " (+%llu more)", (unsigned long long)(count - shown));
}

static void
json_double(FILE *f, double d)
{
	if (isfinite(d))
		fprintf(f, "%.17g", d);
	else
		fputs("null", f);
}

static int mp_json(FILE *f, struct mp_cursor *c, int depth);

/* A map key as a JSON string: strings as they are, bin as base64, and
 * anything else as a string holding its JSON text, except inside such a
 * text, where a key that is no string is "": each level would escape the
 * text of the one inside it again, doubling the output per level. */
static int
mp_key(FILE *f, struct mp_cursor *c, int depth)
{
	uint8_t b;
	char *text = NULL;
	size_t tlen = 0, used;
	FILE *m;
	int r;

	if (c->p >= c->end)
		return -1;
	b = c->p[0];
	if ((b >= 0xa0 && b <= 0xbf) || (b >= 0xc4 && b <= 0xc6) || (b >= 0xd9 && b <= 0xdb))
		return mp_json(f, c, depth);
	if (c->in_key || (m = open_memstream(&text, &tlen)) == NULL) {
		/* Inside a key's text, or out of memory: an empty name, and on
		 * past the key. */
		if (ipc_mp_skip(c->p, (size_t)(c->end - c->p), JSON_DEPTH, &used) < 0)
			return -1;
		c->p += used;
		fputs("\"\"", f);
		return 0;
	}
	c->in_key = 1;
	r = mp_json(m, c, depth);
	c->in_key = 0;
	fclose(m);	/* text and tlen then hold what was written */
	if (r == 0)
		json_str(f, text ? text : "", text ? tlen : 0);
	free(text);
	return r;
}

static int
mp_container(FILE *f, struct mp_cursor *c, uint64_t n, int map, int depth)
{
	uint64_t i;

	if (depth >= JSON_DEPTH)
		return -1;
	putc(map ? '{' : '[', f);
	for (i = 0; i < n; i++) {
		if (i > 0)
			putc(',', f);
		if (map) {
			if (mp_key(f, c, depth + 1) < 0)
				return -1;
			putc(':', f);
		}
		if (mp_json(f, c, depth + 1) < 0)
			return -1;
	}
	putc(map ? '}' : ']', f);
	return 0;
}

/* Writes the object at the cursor as JSON and moves past it. depth counts
 * the containers around it. */
static int
mp_json(FILE *f, struct mp_cursor *c, int depth)
{
	static const int width[4] = { 1, 2, 4, 8 };
	const uint8_t *q;
	uint64_t v;
	uint8_t b;

	if ((q = mp_take(c, 1)) == NULL)
		return -1;
	b = q[0];
	if (b <= 0x7f) {
		fprintf(f, "%u", (unsigned)b);
		return 0;
	}
	if (b >= 0xe0) {
		fprintf(f, "%d", (int)(int8_t)b);
		return 0;
	}
	if (b <= 0x8f)
		return mp_container(f, c, b & 0x0f, 1, depth);
	if (b <= 0x9f)
		return mp_container(f, c, b & 0x0f, 0, depth);
	if (b <= 0xbf) {
		if ((q = mp_take(c, b & 0x1f)) == NULL)
			return -1;
		json_str(f, (const char *)q, b & 0x1f);
		return 0;
	}
	switch (b) {
	case 0xc0:
		fputs("null", f);
		return 0;
	case 0xc2:
		fputs("false", f);
		return 0;
	case 0xc3:
		fputs("true", f);
		return 0;
	case 0xc4: case 0xc5: case 0xc6:	/* bin 8, 16, 32 */
		if (mp_uint(c, width[b - 0xc4], &v) < 0 || (q = mp_take(c, v)) == NULL)
			return -1;
		json_base64(f, q, (size_t)v);
		return 0;
	case 0xc7: case 0xc8: case 0xc9:	/* ext 8, 16, 32: dropped */
		if (mp_uint(c, width[b - 0xc7], &v) < 0 || mp_take(c, v + 1) == NULL)
			return -1;
		fputs("null", f);
		return 0;
	case 0xca: {
		uint32_t bits;
		float x;

		if (mp_uint(c, 4, &v) < 0)
			return -1;
		bits = (uint32_t)v;
		memcpy(&x, &bits, sizeof x);
		json_double(f, x);
		return 0;
	}
	case 0xcb: {
		double x;

		if (mp_uint(c, 8, &v) < 0)
			return -1;
		memcpy(&x, &v, sizeof x);
		json_double(f, x);
		return 0;
	}
	case 0xcc: case 0xcd: case 0xce: case 0xcf:
		if (mp_uint(c, width[b - 0xcc], &v) < 0)
			return -1;
		fprintf(f, "%llu", (unsigned long long)v);
		return 0;
	case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
		int w = width[b - 0xd0];
		int64_t x;

		if (mp_uint(c, w, &v) < 0)
			return -1;
		/* Sign-extend from the encoded width. */
		if (w < 8 && (v >> (8 * w - 1)) & 1)
			v |= ~(uint64_t)0 << (8 * w);
		memcpy(&x, &v, sizeof x);
		fprintf(f, "%lld", (long long)x);
		return 0;
	}
	case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:	/* fixext */
		if (mp_take(c, 1 + ((uint64_t)1 << (b - 0xd4))) == NULL)
			return -1;
		fputs("null", f);
		return 0;
	case 0xd9: case 0xda: case 0xdb:	/* str 8, 16, 32 */
		if (mp_uint(c, width[b - 0xd9], &v) < 0 || (q = mp_take(c, v)) == NULL)
			return -1;
		json_str(f, (const char *)q, (size_t)v);
		return 0;
	case 0xdc: case 0xdd:
		if (mp_uint(c, b == 0xdc ? 2 : 4, &v) < 0)
			return -1;
		return mp_container(f, c, v, 0, depth);
	case 0xde: case 0xdf:
		if (mp_uint(c, b == 0xde ? 2 : 4, &v) < 0)
			return -1;
		return mp_container(f, c, v, 1, depth);
	default:
		return -1;	/* 0xc1 */
	}
}

int
json_msgpack(FILE *f, const void *mp, size_t len)
{
	struct mp_cursor c = { mp, (const uint8_t *)mp + len, 0 };

	/* Checked whole first, so a malformed object writes nothing. */
	if (ipc_mp_check(mp, len, JSON_DEPTH) < 0)
		return -1;
	return mp_json(f, &c, 0);
}

static void
json_field(FILE *f, const char *key, const char *s, size_t len)
{
	fprintf(f, ",\"%s\":", key);
	json_str(f, s, len);
}

void
json_ctl_job(FILE *f, const struct ctl_job *j)
{
	uint64_t done = 0;
	int i;

	for (i = 0; i < CTL_OUT__N; i++)
		done += j->counts[i];
	/* The keys of `status --json` on a state directory, and more. */
	fputs("{\"job\":", f);
	json_str(f, j->name, j->name_len);
	fprintf(f, ",\"id\":%u", (unsigned)j->id);
	json_field(f, "state", j->state, j->state_len);
	json_field(f, "handler", j->handler, j->handler_len);
	if (j->arg_len)
		json_field(f, "exec", j->arg, j->arg_len);
	json_field(f, "inputs", j->summary, j->summary_len);
	fprintf(f, ",\"total\":%llu,\"done\":%llu,\"pending\":%llu", (unsigned long long)j->total,
	    (unsigned long long)done, (unsigned long long)(j->total - done));
	for (i = 0; i < CTL_OUT__N; i++)
		fprintf(f, ",\"%s\":%llu", ctl_outcome_name(i), (unsigned long long)j->counts[i]);
	fprintf(f, ",\"runs\":%llu,\"priority\":%u,\"created_ms\":%llu,\"updated_ms\":%llu,"
	    "\"finished_ms\":%llu", (unsigned long long)j->runs, (unsigned)j->priority,
	    (unsigned long long)j->created_ms, (unsigned long long)j->updated_ms,
	    (unsigned long long)j->finished_ms);
	json_field(f, "reason", j->reason, j->reason_len);
}

void
json_ctl_worker(FILE *f, const struct ctl_worker *w)
{
	fprintf(f, "{\"slot\":%u,\"pid\":%u", (unsigned)w->slot, (unsigned)w->pid);
	json_field(f, "state", w->state, w->state_len);
	json_field(f, "job", w->job, w->job_len);
	json_field(f, "path", w->path, w->path_len);
	fprintf(f, ",\"running_ms\":%llu,\"tasks_done\":%llu,\"rss_bytes\":%llu}",
	    (unsigned long long)w->running_ms, (unsigned long long)w->tasks_done,
	    (unsigned long long)w->rss_bytes);
}

void
json_outcome(FILE *f, const char *job, uint64_t seq, const char *path, size_t plen,
    const struct store_outcome *o)
{
	json_outcome_open(f, job, seq, path, plen, o);
	putc('}', f);
}

const char *
json_code_name(int code)
{
	return code == CLD_DUMPED ? "dumped" : code == CLD_KILLED ? "killed" :
	    code == CLD_EXITED ? "exited" : "unknown";
}

void
json_signature(FILE *f, const struct store_outcome *o)
{
	const struct store_sig *g = &o->sig;

	fprintf(f, "{\"signal\":%d,\"code\":\"%s\",\"exit_code\":%d", g->signal,
	    json_code_name(g->code), o->exit_code);
	if (o->limit > TL_NONE && o->limit < TL__COUNT)
		fprintf(f, ",\"limit\":\"%s\"", ctl_limit_name(o->limit));
	if (g->has_progress) {
		fprintf(f, ",\"progress\":{\"done\":%llu,\"total\":%llu,\"what\":",
		    (unsigned long long)g->done, (unsigned long long)g->total);
		json_str(f, g->what, g->what_len);
		putc('}', f);
	}
	if (g->proc == SIG_PROC_READ) {
		fprintf(f, ",\"syscall\":%lld,\"wchan\":", (long long)g->syscall);
		json_str(f, g->wchan, g->wchan_len);
	} else if (g->proc == SIG_PROC_UNAVAILABLE)
		fputs(",\"proc\":\"unavailable\"", f);
	putc('}', f);
}

void
json_path(FILE *f, const char *key, const char *path, size_t plen)
{
	fprintf(f, "\"%s\":", key);
	json_str(f, path, plen);
	if (!json_is_utf8(path, plen)) {
		/* The exact bytes, for names that are not UTF-8. */
		fprintf(f, ",\"%s_base64\":", key);
		json_base64(f, path, plen);
	}
}

void
json_outcome_open(FILE *f, const char *job, uint64_t seq, const char *path, size_t plen,
    const struct store_outcome *o)
{
	fputs("{\"job\":", f);
	json_str(f, job, strlen(job));
	fprintf(f, ",\"seq\":%llu,", (unsigned long long)seq);
	json_path(f, "path", path, plen);
	fprintf(f, ",\"status\":\"%s\",\"attempts\":%u,\"duration_ms\":%llu,\"finished_ms\":%llu",
	    ctl_outcome_name(o->status), o->attempts, (unsigned long long)o->duration_ms,
	    (unsigned long long)o->finished_ms);
	if (o->status != OUT_OK) {
		fputs(",\"error\":", f);
		json_str(f, o->error, o->error_len);
	}
	if ((o->status == OUT_TIMEOUT || o->status == OUT_QUARANTINED) && o->limit > TL_NONE &&
	    o->limit < TL__COUNT)
		fprintf(f, ",\"limit\":\"%s\"", ctl_limit_name(o->limit));
	if (o->signal)
		fprintf(f, ",\"signal\":%d", o->signal);
	if ((o->status == OUT_CRASHED || o->status == OUT_QUARANTINED) && o->exit_code >= 0)
		fprintf(f, ",\"exit_code\":%d", o->exit_code);
	if (o->tail_len > 0) {
		fputs(",\"stderr\":", f);
		json_str(f, o->tail, o->tail_len);
	}
	if (o->sha256 != NULL) {
		int i;

		fputs(",\"sha256\":\"", f);
		for (i = 0; i < 32; i++)
			fprintf(f, "%02x", o->sha256[i]);
		putc('"', f);
	}
	if (o->reused_job != 0)
		fprintf(f, ",\"reused\":{\"job_id\":%u,\"seq\":%llu}", (unsigned)o->reused_job,
		    (unsigned long long)o->reused_seq);
	if (o->strikes > 0)
		fprintf(f, ",\"strikes\":%u", o->strikes);
	if (o->pid > 0)
		fprintf(f, ",\"pid\":%u", o->pid);
	if (o->sig.code != 0) {
		fputs(",\"signature\":", f);
		json_signature(f, o);
	}
	fputs(",\"result\":", f);
	if (o->result_len == 0 || json_msgpack(f, o->result, o->result_len) < 0)
		fputs("{}", f);
}
