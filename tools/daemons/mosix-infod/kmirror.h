/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef KMIRROR_H
#define KMIRROR_H

/*
 * The copy of mosix-infod's state in /proc/mosix, when the kernel part is
 * there (lib/kmosix.h, kernel-patches/Documentation/mosix.rst): the node
 * table in admin/nodes, the policy in admin/{block,stay,lstay,quiet,speed,
 * decay} and the daemon's version in admin/version. The files under
 * $MOSIX_RUN_DIR stay what the daemons and tools go by; /proc/mosix is a
 * mirror for MOSIX users' scripts, and what is written there by hand is
 * overwritten at the next change.
 *
 * Found at every round, so a module loaded after the daemon is used, and
 * one loaded again (its admin/version reads empty) gets everything again.
 * No error stops the daemon: each kind is logged once.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/kmosix.h"

struct kmirror {
	bool active;		/* publishing: /proc/mosix is there and ours */
	bool off;		/* refused for good (no right, unknown interface) */
	bool stale;		/* the kernel's table is unknown: clear, write all */
	bool full;		/* max_nodes reached: no new node until one goes */
	struct kmosix_node *node;	/* what the kernel holds, sorted by id */
	size_t n;
	uint32_t warned;	/* enum kmirror_warn: what was logged already */
};

struct infod;

/* After the round's publish_state(): start, catch up or update. */
void kmirror_round(struct infod *in);
/* After a policy change (publish_admin()): the admin files. */
void kmirror_admin(struct infod *in);
/* At shutdown: an empty table and version, as a state nobody updates. */
void kmirror_stop(struct infod *in);
void kmirror_release(struct kmirror *km);

#endif
