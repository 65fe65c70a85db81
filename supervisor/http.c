/* http: the web server of the pool (http.h). libmicrohttpd in its external
 * epoll mode: MHD_run is called when its epoll descriptor is readable or
 * its timeout falls due, and nowhere else. Each request is answered at
 * once, from a buffer page.c fills; libmicrohttpd writes it as the client
 * reads, bounded by its per-connection limits. The failures the status page
 * lists come from the pool's group commit, as a subscriber. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <dlfcn.h>

#include <microhttpd.h>

#include "common/log.h"
#include "supervisor/http.h"
#include "supervisor/metrics.h"
#include "supervisor/page.h"
#include "supervisor/sup.h"

#define CONNECTIONS_MAX	64		/* at once; more wait in the backlog */
#define IDLE_TIMEOUT	10		/* seconds a connection may sit silent */
#define CONN_MEMORY	(64u << 10)	/* a request's head, at most (libmicrohttpd) */
#define RECENT_MAX	20		/* failures the status page lists */
#define KEEP_PATH	4096		/* bytes of a failure's path kept */
#define KEEP_TEXT	1024		/* ... of its error and its stderr */
#define KEEP_RESULT	PAGE_RESULT_MAX	/* ... of its result map, else none */

/* What every answer says about itself: nothing cached, nothing sniffed,
 * no frame, no referrer; and for a page, no script or style but its own
 * files, so that no byte of a file's name can run as script. */
#define CSP	"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " \
		"img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

struct http {
	struct sup *sup;
	struct MHD_Daemon *d;
	ev_io io;
	ev_timer tm;
	int loopback;			/* listening on a loopback address only */
	char url[128];
	struct sup_sub sub;
	struct page_failure *recent[RECENT_MAX];	/* a ring, [head] the oldest */
	int head, nrecent;
};

static struct http *the;

/* libmicrohttpd is opened when a web server starts, not linked: linked, it
 * and the TLS stack it brings were loaded and set up by every start of the
 * program, each child's too, about a third of the time a child took to
 * say hello. */
#ifndef MHD_SONAME	/* the Makefile reads it off the library */
#define MHD_SONAME	"libmicrohttpd.so.12"
#endif
#define MHD_FUNCS(X) X(start_daemon) X(stop_daemon) X(run) X(get_timeout) X(get_daemon_info) \
	X(lookup_connection_value) X(get_connection_values) X(create_response_from_buffer) \
	X(add_response_header) X(queue_response) X(destroy_response)
static struct {
#define X(f) __typeof__(MHD_##f) (*(f));
	MHD_FUNCS(X)
#undef X
} mhd;
static void *mhd_lib;	/* open for the process's life once loaded */

static int
mhd_load(char *err, size_t errlen)
{
	void *lib;

	if (mhd.start_daemon != NULL)
		return 0;
	if ((lib = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, errlen, "http: unable to load libmicrohttpd: %s", dlerror());
		return -1;
	}
#define X(f) if ((*(void **)&mhd.f = dlsym(lib, "MHD_" #f)) == NULL) {	\
		snprintf(err, errlen, "http: libmicrohttpd lacks MHD_%s", #f);	\
		memset(&mhd, 0, sizeof mhd);					\
		dlclose(lib);							\
		return -1;							\
	}
	MHD_FUNCS(X)
#undef X
	mhd_lib = lib;
	return 0;
}

/* ---- the failures the page lists ---- */

static char *
keep(char **at, const void *p, size_t n)
{
	char *q = *at;

	if (n)
		memcpy(q, p, n);
	q[n] = '\0';
	*at += n + 1;
	return q;
}

static void
recent_outcome(void *arg, struct job *j, uint64_t seq, const char *path, size_t plen,
    const struct store_outcome *o)
{
	struct http *h = arg;
	struct page_failure *f;
	size_t name_len = strlen(j->rec.name), elen, tlen, rlen;
	char *at;
	int slot;

	if (o->status == OUT_OK || j->check)
		return;
	plen = plen < KEEP_PATH ? plen : KEEP_PATH;
	elen = o->error_len < KEEP_TEXT ? o->error_len : KEEP_TEXT;
	tlen = o->tail_len < KEEP_TEXT ? o->tail_len : KEEP_TEXT;
	rlen = o->result_len <= KEEP_RESULT ? o->result_len : 0;
	f = malloc(sizeof *f + name_len + plen + elen + tlen + rlen + 5);
	if (f == NULL)
		return;		/* the page lists one failure fewer */
	at = (char *)(f + 1);
	f->job_id = j->rec.id;
	f->seq = seq;
	f->o = *o;
	f->job = keep(&at, j->rec.name, name_len);
	f->path = keep(&at, path, plen);
	f->path_len = plen;
	f->o.error = keep(&at, o->error, elen);
	f->o.error_len = elen;
	f->o.tail = keep(&at, o->tail, tlen);
	f->o.tail_len = tlen;
	f->o.result = (const uint8_t *)keep(&at, o->result, rlen);
	f->o.result_len = rlen;
	f->result_omitted = rlen < o->result_len ? o->result_len : 0;
	if (h->nrecent < RECENT_MAX)
		slot = (h->head + h->nrecent++) % RECENT_MAX;
	else {
		slot = h->head;
		free(h->recent[slot]);
		h->head = (h->head + 1) % RECENT_MAX;
	}
	h->recent[slot] = f;
}

/* The ring, newest first, into out[RECENT_MAX]. */
static struct page_recent
recent_list(struct http *h, const struct page_failure **out)
{
	int i;

	for (i = 0; i < h->nrecent; i++)
		out[i] = h->recent[(h->head + h->nrecent - 1 - i) % RECENT_MAX];
	return (struct page_recent){ .f = out, .n = h->nrecent };
}

/* ---- answering ---- */

static enum MHD_Result
respond(struct MHD_Connection *c, unsigned code, const char *type, char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ok;

	r = mhd.create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	mhd.add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	mhd.add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	mhd.add_response_header(r, "X-Content-Type-Options", "nosniff");
	mhd.add_response_header(r, "Referrer-Policy", "no-referrer");
	mhd.add_response_header(r, "X-Frame-Options", "DENY");
	mhd.add_response_header(r, "Content-Security-Policy", CSP);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		mhd.add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ok = mhd.queue_response(c, code, r);
	mhd.destroy_response(r);
	return ok;
}

static enum MHD_Result
respond_static(struct MHD_Connection *c, const char *type, const char *text)
{
	char *body = strdup(text);

	return body ? respond(c, MHD_HTTP_OK, type, body, strlen(body)) : MHD_NO;
}

/* A plain line, for what is refused before any page is built. */
static enum MHD_Result
respond_text(struct MHD_Connection *c, unsigned code, const char *fmt, ...)
{
	va_list ap;
	char *body;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&body, fmt, ap);
	va_end(ap);
	return n < 0 ? MHD_NO : respond(c, code, "text/plain; charset=utf-8", body, (size_t)n);
}

/* A Host header a page on a loopback address answers: a loopback address
 * or localhost, with a port or none, and nothing else. Another name is a
 * DNS rebinding, a page elsewhere reaching this one through the browser:
 * refused. */
static int
host_allowed(const char *host)
{
	char name[256];
	const char *end, *port;
	struct in6_addr a6;
	struct in_addr a4;
	size_t n;

	if (host[0] == '[') {
		end = strchr(host, ']');
		if (end == NULL || (size_t)(end - host - 1) >= sizeof name)
			return 0;
		n = (size_t)(end - host - 1);
		port = end + 1;
	} else {
		n = strcspn(host, ":");
		if (n >= sizeof name)
			return 0;
		port = host + n;
	}
	if (*port == ':' && (port[1] == '\0' || strspn(port + 1, "0123456789") != strlen(port + 1)))
		return 0;
	if (*port != ':' && *port != '\0')
		return 0;
	memcpy(name, host[0] == '[' ? host + 1 : host, n);
	name[n] = '\0';
	if (host[0] == '[')
		return inet_pton(AF_INET6, name, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
	if (strcasecmp(name, "localhost") == 0)
		return 1;
	return inet_pton(AF_INET, name, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

static enum MHD_Result
count_host(void *arg, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	(void)value;
	if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0)
		(*(int *)arg)++;
	return MHD_YES;
}

/* Decodes %XX in place, as libmicrohttpd would, but for %00: a NUL would
 * cut the name it is in short, so it stays as it is written (and names
 * nothing). Returns the new length. */
static size_t
unescape(void *arg, struct MHD_Connection *c, char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *hi, *lo;
	char *r = s, *w = s;

	(void)arg;
	(void)c;
	while (*r) {
		if (r[0] == '%' && r[1] && r[2] && (hi = strchr(hex, r[1] | 0x20)) != NULL &&
		    (lo = strchr(hex, r[2] | 0x20)) != NULL && (hi != hex || lo != hex)) {
			*w++ = (char)((hi - hex) << 4 | (lo - hex));
			r += 3;
		} else
			*w++ = *r++;
	}
	*w = '\0';
	return (size_t)(w - s);
}

/* A decimal number in a query argument, in *v: def when absent; up to max
 * (a larger one is max, clamp) or refused (not clamp). 0, or -1 for a
 * value that is no whole number in range. */
static int
arg_num(struct MHD_Connection *c, const char *key, uint64_t def, uint64_t max, int clamp,
    uint64_t *v)
{
	const char *s = mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
	unsigned long long n;
	char *end;

	*v = def;
	if (s == NULL)
		return 0;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (*end != '\0' || (errno && !clamp) || (n > max && !clamp))
		return -1;
	*v = errno || n > max ? max : n;
	return 0;
}

/* The job a path segment names: its id, or else its name. 0 found, 1 no
 * such job, -1 the store failed. */
static int
job_named(struct sup *s, const char *seg, struct store_job *out)
{
	unsigned long long id;
	char *end;

	if (*seg >= '0' && *seg <= '9') {
		errno = 0;
		id = strtoull(seg, &end, 10);
		if (errno == 0 && *end == '\0' && id > 0 && id <= UINT32_MAX)
			return store_job_by_id(s->st, (uint32_t)id, out);
	}
	return store_job_by_name(s->st, seg, out);
}

enum route { R_NONE, R_STATUS, R_JOB, R_API_STATUS, R_API_JOBS, R_API_JOB, R_API_FAILED, R_METRICS };

/* What a path asks for; *seg points at a job's name or id in it (cut at
 * its end in buf). */
static enum route
route(const char *url, char *buf, size_t len, const char **seg)
{
	const char *rest;
	char *slash;

	*seg = NULL;
	if (strcmp(url, "/") == 0)
		return R_STATUS;
	if (strcmp(url, "/metrics") == 0)
		return R_METRICS;
	if (strcmp(url, "/api/status") == 0)
		return R_API_STATUS;
	if (strcmp(url, "/api/jobs") == 0)
		return R_API_JOBS;
	if (strncmp(url, "/job/", 5) == 0 && url[5] != '\0' && strchr(url + 5, '/') == NULL) {
		*seg = url + 5;
		return R_JOB;
	}
	if (strncmp(url, "/api/jobs/", 10) != 0 || url[10] == '\0' ||
	    snprintf(buf, len, "%s", url + 10) >= (int)len)
		return R_NONE;
	*seg = buf;
	slash = strchr(buf, '/');
	if (slash == NULL)
		return R_API_JOB;
	*slash = '\0';
	rest = slash + 1;
	return strcmp(rest, "failed") == 0 ? R_API_FAILED : R_NONE;
}

static enum MHD_Result
answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_len, void **req)
{
	struct http *h = cls;
	struct sup *s = h->sup;
	const struct page_failure *list[RECENT_MAX];
	struct page_recent recent;
	struct store_job rec;
	char buf[1024], *body = NULL;
	const char *seg, *host, *type = "text/html; charset=utf-8";
	uint64_t after, limit;
	int hosts;
	size_t len = 0;
	unsigned code = MHD_HTTP_OK;
	int part, api, r = 0;
	enum route what;
	FILE *f;

	(void)upload;
	(void)upload_len;
	(void)req;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return respond_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "read-only: GET and HEAD only\n");
	hosts = 0;
	mhd.get_connection_values(c, MHD_HEADER_KIND, count_host, &hosts);
	host = mhd.lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	if (hosts > 1 || (hosts == 0 && strcmp(version, MHD_HTTP_VERSION_1_0) != 0))
		return respond_text(c, MHD_HTTP_BAD_REQUEST, "one Host header, please\n");
	if (h->loopback && host && !host_allowed(host))
		return respond_text(c, MHD_HTTP_FORBIDDEN,
		    "this server answers only to a loopback address or localhost\n");
	if (arg_num(c, "after", 0, UINT64_MAX, 0, &after) < 0 ||
	    arg_num(c, "limit", 100, PAGE_FILES_MAX, 1, &limit) < 0 || limit == 0)
		return respond_text(c, MHD_HTTP_BAD_REQUEST,
		    "after: a seq, a whole number; limit: a whole number from 1 (at most %d are given)\n",
		    PAGE_FILES_MAX);
	if (strcmp(url, "/static/corral.css") == 0)
		return respond_static(c, "text/css; charset=utf-8", page_css);
	if (strcmp(url, "/static/corral.js") == 0)
		return respond_static(c, "text/javascript; charset=utf-8", page_js);
	what = route(url, buf, sizeof buf, &seg);
	api = strncmp(url, "/api/", 5) == 0;
	if (seg != NULL && (r = job_named(s, seg, &rec)) != 0)
		what = R_NONE;
	part = mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "part") != NULL;
	if ((f = open_memstream(&body, &len)) == NULL)
		return MHD_NO;
	if (api)
		type = "application/json";
	switch (what) {
	case R_STATUS:
		recent = recent_list(h, list);
		page_status(f, s, &recent, part);
		break;
	case R_JOB:
		page_job(f, s, &rec, after, (int)limit, part);
		break;
	case R_API_STATUS:
		recent = recent_list(h, list);
		api_status(f, s, &recent);
		break;
	case R_API_JOBS:
		api_jobs(f, s);
		break;
	case R_API_JOB:
		api_job(f, s, &rec);
		break;
	case R_API_FAILED:
		api_failed(f, s, &rec, after, (int)limit);
		break;
	case R_METRICS:
		type = METRICS_CONTENT_TYPE;
		metrics_write(f, s, NULL, NULL);
		break;
	case R_NONE:
		code = r < 0 ? MHD_HTTP_INTERNAL_SERVER_ERROR : MHD_HTTP_NOT_FOUND;
		if (api)
			fprintf(f, "{\"error\":\"%s\"}\n", r < 0 ? "the state could not be read" :
			    seg ? "no such job" : "no such path");
		else
			page_error(f, code, r < 0 ? "The state could not be read." :
			    seg ? "No such job." : "No such page.");
		break;
	}
	if (fclose(f) != 0) {
		free(body);
		return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	}
	return respond(c, code, type, body, len);
}

/* ---- on the loop ---- */

static void
http_run(struct http *h)
{
	MHD_UNSIGNED_LONG_LONG ms;

	mhd.run(h->d);
	ev_timer_stop(h->sup->loop, &h->tm);
	if (mhd.get_timeout(h->d, &ms) == MHD_YES) {
		ev_timer_set(&h->tm, (double)ms / 1000, 0);
		ev_timer_start(h->sup->loop, &h->tm);
	}
}

static void
io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	http_run(w->data);
}

static void
tm_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	http_run(w->data);
}

static void
mhd_log(void *arg, const char *fmt, va_list ap)
{
	struct http *h = arg;
	char line[512];

	if (!h->sup->opts.verbose)
		return;		/* what a client did wrong is not the log's */
	vsnprintf(line, sizeof line, fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_infox("http: %s", line);
}

/* The URL a listener serves on, and whether it is on a loopback address:
 * 0, or -1 with err. */
static int
sock_url(int fd, int *loopback, char *url, size_t ulen, char *err, size_t errlen)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl = sizeof ss;
	char shown[INET6_ADDRSTRLEN];

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		snprintf(err, errlen, "http: descriptor %d: %s", fd, strerror(errno));
		return -1;
	}
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		*loopback = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
		inet_ntop(AF_INET6, &a->sin6_addr, shown, sizeof shown);
		snprintf(url, ulen, "http://[%s]:%u/", shown, ntohs(a->sin6_port));
	} else if (ss.ss_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		*loopback = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
		inet_ntop(AF_INET, &a->sin_addr, shown, sizeof shown);
		snprintf(url, ulen, "http://%s:%u/", shown, ntohs(a->sin_port));
	} else {
		snprintf(err, errlen, "http: descriptor %d is no TCP socket", fd);
		return -1;
	}
	return 0;
}

/* A listening socket on addr: its descriptor, or -1 with err. */
static int
listen_on(const char *addr, char *err, size_t errlen)
{
	char host[256], port[16], shown[300];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV }, *ai;
	const char *colon, *p;
	int fd, one = 1, r;
	size_t n;

	colon = strrchr(addr, ':');
	if (addr[0] == '[') {
		p = strchr(addr, ']');
		if (p == NULL || p[1] != ':' || (size_t)(p - addr - 1) >= sizeof host)
			goto bad;
		n = (size_t)(p - addr - 1);
		memcpy(host, addr + 1, n);
		host[n] = '\0';
		colon = p + 1;
	} else if (colon == NULL) {
		snprintf(host, sizeof host, "127.0.0.1");
		colon = addr - 1;
	} else {
		n = (size_t)(colon - addr);
		if (n >= sizeof host || memchr(addr, ':', n) != NULL)
			goto bad;
		memcpy(host, addr, n);
		host[n] = '\0';
		if (n == 0)
			snprintf(host, sizeof host, "127.0.0.1");
	}
	if (strlen(colon + 1) == 0 || strlen(colon + 1) >= sizeof port ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) || atol(colon + 1) > 65535)
		goto bad;
	snprintf(port, sizeof port, "%s", colon + 1);
	snprintf(shown, sizeof shown, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
	if ((r = getaddrinfo(host, port, &hints, &ai)) != 0) {
		snprintf(err, errlen, "http: cannot listen on %s: %s", sup_esc(shown, strlen(shown)),
		    gai_strerror(r));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 64) < 0) {
		snprintf(err, errlen, "http: cannot listen on %s: %s", sup_esc(shown, strlen(shown)),
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	return fd;
bad:
	snprintf(err, errlen, "http: '%s' is no address: give PORT, HOST:PORT or [IPV6]:PORT",
	    sup_esc(addr, strlen(addr)));
	return -1;
}

int
http_start(struct sup *s, const char *addr, int fd, char *err, size_t errlen)
{
	const union MHD_DaemonInfo *info;
	struct http *h;

	if (the != NULL) {
		snprintf(err, errlen, "http: already serving on %s", the->url);
		return -1;
	}
	if (mhd_load(err, errlen) < 0)
		return -1;
	if ((h = calloc(1, sizeof *h)) == NULL) {
		snprintf(err, errlen, "http: %s", strerror(errno));
		return -1;
	}
	h->sup = s;
	if (addr != NULL && (fd = listen_on(addr, err, errlen)) < 0) {
		free(h);
		return -1;
	}
	if (sock_url(fd, &h->loopback, h->url, sizeof h->url, err, errlen) < 0) {
		close(fd);
		free(h);
		return -1;
	}
	h->d = mhd.start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, answer, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTIONS_MAX,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
	    MHD_OPTION_END);
	info = h->d ? mhd.get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	if (info == NULL) {
		snprintf(err, errlen, "http: libmicrohttpd could not start on %s", h->url);
		if (h->d)
			mhd.stop_daemon(h->d);
		else
			close(fd);
		free(h);
		return -1;
	}
	ev_io_init(&h->io, io_cb, info->epoll_fd, EV_READ);
	h->io.data = h;
	ev_io_start(s->loop, &h->io);
	ev_timer_init(&h->tm, tm_cb, 0, 0);
	h->tm.data = h;
	h->sub.outcome = recent_outcome;
	h->sub.arg = h;
	sup_subscribe(s, &h->sub);
	the = h;
	http_run(h);
	log_infox("http: serving the status page on %s", h->url);
	return 0;
}

const char *
http_url(void)
{
	return the ? the->url : "";
}

void
http_stop(void)
{
	struct http *h = the;
	int i;

	if (h == NULL)
		return;
	ev_io_stop(h->sup->loop, &h->io);
	ev_timer_stop(h->sup->loop, &h->tm);
	sup_unsubscribe(h->sup, &h->sub);
	mhd.stop_daemon(h->d);
	for (i = 0; i < h->nrecent; i++)
		free(h->recent[(h->head + i) % RECENT_MAX]);
	free(h);
	the = NULL;
}
