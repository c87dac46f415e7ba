// SPDX-License-Identifier: GPL-2.0-only
/*
 * nosys SYSCALL... -- COMMAND [ARG...]: run COMMAND as on a kernel without
 * the named system calls (names below, or x86-64 numbers): a seccomp
 * filter makes them fail with ENOSYS, for COMMAND and its children. The
 * negative control of the kernel feature probe (mosctl check).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#define MAX_CALLS 16

static const struct {
	const char *name;
	long nr;
} calls[] = {
	{ "pidfd_open", SYS_pidfd_open },
	{ "pidfd_getfd", SYS_pidfd_getfd },
	{ "process_vm_readv", SYS_process_vm_readv },
	{ "process_vm_writev", SYS_process_vm_writev },
	{ "close_range", SYS_close_range },
	{ "kcmp", SYS_kcmp },
	{ "userfaultfd", SYS_userfaultfd },
	{ "rseq", SYS_rseq },
	{ "unshare", SYS_unshare },
};

static long lookup(const char *s)
{
	char *end;
	long nr;

	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (strcmp(s, calls[i].name) == 0)
			return calls[i].nr;
	nr = strtol(s, &end, 10);
	return *s && !*end && nr >= 0 ? nr : -1;
}

int main(int argc, char **argv)
{
	/* check the architecture, then one comparison per call, then allow */
	struct sock_filter code[4 + 2 * MAX_CALLS + 1];
	struct sock_fprog prog = { 0, code };
	struct sock_filter *f = prog.filter;
	long nr[MAX_CALLS];
	int n = 0, i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (n == MAX_CALLS || (nr[n] = lookup(argv[i])) < 0) {
			fprintf(stderr, "nosys: unknown or too many calls: '%s'\n", argv[i]);
			return 2;
		}
		n++;
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "usage: nosys SYSCALL... -- COMMAND [ARG...]\n");
		return 2;
	}
	f[prog.len++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
							offsetof(struct seccomp_data, arch));
	f[prog.len++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
							AUDIT_ARCH_X86_64, 1, 0);
	f[prog.len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[prog.len++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
							offsetof(struct seccomp_data, nr));
	for (int k = 0; k < n; k++) {
		f[prog.len++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
								(unsigned)nr[k], 0, 1);
		f[prog.len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
								SECCOMP_RET_ERRNO | ENOSYS);
	}
	f[prog.len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		perror("nosys: seccomp");
		return 1;
	}
	execvp(argv[i + 1], argv + i + 1);
	perror("nosys: exec");
	return 127;
}
