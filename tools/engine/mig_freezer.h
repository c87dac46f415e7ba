/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_MIG_FREEZER_H
#define MOSIX_MIG_FREEZER_H

/*
 * Whether a cgroup freezer holds a process: cgroup v2's cgroup.freeze
 * (systemctl freeze) or v1's freezer.state (Slurm's suspend, say). A
 * frozen process runs no code, so nothing can be injected into it: a move
 * waits, or would wait, for the thaw.
 */

#include <sys/types.h>

/*
 * 1 if @pid's cgroup is frozen or freezing, under either hierarchy as
 * mounted in our mount namespace; 0 if not (or no freezer is mounted
 * here); -errno if its /proc/PID/cgroup cannot be read.
 */
int mig_frozen(pid_t pid);

#endif
