/* notifysock: stands in for systemd's notify socket in tests. Usage:
 *   notifysock PATH [COUNT]
 * makes an AF_UNIX datagram socket at PATH (bound under a temporary name
 * and renamed, so PATH appears only once it is ready: a test waits for it
 * with `[ -S PATH ]`), then prints each datagram it receives as one line on
 * stdout, flushed: a newline inside one is printed as \n, a backslash as
 * \\, any other control byte as \xHH. It stops on SIGTERM or SIGINT, or
 * after COUNT datagrams, and removes PATH. Descriptors sent along
 * (FDSTORE=1) are closed. Exit status 0, or 2 for a usage or socket error.
 * Point NOTIFY_SOCKET at PATH for the program under test. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
print_escaped(const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\n')
			fputs("\\n", stdout);
		else if (s[i] == '\\')
			fputs("\\\\", stdout);
		else if (s[i] < 0x20 || s[i] == 0x7f)
			printf("\\x%02x", s[i]);
		else
			putchar(s[i]);
	}
	putchar('\n');
	fflush(stdout);
}

/* Closes whatever descriptors came with a datagram. */
static void
close_passed(struct msghdr *mh)
{
	struct cmsghdr *c;
	size_t i, n;
	int fd;

	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
			close(fd);
		}
	}
}

int
main(int argc, char **argv)
{
	static unsigned char buf[65536];
	static char cbuf[CMSG_SPACE(253 * sizeof(int))];
	struct sockaddr_un sa;
	struct sigaction sact;
	struct pollfd pfd;
	struct msghdr mh;
	struct iovec iov;
	sigset_t block, orig;
	char tmp[sizeof sa.sun_path];
	long count = -1, got = 0;
	ssize_t n;
	int s;

	if (argc < 2 || argc > 3 || (argc == 3 && (count = strtol(argv[2], NULL, 10)) <= 0)) {
		fprintf(stderr, "usage: notifysock PATH [COUNT]\n");
		return 2;
	}
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.%d", argv[1], (int)getpid()) >= sizeof tmp) {
		fprintf(stderr, "notifysock: path too long: %s\n", argv[1]);
		return 2;
	}
	memset(&sact, 0, sizeof sact);
	sact.sa_handler = on_signal;
	sigaction(SIGTERM, &sact, NULL);
	sigaction(SIGINT, &sact, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &orig);

	if ((s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		perror("notifysock: socket");
		return 2;
	}
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, tmp, sizeof tmp);
	unlink(tmp);
	if (bind(s, (struct sockaddr *)&sa, sizeof sa) < 0 || rename(tmp, argv[1]) < 0) {
		fprintf(stderr, "notifysock: bind %s: %s\n", argv[1], strerror(errno));
		unlink(tmp);
		return 2;
	}

	pfd.fd = s;
	pfd.events = POLLIN;
	while (!stop && (count < 0 || got < count)) {
		/* Signals are let in only while waiting, so none is missed. */
		if (ppoll(&pfd, 1, NULL, &orig) < 0) {
			if (errno == EINTR)
				continue;
			perror("notifysock: poll");
			break;
		}
		memset(&mh, 0, sizeof mh);
		iov.iov_base = buf;
		iov.iov_len = sizeof buf;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof cbuf;
		if ((n = recvmsg(s, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC)) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			perror("notifysock: recvmsg");
			break;
		}
		close_passed(&mh);
		print_escaped(buf, (size_t)n);
		got++;
	}
	unlink(argv[1]);
	return 0;
}
