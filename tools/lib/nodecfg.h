/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_NODECFG_H
#define MOSIX_NODECFG_H

/*
 * What every daemon of a node reads first, the same way:
 *
 *   map    $MOSIX_RUN_DIR/mosix.map (the active map, setpe -w) if it
 *          exists, else $MOSIX_CONFIG_DIR/mosix.map
 *   self   a given id (--node), else $MOSIX_RUN_DIR/self-id (setpe -p),
 *          else the node whose address is on a local interface
 *   key    $MOSIX_CONFIG_DIR/secret, from which one purpose's key is derived
 */

#include <stdint.h>

#include "lib/addr.h"
#include "lib/diag.h"
#include "lib/key.h"
#include "lib/map.h"

struct node_ident {
	struct mosix_map map;
	char *map_path;
	const char *self_from;	/* how the id was found, for the log */
	uint32_t self;
	struct mosix_addr self_addr;
};

/* Every problem goes to @d as FILE:LINE: message. 0 or -errno. */
int node_ident_load(struct node_ident *n, uint32_t node_opt, struct diag *d);
void node_ident_release(struct node_ident *n);

/* The subkey for @purpose from the cluster key; problems go to @d. */
int node_key_load(enum key_purpose purpose, struct mosix_key *ret, struct diag *d);

#endif
