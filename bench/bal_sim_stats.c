// SPDX-License-Identifier: GPL-2.0-only
/* What a run of bench/bal-sim reports: the table and the CSV lines. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "bal_sim.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void sim_mean_p95(double *v, size_t n, double *ret_mean, double *ret_p95)
{
	double sum = 0;

	if (!n) {
		*ret_mean = *ret_p95 = 0;
		return;
	}
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	qsort(v, n, sizeof(*v), cmp_double);
	*ret_mean = sum / (double)n;
	*ret_p95 = v[(n - 1) * 95 / 100];
}

static void print_scale(uint32_t x, const char *all)
{
	if (x)
		printf("%u freshest", x);
	else
		printf("%s", all);
}

void sim_print_header(const struct sim_cfg *cfg, const struct sim_stream *st)
{
	printf("bal-sim: %u nodes (%s, %.0f reference CPUs), %zu jobs over %.0f s, "
	       "offered load %.2f, seed %llu\n",
	       cfg->nodes, cfg->uniform ? "1 reference CPU each" : "1-8 CPUs of speed 0.5-1.5",
	       st->capacity, st->n, st->span_s, cfg->load, (unsigned long long)cfg->seed);
	printf("jobs: %.0f-%.0f s of CPU (bounded Pareto, shape %.2f, mean %.2f s), "
	       "memory lognormal around %.0f MiB\n",
	       cfg->min_s, cfg->max_s, cfg->alpha, st->mean_work_s, cfg->mib_median);
	printf("gossip every %d ms, fanout %d, window %d; table: ", SIM_INFO_MS, SIM_FANOUT,
	       SIM_WINDOW);
	print_scale(cfg->table, "every node heard of");
	printf("; decisions every %d ms, view (bal_view): ", SIM_BAL_MS);
	print_scale(cfg->view, "the whole table");
	printf("\nslowdown: completion time / work on an idle reference CPU, over the jobs "
	       "after the first fifth\n\n");
	printf("%-8s %9s %7s %7s %7s %9s %9s %9s %5s %9s %7s\n", "policy", "slowdown", "p95",
	       "<2s", ">=30s", "moves/job", "age@move", "age@view", "view", "makespan", "sim");
}

void sim_print_result(enum sim_policy pol, const struct sim_result *r)
{
	char am[16] = "-", av[16] = "-", vn[16] = "-";

	if (r->age_move_ms >= 0)
		snprintf(am, sizeof(am), "%.2f s", r->age_move_ms / 1000);
	if (r->age_view_ms >= 0) {
		snprintf(av, sizeof(av), "%.2f s", r->age_view_ms / 1000);
		snprintf(vn, sizeof(vn), "%.0f", r->view_nodes);
	}
	printf("%-8s %9.3f %7.2f %7.2f %7.2f %9.3f %9s %9s %5s %7.0f s %5.1f s\n",
	       sim_policy_name(pol), r->mean, r->p95, r->mean_short, r->mean_long, r->migs, am, av,
	       vn, r->makespan_s, r->wall_s);
	fflush(stdout);
}

int sim_csv_append(const char *path, const struct sim_cfg *cfg, const struct sim_stream *st,
		   enum sim_policy pol, const struct sim_result *r)
{
	struct stat sb;
	bool fresh = stat(path, &sb) < 0 || sb.st_size == 0;
	FILE *f = fopen(path, "ae");
	int err;

	if (!f)
		return -errno;
	if (fresh)
		fprintf(f, "nodes,uniform,jobs,load,seed,table,view,policy,mean_slowdown,"
			   "p95_slowdown,short_slowdown,long_slowdown,moves_per_job,age_move_ms,"
			   "age_view_ms,view_nodes,makespan_s,datagrams_per_node_s,measured_jobs,"
			   "wall_s\n");
	fprintf(f,
		"%u,%d,%zu,%.3f,%llu,%u,%u,%s,%.4f,%.4f,%.4f,%.4f,%.4f,%.1f,%.1f,%.1f,%.1f,%.3f,%zu,"
		"%.2f\n",
		cfg->nodes, cfg->uniform, st->n, cfg->load, (unsigned long long)cfg->seed,
		cfg->table, cfg->view, sim_policy_name(pol), r->mean, r->p95, r->mean_short,
		r->mean_long, r->migs, r->age_move_ms, r->age_view_ms, r->view_nodes, r->makespan_s,
		r->dgram_rate, r->measured, r->wall_s);
	err = ferror(f);
	if (fclose(f) || err)
		return -EIO;
	return 0;
}
