// SPDX-License-Identifier: GPL-2.0-only
/*
 * cant_mlock [SECONDS]: one page locked in memory (mps: "locked memory").
 * Prints "ready", then sleeps SECONDS (default 300).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned seconds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 300;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char *p;

	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || mlock(p, page) < 0) {
		perror("cant_mlock: mlock");
		return 1;
	}
	p[0] = 1;
	printf("ready\n");
	fflush(stdout);
	sleep(seconds);
	return 0;
}
