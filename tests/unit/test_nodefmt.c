// SPDX-License-Identifier: GPL-2.0-only
/*
 * Node formatting shared by mosctl status and mtop: each figure, the table
 * row at both widths, the sort orders and the totals.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/nodefmt.h"

#define MIB (256u) /* pages */
#define GIB (256u * 1024u)

static struct node_state node(uint32_t id, const char *addr, bool up,
			      uint32_t load, uint64_t mem)
{
	struct node_state n = {
		.id = id, .up = up, .age_ms = 1500,
		.v = { .node = (uint16_t)id, .load = load, .speed = 10000, .cpus = 2,
		       .guests = 1, .tmem = 4 * (uint64_t)GIB, .mem = mem,
		       .rmem = 3 * (uint64_t)GIB, .util = 255 },
	};

	assert_int_equal(addr_parse(addr, &n.addr), 0);
	return n;
}

static void test_figures(void **state)
{
	char b[NODEFMT_FIELD];

	(void)state;
	assert_string_equal(nodefmt_load(0, b, sizeof(b)), "0.00");
	assert_string_equal(nodefmt_load(52, b, sizeof(b)), "0.52");
	assert_string_equal(nodefmt_load(1205, b, sizeof(b)), "12.05");
	assert_string_equal(nodefmt_util(0, b, sizeof(b)), "0%");
	assert_string_equal(nodefmt_util(255, b, sizeof(b)), "26%");
	assert_string_equal(nodefmt_util(1000, b, sizeof(b)), "100%");

	assert_string_equal(nodefmt_mem(0, b, sizeof(b)), "0");
	assert_string_equal(nodefmt_mem(1, b, sizeof(b)), "4K");
	assert_string_equal(nodefmt_mem(255, b, sizeof(b)), "1020K");
	assert_string_equal(nodefmt_mem(MIB, b, sizeof(b)), "1.0M");
	assert_string_equal(nodefmt_mem(MIB * 512, b, sizeof(b)), "512M");
	assert_string_equal(nodefmt_mem(GIB - 1, b, sizeof(b)), "1023M");
	assert_string_equal(nodefmt_mem(GIB + GIB / 2, b, sizeof(b)), "1.5G");
	/* truncated, never rounded up */
	assert_string_equal(nodefmt_mem(2 * GIB - 1, b, sizeof(b)), "1.9G");
	assert_string_equal(nodefmt_mem(12 * (uint64_t)GIB, b, sizeof(b)), "12G");
	assert_string_equal(nodefmt_mem(3 * 1024 * (uint64_t)GIB + 300 * (uint64_t)GIB, b,
					sizeof(b)), "3.2T");
	assert_string_equal(nodefmt_mem(UINT64_MAX, b, sizeof(b)), "15Z");

	assert_string_equal(nodefmt_age(0, b, sizeof(b)), "0.0s");
	assert_string_equal(nodefmt_age(550, b, sizeof(b)), "0.5s");
	assert_string_equal(nodefmt_age(9999, b, sizeof(b)), "9.9s");
	assert_string_equal(nodefmt_age(12000, b, sizeof(b)), "12s");
	assert_string_equal(nodefmt_age(100000, b, sizeof(b)), "1m");
	assert_string_equal(nodefmt_age(3 * 3600 * 1000, b, sizeof(b)), "3h");
	assert_string_equal(nodefmt_age(5ull * 86400 * 1000, b, sizeof(b)), "5d");

	/* cut to the buffer, always terminated */
	assert_string_equal(nodefmt_load(123456, b, 4), "123");
}

static void test_state_and_flags(void **state)
{
	struct node_state n = node(1, "10.0.0.1", true, 0, 0);
	char b[64];

	(void)state;
	assert_string_equal(nodefmt_state(&n), "up");
	n.v.flags = GV_OFF;
	assert_string_equal(nodefmt_state(&n), "off");
	n.up = false;
	assert_string_equal(nodefmt_state(&n), "down");

	assert_string_equal(nodefmt_flags(0, false, b, sizeof(b)), "-");
	assert_string_equal(nodefmt_flags(GV_OFF, false, b, sizeof(b)), "-");
	assert_string_equal(nodefmt_flags(GV_BLOCKED, false, b, sizeof(b)), "blocked");
	assert_string_equal(nodefmt_flags(GV_BLOCKED | GV_STAY | GV_SWAPPING, false, b,
					  sizeof(b)), "blocked,stay,swapping");
	assert_string_equal(nodefmt_flags(GV_BLOCKED | GV_LSTAY | GV_QUIET, true, b,
					  sizeof(b)), "BLQ");
	assert_string_equal(nodefmt_flags(GV_BLOCKED | GV_NOGUESTS, false, b, sizeof(b)),
			    "blocked,noguests");
	assert_string_equal(nodefmt_flags(GV_NOGUESTS | GV_SWAPPING, true, b, sizeof(b)), "WN");
	/* mode bits are no flags */
	assert_string_equal(nodefmt_flags(2 << GV_MODE_SHIFT, true, b, sizeof(b)), "-");
	assert_string_equal(nodefmt_flags(GV_BLOCKED | GV_STAY, false, b, 10), "blocked");
}

static void test_row(void **state)
{
	struct node_state n = node(3, "10.77.0.3", true, 52, 512 * MIB);
	struct node_state v6 = node(65535, "fd00:1234:5678:9abc::1", false, 0, 0);
	char b[200];

	(void)state;
	assert_string_equal(nodefmt_header(NODEFMT_ADDR_NARROW, b, sizeof(b)),
			    "   ID  ADDRESS         STATE  LOAD CPUS SPEED UTIL   MEM  RMEM GUEST   AGE");
	assert_string_equal(nodefmt_row(&n, true, 1500, NODEFMT_ADDR_NARROW, b, sizeof(b)),
			    "    3* 10.77.0.3       up     0.52    2 10000  26%  512M  3.0G     1  1.5s");
	assert_true(strlen(b) <= 80 - 6);
	assert_string_equal(nodefmt_row(&v6, false, 12000, NODEFMT_ADDR_NARROW, b, sizeof(b)),
			    "65535  fd00:1234:5678+ down   0.00    2 10000  26%     0  3.0G     1   12s");
	assert_string_equal(nodefmt_row(&v6, false, 12000, 22, b, sizeof(b)),
			    "65535  fd00:1234:5678:9abc::1 down   0.00    2 10000  26%     0  3.0G     1   12s");
}

static void test_sort(void **state)
{
	struct node_state s[] = {
		node(1, "10.0.0.1", true, 100, 10 * MIB),
		node(2, "10.0.0.2", false, 900, 90 * MIB),	/* down: last */
		node(3, "10.0.0.3", true, 300, 10 * MIB),
		node(4, "10.0.0.4", true, 100, 50 * MIB),
		node(5, "10.0.0.5", true, 500, 70 * MIB),	/* off: with the down */
	};
	const struct node_state *v[5];
	enum nodefmt_sort by;
	uint32_t got[5];

	(void)state;
	s[4].v.flags = GV_OFF;
	for (size_t i = 0; i < 5; i++)
		v[i] = &s[4 - i];

	nodefmt_sort(v, 5, NODEFMT_BY_LOAD);
	for (size_t i = 0; i < 5; i++)
		got[i] = v[i]->id;
	assert_memory_equal(got, ((uint32_t[]){ 3, 1, 4, 2, 5 }), sizeof(got));

	nodefmt_sort(v, 5, NODEFMT_BY_MEM);
	for (size_t i = 0; i < 5; i++)
		got[i] = v[i]->id;
	assert_memory_equal(got, ((uint32_t[]){ 4, 1, 3, 2, 5 }), sizeof(got));

	nodefmt_sort(v, 5, NODEFMT_BY_ID);
	for (size_t i = 0; i < 5; i++)
		got[i] = v[i]->id;
	assert_memory_equal(got, ((uint32_t[]){ 1, 2, 3, 4, 5 }), sizeof(got));

	nodefmt_sort(v, 0, NODEFMT_BY_LOAD);
	assert_int_equal(nodefmt_sort_parse("load", &by), 0);
	assert_int_equal(by, NODEFMT_BY_LOAD);
	assert_int_equal(nodefmt_sort_parse("memory", &by), 0);
	assert_int_equal(by, NODEFMT_BY_MEM);
	assert_int_equal(nodefmt_sort_parse("mem", &by), 0);
	assert_int_equal(nodefmt_sort_parse("id", &by), 0);
	assert_int_equal(by, NODEFMT_BY_ID);
	assert_int_equal(nodefmt_sort_parse("cpu", &by), -EINVAL);
	assert_string_equal(nodefmt_sort_name(NODEFMT_BY_MEM), "memory");
}

static void test_totals(void **state)
{
	struct node_state n[] = {
		node(1, "10.0.0.1", true, 100, 1 * GIB),
		node(2, "10.0.0.2", false, 900, 1 * GIB),
		node(3, "10.0.0.3", true, 25, GIB / 2),
		node(4, "fd00::4", true, 500, 1 * GIB),
	};
	struct cluster_state s = { .self = 1, .now_ms = 10000, .node = n, .n = 4 };
	struct nodefmt_totals t;
	char b[128];

	(void)state;
	n[3].v.flags = GV_OFF;
	nodefmt_totals(&s, &t);
	assert_int_equal(t.up, 2);
	assert_int_equal(t.total, 4);
	assert_int_equal(t.cpus, 4);
	assert_int_equal(t.load, 125);
	assert_int_equal(t.mem, GIB + GIB / 2);
	assert_string_equal(nodefmt_totals_line(&t, b, sizeof(b)),
			    "2/4 nodes up, 4 cpus, load 1.25, free memory 1.5G of 8.0G, 2 guests");
	assert_int_equal(nodefmt_addr_width(&s), 8);
	s.n = 0;
	assert_int_equal(nodefmt_addr_width(&s), 7);
	s.n = 4;

	assert_int_equal(nodefmt_age_now(&s, &n[1], 12500), 1500 + 2500);
	/* a snapshot from the future is as good as new */
	assert_int_equal(nodefmt_age_now(&s, &n[1], 9000), 1500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_figures),
		cmocka_unit_test(test_state_and_flags),
		cmocka_unit_test(test_row),
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_totals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
