// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_ppid: getppid follows a reparenting at home. The top process is a
 * child subreaper; its child (the middle) forks the process under test,
 * which says "ready pid=N". After SIGUSR2 (on the node, if it moved) the
 * process kills the middle one: at home it is reparented to the top, and
 * its getppid must say so soon (a child polling getppid to learn that its
 * parent died is a common idiom), as /proc/self/stat, read at home, does.
 * The top reaps both and exits with the process's status.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "zdtm.h"

/* The parent /proc/self/stat names (read at home when away). */
static pid_t stat_ppid(void)
{
	char buf[512], *p;
	FILE *f = fopen("/proc/self/stat", "re");
	int ppid = -1;

	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) != NULL)
		sscanf(p + 1, " %*c %d", &ppid);
	fclose(f);
	return ppid;
}

static int tested(pid_t top)
{
	pid_t middle = getppid(), now;
	long long t0, waited;

	zdtm_init("zdtm_ppid");
	printf("ready pid=%d\n", (int)getpid());
	zdtm_wait();
	t0 = zdtm_now();
	kill(middle, SIGKILL);
	while ((now = getppid()) == middle && zdtm_now() - t0 < 3000000000LL) {
		struct timespec ts = { 0, 1000000 };

		nanosleep(&ts, NULL);
	}
	waited = (zdtm_now() - t0) / 1000000;
	printf("getppid changed after %lld ms\n", waited);
	zdtm_check(now == top, "getppid %d after %lld ms, not the subreaper %d", (int)now, waited,
		   (int)top);
	zdtm_check(waited < 500, "getppid took %lld ms to change", waited);
	zdtm_check(stat_ppid() == top, "/proc/self/stat says parent %d, not %d", (int)stat_ppid(),
		   (int)top);
	return zdtm_done();
}

int main(void)
{
	pid_t top = getpid(), middle, w;
	int st = 0, ret = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1)) {
		printf("FAIL zdtm_ppid: PR_SET_CHILD_SUBREAPER: %s\n", strerror(errno));
		return 1;
	}
	middle = fork();
	if (middle == 0) {
		if (fork() == 0)
			_exit(tested(top));
		for (;;)
			pause();
	}
	if (middle < 0)
		return 1;
	/* the middle one (killed), then the tested one, reparented to us */
	while ((w = wait(&st)) > 0 || (w < 0 && errno == EINTR))
		if (w > 0 && w != middle)
			ret = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return ret;
}
