// SPDX-License-Identifier: GPL-2.0-only
#include "mig_probe.h"

#include <cpuid.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/kcmp.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/prctl.h>
#include <linux/seccomp.h>
#include <linux/userfaultfd.h>

#include "engine/mig_filter.h"
#include "engine/rem.h"

/* how long a probe waits for its child; it answers in microseconds */
#define CHILD_TIMEOUT_MS 2000
/* any signature: the probe's rseq area never runs a critical section */
#define PROBE_RSEQ_SIG 0x4d4f5358u
/* larger than any XSAVE area so far (AMX: 11 KiB) */
#define XSTATE_BUF (64 * 1024)
/* the time namespace offset tried, in seconds */
#define TIMENS_OFFSET_S 1000

static const struct mig_feature_info features[MIG_F_NR] = {
	[MIG_F_PTRACE_SEIZE] = { "PTRACE_SEIZE, PTRACE_INTERRUPT", true,
		"freezing a process without a signal it could see" },
	[MIG_F_XSTATE] = { "PTRACE_GETREGSET NT_X86_XSTATE", true,
		"moving the FPU, SSE and AVX registers" },
	[MIG_F_PTRACE_RSEQ] = { "PTRACE_GET_RSEQ_CONFIGURATION", true,
		"finding a process's rseq area" },
	[MIG_F_RSEQ] = { "rseq", true,
		"registering the rseq area of a restored process again" },
	[MIG_F_VM_RW] = { "process_vm_readv, process_vm_writev", true,
		"copying memory and system call buffers between processes" },
	[MIG_F_PIDFD_OPEN] = { "pidfd_open", true,
		"watching processes without pid reuse races" },
	[MIG_F_PIDFD_GETFD] = { "pidfd_getfd", true,
		"taking the files of a process (file mappings)" },
	[MIG_F_SECCOMP_NOTIFY] = { "seccomp user notification", true,
		"trapping the system calls a migrated process must make at home" },
	[MIG_F_SECCOMP_ADDFD] = { "SECCOMP_IOCTL_NOTIF_ADDFD", true,
		"giving a migrated process files at chosen numbers (file mmap)" },
	[MIG_F_SECCOMP_CONTINUE] = { "SECCOMP_USER_NOTIF_FLAG_CONTINUE", true,
		"letting a trapped call run where the process is (file mmap)" },
	[MIG_F_MM_MAP] = { "prctl PR_SET_MM_MAP, unprivileged", true,
		"restoring brk, arguments and environment as user nobody" },
	[MIG_F_CLOSE_RANGE] = { "close_range", true,
		"closing inherited files before a restore" },
	[MIG_F_KCMP] = { "kcmp", true,
		"telling a process that shares its memory, or a file, with another" },
	[MIG_F_TIMENS] = { "time namespaces (CLONE_NEWTIME)", false,
		"CLOCK_MONOTONIC continuous from node to node (without: guests see this "
		"node's, which may jump)" },
	[MIG_F_SECCOMP_KILLABLE] = { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", false,
		"a harmless signal restarts a forwarded system call from the start" },
	[MIG_F_SECCOMP_SYNC_WAKE] = { "SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP", false,
		"a trapped call hands over to its supervisor on its own CPU (without: a "
		"cross-CPU wake-up each way)" },
	[MIG_F_UFFD] = { "userfaultfd, UFFD_USER_MODE_ONLY", false,
		"filling a moved-in process's memory without a page fault a page (moves in "
		"are slower)" },
	[MIG_F_SOFT_DIRTY] = { "soft-dirty page tracking", false,
		"pre-copy migration, which the engine does not do yet (nothing lost today)" },
	[MIG_F_MOSIX_KERNEL] = { "mosix kernel part (/proc/mosix)", false,
		"kernel transparency (/proc/mosix, per-process flags, hidden guests)" },
};

const struct mig_feature_info *mig_feature_info(enum mig_feature which)
{
	if ((unsigned)which >= MIG_F_NR)
		return NULL;
	return &features[which];
}

bool mig_features_sufficient(const struct mig_features *f)
{
	for (int i = 0; i < MIG_F_NR; i++)
		if (features[i].required && !mig_has(f, i))
			return false;
	return true;
}

static void set(struct mig_features *f, enum mig_feature which, int err)
{
	f->err[which] = err;
	if (err == 0)
		f->have |= UINT32_C(1) << which;
}

static int wait_child(pid_t pid, int *ret_status)
{
	while (waitpid(pid, ret_status, __WALL) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

static void kill_child(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	wait_child(pid, &status);
}

/*
 * Run @fn in a child, for what it changes in its process. @fn returns 0
 * or a positive errno, which becomes *@ret_err (negated); a child killed
 * by a signal gives -EIO. Returns 0, or -errno when there is no child.
 */
static int in_child(int (*fn)(void), int *ret_err)
{
	int status, r;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		_exit(fn() & 0xff);
	r = wait_child(pid, &status);
	if (r < 0)
		return r;
	*ret_err = WIFEXITED(status) ? -WEXITSTATUS(status) : -EIO;
	return 0;
}

static bool wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, CHILD_TIMEOUT_MS) == 1;
}

/* --- ptrace, process_vm, pidfd, rseq: one traced child ------------------- */

/* the child's copy is read and written through process_vm_* */
static volatile uint64_t probe_word = 0x6d6f7369782d3031ull;

/*
 * The child: register an rseq area, tell the parent how that went, then
 * wait to be traced and killed. EBUSY and EINVAL say the C library has
 * already registered one, which is as good a proof.
 */
static __attribute__((noreturn)) void traced_child(int report_fd)
{
	/* struct rseq as first defined: 32 bytes, 32-aligned */
	static uint8_t area[32] __attribute__((aligned(32)));
	int err = 0;

	if (syscall(SYS_rseq, &area, sizeof(area), 0, PROBE_RSEQ_SIG) < 0 &&
	    errno != EBUSY && errno != EINVAL && errno != EPERM)
		err = errno;
	if (write(report_fd, &err, sizeof(err)) != sizeof(err))
		_exit(1);
	for (;;)
		pause();
}

static void probe_vm_rw(struct mig_features *f, pid_t pid)
{
	uint64_t got = 0, put = ~probe_word;
	struct iovec local = { &got, sizeof(got) };
	struct iovec remote = { (void *)(uintptr_t)&probe_word, sizeof(probe_word) };
	int err = 0;

	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != sizeof(got))
		err = -errno;
	else if (got != probe_word)
		err = -ENOTSUP;
	if (err == 0) {
		local.iov_base = &put;
		if (process_vm_writev(pid, &local, 1, &remote, 1, 0) != sizeof(put))
			err = -errno;
		local.iov_base = &got;
		if (err == 0 && process_vm_readv(pid, &local, 1, &remote, 1, 0) != sizeof(got))
			err = -errno;
		if (err == 0 && got != put)
			err = -ENOTSUP;
	}
	set(f, MIG_F_VM_RW, err);
}

/* @child_fd is open in the child on the pipe whose other end is @our_fd */
static void probe_pidfd(struct mig_features *f, pid_t pid, int child_fd, int our_fd)
{
	struct stat a, b;
	int pfd, fd, err = 0;

	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0) {
		set(f, MIG_F_PIDFD_OPEN, -errno);
		set(f, MIG_F_PIDFD_GETFD, -errno);
		return;
	}
	set(f, MIG_F_PIDFD_OPEN, 0);
	fd = (int)syscall(SYS_pidfd_getfd, pfd, child_fd, 0);
	if (fd < 0)
		err = -errno;
	else if (fstat(fd, &a) < 0 || fstat(our_fd, &b) < 0 || a.st_ino != b.st_ino)
		err = -ENOTSUP;
	set(f, MIG_F_PIDFD_GETFD, err);
	if (fd >= 0)
		close(fd);
	close(pfd);
}

/* Seize and stop @pid, then read (and write back) its registers. */
static void probe_ptrace(struct mig_features *f, pid_t pid)
{
	struct __ptrace_rseq_configuration conf;
	struct iovec iov;
	void *xstate;
	int status, err = 0;

	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) < 0 ||
	    ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) < 0)
		err = -errno;
	else if (wait_child(pid, &status) < 0)
		err = -errno;
	else if (!WIFSTOPPED(status) || status >> 16 != PTRACE_EVENT_STOP)
		err = -ENOTSUP;
	set(f, MIG_F_PTRACE_SEIZE, err);
	if (err) {
		/* the others need a stopped tracee */
		set(f, MIG_F_XSTATE, err);
		set(f, MIG_F_PTRACE_RSEQ, err);
		return;
	}

	xstate = calloc(1, XSTATE_BUF);
	if (!xstate) {
		err = -ENOMEM;
	} else {
		iov.iov_base = xstate;
		iov.iov_len = XSTATE_BUF;
		if (ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &iov) < 0 ||
		    ptrace(PTRACE_SETREGSET, pid, (void *)NT_X86_XSTATE, &iov) < 0)
			err = -errno;
		else
			f->xstate_size = (uint32_t)iov.iov_len;
		free(xstate);
	}
	set(f, MIG_F_XSTATE, err);

	err = 0;
	errno = 0;
	if (ptrace(PTRACE_GET_RSEQ_CONFIGURATION, pid, (void *)sizeof(conf), &conf) <= 0)
		err = errno ? -errno : -ENOTSUP;
	set(f, MIG_F_PTRACE_RSEQ, err);
}

static int probe_traced(struct mig_features *f)
{
	int pipefd[2], child_fd, err;
	ssize_t n;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return err;
	}
	if (pid == 0) {
		close(pipefd[0]);
		traced_child(pipefd[1]);
	}
	/* only the child writes: its death reads as the end of the pipe */
	child_fd = pipefd[1];
	close(pipefd[1]);
	n = read(pipefd[0], &err, sizeof(err));
	set(f, MIG_F_RSEQ, n == sizeof(err) ? -err : -EIO);

	probe_vm_rw(f, pid);
	/* the child's write end of the pipe, at the same number as ours */
	probe_pidfd(f, pid, child_fd, pipefd[0]);
	probe_ptrace(f, pid);

	kill_child(pid);
	close(pipefd[0]);
	return 0;
}

/* --- seccomp user notification: a child under a filter ------------------- */

struct seccomp_hello {
	int err;		/* of installing the filter; 0 with a listener */
	int killable_err;	/* of WAIT_KILLABLE_RECV */
};

/* what the child saw after its trapped getppid() */
enum seccomp_result {
	SR_WRONG_PPID = 1 << 0,	/* the call did not run: no CONTINUE */
	SR_NO_FD = 1 << 1,	/* the added file is not there */
};

static int send_hello(int sock, const struct seccomp_hello *h, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { (void *)h, sizeof(*h) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static int recv_hello(int sock, struct seccomp_hello *h, int *ret_fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { h, sizeof(*h) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	const struct cmsghdr *c;

	*ret_fd = -1;
	if (!wait_readable(sock))
		return -ETIMEDOUT;
	/* the child died before it said anything */
	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != sizeof(*h))
		return -EIO;
	c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
	return 0;
}

/*
 * The child: a filter that sends getppid() to a listener, the listener to
 * the parent; then getppid(), which the parent lets run (CONTINUE) after
 * putting a file at number @free_fd (ADDFD).
 */
static __attribute__((noreturn)) void seccomp_child(int sock, int free_fd)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };
	struct seccomp_hello h = { 0 };
	unsigned char result = 0;
	pid_t ppid;
	int fd;

	/* the number becomes free here; ADDFD puts the parent's file there */
	close(free_fd);
	ppid = getppid();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		h.err = errno;
		send_hello(sock, &h, -1);
		_exit(0);
	}
	fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			  SECCOMP_FILTER_FLAG_NEW_LISTENER |
			  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &prog);
	if (fd < 0 && errno == EINVAL) {
		h.killable_err = EINVAL;
		fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				  SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	}
	if (fd < 0)
		h.err = errno;
	if (send_hello(sock, &h, fd) < 0 || fd < 0)
		_exit(0);
	close(fd);

	if (getppid() != ppid)
		result |= SR_WRONG_PPID;
	if (fcntl(free_fd, F_GETFD) < 0)
		result |= SR_NO_FD;
	if (write(sock, &result, 1) != 1)
		_exit(1);
	_exit(0);
}

/* Receive the child's trapped call, add a file, let the call run. */
static void serve_notification(struct mig_features *f, int listener, int sock,
			       int newfd)
{
	struct seccomp_notif_sizes sizes = { 0 };
	struct seccomp_notif_addfd addfd = { 0 };
	struct seccomp_notif_resp *resp = NULL;
	struct seccomp_notif *req = NULL;
	unsigned char result = 0xff;
	size_t req_size, resp_size;
	int addfd_err = 0, cont_err = 0, err = 0;

	/* the kernel's structures may have grown beyond our headers' */
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0) {
		err = -errno;
		goto out_set;
	}
	req_size = sizes.seccomp_notif > sizeof(*req) ? sizes.seccomp_notif : sizeof(*req);
	resp_size = sizes.seccomp_notif_resp > sizeof(*resp) ?
		sizes.seccomp_notif_resp : sizeof(*resp);
	req = calloc(1, req_size);
	resp = calloc(1, resp_size);
	if (!req || !resp) {
		err = -ENOMEM;
		goto out_free;
	}
	if (!wait_readable(listener)) {
		err = -ETIMEDOUT;
		goto out_free;
	}
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
		err = -errno;
		goto out_free;
	}
	if (req->data.nr != __NR_getppid) {
		err = -ENOTSUP;
		goto out_free;
	}

	addfd.id = req->id;
	addfd.flags = SECCOMP_ADDFD_FLAG_SETFD;
	addfd.srcfd = (uint32_t)sock;
	addfd.newfd = (uint32_t)newfd;
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd) != newfd)
		addfd_err = errno ? -errno : -ENOTSUP;

	resp->id = req->id;
	resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0) {
		cont_err = -errno;
		/* answer anyway, so that the child goes on */
		resp->flags = 0;
		ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp);
	}
	if (!wait_readable(sock) || read(sock, &result, 1) != 1)
		result = SR_WRONG_PPID | SR_NO_FD;
	if (!addfd_err && (result & SR_NO_FD))
		addfd_err = -ENOTSUP;
	if (!cont_err && (result & SR_WRONG_PPID))
		cont_err = -ENOTSUP;
out_free:
	free(req);
	free(resp);
out_set:
	set(f, MIG_F_SECCOMP_NOTIFY, err);
	set(f, MIG_F_SECCOMP_ADDFD, err ? err : addfd_err);
	set(f, MIG_F_SECCOMP_CONTINUE, err ? err : cont_err);
}

static int probe_seccomp(struct mig_features *f)
{
	struct seccomp_hello h;
	int sv[2], listener = -1, err;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto out_close;
	}
	if (pid == 0)
		seccomp_child(sv[1], sv[0]);
	/* only the child has it: its death reads as the end of the socket */
	close(sv[1]);
	sv[1] = -1;

	err = recv_hello(sv[0], &h, &listener);
	if (err == 0 && h.err)
		err = -h.err;
	if (err == 0 && listener < 0)
		err = -EIO;
	if (err) {
		set(f, MIG_F_SECCOMP_NOTIFY, err);
		set(f, MIG_F_SECCOMP_ADDFD, err);
		set(f, MIG_F_SECCOMP_CONTINUE, err);
		set(f, MIG_F_SECCOMP_KILLABLE, err);
		set(f, MIG_F_SECCOMP_SYNC_WAKE, err);
	} else {
		set(f, MIG_F_SECCOMP_KILLABLE, -h.killable_err);
		set(f, MIG_F_SECCOMP_SYNC_WAKE, mig_filter_sync_wake(listener));
		serve_notification(f, listener, sv[0], sv[0]);
		close(listener);
	}
	kill_child(pid);
	err = 0;
out_close:
	close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	return err;
}

/* --- probes in a child of their own --------------------------------------- */

/* What a child returns for a call that failed: never 0, which is success. */
static int child_errno(void)
{
	return errno > 0 && errno < 256 ? errno : EIO;
}

/* Field @field (1-based, as proc(5) counts) of /proc/self/stat, 0 if none. */
static uint64_t stat_field(const char *stat, int field)
{
	const char *p = strrchr(stat, ')');

	/* after the name comes field 3 */
	for (int i = 2; i < field && p; i++) {
		p = strchr(p + 1, ' ');
	}
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

/*
 * Set the memory map fields to what they are, as the guests' user: the
 * call the restorer makes, without CAP_SYS_RESOURCE.
 */
static int mm_map_child(void)
{
	struct prctl_mm_map map = { .exe_fd = (uint32_t)-1 };
	unsigned int size = 0;
	uid_t uid;
	gid_t gid;
	char stat[2048];
	ssize_t n;
	int fd;

	if (prctl(PR_SET_MM, PR_SET_MM_MAP_SIZE, &size, 0, 0) < 0)
		return child_errno();
	if (size != sizeof(map))
		return ENOTSUP;
	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return child_errno();
	n = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	if (n <= 0)
		return EIO;
	stat[n] = '\0';
	map.start_code = stat_field(stat, 26);
	map.end_code = stat_field(stat, 27);
	map.start_stack = stat_field(stat, 28);
	map.start_data = stat_field(stat, 45);
	map.end_data = stat_field(stat, 46);
	map.start_brk = stat_field(stat, 47);
	map.arg_start = stat_field(stat, 48);
	map.arg_end = stat_field(stat, 49);
	map.env_start = stat_field(stat, 50);
	map.env_end = stat_field(stat, 51);
	map.brk = (uint64_t)syscall(SYS_brk, 0);

	/* as a guest runs */
	rem_guest_ids(&uid, &gid);
	if (geteuid() == 0 &&
	    (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
	     setresuid(uid, uid, uid) < 0))
		return child_errno();
	if (prctl(PR_SET_MM, PR_SET_MM_MAP, &map, sizeof(map), 0) < 0)
		return child_errno();
	return 0;
}

/*
 * A time namespace whose CLOCK_MONOTONIC runs TIMENS_OFFSET_S ahead, as
 * seen by a process in it (through the vDSO). Without root, inside a user
 * namespace of its own.
 */
static int timens_child(void)
{
	struct timespec before, now;
	char offsets[64];
	int fd, len, status;
	pid_t pid;

	if (unshare(CLONE_NEWTIME) < 0) {
		if (errno != EPERM)
			return child_errno();
		if (unshare(CLONE_NEWUSER | CLONE_NEWTIME) < 0)
			return child_errno();
	}
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return child_errno();
	len = snprintf(offsets, sizeof(offsets), "monotonic %d 0\n", TIMENS_OFFSET_S);
	if (write(fd, offsets, (size_t)len) != len)
		return child_errno();
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &before);
	/* the namespace applies to children only */
	pid = fork();
	if (pid < 0)
		return child_errno();
	if (pid == 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		_exit(now.tv_sec - before.tv_sec >= TIMENS_OFFSET_S - 1 ? 0 : ENOTSUP);
	}
	if (wait_child(pid, &status) < 0)
		return child_errno();
	return WIFEXITED(status) ? WEXITSTATUS(status) : EIO;
}

static bool soft_dirty(int pagemap, const volatile char *addr, long page)
{
	uint64_t e;

	if (pread(pagemap, &e, sizeof(e), (off_t)((uintptr_t)addr / (uintptr_t)page * 8)) !=
	    sizeof(e))
		return false;
	return e >> 55 & 1;
}

/*
 * Pre-copy needs to know which pages were written since a point: clear
 * the soft-dirty bits (clear_refs 4), write one of two pages, and see
 * that bit 55 of pagemap marks that page alone.
 */
static int soft_dirty_child(void)
{
	long page = sysconf(_SC_PAGESIZE);
	volatile char *p;
	int pm, cr;

	p = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return child_errno();
	p[0] = 1;
	p[page] = 1;
	pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pm < 0)
		return child_errno();
	cr = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	if (cr < 0)
		return child_errno();
	if (write(cr, "4", 1) != 1)
		return child_errno();
	if (soft_dirty(pm, p, page) || soft_dirty(pm, p + page, page))
		return ENOTSUP;
	p[page] = 2;
	if (soft_dirty(pm, p, page) || !soft_dirty(pm, p + page, page))
		return ENOTSUP;
	return 0;
}

/* --- probes without side effects ------------------------------------------ */

static int probe_close_range(void)
{
	int fd = open("/", O_PATH | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (close_range((unsigned)fd, (unsigned)fd, 0) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fcntl(fd, F_GETFD) < 0 && errno == EBADF ? 0 : -ENOTSUP;
}

/* kcmp compares a process's memory with itself: 0 where it exists */
static int probe_kcmp(void)
{
	pid_t self = getpid();

	return syscall(SYS_kcmp, self, self, KCMP_VM, 0, 0) == 0 ? 0 : -errno;
}

/*
 * A userfaultfd that handles faults of user space only (which unprivileged
 * users may have whatever vm.unprivileged_userfaultfd says), with a page
 * registered for missing faults.
 */
static int probe_uffd(uint64_t *ret_features)
{
	long page = sysconf(_SC_PAGESIZE);
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	void *p;
	int fd, err = 0;

	fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, UFFDIO_API, &api) < 0) {
		err = -errno;
		goto out_close;
	}
	p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED) {
		err = -errno;
		goto out_close;
	}
	reg.range.start = (uintptr_t)p;
	reg.range.len = (uint64_t)page;
	if (ioctl(fd, UFFDIO_REGISTER, &reg) < 0)
		err = -errno;
	munmap(p, (size_t)page);
	*ret_features = api.features;
out_close:
	close(fd);
	return err;
}

static uint64_t read_xcr0(void)
{
	unsigned int a, b, c, d;
	uint32_t lo, hi;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE))
		return 0;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

int mig_probe(struct mig_features *ret)
{
	struct mig_features f = { 0 };
	int r, err;

	r = probe_traced(&f);
	if (r < 0)
		return r;
	r = probe_seccomp(&f);
	if (r < 0)
		return r;

	r = in_child(mm_map_child, &err);
	if (r < 0)
		return r;
	set(&f, MIG_F_MM_MAP, err);
	r = in_child(timens_child, &err);
	if (r < 0)
		return r;
	set(&f, MIG_F_TIMENS, err);
	r = in_child(soft_dirty_child, &err);
	if (r < 0)
		return r;
	set(&f, MIG_F_SOFT_DIRTY, err);

	set(&f, MIG_F_CLOSE_RANGE, probe_close_range());
	set(&f, MIG_F_KCMP, probe_kcmp());
	set(&f, MIG_F_UFFD, probe_uffd(&f.uffd_features));
	r = kmosix_probe(NULL, &f.kmosix);
	set(&f, MIG_F_MOSIX_KERNEL, r < 0 ? r : !f.kmosix.present ? -ENOENT :
	    !f.kmosix.usable ? -EPROTONOSUPPORT : 0);
	f.xcr0 = read_xcr0();
	*ret = f;
	return 0;
}
