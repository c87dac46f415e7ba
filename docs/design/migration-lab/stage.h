/* stage.h - the restorer's first half, in the guest process G with libc:
 * read the image from the socket, pick a reservation that overlaps neither
 * the image nor the vDSO target, stage every VMA inside it, decide how to
 * place the vDSO (move it, or proxy: keep the home vDSO bytes at their
 * address with each entry patched to jump into this kernel's vDSO), build
 * the rt_sigframe and the filter, then jump to the blob. */
#ifndef STAGE_H
#define STAGE_H
#include "lab.h"
#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <linux/prctl.h>
#include <linux/filter.h>
#include "blob.inc"

struct spec { uint64_t s, e; };
static struct img_hdr H;
static struct img_vma V[MAX_VMAS];

static int overlaps(uint64_t s, uint64_t e)
{
	for (uint32_t i = 0; i < H.nvma; i++)
		if (s < V[i].end && V[i].start < e) return 1;
	return s < H.vdso_end && H.vvar_start < e;
}

/* dynsym of a vDSO image: name -> offset; calls @fn for each function */
static uint64_t vdso_sym(const uint8_t *img, const char *want, void (*fn)(const char *, uint64_t, void *), void *arg)
{
	const Elf64_Ehdr *e = (const void *)img;
	const Elf64_Shdr *sh = (const void *)(img + e->e_shoff);
	for (int i = 0; i < e->e_shnum; i++) {
		if (sh[i].sh_type != SHT_DYNSYM) continue;
		const Elf64_Sym *sym = (const void *)(img + sh[i].sh_offset);
		const char *str = (const char *)img + sh[sh[i].sh_link].sh_offset;
		for (size_t k = 0; k < sh[i].sh_size / sizeof(*sym); k++) {
			if (ELF64_ST_TYPE(sym[k].st_info) != STT_FUNC || !sym[k].st_value) continue;
			if (want && !strcmp(want, str + sym[k].st_name)) return sym[k].st_value;
			if (fn) fn(str + sym[k].st_name, sym[k].st_value, arg);
		}
	}
	return 0;
}
struct proxy { uint8_t *copy; const uint8_t *rt; uint64_t rt_addr; int n; };
static void patch_one(const char *name, uint64_t off, void *arg)
{
	struct proxy *p = arg;
	uint64_t to = vdso_sym(p->rt, name, NULL, NULL);
	if (!to) return;	/* a symbol this kernel lacks: leave the old code */
	to += p->rt_addr;
	uint8_t *c = p->copy + off;	/* movabs $to, %r11; jmp *%r11 */
	c[0] = 0x49; c[1] = 0xbb; memcpy(c + 2, &to, 8); c[10] = 0x41; c[11] = 0xff; c[12] = 0xe3;
	p->n++;
}

static void build_filter(struct sock_filter *f, uint32_t *n)
{
	static const int local[] = { SYS_brk, SYS_munmap, SYS_mremap, SYS_mprotect, SYS_madvise,
		SYS_futex, SYS_set_robust_list, SYS_get_robust_list, SYS_rseq, SYS_clock_gettime,
		SYS_clock_getres, SYS_gettimeofday, SYS_time, SYS_clock_nanosleep, SYS_nanosleep,
		SYS_getrandom, SYS_sched_yield, SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_rt_sigreturn,
		SYS_sigaltstack, SYS_rt_sigpending, SYS_rt_sigsuspend, SYS_rt_sigtimedwait, SYS_exit,
		SYS_exit_group, SYS_restart_syscall, SYS_getcpu, SYS_mincore, SYS_msync, SYS_membarrier };
	int k = 0, nl = sizeof(local) / sizeof(local[0]);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4);	/* arch */
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xc000003e, 1, 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0x80000000);	/* KILL_PROCESS */
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0);	/* nr */
	for (int i = 0; i < nl; i++)
		f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, local[i], nl - i + 3, 0);
	/* anonymous mmap is local, file mmap goes home */
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 0, 2);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 16 + 3 * 8);
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, MAP_ANONYMOUS, 1, 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0x7fc00000);	/* USER_NOTIF */
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0x7fff0000);	/* ALLOW */
	*n = k;
}

static void read_specials(struct spec *vv, struct spec *vd, struct spec *blk)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char l[512];
	blk->s = ~0ul; blk->e = 0;
	while (fgets(l, sizeof(l), f)) {
		unsigned long s, e; char name[64] = "";
		sscanf(l, "%lx-%lx %*s %*s %*s %*s %63s", &s, &e, name);
		if (!strncmp(name, "[vvar", 5) || !strcmp(name, "[vdso]")) {
			if (s < blk->s) blk->s = s;
			if (e > blk->e) blk->e = e;
		}
		if (!strcmp(name, "[vvar]")) { vv->s = s; vv->e = e; }
		if (!strcmp(name, "[vdso]")) { vd->s = s; vd->e = e; }
	}
	fclose(f);
}

/* Runs in G. Returns only on failure. */
__attribute__((unused)) static int stage_and_jump(int in, uint32_t *sync, struct img_hdr *hs, int force_proxy)
{
	if (read_full(in, &H, sizeof(H)) || H.magic != IMG_MAGIC || H.nvma > MAX_VMAS ||
	    H.xsize > XSTATE_MAX || read_full(in, V, sizeof(V[0]) * H.nvma)) return -1;
	uint64_t *sync64 = (uint64_t *)(sync + 8);	/* [3..4] blob area */
	*hs = H;	/* the supervisor keeps the header (shared mapping) */
	const char *fault = getenv("LAB_FAULT");	/* fault injection, CRIU_FAULT style */
	if (fault && !strcmp(fault, "stage")) return -1;
	struct spec vv = { 0, 0 }, vd = { 0, 0 }, blk;
	read_specials(&vv, &vd, &blk);
	uint64_t vlen = vd.e - vd.s, hvlen = H.vdso_end - H.vdso_start;
	int move = !force_proxy && vlen == hvlen && !memcmp((void *)vd.s, H.vdso, vlen) &&
		   vd.s - blk.s == H.vdso_start - H.vvar_start;
	uint64_t keep = (sizeof(blob_bin) + 4095) / 4096 * 4096 + 64 * 4096 + 65536;
	uint64_t total = keep + (blk.e - blk.s) + hvlen + 4096;
	for (uint32_t i = 0; i < H.nvma; i++) total += V[i].end - V[i].start;
	uint64_t rsv = 0;
	for (uint64_t hint = 0x100000000000; hint < 0x700000000000; hint += 0x100000000000) {
		if (overlaps(hint, hint + total)) continue;
		void *p = mmap((void *)hint, total, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
		if (p != MAP_FAILED) { rsv = (uint64_t)p; break; }
	}
	if (!rsv) return -1;
	/* blob area: code | args | header copy | frame | stack */
	if (mmap((void *)rsv, keep, PROT_READ | PROT_WRITE | PROT_EXEC,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) return -1;
	memcpy((void *)rsv, blob_bin, sizeof(blob_bin));
	struct blob_args *a = (void *)(rsv + (sizeof(blob_bin) + 4095) / 4096 * 4096);
	struct img_hdr *h = (void *)(a + 1);
	*h = H;
	a->h = h; a->rsv = rsv; a->rsv_len = total; a->keep_len = keep;
	uint64_t cur = rsv + keep, slot = cur;
	cur += blk.e - blk.s;
	/* the vDSO first: move it onto the home address, or proxy */
	for (uint64_t s = blk.s; s < blk.e;) {	/* each special VMA moves as a whole */
		uint64_t e = s == vd.s ? vd.e : (s == vv.s ? vv.e : vd.s);
		uint64_t to = slot + (s - blk.s);	/* via the slot: blocks may overlap */
		a->move[a->nmove++] = (struct blob_range){ s, to, e - s, 0xffffffff, 0 };
		if (move)
			a->move[a->nmove++] = (struct blob_range){ to, H.vdso_start - (vd.s - s),
								    e - s, 0xffffffff, 0 };
		s = e;
	}
	if (!move) {	/* stage the proxy: home bytes, entries jump to our vDSO */
		a->keep_len += blk.e - blk.s;	/* which stays in the slot */
		uint8_t *c = mmap((void *)cur, hvlen, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		memcpy(c, H.vdso, hvlen);
		struct proxy p = { c, (const uint8_t *)vd.s, slot + (vd.s - blk.s), 0 };
		vdso_sym(H.vdso, NULL, patch_one, &p);
		a->move[a->nmove++] = (struct blob_range){ cur, H.vdso_start, hvlen, PROT_READ | PROT_EXEC, 0 };
		fprintf(stderr, "remote: vDSO proxy at %#lx, %d entries patched\n", (long)H.vdso_start, p.n);
		cur += hvlen;
	}
	/* memory: every VMA staged read-write, filled from the stream */
	for (uint32_t i = 0; i < H.nvma; i++) {
		struct img_vma *x = &V[i];
		uint64_t len = x->end - x->start;
		int fl = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | (x->kind == VK_STACK ? MAP_GROWSDOWN : 0);
		if (mmap((void *)cur, len, PROT_READ | PROT_WRITE, fl, -1, 0) == MAP_FAILED) return -1;
		for (uint64_t got = 0; got < x->bytes;) {
			uint64_t run[2];
			if (read_full(in, run, 16) || run[0] < x->start || run[1] > x->end - run[0] ||
			    read_full(in, (void *)(cur + run[0] - x->start), run[1])) return -1;
			got += 16 + run[1];
		}
		a->move[a->nmove++] = (struct blob_range){ cur, x->start, len, x->prot, 0 };
		cur += len;
	}
	sync64[3] = rsv; sync64[4] = rsv + a->keep_len;
	/* sync page into the blob area, so nothing of ours is left elsewhere */
	uint64_t syncp = rsv + keep - 65536 - 4096;
	if (mremap(sync, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, syncp) == MAP_FAILED) return -1;
	a->sync = syncp;
	uint64_t mm[13] = { h->start_code, h->end_code, h->start_data, h->end_data, h->start_brk,
		h->brk, h->start_stack, h->arg_start, h->arg_end, h->env_start, h->env_end,
		(uint64_t)h->auxv, ((uint64_t)0xffffffff << 32) | h->auxv_size };
	memcpy(a->mm, mm, sizeof(mm));
	if (fault && !strcmp(fault, "blob")) a->mm[4] = 0;	/* PR_SET_MM_MAP refuses */
	struct sock_filter *flt = (void *)(h + 1);
	uint32_t nf;
	build_filter(flt, &nf);
	struct sock_fprog *fp = (void *)(flt + nf);
	fp->len = nf; fp->filter = flt;
	a->fprog = (uint64_t)fp;
	/* rt_sigframe: pretcode, ucontext, siginfo, then 64-aligned xstate */
	uint64_t fr = ((uint64_t)(fp + 1) + 63) & ~63ul;
	struct { uint64_t pretcode, flags, link, ss_sp; int32_t ss_flags, pad; uint64_t ss_size;
		 struct sigcontext mc; uint64_t mask; } *f = (void *)fr;
	memset(f, 0, sizeof(*f));
	f->flags = 7;	/* UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS */
	f->ss_sp = h->ss_sp; f->ss_flags = h->ss_flags & ~1; f->ss_size = h->ss_size;
	struct user_regs_struct *r = &h->regs;
	struct sigcontext *m = &f->mc;
	m->r8 = r->r8; m->r9 = r->r9; m->r10 = r->r10; m->r11 = r->r11; m->r12 = r->r12;
	m->r13 = r->r13; m->r14 = r->r14; m->r15 = r->r15; m->rdi = r->rdi; m->rsi = r->rsi;
	m->rbp = r->rbp; m->rbx = r->rbx; m->rdx = r->rdx; m->rax = r->rax; m->rcx = r->rcx;
	m->rsp = r->rsp; m->rip = r->rip; m->eflags = r->eflags; m->cs = 0x33; m->__pad0 = 0x2b;
	f->mask = h->sigmask;
	uint8_t *xs = (uint8_t *)((fr + sizeof(*f) + 128 + 63) & ~63ul);
	memcpy(xs, h->xstate, h->xsize);
	uint32_t lo, hi;
	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	uint32_t sw[4] = { 0x46505853, h->xsize + 4, lo, hi };	/* magic1, size, xfeatures */
	if (fault && !strcmp(fault, "xstate")) sw[0] = 0;	/* negative control: legacy FX only */
	memcpy(xs + 464, sw, 16);
	memcpy(xs + 464 + 16, &h->xsize, 4);
	uint32_t magic2 = 0x46505845;
	memcpy(xs + h->xsize, &magic2, 4);
	m->fpstate = (void *)xs;
	a->frame = fr;
	/* the restorer's rseq goes now, while libc still knows where it is */
	syscall(SYS_rseq, (char *)__builtin_thread_pointer() + __rseq_offset, 32, 1, RSEQ_SIG);
	/* everything else of ours is unmapped by the blob */
	FILE *mf = fopen("/proc/self/maps", "r");
	char l[512];
	while (fgets(l, sizeof(l), mf)) {
		unsigned long s, e;
		sscanf(l, "%lx-%lx", &s, &e);
		if ((s >= rsv && e <= rsv + total) || (s >= blk.s && e <= blk.e) || s >= 0xffffffffff600000ul)
			continue;
		a->unmap[a->nunmap++] = (struct blob_range){ s, 0, e - s, 0, 0 };
	}
	fclose(mf);
	void (*entry)(struct blob_args *) = (void *)rsv;
	asm volatile("mov %0, %%rsp\n\tcall *%1" : : "r"(rsv + keep - 64), "r"(entry), "D"(a) : "memory");
	return -1;
}
#endif
