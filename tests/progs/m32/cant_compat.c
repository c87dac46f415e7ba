// SPDX-License-Identifier: GPL-2.0-only
/*
 * cant_compat [SECONDS]: a 32-bit program (mps: "32-bit process"). Built
 * with -m32 and no C library, so that no 32-bit libraries are needed:
 * system calls through int $0x80, the i386 numbers. Prints "ready", then
 * sleeps SECONDS (default 300, at most 9999) a second at a time.
 */
#define NR_EXIT 1
#define NR_WRITE 4
#define NR_NANOSLEEP 162

void _start(void);

static long sys3(long nr, long a, long b, long c)
{
	long r;

	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return r;
}

/* _start's frame: argc, then argv[] */
static unsigned seconds(const long *sp)
{
	const char *s = sp[0] > 1 ? (const char *)sp[2] : "300";
	unsigned n = 0;

	for (int i = 0; i < 4 && s[i] >= '0' && s[i] <= '9'; i++)
		n = n * 10 + (unsigned)(s[i] - '0');
	return n;
}

static void __attribute__((used, noreturn)) start_c(const long *sp)
{
	static const char msg[] = "ready\n";
	const long tick[2] = { 1, 0 };
	unsigned n = seconds(sp);

	sys3(NR_WRITE, 1, (long)msg, sizeof(msg) - 1);
	for (unsigned i = 0; i < n; i++)
		sys3(NR_NANOSLEEP, (long)tick, 0, 0);
	for (;;)
		sys3(NR_EXIT, 0, 0, 0);
}

/* the stack pointer at entry points at argc: hand it to C */
__asm__(".globl _start\n"
	"_start:\n"
	"	movl %esp, %eax\n"
	"	andl $-16, %esp\n"
	"	subl $12, %esp\n"
	"	pushl %eax\n"
	"	call start_c\n");
