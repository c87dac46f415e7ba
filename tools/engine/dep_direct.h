/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_DEP_DIRECT_H
#define MOSIX_DEP_DIRECT_H

/*
 * Forwarded reads and writes of regular files served by the deputy itself,
 * on a copy of the home process's descriptor (pidfd_getfd): the same open
 * file, so the same offset, flags and position as the process's own, and
 * no round trip through the home agent.
 *
 * Only where the result cannot differ from the process's own call: a
 * regular file on a disk-backed or memory file system (not /proc, sysfs or
 * FUSE, which look at the caller), and a process without a file-size
 * limit (which the kernel checks against the writer), not opened with
 * O_DIRECT (our buffers are not aligned for it). A call that may change
 * the process's descriptors or limits goes through the agent and makes
 * the deputy forget its copies (dep_direct_forget()); and each use of a
 * copy first checks (kcmp) that the process still has that file at that
 * number, which a process sharing its descriptor table could change.
 *
 * The deputy runs as root: writes are served here only once it has given
 * up CAP_FSETID and CAP_SYS_RESOURCE (dep_direct_init() does), with which
 * a write would keep a setuid bit, pass disk quotas or use the blocks
 * reserved for root. Still the deputy's: the cgroup its page cache is
 * charged to, and the pid fanotify and audit see.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DEP_DIRECT_FDS 64	/* the home fds 0..63 may be served here */

struct dep_direct {
	int pidfd;		/* the home process (not owned) */
	pid_t pid;
	pid_t self;		/* this deputy, for kcmp: one call less each time */
	int8_t state[DEP_DIRECT_FDS];	/* 0 unknown, 1 served here, -1 not */
	int copy[DEP_DIRECT_FDS];	/* with state 1: our copy */
	int8_t fsize;		/* 0 unknown, 1 unlimited, -1 limited */
	bool writes;		/* without the capabilities above: writes too */
	uint64_t served;	/* calls served here, for the log */
};

/* In the deputy itself (it keeps its own pid); also gives up this
 * process's CAP_FSETID and CAP_SYS_RESOURCE. */
void dep_direct_init(struct dep_direct *x, int pidfd, pid_t pid);

/* Close every copy: the process's descriptors may have changed. */
void dep_direct_forget(struct dep_direct *x);

/*
 * Serve the SYSCALL record @rec here if it is a read, write, pread64,
 * pwrite64 or lseek of a descriptor that qualifies: 1, with the SYSRET
 * payload in @reply (@cap bytes) and its length in *@ret_len; 0 when it
 * must go through the agent; -EBADMSG for a record that does not add up.
 */
int dep_direct_call(struct dep_direct *x, const void *rec, size_t len, uint8_t *reply,
		    size_t cap, size_t *ret_len);

#endif
