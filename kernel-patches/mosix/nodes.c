// SPDX-License-Identifier: GPL-2.0-only
/*
 * /proc/mosix/nodes/<id>/{cpus,load,speed,mem,rmem,tmem,status,util}: what
 * this node knows of every node, one number per file, memory in 4 KiB
 * pages. mosix-infod fills it through /proc/mosix/admin/nodes:
 *
 *   ID CPUS LOAD SPEED MEM RMEM TMEM STATUS UTIL   add or update node ID
 *   -ID                                            forget node ID
 *   clear                                          forget every node
 *
 * one command a line (at most MOSIX_NODE_LINE_MAX - 1 bytes), as many lines
 * as fit in MOSIX_NODES_WRITE_MAX bytes. A write is checked whole before any
 * of it is applied: one bad line fails it with -EINVAL and changes nothing.
 * Reading admin/nodes gives every node in the same format, sorted by id, in
 * one consistent read.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include "mosix.h"

#define MOSIX_NODES_WRITE_MAX (256 * 1024)
/* nine numbers of 20 digits and their spaces fit */
#define MOSIX_NODE_LINE_MAX 256

/* The files of a node, in the order of a line of admin/nodes. */
enum mosix_node_field {
	MOSIX_CPUS,
	MOSIX_LOAD,
	MOSIX_SPEED,
	MOSIX_MEM,
	MOSIX_RMEM,
	MOSIX_TMEM,
	MOSIX_STATUS,
	MOSIX_UTIL,
	MOSIX_NODE_NFIELDS
};

static const char * const mosix_node_files[MOSIX_NODE_NFIELDS] = {
	[MOSIX_CPUS] = "cpus",	 [MOSIX_LOAD] = "load",
	[MOSIX_SPEED] = "speed", [MOSIX_MEM] = "mem",
	[MOSIX_RMEM] = "rmem",	 [MOSIX_TMEM] = "tmem",
	[MOSIX_STATUS] = "status", [MOSIX_UTIL] = "util",
};

/*
 * A node's values. Each file's data points at its value, which is read
 * without a lock (one word); mosix_nodes_lock serialises the writers and
 * the readers of admin/nodes, who want whole lines.
 */
struct mosix_node {
	unsigned long val[MOSIX_NODE_NFIELDS];
};

/* A checked line of a write. */
struct mosix_node_cmd {
	enum { MOSIX_NODE_SET, MOSIX_NODE_FORGET, MOSIX_NODE_CLEAR } op;
	unsigned long id;
	unsigned long val[MOSIX_NODE_NFIELDS];
};

static unsigned int max_nodes = 4096;
module_param(max_nodes, uint, 0444);
MODULE_PARM_DESC(max_nodes, "most nodes /proc/mosix/nodes holds (1..65535, default 4096)");

static DEFINE_XARRAY(mosix_nodes);
static unsigned long mosix_nnodes;
static DEFINE_MUTEX(mosix_nodes_lock);
static struct proc_dir_entry *mosix_nodes_dir, *mosix_nodes_admin;

static int mosix_node_value_show(struct seq_file *m, void *v)
{
	const unsigned long *val = m->private;

	seq_printf(m, "%lu\n", READ_ONCE(*val));
	return 0;
}

/* The same checks as mosix-infod's decoder of a gossiped load vector. */
static int mosix_node_check(const unsigned long *val)
{
	if (val[MOSIX_CPUS] < 1 || val[MOSIX_CPUS] > U16_MAX ||
	    val[MOSIX_LOAD] > U32_MAX ||
	    val[MOSIX_SPEED] < 1 || val[MOSIX_SPEED] > U32_MAX ||
	    val[MOSIX_MEM] > val[MOSIX_TMEM] ||
	    val[MOSIX_RMEM] > val[MOSIX_TMEM] ||
	    val[MOSIX_STATUS] > 1 || val[MOSIX_UTIL] > 1000)
		return -EINVAL;
	return 0;
}

static int mosix_node_parse(char *line, struct mosix_node_cmd *cmd)
{
	unsigned long v[MOSIX_NODE_NFIELDS + 1];

	if (!strcmp(line, "clear")) {
		cmd->op = MOSIX_NODE_CLEAR;
		return 0;
	}
	if (line[0] == '-') {
		cmd->op = MOSIX_NODE_FORGET;
		if (mosix_parse_ulongs(line + 1, &cmd->id, 1))
			return -EINVAL;
	} else {
		cmd->op = MOSIX_NODE_SET;
		if (mosix_parse_ulongs(line, v, MOSIX_NODE_NFIELDS + 1))
			return -EINVAL;
		cmd->id = v[0];
		memcpy(cmd->val, v + 1, sizeof(cmd->val));
		if (mosix_node_check(cmd->val))
			return -EINVAL;
	}
	if (cmd->id < MOSIX_NODE_MIN || cmd->id > MOSIX_NODE_MAX)
		return -EINVAL;
	return 0;
}

/*
 * Parse the lines of @buf in turn and hand each command to @fn, which may
 * stop the walk by returning an error. Blank lines are skipped; a line too
 * long or not a command is -EINVAL. @buf is not modified, so that a write
 * can be walked once to check it and once to apply it.
 */
static int mosix_nodes_walk(const char *buf,
			    int (*fn)(const struct mosix_node_cmd *cmd, void *arg),
			    void *arg)
{
	char line[MOSIX_NODE_LINE_MAX], *s;
	struct mosix_node_cmd cmd;
	const char *end;
	size_t len;
	int err;

	for (; *buf; buf = *end ? end + 1 : end) {
		end = strchrnul(buf, '\n');
		len = end - buf;
		if (len >= sizeof(line))
			return -EINVAL;
		memcpy(line, buf, len);
		line[len] = '\0';
		s = strim(line);
		if (!*s)
			continue;
		err = mosix_node_parse(s, &cmd);
		if (!err)
			err = fn(&cmd, arg);
		if (err)
			return err;
	}
	return 0;
}

static void mosix_node_forget(unsigned long id)
{
	struct mosix_node *node;
	char name[8];

	node = xa_erase(&mosix_nodes, id);
	if (!node)
		return;
	snprintf(name, sizeof(name), "%lu", id);
	/* waits for the node's readers: then nothing points at it */
	remove_proc_subtree(name, mosix_nodes_dir);
	kfree(node);
	mosix_nnodes--;
}

static void mosix_nodes_clear(void)
{
	unsigned long id;
	struct mosix_node *node;

	xa_for_each(&mosix_nodes, id, node)
		mosix_node_forget(id);
}

static int mosix_node_add(unsigned long id, const unsigned long *val)
{
	struct proc_dir_entry *dir;
	struct mosix_node *node;
	char name[8];
	int i, err;

	node = kzalloc(sizeof(*node), GFP_KERNEL);
	if (!node)
		return -ENOMEM;
	memcpy(node->val, val, sizeof(node->val));
	snprintf(name, sizeof(name), "%lu", id);
	err = -ENOMEM;
	dir = proc_mkdir(name, mosix_nodes_dir);
	if (!dir)
		goto out_free_node;
	for (i = 0; i < MOSIX_NODE_NFIELDS; i++)
		if (!proc_create_single_data(mosix_node_files[i], 0444, dir,
					     mosix_node_value_show,
					     &node->val[i]))
			goto out_remove_dir;
	err = xa_err(xa_store(&mosix_nodes, id, node, GFP_KERNEL));
	if (err)
		goto out_remove_dir;
	mosix_nnodes++;
	return 0;

out_remove_dir:
	remove_proc_subtree(name, mosix_nodes_dir);
out_free_node:
	kfree(node);
	return err;
}

static int mosix_node_set(unsigned long id, const unsigned long *val)
{
	struct mosix_node *node = xa_load(&mosix_nodes, id);
	int i;

	if (!node)
		return mosix_node_add(id, val);
	for (i = 0; i < MOSIX_NODE_NFIELDS; i++)
		WRITE_ONCE(node->val[i], val[i]);
	return 0;
}

/* Counts the nodes a write could add (@arg, an unsigned long). */
static int mosix_nodes_count_new(const struct mosix_node_cmd *cmd, void *arg)
{
	unsigned long *added = arg;

	if (cmd->op == MOSIX_NODE_SET && !xa_load(&mosix_nodes, cmd->id))
		(*added)++;
	return 0;
}

static int mosix_nodes_apply(const struct mosix_node_cmd *cmd, void *arg)
{
	switch (cmd->op) {
	case MOSIX_NODE_SET:
		return mosix_node_set(cmd->id, cmd->val);
	case MOSIX_NODE_FORGET:
		mosix_node_forget(cmd->id);
		break;
	case MOSIX_NODE_CLEAR:
		mosix_nodes_clear();
		break;
	}
	return 0;
}

/*
 * The first walk checks every line and counts the nodes the write could
 * make (forgetting in the same write does not make room); the second,
 * under the same hold of mosix_nodes_lock, applies them. Only running out
 * of memory stops a write halfway.
 */
static ssize_t mosix_nodes_write(struct file *file, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	unsigned long added = 0;
	char *buf;
	int err;

	if (!file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN))
		return -EPERM;
	buf = mosix_write_buffer(ubuf, len, MOSIX_NODES_WRITE_MAX);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	mutex_lock(&mosix_nodes_lock);
	err = mosix_nodes_walk(buf, mosix_nodes_count_new, &added);
	if (!err && mosix_nnodes + added > max_nodes)
		err = -ENOSPC;
	if (!err)
		err = mosix_nodes_walk(buf, mosix_nodes_apply, NULL);
	mutex_unlock(&mosix_nodes_lock);
	kvfree(buf);
	return err ? err : len;
}

static int mosix_nodes_show(struct seq_file *m, void *v)
{
	struct mosix_node *node;
	unsigned long id;
	int i;

	mutex_lock(&mosix_nodes_lock);
	xa_for_each(&mosix_nodes, id, node) {
		seq_printf(m, "%lu", id);
		for (i = 0; i < MOSIX_NODE_NFIELDS; i++)
			seq_printf(m, " %lu", node->val[i]);
		seq_putc(m, '\n');
	}
	mutex_unlock(&mosix_nodes_lock);
	return 0;
}

static int mosix_nodes_open(struct inode *inode, struct file *file)
{
	return single_open(file, mosix_nodes_show, NULL);
}

static const struct proc_ops mosix_nodes_ops = {
	.proc_open = mosix_nodes_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
	.proc_write = mosix_nodes_write,
};

int mosix_nodes_init(struct proc_dir_entry *root, struct proc_dir_entry *admin)
{
	if (max_nodes < 1 || max_nodes > MOSIX_NODE_MAX) {
		pr_err("max_nodes=%u is not in 1..%d\n", max_nodes, MOSIX_NODE_MAX);
		return -EINVAL;
	}
	mosix_nodes_dir = proc_mkdir("nodes", root);
	if (!mosix_nodes_dir)
		return -ENOMEM;
	if (!proc_create("nodes", 0644, admin, &mosix_nodes_ops))
		return -ENOMEM;
	mosix_nodes_admin = admin;
	return 0;
}

void mosix_nodes_stop(void)
{
	if (mosix_nodes_admin)
		remove_proc_entry("nodes", mosix_nodes_admin);
	mosix_nodes_admin = NULL;
}

void mosix_nodes_free(void)
{
	struct mosix_node *node;
	unsigned long id;

	xa_for_each(&mosix_nodes, id, node)
		kfree(node);
	xa_destroy(&mosix_nodes);
	mosix_nnodes = 0;
	mosix_nodes_dir = NULL;
}
