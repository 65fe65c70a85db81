/* control: the control socket (control.h). One listener and its clients on
 * the pool's loop. A client's requests are read frame by frame, decoded by
 * ctl_decode and answered in order; a stream (RESULTS) is written a page at
 * a time as the client reads, and a watch (WATCH, SUBMIT with wait) is a
 * subscriber of the pool. A client is closed for a broken frame, for
 * leaving its answers unread past CLIENT_OUT_MAX, or when it goes; what it
 * was waiting for (SUBMIT with wait) is cancelled with it. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "ipc/ctl.h"
#include "supervisor/control.h"
#include "supervisor/metrics.h"
#include "supervisor/spec.h"
#include "supervisor/sup.h"
#include "supervisor/view.h"

#define CLIENTS_MAX	256		/* clients at once; more are turned away */
#define CLIENT_OUT_MAX	(16u << 20)	/* answers a client may leave unread */
#define PAGE_ROWS	256		/* RESULTS rows per page */
#define PAGE_LOW	(256u << 10)	/* a page is written below this much unread */
#define REQUESTS_A_TURN	16		/* a client's requests taken in one turn of the loop */
#define PEER_GROUPS	256
#define CHECKS_MAX	256		/* checks of one client under way */

struct client {
	struct client *next;
	struct control *ctl;
	int fd;
	ev_io rio, wio;
	ev_timer more;			/* requests read but not yet taken: the next turn */
	struct ipc_reader rd;
	struct ipc_buf out;
	size_t out_off;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	gid_t groups[PEER_GROUPS];	/* the peer's groups, for reading its inputs */
	int ngroups;
	int hello;			/* said HELLO */
	int closing;			/* close once what is written is out */
	int dead;			/* closed: freed after the callback */
	/* RESULTS under way: the next page once the socket drains. */
	struct {
		int on;
		uint64_t rid;
		uint32_t job;
		uint64_t after;
		int failed;
	} stream;
	/* WATCH or SUBMIT with wait: a subscriber of the pool. */
	struct sup_sub sub;
	int watching;
	uint64_t watch_rid;
	int cancel_on_close;		/* SUBMIT with wait: its job goes with it */
	struct check *checks;		/* CHECKs not yet answered */
	int nchecks;
	uint64_t last_done;		/* progress last told */
};

/* A CHECK under way: its verdict goes back with its rid. */
struct check {
	struct check *next;
	struct client *c;
	uint64_t rid;
	struct check_wait *w;
	ev_tstamp asked;
};

struct control {
	struct sup *sup;
	struct control_opts opts;
	int fd;
	int bound;			/* we bound the path: unlink it at the end */
	gid_t sock_gid;			/* the socket file's group: its members may talk */
	ev_io lio;
	struct client *clients;
	int nclients;
	ev_idle reap;			/* frees dead clients after their callbacks */
};

static struct control *the;	/* one per process: the pool's */

/* ---- writing ---- */

static void client_close(struct client *c, const char *why);

static void
client_flush(struct client *c)
{
	struct ev_loop *loop = c->ctl->sup->loop;
	ssize_t n;

	while (c->out_off < c->out.len) {
		n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			client_close(c, NULL);
			return;
		}
		c->out_off += (size_t)n;
	}
	/* What the socket took goes, so that a client that reads, however
	 * slowly, costs what it has left unread, not all it was sent. */
	if (c->out_off > 0 && c->out_off < c->out.len && c->out_off >= c->out.len - c->out_off) {
		memmove(c->out.data, c->out.data + c->out_off, c->out.len - c->out_off);
		c->out.len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_off == c->out.len) {
		c->out.len = c->out_off = 0;
		ev_io_stop(loop, &c->wio);
		if (c->closing)
			client_close(c, NULL);
		return;
	}
	if (c->out.len - c->out_off > CLIENT_OUT_MAX) {
		client_close(c, "left its answers unread");
		return;
	}
	ev_io_start(loop, &c->wio);
}

/* Queues one message; written when the socket takes it. */
static void
client_put(struct client *c, const struct ctl_msg *m)
{
	if (c->dead)
		return;
	if (ctl_put(&c->out, m) < 0) {
		log_warn("client %d: unable to encode a %s", (int)c->pid, ipc_type_name(m->type));
		client_close(c, NULL);
		return;
	}
	client_flush(c);
}

static void
client_error(struct client *c, uint64_t rid, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
client_error(struct client *c, uint64_t rid, int code, const char *fmt, ...)
{
	struct ctl_msg m = { .type = CTL_ERROR, .rid = rid };
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	m.error.code = code;
	m.error.message = text;
	m.error.message_len = strlen(text);
	client_put(c, &m);
}

static void
client_ok(struct client *c, uint64_t rid, const struct job *j)
{
	struct ctl_msg m = { .type = CTL_OK, .rid = rid };

	if (j) {
		m.ok.id = j->rec.id;
		m.ok.name = j->rec.name;
		m.ok.name_len = strlen(j->rec.name);
	}
	client_put(c, &m);
}

static void
client_end(struct client *c, uint64_t rid)
{
	struct ctl_msg m = { .type = CTL_END, .rid = rid };

	client_put(c, &m);
}

/* Whose jobs a client may see and act on: its own; root and the
 * service's own user, every one. */
static int
peer_privileged(const struct client *c)
{
	return c->uid == 0 || c->uid == geteuid();
}

static int
peer_owns(const struct client *c, const struct store_job *r)
{
	return peer_privileged(c) || (r->has_owner && r->owner == c->uid);
}

static void
put_job(struct client *c, uint64_t rid, const struct store_job *r)
{
	struct sup *s = c->ctl->sup;
	struct job *j = view_live_job(s, r->id);
	struct ctl_msg m = { .type = CTL_JOB, .rid = rid };
	char reason[VIEW_REASON_MAX];

	view_job(s, j ? &j->rec : r, j, &m.job, reason, sizeof reason);
	client_put(c, &m);
}

struct jobs_walk {
	struct client *c;
	uint64_t rid;
};

static int
jobs_one(const struct store_job *r, void *arg)
{
	struct jobs_walk *w = arg;

	if (!peer_owns(w->c, r))
		return 0;
	put_job(w->c, w->rid, r);
	return w->c->dead;
}

/* A job by name or id, as the store has it, and the client's to act on:
 * 0 found, -1 answered. */
static int
find_job(struct client *c, uint64_t rid, const struct ctl_target *t, struct store_job *out)
{
	store *st = c->ctl->sup->st;
	char name[CTL_NAME_MAX + 1], *end;
	unsigned long id;
	int r;

	snprintf(name, sizeof name, "%.*s", (int)t->job_len, t->job);
	r = store_job_by_name(st, name, out);
	if (r == 1) {
		errno = 0;
		id = strtoul(name, &end, 10);
		if (errno == 0 && *end == '\0' && id > 0 && id <= UINT32_MAX)
			r = store_job_by_id(st, (uint32_t)id, out);
	}
	if (r == 0 && !peer_owns(c, out)) {
		client_error(c, rid, CTL_E_DENIED, "job %s is another user's", sup_esc(name, strlen(name)));
		return -1;
	}
	if (r == 0)
		return 0;
	if (r < 0)
		client_error(c, rid, CTL_E_INTERNAL, "unable to read job %s: %s",
		    sup_esc(name, strlen(name)), store_strerror(st));
	else
		client_error(c, rid, CTL_E_NO_SUCH_JOB, "no job %s", sup_esc(name, strlen(name)));
	return -1;
}

/* ---- RESULTS, a page at a time ---- */

struct page {
	struct client *c;
	int n;
	uint64_t last;
};

static int
row_one(uint64_t seq, const char *path, size_t plen, const struct store_outcome *o, void *arg)
{
	struct page *p = arg;
	struct client *c = p->c;
	struct ctl_msg m = { .type = CTL_ROW, .rid = c->stream.rid };

	p->last = seq;
	if (seq <= c->stream.after)
		return 0;
	if (p->n >= PAGE_ROWS)
		return 1;
	if (o == NULL || (c->stream.failed && o->status == OUT_OK))
		return 0;
	m.row.seq = seq;
	m.row.path = path;
	m.row.path_len = plen;
	m.row.status = o->status;
	m.row.attempts = o->attempts;
	m.row.duration_ms = o->duration_ms;
	m.row.finished_ms = o->finished_ms;
	m.row.signal = o->signal;
	m.row.exit_code = o->exit_code;
	m.row.error = o->error;
	m.row.error_len = o->error_len;
	m.row.result = o->result;
	m.row.result_len = o->result_len;
	m.row.tail = o->tail;
	m.row.tail_len = o->tail_len;
	m.row.limit = o->limit;
	client_put(c, &m);
	p->n++;
	return c->dead;
}

static void
stream_page(struct client *c)
{
	struct sup *s = c->ctl->sup;
	struct page p = { .c = c };
	int r;

	while (c->stream.on && !c->dead && c->out.len - c->out_off < PAGE_LOW) {
		p.n = 0;
		p.last = c->stream.after;
		r = store_results_each(s->st, c->stream.job, row_one, &p);
		if (r < 0) {
			c->stream.on = 0;
			client_error(c, c->stream.rid, CTL_E_INTERNAL, "unable to read results: %s",
			    store_strerror(s->st));
			return;
		}
		if (c->dead)
			return;
		if (p.n < PAGE_ROWS || p.last <= c->stream.after) {
			c->stream.on = 0;
			client_end(c, c->stream.rid);
			return;
		}
		c->stream.after = p.last - 1;	/* the row that did not fit is next */
	}
}

/* ---- watching ---- */

static void
event_msg(struct client *c, const struct job *j, int kind, struct ctl_msg *m)
{
	memset(m, 0, sizeof *m);
	m->type = CTL_EVENT;
	m->rid = c->watch_rid;
	m->event.job = j->rec.name;
	m->event.job_len = strlen(j->rec.name);
	m->event.kind = kind;
	m->event.done = job_done(j);
	m->event.total = j->rec.total;
	m->event.state = job_state_name(j->rec.state);
	m->event.state_len = strlen(m->event.state);
}

static void
watch_outcome(void *arg, struct job *j, uint64_t seq, const char *path, size_t plen,
    const struct store_outcome *o)
{
	struct client *c = arg;
	struct ctl_msg m;

	event_msg(c, j, CTL_EV_OUTCOME, &m);
	m.event.row.seq = seq;
	m.event.row.path = path;
	m.event.row.path_len = plen;
	m.event.row.status = o->status;
	m.event.row.attempts = o->attempts;
	m.event.row.duration_ms = o->duration_ms;
	m.event.row.finished_ms = o->finished_ms;
	m.event.row.signal = o->signal;
	m.event.row.exit_code = o->exit_code;
	m.event.row.error = o->error;
	m.event.row.error_len = o->error_len;
	m.event.row.result = o->result;
	m.event.row.result_len = o->result_len;
	m.event.row.tail = o->tail;
	m.event.row.tail_len = o->tail_len;
	m.event.row.limit = o->limit;
	client_put(c, &m);
}

static void watch_end(struct client *c);

static void
watch_changed(void *arg, struct job *j)
{
	struct client *c = arg;
	struct ctl_msg m;

	event_msg(c, j, CTL_EV_STATE, &m);
	client_put(c, &m);
	if (j->rec.state != JOB_RUNNING && j->rec.state != JOB_PAUSED) {
		c->cancel_on_close = 0;	/* it ended: nothing left to cancel */
		client_end(c, c->watch_rid);
		watch_end(c);
	}
}

static void
watch_committed(void *arg)
{
	struct client *c = arg;
	struct ctl_msg m;

	if (!c->watching || job_done(c->sub.job) == c->last_done)
		return;
	c->last_done = job_done(c->sub.job);
	event_msg(c, c->sub.job, CTL_EV_PROGRESS, &m);
	client_put(c, &m);
}

static void
watch_start(struct client *c, struct job *j, uint64_t rid, int with_outcomes)
{
	struct ctl_msg m;

	if (c->watching)
		watch_end(c);
	memset(&c->sub, 0, sizeof c->sub);
	c->sub.job = j;
	c->sub.outcome = with_outcomes ? watch_outcome : NULL;
	c->sub.job_changed = watch_changed;
	c->sub.committed = watch_committed;
	c->sub.arg = c;
	c->watch_rid = rid;
	c->watching = 1;
	c->last_done = job_done(j);
	sup_subscribe(c->ctl->sup, &c->sub);
	event_msg(c, j, CTL_EV_PROGRESS, &m);
	client_put(c, &m);
	if (j->rec.state != JOB_RUNNING && j->rec.state != JOB_PAUSED) {
		client_end(c, rid);
		watch_end(c);
	}
}

static void
watch_end(struct client *c)
{
	if (!c->watching)
		return;
	sup_unsubscribe(c->ctl->sup, &c->sub);
	c->watching = 0;
}

/* ---- who may ---- */

static int
peer_member(const struct client *c, gid_t g)
{
	int i;

	for (i = 0; i < c->ngroups; i++)
		if (c->groups[i] == g)
			return 1;
	return c->gid == g;
}

static int
peer_allowed(const struct control *ctl, const struct client *c)
{
	int i;

	if (c->uid == 0 || c->uid == geteuid())
		return 1;
	for (i = 0; i < ctl->opts.nusers; i++)
		if (ctl->opts.users[i] == c->uid)
			return 1;
	for (i = 0; i < ctl->opts.ngroups; i++)
		if (peer_member(c, ctl->opts.groups[i]))
			return 1;
	/* Whom the socket file lets connect (mode 0660): its group. */
	return ctl->sock_gid != (gid_t)-1 && peer_member(c, ctl->sock_gid);
}

/* Whether the peer's credentials give it `want` (R_OK, X_OK...) on sb:
 * the owner, group and other bits, as the kernel would decide without
 * ACLs. Root and the daemon's own user may everything the daemon may. */
static int
peer_may(const struct client *c, const struct stat *sb, int want)
{
	mode_t bits;

	if (c->uid == 0 || c->uid == geteuid())
		return 1;
	if (sb->st_uid == c->uid)
		bits = (sb->st_mode >> 6) & 7;
	else if (peer_member(c, sb->st_gid))
		bits = (sb->st_mode >> 3) & 7;
	else
		bits = sb->st_mode & 7;
	return (bits & (mode_t)want) == (mode_t)want;
}

/* The peer may read path: every directory above it searchable, and it
 * readable (and searchable, a directory). 0, or -1 with why. */
static int
peer_may_read(const struct client *c, const char *path, char *why, size_t len)
{
	char dir[PATH_MAX];
	struct stat sb;
	size_t i, n = strlen(path);

	if (n >= sizeof dir) {
		snprintf(why, len, "%s: path too long", sup_esc(path, n));
		return -1;
	}
	for (i = 1; i < n; i++) {
		if (path[i] != '/')
			continue;
		memcpy(dir, path, i);
		dir[i] = '\0';
		if (stat(dir, &sb) == 0 && !peer_may(c, &sb, X_OK)) {
			snprintf(why, len, "%s: permission denied (to uid %u)", sup_esc(path, n),
			    (unsigned)c->uid);
			return -1;
		}
	}
	if (stat(path, &sb) < 0) {
		snprintf(why, len, "%s: %s", sup_esc(path, n), strerror(errno));
		return -1;
	}
	if (!peer_may(c, &sb, S_ISDIR(sb.st_mode) ? R_OK | X_OK : R_OK)) {
		snprintf(why, len, "%s: permission denied (to uid %u)", sup_esc(path, n),
		    (unsigned)c->uid);
		return -1;
	}
	return 0;
}

/* ---- checks ---- */

/* A handler a client may ask for: a built-in one, or a plugin it can read
 * itself (its code runs in our children). 0, or -1 answered. */
static int
handler_allowed(struct client *c, const char *handler, uint64_t rid)
{
	char err[1024];

	if (strcmp(handler, "archive") == 0 || strcmp(handler, "sha256") == 0 ||
	    strcmp(handler, "exec") == 0)
		return 0;
	if (handler[0] != '/') {
		client_error(c, rid, CTL_E_BAD_REQUEST, "a plugin is named by its absolute path");
		return -1;
	}
	if (peer_may_read(c, handler, err, sizeof err) < 0) {
		client_error(c, rid, CTL_E_DENIED, "%s", err);
		return -1;
	}
	return 0;
}

static void
check_unlink(struct check *k)
{
	struct check **p;

	for (p = &k->c->checks; *p; p = &(*p)->next)
		if (*p == k) {
			*p = k->next;
			k->c->nchecks--;
			break;
		}
}

static void
check_done(void *arg, int status, const char *error, size_t elen, const uint8_t *result,
    size_t rlen)
{
	struct check *k = arg;
	struct ctl_msg m = { .type = CTL_VERDICT, .rid = k->rid };

	m.verdict.status = status;
	m.verdict.error = error;
	m.verdict.error_len = elen;
	m.verdict.result = result;
	m.verdict.result_len = rlen;
	samples_add(&k->c->ctl->sup->stats.check_ms, (ev_time() - k->asked) * 1000);
	histogram_add(&k->c->ctl->sup->stats.check_s, ev_time() - k->asked);
	check_unlink(k);
	client_put(k->c, &m);
	free(k);
}

/* CHECK: one file, passed by the client, through the check lane. */
static void
do_check(struct client *c, const struct ctl_msg *m)
{
	struct sup *s = c->ctl->sup;
	const struct ctl_check *q = &m->check;
	char handler[CTL_CMD_MAX + 1], arg[CTL_CMD_MAX + 1], err[1024];
	struct job_opts opts = q->opts;
	struct check *k;
	int fd = ipc_take_fd(&c->rd);

	if (fd < 0) {
		client_error(c, m->rid, CTL_E_BAD_REQUEST, "a CHECK carries the file's descriptor");
		return;
	}
	snprintf(handler, sizeof handler, "%.*s", (int)q->handler_len, q->handler);
	snprintf(arg, sizeof arg, "%.*s", (int)q->arg_len, q->arg);
	if (handler_allowed(c, handler, m->rid) < 0)
		goto out;
	if (s->nlanes == 0) {
		client_error(c, m->rid, CTL_E_UNSUPPORTED, "this service has no check lane (--check-workers 0)");
		goto out;
	}
	if (!opts.sandbox.enabled) {
		client_error(c, m->rid, CTL_E_DENIED, "--no-sandbox is not for checks of the service");
		goto out;
	}
	if (opts.extract) {
		client_error(c, m->rid, CTL_E_BAD_REQUEST, "a check extracts nothing");
		goto out;
	}
	if (c->nchecks >= CHECKS_MAX) {
		client_error(c, m->rid, CTL_E_BUSY, "%d checks of this client under way already", c->nchecks);
		goto out;
	}
	opts.sandbox = s->child_sandbox;
	opts.sandbox.memory_limit = q->opts.sandbox.memory_limit;
	opts.sandbox.cpu_s = (uint32_t)(s->check_timeout_ms / 1000 + 2);
	/* The check lane's children are the service's to replace. */
	opts.max_tasks = opts.max_rss = opts.max_rss_hard = 0;
	if ((k = calloc(1, sizeof *k)) == NULL) {
		client_error(c, m->rid, CTL_E_BUSY, "out of memory");
		goto out;
	}
	k->c = c;
	k->rid = m->rid;
	k->asked = ev_time();
	if ((k->w = sup_check(s, handler, arg, &opts, s->check_timeout_ms, fd, check_done, k)) == NULL) {
		snprintf(err, sizeof err, "%s", strerror(errno));
		free(k);
		client_error(c, m->rid, CTL_E_BUSY, "unable to queue the check: %s", err);
		goto out;
	}
	k->next = c->checks;
	c->checks = k;
	c->nchecks++;
out:
	close(fd);
}

/* ---- requests ---- */

/* DELETE and RETRY: they work on the store, live job or not. */
static void
do_store_job(struct client *c, const struct ctl_msg *m)
{
	struct sup *s = c->ctl->sup;
	struct store_job rec;
	struct job *j;
	uint64_t after = 0, n = 0, total = 0;
	int r;

	if (find_job(c, m->rid, &m->target, &rec) < 0)
		return;
	j = view_live_job(s, rec.id);
	if (m->type == CTL_DELETE) {
		if (j && (j->rec.state == JOB_RUNNING || j->rec.state == JOB_PAUSED)) {
			client_error(c, m->rid, CTL_E_BAD_STATE, "job %s is %s: cancel it first",
			    rec.name, job_state_name(j->rec.state));
			return;
		}
		if (j && j->inflight > 0) {
			client_error(c, m->rid, CTL_E_BUSY, "job %s: its files are still being stopped",
			    rec.name);
			return;
		}
		if (sup_job_delete(s, &rec) < 0) {
			client_error(c, m->rid, CTL_E_INTERNAL, "unable to delete job %s: %s", rec.name,
			    store_strerror(s->st));
			return;
		}
		log_infox("job %s deleted by uid %u", rec.name, (unsigned)c->uid);
		client_ok(c, m->rid, NULL);
		return;
	}
	/* RETRY: its failed, crashed and timed-out files are pending again. */
	if (j && j->rec.state == JOB_RUNNING && j->inflight > 0) {
		client_error(c, m->rid, CTL_E_BUSY, "job %s is running: retry it once it ends", rec.name);
		return;
	}
	if (j == NULL && (j = sup_job_take_up(s, &rec)) == NULL) {
		client_error(c, m->rid, CTL_E_INTERNAL, "unable to take up job %s", rec.name);
		return;
	}
	do {
		if ((r = sup_txn(s)) < 0)
			break;
		r = store_retry(s->st, &j->rec, m->target.quarantined ? 1u << OUT_QUARANTINED :
		    STORE_RETRY_MASK, &after, &n);
		total += n;
		j->dirty = 1;
	} while (r == 1);
	if (r < 0) {
		client_error(c, m->rid, CTL_E_INTERNAL, "unable to retry job %s: %s", rec.name,
		    store_strerror(s->st));
		return;
	}
	sup_job_rerun(s, j);
	log_infox("job %s: %llu file%s pending again, asked by uid %u", j->rec.name,
	    (unsigned long long)total, plural_s(total), (unsigned)c->uid);
	client_ok(c, m->rid, j);
}

#define GAVE(given, bit)	((given) & UINT64_C(1) << (bit))

static void
do_submit(struct client *c, const struct ctl_msg *m)
{
	struct sup *s = c->ctl->sup;
	const struct ctl_submit *q = &m->submit;
	const struct job_spec *def = c->ctl->opts.defaults;
	uint64_t given = def ? q->given : CTL_GIVEN_ALL;
	const char *from_defaults = given == CTL_GIVEN_ALL ? "" :
	    " (the options not given are the service's [defaults])";
	struct job_spec spec;
	struct job *j;
	char name[CTL_NAME_MAX + 1], handler[CTL_CMD_MAX + 1], arg[CTL_CMD_MAX + 1];
	char extract[CTL_PATH_MAX + 1], err[9300];
	char **inputs = NULL;
	const char *p;
	size_t off = 0, plen;
	uint64_t memory;
	uint32_t i = 0;

	if ((inputs = calloc(q->inputs.n + 1, sizeof *inputs)) == NULL) {
		client_error(c, m->rid, CTL_E_BUSY, "out of memory");
		return;
	}
	while (i < q->inputs.n && ctl_paths_next(&q->inputs, &off, &p, &plen) == 1) {
		if ((inputs[i] = strndup(p, plen)) == NULL) {
			client_error(c, m->rid, CTL_E_BUSY, "out of memory");
			goto out;
		}
		if (peer_may_read(c, inputs[i++], err, sizeof err) < 0) {
			client_error(c, m->rid, CTL_E_DENIED, "%s", err);
			goto out;
		}
	}
	spec_submitted(def, q, given, &spec, handler, arg, extract);
	if ((GAVE(given, CTL_GIVEN_HANDLER) || GAVE(given, CTL_GIVEN_EXEC)) &&
	    handler_allowed(c, handler, m->rid) < 0)
		goto out;
	if (q->name_len > 0) {
		snprintf(name, sizeof name, "%.*s", (int)q->name_len, q->name);
		spec.job_name = name;
	}
	/* Its files are read only as far as the submitter may read them,
	 * from the first one on. */
	spec.has_owner = 1;
	spec.owner = c->uid;
	spec.inputs = inputs;
	spec.ninputs = (int)i;
	spec.list_sep = '\n';
	/* The walls are the daemon's to set, never a client's: no
	 * --no-sandbox, no user of its choosing. */
	if (!q->opts.sandbox.enabled) {
		client_error(c, m->rid, CTL_E_DENIED, "--no-sandbox is not for jobs of the service");
		goto out;
	}
	memory = spec.child.sandbox.memory_limit;
	spec.child.sandbox = s->child_sandbox;
	spec.child.sandbox.memory_limit = memory;
	spec.child.sandbox.cpu_s = (uint32_t)(spec.timeout_ms / 1000 + 2);
	if (GAVE(given, CTL_GIVEN_EXTRACT) && q->extract_len > 0 && c->uid != 0 &&
	    c->uid != geteuid()) {
		client_error(c, m->rid, CTL_E_DENIED,
		    "--extract writes as the service: only its own user and root may ask for it");
		goto out;
	}
	if (spec_check(&spec, err, sizeof err) < 0) {
		client_error(c, m->rid, CTL_E_BAD_REQUEST, "%s%s", err, from_defaults);
		goto out;
	}
	if ((j = sup_job_open(s, &spec, err, sizeof err)) == NULL) {
		client_error(c, m->rid, store_full(s->st) ? CTL_E_DISK_FULL :
		    strstr(err, "another user's") ? CTL_E_DENIED :
		    strstr(err, " already: ") ? CTL_E_BAD_STATE :
		    strstr(err, "another spec") || strstr(err, " with ") ? CTL_E_EXISTS :
		    CTL_E_BAD_REQUEST, "%s%s", err, strstr(err, " with ") ? from_defaults : "");
		goto out;
	}
	log_infox("job %s submitted by uid %u (pid %d): %s", j->rec.name, (unsigned)c->uid,
	    (int)c->pid, j->rec.inputs);
	client_ok(c, m->rid, j);
	if (q->wait) {
		watch_start(c, j, m->rid, 1);
		c->cancel_on_close = c->watching;
	}
out:
	for (i = 0; inputs && inputs[i]; i++)
		free(inputs[i]);
	free(inputs);
}

static void
do_workers(struct client *c, uint64_t rid, const struct job *only)
{
	struct sup *s = c->ctl->sup;
	int i;

	for (i = 0; i < s->nslots && !c->dead; i++) {
		const struct slot *sl = s->slots[i];
		struct ctl_msg m = { .type = CTL_WORKER, .rid = rid };

		if (only && sl->job != only)
			continue;
		/* Another user's job: its name and files are not this one's to see. */
		view_worker(s, i, sl->job && (sl->job->check || peer_owns(c, &sl->job->rec)), &m.worker);
		client_put(c, &m);
	}
	client_end(c, rid);
}

/* METRICS: the pool's, with only the peer's own jobs' series unless it is
 * privileged; in TEXT chunks of whole lines, then END. */
static int
metrics_visible(const struct job *j, void *arg)
{
	return peer_owns(arg, &j->rec);
}

static void
do_metrics(struct client *c, uint64_t rid)
{
	struct ctl_msg m = { .type = CTL_TEXT, .rid = rid };
	char *text = NULL;
	const char *nl;
	size_t len = 0, off, n;
	FILE *f = open_memstream(&text, &len);
	int r;

	if (f == NULL) {
		client_error(c, rid, CTL_E_INTERNAL, "unable to write the metrics: %s", strerror(errno));
		return;
	}
	r = metrics_write(f, c->ctl->sup, metrics_visible, c);
	if (fclose(f) == EOF || r < 0) {
		free(text);
		client_error(c, rid, CTL_E_INTERNAL, "unable to write the metrics: out of memory");
		return;
	}
	for (off = 0; off < len && !c->dead; off += n) {
		n = len - off;
		if (n > CTL_CHUNK_MAX) {
			nl = memrchr(text + off, '\n', CTL_CHUNK_MAX);
			n = nl ? (size_t)(nl - (text + off)) + 1 : CTL_CHUNK_MAX;
		}
		m.text.text = text + off;
		m.text.len = n;
		client_put(c, &m);
	}
	free(text);
	client_end(c, rid);
}

/* A request that acts on one live job: pause, resume, cancel, status. */
static void
do_job(struct client *c, const struct ctl_msg *m)
{
	struct sup *s = c->ctl->sup;
	struct store_job rec;
	struct job *j;
	int r = 0;

	if (find_job(c, m->rid, &m->target, &rec) < 0)
		return;
	j = view_live_job(s, rec.id);
	switch (m->type) {
	case CTL_STATUS:
		put_job(c, m->rid, &rec);
		if (j)
			do_workers(c, m->rid, j);
		else
			client_end(c, m->rid);
		return;
	case CTL_RESULTS:
		c->stream.on = 1;
		c->stream.rid = m->rid;
		c->stream.job = rec.id;
		c->stream.after = m->target.after;
		c->stream.failed = m->target.failed;
		stream_page(c);
		return;
	case CTL_WATCH:
		if (j == NULL) {
			/* Not in the pool: ended, as its record says. */
			struct ctl_msg e = { .type = CTL_EVENT, .rid = m->rid };

			client_ok(c, m->rid, NULL);
			e.event.job = rec.name;
			e.event.job_len = strlen(rec.name);
			e.event.kind = CTL_EV_STATE;
			e.event.done = store_done(&rec);
			e.event.total = rec.total;
			e.event.state = job_state_name(rec.state);
			e.event.state_len = strlen(e.event.state);
			client_put(c, &e);
			client_end(c, m->rid);
			return;
		}
		client_ok(c, m->rid, j);
		watch_start(c, j, m->rid, 1);
		return;
	}
	if (j == NULL) {
		client_error(c, m->rid, CTL_E_BAD_STATE, "job %s is %s", rec.name,
		    job_state_name(rec.state));
		return;
	}
	switch (m->type) {
	case CTL_PAUSE:
		r = sup_job_pause(s, j);
		break;
	case CTL_RESUME:
		r = sup_job_resume(s, j);
		break;
	case CTL_CANCEL:
		if (j->rec.state != JOB_RUNNING && j->rec.state != JOB_PAUSED)
			r = -1;
		else
			sup_job_end(s, j, JOB_CANCELLED, "cancelled");
		break;
	}
	if (r < 0) {
		client_error(c, m->rid, CTL_E_BAD_STATE, "job %s is %s", j->rec.name,
		    job_state_name(j->rec.state));
		return;
	}
	log_infox("job %s: %s by uid %u", j->rec.name, ipc_type_name(m->type) + 4, (unsigned)c->uid);
	client_ok(c, m->rid, j);
}

static void
do_request(struct client *c, const uint8_t *body, size_t len)
{
	struct ctl_msg m;
	struct jobs_walk w;
	const char *why;

	if (ctl_decode(body, len, CTL_REQUESTS, &m, &why) < 0) {
		log_warnx("client %d (uid %u): bad request: %s", (int)c->pid, (unsigned)c->uid, why);
		client_error(c, m.rid, CTL_E_BAD_REQUEST, "%s", why);
		return;
	}
	if (!c->hello && m.type != CTL_HELLO) {
		client_error(c, m.rid, CTL_E_UNSUPPORTED, "HELLO first");
		return;
	}
	if (c->stream.on) {
		client_error(c, m.rid, CTL_E_BUSY, "one request at a time while results stream");
		return;
	}
	switch (m.type) {
	case CTL_HELLO:
		if (m.hello.version != IPC_PROTO_VERSION) {
			c->closing = 1;	/* once the ERROR is out */
			client_error(c, m.rid, CTL_E_UNSUPPORTED, "protocol %u, not %d",
			    (unsigned)m.hello.version, IPC_PROTO_VERSION);
			return;
		}
		c->hello = 1;
		m.hello.pid = (uint32_t)getpid();
		client_put(c, &m);
		return;
	case CTL_SUBMIT:
		if (c->ctl->sup->draining) {
			client_error(c, m.rid, CTL_E_BUSY, "the service is stopping");
			return;
		}
		if (c->ctl->sup->disk_full) {
			client_error(c, m.rid, CTL_E_DISK_FULL, "the state directory's disk is full: "
			    "nothing more is taken until there is room");
			return;
		}
		do_submit(c, &m);
		return;
	case CTL_JOBS:
		w.c = c;
		w.rid = m.rid;
		if (store_jobs_each(c->ctl->sup->st, jobs_one, &w) < 0)
			client_error(c, m.rid, CTL_E_INTERNAL, "unable to read the jobs: %s",
			    store_strerror(c->ctl->sup->st));
		else
			client_end(c, m.rid);
		return;
	case CTL_WORKERS:
		do_workers(c, m.rid, NULL);
		return;
	case CTL_STATUS:
	case CTL_RESULTS:
	case CTL_WATCH:
	case CTL_PAUSE:
	case CTL_RESUME:
	case CTL_CANCEL:
		do_job(c, &m);
		return;
	case CTL_DELETE:
	case CTL_RETRY:
		do_store_job(c, &m);
		return;
	case CTL_CHECK:
		do_check(c, &m);
		return;
	case CTL_METRICS:
		do_metrics(c, m.rid);
		return;
	default:
		client_error(c, m.rid, CTL_E_UNSUPPORTED, "%s is not served here",
		    ipc_type_name(m.type));
		return;
	}
}

/* ---- the connection ---- */

/* Answers the whole requests read so far, a few a turn: others are served
 * in between, and the rest are taken in the next turn even if the client
 * sends nothing more. */
static void
client_take(struct client *c)
{
	const uint8_t *body;
	size_t len;
	int r, n = 0;

	while (!c->dead && !c->closing && (r = ipc_next(&c->rd, &body, &len)) != 0) {
		if (r < 0) {
			client_close(c, "sent a frame of a bad length");
			return;
		}
		do_request(c, body, len);
		if (++n == REQUESTS_A_TURN) {
			ev_timer_start(c->ctl->sup->loop, &c->more);
			return;
		}
	}
}

static void
client_more_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop, (void)revents;
	client_take(w->data);
}

static void
client_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct client *c = w->data;
	ssize_t n;

	(void)loop, (void)revents;
	n = ipc_read(&c->rd, c->fd, 1);	/* a CHECK's file rides with it */
	/* EMSGSIZE: a bad length prefix, which client_take refuses. */
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR && errno != EMSGSIZE)) {
		client_close(c, NULL);
		return;
	}
	client_take(c);
}

static void
client_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct client *c = w->data;

	(void)loop, (void)revents;
	client_flush(c);
	if (!c->dead && c->stream.on)
		stream_page(c);
}

static void
reap_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct control *ctl = w->data;
	struct client **p, *c;

	(void)revents;
	for (p = &ctl->clients; (c = *p) != NULL; ) {
		if (!c->dead) {
			p = &c->next;
			continue;
		}
		*p = c->next;
		ipc_reader_free(&c->rd);
		ipc_buf_free(&c->out);
		free(c);
		ctl->nclients--;
	}
	ev_idle_stop(loop, w);
}

static void
client_close(struct client *c, const char *why)
{
	struct control *ctl = c->ctl;
	struct sup *s = ctl->sup;

	if (c->dead)
		return;
	c->dead = 1;
	if (why)
		log_warnx("client %d (uid %u) %s: closed", (int)c->pid, (unsigned)c->uid, why);
	/* It waited for its job: gone, it wants it no more. */
	if (c->watching && c->cancel_on_close && !s->stopping) {
		struct job *j = c->sub.job;

		watch_end(c);
		if (j->rec.state == JOB_RUNNING || j->rec.state == JOB_PAUSED) {
			log_infox("job %s: its client went away: cancelled", j->rec.name);
			sup_job_end(s, j, JOB_CANCELLED, "its waiting client went away");
		}
	}
	watch_end(c);
	/* Its checks: nobody to answer any more. */
	while (c->checks) {
		struct check *k = c->checks;

		c->checks = k->next;
		sup_check_cancel(s, k->w);
		free(k);
	}
	c->nchecks = 0;
	ev_io_stop(s->loop, &c->rio);
	ev_io_stop(s->loop, &c->wio);
	ev_timer_stop(s->loop, &c->more);
	close(c->fd);
	c->fd = -1;
	ev_idle_start(s->loop, &ctl->reap);
}

static void
accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct control *ctl = w->data;
	struct client *c;
	struct ucred cred;
	socklen_t clen = sizeof cred;
	struct passwd *pw;
	int fd, n;

	(void)revents;
	fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("control socket: accept");
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
		log_warn("control socket: SO_PEERCRED");
		close(fd);
		return;
	}
	if (ctl->nclients >= CLIENTS_MAX || (c = calloc(1, sizeof *c)) == NULL) {
		log_warnx("client %d (uid %u) turned away: %d clients already", (int)cred.pid,
		    (unsigned)cred.uid, ctl->nclients);
		close(fd);
		return;
	}
	c->ctl = ctl;
	c->fd = fd;
	c->uid = cred.uid;
	c->gid = cred.gid;
	c->pid = cred.pid;
	n = PEER_GROUPS;
	if ((pw = getpwuid(cred.uid)) != NULL &&
	    getgrouplist(pw->pw_name, cred.gid, c->groups, &n) >= 0)
		c->ngroups = n;
	ipc_reader_init(&c->rd, CTL_FRAME_MAX);
	ev_io_init(&c->rio, client_read_cb, fd, EV_READ);
	ev_io_init(&c->wio, client_write_cb, fd, EV_WRITE);
	ev_timer_init(&c->more, client_more_cb, 0, 0);
	c->rio.data = c->wio.data = c->more.data = c;
	c->next = ctl->clients;
	ctl->clients = c;
	ctl->nclients++;
	if (!peer_allowed(ctl, c)) {
		log_warnx("client %d (uid %u, gid %u) refused: not an allowed user or group",
		    (int)c->pid, (unsigned)c->uid, (unsigned)c->gid);
		client_error(c, 0, CTL_E_DENIED, "uid %u may not use this service", (unsigned)c->uid);
		c->closing = 1;
		client_flush(c);
		return;
	}
	ev_io_start(loop, &c->rio);
}

int
control_start(struct sup *s, const struct control_opts *o, char *err, size_t errlen)
{
	struct control *ctl = calloc(1, sizeof *ctl);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat sb;
	int fd = o->fd, probe;

	if (ctl == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ctl->sup = s;
	ctl->opts = *o;
	if (fd < 0) {
		if (strlen(o->path) >= sizeof sa.sun_path) {
			snprintf(err, errlen, "control socket %s: path too long (at most %zu bytes)",
			    sup_esc(o->path, strlen(o->path)), sizeof sa.sun_path - 1);
			goto fail;
		}
		memcpy(sa.sun_path, o->path, strlen(o->path));
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			snprintf(err, errlen, "control socket: %s", strerror(errno));
			goto fail;
		}
		/* A socket file left by a daemon that died is ours to replace;
		 * one a live daemon answers on is not. */
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0) {
			close(probe);
			close(fd);
			snprintf(err, errlen, "control socket %s is in use by another corral serve",
			    sup_esc(o->path, strlen(o->path)));
			goto fail;
		}
		if (probe >= 0)
			close(probe);
		unlink(o->path);
		if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
		    chmod(o->path, o->mode) < 0 ||
		    (o->group != (gid_t)-1 && chown(o->path, (uid_t)-1, o->group) < 0) ||
		    listen(fd, 128) < 0) {
			snprintf(err, errlen, "control socket %s: %s", sup_esc(o->path, strlen(o->path)),
			    strerror(errno));
			close(fd);
			goto fail;
		}
		ctl->bound = 1;
	} else
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	ctl->fd = fd;
	ctl->sock_gid = (gid_t)-1;
	if (stat(o->path, &sb) == 0 && S_ISSOCK(sb.st_mode) && (sb.st_mode & 060) == 060)
		ctl->sock_gid = sb.st_gid;
	ev_io_init(&ctl->lio, accept_cb, fd, EV_READ);
	ctl->lio.data = ctl;
	ev_io_start(s->loop, &ctl->lio);
	ev_idle_init(&ctl->reap, reap_cb);
	ctl->reap.data = ctl;
	the = ctl;
	return 0;
fail:
	free(ctl);
	return -1;
}

void
control_stop(struct sup *s)
{
	struct control *ctl = the;
	struct client *c;

	if (ctl == NULL)
		return;
	for (c = ctl->clients; c; c = c->next) {
		c->cancel_on_close = 0;	/* the service stops: its jobs stay */
		client_close(c, NULL);
	}
	reap_cb(s->loop, &ctl->reap, 0);
	ev_io_stop(s->loop, &ctl->lio);
	close(ctl->fd);
	if (ctl->bound)
		unlink(ctl->opts.path);
	free(ctl);
	the = NULL;
}

void
control_reload(struct sup *s, const struct control_opts *o)
{
	(void)s;
	if (the == NULL)
		return;
	the->opts.nusers = o->nusers;
	memcpy(the->opts.users, o->users, sizeof o->users);
	the->opts.ngroups = o->ngroups;
	memcpy(the->opts.groups, o->groups, sizeof o->groups);
	the->opts.defaults = o->defaults;
}

int
control_clients(const struct sup *s)
{
	(void)s;
	return the ? the->nclients : 0;
}
