// SPDX-License-Identifier: GPL-2.0-only
/*
 * /proc/mosix: the directory MOSIX users know, its version file, and the
 * order in which the parts come and go.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/threads.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#include "mosix.h"

int mosix_parse_ulongs(char *s, unsigned long *ret, unsigned int n)
{
	unsigned int i = 0;
	char *tok;

	while ((tok = strsep(&s, " \t"))) {
		if (!*tok)
			continue;
		if (i == n || kstrtoul(tok, 10, &ret[i]))
			return -EINVAL;
		i++;
	}
	return i == n ? 0 : -EINVAL;
}

char *mosix_write_buffer(const char __user *ubuf, size_t len, size_t max)
{
	char *buf;

	if (len > max)
		return ERR_PTR(-EINVAL);
	buf = kvmalloc(len + 1, GFP_KERNEL);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(buf, ubuf, len)) {
		kvfree(buf);
		return ERR_PTR(-EFAULT);
	}
	buf[len] = '\0';
	return buf;
}

/* the longest write to lock: "PID 0|1" and a newline */
#define MOSIX_LOCK_WRITE_MAX 32

int mosix_lock_parse(struct file *file, const char __user *ubuf, size_t len,
		     pid_t *pid, bool *on)
{
	unsigned long v[2];
	char *buf;
	int err;

	if (!file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN))
		return -EPERM;
	buf = mosix_write_buffer(ubuf, len, MOSIX_LOCK_WRITE_MAX);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	err = mosix_parse_ulongs(strim(buf), v, 2);
	kvfree(buf);
	if (err || v[0] < 1 || v[0] > PID_MAX_LIMIT || v[1] > 1)
		return -EINVAL;
	*pid = (pid_t)v[0];
	*on = v[1];
	return 0;
}

/*
 * version: "key=value" lines, so that a later kernel can add keys. The
 * interface number says what the files mean; lock says whether the lock
 * flag is a task flag (patched kernel) or kept in the module's table.
 */
static int mosix_version_show(struct seq_file *m, void *v)
{
	seq_printf(m, "version=%s\ninterface=%d\nlock=%s\n", MOSIX_VERSION,
		   MOSIX_INTERFACE, mosix_lock_kind());
	return 0;
}

/*
 * Every part makes its files under /proc/mosix; one remove_proc_subtree()
 * takes them all away and waits for their readers and writers, after which
 * the parts free what the files pointed to.
 */
static int __init mosix_init(void)
{
	struct proc_dir_entry *root, *admin;
	int err;

	root = proc_mkdir("mosix", NULL);
	if (!root)
		return -ENOMEM;
	err = -ENOMEM;
	if (!proc_create_single("version", 0444, root, mosix_version_show))
		goto out_remove;
	admin = proc_mkdir("admin", root);
	if (!admin)
		goto out_remove;
	err = mosix_admin_init(admin);
	if (err)
		goto out_remove;
	err = mosix_nodes_init(root, admin);
	if (err)
		goto out_remove;
	err = mosix_lock_init(root);
	if (err)
		goto out_remove;
	err = mosix_guests_init(root);
	if (err)
		goto out_remove;
	pr_info("/proc/mosix ready (version %s, interface %d)\n", MOSIX_VERSION,
		MOSIX_INTERFACE);
	return 0;

out_remove:
	mosix_nodes_stop();
	remove_proc_subtree("mosix", NULL);
	mosix_nodes_free();
	mosix_lock_free();
	return err;
}

static void __exit mosix_exit(void)
{
	mosix_lock_stop();
	mosix_nodes_stop();
	remove_proc_subtree("mosix", NULL);
	mosix_nodes_free();
	mosix_lock_free();
}

module_init(mosix_init);
module_exit(mosix_exit);

MODULE_DESCRIPTION("MOSIX /proc interface: cluster nodes, policy, process lock");
MODULE_LICENSE("GPL");
MODULE_VERSION(MOSIX_VERSION);
