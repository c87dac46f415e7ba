// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_nice: how the scheduler treats it. Made a niced batch job at home
 * (nice 7, SCHED_BATCH), it stays one: getpriority and
 * sched_getscheduler say so after the migration (zdtm.t reads the
 * guest's own /proc/PID/stat on the node too), and a nice value set
 * after it (12) reads back.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "zdtm.h"

int main(void)
{
	struct sched_param sp = { 0 };
	int nice;

	zdtm_init("zdtm_nice");
	if (sched_setscheduler(0, SCHED_BATCH, &sp) || setpriority(PRIO_PROCESS, 0, 7)) {
		printf("FAIL zdtm_nice: set up: %s\n", strerror(errno));
		return 1;
	}
	zdtm_ready();
	zdtm_wait();

	errno = 0;
	nice = getpriority(PRIO_PROCESS, 0);
	zdtm_check(nice == 7 && errno == 0, "nice %d, was 7", nice);
	zdtm_check(sched_getscheduler(0) == SCHED_BATCH, "policy %d, was SCHED_BATCH (%d)",
		   sched_getscheduler(0), SCHED_BATCH);
	zdtm_check(setpriority(PRIO_PROCESS, 0, 12) == 0, "setpriority 12: %s", strerror(errno));
	errno = 0;
	nice = getpriority(PRIO_PROCESS, 0);
	zdtm_check(nice == 12 && errno == 0, "nice %d after setting 12", nice);
	return zdtm_done();
}
