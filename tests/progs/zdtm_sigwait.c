// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_sigwait: waits that set a signal mask of their own for as long as
 * they wait, as the pselect(2) pattern uses them: SIGUSR1 is blocked,
 * and only the wait unblocks it.
 *
 * "blocking ppoll mask": ppoll() of an empty pipe with an empty mask;
 * the test sends SIGUSR1, which must run the handler inside the wait and
 * end it with EINTR, SIGUSR1 blocked again afterwards. Then "ready
 * again", and SIGUSR2 once more (the test moves it again first: the
 * ppoll brought it home). "blocking epoll_pwait mask": the same with
 * epoll_pwait(). "blocking ppoll
 * blocked": the other way round, SIGUSR1 unblocked but blocked by the
 * call's mask, and a 1 s timeout: SIGUSR1 must not end the wait, which
 * times out; its handler runs as the call returns and the mask goes back.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "zdtm.h"

static volatile sig_atomic_t hits, hits_in_call;
static volatile sig_atomic_t in_call;

static void on_usr1(int sig)
{
	(void)sig;
	hits++;
	if (in_call)
		hits_in_call++;
}

static int usr1_blocked(void)
{
	sigset_t cur;

	sigprocmask(SIG_BLOCK, NULL, &cur);
	return sigismember(&cur, SIGUSR1);
}

int main(void)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct timespec second = { 1, 0 };
	struct sigaction sa;
	sigset_t usr1, none;
	int p[2], ep, k;

	zdtm_init("zdtm_sigwait");
	if (pipe(p) || (ep = epoll_create1(0)) < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev)) {
		printf("FAIL zdtm_sigwait: pipe or epoll: %s\n", strerror(errno));
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&none);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);

	zdtm_ready();
	zdtm_wait();

	printf("blocking ppoll mask\n");
	{
		struct pollfd pf = { p[0], POLLIN, 0 };

		in_call = 1;
		errno = 0;
		k = ppoll(&pf, 1, NULL, &none);
		in_call = 0;
		zdtm_check(k == -1 && errno == EINTR, "ppoll with SIGUSR1 unblocked returned %d (%m)",
			   k);
	}
	zdtm_check(hits == 1 && hits_in_call == 1,
		   "ppoll: the handler ran %d times, %d in the call; expected 1, 1", (int)hits,
		   (int)hits_in_call);
	zdtm_check(usr1_blocked(), "ppoll: SIGUSR1 not blocked again after it");

	/* the test may move it again meanwhile: the next wait starts away */
	zdtm_go = 0;
	printf("ready again\n");
	zdtm_wait();

	printf("blocking epoll_pwait mask\n");
	in_call = 1;
	errno = 0;
	k = epoll_pwait(ep, &ev, 1, -1, &none);
	in_call = 0;
	zdtm_check(k == -1 && errno == EINTR, "epoll_pwait with SIGUSR1 unblocked returned %d (%m)",
		   k);
	zdtm_check(hits == 2 && hits_in_call == 2,
		   "epoll_pwait: the handler ran %d times, %d in the call; expected 2, 2", (int)hits,
		   (int)hits_in_call);
	zdtm_check(usr1_blocked(), "epoll_pwait: SIGUSR1 not blocked again after it");

	sigprocmask(SIG_UNBLOCK, &usr1, NULL);
	printf("blocking ppoll blocked\n");
	{
		struct pollfd pf = { p[0], POLLIN, 0 };

		in_call = 1;
		errno = 0;
		k = ppoll(&pf, 1, &second, &usr1);
		in_call = 0;
		zdtm_check(k == 0, "ppoll with SIGUSR1 blocked by its mask returned %d (%m)", k);
	}
	/* it ran as the call returned and the mask went back: once */
	zdtm_check(hits == 3, "ppoll blocked: the handler ran %d times, expected 3", (int)hits);
	close(ep);
	return zdtm_done();
}
