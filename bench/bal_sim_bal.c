// SPDX-License-Identifier: GPL-2.0-only
/*
 * A simulated node's balance tick: what mosix-migd's migd_balance_tick()
 * does, on simulated processes: memory ushering, then one bal_decide()
 * over the node's own processes with the view bal_view() takes from its
 * table, and the move it chooses.
 */
#include <errno.h>
#include <stdlib.h>

#include "bal_sim.h"

/* One guest home per tick while memory is short (migd's usher()). */
static int usher(struct sim *s, struct sim_node *n)
{
	if (!n->guests || !bal_usher(&n->bal, &n->vec))
		return 0;
	for (uint32_t i = 0; i < n->run.n; i++) {
		uint32_t j = n->run.v[i];
		const struct sim_job *job = &s->st->job[j];

		if (job->home != n->id)
			return sim_move(s, j, job->home,
					bal_move_ms(bal_costs_of(&s->costs, job->home), job->pages));
	}
	return 0;
}

static int room(struct sim *s, size_t n)
{
	struct bal_proc *p;

	if (n <= s->bp_alloc)
		return 0;
	p = realloc(s->bp, n * 2 * sizeof(*p));
	if (!p)
		return -ENOMEM;
	s->bp = p;
	s->bp_alloc = n * 2;
	return 0;
}

/*
 * How mosix-migd describes a process (balance.c's describe()): a CPU-bound
 * one asks for a whole CPU; at home its CPU time counts, away its age
 * stands in, since its CPU time is the other node's.
 */
static struct bal_proc describe(const struct sim *s, const struct sim_node *n, uint32_t j,
				int64_t now)
{
	const struct sim_proc *p = &s->proc[j];
	const struct sim_job *job = &s->st->job[j];

	return (struct bal_proc){
		.pid = (pid_t)(j + 1),
		.where = p->where,
		.cpu_pm = 1000,
		.cpu_ms = p->where == n->id ? (uint64_t)p->cpu_ms : (uint64_t)(now - job->arrive_ms),
		.pages = job->pages,
		.since_move_ms = p->moved_ms < 0 ? UINT64_MAX : (uint64_t)(now - p->moved_ms),
	};
}

/* The ages a decision was made on: of its view, and of the target chosen. */
static void note_ages(struct sim *s, const struct cluster_state *cs, const struct bal_decision *d,
		      bool moved)
{
	uint64_t sum = 0, n = 0;

	for (size_t i = 0; i < cs->n; i++) {
		if (cs->node[i].id == cs->self || !cs->node[i].up)
			continue;
		sum += cs->node[i].age_ms;
		n++;
	}
	s->decisions++;
	s->view_n += n;
	s->age_view_sum += n ? (double)sum / (double)n : 0;
	if (moved && d->to != cs->self) {
		const struct node_state *to = cluster_state_find(cs, d->to);

		s->age_move_sum += to ? to->age_ms : 0;
		s->age_move_n++;
	}
}

int sim_balance_tick(struct sim *s, struct sim_node *n, int64_t now)
{
	struct cluster_state all, cs;
	struct bal_decision d;
	bool fit = false;
	size_t m = 0;
	int r;

	r = usher(s, n);
	if (!r)
		r = room(s, n->own.n);
	if (r)
		return r;
	for (uint32_t i = 0; i < n->own.n; i++) {
		uint32_t j = n->own.v[i];

		/* in flight: migd waits for the move to end */
		if (s->proc[j].flying)
			continue;
		s->bp[m] = describe(s, n, j, now);
		fit |= !bal_unfit(&n->bal, &s->bp[m]);
		m++;
	}
	/* bal_decide() would find nothing: spare building the view */
	if (!fit)
		return 0;
	/* migd_balance_tick(): the cluster file, narrowed by bal_view() */
	sim_table(s, n, now, &all);
	r = bal_view(&n->bal, &all, s->bp, m, &cs);
	if (r)
		return r;
	r = bal_decide(&n->bal, &cs, &s->costs, s->bp, m, now, &d);
	if (r >= 0)
		note_ages(s, &cs, &d, r == 1);
	free(cs.node);
	if (r <= 0)
		return r;
	bal_moved(&n->bal, &d, 1000, now);
	return sim_move(s, (uint32_t)(d.pid - 1), d.to, d.move_ms);
}
