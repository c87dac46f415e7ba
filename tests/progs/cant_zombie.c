// SPDX-License-Identifier: GPL-2.0-only
/*
 * cant_zombie [SECONDS]: a child that exits at once and is never reaped
 * (mps on the child: "zombie"). Prints "ready CHILD-PID" once the child
 * is dead, then sleeps SECONDS (default 300); the zombie goes with it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned seconds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 300;
	siginfo_t si;
	pid_t pid;

	pid = fork();
	if (pid < 0) {
		perror("cant_zombie: fork");
		return 1;
	}
	if (pid == 0)
		_exit(0);
	/* wait for the death without reaping */
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0) {
		perror("cant_zombie: waitid");
		return 1;
	}
	printf("ready %d\n", (int)pid);
	fflush(stdout);
	sleep(seconds);
	return 0;
}
