// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_heap [MIB]: memory crosses the migration intact. A large malloc
 * (default 256 MiB) filled with a pattern except its last 16 MiB, which
 * were never touched and must read as zeros; many small brk allocations;
 * and three pages with protections read-write, read-only and none (the
 * last can only be read from outside through /proc/PID/mem).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "zdtm.h"

#define UNTOUCHED (16u << 20)
#define SMALL 2000

static uint64_t word(size_t i)
{
	uint64_t x = i * 0x9e3779b97f4a7c15ull;

	return x ^ (x >> 29) ^ (i << 3);
}

/* the first word that differs from the pattern, or n */
static size_t first_bad(const uint64_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != word(i))
			return i;
	return n;
}

int main(int argc, char **argv)
{
	size_t size = (argc > 1 ? strtoul(argv[1], NULL, 10) : 256) << 20;
	size_t filled = (size - UNTOUCHED) / sizeof(uint64_t), bad, page;
	uint64_t *big;
	char *small[SMALL], *three;

	zdtm_init("zdtm_heap");
	page = (size_t)sysconf(_SC_PAGESIZE);
	big = size > UNTOUCHED ? malloc(size) : NULL;
	three = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!big || three == MAP_FAILED) {
		printf("FAIL zdtm_heap: cannot allocate %zu MiB\n", size >> 20);
		return 1;
	}
	for (size_t i = 0; i < filled; i++)
		big[i] = word(i);
	for (int i = 0; i < SMALL; i++) {
		small[i] = malloc(16 + (size_t)i % 200);
		snprintf(small[i], 16 + (size_t)i % 200, "small %d", i);
	}
	for (size_t i = 0; i < 3 * page; i++)
		three[i] = (char)(i / page + 1);
	mprotect(three + page, page, PROT_READ);
	mprotect(three + 2 * page, page, PROT_NONE);

	zdtm_ready();
	zdtm_wait();

	bad = first_bad(big, filled);
	zdtm_check(bad == filled, "word %zu of %zu is %#llx, expected %#llx", bad, filled,
		   (unsigned long long)(bad < filled ? big[bad] : 0),
		   (unsigned long long)word(bad));
	bad = filled;
	while (bad < size / sizeof(uint64_t) && big[bad] == 0)
		bad++;
	zdtm_check(bad == size / sizeof(uint64_t), "untouched word %zu is not zero", bad);
	for (int i = 0; i < SMALL; i++) {
		char want[32];

		snprintf(want, sizeof(want), "small %d", i);
		if (strncmp(small[i], want, 16) != 0) {
			zdtm_check(0, "small allocation %d reads '%.15s'", i, small[i]);
			break;
		}
		free(small[i]);
	}
	zdtm_check(three[0] == 1 && three[page - 1] == 1, "read-write page changed");
	zdtm_check(three[page] == 2 && three[2 * page - 1] == 2, "read-only page changed");
	zdtm_check(mprotect(three + 2 * page, page, PROT_READ) == 0, "mprotect: %m");
	zdtm_check(three[2 * page] == 3 && three[3 * page - 1] == 3, "inaccessible page changed");
	free(big);
	return zdtm_done();
}
