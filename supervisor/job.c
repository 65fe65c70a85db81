/* job: one job as the supervisor runs it. Its record in the store, found
 * by its name and checked against its spec (spec.c), the stdin list it
 * reads, the scan that turns its inputs into tasks, and the short queue of
 * pending tasks fetched for dispatch. Memory stays O(queue): pending tasks
 * are read from the store a batch at a time. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
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
#include "supervisor/recheck.h"
#include "supervisor/spec.h"
#include "supervisor/sup.h"

#define FETCH_BATCH	64

/* A service's job: submitted by uid, whose permissions its files need. */
static void
job_set_owner(struct job *j, uid_t uid)
{
	struct passwd *pw;
	int n = (int)(sizeof j->owner_groups / sizeof j->owner_groups[0]);

	j->rec.owner = (uint32_t)uid;
	j->rec.has_owner = 1;
	j->nowner_groups = 0;
	if ((pw = getpwuid(uid)) != NULL && getgrouplist(pw->pw_name, pw->pw_gid, j->owner_groups, &n) >= 0)
		j->nowner_groups = n;
}

/* The walk enters only directories the job's owner may list and search. */
static int
owner_enters(const struct stat *sb, void *arg)
{
	return job_owner_may(arg, sb, R_OK | X_OK);
}

/* What the job's scan may enter and what it keeps: its spec's. */
static void
scan_rules(struct job *j)
{
	scan_guard(j->scan, owner_enters, j);
	scan_shard(j->scan, j->rec.shard_k, j->rec.shard_n);
	scan_filter(j->scan, &j->rec.filter);
}

/* The stdin list is part of the job's identity, so it is read to its end
 * before the job is opened: the same list again resumes its job, another
 * list is another job. It is spooled into DIR/lists/, hashed on the way
 * (memory stays bounded however long the list), and kept there under its
 * digest: the scan reads it as it would have read the pipe, and a later
 * owner of the state directory can scan it again. The digest covers the
 * separator too. */
/* err gets the message, with strerror(e) unless e is 0. Returns -1. */
static int __attribute__((format(printf, 4, 5)))
failed(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	if (e != 0 && n >= 0 && (size_t)n < errlen)
		snprintf(err + n, errlen - (size_t)n, ": %s", strerror(e));
	return -1;
}

/* DIR/lists/HEX, the list whose digest is id. */
void
job_list_path(const char *dir, const uint8_t id[32], char *out, size_t len)
{
	int i, n = snprintf(out, len, "%s/lists/", dir);

	for (i = 0; i < 32 && n > 0 && (size_t)n + 3 < len; i++)
		n += snprintf(out + n, len - (size_t)n, "%02x", id[i]);
}

/* Returns the kept list's descriptor, at its start, or -1 with err. */
static int
list_spool(const char *dir, int sep, uint8_t id[32], char *err, size_t errlen)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char buf[65536], path[PATH_MAX], kept[PATH_MAX];
	unsigned char c = (unsigned char)sep;
	unsigned dlen = 0;
	ssize_t n, w, off;
	int fd, e;

	snprintf(path, sizeof path, "%s/lists", dir);
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		EVP_MD_CTX_free(md);
		return failed(err, errlen, errno, "unable to keep the stdin list in %s",
		    sup_esc(path, strlen(path)));
	}
	snprintf(path, sizeof path, "%s/lists/.spool.XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		EVP_MD_CTX_free(md);
		return failed(err, errlen, errno, "unable to keep the stdin list in %s",
		    sup_esc(dir, strlen(dir)));
	}
	if (md == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL) || !EVP_DigestUpdate(md, &c, 1)) {
		EVP_MD_CTX_free(md);
		close(fd);
		return failed(err, errlen, 0, "unable to digest the stdin list");
	}
	for (;;) {
		n = read(STDIN_FILENO, buf, sizeof buf);
		if (n < 0 && errno == EAGAIN) {
			poll(&p, 1, -1);	/* a non-blocking stdin: wait for it */
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto read_error;
		if (n == 0)
			break;
		EVP_DigestUpdate(md, buf, (size_t)n);
		for (off = 0; off < n; off += w)
			if ((w = write(fd, buf + off, (size_t)(n - off))) < 0) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				goto write_error;
			}
	}
	EVP_DigestFinal_ex(md, id, &dlen);
	EVP_MD_CTX_free(md);
	job_list_path(dir, id, kept, sizeof kept);
	if (fsync(fd) < 0 || rename(path, kept) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		e = errno;
		unlink(path);
		close(fd);
		return failed(err, errlen, e, "unable to keep the stdin list in %s", sup_esc(dir, strlen(dir)));
	}
	return fd;
read_error:
	e = errno;
	EVP_MD_CTX_free(md);
	unlink(path);
	close(fd);
	return failed(err, errlen, e, "unable to read the list on stdin");
write_error:
	e = errno;
	EVP_MD_CTX_free(md);
	unlink(path);
	close(fd);
	return failed(err, errlen, e, "unable to keep the stdin list in %s", sup_esc(dir, strlen(dir)));
}

static void
summarize_inputs(const struct job_spec *o, char *out, size_t len)
{
	if (o->ninputs == 1)
		snprintf(out, len, "%s", sup_esc(o->inputs[0], strlen(o->inputs[0])));
	else
		snprintf(out, len, "%s (+%d more)", sup_esc(o->inputs[0], strlen(o->inputs[0])),
		    o->ninputs - 1);
}

/* The children's options as the JOB message carries them: packed once.
 * Returns 0, or -1 when memory ran out. */
static int
pack_opts(struct job *j)
{
	return spec_wire_opts(&j->rec.opts, &j->wire_opts, &j->wire_opts_len);
}

/* A job of the pool, empty: no descriptor, no timer running. */
static struct job *
job_alloc(struct sup *s)
{
	struct job *j = calloc(1, sizeof *j);

	if (j == NULL)
		return NULL;
	j->sup = s;
	j->outfd = -1;
	j->listfd = -1;
	job_hold_init(j);
	job_damp_init(j);
	return j;
}

struct job *
job_open(struct sup *s, const struct job_spec *o, char *err, size_t errlen)
{
	struct job *j = job_alloc(s);
	struct store_job spec;
	char name[256], why[9000], cwd[PATH_MAX];
	struct stat sb;
	struct job *old;
	int i, r, stdin_seen = 0;

	if (j == NULL) {
		failed(err, errlen, errno, "unable to allocate a job");
		return NULL;
	}
	for (i = 0; i < o->ninputs; i++) {
		if (strcmp(o->inputs[i], "-") == 0) {
			if (stdin_seen++) {
				failed(err, errlen, 0, "'-' (the stdin list) given twice");
				goto fail;
			}
			continue;
		}
		if (stat(o->inputs[i], &sb) < 0) {
			failed(err, errlen, errno, "%s", sup_esc(o->inputs[i], strlen(o->inputs[i])));
			goto fail;
		}
	}
	if (getcwd(cwd, sizeof cwd) == NULL)
		cwd[0] = '\0';
	memset(&spec, 0, sizeof spec);
	if (stdin_seen) {
		if ((j->listfd = list_spool(s->opts.state_dir, o->list_sep, spec.list_id, err, errlen)) < 0)
			goto fail;
		spec.has_list = 1;
	}
	spec_fill(o, cwd, &spec);
	summarize_inputs(o, spec.inputs, sizeof spec.inputs);
	if (o->job_name)
		snprintf(name, sizeof name, "%s", o->job_name);
	else
		spec_name(o, &spec, cwd, name, sizeof name);

	/* One job of a name in the pool: a running one is not started twice;
	 * a finished one gives way to this one, taken up from the store. */
	if ((old = sup_job_find(s, name)) != NULL && !old->check) {
		if (old->rec.state == JOB_RUNNING || old->rec.state == JOB_PAUSED) {
			failed(err, errlen, 0, "job %s is %s already: watch it, or cancel it first", name,
			    job_state_name(old->rec.state));
			goto fail;
		}
		if (old->inflight > 0) {
			failed(err, errlen, 0, "job %s: its files are still being stopped; try again", name);
			goto fail;
		}
		sup_job_forget(s, old);
	}
	j->sup = s;
	if ((j->inputs = calloc((size_t)o->ninputs + 1, sizeof *j->inputs)) == NULL) {
		failed(err, errlen, errno, "unable to allocate a job");
		goto fail;
	}
	for (i = 0; i < o->ninputs; i++)
		if ((j->inputs[i] = strdup(o->inputs[i])) == NULL) {
			failed(err, errlen, errno, "unable to allocate a job");
			goto fail;
		}
	j->ninputs = o->ninputs;
	r = store_job_by_name(s->st, name, &j->rec);
	if (r < 0) {
		failed(err, errlen, 0, "unable to read job %s: %s", name, store_strerror(s->st));
		goto fail;
	}
	/* A service's submitter takes up only its own jobs (root and the
	 * service's user, any): not another's, nor one `corral run` left. */
	if (r == 0 && o->has_owner && o->owner != 0 && o->owner != geteuid() &&
	    (!j->rec.has_owner || j->rec.owner != (uint32_t)o->owner)) {
		failed(err, errlen, 0, "job %s is another user's: --job NAME starts one of your own", name);
		goto fail;
	}
	if (r == 0 && spec_diff(&j->rec, &spec, why, sizeof why)) {
		failed(err, errlen, 0, "%s", why);
		goto fail;
	}
	if (r == 1) {
		memset(&j->rec, 0, sizeof j->rec);
		snprintf(j->rec.name, sizeof j->rec.name, "%s", name);
		snprintf(j->rec.inputs, sizeof j->rec.inputs, "%s", spec.inputs);
	}
	/* The same spec, now with every field an older record lacked. */
	memcpy(j->rec.handler, spec.handler, sizeof spec.handler);
	memcpy(j->rec.arg, spec.arg, sizeof spec.arg);
	j->rec.has = spec.has;
	j->rec.timeout_ms = spec.timeout_ms;
	j->rec.retries = spec.retries;
	j->rec.opts = spec.opts;
	memcpy(j->rec.inputs_id, spec.inputs_id, sizeof spec.inputs_id);
	memcpy(j->rec.list_id, spec.list_id, sizeof spec.list_id);
	j->rec.has_list = spec.has_list;
	j->rec.halt_rate = spec.halt_rate;
	j->rec.halt_min = spec.halt_min;
	memcpy(j->rec.extract, spec.extract, sizeof spec.extract);
	j->rec.stall_ms = spec.stall_ms;
	j->rec.timeout_pct = spec.timeout_pct;
	j->rec.shard_k = spec.shard_k;
	j->rec.shard_n = spec.shard_n;
	j->rec.filter = spec.filter;
	j->rec.halt_fail = spec.halt_fail;
	j->rec.halt_soon = spec.halt_soon;
	j->rec.state = JOB_RUNNING;
	j->rec.finished_ms = 0;
	j->rec.reason[0] = '\0';
	j->rec.scanned = 0;	/* scanned again: new files are found */
	j->rec.runs++;
	j->rec.workers = s->opts.workers;
	j->rec.priority = o->priority ? o->priority : PRIORITY_DEFAULT;
	if (pack_opts(j) < 0) {
		failed(err, errlen, 0, "out of memory");
		goto fail;
	}
	j->uid = o->child.sandbox.enabled && o->child.sandbox.drop ? (uid_t)o->child.sandbox.uid : (uid_t)-1;
	j->gid = (gid_t)o->child.sandbox.gid;
	if (o->extract_dir != NULL && (j->outfd = outdir_open(o->extract_dir, j->rec.name, why,
	    sizeof why)) < 0) {
		failed(err, errlen, 0, "%s: %s", sup_esc(o->extract_dir, strlen(o->extract_dir)), why);
		goto fail;
	}
	j->done_at_start = job_done(j);
	j->bad_at_start = job_bad(j);
	j->seq_at_start = j->rec.next_seq;
	j->t0 = ev_time();
	j->list_sep = o->list_sep;
	if (o->has_owner)
		job_set_owner(j, o->owner);
	j->scan = scan_new(j->inputs, j->ninputs, o->list_sep, j->listfd, NULL, s->opts.state_dir);
	if (j->scan)
		scan_rules(j);
	if (j->scan == NULL) {
		failed(err, errlen, errno, "unable to start the scan");
		goto fail;
	}
	/* The directory relative inputs are under, for a later owner and
	 * the readers: the stdin list's paths may be relative too. */
	for (i = 0; i < o->ninputs; i++)
		if (o->inputs[i][0] != '/')
			break;
	/* Taken up and visible to `corral status` from the first moment. */
	if (store_begin(s->st) < 0 || store_job_put(s->st, &j->rec) < 0 ||
	    store_inputs_put(s->st, j->rec.id, i < o->ninputs ? cwd : "", j->inputs, j->ninputs,
	    o->list_sep) < 0 || store_commit(s->st) < 0) {
		failed(err, errlen, 0, "unable to write job %s: %s", name, store_strerror(s->st));
		goto fail;
	}
	if (o->recheck && r == 0) {
		int64_t n = recheck_job(s, j, err, errlen);

		if (n < 0)
			goto fail;
		if (s->opts.verbose)
			log_infox("job %s: %lld file%s changed since %s outcome, pending again", name,
			    (long long)n, n == 1 ? "" : "s", n == 1 ? "its" : "their");
		j->done_at_start = job_done(j);
	}
	return j;
fail:
	job_free(j);
	return NULL;
}

struct job *
job_check_new(struct sup *s, const char *handler, const char *arg, const struct job_opts *opts,
    uint64_t timeout_ms, uint32_t id)
{
	struct job *j = job_alloc(s);

	if (j == NULL)
		return NULL;
	j->check = 1;
	j->rec.id = id;
	j->rec.state = JOB_RUNNING;
	j->rec.priority = PRIORITY_MAX;
	snprintf(j->rec.name, sizeof j->rec.name, "check-%u", (unsigned)(id - CHECK_JOB_ID));
	snprintf(j->rec.handler, sizeof j->rec.handler, "%s", handler);
	snprintf(j->rec.arg, sizeof j->rec.arg, "%s", arg);
	j->rec.opts = *opts;
	j->rec.timeout_ms = timeout_ms;
	j->rec.scanned = 1;
	j->uid = opts->sandbox.enabled && opts->sandbox.drop ? (uid_t)opts->sandbox.uid : (uid_t)-1;
	j->gid = (gid_t)opts->sandbox.gid;
	j->t0 = ev_time();
	if (pack_opts(j) < 0) {
		free(j);
		return NULL;
	}
	return j;
}

/* A job a previous owner left: taken up as its record and kept inputs
 * say, running again unless it was paused. */
struct job *
job_adopt(struct sup *s, const struct store_job *rec, char *err, size_t errlen)
{
	struct job *j = job_alloc(s);
	struct store_inputs in;
	char path[PATH_MAX], why[512];
	int i, r;

	if (j == NULL) {
		failed(err, errlen, errno, "unable to allocate a job");
		return NULL;
	}
	j->rec = *rec;
	job_damp_forget(j);
	/* Its inputs: the directory its relative paths are under, and what
	 * is left to scan. */
	{
		r = store_inputs_get(s->st, rec->id, &in);
		if (r < 0) {
			failed(err, errlen, 0, "job %s: unable to read its inputs: %s", rec->name,
			    store_strerror(s->st));
			goto fail;
		}
		if (r == 1) {
			if (!rec->scanned)
				log_warnx("job %s: its inputs were not kept; its known files are "
				    "resumed, no new ones looked for", rec->name);
			j->rec.scanned = 1;
		} else {
			j->inputs = in.paths;
			j->ninputs = in.n;
			if (in.cwd[0] != '\0' && asprintf(&j->prefix, "%s/", in.cwd) < 0)
				j->prefix = NULL;
			free(in.cwd);
		}
		if (r == 0 && !rec->scanned) {
			for (i = 0; i < j->ninputs; i++)
				if (strcmp(j->inputs[i], "-") == 0 && rec->has_list) {
					job_list_path(s->opts.state_dir, rec->list_id, path, sizeof path);
					if ((j->listfd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
						log_warn("job %s: its stdin list %s", rec->name,
						    sup_esc(path, strlen(path)));
						j->inputs[i][0] = '\0';	/* scanned as missing: nothing */
					}
				}
			j->list_sep = in.sep;
			if (rec->has_owner)
				job_set_owner(j, (uid_t)rec->owner);
			j->scan = scan_new(j->inputs, j->ninputs, in.sep, j->listfd, j->prefix,
			    s->opts.state_dir);
			if (j->scan)
				scan_rules(j);
			if (j->scan == NULL) {
				failed(err, errlen, errno, "unable to start the scan");
				goto fail;
			}
		}
	}
	if (pack_opts(j) < 0) {
		failed(err, errlen, 0, "out of memory");
		goto fail;
	}
	j->uid = rec->opts.sandbox.enabled && rec->opts.sandbox.drop ? (uid_t)rec->opts.sandbox.uid : (uid_t)-1;
	j->gid = (gid_t)rec->opts.sandbox.gid;
	if (rec->extract[0] != '\0' && (j->outfd = outdir_open(rec->extract, rec->name, why,
	    sizeof why)) < 0) {
		failed(err, errlen, 0, "job %s: %s: %s", rec->name,
		    sup_esc(rec->extract, strlen(rec->extract)), why);
		goto fail;
	}
	if (j->rec.state != JOB_PAUSED)
		j->rec.state = JOB_RUNNING;
	j->rec.runs++;
	j->rec.workers = s->opts.workers;
	if (j->rec.priority == 0)
		j->rec.priority = PRIORITY_DEFAULT;
	if (rec->has_owner)
		job_set_owner(j, (uid_t)rec->owner);
	j->done_at_start = job_done(j);
	j->bad_at_start = job_bad(j);
	j->seq_at_start = j->rec.next_seq;
	j->t0 = ev_time();
	if (store_begin(s->st) < 0 || store_job_put(s->st, &j->rec) < 0 || store_commit(s->st) < 0) {
		failed(err, errlen, 0, "unable to write job %s: %s", rec->name, store_strerror(s->st));
		goto fail;
	}
	return j;
fail:
	job_free(j);
	return NULL;
}

void
job_free(struct job *j)
{
	struct task *t;
	int i;

	if (j == NULL)
		return;
	job_hold_stop(j);
	job_damp_stop(j);
	while ((t = j->ready) != NULL) {
		j->ready = t->next;
		task_free(t);
	}
	scan_free(j->scan);
	for (i = 0; j->inputs && i < j->ninputs; i++)
		free(j->inputs[i]);
	free(j->inputs);
	free(j->prefix);
	if (j->listfd >= 0)
		close(j->listfd);
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
		sup_store_error(s, "unable to add a task to the store");
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
	j->filtered += scan_filtered(j->scan);
	if (r == SCAN_REFUSED) {
		/* The host's refusal: the directory is read again later. */
		job_hold(j->sup, j, errno, "unable to read a directory");
		return r;
	}
	if (r == 0) {
		scan_free(j->scan);
		j->scan = NULL;
		if (sup_txn(j->sup) == 0) {
			j->rec.scanned = 1;
			j->dirty = 1;
		}
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
		t->fd = -1;
		t->seq = batch[i].seq;
		t->attempts = batch[i].attempts;
		t->strikes = batch[i].strikes;
		/* A walk of an earlier run is no proof: a FIFO or a device
		 * may have taken the file's place since, and is never opened. */
		t->regular = batch[i].regular && t->seq >= j->seq_at_start;
		t->path = batch[i].path;	/* taken over */
		t->path_len = batch[i].path_len;
		j->cursor = t->seq;
		job_queue(j, t);
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
job_rescan(struct job *j)
{
	scan_free(j->scan);
	j->scan = NULL;
	if (j->listfd >= 0 && lseek(j->listfd, 0, SEEK_SET) < 0)
		return -1;
	j->scan = scan_new(j->inputs, j->ninputs, j->list_sep, j->listfd, j->prefix,
	    j->sup->opts.state_dir);
	if (j->scan == NULL)
		return -1;
	scan_rules(j);
	return 0;
}

void
job_queue(struct job *j, struct task *t)
{
	t->next = NULL;
	if (j->ready_tail)
		j->ready_tail->next = t;
	else
		j->ready = t;
	j->ready_tail = t;
	j->nready++;
}

void
job_reread(struct job *j)
{
	struct task *t;

	while ((t = j->ready) != NULL) {
		j->ready = t->next;
		task_free(t);
	}
	j->ready_tail = NULL;
	j->nready = 0;
	j->cursor = 0;
}

void
job_unnext(struct job *j, struct task *t)
{
	t->next = j->ready;
	j->ready = t;
	if (j->ready_tail == NULL)
		j->ready_tail = t;
	j->nready++;
}

int
job_has_work(struct job *j)
{
	struct task *t;

	if (j->ready != NULL)
		return 1;
	if ((t = job_next(j)) == NULL)
		return 0;
	job_unnext(j, t);
	return 1;
}

int
job_complete(struct job *j)
{
	return j->scan == NULL && j->ready == NULL && j->inflight == 0 &&
	    job_fetch(j) == 0;
}

uint64_t
job_bad(const struct job *j)
{
	return j->rec.count[OUT_FAILED] + j->rec.count[OUT_CRASHED] + j->rec.count[OUT_TIMEOUT] +
	    j->rec.count[OUT_QUARANTINED];
}

uint64_t
job_done(const struct job *j)
{
	return store_done(&j->rec);
}
