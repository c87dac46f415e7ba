// SPDX-License-Identifier: GPL-2.0-only
/* The parsers' shared helpers: growing, interning, reading, seconds. */
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

#include "lib/util.h"

static void test_grow(void **state)
{
	int *v = NULL;
	size_t alloc = 0;

	(void)state;
	assert_int_equal(util_grow((void **)&v, &alloc, 1, sizeof(*v)), 0);
	assert_int_equal(alloc, 16);
	assert_int_equal(util_grow((void **)&v, &alloc, 17, sizeof(*v)), 0);
	assert_int_equal(alloc, 32);
	v[31] = 7;
	assert_int_equal(util_grow((void **)&v, &alloc, 20, sizeof(*v)), 0);
	assert_int_equal(alloc, 32);
	assert_int_equal(v[31], 7);
	free(v);
}

static void test_intern(void **state)
{
	char **names = NULL;
	size_t n = 0;
	uint32_t a, b, c;

	(void)state;
	assert_int_equal(util_intern(&names, &n, "one.map", &a), 0);
	assert_int_equal(util_intern(&names, &n, "two.map", &b), 0);
	assert_int_equal(util_intern(&names, &n, "one.map", &c), 0);
	assert_int_equal(n, 2);
	assert_int_equal(a, 0);
	assert_int_equal(b, 1);
	assert_int_equal(c, 0);
	assert_string_equal(names[1], "two.map");
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void test_read_file(void **state)
{
	char path[] = "/tmp/mosix-test-util.XXXXXX";
	struct diag d = DIAG_INIT;
	char *buf = NULL;
	size_t len = 0;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	/* more than one read's worth, with a NUL inside */
	for (int i = 0; i < 20000; i++)
		assert_int_equal(write(fd, "abc\0", 4), 4);
	close(fd);
	assert_int_equal(util_read_file(path, &buf, &len, &d), 0);
	assert_int_equal(len, 80000);
	assert_memory_equal(buf + 79996, "abc\0", 4);
	free(buf);
	unlink(path);
	assert_int_equal(util_read_file(path, &buf, &len, &d), -ENOENT);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.msg[0].text, ": cannot open: No such file or directory"));
	diag_release(&d);
}

static void test_parse_epoch(void **state)
{
	static const char *const bad[] = { "", "0", "-5", "+5", " 5", "5 ", "5s", "1e9",
					   "99999999999999999999" };
	int64_t t = 7;

	(void)state;
	assert_int_equal(util_parse_epoch("1764115200", &t), 0);
	assert_int_equal(t, 1764115200);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = 7;
		assert_int_equal(util_parse_epoch(bad[i], &t), -EINVAL);
		assert_int_equal(t, 7);
	}
}

static void test_parse_seconds(void **state)
{
	uint32_t ms = 1234;

	(void)state;
	assert_int_equal(util_parse_seconds("2", 10, 60000, &ms), 0);
	assert_int_equal(ms, 2000);
	assert_int_equal(util_parse_seconds("0.5", 10, 60000, &ms), 0);
	assert_int_equal(ms, 500);
	assert_int_equal(util_parse_seconds("1.25", 10, 60000, &ms), 0);
	assert_int_equal(ms, 1250);
	assert_int_equal(util_parse_seconds(".01", 10, 60000, &ms), 0);
	assert_int_equal(ms, 10);
	ms = 1234;
	assert_int_equal(util_parse_seconds("0.001", 10, 60000, &ms), -EINVAL);
	assert_int_equal(util_parse_seconds("60.001", 10, 60000, &ms), -EINVAL);
	assert_int_equal(util_parse_seconds("1.2345", 10, 60000, &ms), -EINVAL);
	assert_int_equal(util_parse_seconds("1..2", 10, 60000, &ms), -EINVAL);
	assert_int_equal(util_parse_seconds("", 10, 60000, &ms), -EINVAL);
	assert_int_equal(util_parse_seconds("-1", 10, 60000, &ms), -EINVAL);
	assert_int_equal(util_parse_seconds("99999999999999999999", 10, 60000, &ms), -EINVAL);
	assert_int_equal(ms, 1234);
}

static void test_trim(void **state)
{
	char a[] = " \t key = value \r\n", b[] = "   ", c[] = "x";

	(void)state;
	assert_string_equal(util_trim(a), "key = value");
	assert_string_equal(util_trim(b), "");
	assert_string_equal(util_trim(c), "x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_parse_epoch),
		cmocka_unit_test(test_intern),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_parse_seconds),
		cmocka_unit_test(test_trim),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
