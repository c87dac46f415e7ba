/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef BAL_SIM_H
#define BAL_SIM_H

/*
 * bench/bal-sim: the real balancer (lib/bal.c) and the real gossip table
 * and load average of mosix-infod (peers.c, measure.c) driven by many
 * simulated nodes in simulated time. No I/O, no clock: the run is a
 * function of its options and seed.
 *
 * The model. Nodes 1..N (one map range), each with cpus CPUs of one speed
 * (10000 = the reference CPU). Time advances in steps of SIM_STEP_MS, the
 * interval at which mosix-infod samples its load. Jobs arrive in a Poisson
 * stream at uniformly drawn home nodes; each needs work_ms of
 * reference-CPU time (bounded Pareto) and holds pages of memory
 * (lognormal). Every job is CPU-bound from start to end. A node shares its
 * CPUs equally among the processes there (processor sharing): each
 * progresses at speed/10000 * min(1, cpus/running). A process being moved
 * runs nowhere for bal_move_ms() of its memory, with the default costs.
 *
 * The policies, each on the same job stream and the same nodes:
 *
 *   none     every job runs at home;
 *   random   every job starts on a node drawn with probability
 *            proportional to its capacity (cpus * speed: uniform over
 *            nodes would overload the small ones at any useful load),
 *            pays a move of no memory and stays there;
 *   balance  jobs start at home. Every step each node folds its runnable
 *            count into its load average (measure_smooth); every info
 *            interval it refreshes its vector and runs a gossip round
 *            (peers_dead_after, peers_targets, peers_window to each target,
 *            peers_merge at the receiver: what infod_round and rx_datagram
 *            do, without the cipher, the replay check and the start-up
 *            sweep); every balance interval it does what mosix-migd does
 *            with the cluster file: bal_view() of its table, bal_decide()
 *            over its own processes, the move carried out (bal_moved), and
 *            a guest shed when bal_usher() says so. Each node has its own
 *            random salt and its own phase in each interval.
 *
 * The first job arrives after SIM_WARM_MS of gossip. Every job runs to its
 * end; the slowdowns reported are of the jobs that arrive after the first
 * fifth of the stream, while the cluster fills up.
 *
 * Scale. mosix-infod keeps every node heard of: 10000 tables of 10000
 * entries would take 10 GB here. So by default each node keeps only the 32
 * freshest entries after each of its rounds, and those of the nodes its
 * processes run on (--table 32; 0: all, as the daemon), as MOSIX kept a
 * short window of the freshest load vectors; the
 * decision then sees what bal_view() takes from that table: the node
 * itself, the nodes its processes run on and the 16 freshest others
 * (--view 16, mosix.conf's balance_view; 0: the whole table).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemons/mosix-infod/peers.h"
#include "lib/bal.h"
#include "lib/map.h"
#include "lib/state.h"

/* mosix-infod's sample interval and mosix.conf's defaults */
#define SIM_STEP_MS 100
#define SIM_INFO_MS 1000
#define SIM_FANOUT 2
#define SIM_WINDOW 16
#define SIM_DEAD_MS 10000
#define SIM_DECAY_SLOW 975
#define SIM_DECAY_FAST 926
#define SIM_BAL_MS 1000
/* jobs too short to be worth moving, and long ones, for the report */
#define SIM_SHORT_MS 2000
#define SIM_LONG_MS 30000
/* gossip before the first job, so that views exist */
#define SIM_WARM_MS 60000

enum sim_policy {
	SIM_NONE,
	SIM_RANDOM,
	SIM_BALANCE,
	SIM_POLICIES,
};

const char *sim_policy_name(enum sim_policy p);

struct sim_cfg {
	uint32_t nodes;
	size_t jobs;
	double span_s;		/* if set: the jobs that arrive in this time */
	double load;		/* offered: arriving work / capacity */
	uint64_t seed;
	bool uniform;		/* every node one reference CPU */
	uint32_t table;		/* peers kept per node; 0: all heard of */
	uint32_t view;		/* nodes a decision sees; 0: the whole table */
	double min_s, max_s, alpha;	/* job work: bounded Pareto */
	double mib_median;	/* job memory: lognormal */
	unsigned policies;	/* 1 << enum sim_policy */
};

/* --- the jobs and the nodes (bal_sim_jobs.c) ------------------------------ */

struct sim_job {
	int64_t arrive_ms;
	uint32_t work_ms;	/* on an idle reference CPU */
	uint32_t home;
	uint64_t pages;
};

struct sim_stream {
	struct sim_job *job;	/* by arrival time */
	size_t n;
	double mean_work_s;	/* of the distribution */
	double capacity;	/* reference CPUs in the cluster */
	double span_s;		/* first to last arrival */
};

double sim_unit(struct rng *r);

struct sim_list {
	uint32_t *v;
	uint32_t n, alloc;
};

int sim_list_add(struct sim_list *l, uint32_t x, uint32_t *ret_at);
/* Remove the entry at @at; the last one takes its place: its new index is @at. */
uint32_t sim_list_del(struct sim_list *l, uint32_t at);
void sim_list_release(struct sim_list *l);

struct sim_node {
	uint32_t id;
	uint32_t cpus, speed;
	uint64_t tmem, used;	/* pages: total, held by the processes here */
	struct sim_list run;	/* job indices running here */
	struct sim_list own;	/* unfinished jobs whose home it is */
	uint32_t guests;
	bool have_mean;
	uint64_t mean;		/* runnable tasks, thousandths (measure.c) */
	struct gossip_vec vec;	/* what it says of itself */
	int64_t vec_ms;
	struct peers peers;
	uint32_t dead_ms;
	struct bal bal;
	uint32_t info_phase, bal_phase;	/* steps into each interval */
};

/* The nodes of @cfg: the same for every policy of one seed. */
int sim_nodes_init(const struct sim_cfg *cfg, struct sim_node **ret, double *ret_capacity);
void sim_nodes_free(struct sim_node *node, uint32_t n);

/* The job stream of @cfg on @capacity reference CPUs. */
int sim_stream_init(const struct sim_cfg *cfg, double capacity, struct sim_stream *ret);
void sim_stream_release(struct sim_stream *st);

/* --- one run (bal_sim_run.c) ----------------------------------------------- */

struct sim_proc {
	uint32_t where;		/* node it runs on, or flies to */
	uint32_t at_run;	/* its index in where's run list */
	uint32_t at_own;	/* its index in its home's own list */
	bool flying;
	bool done;
	uint32_t migs;
	double left_ms;		/* reference work still to do */
	double cpu_ms;		/* CPU time it got */
	int64_t ready_ms;	/* runnable from then (arrival, landing) */
	int64_t moved_ms;	/* its last move; -1: never */
	double done_ms;
};

struct sim_result {
	double mean, p95;	/* slowdown of the measured jobs */
	double mean_short;	/* ... of those under SIM_SHORT_MS of work */
	double mean_long;	/* ... of those of SIM_LONG_MS or more */
	size_t measured;	/* jobs after the warm-up fifth of the stream */
	double migs;		/* moves per job, all jobs */
	double age_move_ms;	/* age of the target's entry at a move; <0: none */
	double age_view_ms;	/* mean age of a decision's view; <0: none */
	double view_nodes;	/* mean nodes in a decision's view */
	double makespan_s;	/* first arrival to last completion */
	double dgram_rate;	/* datagrams per node per second */
	double wall_s;		/* the simulator's own run time */
};

struct sim {
	const struct sim_cfg *cfg;
	const struct sim_stream *st;
	enum sim_policy pol;
	struct sim_node *node;	/* node[id - 1] */
	double *weight;		/* cumulative capacity, for random placement */
	struct sim_proc *proc;	/* by job */
	struct sim_list flying;
	struct mosix_map map;
	struct map_pick pick;
	struct bal_costs costs;
	struct rng rng;
	int64_t now;
	size_t next, active;
	/* scratch of the decisions and of the gossip */
	struct bal_proc *bp;
	size_t bp_alloc;
	struct node_state *view;
	int64_t *origins;
	bool *pin;
	/* what the result reports */
	uint64_t moves, dgrams, decisions, view_n, age_move_n;
	double age_view_sum, age_move_sum;
};

/* Run policy @pol of @cfg on @st into @ret. 0 or -errno. */
int sim_run(const struct sim_cfg *cfg, const struct sim_stream *st, enum sim_policy pol,
	    struct sim_result *ret);

/* Move job @j (not flying) to node @to, landing after @move_ms. */
int sim_move(struct sim *s, uint32_t j, uint32_t to, uint64_t move_ms);

/* --- gossip and views (bal_sim_gossip.c) ----------------------------------- */

int sim_map_init(struct sim *s);
/* Refresh node @n's vector from its state, as infod_measure does. */
void sim_vector(struct sim_node *n, int64_t now);
/* One gossip round of @n. */
void sim_gossip_round(struct sim *s, struct sim_node *n, int64_t now);
/* Node @n's cluster file, as mosix-infod writes it, into @ret (borrowing s->view). */
void sim_table(struct sim *s, struct sim_node *n, int64_t now, struct cluster_state *ret);

/* --- balancing (bal_sim_bal.c) --------------------------------------------- */

/* Node @n's balance tick: ushering, then one bal_decide(). */
int sim_balance_tick(struct sim *s, struct sim_node *n, int64_t now);

/* --- results (bal_sim_stats.c) --------------------------------------------- */

void sim_print_header(const struct sim_cfg *cfg, const struct sim_stream *st);
void sim_print_result(enum sim_policy pol, const struct sim_result *r);
int sim_csv_append(const char *path, const struct sim_cfg *cfg, const struct sim_stream *st,
		   enum sim_policy pol, const struct sim_result *r);
/* Mean and 95th percentile of @v (reordered). */
void sim_mean_p95(double *v, size_t n, double *ret_mean, double *ret_p95);

#endif
