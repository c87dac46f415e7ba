// SPDX-License-Identifier: GPL-2.0-only
#include "peers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void rng_seed(struct rng *r, uint64_t seed)
{
	/* the state must never be zero */
	r->s = seed ? seed : 0x9e3779b97f4a7c15ull;
}

uint64_t rng_next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

uint32_t rng_below(struct rng *r, uint32_t n)
{
	/* the top 32 bits scaled: bias below 2^-32, no division */
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* --- drawing map nodes ----------------------------------------------- */

int pick_init(struct map_pick *p, const struct mosix_map *m)
{
	size_t n = m->nrange;
	uint32_t total = 0;

	memset(p, 0, sizeof(*p));
	p->first = calloc(n ? n : 1, sizeof(*p->first));
	p->end = calloc(n ? n : 1, sizeof(*p->end));
	if (!p->first || !p->end) {
		pick_release(p);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		total += m->range[i].count;
		p->first[i] = m->range[i].first;
		p->end[i] = total;
	}
	p->n = n;
	p->total = total;
	return 0;
}

void pick_release(struct map_pick *p)
{
	if (!p)
		return;
	free(p->first);
	free(p->end);
	memset(p, 0, sizeof(*p));
}

uint32_t pick_id(const struct map_pick *p, uint32_t k)
{
	size_t lo = 0, hi = p->n;

	/* the first range whose cumulative end is above k */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->end[mid] <= k)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == p->n)
		return 0;
	return p->first[lo] + k - (lo ? p->end[lo - 1] : 0);
}

uint32_t pick_index(const struct map_pick *p, uint32_t id)
{
	size_t lo = 0, hi = p->n;

	/* the last range starting at or below id */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->first[mid] <= id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return p->total;
	lo--;
	uint32_t start = lo ? p->end[lo - 1] : 0;

	if (id - p->first[lo] >= p->end[lo] - start)
		return p->total;
	return start + id - p->first[lo];
}

/* --- the table ------------------------------------------------------- */

void peers_init(struct peers *t)
{
	memset(t, 0, sizeof(*t));
}

void peers_release(struct peers *t)
{
	if (!t)
		return;
	free(t->p);
	peers_init(t);
}

/* Index of @id, or where it would go. */
static size_t lower_bound(const struct peers *t, uint32_t id)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->p[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct peer *peers_find(const struct peers *t, uint32_t id)
{
	size_t i = lower_bound(t, id);

	return i < t->n && t->p[i].id == id ? &t->p[i] : NULL;
}

int peers_get(struct peers *t, uint32_t id, size_t max, struct peer **ret)
{
	size_t i = lower_bound(t, id);

	if (i < t->n && t->p[i].id == id) {
		*ret = &t->p[i];
		return 0;
	}
	if (t->n >= max || id == 0 || id > MAP_MAX_ID)
		return -ENOSPC;
	if (t->n == t->alloc) {
		size_t na = t->alloc ? t->alloc * 2 : 16;
		struct peer *np;

		if (na > max)
			na = max;
		np = realloc(t->p, na * sizeof(*np));
		if (!np)
			return -ENOMEM;
		t->p = np;
		t->alloc = na;
	}
	memmove(&t->p[i + 1], &t->p[i], (t->n - i) * sizeof(*t->p));
	t->p[i] = (struct peer){ .id = (uint16_t)id };
	t->n++;
	*ret = &t->p[i];
	return 0;
}

bool peer_up(const struct peer *p, int64_t now, uint32_t dead_ms)
{
	return p->heard && now - p->origin_ms < (int64_t)dead_ms;
}

size_t peers_live(const struct peers *t, int64_t now, uint32_t dead_ms)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		n += peer_up(&t->p[i], now, dead_ms);
	return n;
}

enum merge_result peers_merge(struct peers *t, const struct gossip_vec *v,
			      int64_t now, uint32_t dead_ms, size_t max)
{
	int64_t origin = now - (int64_t)v->age_ms;
	struct peer *p;
	bool was_up;

	if (v->age_ms >= dead_ms)
		return MERGE_STALE;
	p = peers_find(t, v->node);
	if (p && p->heard && p->origin_ms >= origin)
		return MERGE_OLDER;
	if (!p && peers_get(t, v->node, max, &p) < 0)
		return MERGE_FULL;
	was_up = peer_up(p, now, dead_ms);
	p->v = *v;
	p->v.age_ms = 0;
	p->origin_ms = origin;
	p->heard = true;
	return was_up ? MERGE_NEWER : MERGE_UP;
}

bool peer_fresh_seq(const struct peer *p, uint64_t epoch, uint64_t seq)
{
	if (!p || !p->direct)
		return true;
	return epoch > p->epoch || (epoch == p->epoch && seq > p->seq);
}

void peer_note_seq(struct peer *p, uint64_t epoch, uint64_t seq)
{
	p->direct = true;
	p->epoch = epoch;
	p->seq = seq;
}

static uint32_t age_of(const struct peer *p, int64_t now)
{
	int64_t age = now - p->origin_ms;

	if (age < 0)
		return 0;
	return age > UINT32_MAX ? UINT32_MAX : (uint32_t)age;
}

size_t peers_window(const struct peers *t, int64_t now, uint32_t dead_ms,
		    uint32_t exclude, struct gossip_vec *out, size_t max)
{
	size_t n = 0;

	if (max == 0)
		return 0;
	/* insertion into a short sorted list: max is at most 22 */
	for (size_t i = 0; i < t->n; i++) {
		const struct peer *p = &t->p[i];
		uint32_t age;
		size_t j;

		if (p->id == exclude || !peer_up(p, now, dead_ms))
			continue;
		age = age_of(p, now);
		if (n == max && age >= out[n - 1].age_ms)
			continue;
		j = n < max ? n++ : max - 1;
		while (j > 0 && out[j - 1].age_ms > age) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = p->v;
		out[j].age_ms = age;
	}
	return n;
}

/* A uniformly chosen up node; 0 if none. */
static uint32_t random_live(const struct peers *t, size_t live, int64_t now,
			    uint32_t dead_ms, struct rng *r)
{
	uint32_t k;

	if (live == 0)
		return 0;
	k = rng_below(r, (uint32_t)live);
	for (size_t i = 0; i < t->n; i++)
		if (peer_up(&t->p[i], now, dead_ms) && k-- == 0)
			return t->p[i].id;
	return 0;
}

/* A uniformly chosen map node other than @self; 0 if none. */
static uint32_t random_any(const struct map_pick *pick, uint32_t self, struct rng *r)
{
	/* self is one of total ids; a few draws find another almost surely */
	for (int tries = 0; tries < 8 && pick->total > 1; tries++) {
		uint32_t id = pick_id(pick, rng_below(r, pick->total));

		if (id && id != self)
			return id;
	}
	return 0;
}

size_t peers_targets(const struct peers *t, const struct map_pick *pick,
		     uint32_t self, int64_t now, uint32_t dead_ms, unsigned fanout,
		     struct rng *r, uint32_t *out)
{
	size_t live = peers_live(t, now, dead_ms), n = 0;
	uint32_t odds = live > 5 ? (uint32_t)live : 5;

	/* a duplicate draw is retried a few times, never looped on */
	for (unsigned tries = 0; n < fanout && tries < 4 * fanout; tries++) {
		uint32_t id;
		bool dup = false;

		if (live == 0 || rng_below(r, odds) == 0)
			id = random_any(pick, self, r);
		else
			id = random_live(t, live, now, dead_ms, r);
		if (!id)
			continue;
		for (size_t i = 0; i < n; i++)
			dup |= out[i] == id;
		if (!dup)
			out[n++] = id;
	}
	return n;
}

uint32_t peers_dead_after(const struct peers *t, int64_t now, uint32_t dead_ms,
			  uint32_t interval_ms, uint32_t fanout, uint32_t window)
{
	uint64_t known = 1, scaled;

	for (size_t i = 0; i < t->n; i++)
		known += t->p[i].heard && now - t->p[i].origin_ms < KNOWN_MS;
	if (fanout == 0 || window == 0)
		return dead_ms;
	scaled = (uint64_t)DEAD_ROUNDS * interval_ms * known / ((uint64_t)fanout * window);
	if (scaled > UINT32_MAX)
		scaled = UINT32_MAX;
	return scaled > dead_ms ? (uint32_t)scaled : dead_ms;
}

void peers_prune(struct peers *t, const struct mosix_map *m, uint32_t self)
{
	size_t out = 0;

	for (size_t i = 0; i < t->n; i++)
		if (t->p[i].id != self && map_has_id(m, t->p[i].id))
			t->p[out++] = t->p[i];
	t->n = out;
}

/* --- the start-up sweep ---------------------------------------------- */

void sweep_start(struct sweep *s, const struct map_pick *pick, uint32_t self)
{
	s->center = pick_index(pick, self);
	s->step = 1;
	/* every index but ours (all of them if we are not mapped) */
	s->left = s->center < pick->total ? pick->total - 1 : pick->total;
}

uint32_t sweep_next(struct sweep *s, const struct map_pick *pick)
{
	/* center+1, center-1, center+2, ...: past 2 * total all are covered */
	while (s->left && s->step <= 2 * (uint64_t)pick->total + 1) {
		uint64_t off = (s->step + 1) / 2;
		int64_t k = s->step % 2 ? (int64_t)s->center + (int64_t)off
					: (int64_t)s->center - (int64_t)off;

		s->step++;
		if (k < 0 || k >= pick->total)
			continue;
		s->left--;
		return pick_id(pick, (uint32_t)k);
	}
	s->left = 0;
	return 0;
}
