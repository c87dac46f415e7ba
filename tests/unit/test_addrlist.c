// SPDX-License-Identifier: GPL-2.0-only
/*
 * Address lists: every item form and its edges, dnsmasq dhcp-range lines
 * with their exact messages, and id assignment against existing maps,
 * checked against a brute-force model on random lists.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "lib/addrlist.h"

/* The runs as "ADDRESS COUNT" lines, to compare in one assertion. */
static char *runs_text(const struct addrlist *l)
{
	char *buf = NULL, abuf[ADDR_STRLEN];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	for (size_t i = 0; i < l->nrun; i++)
		fprintf(f, "%s %u\n", addr_format(&l->run[i].first, abuf), l->run[i].count);
	fclose(f);
	return buf;
}

static char *diag_text(struct diag *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	diag_sort(d);
	for (size_t i = 0; i < d->n; i++)
		fprintf(f, "%s\n", d->msg[i].text);
	fclose(f);
	return buf;
}

/* One item, read as argument 1 of input "t": its runs are exactly @want. */
static void expect_item(const char *item, const char *want)
{
	struct addrlist l;
	struct diag d = DIAG_INIT;
	uint32_t src;
	char *got;

	addrlist_init(&l);
	assert_int_equal(addrlist_source(&l, "t", &src), 0);
	if (addrlist_add_item(&l, src, 1, item, &d) != 0 || d.n)
		print_error("item '%s': %s\n", item, d.n ? d.msg[0].text : "?");
	assert_int_equal(d.n, 0);
	got = runs_text(&l);
	assert_string_equal(got, want);
	free(got);
	addrlist_release(&l);
	diag_release(&d);
}

/* One bad item: -EINVAL, no run, and exactly the message "t:1: @msg". */
static void expect_item_error(const char *item, const char *msg)
{
	struct addrlist l;
	struct diag d = DIAG_INIT;
	uint32_t src;
	char *want;

	addrlist_init(&l);
	assert_int_equal(addrlist_source(&l, "t", &src), 0);
	assert_int_equal(addrlist_add_item(&l, src, 1, item, &d), -EINVAL);
	assert_int_equal(l.nrun, 0);
	assert_int_equal(asprintf(&want, "t:1: %s", msg) > 0, 1);
	if (d.n != 1)
		for (size_t i = 0; i < d.n; i++)
			print_error("got: %s\n", d.msg[i].text);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msg[0].text, want);
	free(want);
	addrlist_release(&l);
	diag_release(&d);
}

/* Parse @text as file "f": the runs are @want_runs, the messages @want_diag. */
static void expect_parse(enum addrlist_format format, const char *text,
			 const char *want_runs, const char *want_diag)
{
	struct addrlist l;
	struct diag d = DIAG_INIT;
	char *runs, *msgs;
	int r;

	addrlist_init(&l);
	r = addrlist_parse(&l, "f", text, strlen(text), format, &d);
	assert_int_equal(r, *want_diag ? -EINVAL : 0);
	runs = runs_text(&l);
	msgs = diag_text(&d);
	assert_string_equal(msgs, want_diag);
	assert_string_equal(runs, want_runs);
	free(runs);
	free(msgs);
	addrlist_release(&l);
	diag_release(&d);
}

static void test_addresses(void **state)
{
	(void)state;
	expect_item("10.0.0.7", "10.0.0.7 1\n");
	expect_item("  10.0.0.7\t", "10.0.0.7 1\n");
	expect_item("fd00::7", "fd00::7 1\n");
	/* an IPv4-mapped IPv6 address is the IPv4 node */
	expect_item("::ffff:10.0.0.7", "10.0.0.7 1\n");
	expect_item_error("10.0.0.256", "invalid IPv4 address '10.0.0.256'");
	expect_item_error("fd00:::7", "invalid IPv6 address 'fd00:::7'");
	expect_item_error("node7",
			  "invalid address 'node7': address lists take numeric IPv4 or IPv6 addresses");
	expect_item_error("", "expected one address, range or block, not ''");
	expect_item_error("10.0.0.1 10.0.0.2",
			  "expected one address, range or block, not '10.0.0.1 10.0.0.2'");
}

static void test_ranges(void **state)
{
	(void)state;
	expect_item("10.0.0.1-10.0.0.99", "10.0.0.1 99\n");
	expect_item("10.0.0.5-10.0.0.5", "10.0.0.5 1\n");
	expect_item("10.0.255.250-10.1.0.3", "10.0.255.250 10\n");
	expect_item("fd00::fffe-fd00::1:1", "fd00::fffe 4\n");
	/* exactly as many as a map holds, then one more */
	expect_item("10.0.0.1-10.0.255.255", "10.0.0.1 65535\n");
	expect_item_error("10.0.0.0-10.0.255.255",
			  "range '10.0.0.0-10.0.255.255' holds 65536 addresses, more than a map can hold (65535)");
	expect_item_error("0.0.0.0-255.255.255.255",
			  "range '0.0.0.0-255.255.255.255' holds 4294967296 addresses, more than a map can hold (65535)");
	expect_item_error("fd00::-fd01::",
			  "range 'fd00::-fd01::' holds more addresses than a map can hold (65535)");
	expect_item_error("10.0.0.9-10.0.0.1",
			  "range '10.0.0.9-10.0.0.1' is reversed: its first address is above its last");
	expect_item_error("10.0.0.1-fd00::1",
			  "range '10.0.0.1-fd00::1' mixes IPv4 and IPv6 addresses");
	expect_item_error("10.0.0.1-", "missing address");
	expect_item_error("10.0.0.1-10.0.0.x", "invalid address '10.0.0.x': address lists "
			  "take numeric IPv4 or IPv6 addresses");
}

static void test_blocks(void **state)
{
	(void)state;
	/* network and broadcast addresses are left out of IPv4 blocks... */
	expect_item("10.0.0.0/24", "10.0.0.1 254\n");
	expect_item("10.0.0.0/30", "10.0.0.1 2\n");
	expect_item("10.1.0.0/16", "10.1.0.1 65534\n");
	/* ...but a /31 (point-to-point) has none, and a /32 is one host */
	expect_item("10.0.0.6/31", "10.0.0.6 2\n");
	expect_item("10.0.0.7/32", "10.0.0.7 1\n");
	expect_item(" 10.0.0.0/29 ", "10.0.0.1 6\n");
	expect_item_error("10.0.0.0 / 29", "expected one address, range or block, not '10.0.0.0 / 29'");
	/* IPv6 blocks are taken whole */
	expect_item("fd00::/120", "fd00:: 256\n");
	expect_item("fd00::8000/113", "fd00::8000 32768\n");
	expect_item("fd00::1/128", "fd00::1 1\n");
	expect_item("::ffff:10.0.0.0/120", "10.0.0.1 254\n");

	expect_item_error("10.0.0.0/15",
			  "block '10.0.0.0/15' holds 131070 addresses, more than a map can hold (65535)");
	expect_item_error("0.0.0.0/0",
			  "block '0.0.0.0/0' holds 4294967294 addresses, more than a map can hold (65535)");
	expect_item_error("fd00::/112",
			  "block 'fd00::/112' holds 65536 addresses, more than a map can hold (65535)");
	expect_item_error("::/0", "block '::/0' holds more addresses than a map can hold (65535)");
	expect_item_error("10.0.0.0/33", "invalid prefix length '33' in '10.0.0.0/33' (0..32 for IPv4)");
	expect_item_error("fd00::/129", "invalid prefix length '129' in 'fd00::/129' (0..128 for IPv6)");
	expect_item_error("10.0.0.0/", "invalid prefix length '' in '10.0.0.0/' (0..32 for IPv4)");
	expect_item_error("10.0.0.0/-8", "invalid prefix length '-8' in '10.0.0.0/-8' (0..32 for IPv4)");
	expect_item_error("10.0.0.5/24",
			  "block '10.0.0.5/24' has host bits set (its network is 10.0.0.0/24)");
	expect_item_error("fd00::1/120",
			  "block 'fd00::1/120' has host bits set (its network is fd00::/120)");
	expect_item_error("10.0.0.300/24", "invalid IPv4 address '10.0.0.300'");
}

static void test_dhcp_ranges(void **state)
{
	(void)state;
	expect_item("dhcp-range=10.0.0.10,10.0.0.19", "10.0.0.10 10\n");
	expect_item("dhcp-range=tag:eth1,set:nodes,10.0.0.10,10.0.0.19,255.255.255.0,12h",
		    "10.0.0.10 10\n");
	expect_item("dhcp-range=tag:a,tag:b,10.0.0.10,10.0.0.19,255.255.255.0,10.0.0.255,infinite",
		    "10.0.0.10 10\n");
	/* old-style bare network id, spaces around fields, lease alone */
	expect_item("dhcp-range=lan, 10.0.0.10 ,10.0.0.19 , 45m", "10.0.0.10 10\n");
	/* dnsmasq swaps reversed ends */
	expect_item("dhcp-range=10.0.0.19,10.0.0.10,3600", "10.0.0.10 10\n");
	expect_item("dhcp-range=fd00::10,fd00::1f", "fd00::10 16\n");
	expect_item("dhcp-range=set:v6,fd00::1f,fd00::10,ra-names,64,1h", "fd00::10 16\n");
	expect_item("dhcp-range=fd00::10,fd00::1f,slaac,120", "fd00::10 16\n");

	expect_item_error("dhcp-range=10.0.0.0,static",
			  "static dhcp-range leases no addresses of its own: list the nodes' addresses instead");
	expect_item_error("dhcp-range=fd00::,static",
			  "static dhcp-range leases no addresses of its own: list the nodes' addresses instead");
	expect_item_error("dhcp-range=10.0.0.0,proxy",
			  "proxy dhcp-range leases no addresses: list the nodes' addresses instead");
	expect_item_error("dhcp-range=::,constructor:eth0,ra-stateless,12h",
			  "dhcp-range with constructor:eth0 cannot be listed: its addresses come from that interface's prefix");
	expect_item_error("dhcp-range=::1,::400,constructor:eth0",
			  "dhcp-range with constructor:eth0 cannot be listed: its addresses come from that interface's prefix");
	expect_item_error("dhcp-range=fd00::,ra-only",
			  "dhcp-range has no end address: it leases no addresses (router advertisements only)");
	expect_item_error("dhcp-range=10.0.0.10", "dhcp-range has no end address");
	expect_item_error("dhcp-range=", "dhcp-range has no start address");
	expect_item_error("dhcp-range=tag:x", "invalid start address 'tag:x' in dhcp-range");
	expect_item_error("dhcp-range=10.0.0.300,10.0.0.9",
			  "invalid start address '10.0.0.300' in dhcp-range");
	expect_item_error("dhcp-range=10.0.0.1,10.0.0.300",
			  "invalid end address or mode '10.0.0.300' in dhcp-range");
	expect_item_error("dhcp-range=10.0.0.1,fd00::1", "dhcp-range mixes IPv4 and IPv6 addresses");
	expect_item_error("dhcp-range=fd00::1,10.0.0.1", "dhcp-range mixes IPv4 and IPv6 addresses");
	expect_item_error("dhcp-range=10.0.0.1,10.0.1.1,255.255.255.0",
			  "dhcp-range 10.0.0.1,10.0.1.1 is not within one network of netmask 255.255.255.0");
	expect_item_error("dhcp-range=fd00::1,fd00:0:0:1::1",
			  "dhcp-range fd00::1,fd00:0:0:1::1 is not within one /64 network");
	expect_item_error("dhcp-range=fd00::1,fd00::1:1,120",
			  "dhcp-range fd00::1,fd00::1:1 is not within one /120 network");
	expect_item_error("dhcp-range=fd00::1,fd00::9,48", "dhcp-range prefix length 48 is below 64");
	expect_item_error("dhcp-range=10.0.0.1,10.0.0.9,12x", "invalid lease time '12x' in dhcp-range");
	expect_item_error("dhcp-range=10.0.0.1,10.0.0.9,12h,x",
			  "unexpected 'x' after the lease time in dhcp-range");
	expect_item_error("dhcp-range=10.0.0.0,10.1.0.0",
			  "dhcp-range '10.0.0.0,10.1.0.0' holds 65537 addresses, more than a map can hold (65535)");
	expect_item_error("dhcp-range=fd00::,fd00::ffff:ffff",
			  "dhcp-range 'fd00::,fd00::ffff:ffff' holds 4294967296 addresses, more than a map can hold (65535)");
	expect_item_error("dhcp-range=a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,"
			  "a,b,c,d,e,f,g",
			  "dhcp-range has more than 32 fields");
}

static void test_item_files(void **state)
{
	(void)state;
	expect_parse(ADDRLIST_ITEMS,
		     "# nodes of rack 1\n"
		     "\n"
		     "10.0.0.1-10.0.0.4   # first four\n"
		     "  10.0.1.0/30\n"
		     "dhcp-range=10.0.2.5,10.0.2.6\n"
		     "fd00::1", /* no final newline */
		     "10.0.0.1 4\n10.0.1.1 2\n10.0.2.5 2\nfd00::1 1\n", "");
	expect_parse(ADDRLIST_ITEMS,
		     "10.0.0.1\n"
		     "10.0.0.x\n"
		     "10.0.0.2 10.0.0.3\n"
		     "10.0.0.9-10.0.0.1\n"
		     "10.0.0.5\n",
		     "10.0.0.1 1\n10.0.0.5 1\n",
		     "f:2: invalid address '10.0.0.x': address lists take numeric IPv4 or IPv6 addresses\n"
		     "f:3: expected one address, range or block, not '10.0.0.2 10.0.0.3'\n"
		     "f:4: range '10.0.0.9-10.0.0.1' is reversed: its first address is above its last\n");
	static const char nul[] = "10.0.0.1\n10.0.\0.2\n";
	struct addrlist l;
	struct diag d = DIAG_INIT;

	addrlist_init(&l);
	assert_int_equal(addrlist_parse(&l, "f", nul, sizeof(nul) - 1, ADDRLIST_ITEMS, &d),
			 -EINVAL);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msg[0].text, "f:2: line contains a NUL byte");
	assert_int_equal(l.nrun, 1);
	addrlist_release(&l);
	diag_release(&d);
}

static void test_dnsmasq_files(void **state)
{
	(void)state;
	expect_parse(ADDRLIST_DNSMASQ,
		     "# mosix nodes\n"
		     "interface=eth1\n"
		     "dhcp-option=3,10.0.0.254\n"
		     "dhcp-host=aa:bb:cc:dd:ee:ff,10.0.9.9\n"
		     "dhcp-range = tag:eth1 , 10.0.0.10,10.0.0.19,12h # rack 1\n"
		     "  dhcp-range=10.0.1.1,10.0.1.2\n"
		     "#dhcp-range=10.0.3.1,10.0.3.2\n"
		     "dhcp-rangex=10.0.4.1,10.0.4.2\n"
		     "enable-tftp\n"
		     "dhcp-range=fd00::10,fd00::11,64,1h",
		     "10.0.0.10 10\n10.0.1.1 2\nfd00::10 2\n", "");
	/* a '#' inside a word is not a comment (dnsmasq agrees) */
	expect_parse(ADDRLIST_DNSMASQ, "dhcp-range=set:a#b,10.0.0.1,10.0.0.2\n",
		     "10.0.0.1 2\n", "");
	expect_parse(ADDRLIST_DNSMASQ,
		     "dhcp-range=10.0.0.1,static\n"
		     "dhcp-range\n"
		     "dhcp-range=10.0.0.1,10.0.0.2\n"
		     "dhcp-range=::,constructor:eth0\n",
		     "10.0.0.1 2\n",
		     "f:1: static dhcp-range leases no addresses of its own: list the nodes' addresses instead\n"
		     "f:2: dhcp-range has no value\n"
		     "f:4: dhcp-range with constructor:eth0 cannot be listed: its addresses come from that interface's prefix\n");
}

static void test_missing_file(void **state)
{
	struct addrlist l;
	struct diag d = DIAG_INIT;

	(void)state;
	addrlist_init(&l);
	assert_int_equal(addrlist_load_file(&l, "/nonexistent/dnsmasq.conf", ADDRLIST_DNSMASQ, &d),
			 -ENOENT);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msg[0].text,
			    "/nonexistent/dnsmasq.conf: cannot open: No such file or directory");
	addrlist_release(&l);
	diag_release(&d);
}

/*
 * Map @map_text plus the items @list (one per line) with ids from @first
 * (0: after the map's highest). Returns the r of addrlist_assign; the
 * canonical result goes to *ret_text when it succeeded.
 */
static int assign(const char *map_text, const char *list, uint32_t first,
		  struct addrlist_assigned *info, char **ret_text)
{
	struct mosix_map m;
	struct addrlist l;
	struct diag d = DIAG_INIT;
	char *buf = NULL;
	size_t len = 0;
	int r;

	map_init(&m);
	addrlist_init(&l);
	assert_int_equal(map_parse(&m, "m.map", map_text, strlen(map_text), MAP_NO_RESOLVE, &d), 0);
	assert_int_equal(map_finish(&m, &d), 0);
	assert_int_equal(addrlist_parse(&l, "l", list, strlen(list), ADDRLIST_ITEMS, &d), 0);
	if (!first) {
		first = 1;
		if (m.nrange)
			first = m.range[m.nrange - 1].first + m.range[m.nrange - 1].count;
	}
	r = addrlist_assign(&l, &m, first, info, &d);
	if (r == 0) {
		assert_int_equal(map_finish(&m, &d), 0);
		FILE *f = open_memstream(&buf, &len);

		assert_non_null(f);
		assert_int_equal(map_write(&m, f), 0);
		fclose(f);
		*ret_text = buf;
	}
	assert_int_equal(d.n, 0);
	addrlist_release(&l);
	map_release(&m);
	diag_release(&d);
	return r;
}

static void expect_assign(const char *map_text, const char *list, uint32_t first,
			  const char *want)
{
	struct addrlist_assigned info;
	char *got = NULL;

	assert_int_equal(assign(map_text, list, first, &info, &got), 0);
	assert_string_equal(got, want);
	free(got);
}

static void test_assign(void **state)
{
	struct addrlist_assigned info;
	char *got = NULL;

	(void)state;
	/* a list alone: ids from 1, in list order, duplicates once */
	expect_assign("", "10.0.0.5\n10.0.0.1-10.0.0.4\n10.0.0.3\n10.0.0.0/30\n", 0,
		      "1 10.0.0.5 1\n2 10.0.0.1 4\n");
	/* existing nodes and aliases keep their ids; new ones go after */
	expect_assign("1 10.0.0.1 4\n3 192.168.0.3 alias\n",
		      "10.0.0.0/29\n192.168.0.3\n", 0,
		      "1 10.0.0.1 6\n3 192.168.0.3 ALIAS\n");
	/* --first-id below used ids: used ids are skipped, holes filled */
	expect_assign("3 10.9.0.3 2\n8 10.9.0.8 1\n", "10.0.0.1-10.0.0.6\n", 1,
		      "1 10.0.0.1 2\n3 10.9.0.3 2\n5 10.0.0.3 3\n8 10.9.0.8 1\n9 10.0.0.6 1\n");
	/* a list inside a map's range adds nothing */
	expect_assign("1 10.0.0.1 254\n", "10.0.0.0/24\n", 0, "1 10.0.0.1 254\n");
	/* a new address in a hole of the map's addresses */
	expect_assign("1 10.0.0.1 2\n3 10.0.0.4 2\n", "10.0.0.0/29\n", 0,
		      "1 10.0.0.1 2\n3 10.0.0.4 2\n5 10.0.0.3 1\n6 10.0.0.6 1\n");
	expect_assign("", "fd00::ffff-fd00::1:1\n10.0.0.1\n", 7,
		      "7 fd00::ffff 3\n10 10.0.0.1 1\n");

	/* out of ids: the counts say by how much */
	assert_int_equal(assign("1 10.0.0.1 65530\n", "10.1.0.0/29\n", 0, &info, &got), -ENOSPC);
	assert_int_equal(info.new_addrs, 6);
	assert_int_equal(info.free_ids, 5);
	assert_int_equal(assign("1 10.0.0.1 65535\n", "10.1.0.1\n", 0, &info, &got), -ENOSPC);
	assert_int_equal(info.new_addrs, 1);
	assert_int_equal(info.free_ids, 0);
	/* exactly enough */
	expect_assign("1 10.0.0.1 65529\n", "10.1.0.0/29\n", 0,
		      "1 10.0.0.1 65529\n65530 10.1.0.1 6\n");
	/* a listed address the full map already has needs no id */
	expect_assign("1 10.0.0.1 65535\n", "10.0.0.7\n", 0, "1 10.0.0.1 65535\n");
	assert_int_equal(assign("", "10.0.0.0/16\n10.1.0.0/16\n", 0, &info, &got), -ENOSPC);
	assert_int_equal(info.new_addrs, 131068);
	assert_int_equal(info.free_ids, 65535);
}

/*
 * A /16 is 65534 addresses: it must assign fast, and a list that repeats
 * it many times costs no more memory (the union is computed first).
 */
static void test_assign_large(void **state)
{
	struct addrlist_assigned info;
	char *list = NULL, *got = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&list, &len);
	clock_t t0 = clock();

	(void)state;
	assert_non_null(f);
	for (int i = 0; i < 20; i++)
		fprintf(f, "10.7.0.0/16\n");
	fclose(f);
	assert_int_equal(assign("", list, 0, &info, &got), 0);
	assert_string_equal(got, "1 10.7.0.1 65534\n");
	assert_int_equal(info.new_addrs, 65534);
	assert_int_equal(info.first_new, 1);
	assert_int_equal(info.last_new, 65534);
	/* generous for ASan; the real build takes a few milliseconds */
	assert_true(clock() - t0 < 5 * CLOCKS_PER_SEC);
	free(got);
	free(list);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Random maps and lists over 10.0.0.0/22, against a model that assigns
 * address by address: listed addresses the map has keep their ids, the
 * others get the free ids from the first id up, in list order.
 */
static void test_assign_random(void **state)
{
	enum { SPACE = 1024, IDS = 2000 };

	(void)state;
	for (uint64_t seed = 1; seed <= 200; seed++) {
		uint64_t s = seed * 0x9e3779b97f4a7c15ull;
		static uint32_t id_of[SPACE]; /* model: address -> id */
		static bool used[IDS + 1];
		char *map_text = NULL, *list = NULL, *got = NULL, *want = NULL;
		size_t mlen = 0, llen = 0, wlen = 0;
		FILE *mf = open_memstream(&map_text, &mlen);
		FILE *lf = open_memstream(&list, &llen);
		struct addrlist_assigned info;
		uint32_t first = 1 + rnd(&s) % 50, next;

		memset(id_of, 0, sizeof(id_of));
		memset(used, 0, sizeof(used));
		/* the map: a few single nodes at random ids and addresses */
		for (int i = 0, n = rnd(&s) % 30; i < n; i++) {
			uint32_t a = rnd(&s) % SPACE, id = 1 + rnd(&s) % 100;

			if (id_of[a] || used[id])
				continue;
			id_of[a] = id;
			used[id] = true;
			fprintf(mf, "%u 10.0.%u.%u 1\n", id, a >> 8, a & 255);
		}
		fclose(mf);
		next = first;
		/* the list: single addresses and ranges, overlapping freely */
		for (int i = 0, n = 1 + rnd(&s) % 20; i < n; i++) {
			uint32_t a = rnd(&s) % SPACE, b = a + rnd(&s) % 64;

			if (b >= SPACE)
				b = SPACE - 1;
			if (a == b)
				fprintf(lf, "10.0.%u.%u\n", a >> 8, a & 255);
			else
				fprintf(lf, "10.0.%u.%u-10.0.%u.%u\n", a >> 8, a & 255,
					b >> 8, b & 255);
			for (uint32_t x = a; x <= b; x++) {
				if (id_of[x])
					continue;
				while (used[next])
					next++;
				id_of[x] = next;
				used[next] = true;
			}
		}
		fclose(lf);
		/* the model's map, in canonical form, through the map library */
		FILE *wf = open_memstream(&want, &wlen);

		assert_non_null(wf);
		for (uint32_t x = 0; x < SPACE; x++)
			if (id_of[x])
				fprintf(wf, "%u 10.0.%u.%u 1\n", id_of[x], x >> 8, x & 255);
		fclose(wf);
		struct mosix_map m;
		struct diag d = DIAG_INIT;
		char *canon = NULL;
		size_t clen = 0;

		map_init(&m);
		assert_int_equal(map_parse(&m, "w", want, strlen(want), MAP_NO_RESOLVE, &d), 0);
		assert_int_equal(map_finish(&m, &d), 0);
		wf = open_memstream(&canon, &clen);
		assert_int_equal(map_write(&m, wf), 0);
		fclose(wf);
		map_release(&m);

		assert_int_equal(assign(map_text, list, first, &info, &got), 0);
		if (strcmp(got, canon) != 0)
			print_error("seed %llu\nmap:\n%slist:\n%s", (unsigned long long)seed,
				    map_text, list);
		assert_string_equal(got, canon);
		free(canon);
		free(want);
		free(got);
		free(list);
		free(map_text);
	}
}

static void test_assign_unfinished(void **state)
{
	struct mosix_map m;
	struct addrlist l;
	struct addrlist_assigned info;

	(void)state;
	map_init(&m);
	addrlist_init(&l);
	assert_int_equal(addrlist_assign(&l, &m, 1, &info, NULL), -EINVAL);
	assert_int_equal(map_finish(&m, NULL), 0);
	assert_int_equal(addrlist_assign(&l, &m, 0, &info, NULL), -EINVAL);
	assert_int_equal(addrlist_assign(&l, &m, 1, &info, NULL), 0);
	assert_int_equal(info.new_addrs, 0);
	assert_int_equal(info.first_new, 0);
	addrlist_release(&l);
	map_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_dhcp_ranges),
		cmocka_unit_test(test_item_files),
		cmocka_unit_test(test_dnsmasq_files),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_assign),
		cmocka_unit_test(test_assign_large),
		cmocka_unit_test(test_assign_random),
		cmocka_unit_test(test_assign_unfinished),
	};

	return cmocka_run_group_tests_name("addrlist", tests, NULL, NULL);
}
