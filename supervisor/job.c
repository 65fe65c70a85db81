/* job: one job as the supervisor runs it. Its identity (name, handler,
 * inputs), its record in the store, the scan that turns its inputs into
 * tasks, and the short queue of pending tasks fetched for dispatch. Memory
 * stays O(queue): pending tasks are read from the store a batch at a time. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>
#include <openssl/evp.h>

#include "common/log.h"
#include "supervisor/outdir.h"
#include "supervisor/sup.h"

#define FETCH_BATCH	64

/* The name a job gets when none is given: the first input's base name and
 * a digest of everything that makes it this job (working directory, inputs,
 * handler, command), so the same command run again finds the same job. */
static void
derive_name(const struct run_opts *o, char *out, size_t len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	char cwd[PATH_MAX], base[41];
	const char *first = o->inputs[0], *slash;
	size_t i, n = 0;
	int k;

	if (getcwd(cwd, sizeof cwd) == NULL)
		cwd[0] = '\0';
	if (md && EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_DigestUpdate(md, cwd, strlen(cwd) + 1);
		EVP_DigestUpdate(md, o->handler, strlen(o->handler) + 1);
		EVP_DigestUpdate(md, o->exec_cmd ? o->exec_cmd : "", strlen(o->exec_cmd ? o->exec_cmd : "") + 1);
		for (k = 0; k < o->ninputs; k++) {
			/* "in" and "in/" are the same input. */
			size_t ilen = strlen(o->inputs[k]);

			while (ilen > 1 && o->inputs[k][ilen - 1] == '/')
				ilen--;
			EVP_DigestUpdate(md, o->inputs[k], ilen);
			EVP_DigestUpdate(md, "", 1);
		}
		EVP_DigestFinal_ex(md, dig, &dlen);
	}
	EVP_MD_CTX_free(md);
	/* The base name of the first input, trailing slashes aside. */
	n = strlen(first);
	while (n > 1 && first[n - 1] == '/')
		n--;
	slash = memrchr(first, '/', n);
	if (slash && (size_t)(slash - first) + 1 < n) {
		n -= (size_t)(slash + 1 - first);
		first = slash + 1;
	}
	for (i = 0; i < n && i < sizeof base - 1; i++) {
		char c = first[i];
		base[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ? c : '_';
	}
	base[i] = '\0';
	if (strcmp(first, "-") == 0 || i == 0 || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 ||
	    strcmp(base, "/") == 0)
		snprintf(base, sizeof base, "%s", strcmp(first, "-") == 0 ? "stdin" : "job");
	snprintf(out, len, "%s-%02x%02x%02x%02x", base, dig[0], dig[1], dig[2], dig[3]);
}

static void
summarize_inputs(const struct run_opts *o, char *out, size_t len)
{
	if (o->ninputs == 1)
		snprintf(out, len, "%s", sup_esc(o->inputs[0], strlen(o->inputs[0])));
	else
		snprintf(out, len, "%s (+%d more)", sup_esc(o->inputs[0], strlen(o->inputs[0])),
		    o->ninputs - 1);
}

/* The children's options as the JOB message carries them: packed once. */
static void
pack_opts(struct job *j)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (job_opts_pack(&j->rec.opts, &pk) < 0)
		log_diex(EXIT_USAGE, "out of memory");
	j->wire_opts = sb.data;
	j->wire_opts_len = sb.size;
}

struct job *
job_open(struct sup *s, const struct run_opts *o)
{
	struct job *j = calloc(1, sizeof *j);
	char name[256], why[256];
	struct stat sb;
	int i, r, stdin_seen = 0;

	if (j == NULL)
		log_die(EXIT_USAGE, "unable to allocate a job");
	j->outfd = -1;
	for (i = 0; i < o->ninputs; i++) {
		if (strcmp(o->inputs[i], "-") == 0) {
			if (stdin_seen++)
				log_diex(EXIT_USAGE, "'-' (the stdin list) given twice");
			continue;
		}
		if (stat(o->inputs[i], &sb) < 0)
			log_die(EXIT_USAGE, "%s", sup_esc(o->inputs[i], strlen(o->inputs[i])));
	}
	if (o->job_name)
		snprintf(name, sizeof name, "%s", o->job_name);
	else
		derive_name(o, name, sizeof name);

	j->sup = s;
	j->opts = o;
	r = store_job_by_name(s->st, name, &j->rec);
	if (r < 0)
		log_diex(EXIT_USAGE, "unable to read job %s: %s", name, store_strerror(s->st));
	if (r == 0 && (strcmp(j->rec.handler, o->handler) != 0 ||
	    strcmp(j->rec.arg, o->exec_cmd ? o->exec_cmd : "") != 0))
		log_diex(EXIT_USAGE, "job %s exists with handler %s%s%s; give another --job name",
		    name, sup_esc(j->rec.handler, strlen(j->rec.handler)), j->rec.arg[0] ? " -x " : "",
		    sup_esc(j->rec.arg, strlen(j->rec.arg)));
	if (r == 1) {
		memset(&j->rec, 0, sizeof j->rec);
		snprintf(j->rec.name, sizeof j->rec.name, "%s", name);
		snprintf(j->rec.handler, sizeof j->rec.handler, "%s", o->handler);
		snprintf(j->rec.arg, sizeof j->rec.arg, "%s", o->exec_cmd ? o->exec_cmd : "");
		summarize_inputs(o, j->rec.inputs, sizeof j->rec.inputs);
	}
	j->rec.state = JOB_RUNNING;
	j->rec.finished_ms = 0;
	j->rec.runs++;
	j->rec.timeout_ms = o->timeout_ms;
	j->rec.workers = o->workers;
	j->rec.retries = o->retries;
	j->rec.opts = o->child;
	pack_opts(j);
	j->uid = o->child.sandbox.enabled && o->child.sandbox.drop ? (uid_t)o->child.sandbox.uid : (uid_t)-1;
	j->gid = (gid_t)o->child.sandbox.gid;
	if (o->extract_dir != NULL && (j->outfd = outdir_open(o->extract_dir, j->rec.name, why,
	    sizeof why)) < 0)
		log_diex(EXIT_USAGE, "%s: %s", sup_esc(o->extract_dir, strlen(o->extract_dir)), why);
	j->done_at_start = j->rec.count[OUT_OK] + j->rec.count[OUT_FAILED] +
	    j->rec.count[OUT_CRASHED] + j->rec.count[OUT_TIMEOUT] + j->rec.count[OUT_SKIPPED];
	j->t0 = ev_time();
	j->scan = scan_new(o->inputs, o->ninputs, o->list_sep, o->state_dir);
	if (j->scan == NULL)
		log_die(EXIT_USAGE, "unable to start the scan");
	/* Taken up and visible to `corral status` from the first moment. */
	if (store_begin(s->st) < 0 || store_job_put(s->st, &j->rec) < 0 || store_commit(s->st) < 0)
		log_diex(EXIT_USAGE, "unable to write job %s: %s", name, store_strerror(s->st));
	return j;
}

void
job_free(struct job *j)
{
	struct task *t;

	if (j == NULL)
		return;
	while ((t = j->ready) != NULL) {
		j->ready = t->next;
		task_free(t);
	}
	scan_free(j->scan);
	if (j->outfd >= 0)
		close(j->outfd);
	free(j->wire_opts);
	free(j);
}

static int
scan_found(const char *path, size_t len, int regular, const char *error, void *arg)
{
	struct job *j = arg;
	struct sup *s = j->sup;
	struct store_outcome o;
	uint64_t seq;
	int r;

	if (sup_txn(s) < 0)
		return -1;
	r = store_task_add(s->st, &j->rec, path, len, regular, &seq);
	if (r < 0) {
		sup_fatal(s, "unable to add a task to the store: %s", store_strerror(s->st));
		return -1;
	}
	j->dirty = 1;
	if (r == 1 || error == NULL)
		return 0;
	/* The walk could not read it (a directory we may not list, say):
	 * recorded at once as skipped, with the reason. */
	memset(&o, 0, sizeof o);
	o.status = OUT_SKIPPED;
	o.exit_code = -1;
	o.error = error;
	o.error_len = strlen(error);
	return sup_record(s, j, seq, path, len, &o);
}

int
job_scan_step(struct job *j, int budget)
{
	int r;

	if (j->scan == NULL)
		return 0;
	r = scan_step(j->scan, budget, scan_found, j);
	if (r == 0) {
		scan_free(j->scan);
		j->scan = NULL;
	}
	return r;
}

static int
job_fetch(struct job *j)
{
	struct store_task batch[FETCH_BATCH];
	struct task *t;
	int i, n;

	n = store_pending(j->sup->st, j->rec.id, j->cursor, batch, FETCH_BATCH);
	if (n < 0) {
		sup_fatal(j->sup, "unable to read pending tasks: %s", store_strerror(j->sup->st));
		return -1;
	}
	for (i = 0; i < n; i++) {
		t = calloc(1, sizeof *t);
		if (t == NULL) {
			for (; i < n; i++)
				store_task_free(&batch[i]);
			sup_fatal(j->sup, "out of memory");
			return -1;
		}
		t->job = j;
		t->seq = batch[i].seq;
		t->attempts = batch[i].attempts;
		t->regular = batch[i].regular;
		t->path = batch[i].path;	/* taken over */
		t->path_len = batch[i].path_len;
		j->cursor = t->seq;
		if (j->ready_tail)
			j->ready_tail->next = t;
		else
			j->ready = t;
		j->ready_tail = t;
		j->nready++;
	}
	return n;
}

struct task *
job_next(struct job *j)
{
	struct task *t;
	int n, k;

	if (j->ready == NULL) {
		n = job_fetch(j);
		/* Nothing pending yet: pull the scan along a little right now
		 * rather than leave the children idle until the next idle
		 * turn; a bounded little, so the loop never stalls on a big
		 * tree whose files are all known already. */
		for (k = 0; n == 0 && j->scan && k < 8; k++) {
			if (job_scan_step(j, 256) != 1)
				break;
			n = job_fetch(j);
		}
		if (n == 0 && j->scan == NULL)
			n = job_fetch(j);
		if (n <= 0)
			return NULL;
	}
	t = j->ready;
	j->ready = t->next;
	if (j->ready == NULL)
		j->ready_tail = NULL;
	j->nready--;
	t->next = NULL;
	return t;
}

int
job_complete(struct job *j)
{
	return j->scan == NULL && j->ready == NULL && j->inflight == 0 &&
	    job_fetch(j) == 0;
}

uint64_t
job_done(const struct job *j)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < OUT__COUNT; i++)
		n += j->rec.count[i];
	return n;
}

void
job_summary(struct job *j, FILE *f)
{
	const struct store_job *r = &j->rec;
	ev_tstamp took = ev_time() - j->t0;
	uint64_t done = job_done(j), now = done - j->done_at_start;

	fprintf(f, "corral: job %s %s: %llu of %llu files done: %llu ok, %llu failed, %llu crashed, "
	    "%llu timeout, %llu skipped\n", r->name, job_state_name(r->state),
	    (unsigned long long)done, (unsigned long long)r->total,
	    (unsigned long long)r->count[OUT_OK], (unsigned long long)r->count[OUT_FAILED],
	    (unsigned long long)r->count[OUT_CRASHED], (unsigned long long)r->count[OUT_TIMEOUT],
	    (unsigned long long)r->count[OUT_SKIPPED]);
	fprintf(f, "corral: this run: %llu files in %.1fs (%.0f/s)%s\n", (unsigned long long)now,
	    took, took > 0 ? (double)now / took : 0.0,
	    r->state == JOB_DONE && now == 0 ? ", nothing left to do" : "");
	if (r->state == JOB_INTERRUPTED || r->state == JOB_HALTED)
		fprintf(f, "corral: run the same command again to resume\n");
}
