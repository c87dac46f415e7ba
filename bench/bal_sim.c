// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench/bal-sim: mean slowdown, moves per job and the age of the
 * information used, for no balancing, random placement and the real
 * balancer, on many simulated nodes (the model is in bal_sim.h).
 *
 *   bal-sim [--nodes N] [--jobs J | --span S] [--load RHO] [--seed S] [--csv FILE]
 *           [--table T] [--view V] [--uniform] [--policies LIST]
 *           [--work MIN,MAX,SHAPE] [--mib M]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bal_sim.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bal-sim [options]\n"
		"  --nodes N         simulated nodes, 2-65535 (1000)\n"
		"  --jobs J          jobs in the stream (100000)\n"
		"  --span S          as many jobs as arrive in S seconds, instead\n"
		"  --load RHO        offered load: arriving work / capacity (0.7)\n"
		"  --seed S          seed of the nodes, the jobs and the gossip (1)\n"
		"  --csv FILE        append one line per policy to FILE\n"
		"  --table T         peers a node keeps, the T freshest (32; 0: all heard\n"
		"                    of, as mosix-infod: memory grows as nodes squared)\n"
		"  --view V          bal_view()'s freshest nodes a decision sees (16,\n"
		"                    as balance_view; 0: the whole table)\n"
		"  --uniform         every node one reference CPU (default: 1-8 CPUs,\n"
		"                    speeds 0.5-1.5)\n"
		"  --policies LIST   of none,random,balance (all three)\n"
		"  --work MIN,MAX,A  job CPU seconds, bounded Pareto (1,300,1)\n"
		"  --mib M           median job memory, MiB (64)\n");
}

static int number(const char *opt, const char *s, double lo, double hi, double *ret)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(s, &end);
	if (errno || end == s || *end || x < lo || x > hi) {
		fprintf(stderr, "bal-sim: invalid %s '%s' (%g to %g)\n", opt, s, lo, hi);
		return -EINVAL;
	}
	*ret = x;
	return 0;
}

static int policies(const char *s, unsigned *ret)
{
	char buf[64], *save = NULL;
	unsigned set = 0;

	snprintf(buf, sizeof(buf), "%s", s);
	for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		enum sim_policy p = 0;

		while (p < SIM_POLICIES && strcmp(w, sim_policy_name(p)))
			p++;
		if (p == SIM_POLICIES) {
			fprintf(stderr, "bal-sim: unknown policy '%s' (none, random, balance)\n", w);
			return -EINVAL;
		}
		set |= 1u << p;
	}
	if (!set) {
		fprintf(stderr, "bal-sim: no policy in '%s'\n", s);
		return -EINVAL;
	}
	*ret = set;
	return 0;
}

static int work(const char *s, struct sim_cfg *c)
{
	if (sscanf(s, "%lf,%lf,%lf", &c->min_s, &c->max_s, &c->alpha) != 3 || c->min_s < 0.1 ||
	    c->max_s <= c->min_s || c->max_s > 86400 || c->alpha <= 0 || c->alpha > 10) {
		fprintf(stderr, "bal-sim: invalid --work '%s' (MIN,MAX,SHAPE: 0.1 <= MIN < MAX "
				"<= 86400, 0 < SHAPE <= 10)\n", s);
		return -EINVAL;
	}
	return 0;
}

/* 0, 1 after --help, or -EINVAL (told on stderr). */
static int parse(int argc, char **argv, struct sim_cfg *c, const char **ret_csv)
{
	static const struct option opts[] = {
		{ "nodes", required_argument, NULL, 'n' }, { "jobs", required_argument, NULL, 'j' },
		{ "load", required_argument, NULL, 'l' },  { "seed", required_argument, NULL, 's' },
		{ "csv", required_argument, NULL, 'c' },   { "table", required_argument, NULL, 't' },
		{ "view", required_argument, NULL, 'v' },  { "uniform", no_argument, NULL, 'u' },
		{ "policies", required_argument, NULL, 'p' },
		{ "work", required_argument, NULL, 'w' },  { "mib", required_argument, NULL, 'm' },
		{ "span", required_argument, NULL, 'S' }, { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	double x;
	int o, r = 0;

	while (!r && (o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			r = number("--nodes", optarg, 2, 65535, &x);
			c->nodes = (uint32_t)x;
			break;
		case 'j':
			r = number("--jobs", optarg, 1, 1e8, &x);
			c->jobs = (size_t)x;
			break;
		case 'S':
			r = number("--span", optarg, 1, 1e6, &c->span_s);
			break;
		case 'l':
			r = number("--load", optarg, 0.01, 2, &c->load);
			break;
		case 's':
			r = number("--seed", optarg, 0, 1e15, &x);
			c->seed = (uint64_t)x;
			break;
		case 'c':
			*ret_csv = optarg;
			break;
		case 't':
			r = number("--table", optarg, 0, 65535, &x);
			c->table = (uint32_t)x;
			break;
		case 'v':
			r = number("--view", optarg, 0, 65535, &x);
			c->view = (uint32_t)x;
			break;
		case 'u':
			c->uniform = true;
			break;
		case 'p':
			r = policies(optarg, &c->policies);
			break;
		case 'w':
			r = work(optarg, c);
			break;
		case 'm':
			r = number("--mib", optarg, 1, 65536, &c->mib_median);
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (!r && optind < argc) {
		fprintf(stderr, "bal-sim: unexpected argument '%s'\n", argv[optind]);
		r = -EINVAL;
	}
	return r;
}

int main(int argc, char **argv)
{
	struct sim_cfg cfg = {
		.nodes = 1000, .jobs = 100000, .load = 0.7, .seed = 1, .table = 32, .view = 16,
		.min_s = 1, .max_s = 300, .alpha = 1, .mib_median = 64,
		.policies = (1u << SIM_POLICIES) - 1,
	};
	struct sim_stream st;
	struct sim_node *node;
	const char *csv = NULL;
	int r, rc = 0;

	r = parse(argc, argv, &cfg, &csv);
	if (r)
		return r > 0 ? 0 : 2;
	/* the capacity the stream is drawn for: the nodes every run will have */
	r = sim_nodes_init(&cfg, &node, &st.capacity);
	if (r)
		goto out_err;
	sim_nodes_free(node, cfg.nodes);
	r = sim_stream_init(&cfg, st.capacity, &st);
	if (r)
		goto out_err;
	sim_print_header(&cfg, &st);
	for (enum sim_policy p = 0; p < SIM_POLICIES; p++) {
		struct sim_result res = { 0 };

		if (!(cfg.policies & (1u << p)))
			continue;
		r = sim_run(&cfg, &st, p, &res);
		if (r) {
			fprintf(stderr, "bal-sim: policy %s: %s\n", sim_policy_name(p), strerror(-r));
			rc = 1;
			continue;
		}
		sim_print_result(p, &res);
		r = csv ? sim_csv_append(csv, &cfg, &st, p, &res) : 0;
		if (r) {
			fprintf(stderr, "bal-sim: cannot write '%s': %s\n", csv, strerror(-r));
			rc = 1;
		}
	}
	sim_stream_release(&st);
	return rc;
out_err:
	fprintf(stderr, "bal-sim: %s\n", strerror(-r));
	return 1;
}
