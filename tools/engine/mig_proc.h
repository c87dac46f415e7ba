/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_MIG_PROC_H
#define MOSIX_MIG_PROC_H

/* Small facts about another process, from /proc and its CPU clock. */

#include <stdint.h>
#include <sys/types.h>

/*
 * State letter and parent of @pid from /proc/PID/stat (the comm may hold
 * spaces and parentheses: parsed from the last ')'). 0 or -errno.
 */
int mig_proc_stat(pid_t pid, char *ret_state, pid_t *ret_ppid);

/* The signal sets of /proc/PID/status: blocked, ignored, caught. */
struct mig_proc_sigs {
	uint64_t blk, ign, cgt;
};

/* 0 or -errno; sets it has no line for are 0. */
int mig_proc_sigs(pid_t pid, struct mig_proc_sigs *ret);

/* CPU time @pid has used, ns (its process CPU clock); 0 if gone. */
uint64_t mig_proc_cpu_ns(pid_t pid);

/* Where /proc/PID/maps shows its [vdso]: 0, or -ENOENT without one. */
int mig_proc_vdso(pid_t pid, uint64_t *ret_start, uint64_t *ret_end);

#endif
