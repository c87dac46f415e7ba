// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_sigrestart: a read from an empty pipe, which after the migration
 * blocks at home, is interrupted by SIGUSR1. Without SA_RESTART the read
 * fails with EINTR; with it the read goes on and returns the data written
 * later. It says "blocking eintr" and "blocking restart wfd=N" before
 * each read: the test then sends SIGUSR1, and for the second writes
 * "data" into the pipe through /proc/PID/fd/N. Into the second read the
 * test first sends SIGCHLD (default: ignored) and SIGHUP (blocked here),
 * neither of which may end it. Then "blocking poll": a poll() of the
 * empty pipe, which SIGUSR1 ends with EINTR even under SA_RESTART, as
 * poll(2) says.
 *
 * Then epoll_wait(), which the kernel ends with EINTR itself (no restart
 * code), so an ignored signal that reaches the traced home process must
 * not end it: "blocking epoll" (the test sends SIGCHLD and SIGWINCH, both
 * ignored by default, then writes "data"); "blocking epoll timeout": a
 * 2 s timeout that SIGCHLD every 0.5 s must neither end nor extend
 * (a try that started over would take 3.5 s);
 * "blocking epoll eintr": SIGUSR1 ends it with EINTR under SA_RESTART.
 * "blocking ppoll timeout" and "blocking select timeout": the same 2 s
 * and three SIGCHLDs, for timeouts kept in the process's memory.
 */
#include <errno.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "zdtm.h"

static volatile sig_atomic_t hits;

static void on_usr1(int sig)
{
	(void)sig;
	hits++;
}

static void set(int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void wait_epoll(const int p[2])
{
	struct epoll_event ev = { .events = EPOLLIN };
	char buf[16];
	double t0, took;
	int ep, k;

	ep = epoll_create1(0);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev)) {
		zdtm_check(0, "epoll: %s", strerror(errno));
		return;
	}
	printf("blocking epoll wfd=%d\n", p[1]);
	errno = 0;
	k = epoll_wait(ep, &ev, 1, -1);
	zdtm_check(k == 1, "epoll_wait with ignored signals returned %d (%m)", k);
	zdtm_check(read(p[0], buf, sizeof(buf)) == 4, "the data after epoll_wait");

	printf("blocking epoll timeout\n");
	t0 = now();
	errno = 0;
	k = epoll_wait(ep, &ev, 1, 2000);
	took = now() - t0;
	zdtm_check(k == 0, "epoll_wait of 2 s with ignored signals returned %d (%m)", k);
	zdtm_check(took > 1.9 && took < 2.9, "epoll_wait of 2 s took %.2f s", took);

	printf("blocking epoll eintr\n");
	errno = 0;
	k = epoll_wait(ep, &ev, 1, -1);
	zdtm_check(k == -1 && errno == EINTR, "epoll_wait with SA_RESTART returned %d (%m)", k);
	close(ep);
}

/*
 * Timeouts the kernel keeps in the caller's memory, and writes back what
 * is left of when a signal stops the call: an ignored SIGCHLD every
 * 0.5 s must neither end a 2 s wait nor make it longer.
 */
static void wait_timeouts(const int p[2])
{
	struct timespec two = { 2, 0 };
	struct pollfd pf = { p[0], POLLIN, 0 };
	struct timeval tv = { 2, 0 };
	fd_set rd;
	double t0, took;
	int k;

	printf("blocking ppoll timeout\n");
	t0 = now();
	errno = 0;
	k = ppoll(&pf, 1, &two, NULL);
	took = now() - t0;
	zdtm_check(k == 0, "ppoll of 2 s with ignored signals returned %d (%m)", k);
	zdtm_check(took > 1.9 && took < 2.9, "ppoll of 2 s took %.2f s", took);

	printf("blocking select timeout\n");
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	t0 = now();
	errno = 0;
	k = select(p[0] + 1, &rd, NULL, NULL, &tv);
	took = now() - t0;
	zdtm_check(k == 0, "select of 2 s with ignored signals returned %d (%m)", k);
	zdtm_check(took > 1.9 && took < 2.9, "select of 2 s took %.2f s", took);
}

int main(void)
{
	char buf[16];
	sigset_t hup;
	int p[2];
	ssize_t n;

	zdtm_init("zdtm_sigrestart");
	if (pipe(p)) {
		printf("FAIL zdtm_sigrestart: pipe: %s\n", strerror(errno));
		return 1;
	}
	set(0);
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	sigprocmask(SIG_BLOCK, &hup, NULL);

	zdtm_ready();
	zdtm_wait();

	printf("blocking eintr\n");
	errno = 0;
	n = read(p[0], buf, sizeof(buf));
	zdtm_check(n == -1 && errno == EINTR, "read without SA_RESTART returned %zd (%m)", n);
	zdtm_check(hits == 1, "the handler ran %d times, expected 1", (int)hits);

	set(SA_RESTART);
	printf("blocking restart wfd=%d\n", p[1]);
	memset(buf, 0, sizeof(buf));
	n = read(p[0], buf, sizeof(buf) - 1);
	zdtm_check(n == 4 && strcmp(buf, "data") == 0, "read with SA_RESTART returned %zd '%s' (%m)",
		   n, buf);
	zdtm_check(hits == 2, "the handler ran %d times, expected 2", (int)hits);

	printf("blocking poll\n");
	{
		struct pollfd pf = { p[0], POLLIN, 0 };
		int k;

		errno = 0;
		k = poll(&pf, 1, -1);
		zdtm_check(k == -1 && errno == EINTR, "poll with SA_RESTART returned %d (%m)", k);
	}
	zdtm_check(hits == 3, "the handler ran %d times, expected 3", (int)hits);

	wait_epoll(p);
	zdtm_check(hits == 4, "the handler ran %d times, expected 4", (int)hits);
	wait_timeouts(p);
	return zdtm_done();
}
