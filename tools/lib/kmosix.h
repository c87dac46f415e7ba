/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_KMOSIX_H
#define MOSIX_KMOSIX_H

/*
 * The kernel part of mosix, found at run time: /proc/mosix of the mosix
 * module (package mosix-dkms) or of the patched kernel (CONFIG_MOSIX), and
 * the patched kernel's /proc/PID/mosix/ (kernel-patches/Documentation/
 * mosix.rst has every file). Nothing in mosix needs it: the daemons keep
 * their state under $MOSIX_RUN_DIR and mirror it here when it is there.
 *
 * Every function takes the root of /proc as @root; NULL means
 * $MOSIX_PROC_DIR, or "/proc" when that is unset or empty. Tests point it
 * at a directory of plain files they make (unit tests through @root, the
 * daemons' tests through the variable): that tests the parsing, the
 * formatting and what is written when, not the kernel's side
 * (tests/kernel does that).
 *
 * Writes go to /proc files that apply each write(2) as one command and
 * need CAP_SYS_ADMIN: one write per call, never O_TRUNC (procfs has no
 * size to cut), and the kernel's -errno is returned as it is. They open
 * with O_APPEND, which the kernel's files ignore (they take no position)
 * and which makes a test's plain file a log of every write.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "state.h"

/* the interface these tools speak: version's "interface=" */
#define KMOSIX_INTERFACE 1
/* the most admin/nodes takes in one write */
#define KMOSIX_WRITE_MAX (256 * 1024)
/* room for the longest line of admin/nodes (the kernel's limit is 255) */
#define KMOSIX_LINE_MAX 256

enum kmosix_lock {
	KMOSIX_LOCK_UNKNOWN = 0,
	KMOSIX_LOCK_MODULE,	/* "lock=module": the module's table */
	KMOSIX_LOCK_TASK,	/* "lock=task": a task flag of the patched kernel */
};

struct kmosix {
	bool present;		/* ROOT/mosix/version was read and parsed */
	bool usable;		/* present, and of KMOSIX_INTERFACE */
	unsigned interface;
	enum kmosix_lock lock;
	char version[64];	/* of the module or kernel, "" if not said */
	bool per_process;	/* ROOT/self/mosix/: where, nmigs, lock, cantmove */
	/*
	 * ROOT/self/mosix/guest: the kernel answers a marked guest's getpid,
	 * gettid and getppid, and leaves it out of /proc listings
	 */
	bool guest_ids;
	bool guests;		/* ROOT/mosix/guests lists them */
};

/*
 * The text of mosix/version ("version=V\ninterface=N\nlock=KIND\n") into
 * @ret, whose other fields are cleared. Unknown keys and lock kinds are
 * left for later kernels; interface is required. 0 or -EINVAL (*@ret
 * untouched).
 */
int kmosix_parse_version(const char *text, struct kmosix *ret);

/*
 * What the kernel offers, into *@ret (always set; present is false when
 * there is no mosix/version). 0, also when absent; -errno when version is
 * there but cannot be read, or -EINVAL when it does not parse.
 */
int kmosix_probe(const char *root, struct kmosix *ret);

/* "module, interface 1, lock in the module"... for mosctl check. */
void kmosix_describe(const struct kmosix *k, char *buf, size_t size);

/*
 * Read ROOT/@rel into @buf (@size > 0), NUL-terminated, cut to @size - 1
 * bytes. Returns the length read or -errno.
 */
ssize_t kmosix_read(const char *root, const char *rel, char *buf, size_t size);

/* Write @len bytes of @text to ROOT/@rel in one write. 0 or -errno. */
int kmosix_write(const char *root, const char *rel, const char *text, size_t len);

/*
 * The length of the first part of @text (@len bytes) that ends at a
 * newline and holds at most @max bytes: where a write of lines is split.
 * A last line without its newline counts as whole. 0 when the first line
 * alone is longer than @max.
 */
size_t kmosix_chunk(const char *text, size_t len, size_t max);

/* One node of admin/nodes, in its units (mosix.rst). */
struct kmosix_node {
	uint32_t id, cpus, load, speed, status, util;
	uint64_t mem, rmem, tmem;
};

/*
 * What mosix-infod knows of a node, as the kernel takes it: the values
 * are brought into the ranges the kernel checks (a CPU at least, speed at
 * least 1, free memory at most the total, utilisation at most 1000), since
 * one bad line fails the whole write. false for an id out of 1..65535.
 */
bool kmosix_node_from_state(const struct node_state *s, struct kmosix_node *ret);

/* "ID CPUS LOAD SPEED MEM RMEM TMEM STATUS UTIL\n"; its length. */
size_t kmosix_node_format(const struct kmosix_node *n, char *buf, size_t size);

/*
 * The table as admin/nodes reads (lines of the format above, sorted by
 * id; @text is modified) into a malloc'd array. 0, -EINVAL, -ENOMEM.
 */
int kmosix_nodes_parse(char *text, struct kmosix_node **ret, size_t *ret_n);

/* Read and parse ROOT/mosix/admin/nodes: 0, -errno, -EINVAL. */
int kmosix_nodes_read(const char *root, struct kmosix_node **ret, size_t *ret_n);

/* Text that grows: the lines of one update. */
struct kmosix_text {
	char *buf;
	size_t len, alloc;
};

void kmosix_text_release(struct kmosix_text *t);

/*
 * The commands that turn the table @old (what the kernel holds, sorted by
 * id) into @cur (sorted by id): "-ID" lines for nodes gone into @forget,
 * full lines of new and changed nodes into @set; unchanged nodes give
 * nothing. Nodes of @cur whose id is not in @old are left out when
 * @no_new (the kernel's table is full). 0 or -ENOMEM.
 */
int kmosix_nodes_diff(const struct kmosix_node *old, size_t nold,
		      const struct kmosix_node *cur, size_t ncur, bool no_new,
		      struct kmosix_text *forget, struct kmosix_text *set);

/*
 * Lock (@lock) or unlock process @pid in the kernel: "PID 1" or "PID 0"
 * to mosix/lock. 0, -ENOENT without the kernel part, or its -errno
 * (-ESRCH: no such process, -EPERM).
 */
int kmosix_lock_set(const char *root, pid_t pid, bool lock);

/*
 * Whether the kernel has @pid locked: PID/mosix/lock of the patched
 * kernel, else whether mosix/lock lists it. 0 and *@ret; -ENOENT without
 * the kernel part; -errno.
 */
int kmosix_locked(const char *root, pid_t pid, bool *ret);

/* Whether the list of mosix/lock (one pid a line) holds @pid. */
bool kmosix_lock_listed(const char *text, pid_t pid);

/*
 * Write PID/mosix/@name (where, nmigs, lock, guest) of the patched
 * kernel. 0, -ENOENT without it (or without the process), or -errno.
 */
int kmosix_task_write(const char *root, pid_t pid, const char *name, const char *text);

/* The home of a guest, as mosix/guests lists it. */
struct kmosix_guest {
	pid_t pid;		/* here */
	uint32_t node;
	pid_t home_pid, home_ppid;
};

/*
 * Parse the text of mosix/guests ("PID NODE HOME_PID HOME_PPID" lines,
 * @text is modified) into a malloc'd array, *@ret_n entries. 0, -EINVAL
 * for a malformed line, -ENOMEM.
 */
int kmosix_guests_parse(char *text, struct kmosix_guest **ret, size_t *ret_n);

/* Read and parse ROOT/mosix/guests: 0, -ENOENT without it, -errno. */
int kmosix_guests_read(const char *root, struct kmosix_guest **ret, size_t *ret_n);

#endif
