// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_cputimer: timers on the process's own CPU time, armed after the
 * migration. An ITIMER_VIRTUAL, an ITIMER_PROF and a POSIX timer on
 * CLOCK_PROCESS_CPUTIME_ID, each of 100 ms, fire while the process spins
 * (within 5 s of wall time each). Away, such a timer would count the home
 * task's CPU time, which does not run: the process comes home to arm it.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "zdtm.h"

#define MS 1000000LL

static volatile sig_atomic_t fired;

static void on_timer(int sig)
{
	(void)sig;
	fired++;
}

/* spin until a timer fires, at most 5 s; whether it did */
static int spin(void)
{
	long long t0 = zdtm_now();
	volatile unsigned long x = 0;

	while (!fired && zdtm_now() - t0 < 5000 * MS)
		for (int i = 0; i < 100000; i++)
			x += (unsigned long)i;
	return fired != 0;
}

static void itimer(int which, const char *name)
{
	struct itimerval v = { { 0, 0 }, { 0, 100 * 1000 } };
	struct itimerval off = { { 0, 0 }, { 0, 0 } };

	fired = 0;
	zdtm_check(setitimer(which, &v, NULL) == 0, "setitimer(%s) failed", name);
	zdtm_check(spin(), "%s of 100 ms did not fire in 5 s of spinning", name);
	setitimer(which, &off, NULL);
}

int main(void)
{
	struct sigaction sa;
	struct sigevent ev;
	struct itimerspec its;
	timer_t t;

	zdtm_init("zdtm_cputimer");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_timer;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGVTALRM, &sa, NULL);
	sigaction(SIGPROF, &sa, NULL);
	sigaction(SIGRTMIN, &sa, NULL);
	zdtm_ready();
	zdtm_wait();

	itimer(ITIMER_VIRTUAL, "ITIMER_VIRTUAL");
	itimer(ITIMER_PROF, "ITIMER_PROF");

	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGRTMIN;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_nsec = 100 * MS;
	fired = 0;
	if (timer_create(CLOCK_PROCESS_CPUTIME_ID, &ev, &t) == 0) {
		zdtm_check(timer_settime(t, 0, &its, NULL) == 0, "timer_settime failed");
		zdtm_check(spin(), "a CPU-time POSIX timer of 100 ms did not fire in 5 s");
		timer_delete(t);
	} else {
		zdtm_check(0, "timer_create(CLOCK_PROCESS_CPUTIME_ID) failed");
	}
	return zdtm_done();
}
