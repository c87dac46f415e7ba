/* dump.h - freeze a single-threaded process with PTRACE_SEIZE+INTERRUPT and
 * write its image (lab.h layout) to a socket. Signal handlers, sigaltstack
 * and brk come from syscalls injected into the process itself. */
#ifndef DUMP_H
#define DUMP_H
#include "inject.h"
#include <elf.h>
#include <fcntl.h>
#include <linux/ptrace.h>

#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

struct dump_stats { uint64_t freeze_ns, state_ns, mem_ns, bytes, pages_skipped; };

static int parse_stat_mm(pid_t pid, struct img_hdr *h)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f)) return -1;
	fclose(f);
	char *p = strrchr(buf, ')');	/* fields after comm; field 3 is state */
	unsigned long long v[52] = { 0 };
	int i = 3;
	for (char *t = strtok(p + 2, " "); t && i < 52; t = strtok(NULL, " "), i++)
		v[i] = strtoull(t, NULL, 10);
	h->start_code = v[26]; h->end_code = v[27]; h->start_stack = v[28];
	h->start_data = v[45]; h->end_data = v[46]; h->start_brk = v[47];
	h->arg_start = v[48]; h->arg_end = v[49]; h->env_start = v[50]; h->env_end = v[51];
	return 0;
}

/* Registers, FPU, masks, rseq, robust list, mm fields, handlers. */
static int dump_state(struct inj *j, struct img_hdr *h)
{
	pid_t pid = j->pid;
	h->magic = IMG_MAGIC; h->version = IMG_VERSION;
	h->regs = j->saved;
	struct iovec iov = { h->xstate, XSTATE_MAX };
	if (ptrace(PTRACE_GETREGSET, pid, NT_X86_XSTATE, &iov)) return -1;
	h->xsize = iov.iov_len;
	if (ptrace(PTRACE_GETSIGMASK, pid, sizeof(h->sigmask), &h->sigmask)) return -1;
	struct ptrace_rseq_configuration rc;
	if (ptrace(PTRACE_GET_RSEQ_CONFIGURATION, pid, sizeof(rc), &rc) > 0 && rc.rseq_abi_size) {
		h->rseq_ptr = rc.rseq_abi_pointer; h->rseq_len = rc.rseq_abi_size;
		h->rseq_sig = rc.signature;
		/* inside an rseq critical section: resume at its abort handler */
		uint64_t cs, d[4];
		if (!inj_get(j, h->rseq_ptr + 8, &cs, 8) && cs && !inj_get(j, cs, d, 32) &&
		    h->regs.rip - d[1] < d[2]) h->regs.rip = d[3];
	}
	if (syscall(SYS_get_robust_list, pid, &h->robust_head, &h->robust_len)) return -1;
	if (parse_stat_mm(pid, h)) return -1;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/auxv", pid);
	int fd = open(path, O_RDONLY);
	ssize_t n = read(fd, h->auxv, sizeof(h->auxv));
	close(fd);
	h->auxv_size = n > 0 ? n : 0;
	/* A process stopped inside a syscall restarts it wherever it resumes. */
	long rax = (long)h->regs.rax;
	if ((long)h->regs.orig_rax >= 0 &&
	    (rax == -ERESTARTSYS || rax == -ERESTARTNOINTR || rax == -ERESTARTNOHAND ||
	     rax == -ERESTART_RESTARTBLOCK)) {
		h->regs.rax = h->regs.orig_rax;
		h->regs.rip -= 2;
	}
	/* Handlers: one injected rt_sigaction per caught signal. */
	uint64_t cgt = 0, ign = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	char line[256];
	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "SigCgt: %lx", &cgt);
		sscanf(line, "SigIgn: %lx", &ign);
	}
	if (f) fclose(f);
	uint64_t buf = j->scratch + 64;
	for (int s = 1; s <= 64; s++) {
		if (ign & (1ull << (s - 1))) h->act[s].handler = (uint64_t)SIG_IGN;
		if (!(cgt & (1ull << (s - 1)))) continue;
		if (inj_call(j, SYS_rt_sigaction, s, 0, buf, 8, 0, 0) ||
		    inj_get(j, buf, &h->act[s], sizeof(h->act[s]))) return -1;
	}
	if (inj_call(j, SYS_sigaltstack, 0, buf, 0, 0, 0, 0) || inj_get(j, buf, &h->ss_sp, 24))
		return -1;
	h->brk = inj_call(j, SYS_brk, 0, 0, 0, 0, 0, 0);
	return inj_restore(j);
}

static uint64_t dump_excl[8][2];	/* ranges that are ours, not the process's */
static int dump_nexcl;

static int is_special(const char *name)
{
	return !strcmp(name, "[vvar]") || !strcmp(name, "[vvar_vclock]") ||
	       !strcmp(name, "[vdso]") || !strcmp(name, "[vsyscall]");
}

/* Parse /proc/PID/maps into @v; record the vDSO; refuse shared writable
 * mappings (a real engine reads smaps VmFlags for the whole cantmove list). */
static int dump_vmas(struct inj *j, struct img_hdr *h, struct img_vma *v)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/maps", j->pid);
	FILE *f = fopen(path, "r");
	if (!f) return -1;
	h->nvma = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e, off; char perm[5], name[256] = ""; unsigned long ino;
		if (sscanf(line, "%lx-%lx %4s %lx %*s %lu %255[^\n]", &s, &e, perm, &off, &ino, name) < 5)
			continue;
		char *n = name; while (*n == ' ') n++;
		if (!strcmp(n, "[vvar]")) h->vvar_start = s;
		if (!strcmp(n, "[vdso]")) {
			h->vdso_start = s; h->vdso_end = e;
			if (e - s <= VDSO_MAX) inj_get(j, s, h->vdso, e - s);
		}
		int ours = s == j->scratch;
		for (int k = 0; k < dump_nexcl; k++)
			ours |= s >= dump_excl[k][0] && e <= dump_excl[k][1];
		if (is_special(n) || ours) continue;
		if (perm[3] == 's' && perm[1] == 'w') { errno = EBUSY; fclose(f); return -2; }
		if (h->nvma == MAX_VMAS) { errno = E2BIG; fclose(f); return -1; }
		struct img_vma *x = &v[h->nvma++];
		memset(x, 0, sizeof(*x));
		x->start = s; x->end = e;
		x->prot = (perm[0] == 'r' ? PROT_READ : 0) | (perm[1] == 'w' ? PROT_WRITE : 0) |
			  (perm[2] == 'x' ? PROT_EXEC : 0);
		x->kind = !strcmp(n, "[stack]") ? VK_STACK : !strcmp(n, "[heap]") ? VK_HEAP :
			  ino ? VK_FILE : VK_ANON;
	}
	fclose(f);
	return 0;
}

/* For each VMA, which pages to send: file-backed (and shared read-only)
 * pages always (untouched ones still hold file data), anonymous ones only
 * if present or swapped per /proc/PID/pagemap; never-touched pages are
 * zero on the target anyway. Then the runs, read with process_vm_readv
 * (or /proc/PID/mem for pages the process itself may not read). */
static int dump_memory(struct inj *j, struct img_hdr *h, struct img_vma *v, int out,
		       struct dump_stats *st)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/pagemap", j->pid);
	int pm = open(path, O_RDONLY);
	snprintf(path, sizeof(path), "/proc/%d/mem", j->pid);
	int mem = open(path, O_RDONLY);
	if (pm < 0 || mem < 0) return -1;
	static uint64_t ent[1 << 15];
	static char buf[1 << 22];
	uint64_t t0 = now_ns();
	/* pass 1: count bytes per VMA so the table can precede the data */
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1 && (write_full(out, h, sizeof(*h)) ||
				  write_full(out, v, sizeof(*v) * h->nvma))) return -1;
		for (uint32_t i = 0; i < h->nvma; i++) {
			struct img_vma *x = &v[i];
			uint64_t a = x->start;
			if (pass == 0) x->bytes = 0;
			while (a < x->end) {
				size_t np = (x->end - a) / 4096;
				if (np > 1 << 15) np = 1 << 15;
				if (pread(pm, ent, np * 8, a / 4096 * 8) != (ssize_t)(np * 8)) return -1;
				for (size_t k = 0; k < np;) {
					int want = x->kind == VK_FILE || (ent[k] >> 62);
					size_t r = k;
					while (r < np && r - k < sizeof(buf) / 4096 &&
					       (x->kind == VK_FILE || (ent[r] >> 62)) == want) r++;
					uint64_t ra = a + k * 4096, rl = (r - k) * 4096;
					if (!want) { if (pass) st->pages_skipped += r - k; k = r; continue; }
					if (pass == 0) { x->bytes += 16 + rl; k = r; continue; }
					struct iovec li = { buf, rl }, ri = { (void *)ra, rl };
					ssize_t got = (x->prot & PROT_READ) ?
						process_vm_readv(j->pid, &li, 1, &ri, 1, 0) : -1;
					if (got != (ssize_t)rl && pread(mem, buf, rl, ra) != (ssize_t)rl)
						memset(buf, 0, rl);	/* beyond EOF of a file mapping */
					uint64_t run[2] = { ra, rl };
					if (write_full(out, run, 16) || write_full(out, buf, rl)) return -1;
					st->bytes += rl;
					k = r;
				}
				a += np * 4096;
			}
		}
	}
	st->mem_ns = now_ns() - t0;
	close(pm); close(mem);
	return 0;
}
#endif
