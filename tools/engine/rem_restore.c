// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/mig_cipher.h"
#include "engine/mig_dump.h"
#include "engine/mig_files.h"
#include "engine/mig_pstate.h"
#include "engine/mig_filter.h"
#include "engine/rem.h"
#include "lib/kmosix.h"

#define STEP_TIMEOUT_NS (30ull * 1000000000ull)

bool rem_fault(const struct rem *r, const char *step)
{
	return r->fault && !strcmp(r->fault, step);
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

int rem_init(struct rem *r, struct mig_chan *ch, const struct mig_hello *h,
	     const char *run_dir, uint32_t self_node)
{
	int one = 1;

	memset(r, 0, sizeof(*r));
	r->ch = ch;
	r->hello = *h;
	r->hello_mono_ns = clock_ns(CLOCK_MONOTONIC);
	r->hello_boot_ns = clock_ns(CLOCK_BOOTTIME);
	r->run_dir = run_dir;
	r->self_node = self_node;
	r->listener = -1;
	r->uffd = -1;
	r->status_fd = -1;
	r->files_fd = -1;
	r->sig_fd = -1;
	r->ack_fd = -1;
	r->ctl_fd = -1;
	r->trace_fd = -1;
	r->fault = getenv("MOSIX_FAULT");
	rem_guest_ids(&r->guest_uid, &r->guest_gid);
	/*
	 * Records go out back to back (CIPHER right after WELCOME): with
	 * Nagle's algorithm each small one waits for the last to be
	 * acknowledged, which the deputy delays by up to 40 ms. The deputy's
	 * side of the connection has TCP_NODELAY from mig_net_connect().
	 */
	setsockopt(mig_chan_fd(ch), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* right after WELCOME: the cipher of every later record */
	if (mig_cipher_answer(ch, h->ciphers))
		return -ECONNRESET;
	r->in = mmap(NULL, MIG_CHAN_MAX, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);
	r->out = mmap(NULL, MIG_CHAN_MAX, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	r->sh = mmap(NULL, sizeof(*r->sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		     -1, 0);
	r->sync = mmap(NULL, MIG_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r->in == MAP_FAILED || r->out == MAP_FAILED || r->sh == MAP_FAILED ||
	    r->sync == MAP_FAILED) {
		rem_release(r);
		return -ENOMEM;
	}
	return 0;
}

void rem_release(struct rem *r)
{
	if (r->in && r->in != MAP_FAILED)
		munmap(r->in, MIG_CHAN_MAX);
	if (r->out && r->out != MAP_FAILED)
		munmap(r->out, MIG_CHAN_MAX);
	if (r->sh && r->sh != MAP_FAILED) {
		mig_files_close(r->sh->file_fd, r->sh->nfiles);
		munmap(r->sh, sizeof(*r->sh));
	}
	if (r->sync && r->sync != MAP_FAILED)
		munmap(r->sync, MIG_PAGE);
	free(r->maps);
	r->maps = NULL;
	if (r->listener >= 0)
		close(r->listener);
	if (r->uffd >= 0)
		close(r->uffd);
	r->uffd = -1;
	if (r->status_fd >= 0)
		close(r->status_fd);
	if (r->files_fd >= 0)
		close(r->files_fd);
	r->files_fd = -1;
	if (r->sig_fd >= 0)
		close(r->sig_fd);
	if (r->ack_fd >= 0)
		close(r->ack_fd);
	r->sig_fd = r->ack_fd = -1;
	if (r->trace_fd >= 0)
		close(r->trace_fd);
	r->trace_fd = -1;
	r->in = r->out = NULL;
	r->sh = NULL;
	r->sync = NULL;
	r->listener = r->status_fd = -1;
}

static int say(struct mig_reason *why, int err, uint32_t step, const char *text)
{
	why->err = err;
	why->step = step;
	snprintf(why->text, sizeof(why->text), "%s", text);
	return err;
}

static int recv_type(struct rem *r, uint32_t want, size_t *ret_len)
{
	uint32_t type;
	int e = mig_chan_recv(r->ch, &type, r->in, MIG_CHAN_MAX, ret_len);

	if (e)
		return e;
	r->last_rx = mig_now_ns();
	r->in_type = type;
	return type == want ? 0 : -EPROTO;
}

/*
 * The guest's clocks read as home's: CLOCK_MONOTONIC and BOOTTIME differ
 * between machines, and the process holds values of home's. Each reads
 * what home's read as it sent HELLO, after the stop, plus what this
 * node's has run since HELLO came: never less than the process read at
 * home, and in step with the wall clock however long the restore takes
 * (hashing a large program the first time takes tens of ms: reading the
 * clock here instead let the guest's fall behind by all of that). Only
 * children of the caller enter the new namespace.
 */
static int time_namespace(const struct rem *r)
{
	const struct mig_hello *h = &r->hello;
	int64_t dm, db;
	char text[128];
	int fd, n;

	if (unshare(CLONE_NEWTIME))
		return -errno;
	dm = h->mono_ns - r->hello_mono_ns;
	db = h->boot_ns - r->hello_boot_ns;
	/* a negative offset is written as seconds rounded down, ns positive */
	n = snprintf(text, sizeof(text), "monotonic %lld %lld\nboottime %lld %lld\n",
		     (long long)(dm >= 0 ? dm / 1000000000 : -((-dm + 999999999) / 1000000000)),
		     (long long)(((dm % 1000000000) + 1000000000) % 1000000000),
		     (long long)(db >= 0 ? db / 1000000000 : -((-db + 999999999) / 1000000000)),
		     (long long)(((db % 1000000000) + 1000000000) % 1000000000));
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, (size_t)n) != n) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	return 0;
}

/*
 * The guest's copies of the files FILES named that this node has (one
 * message from the supervisor: their indices, and the descriptors) into
 * @fds, -1 elsewhere. 0 or -errno.
 */
static int take_files(const struct mig_stage_shared *sh, int sock, int *fds)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * MIG_MAX_FILES)];
	} cb;
	uint8_t idx[MIG_MAX_FILES];
	struct iovec io = { idx, sizeof(idx) };
	struct msghdr m = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = cb.b,
			    .msg_controllen = sizeof(cb.b) };
	struct cmsghdr *c;
	uint32_t want = 0;
	ssize_t n;
	size_t nfd;

	for (uint32_t i = 0; i < MIG_MAX_FILES; i++)
		fds[i] = -1;
	for (uint32_t i = 0; i < sh->nfiles && i < MIG_MAX_FILES; i++)
		want += sh->file_fd[i] >= 0;
	if (!want)
		return 0;
	n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	c = CMSG_FIRSTHDR(&m);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    (m.msg_flags & (MSG_CTRUNC | MSG_TRUNC)))
		return -EPROTO;
	nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	if (nfd != (size_t)n || nfd != want)
		return -EPROTO;
	for (size_t k = 0; k < nfd; k++) {
		int fd;

		memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
		if (idx[k] >= sh->nfiles || fds[idx[k]] >= 0)
			return -EPROTO;
		fds[idx[k]] = fd;
	}
	return 0;
}

/*
 * The guest: unprivileged at once, then waits for the image (it is made
 * while home still reads the process), then the first half of the
 * restore.
 */
static void __attribute__((noreturn)) guest_main(struct rem *r, int files_sock)
{
	int fds[MIG_MAX_FILES], e;
	uid_t u = r->guest_uid;
	gid_t g = r->guest_gid;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (setgroups(0, NULL) || setresgid(g, g, g) || setresuid(u, u, u))
		_exit(120);
	/* its own name, for ps and mps --guests on this node */
	prctl(PR_SET_NAME, r->hello.comm);
	while (r->sh->go == 0)
		syscall(SYS_futex, &r->sh->go, FUTEX_WAIT, 0, NULL, 0, 0);
	if (r->sh->go != 1)
		_exit(122);
	e = take_files(r->sh, files_sock, fds);
	close(files_sock);
	if (e) {
		r->sh->err = e;
		r->sh->step = MIG_STAGE_MAP;
		r->sh->staged = 2;
		syscall(SYS_futex, &r->sh->staged, FUTEX_WAKE, 1, 0, 0, 0);
		_exit(121);
	}
	if (rem_fault(r, "stage")) {
		r->sh->err = -EIO;
		r->sh->step = MIG_STAGE_MAP;
		r->sh->staged = 2;
		syscall(SYS_futex, &r->sh->staged, FUTEX_WAKE, 1, 0, 0, 0);
		_exit(121);
	}
	mig_stage_run(r->sh, r->sync, fds);
	_exit(121);
}

/* Init of the guest's pid namespace: the guest's parent and reaper. */
/*
 * Init of the guest's pid namespace: the guest's parent and reaper, and
 * the sender of the signals that come from home. Sent from inside the
 * namespace they keep their sender's pid (the kernel clears si_pid of a
 * signal from an ancestor namespace).
 */
static void __attribute__((noreturn)) init_main(struct rem *r, int status_w, int sig_r,
						int ack_w, int files_sock)
{
	sigset_t mask;
	int st = 0, sfd;
	pid_t g;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		_exit(119);
	/*
	 * A session of its own, and the guest a process group of its own in
	 * it: a group whose parents are all elsewhere (migd's, under systemd)
	 * is orphaned, and the kernel drops SIGTSTP, SIGTTIN and SIGTTOU
	 * sent to an orphaned group, so job control would not reach it.
	 */
	setsid();
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	g = fork();
	if (g < 0)
		_exit(118);
	if (g == 0) {
		sigprocmask(SIG_UNBLOCK, &mask, NULL);
		setpgid(0, 0);
		guest_main(r, files_sock);
	}
	/* the files go to the guest only: init never has them */
	close(files_sock);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	for (;;) {
		struct pollfd pf[2] = { { sfd, POLLIN, 0 }, { sig_r, POLLIN, 0 } };
		struct rem_init_sig m;
		siginfo_t si;
		char ack = 1;

		if (waitpid(g, &st, __WALL | WNOHANG) == g)
			break;
		if (poll(pf, 2, sfd < 0 ? 100 : -1) < 0 && errno != EINTR)
			break;
		if (pf[0].revents) {
			struct signalfd_siginfo ss;

			while (read(sfd, &ss, sizeof(ss)) == sizeof(ss))
				;
		}
		if (!(pf[1].revents & POLLIN))
			continue;
		if (read(sig_r, &m, sizeof(m)) != sizeof(m))
			continue;
		memcpy(&si, m.info, sizeof(si));
		/* the kernel's own codes, or no such sender here: queued */
		if (rem_sig_send_as(g, m.sig, &si))
			rem_sig_queue(g, m.sig, &si);
		if (write(ack_w, &ack, 1) != 1)
			continue;
	}
	if (write(status_w, &st, sizeof(st)) != sizeof(st))
		_exit(117);
	_exit(0);
}

static pid_t child_of(pid_t pid)
{
	char path[64];
	int c = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%d", &c) != 1)
			c = 0;
		fclose(f);
	}
	return c;
}

/* Wait for *@word to leave 0, watching init; -ETIMEDOUT, -ECHILD. */
static int wait_word(struct rem *r, volatile uint32_t *word)
{
	uint64_t end = mig_now_ns() + STEP_TIMEOUT_NS;

	while (*word == 0) {
		struct timespec ts = { 0, 50 * 1000000 };

		syscall(SYS_futex, word, FUTEX_WAIT, 0, &ts, 0, 0);
		if (*word)
			break;
		if (waitpid(r->init, NULL, WNOHANG) == r->init) {
			r->init = 0;
			return -ECHILD;
		}
		if (mig_now_ns() > end)
			return -ETIMEDOUT;
	}
	return 0;
}

static void wake(volatile uint32_t *word, uint32_t v)
{
	*word = v;
	syscall(SYS_futex, word, FUTEX_WAKE, 1, 0, 0, 0);
}

/*
 * The kernel takes a guest's home pids up to its own pid_max, and home's
 * may be larger: such a guest has its pids answered by the supervisor.
 */
static bool pid_fits(int32_t pid)
{
	char text[32];
	ssize_t n;
	int fd;

	fd = open("/proc/sys/kernel/pid_max", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return false;
	text[n] = '\0';
	return pid >= 0 && pid <= strtol(text, NULL, 10);
}

/* FILES -> HAVE: the node's own copies of them, open for the guest. */
static int match_files(struct rem *r, size_t len)
{
	const struct mig_file *f;
	struct mig_have have;
	char cache[4096];
	uint32_t n;

	if (mig_files_check(r->in, len, &f, &n))
		return -EBADMSG;
	mig_files_close(r->sh->file_fd, r->sh->nfiles);
	mig_files_cache_dir(r->run_dir, cache, sizeof(cache));
	mig_files_match(cache, f, n, r->sh->file_fd, &have, &r->frozen_hashed);
	r->sh->nfiles = n;
	return mig_chan_send(r->ch, MIG_M_HAVE, &have, sizeof(have));
}

static int spawn(struct rem *r, struct mig_reason *why)
{
	int pipefd[2], sigp[2], ackp[2], filesp[2], e, nsfd;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC))
		return say(why, -errno, 0, "pipe");
	r->status_fd = pipefd[0];
	if (pipe2(sigp, O_CLOEXEC))
		return say(why, -errno, 0, "pipe");
	r->sig_fd = sigp[1];
	/* non-blocking: stale acks are drained before each signal */
	if (pipe2(ackp, O_CLOEXEC | O_NONBLOCK))
		return say(why, -errno, 0, "pipe");
	r->ack_fd = ackp[0];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, filesp))
		return say(why, -errno, 0, "socketpair");
	r->files_fd = filesp[0];
	/* tests: a node whose kernel refuses the namespaces */
	if (rem_fault(r, "spawn")) {
		close(filesp[1]);
		return say(why, -EPERM, 0, "cannot make the guest's namespaces (fault injected)");
	}
	/* time and pid namespaces apply to children: made before init */
	/* without time namespaces (a container may refuse them) the guest
	 * reads this node's monotonic clock: a jump, not a failure */
	e = time_namespace(r);
	if (e && e != -EINVAL && e != -EPERM && e != -ENOSYS && e != -ENOENT && e != -EACCES)
		goto out_close;
	if (unshare(CLONE_NEWPID)) {
		e = -errno;
		goto out_close;
	}
	pid = fork();
	if (pid < 0) {
		e = -errno;
		goto out_close;
	}
	if (pid == 0) {
		close(pipefd[0]);
		close(sigp[1]);
		close(ackp[0]);
		close(filesp[0]);
		init_main(r, pipefd[1], sigp[0], ackp[1], filesp[1]);
	}
	close(pipefd[1]);
	close(sigp[0]);
	close(ackp[1]);
	close(filesp[1]);
	r->init = pid;
	/*
	 * Our own children in our own pid and time namespaces again: a
	 * thread may not start while they would not be (the page filler,
	 * rem_fill.c; kernels before 6.x refuse it for the time namespace
	 * too). Single-threaded still, as setns of a time namespace needs.
	 */
	nsfd = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	if (nsfd >= 0) {
		setns(nsfd, CLONE_NEWPID);
		close(nsfd);
	}
	nsfd = open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
	if (nsfd >= 0) {
		setns(nsfd, CLONE_NEWTIME);
		close(nsfd);
	}
	return 0;

out_close:
	close(pipefd[1]);
	close(sigp[0]);
	close(ackp[1]);
	close(filesp[1]);
	return say(why, e, 0, "cannot make the guest's namespaces");
}

void rem_spawn(struct rem *r)
{
	memset(&r->spawn_why, 0, sizeof(r->spawn_why));
	spawn(r, &r->spawn_why);
}

/* Why staging failed: @e waiting for it, else the stager's own report. */
static int staging_failed(struct rem *r, int e, struct mig_reason *why)
{
	char t[96];

	if (!e && r->sh->step == MIG_STAGE_XSTATE)
		snprintf(t, sizeof(t), "its registers hold CPU state this node lacks");
	else
		snprintf(t, sizeof(t), "staging failed at step %u: %s", r->sh->step,
			 strerror(e ? -e : -r->sh->err));
	return say(why, e ? e : r->sh->err, r->sh->step, t);
}

/* The guest's copies of the files it maps: indices and descriptors. */
static int give_files(struct rem *r)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * MIG_MAX_FILES)];
	} cb;
	uint8_t idx[MIG_MAX_FILES];
	struct iovec io = { idx, 0 };
	struct msghdr m = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = cb.b };
	struct cmsghdr *c;
	size_t n = 0;

	memset(&cb, 0, sizeof(cb));
	c = (struct cmsghdr *)cb.b;
	for (uint32_t i = 0; i < r->sh->nfiles; i++) {
		if (r->sh->file_fd[i] < 0)
			continue;
		memcpy(CMSG_DATA(c) + n * sizeof(int), &r->sh->file_fd[i], sizeof(int));
		idx[n++] = (uint8_t)i;
	}
	if (!n)
		return 0;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(n * sizeof(int));
	m.msg_controllen = CMSG_SPACE(n * sizeof(int));
	io.iov_len = n;
	return sendmsg(r->files_fd, &m, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -EPROTO;
}

int rem_restore(struct rem *r, struct mig_reason *why)
{
	const struct mig_vma *v;
	uint32_t n;
	size_t len;
	int e, pidfd;

	e = recv_type(r, MIG_M_TASK, &len);
	if (e == -ECONNRESET)
		return say(why, e, 0, "home gave up the move before sending the process");
	/* tests: MOSIX_FAULT=task takes a good record for a bad one */
	if (e || mig_task_check(r->in, len) || rem_fault(r, "task"))
		return say(why, e ? e : -EBADMSG, 0, "bad task record");
	memcpy(&r->sh->task, r->in, sizeof(r->sh->task));
	e = recv_type(r, MIG_M_VMAS, &len);
	if (e == -EPROTO && r->in_type == MIG_M_MAPS) {
		free(r->maps);
		r->maps = malloc(len + 1);
		if (r->maps) {
			memcpy(r->maps, r->in, len);
			r->maps[len] = 0;
			r->maps_len = len;
		}
		e = recv_type(r, MIG_M_VMAS, &len);
	}
	if (e == -EPROTO && r->in_type == MIG_M_FILES) {
		e = match_files(r, len);
		if (e)
			return say(why, e, 0, "bad file table");
		e = recv_type(r, MIG_M_VMAS, &len);
	}
	if (e || mig_vmas_check(r->in, len, &v, &n))
		return say(why, e ? e : -EBADMSG, 0, "bad VMA table");
	for (uint32_t i = 0; i < n; i++)
		if (v[i].file && (v[i].file > r->sh->nfiles || r->sh->file_fd[v[i].file - 1] < 0))
			return say(why, -EBADMSG, 0, "bad VMA table: a file this node lacks");
	memcpy(r->sh->vmas, v, n * sizeof(*v));
	r->sh->nvma = n;
	r->sh->force_proxy = r->force_proxy;
	r->sh->scratch_busy = rem_fault(r, "scratch-busy");
	r->home_ppid = r->sh->task.home_ppid;
	if (r->kernel_ids && (!pid_fits(r->sh->task.home_pid) || !pid_fits(r->home_ppid)))
		r->kernel_ids = false;
	r->sh->filter_flags = r->kernel_ids ? MIG_FILTER_KERNEL_IDS : 0;
	if (r->spawn_why.err) {
		*why = r->spawn_why;
		return why->err;
	}
	e = give_files(r);
	if (e)
		return say(why, e, MIG_STAGE_MAP, "cannot give the guest its files");
	close(r->files_fd);
	r->files_fd = -1;
	wake(&r->sh->go, 1);
	e = wait_word(r, &r->sh->staged);
	/* staged or not, the guest has mapped the files it needed */
	mig_files_close(r->sh->file_fd, r->sh->nfiles);
	if (e || r->sh->staged != 1)
		return staging_failed(r, e, why);
	r->guest = child_of(r->init);
	if (r->guest <= 0)
		return say(why, -ESRCH, MIG_STAGE_WAIT, "the guest is gone");
	if (r->sh->uffd >= 0) {
		/*
		 * The staged memory is registered with the guest's
		 * userfaultfd: a write into it from here would wait on that
		 * fd, so without our copy of it nothing can be filled.
		 */
		pidfd = (int)syscall(SYS_pidfd_open, r->guest, 0);
		if (pidfd >= 0) {
			r->uffd = (int)syscall(SYS_pidfd_getfd, pidfd, r->sh->uffd, 0);
			e = r->uffd < 0 ? -errno : 0;
			close(pidfd);
		} else {
			e = -errno;
		}
		if (e)
			return say(why, e, MIG_STAGE_WAIT,
				   "cannot take the guest's userfaultfd to fill its memory");
	}
	e = rem_receive_pages(r, why);
	if (e)
		return e;
	/* both copies closed: the staged VMAs are plain memory again */
	if (r->uffd >= 0)
		close(r->uffd);
	r->uffd = -1;
	wake(&r->sh->filled, 1);
	/*
	 * While the guest restores the rest: this node's record of it, there
	 * before READY, so before home's migrate returns (written after GO,
	 * a quick home could return first); dropped again if no GO comes.
	 */
	mig_guest_write(r->run_dir, r->guest, r->hello.home_node, r->hello.home_pid);
	e = wait_word(r, &r->sync->state);
	/* the stager failed after the pages, before the blob ran */
	if (e == -ECHILD && r->sh->staged == 2)
		return staging_failed(r, 0, why);
	if (e || r->sync->state != 1) {
		char t[96];

		if (!e && r->sync->step == BLOB_STEP_RLIMIT)
			snprintf(t, sizeof(t), "a hard limit of the process (CPU time, memory) is "
				 "above what this node allows its guests");
		else
			snprintf(t, sizeof(t), "restore failed at step %u: %s", r->sync->step,
				 strerror(e ? -e : (int)r->sync->err));
		return say(why, e ? e : -(int)r->sync->err, r->sync->step, t);
	}
	r->killable = r->sync->killable;
	pidfd = (int)syscall(SYS_pidfd_open, r->guest, 0);
	if (pidfd < 0)
		return say(why, -errno, 0, "pidfd_open");
	r->listener = (int)syscall(SYS_pidfd_getfd, pidfd, r->sync->fd, 0);
	e = -errno;
	close(pidfd);
	if (r->listener < 0)
		return say(why, e, 0, "cannot take the seccomp listener");
	/* older kernels: the scheduler's wake-ups, as before */
	mig_filter_sync_wake(r->listener);
	/* its filter lets getpid through: the kernel must know the answers
	 * before the guest runs (GO), or it would see this node's pids */
	if (r->kernel_ids) {
		e = rem_mark_guest(r);
		if (e)
			return say(why, e, 0, "cannot mark the guest in /proc/PID/mosix/guest");
	}
	return 0;
}

int rem_mark_guest(struct rem *r)
{
	char text[64];

	snprintf(text, sizeof(text), "%u %d %d\n", r->hello.home_node,
		 (int)r->sh->task.home_pid, (int)r->home_ppid);
	return kmosix_task_write(NULL, r->guest, "guest", text);
}

void rem_drain(struct rem *r)
{
	uint32_t type;
	size_t len;

	while (!r->image_done && !mig_chan_recv(r->ch, &type, r->in, MIG_CHAN_MAX, &len))
		r->image_done = type == MIG_M_END;
}

/* The commit, from this side: READY out, GO in. */
int rem_commit(struct rem *r)
{
	struct mig_ready rd = { .guest_pid = r->guest, .vdso_proxy = r->sh->vdso_proxy };
	size_t len;
	int e;

	if (rem_fault(r, "ready"))
		return -ECANCELED;
	e = mig_chan_send(r->ch, MIG_M_READY, &rd, sizeof(rd));
	if (!e)
		e = recv_type(r, MIG_M_GO, &len);
	if (e) {
		wake(&r->sync->go, 2);	/* no commit: the guest never runs */
		return e;
	}
	r->last_tx = mig_now_ns();
	wake(&r->sync->go, 1);
	return 0;
}
