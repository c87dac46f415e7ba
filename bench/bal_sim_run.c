// SPDX-License-Identifier: GPL-2.0-only
/*
 * One run of one policy: the time loop, arrivals, processor sharing, moves
 * in flight and the load samples. Gossip rounds and decisions are called
 * from here, at each node's phase of its intervals.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bal_sim.h"
#include "daemons/mosix-infod/measure.h"

const char *sim_policy_name(enum sim_policy p)
{
	static const char *const name[] = {
		[SIM_NONE] = "none", [SIM_RANDOM] = "random", [SIM_BALANCE] = "balance",
	};

	return p < SIM_POLICIES ? name[p] : "?";
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct sim_node *node_of(struct sim *s, uint32_t id)
{
	return &s->node[id - 1];
}

/* Job @j starts running on p->where (from p->ready_ms). */
static int land(struct sim *s, uint32_t j)
{
	struct sim_proc *p = &s->proc[j];
	struct sim_node *n = node_of(s, p->where);
	int r = sim_list_add(&n->run, j, &p->at_run);

	if (r)
		return r;
	p->flying = false;
	n->used += s->st->job[j].pages;
	n->guests += p->where != s->st->job[j].home;
	return 0;
}

/* Job @j leaves the node it runs on. */
static void depart(struct sim *s, uint32_t j)
{
	struct sim_proc *p = &s->proc[j];
	struct sim_node *n = node_of(s, p->where);
	uint32_t moved = sim_list_del(&n->run, p->at_run);

	if (moved != UINT32_MAX)
		s->proc[moved].at_run = p->at_run;
	n->used -= s->st->job[j].pages;
	n->guests -= p->where != s->st->job[j].home;
}

static void finish(struct sim *s, uint32_t j, double done_ms)
{
	struct sim_proc *p = &s->proc[j];
	struct sim_node *home = node_of(s, s->st->job[j].home);
	uint32_t moved;

	depart(s, j);
	moved = sim_list_del(&home->own, p->at_own);
	if (moved != UINT32_MAX)
		s->proc[moved].at_own = p->at_own;
	p->done = true;
	p->done_ms = done_ms;
	s->active--;
}

int sim_move(struct sim *s, uint32_t j, uint32_t to, uint64_t move_ms)
{
	struct sim_proc *p = &s->proc[j];
	uint32_t at;

	depart(s, j);
	p->where = to;
	p->flying = true;
	p->ready_ms = s->now + (int64_t)move_ms;
	p->moved_ms = s->now;
	p->migs++;
	s->moves++;
	return sim_list_add(&s->flying, j, &at);
}

/* A node drawn with probability proportional to its capacity. */
static uint32_t weighted_node(struct sim *s)
{
	uint32_t lo = 0, hi = s->cfg->nodes - 1;
	double x = sim_unit(&s->rng) * s->weight[hi];

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (s->weight[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo + 1;
}

/* The jobs that arrive before @t1, placed by the policy. */
static int arrive(struct sim *s, int64_t t1)
{
	while (s->next < s->st->n && s->st->job[s->next].arrive_ms < t1) {
		uint32_t j = (uint32_t)s->next++, at;
		const struct sim_job *job = &s->st->job[j];
		struct sim_proc *p = &s->proc[j];
		int r;

		*p = (struct sim_proc){ .where = job->home, .left_ms = job->work_ms,
					.ready_ms = job->arrive_ms, .moved_ms = -1 };
		r = sim_list_add(&node_of(s, job->home)->own, j, &p->at_own);
		if (r)
			return r;
		s->active++;
		if (s->pol == SIM_RANDOM) {
			uint32_t to = weighted_node(s);

			if (to != job->home) {
				/* started there: the fixed cost of a move, no memory yet */
				p->where = to;
				p->ready_ms += (int64_t)bal_move_ms(bal_costs_of(&s->costs, to), 0);
				p->migs = 1;
				s->moves++;
				if (p->ready_ms >= t1) {
					p->flying = true;
					r = sim_list_add(&s->flying, j, &at);
					if (r)
						return r;
					continue;
				}
			}
		}
		r = land(s, j);
		if (r)
			return r;
	}
	return 0;
}

/* Moves that end before @t1 land. */
static int land_flying(struct sim *s, int64_t t1)
{
	for (uint32_t i = 0; i < s->flying.n;) {
		uint32_t j = s->flying.v[i];
		int r;

		if (s->proc[j].ready_ms >= t1) {
			i++;
			continue;
		}
		sim_list_del(&s->flying, i);
		r = land(s, j);
		if (r)
			return r;
	}
	return 0;
}

/*
 * Processor sharing over [t0, t1): each process here gets
 * min(1, cpus/running) of a CPU of this speed from when it is ready; one
 * that finishes within the step finishes at its exact time (the CPU it
 * leaves is shared out from the next step on).
 */
static void share(struct sim *s, struct sim_node *n, int64_t t0, int64_t t1)
{
	double frac, rate;

	if (!n->run.n)
		return;
	frac = n->run.n > n->cpus ? (double)n->cpus / n->run.n : 1;
	rate = n->speed / 10000.0 * frac;
	for (uint32_t i = 0; i < n->run.n;) {
		uint32_t j = n->run.v[i];
		struct sim_proc *p = &s->proc[j];
		double start = (double)(p->ready_ms > t0 ? p->ready_ms : t0);
		double avail = (double)t1 - start, work = rate * avail;

		if (avail <= 0) {
			i++;
			continue;
		}
		if (p->left_ms <= work) {
			/* the last of the list takes index i: look at it next */
			finish(s, j, start + p->left_ms / rate);
			continue;
		}
		p->left_ms -= work;
		p->cpu_ms += frac * avail;
		i++;
	}
}

/* mosix-infod's sample: the runnable count into the decayed mean. */
static void sample(struct sim_node *n)
{
	uint64_t tasks = (uint64_t)n->run.n * 1000;

	if (!n->have_mean) {
		n->mean = tasks;
		n->have_mean = true;
	} else {
		n->mean = measure_smooth(n->mean, tasks, SIM_DECAY_SLOW, SIM_DECAY_FAST);
	}
}

static int step(struct sim *s, uint64_t k)
{
	int64_t t0 = s->now, t1 = t0 + SIM_STEP_MS;
	uint32_t phase = (uint32_t)(k % (SIM_INFO_MS / SIM_STEP_MS));
	uint32_t bal_phase = (uint32_t)(k % (SIM_BAL_MS / SIM_STEP_MS));
	int r;

	r = land_flying(s, t1);
	if (!r)
		r = arrive(s, t1);
	if (r)
		return r;
	for (uint32_t i = 0; i < s->cfg->nodes; i++)
		share(s, &s->node[i], t0, t1);
	s->now = t1;
	if (s->pol != SIM_BALANCE)
		return 0;
	for (uint32_t i = 0; i < s->cfg->nodes; i++)
		sample(&s->node[i]);
	for (uint32_t i = 0; i < s->cfg->nodes; i++) {
		struct sim_node *n = &s->node[i];

		if (n->info_phase != phase)
			continue;
		sim_vector(n, t1);
		sim_gossip_round(s, n, t1);
	}
	for (uint32_t i = 0; i < s->cfg->nodes; i++) {
		if (s->node[i].bal_phase != bal_phase)
			continue;
		r = sim_balance_tick(s, &s->node[i], t1);
		if (r)
			return r;
	}
	return 0;
}

static int results(struct sim *s, struct sim_result *ret)
{
	const struct sim_stream *st = s->st;
	int64_t first = st->n ? st->job[0].arrive_ms : 0;
	int64_t from = first + (int64_t)(st->span_s * 1000 / 5);
	double *sd = malloc((st->n ? st->n : 1) * sizeof(*sd)), last = (double)first;
	double short_sum = 0, long_sum = 0;
	uint64_t migs = 0, nshort = 0, nlong = 0;
	size_t m = 0;

	if (!sd)
		return -ENOMEM;
	for (size_t j = 0; j < st->n; j++) {
		const struct sim_proc *p = &s->proc[j];

		migs += p->migs;
		if (p->done_ms > last)
			last = p->done_ms;
		if (st->job[j].arrive_ms < from)
			continue;
		sd[m] = (p->done_ms - (double)st->job[j].arrive_ms) / st->job[j].work_ms;
		if (st->job[j].work_ms < SIM_SHORT_MS) {
			short_sum += sd[m];
			nshort++;
		} else if (st->job[j].work_ms >= SIM_LONG_MS) {
			long_sum += sd[m];
			nlong++;
		}
		m++;
	}
	sim_mean_p95(sd, m, &ret->mean, &ret->p95);
	free(sd);
	ret->measured = m;
	ret->mean_short = nshort ? short_sum / (double)nshort : 0;
	ret->mean_long = nlong ? long_sum / (double)nlong : 0;
	ret->migs = st->n ? (double)migs / (double)st->n : 0;
	ret->makespan_s = (last - (double)first) / 1000;
	ret->age_move_ms = s->age_move_n ? s->age_move_sum / (double)s->age_move_n : -1;
	ret->age_view_ms = s->decisions ? s->age_view_sum / (double)s->decisions : -1;
	ret->view_nodes = s->decisions ? (double)s->view_n / (double)s->decisions : 0;
	ret->dgram_rate = s->now ? (double)s->dgrams * 1000 / (double)s->now / s->cfg->nodes : 0;
	return 0;
}

int sim_run(const struct sim_cfg *cfg, const struct sim_stream *st, enum sim_policy pol,
	    struct sim_result *ret)
{
	struct sim s = { .cfg = cfg, .st = st, .pol = pol };
	double cap, t = wall_s(), sum = 0;
	size_t scratch = (size_t)cfg->nodes + 1;
	int r;

	map_init(&s.map);
	bal_costs_init(&s.costs);
	rng_seed(&s.rng, cfg->seed * 0x94d049bb133111ebull + 3 + pol);
	r = sim_nodes_init(cfg, &s.node, &cap);
	if (r)
		goto out_release;
	s.proc = calloc(st->n ? st->n : 1, sizeof(*s.proc));
	s.weight = calloc(cfg->nodes, sizeof(*s.weight));
	s.view = calloc(scratch, sizeof(*s.view));
	s.origins = calloc(scratch, sizeof(*s.origins));
	s.pin = calloc(scratch, sizeof(*s.pin));
	if (!s.proc || !s.weight || !s.view || !s.origins || !s.pin) {
		r = -ENOMEM;
		goto out_release;
	}
	for (uint32_t i = 0; i < cfg->nodes; i++) {
		sum += s.node[i].cpus * (double)s.node[i].speed;
		s.weight[i] = sum;
	}
	r = sim_map_init(&s);
	if (r)
		goto out_release;
	for (uint64_t k = 0; s.next < st->n || s.active || s.flying.n; k++) {
		r = step(&s, k);
		if (r)
			goto out_release;
	}
	r = results(&s, ret);
	ret->wall_s = wall_s() - t;
out_release:
	free(s.bp);
	free(s.pin);
	free(s.origins);
	free(s.view);
	free(s.weight);
	free(s.proc);
	sim_list_release(&s.flying);
	sim_nodes_free(s.node, cfg->nodes);
	pick_release(&s.pick);
	map_release(&s.map);
	bal_costs_release(&s.costs);
	return r;
}
