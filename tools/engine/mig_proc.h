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

/* CPU time @pid has used, ns (its process CPU clock); 0 if gone. */
uint64_t mig_proc_cpu_ns(pid_t pid);

#endif
