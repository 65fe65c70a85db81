/* notify: sd_notify's messages and socket activation, through libsystemd.
 * The watchdog is petted from the loop, never from a thread or a signal,
 * so that its pets prove the loop still turns. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <ev.h>
#include <systemd/sd-daemon.h>

#include "supervisor/notify.h"

#define STATUS_MAX	256

static char status_sent[STATUS_MAX];
static ev_timer watchdog;
static int watchdog_on;

static int
active(void)
{
	const char *s = getenv("NOTIFY_SOCKET");

	return s != NULL && s[0] != '\0';
}

/* sd_notify's answer as ours: 1 sent, 0 nothing to do, -1 with errno. */
static int
send_state(const char *state)
{
	int r;

	if (!active())
		return 0;
	if ((r = sd_notify(0, state)) < 0) {
		errno = -r;
		return -1;
	}
	return r > 0 ? 1 : 0;
}

int
notify_ready(void)
{
	return send_state("READY=1");
}

int
notify_stopping(void)
{
	return send_state("STOPPING=1");
}

int
notify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	if (!active())
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
	return send_state(msg);
}

int
notify_status(const char *fmt, ...)
{
	char text[STATUS_MAX], msg[STATUS_MAX + 8];
	va_list ap;
	size_t i;
	int r;

	if (!active())
		return 0;
	va_start(ap, fmt);
	r = vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -1;
	for (i = 0; text[i] != '\0'; i++)
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
			text[i] = ' ';
	if (strcmp(text, status_sent) == 0)
		return 0;
	snprintf(msg, sizeof msg, "STATUS=%s", text);
	if ((r = send_state(msg)) == 1)
		memcpy(status_sent, text, sizeof status_sent);
	return r;
}

static void
pet(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop, (void)w, (void)revents;
	send_state("WATCHDOG=1");
}

int
notify_watchdog_start(struct ev_loop *loop)
{
	uint64_t usec = 0;
	int r;

	if (!active() || watchdog_on)
		return 0;
	if ((r = sd_watchdog_enabled(0, &usec)) < 0) {
		errno = -r;
		return -1;
	}
	if (r == 0 || usec == 0)
		return 0;
	send_state("WATCHDOG=1");
	ev_timer_init(&watchdog, pet, (ev_tstamp)usec / 2e6, (ev_tstamp)usec / 2e6);
	ev_timer_start(loop, &watchdog);
	/* A pet is no work: it must not keep the loop from ending. */
	ev_unref(loop);
	watchdog_on = 1;
	return 1;
}

void
notify_watchdog_stop(struct ev_loop *loop)
{
	if (!watchdog_on)
		return;
	ev_ref(loop);
	ev_timer_stop(loop, &watchdog);
	watchdog_on = 0;
}

/* The path fd is bound to, for a message. */
static const char *
bound_path(int fd, char *buf, size_t len)
{
	struct sockaddr_un sa;
	socklen_t sl = sizeof sa;
	size_t n;

	memset(&sa, 0, sizeof sa);
	if (getsockname(fd, (struct sockaddr *)&sa, &sl) < 0 || sa.sun_family != AF_UNIX ||
	    sl <= offsetof(struct sockaddr_un, sun_path)) {
		snprintf(buf, len, "no path");
		return buf;
	}
	n = sl - offsetof(struct sockaddr_un, sun_path);
	if (sa.sun_path[0] == '\0')
		snprintf(buf, len, "an abstract name");
	else
		snprintf(buf, len, "%.*s", (int)strnlen(sa.sun_path, n), sa.sun_path);
	return buf;
}

/* Checks one passed descriptor and makes it non-blocking and
 * close-on-exec: 0, or -1 with err. */
static int
take(int lfd, int http, const char *want_path, char *err, size_t errlen)
{
	char where[sizeof ((struct sockaddr_un *)0)->sun_path + 1];
	int fl;

	if (http && sd_is_socket_inet(lfd, AF_UNSPEC, SOCK_STREAM, 1, 0) <= 0)
		snprintf(err, errlen, "socket activation: descriptor %d, named http, is not a "
		    "listening TCP socket (ListenStream= in corral-http.socket names an address)", lfd);
	else if (!http && sd_is_socket_unix(lfd, SOCK_STREAM, 1, NULL, 0) <= 0)
		snprintf(err, errlen, "socket activation: descriptor %d is not a listening AF_UNIX "
		    "stream socket (ListenStream= in corral.socket names a path)", lfd);
	else if (!http && want_path != NULL && sd_is_socket_unix(lfd, SOCK_STREAM, 1, want_path, 0) <= 0)
		snprintf(err, errlen, "socket activation: the socket is bound to %s, not to the "
		    "control socket %s (ListenStream= in corral.socket and --socket differ)",
		    bound_path(lfd, where, sizeof where), want_path);
	else if ((fl = fcntl(lfd, F_GETFL)) < 0 || fcntl(lfd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(lfd, F_SETFD, FD_CLOEXEC) < 0)
		snprintf(err, errlen, "socket activation: descriptor %d: %s", lfd, strerror(errno));
	else
		return 0;
	return -1;
}

static int
is_http(char **names, int i)
{
	return names != NULL && names[i] != NULL && strcmp(names[i], NOTIFY_HTTP_NAME) == 0;
}

int
notify_listen_fd(const char *want_path, int *fd, int *http_fd, char *err, size_t errlen)
{
	char **names = NULL;
	int n, i, http, lfd, ncontrol = 0, nhttp = 0, r = 0;

	*fd = *http_fd = -1;
	if ((n = sd_listen_fds_with_names(1, &names)) <= 0) {
		if (n == 0)
			return 0;
		snprintf(err, errlen, "socket activation: LISTEN_FDS: %s", strerror(-n));
		return -1;
	}
	for (i = 0; i < n; i++)
		nhttp += is_http(names, i);
	ncontrol = n - nhttp;
	if (ncontrol > 1)
		snprintf(err, errlen, "socket activation passed %d descriptors for the control "
		    "socket; corral takes one (one ListenStream= in corral.socket)", ncontrol);
	else if (ncontrol == 0)
		snprintf(err, errlen, "socket activation passed no control socket, only one named "
		    "http (corral.socket is needed beside corral-http.socket)");
	else if (nhttp > 1)
		snprintf(err, errlen, "socket activation passed %d descriptors named http; corral "
		    "serves one (one ListenStream= in corral-http.socket)", nhttp);
	for (i = 0; i < n && ncontrol == 1 && nhttp <= 1 && r == 0; i++) {
		lfd = SD_LISTEN_FDS_START + i;
		http = is_http(names, i);
		if ((r = take(lfd, http, want_path, err, errlen)) == 0)
			*(http ? http_fd : fd) = lfd;
	}
	if (ncontrol != 1 || nhttp > 1)
		r = -1;
	for (i = 0; i < n && names; i++)
		free(names[i]);
	free(names);
	if (r == 0)
		return 0;
	*fd = *http_fd = -1;
	for (i = 0; i < n; i++)
		close(SD_LISTEN_FDS_START + i);
	return -1;
}
