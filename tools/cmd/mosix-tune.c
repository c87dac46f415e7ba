// SPDX-License-Identifier: GPL-2.0-only
/*
 * mosix-tune: measure what migration costs to each node of the cluster and
 * write the costs file the balancer reads (bal.h), as MOSIX's /sbin/tune
 * measured the costs of dscosts.h. A probe process (tune_probe.h) is moved
 * to every node and home again by this node's mosix-migd, at two sizes, and
 * the moves are timed: the real engine over the real network, so the
 * numbers are what migration costs. On each node the probe also times
 * system calls forwarded home. The arithmetic is in tune.h.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/mig_client.h"
#include "lib/bal.h"
#include "lib/paths.h"
#include "lib/state.h"
#include "lib/tune.h"
#include "lib/tune_probe.h"
#include "lib/util.h"

#define SIZE_SMALL_DEF 1
#define SIZE_LARGE_DEF 32
#define CALLS_DEF 1000
#define ROUNDS_DEF 3
#define ROUNDS_MAX 100
/* a move, or a report from a node, that takes longer fails the node */
#define MOVE_TIMEOUT_MS 120000
#define REPORT_TIMEOUT_MS(calls) (10000 + (calls))
/*
 * migd answers a move before the deputy has freed the home process's
 * memory and starts to watch for signals to forward: a signal sent in
 * between stops the home process unnoticed, and the probe never hears
 * it. The window lasts a few milliseconds for the probe's sizes; waiting
 * this long before the first signal keeps out of it.
 */
#define SETTLE_MS 100
/* writing the probe's memory, at a (slow) 64 MiB/s, plus starting it */
#define READY_TIMEOUT_MS(mib) (10000 + (mib) * 16)

static const char usage[] =
	"usage: mosix-tune [-n NODE[,NODE...]]... [--sizes SMALL,LARGE] [--calls N]\n"
	"                  [--rounds N] [-o FILE] [--dry-run]\n"
	"       mosix-tune --help\n"
	"\n"
	"Measures what migration costs to each node that is up: a probe process is\n"
	"moved there and home again by this node's mosix-migd at two sizes, which\n"
	"gives the latency of a move and the bandwidth of memory, and on the node it\n"
	"times system calls forwarded home. Prints a table and writes the costs file\n"
	"the load balancer reads. Nodes that are down or refuse the probe are\n"
	"reported and get no line (they use the default line, the median of the\n"
	"nodes measured).\n"
	"\n"
	"  -n, --node NODE[,...]  only these nodes (repeatable); the lines of other\n"
	"                         nodes already in FILE are kept\n"
	"      --sizes SMALL,LARGE\n"
	"                         the probe's two sizes in MiB (default 1,32)\n"
	"      --calls N          forwarded calls timed per sample (default 1000)\n"
	"      --rounds N         moves per node and size; the fastest counts\n"
	"                         (default 3)\n"
	"  -o, --output FILE      write FILE (default $MOSIX_CONFIG_DIR/costs)\n"
	"      --dry-run          print the file instead of writing it\n"
	"  -h, --help             this text\n"
	"\n"
	"Exit status: 0 every node measured and the file written, 1 some nodes not\n"
	"measured (the others' lines written; nothing written when none was),\n"
	"2 usage error, 3 cannot measure (no cluster state, mosix-migd not running,\n"
	"no node to measure, the probe failed) or cannot read or write FILE.\n";

struct opts {
	uint32_t *nodes;	/* -n; none: every node of the cluster state */
	size_t nnodes;
	unsigned size[2];	/* MiB, small then large */
	unsigned calls;
	unsigned rounds;
	const char *output;
	bool dry_run;
	bool help;
};

/* One node to measure, and what was measured. */
struct target {
	uint32_t id;
	bool failed;
	char why[200];			/* when failed */
	struct tune_move out[2];	/* fastest move to the node, per size */
	uint64_t home_ns[2];		/* fastest move home, per size */
	uint64_t calls_ns;		/* fastest CALLS forwarded calls */
	struct bal_cost cost;
	int fit;			/* tune_fit(): 1 when estimated */
};

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "mosix-tune: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'mosix-tune --help'.\n");
	return 2;
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* A decimal within [@min, @max], all of @s up to @end (NUL or a comma). */
static int parse_uint(const char *s, char end, unsigned min, unsigned max, unsigned *ret,
		      const char **ret_next)
{
	unsigned long v = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > max)
			return -EINVAL;
	}
	if (p == s || v < min || (*p && *p != end))
		return -EINVAL;
	*ret = (unsigned)v;
	if (ret_next)
		*ret_next = *p ? p + 1 : p;
	return 0;
}

/* -n 2,3: appended to o->nodes, each once */
static int add_nodes(struct opts *o, const char *arg)
{
	const char *p = arg;

	while (*p) {
		uint32_t *grown;
		unsigned id;
		bool dup = false;

		if (parse_uint(p, ',', 1, 65535, &id, &p))
			return usage_error("invalid node list '%s' (node ids, 1-65535, "
					   "separated by commas)", arg);
		for (size_t i = 0; i < o->nnodes; i++)
			dup |= o->nodes[i] == id;
		if (dup)
			continue;
		grown = realloc(o->nodes, (o->nnodes + 1) * sizeof(*o->nodes));
		if (!grown) {
			fprintf(stderr, "mosix-tune: out of memory\n");
			return 3;
		}
		o->nodes = grown;
		o->nodes[o->nnodes++] = id;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		{ "node", required_argument, NULL, 'n' },
		{ "sizes", required_argument, NULL, 'S' },
		{ "calls", required_argument, NULL, 'C' },
		{ "rounds", required_argument, NULL, 'R' },
		{ "output", required_argument, NULL, 'o' },
		{ "dry-run", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *next;
	int c, r;

	o->size[0] = SIZE_SMALL_DEF;
	o->size[1] = SIZE_LARGE_DEF;
	o->calls = CALLS_DEF;
	o->rounds = ROUNDS_DEF;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:o:h", longs, NULL)) != -1) {
		switch (c) {
		case 'n':
			r = add_nodes(o, optarg);
			if (r)
				return r;
			break;
		case 'S':
			if (parse_uint(optarg, ',', 1, TUNE_PROBE_MIB_MAX, &o->size[0], &next) ||
			    *next == '\0' ||
			    parse_uint(next, '\0', 1, TUNE_PROBE_MIB_MAX, &o->size[1], NULL) ||
			    o->size[0] >= o->size[1])
				return usage_error("invalid --sizes '%s' (SMALL,LARGE in MiB, "
						   "SMALL below LARGE)", optarg);
			break;
		case 'C':
			if (parse_uint(optarg, '\0', 1, TUNE_PROBE_CALLS_MAX, &o->calls, NULL))
				return usage_error("invalid --calls '%s'", optarg);
			break;
		case 'R':
			if (parse_uint(optarg, '\0', 1, ROUNDS_MAX, &o->rounds, NULL))
				return usage_error("invalid --rounds '%s' (1-100)", optarg);
			break;
		case 'o':
			if (!*optarg)
				return usage_error("%s", "empty output file name");
			o->output = optarg;
			break;
		case 'D':
			o->dry_run = true;
			break;
		case 'h':
			o->help = true;
			return 0;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return 0;
}

/* The hidden mode: mosix-tune --probe MIB CALLS FD (tune_probe.h). */
static int probe_main(int argc, char **argv)
{
	unsigned mib, calls, fd;
	int r;

	if (argc != 5 || parse_uint(argv[2], '\0', 1, TUNE_PROBE_MIB_MAX, &mib, NULL) ||
	    parse_uint(argv[3], '\0', 1, TUNE_PROBE_CALLS_MAX, &calls, NULL) ||
	    parse_uint(argv[4], '\0', 0, 1023, &fd, NULL))
		return usage_error("%s", "--probe is mosix-tune's own");
	r = tune_probe_run(mib, calls, (int)fd);
	if (r)
		fprintf(stderr, "mosix-tune: probe: %s\n", strerror(-r));
	return r ? 1 : 0;
}

/*
 * The program to run as the probe: $MOSIX_TUNE_PROBE, else this one, by
 * its name (the name is what mps and the nodes' logs show).
 * MOSIX_TUNE_PROBE is for builds with sanitizers, whose programs cannot
 * migrate: the tests point it at the plain build.
 */
static int probe_program(char **ret)
{
	const char *env = getenv("MOSIX_TUNE_PROBE");
	char buf[4096];
	ssize_t n;

	if (env && *env) {
		*ret = strdup(env);
		return *ret ? 0 : -ENOMEM;
	}
	n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n == sizeof(buf) - 1)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	*ret = strdup(buf);
	return *ret ? 0 : -ENOMEM;
}

/* The nodes to measure: those asked for, or every other node of @cs. */
static int pick_targets(const struct opts *o, const struct cluster_state *cs,
			struct target **ret, size_t *ret_n)
{
	size_t n = o->nnodes ? o->nnodes : cs->n;
	struct target *t = calloc(n ? n : 1, sizeof(*t));
	size_t k = 0;

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		uint32_t id = o->nnodes ? o->nodes[i] : cs->node[i].id;
		const struct node_state *ns = cluster_state_find(cs, id);

		if (id == cs->self)
			continue;
		t[k].id = id;
		if (!ns) {
			t[k].failed = true;
			snprintf(t[k].why, sizeof(t[k].why), "not in the cluster state "
				 "(not in the map, or never heard of)");
		} else if (!ns->up) {
			t[k].failed = true;
			snprintf(t[k].why, sizeof(t[k].why), "down");
		}
		k++;
	}
	*ret = t;
	*ret_n = k;
	return 0;
}

static void fail(struct target *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct target *t, const char *fmt, ...)
{
	va_list ap;

	t->failed = true;
	va_start(ap, fmt);
	vsnprintf(t->why, sizeof(t->why), fmt, ap);
	va_end(ap);
	fprintf(stderr, "mosix-tune: node %u: %s; it gets no line\n", t->id, t->why);
}

/*
 * Ask migd to move the probe to @node (0: home) and time it. 0 with the
 * time and, going out, the bytes migd says it sent; -EAGAIN with @why when
 * migd refused (the probe stays where it was); other -errno when the
 * probe's whereabouts are unknown.
 */
static int move(pid_t pid, uint32_t node, struct tune_move *ret, char *why, size_t whylen)
{
	char req[64], reply[512];
	unsigned long long frozen, bytes;
	uint64_t t0;
	int r;

	if (node)
		snprintf(req, sizeof(req), "migrate %d %u", (int)pid, node);
	else
		snprintf(req, sizeof(req), "migrate %d home", (int)pid);
	t0 = now_ns();
	r = mig_client_request(paths_run_dir(), req, reply, sizeof(reply), MOVE_TIMEOUT_MS);
	ret->ns = now_ns() - t0;
	if (r) {
		snprintf(why, whylen, "mosix-migd did not answer: %s", strerror(-r));
		return r;
	}
	if (strncmp(reply, "ok", 2)) {
		/* migd's reasons are short phrases */
		snprintf(why, whylen, "%.150s", !strncmp(reply, "err ", 4) ? reply + 4 : reply);
		return -EAGAIN;
	}
	ret->bytes = 0;
	if (node && sscanf(reply, "ok %llu %llu", &frozen, &bytes) == 2)
		ret->bytes = bytes;
	return 0;
}

static void keep_min(uint64_t *best, uint64_t v)
{
	if (!*best || v < *best)
		*best = v;
}

/*
 * One round to node @t with probe @p: out, the calls there, home. On
 * failure @t is failed; -ESTALE when the probe must be replaced (it may
 * not be home).
 */
static int round_trip(const struct opts *o, struct tune_probe *p, int s, struct target *t)
{
	struct tune_move out, back;
	char why[160];
	uint64_t ns;
	int r;

	r = move(p->pid, t->id, &out, why, sizeof(why));
	if (r) {
		fail(t, "cannot migrate there: %s", why);
		return r == -EAGAIN ? 0 : -ESTALE;
	}
	if (!out.bytes) {
		fail(t, "mosix-migd did not say how much it sent");
		r = -ESTALE;
		goto out_home;
	}
	if (!t->out[s].ns || out.ns < t->out[s].ns)
		t->out[s] = out;
	nanosleep(&(struct timespec){ 0, SETTLE_MS * 1000000L }, NULL);
	r = tune_probe_calls(p, REPORT_TIMEOUT_MS(o->calls), &ns);
	if (r) {
		fail(t, "no report from the probe there: %s", strerror(-r));
		r = -ESTALE;
		goto out_home;
	}
	keep_min(&t->calls_ns, ns);
out_home:
	if (move(p->pid, 0, &back, why, sizeof(why))) {
		if (!t->failed)
			fail(t, "cannot bring the probe home: %s", why);
		return -ESTALE;
	}
	keep_min(&t->home_ns[s], back.ns);
	return r;
}

/*
 * Start a probe of the size @s and time its calls at home, the baseline
 * of the forwarded ones, into @home_ns (the fastest so far). Only now: a
 * probe that has been away may still be traced by its deputy for a moment
 * after it is home, and a signal then could be lost.
 */
static int start_probe(const struct opts *o, const char *exe, int s, struct tune_probe *p,
		       uint64_t *home_ns)
{
	uint64_t ns;
	int r;

	r = tune_probe_start(p, exe, o->size[s], o->calls, READY_TIMEOUT_MS(o->size[s]));
	if (r) {
		fprintf(stderr, "mosix-tune: cannot start a probe of %u MiB: %s\n", o->size[s],
			strerror(-r));
		return r;
	}
	for (unsigned k = 0; k < o->rounds; k++) {
		r = tune_probe_calls(p, REPORT_TIMEOUT_MS(o->calls), &ns);
		if (r) {
			fprintf(stderr, "mosix-tune: no report from the probe at home: %s\n",
				strerror(-r));
			tune_probe_release(p);
			return r;
		}
		keep_min(home_ns, ns);
	}
	return 0;
}

/*
 * Measure every target that has not failed, probe size by probe size; the
 * calls at home into @ret_home_ns. -errno when no probe could run at all.
 */
static int measure(const struct opts *o, const char *exe, struct target *t, size_t n,
		   uint64_t *ret_home_ns)
{
	struct tune_probe p;
	int r;

	tune_probe_init(&p);
	for (int s = 0; s < 2; s++) {
		for (size_t i = 0; i < n; i++) {
			for (unsigned k = 0; k < o->rounds && !t[i].failed; k++) {
				if (!p.pid) {
					r = start_probe(o, exe, s, &p, ret_home_ns);
					if (r)
						return r;
				}
				/* a probe that may not be home is replaced */
				if (round_trip(o, &p, s, &t[i]))
					tune_probe_release(&p);
			}
		}
		tune_probe_release(&p);
	}
	return 0;
}

static int by_node(const void *a, const void *b)
{
	const struct bal_cost *x = a, *y = b;

	return (x->node > y->node) - (x->node < y->node);
}

static bool is_target(const struct target *t, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].id == id)
			return true;
	return false;
}

/*
 * The new costs: a line per measured target, the lines of @old for nodes
 * that were not targets (with -n), and the median of them all as default.
 */
static int build_costs(const struct target *t, size_t n, const struct bal_costs *old,
		       struct bal_costs *ret)
{
	struct bal_cost *k = calloc(n + old->n + 1, sizeof(*k)), def;
	size_t m = 0;
	int r;

	if (!k)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!t[i].failed)
			k[m++] = t[i].cost;
	for (size_t i = 0; i < old->n; i++)
		if (!is_target(t, n, old->node[i].node))
			k[m++] = old->node[i];
	qsort(k, m, sizeof(*k), by_node);
	r = tune_median(k, m, &def);
	if (r) {
		free(k);
		return r;
	}
	bal_costs_release(ret);
	ret->def = def;
	ret->node = k;
	ret->n = m;
	return 0;
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

static void print_table(const struct opts *o, const struct target *t, size_t n,
			const struct bal_costs *c, size_t kept)
{
	printf("%-7s %10s %9s %6s  %-23s %s\n", "NODE", "LATENCY_US", "MIB_PER_S", "FWD_US",
	       "OUT_MS", "HOME_MS");
	for (size_t i = 0; i < n; i++) {
		char out[32], home[32];

		if (t[i].failed) {
			printf("%-7u %10s %9s %6s  not measured: %s\n", t[i].id, "-", "-", "-",
			       t[i].why);
			continue;
		}
		snprintf(out, sizeof(out), "%.1f/%.1f", ms(t[i].out[0].ns), ms(t[i].out[1].ns));
		snprintf(home, sizeof(home), "%.1f/%.1f", ms(t[i].home_ns[0]),
			 ms(t[i].home_ns[1]));
		printf("%-7u %10u %9u %6u  %-23s %s%s\n", t[i].id, t[i].cost.latency_us,
		       t[i].cost.mib_per_s, t[i].cost.fwd_us, out, home,
		       t[i].fit == 1 ? "  (estimated: the sizes are too close to tell)" : "");
	}
	printf("%-7s %10u %9u %6u  %s\n", "default", c->def.latency_us, c->def.mib_per_s,
	       c->def.fwd_us, c->n ? "median of the node lines" : "built-in");
	printf("(OUT_MS, HOME_MS: the fastest of %u moves of a %u MiB / %u MiB probe; "
	       "FWD_US: one forwarded call, %u timed%s)\n", o->rounds, o->size[0], o->size[1],
	       o->calls, kept ? "; lines of other nodes kept from the file" : "");
}

/* --dry-run: the file as it would be written, through the one writer. */
static int print_costs(const struct bal_costs *c)
{
	char dir[] = "/tmp/mosix-tune.XXXXXX", path[sizeof(dir) + 16];
	char *text = NULL;
	size_t len = 0;
	int r;

	if (!mkdtemp(dir))
		return -errno;
	snprintf(path, sizeof(path), "%s/%s", dir, BAL_COSTS_FILE);
	r = bal_costs_write(c, path);
	if (!r)
		r = util_read_file(path, &text, &len, NULL);
	if (!r)
		fwrite(text, 1, len, stdout);
	free(text);
	unlink(path);
	rmdir(dir);
	return r;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct cluster_state cs;
	struct bal_costs old, costs;
	struct diag d = DIAG_INIT;
	struct target *t = NULL;
	uint64_t home_ns = 0;
	size_t n = 0, measured = 0, kept = 0;
	unsigned deputies, guests;
	char *path = NULL, *exe = NULL;
	int r, ret = 3;

	if (argc > 1 && !strcmp(argv[1], TUNE_PROBE_ARG))
		return probe_main(argc, argv);
	cluster_state_init(&cs);
	bal_costs_init(&old);
	bal_costs_init(&costs);
	r = parse_args(argc, argv, &o);
	if (r) {
		ret = r;
		goto out;
	}
	if (o.help) {
		fputs(usage, stdout);
		ret = 0;
		goto out;
	}
	r = cluster_state_read(paths_run_dir(), &cs, &d);
	if (r && r != -ENOENT)
		diag_print(&d, stderr, "mosix-tune");
	diag_release(&d);
	diag_init(&d);
	if (r) {
		fprintf(stderr, "mosix-tune: cannot read the cluster state in '%s': %s "
			"(is mosix-infod running?)\n", paths_run_dir(), strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < o.nnodes; i++)
		if (o.nodes[i] == cs.self) {
			fprintf(stderr, "mosix-tune: node %u is this node\n"
				"Try 'mosix-tune --help'.\n", cs.self);
			ret = 2;
			goto out;
		}
	path = o.output ? strdup(o.output) : paths_config(BAL_COSTS_FILE);
	if (!path || pick_targets(&o, &cs, &t, &n)) {
		fprintf(stderr, "mosix-tune: out of memory\n");
		goto out;
	}
	if (!n) {
		fprintf(stderr, "mosix-tune: no other node in the cluster state\n");
		goto out;
	}
	/* with -n the file keeps the lines of the nodes not measured now */
	if (o.nnodes) {
		r = bal_costs_load(&old, path, &d);
		if (r && r != -ENOENT) {
			diag_print(&d, stderr, "mosix-tune");
			fprintf(stderr, "mosix-tune: cannot read '%s': %s; fix or remove it\n",
				path, strerror(-r));
			goto out;
		}
	}
	r = mig_client_count(paths_run_dir(), &deputies, &guests);
	if (r) {
		fprintf(stderr, "mosix-tune: cannot reach mosix-migd at '%s/migd.sock': %s\n",
			paths_run_dir(), strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (t[i].failed)
			fprintf(stderr, "mosix-tune: node %u: %s; it gets no line\n", t[i].id,
				t[i].why);
	r = probe_program(&exe);
	if (r) {
		fprintf(stderr, "mosix-tune: cannot find its own program: %s\n", strerror(-r));
		goto out;
	}
	if (measure(&o, exe, t, n, &home_ns))
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (t[i].failed)
			continue;
		t[i].cost.node = t[i].id;
		t[i].fit = tune_fit(&t[i].out[0], &t[i].out[1], &t[i].cost);
		if (t[i].fit < 0) {
			fail(&t[i], "both probes moved %llu bytes",
			     (unsigned long long)t[i].out[0].bytes);
			continue;
		}
		t[i].cost.fwd_us = tune_fwd_us(t[i].calls_ns, home_ns, o.calls);
		measured++;
	}
	for (size_t i = 0; i < old.n; i++)
		kept += !is_target(t, n, old.node[i].node);
	if (build_costs(t, n, &old, &costs)) {
		fprintf(stderr, "mosix-tune: out of memory\n");
		goto out;
	}
	print_table(&o, t, n, &costs, kept);
	ret = measured == n ? 0 : 1;
	if (!measured) {
		fprintf(stderr, "mosix-tune: no node could be measured; nothing written\n");
		goto out;
	}
	fflush(stdout);
	r = o.dry_run ? print_costs(&costs) : bal_costs_write(&costs, path);
	if (r) {
		fprintf(stderr, "mosix-tune: cannot write '%s': %s\n",
			o.dry_run ? "a temporary file" : path, strerror(-r));
		ret = 3;
	} else if (!o.dry_run) {
		printf("wrote %s\n", path);
	}
out:
	fflush(stdout);
	bal_costs_release(&costs);
	bal_costs_release(&old);
	cluster_state_release(&cs);
	diag_release(&d);
	free(t);
	free(path);
	free(exe);
	free(o.nodes);
	return ret;
}
