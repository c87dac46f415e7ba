/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_MIG_PROC_H
#define MOSIX_MIG_PROC_H

/* Small facts about another process, from /proc and its CPU clock. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * /proc/PID/@name into @buf (NUL-terminated, at most @size - 1 bytes, one
 * read: for the small files the kernel writes whole). Its length, -EIO
 * when empty (a task that ended), or -errno.
 */
ssize_t mig_proc_read(pid_t pid, const char *name, char *buf, size_t size);

/*
 * Whether @list, words separated by any of @seps (a line of /proc: it may
 * end in a newline), holds @word.
 */
bool mig_has_word(const char *list, const char *word, const char *seps);

/* Its personality(2) flags, from /proc/PID/personality (its tracer's). */
int mig_proc_personality(pid_t pid, uint32_t *ret);

/*
 * State letter and parent of @pid from /proc/PID/stat (the comm may hold
 * spaces and parentheses: parsed from the last ')'). 0 or -errno.
 */
int mig_proc_stat(pid_t pid, char *ret_state, pid_t *ret_ppid);

/* @pid's oom_score_adj, -1000..1000. 0 or -errno (-EIO: not a number). */
int mig_proc_oom_adj(pid_t pid, int *ret);

/* When @pid started (field 22 of its stat, ticks after boot): tells a
 * process from a later one with the same pid. 0 or -errno. */
int mig_proc_start(pid_t pid, uint64_t *ret);

/* The signal sets of /proc/PID/status: blocked, ignored, caught. */
struct mig_proc_sigs {
	uint64_t blk, ign, cgt;
};

/* 0 or -errno; sets it has no line for are 0. */
int mig_proc_sigs(pid_t pid, struct mig_proc_sigs *ret);

/* CPU time @pid has used, ns (its process CPU clock); 0 if gone. */
uint64_t mig_proc_cpu_ns(pid_t pid);

/* What @pid has resident, in bytes (/proc/PID/statm); 0 if unknown. */
uint64_t mig_proc_rss(pid_t pid);

/* Where /proc/PID/maps shows its [vdso]: 0, or -ENOENT without one. */
int mig_proc_vdso(pid_t pid, uint64_t *ret_start, uint64_t *ret_end);

#endif
