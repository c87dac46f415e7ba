// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_altstack: an alternate signal stack set before the migration. The
 * SIGUSR2 that ends the wait (sent after the migration) and a SIGUSR1
 * raised afterwards run their SA_ONSTACK handlers on it: the address of a
 * local variable is inside it, and sigaltstack says SS_ONSTACK there and
 * not outside.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "zdtm.h"

#define STACK_SIZE (64 * 1024)

static char stack[STACK_SIZE] __attribute__((aligned(16)));
static volatile uintptr_t where_usr1, where_usr2;
static volatile int flags_usr1 = -1, flags_usr2 = -1;

static int on_stack(uintptr_t p)
{
	return p >= (uintptr_t)stack && p < (uintptr_t)stack + STACK_SIZE;
}

static void on_usr1(int sig)
{
	volatile char local = 0;
	stack_t cur;

	(void)sig;
	where_usr1 = (uintptr_t)&local;
	flags_usr1 = sigaltstack(NULL, &cur) == 0 ? cur.ss_flags : -2;
}

static void on_usr2(int sig)
{
	volatile char local = 0;
	stack_t cur;

	where_usr2 = (uintptr_t)&local;
	flags_usr2 = sigaltstack(NULL, &cur) == 0 ? cur.ss_flags : -2;
	zdtm_on_usr2(sig);
}

static void set(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = SA_ONSTACK | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

int main(void)
{
	stack_t ss = { .ss_sp = stack, .ss_size = STACK_SIZE, .ss_flags = 0 };
	volatile char here = 0;

	zdtm_init("zdtm_altstack");
	set(SIGUSR1, on_usr1);
	set(SIGUSR2, on_usr2);
	if (sigaltstack(&ss, NULL)) {
		printf("FAIL zdtm_altstack: sigaltstack: %m\n");
		return 1;
	}
	zdtm_check(!on_stack((uintptr_t)&here), "main runs on the alternate stack");

	zdtm_ready();
	zdtm_wait();

	zdtm_check(on_stack(where_usr2), "SIGUSR2 handler ran at %#lx, the stack is %p..+%#x",
		   (unsigned long)where_usr2, (void *)stack, STACK_SIZE);
	zdtm_check(flags_usr2 == SS_ONSTACK, "SIGUSR2 handler: ss_flags %d", flags_usr2);
	raise(SIGUSR1);
	/* zdtm_sigmask checks that raise waits for the handler; here, only where it ran */
	for (int i = 0; i < 100 && !where_usr1; i++)
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	zdtm_check(on_stack(where_usr1), "SIGUSR1 handler ran at %#lx, the stack is %p..+%#x",
		   (unsigned long)where_usr1, (void *)stack, STACK_SIZE);
	zdtm_check(flags_usr1 == SS_ONSTACK, "SIGUSR1 handler: ss_flags %d", flags_usr1);
	memset(&ss, 0, sizeof(ss));
	zdtm_check(sigaltstack(NULL, &ss) == 0 && ss.ss_sp == stack && ss.ss_size == STACK_SIZE &&
			   ss.ss_flags == 0,
		   "sigaltstack now: %p size %zu flags %d", ss.ss_sp, ss.ss_size, ss.ss_flags);
	return zdtm_done();
}
