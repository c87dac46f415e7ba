/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The MOSIX /proc interface: what its parts share.
 *
 * /proc/mosix/ has four parts, one file each:
 *   main.c   the directory, its version file, load and unload
 *   admin.c  admin/{block,stay,lstay,quiet,speed,decay,version}
 *   nodes.c  nodes/<id>/... and their write interface admin/nodes
 *   lock.c   the per-process lock flag, /proc/mosix/lock
 *
 * The same files build the out-of-tree module (mosix-dkms) and, later, the
 * CONFIG_MOSIX patch series; see kernel-patches/README and
 * Documentation/mosix.rst for the interface.
 */
#ifndef _MOSIX_H
#define _MOSIX_H

#include <linux/proc_fs.h>
#include <linux/types.h>

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

#endif /* _MOSIX_H */
