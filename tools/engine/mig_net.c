// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/mig_net.h"
#include "lib/addr.h"

#define CONNECT_MS 3000
#define IO_MS 10000

int mig_net_timeouts(int fd, unsigned ms)
{
	struct timeval tv = { ms / 1000, (long)(ms % 1000) * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -errno;
	return 0;
}

int mig_net_keepalive(int fd)
{
	int one = 1, idle = 1, intvl = 1, cnt = 3;
	unsigned user_ms = 4000;

	/* and data (a PING) unacknowledged for 4 s fails it too */
	if (setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_ms, sizeof(user_ms)) ||
	    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)))
		return -errno;
	return 0;
}

int mig_net_connect(const struct mig_net *n, uint32_t node, struct mig_chan **ret)
{
	struct sockaddr_storage ss;
	struct mosix_addr a;
	struct pollfd pf;
	socklen_t len, elen = sizeof(int);
	int fd, r, one = 1, err = 0;

	r = map_addr_of(n->map, node, &a);
	if (r < 0)
		return -ENOENT;
	len = addr_to_sockaddr(&a, n->port, &ss);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	mig_net_keepalive(fd);	/* a node gone is seen while nothing flows */
	if (connect(fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS) {
		r = -errno;
		goto out_close;
	}
	pf = (struct pollfd){ fd, POLLOUT, 0 };
	r = poll(&pf, 1, CONNECT_MS);
	if (r <= 0) {
		r = r ? -errno : -ETIMEDOUT;
		goto out_close;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) || err) {
		r = -(err ? err : errno);
		goto out_close;
	}
	/* blocking from here, with bounded waits */
	if (fcntl(fd, F_SETFL, 0)) {
		r = -errno;
		goto out_close;
	}
	r = mig_net_timeouts(fd, IO_MS);
	if (!r)
		r = mig_chan_connect(fd, n->key, n->self, node, ret);
	if (r)
		goto out_close;
	return 0;
out_close:
	close(fd);
	return r;
}
