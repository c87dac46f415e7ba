/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * zdtm.h: the frame of the zdtm_* programs, a migration suite in the spirit
 * of CRIU's ZDTM, run by tests/integration/zdtm.t.
 *
 * A program sets up one kind of state, says "ready" on stdout, and waits
 * for SIGUSR2, which the test sends after migrating it (or without
 * migrating it: the baseline run). It then checks that the state survived
 * and prints "PASS name" or "FAIL name: what; what" and exits 0 or 1. The
 * checks are the same whether or not the program moved.
 *
 *   zdtm_init(name)       line-buffered stdout, the SIGUSR2 handler
 *   zdtm_ready()          "ready" (programs that tell the test more print
 *                         "ready DETAILS" themselves)
 *   zdtm_wait()           sleep (locally) until SIGUSR2, at most 60 s
 *   zdtm_check(ok, fmt, ...)  note a failure unless ok
 *   zdtm_done()           the verdict line; the exit status
 *   zdtm_go               set by the SIGUSR2 handler, for own wait loops
 */
#ifndef ZDTM_H
#define ZDTM_H

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *zdtm_name = "zdtm";
static volatile sig_atomic_t zdtm_go;
static char zdtm_why[1024];
static int zdtm_failed;

static inline void zdtm_on_usr2(int sig)
{
	(void)sig;
	zdtm_go = 1;
}

static inline void zdtm_init(const char *name)
{
	struct sigaction sa;

	zdtm_name = name;
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = zdtm_on_usr2;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);
}

__attribute__((format(printf, 2, 3)))
static inline void zdtm_check(int ok, const char *fmt, ...)
{
	size_t len = strlen(zdtm_why);
	va_list ap;

	if (ok)
		return;
	if (zdtm_failed++ && len + 2 < sizeof(zdtm_why)) {
		memcpy(zdtm_why + len, "; ", 3);
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(zdtm_why + len, sizeof(zdtm_why) - len, fmt, ap);
	va_end(ap);
}

static inline void zdtm_ready(void)
{
	fputs("ready\n", stdout);
	fflush(stdout);
}

/* nanosleep is local on the node: the wait itself forwards nothing */
static inline void zdtm_wait(void)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	for (int i = 0; !zdtm_go && i < 6000; i++)
		nanosleep(&tick, NULL);
	zdtm_check(zdtm_go, "no SIGUSR2 within 60 s");
}

static inline int zdtm_done(void)
{
	if (zdtm_failed)
		printf("FAIL %s: %s\n", zdtm_name, zdtm_why);
	else
		printf("PASS %s\n", zdtm_name);
	fflush(stdout);
	return zdtm_failed ? 1 : 0;
}

/* monotonic nanoseconds */
static inline long long zdtm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#endif
