/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_MIG_STAGE_H
#define MOSIX_MIG_STAGE_H

/*
 * The first half of a restore, in the guest process itself (with libc,
 * already unprivileged and in its own namespaces): reserve address space
 * that overlaps nothing of the image, map every VMA read-write inside it
 * for the supervisor to fill (UFFDIO_COPY or process_vm_writev; a VMA of
 * a file this node has maps that file: mig_files.h), decide how to place the
 * vDSO, build the rt_sigframe and the filter, and jump to the restorer
 * blob (blob/restore.c). The supervisor and the guest talk through a
 * shared mapping made before the guest was forked.
 */

#include <stdint.h>

#include "engine/blob/blob.h"
#include "engine/mig_img.h"

struct mig_stage_shared {
	struct mig_task task;		/* in: from the stream */
	uint32_t nvma;			/* in */
	uint32_t force_proxy;		/* in: always use the vDSO proxy (tests) */
	uint32_t scratch_busy;		/* in: map a page where home's scratch goes
					 * first, as a mapping of ours in its way
					 * would be (tests, MOSIX_FAULT) */
	volatile uint32_t go;		/* in: 1 the image is here, stage it; 2 end */
	volatile uint32_t staged;	/* out: 1 staged, 2 failed */
	volatile uint32_t filled;	/* in: 1 pages written, go on; 2 abort */
	int32_t err;			/* out: on failure, -errno */
	uint32_t step;			/* out: where it failed */
	uint32_t vdso_proxy;		/* out */
	uint32_t filter_flags;		/* in: enum mig_filter_flags */
	int32_t uffd;			/* out: the guest's userfaultfd over the
					 * staged VMAs, -1 none; closed once filled */
	uint64_t keep_start, keep_end;	/* out: the blob's area in the guest */
	uint32_t nfiles;		/* in: files of this node the image maps */
	int32_t file_fd[MIG_MAX_FILES];	/* the supervisor's (the guest gets copies,
					 * mig_stage_run's @fds), -1 where the node
					 * lacks the file */
	struct mig_vma vmas[MIG_MAX_VMAS];	/* in */
	uint64_t stage[MIG_MAX_VMAS];	/* out: where each VMA is staged */
};

enum mig_stage_step {
	MIG_STAGE_RESERVE = 20,
	MIG_STAGE_MAP,
	MIG_STAGE_WAIT,
	MIG_STAGE_VDSO,
	MIG_STAGE_SYNC,
	MIG_STAGE_XSTATE,	/* its registers use a component this CPU lacks */
};

/*
 * Runs in the guest; returns only on failure, after reporting it in @sh
 * (staged = 2) or in @sync (by the blob). @sync is a shared page of its
 * own: the blob moves it into its area and reports READY through it.
 * @fds: the guest's own descriptors of sh->file_fd's files, in order.
 */
int mig_stage_run(struct mig_stage_shared *sh, struct blob_sync *sync, const int *fds);

#endif
