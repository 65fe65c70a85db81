/* scan: turns a job's inputs into paths, a bounded step at a time, so the
 * loop never stalls on a big tree. Directories are walked depth first, each
 * one's entries in byte order of their names, so a tree is always visited
 * in the same order; symbolic links inside a tree are reported, not
 * followed (dispatch records them as skipped). Memory is the entry names of
 * the directories on the current path, never the whole tree. Relative
 * paths are yielded as named and looked up under the job's directory (its
 * prefix), so a job resumed from elsewhere sees the same files. With
 * --shard K/N only the paths of shard K are yielded (docs/shards.md):
 * every shard walks every directory. The filters (docs/filters.md) leave
 * out files, never directories: every directory is walked, and one that
 * cannot be read is reported whatever its name. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/filter.h"
#include "common/log.h"
#include "common/shard.h"
#include "supervisor/sup.h"

#define READ_CHUNK	1024	/* entries read from a directory per step */

struct frame {
	char *path;		/* the directory, as the walk reached it */
	size_t len;
	DIR *dir;		/* open while its entries are being read */
	char *names;		/* per entry: its d_type byte, its name, NUL */
	size_t names_len, names_cap;
	uint32_t *off;		/* where each entry starts, sorted by name */
	size_t n, cap, next;
};

struct scan {
	char **inputs;
	int ninputs, next_input;
	int list_sep;
	int reading_list;	/* the stdin list is being read */
	char line[PATH_MAX + 1];
	size_t line_len;
	int line_overflow;
	int warned_cr;		/* a missing name ending in \r was logged */
	dev_t skip_dev;		/* the state directory: never scanned */
	ino_t skip_ino;
	int have_skip;
	struct frame *stack;
	int depth, cap;
	char *buf;		/* the path being yielded */
	size_t buf_cap;
	int listfd;		/* the list, when an input is "-" */
	const char *prefix;	/* "DIR/" for relative paths, or "" */
	size_t prefix_len;
	char full[PATH_MAX * 2];	/* prefix and path, for a system call */
	int (*may_enter)(const struct stat *, void *);	/* or NULL */
	void *may_arg;
	uint32_t shard_k, shard_n;	/* --shard K/N; n 0: every path */
	struct filter filter;	/* --include ... --max-size */
	uint64_t filtered;	/* files the filter left out */
	size_t root_off;	/* where a walked path's part under its input starts */
};

void
scan_guard(struct scan *sc, int (*may_enter)(const struct stat *, void *), void *arg)
{
	sc->may_enter = may_enter;
	sc->may_arg = arg;
}

void
scan_shard(struct scan *sc, uint32_t k, uint32_t n)
{
	sc->shard_k = k;
	sc->shard_n = n;
}

void
scan_filter(struct scan *sc, const struct filter *f)
{
	sc->filter = *f;
}

uint64_t
scan_filtered(struct scan *sc)
{
	uint64_t n = sc->filtered;

	sc->filtered = 0;
	return n;
}

/* Whether the path rel (relative to its input root) is this scan's. */
static int
kept(const struct scan *sc, const char *rel, size_t len)
{
	return sc->shard_n == 0 || shard_of(rel, len, sc->shard_n) == sc->shard_k;
}

/* Whether a file is let through by the filters: its path rel, and its
 * size when sb says it is a regular file (anything else has no size that
 * counts, and goes on to be recorded as it would be without them). */
static int
passes(struct scan *sc, const char *rel, size_t len, const struct stat *sb)
{
	if (filter_path(&sc->filter, rel, len) &&
	    (sb == NULL || !S_ISREG(sb->st_mode) || filter_size(&sc->filter, (uint64_t)sb->st_size)))
		return 1;
	sc->filtered++;
	return 0;
}

/* The path to give the system: as is, or under the prefix. */
static const char *
fs(struct scan *sc, const char *path)
{
	if (sc->prefix_len == 0 || path[0] == '/')
		return path;
	if ((size_t)snprintf(sc->full, sizeof sc->full, "%s%s", sc->prefix, path) >= sizeof sc->full)
		return "";	/* too long: ENOENT */
	return sc->full;
}

/* The size bounds need a file's stat, which a walk does not take. */
static const struct stat *
sized(struct scan *sc, const char *path, struct stat *sb)
{
	if (!filter_sizes(&sc->filter) || lstat(fs(sc, path), sb) < 0)
		return NULL;
	return sb;
}

/* A walked path, relative to the input directory it was found under: its
 * shard, and for a file the filters. */
static int
kept_walked(struct scan *sc, const char *path, size_t len, int is_dir)
{
	size_t off = sc->root_off < len ? sc->root_off : len;
	struct stat sb;

	if (!kept(sc, path + off, len - off))
		return 0;
	return is_dir || passes(sc, path + off, len - off, sized(sc, path, &sb));
}

const char *
scan_base_name(const char *in, size_t *len)
{
	size_t n = strlen(in);
	const char *slash;

	while (n > 1 && in[n - 1] == '/')
		n--;
	slash = memrchr(in, '/', n);
	if (slash && (size_t)(slash - in) + 1 < n) {
		n -= (size_t)(slash + 1 - in);
		in = slash + 1;
	}
	*len = n;
	return in;
}

/* An input that is not walked (a file, a directory that cannot be read)
 * is its own name: the last part of the path as named. A file (sb its
 * stat, or NULL when it has none) goes through the filters. */
static int
kept_input(struct scan *sc, const char *in, int is_dir, const struct stat *sb)
{
	size_t n;
	const char *base = scan_base_name(in, &n);

	if (!kept(sc, base, n))
		return 0;
	return is_dir || passes(sc, base, n, sb);
}

struct scan *
scan_new(char **inputs, int n, int list_sep, int listfd, const char *prefix, const char *exclude)
{
	struct scan *sc = calloc(1, sizeof *sc);
	struct stat sb;

	if (sc == NULL)
		return NULL;
	sc->inputs = inputs;
	sc->ninputs = n;
	sc->list_sep = list_sep;
	sc->listfd = listfd;
	sc->prefix = prefix ? prefix : "";
	sc->prefix_len = strlen(sc->prefix);
	if (exclude && stat(exclude, &sb) == 0) {
		sc->skip_dev = sb.st_dev;
		sc->skip_ino = sb.st_ino;
		sc->have_skip = 1;
	}
	return sc;
}

static void
frame_free(struct frame *f)
{
	if (f->dir)
		closedir(f->dir);
	free(f->path);
	free(f->names);
	free(f->off);
}

void
scan_free(struct scan *sc)
{
	if (sc == NULL)
		return;
	while (sc->depth > 0)
		frame_free(&sc->stack[--sc->depth]);
	free(sc->stack);
	free(sc->buf);
	free(sc);
}

int
scan_wait_fd(const struct scan *sc)
{
	return sc->listfd;
}

/* path + "/" + name in sc->buf. */
static char *
join(struct scan *sc, const char *dir, size_t dlen, const char *name, size_t *len)
{
	size_t nlen = strlen(name), need = dlen + 1 + nlen + 1;
	int slash = dlen > 0 && dir[dlen - 1] != '/';

	if (need > sc->buf_cap) {
		char *b = realloc(sc->buf, need * 2);

		if (b == NULL)
			return NULL;
		sc->buf = b;
		sc->buf_cap = need * 2;
	}
	memcpy(sc->buf, dir, dlen);
	if (slash)
		sc->buf[dlen] = '/';
	memcpy(sc->buf + dlen + slash, name, nlen + 1);
	*len = dlen + (size_t)slash + nlen;
	return sc->buf;
}

/* Starts walking a directory. Returns 0, 1 when it is the state directory
 * (skipped), or -1 with errno. */
static int
push(struct scan *sc, const char *path, size_t len)
{
	struct frame *f;
	struct stat sb;
	DIR *d;

	if (sc->depth == sc->cap) {
		int cap = sc->cap ? sc->cap * 2 : 16;
		struct frame *s = realloc(sc->stack, (size_t)cap * sizeof *s);

		if (s == NULL)
			return -1;
		sc->stack = s;
		sc->cap = cap;
	}
	d = opendir(fs(sc, path));
	if (d == NULL)
		return -1;
	if (fstat(dirfd(d), &sb) < 0) {
		closedir(d);
		return -1;
	}
	if (sc->have_skip && sb.st_dev == sc->skip_dev && sb.st_ino == sc->skip_ino) {
		closedir(d);
		return 1;
	}
	if (sc->may_enter && !sc->may_enter(&sb, sc->may_arg)) {
		closedir(d);
		errno = EACCES;
		return -1;
	}
	f = &sc->stack[sc->depth];
	memset(f, 0, sizeof *f);
	f->path = strndup(path, len);
	if (f->path == NULL) {
		closedir(d);
		return -1;
	}
	f->len = len;
	f->dir = d;
	sc->depth++;
	return 0;
}

static int
name_cmp(const void *a, const void *b, void *arg)
{
	const char *names = arg;

	return strcmp(names + *(const uint32_t *)a + 1, names + *(const uint32_t *)b + 1);
}

/* Reads up to READ_CHUNK entries; sorts once the directory is exhausted.
 * Returns 0, or -1 with errno. */
static int
frame_read(struct frame *f)
{
	struct dirent *e;
	int i;

	for (i = 0; i < READ_CHUNK; i++) {
		size_t nlen;

		errno = 0;
		e = readdir(f->dir);
		if (e == NULL) {
			int err = errno;

			closedir(f->dir);
			f->dir = NULL;
			if (err) {
				errno = err;
				return -1;
			}
			if (f->n > 1)
				qsort_r(f->off, f->n, sizeof *f->off, name_cmp, f->names);
			return 0;
		}
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		nlen = strlen(e->d_name) + 2;
		if (f->names_len + nlen > f->names_cap) {
			size_t cap = f->names_cap ? f->names_cap * 2 : 4096;
			char *p;

			while (cap < f->names_len + nlen)
				cap *= 2;
			if (cap > UINT32_MAX) {
				errno = EFBIG;	/* the directory's own */
				return -1;
			}
			if ((p = realloc(f->names, cap)) == NULL) {
				errno = ENOMEM;
				return -1;
			}
			f->names = p;
			f->names_cap = cap;
		}
		if (f->n == f->cap) {
			size_t cap = f->cap ? f->cap * 2 : 64;
			uint32_t *o = realloc(f->off, cap * sizeof *o);

			if (o == NULL)
				return -1;
			f->off = o;
			f->cap = cap;
		}
		f->names[f->names_len] = (char)e->d_type;
		memcpy(f->names + f->names_len + 1, e->d_name, nlen - 1);
		f->off[f->n] = (uint32_t)f->names_len;
		f->n++;
		f->names_len += nlen;
	}
	return 0;
}

/* One directory entry or input path: recurse into directories, yield the
 * rest. Returns what fn returned, or 0. */
static int
visit(struct scan *sc, const char *path, size_t len, int is_dir, int regular, int mine, scan_fn fn,
    void *arg)
{
	char why[300];
	int r;

	if (!is_dir)
		return mine ? fn(path, len, regular, NULL, arg) : 0;
	r = push(sc, path, len);
	if (r >= 0)
		return 0;
	if (sup_host_refused(errno))
		return SCAN_REFUSED;
	if (!mine)
		return 0;
	snprintf(why, sizeof why, "unable to read directory: %s", strerror(errno));
	return fn(path, len, 0, why, arg);
}

/* One path of the stdin list, in sc->line. The scan looks at it as the walk
 * looks at a directory's entries, so that a path that was never there says
 * so ("No such file or directory") instead of being taken at dispatch for a
 * file that vanished. Anything else lstat can say is left to dispatch,
 * which decides for every file alike. A name is never trimmed (it may end
 * in a carriage return), but one that does, and is missing, gets a hint,
 * and the first such name is logged, escaped. */
static int
list_path(struct scan *sc, scan_fn fn, void *arg)
{
	static const char crlf[] = " (the name ends in a carriage return: "
	    "the list may have CRLF line ends)";
	const char *path = sc->line;
	size_t len = sc->line_len;
	struct stat sb;
	char why[160];
	int cr, e;

	if (!kept(sc, path, len))
		return 0;
	if (lstat(fs(sc, path), &sb) == 0)
		return passes(sc, path, len, &sb) ? fn(path, len, S_ISREG(sb.st_mode), NULL, arg) : 0;
	e = errno;	/* lstat's, past the filters' matching */
	if (!passes(sc, path, len, NULL))
		return 0;
	errno = e;
	if (errno != ENOENT && errno != ENOTDIR)
		return fn(path, len, 0, NULL, arg);
	cr = sc->list_sep == '\n' && path[len - 1] == '\r';
	snprintf(why, sizeof why, "%s%s", strerror(errno), cr ? crlf : "");
	if (cr && !sc->warned_cr) {
		log_warnx("%s from the stdin list: %s", sup_esc(path, len), why);
		sc->warned_cr = 1;
	}
	return fn(path, len, 0, why, arg);
}

/* The stdin list: whatever is there now, without blocking. Returns 1 when
 * something was read, 0 at EOF, 2 when nothing is there yet. */
static int
read_list(struct scan *sc, int *budget, scan_fn fn, void *arg)
{
	struct pollfd p = { .fd = sc->listfd, .events = POLLIN };
	char chunk[16384];
	ssize_t n, i;

	if (poll(&p, 1, 0) == 0)
		return 2;
	n = read(sc->listfd, chunk, sizeof chunk);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 2;
	if (n <= 0) {
		if (n < 0)
			log_warn("unable to read the list on stdin");
		if (sc->line_len > 0 && !sc->line_overflow &&
		    memchr(sc->line, '\0', sc->line_len) == NULL) {
			sc->line[sc->line_len] = '\0';
			if (list_path(sc, fn, arg) < 0)
				return -1;
		}
		sc->line_len = 0;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (chunk[i] != (char)sc->list_sep) {
			if (sc->line_len < PATH_MAX)
				sc->line[sc->line_len++] = chunk[i];
			else
				sc->line_overflow = 1;
			continue;
		}
		if (sc->line_overflow)
			log_warnx("a path in the stdin list is longer than %d bytes: left out", PATH_MAX);
		else if (sc->line_len > 0 && memchr(sc->line, '\0', sc->line_len) == NULL) {
			sc->line[sc->line_len] = '\0';
			if (list_path(sc, fn, arg) < 0)
				return -1;
			(*budget)--;
		}
		sc->line_len = 0;
		sc->line_overflow = 0;
	}
	return 1;
}

int
scan_step(struct scan *sc, int budget, scan_fn fn, void *arg)
{
	struct stat sb, lsb;
	char *real;
	const char *in, *path;
	size_t len;
	int r;

	while (budget > 0) {
		if (sc->depth > 0) {
			struct frame *f = &sc->stack[sc->depth - 1];
			const char *name;
			int is_dir, type;

			if (f->dir) {
				if (frame_read(f) < 0) {
					char why[300];

					if (sup_host_refused(errno)) {
						/* Read again from the start, later. */
						int e = errno;

						frame_free(f);
						if (--sc->depth > 0)
							sc->stack[sc->depth - 1].next--;
						else
							sc->next_input--;
						errno = e;
						return SCAN_REFUSED;
					}
					snprintf(why, sizeof why, "unable to read directory: %s",
					    strerror(errno));
					if (f->dir)
						closedir(f->dir);
					f->dir = NULL;
					f->n = f->next = 0;
					if (kept_walked(sc, f->path, f->len, 1) &&
					    fn(f->path, f->len, 0, why, arg) < 0)
						return -1;
				}
				budget -= 16;
				continue;
			}
			if (f->next == f->n) {
				frame_free(f);
				sc->depth--;
				continue;
			}
			type = (unsigned char)f->names[f->off[f->next]];
			name = f->names + f->off[f->next] + 1;
			is_dir = type == DT_DIR;
			f->next++;
			path = join(sc, f->path, f->len, name, &len);
			if (path == NULL)
				return -1;
			if (type == DT_UNKNOWN)
				is_dir = lstat(fs(sc, path), &sb) == 0 && S_ISDIR(sb.st_mode);
			r = visit(sc, path, len, is_dir, type == DT_REG,
			    kept_walked(sc, path, len, is_dir), fn, arg);
			if (r == SCAN_REFUSED) {
				/* The stack may have moved; this entry again. */
				sc->stack[sc->depth - 1].next--;
				return r;
			}
			if (r < 0)
				return -1;
			budget--;
			continue;
		}
		if (sc->reading_list) {
			r = read_list(sc, &budget, fn, arg);
			if (r == 1)
				continue;
			if (r != 0)
				return r;
			sc->reading_list = 0;
			continue;
		}
		if (sc->next_input == sc->ninputs)
			return 0;
		in = sc->inputs[sc->next_input++];
		if (strcmp(in, "-") == 0) {
			sc->reading_list = 1;
			continue;
		}
		/* Inputs named on the command line are followed if links: a
		 * link to a file is recorded under its target's path (dispatch
		 * never follows one); a link to a directory is walked. */
		if (stat(fs(sc, in), &sb) < 0) {
			char why[300];

			if (sup_host_refused(errno)) {
				sc->next_input--;
				return SCAN_REFUSED;
			}

			snprintf(why, sizeof why, "vanished before processing: %s", strerror(errno));
			r = kept_input(sc, in, 0, NULL) ? fn(in, strlen(in), 0, why, arg) : 0;
		} else if (!S_ISDIR(sb.st_mode) && lstat(fs(sc, in), &lsb) == 0 && S_ISLNK(lsb.st_mode) &&
		    (real = realpath(fs(sc, in), NULL)) != NULL) {
			r = visit(sc, real, strlen(real), 0, S_ISREG(sb.st_mode),
			    kept_input(sc, in, 0, &sb), fn, arg);
			free(real);
		} else {
			len = strlen(in);
			sc->root_off = len + (len > 0 && in[len - 1] != '/');
			r = visit(sc, in, len, S_ISDIR(sb.st_mode), 0,
			    kept_input(sc, in, S_ISDIR(sb.st_mode), &sb), fn, arg);
		}
		if (r == SCAN_REFUSED) {
			sc->next_input--;
			return r;
		}
		if (r < 0)
			return -1;
		budget--;
	}
	return 1;
}
