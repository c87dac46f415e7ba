/* calls.c - forwarding cost as the migrated program sees it: N x fcntl(1,
 * F_GETFD) (forwarded and run at home), N x getppid (answered by the remote
 * supervisor), N x clock_gettime (vDSO) and brk (local), timed by itself.
 * It waits for SIGUSR1 (sent after migration) before measuring. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
static volatile sig_atomic_t go;
static void on_usr1(int s) { (void)s; go = 1; }
static double now(void)
{
	struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}
int main(void)
{
	signal(SIGUSR1, on_usr1);
	char msg[128];
	int len = snprintf(msg, sizeof(msg), "calls: pid %d waiting for SIGUSR1\n", getpid());
	write(1, msg, len);
	while (!go) { volatile long i; for (i = 0; i < 1000000; i++); }
	int n = 2000;
	double t0 = now();
	for (int i = 0; i < n; i++) fcntl(1, F_GETFD);
	double t1 = now();
	for (int i = 0; i < n; i++) getppid();
	double t2 = now();
	struct timespec ts;
	for (int i = 0; i < n * 100; i++) clock_gettime(CLOCK_MONOTONIC, &ts);
	double t3 = now();
	for (int i = 0; i < n; i++) syscall(SYS_brk, 0);
	double t4 = now();
	len = snprintf(msg, sizeof(msg), "calls: forwarded %.1f us, answered by supervisor %.1f us, "
		       "clock_gettime %.3f us, brk %.2f us\n", (t1 - t0) / n, (t2 - t1) / n,
		       (t3 - t2) / n / 100, (t4 - t3) / n);
	write(1, msg, len);
	return 0;
}
