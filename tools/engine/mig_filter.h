/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_MIG_FILTER_H
#define MOSIX_MIG_FILTER_H

/*
 * The guest's seccomp filter, from the syscall table: SC_LOCAL calls and
 * anonymous mmap run on the node; clock_gettime/getres too unless the
 * clock is a CPU-time clock; any other architecture or the x32 ABI kills
 * the process; everything else goes to the supervisor as a user
 * notification.
 */

#include <linux/filter.h>
#include <stddef.h>

#define MIG_FILTER_MAX 256

/* Fills @f (room for MIG_FILTER_MAX instructions); returns the count. */
size_t mig_filter_build(struct sock_filter *f);

#endif
