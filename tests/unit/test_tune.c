// SPDX-License-Identifier: GPL-2.0-only
/* mosix-tune's arithmetic: the fit of two moves, forwarded calls, the median. */
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

#include "lib/tune.h"

#define MIB (1024 * 1024ull)
#define MS 1000000ull

static void test_fit_line(void **state)
{
	struct tune_move a = { 3 * MIB, 30 * MS }, b = { 34 * MIB, 130 * MS };
	struct bal_cost k = { 7, 0, 0, 5 };

	(void)state;
	/* 100 ms more for 31 MiB more: 310 MiB/s; 30 ms - 3 MiB of it */
	assert_int_equal(tune_fit(&a, &b, &k), 0);
	assert_int_equal(k.latency_us, 20323);
	assert_int_equal(k.mib_per_s, 310);
	assert_int_equal(k.node, 7);
	assert_int_equal(k.fwd_us, 5);
	memset(&k, 0, sizeof(k));
	assert_int_equal(tune_fit(&b, &a, &k), 0);
	assert_int_equal(k.latency_us, 20323);
	assert_int_equal(k.mib_per_s, 310);
}

static void test_fit_noise(void **state)
{
	struct tune_move a = { 3 * MIB, 50 * MS }, b = { 34 * MIB, 40 * MS };
	struct tune_move c = { 1 * MIB, 1 * MS }, d = { 2 * MIB, 10 * MS };
	struct tune_move e = { 1 * MIB, 10 * MS }, f = { 1024 * MIB, 10 * MS + 1 };
	struct bal_cost k = { 0 };

	(void)state;
	/* the larger no slower: the smaller's time, the larger's mean rate */
	assert_int_equal(tune_fit(&a, &b, &k), 1);
	assert_int_equal(k.latency_us, 50000);
	assert_int_equal(k.mib_per_s, 850);
	/* a line through 0 before 0 bytes: at least 1 us */
	assert_int_equal(tune_fit(&c, &d, &k), 0);
	assert_int_equal(k.latency_us, 1);
	assert_int_equal(k.mib_per_s, 111);
	/* a GiB in a nanosecond: the file's largest bandwidth */
	assert_int_equal(tune_fit(&e, &f, &k), 0);
	assert_int_equal(k.latency_us, 10000);
	assert_int_equal(k.mib_per_s, TUNE_MIB_PER_S_MAX);
}

static void test_fit_invalid(void **state)
{
	struct tune_move a = { 3 * MIB, 30 * MS }, b = { 3 * MIB, 40 * MS }, z = { 34 * MIB, 0 };
	struct bal_cost k = { 1, 2, 3, 4 };

	(void)state;
	assert_int_equal(tune_fit(&a, &b, &k), -EINVAL);
	assert_int_equal(tune_fit(&a, &z, &k), -EINVAL);
	assert_int_equal(k.latency_us, 2);
	assert_int_equal(k.mib_per_s, 3);
}

static void test_fwd(void **state)
{
	(void)state;
	assert_int_equal(tune_fwd_us(100 * MS, 10 * MS, 1000), 90);
	assert_int_equal(tune_fwd_us(10 * MS + 1, 10 * MS, 1000), 1);
	assert_int_equal(tune_fwd_us(90001000, 1000, 1000), 90);
	assert_int_equal(tune_fwd_us(90001001, 1000, 1000), 91);
	/* at home no faster than on the node: still a crossing */
	assert_int_equal(tune_fwd_us(5 * MS, 10 * MS, 1000), 1);
	assert_int_equal(tune_fwd_us(5000, 0, 0), 5);
	assert_int_equal(tune_fwd_us(UINT64_MAX, 0, 1), TUNE_FWD_US_MAX);
}

static void test_median(void **state)
{
	struct bal_cost k[] = {
		{ 5, 300, 40, 9 },
		{ 2, 100, 20, 7 },
		{ 9, 200, 10, 8 },
		{ 3, 1000, 1000, 1000 },
	};
	struct bal_cost m;

	(void)state;
	assert_int_equal(tune_median(k, 0, &m), 0);
	assert_memory_equal(&m, &BAL_COST_DEFAULT, sizeof(m));
	assert_int_equal(tune_median(k, 1, &m), 0);
	assert_int_equal(m.node, 0);
	assert_int_equal(m.latency_us, 300);
	/* each column on its own */
	assert_int_equal(tune_median(k, 3, &m), 0);
	assert_int_equal(m.node, 0);
	assert_int_equal(m.latency_us, 200);
	assert_int_equal(m.mib_per_s, 20);
	assert_int_equal(m.fwd_us, 8);
	/* even: the mean of the middle two */
	assert_int_equal(tune_median(k, 4, &m), 0);
	assert_int_equal(m.latency_us, 250);
	assert_int_equal(m.mib_per_s, 30);
	assert_int_equal(m.fwd_us, 8);
	/* the lines themselves are not reordered */
	assert_int_equal(k[0].node, 5);
	assert_int_equal(k[2].latency_us, 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fit_line),
		cmocka_unit_test(test_fit_noise),
		cmocka_unit_test(test_fit_invalid),
		cmocka_unit_test(test_fwd),
		cmocka_unit_test(test_median),
	};

	return cmocka_run_group_tests_name("tune", tests, NULL, NULL);
}
