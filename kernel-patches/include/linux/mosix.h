/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * MOSIX: what the core kernel keeps for each task, and the hooks it calls.
 *
 * mosix-migd, the user-space migration daemon, moves processes between
 * the nodes of a cluster; the kernel only keeps what it needs to show and
 * honour: the user's lock (inherited by children, kept across exec), where
 * a process runs and how often it moved (set by the daemon at home), and,
 * on the node that runs a guest, the guest's home identity, so that its
 * getpid() and getppid() answer the home values without a trip home and
 * other processes' /proc listings leave it out. See
 * Documentation/admin-guide/mosix.rst.
 */
#ifndef _LINUX_MOSIX_H
#define _LINUX_MOSIX_H

#include <linux/bitops.h>
#include <linux/compiler.h>
#include <linux/mosix_types.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/types.h>

struct file;

#ifdef CONFIG_MOSIX

/* The child of a fork keeps the lock, nothing else. */
static inline void mosix_fork(struct task_struct *p)
{
	unsigned long locked = READ_ONCE(p->mosix.flags) & BIT(MOSIX_LOCKED);

	p->mosix = (struct mosix_task){ .flags = locked };
}

static inline bool mosix_is_guest(struct task_struct *p)
{
	return test_bit(MOSIX_GUEST, &p->mosix.flags);
}

/*
 * A guest's pid (or its parent's, @parent) as its home sees them. The
 * daemon writes them before it sets the guest flag, so a reader that sees
 * the flag sees them.
 */
static inline bool mosix_guest_pid(struct task_struct *p, bool parent,
				   pid_t *pid)
{
	if (likely(!mosix_is_guest(p)))
		return false;
	smp_rmb();	/* pairs with smp_wmb() in kernel/mosix/task.c */
	*pid = parent ? READ_ONCE(p->mosix.home_ppid) :
			READ_ONCE(p->mosix.home_pid);
	return true;
}

/* Whether @task is left out of @viewer's /proc listing: a guest, not self. */
static inline bool mosix_hidden(struct task_struct *task,
				struct task_struct *viewer)
{
	return mosix_is_guest(task) && !same_thread_group(task, viewer);
}

/* /proc/<pid>/mosix/NAME, the files of fs/proc/base.c's mosix directory */
ssize_t mosix_task_read(struct task_struct *task, const char *name,
			char *buf, size_t size);
int mosix_task_write(struct file *file, struct task_struct *task,
		     const char *name, char *buf);

#else /* !CONFIG_MOSIX */

static inline void mosix_fork(struct task_struct *p)
{
}

static inline bool mosix_guest_pid(struct task_struct *p, bool parent,
				   pid_t *pid)
{
	return false;
}

static inline bool mosix_hidden(struct task_struct *task,
				struct task_struct *viewer)
{
	return false;
}

#endif /* CONFIG_MOSIX */

#endif /* _LINUX_MOSIX_H */
