// SPDX-License-Identifier: GPL-2.0-only
/*
 * The home agent: a loop the deputy plants in the home process of a
 * migrated process, as a CRIU parasite daemon. It waits on a futex in a
 * page shared with the deputy, makes the requested system call (with the
 * home process's fds, cwd and credentials), posts the result and waits
 * again: one futex round trip per forwarded call instead of ptrace stops.
 * Signals for the process still stop it under ptrace, so the deputy sees
 * them first.
 */
#include <asm/unistd.h>
#include <linux/futex.h>

#include "engine/blob/agent.h"

static inline long sc(long n, long a, long b, long c, long d, long e, long f)
{
	long r;
	register long r10 asm("r10") = d, r8 asm("r8") = e, r9 asm("r9") = f;

	asm volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
		     "r"(r9) : "rcx", "r11", "memory");
	return r;
}

void blob_entry(struct agent_shm *s) __attribute__((noreturn));

__attribute__((section(".text.entry"), used, noreturn))
void blob_entry(struct agent_shm *s)
{
	uint32_t last = s->done;

	for (;;) {
		uint32_t q;

		while ((q = s->req) == last)
			sc(__NR_futex, (long)&s->req, FUTEX_WAIT, last, 0, 0, 0);
		s->ret = sc(s->nr, s->a[0], s->a[1], s->a[2], s->a[3], s->a[4], s->a[5]);
		last = q;
		s->done = q;
		sc(__NR_futex, (long)&s->done, FUTEX_WAKE, 1, 0, 0, 0);
	}
}
