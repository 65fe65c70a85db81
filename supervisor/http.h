/* http: the pool's read-only web page, its JSON API and its metrics
 * (docs/http.md), served by libmicrohttpd driven from the pool's loop: its
 * epoll descriptor is one watcher, its timeouts one timer, and every answer
 * is built whole in memory from the pool and the store before it is sent,
 * so a slow or hostile client costs a connection slot, never the loop.
 * It changes nothing: GET and HEAD only. One per process. */
#ifndef CORRAL_HTTP_H
#define CORRAL_HTTP_H

#include <stddef.h>

struct sup;

/* Listens on addr and serves the pool s. addr is PORT (on 127.0.0.1),
 * HOST:PORT, or [IPV6]:PORT; port 0 takes a free one. With addr NULL, fd
 * is a listening TCP socket to serve on (systemd's), taken over. The
 * address it serves on is logged as a URL. Returns 0, or -1 with one line
 * in err (the address is taken, cannot be resolved, libmicrohttpd failed;
 * a passed fd is then closed). */
int http_start(struct sup *s, const char *addr, int fd, char *err, size_t errlen);
/* The URL it serves on ("http://127.0.0.1:8080/"), or "" when stopped. */
const char *http_url(void);
/* Closes the listener and every connection. */
void http_stop(void);

#endif
