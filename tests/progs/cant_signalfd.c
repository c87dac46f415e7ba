// SPDX-License-Identifier: GPL-2.0-only
/*
 * cant_signalfd [SECONDS]: reads SIGUSR1 through a signalfd (mps:
 * "signalfd"). Prints "ready", then sleeps SECONDS (default 300).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned seconds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 300;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 || signalfd(-1, &set, SFD_CLOEXEC) < 0) {
		perror("cant_signalfd: signalfd");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	sleep(seconds);
	return 0;
}
