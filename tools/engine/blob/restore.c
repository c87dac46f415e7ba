// SPDX-License-Identifier: GPL-2.0-only
/*
 * The restorer blob: the last steps of a restore, run in the guest with
 * nothing of the staging program left under it. It unmaps the staging
 * program (exe, libc, heap, stack), moves the vDSO and every staged VMA to
 * its final address (page tables move, no page is copied), sets the
 * per-task state the kernel keeps (home's limits on CPU and memory, nice
 * value, batch or idle policy and personality among it), installs the
 * seccomp filter, hands the listener to the supervisor, waits for GO (the commit) and enters the
 * process with rt_sigreturn, which loads every register, the FPU/AVX
 * state, the signal mask and the sigaltstack from the frame.
 */
#include <asm/prctl.h>
#include <asm/unistd.h>
#include <linux/errno.h>
#include <linux/futex.h>
#include <linux/mman.h>
#include <linux/prctl.h>
#include <linux/seccomp.h>

#include "engine/blob/blob.h"

static inline long sc(long n, long a, long b, long c, long d, long e, long f)
{
	long r;
	register long r10 asm("r10") = d, r8 asm("r8") = e, r9 asm("r9") = f;

	asm volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
		     "r"(r9) : "rcx", "r11", "memory");
	return r;
}

static void fail(struct blob_args *a, int step, long err)
{
	struct blob_sync *s = (struct blob_sync *)a->sync;

	s->step = step;
	s->err = (uint32_t)-err;
	s->state = 2;
	sc(__NR_futex, (long)&s->state, FUTEX_WAKE, 1, 0, 0, 0);
	sc(__NR_exit_group, 100 + step, 0, 0, 0, 0, 0);
}

void blob_entry(struct blob_args *a) __attribute__((noreturn));

__attribute__((section(".text.entry"), used, noreturn))
void blob_entry(struct blob_args *a)
{
	struct blob_sync *s = (struct blob_sync *)a->sync;
	uint32_t i;
	long r;

	for (i = 0; i < a->nunmap; i++) {
		r = sc(__NR_munmap, a->unmap[i].from, a->unmap[i].len, 0, 0, 0, 0);
		if (r)
			fail(a, BLOB_STEP_UNMAP, r);
	}
	for (i = 0; i < a->nmove; i++) {
		struct blob_range *m = &a->move[i];

		r = sc(__NR_mremap, m->from, m->len, m->len, MREMAP_MAYMOVE | MREMAP_FIXED, m->to,
		       0);
		if (r != (long)m->to)
			fail(a, BLOB_STEP_MOVE, r);
		if (m->prot != BLOB_KEEP_PROT) {
			r = sc(__NR_mprotect, m->to, m->len, m->prot, 0, 0, 0);
			if (r)
				fail(a, BLOB_STEP_PROTECT, r);
		}
	}
	r = sc(__NR_munmap, a->rsv + a->keep_len, a->rsv_len - a->keep_len, 0, 0, 0, 0);
	if (r)
		fail(a, BLOB_STEP_RESERVATION, r);
	if (a->scratch_len) {
		r = sc(__NR_mmap, a->scratch, a->scratch_len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
		if (r != (long)a->scratch)
			fail(a, BLOB_STEP_SCRATCH, r < 0 ? r : -EEXIST);
	}
	/* brk, stack, args, env, auxv: PR_SET_MM_MAP needs no privilege */
	r = sc(__NR_prctl, PR_SET_MM, PR_SET_MM_MAP, (long)a->mm, sizeof(a->mm), 0, 0);
	if (r)
		fail(a, BLOB_STEP_MM, r);
	/* every disposition: the restorer's own (inherited) ones must not stay */
	for (i = 1; i <= 64; i++) {
		if (i == 9 || i == 19 || i == 32 || i == 33)
			continue;
		r = sc(__NR_rt_sigaction, i, (long)&a->act[i], 0, 8, 0, 0);
		if (r)
			fail(a, BLOB_STEP_SIGACTION, r);
	}
	if (a->robust_head) {
		r = sc(__NR_set_robust_list, a->robust_head, a->robust_len, 0, 0, 0, 0);
		if (r)
			fail(a, BLOB_STEP_ROBUST, r);
	}
	if (a->rseq_ptr) {
		r = sc(__NR_rseq, a->rseq_ptr, a->rseq_len, 0, a->rseq_sig, 0, 0);
		if (r)
			fail(a, BLOB_STEP_RSEQ, r);
	}
	r = sc(__NR_arch_prctl, ARCH_SET_FS, a->fs_base, 0, 0, 0, 0);
	if (!r && a->gs_base)
		r = sc(__NR_arch_prctl, ARCH_SET_GS, a->gs_base, 0, 0, 0, 0);
	if (r)
		fail(a, BLOB_STEP_TLS, r);
	/*
	 * Home's limits on CPU time and memory, now that the address space
	 * is the process's alone (staging needed more). Its own: no
	 * privilege to lower them, CAP_SYS_RESOURCE (which the guest lacks)
	 * to raise a hard one above the node's.
	 */
	for (i = 0; i < a->nrlim; i++) {
		r = sc(__NR_prlimit64, 0, a->rlim[i].res, (long)&a->rlim[i].cur, 0, 0, 0);
		if (r)
			fail(a, BLOB_STEP_RLIMIT, r);
	}
	/* a batch or idle job stays one on the node */
	if (a->policy) {
		r = sc(__NR_sched_setscheduler, 0, a->policy, (long)&a->sched_priority, 0, 0, 0);
		if (r)
			fail(a, BLOB_STEP_SCHED, r);
	}
	/*
	 * Its nice value, so that a niced job stays niced. A value below
	 * the one the guest has (a higher priority) needs a privilege the
	 * guest lacks: it keeps the node's, as the node's policy for guests.
	 */
	sc(__NR_setpriority, 0, 0, a->nice, 0, 0, 0);
	/* READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE...: how its next mmaps go */
	r = sc(__NR_personality, a->personality, 0, 0, 0, 0, 0);
	if (r < 0)
		fail(a, BLOB_STEP_SCHED, r);
	/* no descriptor of this node: every fd of the process lives at home */
	sc(__NR_close_range, 0, ~0U, 0, 0, 0, 0);
	r = sc(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0);
	if (r)
		fail(a, BLOB_STEP_NNP, r);
	/*
	 * Killable waits (5.19+): a signal for the guest may then be queued
	 * while its forwarded call is being answered, and is delivered as
	 * the call returns, as it would be at home.
	 */
	r = sc(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER |
	       SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV | a->filter_flags, a->fprog, 0, 0, 0);
	s->killable = r >= 0;
	if (r == -22)	/* EINVAL: an older kernel */
		r = sc(__NR_seccomp, SECCOMP_SET_MODE_FILTER,
		       SECCOMP_FILTER_FLAG_NEW_LISTENER | a->filter_flags, a->fprog, 0, 0, 0);
	if (r < 0)
		fail(a, BLOB_STEP_FILTER, r);
	/* READY with the listener; wait for GO (futex and exit are local) */
	s->fd = (int32_t)r;
	s->state = 1;
	sc(__NR_futex, (long)&s->state, FUTEX_WAKE, 1, 0, 0, 0);
	while (s->go == 0)
		sc(__NR_futex, (long)&s->go, FUTEX_WAIT, 0, 0, 0, 0);
	if (s->go != 1)
		sc(__NR_exit_group, 99, 0, 0, 0, 0, 0);
	/* the blob's own pages stay (a few pages the next dump skips) */
	asm volatile("mov %0, %%rsp\n\t"
		     "mov $15, %%eax\n\t"	/* rt_sigreturn */
		     "syscall\n\t"
		     "hlt" : : "r"(a->frame + 8) : "memory");
	__builtin_unreachable();
}
