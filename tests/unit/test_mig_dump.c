// SPDX-License-Identifier: GPL-2.0-only
/*
 * What keeps a stopped process home that /proc does not show
 * (mig_dump_cant), asked of real children stopped as the deputy stops
 * them: none for a plain child, a CPU-time interval timer (ITIMER_VIRTUAL,
 * ITIMER_PROF) armed, an I/O permission bitmap (ioperm, where the test may
 * have one), and nothing left behind: the child's registers are its own
 * again and it runs on.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <sys/ptrace.h>
#include <sys/time.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/mig_dump.h"

#define SCRATCH 4096

/* A child that runs @setup, says whether it could, then pauses for ever. */
static pid_t spawn(int (*setup)(void))
{
	int p[2];
	char ok;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		ok = setup() == 0;
		(void)!write(p[1], &ok, 1);
		for (;;)
			pause();
	}
	close(p[1]);
	assert_int_equal(read(p[0], &ok, 1), 1);
	close(p[0]);
	if (!ok) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return 0;
	}
	return pid;
}

static int nothing(void)
{
	return 0;
}

/* armed far ahead: it must not fire during the test */
static int itimer(int which)
{
	struct itimerval v = { { 0, 0 }, { 3600, 0 } };

	return setitimer(which, &v, NULL);
}

static int virtual_timer(void)
{
	return itimer(ITIMER_VIRTUAL);
}

static int prof_timer(void)
{
	return itimer(ITIMER_PROF);
}

/* a real-time timer counts wall time, which goes on anywhere: it moves */
static int real_timer(void)
{
	return itimer(ITIMER_REAL);
}

static int port_bitmap(void)
{
	return ioperm(0x80, 1, 1);
}

/* Stop @pid as the deputy does, ask, then put it back and let it go. */
static enum mig_cant ask(pid_t pid)
{
	struct user_regs_struct before, after;
	enum mig_cant why = MIG_CANT_NR;
	struct inj j;
	int st;

	assert_int_equal(ptrace(PTRACE_SEIZE, pid, 0, 0), 0);
	assert_int_equal(ptrace(PTRACE_INTERRUPT, pid, 0, 0), 0);
	assert_int_equal(waitpid(pid, &st, __WALL), pid);
	assert_int_equal(ptrace(PTRACE_GETREGS, pid, 0, &before), 0);
	assert_int_equal(inj_setup(&j, pid, SCRATCH), 0);
	assert_int_equal(mig_dump_cant(&j, &why), 0);
	assert_int_equal(inj_teardown(&j), 0);
	assert_int_equal(ptrace(PTRACE_GETREGS, pid, 0, &after), 0);
	assert_memory_equal(&before, &after, sizeof(before));
	assert_int_equal(ptrace(PTRACE_DETACH, pid, 0, 0), 0);
	/* it runs on: a signal is still taken */
	assert_int_equal(kill(pid, 0), 0);
	return why;
}

static void expect(int (*setup)(void), enum mig_cant want, const char *what)
{
	pid_t pid = spawn(setup);
	enum mig_cant got;
	int st;

	if (!pid) {
		print_message("# skipped: %s is not allowed here\n", what);
		return;
	}
	got = ask(pid);
	if (got != want)
		print_message("# %s: got '%s', expected '%s'\n", what, mig_cant_str(got),
			      mig_cant_str(want));
	assert_int_equal(got, want);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

static void test_reasons(void **state)
{
	(void)state;
	expect(nothing, MIG_CAN, "a plain child");
	expect(real_timer, MIG_CAN, "ITIMER_REAL");
	expect(virtual_timer, MIG_CANT_CPU_TIMER, "ITIMER_VIRTUAL");
	expect(prof_timer, MIG_CANT_CPU_TIMER, "ITIMER_PROF");
	expect(port_bitmap, MIG_CANT_IOPORT, "ioperm");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reasons),
	};

	return cmocka_run_group_tests_name("mig_dump", tests, NULL, NULL);
}
