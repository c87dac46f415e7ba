/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_MIG_XSTATE_H
#define MOSIX_MIG_XSTATE_H

/*
 * The FPU/SSE/AVX registers (the NT_X86_XSTATE regset) between CPUs that
 * lay them out differently.
 *
 * ptrace and a signal frame give the standard (uncompacted) XSAVE format:
 * the 512-byte legacy area, the 64-byte header, then each enabled
 * component at the offset that CPUID leaf 0xD names on that CPU. Offsets
 * and the set of components differ between vendors and models (an AMD
 * CPU without MPX packs AVX-512 lower than an Intel one; qemu's emulated
 * CPU has MPX and PKRU, this one neither), and the kernel takes only a
 * buffer of its own size. So the image carries the layout of the CPU it
 * was read on, and the restoring node moves each component to where its
 * own CPU keeps it.
 */

#include <stdint.h>

#define MIG_XCOMP 32	/* XSAVE components a layout describes */

struct mig_xlayout {
	uint64_t features;	/* XCR0: the components the OS enabled */
	uint32_t size;		/* bytes of the standard format for them */
	uint32_t pad;
	uint16_t off[MIG_XCOMP];	/* component i (>= 2) at off[i] */
	uint16_t len[MIG_XCOMP];	/* of len[i] bytes; 0 for 0 and 1 */
};

/* This CPU's layout (CPUID 0xD, XGETBV). */
void mig_xstate_layout(struct mig_xlayout *l);

/* 0 when @l is consistent with a buffer of @size bytes; else -EBADMSG. */
int mig_xstate_layout_check(const struct mig_xlayout *l, uint32_t size);

/*
 * Rewrite @src (@sl's layout) as @dst (@dl's layout, dl->size bytes):
 * the legacy area as it is, each component present in both at its new
 * place, the header's XSTATE_BV limited to @dl's components. A component
 * the source uses that @dl lacks is lost: its bit is set in *@lost,
 * unless its content is that of a fresh process (all zero, or the
 * kernel's default PKRU). @dst must hold dl->size bytes; what
 * follows the components in it is left as it was.
 */
void mig_xstate_convert(const uint8_t *src, const struct mig_xlayout *sl, uint8_t *dst,
			const struct mig_xlayout *dl, uint64_t *lost);

#endif
