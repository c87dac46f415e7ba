// SPDX-License-Identifier: GPL-2.0-only
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/prctl.h>
#include <linux/seccomp.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine/mig_filter.h"
#include "engine/mig_stage.h"
#include "restore.inc"

#define KEEP_STACK (64 * 1024)
#define KEEP_FRAME (64 * 1024)

static uint64_t page_up(uint64_t x)
{
	return (x + MIG_PAGE - 1) & ~(MIG_PAGE - 1);
}

struct span {
	uint64_t s, e;
};

/*
 * Seconds of a CPU-time limit left after @used_ns: the guest's own clock
 * starts near 0, so it gets what the process had not used yet (rounded
 * up: never early), at least 1 (0 would mean none).
 */
static uint64_t cpu_left(uint64_t lim, uint64_t used_ns)
{
	uint64_t used_s = (used_ns + 999999999ull) / 1000000000ull;

	if (lim == RLIM_INFINITY)
		return RLIM_INFINITY;
	return lim > used_s ? lim - used_s : 1;
}

/* Home's limits on CPU time and memory, for the restorer to set. */
static void set_limits(struct blob_args *a, const struct mig_task *t)
{
	static const int res[MIG_RLIM_NR] = MIG_RLIM_RES;

	_Static_assert(MIG_RLIM_NR <= BLOB_MAX_RLIM, "room for every limit");
	for (int i = 0; i < MIG_RLIM_NR; i++) {
		struct blob_rlim *l = &a->rlim[i];

		l->res = (uint32_t)res[i];
		l->cur = t->rlim[i].cur;
		l->max = t->rlim[i].max;
		if (res[i] == RLIMIT_CPU) {
			l->cur = cpu_left(l->cur, t->cpu_ns);
			l->max = cpu_left(l->max, t->cpu_ns);
		}
	}
	a->nrlim = MIG_RLIM_NR;
}

/* This node's [vvar*] and [vdso] mappings in the guest. */
struct specials {
	struct span vvar, vdso, block;	/* block: all of them together */
	int n;
	struct span each[4];
};

static int read_specials(struct specials *sp)
{
	char l[512];
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return -errno;
	memset(sp, 0, sizeof(*sp));
	sp->block.s = ~0ull;
	while (fgets(l, sizeof(l), f)) {
		unsigned long long s, e;
		char name[64] = "";

		if (sscanf(l, "%llx-%llx %*s %*s %*s %*s %63s", &s, &e, name) < 2)
			continue;
		if (strncmp(name, "[vvar", 5) && strcmp(name, "[vdso]"))
			continue;
		if (s < sp->block.s)
			sp->block.s = s;
		if (e > sp->block.e)
			sp->block.e = e;
		if (!strcmp(name, "[vvar]"))
			sp->vvar = (struct span){ s, e };
		if (!strcmp(name, "[vdso]"))
			sp->vdso = (struct span){ s, e };
		if (sp->n < 4)
			sp->each[sp->n++] = (struct span){ s, e };
	}
	fclose(f);
	return sp->vdso.s ? 0 : -ENOENT;
}

static bool overlaps_image(const struct mig_stage_shared *sh, uint64_t s, uint64_t e)
{
	const struct mig_task *t = &sh->task;

	for (uint32_t i = 0; i < sh->nvma; i++)
		if (s < sh->vmas[i].end && sh->vmas[i].start < e)
			return true;
	if (t->home_scratch_len && s < t->home_scratch + t->home_scratch_len &&
	    t->home_scratch < e)
		return true;
	return s < t->vdso_end && t->vvar_start < e;
}

/* dynsym of a vDSO image: the offset of @want, or each function to @fn. */
static uint64_t vdso_sym(const uint8_t *img, size_t len, const char *want,
			 void (*fn)(const char *, uint64_t, void *), void *arg)
{
	const Elf64_Ehdr *e = (const void *)img;
	const Elf64_Shdr *sh;

	if (len < sizeof(*e) || memcmp(e->e_ident, ELFMAG, SELFMAG) ||
	    e->e_shoff + (uint64_t)e->e_shnum * sizeof(*sh) > len)
		return 0;
	sh = (const void *)(img + e->e_shoff);
	for (int i = 0; i < e->e_shnum; i++) {
		const Elf64_Sym *sym;
		const char *str;

		if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= e->e_shnum ||
		    sh[i].sh_offset + sh[i].sh_size > len ||
		    sh[sh[i].sh_link].sh_offset + sh[sh[i].sh_link].sh_size > len)
			continue;
		sym = (const void *)(img + sh[i].sh_offset);
		str = (const char *)img + sh[sh[i].sh_link].sh_offset;
		for (size_t k = 0; k < sh[i].sh_size / sizeof(*sym); k++) {
			const char *name = str + sym[k].st_name;

			if (ELF64_ST_TYPE(sym[k].st_info) != STT_FUNC || !sym[k].st_value ||
			    sym[k].st_name >= sh[sh[i].sh_link].sh_size ||
			    sym[k].st_value + 16 > len)
				continue;
			if (want && !strcmp(want, name))
				return sym[k].st_value;
			if (fn)
				fn(name, sym[k].st_value, arg);
		}
	}
	return 0;
}

struct proxy {
	uint8_t *copy;		/* home vDSO bytes, being patched */
	const uint8_t *here;	/* this node's vDSO, as mapped now */
	size_t here_len;
	uint64_t here_final;	/* where this node's vDSO will be */
	int patched, stubbed;
};

/*
 * Each exported function of the home vDSO jumps to this node's: movabs
 * $to, %r11; jmp *%r11 (r11 is scratch in the ABI). A function this node
 * lacks gets the real system call instead of the old code, which would
 * read vvar data that is not there.
 */
static void patch_one(const char *name, uint64_t off, void *arg)
{
	static const struct {
		const char *name;
		int nr;
	} sys[] = {
		{ "clock_gettime", SYS_clock_gettime }, { "gettimeofday", SYS_gettimeofday },
		{ "time", SYS_time }, { "getcpu", SYS_getcpu },
		{ "clock_getres", SYS_clock_getres }, { "getrandom", SYS_getrandom },
	};
	struct proxy *p = arg;
	uint64_t to = vdso_sym(p->here, p->here_len, name, NULL, NULL);
	uint8_t *c = p->copy + off;
	const char *base = !strncmp(name, "__vdso_", 7) ? name + 7 : name;

	if (to) {
		to += p->here_final;
		c[0] = 0x49;
		c[1] = 0xbb;
		memcpy(c + 2, &to, 8);
		c[10] = 0x41;
		c[11] = 0xff;
		c[12] = 0xe3;
		p->patched++;
		return;
	}
	for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++) {
		if (strcmp(base, sys[i].name))
			continue;
		/* mov $nr, %eax; syscall; ret (args are already in place) */
		c[0] = 0xb8;
		memcpy(c + 1, &sys[i].nr, 4);
		c[5] = 0x0f;
		c[6] = 0x05;
		c[7] = 0xc3;
		p->stubbed++;
		return;
	}
}

/*
 * The rt_sigframe rt_sigreturn will load: ucontext, siginfo, xstate, the
 * registers rewritten in this CPU's layout @l. Components this CPU lacks
 * and the process used are set in *@lost.
 */
static uint64_t build_frame(uint64_t at, const struct mig_task *t, const struct mig_xlayout *l,
			    uint64_t *lost)
{
	struct frame {
		uint64_t pretcode, flags, link, ss_sp;
		int32_t ss_flags, pad;
		uint64_t ss_size;
		struct sigcontext mc;
		uint64_t mask;
	} *f = (void *)(uintptr_t)((at + 63) & ~63ull);
	const struct user_regs_struct *r = &t->regs;
	struct sigcontext *m = &f->mc;
	uint32_t lo, hi, sw[4], magic2 = 0x46505845;
	uint8_t *xs;

	memset(f, 0, sizeof(*f));
	f->flags = 7;	/* UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS */
	f->ss_sp = t->ss_sp;
	f->ss_flags = t->ss_flags & ~SS_ONSTACK;
	f->ss_size = t->ss_size;
	m->r8 = r->r8;
	m->r9 = r->r9;
	m->r10 = r->r10;
	m->r11 = r->r11;
	m->r12 = r->r12;
	m->r13 = r->r13;
	m->r14 = r->r14;
	m->r15 = r->r15;
	m->rdi = r->rdi;
	m->rsi = r->rsi;
	m->rbp = r->rbp;
	m->rbx = r->rbx;
	m->rdx = r->rdx;
	m->rax = r->rax;
	m->rcx = r->rcx;
	m->rsp = r->rsp;
	m->rip = r->rip;
	m->eflags = r->eflags;
	m->cs = 0x33;
	m->__pad0 = 0x2b;	/* ss */
	f->mask = t->sigmask;
	/* xstate after the frame and the siginfo, 64-byte aligned */
	xs = (uint8_t *)(((uintptr_t)(f + 1) + 128 + 63) & ~(uintptr_t)63);
	memset(xs, 0, l->size);
	mig_xstate_convert(t->xstate, &t->xl, xs, l, lost);
	lo = (uint32_t)l->features;
	hi = (uint32_t)(l->features >> 32);
	/* sw_reserved: without magic1 the kernel restores only the FX part */
	sw[0] = 0x46505853;
	sw[1] = l->size + 4;
	sw[2] = lo;
	sw[3] = hi;
	memcpy(xs + 464, sw, sizeof(sw));
	memcpy(xs + 464 + 16, &l->size, 4);
	memcpy(xs + l->size, &magic2, 4);
	m->fpstate = (void *)xs;
	return (uint64_t)(uintptr_t)f;
}

/*
 * A userfaultfd over the staged VMAs, for the supervisor to fill them with
 * UFFDIO_COPY; -1 where the kernel has none for us (it then writes them
 * with process_vm_writev). User-mode faults only: no privilege needed.
 */
static int stage_uffd(const struct mig_stage_shared *sh)
{
	struct uffdio_api api = { .api = UFFD_API };
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);

	if (fd < 0)
		return -1;
	if (ioctl(fd, UFFDIO_API, &api))
		goto out_close;
	for (uint32_t i = 0; i < sh->nvma; i++) {
		struct uffdio_register reg = {
			.range = { sh->stage[i], sh->vmas[i].end - sh->vmas[i].start },
			.mode = UFFDIO_REGISTER_MODE_MISSING,
		};

		/* a file's pages are there already (the kernel takes no
		 * userfaultfd on them): the changed ones are written over */
		if (sh->vmas[i].file)
			continue;
		if (ioctl(fd, UFFDIO_REGISTER, &reg))
			goto out_close;
	}
	return fd;
out_close:
	close(fd);
	return -1;
}

static int fail(struct mig_stage_shared *sh, uint32_t step, int err)
{
	sh->err = err;
	sh->step = step;
	sh->staged = 2;
	syscall(SYS_futex, &sh->staged, FUTEX_WAKE, 1, 0, 0, 0);
	return err;
}

int mig_stage_run(struct mig_stage_shared *sh, struct blob_sync *sync, const int *fds)
{
	const struct mig_task *t = &sh->task;
	uint64_t code_len = page_up(sizeof(restore_bin)), args_len, keep, total, rsv = 0;
	uint64_t hvlen = t->vdso_end - t->vdso_start, cur, slot, syncp, blen;
	struct blob_args *a;
	struct specials sp;
	struct sock_filter *flt;
	struct sock_fprog *fp;
	struct mig_xlayout xl;
	uint64_t lost;
	bool move, scratch_later = false;
	int r;
	char l[512];
	FILE *mf;

	r = read_specials(&sp);
	if (r)
		return fail(sh, MIG_STAGE_VDSO, r);
	/* tests: a mapping of ours where the deputy's scratch goes */
	if (sh->scratch_busy && t->home_scratch_len)
		mmap((void *)(uintptr_t)t->home_scratch, MIG_PAGE, PROT_READ,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	/*
	 * The deputy's scratch at home must stay free: the process comes back
	 * into the same address space. A mapping this process inherited may
	 * lie there (the two layouts are random): then the restorer reserves
	 * it, once it has unmapped those.
	 */
	if (t->home_scratch_len &&
	    mmap((void *)(uintptr_t)t->home_scratch, t->home_scratch_len, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0) ==
		    MAP_FAILED) {
		if (errno != EEXIST)
			return fail(sh, MIG_STAGE_RESERVE, -errno);
		scratch_later = true;
	}
	blen = sp.block.e - sp.block.s;
	/* move: same vDSO bytes at the same offset from vvar; else a proxy */
	move = !sh->force_proxy && sp.vdso.e - sp.vdso.s == hvlen &&
	       !memcmp((void *)(uintptr_t)sp.vdso.s, t->vdso, hvlen) &&
	       sp.vdso.s - sp.block.s == t->vdso_start - t->vvar_start;
	sh->vdso_proxy = !move;
	args_len = page_up(sizeof(*a) + (sh->nvma + 8) * sizeof(struct blob_range));
	keep = code_len + args_len + KEEP_FRAME + MIG_PAGE + KEEP_STACK;
	total = keep + blen + page_up(hvlen) + MIG_PAGE;
	for (uint32_t i = 0; i < sh->nvma; i++)
		total += sh->vmas[i].end - sh->vmas[i].start;
	for (uint64_t hint = 0x100000000000ull; hint < 0x700000000000ull;
	     hint += 0x100000000000ull) {
		void *p;

		if (overlaps_image(sh, hint, hint + total))
			continue;
		p = mmap((void *)(uintptr_t)hint, total, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
		if (p != MAP_FAILED) {
			rsv = (uint64_t)(uintptr_t)p;
			break;
		}
	}
	if (!rsv)
		return fail(sh, MIG_STAGE_RESERVE, -ENOMEM);
	/* keep: code | args | frame | sync page | stack */
	if (mmap((void *)(uintptr_t)rsv, keep, PROT_READ | PROT_WRITE | PROT_EXEC,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		return fail(sh, MIG_STAGE_RESERVE, -errno);
	memcpy((void *)(uintptr_t)rsv, restore_bin, sizeof(restore_bin));
	a = (struct blob_args *)(uintptr_t)(rsv + code_len);
	a->rsv = rsv;
	a->rsv_len = total;
	a->keep_len = keep;
	cur = rsv + keep;
	slot = cur;
	cur += blen;
	/* this node's vDSO block moves as a whole via the slot (the home
	 * block may overlap where it is now), then onto home's address */
	for (int i = 0; i < sp.n; i++) {
		uint64_t s = sp.each[i].s, len = sp.each[i].e - s, to = slot + (s - sp.block.s);

		a->move[a->nmove++] = (struct blob_range){ s, to, len, BLOB_KEEP_PROT, 0 };
		if (move)
			a->move[a->nmove++] = (struct blob_range){
				to, t->vdso_start - (sp.vdso.s - s), len, BLOB_KEEP_PROT, 0 };
	}
	if (!move) {
		struct proxy p = { 0 };
		uint8_t *c = mmap((void *)(uintptr_t)cur, page_up(hvlen), PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

		if (c == MAP_FAILED)
			return fail(sh, MIG_STAGE_VDSO, -errno);
		memcpy(c, t->vdso, hvlen);
		p.copy = c;
		p.here = (const uint8_t *)(uintptr_t)sp.vdso.s;
		p.here_len = sp.vdso.e - sp.vdso.s;
		p.here_final = slot + (sp.vdso.s - sp.block.s);
		vdso_sym(t->vdso, hvlen, NULL, patch_one, &p);
		if (!p.patched)
			return fail(sh, MIG_STAGE_VDSO, -ENOEXEC);
		a->keep_len += blen;	/* this node's vDSO stays in the slot */
		a->move[a->nmove++] = (struct blob_range){ cur, t->vdso_start, page_up(hvlen),
							   PROT_READ | PROT_EXEC, 0 };
		cur += page_up(hvlen);
	}
	/* every VMA staged read-write; the supervisor writes the pages */
	for (uint32_t i = 0; i < sh->nvma; i++) {
		const struct mig_vma *x = &sh->vmas[i];
		uint64_t len = x->end - x->start;
		int fl = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED |
			 (x->kind == MIG_VK_STACK ? MAP_GROWSDOWN : 0);

		if (x->file) {
			/* private: the process's own copies go over it, not into it */
			if (mmap((void *)(uintptr_t)cur, len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_FIXED, fds[x->file - 1],
				 (off_t)x->off) == MAP_FAILED)
				return fail(sh, MIG_STAGE_MAP, -errno);
		} else if (mmap((void *)(uintptr_t)cur, len, PROT_READ | PROT_WRITE, fl, -1, 0) ==
			   MAP_FAILED) {
			return fail(sh, MIG_STAGE_MAP, -errno);
		}
		sh->stage[i] = cur;
		a->move[a->nmove++] = (struct blob_range){ cur, x->start, len, x->prot, 0 };
		cur += len;
	}
	sh->keep_start = rsv;
	sh->keep_end = rsv + a->keep_len;
	sh->uffd = stage_uffd(sh);
	sh->staged = 1;
	syscall(SYS_futex, &sh->staged, FUTEX_WAKE, 1, 0, 0, 0);
	while (sh->filled == 0)
		syscall(SYS_futex, &sh->filled, FUTEX_WAIT, 0, NULL, 0, 0);
	if (sh->uffd >= 0)
		close(sh->uffd);
	if (sh->filled != 1)
		return -ECANCELED;

	/* the sync page into the kept area, so nothing else of ours remains */
	syncp = rsv + code_len + args_len + KEEP_FRAME;
	if (mremap(sync, MIG_PAGE, MIG_PAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
		   (void *)(uintptr_t)syncp) == MAP_FAILED)
		return fail(sh, MIG_STAGE_SYNC, -errno);
	a->sync = syncp;
	a->mm[0] = t->start_code;
	a->mm[1] = t->end_code;
	a->mm[2] = t->start_data;
	a->mm[3] = t->end_data;
	a->mm[4] = t->start_brk;
	a->mm[5] = t->brk;
	a->mm[6] = t->start_stack;
	a->mm[7] = t->arg_start;
	a->mm[8] = t->arg_end;
	a->mm[9] = t->env_start;
	a->mm[10] = t->env_end;
	{
		uint64_t *auxv = (uint64_t *)(uintptr_t)(rsv + code_len + args_len);

		memcpy(auxv, t->auxv, t->auxv_bytes);
		a->mm[11] = (uint64_t)(uintptr_t)auxv;
		a->mm[12] = (0xffffffffull << 32) | t->auxv_bytes;	/* exe_fd -1, size */
		flt = (struct sock_filter *)(auxv + MIG_AUXV_MAX);
	}
	fp = (struct sock_fprog *)(flt + MIG_FILTER_MAX);
	fp->len = (unsigned short)mig_filter_build(flt, sh->filter_flags);
	fp->filter = flt;
	a->fprog = (uint64_t)(uintptr_t)fp;
	mig_xstate_layout(&xl);
	a->frame = build_frame((uint64_t)(uintptr_t)(fp + 1), t, &xl, &lost);
	if (lost)
		return fail(sh, MIG_STAGE_XSTATE, -EOPNOTSUPP);
	a->fs_base = t->regs.fs_base;
	a->gs_base = t->regs.gs_base;
	a->robust_head = t->robust_head;
	a->robust_len = t->robust_len;
	a->rseq_ptr = t->rseq_ptr;
	a->rseq_len = t->rseq_len;
	a->rseq_sig = t->rseq_sig;
	for (int s = 1; s <= MIG_NSIG; s++)
		memcpy(&a->act[s], &t->act[s], sizeof(a->act[s]));
	set_limits(a, t);
	a->nice = t->nice;
	a->policy = t->policy;
	a->sched_priority = 0;
	a->personality = t->personality;
	if (scratch_later) {
		a->scratch = t->home_scratch;
		a->scratch_len = t->home_scratch_len;
	}
	/* our own rseq goes now, while libc still knows where it is */
	if (__rseq_size) {
		char *area = (char *)__builtin_thread_pointer() + __rseq_offset;

		/* glibc registers 32 bytes even where __rseq_size says less */
		if (syscall(SYS_rseq, area, 32, 1, RSEQ_SIG) &&
		    syscall(SYS_rseq, area, __rseq_size, 1, RSEQ_SIG))
			return fail(sh, MIG_STAGE_SYNC, -errno);
	}
	/* everything else of ours is unmapped by the blob */
	mf = fopen("/proc/self/maps", "re");
	if (!mf)
		return fail(sh, MIG_STAGE_SYNC, -errno);
	while (fgets(l, sizeof(l), mf)) {
		unsigned long long s, e;

		if (sscanf(l, "%llx-%llx", &s, &e) != 2)
			continue;
		if ((s >= rsv && e <= rsv + total) || (s >= sp.block.s && e <= sp.block.e) ||
		    s >= 0xffffffffff600000ull ||
		    (!scratch_later && s >= t->home_scratch &&
		     e <= t->home_scratch + t->home_scratch_len))
			continue;
		if (a->nunmap == BLOB_MAX_UNMAP) {
			fclose(mf);
			return fail(sh, MIG_STAGE_SYNC, -E2BIG);
		}
		a->unmap[a->nunmap++] = (struct blob_range){ s, 0, e - s, 0, 0 };
	}
	fclose(mf);
	asm volatile("mov %0, %%rsp\n\t"
		     "call *%1" : : "r"(rsv + keep - 64), "r"(rsv), "D"(a) : "memory");
	return fail(sh, MIG_STAGE_SYNC, -EFAULT);
}
