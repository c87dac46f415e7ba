// SPDX-License-Identifier: GPL-2.0-only
/*
 * One seccomp user-notification round trip, the interception cost every
 * forwarded call of a migrated process pays before any network trip
 * (bench/mig-bench's baseline).
 *
 *   mig_notif [N]      (default 20000)
 *
 * A child installs a filter (SECCOMP_FILTER_FLAG_NEW_LISTENER) that sends
 * getppid to a listener and allows the rest, hands the listener to the
 * parent over a socket, and times N getppid calls; the parent answers each
 * notification with a made-up value, as the remote supervisor answers from
 * what it cached. Where the kernel has it (6.6+), the listener asks for
 * SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, as mosix's supervisor does, so that
 * the baseline is the primitive as mosix uses it. Prints the plain getppid
 * first, then "notif mean M us", then "sync_wake 1" or "sync_wake 0".
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ANSWER 4242

/* 6.6's uapi; Debian 12's headers are 6.1's */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "mig_notif: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double getppid_us(long n)
{
	double t = now();

	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return (now() - t) / (double)n * 1e6;
}

static int send_fd(int sock, int fd)
{
	char c = 'f', ctl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &mh, 0) == 1 ? 0 : -errno;
}

static int recv_fd(int sock)
{
	char c, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* The child: filter, hand over the listener, time the calls. */
static void child(int sock, long n)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	double us;
	int lfd;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		die("no_new_privs");
	lfd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			   SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (lfd < 0)
		die("seccomp");
	if (send_fd(sock, lfd))
		die("send the listener");
	close(lfd);
	if (syscall(SYS_getppid) != ANSWER)
		die("the parent's answer");
	us = getppid_us(n);
	if (write(sock, &us, sizeof(us)) != sizeof(us))
		die("write");
	_exit(0);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	int sv[2], lfd, status, sync_wake;
	double plain, us;
	pid_t pid;

	if (n <= 0)
		n = 20000;
	plain = getppid_us(n);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		die("socketpair");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(sv[0]);
		child(sv[1], n);
	}
	close(sv[1]);
	lfd = recv_fd(sv[0]);
	if (lfd < 0)
		die("receive the listener");
	sync_wake = ioctl(lfd, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
			  SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0;
	for (long i = 0; i < n + 1; i++) {
		memset(&req, 0, sizeof(req));
		if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &req))
			die("NOTIF_RECV");
		resp = (struct seccomp_notif_resp){ .id = req.id, .val = ANSWER };
		if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &resp))
			die("NOTIF_SEND");
	}
	if (read(sv[0], &us, sizeof(us)) != sizeof(us))
		die("read the child's figure");
	waitpid(pid, &status, 0);
	printf("getppid %.2f us\n", plain);
	printf("notif mean %.2f us\n", us);
	printf("sync_wake %d\n", sync_wake);
	return 0;
}
