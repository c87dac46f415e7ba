/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_DEP_PARENT_H
#define MOSIX_DEP_PARENT_H

/*
 * The home parent of a process that is away, as the node answers its
 * getppid from what home told it: when the parent ends, the process is
 * reparented at home (to a subreaper or init), and the node must be told
 * at once, since a child that polls getppid() to learn that its parent
 * died is a common idiom. The deputy watches the parent with a pidfd,
 * which is readable once the parent has exited (and its children were
 * reparented), and reads the new parent from /proc/PID/stat.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct dep_parent {
	pid_t pid;		/* the process */
	int32_t told;		/* the parent the node knows */
	int fd;			/* a pidfd of it, or -1 */
};

/* Watch @pid's parent; the node knows @told. Cannot fail: without a
 * pidfd, dep_parent_changed still sees a change when asked. */
void dep_parent_init(struct dep_parent *p, pid_t pid, int32_t told);

/* For poll: readable once the watched parent has exited; or -1. */
int dep_parent_fd(const struct dep_parent *p);

/*
 * Whether the parent is no longer the one the node knows; then
 * *ret_ppid is the new one, counted as told, and the new one is watched.
 */
bool dep_parent_changed(struct dep_parent *p, int32_t *ret_ppid);

/* A new node: the image it got may predate a PPID the old one took while
 * sending it; the parent is told again at the next dep_parent_changed. */
void dep_parent_moved(struct dep_parent *p);

void dep_parent_close(struct dep_parent *p);

#endif
