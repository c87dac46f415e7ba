/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_MIG_DUMP_H
#define MOSIX_MIG_DUMP_H

/*
 * The image of a stopped single-threaded process: its registers and
 * per-task kernel state (mig_dump_state, which injects a few calls to
 * read what ptrace does not give), its VMAs (mig_dump_vmas) and the pages
 * worth sending (mig_dump_pages: anonymous pages never touched are zero
 * on the target too and are skipped; file-backed private pages all go,
 * since the node must not read home's files, unless the node maps its own
 * identical copy of the file: mig_files.h). Used at home to send a
 * process away and on a node to send a guest home or on.
 */

#include <stdint.h>
#include <sys/types.h>

#include "engine/mig_cantmove.h"
#include "engine/mig_chan.h"
#include "engine/mig_img.h"
#include "engine/mig_inject.h"


struct mig_dump_stats {
	uint64_t bytes;		/* page bytes sent */
	uint64_t pages_skipped;	/* anonymous pages never touched */
	uint64_t mem_ns;	/* time spent on memory */
};

/* Address ranges of ours inside the process, never part of its image. */
struct mig_excl {
	uint64_t start, end;
};

/*
 * Registers, FPU/AVX state, signal mask and handlers, sigaltstack, rseq
 * (moving rip out of an rseq critical section), robust list, mm fields,
 * auxv; a call interrupted by the stop is rewound so that it restarts
 * wherever the process resumes. @j is set up (inj_setup); the process's
 * registers are put back before returning. -EAGAIN when it is in the
 * kernel's restart of a call that cannot be told (the call it restarts is
 * not in the registers, and not the usual "mov $NR, %eax; syscall").
 */
int mig_dump_state(struct inj *j, struct mig_task *ret);

/*
 * What keeps a stopped process home that /proc does not show, asked of
 * the process itself (@j set up; its registers are put back): 32-bit
 * code running in a 64-bit program (its code segment), an I/O permission
 * bitmap (ioperm), and interval timers on its CPU time (ITIMER_VIRTUAL,
 * ITIMER_PROF), which would count the home task's time, and it no longer
 * runs. 0 and *@ret (MIG_CAN when nothing), or -errno.
 */
int mig_dump_cant(struct inj *j, enum mig_cant *ret);

/* The largest mapping whose pages are looked up (a sparse mapping of
 * terabytes, AddressSanitizer's shadow, is not: -EFBIG). */
#define MIG_VMA_SCAN_MAX (64ull << 30)

/*
 * What /proc/PID/pagemap said of each page of the VMAs when they were
 * read, two bits a page (present or swapped; the process's own copy), so
 * that the counts and the runs after it need not walk the page tables
 * again: each read of pagemap does, about 0.3-1 ms for 16 MiB here, and
 * a move read it up to three times while the process stood still. Valid
 * while the process stays stopped. Zeroed: none (pagemap is read).
 */
struct mig_pagebits {
	uint64_t *bits;
	uint64_t *first;	/* the bit of each VMA's first page */
	uint64_t nbits, cap;	/* bits used, bits allocated */
	uint32_t nfirst, first_cap;
};

void mig_pagebits_free(struct mig_pagebits *pb);

/*
 * The VMAs of @pid except the special ones ([vdso], [vvar*], [vsyscall]),
 * the scratch area and @excl; fills @t's home vDSO fields only when
 * @t->vdso_start is 0 (a guest carries home's). -EBUSY for a writable
 * shared mapping, -EFBIG for one over MIG_VMA_SCAN_MAX. Counts the pages
 * each VMA will send. With @pb (zeroed), keeps the pagemap's bits there
 * for the calls below (none when they would take over 64 MiB).
 */
int mig_dump_vmas(pid_t pid, const struct mig_excl *excl, int nexcl, struct mig_task *t,
		  struct mig_vma **ret, uint32_t *ret_count, struct mig_pagebits *pb);

/* Counts again the pages each file VMA of @v will send, once their files
 * are settled (mig_files_settle); the others' counts do not depend on
 * files and stay. @pb as mig_dump_vmas left it, or NULL. 0 or -errno. */
int mig_dump_count(pid_t pid, struct mig_vma *v, uint32_t n, const struct mig_pagebits *pb);

/* Send the VMAS record, then PAGES runs, then END, on @c; each run is read
 * from the process straight into the buffer the channel encrypts it in.
 * @pb as mig_dump_count. */
int mig_dump_pages(pid_t pid, const struct mig_vma *v, uint32_t n, struct mig_chan *c,
		   struct mig_dump_stats *st, const struct mig_pagebits *pb);

/* Monotonic clock in ns. */
uint64_t mig_now_ns(void);

#endif
