// SPDX-License-Identifier: GPL-2.0-only
/* The balancing decision (bal) and the costs file (bal_costs). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/bal.h"

/* A cluster of @n nodes, one CPU each at the reference speed, idle. */
static struct node_state *cluster(struct cluster_state *cs, size_t n)
{
	struct node_state *nodes = calloc(n, sizeof(*nodes));

	assert_non_null(nodes);
	for (size_t i = 0; i < n; i++) {
		nodes[i].id = (uint32_t)i + 1;
		nodes[i].up = true;
		nodes[i].v.node = (uint16_t)(i + 1);
		nodes[i].v.speed = 10000;
		nodes[i].v.cpus = 1;
		nodes[i].v.tmem = 1u << 20;
		nodes[i].v.mem = 1u << 19;
	}
	memset(cs, 0, sizeof(*cs));
	cs->self = 1;
	cs->node = nodes;
	cs->n = n;
	return nodes;
}

static struct bal_proc cpu_proc(pid_t pid)
{
	return (struct bal_proc){ .pid = pid, .cpu_pm = 1000, .cpu_ms = 10000,
				  .pages = 256, .since_move_ms = 60000 };
}

static void setup_bal(struct bal *b, struct bal_costs *c)
{
	struct bal_params p;

	bal_params_default(&p);
	bal_init(b, &p);
	bal_costs_init(c);
}

static void four_jobs_go_to_idle_node(void **state)
{
	struct node_state *nodes;
	struct cluster_state cs;
	struct bal_proc p[4];
	struct bal_decision d;
	struct bal b;
	struct bal_costs c;

	(void)state;
	nodes = cluster(&cs, 2);
	nodes[0].v.load = 400;	/* four tasks on one CPU */
	setup_bal(&b, &c);
	for (int i = 0; i < 4; i++)
		p[i] = cpu_proc(100 + i);
	assert_int_equal(bal_decide(&b, &cs, &c, p, 4, 1000, &d), 1);
	assert_int_equal(d.from, 1);
	assert_int_equal(d.to, 2);
	assert_int_equal(d.rate_from, 2500);
	assert_int_equal(d.rate_to, 10000);
	assert_true(d.go_ms < d.stay_ms);
	/* the decision's load counts on node 2: the next goes there too, the
	 * third does not (node 2 would hold 3 tasks, node 1 holds 2) */
	bal_moved(&b, &d, 1000, 1000);
	p[d.pid - 100].where = 2;
	p[d.pid - 100].since_move_ms = 0;
	assert_int_equal(bal_decide(&b, &cs, &c, p, 4, 1100, &d), 1);
	assert_int_equal(d.to, 2);
	bal_moved(&b, &d, 1000, 1100);
	p[d.pid - 100].where = 2;
	p[d.pid - 100].since_move_ms = 0;
	assert_int_equal(bal_decide(&b, &cs, &c, p, 4, 1200, &d), 0);
	assert_int_equal(d.pid, 0);
	bal_costs_release(&c);
	free(nodes);
}

static void own_processes_count_before_gossip_shows_them(void **state)
{
	struct node_state *nodes;
	struct cluster_state cs;
	struct bal_proc p[4];
	struct bal_decision d;
	struct bal b;
	struct bal_costs c;

	(void)state;
	/* four jobs just started: gossip's slowly rising load says 0.5 */
	nodes = cluster(&cs, 2);
	nodes[0].v.load = 50;
	setup_bal(&b, &c);
	for (int i = 0; i < 4; i++)
		p[i] = cpu_proc(100 + i);
	assert_int_equal(bal_decide(&b, &cs, &c, p, 4, 0, &d), 1);
	assert_int_equal(d.rate_from, 2500);
	/* two of ours on node 2 already, which gossip does not show yet */
	p[0].where = 2;
	p[1].where = 2;
	assert_int_equal(bal_decide(&b, &cs, &c, p, 4, 0, &d), 0);
	bal_costs_release(&c);
	free(nodes);
}

static void balanced_cluster_stays(void **state)
{
	struct node_state *nodes;
	struct cluster_state cs;
	struct bal_proc p = cpu_proc(7);
	struct bal_decision d;
	struct bal b;
	struct bal_costs c;

	(void)state;
	nodes = cluster(&cs, 3);
	nodes[0].v.load = 100;
	nodes[1].v.load = 100;
	nodes[2].v.load = 100;
	setup_bal(&b, &c);
	assert_int_equal(bal_decide(&b, &cs, &c, &p, 1, 0, &d), 0);
	/* within the hysteresis: 2 tasks here, a little less than 1 there */
	nodes[0].v.load = 200;
	nodes[1].v.load = 95;
	nodes[2].v.load = 95;
	p.cpu_ms = 100000;
	assert_int_equal(bal_decide(&b, &cs, &c, &p, 1, 0, &d), 0);
	bal_costs_release(&c);
	free(nodes);
}

static void unfit_processes_stay(void **state)
{
	struct node_state *nodes;
	struct cluster_state cs;
	struct bal_proc p[6];
	struct bal_decision d;
	struct bal b;
	struct bal_costs c;

	(void)state;
	nodes = cluster(&cs, 2);
	nodes[0].v.load = 600;
	setup_bal(&b, &c);
	for (int i = 0; i < 6; i++)
		p[i] = cpu_proc(i + 1);
	p[0].flags = BAL_LOCKED;
	p[1].flags = BAL_IOJOB;
	p[2].io_cps = 5000;
	p[3].cpu_pm = 100;
	p[4].since_move_ms = 10;
	p[5].cpu_ms = 10;
	assert_string_equal(bal_unfit(&b, &p[0]), "locked");
	assert_string_equal(bal_unfit(&b, &p[1]), "an I/O job (mosrun -i)");
	assert_string_equal(bal_unfit(&b, &p[2]), "I/O-bound");
	assert_string_equal(bal_unfit(&b, &p[3]), "not CPU-bound");
	assert_string_equal(bal_unfit(&b, &p[4]), "moved recently");
	assert_string_equal(bal_unfit(&b, &p[5]), "too young");
	assert_int_equal(bal_decide(&b, &cs, &c, p, 6, 0, &d), 0);
	assert_int_equal(d.pid, -1);
	/* mosrun -c: CPU-bound whatever its numbers say */
	p[2].flags = BAL_CPUJOB;
	assert_null(bal_unfit(&b, &p[2]));
	assert_int_equal(bal_decide(&b, &cs, &c, p, 6, 0, &d), 1);
	assert_int_equal(d.pid, 3);
	bal_costs_release(&c);
	free(nodes);
}

static void targets_must_take_guests(void **state)
{
	static const uint16_t no[] = { GV_BLOCKED, GV_SWAPPING, GV_OFF, GV_NOGUESTS };
	struct node_state *nodes;
	struct cluster_state cs;
	struct bal_proc p = cpu_proc(9);
	struct bal_decision d;
	struct bal b;
	struct bal_costs c;

	(void)state;
	nodes = cluster(&cs, 2);
	nodes[0].v.load = 300;
	setup_bal(&b, &c);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		nodes[1].v.flags = no[i];
		assert_int_equal(bal_decide(&b, &cs, &c, &p, 1, 0, &d), 0);
	}
	nodes[1].v.flags = 0;
	nodes[1].up = false;
	assert_int_equal(bal_decide(&b, &cs, &c, &p, 1, 0, &d), 0);
	nodes[1].up = true;
	/* not enough free memory there */
	nodes[1].v.mem = p.pages;
	assert_int_equal(bal_decide(&b, &cs, &c, &p, 1, 0, &d), 0);
	nodes[1].v.mem = 1u << 19;
	assert_int_equal(bal_decide(&b, &cs, &c, &p, 1, 0, &d), 1);
	bal_costs_release(&c);
	free(nodes);
}

static void away_process_comes_home(void **state)
{
	struct node_state *nodes;
	struct cluster_state cs;
	struct bal_proc p = cpu_proc(11);
	struct bal_decision d;
	struct bal b;
	struct bal_costs c;

	(void)state;
	nodes = cluster(&cs, 2);
	/* home is idle and blocked (blocking keeps guests out, not its own) */
	nodes[0].v.flags = GV_BLOCKED;
	nodes[1].v.load = 400;
	p.where = 2;
	setup_bal(&b, &c);
	assert_int_equal(bal_decide(&b, &cs, &c, &p, 1, 0, &d), 1);
	assert_int_equal(d.from, 2);
	assert_int_equal(d.to, 1);
	bal_costs_release(&c);
	free(nodes);
}

/*
 * A process away whose calls home come faster than io_max_cps comes home,
 * even from an idle node to a busy home: each call waits for a trip. Not
 * when locked, a CPU job (mosrun -c), or just moved; the busiest first.
 */
static void io_bound_away_comes_home(void **state)
{
	struct node_state *nodes;
	struct cluster_state cs;
	struct bal_proc p[4];
	struct bal_decision d;
	struct bal b;
	struct bal_costs c;
	char line[256];

	(void)state;
	nodes = cluster(&cs, 3);
	nodes[0].v.load = 3000;
	setup_bal(&b, &c);
	for (int i = 0; i < 4; i++) {
		p[i] = cpu_proc(20 + i);
		p[i].where = 2;
		p[i].io_cps = 300 + (uint32_t)i;
	}
	p[0].flags = BAL_LOCKED;
	p[1].flags = BAL_CPUJOB;
	p[2].since_move_ms = 1000;
	assert_false(bal_io_home(&b, &p[0]));
	assert_false(bal_io_home(&b, &p[1]));
	assert_false(bal_io_home(&b, &p[2]));
	assert_true(bal_io_home(&b, &p[3]));
	/* at home, I/O-bound means it stays there */
	p[3].where = 0;
	assert_false(bal_io_home(&b, &p[3]));
	p[3].where = 3;
	assert_int_equal(bal_decide(&b, &cs, &c, p, 4, 0, &d), 1);
	assert_int_equal(d.pid, 23);
	assert_int_equal(d.from, 3);
	assert_int_equal(d.to, 1);
	assert_int_equal(d.io_cps, 303);
	bal_format(&d, line, sizeof(line));
	assert_string_equal(line, "process 23: node 3 -> 1 (home): I/O-bound, 303 calls/s home");
	/* the busiest of two */
	p[2].since_move_ms = 60000;
	p[2].io_cps = 5000;
	assert_int_equal(bal_decide(&b, &cs, &c, p, 4, 0, &d), 1);
	assert_int_equal(d.pid, 22);
	/* at the limit, not over it: the CPU decides, and not for home (busy) */
	p[2].io_cps = b.p.io_max_cps;
	p[3].io_cps = b.p.io_max_cps;
	memset(&d, 0, sizeof(d));
	assert_true(bal_decide(&b, &cs, &c, p, 4, 0, &d) >= 0);
	assert_int_equal(d.io_cps, 0);
	assert_int_not_equal(d.to, 1);
	bal_costs_release(&c);
	free(nodes);
}

static void faster_node_wins(void **state)
{
	struct node_state *nodes;
	struct cluster_state cs;
	struct bal_proc p = cpu_proc(5);
	struct bal_decision d;
	struct bal b;
	struct bal_costs c;

	(void)state;
	nodes = cluster(&cs, 3);
	nodes[0].v.load = 200;
	nodes[2].v.speed = 20000;
	setup_bal(&b, &c);
	assert_int_equal(bal_decide(&b, &cs, &c, &p, 1, 0, &d), 1);
	assert_int_equal(d.to, 3);
	assert_int_equal(d.rate_to, 20000);
	bal_costs_release(&c);
	free(nodes);
}

/* a node that refused the process lately is no target; the next best is */
static void refusing_node_is_avoided(void **state)
{
	struct node_state *nodes;
	struct cluster_state cs;
	struct bal_proc p = cpu_proc(5);
	struct bal_decision d;
	struct bal b;
	struct bal_costs c;

	(void)state;
	nodes = cluster(&cs, 3);
	nodes[0].v.load = 200;
	nodes[2].v.speed = 20000;
	setup_bal(&b, &c);
	p.avoid = 3;
	assert_int_equal(bal_decide(&b, &cs, &c, &p, 1, 0, &d), 1);
	assert_int_equal(d.to, 2);
	/* with no other node, it stays */
	nodes[1].up = false;
	assert_int_equal(bal_decide(&b, &cs, &c, &p, 1, 0, &d), 0);
	/* a refused move's load is withdrawn: the target looks idle again */
	nodes[1].up = true;
	p.avoid = 0;
	assert_int_equal(bal_decide(&b, &cs, &c, &p, 1, 0, &d), 1);
	assert_int_equal(d.to, 3);
	bal_moved(&b, &d, 1000, 0);
	nodes[2].v.speed = 10000;	/* node 2 as good as 3 was... */
	p.avoid = 3;
	{
		struct bal_proc q = cpu_proc(6);
		struct bal_decision e;

		/* ...and another job finds node 3 loaded by the pending move */
		nodes[1].up = false;
		assert_int_equal(bal_decide(&b, &cs, &c, &q, 1, 0, &e), 0);
		bal_withdraw(&b, &d, 1000, 0);
		assert_int_equal(bal_decide(&b, &cs, &c, &q, 1, 0, &e), 1);
		assert_int_equal(e.to, 3);
	}
	bal_costs_release(&c);
	free(nodes);
}

static void big_process_short_life_stays(void **state)
{
	struct node_state *nodes;
	struct cluster_state cs;
	struct bal_proc p = cpu_proc(5);
	struct bal_decision d;
	struct bal b;
	struct bal_costs c;

	(void)state;
	nodes = cluster(&cs, 2);
	nodes[0].v.load = 200;
	setup_bal(&b, &c);
	p.cpu_ms = 2000;
	p.pages = 256 * 4000;	/* 4000 MiB at 300 MiB/s: 13 s to move */
	nodes[1].v.mem = 1u << 21;
	assert_int_equal(bal_decide(&b, &cs, &c, &p, 1, 0, &d), 0);
	p.cpu_ms = 600000;
	assert_int_equal(bal_decide(&b, &cs, &c, &p, 1, 0, &d), 1);
	assert_true(d.move_ms > 13000);
	bal_costs_release(&c);
	free(nodes);
}

static void view_of_the_freshest(void **state)
{
	struct node_state *nodes;
	struct cluster_state cs, v;
	struct bal_proc p = cpu_proc(3);
	struct bal b;
	struct bal_costs c;
	uint32_t first[2];

	(void)state;
	nodes = cluster(&cs, 20);
	setup_bal(&b, &c);
	b.p.view = 4;
	for (int i = 0; i < 20; i++)
		nodes[i].age_ms = 1000u * (uint32_t)(20 - i);	/* node 20 freshest */
	nodes[17].up = false;		/* node 18: down, never in the view */
	p.where = 2;			/* old news, but ours runs there */
	assert_int_equal(bal_view(&b, &cs, &p, 1, &v), 0);
	assert_int_equal(v.n, 6);
	assert_int_equal(v.node[0].id, 1);	/* this node */
	assert_int_equal(v.node[1].id, 2);
	assert_int_equal(v.node[2].id, 16);
	assert_int_equal(v.node[3].id, 17);
	assert_int_equal(v.node[4].id, 19);
	assert_int_equal(v.node[5].id, 20);
	free(v.node);
	/* equally fresh: which ones depends on the salt, not on the ids */
	for (int i = 0; i < 20; i++)
		nodes[i].age_ms = 0;
	nodes[17].up = true;
	for (int k = 0; k < 2; k++) {
		b.salt = (uint64_t)k * 7919 + 1;
		assert_int_equal(bal_view(&b, &cs, NULL, 0, &v), 0);
		assert_int_equal(v.n, 5);
		first[k] = v.node[1].id;
		free(v.node);
	}
	(void)first;
	b.p.view = 0;
	assert_int_equal(bal_view(&b, &cs, NULL, 0, &v), 0);
	assert_int_equal(v.n, 20);
	free(v.node);
	bal_costs_release(&c);
	free(nodes);
}

static void ties_not_always_lowest_id(void **state)
{
	struct node_state *nodes;
	struct cluster_state cs;
	struct bal_proc p = cpu_proc(3);
	struct bal_decision d;
	struct bal b;
	struct bal_costs c;
	bool seen[5] = { false };
	int distinct = 0;

	(void)state;
	nodes = cluster(&cs, 5);
	nodes[0].v.load = 400;
	setup_bal(&b, &c);
	for (uint64_t salt = 1; salt < 40; salt++) {
		b.salt = salt * 0x9e3779b97f4a7c15ull;
		assert_int_equal(bal_decide(&b, &cs, &c, &p, 1, 0, &d), 1);
		assert_true(d.to >= 2 && d.to <= 5);
		if (!seen[d.to - 1])
			distinct++;
		seen[d.to - 1] = true;
	}
	/* four equal idle nodes: different daemons choose different ones */
	assert_true(distinct >= 3);
	bal_costs_release(&c);
	free(nodes);
}

static void usher(void **state)
{
	struct gossip_vec v = { .tmem = 1000000, .mem = 500000 };
	struct bal_params p;
	struct bal b;

	(void)state;
	bal_params_default(&p);
	bal_init(&b, &p);
	assert_false(bal_usher(&b, &v));
	v.mem = 10000;
	assert_true(bal_usher(&b, &v));
	v.mem = 500000;
	v.flags = GV_SWAPPING;
	assert_true(bal_usher(&b, &v));
}

static char *write_tmp(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/mosix-test-costs.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void costs_file(void **state)
{
	struct bal_costs c, back;
	struct diag d = DIAG_INIT;
	char *path;

	(void)state;
	bal_costs_init(&c);
	bal_costs_init(&back);
	path = write_tmp("# measured\n\nmosix-costs 1\ndefault 1000 200 50\n"
			 "3 3000 100 80 # slow link\n2 2000 400 60\n");
	assert_int_equal(bal_costs_load(&c, path, &d), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(bal_costs_of(&c, 2)->latency_us, 2000);
	assert_int_equal(bal_costs_of(&c, 3)->mib_per_s, 100);
	assert_int_equal(bal_costs_of(&c, 9)->fwd_us, 50);
	/* 1 ms + 256 pages (1 MiB) at 200 MiB/s: 5 ms */
	assert_int_equal(bal_move_ms(bal_costs_of(&c, 9), 256), 6);
	assert_int_equal(bal_costs_write(&c, path), 0);
	assert_int_equal(bal_costs_load(&back, path, &d), 0);
	assert_int_equal(back.n, 2);
	assert_memory_equal(back.node, c.node, 2 * sizeof(*c.node));
	assert_memory_equal(&back.def, &c.def, sizeof(c.def));
	unlink(path);
	bal_costs_release(&c);
	bal_costs_release(&back);
	diag_release(&d);
}

static void costs_file_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "2 1 1 1\n", ":1: expected 'mosix-costs 1' first" },
		{ "mosix-costs 2\n", ":1: version 2; this mosix reads version 1" },
		{ "mosix-costs 1\n\n2 1 1\n", ":3: expected 'NODE LATENCY_US MIB_PER_S FWD_US'" },
		{ "mosix-costs 1\nx 1 1 1\n", ":2: 'x' is no node id (1-65535) nor 'default'" },
		{ "mosix-costs 1\n2 1 0 1\n", ":2: costs must be whole numbers above 0" },
		{ "mosix-costs 1\n2 1 1 1\n2 1 1 1\n", ":3: node 2 listed twice" },
		{ "mosix-costs 1\ndefault 1 1 1\ndefault 1 1 1\n", ":3: a second 'default' line" },
		{ "# nothing\n", ": empty: expected 'mosix-costs 1'" },
	};
	struct bal_costs c;

	(void)state;
	bal_costs_init(&c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct diag d = DIAG_INIT;
		char *path = write_tmp(bad[i].text);

		assert_int_equal(bal_costs_load(&c, path, &d), -EINVAL);
		assert_true(d.n >= 1);
		if (!strstr(d.msg[0].text, bad[i].msg))
			fail_msg("'%s' has no '%s'", d.msg[0].text, bad[i].msg);
		assert_int_equal(c.n, 0);
		unlink(path);
		diag_release(&d);
	}
	{
		struct diag d = DIAG_INIT;

		assert_int_equal(bal_costs_load(&c, "/nonexistent/costs", &d), -ENOENT);
		diag_release(&d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(four_jobs_go_to_idle_node),
		cmocka_unit_test(own_processes_count_before_gossip_shows_them),
		cmocka_unit_test(balanced_cluster_stays),
		cmocka_unit_test(unfit_processes_stay),
		cmocka_unit_test(targets_must_take_guests),
		cmocka_unit_test(away_process_comes_home),
		cmocka_unit_test(io_bound_away_comes_home),
		cmocka_unit_test(faster_node_wins),
		cmocka_unit_test(refusing_node_is_avoided),
		cmocka_unit_test(big_process_short_life_stays),
		cmocka_unit_test(view_of_the_freshest),
		cmocka_unit_test(ties_not_always_lowest_id),
		cmocka_unit_test(usher),
		cmocka_unit_test(costs_file),
		cmocka_unit_test(costs_file_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
