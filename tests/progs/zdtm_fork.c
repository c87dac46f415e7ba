// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_fork: fork after the migration (the engine brings the process home
 * first, then it forks there natively). The child sees the parent's pid
 * as its parent and the parent's memory, writes through a pipe made
 * before the migration and exits 7; a second child dies of SIGTERM. The
 * parent reaps both with the right statuses and keeps its own pid.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zdtm.h"

int main(void)
{
	pid_t self = getpid(), kid, kid2;
	int p[2], status = 0;
	char *heap, buf[64];
	ssize_t n;

	zdtm_init("zdtm_fork");
	heap = malloc(4096);
	if (!heap || pipe(p)) {
		printf("FAIL zdtm_fork: set up: %s\n", strerror(errno));
		return 1;
	}
	snprintf(heap, 4096, "made before the migration");

	zdtm_ready();
	zdtm_wait();

	kid = fork();
	if (kid == 0) {
		int len = snprintf(buf, sizeof(buf), "%d %s", (int)getppid(), heap);

		_exit(write(p[1], buf, (size_t)len) == len ? 7 : 1);
	}
	zdtm_check(kid > 0, "fork: %m");
	zdtm_check(getpid() == self, "pid %d after fork, was %d", (int)getpid(), (int)self);
	zdtm_check(waitpid(kid, &status, 0) == kid && WIFEXITED(status) &&
			   WEXITSTATUS(status) == 7,
		   "first child: status %#x, expected exit 7", status);
	memset(buf, 0, sizeof(buf));
	n = read(p[0], buf, sizeof(buf) - 1);
	snprintf(heap + 100, 100, "%d made before the migration", (int)self);
	zdtm_check(n > 0 && strcmp(buf, heap + 100) == 0, "the child wrote '%s', expected '%s'",
		   buf, heap + 100);

	kid2 = fork();
	if (kid2 == 0)
		_exit(raise(SIGTERM) == 0 ? 1 : 2);
	zdtm_check(kid2 > 0 && kid2 != kid, "second fork: %d (%m)", (int)kid2);
	status = 0;
	zdtm_check(waitpid(kid2, &status, 0) == kid2 && WIFSIGNALED(status) &&
			   WTERMSIG(status) == SIGTERM,
		   "second child: status %#x, expected SIGTERM", status);
	zdtm_check(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD, "a third child exists");
	return zdtm_done();
}
