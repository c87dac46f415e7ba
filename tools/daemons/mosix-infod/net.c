// SPDX-License-Identifier: GPL-2.0-only
#include "net.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int open_family(int family, uint16_t port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int fd, r, off = 0;

	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_UDP);
	if (fd < 0)
		return -errno;
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) < 0)
			goto out_close;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_addr = in6addr_any;
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
		len = sizeof(*s4);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		goto out_close;
	return fd;
out_close:
	r = -errno;
	close(fd);
	return r;
}

int net_open(struct net *n, uint16_t port)
{
	int fd = open_family(AF_INET6, port), family = AF_INET6;

	/* no IPv6 in this kernel (or disabled): IPv4 peers only */
	if (fd == -EAFNOSUPPORT || fd == -EADDRNOTAVAIL) {
		fd = open_family(AF_INET, port);
		family = AF_INET;
	}
	if (fd < 0)
		return fd;
	n->fd = fd;
	n->family = family;
	n->port = port;
	return 0;
}

void net_close(struct net *n)
{
	if (n && n->fd >= 0)
		close(n->fd);
	if (n)
		n->fd = -1;
}

int net_send(const struct net *n, const struct mosix_addr *to, const void *buf,
	     size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	if (n->family == AF_INET6) {
		/* IPv4 peers in their mapped form, which mosix_addr already is */
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		memset(s6, 0, sizeof(*s6));
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(n->port);
		memcpy(&s6->sin6_addr, to->b, 16);
		sl = sizeof(*s6);
	} else {
		if (!addr_is_v4(to))
			return -EAFNOSUPPORT;
		sl = addr_to_sockaddr(to, n->port, &ss);
	}
	if (sendto(n->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&ss, sl) < 0)
		return -errno;
	return 0;
}

ssize_t net_recv(const struct net *n, uint8_t *buf, size_t size,
		 struct mosix_addr *ret_src)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	ssize_t got;

	got = recvfrom(n->fd, buf, size, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&ss, &sl);
	if (got < 0)
		return -errno;
	if (addr_from_sockaddr((struct sockaddr *)&ss, ret_src) < 0)
		memset(ret_src, 0, sizeof(*ret_src));
	return got;
}
