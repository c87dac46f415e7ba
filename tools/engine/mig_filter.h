/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_MIG_FILTER_H
#define MOSIX_MIG_FILTER_H

/*
 * The guest's seccomp filter, from the syscall table: SC_LOCAL calls and
 * anonymous mmap run on the node; clock_gettime/getres too unless the
 * clock is a CPU-time clock, and rt_sigaction unless it sets SIGCHLD's
 * disposition (which home needs too: rem_super.c); any other architecture or the x32 ABI kills
 * the process; everything else goes to the supervisor as a user
 * notification.
 *
 * With MIG_FILTER_KERNEL_IDS the SC_ANSWER calls (getpid, gettid,
 * getppid) run on the node too: the patched kernel answers them with the
 * home's values once /proc/PID/mosix/guest is set (lib/kmosix.h), and the
 * supervisor must set it before the guest runs code of its own.
 */

#include <linux/filter.h>
#include <stddef.h>

#define MIG_FILTER_MAX 256

enum mig_filter_flags {
	MIG_FILTER_KERNEL_IDS = 1 << 0,	/* the kernel answers SC_ANSWER calls */
};

/*
 * Fills @f (room for MIG_FILTER_MAX instructions) as @flags (enum
 * mig_filter_flags) say; returns the count.
 */
size_t mig_filter_build(struct sock_filter *f, unsigned flags);

/*
 * Asks the kernel (6.6+) to switch between the trapped guest and its
 * supervisor on the guest's CPU, as a direct hand-off: without it each
 * notification wakes the supervisor wherever the scheduler puts it, which
 * costs a cross-CPU wake-up both ways (about 8 us of a 16 us round trip
 * here). 0, or -errno (-EINVAL on older kernels: nothing changes).
 */
int mig_filter_sync_wake(int listener);

#endif
