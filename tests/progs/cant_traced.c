// SPDX-License-Identifier: GPL-2.0-only
/*
 * cant_traced [SECONDS]: a child that this process traces with
 * PTRACE_SEIZE, as a debugger would (mps on the child: "being traced").
 * Prints "ready CHILD-PID", then sleeps SECONDS (default 300); the child
 * dies with it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned seconds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 300;
	pid_t pid;

	pid = fork();
	if (pid < 0) {
		perror("cant_traced: fork");
		return 1;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) < 0) {
		perror("cant_traced: ptrace");
		kill(pid, SIGKILL);
		return 1;
	}
	printf("ready %d\n", (int)pid);
	fflush(stdout);
	sleep(seconds);
	kill(pid, SIGKILL);
	return 0;
}
