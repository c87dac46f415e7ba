/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_BLOB_H
#define MOSIX_BLOB_H

/*
 * What the restorer blob (restore.c) is given: it runs in the guest after
 * the staging code (mig_stage.c) has put everything in place and copied it
 * into a reservation that overlaps nothing of the image. It has no libc
 * and no data of its own; these arguments sit next to it.
 */

#include <stdint.h>

#define BLOB_MAX_UNMAP 1024

struct blob_range {
	uint64_t from, to, len;
	uint32_t prot;		/* BLOB_KEEP_PROT: leave the protection alone */
	uint32_t pad;
};
#define BLOB_KEEP_PROT 0xffffffffu

struct blob_act {		/* the kernel's struct sigaction */
	uint64_t handler, flags, restorer, mask;
};

/*
 * The sync page, shared with the supervisor: state 1 = READY (fd holds the
 * seccomp listener), 2 = failed at `step` with `err`; go: 1 = run, 2 =
 * abort.
 */
struct blob_sync {
	volatile uint32_t state;
	volatile uint32_t go;
	volatile uint32_t step;
	volatile uint32_t err;
	volatile int32_t fd;
	volatile uint32_t killable;	/* the filter waits killably once received */
};

/* A limit the guest sets on itself: resource, soft, hard (prlimit64). */
struct blob_rlim {
	uint32_t res, pad;
	uint64_t cur, max;
};

#define BLOB_MAX_RLIM 4

struct blob_args {
	uint64_t rsv, rsv_len, keep_len;	/* reservation; [rsv, rsv+keep) stays */
	uint64_t sync;				/* struct blob_sync * */
	uint64_t frame;				/* the rt_sigframe: rsp - 8 */
	uint64_t mm[13];			/* struct prctl_mm_map */
	uint64_t fprog;				/* struct sock_fprog * */
	uint64_t fs_base, gs_base;
	uint64_t robust_head, robust_len;
	uint64_t rseq_ptr;
	uint32_t rseq_len, rseq_sig;
	uint64_t filter_flags;
	uint32_t nunmap, nmove;
	uint32_t nrlim, pad;
	struct blob_rlim rlim[BLOB_MAX_RLIM];
	int32_t nice;				/* home's */
	uint32_t policy;			/* SCHED_OTHER, BATCH or IDLE */
	int32_t sched_priority;			/* struct sched_param: 0 */
	uint32_t personality;			/* home's */
	/*
	 * The deputy's area at home, to keep free, when a mapping of the
	 * stager's own was in its way: reserved once that is unmapped and the
	 * VMAs are in place (0: the stager reserved it).
	 */
	uint64_t scratch, scratch_len;
	struct blob_act act[65];
	struct blob_range unmap[BLOB_MAX_UNMAP];
	struct blob_range move[];		/* nmove entries */
};

/* Restore steps, reported on failure. */
enum blob_step {
	BLOB_STEP_UNMAP = 1,
	BLOB_STEP_MOVE,
	BLOB_STEP_PROTECT,
	BLOB_STEP_RESERVATION,
	BLOB_STEP_MM,
	BLOB_STEP_SIGACTION,
	BLOB_STEP_ROBUST,
	BLOB_STEP_RSEQ,
	BLOB_STEP_TLS,
	BLOB_STEP_NNP,
	BLOB_STEP_FILTER,
	BLOB_STEP_RLIMIT,	/* a hard limit above the node's for its guests */
	BLOB_STEP_SCHED,	/* SCHED_BATCH or SCHED_IDLE, or personality, refused */
	BLOB_STEP_SCRATCH,	/* the deputy's area at home: still not free here */
};

#endif
