/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_MIG_PROBE_H
#define MOSIX_MIG_PROBE_H

/*
 * The kernel features the migration engine uses, each found by trying it
 * (kernels carry backports and lose features to their configuration, so
 * version numbers prove nothing). mosix-migd probes once at start-up and
 * refuses to migrate without a required feature; `mosctl check` prints
 * the result.
 *
 * Features that leave something behind (a seccomp filter cannot be
 * removed; namespaces, a dropped uid, cleared soft-dirty bits) are tried
 * in short-lived children, so the caller is unchanged afterwards. The
 * whole probe takes a few milliseconds.
 */

#include <stdbool.h>
#include <stdint.h>

#include "lib/kmosix.h"

enum mig_feature {
	MIG_F_PTRACE_SEIZE,	/* PTRACE_SEIZE, PTRACE_INTERRUPT */
	MIG_F_XSTATE,		/* PTRACE_GETREGSET NT_X86_XSTATE */
	MIG_F_PTRACE_RSEQ,	/* PTRACE_GET_RSEQ_CONFIGURATION */
	MIG_F_RSEQ,		/* rseq(2) */
	MIG_F_VM_RW,		/* process_vm_readv, process_vm_writev */
	MIG_F_PIDFD_OPEN,
	MIG_F_PIDFD_GETFD,
	MIG_F_SECCOMP_NOTIFY,	/* SECCOMP_FILTER_FLAG_NEW_LISTENER */
	MIG_F_SECCOMP_ADDFD,	/* SECCOMP_IOCTL_NOTIF_ADDFD, ADDFD_FLAG_SETFD */
	MIG_F_SECCOMP_CONTINUE,	/* SECCOMP_USER_NOTIF_FLAG_CONTINUE */
	MIG_F_MM_MAP,		/* prctl PR_SET_MM_MAP, unprivileged */
	MIG_F_CLOSE_RANGE,
	MIG_F_KCMP,		/* kcmp(2): KCMP_VM, KCMP_FILE */
	MIG_F_TIMENS,		/* CLONE_NEWTIME with a monotonic offset */
	/* optional */
	MIG_F_SECCOMP_KILLABLE,	/* SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV */
	MIG_F_SECCOMP_SYNC_WAKE,	/* SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (6.6) */
	MIG_F_UFFD,		/* userfaultfd with UFFD_USER_MODE_ONLY */
	MIG_F_SOFT_DIRTY,	/* clear_refs 4, pagemap bit 55 */
	MIG_F_MOSIX_KERNEL,	/* /proc/mosix */
	MIG_F_NR
};

struct mig_features {
	/* 1 << enum mig_feature for each feature present */
	uint32_t have;
	/*
	 * For each missing one, why: the -errno of the attempt, or -ENOTSUP
	 * when the calls worked but did not do what they should.
	 */
	int err[MIG_F_NR];
	/* bytes of the NT_X86_XSTATE regset (registers to move), 0 unknown */
	uint32_t xstate_size;
	/* XCR0: the XSAVE features enabled, which the target must have too */
	uint64_t xcr0;
	/* the UFFD_FEATURE_* bits offered, with MIG_F_UFFD */
	uint64_t uffd_features;
	/* what /proc/mosix offers; MIG_F_MOSIX_KERNEL when it is usable */
	struct kmosix kmosix;
};

struct mig_feature_info {
	const char *name;	/* as mosctl check prints it */
	bool required;		/* no migration without it */
	/* what the engine needs it for; for an optional one, what it loses */
	const char *use;
};

/*
 * Probe every feature into *@ret. Returns 0 whatever is missing, or
 * -errno when the probe itself could not run (no fork, no memory); *@ret
 * is then untouched.
 *
 * It forks and waits for its own children: call it before SIGCHLD is
 * ignored or handled by a reaper of every child, and from a process
 * without threads (as every mosix program is).
 */
int mig_probe(struct mig_features *ret);

static inline bool mig_has(const struct mig_features *f, enum mig_feature which)
{
	return f->have & (UINT32_C(1) << which);
}

/* Every required feature is present: this node can migrate processes. */
bool mig_features_sufficient(const struct mig_features *f);

/* The description of @which; NULL out of range. */
const struct mig_feature_info *mig_feature_info(enum mig_feature which);

#endif
