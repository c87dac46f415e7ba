// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_sigmask: signal dispositions and the mask cross the migration. It
 * blocks SIGUSR1 and SIGRTMIN+2 and says "ready rt=N"; while it is away
 * the test sends SIGUSR1 once and signal N twice, then SIGUSR2. They must
 * be pending (the real-time one queued twice) and delivered only when
 * unblocked. A handler's sa_mask and flags, and an ignored signal, are
 * kept too.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "zdtm.h"

static volatile sig_atomic_t usr1, rt, hup, hup_mask_ok;

static void on_usr1(int sig)
{
	(void)sig;
	usr1++;
}

static void on_rt(int sig)
{
	(void)sig;
	rt++;
}

/* sa_mask (SIGINT) and the signal itself are blocked while it runs */
static void on_hup(int sig)
{
	sigset_t cur;

	(void)sig;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	hup_mask_ok = sigismember(&cur, SIGINT) && sigismember(&cur, SIGHUP);
	hup++;
}

static void set(int sig, void (*fn)(int), int flags, int masked)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	if (masked)
		sigaddset(&sa.sa_mask, masked);
	sigaction(sig, &sa, NULL);
}

int main(void)
{
	struct sigaction sa;
	sigset_t block, cur, pend;
	int rtsig = SIGRTMIN + 2;

	zdtm_init("zdtm_sigmask");
	set(SIGUSR1, on_usr1, SA_RESTART, 0);
	set(rtsig, on_rt, 0, 0);
	set(SIGHUP, on_hup, SA_RESTART, SIGINT);
	set(SIGINT, SIG_IGN, 0, 0);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, rtsig);
	sigprocmask(SIG_BLOCK, &block, NULL);

	printf("ready rt=%d\n", rtsig);
	zdtm_wait();

	sigprocmask(SIG_BLOCK, NULL, &cur);
	zdtm_check(sigismember(&cur, SIGUSR1) && sigismember(&cur, rtsig), "the mask was lost");
	zdtm_check(!sigismember(&cur, SIGUSR2) && !sigismember(&cur, SIGHUP),
		   "the mask gained signals");
	/* forwarded signals may trail SIGUSR2 a little: give them a second */
	for (int i = 0; i < 100; i++) {
		sigpending(&pend);
		if (sigismember(&pend, SIGUSR1) && sigismember(&pend, rtsig))
			break;
		usleep(10000);
	}
	zdtm_check(sigismember(&pend, SIGUSR1), "SIGUSR1 is not pending");
	zdtm_check(sigismember(&pend, rtsig), "signal %d is not pending", rtsig);
	zdtm_check(usr1 == 0 && rt == 0, "a blocked signal ran its handler");
	usleep(100000);
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	zdtm_check(usr1 == 1, "SIGUSR1 ran %d times when unblocked", (int)usr1);
	zdtm_check(rt == 2, "signal %d ran %d times when unblocked, expected 2", rtsig, (int)rt);

	memset(&sa, 0, sizeof(sa));
	sigaction(SIGHUP, NULL, &sa);
	zdtm_check(sa.sa_handler == on_hup && (sa.sa_flags & SA_RESTART) &&
			   sigismember(&sa.sa_mask, SIGINT),
		   "SIGHUP action changed: flags 0x%x", (unsigned)sa.sa_flags);
	sigaction(SIGINT, NULL, &sa);
	zdtm_check(sa.sa_handler == SIG_IGN, "SIGINT is no longer ignored");
	zdtm_check(raise(SIGINT) == 0, "raise SIGINT: %m");
	/* zdtm_raise checks that raise waits for the handler; here, only the mask */
	zdtm_check(raise(SIGHUP) == 0, "raise SIGHUP: %m");
	for (int i = 0; i < 100 && !hup; i++)
		usleep(10000);
	zdtm_check(hup == 1 && hup_mask_ok, "SIGHUP ran %d times, its mask %s", (int)hup,
		   hup_mask_ok ? "right" : "wrong");
	zdtm_check(kill(getpid(), SIGHUP) == 0, "kill SIGHUP: %m");
	for (int i = 0; i < 100 && hup < 2; i++)
		usleep(10000);
	zdtm_check(hup == 2, "kill(getpid(), SIGHUP) ran the handler %d times", (int)hup - 1);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	zdtm_check(!sigismember(&cur, SIGINT) && !sigismember(&cur, SIGHUP),
		   "the handler's mask stayed");
	return zdtm_done();
}
