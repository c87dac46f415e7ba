// SPDX-License-Identifier: GPL-2.0-only
#include <assert.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>

#include "engine/mig_img.h"

/* The wire layout is frozen: a change here is a new MIG_VERSION. */
static_assert(sizeof(struct mig_hello) == 80, "mig_hello changed");
static_assert(sizeof(struct mig_xlayout) == 144, "mig_xlayout changed");
static_assert(sizeof(struct mig_reason) == 136, "mig_reason changed");
static_assert(sizeof(struct user_regs_struct) == 216, "user_regs_struct changed");
static_assert(offsetof(struct mig_task, xstate) % 64 == 0, "xstate alignment");
static_assert(sizeof(struct mig_vma) == 48, "mig_vma changed");
static_assert(sizeof(struct mig_file) == 256, "mig_file changed");
static_assert(sizeof(struct mig_have) == MIG_MAX_FILES / 8, "mig_have changed");
static_assert(sizeof(struct mig_rlim) == 16, "mig_rlim changed");
static_assert(sizeof(struct mig_prio) == 16, "mig_prio changed");
static_assert(sizeof(struct mig_cpu) == 8, "mig_cpu changed");
static_assert(sizeof(struct mig_freeze) == 8, "mig_freeze changed");
static_assert(sizeof(struct mig_pages_hdr) == 16, "mig_pages_hdr changed");
static_assert(sizeof(struct mig_fwd_call) == 64, "mig_fwd_call changed");
static_assert(sizeof(struct mig_fwd_buf) == 8, "mig_fwd_buf changed");
static_assert(sizeof(struct mig_fwd_ret) == 16, "mig_fwd_ret changed");
static_assert(sizeof(struct mig_signal) == 136, "mig_signal changed");
static_assert(offsetof(struct mig_hello, ciphers) == 28, "mig_hello changed");
static_assert(sizeof(struct mig_cipher_msg) == 8, "mig_cipher_msg changed");

int mig_hello_check(const void *buf, size_t len)
{
	const struct mig_hello *h = buf;

	if (len != sizeof(*h) || h->version != MIG_VERSION || h->xsize > MIG_XSTATE_MAX ||
	    h->home_pid <= 0 || !memchr(h->comm, 0, sizeof(h->comm)))
		return -EBADMSG;
	return 0;
}

int mig_cipher_check(const void *buf, size_t len, uint32_t offered)
{
	const struct mig_cipher_msg *c = buf;

	if (len != sizeof(*c) || c->pad ||
	    (c->cipher != MIG_CIPHER_STREAM && c->cipher != MIG_CIPHER_GCM &&
	     c->cipher != MIG_CIPHER_OCB) ||
	    !(c->cipher & (offered | MIG_CIPHER_STREAM)))
		return -EBADMSG;
	return 0;
}

int mig_reason_check(const void *buf, size_t len)
{
	const struct mig_reason *r = buf;

	if (len != sizeof(*r) || !memchr(r->text, 0, sizeof(r->text)))
		return -EBADMSG;
	return 0;
}

int mig_task_check(const void *buf, size_t len)
{
	const struct mig_task *t = buf;

	if (len != sizeof(*t))
		return -EBADMSG;
	if (t->xsize < 576 || t->xsize > MIG_XSTATE_MAX || t->auxv_bytes > sizeof(t->auxv) ||
	    t->auxv_bytes % 16 || t->home_pid <= 0 || t->rseq_len > 1024 ||
	    mig_xstate_layout_check(&t->xl, t->xsize))
		return -EBADMSG;
	for (int i = 0; i < MIG_RLIM_NR; i++)
		if (t->rlim[i].cur > t->rlim[i].max)
			return -EBADMSG;
	if (t->nice < -20 || t->nice > 19 ||
	    (t->policy != SCHED_OTHER && t->policy != SCHED_BATCH && t->policy != SCHED_IDLE))
		return -EBADMSG;
	if (t->home_scratch % MIG_PAGE || t->home_scratch_len % MIG_PAGE ||
	    t->home_scratch_len > MIG_USER_TOP || t->home_scratch > MIG_USER_TOP - t->home_scratch_len)
		return -EBADMSG;
	if (t->vdso_end < t->vdso_start || t->vdso_end - t->vdso_start > MIG_VDSO_MAX ||
	    t->vdso_start % MIG_PAGE || t->vvar_start % MIG_PAGE || t->vdso_end > MIG_USER_TOP ||
	    t->vvar_start > t->vdso_start)
		return -EBADMSG;
	return 0;
}

int mig_vmas_check(const void *buf, size_t len, const struct mig_vma **ret_vmas,
		   uint32_t *ret_count)
{
	const struct mig_vmas_hdr *h = buf;
	const struct mig_vma *v;
	uint64_t prev_end = 0;

	if (len < sizeof(*h) || h->count > MIG_MAX_VMAS ||
	    len != sizeof(*h) + (size_t)h->count * sizeof(*v))
		return -EBADMSG;
	v = (const struct mig_vma *)(h + 1);
	for (uint32_t i = 0; i < h->count; i++) {
		if (v[i].start % MIG_PAGE || v[i].end % MIG_PAGE || v[i].start >= v[i].end ||
		    v[i].end > MIG_USER_TOP || v[i].start < prev_end ||
		    v[i].pages > (v[i].end - v[i].start) / MIG_PAGE ||
		    v[i].prot & ~7u || v[i].kind < MIG_VK_ANON || v[i].kind > MIG_VK_HEAP ||
		    v[i].off % MIG_PAGE || v[i].pad || v[i].file > MIG_MAX_FILES ||
		    (v[i].file && v[i].kind != MIG_VK_FILE))
			return -EBADMSG;
		prev_end = v[i].end;
	}
	*ret_vmas = v;
	*ret_count = h->count;
	return 0;
}

/* FILES, or WARM with @pad its version */
static int files_check(const void *buf, size_t len, uint32_t pad,
		       const struct mig_file **ret_files, uint32_t *ret_count)
{
	const struct mig_files_hdr *h = buf;
	const struct mig_file *f;

	if (len < sizeof(*h) || h->count > MIG_MAX_FILES || h->pad != pad ||
	    len != sizeof(*h) + (size_t)h->count * sizeof(*f))
		return -EBADMSG;
	f = (const struct mig_file *)(h + 1);
	for (uint32_t i = 0; i < h->count; i++)
		if (f[i].path[0] != '/' || !memchr(f[i].path, 0, sizeof(f[i].path)) || !f[i].size)
			return -EBADMSG;
	*ret_files = f;
	*ret_count = h->count;
	return 0;
}

int mig_files_check(const void *buf, size_t len, const struct mig_file **ret_files,
		    uint32_t *ret_count)
{
	return files_check(buf, len, 0, ret_files, ret_count);
}

int mig_warm_check(const void *buf, size_t len, const struct mig_file **ret_files,
		   uint32_t *ret_count, uint32_t *ret_version)
{
	const struct mig_files_hdr *h = buf;

	if (len < sizeof(*h))
		return -EBADMSG;
	*ret_version = h->pad;
	if (h->pad != MIG_VERSION)
		return -EPROTONOSUPPORT;
	return files_check(buf, len, MIG_VERSION, ret_files, ret_count);
}

int mig_pages_check(const void *buf, size_t len, const struct mig_vma *vma)
{
	const struct mig_pages_hdr *p = buf;

	if (len < sizeof(*p) || len - sizeof(*p) != p->len || !p->len || p->len % MIG_PAGE ||
	    p->addr % MIG_PAGE || p->addr < vma->start || p->addr >= vma->end ||
	    p->len > vma->end - p->addr)
		return -EBADMSG;
	return 0;
}

int mig_fwd_call_check(const void *buf, size_t len, const struct mig_fwd_buf **ret_bufs,
		       const uint8_t **ret_data, size_t *ret_data_len)
{
	const struct mig_fwd_call *c = buf;
	const struct mig_fwd_buf *b;
	size_t head, in = 0;

	if (len < sizeof(*c) || c->nbuf > 1024 || c->nr < 0 || c->nr >= 1024)
		return -EBADMSG;
	head = sizeof(*c) + (size_t)c->nbuf * sizeof(*b);
	if (len < head)
		return -EBADMSG;
	b = (const struct mig_fwd_buf *)(c + 1);
	for (uint32_t i = 0; i < c->nbuf; i++) {
		if (b[i].arg >= 6 || b[i].dir < MIG_FWD_IN || b[i].dir > MIG_FWD_IO ||
		    b[i].iov > 1 || b[i].ret_len > 1)
			return -EBADMSG;
		if (b[i].dir & MIG_FWD_IN)
			in += b[i].len;
	}
	if (len - head != in)
		return -EBADMSG;
	*ret_bufs = b;
	*ret_data = (const uint8_t *)buf + head;
	*ret_data_len = in;
	return 0;
}

int mig_fwd_ret_check(const void *buf, size_t len, uint32_t nbuf, const uint32_t **ret_lens,
		      const uint8_t **ret_data, size_t *ret_data_len)
{
	const struct mig_fwd_ret *r = buf;
	const uint32_t *l;
	size_t head, sum = 0;

	if (len < sizeof(*r) || r->nbuf != nbuf)
		return -EBADMSG;
	head = sizeof(*r) + (size_t)nbuf * sizeof(*l);
	if (len < head)
		return -EBADMSG;
	l = (const uint32_t *)(r + 1);
	for (uint32_t i = 0; i < nbuf; i++)
		sum += l[i];
	if (len - head != sum)
		return -EBADMSG;
	*ret_lens = l;
	*ret_data = (const uint8_t *)buf + head;
	*ret_data_len = sum;
	return 0;
}

int mig_fixed_check(uint32_t type, size_t len)
{
	size_t want;

	switch (type) {
	case MIG_M_SIGNAL:
	case MIG_M_KILL:
	case MIG_M_STOPPED:
		want = sizeof(struct mig_signal);
		break;
	case MIG_M_EXIT:
		want = sizeof(struct mig_exit);
		break;
	case MIG_M_END:
		want = sizeof(struct mig_end);
		break;
	case MIG_M_READY:
		want = sizeof(struct mig_ready);
		break;
	case MIG_M_COMEHOME:
		want = sizeof(struct mig_comehome);
		break;
	case MIG_M_FILEREQ:
		want = sizeof(struct mig_filereq);
		break;
	case MIG_M_PPID:
		want = sizeof(struct mig_ppid);
		break;
	case MIG_M_PRIO:
		want = sizeof(struct mig_prio);
		break;
	case MIG_M_CPU:
		want = sizeof(struct mig_cpu);
		break;
	case MIG_M_FREEZE:
		want = sizeof(struct mig_freeze);
		break;
	case MIG_M_HAVE:
		want = sizeof(struct mig_have);
		break;
	case MIG_M_WELCOME:
	case MIG_M_TAKE:
	case MIG_M_GO:
	case MIG_M_HOMEOK:
	case MIG_M_PING:
	case MIG_M_LEAVE:
		want = 0;
		break;
	default:
		return -EBADMSG;
	}
	return len == want ? 0 : -EBADMSG;
}

bool mig_signal_stops(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

void mig_signal_make(struct mig_signal *m, int sig, const void *info)
{
	memset(m, 0, sizeof(*m));
	m->sig = sig;
	m->has_info = 1;
	memcpy(m->info, info, sizeof(m->info));
}
