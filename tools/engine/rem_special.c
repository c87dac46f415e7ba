// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <linux/prctl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "engine/mig_dump.h"
#include "engine/mig_proc.h"
#include "engine/rem_special.h"

#define KERNEL_TERMIOS 36	/* struct termios of the ioctl ABI, not glibc's */
#define FLOCK_SIZE 32
#define FILE_COPY_MAX (1ull << 30)

static void fwd_desc(struct sc_desc *t, const char *name, int nargs)
{
	memset(t, 0, sizeof(*t));
	t->name = name;
	t->cls = SC_FWD;
	t->nargs = (uint8_t)nargs;
}

static void buf_arg(struct sc_desc *t, int i, int kind, uint32_t size)
{
	t->arg[i].kind = (uint8_t)kind;
	t->arg[i].size = size;
}

static int ioctl_desc(unsigned long req, struct sc_desc *t)
{
	static const struct {
		unsigned long req;
		int kind;
		uint32_t size;
	} legacy[] = {
		{ TCGETS, SCK_OUT, KERNEL_TERMIOS }, { TCSETS, SCK_IN, KERNEL_TERMIOS },
		{ TCSETSW, SCK_IN, KERNEL_TERMIOS }, { TCSETSF, SCK_IN, KERNEL_TERMIOS },
		{ TIOCGWINSZ, SCK_OUT, 8 }, { TIOCSWINSZ, SCK_IN, 8 },
		{ TIOCGPGRP, SCK_OUT, 4 }, { TIOCSPGRP, SCK_IN, 4 }, { TIOCGSID, SCK_OUT, 4 },
		{ FIONREAD, SCK_OUT, 4 }, { TIOCOUTQ, SCK_OUT, 4 }, { FIONBIO, SCK_IN, 4 },
		{ FIOASYNC, SCK_IN, 4 }, { TIOCSCTTY, SCK_VAL, 0 }, { TIOCNOTTY, SCK_VAL, 0 },
		{ TCSBRK, SCK_VAL, 0 }, { TCXONC, SCK_VAL, 0 }, { TCFLSH, SCK_VAL, 0 },
		{ FIOCLEX, SCK_VAL, 0 }, { FIONCLEX, SCK_VAL, 0 },
	};

	fwd_desc(t, "ioctl", 3);
	req &= 0xffffffffu;
	for (size_t i = 0; i < sizeof(legacy) / sizeof(legacy[0]); i++) {
		if (legacy[i].req != req)
			continue;
		buf_arg(t, 2, legacy[i].kind, legacy[i].size);
		return REM_SPECIAL_FWD;
	}
	/* the request encodes direction and size (_IOR, _IOW, _IOWR) */
	if (_IOC_TYPE(req) != 'T' && _IOC_SIZE(req) && _IOC_DIR(req) != _IOC_NONE) {
		int k = _IOC_DIR(req) == _IOC_READ ? SCK_OUT :
			_IOC_DIR(req) == _IOC_WRITE ? SCK_IN : SCK_IO;

		buf_arg(t, 2, k, _IOC_SIZE(req));
		return REM_SPECIAL_FWD;
	}
	return REM_SPECIAL_HOME;
}

static int fcntl_desc(unsigned long cmd, struct sc_desc *t)
{
	fwd_desc(t, "fcntl", 3);
	switch (cmd) {
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		buf_arg(t, 2, SCK_IO, FLOCK_SIZE);
		break;
	case F_GETOWN_EX:
		buf_arg(t, 2, SCK_OUT, 8);
		break;
	case F_SETOWN_EX:
		buf_arg(t, 2, SCK_IN, 8);
		break;
	case F_GET_RW_HINT:
	case F_GET_FILE_RW_HINT:
		buf_arg(t, 2, SCK_OUT, 8);
		break;
	case F_SET_RW_HINT:
	case F_SET_FILE_RW_HINT:
		buf_arg(t, 2, SCK_IN, 8);
		break;
	default:
		break;	/* values only */
	}
	return REM_SPECIAL_FWD;
}

static int prctl_desc(unsigned long opt, struct sc_desc *t)
{
	fwd_desc(t, "prctl", 5);
	switch (opt) {
	case PR_SET_NAME:
		buf_arg(t, 1, SCK_IN, 16);
		return REM_SPECIAL_FWD;
	case PR_GET_NAME:
		buf_arg(t, 1, SCK_OUT, 16);
		return REM_SPECIAL_FWD;
	case PR_GET_PDEATHSIG:
	case PR_GET_CHILD_SUBREAPER:
		buf_arg(t, 1, SCK_OUT, 4);
		return REM_SPECIAL_FWD;
	case PR_SET_VMA:
		return REM_SPECIAL_CONTINUE;	/* names of the guest's own memory */
	case PR_SET_PDEATHSIG:
	case PR_GET_DUMPABLE:
	case PR_SET_DUMPABLE:
	case PR_GET_KEEPCAPS:
	case PR_SET_KEEPCAPS:
	case PR_CAPBSET_READ:
	case PR_GET_TIMERSLACK:
	case PR_SET_TIMERSLACK:
	case PR_SET_CHILD_SUBREAPER:
	case PR_GET_SECUREBITS:
	case PR_GET_NO_NEW_PRIVS:
		return REM_SPECIAL_FWD;
	default:
		return REM_SPECIAL_HOME;
	}
}

static int poke(pid_t pid, uint64_t addr, const void *buf, size_t n)
{
	struct iovec l = { (void *)buf, n }, r = { (void *)(uintptr_t)addr, n };

	return process_vm_writev(pid, &l, 1, &r, 1, 0) == (ssize_t)n ? 0 : -EFAULT;
}

/* CPU time: what home measured before, plus the guest's here. */
static int cputime(struct rem *r, const struct seccomp_notif *n, struct sc_desc *t,
		   long *ret_val)
{
	int clk = (int)n->data.args[0];
	struct timespec ts = { 0, 1 };

	if (clk != CLOCK_PROCESS_CPUTIME_ID && clk != CLOCK_THREAD_CPUTIME_ID) {
		/* another process's clock: its pid is a home pid */
		fwd_desc(t, "clock", 2);
		buf_arg(t, 1, SCK_OUT, sizeof(struct timespec));
		return REM_SPECIAL_FWD;
	}
	if (n->data.nr == SYS_clock_gettime) {
		uint64_t ns = r->sh->task.cpu_ns + mig_proc_cpu_ns(r->guest);

		ts.tv_sec = (time_t)(ns / 1000000000ull);
		ts.tv_nsec = (long)(ns % 1000000000ull);
	}
	if (n->data.args[1] && poke(n->pid, n->data.args[1], &ts, sizeof(ts)))
		*ret_val = -EFAULT;
	return REM_SPECIAL_ANSWER;
}

/*
 * Timers on the process's CPU time would count the home task's, which
 * does not run while the process is away: it comes home to arm one, and
 * stays while one is armed (mig_cantmove, mig_dump_cant). Timers on real
 * time go on at home as before, their signals forwarded.
 */
static int cputimer(const struct seccomp_notif *n, struct sc_desc *t)
{
	int which = (int)n->data.args[0];

	if (n->data.nr == SYS_setitimer) {
		if (which != ITIMER_REAL)
			return REM_SPECIAL_HOME;
		fwd_desc(t, "setitimer", 3);
		buf_arg(t, 1, SCK_IN, sizeof(struct itimerval));
		buf_arg(t, 2, SCK_OUT, sizeof(struct itimerval));
		return REM_SPECIAL_FWD;
	}
	/* timer_create: which is the clock; negative ids are CPU clocks */
	if (which == CLOCK_PROCESS_CPUTIME_ID || which == CLOCK_THREAD_CPUTIME_ID || which < 0)
		return REM_SPECIAL_HOME;
	fwd_desc(t, "timer_create", 3);
	buf_arg(t, 1, SCK_IN, sizeof(struct sigevent));
	buf_arg(t, 2, SCK_OUT, sizeof(int));
	return REM_SPECIAL_FWD;
}

/* Whether a pid argument names the process itself: 0, or its home pid. */
static bool own_pid(const struct rem *r, uint64_t pid)
{
	return pid == 0 || (int64_t)pid == r->sh->task.home_pid;
}

/*
 * Limits: home's are the process's, and those on CPU time and memory are
 * also set on the guest when it arrives (the restorer, blob/restore.c). Changing one of
 * those away would leave the guest's as they were: the process comes home
 * to change it, and takes the new one with it when it next moves. So does
 * the core limit, which says whether the node traces the guest for a core
 * (rem_trace.c). The others, and reading, are forwarded.
 */
static int rlimit_desc(const struct rem *r, const struct seccomp_notif *n, struct sc_desc *t)
{
	static const int res[MIG_RLIM_NR] = MIG_RLIM_RES;
	const uint64_t *a = (const uint64_t *)n->data.args;
	bool prl = n->data.nr == SYS_prlimit64;
	uint64_t which = prl ? a[1] : a[0];
	bool own = !prl || own_pid(r, a[0]);
	bool sets = prl ? a[2] != 0 : true;

	for (int i = 0; i < MIG_RLIM_NR && own && sets; i++)
		if (which == (uint64_t)res[i])
			return REM_SPECIAL_HOME;
	if (own && sets && which == RLIMIT_CORE)
		return REM_SPECIAL_HOME;
	if (!prl) {
		fwd_desc(t, "setrlimit", 2);
		buf_arg(t, 1, SCK_IN, sizeof(struct rlimit));
		return REM_SPECIAL_FWD;
	}
	fwd_desc(t, "prlimit64", 4);
	buf_arg(t, 2, SCK_IN, sizeof(struct rlimit));
	buf_arg(t, 3, SCK_OUT, sizeof(struct rlimit));
	return REM_SPECIAL_FWD;
}

/*
 * setpriority: the guest runs with home's nice value (the restorer sets
 * it). Changing its own away would change home's only: it comes home to
 * do it, and takes the new value on its next move. A process group's or
 * a user's (which include the home process) are forwarded.
 */
static int priority_desc(const struct rem *r, const struct seccomp_notif *n, struct sc_desc *t)
{
	const uint64_t *a = (const uint64_t *)n->data.args;

	if ((int)a[0] == PRIO_PROCESS && own_pid(r, (uint64_t)(int64_t)(int)a[1]))
		return REM_SPECIAL_HOME;
	fwd_desc(t, "setpriority", 3);
	return REM_SPECIAL_FWD;
}

/*
 * mmap of a home file: its bytes come from home into a memfd that takes
 * the same fd number in the guest; the guest's own mmap then maps the
 * copy. A writable shared mapping cannot be a copy: home.
 */
static int file_mmap(struct rem *r, const struct seccomp_notif *n, long *ret_val)
{
	const uint64_t *a = (const uint64_t *)n->data.args;
	struct mig_filereq q = { .fd = (int32_t)a[4], .off = a[5], .len = a[1] };
	struct seccomp_notif_addfd add = { 0 };
	uint64_t got = 0;
	int mfd, e = 0;

	if ((a[3] & MAP_SHARED) && (a[2] & PROT_WRITE))
		return REM_SPECIAL_HOME;
	if (a[1] == 0 || a[1] > FILE_COPY_MAX || a[5] % MIG_PAGE)
		return REM_SPECIAL_CONTINUE;	/* the guest's mmap fails as it should */
	mfd = memfd_create("mosix-file", MFD_CLOEXEC);
	if (mfd < 0)
		return REM_SPECIAL_HOME;
	if (ftruncate(mfd, (off_t)(q.off + q.len)) ||
	    mig_chan_send(r->ch, MIG_M_FILEREQ, &q, sizeof(q))) {
		close(mfd);
		return REM_SPECIAL_HOME;
	}
	r->last_tx = mig_now_ns();
	for (;;) {
		const struct mig_filedata *fd = (const void *)r->in;
		uint32_t type;
		size_t len;

		if (mig_chan_recv(r->ch, &type, r->in, MIG_CHAN_MAX, &len)) {
			close(mfd);
			return REM_SPECIAL_HOME;
		}
		r->last_rx = mig_now_ns();
		if (type == MIG_M_SIGNAL && !mig_fixed_check(type, len)) {
			kill(r->guest, ((const struct mig_signal *)r->in)->sig);	/* not in a call */
			continue;
		}
		if (type == MIG_M_PING || rem_home_news(r, type, len))
			continue;
		if (type != MIG_M_FILEDATA || len < sizeof(*fd) ||
		    len - sizeof(*fd) != (fd->ret > 0 ? (size_t)fd->ret : 0)) {
			close(mfd);
			return REM_SPECIAL_HOME;
		}
		if (fd->ret < 0 && !e)
			e = (int)fd->ret;
		if (fd->ret <= 0)
			break;
		if (pwrite(mfd, r->in + sizeof(*fd), (size_t)fd->ret, (off_t)(q.off + got)) !=
		    fd->ret)
			e = -EIO;
		got += (uint64_t)fd->ret;
	}
	if (e) {
		close(mfd);
		*ret_val = e;
		return REM_SPECIAL_ANSWER;
	}
	add.srcfd = (uint32_t)mfd;
	add.newfd = (uint32_t)a[4];
	add.id = n->id;
	add.flags = SECCOMP_ADDFD_FLAG_SETFD;
	e = ioctl(r->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
	close(mfd);
	if (e < 0) {
		*ret_val = -errno == -ENOENT ? -EINTR : -EBADF;
		return REM_SPECIAL_ANSWER;
	}
	return REM_SPECIAL_CONTINUE;
}

int rem_special(struct rem *r, const struct seccomp_notif *n, const struct sc_desc *d,
		struct sc_desc *tmp, long *ret_val)
{
	const uint64_t *a = (const uint64_t *)n->data.args;

	*ret_val = 0;
	switch (d->special) {
	case SCS_MMAP:
		if (a[3] & MAP_ANONYMOUS)
			return REM_SPECIAL_CONTINUE;
		return file_mmap(r, n, ret_val);
	case SCS_IOCTL:
		return ioctl_desc(a[1], tmp);
	case SCS_FCNTL:
		return fcntl_desc(a[1], tmp);
	case SCS_PRCTL:
		return prctl_desc(a[0], tmp);
	case SCS_SELECT: {
		uint32_t set = (uint32_t)(((a[0] & 0xffff) + 63) / 64 * 8);

		fwd_desc(tmp, "select", 5);
		buf_arg(tmp, 1, SCK_IO, set);
		buf_arg(tmp, 2, SCK_IO, set);
		buf_arg(tmp, 3, SCK_IO, set);
		buf_arg(tmp, 4, SCK_IO, 16);
		return REM_SPECIAL_FWD;
	}
	case SCS_PSELECT6: {
		uint32_t set = (uint32_t)(((a[0] & 0xffff) + 63) / 64 * 8);

		if (a[5])
			return REM_SPECIAL_HOME;	/* a pointer to a sigset pointer */
		fwd_desc(tmp, "pselect6", 6);
		buf_arg(tmp, 1, SCK_IO, set);
		buf_arg(tmp, 2, SCK_IO, set);
		buf_arg(tmp, 3, SCK_IO, set);
		buf_arg(tmp, 4, SCK_IO, 16);
		return REM_SPECIAL_FWD;
	}
	case SCS_GETSOCKOPT:
		fwd_desc(tmp, "getsockopt", 5);
		buf_arg(tmp, 3, SCK_OUT, 0);
		tmp->arg[3].flags = SCF_LEN_PTR;
		tmp->arg[3].len_arg = 4;
		buf_arg(tmp, 4, SCK_IO, 4);
		return REM_SPECIAL_FWD;
	case SCS_CPUTIME:
		return cputime(r, n, tmp, ret_val);
	case SCS_CPUTIMER:
		return cputimer(n, tmp);
	case SCS_RLIMIT:
		return rlimit_desc(r, n, tmp);
	case SCS_PRIORITY:
		return priority_desc(r, n, tmp);
	case SCS_RUSAGE:
		/* getrusage(who, ru) / times(buf): at home, where the deputy adds
		 * the time on nodes (dep_rusage.c; tell_cpu made it current) */
		fwd_desc(tmp, d->name, n->data.nr == SYS_times ? 1 : 2);
		buf_arg(tmp, n->data.nr == SYS_times ? 0 : 1, SCK_OUT,
			n->data.nr == SYS_times ? 32 : 144);
		return REM_SPECIAL_FWD;
	default:
		return REM_SPECIAL_HOME;
	}
}
