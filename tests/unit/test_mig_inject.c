// SPDX-License-Identifier: GPL-2.0-only
/*
 * System calls injected into a real child (engine/mig_inject) and the
 * signals that reach it meanwhile: they are noted, not delivered (a
 * standard signal once, as the kernel queues it; real-time ones each; a
 * SIGTRAP a user sent too, which is not the gadget's trap and must not
 * end the call early); inj_requeue() gives them back to the child with
 * their senders and codes, and its mask is its own again afterwards.
 * SIGKILL during a call is seen as the end of the process, with its
 * status, and the notes stop at INJ_PENDING_MAX, counted; SIGCONT and
 * the stop signals discard each other as in the kernel's queue.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/mig_inject.h"

/* What the child's handler saw, one record per delivery. */
struct seen {
	int sig, code, pid, value;
};

static int report_fd = -1;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	struct seen s = { sig, si->si_code, si->si_pid, si->si_value.sival_int };

	(void)uc;
	(void)!write(report_fd, &s, sizeof(s));
}

/* The child: handlers for the signals under test, then pause() for ever. */
static pid_t child(int *rfd, bool ign_trap)
{
	int p[2];
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sigaction sa;
		char ok = 1;

		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_sig;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
		report_fd = p[1];
		sigaction(SIGUSR1, &sa, NULL);
		sigaction(SIGRTMIN + 1, &sa, NULL);
		if (ign_trap)
			signal(SIGTRAP, SIG_IGN);
		else
			sigaction(SIGTRAP, &sa, NULL);
		(void)!write(p[1], &ok, 1);
		for (;;)
			pause();
	}
	close(p[1]);
	{
		char ok;

		assert_int_equal(read(p[0], &ok, 1), 1);
	}
	*rfd = p[0];
	return pid;
}

/* A process that waits @ms, then runs @fn on @pid, and exits. */
static pid_t later(int ms, void (*fn)(pid_t), pid_t pid)
{
	pid_t s = fork();

	assert_true(s >= 0);
	if (s == 0) {
		struct timespec ts = { 0, ms * 1000000L };

		nanosleep(&ts, NULL);
		fn(pid);
		_exit(0);
	}
	return s;
}

static void send_mix(pid_t pid)
{
	union sigval v = { .sival_int = 7 };

	for (int i = 0; i < 3; i++)
		kill(pid, SIGUSR1);
	sigqueue(pid, SIGRTMIN + 1, v);
	sigqueue(pid, SIGRTMIN + 1, v);
	kill(pid, SIGTRAP);
}

static void send_kill(pid_t pid)
{
	kill(pid, SIGKILL);
}

static void send_many(pid_t pid)
{
	union sigval v = { .sival_int = 1 };

	for (int i = 0; i < INJ_PENDING_MAX + 6; i++)
		sigqueue(pid, SIGRTMIN + 1, v);
}

/* @fd has something within 2 s (a lost signal must not hang the test) */
static int readable(int fd)
{
	struct pollfd pf = { fd, POLLIN, 0 };

	return poll(&pf, 1, 2000) == 1;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* nanosleep(@ms) injected into the child; its return value */
static long inject_sleep(struct inj *j, int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	assert_int_equal(inj_put(j, j->scratch + 64, &ts, sizeof(ts)), 0);
	return inj_call(j, SYS_nanosleep, (long)(j->scratch + 64), 0, 0, 0, 0, 0);
}

static void reap(pid_t pid)
{
	int st;

	kill(pid, SIGKILL);
	waitpid(pid, &st, __WALL);
}

static void test_noted_then_requeued(void **state)
{
	struct inj j;
	struct seen s[8];
	int rfd, n = 0, usr1 = 0, rt = 0, trap = 0, st;
	pid_t pid = child(&rfd, false), sender;
	double t0;
	long r;

	(void)state;
	assert_int_equal(inj_seize(pid), 0);
	assert_int_equal(inj_setup(&j, pid, 8192), 0);
	sender = later(50, send_mix, pid);
	t0 = now_s();
	r = inject_sleep(&j, 400);
	/* a user's SIGTRAP is a signal, not the end of the call */
	assert_int_equal(r, 0);
	assert_true(now_s() - t0 > 0.35);
	waitpid(sender, &st, 0);
	assert_int_equal(j.npending, 4);
	assert_int_equal(j.lost, 0);
	for (int i = 0; i < j.npending; i++)
		assert_int_equal(j.pending_info[i].si_pid, sender);
	assert_int_equal(inj_requeue(&j), 0);
	assert_int_equal(inj_teardown(&j), 0);
	assert_int_equal(ptrace(PTRACE_DETACH, pid, 0, 0), 0);
	inj_send_after(&j);
	while (n < 4 && readable(rfd) && read(rfd, &s[n], sizeof(s[0])) == sizeof(s[0]))
		n++;
	for (int i = 0; i < n; i++)
		print_message("# seen: signal %d code %d pid %d value %d\n", s[i].sig, s[i].code,
			      s[i].pid, s[i].value);
	assert_int_equal(n, 4);
	for (int i = 0; i < n; i++) {
		/* SIGTRAP comes back from us, once detached (mig_inject.h) */
		assert_int_equal(s[i].pid, s[i].sig == SIGTRAP ? getpid() : sender);
		if (s[i].sig == SIGUSR1 && s[i].code == SI_USER)
			usr1++;
		if (s[i].sig == SIGRTMIN + 1 && s[i].code == SI_QUEUE && s[i].value == 7)
			rt++;
		if (s[i].sig == SIGTRAP && s[i].code == SI_USER)
			trap++;
	}
	assert_int_equal(usr1, 1);
	assert_int_equal(rt, 2);
	assert_int_equal(trap, 1);
	/* its mask is its own again: a new signal is delivered */
	kill(pid, SIGUSR1);
	assert_true(readable(rfd));
	assert_int_equal(read(rfd, &s[0], sizeof(s[0])), sizeof(s[0]));
	assert_int_equal(s[0].sig, SIGUSR1);
	assert_int_equal(s[0].pid, getpid());
	close(rfd);
	reap(pid);
}

/* A field of /proc/PID/status, as a hex mask */
static uint64_t status_mask(pid_t pid, const char *field)
{
	char path[64], line[256];
	unsigned long long v = 0;
	size_t n = strlen(field);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':')
			v = strtoull(line + n + 1, NULL, 16);
	fclose(f);
	return v;
}

/*
 * A process that blocks SIGTRAP keeps its handler and its mask: the
 * kernel would reset the handler to force the gadget's trap through.
 */
static void test_blocked_trap_kept(void **state)
{
	uint64_t trap = 1ull << (SIGTRAP - 1), mask = trap;
	struct inj j;
	int rfd;
	pid_t pid = child(&rfd, false);

	(void)state;
	assert_int_equal(inj_seize(pid), 0);
	assert_int_equal(ptrace(PTRACE_SETSIGMASK, pid, sizeof(mask), &mask), 0);
	assert_int_equal(inj_setup(&j, pid, 8192), 0);
	assert_int_equal(inj_call(&j, SYS_getpid, 0, 0, 0, 0, 0, 0), pid);
	assert_int_equal(inject_sleep(&j, 10), 0);
	assert_int_equal(inj_teardown(&j), 0);
	assert_int_equal(ptrace(PTRACE_DETACH, pid, 0, 0), 0);
	assert_true(status_mask(pid, "SigCgt") & trap);
	assert_true(status_mask(pid, "SigBlk") & trap);
	close(rfd);
	reap(pid);
}

/* A process that ignores SIGTRAP still does afterwards (the kernel makes
 * it SIG_DFL to force the gadget's trap through). */
static void test_ignored_trap_kept(void **state)
{
	uint64_t trap = 1ull << (SIGTRAP - 1);
	struct inj j;
	int rfd;
	pid_t pid = child(&rfd, true);

	(void)state;
	assert_true(status_mask(pid, "SigIgn") & trap);
	assert_int_equal(inj_seize(pid), 0);
	assert_int_equal(inj_setup(&j, pid, 8192), 0);
	assert_true(j.trap_ign);
	assert_int_equal(inj_call(&j, SYS_getpid, 0, 0, 0, 0, 0, 0), pid);
	assert_int_equal(inj_teardown(&j), 0);
	assert_int_equal(ptrace(PTRACE_DETACH, pid, 0, 0), 0);
	assert_true(status_mask(pid, "SigIgn") & trap);
	close(rfd);
	reap(pid);
}

static void test_killed_during_call(void **state)
{
	struct inj j;
	int rfd, st;
	pid_t pid = child(&rfd, false), killer;

	(void)state;
	assert_int_equal(inj_seize(pid), 0);
	assert_int_equal(inj_setup(&j, pid, 8192), 0);
	killer = later(50, send_kill, pid);
	assert_int_equal(inject_sleep(&j, 5000), -ESRCH);
	waitpid(killer, &st, 0);
	assert_true(j.dead);
	assert_true(WIFSIGNALED(j.status));
	assert_int_equal(WTERMSIG(j.status), SIGKILL);
	/* reaped by the injection's wait: nothing left for anyone else */
	assert_int_equal(waitpid(pid, &st, __WALL | WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(inj_call(&j, SYS_getpid, 0, 0, 0, 0, 0, 0), -ESRCH);
	close(rfd);
}

static void test_overflow_counted(void **state)
{
	struct inj j;
	int rfd, st;
	pid_t pid = child(&rfd, false), sender;

	(void)state;
	assert_int_equal(inj_seize(pid), 0);
	assert_int_equal(inj_setup(&j, pid, 8192), 0);
	sender = later(50, send_many, pid);
	assert_int_equal(inject_sleep(&j, 600), 0);
	waitpid(sender, &st, 0);
	assert_int_equal(j.npending, INJ_PENDING_MAX);
	assert_int_equal(j.lost, 6);
	close(rfd);
	reap(pid);
}

/* Noting follows the kernel's queue: SIGCONT and stops discard each
 * other, a standard signal is noted once, 32 and up each time. */
static void test_noting_rules(void **state)
{
	siginfo_t si = { 0 };
	struct inj j;

	(void)state;
	memset(&j, 0, sizeof(j));
	inj_add_pending(&j, SIGUSR1, &si);
	inj_add_pending(&j, SIGTSTP, &si);
	inj_add_pending(&j, SIGCONT, &si);
	assert_int_equal(j.npending, 2);
	assert_int_equal(j.pending[0], SIGUSR1);
	assert_int_equal(j.pending[1], SIGCONT);
	inj_add_pending(&j, SIGSTOP, &si);
	assert_int_equal(j.npending, 2);
	assert_int_equal(j.pending[1], SIGSTOP);
	inj_add_pending(&j, SIGUSR1, &si);
	inj_add_pending(&j, 32, &si);
	inj_add_pending(&j, 32, &si);
	assert_int_equal(j.npending, 4);
	assert_int_equal(j.pending[3], 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_noting_rules),
		cmocka_unit_test(test_noted_then_requeued),
		cmocka_unit_test(test_blocked_trap_kept),
		cmocka_unit_test(test_ignored_trap_kept),
		cmocka_unit_test(test_killed_during_call),
		cmocka_unit_test(test_overflow_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
