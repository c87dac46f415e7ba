// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_sigchld: the children a process had at home when it moved are
 * treated as the SIGCHLD disposition it sets afterwards says. Two
 * children, forked before "ready", wait at home on pipes. After SIGUSR2
 * (on the node, if it moved) the parent ignores SIGCHLD and lets the first
 * one exit: the kernel reaps it, so waitpid gets ECHILD. It then sets a
 * counting handler with SA_NOCLDSTOP and lets the second one stop itself:
 * no SIGCHLD for the stop; killed, the child is a zombie the parent reaps,
 * and one SIGCHLD came.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "zdtm.h"

static volatile sig_atomic_t nchld;

static void on_chld(int sig)
{
	(void)sig;
	nchld++;
}

/*
 * A child that waits at home for EOF on its pipe @p, then exits or stops;
 * it closes the other pipe @q, whose end it must not hold open.
 */
static pid_t child(int p[2], int q[2], int stop)
{
	pid_t pid = fork();
	char c;

	if (pid != 0)
		return pid;
	close(p[1]);
	close(q[0]);
	close(q[1]);
	while (read(p[0], &c, 1) > 0)
		;
	if (!stop)
		_exit(0);
	kill(getpid(), SIGSTOP);
	for (;;)
		pause();
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

int main(void)
{
	struct sigaction sa;
	int p1[2], p2[2], st = 0;
	pid_t c1, c2, w;
	siginfo_t si;

	zdtm_init("zdtm_sigchld");
	if (pipe(p1) || pipe(p2)) {
		printf("FAIL zdtm_sigchld: pipe: %s\n", strerror(errno));
		return 1;
	}
	c1 = child(p1, p2, 0);
	c2 = child(p2, p1, 1);
	if (c1 < 0 || c2 < 0) {
		printf("FAIL zdtm_sigchld: fork: %s\n", strerror(errno));
		return 1;
	}
	close(p1[0]);
	close(p2[0]);
	zdtm_ready();
	zdtm_wait();

	/* ignored: the first child is reaped by the kernel */
	signal(SIGCHLD, SIG_IGN);
	close(p1[1]);
	errno = 0;
	w = waitpid(c1, &st, 0);
	zdtm_check(w < 0 && errno == ECHILD, "SIG_IGN: waitpid got %d (status %#x, %s), not ECHILD",
		   (int)w, st, strerror(errno));

	/* a handler with SA_NOCLDSTOP: a stop is not told, an end is */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_chld;
	sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	close(p2[1]);
	memset(&si, 0, sizeof(si));
	w = waitid(P_PID, (id_t)c2, &si, WSTOPPED) ? -1 : si.si_pid;
	zdtm_check(w == c2 && si.si_code == CLD_STOPPED, "the second child did not stop: %s",
		   strerror(errno));
	msleep(200);
	zdtm_check(nchld == 0, "SA_NOCLDSTOP: %d SIGCHLD for a stop", (int)nchld);
	kill(c2, SIGKILL);
	w = waitpid(c2, &st, 0);
	zdtm_check(w == c2 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		   "the second child: waitpid got %d (status %#x, %s)", (int)w, st,
		   w < 0 ? strerror(errno) : "");
	for (int i = 0; i < 100 && nchld == 0; i++)
		msleep(10);
	msleep(100);
	zdtm_check(nchld == 1, "%d SIGCHLD for the second child's end, not 1", (int)nchld);
	return zdtm_done();
}
