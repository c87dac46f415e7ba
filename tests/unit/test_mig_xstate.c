// SPDX-License-Identifier: GPL-2.0-only
/*
 * Registers between CPUs with other XSAVE layouts (engine/mig_xstate):
 * this CPU's layout against the kernel's regset, components moved to
 * their new offsets, the ones the target lacks reported unless a fresh
 * process would have the same, and layouts from the wire checked.
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/mig_xstate.h"

/* qemu's emulated CPU (-cpu max, TCG): AVX, MPX, PKRU */
static const struct mig_xlayout qemu = {
	.features = 0x21f, .size = 2696,
	.off = { [2] = 576, [3] = 960, [4] = 1024, [9] = 2688 },
	.len = { [2] = 256, [3] = 64, [4] = 64, [9] = 8 },
};

/* an AMD CPU with AVX-512 and no MPX: AVX-512 packed lower than Intel's */
static const struct mig_xlayout zen4 = {
	.features = 0x2e7, .size = 2440,
	.off = { [2] = 576, [5] = 832, [6] = 896, [7] = 1408, [9] = 2432 },
	.len = { [2] = 256, [5] = 64, [6] = 512, [7] = 1024, [9] = 8 },
};

/* AVX only */
static const struct mig_xlayout avx = {
	.features = 0x7, .size = 832, .off = { [2] = 576 }, .len = { [2] = 256 },
};

static uint64_t bv(const uint8_t *x)
{
	uint64_t v;

	memcpy(&v, x + 512, 8);
	return v;
}

static void fill(uint8_t *x, const struct mig_xlayout *l, uint64_t xbv)
{
	memset(x, 0, l->size);
	for (unsigned i = 0; i < 512; i++)
		x[i] = (uint8_t)(i * 7 + 1);
	for (unsigned c = 2; c < MIG_XCOMP; c++)
		for (unsigned k = 0; k < l->len[c]; k++)
			x[l->off[c] + k] = (uint8_t)(c * 16 + k % 13 + 1);
	memcpy(x + 512, &xbv, 8);
}

static void test_local_layout_is_the_kernels(void **state)
{
	static uint8_t buf[16384] __attribute__((aligned(64)));
	struct iovec iov = { buf, sizeof(buf) };
	struct mig_xlayout l;
	pid_t pid;
	int st;

	(void)state;
	mig_xstate_layout(&l);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		kill(getpid(), SIGSTOP);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSTOPPED(st));
	assert_int_equal(ptrace(PTRACE_GETREGSET, pid, NT_X86_XSTATE, &iov), 0);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	/* the regset is as long as the components CPUID names, or longer */
	assert_true(l.size <= iov.iov_len);
	l.size = (uint32_t)iov.iov_len;
	assert_int_equal(mig_xstate_layout_check(&l, l.size), 0);
	assert_int_equal(l.features & 3, 3);
	/* the kernel's own XSTATE_BV of the child is within what XCR0 enabled */
	assert_int_equal(bv(buf) & ~l.features, 0);
}

/* qemu's AVX and the legacy area arrive intact at zen4's offsets */
static void test_moved(void **state)
{
	static uint8_t src[4096], dst[4096];
	uint64_t lost;

	(void)state;
	fill(src, &qemu, 0x7);
	memset(dst, 0xee, sizeof(dst));
	mig_xstate_convert(src, &qemu, dst, &zen4, &lost);
	assert_int_equal(lost, 0);
	assert_memory_equal(dst, src, 512);
	assert_int_equal(bv(dst), 0x7);
	assert_memory_equal(dst + 576, src + 576, 256);
	/* the rest of the header is zero: XCOMP_BV 0 is the standard format */
	for (unsigned i = 520; i < 576; i++)
		assert_int_equal(dst[i], 0);

	/* and back: zen4's AVX-512 state would be lost on qemu's CPU */
	fill(src, &zen4, 0xe7);
	mig_xstate_convert(src, &zen4, dst, &qemu, &lost);
	assert_int_equal(lost, 0xe0);
	assert_int_equal(bv(dst), 0x7);
	assert_memory_equal(dst + 576, src + 576, 256);
}

/* components at other offsets in the two layouts */
static void test_reordered(void **state)
{
	static uint8_t src[4096], dst[4096];
	struct mig_xlayout intel = zen4;
	uint64_t lost;

	(void)state;
	intel.features = 0x2e7;
	intel.off[5] = 1088;
	intel.off[6] = 1152;
	intel.off[7] = 1664;
	intel.off[9] = 2688;
	intel.size = 2696;
	assert_int_equal(mig_xstate_layout_check(&intel, intel.size), 0);
	fill(src, &zen4, 0x2e7);
	mig_xstate_convert(src, &zen4, dst, &intel, &lost);
	assert_int_equal(lost, 0);
	assert_int_equal(bv(dst), 0x2e7);
	assert_memory_equal(dst + 1088, src + 832, 64);
	assert_memory_equal(dst + 1152, src + 896, 512);
	assert_memory_equal(dst + 1664, src + 1408, 1024);
	assert_memory_equal(dst + 2688, src + 2432, 8);
}

/* the MPX and PKRU of qemu's CPU: lost only if the process used them */
static void test_fresh_not_lost(void **state)
{
	static uint8_t src[4096], dst[4096];
	uint32_t pkru = 0x55555554;
	uint64_t lost;

	(void)state;
	fill(src, &qemu, 0x21f);
	memset(src + 960, 0, 128);	/* bound registers never set */
	memcpy(src + 2688, &pkru, 4);	/* Linux's default key rights */
	memset(src + 2692, 0, 4);
	mig_xstate_convert(src, &qemu, dst, &avx, &lost);
	assert_int_equal(lost, 0);
	assert_int_equal(bv(dst), 0x7);

	pkru = 0x55555550;	/* key 1 opened: pkey_alloc was called */
	memcpy(src + 2688, &pkru, 4);
	src[1000] = 1;		/* a bound register set */
	mig_xstate_convert(src, &qemu, dst, &avx, &lost);
	assert_int_equal(lost, (1u << 3) | (1u << 9));

	/* not in XSTATE_BV: in its initial state, whatever the bytes say */
	fill(src, &qemu, 0x7);
	mig_xstate_convert(src, &qemu, dst, &avx, &lost);
	assert_int_equal(lost, 0);
}

static void test_layout_check(void **state)
{
	struct mig_xlayout l = qemu;

	(void)state;
	assert_int_equal(mig_xstate_layout_check(&qemu, 2696), 0);
	assert_int_equal(mig_xstate_layout_check(&avx, 832), 0);
	assert_int_equal(mig_xstate_layout_check(&qemu, 832), -EBADMSG);
	l.off[9] = 2690;	/* past the end */
	assert_int_equal(mig_xstate_layout_check(&l, 2696), -EBADMSG);
	l = qemu;
	l.off[2] = 100;		/* inside the legacy area */
	assert_int_equal(mig_xstate_layout_check(&l, 2696), -EBADMSG);
	l = qemu;
	l.features = 0x1;	/* no SSE */
	assert_int_equal(mig_xstate_layout_check(&l, 2696), -EBADMSG);
	l = qemu;
	l.len[1] = 16;		/* SSE is in the legacy area */
	assert_int_equal(mig_xstate_layout_check(&l, 2696), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_local_layout_is_the_kernels),
		cmocka_unit_test(test_moved),
		cmocka_unit_test(test_reordered),
		cmocka_unit_test(test_fresh_not_lost),
		cmocka_unit_test(test_layout_check),
	};

	return cmocka_run_group_tests(t, NULL, NULL);
}
