/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_MIG_CANTMOVE_H
#define MOSIX_MIG_CANTMOVE_H

/*
 * Why a process cannot migrate, read from /proc without stopping it:
 * mps shows the reason in its CANTMOVE column and migrate refuses with it.
 *
 * The engine moves memory and registers and leaves every kernel object at
 * home; a process that depends on kernel state that would have to move
 * with it (a second thread, memory shared with others, a device, a timer
 * counting its own CPU time...) cannot go. Some reasons are of this
 * version only (own seccomp filter, hugetlb, shadow stack): later versions
 * may move such processes.
 *
 * Not seen from /proc, so found later by the deputy once the process is
 * stopped (mig_dump_cant): itimers counting CPU time (ITIMER_VIRTUAL,
 * ITIMER_PROF), ioperm, a 64-bit program running 32-bit code; and what
 * the target node refuses. iopl(3) alone, emulated without a bitmap since
 * Linux 5.5, is not seen on a stock kernel (the patched kernel's
 * /proc/PID/mosix/cantmove shows it).
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum mig_cant {
	MIG_CAN = 0,
	MIG_CANT_GONE,		/* no such process */
	MIG_CANT_KTHREAD,
	MIG_CANT_INIT,		/* pid 1: its pid namespace would die */
	MIG_CANT_ZOMBIE,	/* exiting or dead, not reaped yet */
	MIG_CANT_USER_LOCK,	/* its user locked it at home */
	MIG_CANT_THREADS,	/* a second thread shares the address space */
	MIG_CANT_TRACED,	/* a debugger, or another deputy */
	MIG_CANT_COMPAT,	/* 32-bit or x32 program */
	MIG_CANT_REALTIME,	/* SCHED_FIFO, SCHED_RR, SCHED_DEADLINE */
	MIG_CANT_MLOCK,		/* mlock, mlockall */
	MIG_CANT_SECCOMP,	/* the guest's filter would stack on its own */
	MIG_CANT_SHSTK,		/* x86 shadow stack */
	MIG_CANT_SIGNALFD,	/* signals are delivered remotely */
	MIG_CANT_USERFAULTFD,	/* open, or memory registered with one */
	MIG_CANT_IO_URING,
	MIG_CANT_PERF,		/* perf events count the home task */
	MIG_CANT_CPU_TIMER,	/* POSIX timer on a CPU-time clock */
	MIG_CANT_SYSV_SHM,
	MIG_CANT_SHARED_WRITE,	/* MAP_SHARED and writable: file, anon, memfd */
	MIG_CANT_DEVICE,	/* VM_IO or VM_PFNMAP mapping */
	MIG_CANT_HUGETLB,
	MIG_CANT_PKEY,		/* memory protection keys in use */
	MIG_CANT_SHARED_MM,	/* another process on its memory (CLONE_VM, vfork) */
	MIG_CANT_IOPORT,	/* ioperm: seen once stopped (mig_dump_cant) */
	MIG_CANT_FORK_MEMORY,	/* MADV_WIPEONFORK, MADV_DONTFORK, MAP_DROPPABLE */
	MIG_CANT_SEALED,	/* mseal */
	MIG_CANT_FROZEN,	/* a cgroup freezer holds it: nothing can be injected */
	MIG_CANT_NR
};

/*
 * The reason in a few lowercase words ("multi-threaded", "locked memory"),
 * as mps and migrate print it; "-" for MIG_CAN, "?" for a value out of
 * range.
 */
const char *mig_cant_str(enum mig_cant why);

/*
 * Whether @pid could migrate now: 0 and *@ret set to the first reason
 * found, or MIG_CAN. The cheap sources are read first (stat; the user
 * lock: the kernel's when /proc/mosix keeps one, and RUN/proc/PID/lock of
 * the process and its ancestors when @run_dir is not NULL; status, open
 * fds, POSIX timers, kin on the same memory) and smaps last, so most
 * processes that cannot move are told without reading their memory map.
 * No file of the process is opened (its program may sit on a file system
 * whose server never answers): only /proc is read.
 *
 * Errors: -ESRCH when the process is gone (or goes while it is read);
 * -EACCES when a source the caller may not read (another user's fds, smaps)
 * was needed to decide, i.e. no reason was found in the others; other
 * -errno of reading /proc. *@ret is untouched on failure.
 */
int mig_cantmove(pid_t pid, const char *run_dir, enum mig_cant *ret);

/*
 * What smaps said of a process (MIG_CAN or one of its reasons), with a
 * digest of its maps at the time. The balancer asks about every candidate
 * each turn, and smaps walks the page tables (about 20 ms a GiB resident
 * here) where maps does not (0.4 ms). Zeroed: nothing known yet.
 */
struct mig_cant_memo {
	uint64_t maps_digest;
	enum mig_cant smaps_why;
	bool valid;
};

/*
 * mig_cantmove, reading smaps again only when maps changed since @memo
 * was filled. What only smaps shows can change with maps as it was: a
 * madvise (MADV_WIPEONFORK, MADV_DONTFORK), a userfaultfd registration,
 * a protection key or an mseal over whole mappings; the answer then lags
 * until maps changes or the memo is cleared. Good enough to pick
 * candidates, since the deputy asks mig_cantmove_frozen, without a memo,
 * before anything moves; the caller clears the memo when that refused.
 */
int mig_cantmove_memo(pid_t pid, const char *run_dir, struct mig_cant_memo *memo,
		      enum mig_cant *ret);

/*
 * mig_cantmove without smaps, for a request to move @pid now: the deputy
 * asks mig_cantmove_frozen anyway, and smaps is most of the cost (its
 * page-table walk: 0.3 ms for 16 MiB resident here, 12 ms for 1 GiB),
 * paid twice and in migd's main loop before. What only smaps shows (a
 * writable shared mapping, SysV memory, a device's...) is then found once
 * the node was reached and the process stopped, and refused the same way.
 */
int mig_cantmove_quick(pid_t pid, const char *run_dir, enum mig_cant *ret);

/*
 * The same, asked again by the deputy once it holds @pid stopped under
 * ptrace, its caller as the tracer that does not count: between
 * mig_cantmove and the stop the process may have started a thread or a
 * process on its memory, opened a signalfd, exec'd a 32-bit program...
 * Stopped, it can start none of these any more, so what this says holds
 * until it runs again.
 */
int mig_cantmove_frozen(pid_t pid, const char *run_dir, enum mig_cant *ret);

#endif
