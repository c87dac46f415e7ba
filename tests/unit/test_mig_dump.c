// SPDX-License-Identifier: GPL-2.0-only
/*
 * What keeps a stopped process home that /proc does not show
 * (mig_dump_cant), asked of real children stopped as the deputy stops
 * them: none for a plain child, a CPU-time interval timer (ITIMER_VIRTUAL,
 * ITIMER_PROF) armed, an I/O permission bitmap (ioperm, where the test may
 * have one), and nothing left behind: the child's registers are its own
 * again and it runs on.
 *
 * And the pagemap's bits kept by mig_dump_vmas (mig_pagebits): the page
 * counts they give, of anonymous memory and of a file's with and without
 * the node's copy, are those pagemap gives when read again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
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

/* the VMA of @v (@n of them) that starts at @p */
static struct mig_vma *vma_at(struct mig_vma *v, uint32_t n, const void *p)
{
	for (uint32_t i = 0; i < n; i++)
		if (v[i].start == (uintptr_t)p)
			return &v[i];
	fail_msg("no VMA at %p", p);
	return NULL;
}

static void test_pagebits(void **state)
{
	char path[] = "/tmp/mosix-test-dump.XXXXXX", page[4096];
	struct mig_pagebits pb = { 0 };
	struct mig_vma *v[2] = { NULL, NULL };
	struct mig_task *t = calloc(2, sizeof(*t));
	struct mig_excl ex[2];
	uint32_t n[2];
	uint8_t *base, *anon, *file;
	int fd;

	(void)state;
	assert_non_null(t);
	/* both mappings in one reserved range, the rest of the address
	 * space excluded (a sanitiser's shadow is too large to scan) */
	base = mmap(NULL, 80 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(base != MAP_FAILED);
	anon = mmap(base, 64 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
		    MAP_FIXED, -1, 0);
	assert_true(anon == base);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	memset(page, 'f', sizeof(page));
	assert_int_equal(write(fd, page, sizeof(page)), sizeof(page));
	assert_int_equal(write(fd, page, sizeof(page)), sizeof(page));
	file = mmap(base + 70 * 4096, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED,
		    fd, 0);
	assert_true(file == base + 70 * 4096);
	for (int k = 0; k < 64; k++)
		if (k == 0 || k == 5 || k == 6 || k == 63)
			anon[k * 4096] = 1;
	assert_int_equal(file[0], 'f');	/* read: the file's page */
	file[4096 + 7] = 'x';		/* written: a copy of its own */
	ex[0] = (struct mig_excl){ 0, (uintptr_t)base };
	ex[1] = (struct mig_excl){ (uintptr_t)base + 80 * 4096, UINT64_MAX };

	assert_int_equal(mig_dump_vmas(getpid(), ex, 2, &t[0], &v[0], &n[0], &pb), 0);
	assert_int_equal(mig_dump_vmas(getpid(), ex, 2, &t[1], &v[1], &n[1], NULL), 0);
	assert_non_null(pb.bits);
	assert_int_equal(pb.nfirst, n[0]);
	assert_int_equal(n[0], n[1]);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(vma_at(v[i], n[i], anon)->pages, 4);
		/* a file the node lacks: every page */
		assert_int_equal(vma_at(v[i], n[i], file)->pages, 2);
		/* the node has it: only the page the process changed */
		vma_at(v[i], n[i], file)->file = 1;
		assert_int_equal(mig_dump_count(getpid(), v[i], n[i], i ? NULL : &pb), 0);
		assert_int_equal(vma_at(v[i], n[i], file)->pages, 1);
		assert_int_equal(vma_at(v[i], n[i], anon)->pages, 4);
	}
	mig_pagebits_free(&pb);
	assert_null(pb.bits);
	free(v[0]);
	free(v[1]);
	free(t);
	munmap(base, 80 * 4096);
	close(fd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_pagebits),
	};

	return cmocka_run_group_tests_name("mig_dump", tests, NULL, NULL);
}
