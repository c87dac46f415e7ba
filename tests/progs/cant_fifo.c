// SPDX-License-Identifier: GPL-2.0-only
/*
 * cant_fifo [SECONDS]: runs SCHED_FIFO, priority 1 (mps: "real-time
 * scheduling"); needs root. Prints "ready", then sleeps SECONDS (default
 * 300): it never competes for the CPU.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned seconds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 300;
	struct sched_param sp = { .sched_priority = 1 };

	if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0) {
		perror("cant_fifo: sched_setscheduler");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	sleep(seconds);
	return 0;
}
