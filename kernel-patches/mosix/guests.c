// SPDX-License-Identifier: GPL-2.0-only
/*
 * /proc/mosix/guests, root only: the guests this node runs, which other
 * processes' /proc listings leave out. One line a guest:
 * "PID HOME_NODE HOME_PID HOME_PPID", PID as the pid namespace of this
 * /proc sees it, sorted by nothing in particular.
 */
#include <linux/kernel.h>
#include <linux/mosix.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>

#include "mosix.h"

static int mosix_guests_show(struct seq_file *m, void *v)
{
	struct pid_namespace *ns = proc_pid_ns(file_inode(m->file)->i_sb);
	struct task_struct *p;
	pid_t home, parent;
	pid_t nr;

	rcu_read_lock();
	for_each_process(p) {
		if (!mosix_guest_pid(p, false, &home) ||
		    !mosix_guest_pid(p, true, &parent))
			continue;
		nr = task_tgid_nr_ns(p, ns);
		if (nr)
			seq_printf(m, "%d %u %d %d\n", nr,
				   READ_ONCE(p->mosix.home_node), home, parent);
	}
	rcu_read_unlock();
	return 0;
}

int mosix_guests_init(struct proc_dir_entry *root)
{
	return proc_create_single("guests", 0400, root, mosix_guests_show) ?
		0 : -ENOMEM;
}
