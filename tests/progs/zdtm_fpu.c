// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_fpu: registers held across the migration. One asm block loads
 * r12-r15, two x87 values, xmm8-15 (ymm8-15 whole where the CPU has AVX)
 * and sets MXCSR and the x87 control word to round up; it spins until the
 * SIGUSR2 handler sets zdtm_go, then stores them all. Nothing else runs in
 * between but the handler, whose sigreturn restores the state. Says
 * "ready avx" or "ready sse".
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "zdtm.h"

#define NREG 8

struct regs {
	uint64_t gpr[4];
	double x87[2];
	uint32_t mxcsr;
	uint16_t fcw;
	uint8_t vec[NREG][32] __attribute__((aligned(32)));
};

static const uint32_t mxcsr_up = 0x5f80;	/* default 0x1f80, rounding up */
static const uint16_t fcw_up = 0x0b7f;		/* default 0x037f, rounding up */
static const double x87_in[2] = { 3.25, -1e300 };
static const uint64_t gpr_in[4] = { 0x1212121212121212, 0x1313131313131313,
				    0xdeadbeefcafef00d, 0x0123456789abcdef };
static uint8_t vec_in[NREG][32] __attribute__((aligned(32)));

#define SPIN_HEAD                                                                          \
	"mov 0(%[g]), %%r12\n\tmov 8(%[g]), %%r13\n\tmov 16(%[g]), %%r14\n\t"                     \
	"mov 24(%[g]), %%r15\n\tfldl 0(%[x])\n\tfldl 8(%[x])\n\t"                                 \
	"ldmxcsr %[mx]\n\tfldcw %[cw]\n\t"
#define SPIN_LOOP "1:\n\tpause\n\tcmpl $0, %[go]\n\tje 1b\n\t"
#define SPIN_TAIL                                                                          \
	"mov %%r12, 0(%[o])\n\tmov %%r13, 8(%[o])\n\tmov %%r14, 16(%[o])\n\t"                     \
	"mov %%r15, 24(%[o])\n\tfstpl 40(%[o])\n\tfstpl 32(%[o])\n\t"                             \
	"stmxcsr 48(%[o])\n\tfnstcw 52(%[o])\n\t"                                                  \
	"ldmxcsr %[mx0]\n\tfldcw %[cw0]\n\t"
#define SPIN_ARGS                                                                          \
	: "+m"(*r)                                                                         \
	: [g] "r"(gpr_in), [x] "r"(x87_in), [v] "r"(vec_in), [o] "r"(r), [go] "m"(zdtm_go), \
	  [mx] "m"(mxcsr_up), [cw] "m"(fcw_up), [mx0] "m"(mx0), [cw0] "m"(cw0)               \
	: "r12", "r13", "r14", "r15", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13",  \
	  "xmm14", "xmm15", "cc", "memory"

static const uint32_t mx0 = 0x1f80;
static const uint16_t cw0 = 0x037f;

static void spin_sse(struct regs *r)
{
	asm volatile(SPIN_HEAD
		     "movdqa 0(%[v]), %%xmm8\n\tmovdqa 32(%[v]), %%xmm9\n\t"
		     "movdqa 64(%[v]), %%xmm10\n\tmovdqa 96(%[v]), %%xmm11\n\t"
		     "movdqa 128(%[v]), %%xmm12\n\tmovdqa 160(%[v]), %%xmm13\n\t"
		     "movdqa 192(%[v]), %%xmm14\n\tmovdqa 224(%[v]), %%xmm15\n\t" SPIN_LOOP
		     "movdqa %%xmm8, 64(%[o])\n\tmovdqa %%xmm9, 96(%[o])\n\t"
		     "movdqa %%xmm10, 128(%[o])\n\tmovdqa %%xmm11, 160(%[o])\n\t"
		     "movdqa %%xmm12, 192(%[o])\n\tmovdqa %%xmm13, 224(%[o])\n\t"
		     "movdqa %%xmm14, 256(%[o])\n\tmovdqa %%xmm15, 288(%[o])\n\t" SPIN_TAIL SPIN_ARGS);
}

__attribute__((target("avx"))) static void spin_avx(struct regs *r)
{
	asm volatile(SPIN_HEAD
		     "vmovdqa 0(%[v]), %%ymm8\n\tvmovdqa 32(%[v]), %%ymm9\n\t"
		     "vmovdqa 64(%[v]), %%ymm10\n\tvmovdqa 96(%[v]), %%ymm11\n\t"
		     "vmovdqa 128(%[v]), %%ymm12\n\tvmovdqa 160(%[v]), %%ymm13\n\t"
		     "vmovdqa 192(%[v]), %%ymm14\n\tvmovdqa 224(%[v]), %%ymm15\n\t" SPIN_LOOP
		     "vmovdqa %%ymm8, 64(%[o])\n\tvmovdqa %%ymm9, 96(%[o])\n\t"
		     "vmovdqa %%ymm10, 128(%[o])\n\tvmovdqa %%ymm11, 160(%[o])\n\t"
		     "vmovdqa %%ymm12, 192(%[o])\n\tvmovdqa %%ymm13, 224(%[o])\n\t"
		     "vmovdqa %%ymm14, 256(%[o])\n\tvmovdqa %%ymm15, 288(%[o])\n\t"
		     "vzeroupper\n\t" SPIN_TAIL SPIN_ARGS);
}

int main(void)
{
	int avx = __builtin_cpu_supports("avx");
	size_t width = avx ? 32 : 16;
	static struct regs r;

	_Static_assert(offsetof(struct regs, x87) == 32 && offsetof(struct regs, mxcsr) == 48 &&
			       offsetof(struct regs, fcw) == 52 && offsetof(struct regs, vec) == 64,
		       "the asm's offsets");
	zdtm_init("zdtm_fpu");
	for (int i = 0; i < NREG; i++)
		for (int j = 0; j < 32; j++)
			vec_in[i][j] = (uint8_t)(0x80 + i * 32 + j * 7);

	printf("ready %s\n", avx ? "avx" : "sse");
	if (avx)
		spin_avx(&r);
	else
		spin_sse(&r);

	for (int i = 0; i < 4; i++)
		zdtm_check(r.gpr[i] == gpr_in[i], "r%d is %#llx, expected %#llx", 12 + i,
			   (unsigned long long)r.gpr[i], (unsigned long long)gpr_in[i]);
	zdtm_check(r.x87[0] == x87_in[0] && r.x87[1] == x87_in[1], "x87 registers: %g %g",
		   r.x87[0], r.x87[1]);
	zdtm_check(r.mxcsr == mxcsr_up, "MXCSR %#x, expected %#x", r.mxcsr, mxcsr_up);
	zdtm_check(r.fcw == fcw_up, "x87 control word %#x, expected %#x", r.fcw, fcw_up);
	for (int i = 0; i < NREG; i++) {
		size_t j = 0;

		while (j < width && r.vec[i][j] == vec_in[i][j])
			j++;
		zdtm_check(j == width, "%cmm%d byte %zu is %#x, expected %#x", avx ? 'y' : 'x',
			   i + 8, j, j < width ? r.vec[i][j] : 0, j < width ? vec_in[i][j] : 0);
	}
	return zdtm_done();
}
