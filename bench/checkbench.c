/* checkbench: what `corral check` costs a service's clients. Opens CLIENTS
 * connections to a service's control socket, and on each keeps one CHECK
 * of FILE (its descriptor passed, as `corral check` does) under way until
 * N have been answered in all; prints one JSON object: each check's latency
 * (from the request's send to its verdict) as p50, p99 and max in ms, and
 * the checks answered per second.
 *
 *	checkbench SOCKET FILE N CLIENTS [HANDLER] */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ipc/ctl.h"
#include "ipc/jobopts.h"

struct client {
	int fd;
	struct ipc_reader rd;
	double sent;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
put(int fd, const struct ctl_msg *m, int pass)
{
	struct ipc_buf b = { 0 };
	size_t off = 0;
	ssize_t n;

	if (ctl_put(&b, m) < 0) {
		perror("checkbench: encode");
		exit(2);
	}
	while (off < b.len) {
		n = ipc_send(fd, b.data + off, b.len - off, off == 0 ? pass : -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("checkbench: send");
			exit(2);
		}
		off += (size_t)n;
	}
	ipc_buf_free(&b);
}

/* Blocks for the next answer on c. */
static void
get(struct client *c, struct ctl_msg *m)
{
	const uint8_t *body;
	size_t len;
	const char *why;
	int r;

	while ((r = ipc_next(&c->rd, &body, &len)) == 0)
		if (ipc_read(&c->rd, c->fd, 0) <= 0) {
			fprintf(stderr, "checkbench: the service closed a connection\n");
			exit(2);
		}
	if (r < 0 || ctl_decode(body, len, CTL_REPLIES, m, &why) < 0) {
		fprintf(stderr, "checkbench: a bad answer\n");
		exit(2);
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl_msg m, q;
	struct client *cl;
	struct pollfd *pf;
	double *lat, t0, wall;
	int n, nc, i, file, asked = 0, done = 0, errors = 0;

	if (argc < 5 || (n = atoi(argv[3])) < 1 || (nc = atoi(argv[4])) < 1 || nc > n ||
	    strlen(argv[1]) >= sizeof sa.sun_path) {
		fprintf(stderr, "usage: checkbench SOCKET FILE N CLIENTS [HANDLER]\n");
		return 2;
	}
	if ((file = open(argv[2], O_RDONLY | O_CLOEXEC)) < 0) {
		perror(argv[2]);
		return 2;
	}
	memcpy(sa.sun_path, argv[1], strlen(argv[1]));
	cl = calloc((size_t)nc, sizeof *cl);
	pf = calloc((size_t)nc, sizeof *pf);
	lat = calloc((size_t)n, sizeof *lat);
	if (cl == NULL || pf == NULL || lat == NULL)
		return 2;
	memset(&q, 0, sizeof q);
	q.type = CTL_CHECK;
	q.check.handler = argc > 5 ? argv[5] : "archive";
	q.check.handler_len = strlen(q.check.handler);
	job_opts_default(&q.check.opts);
	for (i = 0; i < nc; i++) {
		if ((cl[i].fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
		    connect(cl[i].fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
			perror(argv[1]);
			return 2;
		}
		ipc_reader_init(&cl[i].rd, IPC_FRAME_MAX);
		memset(&m, 0, sizeof m);
		m.type = CTL_HELLO;
		m.rid = 1;
		m.hello.version = IPC_PROTO_VERSION;
		put(cl[i].fd, &m, -1);
		get(&cl[i], &m);
		if (m.type != CTL_HELLO) {
			fprintf(stderr, "checkbench: no hello\n");
			return 2;
		}
		pf[i].fd = cl[i].fd;
		pf[i].events = POLLIN;
	}
	t0 = now();
	for (i = 0; i < nc; i++) {
		q.rid = (uint64_t)++asked + 1;
		cl[i].sent = now();
		put(cl[i].fd, &q, file);
	}
	while (done < n) {
		if (poll(pf, (nfds_t)nc, -1) < 0 && errno != EINTR)
			return 2;
		for (i = 0; i < nc; i++) {
			if (!(pf[i].revents & (POLLIN | POLLHUP)))
				continue;
			get(&cl[i], &m);
			if (m.type != CTL_VERDICT || m.verdict.status != CTL_OUT_OK)
				errors++;
			lat[done++] = (now() - cl[i].sent) * 1000;
			if (asked < n) {
				q.rid = (uint64_t)++asked + 1;
				cl[i].sent = now();
				put(cl[i].fd, &q, file);
			}
		}
	}
	wall = now() - t0;
	qsort(lat, (size_t)n, sizeof *lat, cmp);
	printf("{\"n\":%d,\"clients\":%d,\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f,"
	    "\"checks_per_s\":%.0f,\"errors\":%d}\n", n, nc, lat[n / 2], lat[(n * 99) / 100],
	    lat[n - 1], n / wall, errors);
	return errors ? 1 : 0;
}
