// SPDX-License-Identifier: GPL-2.0-only
/*
 * The deputy's CPU time for getrusage and times (engine/dep_rusage): the
 * answers home's kernel gave, here this process's own, get the time used
 * away added to their user time; RUSAGE_CHILDREN, failed calls, other
 * calls and answers of another shape are left as they are.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/dep_rusage.h"
#include "engine/mig_img.h"

#define AWAY_NS 2500000000ull	/* 2.5 s on nodes */

struct answer {
	struct mig_fwd_ret rr;
	uint32_t len;
	uint8_t data[sizeof(struct rusage)];
} __attribute__((packed));

/* a SYSRET as the deputy builds it: one out buffer of @len bytes */
static size_t answer(struct answer *a, long ret, const void *p, uint32_t len)
{
	memset(a, 0, sizeof(*a));
	a->rr.ret = ret;
	a->rr.nbuf = 1;
	a->len = len;
	memcpy(a->data, p, len);
	return sizeof(a->rr) + sizeof(a->len) + len;
}

static uint64_t utime_us(const struct rusage *ru)
{
	return (uint64_t)ru->ru_utime.tv_sec * 1000000u + (uint64_t)ru->ru_utime.tv_usec;
}

static void test_getrusage(void **state)
{
	struct mig_fwd_call c = { .nr = SYS_getrusage, .args = { RUSAGE_SELF } };
	struct rusage home, out;
	struct answer a;
	size_t n;

	(void)state;
	assert_int_equal(getrusage(RUSAGE_SELF, &home), 0);
	n = answer(&a, 0, &home, sizeof(home));
	assert_true(dep_rusage_add(&c, (uint8_t *)&a, n, AWAY_NS, 100));
	memcpy(&out, a.data, sizeof(out));
	assert_int_equal(utime_us(&out), utime_us(&home) + AWAY_NS / 1000);
	assert_true(out.ru_utime.tv_usec >= 0 && out.ru_utime.tv_usec < 1000000);
	/* only the user time changes */
	assert_memory_equal(&out.ru_stime, &home.ru_stime, sizeof(home.ru_stime));
	assert_int_equal(out.ru_maxrss, home.ru_maxrss);
	assert_int_equal(out.ru_nvcsw, home.ru_nvcsw);

	c.args[0] = (uint64_t)RUSAGE_THREAD;
	n = answer(&a, 0, &home, sizeof(home));
	assert_true(dep_rusage_add(&c, (uint8_t *)&a, n, AWAY_NS, 100));
}

static void test_times(void **state)
{
	struct mig_fwd_call c = { .nr = SYS_times };
	struct tms home, out;
	struct answer a;
	long tck = sysconf(_SC_CLK_TCK);
	size_t n;

	(void)state;
	times(&home);
	n = answer(&a, 12345, &home, sizeof(home));
	assert_true(dep_rusage_add(&c, (uint8_t *)&a, n, AWAY_NS, tck));
	memcpy(&out, a.data, sizeof(out));
	assert_int_equal(out.tms_utime, home.tms_utime + (clock_t)(AWAY_NS * (uint64_t)tck /
								   1000000000u));
	assert_int_equal(out.tms_stime, home.tms_stime);
	assert_int_equal(out.tms_cutime, home.tms_cutime);
	assert_int_equal(a.rr.ret, 12345);
}

static void test_left_alone(void **state)
{
	struct mig_fwd_call c = { .nr = SYS_getrusage, .args = { (uint64_t)RUSAGE_CHILDREN } };
	struct rusage home;
	struct answer a, before;
	size_t n;

	(void)state;
	assert_int_equal(getrusage(RUSAGE_SELF, &home), 0);
	/* the children's time is home's to count */
	n = answer(&a, 0, &home, sizeof(home));
	before = a;
	assert_false(dep_rusage_add(&c, (uint8_t *)&a, n, AWAY_NS, 100));
	assert_memory_equal(&a, &before, n);
	/* a failed call: its buffer is not the answer */
	c.args[0] = RUSAGE_SELF;
	n = answer(&a, -14, &home, sizeof(home));
	before = a;
	assert_false(dep_rusage_add(&c, (uint8_t *)&a, n, AWAY_NS, 100));
	assert_memory_equal(&a, &before, n);
	/* an answer of another size, or a shorter record */
	n = answer(&a, 0, &home, 32);
	assert_false(dep_rusage_add(&c, (uint8_t *)&a, n, AWAY_NS, 100));
	n = answer(&a, 0, &home, sizeof(home));
	assert_false(dep_rusage_add(&c, (uint8_t *)&a, n - 1, AWAY_NS, 100));
	/* nothing away yet, or another call */
	assert_false(dep_rusage_add(&c, (uint8_t *)&a, n, 0, 100));
	c.nr = SYS_getpid;
	assert_false(dep_rusage_add(&c, (uint8_t *)&a, n, AWAY_NS, 100));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_getrusage),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_left_alone),
	};

	return cmocka_run_group_tests_name("dep_rusage", tests, NULL, NULL);
}
