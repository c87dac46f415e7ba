/* target.c - an ordinary, unmodified program to migrate: dynamically linked
 * against glibc, counts in a CPU loop, reads the clock through the vDSO,
 * prints pid/ppid, keeps FPU/AVX state live, has a SIGUSR1 handler on an
 * alternate stack, exits with status 7 after -n lines (0 = forever), or on
 * SIGTERM with status 3. Optional -m MB of heap it checksums each line. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

static volatile sig_atomic_t usr1, term;
static void on_usr1(int s) { (void)s; usr1++; }
static void on_term(int s) { (void)s; term = 1; }

int main(int argc, char **argv)
{
	long lines = 0, mb = 0, n = 0;
	int opt;
	while ((opt = getopt(argc, argv, "n:m:")) != -1) {
		if (opt == 'n') lines = strtol(optarg, NULL, 10);
		else if (opt == 'm') mb = strtol(optarg, NULL, 10);
	}
	static char altstack[65536];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	sigaltstack(&ss, NULL);
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_ONSTACK | SA_RESTART };
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	unsigned char *heap = NULL;
	size_t hsz = (size_t)mb << 20;
	if (hsz) {
		heap = malloc(hsz);
		for (size_t i = 0; i < hsz; i++) heap[i] = (unsigned char)(i * 7 + 3);
	}
	double x = 0.0;		/* lives in an xmm register across the loop */
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		for (long i = 0; i < 100000000; i++) x += 1.0;
		clock_gettime(CLOCK_MONOTONIC, &t);
		unsigned long sum = 0;
		for (size_t i = 0; i < hsz; i += 4096) sum += heap[i];
		unsigned r = 0;
		getrandom(&r, sizeof(r), 0);
		printf("n=%ld pid=%d ppid=%d t=%.2f x=%.0f usr1=%d sum=%lu\n", n, getpid(),
		       getppid(), (double)(t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9,
		       x, (int)usr1, sum);
		n++;
		if (term) return 3;
		if (lines && n >= lines) return 7;
	}
}
