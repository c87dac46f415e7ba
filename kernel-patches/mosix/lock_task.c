// SPDX-License-Identifier: GPL-2.0-only
/*
 * /proc/mosix/lock in a patched kernel: the same file as the module's
 * (lock.c), backed by the lock bit of each task, which fork copies and
 * exec keeps (include/linux/mosix.h). Root writes "PID 1" or "PID 0";
 * reading lists the locked processes, one PID a line, as the pid namespace
 * of this /proc sees them.
 */
#include <linux/capability.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/mosix.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/string.h>

#include "mosix.h"

const char *mosix_lock_kind(void)
{
	return "task";
}

static ssize_t mosix_lock_write(struct file *file, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	struct pid_namespace *ns = proc_pid_ns(file_inode(file)->i_sb);
	struct task_struct *task;
	pid_t nr;
	bool on;
	int err;

	err = mosix_lock_parse(file, ubuf, len, &nr, &on);
	if (err)
		return err;

	rcu_read_lock();
	/* a process: the pid of a thread group, with its leader */
	task = pid_task(find_pid_ns(nr, ns), PIDTYPE_TGID);
	if (task)
		get_task_struct(task);
	rcu_read_unlock();
	if (!task)
		return -ESRCH;
	err = mosix_task_set_lock(task, on);
	put_task_struct(task);
	return err ? err : len;
}

static int mosix_lock_show(struct seq_file *m, void *v)
{
	struct pid_namespace *ns = proc_pid_ns(file_inode(m->file)->i_sb);
	struct task_struct *p;
	pid_t nr;

	rcu_read_lock();
	for_each_process(p) {
		/* the lock goes with the process, before its parent reaps it */
		if (!mosix_task_locked(p) || p->exit_state)
			continue;
		nr = task_tgid_nr_ns(p, ns);
		if (nr)
			seq_printf(m, "%d\n", nr);
	}
	rcu_read_unlock();
	return 0;
}

static int mosix_lock_open(struct inode *inode, struct file *file)
{
	return single_open(file, mosix_lock_show, NULL);
}

static const struct proc_ops mosix_lock_ops = {
	.proc_open = mosix_lock_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
	.proc_write = mosix_lock_write,
};

int mosix_lock_init(struct proc_dir_entry *root)
{
	return proc_create("lock", 0644, root, &mosix_lock_ops) ? 0 : -ENOMEM;
}

/* the flags live in the tasks: nothing to stop or free */
void mosix_lock_stop(void)
{
}

void mosix_lock_free(void)
{
}
