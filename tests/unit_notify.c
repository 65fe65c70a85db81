/* Unit tests of supervisor/notify.c against a datagram socket that stands
 * in for systemd's: nothing is sent without NOTIFY_SOCKET; READY=1,
 * STATUS= (once per change, one line), RELOADING=1 with MONOTONIC_USEC,
 * STOPPING=1 arrive as sent; the watchdog pets from the loop while
 * WATCHDOG_USEC and WATCHDOG_PID ask for it, does not keep the loop alive,
 * and stops when told. Each wait runs the loop until the datagram comes,
 * with a timer as the bound that fails the check. Then socket activation:
 * one listening AF_UNIX stream socket at the wanted path is taken,
 * anything else refused with every passed descriptor closed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ev.h>

#include "supervisor/notify.h"
#include "tests/tap.h"

#define BOUND	10.0	/* seconds a datagram may take before the check fails */

static char dir[] = "/tmp/corral-unit-notify.XXXXXX";
static struct ev_loop *loop;
static int sock = -1;
static char msg[4096];
static int got_msg;
static ev_io reader;
static ev_timer bound;

static void
unix_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa->sun_path) {
		printf("Bail out! socket path too long: %s\n", path);
		exit(1);
	}
	memcpy(sa->sun_path, path, strlen(path) + 1);
}

static int
unix_socket(const char *path, int type)
{
	struct sockaddr_un sa;
	int s = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	unix_addr(&sa, path);
	unlink(path);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
		printf("Bail out! socket %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return s;
}

static void
on_read(struct ev_loop *l, ev_io *w, int revents)
{
	ssize_t n;

	(void)revents;
	if ((n = recv(w->fd, msg, sizeof msg - 1, MSG_DONTWAIT)) < 0)
		return;
	msg[n] = '\0';
	got_msg = 1;
	ev_break(l, EVBREAK_ONE);
}

static void
on_bound(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)w, (void)revents;
	ev_break(l, EVBREAK_ONE);
}

/* The next datagram, as the loop receives it; NULL when none came within
 * secs (for BOUND, a failure). */
static const char *
next_msg(double secs)
{
	got_msg = 0;
	ev_io_start(loop, &reader);
	ev_timer_set(&bound, secs, 0);
	ev_timer_start(loop, &bound);
	ev_run(loop, 0);
	ev_io_stop(loop, &reader);
	ev_timer_stop(loop, &bound);
	return got_msg ? msg : NULL;
}

/* Whether a datagram is waiting now: sd_notify sends before it returns, so
 * nothing waiting means nothing was sent. */
static int
queued(void)
{
	char b[16];

	return recv(sock, b, sizeof b, MSG_DONTWAIT | MSG_PEEK) >= 0;
}

static void
is_msg(const char *got, const char *want, const char *what)
{
	ok(got != NULL && strcmp(got, want) == 0, "%s", what);
	if (got == NULL || strcmp(got, want) != 0)
		printf("#   got '%s', want '%s'\n", got ? got : "(nothing)", want);
}

static void
test_unset(void)
{
	unsetenv("NOTIFY_SOCKET");
	setenv("WATCHDOG_USEC", "100000", 1);
	unsetenv("WATCHDOG_PID");
	ok(notify_ready() == 0 && notify_status("x") == 0 && notify_reloading() == 0 &&
	    notify_stopping() == 0 && notify_watchdog_start(loop) == 0,
	    "without NOTIFY_SOCKET every call returns 0");
	ok(!queued(), "... and nothing was sent");
	notify_watchdog_stop(loop);
	unsetenv("WATCHDOG_USEC");
}

static void
test_states(const char *path)
{
	char big[1000], want[300];
	const char *m;
	unsigned long long usec;
	struct timespec ts;

	setenv("NOTIFY_SOCKET", path, 1);
	is_int(notify_ready(), 1, "notify_ready sends");
	is_msg(next_msg(BOUND), "READY=1", "READY=1");

	is_int(notify_status("%d jobs running", 2), 1, "notify_status sends");
	is_msg(next_msg(BOUND), "STATUS=2 jobs running", "STATUS=2 jobs running");
	is_int(notify_status("%d jobs running", 2), 0, "the same status again is not sent");
	ok(!queued(), "... nothing went out");
	is_int(notify_status("1 job running"), 1, "a changed status is");
	is_msg(next_msg(BOUND), "STATUS=1 job running", "STATUS=1 job running");
	notify_status("job a\nREADY=1\tb");
	is_msg(next_msg(BOUND), "STATUS=job a READY=1 b", "control bytes in a status become spaces: one "
	    "assignment");
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	notify_status("%s", big);
	snprintf(want, sizeof want, "STATUS=%.255s", big);
	is_msg(next_msg(BOUND), want, "a long status is cut to 255 bytes");

	is_int(notify_reloading(), 1, "notify_reloading sends");
	m = next_msg(BOUND);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ok(m != NULL && sscanf(m, "RELOADING=1\nMONOTONIC_USEC=%llu", &usec) == 1 &&
	    usec <= (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000 &&
	    usec + 60000000ull > (unsigned long long)ts.tv_sec * 1000000ull,
	    "RELOADING=1 with MONOTONIC_USEC of the monotonic clock");
	if (m == NULL || strncmp(m, "RELOADING=1\n", 12) != 0)
		printf("#   got %s\n", m ? "another message" : "nothing");
	notify_ready();
	is_msg(next_msg(BOUND), "READY=1", "READY=1 ends the reload");
	is_int(notify_stopping(), 1, "notify_stopping sends");
	is_msg(next_msg(BOUND), "STOPPING=1", "STOPPING=1");
}

static void
test_watchdog(void)
{
	char pid[32];
	double t1, t2;
	int i;

	snprintf(pid, sizeof pid, "%d", (int)getpid());
	setenv("WATCHDOG_USEC", "200000", 1);
	setenv("WATCHDOG_PID", pid, 1);
	is_int(notify_watchdog_start(loop), 1, "a watchdog of 200 ms for this pid: started");
	is_msg(next_msg(BOUND), "WATCHDOG=1", "a pet at once");
	is_msg(next_msg(BOUND), "WATCHDOG=1", "a pet from the loop's timer");
	t1 = tap_now();
	is_msg(next_msg(BOUND), "WATCHDOG=1", "and again");
	t2 = tap_now();
	ok(t2 - t1 >= 0.05, "pets come at about half the interval, not in a burst (%.3f s apart)", t2 - t1);
	is_int(notify_watchdog_start(loop), 0, "starting it again changes nothing");

	/* Only the watchdog's timer is active: ev_run must return at once
	 * (SIGALRM fails the test if it does not). */
	ev_run(loop, 0);
	ok(1, "the watchdog's timer does not keep the loop running");

	notify_watchdog_stop(loop);
	while (queued())
		next_msg(BOUND);
	/* Absence can only be seen over time: three intervals. */
	ok(next_msg(0.3) == NULL, "stopped: no pet for 3 intervals");
	notify_watchdog_stop(loop);
	ok(1, "stopping twice is harmless");

	snprintf(pid, sizeof pid, "%d", (int)getppid());
	setenv("WATCHDOG_PID", pid, 1);
	is_int(notify_watchdog_start(loop), 0, "WATCHDOG_PID of another process: not started");
	ok(!queued(), "... no pet");
	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "soon", 1);
	errno = 0;
	i = notify_watchdog_start(loop);
	ok(i == -1 && errno == EINVAL, "a malformed WATCHDOG_USEC: -1, EINVAL");
	unsetenv("WATCHDOG_USEC");
	is_int(notify_watchdog_start(loop), 0, "no WATCHDOG_USEC: not started");
}

static void
test_send_error(void)
{
	char gone[300];

	snprintf(gone, sizeof gone, "%s/gone.sock", dir);
	setenv("NOTIFY_SOCKET", gone, 1);
	errno = 0;
	ok(notify_ready() == -1 && errno != 0, "a notify socket that is not there: -1 (%s)",
	    strerror(errno));
	ok(notify_status("x") == -1, "a status that could not be sent: -1");
	unsetenv("NOTIFY_SOCKET");
}

/* ---- socket activation ---- */

static int
fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* Puts s at descriptor at, as systemd would pass it. */
static void
pass_at(int s, int at)
{
	if (s == at)
		return;
	if (dup2(s, at) < 0) {
		printf("Bail out! dup2: %s\n", strerror(errno));
		exit(1);
	}
	close(s);
}

static void
activate(int n, int pid)
{
	char v[32];

	unsetenv("LISTEN_FDNAMES");
	snprintf(v, sizeof v, "%d", n);
	setenv("LISTEN_FDS", v, 1);
	snprintf(v, sizeof v, "%d", pid);
	setenv("LISTEN_PID", v, 1);
}

static int
listener(const char *path)
{
	int s = unix_socket(path, SOCK_STREAM);

	if (listen(s, 8) < 0) {
		printf("Bail out! listen: %s\n", strerror(errno));
		exit(1);
	}
	return s;
}

static void
refused(const char *want, const char *err_has, int n, const char *what)
{
	char err[512];
	int fd = 7, hfd = 7, r, i, closed = 1;

	err[0] = '\0';
	r = notify_listen_fd(want, &fd, &hfd, err, sizeof err);
	for (i = 0; i < n; i++)
		if (fd_open(3 + i))
			closed = 0;
	ok(r == -1 && fd == -1 && hfd == -1 && strstr(err, err_has) != NULL && closed, "%s: refused, passed "
	    "descriptors closed", what);
	if (r != -1 || strstr(err, err_has) == NULL)
		printf("#   got %d '%s'\n", r, err);
}

/* A listening TCP socket on 127.0.0.1, a free port. */
static int
tcp_listener(void)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0 || bind(s, (struct sockaddr *)&in, sizeof in) < 0 || listen(s, 8) < 0) {
		printf("Bail out! a TCP listener: %s\n", strerror(errno));
		exit(1);
	}
	return s;
}

/* corral-http.socket's listener beside corral.socket's, told apart by
 * LISTEN_FDNAMES (FileDescriptorName=http). */
static void
test_listen_http(const char *path)
{
	char err[512];
	int fd, hfd, r;

	pass_at(listener(path), 3);
	pass_at(tcp_listener(), 4);
	activate(2, (int)getpid());
	setenv("LISTEN_FDNAMES", "corral.socket:http", 1);
	fd = hfd = 7;
	r = notify_listen_fd(path, &fd, &hfd, err, sizeof err);
	ok(r == 0 && fd == 3 && hfd == 4, "a control socket and one named http: both taken (%d, %d)",
	    fd, hfd);
	ok(hfd == 4 && (fcntl(hfd, F_GETFL) & O_NONBLOCK) && (fcntl(hfd, F_GETFD) & FD_CLOEXEC),
	    "... the http one non-blocking and close-on-exec");
	ok(getenv("LISTEN_FDNAMES") == NULL, "... LISTEN_FDNAMES is gone from the environment");
	close(3);
	close(4);

	pass_at(tcp_listener(), 3);
	pass_at(listener(path), 4);
	activate(2, (int)getpid());
	setenv("LISTEN_FDNAMES", "http:control", 1);
	fd = hfd = 7;
	r = notify_listen_fd(path, &fd, &hfd, err, sizeof err);
	ok(r == 0 && fd == 4 && hfd == 3, "... in either order");
	close(3);
	close(4);

	pass_at(listener(path), 3);
	pass_at(listener(path), 4);
	activate(2, (int)getpid());
	setenv("LISTEN_FDNAMES", "control:http", 1);
	refused(path, "descriptor 4, named http, is not a listening TCP socket", 2,
	    "an AF_UNIX socket named http");
	unlink(path);

	pass_at(tcp_listener(), 3);
	activate(1, (int)getpid());
	setenv("LISTEN_FDNAMES", "http", 1);
	refused(path, "passed no control socket, only one named http", 1, "only the http socket");

	pass_at(listener(path), 3);
	pass_at(tcp_listener(), 4);
	pass_at(tcp_listener(), 5);
	activate(3, (int)getpid());
	setenv("LISTEN_FDNAMES", "control:http:http", 1);
	refused(path, "passed 2 descriptors named http; corral serves one", 3, "two named http");
}

static void
test_listen(void)
{
	char path[300], other[300], err[512];
	struct sockaddr_un sa;
	int fd, hfd, r, c, a;

	snprintf(path, sizeof path, "%s/control.sock", dir);
	snprintf(other, sizeof other, "%s/other.sock", dir);
	if (fd_open(3) || fd_open(4) || fd_open(5)) {
		printf("Bail out! descriptors 3 to 5 must be free for the socket activation tests\n");
		exit(1);
	}

	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	fd = 7;
	r = notify_listen_fd(path, &fd, &hfd, err, sizeof err);
	ok(r == 0 && fd == -1, "not socket-activated: 0, no descriptor");

	pass_at(listener(path), 3);
	activate(1, (int)getppid());
	fd = 7;
	r = notify_listen_fd(path, &fd, &hfd, err, sizeof err);
	ok(r == 0 && fd == -1 && fd_open(3), "LISTEN_PID of another process: not ours, left alone");
	close(3);

	pass_at(listener(path), 3);
	activate(1, (int)getpid());
	fd = 7;
	r = notify_listen_fd(path, &fd, &hfd, err, sizeof err);
	ok(r == 0 && fd == 3, "one listener at the wanted path: taken (fd %d)", fd);
	ok(fd == 3 && (fcntl(fd, F_GETFL) & O_NONBLOCK) && (fcntl(fd, F_GETFD) & FD_CLOEXEC),
	    "... non-blocking and close-on-exec");
	ok(getenv("LISTEN_FDS") == NULL && getenv("LISTEN_PID") == NULL,
	    "... LISTEN_FDS and LISTEN_PID are gone from the environment");
	unix_addr(&sa, path);
	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a = -1;
	if (c >= 0 && connect(c, (struct sockaddr *)&sa, sizeof sa) == 0)
		a = accept4(3, NULL, NULL, SOCK_CLOEXEC);
	ok(a >= 0, "... and a client's connection is accepted on it");
	if (a >= 0)
		close(a);
	if (c >= 0)
		close(c);
	close(3);

	pass_at(listener(path), 3);
	activate(1, (int)getpid());
	fd = 7;
	r = notify_listen_fd(NULL, &fd, &hfd, err, sizeof err);
	ok(r == 0 && fd == 3, "no path wanted: any listener is taken");
	close(3);

	{
		char want[1024];

		snprintf(want, sizeof want, "socket activation: the socket is bound to %s, not to the control "
		    "socket %s (ListenStream= in corral.socket and --socket differ)", other, path);
		pass_at(listener(other), 3);
		activate(1, (int)getpid());
		refused(path, want, 1, "a listener at another path");
	}

	pass_at(unix_socket(path, SOCK_DGRAM), 3);
	activate(1, (int)getpid());
	refused(path, "descriptor 3 is not a listening AF_UNIX stream socket", 1, "a datagram socket");

	pass_at(unix_socket(path, SOCK_STREAM), 3);
	activate(1, (int)getpid());
	refused(path, "descriptor 3 is not a listening AF_UNIX stream socket", 1,
	    "a stream socket that does not listen");

	pass_at(open("/dev/null", O_RDONLY | O_CLOEXEC), 3);
	activate(1, (int)getpid());
	refused(path, "descriptor 3 is not a listening AF_UNIX stream socket", 1, "a file");

	pass_at(listener(path), 3);
	pass_at(listener(other), 4);
	activate(2, (int)getpid());
	refused(path, "socket activation passed 2 descriptors for the control socket; corral takes one",
	    2, "two descriptors");
	test_listen_http(path);

	setenv("LISTEN_FDS", "many", 1);
	snprintf(err, sizeof err, "%d", (int)getpid());
	setenv("LISTEN_PID", err, 1);
	fd = 7;
	err[0] = '\0';
	r = notify_listen_fd(path, &fd, &hfd, err, sizeof err);
	ok(r == -1 && fd == -1 && strstr(err, "LISTEN_FDS") != NULL, "a malformed LISTEN_FDS: '%s'", err);
	unlink(path);
	unlink(other);
}

int
main(void)
{
	char path[300];

	alarm(120);	/* a hang fails the test instead of stalling the suite */
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	/* First, while descriptors 3 and up are free to stand for systemd's. */
	test_listen();

	loop = ev_loop_new(EVFLAG_AUTO);
	snprintf(path, sizeof path, "%s/notify.sock", dir);
	sock = unix_socket(path, SOCK_DGRAM);
	ev_io_init(&reader, on_read, sock, EV_READ);
	ev_init(&bound, on_bound);
	test_unset();
	test_states(path);
	test_watchdog();
	test_send_error();
	close(sock);
	unlink(path);
	ev_loop_destroy(loop);
	rmdir(dir);
	return done_testing();
}
