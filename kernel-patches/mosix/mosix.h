/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The MOSIX /proc interface: what its parts share.
 *
 * /proc/mosix/ has these parts, one file each:
 *   main.c       the directory, its version file, load and unload
 *   admin.c      admin/{block,stay,lstay,quiet,speed,decay,version}
 *   nodes.c      nodes/<id>/... and their write interface admin/nodes
 *   lock.c       the lock flag as the module keeps it, /proc/mosix/lock
 * and, in a patched kernel only (CONFIG_MOSIX built in):
 *   lock_task.c  /proc/mosix/lock backed by the task flag
 *   task.c       /proc/<pid>/mosix/{cantmove,guest,lock,nmigs,where}
 *   guests.c     /proc/mosix/guests
 *
 * The same files build the out-of-tree module (mosix-dkms) and the
 * CONFIG_MOSIX part of the patch series; see kernel-patches/README and
 * Documentation/mosix.rst for the interface.
 */
#ifndef _MOSIX_H
#define _MOSIX_H

#include <linux/proc_fs.h>
#include <linux/kconfig.h>
#include <linux/types.h>

struct task_struct;

/* Bumped when a file changes meaning; new files do not bump it. */
#define MOSIX_INTERFACE 1

#ifndef MOSIX_VERSION
#define MOSIX_VERSION "unknown"
#endif

/* Node ids, as in the cluster map. */
#define MOSIX_NODE_MIN 1
#define MOSIX_NODE_MAX 65535

/*
 * Split @s (modified) at spaces and tabs into exactly @n unsigned decimal
 * numbers. 0, or -EINVAL when there are more or fewer, or one is not a
 * number or out of range.
 */
int mosix_parse_ulongs(char *s, unsigned long *ret, unsigned int n);

/*
 * The bytes of a write to a control file, NUL-terminated, in a buffer of
 * kvmalloc() (free with kvfree()); ERR_PTR(-EINVAL) when longer than @max.
 */
char *mosix_write_buffer(const char __user *ubuf, size_t len, size_t max);

/*
 * A write to /proc/mosix/lock, "PID 0|1", from a writer with
 * CAP_SYS_ADMIN: 0 with the pid and the new state, -EPERM, or -EINVAL
 * (and the errors of mosix_write_buffer()).
 */
int mosix_lock_parse(struct file *file, const char __user *ubuf, size_t len,
		     pid_t *pid, bool *on);

int mosix_admin_init(struct proc_dir_entry *root);

int mosix_nodes_init(struct proc_dir_entry *root, struct proc_dir_entry *admin);
/*
 * Removes admin/nodes, waiting for its writers, who may be removing a
 * node's directory: then the rest of the tree can go at once.
 */
void mosix_nodes_stop(void);
/* Frees every node; the files must be gone (remove_proc_subtree()). */
void mosix_nodes_free(void);

/* Where the lock flag is kept: "module" (a pid table) or "task". */
const char *mosix_lock_kind(void);
int mosix_lock_init(struct proc_dir_entry *root);
/* Stops following forks and exits; then the file must go, then free. */
void mosix_lock_stop(void);
void mosix_lock_free(void);

#if IS_BUILTIN(CONFIG_MOSIX)
/* the lock bit of a process (every thread of it); root or its owner */
int mosix_task_set_lock(struct task_struct *task, bool on);
bool mosix_task_locked(struct task_struct *task);
int mosix_guests_init(struct proc_dir_entry *root);
#else
/* a module cannot tell guests: it has no task flag to mark them with */
static inline int mosix_guests_init(struct proc_dir_entry *root)
{
	return 0;
}
#endif

#endif /* _MOSIX_H */
