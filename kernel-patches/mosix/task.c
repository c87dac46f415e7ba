// SPDX-License-Identifier: GPL-2.0-only
/*
 * /proc/<pid>/mosix/{cantmove,guest,lock,nmigs,where}: what the patched
 * kernel keeps for each process (struct mosix_task), as text.
 *
 *   where     the node the process runs on, 0 while at home; nmigs, how
 *             often it moved. mosix-migd writes both at home (root).
 *   lock      1 when the process is locked at home; its children inherit
 *             the lock and exec keeps it. Its owner (who may ptrace it) or
 *             root writes 0 or 1.
 *   guest     0, or "NODE PID PPID" for a guest that mosix-migd runs here
 *             for NODE, where it is PID with parent PPID: getpid() and
 *             getppid() answer those, and other processes' /proc listings
 *             leave the guest out. Root writes it, "0" to clear.
 *   cantmove  why the kernel would not let the process go ("-" when it
 *             sees no reason): see mosix_cantmove().
 *
 * Only built into a patched kernel (CONFIG_MOSIX): the module cannot reach
 * task_struct.
 */
#include <linux/capability.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/mosix.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/sched/rt.h>
#include <linux/sched/signal.h>
#include <linux/seccomp.h>
#include <linux/string.h>

#include "mosix.h"

/* what a mapping's flags say about moving it away */
static const char *mosix_vma_cantmove(struct vm_area_struct *vma)
{
	/* the vDSO and vvar are the kernel's own, named, special mappings */
	if (vma->vm_ops && vma->vm_ops->name)
		return NULL;
	if (vma->vm_flags & VM_HUGETLB)
		return "hugetlb mapping";
	if (vma->vm_flags & (VM_IO | VM_PFNMAP | VM_MIXEDMAP))
		return "device mapping";
	if ((vma->vm_flags & (VM_SHARED | VM_WRITE)) == (VM_SHARED | VM_WRITE))
		return "writable shared mapping";
	return NULL;
}

static const char *mosix_mm_cantmove(struct task_struct *task)
{
	struct mm_struct *mm = get_task_mm(task);
	struct vm_area_struct *vma;
	const char *why = NULL;

	if (!mm)
		return "kernel thread";
	if (READ_ONCE(mm->locked_vm) || (READ_ONCE(mm->def_flags) & VM_LOCKED)) {
		why = "locked memory";
		goto out_put;
	}
	if (mmap_read_lock_killable(mm)) {
		why = "interrupted";
		goto out_put;
	}
	{
		VMA_ITERATOR(vmi, mm, 0);

		for_each_vma(vmi, vma) {
			why = mosix_vma_cantmove(vma);
			if (why)
				break;
		}
	}
	mmap_read_unlock(mm);
out_put:
	mmput(mm);
	return why;
}

/*
 * The first reason, in the words of mps and migrate, or NULL. What needs
 * no lock first, the memory map last; the user-space engine checks more
 * (open signalfds, timers, ...) before it moves anything.
 */
static const char *mosix_cantmove(struct task_struct *task)
{
	if (task->flags & PF_KTHREAD)
		return "kernel thread";
	if (is_global_init(task) || is_child_reaper(task_tgid(task)))
		return "init";
	if (task->exit_state || (task->flags & PF_EXITING))
		return "zombie";
	if (test_bit(MOSIX_LOCKED, &task->mosix.flags))
		return "locked by user";
	if (get_nr_threads(task) > 1)
		return "multi-threaded";
	if (READ_ONCE(task->ptrace))
		return "being traced";
	if (test_tsk_thread_flag(task, TIF_ADDR32))
		return "32-bit process";
	if (task_is_realtime(task))
		return "real-time scheduling";
	if (READ_ONCE(task->seccomp.mode) != SECCOMP_MODE_DISABLED)
		return "own seccomp filter";
	if (READ_ONCE(task->thread.iopl_emul) ||
	    test_tsk_thread_flag(task, TIF_IO_BITMAP))
		return "I/O port access";
	return mosix_mm_cantmove(task);
}

/* the lock belongs to the process: every thread has it, new ones copy it */
static void mosix_lock_task(struct task_struct *task, bool on)
{
	struct task_struct *t;

	rcu_read_lock();
	for_each_thread(task, t) {
		if (on)
			set_bit(MOSIX_LOCKED, &t->mosix.flags);
		else
			clear_bit(MOSIX_LOCKED, &t->mosix.flags);
	}
	rcu_read_unlock();
}

int mosix_task_set_lock(struct task_struct *task, bool on)
{
	if (!capable(CAP_SYS_ADMIN) &&
	    !ptrace_may_access(task, PTRACE_MODE_ATTACH_REALCREDS))
		return -EPERM;
	mosix_lock_task(task, on);
	return 0;
}

bool mosix_task_locked(struct task_struct *task)
{
	return test_bit(MOSIX_LOCKED, &task->mosix.flags);
}

static int mosix_set_guest(struct task_struct *task, char *buf)
{
	unsigned long v[3];

	if (!strcmp(buf, "0")) {
		clear_bit(MOSIX_GUEST, &task->mosix.flags);
		return 0;
	}
	if (mosix_parse_ulongs(buf, v, 3) || v[0] < MOSIX_NODE_MIN ||
	    v[0] > MOSIX_NODE_MAX || !v[1] || v[1] > PID_MAX_LIMIT ||
	    v[2] > PID_MAX_LIMIT)
		return -EINVAL;
	WRITE_ONCE(task->mosix.home_node, v[0]);
	WRITE_ONCE(task->mosix.home_pid, v[1]);
	WRITE_ONCE(task->mosix.home_ppid, v[2]);
	smp_wmb();	/* pairs with smp_rmb() in mosix_guest_pid() */
	set_bit(MOSIX_GUEST, &task->mosix.flags);
	return 0;
}

ssize_t mosix_task_read(struct task_struct *task, const char *name,
			char *buf, size_t size)
{
	struct mosix_task *m = &task->mosix;
	const char *why;

	if (!strcmp(name, "where"))
		return scnprintf(buf, size, "%u\n", READ_ONCE(m->where));
	if (!strcmp(name, "nmigs"))
		return scnprintf(buf, size, "%u\n", READ_ONCE(m->nmigs));
	if (!strcmp(name, "lock"))
		return scnprintf(buf, size, "%d\n", mosix_task_locked(task));
	if (!strcmp(name, "guest")) {
		if (!mosix_is_guest(task))
			return scnprintf(buf, size, "0\n");
		return scnprintf(buf, size, "%u %d %d\n",
				 READ_ONCE(m->home_node),
				 READ_ONCE(m->home_pid),
				 READ_ONCE(m->home_ppid));
	}
	if (!strcmp(name, "cantmove")) {
		why = mosix_cantmove(task);
		return scnprintf(buf, size, "%s\n", why ? why : "-");
	}
	return -ENOENT;
}

int mosix_task_write(struct file *file, struct task_struct *task,
		     const char *name, char *buf)
{
	unsigned long v;

	if (!strcmp(name, "lock")) {
		if (kstrtoul(buf, 10, &v) || v > 1)
			return -EINVAL;
		return mosix_task_set_lock(task, v);
	}
	/* cantmove is the kernel's to say, even to root */
	if (strcmp(name, "where") && strcmp(name, "nmigs") && strcmp(name, "guest"))
		return -EACCES;
	if (!file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN))
		return -EPERM;
	if (!strcmp(name, "guest"))
		return mosix_set_guest(task, buf);
	if (kstrtoul(buf, 10, &v))
		return -EINVAL;
	if (!strcmp(name, "where")) {
		if (v > MOSIX_NODE_MAX)
			return -EINVAL;
		WRITE_ONCE(task->mosix.where, v);
		return 0;
	}
	if (v > U32_MAX)
		return -EINVAL;
	WRITE_ONCE(task->mosix.nmigs, v);
	return 0;
}
