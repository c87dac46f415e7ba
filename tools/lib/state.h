/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_STATE_H
#define MOSIX_STATE_H

/*
 * What mosix-infod knows about the cluster, as the tools read it.
 *
 * mosix-infod writes, under the run directory ($MOSIX_RUN_DIR):
 *
 *   cluster                 one snapshot of every mapped node that was ever
 *                           heard of (and this node), replaced atomically
 *                           (write + rename) after every change; the format
 *                           is below. Tools read only this file, so one
 *                           read gives a consistent view of 1000 nodes.
 *   nodes/<id>/{cpus,load,speed,mem,rmem,tmem,status,util}
 *                           the MOSIX tree: one decimal number per file,
 *                           memory in 4 KiB pages, status 1 (up) or 0
 *                           (down), for scripts and for MOSIX users'
 *                           habits; written from the same data, each file
 *                           replaced atomically when its value changes
 *   admin/{block,stay,lstay,quiet,off,speed,decay,mode,version}
 *                           this node's policy flags, "0" or "1" (off: left
 *                           the cluster with setpe -off; speed a number,
 *                           decay "INTERVAL_MS SLOW FAST", mode a word,
 *                           version the daemon's version)
 *   admin/stats             mosix-infod's counters, the "stats" reply of
 *                           ctl.h, one "key=value" per line
 *   admin/pool              this node's pool mode (lib/pool.h), one
 *                           "key=value" per line: configured (mosix.conf's
 *                           mode), mode (the running one: mosix.conf's or
 *                           mosctl mode's), effective (single, server or
 *                           half-duplex: the running mode, or in adaptive
 *                           mode that of the period now), guests (1 if it
 *                           takes guests now, else 0), why (why not:
 *                           "half-duplex mode", "server mode: node N is not
 *                           a server"), period (day, night; "-" unless
 *                           adaptive), since and next (epoch seconds the
 *                           period began and of the next switch; 0 unless
 *                           adaptive), next_mode (the effective mode after
 *                           it, or "-"). admin/mode is the effective mode;
 *                           GV_NOGUESTS is set when guests is 0
 *   infod.sock              the control socket (ctl.h)
 *   mosix.map               the active map, installed by setpe -w
 *
 * The snapshot file, version 1, text:
 *
 *   mosix-state 1 SELF-ID NOW-MS
 *   ID ADDRESS UP AGE-MS LOAD SPEED CPUS UTIL TMEM MEM RMEM GUESTS LOCAL FLAGS
 *   ...
 *
 * one line per node, sorted by id; UP is 1 or 0; AGE-MS is the age of the
 * information (0 for this node); FLAGS as enum gossip_flags, in decimal.
 * Nodes of the map never heard of are absent (they cost nothing).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "diag.h"
#include "gossip_wire.h"

#define STATE_FILE "cluster"
#define STATE_VERSION 1

struct node_state {
	uint32_t id;
	struct mosix_addr addr;
	bool up;
	uint32_t age_ms;
	struct gossip_vec v;	/* v.node == id */
};

struct cluster_state {
	uint32_t self;
	uint64_t now_ms;	/* when it was written, CLOCK_REALTIME */
	struct node_state *node;	/* sorted by id */
	size_t n;
};

void cluster_state_init(struct cluster_state *s);
void cluster_state_release(struct cluster_state *s);

/* Read $run_dir/cluster. -ENOENT when mosix-infod has not written it. */
int cluster_state_read(const char *run_dir, struct cluster_state *ret,
		       struct diag *d);

/*
 * Parse snapshot text (@buf is modified; @name is used in messages): what
 * cluster_state_read() does after reading the file. 0, -EINVAL,
 * -EPROTONOSUPPORT or -ENOMEM; @ret is untouched on failure.
 */
int cluster_state_parse(const char *name, char *buf, size_t len,
			struct cluster_state *ret, struct diag *d);

/* Write the snapshot and the nodes/ tree atomically into @run_dir. */
int cluster_state_write(const char *run_dir, const struct cluster_state *s);

/*
 * The same, but the nodes/ tree is only touched where @s differs from
 * @prev, the state written last (NULL: write everything and remove the
 * directories of nodes @s does not list). A daemon writes every interval,
 * and most files do not change.
 */
int cluster_state_update(const char *run_dir, const struct cluster_state *s,
			 const struct cluster_state *prev);

/* Replace @dir/@name by @text atomically (temporary file and rename). */
int state_write_file(const char *dir, const char *name, const char *text);

/* The pool modes of mosix.conf, as carried in GV_MODE_MASK. */
enum pool_mode {
	POOL_SINGLE = 0,
	POOL_SERVER = 1,
	POOL_HALF_DUPLEX = 2,
	POOL_ADAPTIVE = 3,
};

/* "single", "server", "half-duplex", "adaptive"; NULL for other values. */
const char *state_mode_name(unsigned mode);

/* The entry of node @id, or NULL. */
const struct node_state *cluster_state_find(const struct cluster_state *s,
					    uint32_t id);

#endif
