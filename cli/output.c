/* output: the commands' output on a run's stdout (output.h). */
#include <stdlib.h>
#include <string.h>

#include "cli/output.h"
#include "supervisor/json.h"

struct held {
	uint64_t seq;
	char *tag;			/* the path, escaped; or NULL */
	char *bytes;
	size_t len;
};

struct output {
	FILE *f;
	int tag, keep;
	struct held *h;			/* a min-heap by seq */
	size_t n, cap;
};

struct output *
output_new(FILE *f, int tag, int keep_order)
{
	struct output *out = calloc(1, sizeof *out);

	if (out) {
		out->f = f;
		out->tag = tag;
		out->keep = keep_order;
	}
	return out;
}

/* The bytes, each line after tag and a tab when there is one. */
static void
put(struct output *out, const char *tag, const char *b, size_t n)
{
	const char *nl;

	if (n == 0)
		return;		/* nothing: not even a tag */
	if (tag == NULL) {
		fwrite(b, 1, n, out->f);
		return;
	}
	while (n > 0) {
		nl = memchr(b, '\n', n);
		fputs(tag, out->f);
		putc('\t', out->f);
		fwrite(b, 1, nl ? (size_t)(nl - b + 1) : n, out->f);
		if (nl == NULL) {
			putc('\n', out->f);	/* a last line without its end */
			break;
		}
		n -= (size_t)(nl - b + 1);
		b = nl + 1;
	}
}

static char *
tag_of(const char *path, size_t plen)
{
	char *t = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&t, &n);

	if (m == NULL)
		return NULL;
	text_escaped(m, path, plen);
	fclose(m);
	return t;
}

static void
heap_swap(struct held *a, struct held *b)
{
	struct held t = *a;

	*a = *b;
	*b = t;
}

static void
emit_top(struct output *out)
{
	struct held top = out->h[0];
	size_t i = 0, c;

	out->h[0] = out->h[--out->n];
	for (;;) {
		c = 2 * i + 1;
		if (c >= out->n)
			break;
		if (c + 1 < out->n && out->h[c + 1].seq < out->h[c].seq)
			c++;
		if (out->h[i].seq <= out->h[c].seq)
			break;
		heap_swap(&out->h[i], &out->h[c]);
		i = c;
	}
	put(out, top.tag, top.bytes, top.len);
	free(top.tag);
	free(top.bytes);
}

void
output_outcome(struct output *out, uint64_t seq, const char *path, size_t plen,
    const struct store_outcome *o)
{
	const char *b = NULL;
	char *tag = NULL;
	size_t n = 0, i;
	struct held *more;

	if (o->result_len > 0 && result_bytes(o->result, o->result_len, "stdout", &b, &n) < 0 &&
	    result_bytes(o->result, o->result_len, "stdout_base64", &b, &n) < 0)
		n = 0;
	if (out->tag && n > 0 && (tag = tag_of(path, plen)) == NULL)
		return;
	if (!out->keep) {
		put(out, tag, b, n);
		free(tag);
		return;
	}
	/* Held, even with nothing to print: its place in the order. */
	if (out->n == out->cap) {
		out->cap = out->cap ? 2 * out->cap : 64;
		if ((more = realloc(out->h, out->cap * sizeof *more)) == NULL) {
			free(tag);
			return;
		}
		out->h = more;
	}
	i = out->n++;
	out->h[i] = (struct held){ .seq = seq, .tag = tag, .len = n,
	    .bytes = n ? malloc(n) : NULL };
	if (n && out->h[i].bytes)
		memcpy(out->h[i].bytes, b, n);
	else
		out->h[i].len = 0;
	while (i > 0 && out->h[(i - 1) / 2].seq > out->h[i].seq) {
		heap_swap(&out->h[(i - 1) / 2], &out->h[i]);
		i = (i - 1) / 2;
	}
}

void
output_release(struct output *out, uint64_t low)
{
	while (out->n > 0 && (low == 0 || out->h[0].seq < low))
		emit_top(out);
}

void
output_free(struct output *out)
{
	if (out == NULL)
		return;
	output_release(out, 0);
	fflush(out->f);
	free(out->h);
	free(out);
}
