// SPDX-License-Identifier: GPL-2.0-only
/*
 * The map parser: valid maps, every error the issue lists (with its exact
 * FILE:LINE: text), lookups, own identity, and randomised round trips.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/map.h"

struct parsed {
	struct mosix_map m;
	struct diag d;
	int r;
};

static void parse_len(struct parsed *p, const char *text, size_t len,
		      unsigned flags)
{
	map_init(&p->m);
	diag_init(&p->d);
	p->r = map_parse(&p->m, "t.map", text, len, flags, &p->d);
	int f = map_finish(&p->m, &p->d);

	if (p->r == 0)
		p->r = f;
	diag_sort(&p->d);
}

static void parse(struct parsed *p, const char *text, unsigned flags)
{
	parse_len(p, text, strlen(text), flags);
}

static void done(struct parsed *p)
{
	map_release(&p->m);
	diag_release(&p->d);
}

static struct mosix_addr A(const char *s)
{
	struct mosix_addr a;

	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

static char *canonical(const struct mosix_map *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(map_write(m, f), 0);
	fclose(f);
	return buf;
}

/* One error expected: exactly @msg. */
static void expect_error_len(const char *text, size_t len, const char *msg)
{
	struct parsed p;

	parse_len(&p, text, len, MAP_NO_RESOLVE);
	assert_int_equal(p.r, -EINVAL);
	if (p.d.n != 1) {
		for (size_t i = 0; i < p.d.n; i++)
			print_error("got: %s\n", p.d.msg[i].text);
	}
	assert_int_equal(p.d.n, 1);
	assert_string_equal(p.d.msg[0].text, msg);
	done(&p);
}

static void expect_error(const char *text, const char *msg)
{
	expect_error_len(text, strlen(text), msg);
}

static void test_simple(void **state)
{
	struct parsed p;
	struct mosix_addr a;
	char buf[ADDR_STRLEN];

	(void)state;
	parse(&p, "1 10.0.0.1 99\n", 0);
	assert_int_equal(p.r, 0);
	assert_int_equal(p.d.n, 0);
	assert_int_equal(p.m.nnodes, 99);
	assert_int_equal(map_addr_of(&p.m, 1, &a), 0);
	assert_string_equal(addr_format(&a, buf), "10.0.0.1");
	assert_int_equal(map_addr_of(&p.m, 99, &a), 0);
	assert_string_equal(addr_format(&a, buf), "10.0.0.99");
	assert_int_equal(map_addr_of(&p.m, 100, &a), -ENOENT);
	assert_int_equal(map_addr_of(&p.m, 0, &a), -ENOENT);
	a = A("10.0.0.50");
	assert_int_equal(map_id_of(&p.m, &a), 50);
	a = A("10.0.0.100");
	assert_int_equal(map_id_of(&p.m, &a), 0);
	a = A("10.0.0.0");
	assert_int_equal(map_id_of(&p.m, &a), 0);
	done(&p);
}

static void test_comments_blanks_whitespace(void **state)
{
	struct parsed p;
	char *text;

	(void)state;
	parse(&p,
	      "# a comment line\n"
	      "\n"
	      "   \t  \n"
	      "1\t10.0.0.1   4# comment right after the count\n"
	      "  5 10.0.0.5 2   # trailing\r\n"
	      "#7 10.0.0.7 1\n"
	      "9 fd00::1 2", /* no final newline */
	      0);
	assert_int_equal(p.r, 0);
	assert_int_equal(p.d.n, 0);
	assert_int_equal(p.m.nnodes, 8);
	text = canonical(&p.m);
	/* 1..4 and 5..6 continue each other: one canonical line */
	assert_string_equal(text, "1 10.0.0.1 6\n9 fd00::1 2\n");
	free(text);
	done(&p);
}

static void test_ipv6(void **state)
{
	struct parsed p;
	struct mosix_addr a;
	char buf[ADDR_STRLEN];

	(void)state;
	parse(&p, "10 fd77::fffe 4\n", 0);
	assert_int_equal(p.r, 0);
	assert_int_equal(map_addr_of(&p.m, 13, &a), 0);
	assert_string_equal(addr_format(&a, buf), "fd77::1:1");
	a = A("fd77::1:0");
	assert_int_equal(map_id_of(&p.m, &a), 12);
	done(&p);

	/* a carry across the 64-bit halves */
	parse(&p, "1 fd00::ffff:ffff:ffff:ffff 2\n", 0);
	assert_int_equal(p.r, 0);
	assert_int_equal(map_addr_of(&p.m, 2, &a), 0);
	assert_string_equal(addr_format(&a, buf), "fd00:0:0:1::");
	a = A("fd00:0:0:1::");
	assert_int_equal(map_id_of(&p.m, &a), 2);
	done(&p);
}

static void test_whole_id_space(void **state)
{
	struct parsed p;
	struct mosix_addr a;
	char buf[ADDR_STRLEN];

	(void)state;
	parse(&p, "1 10.1.0.1 65535\n", 0);
	assert_int_equal(p.r, 0);
	assert_int_equal(p.m.nnodes, 65535);
	assert_int_equal(map_addr_of(&p.m, 65535, &a), 0);
	assert_string_equal(addr_format(&a, buf), "10.1.255.255");
	assert_int_equal(map_id_of(&p.m, &a), 65535);
	done(&p);
}

static void test_host_name(void **state)
{
	struct parsed p;
	struct mosix_addr a, lo4 = A("127.0.0.1"), lo6 = A("::1");

	(void)state;
	/* localhost comes from /etc/hosts: no network traffic */
	parse(&p, "7 localhost 1\n", 0);
	assert_int_equal(p.r, 0);
	assert_int_equal(map_addr_of(&p.m, 7, &a), 0);
	assert_true(addr_cmp(&a, &lo4) == 0 || addr_cmp(&a, &lo6) == 0);
	done(&p);

	expect_error("7 localhost 1\n",
		     "t.map:1: host name 'localhost' not allowed here: use an address");
}

static void test_aliases(void **state)
{
	struct parsed p;
	struct mosix_addr a;
	uint32_t id;
	char *text;

	(void)state;
	parse(&p,
	      "5 192.168.1.1 alias\n"
	      "1 10.0.0.1 10\n"
	      "5 172.16.0.5 ALIAS\n",
	      0);
	assert_int_equal(p.r, 0);
	assert_int_equal(p.d.n, 0);
	assert_int_equal(p.m.nnodes, 10);
	a = A("192.168.1.1");
	assert_int_equal(map_id_of(&p.m, &a), 5);
	a = A("172.16.0.5");
	assert_int_equal(map_id_of(&p.m, &a), 5);
	/* the main address stays the range's */
	assert_int_equal(map_addr_of(&p.m, 5, &a), 0);
	struct mosix_addr main5 = A("10.0.0.5");

	assert_int_equal(addr_cmp(&a, &main5), 0);
	text = canonical(&p.m);
	assert_string_equal(text, "1 10.0.0.1 10\n"
				  "5 172.16.0.5 ALIAS\n"
				  "5 192.168.1.1 ALIAS\n");
	free(text);

	/* a gateway sees its own node through both legs */
	struct mosix_addr legs[] = { A("127.0.0.1"), A("10.0.0.5"), A("192.168.1.1") };

	assert_int_equal(map_match_self(&p.m, legs, 3, &id), 0);
	assert_int_equal(id, 5);
	done(&p);
}

static void test_self(void **state)
{
	struct parsed p;
	uint32_t id = 1234;

	(void)state;
	parse(&p, "1 10.0.0.1 4\n", 0);
	struct mosix_addr none[] = { A("127.0.0.1"), A("::1"), A("10.0.0.9") };
	struct mosix_addr one[] = { A("127.0.0.1"), A("10.0.0.3") };
	struct mosix_addr two[] = { A("10.0.0.3"), A("10.0.0.4") };

	assert_int_equal(map_match_self(&p.m, none, 3, &id), -ENOENT);
	assert_int_equal(id, 1234); /* untouched on failure */
	assert_int_equal(map_match_self(&p.m, one, 2, &id), 0);
	assert_int_equal(id, 3);
	assert_int_equal(map_match_self(&p.m, two, 2, &id), -ENOTUNIQ);
	done(&p);
}

static void test_next_id(void **state)
{
	struct parsed p;
	uint32_t seen[8], n = 0;

	(void)state;
	parse(&p, "3 10.0.0.3 2\n10 10.0.1.1 1\n65535 10.9.9.9 1\n", 0);
	assert_int_equal(p.r, 0);
	for (uint32_t id = map_next_id(&p.m, 0); id; id = map_next_id(&p.m, id)) {
		assert_true(n < 8);
		seen[n++] = id;
	}
	assert_int_equal(n, 4);
	assert_int_equal(seen[0], 3);
	assert_int_equal(seen[1], 4);
	assert_int_equal(seen[2], 10);
	assert_int_equal(seen[3], 65535);
	done(&p);
}

static void test_field_errors(void **state)
{
	(void)state;
	expect_error("1 10.0.0.1\n",
		     "t.map:1: missing field: expected 'ID ADDRESS COUNT' or 'ID ADDRESS ALIAS'");
	expect_error("\n1\n",
		     "t.map:2: missing field: expected 'ID ADDRESS COUNT' or 'ID ADDRESS ALIAS'");
	expect_error("1 10.0.0.1 4 5\n",
		     "t.map:1: extra field '5': expected 'ID ADDRESS COUNT' or 'ID ADDRESS ALIAS'");
	expect_error("x 10.0.0.1 4\n", "t.map:1: node id 'x' is not a number");
	expect_error("-1 10.0.0.1 4\n", "t.map:1: node id '-1' is not a number");
	expect_error("1 10.0.0.1 four\n", "t.map:1: count 'four' is not a number (nor ALIAS)");
	expect_error("1 10.0.0.1 -4\n", "t.map:1: count '-4' is not a number (nor ALIAS)");
	expect_error("1 10.0.0.1 0\n",
		     "t.map:1: count 0 is invalid: a range holds at least one node");
	expect_error("1 10.0.0.1 99999999999999999999\n",
		     "t.map:1: count 99999999999999999999 is too large: a map holds at most 65535 nodes");
	static const char nul[] = "1 10.0.0.1 1\0002 10.0.0.2 1\n3 10.0.0.3 1\n";

	expect_error_len(nul, sizeof(nul) - 1, "t.map:1: line contains a NUL byte");
}

static void test_id_errors(void **state)
{
	(void)state;
	expect_error("0 10.0.0.1 4\n", "t.map:1: node id 0 is out of range (ids are 1..65535)");
	expect_error("65536 10.0.0.1 1\n",
		     "t.map:1: node id 65536 is out of range (ids are 1..65535)");
	expect_error("65535 10.0.0.1 2\n",
		     "t.map:1: node ids 65535..65536 run past the last id 65535");
	expect_error("1 10.0.0.1 10\n5 10.1.0.1 3\n",
		     "t.map:2: node ids 5..7 overlap ids 1..10 of t.map:1");
	/* the later line is blamed even when it sorts first */
	expect_error("5 10.1.0.1 1\n1 10.0.0.1 10\n",
		     "t.map:2: node ids 1..10 overlap ids 5 of t.map:1");
	expect_error("3 10.0.0.1 1\n3 10.0.0.2 1\n",
		     "t.map:2: node id 3 overlaps ids 3 of t.map:1");
}

static void test_address_errors(void **state)
{
	(void)state;
	expect_error("1 10.0.0.256 1\n", "t.map:1: invalid IPv4 address '10.0.0.256'");
	expect_error("1 fd00:::1 1\n", "t.map:1: invalid IPv6 address 'fd00:::1'");
	expect_error("1 host/name 1\n", "t.map:1: invalid address or host name 'host/name'");
	expect_error("1 255.255.255.250 10\n",
		     "t.map:1: 10 addresses from 255.255.255.250 run past the end of the IPv4 address space");
	expect_error("1 ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe 3\n",
		     "t.map:1: 3 addresses from ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe run past the end of the IPv6 address space");
	/* the end of the space itself is fine */
	struct parsed p;

	parse(&p, "1 255.255.255.250 6\n2000 ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe 2\n", 0);
	assert_int_equal(p.r, 0);
	done(&p);
}

static void test_duplicate_addresses(void **state)
{
	(void)state;
	expect_error("1 10.0.0.1 1\n2 10.0.0.1 1\n",
		     "t.map:2: address 10.0.0.1 is already used at t.map:1");
	expect_error("1 10.0.0.1 10\n20 10.0.0.8 5\n",
		     "t.map:2: address 10.0.0.8 is already used at t.map:1");
	/* a range that starts below and runs into another */
	expect_error("20 10.0.0.8 5\n1 10.0.0.1 10\n",
		     "t.map:2: address 10.0.0.8 is already used at t.map:1");
	expect_error("1 10.0.0.1 10\n3 10.0.0.5 alias\n",
		     "t.map:2: address 10.0.0.5 is already used at t.map:1");
	expect_error("1 10.0.0.1 10\n3 10.9.0.5 alias\n4 10.9.0.5 alias\n",
		     "t.map:3: address 10.9.0.5 is already used at t.map:2");
	/* IPv4 written as IPv4-mapped IPv6 is the same address */
	expect_error("1 10.0.0.1 1\n2 ::ffff:10.0.0.1 1\n",
		     "t.map:2: address 10.0.0.1 is already used at t.map:1");
}

static void test_alias_errors(void **state)
{
	(void)state;
	expect_error("1 10.0.0.1 4\n9 10.9.9.9 alias\n",
		     "t.map:2: alias for node 9, which the map does not list");
	expect_error("1 10.0.0.1 4\n0 10.9.9.9 alias\n",
		     "t.map:2: node id 0 is out of range (ids are 1..65535)");
}

static void test_all_errors_reported(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p,
	      "1 10.0.0.1 10\n"
	      "bad line\n"
	      "5 10.1.0.1 1\n"
	      "0 10.2.0.1 1\n"
	      "30 10.0.0.3 1\n"
	      "40 10.40.0.1 1\n"
	      "77 10.7.7.7 alias\n",
	      MAP_NO_RESOLVE);
	assert_int_equal(p.r, -EINVAL);
	assert_int_equal(p.d.n, 5);
	assert_string_equal(p.d.msg[0].text,
			    "t.map:2: missing field: expected 'ID ADDRESS COUNT' or 'ID ADDRESS ALIAS'");
	assert_string_equal(p.d.msg[1].text, "t.map:3: node id 5 overlaps ids 1..10 of t.map:1");
	assert_string_equal(p.d.msg[2].text, "t.map:4: node id 0 is out of range (ids are 1..65535)");
	assert_string_equal(p.d.msg[3].text, "t.map:5: address 10.0.0.3 is already used at t.map:1");
	assert_string_equal(p.d.msg[4].text, "t.map:7: alias for node 77, which the map does not list");
	/* a failed map answers no lookups */
	struct mosix_addr a;

	assert_int_equal(map_addr_of(&p.m, 40, &a), -ENOENT);
	done(&p);
}

static void test_missing_file(void **state)
{
	struct mosix_map m;
	struct diag d = DIAG_INIT;

	(void)state;
	assert_int_equal(map_load(&m, "/nonexistent/mosix.map", 0, &d), -ENOENT);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msg[0].text,
			    "/nonexistent/mosix.map: cannot open: No such file or directory");
	diag_release(&d);
}

/* xorshift: reproducible from the seed printed on failure */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Random valid maps: disjoint id ranges over disjoint address ranges (IPv4
 * and IPv6), sometimes adjacent so that merging is exercised, plus aliases.
 * Print, re-parse and compare node by node against the generator's model,
 * and check that the canonical form is a fixed point.
 */
static void test_random_round_trip(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 300; seed++) {
		uint64_t s = seed * 0x9e3779b97f4a7c15ull;
		char *text = NULL, *canon1, *canon2;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		uint32_t id = 1 + rnd(&s) % 100;
		uint32_t v4 = 0x0a000001, nranges = 1 + rnd(&s) % 40;
		uint64_t v6 = 1;
		/* model: the address of every id, 0 = unmapped */
		static uint64_t model[MAP_MAX_ID + 1];
		static uint8_t model6[MAP_MAX_ID + 1];

		memset(model, 0, sizeof(model));
		memset(model6, 0, sizeof(model6));
		for (uint32_t i = 0; i < nranges && id <= MAP_MAX_ID; i++) {
			uint32_t count = 1 + rnd(&s) % 300;
			bool six = rnd(&s) % 4 == 0;

			if (count > MAP_MAX_ID - id + 1)
				count = MAP_MAX_ID - id + 1;
			if (six)
				fprintf(f, "%u fd00::%llx:%llx %u\n", id,
					(unsigned long long)(v6 >> 16),
					(unsigned long long)(v6 & 0xffff), count);
			else
				fprintf(f, "%u %u.%u.%u.%u %u # r%u\n", id, v4 >> 24,
					v4 >> 16 & 255, v4 >> 8 & 255, v4 & 255, count, i);
			for (uint32_t k = 0; k < count; k++) {
				model[id + k] = six ? v6 + k : v4 + k;
				model6[id + k] = six;
			}
			id += count + (rnd(&s) % 2 ? 0 : 1 + rnd(&s) % 50);
			if (six)
				v6 += count + (rnd(&s) % 2 ? 0 : rnd(&s) % 1000);
			else
				v4 += count + (rnd(&s) % 2 ? 0 : rnd(&s) % 1000);
		}
		fclose(f);

		struct parsed p, q;

		parse(&p, text, MAP_NO_RESOLVE);
		if (p.r != 0)
			print_error("seed %llu: %s\n", (unsigned long long)seed,
				    p.d.n ? p.d.msg[0].text : "?");
		assert_int_equal(p.r, 0);
		canon1 = canonical(&p.m);
		parse(&q, canon1, MAP_NO_RESOLVE);
		assert_int_equal(q.r, 0);
		canon2 = canonical(&q.m);
		assert_string_equal(canon1, canon2);

		uint32_t nodes = 0;

		for (uint32_t i = 1; i <= MAP_MAX_ID; i++) {
			struct mosix_addr a;

			if (!model[i]) {
				assert_int_equal(map_addr_of(&q.m, i, &a), -ENOENT);
				continue;
			}
			nodes++;
			assert_int_equal(map_addr_of(&q.m, i, &a), 0);
			assert_int_equal(addr_is_v4(&a), !model6[i]);
			uint64_t low = 0;

			for (int b = model6[i] ? 8 : 12; b < 16; b++)
				low = low << 8 | a.b[b];
			assert_int_equal(low, model[i]);
			assert_int_equal(map_id_of(&q.m, &a), i);
		}
		assert_int_equal(q.m.nnodes, nodes);
		free(text);
		free(canon1);
		free(canon2);
		done(&p);
		done(&q);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_comments_blanks_whitespace),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_whole_id_space),
		cmocka_unit_test(test_host_name),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_self),
		cmocka_unit_test(test_next_id),
		cmocka_unit_test(test_field_errors),
		cmocka_unit_test(test_id_errors),
		cmocka_unit_test(test_address_errors),
		cmocka_unit_test(test_duplicate_addresses),
		cmocka_unit_test(test_alias_errors),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_random_round_trip),
	};

	return cmocka_run_group_tests_name("map", tests, NULL, NULL);
}
