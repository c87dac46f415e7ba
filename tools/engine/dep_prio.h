/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_DEP_PRIO_H
#define MOSIX_DEP_PRIO_H

/*
 * What an admin sets at home on a process that is away: its nice value
 * (renice), its policy (chrt --batch, --idle, --other) and its
 * oom_score_adj. They are the home task's, which does not run; the
 * deputy reads them at every heartbeat and tells the node of a change
 * (MIG_M_PRIO), so that the guest follows within a second or so. The
 * process's own setpriority brings it home (rem_special.c).
 */

#include <stdbool.h>
#include <sys/types.h>

#include "engine/mig_img.h"

struct dep_prio {
	pid_t pid;
	struct mig_prio told;	/* what the node's guest has, as far as we know */
	int io;			/* the I/O priority we took from it last */
};

/*
 * @pid's nice value, policy (other, batch or idle: the rest read as
 * other) and oom_score_adj (0 if unreadable). 0 or -errno.
 */
int dep_prio_read(pid_t pid, struct mig_prio *ret);

/* The node knows @nice and @policy (the image's); oom_score_adj is the
 * node's own until told. */
void dep_prio_init(struct dep_prio *p, pid_t pid, int32_t nice, uint32_t policy);

/* A new node: it knows what the image said (which a PRIO the old one got
 * while sending it may have missed) and its own oom_score_adj: it is told
 * all again. */
void dep_prio_moved(struct dep_prio *p);

/* Whether home's differ from what the node was told; then *ret is the
 * new set, counted as told. */
bool dep_prio_changed(struct dep_prio *p, struct mig_prio *ret);

/*
 * The deputy reads and writes the process's regular files itself
 * (dep_direct.c) and the files it maps: that I/O is the process's, so
 * the deputy takes its I/O priority (ionice at home, or the one its nice
 * value implies) each time it changes. 0 or -errno.
 */
int dep_prio_follow_io(struct dep_prio *p);

#endif
