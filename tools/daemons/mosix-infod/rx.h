/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef INFOD_RX_H
#define INFOD_RX_H

/*
 * What a received datagram must pass before anything in it is believed, in
 * order of cost, each failure counted apart:
 *
 *   1. size and header (gossip_peek)              -> RX_MALFORMED
 *   2. the source address is the sender's, by the map (aliases count)
 *                                                 -> RX_UNKNOWN_SENDER
 *   3. the tag, with the cluster's gossip key (gossip_open)
 *                                                 -> RX_BAD_KEY
 *                                                    (RX_MALFORMED for an
 *                                                    authentic but invalid
 *                                                    vector)
 *   4. (epoch, seq) above the sender's last       -> RX_REPLAY
 *
 * Only then is memory spent on the sender (bounded by the map) and are its
 * vectors merged; vectors about unmapped nodes or about this node are
 * skipped.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/key.h"
#include "lib/map.h"
#include "peers.h"

enum rx_verdict {
	RX_OK,
	RX_MALFORMED,
	RX_UNKNOWN_SENDER,
	RX_BAD_KEY,
	RX_REPLAY,
};

struct rx_ctx {
	const struct mosix_map *map;
	const struct mosix_key *key;	/* the derived gossip key */
	struct peers *peers;
	uint32_t self;
	uint32_t dead_ms;
};

struct rx_result {
	uint32_t sender;
	bool changed;		/* some vector was fresher than ours */
	bool greet;		/* the sender is new to us, or restarted */
	size_t skipped;		/* vectors about unmapped nodes */
};

enum rx_verdict rx_datagram(const struct rx_ctx *c, const uint8_t *buf, size_t len,
			    const struct mosix_addr *src, int64_t now,
			    struct rx_result *res);

#endif
