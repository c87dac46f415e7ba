// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_raise: a signal a process sends itself is delivered before the
 * call returns (POSIX, for raise and for kill of its own pid when the
 * signal is unblocked), also after the migration, where raise's tgkill
 * runs at home and the signal comes back through the deputy. A blocked
 * one is pending as soon as raise returns.
 */
#include <stdio.h>
#include <unistd.h>

#include "zdtm.h"

static volatile sig_atomic_t usr1, hup;

static void on_usr1(int sig)
{
	(void)sig;
	usr1++;
}

static void on_hup(int sig)
{
	(void)sig;
	hup++;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	sigset_t hupset, pend;

	zdtm_init("zdtm_raise");
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&hupset);
	sigaddset(&hupset, SIGHUP);

	zdtm_ready();
	zdtm_wait();

	zdtm_check(raise(SIGUSR1) == 0 && usr1 == 1, "raise returned before the handler ran");
	zdtm_check(kill(getpid(), SIGUSR1) == 0 && usr1 == 2,
		   "kill(getpid()) returned before the handler ran");
	sigprocmask(SIG_BLOCK, &hupset, NULL);
	zdtm_check(raise(SIGHUP) == 0 && sigpending(&pend) == 0 && sigismember(&pend, SIGHUP),
		   "a blocked SIGHUP is not pending after raise");
	for (int i = 0; i < 100 && !sigismember(&pend, SIGHUP); i++) {
		usleep(10000);
		sigpending(&pend);
	}
	sigprocmask(SIG_UNBLOCK, &hupset, NULL);
	zdtm_check(hup == 1, "SIGHUP ran %d times when unblocked", (int)hup);
	for (int i = 0; i < 100 && usr1 < 2; i++)
		usleep(10000);
	zdtm_check(usr1 == 2, "SIGUSR1 ran %d times in all", (int)usr1);
	return zdtm_done();
}
