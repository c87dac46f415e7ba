/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_REM_FWD_H
#define MOSIX_REM_FWD_H

/*
 * The remote half of a forwarded call: from a seccomp notification and the
 * call's descriptors (sc_table.h), gather the buffers that go home from
 * the guest's memory into a SYSCALL record, and later scatter the bytes of
 * the SYSRET record back into the guest.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/mig_img.h"
#include "engine/sc_table.h"

#define REM_FWD_MAX_BUFS 64
/* bytes of buffers one call may move each way (the rest: a short read) */
#define REM_FWD_DATA_MAX ((4u << 20) - 64 * 1024)

struct rem_fwd_plan {
	uint32_t nbuf;
	uint64_t addr[REM_FWD_MAX_BUFS];	/* guest address of each buffer */
	uint32_t len[REM_FWD_MAX_BUFS];
	uint8_t dir[REM_FWD_MAX_BUFS];
};

/*
 * Build the SYSCALL record for call @nr with @args of guest @pid into @out
 * (@cap bytes). Returns 0, -EFAULT when the guest passed a bad pointer (the
 * call then fails with EFAULT, as it would have), -E2BIG when it does not
 * fit, -ENOSYS when the descriptors cannot express it.
 */
int rem_fwd_gather(pid_t pid, long nr, const uint64_t args[6], const struct sc_desc *d,
		   uint8_t *out, size_t cap, size_t *ret_len, struct rem_fwd_plan *plan);

/*
 * rem_fwd_scatter for a call that a signal stopped at home (aborted): only
 * its in/out buffers may come back; -EBADMSG for any other.
 */
int rem_fwd_scatter_aborted(pid_t pid, const struct rem_fwd_plan *plan, const uint32_t *lens,
			    const uint8_t *data);

/*
 * Whether call @d with @args must run at home, the process with it: a
 * signal mask of its own (SCK_SIGSET) that is not NULL.
 */
bool rem_fwd_needs_home(const struct sc_desc *d, const uint64_t args[6]);

/*
 * Write the bytes of a checked SYSRET back into the guest, as @plan says.
 * -EFAULT if the guest's memory went away meanwhile.
 */
int rem_fwd_scatter(pid_t pid, const struct rem_fwd_plan *plan, const uint32_t *lens,
		    const uint8_t *data);

/*
 * A call forwarded again (a signal stopped it at home, and the guest
 * ignores or blocks that signal): set @args' relative timeout in ms, if
 * the call has one (poll, epoll_wait, epoll_pwait), to what is left of
 * @first's after @elapsed_ns, as the kernel would count it from the first
 * try. Other calls start over.
 */
void rem_fwd_timeout_left(long nr, uint64_t args[6], const uint64_t first[6],
			  uint64_t elapsed_ns);

/* Read a NUL-terminated string of at most @cap bytes (with the NUL). */
ssize_t rem_read_str(pid_t pid, uint64_t addr, char *buf, size_t cap);

#endif
