// SPDX-License-Identifier: GPL-2.0-only
/*
 * vdso_spin SECONDS: spends nearly all its time inside the vDSO, calling
 * clock_gettime(CLOCK_MONOTONIC) and gettimeofday back to back, so a
 * migration almost always stops it with its rip in the vDSO. Exits 0 after
 * SECONDS of its monotonic clock, printing how many calls it made, or 1
 * (with a line saying which) when a clock went backwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static double mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? strtod(argv[1], NULL) : 10, start = mono(), prev = start, now;
	struct timeval tv, ptv = { 0, 0 };
	unsigned long calls = 0;

	printf("ready\n");
	fflush(stdout);
	do {
		now = mono();
		gettimeofday(&tv, NULL);
		calls++;
		if (now < prev) {
			printf("monotonic went back by %.9f s\n", prev - now);
			return 1;
		}
		if (tv.tv_sec < ptv.tv_sec - 1) {
			printf("the wall clock went back by %ld s\n", (long)(ptv.tv_sec - tv.tv_sec));
			return 1;
		}
		prev = now;
		ptv = tv;
	} while (now - start < secs);
	printf("done %lu calls\n", calls);
	return 0;
}
