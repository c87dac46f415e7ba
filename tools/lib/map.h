/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_MAP_H
#define MOSIX_MAP_H

/*
 * The cluster map (/etc/mosix/mosix.map), as MOSIX defined it.
 *
 *   FIRST-ID ADDRESS COUNT    ids FIRST-ID..FIRST-ID+COUNT-1 are the COUNT
 *                             consecutive addresses starting at ADDRESS
 *   NODE-ID  ADDRESS ALIAS    another address of an existing node (a gateway
 *                             with a leg in two networks)
 *
 * ADDRESS is IPv4, IPv6 or a host name, resolved once when the line is read
 * (its IPv4 address if it has one, else its first IPv6 address, so that
 * every node reads the same map whatever its resolver prefers).
 * '#' starts a comment anywhere; blank lines are ignored. Ids are 1..65535.
 *
 * Life cycle: map_init(), then any number of map_parse()/map_load_file()/
 * map_add_range()/map_add_alias() calls (several files may feed one map),
 * then map_finish(), which checks what only the whole map can tell
 * (overlapping ids, duplicate addresses, aliases of unknown nodes), merges
 * runs of consecutive ids with consecutive addresses into one range and
 * builds the indexes. Lookups are valid only on a finished map. Every error
 * found is appended to the caller's diag as "FILE:LINE: message"; functions
 * go on after an error so that one run reports all of them.
 *
 * Lookups by id and by address are binary searches over ranges, so they
 * cost O(log ranges) whatever the number of nodes.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
#include "diag.h"

#define MAP_MAX_ID 65535u

enum map_flags {
	/* host names are errors: nothing is resolved (fuzzing, boot) */
	MAP_NO_RESOLVE = 1 << 0,
};

struct map_range {
	uint32_t first;
	uint32_t count;
	struct mosix_addr addr;
	/* where it was read, for messages: index into mosix_map.src */
	uint32_t src;
	uint32_t line;
};

struct map_alias {
	uint32_t id;
	struct mosix_addr addr;
	uint32_t src;
	uint32_t line;
};

/* An address-sorted run of ids: a range, or an alias (count 1). */
struct map_index {
	struct mosix_addr addr;
	uint32_t count;
	uint32_t id;
};

struct mosix_map {
	struct map_range *range; /* sorted by first id once finished */
	size_t nrange, range_alloc;
	struct map_alias *alias; /* sorted by id, then address */
	size_t nalias, alias_alloc;
	struct map_index *by_addr;
	size_t nby_addr;
	char **src; /* names of the inputs */
	size_t nsrc;
	uint32_t nnodes;
	bool finished;
};

void map_init(struct mosix_map *m);
void map_release(struct mosix_map *m);

/*
 * Parse map text; @name is used in messages. Returns 0, -EINVAL when some
 * line was bad (all reported to @d), or -ENOMEM.
 */
int map_parse(struct mosix_map *m, const char *name, const char *buf,
	      size_t len, unsigned flags, struct diag *d);

/* Read and parse a file. -errno (reported to @d) if it cannot be read. */
int map_load_file(struct mosix_map *m, const char *path, unsigned flags,
		  struct diag *d);

/*
 * Add entries directly (mosix-mkmap builds maps this way). @src comes from
 * map_source(). They check what one entry alone can tell.
 */
int map_source(struct mosix_map *m, const char *name, uint32_t *ret_src);
int map_add_range(struct mosix_map *m, uint32_t src, uint32_t line,
		  uint32_t first, const struct mosix_addr *addr, uint32_t count,
		  struct diag *d);
int map_add_alias(struct mosix_map *m, uint32_t src, uint32_t line,
		  uint32_t id, const struct mosix_addr *addr, struct diag *d);

/* Check the whole map and build the indexes. 0, -EINVAL or -ENOMEM. */
int map_finish(struct mosix_map *m, struct diag *d);

/* map_init + map_load_file + map_finish; on failure @m is released. */
int map_load(struct mosix_map *m, const char *path, unsigned flags,
	     struct diag *d);

/* The main address of node @id: 0, or -ENOENT if the id is not mapped. */
int map_addr_of(const struct mosix_map *m, uint32_t id,
		struct mosix_addr *ret);

/* The node with address @a (main or alias), or 0 if none. */
uint32_t map_id_of(const struct mosix_map *m, const struct mosix_addr *a);

bool map_has_id(const struct mosix_map *m, uint32_t id);

/* The first mapped id above @id, or 0 when there is none: for iteration. */
uint32_t map_next_id(const struct mosix_map *m, uint32_t id);

/*
 * Write the canonical form: one "ID ADDRESS COUNT" line per maximal run of
 * consecutive ids with consecutive addresses, sorted by id, then the alias
 * lines sorted by id and address. Returns 0 or -errno.
 */
int map_write(const struct mosix_map *m, FILE *f);

/*
 * This node's id: the node whose main or alias address is configured on a
 * local interface. -ENOENT when none is, -ENOTUNIQ when addresses of two
 * different nodes are (the admin must choose with setpe -p).
 */
int map_find_self(const struct mosix_map *m, uint32_t *ret_id);

/* The rule of map_find_self() applied to a given list of local addresses. */
int map_match_self(const struct mosix_map *m, const struct mosix_addr *local,
		   size_t nlocal, uint32_t *ret_id);

#endif
