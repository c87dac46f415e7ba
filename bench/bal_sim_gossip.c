// SPDX-License-Identifier: GPL-2.0-only
/*
 * The simulated nodes' gossip, through mosix-infod's own table code
 * (peers.c), and the cluster file a decision starts from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bal_sim.h"
#include "daemons/mosix-infod/measure.h"

int sim_map_init(struct sim *s)
{
	struct diag d = DIAG_INIT;
	char text[64];
	int r;

	/* one range of ids 1..N; the addresses are never used */
	snprintf(text, sizeof(text), "1 10.0.0.1 %u\n", s->cfg->nodes);
	r = map_parse(&s->map, "bal-sim", text, strlen(text), MAP_NO_RESOLVE, &d);
	if (!r)
		r = map_finish(&s->map, &d);
	diag_release(&d);
	if (!r)
		r = pick_init(&s->pick, &s->map);
	return r;
}

void sim_vector(struct sim_node *n, int64_t now)
{
	/* what measure_vector() holds back from guests: MemTotal / 20 */
	uint64_t held = n->used + measure_reserve(n->tmem * 4) / 4;
	uint64_t busy = (uint64_t)n->run.n * 1000 / n->cpus;

	n->vec = (struct gossip_vec){
		.node = (uint16_t)n->id,
		.load = measure_load(n->mean, n->speed),
		.speed = n->speed,
		.cpus = (uint16_t)n->cpus,
		.guests = (uint16_t)(n->guests > UINT16_MAX ? UINT16_MAX : n->guests),
		.local = n->own.n,
		.tmem = n->tmem,
		.mem = held < n->tmem ? n->tmem - held : 0,
		.rmem = n->used < n->tmem ? n->tmem - n->used : 0,
		.util = (uint32_t)(busy > 1000 ? 1000 : busy),
	};
	n->vec_ms = now;
}

static void swap(int64_t *a, int64_t *b)
{
	int64_t t = *a;

	*a = *b;
	*b = t;
}

/*
 * The @k-th largest of @v[0..n) (k < n; @v is reordered): quickselect with
 * a three-way partition, since ages come in whole steps and tie often.
 */
static int64_t kth_latest(int64_t *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		int64_t pivot = v[lo + (hi - lo) / 2];
		/* [lo, lt) above the pivot, [lt, i) equal, [gt, hi] below */
		size_t lt = lo, i = lo, gt = hi + 1;

		while (i < gt) {
			if (v[i] > pivot)
				swap(&v[i++], &v[lt++]);
			else if (v[i] < pivot)
				swap(&v[i], &v[--gt]);
			else
				i++;
		}
		if (k < lt)
			hi = lt - 1;
		else if (k >= gt)
			lo = gt;
		else
			return pivot;
	}
	return v[k];
}

/*
 * Keep the cfg->table freshest entries of @n's table, and those of the
 * nodes its processes run on: MOSIX's bounded load vector, for clusters
 * where a table of every node would not fit in the simulator. (The daemon
 * keeps every node heard of, so bal_view() always finds where a process
 * runs.)
 */
static void prune(struct sim *s, struct sim_node *n)
{
	struct peers *t = &n->peers;
	uint32_t keep = s->cfg->table;
	size_t out = 0, kept = 0, m = 0;
	int64_t cut;

	if (!keep || t->n <= keep)
		return;
	for (uint32_t i = 0; i < n->own.n; i++) {
		const struct sim_proc *p = &s->proc[n->own.v[i]];
		const struct peer *e = p->where != n->id ? peers_find(t, p->where) : NULL;

		if (e)
			s->pin[e - t->p] = true;
	}
	for (size_t i = 0; i < t->n; i++)
		if (!s->pin[i])
			s->origins[m++] = t->p[i].heard ? t->p[i].origin_ms : INT64_MIN;
	cut = m > keep ? kth_latest(s->origins, m, keep - 1) : INT64_MIN;
	for (size_t i = 0; i < t->n; i++) {
		bool pinned = s->pin[i];

		s->pin[i] = false;
		if (!pinned && (!t->p[i].heard || t->p[i].origin_ms < cut || kept == keep))
			continue;
		kept += !pinned;
		if (out != i)
			t->p[out] = t->p[i];
		out++;
	}
	t->n = out;
}

/* What rx_datagram() does with an authentic datagram's vectors. */
static void receive(struct sim *s, struct sim_node *to, const struct gossip_vec *vec, size_t n,
		    int64_t now)
{
	for (size_t i = 0; i < n; i++)
		if (vec[i].node != to->id)
			peers_merge(&to->peers, &vec[i], now, to->dead_ms, s->cfg->nodes);
}

void sim_gossip_round(struct sim *s, struct sim_node *n, int64_t now)
{
	uint32_t target[SIM_FANOUT];
	size_t k;

	prune(s, n);
	/* infod_round(): the threshold, the targets, a datagram to each */
	n->dead_ms = peers_dead_after(&n->peers, now, SIM_DEAD_MS, SIM_INFO_MS, SIM_FANOUT,
				      SIM_WINDOW);
	k = peers_targets(&n->peers, &s->pick, n->id, now, n->dead_ms, SIM_FANOUT, &s->rng,
			  target);
	for (size_t i = 0; i < k; i++) {
		struct sim_node *to = &s->node[target[i] - 1];
		struct gossip_vec vec[GOSSIP_MAX_VECS];
		size_t c = 1;

		vec[0] = n->vec;
		vec[0].age_ms = (uint32_t)(now - n->vec_ms);
		c += peers_window(&n->peers, now, n->dead_ms, to->id, vec + 1, SIM_WINDOW);
		receive(s, to, vec, c, now);
		s->dgrams++;
	}
}

static struct node_state state_of(uint32_t id, bool up, uint32_t age, const struct gossip_vec *v)
{
	struct node_state ns = { .id = id, .up = up, .age_ms = age, .v = *v };

	ns.v.age_ms = age;
	return ns;
}

/*
 * What node @n's mosix-infod publishes in its cluster file (publish.c's
 * build()): itself, fresh, and every node of its table with its age,
 * sorted by id. mosix-migd narrows it with bal_view().
 */
void sim_table(struct sim *s, struct sim_node *n, int64_t now, struct cluster_state *ret)
{
	const struct peers *t = &n->peers;
	struct node_state *v = s->view;
	bool self_done = false;
	size_t k = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct peer *p = &t->p[i];
		int64_t age = now - p->origin_ms;

		if (!self_done && n->id < p->id) {
			v[k++] = state_of(n->id, true, 0, &n->vec);
			self_done = true;
		}
		if (p->heard)
			v[k++] = state_of(p->id, peer_up(p, now, n->dead_ms),
					  (uint32_t)(age < 0 ? 0 : age), &p->v);
	}
	if (!self_done)
		v[k++] = state_of(n->id, true, 0, &n->vec);
	*ret = (struct cluster_state){ .self = n->id, .now_ms = (uint64_t)now, .node = v, .n = k };
}
