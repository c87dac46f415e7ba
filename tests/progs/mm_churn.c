// SPDX-License-Identifier: GPL-2.0-only
/*
 * mm_churn STOPFILE [N]: a process that keeps changing its memory, for
 * many round trips of migration (tests/integration/migrate-more.t).
 *
 * Each round rewrites pseudo-random bytes of an 8 MiB heap buffer and folds
 * them into a running checksum, then sleeps 2 ms. It stops after N rounds,
 * or without N once STOPFILE exists (looked at every 16 rounds: while the
 * process is away, that is a call run at home). It then prints the rounds
 * done, the running checksum and a checksum of the whole buffer. The output
 * depends on the number of rounds only, so "mm_churn - N" at home is the
 * baseline of a run that moved and stopped after N rounds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE (8u << 20)
#define TOUCH 4096

static uint64_t fnv(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		h ^= (v >> (8 * i)) & 0xff;
		h *= 0x100000001b3ull;
	}
	return h;
}

int main(int argc, char **argv)
{
	const struct timespec nap = { 0, 2000000 };
	unsigned long long n = 0, limit = 0;
	uint64_t x = 0x9e3779b97f4a7c15ull, run = 0xcbf29ce484222325ull, whole;
	unsigned char *buf;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: mm_churn STOPFILE [N]\n");
		return 2;
	}
	if (argc == 3)
		limit = strtoull(argv[2], NULL, 10);
	buf = malloc(BUF_SIZE);
	if (!buf)
		return 1;
	for (size_t i = 0; i < BUF_SIZE; i++)
		buf[i] = (unsigned char)(i * 131 + 7);
	for (;;) {
		if (limit ? n >= limit : n % 16 == 0 && access(argv[1], F_OK) == 0)
			break;
		for (int k = 0; k < TOUCH; k++) {
			size_t at;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			at = (size_t)(x % BUF_SIZE);
			buf[at] = (unsigned char)(buf[at] * 33 + (x >> 56) + n);
			run = fnv(run, buf[at] + ((uint64_t)at << 8));
		}
		n++;
		nanosleep(&nap, NULL);
	}
	whole = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < BUF_SIZE; i += 8) {
		uint64_t v;

		memcpy(&v, buf + i, sizeof(v));
		whole = fnv(whole, v);
	}
	printf("rounds %llu run %016llx whole %016llx\n", n, (unsigned long long)run,
	       (unsigned long long)whole);
	free(buf);
	return 0;
}
