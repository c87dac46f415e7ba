// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/mig_img.h"
#include "engine/mig_inject.h"
#include "engine/mig_proc.h"

#define GADGET 0xcc050fL	/* 0f 05: syscall, cc: int3 */

/* Kernel-internal restart codes a stopped call may show in rax. */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

/* At a signal-delivery stop: keep the signal and its siginfo for later. */
static void note_signal(struct inj *j, int sig)
{
	siginfo_t si;

	if (ptrace(PTRACE_GETSIGINFO, j->pid, 0, &si))
		memset(&si, 0, sizeof(si));
	inj_add_pending(j, sig, &si);
}

/* Drop the noted signals @drop says to, keeping the order of the rest. */
static void forget(struct inj *j, bool (*drop)(int))
{
	int k = 0;

	for (int i = 0; i < j->npending; i++) {
		if (drop(j->pending[i]))
			continue;
		j->pending[k] = j->pending[i];
		j->pending_info[k++] = j->pending_info[i];
	}
	j->npending = k;
}

static bool is_cont(int sig)
{
	return sig == SIGCONT;
}

void inj_add_pending(struct inj *j, int sig, const void *info)
{
	/* as the kernel's prepare_signal: a stop discards a pending SIGCONT,
	 * and SIGCONT the pending stops */
	if (mig_signal_stops(sig))
		forget(j, is_cont);
	else if (sig == SIGCONT)
		forget(j, mig_signal_stops);
	if (sig < 32)	/* the kernel's first real-time signal, not glibc's */
		for (int i = 0; i < j->npending; i++)
			if (j->pending[i] == sig)
				return;
	if (j->npending == INJ_PENDING_MAX) {
		j->lost++;
		return;
	}
	memcpy(&j->pending_info[j->npending], info, sizeof(siginfo_t));
	j->pending[j->npending++] = sig;
}

/* The process ended under us (reaped here: the caller's own waitpid
 * will find nothing). */
static int died(struct inj *j, int st)
{
	j->dead = 1;
	j->status = st;
	return -ESRCH;
}

/*
 * A SIGTRAP stop is ours (the gadget's int3, a single step) when the
 * kernel raised it; kill() and sigqueue() cannot forge a positive code.
 */
static bool own_trap(const struct inj *j, int st)
{
	siginfo_t si;

	if (WSTOPSIG(st) != SIGTRAP || (st >> 16) != 0)
		return false;
	return ptrace(PTRACE_GETSIGINFO, j->pid, 0, &si) || si.si_code > 0;
}

int inj_seize_start(pid_t pid)
{
	if (ptrace(PTRACE_SEIZE, pid, 0, 0))
		return -errno;
	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0)) {
		int e = -errno;

		ptrace(PTRACE_DETACH, pid, 0, 0);
		return e;
	}
	return 0;
}

int inj_seize_wait(pid_t pid)
{
	int st;

	for (;;) {
		if (waitpid(pid, &st, __WALL) < 0) {
			st = -errno;
			ptrace(PTRACE_DETACH, pid, 0, 0);
			return st;
		}
		if (!WIFSTOPPED(st))
			return -ESRCH;
		if ((st >> 16) == PTRACE_EVENT_STOP)
			return 0;
		/* a signal on its way in: let it go, it is delivered as usual */
		ptrace(PTRACE_CONT, pid, 0, WSTOPSIG(st));
	}
}

int inj_seize(pid_t pid)
{
	int e = inj_seize_start(pid);

	return e ? e : inj_seize_wait(pid);
}

int inj_interrupt(struct inj *j)
{
	int st;

	if (ptrace(PTRACE_INTERRUPT, j->pid, 0, 0))
		return -errno;
	for (;;) {
		if (waitpid(j->pid, &st, __WALL) < 0)
			return errno == ECHILD ? died(j, 0) : -errno;
		if (!WIFSTOPPED(st))
			return died(j, st);
		if ((st >> 16) == PTRACE_EVENT_STOP)
			return 0;
		if ((st >> 16) == 0)
			note_signal(j, WSTOPSIG(st));
		ptrace(PTRACE_CONT, j->pid, 0, 0);
	}
}

#define INTERRUPT_NAP_MAX_NS (50 * 1000000L)

static bool restarting(long rax)
{
	return rax == -ERESTARTSYS || rax == -ERESTARTNOINTR || rax == -ERESTARTNOHAND ||
	       rax == -ERESTART_RESTARTBLOCK;
}

/*
 * At a signal-delivery stop inside the injected call: no restart. A call
 * the kernel ends with EINTR itself (epoll_wait, semop) counts as aborted
 * too: home's kernel shows its tracer, so wakes the call for, every
 * signal, one the process ignores as well, and only the node knows
 * whether the process would have been interrupted.
 */
static void abort_call(struct inj *j)
{
	struct user_regs_struct r;

	if (ptrace(PTRACE_GETREGS, j->pid, 0, &r) || (long)r.orig_rax < 0 ||
	    (!restarting((long)r.rax) && (long)r.rax != -EINTR))
		return;
	/* it restarts by itself and then makes the call: nothing to abort */
	if (j->abort_not_futex && r.orig_rax == SYS_futex && r.rdi == j->abort_not_futex)
		return;
	j->abort_code = (long)r.rax;
	r.rax = (unsigned long long)-EINTR;
	r.orig_rax = (unsigned long long)-1;
	if (!ptrace(PTRACE_SETREGS, j->pid, 0, &r))
		j->aborted = 1;
}

void inj_call_stop(struct inj *j, int st)
{
	if ((st >> 16) == 0) {
		note_signal(j, WSTOPSIG(st));
		abort_call(j);
		/* it came before the call began: pending all the same */
		j->interrupt |= !j->aborted;
	} else if ((st >> 16) == PTRACE_EVENT_STOP && j->interrupt && !j->aborted) {
		abort_call(j);
	}
}

void inj_interrupt_call(struct inj *j)
{
	if (j->interrupt && !j->aborted)
		ptrace(PTRACE_INTERRUPT, j->pid, 0, 0);
}

/*
 * Wait for the trap that ends what @resume (PTRACE_CONT or
 * PTRACE_SINGLESTEP) started, noting signals met on the way and resuming
 * the same way past them.
 */
static int wait_trap(struct inj *j, int resume)
{
	long nap_ns = 20000;
	int st;

	for (;;) {
		bool poll = j->abort_on_signal && j->interrupt && !j->aborted;
		pid_t w = waitpid(j->pid, &st, __WALL | (poll ? WNOHANG : 0));

		if (w == 0) {
			struct timespec ts = { 0, nap_ns };

			inj_interrupt_call(j);
			nanosleep(&ts, NULL);
			if (nap_ns < INTERRUPT_NAP_MAX_NS)
				nap_ns *= 2;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno == ECHILD ? died(j, 0) : -errno;
		if (!WIFSTOPPED(st))
			return died(j, st);
		if (own_trap(j, st))
			return st;
		if (j->abort_on_signal)
			inj_call_stop(j, st);
		else if ((st >> 16) == 0)
			note_signal(j, WSTOPSIG(st));
		/* a signal-delivery stop, or a late PTRACE_INTERRUPT: go on */
		ptrace((enum __ptrace_request)resume, j->pid, 0, 0);
	}
}

int inj_wait_trap(struct inj *j)
{
	return wait_trap(j, PTRACE_CONT);
}

long inj_call(struct inj *j, long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	struct user_regs_struct r = j->saved;

	if (j->dead)
		return -ESRCH;
	r.rip = j->gadget;
	r.rax = nr;
	r.orig_rax = -1;	/* not in a call: no restart logic on the way out */
	r.rdi = a1;
	r.rsi = a2;
	r.rdx = a3;
	r.r10 = a4;
	r.r8 = a5;
	r.r9 = a6;
	if (ptrace(PTRACE_SETREGS, j->pid, 0, &r) || ptrace(PTRACE_CONT, j->pid, 0, 0))
		return -ESRCH;
	if (inj_wait_trap(j) < 0)
		return -ESRCH;
	if (ptrace(PTRACE_GETREGS, j->pid, 0, &r))
		return -ESRCH;
	return (long)r.rax;
}

/* Run one call from the gadget poked at the saved rip. */
static long call_at_rip(struct inj *j, long nr, long a1, long a2, long a3, long a4, long a5,
			long a6)
{
	long orig, r;
	uint64_t keep = j->gadget;

	errno = 0;
	orig = ptrace(PTRACE_PEEKTEXT, j->pid, j->saved.rip, 0);
	if (errno)
		return -errno;
	if (ptrace(PTRACE_POKETEXT, j->pid, j->saved.rip, (orig & ~0xffffffL) | GADGET))
		return -errno;
	j->gadget = j->saved.rip;
	r = inj_call(j, nr, a1, a2, a3, a4, a5, a6);
	j->gadget = keep;
	if (ptrace(PTRACE_POKETEXT, j->pid, j->saved.rip, orig) && r >= 0)
		return -errno;
	return r;
}

#define TRAP_BIT (1ull << (SIGTRAP - 1))

/* Block @mask now, but never SIGTRAP (see struct inj's mask). */
static int set_mask_now(const struct inj *j, uint64_t mask)
{
	mask &= ~TRAP_BIT;
	return ptrace(PTRACE_SETSIGMASK, j->pid, sizeof(mask), &mask) ? -ESRCH : 0;
}

int inj_set_mask(struct inj *j, uint64_t mask)
{
	j->mask = mask;
	return set_mask_now(j, mask);
}

int inj_setup(struct inj *j, pid_t pid, size_t scratch_len)
{
	struct mig_proc_sigs sigs;
	long a;

	memset(j, 0, sizeof(*j));
	j->pid = pid;
	if (ptrace(PTRACE_GETREGS, pid, 0, &j->saved) ||
	    ptrace(PTRACE_GETSIGMASK, pid, sizeof(j->mask), &j->mask))
		return -errno;
	/* before the first trap, which would make it SIG_DFL */
	j->trap_ign = !mig_proc_sigs(pid, &sigs) && (sigs.ign & TRAP_BIT);
	if ((j->mask & TRAP_BIT) && set_mask_now(j, j->mask))
		return -ESRCH;
	a = call_at_rip(j, SYS_mmap, 0, scratch_len, PROT_READ | PROT_WRITE | PROT_EXEC,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a < 0 && a > -4096)
		goto out_restore;
	j->scratch = a;
	j->scratch_len = scratch_len;
	if (ptrace(PTRACE_POKEDATA, pid, a, GADGET)) {
		a = -errno;
		goto out_unmap;
	}
	j->gadget = a;
	return inj_restore(j);
out_unmap:
	call_at_rip(j, SYS_munmap, j->scratch, scratch_len, 0, 0, 0, 0);
	j->scratch = 0;
out_restore:
	inj_restore(j);
	ptrace(PTRACE_SETSIGMASK, pid, sizeof(j->mask), &j->mask);
	/* no scratch to requeue through: pending in its kernel till detached */
	for (int i = 0; i < j->npending; i++)
		kill(pid, j->pending[i]);
	j->npending = 0;
	return (int)a;
}

#define STEP_OUT_MAX 100000

static bool inside(uint64_t ip, const uint64_t (*r)[2], int n)
{
	for (int i = 0; i < n; i++)
		if (ip >= r[i][0] && ip < r[i][1])
			return true;
	return false;
}

/* Offset of uc_sigmask in the frame rt_sigreturn reads at rsp (the
 * kernel's struct ucontext: flags, link, stack, sigcontext, then it). */
#define UC_SIGMASK_OFF (8 + 8 + 24 + 256)

/*
 * About to step over rt_sigreturn (the restorer)? It loads the frame's
 * mask, which then is the process's own (*@mask, SIGTRAP included); but
 * that mask must not block SIGTRAP, or the step's own trap would reset
 * the handler, so the frame's copy loses it.
 */
static bool before_sigreturn(struct inj *j, uint64_t *mask)
{
	uint64_t at = j->saved.rsp + UC_SIGMASK_OFF, off;
	long insn;

	if (j->saved.rax != SYS_rt_sigreturn)
		return false;
	errno = 0;
	insn = ptrace(PTRACE_PEEKTEXT, j->pid, j->saved.rip, 0);
	if (errno || (insn & 0xffff) != 0x050f || inj_get(j, at, mask, sizeof(*mask)))
		return false;
	off = *mask & ~TRAP_BIT;
	return off == *mask || !inj_put(j, at, &off, sizeof(off));
}

int inj_step_out(struct inj *j, const uint64_t (*r)[2], int n)
{
	int steps = 0;

	if (inj_restore(j))
		return -ESRCH;
	while (inside(j->saved.rip, r, n)) {
		uint64_t frame;
		bool sigreturn = before_sigreturn(j, &frame);
		int st;

		if (++steps > STEP_OUT_MAX)
			return -EBUSY;
		/* signals met on the way travel with the process */
		if (ptrace(PTRACE_SINGLESTEP, j->pid, 0, 0))
			return -ESRCH;
		st = wait_trap(j, PTRACE_SINGLESTEP);
		if (st < 0)
			return st;
		if (ptrace(PTRACE_GETREGS, j->pid, 0, &j->saved))
			return -ESRCH;
		if (sigreturn)
			j->mask = frame;	/* what rt_sigreturn gave it */
	}
	return 0;
}

int inj_put(const struct inj *j, uint64_t addr, const void *buf, size_t n)
{
	struct iovec l = { (void *)buf, n }, r = { (void *)addr, n };

	if (!n)
		return 0;
	return process_vm_writev(j->pid, &l, 1, &r, 1, 0) == (ssize_t)n ? 0 : -EFAULT;
}

int inj_get(const struct inj *j, uint64_t addr, void *buf, size_t n)
{
	struct iovec l = { buf, n }, r = { (void *)addr, n };

	if (!n)
		return 0;
	return process_vm_readv(j->pid, &l, 1, &r, 1, 0) == (ssize_t)n ? 0 : -EFAULT;
}

/* Where inj_requeue() puts each siginfo: clear of the small buffers the
 * deputy uses below 1 KiB and of its agent's code at 2 KiB. */
#define REQUEUE_OFF 1024

int inj_requeue(struct inj *j)
{
	long self;

	if (!j->npending)
		return 0;
	if (j->dead || !j->scratch || j->scratch_len < REQUEUE_OFF + sizeof(siginfo_t) ||
	    set_mask_now(j, ~0ull))
		return -ESRCH;
	/* its own pid, as its pid namespace numbers it */
	self = inj_call(j, SYS_getpid, 0, 0, 0, 0, 0, 0);
	if (self < 0)
		return (int)self;
	for (int i = 0; i < j->npending; i++) {
		siginfo_t *si = &j->pending_info[i];

		if (j->pending[i] == SIGSTOP || j->pending[i] == SIGTRAP) {
			j->send_after |= 1ull << (j->pending[i] - 1);
			continue;
		}
		si->si_signo = j->pending[i];
		if (inj_put(j, j->scratch + REQUEUE_OFF, si, sizeof(*si)) ||
		    inj_call(j, SYS_rt_tgsigqueueinfo, self, self, j->pending[i],
			     (long)(j->scratch + REQUEUE_OFF), 0, 0) == -ESRCH)
			return -ESRCH;
	}
	j->npending = 0;
	return 0;
}

void inj_send_after(struct inj *j)
{
	for (int sig = 1; sig <= 64; sig++)
		if (j->send_after & (1ull << (sig - 1)))
			kill(j->pid, sig);
	j->send_after = 0;
}

/*
 * rt_sigaction(SIGTRAP, SIG_IGN) from a bare `syscall` poked at the saved
 * rip, ended at its syscall-exit stop (ptrace_notify, no signal): the
 * gadget's int3 would make it SIG_DFL again. The action is written below
 * the red zone of the process's stack.
 */
static int ignore_trap_again(struct inj *j)
{
	const uint64_t ign[4] = { (uint64_t)(uintptr_t)SIG_IGN, 0, 0, 0 };
	struct user_regs_struct r = j->saved;
	uint64_t at = (j->saved.rsp - 128 - sizeof(ign)) & ~15ull;
	long orig;
	int e = 0;

	errno = 0;
	orig = ptrace(PTRACE_PEEKTEXT, j->pid, j->saved.rip, 0);
	if (errno)
		return -errno;
	if (inj_put(j, at, ign, sizeof(ign)) ||
	    ptrace(PTRACE_POKETEXT, j->pid, j->saved.rip, (orig & ~0xffffL) | 0x050f))
		return -EFAULT;
	r.rax = SYS_rt_sigaction;
	r.orig_rax = (unsigned long long)-1;
	r.rdi = SIGTRAP;
	r.rsi = at;
	r.rdx = 0;
	r.r10 = 8;
	if (ptrace(PTRACE_SETREGS, j->pid, 0, &r))
		e = -ESRCH;
	/* the entry stop, then the exit stop */
	for (int stop = 0; !e && stop < 2; stop++) {
		int st;

		if (ptrace(PTRACE_SYSCALL, j->pid, 0, 0))
			e = -ESRCH;
		else if ((st = wait_trap(j, PTRACE_SYSCALL)) < 0)
			e = st;
	}
	if (ptrace(PTRACE_POKETEXT, j->pid, j->saved.rip, orig) && !e)
		e = -ESRCH;
	return e;
}

int inj_teardown(struct inj *j)
{
	long r = 0;

	if (j->scratch)
		r = call_at_rip(j, SYS_munmap, j->scratch, j->scratch_len, 0, 0, 0, 0);
	j->scratch = 0;
	if (j->trap_ign && !j->dead && ignore_trap_again(j) && !r)
		r = -ESRCH;
	if (inj_restore(j) && !r)
		r = -ESRCH;
	if (ptrace(PTRACE_SETSIGMASK, j->pid, sizeof(j->mask), &j->mask) && !r)
		r = -ESRCH;
	return (int)r;
}

int inj_restore(struct inj *j)
{
	return ptrace(PTRACE_SETREGS, j->pid, 0, &j->saved) ? -errno : 0;
}
