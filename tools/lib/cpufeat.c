// SPDX-License-Identifier: GPL-2.0-only
#include <cpuid.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cpufeat.h"

#define YMM 0x6ull		/* SSE and AVX state */
#define ZMM 0xe6ull		/* and opmask, ZMM_Hi256, Hi16_ZMM */
#define TMM (0x3ull << 17)	/* AMX TILECFG, TILEDATA */
#define X87 0x1ull		/* any XCR0: the OS enabled XSAVE (OSXSAVE) */

enum { EAX, EBX, ECX, EDX };

/* Wire format (cpufeat.h): new entries go at the end, none is removed. */
const struct cpufeat cpufeat_table[] = {
	{ "sse3", NULL, 1, 0, ECX, 0, 0 },
	{ "pclmulqdq", NULL, 1, 0, ECX, 1, 0 },
	{ "ssse3", "SSSE3", 1, 0, ECX, 9, 0 },
	{ "fma", "FMA", 1, 0, ECX, 12, YMM },
	{ "cx16", NULL, 1, 0, ECX, 13, 0 },
	{ "sse4_1", "SSE4_1", 1, 0, ECX, 19, 0 },
	{ "sse4_2", "SSE4_2", 1, 0, ECX, 20, 0 },
	{ "movbe", "MOVBE", 1, 0, ECX, 22, 0 },
	{ "popcnt", "POPCNT", 1, 0, ECX, 23, 0 },
	{ "aes", NULL, 1, 0, ECX, 25, 0 },
	{ "xsave", "XSAVE", 1, 0, ECX, 26, X87 },
	{ "avx", "AVX", 1, 0, ECX, 28, YMM },
	{ "f16c", NULL, 1, 0, ECX, 29, YMM },
	{ "rdrand", NULL, 1, 0, ECX, 30, 0 },
	{ "bmi1", "BMI1", 7, 0, EBX, 3, 0 },
	{ "avx2", "AVX2", 7, 0, EBX, 5, YMM },
	{ "bmi2", "BMI2", 7, 0, EBX, 8, 0 },
	{ "rtm", NULL, 7, 0, EBX, 11, 0 },
	{ "avx512f", "AVX512F", 7, 0, EBX, 16, ZMM },
	{ "avx512dq", "AVX512DQ", 7, 0, EBX, 17, ZMM },
	{ "rdseed", NULL, 7, 0, EBX, 18, 0 },
	{ "adx", NULL, 7, 0, EBX, 19, 0 },
	{ "avx512ifma", NULL, 7, 0, EBX, 21, ZMM },
	{ "clflushopt", NULL, 7, 0, EBX, 23, 0 },
	{ "clwb", NULL, 7, 0, EBX, 24, 0 },
	{ "avx512cd", "AVX512CD", 7, 0, EBX, 28, ZMM },
	{ "sha_ni", NULL, 7, 0, EBX, 29, 0 },
	{ "avx512bw", "AVX512BW", 7, 0, EBX, 30, ZMM },
	{ "avx512vl", "AVX512VL", 7, 0, EBX, 31, ZMM },
	{ "avx512vbmi", NULL, 7, 0, ECX, 1, ZMM },
	{ "waitpkg", NULL, 7, 0, ECX, 5, 0 },
	{ "avx512_vbmi2", NULL, 7, 0, ECX, 6, ZMM },
	{ "gfni", NULL, 7, 0, ECX, 8, 0 },
	{ "vaes", NULL, 7, 0, ECX, 9, YMM },
	{ "vpclmulqdq", NULL, 7, 0, ECX, 10, YMM },
	{ "avx512_vnni", NULL, 7, 0, ECX, 11, ZMM },
	{ "avx512_bitalg", NULL, 7, 0, ECX, 12, ZMM },
	{ "avx512_vpopcntdq", NULL, 7, 0, ECX, 14, ZMM },
	{ "rdpid", NULL, 7, 0, ECX, 22, 0 },
	{ "movdiri", NULL, 7, 0, ECX, 27, 0 },
	{ "movdir64b", NULL, 7, 0, ECX, 28, 0 },
	{ "avx512_vp2intersect", NULL, 7, 0, EDX, 8, ZMM },
	{ "serialize", NULL, 7, 0, EDX, 14, 0 },
	{ "amx_bf16", NULL, 7, 0, EDX, 22, TMM },
	{ "avx512_fp16", NULL, 7, 0, EDX, 23, ZMM },
	{ "amx_tile", NULL, 7, 0, EDX, 24, TMM },
	{ "amx_int8", NULL, 7, 0, EDX, 25, TMM },
	{ "avx_vnni", NULL, 7, 1, EAX, 4, YMM },
	{ "avx512_bf16", NULL, 7, 1, EAX, 5, ZMM },
	{ "xsaveopt", NULL, 0xd, 1, EAX, 0, X87 },
	{ "xsavec", "XSAVEC", 0xd, 1, EAX, 1, X87 },
	{ "abm", "LZCNT", 0x80000001, 0, ECX, 5, 0 },
	{ "sse4a", NULL, 0x80000001, 0, ECX, 6, 0 },
	{ "3dnowprefetch", NULL, 0x80000001, 0, ECX, 8, 0 },
	{ "xop", NULL, 0x80000001, 0, ECX, 11, YMM },
	{ "fma4", "FMA4", 0x80000001, 0, ECX, 16, YMM },
	{ "tbm", NULL, 0x80000001, 0, ECX, 21, 0 },
	{ "rdtscp", NULL, 0x80000001, 0, EDX, 27, 0 },
};

const unsigned cpufeat_count = sizeof(cpufeat_table) / sizeof(cpufeat_table[0]);

_Static_assert(sizeof(cpufeat_table) / sizeof(cpufeat_table[0]) <= 64,
	       "a feature set is a uint64_t");

/*
 * Each CPUID of a virtual machine exits to the hypervisor: about 20 us on
 * the development VM, so a deputy spent a millisecond of every move on
 * this table. The table asks a handful of leaves, each once here.
 */
struct leaf {
	unsigned leaf, sub, r[4];
};

static const unsigned *leaf_regs(struct leaf *seen, unsigned *nseen, unsigned leaf, unsigned sub)
{
	struct leaf *l;

	for (unsigned i = 0; i < *nseen; i++)
		if (seen[i].leaf == leaf && seen[i].sub == sub)
			return seen[i].r;
	l = &seen[(*nseen)++];
	l->leaf = leaf;
	l->sub = sub;
	__cpuid_count(leaf, sub, l->r[0], l->r[1], l->r[2], l->r[3]);
	return l->r;
}

uint64_t cpufeat_local(void)
{
	/* leaf 1 for OSXSAVE, then at most one per feature */
	struct leaf seen[sizeof(cpufeat_table) / sizeof(cpufeat_table[0]) + 1] = { 0 };
	unsigned max, xmax, nseen = 0;
	uint64_t set = 0, xcr0 = 0;	/* without OSXSAVE: no XSAVE, no AVX */

	max = __get_cpuid_max(0, NULL);
	xmax = __get_cpuid_max(0x80000000, NULL);
	if (leaf_regs(seen, &nseen, 1, 0)[ECX] & bit_OSXSAVE) {
		unsigned lo, hi;

		asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		xcr0 = ((uint64_t)hi << 32) | lo;
	}
	for (unsigned i = 0; i < cpufeat_count; i++) {
		const struct cpufeat *f = &cpufeat_table[i];
		const unsigned *fr;

		if (f->leaf >= 0x80000000 ? f->leaf > xmax : f->leaf > max)
			continue;
		fr = leaf_regs(seen, &nseen, f->leaf, f->sub);
		if ((fr[f->reg] >> f->bit) & 1 && (xcr0 & f->xcr0) == f->xcr0)
			set |= 1ull << i;
	}
	return set;
}

void cpufeat_names(uint64_t set, char *buf, size_t len)
{
	size_t at = 0;

	if (len)
		buf[0] = 0;
	for (unsigned i = 0; i < cpufeat_count && at < len; i++) {
		int n;

		if (!(set & (1ull << i)))
			continue;
		n = snprintf(buf + at, len - at, "%s%s", at ? " " : "", cpufeat_table[i].name);
		if (n < 0)
			break;
		at += (size_t)n;
	}
}

static int find(const char *name, size_t n, int glibc)
{
	for (unsigned i = 0; i < cpufeat_count; i++) {
		const char *t = glibc ? cpufeat_table[i].glibc : cpufeat_table[i].name;

		/* our own names in any case; glibc's exactly, as glibc */
		if (t && strlen(t) == n &&
		    !(glibc ? strncmp(t, name, n) : strncasecmp(t, name, n)))
			return (int)i;
	}
	return -1;
}

int cpufeat_parse(const char *text, uint64_t *set, char *bad, size_t badlen)
{
	const char *p = text;

	*set = 0;
	while (*p) {
		size_t n = strcspn(p, " \t,");

		if (n) {
			int i = find(p, n, 0);

			if (i < 0) {
				snprintf(bad, badlen, "%.*s", (int)n, p);
				return -EINVAL;
			}
			*set |= 1ull << i;
		}
		p += n;
		p += strspn(p, " \t,");
	}
	return 0;
}

/* The features only glibc's own code picks by CPUID (cpufeat.h). */
static uint64_t glibc_own(void)
{
	int i = find("xsavec", 6, 0);

	return i < 0 ? 0 : 1ull << i;
}

uint64_t cpufeat_glibc_off(const char *env, size_t len)
{
	static const char var[] = "GLIBC_TUNABLES=", key[] = "glibc.cpu.hwcaps=";
	const char *end = env + len, *s = env;
	uint64_t off = 0;

	for (; s < end; s += strnlen(s, (size_t)(end - s)) + 1) {
		const char *e = s + strnlen(s, (size_t)(end - s)), *t;

		if ((size_t)(e - s) < sizeof(var) - 1 || memcmp(s, var, sizeof(var) - 1))
			continue;
		off = 0;	/* the last definition is the one glibc reads */
		/* tunables are separated by ':', the names by ',' */
		for (t = s + sizeof(var) - 1; t < e;) {
			const char *te = memchr(t, ':', (size_t)(e - t));

			if (!te)
				te = e;
			if ((size_t)(te - t) > sizeof(key) - 1 && !memcmp(t, key, sizeof(key) - 1)) {
				const char *w = t + sizeof(key) - 1;

				while (w < te) {
					const char *we = memchr(w, ',', (size_t)(te - w));
					int i;

					if (!we)
						we = te;
					if (*w == '-' && (i = find(w + 1, (size_t)(we - w - 1), 1)) >= 0)
						off |= 1ull << i;
					w = we + (we < te);
				}
			}
			t = te + (te < e);
		}
	}
	return off & glibc_own();
}
