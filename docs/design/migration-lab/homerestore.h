/* homerestore.h - migrate home: the image the remote sends back is
 * restored into the home process itself, which kept its pid, fds and
 * credentials all along: every VMA mapped again by injected mmap and filled
 * with process_vm_writev, registers and FPU state by PTRACE_SETREGS/
 * SETREGSET, mask by PTRACE_SETSIGMASK, handlers, altstack, rseq, robust
 * list and mm fields by injected syscalls; then the deputy detaches. */
#ifndef HOMERESTORE_H
#define HOMERESTORE_H
#include <linux/prctl.h>
static struct img_hdr H2;
static struct img_vma V2[MAX_VMAS];

static int come_home(int sock, uint64_t shm, size_t shm_len)
{
	uint64_t t0 = now_ns();
	if (read_full(sock, &H2, sizeof(H2)) || H2.magic != IMG_MAGIC || H2.nvma > MAX_VMAS ||
	    H2.xsize > XSTATE_MAX || read_full(sock, V2, sizeof(V2[0]) * H2.nvma)) return -__LINE__;
	for (uint32_t i = 0; i < H2.nvma; i++)	/* a real engine relocates its scratch */
		if ((V2[i].start < J.scratch + J.scratch_len && J.scratch < V2[i].end) ||
		    (shm && V2[i].start < shm + shm_len && shm < V2[i].end)) {
			fprintf(stderr, "home: image VMA %#lx-%#lx overlaps scratch %#lx or shm %#lx\n",
				(long)V2[i].start, (long)V2[i].end, (long)J.scratch, (long)shm);
			return -__LINE__;
		}
	ptrace(PTRACE_INTERRUPT, J.pid, 0, 0);	/* out of the parasite loop */
	int st;
	while (waitpid(J.pid, &st, __WALL) == J.pid && (st >> 16) != PTRACE_EVENT_STOP)
		ptrace(PTRACE_CONT, J.pid, 0, 0);
	J.gadget = J.scratch;
	uint64_t bytes = 0;
	for (uint32_t i = 0; i < H2.nvma; i++) {
		struct img_vma *x = &V2[i];
		long r = inj_call(&J, SYS_mmap, x->start, x->end - x->start, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED |
				  (x->kind == VK_STACK ? MAP_GROWSDOWN : 0), -1, 0);
		if (r != (long)x->start) return -__LINE__;
		for (uint64_t got = 0; got < x->bytes;) {
			uint64_t run[2];
			if (read_full(sock, run, 16) || run[0] < x->start || run[1] > x->end - run[0])
				return -__LINE__;
			for (uint64_t o = 0; o < run[1]; o += sizeof(iobuf)) {
				uint64_t n = run[1] - o < sizeof(iobuf) ? run[1] - o : sizeof(iobuf);
				if (read_full(sock, iobuf, n) || inj_put(&J, run[0] + o, iobuf, n)) return -__LINE__;
			}
			got += 16 + run[1]; bytes += run[1];
		}
		if (inj_call(&J, SYS_mprotect, x->start, x->end - x->start, x->prot, 0, 0, 0)) return -__LINE__;
	}
	uint64_t b = J.scratch + 64;
	for (int s = 1; s <= 64; s++) {	/* every disposition, the stale home ones too */
		if (s == SIGKILL || s == SIGSTOP || (s >= 32 && s <= 33)) continue;
		inj_put(&J, b, &H2.act[s], sizeof(H2.act[s]));
		if (inj_call(&J, SYS_rt_sigaction, s, b, 0, 8, 0, 0)) return -__LINE__;
	}
	H2.ss_flags &= ~SS_ONSTACK;
	inj_put(&J, b, &H2.ss_sp, 24);
	if (inj_call(&J, SYS_sigaltstack, b, 0, 0, 0, 0, 0)) return -__LINE__;
	if (H2.rseq_ptr) inj_call(&J, SYS_rseq, H2.rseq_ptr, H2.rseq_len, 0, H2.rseq_sig, 0, 0);
	inj_call(&J, SYS_set_robust_list, H2.robust_head, H2.robust_len, 0, 0, 0, 0);
	uint64_t mm[13] = { H2.start_code, H2.end_code, H2.start_data, H2.end_data, H2.start_brk,
		H2.brk, H2.start_stack, H2.arg_start, H2.arg_end, H2.env_start, H2.env_end,
		b + 256, ((uint64_t)0xffffffff << 32) | H2.auxv_size };
	inj_put(&J, b, mm, sizeof(mm));
	inj_put(&J, b + 256, H2.auxv, H2.auxv_size);
	if (inj_call(&J, SYS_prctl, PR_SET_MM, PR_SET_MM_MAP, b, 104, 0, 0)) return -__LINE__;
	if (shm) inj_call(&J, SYS_munmap, shm, shm_len, 0, 0, 0, 0);
	J.saved = H2.regs;
	J.saved.orig_rax = -1;
	inj_teardown(&J);
	struct iovec iov = { H2.xstate, H2.xsize };
	if (ptrace(PTRACE_SETREGSET, J.pid, NT_X86_XSTATE, &iov) ||
	    ptrace(PTRACE_SETSIGMASK, J.pid, 8, &H2.sigmask) || inj_restore(&J)) return -__LINE__;
	send_msg(sock, M_HOMEOK, 0, 0, 0, 0);
	ptrace(PTRACE_DETACH, J.pid, 0, 0);
	fprintf(stderr, "home: %d is home again: %u vmas, %.1f MiB restored in place in %.1f ms\n",
		J.pid, H2.nvma, bytes / 1048576.0, (now_ns() - t0) / 1e6);
	return 0;
}
/* Node to node (lab form): the image the old remote sends is relayed to
 * the new one (a real engine gives the old remote a ticket and lets it
 * stream directly); the new one's READY is the commit, then the old guest
 * ends and the deputy talks to the new node. Returns the new socket. */
static int relay_to(int old, int port)
{
	uint64_t t0 = now_ns(), total;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (connect(s, (void *)&sa, sizeof(sa))) return -1;
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (read_full(old, &H2, sizeof(H2)) || H2.nvma > MAX_VMAS ||
	    read_full(old, V2, sizeof(V2[0]) * H2.nvma) || write_full(s, &H2, sizeof(H2)) ||
	    write_full(s, V2, sizeof(V2[0]) * H2.nvma)) return -1;
	total = 0;
	for (uint32_t i = 0; i < H2.nvma; i++) total += V2[i].bytes;
	for (uint64_t o = 0; o < total; o += sizeof(iobuf)) {
		uint64_t n = total - o < sizeof(iobuf) ? total - o : sizeof(iobuf);
		if (read_full(old, iobuf, n) || write_full(s, iobuf, n)) return -1;
	}
	struct msg m;
	if (read_full(s, &m, sizeof(m)) || m.type != M_READY) return -1;	/* commit */
	send_msg(old, M_HOMEOK, 0, 0, 0, 0);
	send_msg(s, M_GO, 0, 0, 0, 0);
	close(old);
	fprintf(stderr, "home: %d moved node to node: %.1f MiB in %.1f ms\n", J.pid,
		total / 1048576.0, (now_ns() - t0) / 1e6);
	return s;
}
#endif
