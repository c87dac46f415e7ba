// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest's seccomp filter (mig_filter), run here by a small classic
 * BPF interpreter of the instructions it uses: which calls run on the
 * node, which stop in the supervisor, and getpid and friends with and
 * without the kernel answering them (MIG_FILTER_KERNEL_IDS).
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <cmocka.h>

#include "engine/mig_filter.h"

/* What the filter returns for call @nr with arguments @a0, @a1 and @a3. */
static uint32_t run3(const struct sock_filter *f, size_t n, uint32_t arch, int nr,
		     uint64_t a0, uint64_t a1, uint64_t a3)
{
	struct seccomp_data d = { .nr = nr, .arch = arch };
	uint32_t acc = 0;

	d.args[0] = a0;
	d.args[1] = a1;
	d.args[3] = a3;
	for (size_t pc = 0; pc < n; pc++) {
		const struct sock_filter *i = &f[pc];

		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			assert_true(i->k + 4 <= sizeof(d));
			memcpy(&acc, (const char *)&d + i->k, 4);
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += acc == i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += acc >= i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += (acc & i->k) ? i->jt : i->jf;
			break;
		case BPF_RET | BPF_K:
			return i->k;
		default:
			fail_msg("instruction %#x not known here", i->code);
		}
	}
	fail_msg("the filter ran off its end");
	return 0;
}

static uint32_t run(const struct sock_filter *f, size_t n, uint32_t arch, int nr,
		    uint64_t a0, uint64_t a3)
{
	return run3(f, n, arch, nr, a0, 0, a3);
}

static void test_filter(void **state)
{
	struct sock_filter plain[MIG_FILTER_MAX], ids[MIG_FILTER_MAX];
	size_t np, ni;
	const int answered[] = { SYS_getpid, SYS_gettid, SYS_getppid };

	(void)state;
	np = mig_filter_build(plain, 0);
	ni = mig_filter_build(ids, MIG_FILTER_KERNEL_IDS);
	assert_true(np <= MIG_FILTER_MAX);
	assert_int_equal(ni, np + 3);

	for (int k = 0; k < 2; k++) {
		const struct sock_filter *f = k ? ids : plain;
		size_t n = k ? ni : np;

		/* the same for both */
		assert_int_equal(run(f, n, AUDIT_ARCH_I386, SYS_getpid, 0, 0),
				 SECCOMP_RET_KILL_PROCESS);
		assert_int_equal(run(f, n, AUDIT_ARCH_X86_64, 0x40000000 | SYS_read, 0, 0),
				 SECCOMP_RET_KILL_PROCESS);
		assert_int_equal(run(f, n, AUDIT_ARCH_X86_64, SYS_brk, 0, 0), SECCOMP_RET_ALLOW);
		assert_int_equal(run(f, n, AUDIT_ARCH_X86_64, SYS_openat, 0, 0),
				 SECCOMP_RET_USER_NOTIF);
		assert_int_equal(run(f, n, AUDIT_ARCH_X86_64, SYS_mmap, 0, MAP_ANONYMOUS),
				 SECCOMP_RET_ALLOW);
		assert_int_equal(run(f, n, AUDIT_ARCH_X86_64, SYS_mmap, 0, MAP_PRIVATE),
				 SECCOMP_RET_USER_NOTIF);
		assert_int_equal(run(f, n, AUDIT_ARCH_X86_64, SYS_clock_gettime, 1, 0),
				 SECCOMP_RET_ALLOW);
		assert_int_equal(run(f, n, AUDIT_ARCH_X86_64, SYS_clock_gettime, 2, 0),
				 SECCOMP_RET_USER_NOTIF);
		/* rt_sigaction: setting SIGCHLD's goes to the supervisor,
		 * reading it or any other signal's runs here */
		assert_int_equal(run3(f, n, AUDIT_ARCH_X86_64, SYS_rt_sigaction, SIGCHLD,
				      0x7ffd1000, 8), SECCOMP_RET_USER_NOTIF);
		assert_int_equal(run3(f, n, AUDIT_ARCH_X86_64, SYS_rt_sigaction, SIGCHLD,
				      0x7ffd00000000ull, 8), SECCOMP_RET_USER_NOTIF);
		assert_int_equal(run3(f, n, AUDIT_ARCH_X86_64, SYS_rt_sigaction, SIGCHLD, 0, 8),
				 SECCOMP_RET_ALLOW);
		assert_int_equal(run3(f, n, AUDIT_ARCH_X86_64, SYS_rt_sigaction, SIGUSR1,
				      0x7ffd1000, 8), SECCOMP_RET_ALLOW);
		assert_int_equal(run3(f, n, AUDIT_ARCH_X86_64, SYS_rt_sigaction,
				      0x100000000ull | SIGCHLD, 0x7ffd1000, 8),
				 SECCOMP_RET_USER_NOTIF);
		/* and the calls after it in the filter still work */
		assert_int_equal(run(f, n, AUDIT_ARCH_X86_64, SYS_rt_sigprocmask, 0, 0),
				 SECCOMP_RET_ALLOW);
		/* getpid and friends: the supervisor's, or the kernel's */
		for (size_t i = 0; i < sizeof(answered) / sizeof(answered[0]); i++)
			assert_int_equal(run(f, n, AUDIT_ARCH_X86_64, answered[i], 0, 0),
					 k ? SECCOMP_RET_ALLOW : SECCOMP_RET_USER_NOTIF);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter),
	};

	return cmocka_run_group_tests_name("mig_filter", tests, NULL, NULL);
}
