/* fpu.c - AVX state must survive migration: ymm8..ymm15 hold a pattern
 * (upper halves included) while a pure register loop spins; after each
 * spin the registers are compared with the pattern and one line printed.
 * Migrate it mid-spin; every line must say "ymm ok". */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static int spin_and_check(const uint64_t *pat, long iters)
{
	int bad;
	asm volatile(
		"vmovdqu 0(%1), %%ymm8\n\tvmovdqu 32(%1), %%ymm9\n\tvmovdqu 64(%1), %%ymm10\n\t"
		"vmovdqu 96(%1), %%ymm11\n\tvmovdqu 128(%1), %%ymm12\n\tvmovdqu 160(%1), %%ymm13\n\t"
		"vmovdqu 192(%1), %%ymm14\n\tvmovdqu 224(%1), %%ymm15\n\t"
		"1: dec %2\n\tjnz 1b\n\t"
		"xor %0, %0\n\t"
		"vpcmpeqq 0(%1), %%ymm8, %%ymm0\n\tvpmovmskb %%ymm0, %%eax\n\tnot %%eax\n\tor %%eax, %0\n\t"
		"vpcmpeqq 32(%1), %%ymm9, %%ymm0\n\tvpmovmskb %%ymm0, %%eax\n\tnot %%eax\n\tor %%eax, %0\n\t"
		"vpcmpeqq 64(%1), %%ymm10, %%ymm0\n\tvpmovmskb %%ymm0, %%eax\n\tnot %%eax\n\tor %%eax, %0\n\t"
		"vpcmpeqq 96(%1), %%ymm11, %%ymm0\n\tvpmovmskb %%ymm0, %%eax\n\tnot %%eax\n\tor %%eax, %0\n\t"
		"vpcmpeqq 128(%1), %%ymm12, %%ymm0\n\tvpmovmskb %%ymm0, %%eax\n\tnot %%eax\n\tor %%eax, %0\n\t"
		"vpcmpeqq 160(%1), %%ymm13, %%ymm0\n\tvpmovmskb %%ymm0, %%eax\n\tnot %%eax\n\tor %%eax, %0\n\t"
		"vpcmpeqq 192(%1), %%ymm14, %%ymm0\n\tvpmovmskb %%ymm0, %%eax\n\tnot %%eax\n\tor %%eax, %0\n\t"
		"vpcmpeqq 224(%1), %%ymm15, %%ymm0\n\tvpmovmskb %%ymm0, %%eax\n\tnot %%eax\n\tor %%eax, %0\n\t"
		"vzeroupper"
		: "=&r"(bad), "+r"(pat), "+r"(iters)
		: : "rax", "xmm0", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
		  "memory", "cc");
	return bad;
}

int main(int argc, char **argv)
{
	uint64_t pat[32];
	for (int i = 0; i < 32; i++) pat[i] = 0x0123456789abcdefull * (i + 1) ^ (uint64_t)getpid();
	int lines = argc > 1 ? atoi(argv[1]) : 30;
	for (int n = 0; n < lines; n++) {
		int bad = spin_and_check(pat, 1000000000);
		printf("n=%d pid=%d %s\n", n, getpid(), bad ? "ymm CORRUPTED" : "ymm ok");
		fflush(stdout);
		if (bad) return 1;
	}
	return 0;
}
