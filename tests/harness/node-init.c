// SPDX-License-Identifier: GPL-2.0
/*
 * node-init - PID 1 of one test node's pid namespace.
 *
 * The cluster harness (tests/harness/cluster.sh) execs this as the last step
 * of a node's set-up, as the first process of a fresh pid namespace.  A pid
 * namespace's init must reap orphans (or they stay zombies until the node
 * dies) and decides when the node ends: when init exits, the kernel kills
 * every other process of the namespace.
 *
 * Behaviour:
 *   - reaps every child (orphans included) for as long as it runs;
 *   - on SIGTERM or SIGINT, sends SIGTERM to every process of the namespace,
 *     waits up to GRACE_MS for them to go, then exits (the kernel SIGKILLs
 *     whatever is left);
 *   - ignores every other signal it can.
 *
 * It refuses to run unless it is pid 1: kill(-1, ...) from anywhere else
 * would signal every process on the host.
 *
 * Usage: node-init [GRACE_MS]
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_GRACE_MS 1000

/*
 * Installed for the signals we wait for: a pid namespace's init drops
 * signals whose handler is SIG_DFL, so a real (never called) handler makes
 * sure they stay pending for sigtimedwait() even if the kernel's rules
 * change.
 */
static void noop_handler(int sig)
{
	(void)sig;
}

static void reap_all(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* kill(-1, 0) fails with ESRCH once no process but us is left. */
static bool others_left(void)
{
	return kill(-1, 0) == 0 || errno != ESRCH;
}

static long ms_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 +
	       (now.tv_nsec - start->tv_nsec) / 1000000;
}

/*
 * Ask everything in the namespace to stop, then give it grace_ms to do so.
 * Processes that entered the namespace with setns() are not our children,
 * so we poll kill(-1, 0) instead of relying on SIGCHLD alone.
 */
static void shutdown_namespace(const sigset_t *set, long grace_ms)
{
	struct timespec start;
	const struct timespec tick = { .tv_sec = 0, .tv_nsec = 10 * 1000000 };

	kill(-1, SIGTERM);
	kill(-1, SIGCONT); /* stopped processes cannot act on SIGTERM */
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		reap_all();
		if (!others_left() || ms_since(&start) >= grace_ms)
			break;
		sigtimedwait(set, NULL, &tick);
	}
	kill(-1, SIGKILL);
	reap_all();
}

int main(int argc, char **argv)
{
	long grace_ms = DEFAULT_GRACE_MS;
	struct sigaction sa;
	sigset_t set;

	if (getpid() != 1) {
		fprintf(stderr, "node-init: must be pid 1 of a pid namespace\n");
		return 2;
	}
	if (argc > 1) {
		char *end;

		grace_ms = strtol(argv[1], &end, 10);
		if (*end || grace_ms < 0) {
			fprintf(stderr, "node-init: bad grace '%s'\n", argv[1]);
			return 2;
		}
	}
	/* The harness may exec us through a path that hides our name. */
	prctl(PR_SET_NAME, "node-init", 0, 0, 0);
	/* Inherited descriptors would keep pipes of the harness open. */
	closefrom(3);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = noop_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	sigfillset(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);

	for (;;) {
		int sig = sigwaitinfo(&set, NULL);

		if (sig == SIGTERM || sig == SIGINT) {
			shutdown_namespace(&set, grace_ms);
			return 0;
		}
		reap_all();
	}
}
