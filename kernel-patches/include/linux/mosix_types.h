/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * MOSIX: what the kernel keeps in each task (task_struct.mosix). Apart from
 * <linux/mosix.h> so that <linux/sched.h> can include it.
 */
#ifndef _LINUX_MOSIX_TYPES_H
#define _LINUX_MOSIX_TYPES_H

#include <linux/types.h>

/* bits of mosix_task.flags */
#define MOSIX_LOCKED	0	/* stays home; inherited, kept across exec */
#define MOSIX_GUEST	1	/* runs here for another node; not inherited */

struct mosix_task {
	unsigned long flags;
	/* at home: the node it runs on (0: here) and its migrations */
	u32 where;
	u32 nmigs;
	/* a guest: its home node, pid and parent's pid there */
	u32 home_node;
	pid_t home_pid;
	pid_t home_ppid;
};

#endif /* _LINUX_MOSIX_TYPES_H */
