// SPDX-License-Identifier: GPL-2.0-only
/*
 * Memory for the migration benchmark (bench/mig-bench).
 *
 *   mig_mem hold MIB    allocate MIB MiB, fill every page with non-zero
 *                       bytes (its own index in the first word), print
 *                       "ready", then sleep in a loop; on SIGUSR1 check
 *                       every page and print "intact" or "corrupt at
 *                       page N"; SIGTERM ends it
 *   mig_mem fill MIB    the target's baseline: mmap MIB MiB that this
 *                       process never touched and memset it, as a restore
 *                       must fill fresh pages; prints "fill MIB MiB in S
 *                       s: R MiB/s"
 *
 * hold is the process that is migrated: it does nothing while it waits, so
 * the freeze sees all of its memory resident and nothing else moving. Its
 * pages are sent whole (they are all touched), and the check after the
 * move proves the bytes arrived.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define MAGIC 0x6d6f736978UL	/* "mosix": no page word is zero */

static volatile sig_atomic_t check_asked, stop_asked;

static void on_usr1(int sig)
{
	(void)sig;
	check_asked = 1;
}

static void on_term(int sig)
{
	(void)sig;
	stop_asked = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t parse_mib(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v == 0 || v > 65536)
		return 0;
	return (size_t)v << 20;
}

static void fill_page(unsigned char *p, size_t i)
{
	uint64_t w = MAGIC ^ i;

	memset(p, 0x5a, PAGE);
	memcpy(p, &w, sizeof(w));
}

/* The first page whose bytes are not what fill_page wrote, or n if none. */
static size_t first_bad(const unsigned char *mem, size_t n)
{
	static unsigned char want[PAGE];

	for (size_t i = 0; i < n; i++) {
		fill_page(want, i);
		if (memcmp(mem + i * PAGE, want, PAGE))
			return i;
	}
	return n;
}

static int hold(size_t len)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	size_t n = len / PAGE, bad;
	unsigned char *mem;

	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	mem = malloc(len);
	if (!mem) {
		fprintf(stderr, "mig_mem: cannot allocate %zu MiB\n", len >> 20);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		fill_page(mem + i * PAGE, i);
	printf("ready\n");
	fflush(stdout);
	while (!stop_asked) {
		nanosleep(&nap, NULL);
		if (!check_asked)
			continue;
		check_asked = 0;
		bad = first_bad(mem, n);
		if (bad == n)
			printf("intact\n");
		else
			printf("corrupt at page %zu\n", bad);
		fflush(stdout);
	}
	free(mem);
	return 0;
}

static int fill(size_t len)
{
	unsigned char *mem;
	double t;

	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		fprintf(stderr, "mig_mem: cannot map %zu MiB: %s\n", len >> 20, strerror(errno));
		return 1;
	}
	t = now();
	memset(mem, 0x5a, len);
	t = now() - t;
	printf("fill %zu MiB in %.3f s: %.0f MiB/s\n", len >> 20, t, (double)(len >> 20) / t);
	munmap(mem, len);
	return 0;
}

int main(int argc, char **argv)
{
	size_t len = argc == 3 ? parse_mib(argv[2]) : 0;

	if (len && !strcmp(argv[1], "hold"))
		return hold(len);
	if (len && !strcmp(argv[1], "fill"))
		return fill(len);
	fprintf(stderr, "usage: mig_mem hold|fill MIB\n");
	return 2;
}
