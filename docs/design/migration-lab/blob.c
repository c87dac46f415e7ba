/* blob.c - the restorer blob: position independent, no libc, no data
 * outside itself, linked flat at 0 (blob.lds) and copied by remote.c into a
 * reservation that overlaps no VMA of the image. It tears down the
 * restorer's own address space, moves the staged VMAs (and the vDSO) to
 * their final addresses, restores the kernel-held per-task state, installs
 * the syscall filter, hands the listener to the supervisor, waits for GO
 * (the commit) and enters the process with rt_sigreturn. */
#define LAB_NO_LIBC
#include "lab.h"
#include <asm/unistd.h>
#include <linux/mman.h>
#include <linux/futex.h>
#include <linux/prctl.h>
#include <linux/seccomp.h>
#include <asm/prctl.h>

static inline long sc(long n, long a, long b, long c, long d, long e, long f)
{
	long r;
	register long r10 asm("r10") = d, r8 asm("r8") = e, r9 asm("r9") = f;
	asm volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10),
		     "r"(r8), "r"(r9) : "rcx", "r11", "memory");
	return r;
}
#define FAIL(step) do { fail(a, step, r); } while (0)

static void fail(struct blob_args *a, int step, long err)
{
	volatile uint32_t *s = (uint32_t *)a->sync;
	s[2] = step; s[3] = (uint32_t)-err; s[0] = 2;
	sc(__NR_futex, a->sync, FUTEX_WAKE, 1, 0, 0, 0);
	sc(__NR_exit_group, 100 + step, 0, 0, 0, 0, 0);
}

__attribute__((section(".text.entry"), used))
void blob_entry(struct blob_args *a)
{
	struct img_hdr *h = a->h;
	long r = 0;
	uint32_t i;
	/* 1: glibc registered rseq for the restorer; its TLS is about to go */
	if (a->old_rseq && (r = sc(__NR_rseq, a->old_rseq, a->old_rseq_len, 1, 0x53053053, 0, 0)))
		FAIL(1);
	/* 2: drop the restorer's own mappings (exe, libc, heap, stack) */
	for (i = 0; i < a->nunmap; i++)
		if ((r = sc(__NR_munmap, a->unmap[i].from, a->unmap[i].len, 0, 0, 0, 0))) FAIL(2);
	/* 3: move the vDSO and every staged VMA into place */
	for (i = 0; i < a->nmove; i++) {
		struct blob_range *m = &a->move[i];
		r = sc(__NR_mremap, m->from, m->len, m->len, MREMAP_MAYMOVE | MREMAP_FIXED, m->to, 0);
		if (r != (long)m->to) FAIL(3);
		if (m->prot != 0xffffffff && (r = sc(__NR_mprotect, m->to, m->len, m->prot, 0, 0, 0)))
			FAIL(4);
	}
	/* 4: the rest of the reservation */
	if ((r = sc(__NR_munmap, a->rsv + a->keep_len, a->rsv_len - a->keep_len, 0, 0, 0, 0)))
		FAIL(5);
	/* 5: mm fields (brk, stack, args, env, auxv): no privilege needed */
	if ((r = sc(__NR_prctl, PR_SET_MM, PR_SET_MM_MAP, (long)a->mm, 104, 0, 0))) FAIL(6);
	/* 6: signal handlers; mask and altstack come with the sigframe */
	for (i = 1; i <= 64; i++)
		if (h->act[i].handler && i != 9 && i != 19 &&
		    (r = sc(__NR_rt_sigaction, i, (long)&h->act[i], 0, 8, 0, 0))) FAIL(7);
	if (h->robust_head && (r = sc(__NR_set_robust_list, h->robust_head, h->robust_len, 0, 0, 0, 0)))
		FAIL(8);
	if (h->rseq_ptr && (r = sc(__NR_rseq, h->rseq_ptr, h->rseq_len, 0, h->rseq_sig, 0, 0)))
		FAIL(9);
	if ((r = sc(__NR_arch_prctl, ARCH_SET_FS, h->regs.fs_base, 0, 0, 0, 0))) FAIL(10);
	if (h->regs.gs_base && (r = sc(__NR_arch_prctl, ARCH_SET_GS, h->regs.gs_base, 0, 0, 0, 0)))
		FAIL(10);
	/* 7: no local descriptors: every fd the process uses lives at home */
	sc(__NR_close_range, 0, ~0U, 0, 0, 0, 0);
	if ((r = sc(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0))) FAIL(11);
	r = sc(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, a->fprog, 0, 0, 0);
	if (r < 0) FAIL(12);
	/* 8: READY with the listener fd; wait for GO (futex/exit are local) */
	volatile uint32_t *s = (uint32_t *)a->sync;
	s[2] = (uint32_t)r; s[0] = 1;
	sc(__NR_futex, a->sync, FUTEX_WAKE, 1, 0, 0, 0);
	while (s[1] == 0) sc(__NR_futex, a->sync + 4, FUTEX_WAIT, 0, 0, 0, 0);
	if (s[1] != 1) sc(__NR_exit_group, 99, 0, 0, 0, 0, 0);
	sc(__NR_munmap, a->sync, 4096, 0, 0, 0, 0);
	/* 9: enter the process: rt_sigreturn loads registers, FPU/AVX state,
	 * signal mask and sigaltstack from the frame (rsp = frame + 8) */
	asm volatile("mov %0, %%rsp\n\tmov $15, %%eax\n\tsyscall\n\thlt" : : "r"(a->frame + 8) : "memory");
	__builtin_unreachable();
}
