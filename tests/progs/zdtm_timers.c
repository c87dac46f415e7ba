// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_timers: time across the migration. An ITIMER_REAL of 300 ms set
 * before keeps firing after (its SIGALRMs come from home) at that period;
 * getitimer still reports it. CLOCK_MONOTONIC, read in a loop across the
 * migration, never goes backwards nor jumps ahead. After it, alarm(1),
 * nanosleep and an absolute clock_nanosleep last as long as they should.
 */
#include <stdio.h>
#include <sys/time.h>
#include <unistd.h>

#include "zdtm.h"

#define MS 1000000LL
#define NTICK 256

static volatile sig_atomic_t ticks;
static long long tick_at[NTICK];

static void on_alrm(int sig)
{
	(void)sig;
	if (ticks < NTICK)
		tick_at[ticks] = zdtm_now();
	ticks++;
}

/* spin until COUNT more SIGALRMs, at most LIMIT ns; the time it took */
static long long await_ticks(int count, long long limit)
{
	long long t0 = zdtm_now();
	int want = ticks + count;

	while (ticks < want && zdtm_now() - t0 < limit)
		;
	return zdtm_now() - t0;
}

/* the mean interval of the last 3 SIGALRMs, -1 if fewer came */
static long long period(void)
{
	int n = ticks < NTICK ? ticks : NTICK;

	/* cppcheck does not see the handler change ticks */
	// cppcheck-suppress knownConditionTrueFalse
	return n >= 3 ? (tick_at[n - 1] - tick_at[n - 3]) / 2 : -1;
}

int main(void)
{
	struct itimerval it = { { 0, 300000 }, { 0, 300000 } }, cur;
	long long last, now, gap = 0, t0, dt;
	struct sigaction sa = { .sa_handler = on_alrm, .sa_flags = SA_RESTART };
	struct timespec ts, rt;
	int back = 0;

	zdtm_init("zdtm_timers");
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);

	zdtm_ready();
	last = t0 = zdtm_now();
	while (!zdtm_go && last - t0 < 60000 * MS) {
		now = zdtm_now();
		back += now < last;
		gap = now - last > gap ? now - last : gap;
		last = now;
	}
	zdtm_check(zdtm_go, "no SIGUSR2 within 60 s");
	zdtm_check(back == 0, "CLOCK_MONOTONIC went backwards %d times", back);
	zdtm_check(gap < 10000 * MS, "CLOCK_MONOTONIC jumped %lld ms", gap / MS);

	dt = await_ticks(3, 5000 * MS);
	zdtm_check(dt < 5000 * MS, "3 SIGALRMs took %lld ms", dt / MS);
	dt = period();
	zdtm_check(dt > 150 * MS && dt < 1000 * MS, "SIGALRM period %lld ms, set 300", dt / MS);
	zdtm_check(getitimer(ITIMER_REAL, &cur) == 0 && cur.it_interval.tv_sec == 0 &&
			   cur.it_interval.tv_usec == 300000 && cur.it_value.tv_usec <= 300000,
		   "getitimer: interval %ld us", (long)cur.it_interval.tv_usec);
	it = (struct itimerval){ 0 };
	zdtm_check(setitimer(ITIMER_REAL, &it, NULL) == 0, "setitimer off: %m");
	/* a SIGALRM on its way from home may still come */
	nanosleep(&(struct timespec){ 0, 100 * MS }, NULL);
	dt = await_ticks(1, 600 * MS);
	zdtm_check(dt >= 600 * MS, "SIGALRM after the timer was stopped");

	zdtm_check(alarm(1) == 0, "alarm found a timer set");
	dt = await_ticks(1, 4000 * MS);
	zdtm_check(dt > 950 * MS && dt < 3000 * MS, "alarm(1) fired after %lld ms", dt / MS);

	ts = (struct timespec){ 0, 200 * MS };
	t0 = zdtm_now();
	zdtm_check(nanosleep(&ts, NULL) == 0, "nanosleep: %m");
	dt = zdtm_now() - t0;
	zdtm_check(dt >= 200 * MS && dt < 1500 * MS, "nanosleep(200 ms) took %lld ms", dt / MS);

	t0 = zdtm_now() + 150 * MS;
	ts = (struct timespec){ t0 / 1000000000, t0 % 1000000000 };
	zdtm_check(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == 0,
		   "clock_nanosleep failed");
	dt = zdtm_now() - t0;
	zdtm_check(dt >= 0 && dt < 1000 * MS, "clock_nanosleep woke %lld ms after its time",
		   dt / MS);

	clock_gettime(CLOCK_REALTIME, &rt);
	now = time(NULL);
	zdtm_check(now - rt.tv_sec <= 1 && rt.tv_sec - now <= 1, "time() %lld, CLOCK_REALTIME %lld",
		   now, (long long)rt.tv_sec);
	return zdtm_done();
}
