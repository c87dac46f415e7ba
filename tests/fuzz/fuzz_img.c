// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the decoders of the migration stream and of the
 * forwarding protocol (engine/mig_img.h). A node gone bad (it has the key)
 * reaches each of them with payloads of its choosing. The first input byte
 * picks the record type, modulo 11; the rest is the payload:
 *   0 HELLO   1 REFUSE/ABORT   2 TASK, as is (almost always the wrong length)
 *   3 TASK, its scalar fields only: the bytes fill the struct but for the
 *     registers, signal actions, auxv and the vDSO and xstate blobs, which
 *     the decoder does not look at, so that short inputs reach every check
 *   4 VMAS
 *   5 PAGES: a VMA (48 bytes, kept only when mig_vmas_check takes it, as a
 *     receiver only ever checks a run against a checked VMA), a header
 *     (16 bytes), then a signed byte: the (zero) bytes after the header
 *     are the header's len modulo 64 KiB plus that byte, so that most
 *     inputs have a consistent length and reach the address checks
 *   6 SYSCALL
 *   7 SYSRET: a u16, the buffer count the caller expects, then the record
 *   8 a fixed-size record: one byte of type, the rest its payload
 *   9 CIPHER: a u32, the ciphers the HELLO offered, then the record
 *  10 FILES
 * Each payload is copied to a buffer of exactly its length (ASan catches a
 * read past it), aligned as a receive buffer is. What a decoder accepts
 * must keep the promises of mig_img.h; any broken promise aborts.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mig_img.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum mode {
	M_HELLO,
	M_REASON,
	M_TASK,
	M_TASK_FIELDS,
	M_VMAS,
	M_PAGES,
	M_CALL,
	M_RET,
	M_FIXED,
	M_CIPHER,
	M_FILES,
	M_NMODES
};

static void must(bool ok)
{
	if (!ok)
		abort();
}

/*
 * A buffer of exactly @len bytes, aligned for any payload struct (struct
 * mig_task wants 64): the @n first from @p, zeros after them.
 */
static uint8_t *copy_n(const uint8_t *p, size_t n, size_t len)
{
	void *b;

	if (posix_memalign(&b, 64, len ? len : 1))
		abort();
	memset(b, 0, len);
	if (n)
		memcpy(b, p, n);
	return b;
}

static uint8_t *copy(const uint8_t *p, size_t len)
{
	return copy_n(p, len, len);
}

/* Reads every byte of [p, p + n): ASan reports one outside the buffer. */
static void touch(const uint8_t *p, size_t n)
{
	volatile uint8_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum ^= p[i];
	(void)sum;
}

static void fuzz_hello(const uint8_t *p, size_t len)
{
	uint8_t *b = copy(p, len);
	const struct mig_hello *h = (const void *)b;

	/* not asserted: a NUL in comm (see test_mig_img.c, the skipped
	 * test_bug_hello_comm_unterminated) */
	if (mig_hello_check(b, len) == 0)
		must(len == sizeof(*h) && h->version == MIG_VERSION &&
		     h->xsize <= MIG_XSTATE_MAX && h->home_pid > 0);
	free(b);
}

static void fuzz_reason(const uint8_t *p, size_t len)
{
	uint8_t *b = copy(p, len);
	const struct mig_reason *r = (const void *)b;

	if (mig_reason_check(b, len) == 0)
		must(len == sizeof(*r) && strnlen(r->text, sizeof(r->text)) < sizeof(r->text));
	free(b);
}

static void task_promises(const struct mig_task *t)
{
	must(t->xsize >= 576 && t->xsize <= MIG_XSTATE_MAX);
	must(t->auxv_bytes <= sizeof(t->auxv) && t->auxv_bytes % 16 == 0);
	must(t->home_pid > 0 && t->rseq_len <= 1024);
	must(t->vvar_start <= t->vdso_start && t->vdso_start <= t->vdso_end &&
	     t->vdso_end <= MIG_USER_TOP && t->vdso_end - t->vdso_start <= MIG_VDSO_MAX);
	must(t->vdso_start % MIG_PAGE == 0 && t->vvar_start % MIG_PAGE == 0);
}

static void fuzz_task(const uint8_t *p, size_t len)
{
	uint8_t *b = copy(p, len);

	if (mig_task_check(b, len) == 0) {
		must(len == sizeof(struct mig_task));
		task_promises((const void *)b);
	}
	free(b);
}

static void fuzz_task_fields(const uint8_t *p, size_t len)
{
	/* the parts with scalars in them: not the registers, the signal
	 * actions, the auxv words, the vDSO and xstate blobs */
	static const struct {
		size_t from, to;
	} part[] = {
		{ offsetof(struct mig_task, ss_sp), offsetof(struct mig_task, auxv) },
		{ offsetof(struct mig_task, auxv_bytes), offsetof(struct mig_task, vdso) },
		{ offsetof(struct mig_task, home_pid), offsetof(struct mig_task, xstate) },
	};
	static struct mig_task t;

	memset(&t, 0, sizeof(t));
	for (size_t i = 0; i < sizeof(part) / sizeof(part[0]) && len; i++) {
		size_t n = part[i].to - part[i].from;

		if (n > len)
			n = len;
		memcpy((uint8_t *)&t + part[i].from, p, n);
		p += n;
		len -= n;
	}
	if (mig_task_check(&t, sizeof(t)) == 0)
		task_promises(&t);
}

static void fuzz_vmas(const uint8_t *p, size_t len)
{
	uint8_t *b = copy(p, len);
	const struct mig_vma *v = NULL;
	uint32_t n = 0;

	if (mig_vmas_check(b, len, &v, &n) == 0) {
		must(n <= MIG_MAX_VMAS && len == sizeof(struct mig_vmas_hdr) + n * sizeof(*v));
		must((const uint8_t *)v == b + sizeof(struct mig_vmas_hdr));
		for (uint32_t i = 0; i < n; i++) {
			must(v[i].start % MIG_PAGE == 0 && v[i].end % MIG_PAGE == 0);
			must(v[i].start < v[i].end && v[i].end <= MIG_USER_TOP);
			must(i == 0 || v[i].start >= v[i - 1].end);
			must(v[i].pages <= (v[i].end - v[i].start) / MIG_PAGE);
			must(v[i].prot <= 7);
			must(v[i].kind >= MIG_VK_ANON && v[i].kind <= MIG_VK_HEAP);
			must(v[i].off % MIG_PAGE == 0 && v[i].file <= MIG_MAX_FILES && !v[i].pad);
			must(!v[i].file || v[i].kind == MIG_VK_FILE);
		}
	}
	free(b);
}

static void fuzz_files(const uint8_t *p, size_t len)
{
	uint8_t *b = copy(p, len);
	const struct mig_file *f = NULL;
	uint32_t n = 0;

	uint32_t version = 0;
	int r;

	if (mig_files_check(b, len, &f, &n) == 0) {
		must(n <= MIG_MAX_FILES && len == sizeof(struct mig_files_hdr) + n * sizeof(*f));
		must((const uint8_t *)f == b + sizeof(struct mig_files_hdr));
		for (uint32_t i = 0; i < n; i++)
			must(f[i].path[0] == '/' && strnlen(f[i].path, sizeof(f[i].path)) <
			     sizeof(f[i].path) && f[i].size);
	}
	/* WARM: the same list, the version where FILES has a zero pad */
	r = mig_warm_check(b, len, &f, &n, &version);
	if (r == 0) {
		must(version == MIG_VERSION && n <= MIG_MAX_FILES &&
		     len == sizeof(struct mig_files_hdr) + n * sizeof(*f));
		for (uint32_t i = 0; i < n; i++)
			must(f[i].path[0] == '/' && strnlen(f[i].path, sizeof(f[i].path)) <
			     sizeof(f[i].path) && f[i].size);
	} else {
		must(r == -EBADMSG || (r == -EPROTONOSUPPORT && version != MIG_VERSION));
	}
	free(b);
}

static void fuzz_pages(const uint8_t *p, size_t len)
{
	struct {
		struct mig_vmas_hdr h;
		struct mig_vma v;
	} one = { { 1, 0 }, { 0 } };
	const struct mig_vma *vma;
	struct mig_pages_hdr h;
	const struct mig_pages_hdr *ph;
	uint32_t n;
	int64_t rec;
	uint8_t *b;

	if (len < sizeof(one.v) + sizeof(h) + 1)
		return;
	memcpy(&one.v, p, sizeof(one.v));
	if (mig_vmas_check(&one, sizeof(one), &vma, &n))
		return;
	memcpy(&h, p + sizeof(one.v), sizeof(h));
	rec = (int64_t)(sizeof(h) + (h.len & 0xffff)) + (int8_t)p[sizeof(one.v) + sizeof(h)];
	if (rec < 0)
		return;
	b = copy_n((const uint8_t *)&h, rec < (int64_t)sizeof(h) ? (size_t)rec : sizeof(h),
		   (size_t)rec);
	ph = (const void *)b;
	if (mig_pages_check(b, (size_t)rec, vma) == 0) {
		must(ph->len == (size_t)rec - sizeof(*ph) && ph->len && ph->len % MIG_PAGE == 0);
		must(ph->addr % MIG_PAGE == 0 && ph->addr >= vma->start && ph->addr < vma->end);
		must(ph->len <= vma->end - ph->addr);
	}
	free(b);
}

static void fuzz_call(const uint8_t *p, size_t len)
{
	uint8_t *b = copy(p, len);
	const struct mig_fwd_call *c = (const void *)b;
	const struct mig_fwd_buf *bufs = NULL;
	const uint8_t *d = NULL;
	size_t dlen = 0;

	if (mig_fwd_call_check(b, len, &bufs, &d, &dlen) == 0) {
		size_t in = 0;

		must(len >= sizeof(*c) && c->nr >= 0 && c->nr < 1024 && c->nbuf <= 1024);
		must((const uint8_t *)bufs == b + sizeof(*c));
		must(d == (const uint8_t *)(bufs + c->nbuf) && d <= b + len);
		must(dlen == (size_t)(b + len - d));
		for (uint32_t i = 0; i < c->nbuf; i++) {
			must(bufs[i].arg < 6 && bufs[i].iov <= 1 && bufs[i].ret_len <= 1);
			must(bufs[i].dir >= MIG_FWD_IN && bufs[i].dir <= MIG_FWD_IO);
			if (!(bufs[i].dir & MIG_FWD_IN))
				continue;
			/* each IN buffer's bytes lie inside the data */
			must(bufs[i].len <= dlen - in);
			touch(d + in, bufs[i].len);
			in += bufs[i].len;
		}
		must(in == dlen);
	}
	free(b);
}

static void fuzz_ret(const uint8_t *p, size_t len)
{
	const uint32_t *lens = NULL;
	const uint8_t *d = NULL;
	size_t dlen = 0;
	uint16_t nbuf;
	uint8_t *b;

	if (len < sizeof(nbuf))
		return;
	memcpy(&nbuf, p, sizeof(nbuf));
	p += sizeof(nbuf);
	len -= sizeof(nbuf);
	b = copy(p, len);
	if (mig_fwd_ret_check(b, len, nbuf, &lens, &d, &dlen) == 0) {
		const struct mig_fwd_ret *r = (const void *)b;
		size_t sum = 0;

		must(len >= sizeof(*r) && r->nbuf == nbuf);
		must((const uint8_t *)lens == b + sizeof(*r));
		must(d == (const uint8_t *)(lens + nbuf) && d <= b + len);
		must(dlen == (size_t)(b + len - d));
		for (uint32_t i = 0; i < nbuf; i++) {
			must(lens[i] <= dlen - sum);
			touch(d + sum, lens[i]);
			sum += lens[i];
		}
		must(sum == dlen);
	}
	free(b);
}

/* What each fixed-size type weighs, written out again here on purpose. */
static bool fixed_size(uint32_t type, size_t *ret)
{
	switch (type) {
	case MIG_M_SIGNAL:
	case MIG_M_KILL:
	case MIG_M_STOPPED:
		*ret = 136;	/* with the siginfo */
		return true;
	case MIG_M_EXIT:
	case MIG_M_READY:
	case MIG_M_COMEHOME:
	case MIG_M_PPID:
	case MIG_M_CPU:
	case MIG_M_FREEZE:
		*ret = 8;
		return true;
	case MIG_M_END:
	case MIG_M_PRIO:
		*ret = 16;
		return true;
	case MIG_M_FILEREQ:
		*ret = 24;
		return true;
	case MIG_M_HAVE:
		*ret = MIG_MAX_FILES / 8;	/* a bit a file */
		return true;
	case MIG_M_WELCOME:
	case MIG_M_TAKE:
	case MIG_M_GO:
	case MIG_M_HOMEOK:
	case MIG_M_PING:
	case MIG_M_LEAVE:
		*ret = 0;
		return true;
	default:
		return false;
	}
}

static void fuzz_fixed(const uint8_t *p, size_t len)
{
	size_t want;

	if (!len)
		return;
	if (mig_fixed_check(p[0], len - 1) == 0)
		must(fixed_size(p[0], &want) && want == len - 1);
	else
		must(!fixed_size(p[0], &want) || want != len - 1);
}

static void fuzz_cipher(const uint8_t *p, size_t len)
{
	uint32_t offered;
	uint8_t *b;
	const struct mig_cipher_msg *c;

	if (len < 4)
		return;
	memcpy(&offered, p, 4);
	b = copy(p + 4, len - 4);
	c = (const void *)b;
	if (mig_cipher_check(b, len - 4, offered) == 0)
		must(len - 4 == sizeof(*c) && c->pad == 0 &&
		     (c->cipher == MIG_CIPHER_STREAM ||
		      (c->cipher == MIG_CIPHER_GCM && (offered & MIG_CIPHER_GCM)) ||
		      (c->cipher == MIG_CIPHER_OCB && (offered & MIG_CIPHER_OCB))));
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data + 1;
	size_t len = size - 1;

	if (size == 0)
		return 0;
	switch (data[0] % M_NMODES) {
	case M_HELLO:
		fuzz_hello(p, len);
		break;
	case M_REASON:
		fuzz_reason(p, len);
		break;
	case M_TASK:
		fuzz_task(p, len);
		break;
	case M_TASK_FIELDS:
		fuzz_task_fields(p, len);
		break;
	case M_VMAS:
		fuzz_vmas(p, len);
		break;
	case M_FILES:
		fuzz_files(p, len);
		break;
	case M_PAGES:
		fuzz_pages(p, len);
		break;
	case M_CIPHER:
		fuzz_cipher(p, len);
		break;
	case M_CALL:
		fuzz_call(p, len);
		break;
	case M_RET:
		fuzz_ret(p, len);
		break;
	default:
		fuzz_fixed(p, len);
		break;
	}
	return 0;
}
