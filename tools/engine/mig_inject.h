/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_MIG_INJECT_H
#define MOSIX_MIG_INJECT_H

/*
 * System calls run inside a ptrace-stopped process, on its behalf: its
 * fds, its memory, its credentials (the technique of CRIU's compel and of
 * reptyr, written anew). The first call pokes `syscall; int3` over the
 * bytes at the stopped rip and puts them back at once; it maps a scratch
 * area whose first bytes hold the same gadget, so every later call leaves
 * the program's text untouched.
 *
 * Signals that arrive while a call runs are not delivered: they are noted
 * in `pending` for the caller (the deputy forwards them) and suppressed.
 * As in the kernel's own queue, a standard signal already noted is not
 * noted twice; real-time ones queue, up to INJ_PENDING_MAX (`lost`
 * counts those dropped beyond). A SIGTRAP is the gadget's only when the
 * kernel made it: one a user sent is noted like any other signal.
 */

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#define INJ_PENDING_MAX 64

struct inj {
	pid_t pid;
	struct user_regs_struct saved;	/* the process's own registers */
	uint64_t gadget;		/* "syscall; int3" */
	uint64_t scratch, scratch_len;
	int pending[INJ_PENDING_MAX];
	siginfo_t pending_info[INJ_PENDING_MAX];
	int npending;
	int lost;			/* signals beyond INJ_PENDING_MAX */
	int dead;			/* the process ended under us */
	int status;			/* how, as waitpid() told it */
	/*
	 * Its mask, given back by inj_teardown(). Meanwhile SIGTRAP stays
	 * unblocked: the kernel forces the gadget's trap (and a single
	 * step's) through a blocked SIGTRAP by resetting the process's
	 * handler to SIG_DFL.
	 */
	uint64_t mask;
	uint64_t send_after;		/* signals for inj_send_after() */
	/*
	 * SIGTRAP is SIG_IGN: the kernel makes it SIG_DFL to force the first
	 * trap through, so the dump takes it from here and inj_teardown()
	 * puts it back by a call that ends without a trap.
	 */
	int trap_ign;
	/*
	 * With abort_on_signal, a signal that interrupts the injected call
	 * before it did anything makes it return -EINTR instead of
	 * restarting, and sets aborted (the deputy's forwarded calls).
	 */
	int abort_on_signal;
	int aborted;
	long abort_code;		/* the -ERESTART* code or -EINTR it had then */
	/*
	 * Not the call stopped in a futex wait at this address: the home
	 * agent's own, waiting for the call it has not picked up yet (0:
	 * no such wait).
	 */
	uint64_t abort_not_futex;
	/*
	 * A signal is pending for the call being made (it came before the
	 * call began at home, or met it on its way from the node): the
	 * kernel would end the call's first interruptible wait for it, but
	 * the suppressed signal is not pending at home. So the process is
	 * stopped with PTRACE_INTERRUPT, again every little while (up to 50
	 * ms) until the call ends: the wait ends as for a signal, and the
	 * stop aborts the call as abort_on_signal does; a call that does not
	 * wait ends normally. Set by the caller or by a signal noted before
	 * the call began (with abort_on_signal); the caller clears it.
	 */
	int interrupt;
};

/*
 * Stop a running process that we may trace: PTRACE_SEIZE, then
 * PTRACE_INTERRUPT; no group stop, so its parent sees nothing.
 */
int inj_seize(pid_t pid);
/* The same in two halves, for a caller that must act between them. */
int inj_seize_start(pid_t pid);
int inj_seize_wait(pid_t pid);
/* Interrupt an already seized process and wait for the stop. */
int inj_interrupt(struct inj *j);

/*
 * The process is in a ptrace stop: save its registers, map @scratch_len
 * bytes (rwx, private) and plant the gadget there.
 */
int inj_setup(struct inj *j, pid_t pid, size_t scratch_len);

/* One system call; its return value (-errno on failure), or -ESRCH when
 * the process died. */
long inj_call(struct inj *j, long nr, long a1, long a2, long a3, long a4, long a5, long a6);

int inj_put(const struct inj *j, uint64_t addr, const void *buf, size_t n);
int inj_get(const struct inj *j, uint64_t addr, void *buf, size_t n);

/*
 * Single-step the process until its rip is outside every range of @r (@n
 * of them, [lo, hi) pairs): a process stopped inside the vDSO cannot resume
 * there on a node whose vDSO differs. Signals met on the way are noted in
 * `pending` as during a call. Updates `saved`; -EBUSY when it is still
 * inside after many steps.
 */
int inj_step_out(struct inj *j, const uint64_t (*r)[2], int n);

/*
 * Give the process back the signals noted in `pending`: it queues each to
 * itself (rt_tgsigqueueinfo, so the siginfo is kept whatever its code),
 * with every signal blocked until inj_teardown() puts its mask back, so
 * that they wait for it to run free. SIGSTOP cannot wait so, nor SIGTRAP
 * (see `mask`): those are left in send_after. 0 or -ESRCH.
 */
int inj_requeue(struct inj *j);
/* Once detached: kill() it with each signal of send_after (their sender
 * is then ours). */
void inj_send_after(struct inj *j);

/* The mask inj_teardown() leaves the process with (SIGTRAP aside, it
 * holds from now on). 0 or -ESRCH. */
int inj_set_mask(struct inj *j, uint64_t mask);

/* Unmap the scratch area (from the original rip: the gadget cannot unmap
 * itself), put the process's registers back, and its mask; it stays
 * stopped. */
int inj_teardown(struct inj *j);
/* Only put the registers back. */
int inj_restore(struct inj *j);

/*
 * A stop of the process while a forwarded call runs, seen by a caller
 * that waits itself (the home agent's), handled as inj_wait_trap() does
 * with abort_on_signal: a signal is noted and may abort the call, and
 * sets interrupt if it came before the call began; with interrupt, our
 * PTRACE_INTERRUPT's stop aborts the call.
 */
void inj_call_stop(struct inj *j, int st);
/* With interrupt and the call not yet aborted: stop it (once). */
void inj_interrupt_call(struct inj *j);

/* Note @sig with @info (a siginfo_t) as if it had arrived during a call:
 * a signal the process had elsewhere, for inj_requeue(). */
void inj_add_pending(struct inj *j, int sig, const void *info);

/* Wait for the next stop of the tracee, noting and suppressing signals;
 * returns the wait status or -ESRCH when the process ended. */
int inj_wait_trap(struct inj *j);

#endif
