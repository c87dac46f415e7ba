// SPDX-License-Identifier: GPL-2.0-only
/*
 * /proc/<pid>/mosix/: the per-process MOSIX files. What they mean is
 * kernel/mosix/task.c's business; here is only the directory, made the way
 * fs/proc/base.c makes its own (attr/), and the read and write of a small
 * text value through a buffer.
 */
#include <linux/fs.h>
#include <linux/mosix.h>
#include <linux/proc_fs.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "internal.h"

/* the longest value a file shows or takes */
#define MOSIX_PID_VALUE_MAX 64

static const char *const mosix_pid_files[] = {
	"cantmove", "guest", "lock", "nmigs", "where",
};

static ssize_t mosix_pid_read(struct file *file, char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	struct task_struct *task = get_proc_task(file_inode(file));
	char buf[MOSIX_PID_VALUE_MAX];
	ssize_t len;

	if (!task)
		return -ESRCH;
	len = mosix_task_read(task, file->f_path.dentry->d_name.name, buf,
			      sizeof(buf));
	put_task_struct(task);
	if (len < 0)
		return len;
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static ssize_t mosix_pid_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	struct task_struct *task;
	char buf[MOSIX_PID_VALUE_MAX];
	int err;

	if (*ppos != 0)
		return -EINVAL;
	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	task = get_proc_task(file_inode(file));
	if (!task)
		return -ESRCH;
	err = mosix_task_write(file, task, file->f_path.dentry->d_name.name,
			       strim(buf));
	put_task_struct(task);
	return err ? err : count;
}

static const struct file_operations mosix_pid_operations = {
	.read		= mosix_pid_read,
	.write		= mosix_pid_write,
	.llseek		= generic_file_llseek,
};

static umode_t mosix_pid_mode(const char *name)
{
	/* cantmove is computed; the others are set by migd or the owner */
	return S_IFREG | (strcmp(name, "cantmove") ? 0644 : 0444);
}

static struct dentry *mosix_pid_instantiate(struct dentry *dentry,
					    struct task_struct *task,
					    const void *ptr)
{
	const char *name = ptr;
	struct inode *inode;

	inode = proc_pid_make_inode(dentry->d_sb, task, mosix_pid_mode(name));
	if (!inode)
		return ERR_PTR(-ENOENT);
	inode->i_fop = &mosix_pid_operations;
	pid_update_inode(task, inode);
	d_set_d_op(dentry, &pid_dentry_operations);
	return d_splice_alias(inode, dentry);
}

static int mosix_pid_readdir(struct file *file, struct dir_context *ctx)
{
	struct task_struct *task = get_proc_task(file_inode(file));
	const char *name;

	if (!task)
		return -ENOENT;
	if (!dir_emit_dots(file, ctx))
		goto out_put;
	for (; ctx->pos - 2 < ARRAY_SIZE(mosix_pid_files); ctx->pos++) {
		name = mosix_pid_files[ctx->pos - 2];
		if (!proc_fill_cache(file, ctx, name, strlen(name),
				     mosix_pid_instantiate, task, name))
			break;
	}
out_put:
	put_task_struct(task);
	return 0;
}

const struct file_operations proc_mosix_dir_operations = {
	.read		= generic_read_dir,
	.iterate_shared	= mosix_pid_readdir,
	.llseek		= generic_file_llseek,
};

static struct dentry *mosix_pid_lookup(struct inode *dir,
				       struct dentry *dentry,
				       unsigned int flags)
{
	struct task_struct *task = get_proc_task(dir);
	struct dentry *res = ERR_PTR(-ENOENT);
	unsigned int i;

	if (!task)
		return res;
	for (i = 0; i < ARRAY_SIZE(mosix_pid_files); i++) {
		if (!strcmp(dentry->d_name.name, mosix_pid_files[i])) {
			res = mosix_pid_instantiate(dentry, task,
						    mosix_pid_files[i]);
			break;
		}
	}
	put_task_struct(task);
	return res;
}

const struct inode_operations proc_mosix_dir_inode_operations = {
	.lookup		= mosix_pid_lookup,
	.getattr	= pid_getattr,
	.setattr	= proc_nochmod_setattr,
};
