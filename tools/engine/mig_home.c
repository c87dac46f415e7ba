// SPDX-License-Identifier: GPL-2.0-only
/*
 * Migrate home, and node to node. Coming home, the image is restored into
 * the home process itself, which kept its pid, fds and credentials all
 * along: each VMA mapped again by injected mmap and filled with
 * process_vm_writev, the registers and FPU state by ptrace, the handlers,
 * altstack, rseq, robust list and mm fields by injected calls; then the
 * deputy detaches and the process runs natively. Moving on, the image is
 * relayed from the old node to the new one; the new node's READY commits.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <linux/prctl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "engine/dep.h"
#include "engine/mig_cipher.h"
#include "engine/mig_dump.h"
#include "engine/mig_files.h"
#include "engine/mig_freezer.h"
#include "engine/mig_proc.h"
#include "engine/mig_pstate.h"

/* how often a frozen process is looked at, and home's PING sent */
#define THAW_POLL_US 200000

static int recv_rec(struct dep *d, uint32_t *type, size_t *len)
{
	int e = mig_chan_recv(d->ch, type, d->in, MIG_CHAN_MAX, len);

	if (!e)
		d->last_rx = mig_now_ns();
	return e;
}

/* The next record of the image; signals that come first are kept for
 * forwarding later (they belong to the process, wherever it ends up). */
static int next_image_rec(struct dep *d, uint32_t *type, size_t *len)
{
	for (;;) {
		int e = recv_rec(d, type, len);

		if (e)
			return e;
		if (*type != MIG_M_PING && *type != MIG_M_MAPS)
			return 0;
	}
}

static bool overlaps(uint64_t s, uint64_t e, uint64_t s2, uint64_t e2)
{
	return s < e2 && s2 < e;
}

static void unmap_all(struct dep *d, const struct mig_vma *v, uint32_t n);

/*
 * One file a node offers, opened in the home process if it has it
 * identical: looked at first through /proc/PID/root (the process's own
 * root and mounts; O_PATH, so nothing but a shareable regular file is
 * opened), hashed, then opened by the process itself and checked to be
 * the same inode. Its fd there, or -1.
 */
static long home_open(struct dep *d, const char *cache, const struct mig_file *f)
{
	char path[96 + MIG_FILE_PATH];
	uint64_t at = d->j.scratch + 64;
	struct stat st, st2;
	int fd, mine;
	bool same;
	long hfd;

	snprintf(path, sizeof(path), "/proc/%d/root%s", d->pid, f->path);
	fd = mig_files_open_same(cache, path, f, &st, NULL);
	if (fd < 0)
		return -1;
	close(fd);
	if (inj_put(&d->j, at, f->path, strlen(f->path) + 1))
		return -1;
	hfd = inj_call(&d->j, SYS_openat, AT_FDCWD, (long)at,
		       O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0, 0, 0);
	if (hfd < 0)
		return -1;
	mine = (int)syscall(SYS_pidfd_getfd, d->pidfd, (int)hfd, 0);
	same = mine >= 0 && !fstat(mine, &st2) && st2.st_dev == st.st_dev &&
	       st2.st_ino == st.st_ino;
	if (mine >= 0)
		close(mine);
	if (!same) {
		inj_call(&d->j, SYS_close, hfd, 0, 0, 0, 0, 0);
		return -1;
	}
	return hfd;
}

/* The fds home_files opened in the home process, closed there. */
static void home_files_close(struct dep *d, long *hfd, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (hfd[i] >= 0)
			inj_call(&d->j, SYS_close, hfd[i], 0, 0, 0, 0, 0);
		hfd[i] = -1;
	}
}

/*
 * FILES -> HAVE, coming home: the node's VMAs of files home has too map
 * home's, and only the pages the process changed come (mig_files.h).
 * @ret_hfd[i]: file i's fd in the home process, or -1.
 */
static int home_files(struct dep *d, size_t len, long *ret_hfd, uint32_t *ret_n)
{
	struct mig_have have = { 0 };
	const struct mig_file *f;
	char cache[4096];
	uint32_t n;

	if (mig_files_check(d->in, len, &f, &n))
		return -EBADMSG;
	mig_files_cache_dir(d->run_dir, cache, sizeof(cache));
	for (uint32_t i = 0; i < n; i++) {
		ret_hfd[i] = home_open(d, cache, &f[i]);
		if (ret_hfd[i] >= 0)
			have.bits[i / 64] |= 1ull << (i % 64);
	}
	*ret_n = n;
	return mig_chan_send(d->ch, MIG_M_HAVE, &have, sizeof(have));
}

/* Ends with the VMAs mapped and filled; prot still read-write. */
static int load_image(struct dep *d, const struct mig_vma **ret_v, uint32_t *ret_n,
		      struct mig_vma **ret_copy, char *why, size_t whylen)
{
	const struct mig_vma *v;
	struct mig_vma *copy = NULL;
	long hfd[MIG_MAX_FILES];
	uint64_t pages = 0;
	uint32_t n, type, i = 0, nfiles = 0;
	size_t len;
	int e;

	e = next_image_rec(d, &type, &len);
	if (e || type != MIG_M_TASK || mig_task_check(d->in, len)) {
		snprintf(why, whylen, "bad task record");
		return e ? e : -EBADMSG;
	}
	memcpy(d->task, d->in, sizeof(*d->task));
	e = next_image_rec(d, &type, &len);
	if (!e && type == MIG_M_FILES) {
		e = home_files(d, len, hfd, &nfiles);
		if (e) {
			snprintf(why, whylen, "bad file table");
			goto out_close;
		}
		e = next_image_rec(d, &type, &len);
	}
	if (e || type != MIG_M_VMAS || mig_vmas_check(d->in, len, &v, &n)) {
		snprintf(why, whylen, "bad VMA table");
		e = e ? e : -EBADMSG;
		goto out_close;
	}
	copy = malloc(n * sizeof(*v) + 1);
	if (!copy) {
		e = -ENOMEM;
		goto out_close;
	}
	memcpy(copy, v, n * sizeof(*v));
	for (uint32_t k = 0; k < n; k++)
		if (copy[k].file && (copy[k].file > nfiles || hfd[copy[k].file - 1] < 0)) {
			snprintf(why, whylen, "bad VMA table: a file home lacks");
			e = -EBADMSG;
			goto out_free;
		}
	for (uint32_t k = 0; k < n; k++)
		if (overlaps(copy[k].start, copy[k].end, d->j.scratch,
			     d->j.scratch + d->j.scratch_len)) {
			snprintf(why, whylen, "its memory overlaps the deputy's area");
			e = -EEXIST;
			goto out_free;
		}
	for (uint32_t k = 0; k < n; k++) {
		const struct mig_vma *x = &copy[k];
		long r = inj_call(&d->j, SYS_mmap, (long)x->start, (long)(x->end - x->start),
				  PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED_NOREPLACE |
				  (x->file ? 0 : MAP_ANONYMOUS) |
				  (x->kind == MIG_VK_STACK ? MAP_GROWSDOWN : 0),
				  x->file ? hfd[x->file - 1] : -1, x->file ? (long)x->off : 0);

		if (r != (long)x->start) {
			snprintf(why, whylen, "cannot map %#llx-%#llx at home: %s",
				 (unsigned long long)x->start, (unsigned long long)x->end,
				 strerror(r < 0 ? (int)-r : EEXIST));
			/* those mapped already go with the caller's undo */
			unmap_all(d, copy, k);
			e = r < 0 ? (int)r : -EEXIST;
			goto out_free;
		}
	}
	/* mapped: the files need no fd of the process's any more */
	home_files_close(d, hfd, nfiles);
	*ret_copy = copy;
	*ret_v = copy;
	*ret_n = n;
	for (;;) {
		const struct mig_pages_hdr *ph = (const void *)d->in;

		e = next_image_rec(d, &type, &len);
		if (e) {
			snprintf(why, whylen, "the stream broke");
			return e;
		}
		if (type == MIG_M_END)
			break;
		while (i < n && ph->addr >= copy[i].end)
			i++;
		if (type != MIG_M_PAGES || i == n || mig_pages_check(d->in, len, &copy[i])) {
			snprintf(why, whylen, "malformed pages");
			return -EBADMSG;
		}
		e = inj_put(&d->j, ph->addr, d->in + sizeof(*ph), ph->len);
		if (e) {
			snprintf(why, whylen, "cannot write its memory");
			return e;
		}
		pages += ph->len / MIG_PAGE;
	}
	if (mig_fixed_check(type, len) || ((const struct mig_end *)d->in)->pages != pages) {
		snprintf(why, whylen, "the image is incomplete");
		return -EBADMSG;
	}
	return 0;

out_free:
	free(copy);
out_close:
	home_files_close(d, hfd, nfiles);
	return e;
}

static void unmap_all(struct dep *d, const struct mig_vma *v, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++)
		inj_call(&d->j, SYS_munmap, (long)v[k].start, (long)(v[k].end - v[k].start), 0,
			 0, 0, 0);
}

int dep_set_mm(struct dep *d, const uint64_t args[4], bool auxv)
{
	const struct mig_task *t = d->task;
	uint64_t b = d->j.scratch + 256, mm[13];

	mm[0] = t->start_code;
	mm[1] = t->end_code;
	mm[2] = t->start_data;
	mm[3] = t->end_data;
	mm[4] = t->start_brk;
	mm[5] = t->brk;
	mm[6] = t->start_stack;
	memcpy(&mm[7], args, 4 * sizeof(args[0]));
	mm[11] = b + 512;
	/* no new exe file (-1); an auxv of 0 bytes is left as it is */
	mm[12] = (0xffffffffull << 32) | (auxv ? t->auxv_bytes : 0);
	if (inj_put(&d->j, b, mm, sizeof(mm)) ||
	    (auxv && inj_put(&d->j, b + 512, t->auxv, t->auxv_bytes)))
		return -EIO;
	return inj_call(&d->j, SYS_prctl, PR_SET_MM, PR_SET_MM_MAP, (long)b, 104, 0, 0) ? -EIO : 0;
}

/* Handlers, altstack, rseq, robust list, mm fields: by injected calls. */
static int restore_kernel_state(struct dep *d, char *why, size_t whylen)
{
	const struct mig_task *t = d->task;
	uint64_t b = d->j.scratch + 256, args[4];
	struct {
		uint64_t sp;
		int32_t flags, pad;
		uint64_t size;
	} ss = { t->ss_sp, t->ss_flags & ~SS_ONSTACK, 0, t->ss_size };

	/* every disposition, the stale home ones too */
	for (int s = 1; s <= MIG_NSIG; s++) {
		if (s == SIGKILL || s == SIGSTOP || s == 32 || s == 33)
			continue;
		if (inj_put(&d->j, b, &t->act[s], sizeof(t->act[s])) ||
		    inj_call(&d->j, SYS_rt_sigaction, s, (long)b, 0, 8, 0, 0)) {
			snprintf(why, whylen, "cannot restore the handler of signal %d", s);
			return -EIO;
		}
	}
	if (inj_put(&d->j, b, &ss, sizeof(ss)) ||
	    inj_call(&d->j, SYS_sigaltstack, (long)b, 0, 0, 0, 0, 0)) {
		snprintf(why, whylen, "cannot restore the alternate signal stack");
		return -EIO;
	}
	if (t->rseq_ptr &&
	    inj_call(&d->j, SYS_rseq, (long)t->rseq_ptr, t->rseq_len, 0, t->rseq_sig, 0, 0)) {
		snprintf(why, whylen, "cannot register rseq again");
		return -EIO;
	}
	inj_call(&d->j, SYS_set_robust_list, (long)t->robust_head, (long)t->robust_len, 0, 0, 0,
		 0);
	args[0] = t->arg_start;
	args[1] = t->arg_end;
	args[2] = t->env_start;
	args[3] = t->env_end;
	if (dep_set_mm(d, args, true)) {
		snprintf(why, whylen, "cannot restore the memory layout fields");
		return -EIO;
	}
	return 0;
}

/*
 * The image's registers in this CPU's layout (mig_xstate.h), in @out
 * (MIG_XSTATE_MAX bytes): the home process's own regset gives the size
 * the kernel takes.
 */
static int home_xstate(struct dep *d, uint8_t *out, size_t *len, char *why, size_t whylen)
{
	struct iovec iov = { out, MIG_XSTATE_MAX };
	struct mig_xlayout l;
	uint64_t lost;

	if (ptrace(PTRACE_GETREGSET, d->pid, NT_X86_XSTATE, &iov)) {
		int e = -errno;

		snprintf(why, whylen, "cannot read its registers at home");
		return e;
	}
	mig_xstate_layout(&l);
	if (l.size > iov.iov_len) {
		snprintf(why, whylen, "this CPU's XSAVE layout does not fit the kernel's");
		return -EPROTO;
	}
	l.size = (uint32_t)iov.iov_len;
	mig_xstate_convert(d->task->xstate, &d->task->xl, out, &l, &lost);
	if (lost) {
		snprintf(why, whylen,
			 "its registers hold CPU state this node lacks (XSAVE components %#llx)",
			 (unsigned long long)lost);
		return -EOPNOTSUPP;
	}
	*len = l.size;
	return 0;
}

/*
 * A trip ended, home or on to another node: the image that came back
 * says the CPU time so far (home's when the trip began, and all the time
 * away), so what it used away is now known to the nanosecond.
 */
static void trip_done(struct dep *d, uint64_t back_ns)
{
	if (back_ns >= d->home_ns)
		d->away_ns = back_ns - d->home_ns;
	d->guest_ns = 0;
	mig_pstate_write_cpu(d->run_dir, d->pid, d->away_ns);
}

/*
 * After our HOMEOK the node sends back the signals the process had there
 * (rem_super.c's send_back), then HOMEOK: each is forwarded on @fwd (the
 * process moved on) or kept in d->j to be queued at home. A node that
 * says nothing for a while is given up on: the process must not wait
 * for it.
 */
static void take_back(struct dep *d, struct mig_chan *from, struct mig_chan *fwd)
{
	struct pollfd pf = { mig_chan_fd(from), POLLIN, 0 };
	uint32_t type;
	size_t len;

	while (poll(&pf, 1, 5000) == 1 && !mig_chan_recv(from, &type, d->in, MIG_CHAN_MAX, &len)) {
		const struct mig_signal *m = (const void *)d->in;

		if (type == MIG_M_HOMEOK)
			return;
		if (type != MIG_M_SIGNAL || mig_fixed_check(type, len) || m->sig <= 0 ||
		    m->sig > MIG_NSIG || m->sig == SIGKILL)
			continue;
		if (fwd)
			mig_chan_send(fwd, MIG_M_SIGNAL, m, len);
		else
			inj_add_pending(&d->j, m->sig, m->info);
	}
	fprintf(stderr, "mosix-migd: process %d: node %u did not say which signals it had\n",
		d->pid, d->where);
}

/*
 * A cgroup freezer holds the home process (systemctl freeze, a batch
 * system's suspend): nothing can be injected into it until the thaw. The
 * node holds the guest until TAKE, and our PINGs tell it home lives.
 */
static int wait_thawed(struct dep *d)
{
	bool said = false;
	char st;

	while (mig_frozen(d->pid) == 1) {
		if (mig_proc_stat(d->pid, &st, NULL) || st == 'Z')
			return -ESRCH;
		if (!said)
			fprintf(stderr, "mosix-migd: process %d: frozen at home (cgroup freezer): "
				"it comes home from node %u once thawed\n", d->pid, d->where);
		said = true;
		if (mig_chan_send(d->ch, MIG_M_PING, NULL, 0))
			return -EPIPE;
		usleep(THAW_POLL_US);
	}
	return 0;
}

int dep_restore_home(struct dep *d, char *why, size_t whylen)
{
	struct user_regs_struct parked = d->j.saved;
	uint8_t *xs = NULL;
	size_t xlen = 0;
	bool kstate = false;
	struct mig_vma *copy = NULL;
	const struct mig_vma *v = NULL;
	struct iovec iov;
	uint32_t n = 0;
	int e;

	e = wait_thawed(d);
	if (!e)
		e = dep_unpark(d);
	if (e) {
		snprintf(why, whylen, "the home process is gone");
		return e;
	}
	/* the node sends the image once asked */
	mig_chan_send(d->ch, MIG_M_TAKE, NULL, 0);
	e = load_image(d, &v, &n, &copy, why, whylen);
	if (e)
		goto out_undo;
	xs = aligned_alloc(64, MIG_XSTATE_MAX);
	if (!xs) {
		snprintf(why, whylen, "out of memory");
		e = -ENOMEM;
		goto out_undo;
	}
	e = home_xstate(d, xs, &xlen, why, whylen);
	if (e)
		goto out_undo;
	for (uint32_t k = 0; k < n; k++)
		if (inj_call(&d->j, SYS_mprotect, (long)v[k].start, (long)(v[k].end - v[k].start),
			     v[k].prot, 0, 0, 0)) {
			snprintf(why, whylen, "cannot protect its memory");
			e = -EIO;
			goto out_undo;
		}
	kstate = true;
	e = restore_kernel_state(d, why, whylen);
	if (e)
		goto out_undo;
	/* our next trap undoes an ignored SIGTRAP: teardown puts it back */
	d->j.trap_ign = d->task->act[SIGTRAP].handler == (uint64_t)(uintptr_t)SIG_IGN;
	/* the registers, FPU state and mask last: nothing can fail after */
	d->j.saved = d->task->regs;
	d->j.saved.orig_rax = (unsigned long long)-1;
	iov = (struct iovec){ xs, xlen };
	if (ptrace(PTRACE_SETREGSET, d->pid, NT_X86_XSTATE, &iov) ||
	    inj_set_mask(&d->j, d->task->sigmask)) {
		snprintf(why, whylen, "cannot restore its registers");
		e = -EIO;
		goto out_undo;
	}
	mig_chan_send(d->ch, MIG_M_HOMEOK, NULL, 0);
	trip_done(d, d->task->cpu_ns);
	/* the signals it had there, and those that came here meanwhile */
	take_back(d, d->ch, NULL);
	if (d->j.lost)
		fprintf(stderr, "mosix-migd: process %d: %d queued signals lost coming home\n",
			d->pid, d->j.lost);
	d->j.lost = 0;
	inj_requeue(&d->j);
	inj_teardown(&d->j);
	/* its files are its own again: no copy of ours holds a lock open */
	dep_direct_forget(&d->direct);
	ptrace(PTRACE_DETACH, d->pid, 0, 0);
	inj_send_after(&d->j);
	free(xs);
	free(copy);
	return 0;

out_undo:
	/* parked again as it was, not with the image's registers */
	d->j.saved = parked;
	free(xs);
	/* its rseq area is about to go: the kernel must not write there */
	if (kstate && d->task->rseq_ptr)
		inj_call(&d->j, SYS_rseq, (long)d->task->rseq_ptr, d->task->rseq_len, 1,
			 d->task->rseq_sig, 0, 0);
	/* the node still holds the process, frozen: it goes on there */
	if (copy)
		unmap_all(d, copy, n);
	free(copy);
	if (d->j.dead) {
		/* unless it was killed here meanwhile: then there too */
		struct mig_signal k = { .sig = SIGKILL };

		mig_chan_send(d->ch, MIG_M_KILL, &k, sizeof(k));
		return e;
	}
	/* handlers of the image may have come back: not for stops at home;
	 * its mm fields too, pointing at memory just unmapped */
	if (kstate) {
		dep_home_stops(d);
		dep_args_point(d);
	}
	mig_chan_send(d->ch, MIG_M_GO, NULL, 0);
	dep_park(d);
	return e;
}

/* Relay one record from the old node to the new one. */
static int relay(struct dep *d, struct mig_chan *to, uint32_t *type, size_t *len)
{
	int e;

	do
		e = recv_rec(d, type, len);
	while (!e && *type == MIG_M_PING);
	if (e)
		return e;
	return mig_chan_send(to, *type, d->in, *len);
}

int dep_move(struct dep *d, uint32_t node, char *why, size_t whylen)
{
	struct mig_chan *old = d->ch, *to = NULL;
	struct mig_hello h;
	uint64_t moved = 0, back_ns = 0;
	uint32_t type = 0;
	bool asked = false;
	size_t len;
	int e;

	/* connected (and warmed) by the deputy before it asked for the guest */
	if (!d->next || d->next_node != node) {
		snprintf(why, whylen, "no link to node %u", node);
		e = -ENOTCONN;
		goto out_stay;
	}
	to = d->next;
	d->next = NULL;
	d->next_node = 0;
	/* the memory it took when it last moved: what home knows of it */
	dep_hello(d, d->sent_bytes, &h);
	e = mig_chan_send(to, MIG_M_HELLO, &h, sizeof(h));
	if (!e)
		e = mig_chan_recv(to, &type, d->out, MIG_CHAN_MAX, &len);
	if (!e && type == MIG_M_REFUSE && !mig_reason_check(d->out, len)) {
		char text[DEP_WHY_MAX];

		dep_refusal_text((const struct mig_reason *)d->out, text, sizeof(text));
		snprintf(why, whylen, "node %u refused it: %s", node, text);
		e = -EPERM;
		goto out_stay;
	}
	if (e || type != MIG_M_WELCOME) {
		snprintf(why, whylen, "node %u refused it", node);
		e = e ? e : -EPERM;
		goto out_stay;
	}
	e = mig_cipher_follow(to, h.ciphers, d->out, MIG_CHAN_MAX);
	if (e) {
		snprintf(why, whylen, "node %u chose no cipher we offered", node);
		goto out_stay;
	}
	/* TASK, VMAS, PAGES..., END: asked for, relayed as they come */
	e = mig_chan_send(old, MIG_M_TAKE, NULL, 0);
	if (e) {
		snprintf(why, whylen, "node %u does not answer", d->where);
		goto out_stay;
	}
	asked = true;
	do {
		e = relay(d, to, &type, &len);
		if (e) {
			snprintf(why, whylen, "the transfer broke");
			goto out_stay;
		}
		/* the new node's HAVE goes back to the old one, which waits */
		if (type == MIG_M_FILES) {
			uint32_t t2;
			size_t l2;

			dep_keep_files(d, d->in, len);
			e = mig_chan_recv(to, &t2, d->out, MIG_CHAN_MAX, &l2);
			if (!e && (t2 != MIG_M_HAVE || mig_fixed_check(t2, l2)))
				e = -EPROTO;
			if (!e)
				e = mig_chan_send(old, t2, d->out, l2);
			if (e) {
				snprintf(why, whylen, "node %u could not take its files", node);
				/* the old node waits for HAVE or GO, not to be read */
				asked = false;
				goto out_stay;
			}
		}
		if (type == MIG_M_PAGES && len > sizeof(struct mig_pages_hdr))
			moved += len - sizeof(struct mig_pages_hdr);
		if (type == MIG_M_TASK && len == sizeof(struct mig_task))
			back_ns = ((const struct mig_task *)d->in)->cpu_ns;
	} while (type != MIG_M_END);
	e = mig_chan_recv(to, &type, d->out, MIG_CHAN_MAX, &len);
	if (e || type != MIG_M_READY) {
		snprintf(why, whylen, "node %u could not restore it", node);
		e = e ? e : -ECANCELED;
		goto out_stay;
	}
	/* commit on the new node; the old one ends its guest, and its
	 * signals follow it there */
	mig_chan_send(old, MIG_M_HOMEOK, NULL, 0);
	e = mig_chan_send(to, MIG_M_GO, NULL, 0);
	/* stopped from our COMEHOME, which came before this call */
	d->frozen_ns = mig_now_ns() - d->asked_ns;
	if (!e)
		take_back(d, old, to);
	mig_chan_close(old);
	d->ch = to;
	/* the signals it had there went last: a call sent before they
	 * arrived met them (no call precedes GO) */
	d->sig_mark = (uint32_t)mig_chan_sent(to);
	d->where = node;
	d->nmigs++;
	d->sent_bytes = moved;
	trip_done(d, back_ns);
	return e;

out_stay:
	mig_chan_close(to);
	/* the old node resumes the frozen guest (draining the image first,
	 * if it was asked for) */
	while (asked && type != MIG_M_END && !next_image_rec(d, &type, &len))
		;
	mig_chan_send(old, MIG_M_GO, NULL, 0);
	return e;
}
