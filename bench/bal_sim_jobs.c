// SPDX-License-Identifier: GPL-2.0-only
/*
 * The simulated cluster's nodes and its job stream, both drawn from the
 * seed alone, so that every policy of a run meets the same ones.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bal_sim.h"

/* 4 GiB per CPU, in pages */
#define PAGES_PER_CPU (1ull << 20)
/* job memory between 1 MiB and 4 GiB */
#define PAGES_MIN 256ull
#define PAGES_MAX (1ull << 20)
#define LOGNORMAL_SIGMA 1.0

double sim_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1p-53;
}

int sim_list_add(struct sim_list *l, uint32_t x, uint32_t *ret_at)
{
	if (l->n == l->alloc) {
		uint32_t na = l->alloc ? l->alloc * 2 : 8;
		uint32_t *nv = realloc(l->v, na * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		l->v = nv;
		l->alloc = na;
	}
	*ret_at = l->n;
	l->v[l->n++] = x;
	return 0;
}

uint32_t sim_list_del(struct sim_list *l, uint32_t at)
{
	l->v[at] = l->v[--l->n];
	return at < l->n ? l->v[at] : UINT32_MAX;
}

void sim_list_release(struct sim_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/*
 * A mix of small and large machines: 1, 2, 4 or 8 CPUs (30, 40, 20 and
 * 10% of the nodes) of speeds 0.5 to 1.5 of the reference, 4 GiB per CPU.
 */
static void draw_node(struct rng *r, bool uniform, struct sim_node *n)
{
	static const uint32_t cpus[] = { 1, 2, 4, 8 }, pct[] = { 30, 40, 20, 10 };
	uint32_t x = rng_below(r, 100);

	if (uniform) {
		n->cpus = 1;
		n->speed = 10000;
	} else {
		uint32_t k = 0;

		while (x >= pct[k]) {
			x -= pct[k];
			k++;
		}
		n->cpus = cpus[k];
		n->speed = 5000 + 100 * rng_below(r, 101);
	}
	n->tmem = n->cpus * PAGES_PER_CPU;
}

int sim_nodes_init(const struct sim_cfg *cfg, struct sim_node **ret, double *ret_capacity)
{
	struct sim_node *node = calloc(cfg->nodes, sizeof(*node));
	struct bal_params p;
	struct rng r, salt;
	double cap = 0;

	if (!node)
		return -ENOMEM;
	bal_params_default(&p);
	p.view = cfg->view;
	rng_seed(&r, cfg->seed * 0x9e3779b97f4a7c15ull + 1);
	rng_seed(&salt, cfg->seed * 0x9e3779b97f4a7c15ull + 4);
	for (uint32_t i = 0; i < cfg->nodes; i++) {
		struct sim_node *n = &node[i];

		n->id = i + 1;
		draw_node(&r, cfg->uniform, n);
		n->info_phase = rng_below(&r, SIM_INFO_MS / SIM_STEP_MS);
		n->bal_phase = rng_below(&r, SIM_BAL_MS / SIM_STEP_MS);
		n->dead_ms = SIM_DEAD_MS;
		peers_init(&n->peers);
		bal_init(&n->bal, &p);
		/* each daemon's own order among equal nodes (random in migd) */
		n->bal.salt = rng_next(&salt);
		sim_vector(n, 0);
		cap += n->cpus * (double)n->speed / 10000;
	}
	*ret = node;
	*ret_capacity = cap;
	return 0;
}

void sim_nodes_free(struct sim_node *node, uint32_t n)
{
	if (!node)
		return;
	for (uint32_t i = 0; i < n; i++) {
		sim_list_release(&node[i].run);
		sim_list_release(&node[i].own);
		peers_release(&node[i].peers);
	}
	free(node);
}

/* The mean of the bounded Pareto distribution on [lo, hi] of shape a. */
static double pareto_mean(double lo, double hi, double a)
{
	if (fabs(a - 1) < 1e-9)
		return lo * hi / (hi - lo) * log(hi / lo);
	return pow(lo, a) / (1 - pow(lo / hi, a)) * a / (a - 1) *
	       (1 / pow(lo, a - 1) - 1 / pow(hi, a - 1));
}

static double pareto(struct rng *r, double lo, double hi, double a)
{
	return lo / pow(1 - sim_unit(r) * (1 - pow(lo / hi, a)), 1 / a);
}

static double normal(struct rng *r)
{
	double u = sim_unit(r), v = sim_unit(r);

	return sqrt(-2 * log1p(-u)) * cos(2 * M_PI * v);
}

int sim_stream_init(const struct sim_cfg *cfg, double capacity, struct sim_stream *ret)
{
	double mean = pareto_mean(cfg->min_s, cfg->max_s, cfg->alpha);
	/* arrivals per ms that offer @load of the capacity */
	double rate = cfg->load * capacity / mean / 1000, t = SIM_WARM_MS;
	size_t n = cfg->span_s > 0 ? (size_t)(cfg->span_s * 1000 * rate) + 1 : cfg->jobs;
	struct sim_job *job = calloc(n, sizeof(*job));
	struct rng r;

	if (!job)
		return -ENOMEM;
	rng_seed(&r, cfg->seed * 0xbf58476d1ce4e5b9ull + 2);
	for (size_t i = 0; i < n; i++) {
		double pages = cfg->mib_median * 256 * exp(LOGNORMAL_SIGMA * normal(&r));

		t += -log1p(-sim_unit(&r)) / rate;
		job[i].arrive_ms = (int64_t)t;
		job[i].work_ms = (uint32_t)(pareto(&r, cfg->min_s, cfg->max_s, cfg->alpha) * 1000);
		job[i].home = 1 + rng_below(&r, cfg->nodes);
		job[i].pages = pages < PAGES_MIN ? PAGES_MIN
			       : pages > PAGES_MAX ? PAGES_MAX : (uint64_t)pages;
	}
	*ret = (struct sim_stream){
		.job = job, .n = n, .mean_work_s = mean, .capacity = capacity,
		.span_s = (double)(job[n - 1].arrive_ms - job[0].arrive_ms) / 1000,
	};
	return 0;
}

void sim_stream_release(struct sim_stream *st)
{
	if (!st)
		return;
	free(st->job);
	memset(st, 0, sizeof(*st));
}
