// SPDX-License-Identifier: GPL-2.0-only
/* Address arithmetic at the edges of the IPv4 and IPv6 spaces. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>

#include "lib/addr.h"

static struct mosix_addr A(const char *s)
{
	struct mosix_addr a;

	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

static void expect_add(const char *from, uint64_t n, const char *want)
{
	struct mosix_addr a = A(from), r;
	char buf[ADDR_STRLEN];

	assert_int_equal(addr_add(&a, n, &r), 0);
	assert_string_equal(addr_format(&r, buf), want);
}

static void test_parse(void **state)
{
	struct mosix_addr a;

	(void)state;
	assert_int_equal(addr_parse("1.2.3.4", &a), 0);
	assert_true(addr_is_v4(&a));
	assert_int_equal(addr_parse("fe80::1", &a), 0);
	assert_false(addr_is_v4(&a));
	assert_int_equal(addr_parse("1.2.3", &a), -EINVAL);
	assert_int_equal(addr_parse("", &a), -EINVAL);
	assert_int_equal(addr_parse("example", &a), -EINVAL);
}

static void test_add(void **state)
{
	struct mosix_addr a, r;

	(void)state;
	expect_add("10.0.0.255", 1, "10.0.1.0");
	expect_add("10.255.255.255", 1, "11.0.0.0");
	expect_add("255.255.255.254", 1, "255.255.255.255");
	a = A("255.255.255.255");
	assert_int_equal(addr_add(&a, 1, &r), -ERANGE);
	a = A("0.0.0.0");
	assert_int_equal(addr_add(&a, 0x100000000ull, &r), -ERANGE);
	expect_add("fd00::ffff", 1, "fd00::1:0");
	expect_add("fd00::ffff:ffff:ffff:ffff", 1, "fd00:0:0:1::");
	a = A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	assert_int_equal(addr_add(&a, 1, &r), -ERANGE);
	assert_int_equal(addr_add(&a, 0, &r), 0);
}

static void test_distance_and_order(void **state)
{
	struct mosix_addr a = A("10.0.0.1"), b = A("10.0.1.1"), c = A("fd00::1");
	struct mosix_addr d = A("fd00:0:0:1::2"), e = A("fd00::ffff:ffff:ffff:fff0");
	uint64_t n;

	(void)state;
	assert_true(addr_cmp(&a, &b) < 0);
	assert_true(addr_cmp(&b, &c) < 0); /* IPv4 sorts before global IPv6 */
	assert_int_equal(addr_distance(&a, &b, &n), 0);
	assert_int_equal(n, 256);
	assert_int_equal(addr_distance(&b, &a, &n), -ERANGE);
	assert_int_equal(addr_distance(&a, &c, &n), -ERANGE);
	assert_int_equal(addr_distance(&e, &d, &n), 0);
	assert_int_equal(n, 0x12);
	assert_int_equal(addr_distance(&c, &d, &n), -ERANGE);
}

static void test_sockaddr(void **state)
{
	struct mosix_addr a = A("10.1.2.3"), b;
	struct sockaddr_storage ss;
	char buf[ADDR_STRLEN];
	socklen_t len;

	(void)state;
	len = addr_to_sockaddr(&a, 5000, &ss);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&ss, &b), 0);
	assert_string_equal(addr_format(&b, buf), "10.1.2.3");
	a = A("fd00::7");
	len = addr_to_sockaddr(&a, 5000, &ss);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&ss, &b), 0);
	assert_string_equal(addr_format(&b, buf), "fd00::7");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_distance_and_order),
		cmocka_unit_test(test_sockaddr),
	};

	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
