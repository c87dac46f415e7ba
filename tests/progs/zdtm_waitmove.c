// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_waitmove: waits that would last for ever, moved while they wait.
 * The kernel ends epoll_wait and semop with EINTR whenever the task stops,
 * the engine's own stop included; natively nothing but a stop signal does
 * that, so a move must not either.
 *
 * "blocking epoll wfd=N": epoll_wait() of an empty pipe with no timeout;
 * the test moves it (home and away again, so that the wait is home's own
 * when the process leaves), then writes "data" into the pipe through
 * /proc/PID/fd/N: the wait must return that, not EINTR. Then "blocking
 * epoll_pwait wfd=N", the same with epoll_pwait() and a NULL mask, and
 * "blocking read wfd=N", a read of the pipe (which the kernel restarts).
 * Each move home stops a call forwarded home and waiting there.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "zdtm.h"

static void wait_one(int ep, int rfd, int wfd, int pwait)
{
	struct epoll_event ev;
	char buf[16];
	int k;

	printf("blocking %s wfd=%d\n", pwait ? "epoll_pwait" : "epoll", wfd);
	errno = 0;
	k = pwait ? epoll_pwait(ep, &ev, 1, -1, NULL) : epoll_wait(ep, &ev, 1, -1);
	zdtm_check(k == 1, "%s moved while it waited returned %d (%m)",
		   pwait ? "epoll_pwait" : "epoll_wait", k);
	zdtm_check(read(rfd, buf, sizeof(buf)) == 4, "the data after %s",
		   pwait ? "epoll_pwait" : "epoll_wait");
}

int main(void)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int p[2], ep;

	zdtm_init("zdtm_waitmove");
	if (pipe(p) || (ep = epoll_create1(0)) < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev)) {
		printf("FAIL zdtm_waitmove: pipe or epoll: %s\n", strerror(errno));
		return 1;
	}
	zdtm_ready();
	zdtm_wait();
	wait_one(ep, p[0], p[1], 0);
	wait_one(ep, p[0], p[1], 1);
	{
		char buf[16] = "";
		ssize_t n;

		printf("blocking read wfd=%d\n", p[1]);
		errno = 0;
		n = read(p[0], buf, sizeof(buf) - 1);
		zdtm_check(n == 4 && !strcmp(buf, "data"),
			   "read moved while it waited returned %zd '%s' (%m)", n, buf);
	}
	close(ep);
	return zdtm_done();
}
