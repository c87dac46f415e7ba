// SPDX-License-Identifier: GPL-2.0-only
/*
 * cant_cputimer [SECONDS]: a POSIX timer on its CPU-time clock, armed for
 * an hour of CPU (mps: "CPU-time timer"). Prints "ready", then sleeps
 * SECONDS (default 300), using no CPU.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned seconds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 300;
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	struct itimerspec its = { .it_value = { .tv_sec = 3600 } };
	timer_t t;

	if (timer_create(CLOCK_PROCESS_CPUTIME_ID, &sev, &t) < 0 ||
	    timer_settime(t, 0, &its, NULL) < 0) {
		perror("cant_cputimer: timer_create");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	sleep(seconds);
	return 0;
}
