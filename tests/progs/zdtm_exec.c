// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_exec: execve after the migration (the engine brings the process
 * home first, then it execs there). It execs itself through
 * /proc/self/exe as "zdtm_exec --execed PID", with ZDTM_EXEC=1 in the
 * environment; the new image checks that its pid is PID, that fd 7 (opened
 * before the migration, without close-on-exec) is open with its offset,
 * that fd 8 (close-on-exec) is closed, that the caught SIGUSR2 went back
 * to the default, and that SIGUSR1 is still blocked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zdtm.h"

static int execed(const char *pid)
{
	struct sigaction sa;
	sigset_t cur;
	char buf[16] = "";

	sigaction(SIGUSR2, NULL, &sa);
	zdtm_init("zdtm_exec");
	zdtm_check(sa.sa_handler == SIG_DFL, "SIGUSR2 is still caught");
	zdtm_check(getpid() == (pid_t)strtol(pid, NULL, 10), "pid %d after exec, was %s",
		   (int)getpid(), pid);
	zdtm_check(read(7, buf, sizeof(buf) - 1) == 4 && strcmp(buf, "kept") == 0,
		   "fd 7 reads '%s' (%m)", buf);
	zdtm_check(fcntl(8, F_GETFD) == -1 && errno == EBADF, "fd 8 survived exec");
	zdtm_check(getenv("ZDTM_EXEC") && strcmp(getenv("ZDTM_EXEC"), "1") == 0,
		   "ZDTM_EXEC is not 1");
	sigprocmask(SIG_BLOCK, NULL, &cur);
	zdtm_check(sigismember(&cur, SIGUSR1), "SIGUSR1 is no longer blocked");
	return zdtm_done();
}

int main(int argc, char **argv)
{
	char path[64], pid[16];
	char *args[] = { "zdtm_exec", "--execed", pid, NULL };
	char *env[] = { "ZDTM_EXEC=1", NULL };
	sigset_t usr1;
	int fd;

	if (argc > 2 && strcmp(argv[1], "--execed") == 0)
		return execed(argv[2]);
	zdtm_init("zdtm_exec");
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	snprintf(path, sizeof(path), "/tmp/zdtm_exec.%s", pid);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "skipkept", 8) != 8 || lseek(fd, 4, SEEK_SET) != 4 ||
	    dup2(fd, 7) != 7 || fcntl(fd, F_DUPFD_CLOEXEC, 8) != 8 || unlink(path)) {
		printf("FAIL zdtm_exec: set up %s: %s\n", path, strerror(errno));
		return 1;
	}
	close(fd);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);

	zdtm_ready();
	zdtm_wait();

	execve("/proc/self/exe", args, env);
	zdtm_check(0, "execve: %m");
	return zdtm_done();
}
