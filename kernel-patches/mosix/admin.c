// SPDX-License-Identifier: GPL-2.0-only
/*
 * /proc/mosix/admin/: this node's policy, as mosix-infod keeps it in
 * $MOSIX_RUN_DIR/admin/. Everyone reads; root writes. The values are only
 * stored here: the daemons decide what they mean.
 */
#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/string.h>

#include "mosix.h"

enum mosix_admin_kind {
	MOSIX_ADMIN_FLAG,	/* "0" or "1" */
	MOSIX_ADMIN_NUMBER,	/* one number in [min[0], max[0]] */
	MOSIX_ADMIN_DECAY,	/* "INTERVAL_MS SLOW FAST" */
	MOSIX_ADMIN_TEXT,	/* printable ASCII, at most 63 bytes */
};

#define MOSIX_ADMIN_TEXT_MAX 64
/* the longest write any admin file takes, with its newline */
#define MOSIX_ADMIN_WRITE_MAX 80

struct mosix_admin_file {
	const char *name;
	enum mosix_admin_kind kind;
	unsigned long min[3], max[3];
	unsigned long val[3];
	char text[MOSIX_ADMIN_TEXT_MAX];
};

/* Defaults are mosix-infod's. */
static struct mosix_admin_file mosix_admin[] = {
	{ .name = "block", .kind = MOSIX_ADMIN_FLAG },
	{ .name = "stay", .kind = MOSIX_ADMIN_FLAG },
	{ .name = "lstay", .kind = MOSIX_ADMIN_FLAG },
	{ .name = "quiet", .kind = MOSIX_ADMIN_FLAG },
	{ .name = "speed", .kind = MOSIX_ADMIN_NUMBER,
	  .min = { 1 }, .max = { 1000000 }, .val = { 10000 } },
	{ .name = "decay", .kind = MOSIX_ADMIN_DECAY,
	  .min = { 10, 1, 1 }, .max = { 60000, 1000, 1000 },
	  .val = { 100, 975, 926 } },
	{ .name = "version", .kind = MOSIX_ADMIN_TEXT },
};

/* Serialises writers, and readers of the files of more than one value. */
static DEFINE_MUTEX(mosix_admin_lock);

static int mosix_admin_show(struct seq_file *m, void *v)
{
	const struct mosix_admin_file *f = m->private;

	mutex_lock(&mosix_admin_lock);
	switch (f->kind) {
	case MOSIX_ADMIN_FLAG:
	case MOSIX_ADMIN_NUMBER:
		seq_printf(m, "%lu\n", f->val[0]);
		break;
	case MOSIX_ADMIN_DECAY:
		seq_printf(m, "%lu %lu %lu\n", f->val[0], f->val[1], f->val[2]);
		break;
	case MOSIX_ADMIN_TEXT:
		seq_printf(m, "%s\n", f->text);
		break;
	}
	mutex_unlock(&mosix_admin_lock);
	return 0;
}

static int mosix_admin_open(struct inode *inode, struct file *file)
{
	return single_open(file, mosix_admin_show, pde_data(inode));
}

static int mosix_admin_set_text(struct mosix_admin_file *f, const char *s)
{
	size_t i, len = strlen(s);

	if (len >= sizeof(f->text))
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!isprint(s[i]))
			return -EINVAL;
	mutex_lock(&mosix_admin_lock);
	strscpy(f->text, s, sizeof(f->text));
	mutex_unlock(&mosix_admin_lock);
	return 0;
}

static int mosix_admin_set(struct mosix_admin_file *f, char *s)
{
	unsigned int i, n = f->kind == MOSIX_ADMIN_DECAY ? 3 : 1;
	unsigned long v[3];

	if (f->kind == MOSIX_ADMIN_TEXT)
		return mosix_admin_set_text(f, s);
	if (mosix_parse_ulongs(s, v, n))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		unsigned long max = f->kind == MOSIX_ADMIN_FLAG ? 1 : f->max[i];

		if (v[i] < f->min[i] || v[i] > max)
			return -EINVAL;
	}
	mutex_lock(&mosix_admin_lock);
	memcpy(f->val, v, n * sizeof(v[0]));
	mutex_unlock(&mosix_admin_lock);
	return 0;
}

/* One value per write, with or without its newline. */
static ssize_t mosix_admin_write(struct file *file, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	struct mosix_admin_file *f = pde_data(file_inode(file));
	char *buf;
	int err;

	if (!file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN))
		return -EPERM;
	buf = mosix_write_buffer(ubuf, len, MOSIX_ADMIN_WRITE_MAX);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	err = mosix_admin_set(f, strim(buf));
	kvfree(buf);
	return err ? err : len;
}

static const struct proc_ops mosix_admin_ops = {
	.proc_open = mosix_admin_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
	.proc_write = mosix_admin_write,
};

int mosix_admin_init(struct proc_dir_entry *admin)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mosix_admin); i++)
		if (!proc_create_data(mosix_admin[i].name, 0644, admin,
				      &mosix_admin_ops, &mosix_admin[i]))
			return -ENOMEM;
	return 0;
}
