// SPDX-License-Identifier: GPL-2.0-only
#include <cpuid.h>
#include <errno.h>
#include <string.h>

#include "engine/mig_xstate.h"

#define LEGACY 512		/* FXSAVE area */
#define HEADER 64		/* XSTATE_BV, XCOMP_BV, reserved */
#define PKRU_BIT 9
#define PKRU_DEFAULT 0x55555554u	/* Linux's: only key 0 accessible */

void mig_xstate_layout(struct mig_xlayout *l)
{
	unsigned a, b, c, d, lo = 3, hi = 0;

	memset(l, 0, sizeof(*l));
	l->size = LEGACY + HEADER;
	__cpuid(1, a, b, c, d);
	if (!(c & bit_OSXSAVE)) {
		l->features = 3;	/* x87 and SSE, no XSAVE: FXSAVE only */
		return;
	}
	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	l->features = ((uint64_t)hi << 32) | lo;
	for (unsigned i = 2; i < MIG_XCOMP; i++) {
		if (!(l->features & (1ull << i)))
			continue;
		__cpuid_count(0xd, i, a, b, c, d);
		/* ecx bit 0: a supervisor component, never in user buffers */
		if (!a || (c & 1) || a + b > UINT16_MAX)
			continue;
		l->off[i] = (uint16_t)b;
		l->len[i] = (uint16_t)a;
		if (a + b > l->size)
			l->size = a + b;
	}
}

int mig_xstate_layout_check(const struct mig_xlayout *l, uint32_t size)
{
	if (l->size != size || size < LEGACY + HEADER || (l->features & 3) != 3)
		return -EBADMSG;
	for (unsigned i = 0; i < MIG_XCOMP; i++) {
		if (i < 2 || !(l->features & (1ull << i)) || !l->len[i]) {
			if (i < 2 && (l->off[i] || l->len[i]))
				return -EBADMSG;
			continue;
		}
		if (l->off[i] < LEGACY + HEADER || (uint32_t)l->off[i] + l->len[i] > size)
			return -EBADMSG;
	}
	return 0;
}

/* The component's bytes say nothing a fresh process would not have. */
static int fresh(const uint8_t *p, unsigned i, uint16_t len)
{
	uint32_t pkru;

	if (i == PKRU_BIT && len >= 4) {
		memcpy(&pkru, p, 4);
		if (pkru == PKRU_DEFAULT || !pkru)
			return 1;
	}
	for (uint16_t k = 0; k < len; k++)
		if (p[k])
			return 0;
	return 1;
}

void mig_xstate_convert(const uint8_t *src, const struct mig_xlayout *sl, uint8_t *dst,
			const struct mig_xlayout *dl, uint64_t *lost)
{
	uint64_t sbv, dbv = 0;

	*lost = 0;
	memcpy(&sbv, src + LEGACY, 8);
	memcpy(dst, src, LEGACY);
	memset(dst + LEGACY, 0, HEADER);
	dbv = sbv & 3;	/* x87 and SSE live in the legacy area everywhere */
	for (unsigned i = 2; i < MIG_XCOMP; i++) {
		uint64_t bit = 1ull << i;
		int there = (sl->features & bit) && sl->len[i];

		if (!(sbv & bit) || !there) {
			continue;
		} else if (!(dl->features & bit) || !dl->len[i]) {
			if (!fresh(src + sl->off[i], i, sl->len[i]))
				*lost |= bit;
			continue;
		}
		memset(dst + dl->off[i], 0, dl->len[i]);
		memcpy(dst + dl->off[i], src + sl->off[i],
		       sl->len[i] < dl->len[i] ? sl->len[i] : dl->len[i]);
		dbv |= bit;
	}
	memcpy(dst + LEGACY, &dbv, 8);
}
