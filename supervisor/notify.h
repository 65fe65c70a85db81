/* notify: what `corral serve` tells systemd through sd_notify (ready,
 * reloading, stopping, a status line, the watchdog's pets) and the listener
 * systemd hands it by socket activation. It owns one ev_timer, the
 * watchdog's, and touches nothing else of the loop. Every notify_ call but
 * notify_listen_fd does nothing and returns 0 when NOTIFY_SOCKET is unset. */
#ifndef CORRAL_NOTIFY_H
#define CORRAL_NOTIFY_H

#include <stddef.h>

struct ev_loop;

/* Each returns 1 when the message was sent, 0 when there was nothing to
 * send (no NOTIFY_SOCKET, or a status line unchanged), or -1 with errno
 * when sending failed (the service keeps running: systemd is told less). */

/* READY=1: start-up is done (the control socket is listening), and after a
 * reload, that the reload is done. */
int notify_ready(void);
/* RELOADING=1 (with MONOTONIC_USEC, which Type=notify-reload wants): a
 * SIGHUP's reload has begun; notify_ready() ends it. */
int notify_reloading(void);
/* STOPPING=1: shutdown has begun. */
int notify_stopping(void);
/* STATUS=TEXT, the line `systemctl status` shows: sent only when the text
 * differs from the last one sent. Control bytes (a newline in a job's name)
 * become spaces, so the text can never carry another assignment. At most
 * 255 bytes are kept. */
int notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* When the service manager asks for a watchdog (WATCHDOG_USEC, and
 * WATCHDOG_PID naming this process or unset), sends WATCHDOG=1 now and then
 * from an ev_timer on loop at half the interval, so a loop that stops
 * turning stops the pets and systemd restarts the service. The timer does
 * not keep ev_run from returning. Returns 1 when started, 0 when no
 * watchdog is asked for (or it runs already), -1 with errno EINVAL for a
 * malformed WATCHDOG_USEC. */
int notify_watchdog_start(struct ev_loop *loop);
/* Stops the timer (at shutdown, before the loop is torn down). Safe when it
 * was never started. */
void notify_watchdog_stop(struct ev_loop *loop);

/* The listeners of socket activation (LISTEN_FDS, LISTEN_PID and
 * LISTEN_FDNAMES, which it unsets so that no child inherits them). This
 * works with or without NOTIFY_SOCKET.
 * want_path: the control socket's path (--socket), compared as given with
 *   the path the socket is bound to; NULL takes any.
 * fd: out: the control socket's listener, non-blocking and close-on-exec;
 *   -1 when the process was not socket-activated (then 0 is returned).
 * http_fd: out: the status page's listener, a descriptor named
 *   NOTIFY_HTTP_NAME (corral-http.socket's FileDescriptorName=), made the
 *   same way; -1 when none was passed.
 * Returns 0, or -1 with one line in err when what was passed is not one
 * listening AF_UNIX stream socket bound to want_path, and at most one
 * listening TCP socket named http: every passed descriptor is then closed.
 * Refusing beats serving half: a socket left with systemd but not accepted
 * on would hang its clients. */
#define NOTIFY_HTTP_NAME	"http"
int notify_listen_fd(const char *want_path, int *fd, int *http_fd, char *err, size_t errlen);

#endif
