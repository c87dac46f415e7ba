// SPDX-License-Identifier: GPL-2.0-only
/*
 * mosix-dkms, built for a kernel with CONFIG_MOSIX (linux-image-*-mosix):
 * the interface is built into that kernel, so this module has nothing to
 * add, and loading it is refused, saying so. It exists because
 * bookworm's DKMS 3.0.10 counts a module that declines a kernel as a
 * failed autoinstall, and so failed the install of the mosix kernel.
 */
#include <linux/module.h>
#include <linux/printk.h>

static int __init mosix_builtin_init(void)
{
	pr_info("mosix: the interface is built into this kernel; nothing to load\n");
	return -EEXIST;
}
module_init(mosix_builtin_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("MOSIX /proc interface: built into this kernel, nothing to add");
