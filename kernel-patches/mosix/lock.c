// SPDX-License-Identifier: GPL-2.0-only
/*
 * The per-process lock flag, as a module can keep it: a table of locked
 * processes, keyed by the struct pid of their thread group, that follows
 * forks and exits through the sched_process_fork and sched_process_exit
 * tracepoints. A patched kernel keeps the flag in the task instead, and
 * shows it in /proc/<pid>/mosix/lock.
 *
 * /proc/mosix/lock: root writes "PID 1" to lock process PID (and every
 * process it starts from then on) at home, "PID 0" to unlock it; a locked
 * process's children are locked when they are forked, an exiting process
 * leaves the table. Reading lists the locked processes, one PID a line, as
 * the pid namespace of this /proc sees them. PIDs are of processes (thread
 * groups), not of threads.
 *
 * The tracepoints' symbols are not exported to modules: the probes are
 * registered by looking the tracepoints up by name
 * (for_each_kernel_tracepoint() and tracepoint_probe_register() are), and
 * the static asserts below check the probes' types against the kernel's
 * declarations of the two events.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/capability.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/kernel.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <trace/events/sched.h>

#include "mosix.h"

const char *mosix_lock_kind(void)
{
	return "module";
}

struct mosix_locked {
	struct hlist_node link;
	struct pid *pid;	/* the thread group's, referenced */
};

static DEFINE_HASHTABLE(mosix_locked, 8);
static DEFINE_SPINLOCK(mosix_locked_lock);
/*
 * Entries in the table. Written under mosix_locked_lock; the probes read it
 * without the lock, to skip the lock while nothing is locked.
 */
static unsigned long mosix_nlocked;

static struct mosix_locked *mosix_lock_find(struct pid *pid)
{
	struct mosix_locked *e;

	hash_for_each_possible(mosix_locked, e, link, (unsigned long)pid)
		if (e->pid == pid)
			return e;
	return NULL;
}

/* Unlinks @e; the caller frees it with mosix_locked_free(), unlocked. */
static void mosix_lock_unlink(struct mosix_locked *e)
{
	hash_del(&e->link);
	WRITE_ONCE(mosix_nlocked, mosix_nlocked - 1);
}

static void mosix_locked_free(struct mosix_locked *e)
{
	put_pid(e->pid);
	kfree(e);
}

/*
 * A new process of a locked one is locked. The child has not run yet, so
 * it cannot have exited. Threads share their process's entry.
 */
static void mosix_lock_fork(void *data, struct task_struct *parent,
			    struct task_struct *child)
{
	struct mosix_locked *e;

	if (!thread_group_leader(child) || !READ_ONCE(mosix_nlocked))
		return;
	spin_lock(&mosix_locked_lock);
	if (mosix_lock_find(task_tgid(parent))) {
		/* probes run with preemption off: no sleeping allocation */
		e = kmalloc(sizeof(*e), GFP_ATOMIC | __GFP_NOWARN);
		if (e) {
			e->pid = get_pid(task_tgid(child));
			hash_add(mosix_locked, &e->link, (unsigned long)e->pid);
			WRITE_ONCE(mosix_nlocked, mosix_nlocked + 1);
		} else {
			pr_warn_ratelimited("out of memory: child %d of locked process %d is not locked\n",
					    task_tgid_nr(child), task_tgid_nr(parent));
		}
	}
	spin_unlock(&mosix_locked_lock);
}

/*
 * The process leaves the table when its last thread exits: do_exit() has
 * decremented signal->live (a full barrier) before this probe runs, and
 * mosix_lock_set() checks it after adding, so that an entry added while the
 * process exits is removed by one or the other.
 */
static void mosix_lock_exit(void *data, struct task_struct *p)
{
	struct mosix_locked *e;

	if (atomic_read(&p->signal->live) || !READ_ONCE(mosix_nlocked))
		return;
	spin_lock(&mosix_locked_lock);
	e = mosix_lock_find(task_tgid(p));
	if (e)
		mosix_lock_unlink(e);
	spin_unlock(&mosix_locked_lock);
	if (e)
		mosix_locked_free(e);
}

static_assert(__same_type(&register_trace_sched_process_fork,
			  int (*)(typeof(mosix_lock_fork) *, void *)));
static_assert(__same_type(&register_trace_sched_process_exit,
			  int (*)(typeof(mosix_lock_exit) *, void *)));

static struct mosix_probe {
	const char *name;
	void *probe;
	struct tracepoint *tp;
	bool registered;
} mosix_probes[] = {
	{ "sched_process_fork", mosix_lock_fork },
	{ "sched_process_exit", mosix_lock_exit },
};

static int mosix_lock_set(struct task_struct *task, struct pid *pid)
{
	struct mosix_locked *e;

	e = kmalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	spin_lock(&mosix_locked_lock);
	if (mosix_lock_find(pid)) {
		spin_unlock(&mosix_locked_lock);
		kfree(e);
		return 0;
	}
	e->pid = get_pid(pid);
	hash_add(mosix_locked, &e->link, (unsigned long)pid);
	WRITE_ONCE(mosix_nlocked, mosix_nlocked + 1);
	/* pairs with the decrement of signal->live in do_exit() */
	smp_mb();
	if (!atomic_read(&task->signal->live)) {
		mosix_lock_unlink(e);
		spin_unlock(&mosix_locked_lock);
		mosix_locked_free(e);
		return -ESRCH;
	}
	spin_unlock(&mosix_locked_lock);
	return 0;
}

static void mosix_lock_clear(struct pid *pid)
{
	struct mosix_locked *e;

	spin_lock(&mosix_locked_lock);
	e = mosix_lock_find(pid);
	if (e)
		mosix_lock_unlink(e);
	spin_unlock(&mosix_locked_lock);
	if (e)
		mosix_locked_free(e);
}

static ssize_t mosix_lock_write(struct file *file, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	struct pid_namespace *ns = proc_pid_ns(file_inode(file)->i_sb);
	struct task_struct *task;
	struct pid *pid;
	pid_t nr;
	bool on;
	int err;

	err = mosix_lock_parse(file, ubuf, len, &nr, &on);
	if (err)
		return err;

	rcu_read_lock();
	pid = get_pid(find_pid_ns(nr, ns));
	rcu_read_unlock();
	/* a process: the pid of a thread group, with its leader */
	task = get_pid_task(pid, PIDTYPE_TGID);
	if (!task) {
		put_pid(pid);
		return -ESRCH;
	}
	if (on)
		err = mosix_lock_set(task, pid);
	else
		mosix_lock_clear(pid);
	put_task_struct(task);
	put_pid(pid);
	return err ? err : len;
}

static int mosix_lock_show(struct seq_file *m, void *v)
{
	struct pid_namespace *ns = proc_pid_ns(file_inode(m->file)->i_sb);
	struct mosix_locked *e;
	unsigned int bkt;
	pid_t nr;

	spin_lock(&mosix_locked_lock);
	hash_for_each(mosix_locked, bkt, e, link) {
		nr = pid_nr_ns(e->pid, ns);
		if (nr)
			seq_printf(m, "%d\n", nr);
	}
	spin_unlock(&mosix_locked_lock);
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

static void mosix_probe_find(struct tracepoint *tp, void *priv)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mosix_probes); i++)
		if (!strcmp(tp->name, mosix_probes[i].name))
			mosix_probes[i].tp = tp;
}

void mosix_lock_stop(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mosix_probes); i++) {
		if (!mosix_probes[i].registered)
			continue;
		WARN_ON_ONCE(tracepoint_probe_unregister(mosix_probes[i].tp,
							 mosix_probes[i].probe,
							 NULL));
		mosix_probes[i].registered = false;
	}
	/* no probe runs after this */
	tracepoint_synchronize_unregister();
}

int mosix_lock_init(struct proc_dir_entry *root)
{
	size_t i;
	int err;

	for_each_kernel_tracepoint(mosix_probe_find, NULL);
	for (i = 0; i < ARRAY_SIZE(mosix_probes); i++) {
		if (!mosix_probes[i].tp) {
			pr_err("no tracepoint %s\n", mosix_probes[i].name);
			err = -ENOENT;
			goto out_stop;
		}
		err = tracepoint_probe_register(mosix_probes[i].tp,
						mosix_probes[i].probe, NULL);
		if (err) {
			pr_err("cannot attach to tracepoint %s: %d\n",
			       mosix_probes[i].name, err);
			goto out_stop;
		}
		mosix_probes[i].registered = true;
	}
	if (!proc_create("lock", 0644, root, &mosix_lock_ops)) {
		err = -ENOMEM;
		goto out_stop;
	}
	return 0;

out_stop:
	mosix_lock_stop();
	return err;
}

void mosix_lock_free(void)
{
	struct hlist_node *tmp;
	struct mosix_locked *e;
	unsigned int bkt;

	hash_for_each_safe(mosix_locked, bkt, tmp, e, link) {
		hash_del(&e->link);
		mosix_locked_free(e);
	}
	mosix_nlocked = 0;
}
