// SPDX-License-Identifier: GPL-2.0-only
/*
 * kbench: the /init of bench/kernel-overhead's initramfs. Times, inside a
 * qemu VM, what the MOSIX series touches: getpid() (one bit tested more),
 * fork+exit+wait (the task state copied and reset), fork+exec+wait, and
 * reading /proc (the listing skips guests). On a patched kernel it also
 * times getpid() of a guest, which the kernel answers, against getpid()
 * trapped by a seccomp user-notification listener, which is what
 * mosix-migd does without the kernel part.
 *
 * Prints "kbench NAME NS_PER_OP" lines, then powers off.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void report(const char *name, double ns, long n)
{
	printf("kbench %s %.1f\n", name, ns / (double)n);
	fflush(stdout);
}

static void bench_getpid(const char *name, long n)
{
	double t = now_ns();
	long i;

	for (i = 0; i < n; i++)
		syscall(SYS_getpid);
	report(name, now_ns() - t, n);
}

static void bench_fork(long n)
{
	double t = now_ns();
	int st;
	long i;

	for (i = 0; i < n; i++) {
		pid_t p = fork();

		if (p == 0)
			_exit(0);
		waitpid(p, &st, 0);
	}
	report("fork_exit_wait", now_ns() - t, n);
}

static void bench_exec(long n)
{
	double t = now_ns();
	int st;
	long i;

	for (i = 0; i < n; i++) {
		pid_t p = fork();

		if (p == 0) {
			execl("/kbench", "kbench", "--exit", (char *)NULL);
			_exit(127);
		}
		waitpid(p, &st, 0);
	}
	report("fork_exec_wait", now_ns() - t, n);
}

static void bench_readdir(long n)
{
	double t = now_ns();
	struct dirent *d;
	long i, k = 0;
	DIR *dir;

	for (i = 0; i < n; i++) {
		dir = opendir("/proc");
		while (dir && (d = readdir(dir)))
			k++;
		if (dir)
			closedir(dir);
	}
	report("proc_readdir", now_ns() - t, n);
	(void)k;
}

/*
 * getpid() trapped by a listener: a child installs the filter, then forks
 * the caller (who inherits the filter) and serves its notifications.
 */
#define END 0xe4dUL

static void serve(int listener, pid_t caller)
{
	struct seccomp_notif_resp resp;
	struct seccomp_notif req;
	int st;

	for (;;) {
		memset(&req, 0, sizeof(req));
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req))
			break;
		resp = (struct seccomp_notif_resp){ .id = req.id, .val = 4242 };
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) ||
		    req.data.args[0] == END)
			break;
	}
	waitpid(caller, &st, 0);
}

static void bench_seccomp_getpid(long n)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = 4, .filter = f };
	pid_t p, caller;
	int fd, st;

	p = fork();
	if (p != 0) {
		waitpid(p, &st, 0);
		return;
	}
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		     SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (fd < 0)
		_exit(1);
	caller = fork();
	if (caller == 0) {
		close(fd);
		bench_getpid("getpid_seccomp_notify", n);
		syscall(SYS_getpid, END);
		_exit(0);
	}
	/* the caller's last getpid(), with END as argument, ends the service */
	serve(fd, caller);
	_exit(0);
}

static void bench_guest_getpid(long n)
{
	pid_t p = fork();
	int st;

	if (p == 0) {
		int fd = open("/proc/self/mosix/guest", O_WRONLY);

		if (fd < 0 || write(fd, "7 4242 4241", 11) != 11)
			_exit(1);
		close(fd);
		if (syscall(SYS_getpid) != 4242)
			_exit(2);
		bench_getpid("getpid_guest_kernel", n);
		_exit(0);
	}
	waitpid(p, &st, 0);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--exit"))
		return 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getpid() != 1) {
		fprintf(stderr, "kbench: the /init of a test VM (bench/kernel-overhead)\n");
		return 2;
	}
	mkdir("/proc", 0555);
	mount("proc", "/proc", "proc", 0, NULL);
	printf("kbench start %s\n", access("/proc/mosix", F_OK) ? "vanilla" : "mosix");
	bench_getpid("getpid", 2000000);
	bench_fork(3000);
	bench_exec(1000);
	bench_readdir(5000);
	bench_seccomp_getpid(50000);
	if (!access("/proc/self/mosix/guest", F_OK))
		bench_guest_getpid(2000000);
	printf("kbench done\n");
	fflush(stdout);
	reboot(RB_POWER_OFF);
	return 0;
}
