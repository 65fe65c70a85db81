/* output: the commands' output on a run's stdout (output.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/output.h"
#include "common/log.h"
#include "supervisor/json.h"
#include "supervisor/sup.h"

struct held {
	uint64_t seq;
	char *tag;			/* the path, escaped; or NULL */
	char *bytes;
	size_t len;
};

struct output {
	FILE *f;
	int tag, keep;
	int dirfd;			/* --results DIR, or -1 */
	const char *dir;
	uint64_t failed;		/* files --results could not write */
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
		out->dirfd = -1;
	}
	return out;
}

void
output_results(struct output *out, int dirfd, const char *dir)
{
	out->dirfd = dirfd;
	out->dir = dir;
}

/* One file of --results: 0, or -1 with errno. */
static int
write_file(int dirfd, const char *name, const void *b, size_t n)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
	    0644);
	ssize_t w;
	int e;

	if (fd < 0)
		return -1;
	while (n > 0) {
		if ((w = write(fd, b, n)) < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		b = (const char *)b + w;
		n -= (size_t)w;
	}
	return close(fd);
}

/* DIR/PATH/ made, its descriptor; -1 with errno. */
static int
results_dir(int top, const char *path, size_t plen)
{
	char comp[512];
	size_t i = 0, n;
	int fd = dup(top), next;

	while (fd >= 0 && i < plen) {
		n = 0;
		while (i < plen && path[i] == '/')
			i++;
		while (i + n < plen && path[i + n] != '/')
			n++;
		if (n == 0 || (n == 1 && path[i] == '.')) {
			i += n;
			continue;
		}
		if (n >= sizeof comp) {
			close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		if (n == 2 && path[i] == '.' && path[i + 1] == '.')
			snprintf(comp, sizeof comp, "%%2E%%2E");
		else {
			memcpy(comp, path + i, n);
			comp[n] = '\0';
		}
		i += n;
		if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST) {
			close(fd);
			return -1;
		}
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	return fd;
}

static void
results_put(struct output *out, const char *path, size_t plen, const struct store_outcome *o)
{
	const char *b = NULL;
	char line[64];
	size_t n = 0;
	int64_t v;
	int fd, r = 0;

	if ((fd = results_dir(out->dirfd, path, plen)) < 0)
		r = -1;
	if (r == 0) {
		if (o->result_len == 0 || (result_bytes(o->result, o->result_len, "stdout", &b, &n) < 0 &&
		    result_bytes(o->result, o->result_len, "stdout_base64", &b, &n) < 0))
			n = 0;
		r = write_file(fd, "stdout", b, n);
	}
	if (r == 0) {
		if (o->result_len == 0 || (result_bytes(o->result, o->result_len, "stderr", &b, &n) < 0 &&
		    result_bytes(o->result, o->result_len, "stderr_base64", &b, &n) < 0))
			n = 0;
		r = write_file(fd, "stderr", b, n);
	}
	if (r == 0) {
		/* The command's status; or the file's outcome when it has none
		 * (a timeout, a crash of the worker, a file skipped). */
		if (o->result_len && result_int(o->result, o->result_len, "exit", &v) == 0)
			snprintf(line, sizeof line, "%" PRId64 "\n", v);
		else if (o->result_len && result_int(o->result, o->result_len, "signal", &v) == 0)
			snprintf(line, sizeof line, "signal %" PRId64 "\n", v);
		else
			snprintf(line, sizeof line, "%s\n", outcome_name(o->status));
		r = write_file(fd, "exit", line, strlen(line));
	}
	if (fd >= 0)
		close(fd);
	if (r < 0 && out->failed++ == 0)
		log_warn("--results %s: unable to write the output of %s", sup_esc(out->dir,
		    strlen(out->dir)), sup_esc(path, plen));
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

	/* The last one takes the top's place; its old place is empty. */
	out->n--;
	out->h[0] = out->h[out->n];
	out->h[out->n] = (struct held){ .seq = 0 };
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

	if (out->dirfd >= 0)
		results_put(out, path, plen, o);
	if (out->f == NULL)
		return;
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
	if (out->f == NULL)
		return;
	while (out->n > 0 && (low == 0 || out->h[0].seq < low))
		emit_top(out);
}

void
output_free(struct output *out)
{
	if (out == NULL)
		return;
	output_release(out, 0);
	if (out->f)
		fflush(out->f);
	if (out->failed > 1)
		log_warnx("--results %s: the output of %" PRIu64 " files could not be written",
		    sup_esc(out->dir, strlen(out->dir)), out->failed);
	if (out->dirfd >= 0)
		close(out->dirfd);
	free(out->h);
	free(out);
}
