/* frame: bytes on the socket cut into length-prefixed frames, and the
 * descriptors passed beside them. A length prefix is checked before the
 * buffer grows for it, and the buffer never holds more than one whole frame,
 * so a lying peer costs at most that. Received descriptors are owned here
 * until taken, and closed on every path that does not hand them out. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/ipc.h"

/* Room offered to a read when no frame asks for more: many small frames
 * come in with one syscall. */
#define READ_ROOM 65536

union ipc_cmsg {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(int) * IPC_FD_QUEUE)];
};

void
ipc_buf_free(struct ipc_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
ipc_reader_init(struct ipc_reader *r, size_t max_frame)
{
	memset(r, 0, sizeof *r);
	r->max = max_frame;
}

void
ipc_reader_free(struct ipc_reader *r)
{
	int i;

	for (i = 0; i < r->nfds; i++)
		close(r->fds[i]);
	r->nfds = 0;
	free(r->buf);
	r->buf = NULL;
	r->len = r->cap = r->off = 0;
}

size_t
ipc_pending(const struct ipc_reader *r)
{
	return r->len - r->off;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Makes room for the next read: drops what was handed out, then sizes the
 * buffer for the frame at its head. It grows to exactly what that frame
 * needs, so each realloc copies no more than the part of the frame already
 * in, which the frame's own bytes pay for; and it shrinks back once a big
 * frame is gone. Returns the room, or -1 with errno. */
static ssize_t
reader_room(struct ipc_reader *r)
{
	size_t limit = IPC_HDR + r->max, want;

	if (r->off > 0) {
		memmove(r->buf, r->buf + r->off, r->len - r->off);
		r->len -= r->off;
		r->off = 0;
	}
	want = READ_ROOM < limit ? READ_ROOM : limit;
	if (r->len >= IPC_HDR) {
		uint32_t n = get_be32(r->buf);

		if (n == 0 || n > r->max) {
			/* ipc_next refuses it; nothing is read or grown for it. */
			errno = EMSGSIZE;
			return -1;
		}
		if (IPC_HDR + (size_t)n > want)
			want = IPC_HDR + (size_t)n;
	}
	if (want < r->len)
		want = r->len;	/* whole frames the caller has not taken */
	if (want > r->cap || (r->cap > READ_ROOM && want < r->cap)) {
		uint8_t *b = realloc(r->buf, want);

		if (b == NULL)
			return -1;
		r->buf = b;
		r->cap = want;
	}
	if (r->len == r->cap) {
		/* Only whole frames fill it: take them with ipc_next first. */
		errno = ENOBUFS;
		return -1;
	}
	return (ssize_t)(r->cap - r->len);
}

/* Closes every descriptor a received message carried. */
static void
close_passed(struct msghdr *m)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		size_t i, n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof fd, sizeof fd);
			close(fd);
		}
	}
}

ssize_t
ipc_read(struct ipc_reader *r, int fd, int want_fds)
{
	union ipc_cmsg ctl;
	struct cmsghdr *c;
	struct iovec iov;
	struct msghdr m;
	ssize_t n, room;
	size_t total = 0;

	if ((room = reader_room(r)) < 0)
		return -1;
	if (!want_fds) {
		/* read(2) on a unix socket: the kernel closes passed
		 * descriptors itself. */
		do
			n = read(fd, r->buf + r->len, (size_t)room);
		while (n < 0 && errno == EINTR);
		if (n > 0)
			r->len += (size_t)n;
		return n;
	}
	memset(&m, 0, sizeof m);
	iov.iov_base = r->buf + r->len;
	iov.iov_len = (size_t)room;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.buf;
	m.msg_controllen = sizeof ctl.buf;
	do
		n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			total += (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	/* Descriptors that did not fit were dropped by the kernel; those
	 * that did are ours to close. Either way the stream is no longer
	 * one a frame can be trusted from. */
	if ((m.msg_flags & MSG_CTRUNC) || total > (size_t)(IPC_FD_QUEUE - r->nfds)) {
		close_passed(&m);
		errno = EPROTO;
		return -1;
	}
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		size_t i, k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++)
			memcpy(&r->fds[r->nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
	r->len += (size_t)n;
	return n;
}

int
ipc_next(struct ipc_reader *r, const uint8_t **body, size_t *len)
{
	uint32_t n;

	if (r->len - r->off < IPC_HDR)
		return 0;
	n = get_be32(r->buf + r->off);
	if (n == 0 || n > r->max) {
		errno = EMSGSIZE;
		return -1;
	}
	if (r->len - r->off - IPC_HDR < n)
		return 0;
	*body = r->buf + r->off + IPC_HDR;
	*len = n;
	r->off += IPC_HDR + (size_t)n;
	return 1;
}

int
ipc_take_fd(struct ipc_reader *r)
{
	int fd;

	if (r->nfds == 0)
		return -1;
	fd = r->fds[0];
	memmove(r->fds, r->fds + 1, (size_t)(r->nfds - 1) * sizeof r->fds[0]);
	r->nfds--;
	return fd;
}

ssize_t
ipc_send(int sock, const void *data, size_t len, int pass_fd)
{
	return ipc_send_fds(sock, data, len, &pass_fd, pass_fd >= 0);
}

ssize_t
ipc_send_fds(int sock, const void *data, size_t len, const int *fds, int nfds)
{
	union ipc_cmsg ctl;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr m;
	ssize_t n;

	/* Descriptors ride on a byte: with none to send, they would be lost. */
	if (nfds < 0 || nfds > IPC_FD_QUEUE || (nfds > 0 && len == 0)) {
		errno = EINVAL;
		return -1;
	}
	memset(&m, 0, sizeof m);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof ctl);
		m.msg_control = ctl.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	do
		n = sendmsg(sock, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n;
}
