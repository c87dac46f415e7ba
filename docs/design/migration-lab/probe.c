/* probe.c - the start-up probe the engine needs (mosctl check): every
 * kernel feature the migration engine uses, tried rather than assumed,
 * plus this node's vDSO layout and XSAVE features (compared between nodes). */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <linux/seccomp.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <linux/ptrace.h>
#include <linux/filter.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>

static void row(const char *what, int ok, const char *detail)
{
	printf("%-44s %-4s %s\n", what, ok ? "yes" : "NO", detail ? detail : "");
}
int main(void)
{
	char d[128];
	pid_t c = fork();
	if (c == 0) { for (;;) pause(); }
	int st;
	row("ptrace PTRACE_SEIZE + PTRACE_INTERRUPT", !ptrace(PTRACE_SEIZE, c, 0, 0) &&
	    !ptrace(PTRACE_INTERRUPT, c, 0, 0) && waitpid(c, &st, __WALL) == c, NULL);
	static uint8_t xs[16384];
	struct iovec iov = { xs, sizeof(xs) };
	int ok = !ptrace(PTRACE_GETREGSET, c, NT_X86_XSTATE, &iov);
	uint64_t bv; memcpy(&bv, xs + 512, 8);
	snprintf(d, sizeof(d), "%zu bytes, XSTATE_BV %#lx", iov.iov_len, (long)bv);
	row("PTRACE_GETREGSET NT_X86_XSTATE", ok, d);
	uint64_t m;
	row("PTRACE_GETSIGMASK / SETSIGMASK", !ptrace(PTRACE_GETSIGMASK, c, 8, &m), NULL);
	struct ptrace_rseq_configuration rc = { 0 };
	long r = ptrace(PTRACE_GET_RSEQ_CONFIGURATION, c, sizeof(rc), &rc);
	snprintf(d, sizeof(d), "rseq at %#llx, %u bytes, sig %#x", (unsigned long long)rc.rseq_abi_pointer,
		 rc.rseq_abi_size, rc.signature);
	row("PTRACE_GET_RSEQ_CONFIGURATION (5.13)", r > 0, d);
	long h, l;
	row("get_robust_list of another process", !syscall(SYS_get_robust_list, c, &h, &l), NULL);
	long v = 0; struct iovec li = { &v, 8 }, ri = { &m, 8 };
	row("process_vm_readv", process_vm_readv(c, &li, 1, &ri, 1, 0) == 8, NULL);
	int pfd = syscall(SYS_pidfd_open, c, 0);
	row("pidfd_open (5.3)", pfd >= 0, NULL);
	int fd = syscall(SYS_pidfd_getfd, pfd, 1, 0);
	row("pidfd_getfd (5.6)", fd >= 0, NULL);
	struct seccomp_notif_sizes sz;
	ok = !syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz);
	snprintf(d, sizeof(d), "notif %u, resp %u bytes", sz.seccomp_notif, sz.seccomp_notif_resp);
	row("seccomp user notification (5.0)", ok, d);
	r = syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &(uint32_t){ SECCOMP_RET_USER_NOTIF });
	row("SECCOMP_RET_USER_NOTIF available", !r, NULL);
	pid_t k = fork();
	if (k == 0) {	/* flags are checked before the filter is used */
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		struct sock_filter f = { 0x06, 0, 0, SECCOMP_RET_ALLOW };
		struct sock_fprog p = { 1, &f };
		_exit(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER |
			      SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &p) < 0);
	}
	waitpid(k, &st, 0);
	row("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (5.19)", WEXITSTATUS(st) == 0, NULL);
	int u = syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
	struct uffdio_api api = { .api = UFFD_API };
	ok = u >= 0 && !ioctl(u, UFFDIO_API, &api);
	snprintf(d, sizeof(d), "features %#llx", (unsigned long long)api.features);
	row("userfaultfd, UFFD_USER_MODE_ONLY (5.11)", ok, d);
	unsigned int mmsz = 0;
	row("prctl PR_SET_MM_MAP (size)", !prctl(PR_SET_MM, PR_SET_MM_MAP_SIZE, &mmsz, 0, 0), NULL);
	row("close_range (5.9)", !syscall(SYS_close_range, 1000, 1001, 0), NULL);
	void *p = mmap((void *)0x100000000000, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	row("MAP_FIXED_NOREPLACE (4.17)", p == (void *)0x100000000000, NULL);
	kill(c, SIGKILL); waitpid(c, &st, __WALL);
	uint32_t lo, hi;
	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	snprintf(d, sizeof(d), "XCR0 %#x%08x", hi, lo);
	row("xgetbv: user-enabled XSAVE features", 1, d);
	FILE *f = fopen("/proc/self/maps", "r");
	char line[256];
	printf("vDSO layout (names, sizes; compare between nodes):");
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e; char perm[8], name[64] = "";
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %63s", &s, &e, perm, name) >= 3 && name[0] == '[' &&
		    (strstr(name, "vvar") || strstr(name, "vdso") || strstr(name, "vsyscall")))
			printf(" %s %luK %s", name, (e - s) / 1024, perm);
	}
	printf("\n");
	return 0;
}
