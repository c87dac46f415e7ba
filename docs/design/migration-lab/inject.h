/* inject.h - run a system call inside a ptrace-stopped process (compel /
 * reptyr style, written from scratch). The first call pokes "syscall; int3"
 * over the bytes at the stopped rip and restores them afterwards; inj_setup
 * uses that to map a scratch area whose first bytes hold the gadget, so all
 * later calls leave the program text untouched. */
#ifndef INJECT_H
#define INJECT_H
#include "lab.h"
#include <string.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>

struct inj {
	pid_t pid;
	struct user_regs_struct saved;	/* the process's own registers */
	uint64_t gadget;		/* address of "syscall; int3" */
	uint64_t scratch, scratch_len;	/* buffers for arguments */
	int pending[8], npending;	/* signals that arrived meanwhile */
};

/* Wait for the next stop; signals that arrive first are noted (for the
 * deputy to forward) and suppressed. Returns the stop status or -1 on exit. */
static inline int inj_wait_trap(struct inj *j)
{
	for (;;) {
		int st;
		if (waitpid(j->pid, &st, __WALL) < 0) return -1;
		if (WIFEXITED(st) || WIFSIGNALED(st)) return -1;
		int sig = WSTOPSIG(st);
		if (sig == SIGTRAP && (st >> 16) == 0) return st;
		if ((st >> 16) == 0 && j->npending < 8) j->pending[j->npending++] = sig;
		/* a signal-delivery stop or a late PTRACE_INTERRUPT: go on */
		ptrace(PTRACE_CONT, j->pid, 0, 0);
	}
}

static inline long inj_call(struct inj *j, long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	struct user_regs_struct r = j->saved;
	r.rip = j->gadget; r.rax = nr; r.orig_rax = -1;	/* -1: no restart logic */
	r.rdi = a1; r.rsi = a2; r.rdx = a3; r.r10 = a4; r.r8 = a5; r.r9 = a6;
	if (ptrace(PTRACE_SETREGS, j->pid, 0, &r)) return -ESRCH;
	if (ptrace(PTRACE_CONT, j->pid, 0, 0)) return -ESRCH;
	if (inj_wait_trap(j) < 0) return -ESRCH;
	if (ptrace(PTRACE_GETREGS, j->pid, 0, &r)) return -ESRCH;
	return (long)r.rax;
}

/* The process must be in a ptrace stop. Saves its registers, maps
 * @scratch_len bytes of scratch and plants the gadget there. */
static inline int inj_setup(struct inj *j, pid_t pid, size_t scratch_len)
{
	memset(j, 0, sizeof(*j));
	j->pid = pid;
	if (ptrace(PTRACE_GETREGS, pid, 0, &j->saved)) return -1;
	long orig = ptrace(PTRACE_PEEKTEXT, pid, j->saved.rip, 0);
	if (errno) return -1;
	long code = (orig & ~0xffffffL) | 0xcc050fL;	/* 0f 05 cc */
	if (ptrace(PTRACE_POKETEXT, pid, j->saved.rip, code)) return -1;
	j->gadget = j->saved.rip;
	long a = inj_call(j, SYS_mmap, 0, scratch_len, PROT_READ | PROT_WRITE | PROT_EXEC,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ptrace(PTRACE_POKETEXT, pid, j->saved.rip, orig);
	if (a < 0 && a > -4096) return -1;
	j->scratch = a; j->scratch_len = scratch_len;
	if (ptrace(PTRACE_POKEDATA, pid, a, 0xcc050fL)) return -1;
	j->gadget = a;
	return ptrace(PTRACE_SETREGS, pid, 0, &j->saved) ? -1 : 0;
}

static inline int inj_put(struct inj *j, uint64_t addr, const void *buf, size_t n)
{
	struct iovec l = { (void *)buf, n }, r = { (void *)addr, n };
	return process_vm_writev(j->pid, &l, 1, &r, 1, 0) == (ssize_t)n ? 0 : -1;
}
static inline int inj_get(struct inj *j, uint64_t addr, void *buf, size_t n)
{
	struct iovec l = { buf, n }, r = { (void *)addr, n };
	return process_vm_readv(j->pid, &l, 1, &r, 1, 0) == (ssize_t)n ? 0 : -1;
}
/* Unmap the scratch area: the gadget in it cannot unmap itself (the int3
 * after the syscall would be gone), so run munmap from the original rip. */
static inline int inj_teardown(struct inj *j)
{
	long orig = ptrace(PTRACE_PEEKTEXT, j->pid, j->saved.rip, 0);
	if (ptrace(PTRACE_POKETEXT, j->pid, j->saved.rip, (orig & ~0xffffffL) | 0xcc050fL)) return -1;
	j->gadget = j->saved.rip;
	long r = inj_call(j, SYS_munmap, j->scratch, j->scratch_len, 0, 0, 0, 0);
	ptrace(PTRACE_POKETEXT, j->pid, j->saved.rip, orig);
	return r ? -1 : 0;
}
/* Put the process's registers back (it stays stopped). */
static inline int inj_restore(struct inj *j)
{
	return ptrace(PTRACE_SETREGS, j->pid, 0, &j->saved) ? -1 : 0;
}
#endif
