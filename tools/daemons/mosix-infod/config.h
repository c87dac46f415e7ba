/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef INFOD_CONFIG_H
#define INFOD_CONFIG_H

/*
 * Everything mosix-infod reads from files, loaded as one unit so that a
 * reload either replaces all of it or, on any error, none of it:
 *
 *   map    $MOSIX_RUN_DIR/mosix.map (the active map, setpe -w) if it
 *          exists, else $MOSIX_CONFIG_DIR/mosix.map
 *   self   --node, else $MOSIX_RUN_DIR/self-id (setpe -p), else the node
 *          whose address is on a local interface
 *   conf   $MOSIX_CONFIG_DIR/mosix.conf, defaults when absent
 *   pool   $MOSIX_CONFIG_DIR/pool.conf (the adaptive schedule), defaults
 *          when absent, and mosix.conf's mode and servers (lib/pool.h)
 *   key    $MOSIX_CONFIG_DIR/secret, from which the gossip key is derived
 */

#include <stdint.h>

#include "lib/addr.h"
#include "lib/diag.h"
#include "lib/key.h"
#include "lib/map.h"
#include "lib/pool.h"
#include "lib/state.h"
#include "peers.h"

struct infod_cfg {
	struct mosix_map map;
	struct map_pick pick;
	char *map_path;
	const char *self_from;	/* how the id was found, for the log */
	uint32_t self;
	struct mosix_addr self_addr;
	struct mosix_key key;	/* the derived gossip key */
	uint16_t port;
	uint32_t interval_ms, fanout, window, dead_ms;
	uint32_t decay_slow, decay_fast, speed;
	struct pool_cfg pool;
};

/* Every problem goes to @d as FILE:LINE: message. 0 or -errno. */
int cfg_load(struct infod_cfg *c, uint32_t node_opt, struct diag *d);
void cfg_release(struct infod_cfg *c);

#endif
