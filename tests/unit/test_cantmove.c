// SPDX-License-Identifier: GPL-2.0-only
/*
 * The cannot-migrate reasons (mig_cantmove) on children set up for each,
 * and their names. The test programs of tests/progs and cantmove.t cover
 * the same through mps; here are the cases those do not: shared anonymous
 * and memfd mappings, read-only shared mappings, userfaultfd, io_uring,
 * perf events, protection keys, wipe-on-fork, not-copied-on-fork and
 * sealed memory, init, kernel threads, a vfork child and
 * its parent, and the deputy's second asking once the process is stopped.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/userfaultfd.h>

#include <cmocka.h>

#include "engine/mig_cantmove.h"
#include "engine/mig_pstate.h"

/* what a child says once set up */
#define READY 'r'
#define UNSUPPORTED 's'

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(mig_cant_str(MIG_CAN), "-");
	assert_string_equal(mig_cant_str(MIG_CANT_THREADS), "multi-threaded");
	assert_string_equal(mig_cant_str(MIG_CANT_MLOCK), "locked memory");
	assert_string_equal(mig_cant_str(MIG_CANT_GONE), "no such process");
	assert_string_equal(mig_cant_str(MIG_CANT_NR), "?");
	assert_string_equal(mig_cant_str((enum mig_cant)-1), "?");
	/* every reason has a name of its own, short enough for mps's column */
	for (int i = 0; i < MIG_CANT_NR; i++) {
		const char *s = mig_cant_str(i);

		assert_string_not_equal(s, "?");
		assert_true(strlen(s) >= 1 && strlen(s) <= 23);
		for (int k = 0; k < i; k++)
			assert_string_not_equal(s, mig_cant_str(k));
	}
}

/*
 * A child that runs @setup, says whether it could, then waits to be
 * killed. Returns its pid, or 0 when @setup found the feature missing.
 */
static pid_t spawn(int (*setup)(void))
{
	int fds[2];
	char c = 0;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		c = setup() == 0 ? READY : UNSUPPORTED;
		if (write(fds[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &c, 1), 1);
	close(fds[0]);
	if (c == UNSUPPORTED) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return 0;
	}
	return pid;
}

static void finish(pid_t pid)
{
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
}

/* Set up a child with @setup and expect @why from it (skipped if unsupported). */
static void expect(int (*setup)(void), enum mig_cant why, const char *what)
{
	enum mig_cant got = MIG_CANT_NR;
	pid_t pid = spawn(setup);

	if (!pid) {
		print_message("# skipped: %s is not available here\n", what);
		return;
	}
	assert_int_equal(mig_cantmove(pid, NULL, &got), 0);
	if (got != why)
		print_message("# %s: got '%s', expected '%s'\n", what, mig_cant_str(got),
			      mig_cant_str(why));
	assert_int_equal(got, why);
	finish(pid);
}

static int nothing(void)
{
	return 0;
}

static void *map(int prot, int flags, int fd)
{
	void *p = mmap(NULL, 4096, prot, flags, fd, 0);

	if (p == MAP_FAILED)
		return NULL;
	((volatile char *)p)[0];
	return p;
}

static int shared_anon(void)
{
	return map(PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1) ? 0 : -1;
}

static int shared_memfd(void)
{
	int fd = memfd_create("test", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, 4096) < 0)
		return -1;
	return map(PROT_READ | PROT_WRITE, MAP_SHARED, fd) ? 0 : -1;
}

/* read-only, from a file opened read-only: it can never be written, so it moves */
static int shared_readonly(void)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);

	return fd >= 0 && map(PROT_READ, MAP_SHARED, fd) ? 0 : -1;
}

/* a writable file opened read-write but mapped read-only may be made writable */
static int shared_mprotectable(void)
{
	char path[] = "/tmp/mosix-test-cantmove.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	unlink(path);
	if (ftruncate(fd, 4096) < 0)
		return -1;
	return map(PROT_READ, MAP_SHARED, fd) ? 0 : -1;
}

static int locked(void)
{
	void *p = map(PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);

	/* the system call itself: ASan makes mlock() do nothing */
	return p && syscall(SYS_mlock, p, 4096) == 0 ? 0 : -1;
}

static int uffd(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);

	return fd >= 0 && ioctl(fd, UFFDIO_API, &api) == 0 ? 0 : -1;
}

static int io_uring(void)
{
	/* struct io_uring_params: 120 bytes, zero asks for the defaults */
	char params[120] = { 0 };

	return syscall(SYS_io_uring_setup, 4, params) >= 0 ? 0 : -1;
}

static int perf(void)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(a),
		.config = PERF_COUNT_SW_TASK_CLOCK,
		.disabled = 1,
		.exclude_kernel = 1,
	};

	return syscall(SYS_perf_event_open, &a, 0, -1, -1, 0) >= 0 ? 0 : -1;
}

static int pkey(void)
{
	void *p = map(PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	int k = pkey_alloc(0, 0);

	return p && k > 0 && pkey_mprotect(p, 4096, PROT_READ | PROT_WRITE, k) == 0 ? 0 : -1;
}

/* the counter of cant_sharedmm, in short: a process on our memory */
static int on_our_memory(void *arg)
{
	/* a parent killed before the prctl sends no signal: then go now */
	syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (syscall(SYS_getppid) != (long)(intptr_t)arg)
		syscall(SYS_exit, 0);
	for (;;)
		syscall(SYS_pause);
	return 0;
}

static int clone_vm(void)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	void *self = (void *)(intptr_t)getpid();

	return clone(on_our_memory, stack + sizeof(stack), CLONE_VM | SIGCHLD, self) > 0 ? 0 : -1;
}

static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static int second_thread(void)
{
	pthread_t t;

	return pthread_create(&t, NULL, idle, NULL) == 0 ? 0 : -1;
}

static int wipe_on_fork(void)
{
	void *p = map(PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);

	return p && madvise(p, 4096, MADV_WIPEONFORK) == 0 ? 0 : -1;
}

static int dont_fork(void)
{
	void *p = map(PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);

	return p && madvise(p, 4096, MADV_DONTFORK) == 0 ? 0 : -1;
}

/* mseal (6.10+; 462 on x86-64) */
static int sealed(void)
{
	void *p = map(PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);

	return p && syscall(462, p, 4096, 0) == 0 ? 0 : -1;
}

static void test_reasons(void **state)
{
	(void)state;
	expect(nothing, MIG_CAN, "a plain child");
	expect(shared_anon, MIG_CANT_SHARED_WRITE, "MAP_SHARED | MAP_ANONYMOUS");
	expect(shared_memfd, MIG_CANT_SHARED_WRITE, "shared memfd");
	expect(shared_readonly, MIG_CAN, "read-only shared mapping");
	expect(shared_mprotectable, MIG_CANT_SHARED_WRITE, "read-only mapping of a writable file");
	expect(locked, MIG_CANT_MLOCK, "mlock");
	expect(uffd, MIG_CANT_USERFAULTFD, "userfaultfd");
	expect(io_uring, MIG_CANT_IO_URING, "io_uring");
	expect(perf, MIG_CANT_PERF, "perf events");
	expect(pkey, MIG_CANT_PKEY, "protection keys");
	expect(clone_vm, MIG_CANT_SHARED_MM, "clone(CLONE_VM) without CLONE_THREAD");
	expect(wipe_on_fork, MIG_CANT_FORK_MEMORY, "MADV_WIPEONFORK");
	expect(dont_fork, MIG_CANT_FORK_MEMORY, "MADV_DONTFORK");
	expect(sealed, MIG_CANT_SEALED, "mseal");
}

/*
 * A child with one private page of its own at a fixed address (no
 * neighbour to merge with) that, told over @cmd, marks it wipe-on-fork
 * ('w': only smaps shows that) or maps a shared writable page ('s': maps
 * shows that), and answers on @done.
 */
#define MEMO_PAGE ((void *)0x7e0000000000ull)

static pid_t memo_child(int *ret_cmd, int *ret_done)
{
	int cmd[2], done[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(cmd), 0);
	assert_int_equal(pipe(done), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		void *p = mmap(MEMO_PAGE, 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

		c = p == MEMO_PAGE ? 'r' : 'x';
		if (write(done[1], &c, 1) != 1)
			_exit(1);
		while (read(cmd[0], &c, 1) == 1) {
			if (c == 'w')
				c = madvise(p, 4096, MADV_WIPEONFORK) ? 'x' : 'k';
			else
				c = map(PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1) ?
					    'k' : 'x';
			if (write(done[1], &c, 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	close(cmd[0]);
	close(done[1]);
	assert_int_equal(read(done[0], &c, 1), 1);
	assert_int_equal(c, 'r');
	*ret_cmd = cmd[1];
	*ret_done = done[0];
	return pid;
}

static void memo_tell(int cmd, int done, char what)
{
	char c = what;

	assert_int_equal(write(cmd, &c, 1), 1);
	assert_int_equal(read(done, &c, 1), 1);
	assert_int_equal(c, 'k');
}

/*
 * mig_cantmove_memo reads smaps again only when maps changed: a change
 * only smaps shows goes unseen until the memo is cleared (what the
 * balancer does when a move it asked for is refused), one maps shows is
 * seen at once.
 */
static void test_memo(void **state)
{
	struct mig_cant_memo memo = { 0 };
	enum mig_cant why = MIG_CANT_NR;
	int cmd, done;
	pid_t pid;

	(void)state;
	pid = memo_child(&cmd, &done);
	assert_int_equal(mig_cantmove_memo(pid, NULL, &memo, &why), 0);
	assert_int_equal(why, MIG_CAN);
	assert_true(memo.valid);
	memo_tell(cmd, done, 'w');
	/* maps as it was: smaps not read again, its answer kept */
	assert_int_equal(mig_cantmove_memo(pid, NULL, &memo, &why), 0);
	assert_int_equal(why, MIG_CAN);
	assert_int_equal(mig_cantmove(pid, NULL, &why), 0);
	assert_int_equal(why, MIG_CANT_FORK_MEMORY);
	memo.valid = false;
	assert_int_equal(mig_cantmove_memo(pid, NULL, &memo, &why), 0);
	assert_int_equal(why, MIG_CANT_FORK_MEMORY);
	/* and kept: a reason found in smaps is remembered too */
	assert_int_equal(mig_cantmove_memo(pid, NULL, &memo, &why), 0);
	assert_int_equal(why, MIG_CANT_FORK_MEMORY);
	close(cmd);
	close(done);
	finish(pid);

	memo = (struct mig_cant_memo){ 0 };
	pid = memo_child(&cmd, &done);
	assert_int_equal(mig_cantmove_memo(pid, NULL, &memo, &why), 0);
	assert_int_equal(why, MIG_CAN);
	memo_tell(cmd, done, 's');
	/* a new mapping changes maps: smaps is read again */
	assert_int_equal(mig_cantmove_memo(pid, NULL, &memo, &why), 0);
	assert_int_equal(why, MIG_CANT_SHARED_WRITE);
	close(cmd);
	close(done);
	finish(pid);
}

/* A vfork child before its exec runs on its parent's memory: both stay. */
static void test_vfork(void **state)
{
	enum mig_cant why = MIG_CANT_NR;
	pid_t parent, child;
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	parent = fork();
	assert_true(parent >= 0);
	if (parent == 0) {
		if (vfork() == 0) {
			pid_t self = (pid_t)syscall(SYS_getpid);

			/* on the parent's memory and stack: system calls only */
			syscall(SYS_write, fds[1], &self, sizeof(self));
			for (;;)
				syscall(SYS_pause);
		}
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &child, sizeof(child)), (ssize_t)sizeof(child));
	close(fds[0]);
	assert_int_equal(mig_cantmove(parent, NULL, &why), 0);
	assert_int_equal(why, MIG_CANT_SHARED_MM);
	why = MIG_CANT_NR;
	assert_int_equal(mig_cantmove(child, NULL, &why), 0);
	assert_int_equal(why, MIG_CANT_SHARED_MM);
	kill(child, SIGKILL);
	assert_int_equal(waitpid(parent, NULL, 0), parent);
}

/* Stop @pid as the deputy does: seized, in a group stop of ptrace's. */
static void seize(pid_t pid)
{
	int st;

	assert_int_equal(ptrace(PTRACE_SEIZE, pid, 0, 0), 0);
	assert_int_equal(ptrace(PTRACE_INTERRUPT, pid, 0, 0), 0);
	assert_int_equal(waitpid(pid, &st, __WALL), pid);
	assert_true(WIFSTOPPED(st));
}

/*
 * Asked again once stopped: the caller as the tracer does not count,
 * anything else found before still does.
 */
static void test_frozen(void **state)
{
	enum mig_cant why = MIG_CANT_NR;
	pid_t pid = spawn(nothing);

	(void)state;
	seize(pid);
	assert_int_equal(mig_cantmove(pid, NULL, &why), 0);
	assert_int_equal(why, MIG_CANT_TRACED);
	why = MIG_CANT_NR;
	assert_int_equal(mig_cantmove_frozen(pid, NULL, &why), 0);
	assert_int_equal(why, MIG_CAN);
	finish(pid);

	pid = spawn(second_thread);
	seize(pid);
	assert_int_equal(mig_cantmove_frozen(pid, NULL, &why), 0);
	assert_int_equal(why, MIG_CANT_THREADS);
	finish(pid);

	pid = spawn(clone_vm);
	seize(pid);
	assert_int_equal(mig_cantmove_frozen(pid, NULL, &why), 0);
	assert_int_equal(why, MIG_CANT_SHARED_MM);
	finish(pid);
}

static void test_special(void **state)
{
	enum mig_cant why = MIG_CANT_NR;
	char comm[32] = "";
	FILE *f;

	(void)state;
	assert_int_equal(mig_cantmove(1, NULL, &why), 0);
	assert_int_equal(why, MIG_CANT_INIT);
	/* kthreadd is pid 2 in the first pid namespace only */
	f = fopen("/proc/2/comm", "r");
	if (f && fgets(comm, sizeof(comm), f) && strcmp(comm, "kthreadd\n") == 0) {
		assert_int_equal(mig_cantmove(2, NULL, &why), 0);
		assert_int_equal(why, MIG_CANT_KTHREAD);
	}
	if (f)
		fclose(f);
	assert_int_equal(mig_cantmove(0, NULL, &why), -EINVAL);
}

static void test_zombie_and_gone(void **state)
{
	enum mig_cant why = MIG_CANT_NR;
	siginfo_t si;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	assert_int_equal(mig_cantmove(pid, NULL, &why), 0);
	assert_int_equal(why, MIG_CANT_ZOMBIE);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	why = MIG_CANT_NR;
	assert_int_equal(mig_cantmove(pid, NULL, &why), -ESRCH);
	assert_int_equal(why, MIG_CANT_NR);
}

static void test_user_lock(void **state)
{
	char dir[] = "/tmp/mosix-test-cantmove.XXXXXX", cmd[64];
	struct mig_pstate s = { .lock = true };
	enum mig_cant why;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(dir));
	pid = spawn(nothing);
	assert_int_equal(mig_cantmove(pid, dir, &why), 0);
	assert_int_equal(why, MIG_CAN);
	assert_int_equal(mig_pstate_write(dir, pid, &s), 0);
	assert_int_equal(mig_cantmove(pid, dir, &why), 0);
	assert_int_equal(why, MIG_CANT_USER_LOCK);
	/* without a run directory the lock is not looked at */
	assert_int_equal(mig_cantmove(pid, NULL, &why), 0);
	assert_int_equal(why, MIG_CAN);
	s.lock = false;
	assert_int_equal(mig_pstate_write(dir, pid, &s), 0);
	assert_int_equal(mig_cantmove(pid, dir, &why), 0);
	assert_int_equal(why, MIG_CAN);
	finish(pid);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_memo),
		cmocka_unit_test(test_special),
		cmocka_unit_test(test_zombie_and_gone),
		cmocka_unit_test(test_user_lock),
		cmocka_unit_test(test_vfork),
		cmocka_unit_test(test_frozen),
	};

	return cmocka_run_group_tests_name("cantmove", tests, NULL, NULL);
}
