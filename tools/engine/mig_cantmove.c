// SPDX-License-Identifier: GPL-2.0-only
#include "mig_cantmove.h"
#include "engine/mig_proc.h"

#include <dirent.h>
#include <errno.h>
#include <linux/kcmp.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lib/kmosix.h"
#include "mig_freezer.h"
#include "mig_pstate.h"

/* include/linux/sched.h: the task is a kernel thread */
#define PF_KTHREAD 0x00200000ul
/* linux/sched.h: SCHED_DEADLINE, which glibc's <sched.h> may lack */
#define POLICY_DEADLINE 6u
/* the end of a 32-bit or x32 task's address space */
#define COMPAT_STACK_TOP (1ull << 32)
/* a stat line is ~52 numbers after a name of at most 64 bytes */
#define STAT_MAX 2048

static const char *const cant_str[MIG_CANT_NR] = {
	[MIG_CAN] = "-",
	[MIG_CANT_GONE] = "no such process",
	[MIG_CANT_KTHREAD] = "kernel thread",
	[MIG_CANT_INIT] = "init",
	[MIG_CANT_ZOMBIE] = "zombie",
	[MIG_CANT_USER_LOCK] = "locked by user",
	[MIG_CANT_THREADS] = "multi-threaded",
	[MIG_CANT_TRACED] = "being traced",
	[MIG_CANT_COMPAT] = "32-bit process",
	[MIG_CANT_REALTIME] = "real-time scheduling",
	[MIG_CANT_MLOCK] = "locked memory",
	[MIG_CANT_SECCOMP] = "own seccomp filter",
	[MIG_CANT_SHSTK] = "shadow stack",
	[MIG_CANT_SIGNALFD] = "signalfd",
	[MIG_CANT_USERFAULTFD] = "userfaultfd",
	[MIG_CANT_IO_URING] = "io_uring",
	[MIG_CANT_PERF] = "perf events",
	[MIG_CANT_CPU_TIMER] = "CPU-time timer",
	[MIG_CANT_SYSV_SHM] = "SysV shared memory",
	[MIG_CANT_SHARED_WRITE] = "writable shared mapping",
	[MIG_CANT_DEVICE] = "device mapping",
	[MIG_CANT_HUGETLB] = "hugetlb mapping",
	[MIG_CANT_PKEY] = "protection keys",
	[MIG_CANT_SHARED_MM] = "address space shared",
	[MIG_CANT_IOPORT] = "I/O port access",
	[MIG_CANT_FORK_MEMORY] = "wipe-on-fork memory",
	[MIG_CANT_SEALED] = "sealed memory",
	[MIG_CANT_FROZEN] = "frozen (cgroup freezer)",
};

const char *mig_cant_str(enum mig_cant why)
{
	if ((unsigned)why >= MIG_CANT_NR || !cant_str[why])
		return "?";
	return cant_str[why];
}

/* One scan: what was found, and whether some source was closed to us. */
struct scan {
	pid_t pid;
	pid_t tracer_ok;	/* a TracerPid that does not count (the deputy's) */
	enum mig_cant why;
	bool denied;
	struct mig_cant_memo *memo;	/* smaps' last answer, or NULL */
	bool no_smaps;		/* left to mig_cantmove_frozen */
};

static int proc_file(char *buf, size_t size, pid_t pid, const char *name)
{
	int n = snprintf(buf, size, "/proc/%d/%s", (int)pid, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/*
 * Sort out a failure to open or read a source: the process went away
 * (-ESRCH), the source is closed to the caller (noted, 0: the others may
 * still tell), or a real error.
 */
static int source_error(struct scan *s, int err)
{
	if (err == EACCES || err == EPERM) {
		s->denied = true;
		return 0;
	}
	if (err == ESRCH)
		return -ESRCH;
	if (err == ENOENT) {
		char path[32];

		/* gone, or only this entry is missing (no exe, no timers) */
		snprintf(path, sizeof(path), "/proc/%d", (int)s->pid);
		return access(path, F_OK) < 0 ? -ESRCH : 0;
	}
	return -err;
}

/* Open /proc/PID/@name for stdio; NULL with the result in *@ret_r. */
static FILE *open_source(struct scan *s, const char *name, int *ret_r)
{
	char path[64];
	FILE *f;

	*ret_r = proc_file(path, sizeof(path), s->pid, name);
	if (*ret_r < 0)
		return NULL;
	f = fopen(path, "re");
	if (!f)
		*ret_r = source_error(s, errno);
	return f;
}

/* The field after position @field (1-based, as proc(5) counts) of a stat line. */
static const char *stat_field(const char *after_comm, int field)
{
	const char *p = after_comm;

	/* after_comm is field 3, the state */
	for (int i = 3; i < field && p; i++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return p;
}

/*
 * pid 1, kernel threads, zombies, real-time policies, 32-bit and x32
 * programs: from /proc/PID/stat. A compat task's stack starts below 4 GiB
 * (its address space ends there), a 64-bit one's near 128 TiB. The
 * kernel shows the start of the stack to those who may trace the process
 * only, 0 to others.
 */
static int scan_stat(struct scan *s)
{
	char path[64], buf[STAT_MAX];
	const char *p, *f;
	unsigned long flags, policy;
	unsigned long long stack;
	ssize_t n;
	int fd, r;

	r = proc_file(path, sizeof(path), s->pid, "stat");
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH ? -ESRCH : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;
	/* a task that ended while we opened it reads as empty */
	if (n == 0)
		return -ESRCH;
	buf[n] = '\0';
	/* the name may hold anything, ')' included: the last one ends it */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -EIO;
	p += 2;

	f = stat_field(p, 9);
	if (!f)
		return -EIO;
	flags = strtoul(f, NULL, 10);
	f = stat_field(p, 28);
	stack = f ? strtoull(f, NULL, 10) : 0;
	f = stat_field(p, 41);
	policy = f ? strtoul(f, NULL, 10) : 0;

	if (flags & PF_KTHREAD)
		s->why = MIG_CANT_KTHREAD;
	else if (s->pid == 1)
		s->why = MIG_CANT_INIT;
	else if (*p == 'Z' || *p == 'X' || *p == 'x')
		s->why = MIG_CANT_ZOMBIE;
	else if (policy == SCHED_FIFO || policy == SCHED_RR || policy == POLICY_DEADLINE)
		s->why = MIG_CANT_REALTIME;
	else if (stack && stack < COMPAT_STACK_TOP)
		s->why = MIG_CANT_COMPAT;
	else if (!stack)
		s->denied = true;
	return 0;
}

/*
 * The user's lock (mosrun -l, or 1 written to lock) holds for the process
 * and everything it starts, as MOSIX's inherited lock flag did: the lock
 * of any ancestor counts. Where the kernel keeps the flag (/proc/mosix),
 * it has followed the forks already: the process's own says it.
 */
static int scan_lock(struct scan *s, const char *run_dir)
{
	struct mig_pstate ps;
	pid_t p = s->pid;
	bool locked;

	if (kmosix_locked(NULL, s->pid, &locked) == 0 && locked) {
		s->why = MIG_CANT_USER_LOCK;
		return 0;
	}
	if (!run_dir)
		return 0;
	for (int depth = 0; p > 1 && depth < 64; depth++) {
		int r = mig_pstate_read(run_dir, p, &ps);
		if (r < 0 && p == s->pid)
			return r;
		if (r == 0 && ps.lock) {
			s->why = MIG_CANT_USER_LOCK;
			return 0;
		}
		if (mig_proc_stat(p, NULL, &p))
			break;
	}
	return 0;
}

/* The number after "@name:" at the start of @line, when it is that line. */
static bool status_num(const char *line, const char *name, unsigned long *ret)
{
	size_t len = strlen(name);

	if (strncmp(line, name, len) != 0 || line[len] != ':')
		return false;
	*ret = strtoul(line + len + 1, NULL, 10);
	return true;
}

/* threads, tracer, mlock, seccomp, shadow stack: from /proc/PID/status */
static int scan_status(struct scan *s)
{
	unsigned long threads = 1, tracer = 0, locked = 0, seccomp = 0, v;
	bool shstk = false;
	char *line = NULL;
	size_t cap = 0;
	FILE *f;
	int r;

	f = open_source(s, "status", &r);
	if (!f)
		return r;
	while (getline(&line, &cap, f) > 0) {
		if (status_num(line, "Threads", &v))
			threads = v;
		else if (status_num(line, "TracerPid", &v))
			tracer = v;
		else if (status_num(line, "VmLck", &v))
			locked = v;
		else if (status_num(line, "Seccomp", &v))
			seccomp = v;
		else if (strncmp(line, "x86_Thread_features:", 20) == 0)
			shstk = mig_has_word(line + 20, "shstk", " \t");
	}
	if (ferror(f))
		r = source_error(s, errno);
	free(line);
	fclose(f);
	if (r < 0)
		return r;

	if (threads > 1)
		s->why = MIG_CANT_THREADS;
	else if (tracer && (pid_t)tracer != s->tracer_ok)
		s->why = MIG_CANT_TRACED;
	else if (locked)
		s->why = MIG_CANT_MLOCK;
	else if (seccomp)
		s->why = MIG_CANT_SECCOMP;
	else if (shstk)
		s->why = MIG_CANT_SHSTK;
	return 0;
}

/* signalfd, userfaultfd, io_uring, perf events: links of /proc/PID/fd */
static int scan_fds(struct scan *s)
{
	static const struct {
		const char *link;
		enum mig_cant why;
	} kinds[] = {
		{ "anon_inode:[signalfd]", MIG_CANT_SIGNALFD },
		{ "anon_inode:[userfaultfd]", MIG_CANT_USERFAULTFD },
		{ "anon_inode:[io_uring]", MIG_CANT_IO_URING },
		{ "anon_inode:[perf_event]", MIG_CANT_PERF },
	};
	char path[64], link[64];
	struct dirent *e;
	DIR *d;
	int r;

	r = proc_file(path, sizeof(path), s->pid, "fd");
	if (r < 0)
		return r;
	d = opendir(path);
	if (!d)
		return source_error(s, errno);
	while (s->why == MIG_CAN && (e = readdir(d))) {
		/* only the kernel's short names matter: a long path may be cut */
		ssize_t n = readlinkat(dirfd(d), e->d_name, link, sizeof(link) - 1);

		if (n <= 0)
			continue;
		link[n] = '\0';
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (strcmp(link, kinds[i].link) == 0)
				s->why = kinds[i].why;
	}
	closedir(d);
	return 0;
}

/*
 * POSIX timers on CPU-time clocks (they would count the home task's time,
 * which stops): CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, and the
 * negative ids of clock_getcpuclockid() and pthread_getcpuclockid().
 */
static int scan_timers(struct scan *s)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f;
	int r;

	f = open_source(s, "timers", &r);
	if (!f)
		return r;
	while (s->why == MIG_CAN && getline(&line, &cap, f) > 0) {
		long clk;
		char *end;

		if (strncmp(line, "ClockID:", 8) != 0)
			continue;
		clk = strtol(line + 8, &end, 10);
		if (end != line + 8 &&
		    (clk == CLOCK_PROCESS_CPUTIME_ID || clk == CLOCK_THREAD_CPUTIME_ID || clk < 0))
			s->why = MIG_CANT_CPU_TIMER;
	}
	if (ferror(f))
		r = source_error(s, errno);
	free(line);
	fclose(f);
	return r;
}

/* Whether @other, not @pid itself, runs on @pid's memory. */
static bool same_mm(pid_t pid, pid_t other)
{
	/*
	 * kcmp is refused for another user's process: taken as no. Such a
	 * pair takes a set-uid program that clones with CLONE_VM, and
	 * migd, root, asks again once the process is frozen.
	 */
	return other > 0 && other != pid && syscall(SYS_kcmp, pid, other, KCMP_VM, 0, 0) == 0;
}

/* The first child of a thread of @parent, other than @pid, on @pid's memory; 0 if none. */
static pid_t child_on_mm(pid_t pid, pid_t parent)
{
	char path[64];
	struct dirent *e;
	pid_t found = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)parent);
	d = opendir(path);
	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		FILE *f;
		int c;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/children", (int)parent,
			 e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (!found && fscanf(f, "%d", &c) == 1)
			if (same_mm(pid, c))
				found = c;
		fclose(f);
	}
	closedir(d);
	return found;
}

/*
 * Another process on the same memory: made by clone(CLONE_VM) without
 * CLONE_THREAD, or a vfork child before its exec. Status counts only
 * threads, so this asks kcmp. Such a process is kin: it made this one,
 * was made by it, or is a sibling (CLONE_PARENT; orphans under init),
 * so the parent, the children and the siblings are asked, not all of
 * /proc. Moving the memory away would pull it from under the other.
 */
static int scan_mm(struct scan *s)
{
	pid_t ppid = 0, other;

	if (mig_proc_stat(s->pid, NULL, &ppid) < 0)
		return -ESRCH;
	other = same_mm(s->pid, ppid) ? ppid : child_on_mm(s->pid, s->pid);
	if (!other && ppid > 0)
		other = child_on_mm(s->pid, ppid);
	if (other)
		s->why = MIG_CANT_SHARED_MM;
	return 0;
}

/* the VmFlags of smaps that matter here */
enum vm_flag {
	VMF_MAYWRITE = 1 << 0,	/* mw */
	VMF_IO = 1 << 1,	/* io */
	VMF_PFNMAP = 1 << 2,	/* pf */
	VMF_HUGETLB = 1 << 3,	/* ht */
	VMF_UFFD = 1 << 4,	/* um uw ui ur uf */
	VMF_SHSTK = 1 << 5,	/* ss */
	VMF_FORK = 1 << 6,	/* wf dc dp: wipe on fork, not copied, droppable */
	VMF_SEALED = 1 << 7,	/* sl: mseal */
};

static unsigned parse_vmflags(const char *p)
{
	static const struct {
		char name[3];
		unsigned flag;
	} names[] = {
		{ "mw", VMF_MAYWRITE }, { "io", VMF_IO }, { "pf", VMF_PFNMAP },
		{ "ht", VMF_HUGETLB }, { "um", VMF_UFFD }, { "uw", VMF_UFFD },
		{ "ui", VMF_UFFD }, { "ur", VMF_UFFD }, { "uf", VMF_UFFD },
		{ "ss", VMF_SHSTK }, { "wf", VMF_FORK }, { "dc", VMF_FORK },
		{ "dp", VMF_FORK }, { "sl", VMF_SEALED },
	};
	unsigned flags = 0;

	while (*p) {
		size_t len;

		p += strspn(p, " \t\n");
		len = strcspn(p, " \t\n");
		if (len == 2)
			for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
				if (p[0] == names[i].name[0] && p[1] == names[i].name[1])
					flags |= names[i].flag;
		p += len;
	}
	return flags;
}

/* What one mapping of smaps says, from its first line and its VmFlags. */
struct vma {
	bool shared;	/* 's' in the permissions */
	bool kernel;	/* [vvar], [vvar_vclock], [vdso], [vsyscall]: PFN maps of every process */
};

/* "START-END PERMS OFFSET DEV INODE [NAME]": 0, or -EINVAL for another line */
static int parse_vma(const char *line, struct vma *v, bool *ret_sysv)
{
	const char *p = strchr(line, ' ');

	if (!p || strlen(p) < 5)
		return -EINVAL;
	v->shared = p[4] == 's';
	/* the name follows the inode, after padding */
	for (int i = 0; i < 4 && p; i++) {
		p += strspn(p, " ");
		p = strchr(p, ' ');
	}
	if (p)
		p += strspn(p, " ");
	v->kernel = p && strncmp(p, "[v", 2) == 0;
	*ret_sysv = p && strncmp(p, "/SYSV", 5) == 0;
	return 0;
}

/* shared, device, hugetlb, userfaultfd, pkey, shadow stack mappings */
static int scan_smaps(struct scan *s)
{
	struct vma v = { 0 };
	char *line = NULL;
	size_t cap = 0;
	FILE *f;
	int r;

	f = open_source(s, "smaps", &r);
	if (!f)
		return r;
	while (s->why == MIG_CAN && getline(&line, &cap, f) > 0) {
		unsigned long pkey;
		bool sysv;

		/* mapping lines start with an address, the others with a name */
		if ((line[0] >= '0' && line[0] <= '9') || (line[0] >= 'a' && line[0] <= 'f')) {
			if (parse_vma(line, &v, &sysv) == 0 && sysv)
				s->why = MIG_CANT_SYSV_SHM;
		} else if (status_num(line, "ProtectionKey", &pkey)) {
			if (pkey)
				s->why = MIG_CANT_PKEY;
		} else if (strncmp(line, "VmFlags:", 8) == 0) {
			unsigned fl = parse_vmflags(line + 8);

			if (fl & VMF_HUGETLB)
				s->why = MIG_CANT_HUGETLB;
			else if ((fl & (VMF_IO | VMF_PFNMAP)) && !v.kernel)
				s->why = MIG_CANT_DEVICE;
			else if (fl & VMF_UFFD)
				s->why = MIG_CANT_USERFAULTFD;
			else if (fl & VMF_SHSTK)
				s->why = MIG_CANT_SHSTK;
			else if (v.shared && (fl & VMF_MAYWRITE))
				s->why = MIG_CANT_SHARED_WRITE;
			/*
			 * The image has no room for these, and what came
			 * back would be plain memory: a fork at home would
			 * copy what should be wiped (random state), and
			 * sealed memory could never be freed at home. The
			 * kernel's own mappings may be sealed (6.15+).
			 */
			else if ((fl & VMF_FORK) && !v.kernel)
				s->why = MIG_CANT_FORK_MEMORY;
			else if ((fl & VMF_SEALED) && !v.kernel)
				s->why = MIG_CANT_SEALED;
		}
	}
	if (ferror(f))
		r = source_error(s, errno);
	free(line);
	fclose(f);
	return r;
}

/* FNV-1a over /proc/PID/maps: which mappings, where, with what rights */
static int maps_digest(struct scan *s, uint64_t *ret)
{
	uint64_t h = 0xcbf29ce484222325ull;
	char buf[4096];
	size_t n;
	FILE *f;
	int r;

	f = open_source(s, "maps", &r);
	if (!f)
		return r ? r : -EACCES;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		for (size_t i = 0; i < n; i++)
			h = (h ^ (uint8_t)buf[i]) * 0x100000001b3ull;
	r = ferror(f) ? source_error(s, errno) : 0;
	fclose(f);
	if (r == 0 && s->denied)
		r = -EACCES;
	*ret = h;
	return r;
}

/* scan_smaps, or what it said last time if maps is as it was then */
static int scan_smaps_memo(struct scan *s)
{
	struct mig_cant_memo *m = s->memo;
	uint64_t digest;
	int r;

	if (!m || maps_digest(s, &digest))
		return scan_smaps(s);
	if (m->valid && m->maps_digest == digest) {
		s->why = m->smaps_why;
		return 0;
	}
	m->valid = false;
	r = scan_smaps(s);
	if (r == 0 && !s->denied) {
		m->maps_digest = digest;
		m->smaps_why = s->why;
		m->valid = true;
	}
	return r;
}

static int scan_all(struct scan *s, const char *run_dir, enum mig_cant *ret)
{
	int r;

	if (s->pid <= 0)
		return -EINVAL;
	r = scan_stat(s);
	if (r == 0 && s->why == MIG_CAN)
		r = scan_lock(s, run_dir);
	if (r == 0 && s->why == MIG_CAN)
		r = scan_status(s);
	if (r == 0 && s->why == MIG_CAN)
		r = scan_fds(s);
	if (r == 0 && s->why == MIG_CAN)
		r = scan_timers(s);
	if (r == 0 && s->why == MIG_CAN)
		r = scan_mm(s);
	if (r == 0 && s->why == MIG_CAN && !s->no_smaps)
		r = scan_smaps_memo(s);
	/* last: a move would wait for the thaw, with the admin's command */
	if (r == 0 && s->why == MIG_CAN && mig_frozen(s->pid) == 1)
		s->why = MIG_CANT_FROZEN;
	if (r < 0)
		return r;
	if (s->why == MIG_CAN && s->denied)
		return -EACCES;
	*ret = s->why;
	return 0;
}

int mig_cantmove(pid_t pid, const char *run_dir, enum mig_cant *ret)
{
	struct scan s = { .pid = pid, .why = MIG_CAN };

	return scan_all(&s, run_dir, ret);
}

int mig_cantmove_memo(pid_t pid, const char *run_dir, struct mig_cant_memo *memo,
		      enum mig_cant *ret)
{
	struct scan s = { .pid = pid, .why = MIG_CAN, .memo = memo };

	return scan_all(&s, run_dir, ret);
}

int mig_cantmove_quick(pid_t pid, const char *run_dir, enum mig_cant *ret)
{
	struct scan s = { .pid = pid, .why = MIG_CAN, .no_smaps = true };

	return scan_all(&s, run_dir, ret);
}

int mig_cantmove_frozen(pid_t pid, const char *run_dir, enum mig_cant *ret)
{
	struct scan s = { .pid = pid, .tracer_ok = getpid(), .why = MIG_CAN };

	return scan_all(&s, run_dir, ret);
}
