/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_MIG_NET_H
#define MOSIX_MIG_NET_H

/*
 * What a node needs to reach another node's mosix-migd: the map, its own
 * id, the port and the migration key; and the connection itself.
 */

#include <stdint.h>

#include "engine/mig_chan.h"
#include "lib/key.h"
#include "lib/map.h"

struct mig_net {
	const struct mosix_map *map;
	uint32_t self;
	uint16_t port;
	const struct mosix_key *key;	/* the migration subkey */
	uint64_t cpu_ignore;	/* cpufeat.h: features the admin says no
				 * process of this node depends on */
};

/* TCP to node @node's migd, then the authenticated channel; timeouts of
 * a few seconds on every step. 0 or -errno (-ENOENT: not in the map). */
int mig_net_connect(const struct mig_net *n, uint32_t node, struct mig_chan **ret);

/* Bounded waits on a connected socket: @ms for each read and write. */
int mig_net_timeouts(int fd, unsigned ms);
/*
 * TCP keepalive on @fd, probing after 1 s of silence, every second, 3
 * times, and TCP_USER_TIMEOUT of 4 s for data not acknowledged: a peer
 * whose machine or link is gone makes the socket fail in about 4 s even
 * while neither side has anything to say (a call blocked at home). Costs
 * nothing while records flow. 0 or -errno.
 */
int mig_net_keepalive(int fd);

#endif
