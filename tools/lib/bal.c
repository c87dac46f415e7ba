// SPDX-License-Identifier: GPL-2.0-only
/* The load-balancing decision (the model is in bal.h). */
#include "bal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bal_params_default(struct bal_params *p)
{
	*p = (struct bal_params){
		.hysteresis_pm = 250,
		.residency_ms = 30000,
		.min_cpu_ms = 1000,
		.cpu_min_pm = 500,
		.io_max_cps = 200,
		.settle_ms = 10000,
		.mem_margin_pages = 16384,	/* 64 MiB, as mosix-migd's own check */
		.usher_pm = 50,
		.view = 16,
	};
}

void bal_init(struct bal *b, const struct bal_params *p)
{
	memset(b, 0, sizeof(*b));
	b->p = *p;
}

bool bal_takes_guests(const struct node_state *n)
{
	const uint16_t no = GV_BLOCKED | GV_SWAPPING | GV_OFF | GV_QUIET | GV_NOGUESTS;

	return n->up && !(n->v.flags & no);
}

const char *bal_unfit(const struct bal *b, const struct bal_proc *p)
{
	if (p->flags & BAL_LOCKED)
		return "locked";
	if (p->flags & BAL_CANTMOVE)
		return "cannot migrate";
	if (p->flags & BAL_IOJOB)
		return "an I/O job (mosrun -i)";
	if (p->since_move_ms < b->p.residency_ms)
		return "moved recently";
	if (p->cpu_ms < b->p.min_cpu_ms)
		return "too young";
	if (p->flags & BAL_CPUJOB)
		return NULL;
	if (p->io_cps > b->p.io_max_cps)
		return "I/O-bound";
	if (p->cpu_pm < b->p.cpu_min_pm)
		return "not CPU-bound";
	return NULL;
}

bool bal_io_home(const struct bal *b, const struct bal_proc *p)
{
	return p->where && !(p->flags & (BAL_LOCKED | BAL_CPUJOB)) &&
	       p->since_move_ms >= b->p.residency_ms && p->io_cps > b->p.io_max_cps;
}

/*
 * Thousandths of runnable tasks on @n: what gossip says, with the decisions
 * it does not show yet, and at least what our own processes there use
 * (@floor_m): gossip's load rises slowly, by design, but the decider knows
 * its own processes now.
 */
static int64_t tasks_m(const struct bal *b, const struct node_state *n, int64_t floor_m,
		       uint64_t now_ms)
{
	int64_t t = (int64_t)((uint64_t)n->v.load * n->v.speed / 1000);

	for (int i = 0; i < BAL_PENDING_MAX; i++)
		if (b->pend[i].node == n->id && b->pend[i].until_ms > now_ms)
			t += b->pend[i].tasks_m;
	return t < floor_m ? floor_m : t;
}

/* What our own processes use on each node of @cs (indexed like cs->node). */
static int64_t *floors(const struct cluster_state *cs, const struct bal_proc *procs, size_t n)
{
	int64_t *f = calloc(cs->n ? cs->n : 1, sizeof(*f));

	for (size_t i = 0; f && i < n; i++) {
		const struct node_state *at =
			cluster_state_find(cs, procs[i].where ? procs[i].where : cs->self);

		if (at)
			f[at - cs->node] += procs[i].cpu_pm;
	}
	return f;
}

/* A node's place among equals, different in every daemon (splitmix64). */
static uint64_t tie(uint64_t salt, uint32_t id)
{
	uint64_t z = salt + (uint64_t)id * 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct ranked {
	const struct node_state *n;
	uint64_t key;
};

static int by_freshness(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->n->age_ms != y->n->age_ms)
		return x->n->age_ms < y->n->age_ms ? -1 : 1;
	return (x->key > y->key) - (x->key < y->key);
}

static int by_id(const void *a, const void *b)
{
	const struct node_state *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

int bal_view(const struct bal *b, const struct cluster_state *all, const struct bal_proc *procs,
	     size_t n, struct cluster_state *ret)
{
	struct ranked *r = calloc(all->n ? all->n : 1, sizeof(*r));
	bool *take = calloc(all->n ? all->n : 1, sizeof(*take));
	size_t nr = 0, count = 0;

	if (!r || !take) {
		free(r);
		free(take);
		return -ENOMEM;
	}
	for (size_t i = 0; i < all->n; i++) {
		const struct node_state *x = &all->node[i];

		if (x->id == all->self || !b->p.view)
			take[i] = true;
		else if (x->up)
			r[nr++] = (struct ranked){ x, tie(b->salt, x->id) };
	}
	qsort(r, nr, sizeof(*r), by_freshness);
	for (size_t i = 0; i < nr && i < b->p.view; i++)
		take[r[i].n - all->node] = true;
	for (size_t i = 0; i < n; i++) {
		const struct node_state *at = cluster_state_find(all, procs[i].where ?
								 procs[i].where : all->self);

		if (at)
			take[at - all->node] = true;
	}
	*ret = *all;
	ret->node = calloc(all->n ? all->n : 1, sizeof(*ret->node));
	if (!ret->node) {
		free(r);
		free(take);
		return -ENOMEM;
	}
	for (size_t i = 0; i < all->n; i++)
		if (take[i])
			ret->node[count++] = all->node[i];
	ret->n = count;
	qsort(ret->node, count, sizeof(*ret->node), by_id);
	free(r);
	free(take);
	return 0;
}

/* What one process gets on @n holding @t_m thousandths of tasks with it. */
static uint32_t rate(const struct node_state *n, int64_t t_m)
{
	uint64_t cpus_m = (uint64_t)(n->v.cpus ? n->v.cpus : 1) * 1000;
	uint64_t s = n->v.speed ? n->v.speed : 1;

	if (t_m <= (int64_t)cpus_m)
		return (uint32_t)s;
	return (uint32_t)(s * cpus_m / (uint64_t)t_m);
}

/* Milliseconds to do @work_ms of reference-CPU work at @r. */
static uint64_t run_ms(uint64_t work_ms, uint32_t r)
{
	return work_ms * 10000 / (r ? r : 1);
}

int bal_decide(struct bal *b, const struct cluster_state *cs, const struct bal_costs *c,
	       const struct bal_proc *procs, size_t n, uint64_t now_ms,
	       struct bal_decision *ret)
{
	uint64_t best_save = 0;
	bool any = false, found = false;
	int64_t *fl = floors(cs, procs, n);

	ret->pid = -1;
	if (!fl)
		return -ENOMEM;
	/* every call it makes waits for a trip home: no CPU makes up for that */
	for (size_t i = 0; i < n; i++) {
		const struct bal_proc *p = &procs[i];

		if (bal_io_home(b, p) && (!found || p->io_cps > ret->io_cps)) {
			*ret = (struct bal_decision){ .pid = p->pid, .from = p->where,
						      .to = cs->self, .io_cps = p->io_cps };
			found = true;
		}
	}
	if (found) {
		free(fl);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct bal_proc *p = &procs[i];
		const struct node_state *src;
		uint32_t share = p->cpu_pm ? p->cpu_pm : 1, r_src;
		uint64_t work, stay;

		if (bal_unfit(b, p))
			continue;
		src = cluster_state_find(cs, p->where ? p->where : cs->self);
		if (!src || !src->up)
			continue;
		any = true;
		if (p->flags & BAL_CPUJOB)
			share = 1000;
		/* it is counted where it runs; at least its own share */
		{
			int64_t t = tasks_m(b, src, fl[src - cs->node], now_ms);

			r_src = rate(src, t < share ? share : t);
		}
		/* the CPU it used, at the speed it got, as reference work */
		work = p->cpu_ms * (src->v.speed ? src->v.speed : 10000) / 10000;
		stay = run_ms(work, r_src);
		for (size_t k = 0; k < cs->n; k++) {
			const struct node_state *dst = &cs->node[k];
			bool home = dst->id == cs->self;
			uint64_t move, go;
			uint32_t r_dst;

			if (dst == src || !dst->up || (p->avoid && dst->id == p->avoid))
				continue;
			if (!home && !bal_takes_guests(dst))
				continue;
			if (!home && dst->v.mem < p->pages + b->p.mem_margin_pages)
				continue;
			r_dst = rate(dst, tasks_m(b, dst, fl[k], now_ms) + share);
			move = bal_move_ms(bal_costs_of(c, home ? src->id : dst->id), p->pages);
			go = run_ms(work, r_dst) + move;
			if (go * (1000 + b->p.hysteresis_pm) / 1000 >= stay || stay - go < best_save)
				continue;
			/* among equal savings, the salt's order: not always the lowest id */
			if (found && stay - go == best_save &&
			    tie(b->salt, dst->id) >= tie(b->salt, ret->to))
				continue;
			best_save = stay - go;
			found = true;
			*ret = (struct bal_decision){
				.pid = p->pid, .from = src->id, .to = dst->id, .stay_ms = stay,
				.go_ms = go, .move_ms = move, .rate_from = r_src, .rate_to = r_dst,
			};
		}
	}
	free(fl);
	if (!found && any)
		ret->pid = 0;
	return found;
}

void bal_moved(struct bal *b, const struct bal_decision *d, uint32_t cpu_pm, uint64_t now_ms)
{
	int32_t share = (int32_t)(cpu_pm ? cpu_pm : 1000);
	int done = 0;

	for (int i = 0; i < BAL_PENDING_MAX && done < 2; i++) {
		struct bal_pending *q = &b->pend[i];

		if (q->until_ms > now_ms)
			continue;
		*q = (struct bal_pending){ done ? d->from : d->to, done ? -share : share,
					   now_ms + b->p.settle_ms };
		done++;
	}
}

void bal_withdraw(struct bal *b, const struct bal_decision *d, uint32_t cpu_pm,
		  uint64_t now_ms)
{
	int32_t share = (int32_t)(cpu_pm ? cpu_pm : 1000);
	bool to = false, from = false;

	for (int i = 0; i < BAL_PENDING_MAX && !(to && from); i++) {
		struct bal_pending *q = &b->pend[i];

		if (q->until_ms <= now_ms)
			continue;
		if (!to && q->node == d->to && q->tasks_m == share) {
			q->until_ms = 0;
			to = true;
		} else if (!from && q->node == d->from && q->tasks_m == -share) {
			q->until_ms = 0;
			from = true;
		}
	}
}

bool bal_usher(const struct bal *b, const struct gossip_vec *self)
{
	if (self->flags & GV_SWAPPING)
		return true;
	return self->tmem && self->mem * 1000 < self->tmem * b->p.usher_pm;
}

void bal_format(const struct bal_decision *d, char *buf, size_t len)
{
	if (d->io_cps) {
		snprintf(buf, len, "process %d: node %u -> %u (home): I/O-bound, %u calls/s home",
			 (int)d->pid, d->from, d->to, d->io_cps);
		return;
	}
	snprintf(buf, len,
		 "process %d: node %u -> %u: rate %u.%02u -> %u.%02u CPUs, "
		 "done in %llu.%03llu s there against %llu.%03llu s staying (the move %llu.%03llu s)",
		 (int)d->pid, d->from, d->to, d->rate_from / 10000, d->rate_from % 10000 / 100,
		 d->rate_to / 10000, d->rate_to % 10000 / 100,
		 (unsigned long long)(d->go_ms / 1000), (unsigned long long)(d->go_ms % 1000),
		 (unsigned long long)(d->stay_ms / 1000), (unsigned long long)(d->stay_ms % 1000),
		 (unsigned long long)(d->move_ms / 1000), (unsigned long long)(d->move_ms % 1000));
}
