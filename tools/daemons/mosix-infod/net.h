/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef INFOD_NET_H
#define INFOD_NET_H

/*
 * The gossip socket: one UDP socket for IPv4 and IPv6 (AF_INET6 with
 * IPV6_V6ONLY off, IPv4 peers as ::ffff:a.b.c.d), or AF_INET alone where
 * the kernel has no IPv6. Non-blocking.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/addr.h"

struct net {
	int fd;
	int family;
	uint16_t port;
};

/* Bind to @port on every address. 0 or -errno. */
int net_open(struct net *n, uint16_t port);
void net_close(struct net *n);

/* 0, -EAFNOSUPPORT (IPv6 peer on an IPv4-only socket) or -errno. */
int net_send(const struct net *n, const struct mosix_addr *to, const void *buf,
	     size_t len);

/*
 * One datagram into @buf. Returns its real length, which is more than
 * @size when it was cut (MSG_TRUNC), -EAGAIN when none is waiting, -errno.
 */
ssize_t net_recv(const struct net *n, uint8_t *buf, size_t size,
		 struct mosix_addr *ret_src);

#endif
