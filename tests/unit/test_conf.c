// SPDX-License-Identifier: GPL-2.0-only
/* mosix.conf: syntax, the key table, typed values, and the shipped file. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/conf.h"

static void parse(struct conf *c, struct diag *d, const char *text, int want)
{
	conf_init(c);
	diag_init(d);
	assert_int_equal(conf_parse(c, "m.conf", text, strlen(text), d), want);
}

static void test_syntax(void **state)
{
	struct conf c;
	struct diag d;
	uint32_t v = 0;

	(void)state;
	parse(&c, &d, "# comment\n\n  info_port =  7000  # why\nmode=server\nservers =\n", 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(conf_get(&c, "info_port"), "7000");
	assert_string_equal(conf_get(&c, "mode"), "server");
	assert_string_equal(conf_get(&c, "servers"), "");
	assert_int_equal(conf_get_uint(&c, "info_port", &v), 0);
	assert_int_equal(v, 7000);
	/* a key not in the file gives the table's default */
	assert_int_equal(conf_get_uint(&c, "info_interval_ms", &v), 0);
	assert_int_equal(v, 1000);
	assert_null(conf_get(&c, "no_such_key"));
	assert_int_equal(conf_check(&c, &d), 0);
	assert_int_equal(d.n, 0);
	conf_release(&c);
	diag_release(&d);
}

static void test_syntax_errors(void **state)
{
	static const char text[] = "just words\n= 5\ninfo port = 5\nok = 1\0\n";
	struct conf c;
	struct diag d;

	(void)state;
	conf_init(&c);
	diag_init(&d);
	assert_int_equal(conf_parse(&c, "m.conf", text, sizeof(text) - 1, &d), -EINVAL);
	assert_int_equal(d.n, 4);
	assert_string_equal(d.msg[0].text, "m.conf:1: expected 'key = value'");
	assert_string_equal(d.msg[1].text, "m.conf:2: invalid key ''");
	assert_string_equal(d.msg[2].text, "m.conf:3: invalid key 'info port'");
	assert_string_equal(d.msg[3].text, "m.conf:4: line contains a NUL byte");
	conf_release(&c);
	diag_release(&d);
}

static void test_check(void **state)
{
	struct conf c;
	struct diag d;
	uint32_t v;

	(void)state;
	parse(&c, &d,
	      "info_port = 0\n"
	      "info_fanout = many\n"
	      "mode = sometimes\n"
	      "colour = blue\n"
	      "mode = single\n"
	      "decay_slow = 99999999999\n"
	      "mig_cpu_ignore = sha_ni, rdseed avx1024\n",
	      0);
	assert_int_equal(conf_check(&c, &d), -EINVAL);
	assert_int_equal(d.n, 7);
	assert_string_equal(d.msg[0].text, "m.conf:1: info_port: '0' is not a number in 1..65535");
	assert_string_equal(d.msg[1].text, "m.conf:2: info_fanout: 'many' is not a number in 1..16");
	assert_string_equal(d.msg[2].text,
			    "m.conf:3: mode: 'sometimes' is not one of single|server|half-duplex|adaptive");
	assert_string_equal(d.msg[3].text, "m.conf:4: unknown key 'colour'");
	assert_string_equal(d.msg[4].text, "m.conf:5: 'mode' is already set at line 3");
	assert_string_equal(d.msg[5].text,
			    "m.conf:6: decay_slow: '99999999999' is not a number in 1..1000");
	assert_string_equal(d.msg[6].text,
			    "m.conf:7: mig_cpu_ignore: 'avx1024' is not a CPU feature mosix knows "
			    "(the names are those of /proc/cpuinfo)");
	assert_int_equal(conf_get_uint(&c, "info_port", &v), -EINVAL);
	conf_release(&c);
	diag_release(&d);
}

/* config/mosix.conf documents every key with its default: keep them equal */
static void test_shipped_file(void **state)
{
	const char *root = getenv("MOSIX_ROOT");
	char path[4096];
	struct conf c;
	struct diag d = DIAG_INIT;

	(void)state;
	snprintf(path, sizeof(path), "%s/config/mosix.conf", root ? root : "..");
	conf_init(&c);
	assert_int_equal(conf_load(&c, path, &d), 0);
	assert_int_equal(conf_check(&c, &d), 0);
	for (const struct conf_key *k = conf_keys; k->key; k++) {
		size_t i;

		for (i = 0; i < c.n; i++)
			if (strcmp(c.e[i].key, k->key) == 0)
				break;
		if (i == c.n)
			print_error("config/mosix.conf lacks '%s'\n", k->key);
		assert_true(i < c.n);
		assert_string_equal(c.e[i].value, k->def);
	}
	conf_release(&c);
	diag_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_shipped_file),
	};

	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
