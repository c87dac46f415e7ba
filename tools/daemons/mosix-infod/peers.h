/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef INFOD_PEERS_H
#define INFOD_PEERS_H

/*
 * What this node knows of the others, and the decisions that follow from it
 * alone: which information is fresher, who is up, which datagrams are
 * replays, whom to gossip to and what to tell them. No I/O, no clock: the
 * caller passes the time (CLOCK_MONOTONIC, ms) and a random generator, so
 * the unit tests drive it directly.
 *
 * Ages. A vector's age is how old its information is. A datagram carries
 * each vector with its age when sent; the receiver keeps the local time at
 * which that information was new ("origin" = now - age) and so lets it age
 * with its own clock; of two vectors of one node the one with the later
 * origin wins. A node whose information is dead_ms old or older is down,
 * and is not passed on.
 *
 * Memory. Only nodes heard of get an entry (a sorted array), never more
 * than the map holds: a map of 65535 ids with four nodes alive costs four
 * entries.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/gossip_wire.h"
#include "lib/map.h"

/* xorshift64*: fast, seeded from libsodium by the daemon, fixed by tests */
struct rng {
	uint64_t s;
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n); n > 0. */
uint32_t rng_below(struct rng *r, uint32_t n);

/*
 * The map's ids as one index space 0..total-1, so that a node can be drawn
 * uniformly in O(log ranges) whatever the number of nodes.
 */
struct map_pick {
	uint32_t *first;	/* first id of each range */
	uint32_t *end;		/* cumulative count at the end of each range */
	size_t n;
	uint32_t total;
};

int pick_init(struct map_pick *p, const struct mosix_map *m);
void pick_release(struct map_pick *p);
/* The id at index @k (< total). */
uint32_t pick_id(const struct map_pick *p, uint32_t k);

struct peer {
	uint16_t id;
	bool heard;		/* v and origin_ms hold information */
	bool direct;		/* epoch/seq hold the last datagram it sent us */
	uint64_t epoch, seq;
	int64_t origin_ms;	/* local time when v was new */
	int64_t replied_ms;	/* last unsolicited answer we sent it */
	struct gossip_vec v;
};

struct peers {
	struct peer *p;		/* sorted by id */
	size_t n, alloc;
};

void peers_init(struct peers *t);
void peers_release(struct peers *t);

struct peer *peers_find(const struct peers *t, uint32_t id);

/*
 * The entry of @id, created empty if needed. -ENOSPC when @max entries
 * exist already (the caller's bound: the map's size), -ENOMEM.
 */
int peers_get(struct peers *t, uint32_t id, size_t max, struct peer **ret);

bool peer_up(const struct peer *p, int64_t now, uint32_t dead_ms);

/* Up nodes in the table (this node is never in it). */
size_t peers_live(const struct peers *t, int64_t now, uint32_t dead_ms);

enum merge_result {
	MERGE_STALE,	/* dead on arrival: ignored */
	MERGE_OLDER,	/* we know as fresh or fresher: ignored */
	MERGE_NEWER,	/* taken */
	MERGE_UP,	/* taken, and the node was unknown or down */
	MERGE_FULL,	/* no room (cannot happen within the map's bound) */
};

/* Merge one vector received at @now; @v->node must be a mapped id. */
enum merge_result peers_merge(struct peers *t, const struct gossip_vec *v,
			      int64_t now, uint32_t dead_ms, size_t max);

/* (epoch, seq) must grow strictly per sender; restarts raise the epoch. */
bool peer_fresh_seq(const struct peer *p, uint64_t epoch, uint64_t seq);
void peer_note_seq(struct peer *p, uint64_t epoch, uint64_t seq);

/*
 * The @max freshest vectors of up nodes other than @exclude (the target:
 * it knows itself best), freshest first, with their current ages.
 */
size_t peers_window(const struct peers *t, int64_t now, uint32_t dead_ms,
		    uint32_t exclude, struct gossip_vec *out, size_t max);

/*
 * Choose up to @fanout distinct targets other than @self, MOSIX2's
 * "mindead" rule: each is, with probability 1/max(5, live), any node of the
 * map (so a dead or unknown node costs a datagram now and then and is found
 * when it comes back), else a random live node. Returns how many.
 */
size_t peers_targets(const struct peers *t, const struct map_pick *pick,
		     uint32_t self, int64_t now, uint32_t dead_ms, unsigned fanout,
		     struct rng *r, uint32_t *out);

/*
 * When silence means death. Each node passes on about fanout * window
 * vectors per interval whatever the cluster's size, so in a large cluster
 * the information about a given node is refreshed less often: a fixed
 * threshold would show live nodes down. The threshold is therefore
 *
 *   max(dead_ms, DEAD_ROUNDS * interval_ms * known / (fanout * window))
 *
 * with known the nodes heard of in the last KNOWN_MS (this one included);
 * with the defaults it only grows beyond 32 nodes (20 s at 64).
 */
#define DEAD_ROUNDS 10
#define KNOWN_MS (10 * 60 * 1000)
uint32_t peers_dead_after(const struct peers *t, int64_t now, uint32_t dead_ms,
			  uint32_t interval_ms, uint32_t fanout, uint32_t window);

/* Forget nodes the (new) map no longer has, and this node. */
void peers_prune(struct peers *t, const struct mosix_map *m, uint32_t self);

/*
 * The start-up sweep: one announcement to every other node of the map, at
 * most a budget per round, nearest ids first (live nodes tend to sit
 * together in a sparse map, at the start of a DHCP range, say), so that a
 * node finds the live ones at once however large the map is.
 */
struct sweep {
	uint32_t center;	/* our index in the map's index space */
	uint32_t step;
	uint32_t left;
};

/* The index of @id in 0..total-1; total if it is not mapped. */
uint32_t pick_index(const struct map_pick *p, uint32_t id);

void sweep_start(struct sweep *s, const struct map_pick *pick, uint32_t self);
/* The next id to announce to, or 0 when the sweep is over. */
uint32_t sweep_next(struct sweep *s, const struct map_pick *pick);

#endif
