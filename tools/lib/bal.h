/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_BAL_H
#define MOSIX_BAL_H

/*
 * The load-balancing decision, the way MOSIX made it, as pure code: no
 * I/O, no clock, no globals. mosix-migd feeds it what gossip says about
 * the cluster and what /proc says about its own processes once a second;
 * the simulator (bench/bal-sim) feeds it simulated nodes. Both run this
 * same code.
 *
 * Model. Node n has cpus_n CPUs of speed s_n (10000 = the reference CPU)
 * and a load l_n (100 = one busy reference CPU, decayed; gossip_wire.h),
 * which is t_n = l_n * s_n / 10^6 runnable tasks. A CPU-bound process
 * there progresses at
 *
 *     rate_n = s_n * min(1, cpus_n / t_n)      (reference CPUs' worth)
 *
 * counting itself in t_n (+ its own share when it is not there yet); t_n
 * is at least what the decider's own processes there use (gossip's load
 * rises slowly, by design, but the decider knows its own processes). A
 * process that used c ms of CPU is expected to need about as much again
 * (MOSIX's rule: the older a process, the longer it will live), W = c.
 * Moving it from a to b costs
 *
 *     cost = latency_b + pages * 4096 / bandwidth_b    (bal_costs)
 *
 * and it pays when  W * 10^4 / rate_b + cost  times (1 + hysteresis) is
 * less than  W * 10^4 / rate_a . Of all pairs (process, node) the one with
 * the largest saving is chosen; one decision per call, so a node moves at
 * most one process per interval.
 *
 * Against ping-pong: a process that moved stays at least residency_ms
 * where it went; the load a decision sends to a node counts for it (and no
 * longer for the source) during settle_ms, until gossip has caught up
 * (bal_moved); and the hysteresis.
 *
 * Who decides: each node decides only for its own processes, wherever
 * they run (a home process away on node x has a = x, and "home" is one of
 * the destinations). A node that hosts guests never moves them itself; it
 * only sheds them when it runs short of memory (bal_usher), and their
 * homes place them again.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "state.h"

struct bal_params {
	uint32_t hysteresis_pm;	/* the saving must exceed this, per mille */
	uint32_t residency_ms;	/* stay at least this long after a move */
	uint32_t min_cpu_ms;	/* CPU used before a process is worth moving */
	uint32_t cpu_min_pm;	/* recent CPU use of a candidate, per mille */
	uint32_t io_max_cps;	/* system calls/s above which it is I/O-bound */
	uint32_t settle_ms;	/* a decision's load counts this long */
	uint32_t mem_margin_pages;	/* a target keeps this much free */
	uint32_t usher_pm;	/* shed guests below this free memory, per mille */
	uint32_t view;		/* decide on this many freshest nodes; 0: all */
};

/* Defaults: the values of mosix.conf's table. */
void bal_params_default(struct bal_params *p);

/* --- costs (mosix-tune) ---------------------------------------------- */

/*
 * What moving a process to a node costs, measured by mosix-tune and read
 * from $MOSIX_CONFIG_DIR/costs (BAL_COSTS_FILE):
 *
 *   # comments
 *   mosix-costs 1
 *   default LATENCY_US MIB_PER_S FWD_US
 *   NODE LATENCY_US MIB_PER_S FWD_US
 *   ...
 *
 * LATENCY_US: the fixed cost of one migration (handshake, state, restore);
 * MIB_PER_S: memory moved per second; FWD_US: one system call forwarded
 * home and back. Nodes without a line use the default line; without the
 * file, BAL_COST_DEFAULT (measured on the test cluster, docs/BENCHMARKS.md).
 */
#define BAL_COSTS_FILE "costs"
#define BAL_COSTS_VERSION 1

struct bal_cost {
	uint32_t node;		/* 0: the default line */
	uint32_t latency_us;
	uint32_t mib_per_s;
	uint32_t fwd_us;
};

#define BAL_COST_DEFAULT ((struct bal_cost){ 0, 20000, 300, 70 })

struct bal_costs {
	struct bal_cost def;
	struct bal_cost *node;	/* sorted by node */
	size_t n;
};

void bal_costs_init(struct bal_costs *c);
void bal_costs_release(struct bal_costs *c);
/* Parse @path; problems go to @d as FILE:LINE. 0, -ENOENT, -EINVAL. */
int bal_costs_load(struct bal_costs *c, const char *path, struct diag *d);
/* Write @c to @path atomically. 0 or -errno. */
int bal_costs_write(const struct bal_costs *c, const char *path);
/* The cost line of @node (or the default). */
const struct bal_cost *bal_costs_of(const struct bal_costs *c, uint32_t node);
/* Moving @pages pages to a node of cost @k, in ms. */
uint64_t bal_move_ms(const struct bal_cost *k, uint64_t pages);

/* --- one decision ------------------------------------------------------ */

enum bal_proc_flags {
	BAL_LOCKED = 1 << 0,	/* locked (lock file, mosrun -l, an ancestor) */
	BAL_CPUJOB = 1 << 1,	/* mosrun -c: CPU-bound whatever it looks like */
	BAL_IOJOB = 1 << 2,	/* mosrun -i: I/O-bound, stays where its I/O is */
	BAL_CANTMOVE = 1 << 3,	/* the engine says it cannot move */
};

struct bal_proc {
	pid_t pid;
	uint32_t where;		/* node it runs on; the deciding node = home */
	uint32_t cpu_pm;	/* recent CPU use, per mille of one CPU */
	uint32_t io_cps;	/* recent system calls per second at home */
	uint64_t cpu_ms;	/* CPU used so far */
	uint64_t pages;		/* resident memory, 4 KiB pages */
	uint64_t since_move_ms;	/* since its last move; UINT64_MAX: never moved */
	uint32_t flags;		/* enum bal_proc_flags */
	uint32_t avoid;		/* a node that refused it lately: not a target; 0 none */
};

/* A decision's load, counted for its target until gossip shows it. */
#define BAL_PENDING_MAX 64
struct bal_pending {
	uint32_t node;
	int32_t tasks_m;	/* thousandths of a task, + on target, - on source */
	uint64_t until_ms;
};

struct bal {
	struct bal_params p;
	struct bal_pending pend[BAL_PENDING_MAX];
	uint64_t salt;		/* breaks ties between nodes; random in a daemon */
};

struct bal_decision {
	pid_t pid;
	uint32_t from, to;	/* node ids; to == the deciding node: home */
	uint64_t stay_ms;	/* expected time to finish where it is */
	uint64_t go_ms;		/* ... on @to, the move included */
	uint64_t move_ms;	/* the move alone */
	uint32_t rate_from, rate_to;	/* 10000 = one reference CPU */
	uint32_t io_cps;	/* not 0: home because I/O-bound, at this rate */
};

void bal_init(struct bal *b, const struct bal_params *p);

/*
 * Does node @v (as gossip describes it) take guests? Not when blocked,
 * off, swapping, quiet, down, or its pool mode says no (GV_NOGUESTS).
 */
bool bal_takes_guests(const struct node_state *v);

/*
 * Why @p is no candidate at all (locked, too young, I/O-bound...), as a
 * short phrase, or NULL when it is one.
 */
const char *bal_unfit(const struct bal *b, const struct bal_proc *p);

/*
 * Should @p, away, come home because its calls home make it I/O-bound
 * (more than io_max_cps)? Not when locked, a CPU job (mosrun -c), or
 * moved too recently.
 */
bool bal_io_home(const struct bal *b, const struct bal_proc *p);

/*
 * The best move among @procs (the processes of node cs->self, wherever
 * they run), at @now_ms (any monotonic clock, the same for bal_moved). 1
 * and the move in @ret; 0 when nothing is worth moving; -ENOMEM. An
 * I/O-bound process away (bal_io_home) goes first: home, the busiest. @ret->pid is -1
 * when nothing was a candidate. Nodes of @cs that are down or take no
 * guests are never targets; home (cs->self) always is.
 */
int bal_decide(struct bal *b, const struct cluster_state *cs, const struct bal_costs *c,
	       const struct bal_proc *procs, size_t n, uint64_t now_ms,
	       struct bal_decision *ret);

/*
 * The nodes a decision looks at (bal.h's "who decides"): this node, the
 * b->p.view freshest other nodes that are up (ties in age broken by the
 * salt), and every node one of @procs runs on; sorted by id, in @ret
 * (ret->node allocated: free() it). With view 0, a copy of @all.
 *
 * Why not all of them: every node reads about the same table, so the same
 * few nodes look best to all and are flooded; and in a large cluster most
 * entries are old news (bench/bal-sim: 1000 nodes, the whole table gave a
 * mean slowdown of 10.8 against 1.6 on the 16 freshest). MOSIX decided on
 * a short window of the freshest load vectors too. 0 or -ENOMEM.
 */
int bal_view(const struct bal *b, const struct cluster_state *all, const struct bal_proc *procs,
	     size_t n, struct cluster_state *ret);

/* Decision @d was carried out: count its load until gossip shows it. */
void bal_moved(struct bal *b, const struct bal_decision *d, uint32_t cpu_pm, uint64_t now_ms);
/* ... and then failed (the target refused): its load counts no longer. */
void bal_withdraw(struct bal *b, const struct bal_decision *d, uint32_t cpu_pm,
		  uint64_t now_ms);

/*
 * Memory ushering, for a node that hosts guests: true when it should send
 * one away now (swapping, or free memory below usher_pm of its total).
 */
bool bal_usher(const struct bal *b, const struct gossip_vec *self);

/* One line with the numbers of @d, for the log. */
void bal_format(const struct bal_decision *d, char *buf, size_t len);

#endif
