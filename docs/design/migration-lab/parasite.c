/* parasite.c - the home agent: a libc-free loop that the deputy plants in
 * the home process (like a compel parasite daemon). It waits on a futex in
 * a page shared with the deputy, runs the requested syscall in the home
 * process (its fds, cwd, credentials), posts the result, and waits again:
 * one futex round trip per forwarded call instead of ptrace stops. Signals
 * still stop the process under ptrace, so the deputy sees them first. */
#include <stdint.h>
#include <asm/unistd.h>
#include <linux/futex.h>

struct shm {			/* first bytes of the shared page */
	volatile uint32_t req, done;	/* sequence numbers */
	uint32_t pad[2];
	long nr, a[6], ret;
};

static inline long sc(long n, long a, long b, long c, long d, long e, long f)
{
	long r;
	register long r10 asm("r10") = d, r8 asm("r8") = e, r9 asm("r9") = f;
	asm volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10),
		     "r"(r8), "r"(r9) : "rcx", "r11", "memory");
	return r;
}

__attribute__((section(".text.entry"), used, noreturn))
void parasite_loop(struct shm *s)
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
