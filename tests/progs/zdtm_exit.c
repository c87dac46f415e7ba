// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_exit exit|abort|segv: how a migrated process ends, as its parent
 * sees it. The parent forks the child that the test migrates (it says
 * "ready pid=N"); after SIGUSR2 the child exits with 42, raises SIGABRT,
 * or stores through a bad pointer (a real fault, on the node). The parent
 * stays home, waits, and checks the status: exited 42, or killed by
 * SIGABRT or SIGSEGV, without a core (its core limit is 0, so that the
 * result does not depend on where it died).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zdtm.h"

static volatile uintptr_t bad_address = 8;

static int child(const char *how)
{
	zdtm_init("zdtm_exit child");
	printf("ready pid=%d\n", (int)getpid());
	zdtm_wait();
	printf("child: %s\n", how);
	fflush(stdout);
	if (strcmp(how, "abort") == 0) {
		raise(SIGABRT);
		/* delivery may trail raise (zdtm_raise checks that it does not) */
		for (int i = 0; i < 100; i++)
			usleep(10000);
	} else if (strcmp(how, "segv") == 0)
		*(volatile int *)bad_address = 1;
	else
		_exit(42);
	return 1;
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "exit";
	int want_sig = 0, status = 0;
	pid_t kid;

	if (strcmp(how, "abort") == 0)
		want_sig = SIGABRT;
	else if (strcmp(how, "segv") == 0)
		want_sig = SIGSEGV;
	else if (strcmp(how, "exit") != 0) {
		fprintf(stderr, "usage: zdtm_exit exit|abort|segv\n");
		return 2;
	}
	setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	fflush(stdout);
	kid = fork();
	if (kid < 0) {
		printf("FAIL zdtm_exit: fork: %s\n", strerror(errno));
		return 1;
	}
	if (kid == 0)
		_exit(child(how));

	zdtm_init("zdtm_exit");
	while (waitpid(kid, &status, 0) < 0 && errno == EINTR)
		;
	if (want_sig)
		zdtm_check(WIFSIGNALED(status) && WTERMSIG(status) == want_sig && !WCOREDUMP(status),
			   "%s: status %#x, expected signal %d without core", how, status, want_sig);
	else
		zdtm_check(WIFEXITED(status) && WEXITSTATUS(status) == 42,
			   "exit: status %#x, expected exit 42", status);
	return zdtm_done();
}
