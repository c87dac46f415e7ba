// SPDX-License-Identifier: GPL-2.0-only
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <linux/ptrace.h>	/* after sys/ptrace.h: rseq configuration */
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "engine/mig_dump.h"
#include "engine/mig_proc.h"

/* Kernel-internal restart codes a stopped call may show in rax. */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

/*
 * Bytes of one PAGES record: small enough that the two ends overlap (the
 * node receives and fills one record while this side reads and seals the
 * next; a 16 MiB process in 4 MiB records left each end waiting for the
 * other) and that a record stays in a core's L2 through read, seal and
 * send. 512 KiB moved 16 MiB in about 40 ms against 50, 256 MiB in about
 * 330 ms against 390 (docs/BENCHMARKS.md); 256 and 128 KiB did no better.
 */
#define RUN_MAX ((512u << 10) - MIG_PAGE)
#define USER_CS_64 0x33			/* __USER_CS: 64-bit code */

uint64_t mig_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Fields 26-28 and 45-51 of /proc/PID/stat: the mm layout. */
static int read_stat_mm(pid_t pid, struct mig_task *t)
{
	char buf[4096], *p, *end;
	unsigned long long v[53] = { 0 };
	ssize_t n = mig_proc_read(pid, "stat", buf, sizeof(buf));
	int i;

	if (n < 0)
		return (int)n;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -EIO;
	p += 4;		/* past ") S " : the next field is number 4 */
	for (i = 4; i < 53 && *p; i++) {
		v[i] = strtoull(p, &end, 10);
		if (end == p)
			break;
		p = end + (*end == ' ');
	}
	if (i < 52)
		return -EIO;
	t->start_code = v[26];
	t->end_code = v[27];
	t->start_stack = v[28];
	t->start_data = v[45];
	t->end_data = v[46];
	t->start_brk = v[47];
	t->arg_start = v[48];
	t->arg_end = v[49];
	t->env_start = v[50];
	t->env_end = v[51];
	return 0;
}

/*
 * The calls whose restart goes through the kernel's restart_block (which
 * stays behind with this task): nanosleep, clock_nanosleep, poll, futex.
 */
static bool restart_block_user(uint32_t nr)
{
	return nr == SYS_nanosleep || nr == SYS_clock_nanosleep || nr == SYS_poll ||
	       nr == SYS_futex;
}

/*
 * A relative sleep the stop interrupted: the kernel wrote the time left
 * into the call's @rem, if it gave one (coreutils' sleep and perl's do; a
 * @rem that is @req, as libc's sleep() passes, needs nothing), so the call
 * made again reads its duration from there, not from the whole @req. Only that argument register changes; a call keeps its argument
 * registers, so code that reused @req's address in it after the call
 * would see @rem's (libc's wrappers do not: they are functions). Without
 * @rem, and for futex and poll, the time left is nowhere to be read: the
 * call starts over with all of it. An absolute sleep needs nothing: the
 * guest's clocks read as home's.
 */
static void rest_of_sleep(uint32_t nr, struct user_regs_struct *r)
{
	if (nr == SYS_nanosleep && r->rsi)
		r->rdi = r->rsi;
	else if (nr == SYS_clock_nanosleep && !(r->rsi & TIMER_ABSTIME) && r->r10)
		r->rdx = r->r10;
}

/*
 * Waits the kernel ends with EINTR whenever the task stops, never
 * restarting them (signal(7)): our own stop ends them so too, and the
 * process would see an EINTR it never sees natively but from a stop
 * signal. Those that would wait for ever are made again instead; one with
 * a timeout keeps its EINTR, as after SIGSTOP, since the time it waited
 * is nowhere to be read and starting over would wait too long.
 */
static bool endless_wait(uint32_t nr, const struct user_regs_struct *r)
{
	switch (nr) {
	case SYS_epoll_wait:
	case SYS_epoll_pwait:
		return (int)r->r10 < 0;
	case SYS_epoll_pwait2:
	case SYS_semtimedop:
		return !r->r10;		/* no timespec */
	case SYS_rt_sigtimedwait:
		return !r->rdx;
	case SYS_semop:
		return true;
	default:
		return false;
	}
}

static int fix_restart(struct inj *j, struct user_regs_struct *r)
{
	long rax = (long)r->rax;
	uint32_t nr;

	if ((long)r->orig_rax < 0)
		return 0;
	/* EINTR of ours only: no signal came since the process was seized */
	if (rax == -EINTR && !j->npending && !j->lost &&
	    endless_wait((uint32_t)r->orig_rax, r)) {
		r->rax = r->orig_rax;
		r->rip -= 2;
		return 0;
	}
	if (rax != -ERESTARTSYS && rax != -ERESTARTNOINTR && rax != -ERESTARTNOHAND &&
	    rax != -ERESTART_RESTARTBLOCK)
		return 0;
	/*
	 * The kernel's restart_block stays behind with this task, so
	 * restart_syscall would find nothing elsewhere: make the call again
	 * itself (a relative sleep then sleeps what was left, below).
	 */
	nr = (uint32_t)r->orig_rax;
	if (nr == SYS_restart_syscall) {
		uint8_t code[7];

		/*
		 * Stopped once already (SIGSTOP, a ptrace stop) and now in the
		 * kernel's restart of some call: which one is not in the
		 * registers, whose arguments are still the call's. Compilers
		 * and libcs load the number right before the instruction:
		 * "mov $NR, %eax; syscall".
		 */
		if (inj_get(j, r->rip - 7, code, sizeof(code)) || code[0] != 0xb8 ||
		    code[5] != 0x0f || code[6] != 0x05)
			return -EAGAIN;
		memcpy(&nr, code + 1, 4);
		if (!restart_block_user(nr))
			return -EAGAIN;
	}
	rest_of_sleep(nr, r);
	r->rax = nr;
	r->rip -= 2;
	return 0;
}

int mig_dump_state(struct inj *j, struct mig_task *t)
{
	struct ptrace_rseq_configuration rc;
	struct iovec iov = { t->xstate, sizeof(t->xstate) };
	struct mig_proc_sigs sigs;
	uint64_t cgt, ign, buf = j->scratch + 64;
	char path[64];
	ssize_t n;
	long r;
	int fd, s;

	t->regs = j->saved;
	if (ptrace(PTRACE_GETREGSET, j->pid, NT_X86_XSTATE, &iov))
		return -errno;
	t->xsize = (uint32_t)iov.iov_len;
	/* the regset may be longer than CPUID's enabled components need */
	mig_xstate_layout(&t->xl);
	if (t->xl.size > t->xsize)
		return -EPROTO;
	t->xl.size = t->xsize;
	t->sigmask = j->mask;	/* its own: the kernel's now lacks SIGTRAP */
	memset(&rc, 0, sizeof(rc));
	if (ptrace(PTRACE_GET_RSEQ_CONFIGURATION, j->pid, sizeof(rc), &rc) > 0 &&
	    rc.rseq_abi_size) {
		uint64_t cs = 0, d[4];

		t->rseq_ptr = rc.rseq_abi_pointer;
		t->rseq_len = rc.rseq_abi_size;
		t->rseq_sig = rc.signature;
		/* inside a critical section: resume at its abort handler */
		if (!inj_get(j, t->rseq_ptr + 8, &cs, 8) && cs && !inj_get(j, cs, d, sizeof(d)) &&
		    t->regs.rip - d[1] < d[2])
			t->regs.rip = d[3];
	}
	if (syscall(SYS_get_robust_list, j->pid, &t->robust_head, &t->robust_len))
		return -errno;
	r = read_stat_mm(j->pid, t);
	if (r)
		return (int)r;
	snprintf(path, sizeof(path), "/proc/%d/auxv", j->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, t->auxv, sizeof(t->auxv));
	close(fd);
	if (n <= 0 || n % 16)
		return -EIO;
	t->auxv_bytes = (uint32_t)n;
	r = fix_restart(j, &t->regs);
	if (r)
		return (int)r;

	r = mig_proc_sigs(j->pid, &sigs);
	if (r)
		return (int)r;
	cgt = sigs.cgt;
	ign = sigs.ign;
	if (j->trap_ign)	/* our first trap made it SIG_DFL (mig_inject.h) */
		ign |= 1ull << (SIGTRAP - 1);
	for (s = 1; s <= MIG_NSIG; s++) {
		memset(&t->act[s], 0, sizeof(t->act[s]));
		if (ign & (1ull << (s - 1)))
			t->act[s].handler = (uint64_t)(uintptr_t)SIG_IGN;
		if (!(cgt & (1ull << (s - 1))))
			continue;
		r = inj_call(j, SYS_rt_sigaction, s, 0, (long)buf, 8, 0, 0);
		if (r)
			return r < 0 ? (int)r : -EIO;
		r = inj_get(j, buf, &t->act[s], sizeof(t->act[s]));
		if (r)
			return (int)r;
	}
	r = inj_call(j, SYS_sigaltstack, 0, (long)buf, 0, 0, 0, 0);
	if (r || inj_get(j, buf, &t->ss_sp, 24))
		return r < 0 ? (int)r : -EIO;
	r = inj_call(j, SYS_brk, 0, 0, 0, 0, 0, 0);
	if (r < 0)
		return (int)r;
	t->brk = (uint64_t)r;
	return inj_restore(j);
}

int mig_dump_cant(struct inj *j, enum mig_cant *ret)
{
	uint64_t io[8], tv[4], buf = j->scratch + 64;
	struct iovec iov = { io, sizeof(io) };
	long r = 0;
	int e;

	*ret = MIG_CAN;
	if (j->saved.cs != USER_CS_64) {
		*ret = MIG_CANT_COMPAT;
		return 0;
	}
	/* the regset answers only while the task has a bitmap */
	if (ptrace(PTRACE_GETREGSET, j->pid, NT_386_IOPERM, &iov) == 0) {
		*ret = MIG_CANT_IOPORT;
		return 0;
	}
	for (int which = ITIMER_VIRTUAL; which <= ITIMER_PROF && !r; which++) {
		r = inj_call(j, SYS_getitimer, which, (long)buf, 0, 0, 0, 0);
		if (!r)
			r = inj_get(j, buf, tv, sizeof(tv));
		/* struct itimerval: the interval, then the value; armed if set */
		if (!r && (tv[2] || tv[3])) {
			*ret = MIG_CANT_CPU_TIMER;
			break;
		}
	}
	e = inj_restore(j);
	return r ? (int)(r < 0 ? r : -EIO) : e;
}

static bool is_special(const char *name)
{
	return !strcmp(name, "[vvar]") || !strcmp(name, "[vvar_vclock]") ||
	       !strcmp(name, "[vdso]") || !strcmp(name, "[vsyscall]");
}

static bool excluded(uint64_t s, uint64_t e, const struct mig_excl *x, int n)
{
	for (int k = 0; k < n; k++)
		if (s < x[k].end && x[k].start < e)
			return true;
	return false;
}

static int count_pages(int pm, struct mig_vma *v, uint64_t *ent, size_t ent_max,
		       const struct mig_pagebits *pb, uint32_t vi);

/* two bits a page: the cap, 64 MiB of them (a 1 TiB span of VMAs) */
#define PAGEBITS_MAX (64ull << 23)
#define PM_PRESENT (1ull << 63)
#define PM_SWAP (1ull << 62)
#define PM_FILE (1ull << 61)

void mig_pagebits_free(struct mig_pagebits *pb)
{
	if (!pb)
		return;
	free(pb->bits);
	free(pb->first);
	memset(pb, 0, sizeof(*pb));
}

/* Drop the bits for good (too many, no memory): pagemap is read instead. */
static void pagebits_give_up(struct mig_pagebits *pb)
{
	mig_pagebits_free(pb);
	pb->cap = UINT64_MAX;	/* never again for this dump */
}

/* Room for VMA @vi of @pages pages; false once the bits are given up. */
static bool pagebits_add(struct mig_pagebits *pb, uint32_t vi, uint64_t pages)
{
	uint64_t need;

	if (!pb || pb->cap == UINT64_MAX)
		return false;
	need = pb->nbits + 2 * pages;
	if (vi != pb->nfirst || need > PAGEBITS_MAX) {
		pagebits_give_up(pb);
		return false;
	}
	if (pb->nfirst == pb->first_cap) {
		uint32_t c = pb->first_cap ? pb->first_cap * 2 : 64;
		uint64_t *f = realloc(pb->first, c * sizeof(*f));

		if (!f) {
			pagebits_give_up(pb);
			return false;
		}
		pb->first = f;
		pb->first_cap = c;
	}
	if (need > pb->cap) {
		uint64_t c = pb->cap ? pb->cap * 2 : 1u << 16;
		uint64_t *b;

		while (c < need)
			c *= 2;
		b = realloc(pb->bits, c / 8);
		if (!b) {
			pagebits_give_up(pb);
			return false;
		}
		memset((uint8_t *)b + pb->cap / 8, 0, (c - pb->cap) / 8);
		pb->bits = b;
		pb->cap = c;
	}
	pb->first[pb->nfirst++] = pb->nbits;
	pb->nbits = need;
	return true;
}

static bool pagebits_have(const struct mig_pagebits *pb, uint32_t vi)
{
	return pb && pb->bits && vi < pb->nfirst;
}

static void bit_set(uint64_t *b, uint64_t i)
{
	b[i / 64] |= 1ull << (i % 64);
}

static bool bit_test(const uint64_t *b, uint64_t i)
{
	return (b[i / 64] >> (i % 64)) & 1;
}

/* The pagemap entries of pages @k0.. of VMA @vi into its bits. */
static void pagebits_put(struct mig_pagebits *pb, uint32_t vi, uint64_t k0,
			 const uint64_t *ent, size_t np)
{
	uint64_t at = pb->first[vi] + 2 * k0;

	for (size_t k = 0; k < np; k++, at += 2) {
		uint64_t e = ent[k];

		if (e & (PM_PRESENT | PM_SWAP))
			bit_set(pb->bits, at);
		if ((e & PM_SWAP) || ((e & PM_PRESENT) && !(e & PM_FILE)))
			bit_set(pb->bits, at + 1);
	}
}

/*
 * Entries for pages @k0.. of VMA @vi (@np of them): from @pb as
 * pagemap gave them, as far as wanted() looks (a swapped page for the
 * process's own copy, a present page of the file for the rest), else read
 * from @pm at @addr. 0 or -EIO.
 */
static int page_ents(int pm, const struct mig_pagebits *pb, uint32_t vi, uint64_t k0,
		     uint64_t addr, uint64_t *ent, size_t np)
{
	uint64_t at;

	if (!pagebits_have(pb, vi))
		return pread(pm, ent, np * 8, (off_t)(addr / MIG_PAGE * 8)) == (ssize_t)(np * 8) ?
			       0 : -EIO;
	at = pb->first[vi] + 2 * k0;
	for (size_t k = 0; k < np; k++, at += 2)
		ent[k] = bit_test(pb->bits, at + 1) ? PM_SWAP :
			 bit_test(pb->bits, at) ? PM_PRESENT | PM_FILE : 0;
	return 0;
}

int mig_dump_vmas(pid_t pid, const struct mig_excl *excl, int nexcl, struct mig_task *t,
		  struct mig_vma **ret, uint32_t *ret_count, struct mig_pagebits *pb)
{
	struct mig_vma *v = NULL, *x;
	size_t alloc = 0;
	uint32_t n = 0;
	uint64_t *ent = NULL;
	char path[64], line[4352];
	bool own_vdso = t->vdso_start == 0;
	int r = 0, pm = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	pm = open(path, O_RDONLY | O_CLOEXEC);
	ent = malloc(8u << 15);
	if (pm < 0 || !ent) {
		r = pm < 0 ? -errno : -ENOMEM;
		goto out_close;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e, off, ino;
		char perm[5], name[4096] = "", *nm = name;

		if (sscanf(line, "%llx-%llx %4s %llx %*s %llu %4095[^\n]", &s, &e, perm, &off,
			   &ino, name) < 5)
			continue;
		while (*nm == ' ')
			nm++;
		if (own_vdso && !strcmp(nm, "[vvar]"))
			t->vvar_start = s;
		if (own_vdso && !strcmp(nm, "[vdso]")) {
			struct iovec l = { t->vdso, e - s }, rv = { (void *)(uintptr_t)s, e - s };

			if (e - s > MIG_VDSO_MAX ||
			    process_vm_readv(pid, &l, 1, &rv, 1, 0) != (ssize_t)(e - s)) {
				r = -E2BIG;
				goto out_close;
			}
			t->vdso_start = s;
			t->vdso_end = e;
		}
		if (is_special(nm) || excluded(s, e, excl, nexcl))
			continue;
		if (perm[3] == 's' && perm[1] == 'w') {
			r = -EBUSY;
			goto out_close;
		}
		/* its pagemap, 8 bytes a page present or not, would take minutes */
		if (e - s > MIG_VMA_SCAN_MAX) {
			r = -EFBIG;
			goto out_close;
		}
		if (n == MIG_MAX_VMAS) {
			r = -E2BIG;
			goto out_close;
		}
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			x = realloc(v, alloc * sizeof(*v));
			if (!x) {
				r = -ENOMEM;
				goto out_close;
			}
			v = x;
		}
		x = &v[n++];
		memset(x, 0, sizeof(*x));
		x->start = s;
		x->end = e;
		x->prot = (perm[0] == 'r' ? PROT_READ : 0) | (perm[1] == 'w' ? PROT_WRITE : 0) |
			  (perm[2] == 'x' ? PROT_EXEC : 0);
		x->kind = !strcmp(nm, "[stack]") ? MIG_VK_STACK :
			  !strcmp(nm, "[heap]") ? MIG_VK_HEAP :
			  ino ? MIG_VK_FILE : MIG_VK_ANON;
		/* every VMA's bits, a file's too: its count may be asked again */
		if (pagebits_add(pb, n - 1, (e - s) / MIG_PAGE)) {
			for (uint64_t a = s; a < e;) {
				size_t np = (e - a) / MIG_PAGE;

				if (np > 1u << 15)
					np = 1u << 15;
				if (pread(pm, ent, np * 8, (off_t)(a / MIG_PAGE * 8)) !=
				    (ssize_t)(np * 8)) {
					r = -EIO;
					goto out_close;
				}
				pagebits_put(pb, n - 1, (a - s) / MIG_PAGE, ent, np);
				a += np * MIG_PAGE;
			}
		}
		r = count_pages(pm, x, ent, 1u << 15, pb, n - 1);
		if (r)
			goto out_close;
	}
	*ret = v;
	*ret_count = n;
	v = NULL;
out_close:
	free(v);
	free(ent);
	if (pm >= 0)
		close(pm);
	fclose(f);
	return r;
}

/*
 * Whether a VMA sends every page without looking: one of a file the node
 * cannot map itself (nothing of it may be missing there).
 */
static bool all_pages(const struct mig_vma *v)
{
	return v->kind == MIG_VK_FILE && !v->file;
}

/*
 * Whether the page with pagemap entry @e goes: present or swapped; in a
 * file the node maps itself, only the process's own copies (present and
 * not a page of the file, or swapped: copy-on-write pages are anonymous).
 */
static bool wanted(const struct mig_vma *v, uint64_t e)
{
	if (v->file)
		return ((e >> 62) & 1) || ((e >> 63) && !((e >> 61) & 1));
	return e >> 62;
}

static int count_pages(int pm, struct mig_vma *v, uint64_t *ent, size_t ent_max,
		       const struct mig_pagebits *pb, uint32_t vi)
{
	v->pages = 0;
	for (uint64_t a = v->start; a < v->end;) {
		size_t np = (v->end - a) / MIG_PAGE;

		if (np > ent_max)
			np = ent_max;
		if (all_pages(v)) {
			v->pages += np;
		} else {
			if (page_ents(pm, pb, vi, (a - v->start) / MIG_PAGE, a, ent, np))
				return -EIO;
			for (size_t k = 0; k < np; k++)
				v->pages += wanted(v, ent[k]);
		}
		a += np * MIG_PAGE;
	}
	return 0;
}

int mig_dump_count(pid_t pid, struct mig_vma *v, uint32_t n, const struct mig_pagebits *pb)
{
	uint64_t *ent = malloc(8u << 15);
	char path[64];
	int r = 0, pm;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	pm = open(path, O_RDONLY | O_CLOEXEC);
	if (pm < 0 || !ent) {
		r = pm < 0 ? -errno : -ENOMEM;
		goto out_free;
	}
	for (uint32_t i = 0; i < n && !r; i++)
		if (v[i].kind == MIG_VK_FILE)
			r = count_pages(pm, &v[i], ent, 1u << 15, pb, i);
	close(pm);
out_free:
	free(ent);
	return r;
}

/* Read a run from the process: process_vm_readv, else /proc/PID/mem for
 * pages it may not read itself; beyond EOF of a file mapping: zeros. */
static void read_run(pid_t pid, int mem, uint64_t a, uint8_t *buf, size_t len, int prot)
{
	struct iovec l = { buf, len }, r = { (void *)(uintptr_t)a, len };

	if ((prot & PROT_READ) && process_vm_readv(pid, &l, 1, &r, 1, 0) == (ssize_t)len)
		return;
	if (pread(mem, buf, len, (off_t)a) == (ssize_t)len)
		return;
	for (size_t o = 0; o < len; o += MIG_PAGE)
		if (pread(mem, buf + o, MIG_PAGE, (off_t)(a + o)) != (ssize_t)MIG_PAGE)
			memset(buf + o, 0, MIG_PAGE);
}

int mig_dump_pages(pid_t pid, const struct mig_vma *v, uint32_t n, struct mig_chan *c,
		   struct mig_dump_stats *st, const struct mig_pagebits *pb)
{
	struct mig_vmas_hdr vh = { .count = n };
	struct mig_end end = { .nvma = n };
	uint64_t *ent = NULL, t0 = mig_now_ns();
	char path[64];
	int r, pm, mem;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	pm = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	mem = open(path, O_RDONLY | O_CLOEXEC);
	ent = malloc(RUN_MAX / MIG_PAGE * 8);
	if (pm < 0 || mem < 0 || !ent) {
		r = errno ? -errno : -ENOMEM;
		goto out;
	}
	r = mig_chan_send2(c, MIG_M_VMAS, &vh, sizeof(vh), v, (size_t)n * sizeof(*v));
	for (uint32_t i = 0; !r && i < n; i++) {
		const struct mig_vma *x = &v[i];

		for (uint64_t a = x->start; !r && a < x->end;) {
			size_t np = (x->end - a) / MIG_PAGE, k = 0;

			if (np > RUN_MAX / MIG_PAGE)
				np = RUN_MAX / MIG_PAGE;
			if (!all_pages(x) &&
			    page_ents(pm, pb, i, (a - x->start) / MIG_PAGE, a, ent, np)) {
				r = -EIO;
				break;
			}
			while (!r && k < np) {
				bool want = all_pages(x) || wanted(x, ent[k]);
				size_t e = k;
				struct mig_pages_hdr ph;
				uint8_t *room;

				while (e < np && (all_pages(x) || wanted(x, ent[e])) == want)
					e++;
				if (!want) {
					st->pages_skipped += e - k;
					k = e;
					continue;
				}
				ph.addr = a + k * MIG_PAGE;
				ph.len = (e - k) * MIG_PAGE;
				/* read into the record itself: one copy less than send2 */
				room = mig_chan_room(c, sizeof(ph) + ph.len);
				if (!room) {
					r = -ENOMEM;
					break;
				}
				memcpy(room, &ph, sizeof(ph));
				read_run(pid, mem, ph.addr, room + sizeof(ph), ph.len,
					 (int)x->prot);
				r = mig_chan_send_room(c, MIG_M_PAGES, sizeof(ph) + ph.len);
				st->bytes += ph.len;
				end.pages += e - k;
				k = e;
			}
			a += np * MIG_PAGE;
		}
	}
	if (!r)
		r = mig_chan_send2(c, MIG_M_END, &end, sizeof(end), NULL, 0);
	st->mem_ns = mig_now_ns() - t0;
out:
	free(ent);
	if (pm >= 0)
		close(pm);
	if (mem >= 0)
		close(mem);
	return r;
}
