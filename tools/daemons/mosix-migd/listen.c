// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"
#include "migd.h"

static int listen_on(int family, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, off = 0;

	memset(&ss, 0, sizeof(ss));
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		/* one socket for both families */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		len = sizeof(*s4);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 64)) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

int migd_listen(struct migd *m)
{
	int fd = listen_on(AF_INET6, m->net.port);

	if (fd == -EAFNOSUPPORT || fd == -EADDRNOTAVAIL)
		fd = listen_on(AF_INET, m->net.port);
	if (fd < 0)
		return fd;
	m->listen_fd = fd;
	return 0;
}

void migd_accept(struct migd *m)
{
	int fd, sp[2];
	pid_t c;

	fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp)) {
		close(fd);
		return;
	}
	c = fork();
	if (c < 0) {
		log_warn("cannot fork for a connection: %s", strerror(errno));
		close(fd);
		close(sp[0]);
		close(sp[1]);
		return;
	}
	if (c == 0) {
		close(sp[0]);
		guest_main(m, fd, sp[1]);
	}
	close(fd);
	close(sp[1]);
	/* the guest's pid comes later; until then the slot holds 0 */
	if (!kid_add(m, c, KID_GUEST, 0, sp[0])) {
		log_warn("too many children: refusing a connection");
		kill(c, SIGKILL);
		close(sp[0]);
	}
}
