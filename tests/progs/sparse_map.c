// SPDX-License-Identifier: GPL-2.0-only
/*
 * sparse_map [SECONDS]: reserves 1 TiB of private memory, touches one page
 * of it (the way AddressSanitizer's shadow looks), prints "ready", then
 * sleeps SECONDS (default 300).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned seconds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 300;
	volatile char *p = mmap(NULL, 1ull << 40, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	p[12345 * 4096] = 1;
	printf("ready\n");
	fflush(stdout);
	sleep(seconds);
	/* its memory is what it was, wherever it ran meanwhile */
	return p[12345 * 4096] == 1 ? 0 : 2;
}
