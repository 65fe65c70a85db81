/* json: untrusted bytes written safely for programs (JSON) and people
 * (a terminal). */
#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include <msgpack.h>

#include "common/utf8.h"
#include "ipc/ipc.h"
#include "supervisor/json.h"

int
json_is_utf8(const char *s, size_t len)
{
	return utf8_valid(s, len);
}

/* Valid UTF-8 goes out as it is; quotes (for JSON), backslashes, control
 * bytes and invalid bytes are escaped, the JSON way or the terminal way. */
static void
escape(FILE *f, const char *s, size_t len, int json)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		unsigned char c = p[i];

		if (c == '\\' || (c == '"' && json)) {
			putc('\\', f);
			putc(c, f);
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
	escape(f, s, len, 1);
	putc('"', f);
}

void
json_base64(FILE *f, const void *data, size_t len)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
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

static void
json_object(FILE *f, const msgpack_object *o)
{
	uint32_t i;

	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		fputs("null", f);
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		fputs(o->via.boolean ? "true" : "false", f);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		fprintf(f, "%llu", (unsigned long long)o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		fprintf(f, "%lld", (long long)o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		if (isfinite(o->via.f64))
			fprintf(f, "%.17g", o->via.f64);
		else
			fputs("null", f);
		break;
	case MSGPACK_OBJECT_STR:
		json_str(f, o->via.str.ptr, o->via.str.size);
		break;
	case MSGPACK_OBJECT_BIN:
		json_base64(f, o->via.bin.ptr, o->via.bin.size);
		break;
	case MSGPACK_OBJECT_ARRAY:
		putc('[', f);
		for (i = 0; i < o->via.array.size; i++) {
			if (i)
				putc(',', f);
			json_object(f, &o->via.array.ptr[i]);
		}
		putc(']', f);
		break;
	case MSGPACK_OBJECT_MAP:
		putc('{', f);
		for (i = 0; i < o->via.map.size; i++) {
			const msgpack_object *k = &o->via.map.ptr[i].key;

			if (i)
				putc(',', f);
			if (k->type == MSGPACK_OBJECT_STR)
				json_str(f, k->via.str.ptr, k->via.str.size);
			else {
				/* A key that is not a string, written as one. */
				char *buf = NULL;
				size_t blen = 0;
				FILE *m = open_memstream(&buf, &blen);

				if (m) {
					json_object(m, k);
					fclose(m);
				}
				json_str(f, buf ? buf : "", buf ? blen : 0);
				free(buf);
			}
			putc(':', f);
			json_object(f, &o->via.map.ptr[i].val);
		}
		putc('}', f);
		break;
	default:
		fputs("null", f);
		break;
	}
}

int
json_msgpack(FILE *f, const void *mp, size_t len)
{
	msgpack_unpacked u;
	size_t off = 0;
	int r = -1;

	if (ipc_mp_check(mp, len, 32) < 0)
		return -1;
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, mp, len, &off) == MSGPACK_UNPACK_SUCCESS) {
		json_object(f, &u.data);
		r = 0;
	}
	msgpack_unpacked_destroy(&u);
	return r;
}

void
text_escaped(FILE *f, const char *s, size_t len)
{
	escape(f, s, len, 0);
}
