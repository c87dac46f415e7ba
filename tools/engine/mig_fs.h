/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_MIG_FS_H
#define MOSIX_MIG_FS_H

#include <stdbool.h>

/*
 * Whether files of the file system of statfs type @type are plain bytes
 * on a disk, in memory or over NFS (ext2-4, xfs, btrfs, tmpfs, ramfs,
 * overlay, f2fs, squashfs, erofs, NFS): what they read does not depend on
 * who reads, and their size is their bytes'. Not /proc, sysfs, FUSE and
 * the like, whose files are made as they are read (/proc/kcore says 128
 * TiB). The deputy serves such files' reads and writes itself
 * (dep_direct.h), and only such files are matched by hash (mig_files.h).
 */
bool mig_fs_plain(long type);

#endif
