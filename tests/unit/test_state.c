// SPDX-License-Identifier: GPL-2.0-only
/*
 * The state snapshot and the MOSIX tree (lib/state.h): write and read back,
 * update only what changed, remove what went away, and refuse every kind
 * of broken snapshot with FILE:LINE.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/state.h"

static char dir[] = "/tmp/mosix-test-state.XXXXXX";

static struct node_state node(uint32_t id, const char *addr, bool up, uint32_t load)
{
	struct node_state n = {
		.id = id, .up = up, .age_ms = up ? id * 10 : 60000,
		.v = { .node = (uint16_t)id, .flags = GV_BLOCKED | (POOL_SERVER << GV_MODE_SHIFT),
		       .age_ms = up ? id * 10 : 60000, .load = load, .speed = 10000 + id,
		       .cpus = 4, .guests = 1, .local = 2, .tmem = 4000000000000ull,
		       .mem = 3000000000000ull, .rmem = 1, .util = 999 },
	};

	assert_int_equal(addr_parse(addr, &n.addr), 0);
	return n;
}

static struct node_state nodes[3];

static struct cluster_state sample(void)
{
	nodes[0] = node(1, "10.0.0.1", true, 150);
	nodes[1] = node(7, "fd00::7", true, 0);
	nodes[2] = node(65535, "192.168.255.255", false, 4294967295u);
	return (struct cluster_state){ .self = 7, .now_ms = 1795640000123ull, .node = nodes,
				       .n = 3 };
}

static char *path(const char *rel)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "%s/%s", dir, rel);
	return buf;
}

static char *slurp(const char *rel)
{
	static char buf[4096];
	FILE *f = fopen(path(rel), "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void put(const char *rel, const char *text)
{
	FILE *f = fopen(path(rel), "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static ino_t inode(const char *rel)
{
	struct stat st;

	if (stat(path(rel), &st) < 0)
		return 0;
	return st.st_ino;
}

static void assert_same_node(const struct node_state *a, const struct node_state *b)
{
	assert_int_equal(a->id, b->id);
	assert_memory_equal(&a->addr, &b->addr, sizeof(a->addr));
	assert_int_equal(a->up, b->up);
	assert_int_equal(a->age_ms, b->age_ms);
	assert_int_equal(a->v.node, b->v.node);
	assert_int_equal(a->v.flags, b->v.flags);
	assert_int_equal(a->v.load, b->v.load);
	assert_int_equal(a->v.speed, b->v.speed);
	assert_int_equal(a->v.cpus, b->v.cpus);
	assert_int_equal(a->v.guests, b->v.guests);
	assert_int_equal(a->v.local, b->v.local);
	assert_int_equal(a->v.tmem, b->v.tmem);
	assert_int_equal(a->v.mem, b->v.mem);
	assert_int_equal(a->v.rmem, b->v.rmem);
	assert_int_equal(a->v.util, b->v.util);
}

static void test_round_trip(void **state)
{
	struct cluster_state s = sample(), r;
	struct diag d = DIAG_INIT;

	(void)state;
	assert_int_equal(cluster_state_write(dir, &s), 0);
	assert_string_equal(slurp(STATE_FILE),
			    "mosix-state 1 7 1795640000123\n"
			    "1 10.0.0.1 1 10 150 10001 4 999 4000000000000 3000000000000 1 1 2 257\n"
			    "7 fd00::7 1 70 0 10007 4 999 4000000000000 3000000000000 1 1 2 257\n"
			    "65535 192.168.255.255 0 60000 4294967295 75535 4 999 4000000000000 "
			    "3000000000000 1 1 2 257\n");
	assert_int_equal(cluster_state_read(dir, &r, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(r.self, 7);
	assert_int_equal(r.now_ms, 1795640000123ull);
	assert_int_equal(r.n, 3);
	for (size_t i = 0; i < 3; i++)
		assert_same_node(&r.node[i], &s.node[i]);
	assert_ptr_equal(cluster_state_find(&r, 7), &r.node[1]);
	assert_null(cluster_state_find(&r, 8));
	assert_null(cluster_state_find(&r, 0));

	/* the MOSIX tree */
	assert_string_equal(slurp("nodes/1/load"), "150\n");
	assert_string_equal(slurp("nodes/1/status"), "1\n");
	assert_string_equal(slurp("nodes/65535/status"), "0\n");
	assert_string_equal(slurp("nodes/7/tmem"), "4000000000000\n");
	assert_string_equal(slurp("nodes/7/speed"), "10007\n");
	assert_string_equal(slurp("nodes/7/cpus"), "4\n");
	assert_string_equal(slurp("nodes/7/util"), "999\n");
	assert_string_equal(slurp("nodes/7/mem"), "3000000000000\n");
	assert_string_equal(slurp("nodes/7/rmem"), "1\n");
	/* no temporary file left */
	assert_null(slurp(".cluster.tmp"));
	assert_null(slurp("nodes/7/.load.tmp"));
	cluster_state_release(&r);
	cluster_state_release(&r);
	diag_release(&d);
}

static void test_update(void **state)
{
	struct cluster_state s = sample(), next;
	struct node_state more[3];
	ino_t load7, speed7, status1;

	(void)state;
	assert_int_equal(cluster_state_write(dir, &s), 0);
	load7 = inode("nodes/7/load");
	speed7 = inode("nodes/7/speed");
	status1 = inode("nodes/1/status");

	/* node 5 comes, node 7's load changes, node 65535 goes away */
	more[0] = nodes[0];
	more[1] = node(5, "10.0.0.5", true, 5);
	more[2] = nodes[1];
	more[2].v.load = 333;
	next = (struct cluster_state){ .self = 7, .now_ms = 1, .node = more, .n = 3 };
	assert_int_equal(cluster_state_update(dir, &next, &s), 0);
	assert_string_equal(slurp("nodes/7/load"), "333\n");
	assert_int_not_equal(inode("nodes/7/load"), load7);
	/* unchanged values are not rewritten */
	assert_int_equal(inode("nodes/7/speed"), speed7);
	assert_int_equal(inode("nodes/1/status"), status1);
	assert_string_equal(slurp("nodes/5/load"), "5\n");
	assert_null(slurp("nodes/65535/load"));
	assert_int_equal(access(path("nodes/65535"), F_OK), -1);

	/* a full write removes what the state does not list, numbers only */
	assert_int_equal(mkdir(path("nodes/4242"), 0755), 0);
	put("nodes/4242/load", "1\n");
	assert_int_equal(mkdir(path("nodes/notes"), 0755), 0);
	assert_int_equal(cluster_state_write(dir, &next), 0);
	assert_int_equal(access(path("nodes/4242"), F_OK), -1);
	assert_int_equal(access(path("nodes/notes"), F_OK), 0);
	assert_int_equal(rmdir(path("nodes/notes")), 0);
}

static void test_write_file_and_modes(void **state)
{
	(void)state;
	assert_int_equal(state_write_file(dir, "speed", "12000\n"), 0);
	assert_string_equal(slurp("speed"), "12000\n");
	assert_int_equal(state_write_file(dir, "speed", "1\n"), 0);
	assert_string_equal(slurp("speed"), "1\n");
	assert_int_equal(state_write_file("/nonexistent/dir", "x", "1"), -ENOENT);
	assert_int_equal(unlink(path("speed")), 0);

	assert_string_equal(state_mode_name(POOL_SINGLE), "single");
	assert_string_equal(state_mode_name(POOL_HALF_DUPLEX), "half-duplex");
	assert_string_equal(state_mode_name(POOL_ADAPTIVE), "adaptive");
	assert_null(state_mode_name(4));
}

static void test_missing(void **state)
{
	struct cluster_state r;
	struct diag d = DIAG_INIT;

	(void)state;
	unlink(path(STATE_FILE));
	assert_int_equal(cluster_state_read(dir, &r, &d), -ENOENT);
	/* not running is not an error to report */
	assert_int_equal(d.n, 0);
}

/* Each broken snapshot is refused with its line; @ret untouched. */
static void refused(const char *text, int err, const char *msg)
{
	struct cluster_state r = { .self = 12345 };
	struct diag d = DIAG_INIT;

	put(STATE_FILE, text);
	assert_int_equal(cluster_state_read(dir, &r, &d), err);
	assert_int_equal(r.self, 12345);
	assert_null(r.node);
	assert_int_equal(d.n, 1);
	if (!strstr(d.msg[0].text, msg))
		fail_msg("'%s' does not contain '%s'", d.msg[0].text, msg);
	diag_release(&d);
}

static void test_malformed(void **state)
{
	char want[600];
	static const char good_line[] = "1 10.0.0.1 1 0 0 10000 1 0 1 1 1 0 0 0\n";

	(void)state;
	snprintf(want, sizeof(want), "%s/cluster: file is empty", dir);
	refused("", -EINVAL, want);
	refused("mosix-state 1 1 5\n1 10.0.0.1 1 0 0", -EINVAL, "truncated");
	refused("hello\n", -EINVAL, "cluster:1: not a mosix-infod state file");
	refused("mosix-state 2 1 5\n", -EPROTONOSUPPORT, ":1: state version 2 is not supported");
	refused("mosix-state 1 0 5\n", -EINVAL, ":1: invalid header");
	refused("mosix-state 1 1 5 6\n", -EINVAL, ":1: not a mosix-infod state file");
	refused("mosix-state 1 1 5\n1 10.0.0.1 1\n", -EINVAL, ":2: expected 14 fields, found 3");
	refused("mosix-state 1 1 5\n1 10.0.0.1 1 0 0 10000 1 0 1 1 1 0 0 0 9\n", -EINVAL,
		":2: expected 14 fields, found more than 14");
	refused("mosix-state 1 1 5\n0 10.0.0.1 1 0 0 10000 1 0 1 1 1 0 0 0\n", -EINVAL,
		":2: invalid id '0'");
	refused("mosix-state 1 1 5\n65536 10.0.0.1 1 0 0 10000 1 0 1 1 1 0 0 0\n", -EINVAL,
		":2: invalid id '65536'");
	refused("mosix-state 1 1 5\n1 10.0.0.300 1 0 0 10000 1 0 1 1 1 0 0 0\n", -EINVAL,
		":2: invalid address '10.0.0.300'");
	refused("mosix-state 1 1 5\n1 10.0.0.1 2 0 0 10000 1 0 1 1 1 0 0 0\n", -EINVAL,
		":2: invalid up '2'");
	refused("mosix-state 1 1 5\n1 10.0.0.1 1 -1 0 10000 1 0 1 1 1 0 0 0\n", -EINVAL,
		":2: invalid age '-1'");
	refused("mosix-state 1 1 5\n1 10.0.0.1 1 0 4294967296 10000 1 0 1 1 1 0 0 0\n", -EINVAL,
		":2: invalid load '4294967296'");
	refused("mosix-state 1 1 5\n1 10.0.0.1 1 0 0 10000 65536 0 1 1 1 0 0 0\n", -EINVAL,
		":2: invalid cpus '65536'");
	refused("mosix-state 1 1 5\n1 10.0.0.1 1 0 0 10000 1 0 18446744073709551616 1 1 0 0 0\n",
		-EINVAL, ":2: invalid tmem");
	refused("mosix-state 1 1 5\n1 10.0.0.1 1 0 0 10000 1 0 1 1 1 0 0 0x1\n", -EINVAL,
		":2: invalid flags '0x1'");
	snprintf(want, sizeof(want), "mosix-state 1 1 5\n%s%s", good_line, good_line);
	refused(want, -EINVAL, ":3: node 1 is out of order");
	refused("mosix-state 1 1 5\n2 10.0.0.2 1 0 0 10000 1 0 1 1 1 0 0 0\n"
		"1 10.0.0.1 1 0 0 10000 1 0 1 1 1 0 0 0\n", -EINVAL, ":3: node 1 is out of order");
	{
		static const char nul[] = "mosix-state 1 1 5\n1 10.0.0.1\0 1 0 0 10000 1 0 1 1 1 0 0 0\n";
		FILE *f = fopen(path(STATE_FILE), "w");
		struct cluster_state r;
		struct diag d = DIAG_INIT;

		assert_non_null(f);
		fwrite(nul, 1, sizeof(nul) - 1, f);
		fclose(f);
		assert_int_equal(cluster_state_read(dir, &r, &d), -EINVAL);
		assert_non_null(strstr(d.msg[0].text, "NUL byte"));
		diag_release(&d);
	}
	/* more lines than there can be nodes */
	{
		FILE *f = fopen(path(STATE_FILE), "w");
		struct cluster_state r;
		struct diag d = DIAG_INIT;

		assert_non_null(f);
		fputs("mosix-state 1 1 5\n", f);
		for (int i = 0; i <= 65535; i++)
			fputs("\n", f);
		fclose(f);
		assert_int_equal(cluster_state_read(dir, &r, &d), -EINVAL);
		assert_non_null(strstr(d.msg[0].text, "more than 65535 nodes"));
		diag_release(&d);
	}
	unlink(path(STATE_FILE));
}

/*
 * The widest values and the highest id, over a spread of 256 nodes: the
 * tree costs eight files per node, and a test of all 65535 ids would spend
 * minutes in the file system and tell nothing more.
 */
static void test_full_map(void **state)
{
	struct cluster_state s = { .self = 1, .now_ms = UINT64_MAX }, r;
	struct diag d = DIAG_INIT;

	(void)state;
	s.n = 256;
	s.node = calloc(s.n, sizeof(*s.node));
	assert_non_null(s.node);
	for (uint32_t i = 0; i < s.n; i++) {
		uint32_t id = i + 1 == s.n ? 65535 : 1 + i * 256;

		s.node[i] = node(id, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", true, UINT32_MAX);
		s.node[i].v.tmem = s.node[i].v.mem = s.node[i].v.rmem = UINT64_MAX;
	}
	assert_int_equal(cluster_state_write(dir, &s), 0);
	assert_int_equal(cluster_state_read(dir, &r, &d), 0);
	assert_int_equal(r.n, 256);
	assert_int_equal(r.now_ms, UINT64_MAX);
	assert_int_equal(r.node[255].id, 65535);
	assert_same_node(&r.node[255], &s.node[255]);
	cluster_state_release(&r);
	/* and back to nothing: the tree empties */
	s.n = 0;
	assert_int_equal(cluster_state_write(dir, &s), 0);
	assert_int_equal(access(path("nodes/1"), F_OK), -1);
	assert_int_equal(access(path("nodes/65535"), F_OK), -1);
	free(s.node);
	diag_release(&d);
}

static int make_dir(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_update),
		cmocka_unit_test(test_write_file_and_modes),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_full_map),
	};

	return cmocka_run_group_tests_name("state", tests, make_dir, remove_dir);
}
