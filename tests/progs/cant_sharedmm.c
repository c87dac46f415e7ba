// SPDX-License-Identifier: GPL-2.0-only
/*
 * cant_sharedmm [SECONDS] [late]: a second process on the same memory,
 * made by clone(CLONE_VM) without CLONE_THREAD (mps: "address space
 * shared"). The child counts in the shared memory every 10 ms; the
 * parent prints "ready CHILD", then watches the count for SECONDS
 * (default 300) and exits 0, or prints "FAIL ..." and exits 1 as soon as
 * the count stops for a second: the child died, or the parent's memory
 * is not the child's any more.
 *
 * With "late", it prints "ready" first and makes the child only when
 * SIGUSR1 comes, then prints "cloned CHILD".
 */
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define STACK (64 * 1024)

static volatile unsigned long count;
static volatile sig_atomic_t usr1;

static void on_usr1(int sig)
{
	(void)sig;
	usr1 = 1;
}

/*
 * The child shares the parent's TLS too (no CLONE_SETTLS): raw system
 * calls only, nothing of libc that keeps state.
 */
static int counter(void *arg)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };

	/* a parent killed before the prctl sends no signal: then go now */
	syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (syscall(SYS_getppid) != (long)(intptr_t)arg)
		syscall(SYS_exit, 0);
	for (;;) {
		count++;
		syscall(SYS_nanosleep, &tick, NULL);
	}
	return 0;
}

static pid_t start_child(void)
{
	char *stack = mmap(NULL, STACK, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

	if (stack == MAP_FAILED) {
		perror("cant_sharedmm: mmap");
		return -1;
	}
	return clone(counter, stack + STACK, CLONE_VM | SIGCHLD, (void *)(intptr_t)getpid());
}

int main(int argc, char **argv)
{
	unsigned seconds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 300;
	int late = argc > 2 && strcmp(argv[2], "late") == 0;
	const struct timespec step = { 0, 100 * 1000 * 1000 };
	unsigned long last = 0;
	unsigned still = 0;
	pid_t child;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (late) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_usr1;
		sigaction(SIGUSR1, &sa, NULL);
		printf("ready\n");
		while (!usr1)
			pause();
	}
	child = start_child();
	if (child < 0) {
		perror("cant_sharedmm: clone");
		return 1;
	}
	printf(late ? "cloned %d\n" : "ready %d\n", (int)child);
	for (unsigned i = 0; i < seconds * 10; i++) {
		nanosleep(&step, NULL);
		if (count != last) {
			last = count;
			still = 0;
		} else if (++still == 10) {
			printf("FAIL the count stopped at %lu\n", last);
			return 1;
		}
	}
	printf("PASS counted %lu\n", last);
	return 0;
}
