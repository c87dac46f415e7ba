// SPDX-License-Identifier: GPL-2.0-only
/*
 * mosix-infod's load vector: the smoothing formula (rises slowly, falls
 * fast, reaches its target exactly), normalisation by speed, and the
 * parsers of /proc text, on real-looking and on broken input.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemons/mosix-infod/measure.c"

static void test_smooth_rises_slowly(void **state)
{
	uint64_t mean = 0;

	(void)state;
	/* one step of 2 tasks with slow = 975: 2.5% of the way per sample */
	mean = measure_smooth(mean, 2000, 975, 926);
	assert_int_equal(mean, 50);
	mean = measure_smooth(mean, 2000, 975, 926);
	/* (50 * 975 + 2000 * 25) / 1000 = 98.75, rounded up */
	assert_int_equal(mean, 99);
	/* 40 samples (4 s at 100 ms): 1 - 0.975^40 = 64% of the step */
	for (int i = 2; i < 40; i++)
		mean = measure_smooth(mean, 2000, 975, 926);
	assert_in_range(mean, 1250, 1300);
	/* it gets there exactly, and stays */
	for (int i = 0; i < 2000; i++)
		mean = measure_smooth(mean, 2000, 975, 926);
	assert_int_equal(mean, 2000);
	assert_int_equal(measure_smooth(2000, 2000, 975, 926), 2000);
}

static void test_smooth_falls_fast(void **state)
{
	uint64_t mean = 2000;
	int n = 0;

	(void)state;
	/* (2000 * 926) / 1000 */
	assert_int_equal(measure_smooth(mean, 0, 975, 926), 1852);
	while (mean > 1000) {
		mean = measure_smooth(mean, 0, 975, 926);
		n++;
	}
	/* half-way in 0.9 s at 100 ms: 0.926^9 < 0.5 */
	assert_int_equal(n, 9);
	/* and all the way to zero, not stuck at a remainder */
	for (int i = 0; i < 200; i++)
		mean = measure_smooth(mean, 0, 975, 926);
	assert_int_equal(mean, 0);
	/* fast = 1: at once */
	assert_int_equal(measure_smooth(5000, 1000, 975, 1), 1004);
	/* slow = 1000 never rises; fast = 1000 never falls */
	assert_int_equal(measure_smooth(0, 5000, 1000, 926), 0);
	assert_int_equal(measure_smooth(5000, 0, 975, 1000), 5000);
}

static void test_load_units(void **state)
{
	(void)state;
	/* one task on the reference CPU is 100 */
	assert_int_equal(measure_load(1000, 10000), 100);
	/* twice as fast: half the load */
	assert_int_equal(measure_load(1000, 20000), 50);
	assert_int_equal(measure_load(2500, 10000), 250);
	assert_int_equal(measure_load(0, 10000), 0);
	/* rounded, never divided by zero, never wrapped */
	assert_int_equal(measure_load(1, 10000), 0);
	assert_int_equal(measure_load(5, 10000), 1);
	assert_int_equal(measure_load(1000, 0), 1000000);
	assert_int_equal(measure_load(UINT64_MAX / 2000, 1), UINT32_MAX);
	assert_int_equal(measure_reserve(1000000), 50000);
}

static const char proc_stat[] =
	"cpu  22854 10 26633 214607 2026 5 188 550 0 0\n"
	"cpu0 9810 0 12706 110472 113 0 55 272 0 0\n"
	"cpu1 13044 10 13927 104135 1913 5 133 278 0 0\n"
	"intr 1 2 3\n"
	"ctxt 123\n"
	"procs_running 4\n"
	"procs_blocked 0\n";

static void test_parse_stat(void **state)
{
	uint64_t running, busy, total;
	uint8_t mask[1] = { 0x2 };

	(void)state;
	assert_int_equal(measure_parse_running(proc_stat, &running), 0);
	assert_int_equal(running, 4);
	assert_int_equal(measure_parse_cpu(proc_stat, NULL, 0, &busy, &total), 0);
	assert_int_equal(busy, 22854 + 10 + 26633 + 5 + 188 + 550);
	assert_int_equal(total, busy + 214607 + 2026);
	/* only cpu1, as in a cpuset of one CPU */
	assert_int_equal(measure_parse_cpu(proc_stat, mask, 8, &busy, &total), 0);
	assert_int_equal(busy, 13044 + 10 + 13927 + 5 + 133 + 278);
	assert_int_equal(total, busy + 104135 + 1913);
	/* a CPU that is not there */
	mask[0] = 0x80;
	assert_int_equal(measure_parse_cpu(proc_stat, mask, 8, &busy, &total), -EINVAL);
	assert_int_equal(measure_parse_running("procs_blocked 3\n", &running), -EINVAL);
	assert_int_equal(measure_parse_running("procs_running x\n", &running), -EINVAL);
	assert_int_equal(measure_parse_running("", &running), -EINVAL);
	assert_int_equal(measure_parse_cpu("cpu  1 2\n", NULL, 0, &busy, &total), -EINVAL);
}

static void test_parse_meminfo(void **state)
{
	uint64_t total, avail, free_kib;

	(void)state;
	assert_int_equal(measure_parse_meminfo("MemTotal:       24684096 kB\n"
					       "MemFree:        23939252 kB\n"
					       "MemAvailable:   22780224 kB\n"
					       "Buffers:           12 kB\n",
					       &total, &avail, &free_kib), 0);
	assert_int_equal(total, 24684096);
	assert_int_equal(avail, 22780224);
	assert_int_equal(free_kib, 23939252);
	/* before Linux 3.14: no MemAvailable, free memory is the floor */
	assert_int_equal(measure_parse_meminfo("MemTotal: 100 kB\nMemFree: 40 kB\n", &total, &avail,
					       &free_kib), 0);
	assert_int_equal(avail, 40);
	/* never more than the total */
	assert_int_equal(measure_parse_meminfo("MemTotal: 100 kB\nMemFree: 400 kB\n"
					       "MemAvailable: 500 kB\n", &total, &avail, &free_kib), 0);
	assert_int_equal(avail, 100);
	assert_int_equal(free_kib, 100);
	/* a key must match whole: MemTotalX is not MemTotal */
	assert_int_equal(measure_parse_meminfo("MemTotalX: 100 kB\nMemFree: 4 kB\n", &total, &avail,
					       &free_kib), -EINVAL);
	assert_int_equal(measure_parse_meminfo("", &total, &avail, &free_kib), -EINVAL);
}

static void test_parse_swaps(void **state)
{
	uint64_t swaps;

	(void)state;
	assert_int_equal(measure_parse_swaps("pgpgin 5\npswpin 7\npswpout 11\n", &swaps), 0);
	assert_int_equal(swaps, 18);
	assert_int_equal(measure_parse_swaps("pswpin 7\n", &swaps), -EINVAL);
}

static void test_parse_pid_stat(void **state)
{
	char st;
	uint64_t ticks;

	(void)state;
	assert_int_equal(measure_parse_pid_stat("42 (sh) R 1 42 42 0 -1 4194304 100 0 0 0 "
						"250 17 0 0 20 0 1 0 100 1000 100",
						&st, &ticks), 0);
	assert_int_equal(st, 'R');
	assert_int_equal(ticks, 267);
	/* a name with spaces and parentheses cannot shift the fields */
	assert_int_equal(measure_parse_pid_stat("7 (a) b) S (c) S 1 7 7 0 -1 0 0 0 0 0 "
						"3 4 0 0 20 0", &st, &ticks), 0);
	assert_int_equal(st, 'S');
	assert_int_equal(ticks, 7);
	assert_int_equal(measure_parse_pid_stat("7 (x) R 1 2 3", &st, &ticks), -EINVAL);
	assert_int_equal(measure_parse_pid_stat("no parenthesis", &st, &ticks), -EINVAL);
	assert_int_equal(measure_parse_pid_stat("1 (x)", &st, &ticks), -EINVAL);
}

/* The real thing: this process, on this machine. */
static void test_measure_here(void **state)
{
	struct measure m;
	struct gossip_vec v = { 0 };

	(void)state;
	assert_int_equal(measure_init(&m), 0);
	assert_int_equal(measure_sample(&m, 975, 926), 0);
	assert_int_equal(measure_vector(&m, 10000, &v), 0);
	assert_true(v.cpus >= 1);
	assert_true(v.tmem > 0);
	assert_true(v.mem <= v.tmem);
	assert_true(v.rmem <= v.tmem);
	assert_true(v.util <= 1000);
	assert_int_equal(v.flags & GV_SWAPPING, 0);
	measure_release(&m);
	measure_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smooth_rises_slowly),
		cmocka_unit_test(test_smooth_falls_fast),
		cmocka_unit_test(test_load_units),
		cmocka_unit_test(test_parse_stat),
		cmocka_unit_test(test_parse_meminfo),
		cmocka_unit_test(test_parse_swaps),
		cmocka_unit_test(test_parse_pid_stat),
		cmocka_unit_test(test_measure_here),
	};

	return cmocka_run_group_tests_name("gossip_load", tests, NULL, NULL);
}
