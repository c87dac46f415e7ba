// SPDX-License-Identifier: GPL-2.0-only
/*
 * The program bench/mig-bench runs natively and as a guest, to time what
 * a migrated process pays per system call and per CPU second.
 *
 *   mig_calls sys FILE N   open FILE for writing, print "ready", wait for
 *                          SIGUSR1, then time N x write(fd, "x", 1) and N x
 *                          getppid (means), clock_gettime and brk(0)
 *                          (medians of 7 rounds)
 *   mig_calls filter       clock_gettime and brk(0) at once, natively under
 *                          a one-rule seccomp filter that allows everything:
 *                          what any filter costs a local call on this kernel
 *   mig_calls cpu ITER     print "ready", wait for SIGUSR1, then run a
 *                          fixed integer loop of ITER steps and print its
 *                          wall time
 *
 * Both wait for the signal so that the script can migrate them first: the
 * figures then cover only the time as a guest, never the move itself.
 * Times come from CLOCK_MONOTONIC, through the vDSO, local for a guest too.
 * Output, one "name value" per line: write_us, getppid_us, clock_gettime_ns,
 * brk_ns; cpu_s and result (so the loop cannot be optimised away, and a guest's
 * result can be compared with a native one).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 7

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long parse_num(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v <= 0)
		return 0;
	return v;
}

static void wait_go(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct timespec nap = { 0, 1000 * 1000 };

	sigaction(SIGUSR1, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	while (!go)
		nanosleep(&nap, NULL);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median over ROUNDS rounds of N calls, in ns per call. */
static double clock_ns(long n)
{
	double r[ROUNDS];
	struct timespec ts;

	for (int k = 0; k < ROUNDS; k++) {
		double t = now();

		for (long i = 0; i < n; i++)
			clock_gettime(CLOCK_MONOTONIC, &ts);
		r[k] = (now() - t) / (double)n * 1e9;
	}
	qsort(r, ROUNDS, sizeof(r[0]), cmp_double);
	return r[ROUNDS / 2];
}

static double brk_ns(long n)
{
	double r[ROUNDS];

	for (int k = 0; k < ROUNDS; k++) {
		double t = now();

		for (long i = 0; i < n; i++)
			syscall(SYS_brk, 0);
		r[k] = (now() - t) / (double)n * 1e9;
	}
	qsort(r, ROUNDS, sizeof(r[0]), cmp_double);
	return r[ROUNDS / 2];
}

static int calls(const char *path, long n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	double t;

	if (fd < 0) {
		fprintf(stderr, "mig_calls: cannot open '%s': %s\n", path, strerror(errno));
		return 1;
	}
	wait_go();
	t = now();
	for (long i = 0; i < n; i++) {
		if (write(fd, "x", 1) != 1) {
			fprintf(stderr, "mig_calls: write: %s\n", strerror(errno));
			return 1;
		}
	}
	t = now() - t;
	close(fd);
	printf("write_us %.2f\n", t / (double)n * 1e6);
	/* a guest's getppid is answered on its node: no trip home */
	t = now();
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	printf("getppid_us %.2f\n", (now() - t) / (double)n * 1e6);
	printf("clock_gettime_ns %.1f\n", clock_ns(1000000));
	printf("brk_ns %.1f\n", brk_ns(100000));
	return 0;
}

static int filtered(void)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = 1, .filter = &allow };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) {
		fprintf(stderr, "mig_calls: seccomp: %s\n", strerror(errno));
		return 1;
	}
	printf("clock_gettime_ns %.1f\n", clock_ns(1000000));
	printf("brk_ns %.1f\n", brk_ns(100000));
	return 0;
}

static int cpu(long iter)
{
	uint64_t x = 88172645463325252ULL;
	double t;

	wait_go();
	t = now();
	/* xorshift: every step depends on the last, nothing to vectorise */
	for (long i = 0; i < iter; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	t = now() - t;
	printf("cpu_s %.3f\n", t);
	printf("result %llu\n", (unsigned long long)x);
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? parse_num(argv[argc - 1]) : 0;

	if (argc == 4 && n && !strcmp(argv[1], "sys"))
		return calls(argv[2], n);
	if (argc == 3 && n && !strcmp(argv[1], "cpu"))
		return cpu(n);
	if (argc == 2 && !strcmp(argv[1], "filter"))
		return filtered();
	fprintf(stderr, "usage: mig_calls sys FILE N | filter | cpu ITER\n");
	return 2;
}
