/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_DEP_RUSAGE_H
#define MOSIX_DEP_RUSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A migrated process's getrusage(RUSAGE_SELF or RUSAGE_THREAD) and times()
 * run at home, where the kernel counts only the CPU time the home task
 * used (before the move, and the agent's calls since). The deputy adds
 * the time the process used on nodes to the answer, so that these agree
 * with clock_gettime(CLOCK_PROCESS_CPUTIME_ID), which the node answers
 * with all of it. The time away is counted as user time: the node does
 * not tell its user and system parts apart (a guest spends nearly all of
 * it in user space; its system calls that matter run at home).
 *
 * @call is the SYSCALL record (checked), @reply the SYSRET record built
 * for it, @reply_len its length; @away_ns the CPU time used away so far.
 * Returns true when the answer was changed.
 */
bool dep_rusage_add(const void *call, uint8_t *reply, size_t reply_len, uint64_t away_ns,
		    long clk_tck);

#endif
