// SPDX-License-Identifier: GPL-2.0-only
/*
 * The parsing and formatting of lib/kmosix: the /proc/mosix files as text.
 * The "proc root" here is a directory of plain files made by the test, so
 * this tests our side only; the kernel's side is tests/kernel.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/kmosix.h"

struct fixture {
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/mosix-test-kmosix.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* @rel under the fixture, with its directories */
static void put(const struct fixture *f, const char *rel, const char *text)
{
	char path[256], cmd[320];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->dir, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static void test_parse_version(void **state)
{
	struct kmosix k;

	(void)state;
	assert_int_equal(kmosix_parse_version("version=0.1.0\ninterface=1\nlock=module\n", &k),
			 0);
	assert_true(k.present);
	assert_true(k.usable);
	assert_int_equal(k.interface, 1);
	assert_int_equal(k.lock, KMOSIX_LOCK_MODULE);
	assert_string_equal(k.version, "0.1.0");

	/* keys and lock kinds of later kernels are left alone */
	assert_int_equal(kmosix_parse_version("interface=1\nlock=task\nnew=3\n", &k), 0);
	assert_int_equal(k.lock, KMOSIX_LOCK_TASK);
	assert_string_equal(k.version, "");
	assert_int_equal(kmosix_parse_version("interface=1\nlock=elsewhere", &k), 0);
	assert_int_equal(k.lock, KMOSIX_LOCK_UNKNOWN);

	/* another interface: there, but not for these tools */
	assert_int_equal(kmosix_parse_version("version=9\ninterface=2\nlock=task\n", &k), 0);
	assert_true(k.present);
	assert_false(k.usable);

	k.interface = 77;
	assert_int_equal(kmosix_parse_version("version=1\nlock=task\n", &k), -EINVAL);
	assert_int_equal(kmosix_parse_version("interface=0\n", &k), -EINVAL);
	assert_int_equal(kmosix_parse_version("interface=x\n", &k), -EINVAL);
	assert_int_equal(kmosix_parse_version("interface=99999999999\n", &k), -EINVAL);
	assert_int_equal(kmosix_parse_version("interface 1\n", &k), -EINVAL);
	assert_int_equal(kmosix_parse_version("", &k), -EINVAL);
	assert_int_equal(k.interface, 77);
}

static void test_probe(void **state)
{
	struct fixture *f = *state;
	struct kmosix k;
	char text[256];

	/* nothing there: absent, not an error */
	assert_int_equal(kmosix_probe(f->dir, &k), 0);
	assert_false(k.present);
	kmosix_describe(&k, text, sizeof(text));
	assert_string_equal(text, "absent");

	put(f, "mosix/version", "version=0.1.0\ninterface=1\nlock=module\n");
	assert_int_equal(kmosix_probe(f->dir, &k), 0);
	assert_true(k.usable);
	assert_false(k.per_process);
	assert_false(k.guest_ids);
	assert_false(k.guests);
	kmosix_describe(&k, text, sizeof(text));
	assert_string_equal(text, "module 0.1.0, interface 1, lock in the module");

	put(f, "mosix/version", "version=6.1.0-mosix\ninterface=1\nlock=task\n");
	put(f, "mosix/guests", "");
	put(f, "self/mosix/guest", "0\n");
	assert_int_equal(kmosix_probe(f->dir, &k), 0);
	assert_true(k.per_process);
	assert_true(k.guest_ids);
	assert_true(k.guests);
	kmosix_describe(&k, text, sizeof(text));
	assert_string_equal(text, "patched kernel 6.1.0-mosix, interface 1, lock in the task, "
			    "guests hidden, pids answered by the kernel");

	put(f, "mosix/version", "interface=2\n");
	assert_int_equal(kmosix_probe(f->dir, &k), 0);
	kmosix_describe(&k, text, sizeof(text));
	assert_string_equal(text, "module, interface 2: not used, these tools know interface 1");

	put(f, "mosix/version", "garbage\n");
	assert_int_equal(kmosix_probe(f->dir, &k), -EINVAL);
	assert_false(k.present);
}

static void test_read_write(void **state)
{
	struct fixture *f = *state;
	char buf[8];

	put(f, "mosix/admin/version", "");
	assert_int_equal(kmosix_read(f->dir, "mosix/admin/version", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(kmosix_write(f->dir, "mosix/admin/version", "1.2\n", 4), 0);
	assert_int_equal(kmosix_read(f->dir, "mosix/admin/version", buf, sizeof(buf)), 4);
	assert_string_equal(buf, "1.2\n");
	/* cut to the buffer */
	put(f, "long", "0123456789");
	assert_int_equal(kmosix_read(f->dir, "long", buf, sizeof(buf)), 7);
	assert_string_equal(buf, "0123456");
	/* never created: the kernel part is absent */
	assert_int_equal(kmosix_write(f->dir, "mosix/admin/block", "1", 1), -ENOENT);
	assert_int_equal(kmosix_read(f->dir, "mosix/nope", buf, sizeof(buf)), -ENOENT);
}

static void test_chunk(void **state)
{
	const char *t = "1 a\n22 b\n333 c\n";

	(void)state;
	assert_int_equal(kmosix_chunk(t, strlen(t), 100), strlen(t));
	assert_int_equal(kmosix_chunk(t, strlen(t), 9), 9);
	assert_int_equal(kmosix_chunk(t, strlen(t), 8), 4);
	assert_int_equal(kmosix_chunk(t, strlen(t), 3), 0);
	/* the last line without its newline is whole when it fits */
	assert_int_equal(kmosix_chunk("1 a\n2", 5, 5), 5);
	assert_int_equal(kmosix_chunk("1 a\n22", 6, 5), 4);
	assert_int_equal(kmosix_chunk("", 0, 5), 0);
}

static void test_node_line(void **state)
{
	struct node_state s = {
		.id = 3, .up = true,
		.v = { .node = 3, .cpus = 4, .load = 150, .speed = 10000, .mem = 200000,
		       .rmem = 250000, .tmem = 4194304, .util = 375 },
	};
	struct kmosix_node n;
	char line[KMOSIX_LINE_MAX];

	(void)state;
	assert_true(kmosix_node_from_state(&s, &n));
	assert_int_equal(kmosix_node_format(&n, line, sizeof(line)), 42);
	assert_string_equal(line, "3 4 150 10000 200000 250000 4194304 1 375\n");

	/* brought into the kernel's ranges: one bad line would fail them all */
	s.up = false;
	s.v = (struct gossip_vec){ .cpus = 0, .load = UINT32_MAX, .speed = 0, .mem = 9,
				   .rmem = 10, .tmem = 5, .util = 5000 };
	assert_true(kmosix_node_from_state(&s, &n));
	kmosix_node_format(&n, line, sizeof(line));
	assert_string_equal(line, "3 1 4294967295 1 5 5 5 0 1000\n");

	s.id = 0;
	assert_false(kmosix_node_from_state(&s, &n));
	s.id = 65536;
	assert_false(kmosix_node_from_state(&s, &n));
}

static struct kmosix_node node(uint32_t id, uint32_t load)
{
	return (struct kmosix_node){ .id = id, .cpus = 1, .load = load, .speed = 10000,
				     .mem = 1, .rmem = 1, .tmem = 2, .status = 1, .util = 0 };
}

static void test_diff(void **state)
{
	struct kmosix_node old[] = { node(1, 0), node(3, 0), node(5, 0), node(9, 0) };
	struct kmosix_node cur[] = { node(1, 0), node(2, 7), node(5, 8), node(10, 0) };
	struct kmosix_text forget = { 0 }, set = { 0 };

	(void)state;
	assert_int_equal(kmosix_nodes_diff(old, 4, cur, 4, false, &forget, &set), 0);
	assert_string_equal(forget.buf, "-3\n-9\n");
	assert_string_equal(set.buf, "2 1 7 10000 1 1 2 1 0\n5 1 8 10000 1 1 2 1 0\n"
				     "10 1 0 10000 1 1 2 1 0\n");
	kmosix_text_release(&forget);
	kmosix_text_release(&set);

	/* the kernel's table is full: changes only */
	assert_int_equal(kmosix_nodes_diff(old, 4, cur, 4, true, &forget, &set), 0);
	assert_string_equal(set.buf, "5 1 8 10000 1 1 2 1 0\n");
	kmosix_text_release(&forget);
	kmosix_text_release(&set);

	/* from nothing, and nothing to change */
	assert_int_equal(kmosix_nodes_diff(NULL, 0, old, 2, false, &forget, &set), 0);
	assert_null(forget.buf);
	assert_string_equal(set.buf, "1 1 0 10000 1 1 2 1 0\n3 1 0 10000 1 1 2 1 0\n");
	kmosix_text_release(&set);
	assert_int_equal(kmosix_nodes_diff(old, 4, old, 4, false, &forget, &set), 0);
	assert_int_equal(forget.len + set.len, 0);
	kmosix_text_release(&forget);
	kmosix_text_release(&set);
}

static void test_nodes_parse(void **state)
{
	struct kmosix_node *n = NULL, want = node(2, 7);
	char text[512], line[KMOSIX_LINE_MAX];
	size_t count = 9;

	(void)state;
	/* what admin/nodes reads is what we write */
	kmosix_node_format(&want, line, sizeof(line));
	snprintf(text, sizeof(text), "1 4 150 10000 200000 250000 4194304 1 375\n%s", line);
	assert_int_equal(kmosix_nodes_parse(text, &n, &count), 0);
	assert_int_equal(count, 2);
	assert_int_equal(n[0].id, 1);
	assert_int_equal(n[0].cpus, 4);
	assert_int_equal(n[0].tmem, 4194304);
	assert_int_equal(n[0].util, 375);
	assert_memory_equal(&n[1], &want, sizeof(want));
	free(n);

	snprintf(text, sizeof(text), "%s", "");
	assert_int_equal(kmosix_nodes_parse(text, &n, &count), 0);
	assert_int_equal(count, 0);
	free(n);

	static const char *const bad[] = {
		"1 4 150 10000 2 2 4 1\n", "1 4 150 10000 2 2 4 1 375 9\n",
		"0 4 150 10000 2 2 4 1 375\n", "1 4 150 10000 2 2 4 2 375\n",
		"1 4 150 10000 2 2 4 1 1001\n", "2 1 1 1 1 1 1 1 1\n1 1 1 1 1 1 1 1 1\n",
		"1 1 1 x 1 1 1 1 1\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s", bad[i]);
		assert_int_equal(kmosix_nodes_parse(text, &n, &count), -EINVAL);
	}
}

static void test_lock(void **state)
{
	struct fixture *f = *state;
	bool locked = true;

	(void)state;
	assert_true(kmosix_lock_listed("12\n345\n6", 345));
	assert_true(kmosix_lock_listed("12\n345\n6", 6));
	assert_true(kmosix_lock_listed("12\n345\n6", 12));
	assert_false(kmosix_lock_listed("12\n345\n6", 34));
	assert_false(kmosix_lock_listed("12\n345\n6", 3456));
	assert_false(kmosix_lock_listed("", 1));

	assert_int_equal(kmosix_locked(f->dir, 77, &locked), -ENOENT);
	assert_true(locked);
	/* the module's table */
	put(f, "mosix/lock", "5\n77\n");
	assert_int_equal(kmosix_locked(f->dir, 77, &locked), 0);
	assert_true(locked);
	assert_int_equal(kmosix_locked(f->dir, 7, &locked), 0);
	assert_false(locked);
	put(f, "mosix/lock", "");
	assert_int_equal(kmosix_locked(f->dir, 77, &locked), 0);
	assert_false(locked);
	/* the patched kernel's per-process file comes first */
	put(f, "77/mosix/lock", "1\n");
	assert_int_equal(kmosix_locked(f->dir, 77, &locked), 0);
	assert_true(locked);
	put(f, "77/mosix/lock", "0\n");
	assert_int_equal(kmosix_locked(f->dir, 77, &locked), 0);
	assert_false(locked);

	assert_int_equal(kmosix_lock_set(f->dir, 77, true), 0);
	assert_int_equal(kmosix_lock_set(f->dir, 0, true), -EINVAL);
	assert_int_equal(kmosix_task_write(f->dir, 77, "where", "4\n"), -ENOENT);
	put(f, "77/mosix/where", "0\n");
	assert_int_equal(kmosix_task_write(f->dir, 77, "where", "4\n"), 0);
}

static void test_guests(void **state)
{
	struct fixture *f = *state;
	struct kmosix_guest *g = NULL;
	char text[128];
	size_t n = 9;

	snprintf(text, sizeof(text), "4321 3 100 1\n\n4400 65535 200 0\n");
	assert_int_equal(kmosix_guests_parse(text, &g, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(g[0].pid, 4321);
	assert_int_equal(g[0].node, 3);
	assert_int_equal(g[0].home_pid, 100);
	assert_int_equal(g[0].home_ppid, 1);
	assert_int_equal(g[1].node, 65535);
	assert_int_equal(g[1].home_ppid, 0);
	free(g);

	static const char *const bad[] = {
		"1 2 3\n", "1 2 3 4 5\n", "0 2 3 4\n", "1 0 3 4\n", "1 65536 3 4\n",
		"1 2 0 4\n", "1 2 x 4\n", "-1 2 3 4\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s", bad[i]);
		assert_int_equal(kmosix_guests_parse(text, &g, &n), -EINVAL);
	}

	assert_int_equal(kmosix_guests_read(f->dir, &g, &n), -ENOENT);
	put(f, "mosix/guests", "17 2 5 1\n");
	assert_int_equal(kmosix_guests_read(f->dir, &g, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(g[0].pid, 17);
	free(g);
	put(f, "mosix/guests", "");
	assert_int_equal(kmosix_guests_read(f->dir, &g, &n), 0);
	assert_int_equal(n, 0);
	free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_version),
		cmocka_unit_test_setup_teardown(test_probe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_write, setup, teardown),
		cmocka_unit_test(test_chunk),
		cmocka_unit_test(test_node_line),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_nodes_parse),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guests, setup, teardown),
	};

	return cmocka_run_group_tests_name("kmosix", tests, NULL, NULL);
}
