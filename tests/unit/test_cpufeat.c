// SPDX-License-Identifier: GPL-2.0-only
/*
 * The CPU features a migrated process may depend on (lib/cpufeat): this
 * CPU's set against the kernel's /proc/cpuinfo flags, the names both
 * ways, and what GLIBC_TUNABLES tells glibc to leave alone.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/cpufeat.h"

static int bit(const char *name)
{
	for (unsigned i = 0; i < cpufeat_count; i++)
		if (!strcmp(cpufeat_table[i].name, name))
			return (int)i;
	fail_msg("no feature %s", name);
	return -1;
}

/* The kernel's flags line has the same features, by the same names. */
static void test_local_matches_cpuinfo(void **state)
{
	char line[8192], want[16384] = " ", got[4096];
	uint64_t set = cpufeat_local(), from_kernel = 0;
	FILE *f = fopen("/proc/cpuinfo", "re");

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5)) {
			snprintf(want, sizeof(want), " %s", strchr(line, ':') + 1);
			break;
		}
	fclose(f);
	want[strcspn(want, "\n")] = ' ';
	for (unsigned i = 0; i < cpufeat_count; i++) {
		char key[64];
		const char *n = cpufeat_table[i].name;

		/* the kernel calls SSE3 "pni" (Prescott New Instructions) */
		snprintf(key, sizeof(key), " %s ", strcmp(n, "sse3") ? n : "pni");
		if (strstr(want, key))
			from_kernel |= 1ull << i;
	}
	cpufeat_names(set ^ from_kernel, got, sizeof(got));
	assert_string_equal(got, "");
	/* every x86-64 CPU this runs on since 2011 */
	assert_true(set & (1ull << bit("sse3")));
	assert_true(set & (1ull << bit("popcnt")));
}

static void test_names(void **state)
{
	uint64_t set;
	char bad[32], buf[128];

	(void)state;
	assert_int_equal(cpufeat_parse("", &set, bad, sizeof(bad)), 0);
	assert_int_equal(set, 0);
	assert_int_equal(cpufeat_parse(" sha_ni,rdseed  xsavec", &set, bad, sizeof(bad)), 0);
	assert_int_equal(set, (1ull << bit("sha_ni")) | (1ull << bit("rdseed")) |
				      (1ull << bit("xsavec")));
	cpufeat_names(set, buf, sizeof(buf));
	assert_string_equal(buf, "rdseed sha_ni xsavec");
	assert_int_equal(cpufeat_parse("avx2 avx9000 sse3", &set, bad, sizeof(bad)), -EINVAL);
	assert_string_equal(bad, "avx9000");
	/* truncated, never overrun */
	cpufeat_names(~0ull, buf, 16);
	assert_int_equal(strlen(buf), 15);
}

#define ENV(s) s, sizeof(s) - 1

static void test_glibc_tunables(void **state)
{
	uint64_t xsavec = 1ull << bit("xsavec");

	(void)state;
	assert_int_equal(cpufeat_glibc_off(ENV("PATH=/bin\0HOME=/\0")), 0);
	assert_int_equal(cpufeat_glibc_off(ENV("A=1\0GLIBC_TUNABLES=glibc.cpu.hwcaps=-XSAVEC\0")),
			 xsavec);
	/* several tunables, several names, glibc's spelling; AVX2 does not
	 * count (other code than glibc's may use it all the same) */
	assert_int_equal(cpufeat_glibc_off(ENV("GLIBC_TUNABLES=glibc.malloc.check=3:"
					       "glibc.cpu.hwcaps=-AVX2,-XSAVEC,-Bogus\0")),
			 xsavec);
	assert_int_equal(cpufeat_glibc_off(ENV("GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2\0")), 0);
	/* glibc's names are case-sensitive */
	assert_int_equal(cpufeat_glibc_off(ENV("GLIBC_TUNABLES=glibc.cpu.hwcaps=-xsavec\0")), 0);
	/* '+' turns on, names glibc ignores (SHA) count for nothing */
	assert_int_equal(cpufeat_glibc_off(ENV("GLIBC_TUNABLES=glibc.cpu.hwcaps=AVX2,-SHA\0")), 0);
	/* a look-alike variable or tunable is not it */
	assert_int_equal(cpufeat_glibc_off(ENV("XGLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2\0"
					       "GLIBC_TUNABLES=glibc.cpu.hwcapsx=-AVX2\0")), 0);
	/* the last definition wins, as in glibc */
	assert_int_equal(cpufeat_glibc_off(ENV("GLIBC_TUNABLES=glibc.cpu.hwcaps=-XSAVEC\0"
					       "GLIBC_TUNABLES=glibc.cpu.hwcaps=-SHA\0")),
			 0);
	assert_int_equal(cpufeat_glibc_off(ENV("GLIBC_TUNABLES=glibc.cpu.hwcaps=-SHA\0"
					       "GLIBC_TUNABLES=glibc.cpu.hwcaps=-XSAVEC\0")),
			 xsavec);
	/* an environment cut short, without its final NUL */
	assert_int_equal(cpufeat_glibc_off("GLIBC_TUNABLES=glibc.cpu.hwcaps=-XSAVEC",
					   strlen("GLIBC_TUNABLES=glibc.cpu.hwcaps=-XSAVEC")), xsavec);
	assert_int_equal(cpufeat_glibc_off("", 0), 0);
}

/* Sets travel between nodes: the bit of a feature never moves. */
static void test_wire_positions(void **state)
{
	static const struct {
		unsigned bit;
		const char *name;
	} pinned[] = { { 0, "sse3" },	  { 10, "xsave" },	 { 11, "avx" },
		       { 15, "avx2" },	  { 18, "avx512f" },	 { 50, "xsavec" },
		       { 57, "rdtscp" } };

	(void)state;
	assert_true(cpufeat_count >= 58);
	for (size_t i = 0; i < sizeof(pinned) / sizeof(pinned[0]); i++)
		assert_string_equal(cpufeat_table[pinned[i].bit].name, pinned[i].name);
}

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_local_matches_cpuinfo),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_glibc_tunables),
		cmocka_unit_test(test_wire_positions),
	};

	return cmocka_run_group_tests(t, NULL, NULL);
}
