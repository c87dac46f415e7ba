/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_MIG_FILES_H
#define MOSIX_MIG_FILES_H

/*
 * The files a process maps that the node has too. Most of a small
 * process's image is its libraries and its program, mapped privately from
 * files every node of a Debian cluster holds byte for byte. The node
 * cannot read home's files, but where its own copy of one is identical
 * the guest can map that copy: then only the pages the process changed
 * (copy-on-write: relocations, a debugger's breakpoints) travel, and the
 * rest is read from the node's disk or page cache when the guest touches
 * it, as on home.
 *
 * Identical means the same length and BLAKE2b-256 of the bytes. Only files
 * of root's that no one else may write and everyone may read take part
 * (the libraries, the programs in /usr): no user can change one behind a
 * hash, and a package upgrade replaces a file (a new inode), it does not
 * rewrite it. A file only some may read (/etc/shadow) is left out: HAVE
 * would tell a peer whether this node's copy has the bytes it guessed. A file's
 * hash is kept in @cache_dir under its device and inode, valid while its
 * length, mtime and ctime stay; each side computes only its own.
 *
 * The side that sends the image (home's deputy, or the node sending a
 * guest home or on): mig_files_collect, send FILES, read HAVE, then
 * mig_files_settle before the pages. Home's deputy first lists them while
 * the process still runs (mig_files_list, WARM -> HAVE), so that a first
 * move hashes on both sides before the stop, not while it is frozen. A node that receives one:
 * mig_files_match answers HAVE and opens the copies the guest maps
 * (mig_stage.c); home opens its own in the home process (mig_home.c).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "engine/mig_dump.h"
#include "engine/mig_img.h"

/* Where the hashes of @run_dir's node are kept: @run_dir/files. */
void mig_files_cache_dir(const char *run_dir, char *buf, size_t cap);

/*
 * A regular file of root's, not empty, that group and others cannot write
 * and everyone may read.
 */
bool mig_files_shareable(const struct stat *st);

/*
 * @path opened read-only only if it is a shareable file on a disk-like
 * file system (ext4, xfs, btrfs, tmpfs, ramfs, overlay, f2fs, squashfs,
 * erofs, NFS; *@ret_st: its fstat). It is looked at through O_PATH first, so that no device or FIFO
 * a path may name is ever opened for real. @nofollow: 0 or O_NOFOLLOW.
 * The fd, or -1.
 */
int mig_files_open(const char *path, int nofollow, struct stat *ret_st);

/*
 * BLAKE2b-256 of the file open at @fd (@st: its fstat) into @ret_hash:
 * from @cache_dir (made if missing) when it holds this inode with the same
 * length, mtime and ctime; else read whole, kept there, and its length
 * added to *@hashed (if not NULL; so for the @hashed of the functions
 * below; also when it changed while read, -ESTALE). 0 or -errno.
 */
int mig_files_hash(const char *cache_dir, int fd, const struct stat *st, uint8_t ret_hash[32],
		   uint64_t *hashed);

/*
 * Home: for every file VMA of @pid in @v that maps a shareable file, an
 * entry in @files (up to MIG_MAX_FILES, one per file) and the VMA's file
 * and off set; *@ret_count the entries. A file that cannot be read or
 * hashed is left out: its VMAs send every page, as without this. 0 or
 * -errno (-ENOENT: @pid is gone), when no VMA has a file.
 */
int mig_files_collect(pid_t pid, const char *cache_dir, struct mig_vma *v, uint32_t n,
		      struct mig_file *files, uint32_t *ret_count, uint64_t *hashed);

/*
 * Before the stop, while @pid runs: every shareable file it maps now, as
 * mig_files_collect would find them, in @files (*@ret_count), so that
 * both sides hash what they lack while it runs (WARM, mig_img.h). With
 * @cache_dir NULL, nothing is hashed and the hashes are zero (the list
 * for the node, which hashes its own meanwhile). 0 or -errno.
 */
int mig_files_list(pid_t pid, const char *cache_dir, struct mig_file *files,
		   uint32_t *ret_count, uint64_t *hashed);

/*
 * @path (where this side finds @f) opened read-only if it is shareable,
 * of @f's length and hash; *@ret_st its fstat. The fd, or -1.
 */
int mig_files_open_same(const char *cache_dir, const char *path, const struct mig_file *f,
			struct stat *ret_st, uint64_t *hashed);

/*
 * Node: opens each of @files that this node has, identical, read-only
 * (@ret_fds[i], -1 where not) and sets its bit in @ret_have. The caller
 * closes the fds (mig_files_close).
 */
void mig_files_match(const char *cache_dir, const struct mig_file *files, uint32_t n,
		     int *ret_fds, struct mig_have *ret_have, uint64_t *hashed);

/* Closes the @n fds of @fds that are open and marks them -1. */
void mig_files_close(int *fds, uint32_t n);

/*
 * Home, after HAVE: a VMA whose file the node lacks sends every page
 * again (file 0); the others only the pages the process changed. Counts
 * the pages of each file VMA again from /proc/@pid/pagemap (the others'
 * counts stand; from @pb when mig_dump_vmas kept them). 0 or -errno.
 */
int mig_files_settle(pid_t pid, struct mig_vma *v, uint32_t n, const struct mig_have *have,
		     const struct mig_pagebits *pb);

/* Whether bit @i of @have is set. */
bool mig_files_has(const struct mig_have *have, uint32_t i);

#endif
