/* dryrun: `corral run --dry-run`: what a run would do, doing none of it.
 * Says the job's name and whether it would be new, resumed or refused
 * (read from the state directory read-only, if there is one), then lists
 * the files it would process (with --recheck, the changed ones too), one
 * a line (for exec, the command each would run, as the exec handler
 * expands it). Starts no child and writes
 * nothing: not the state directory, not the stdin list's copy. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cli/cli.h"
#include "cli/report.h"
#include "common/expand.h"
#include "common/log.h"
#include "supervisor/json.h"
#include "supervisor/recheck.h"
#include "supervisor/spec.h"
#include "supervisor/sup.h"

struct plan {
	const struct run_cmd *o;
	uint64_t n;			/* files listed */
	uint64_t seq;			/* the seq the next file would get */
	int exec;
	store *st;			/* a job resumed: the walk lists only ... */
	uint32_t job;			/* ... the files it does not have yet */
	struct seen **seen;		/* the paths listed, as a run keeps one task a path */
	size_t nseen, cap;
};

struct seen {
	struct seen *next;
	size_t len;
	char path[];
};

static uint64_t
path_hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603u;	/* FNV-1a */
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211u;
	return h;
}

/* 1 when path was listed before, else 0 (and it is now); dies without
 * memory. A path given twice (two inputs, a list) is one task. */
static int
seen_before(struct plan *p, const char *path, size_t len)
{
	struct seen *e, **old = p->seen;
	size_t i, oldcap = p->cap;

	if (p->nseen >= p->cap / 2) {
		p->cap = p->cap ? p->cap * 2 : 1024;
		if ((p->seen = calloc(p->cap, sizeof *p->seen)) == NULL)
			log_die(EXIT_USAGE, "dry run");
		for (i = 0; i < oldcap; i++)
			while ((e = old[i]) != NULL) {
				old[i] = e->next;
				e->next = p->seen[path_hash(e->path, e->len) % p->cap];
				p->seen[path_hash(e->path, e->len) % p->cap] = e;
			}
		free(old);
	}
	for (e = p->seen[path_hash(path, len) % p->cap]; e != NULL; e = e->next)
		if (e->len == len && memcmp(e->path, path, len) == 0)
			return 1;
	if ((e = malloc(sizeof *e + len)) == NULL)
		log_die(EXIT_USAGE, "dry run");
	e->len = len;
	memcpy(e->path, path, len);
	e->next = p->seen[path_hash(path, len) % p->cap];
	p->seen[path_hash(path, len) % p->cap] = e;
	p->nseen++;
	return 0;
}

/* A line as it is, when it is printable UTF-8 (a command can be copied
 * from it); else escaped as for a terminal (\n, \xNN, \\). */
static void
put_line(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			break;
	if (i == len && json_is_utf8(s, len))
		fwrite(s, 1, len, stdout);
	else
		text_escaped(stdout, s, len);
	putchar('\n');
}

/* One file the run would process: its path, or exec's command for it. */
static void
show(struct plan *p, const char *path, size_t len, uint64_t seq)
{
	char *cmd, *copy;

	p->n++;
	if (!p->exec || (copy = strndup(path, len)) == NULL) {
		put_line(path, len);
		return;
	}
	cmd = expand_command(p->o->spec.exec_cmd, copy, seq, 0);
	free(copy);
	if (cmd == NULL)
		log_die(EXIT_USAGE, "dry run");
	put_line(cmd, strlen(cmd));
	free(cmd);
}

static int
found(const char *path, size_t len, int regular, const char *error, void *arg)
{
	struct plan *p = arg;
	uint64_t seq;
	int r;

	(void)regular;
	if (p->job != 0 && (r = store_task_find(p->st, p->job, path, len, &seq)) != 1) {
		if (r < 0)
			log_diex(EXIT_USAGE, "dry run: unable to read the job: %s", store_strerror(p->st));
		return 0;
	}
	if (seen_before(p, path, len))
		return 0;
	if (error == NULL)
		show(p, path, len, p->seq);
	p->seq++;
	return 0;
}

/* --recheck: a file without an outcome (pending), or one changed since. */
static int
pending_or_changed(uint64_t seq, const char *path, size_t plen, const struct store_outcome *o,
    void *arg)
{
	if (o == NULL || recheck_compare(o, path, plen, NULL) > RECHECK_SAME)
		show(arg, path, plen, seq);
	return 0;
}

/* The stdin list into a memory file, digested as a run digests it
 * (docs/state.md: SHA-256 of the separator byte, then the list). */
static int
list_read(int sep, uint8_t id[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char c = (unsigned char)sep;
	char buf[65536];
	unsigned dlen = 0;
	ssize_t n;
	int fd = memfd_create("corral-list", MFD_CLOEXEC);

	if (fd < 0 || md == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(md, &c, 1))
		log_diex(EXIT_USAGE, "dry run: unable to read the stdin list");
	while ((n = read(STDIN_FILENO, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(fd, buf, (size_t)n) != n)
			log_die(EXIT_USAGE, "dry run: unable to read the stdin list");
		EVP_DigestUpdate(md, buf, (size_t)n);
	}
	EVP_DigestFinal_ex(md, id, &dlen);
	EVP_MD_CTX_free(md);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

int
run_dry(const struct run_cmd *o)
{
	struct plan p = { .o = o, .seq = 1, .exec = o->spec.exec_cmd != NULL };
	struct seen *e;
	size_t sz;
	struct store_job spec, rec;
	struct store_task t[256];
	char cwd[4096], name[256], why[1024];
	const char *whyo;
	struct scan *sc;
	uint64_t after = 0, filtered = 0;
	int i, r, listfd = -1, found_job = 0;
	store *st;

	memset(&spec, 0, sizeof spec);
	if (getcwd(cwd, sizeof cwd) == NULL)
		cwd[0] = '\0';
	for (i = 0; i < o->spec.ninputs; i++)
		if (strcmp(o->spec.inputs[i], "-") == 0 && listfd < 0) {
			listfd = list_read(o->spec.list_sep, spec.list_id);
			spec.has_list = 1;
		}
	spec_fill(&o->spec, cwd, &spec);
	if (o->spec.job_name)
		snprintf(name, sizeof name, "%s", o->spec.job_name);
	else
		spec_name(&o->spec, &spec, cwd, name, sizeof name);

	/* Refused, as the run refuses it, before any job is looked at. */
	for (i = 0; i < o->spec.ninputs; i++) {
		struct stat sb;

		if (strcmp(o->spec.inputs[i], "-") != 0 && stat(o->spec.inputs[i], &sb) < 0) {
			fprintf(stderr, "corral: dry run: job %s would be refused: %s: %s\n", name,
			    sup_esc(o->spec.inputs[i], strlen(o->spec.inputs[i])), strerror(errno));
			return EXIT_USAGE;
		}
	}
	st = store_open(o->pool.state_dir, STORE_READ, &whyo);
	/* None there is made by the run; one that cannot be opened refuses it. */
	if (st == NULL && errno != ENOENT) {
		fprintf(stderr, "corral: dry run: job %s would be refused: unable to %s state dir %s: %s\n",
		    name, whyo, sup_esc(o->pool.state_dir, strlen(o->pool.state_dir)), strerror(errno));
		return EXIT_USAGE;
	}
	if (st != NULL && (r = store_job_by_name(st, name, &rec)) == 0) {
		if (spec_diff(&rec, &spec, why, sizeof why)) {
			fprintf(stderr, "corral: dry run: job %s would be refused: %s\n", name, why);
			store_close(st);
			return EXIT_USAGE;
		}
		found_job = 1;
	} else if (st != NULL && r < 0)
		log_diex(EXIT_USAGE, "dry run: unable to read job %s: %s", name, store_strerror(st));
	if (!found_job)
		fprintf(stderr, "corral: dry run: job %s would be new, in %s\n", name,
		    sup_esc(o->pool.state_dir, strlen(o->pool.state_dir)));
	else
		fprintf(stderr, "corral: dry run: job %s (%s, %llu of %llu file%s done) would be "
		    "resumed%s\n", name, job_state_name(rec.state), (unsigned long long)done_of(&rec),
		    (unsigned long long)rec.total, plural_s(rec.total),
		    rec.scanned ? "" : "; its inputs are walked again for files not yet found");
	if (p.exec)
		fprintf(stderr, "corral: dry run: each file's command, as sh -c runs it:\n");

	if (found_job && o->spec.recheck) {
		/* Its pending files and those --recheck makes pending, in the
		 * order they go out. */
		if (store_results_each(st, rec.id, pending_or_changed, &p) < 0)
			log_diex(EXIT_USAGE, "dry run: unable to read job %s: %s", name, store_strerror(st));
	} else if (found_job) {
		/* Its pending files, in the order they go out. */
		while ((r = store_pending(st, rec.id, after, t, 256)) > 0) {
			for (i = 0; i < r; i++) {
				show(&p, t[i].path, t[i].path_len, t[i].seq);
				after = t[i].seq;
				store_task_free(&t[i]);
			}
		}
		if (r < 0)
			log_diex(EXIT_USAGE, "dry run: unable to read job %s: %s", name, store_strerror(st));
	}
	/* A new job's files, or those a job resumed finds under its inputs
	 * since: the run walks them again. */
	if (found_job) {
		p.st = st;
		p.job = rec.id;
		p.seq = rec.next_seq ? rec.next_seq : 1;
	}
	{
		sc = scan_new(o->spec.inputs, o->spec.ninputs, o->spec.list_sep, listfd, NULL,
		    o->pool.state_dir);
		if (sc == NULL)
			log_die(EXIT_USAGE, "dry run");
		scan_shard(sc, spec.shard_k, spec.shard_n);
		scan_filter(sc, &spec.filter);
		while ((r = scan_step(sc, 4096, found, &p)) == 1)
			;
		filtered = scan_filtered(sc);
		scan_free(sc);
		if (r == SCAN_REFUSED)
			log_die(EXIT_USAGE, "dry run: a directory the host refused to open");
	}
	if (st != NULL)
		store_close(st);
	if (listfd >= 0)
		close(listfd);
	for (sz = 0; sz < p.cap; sz++)
		while ((e = p.seen[sz]) != NULL) {
			p.seen[sz] = e->next;
			free(e);
		}
	free(p.seen);
	fprintf(stderr, "corral: dry run: %llu file%s would be processed", (unsigned long long)p.n,
	    plural_s(p.n));
	if (filtered > 0)
		fprintf(stderr, "; %llu file%s filtered out", (unsigned long long)filtered,
		    plural_s(filtered));
	fprintf(stderr, "; nothing was run\n");
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_USAGE;
}
