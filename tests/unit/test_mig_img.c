// SPDX-License-Identifier: GPL-2.0-only
/*
 * The decoders of the migration stream and the forwarding protocol
 * (engine/mig_img.c): each accepts a well-formed payload, and the limits
 * themselves, and refuses each kind of malformation: wrong length, other
 * version, counts too large, VMAs unaligned, overlapping or unsorted, a
 * PAGES run outside its VMA, a SYSCALL whose IN bytes do not add up, a
 * SYSRET with the wrong buffer count, unknown fixed types. Every payload
 * is handed over in a heap buffer of exactly its length, so that ASan
 * reports a decoder that reads past it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/mig_img.h"

/* A field to overwrite: @size low bytes of @value at @off (little-endian). */
struct poke {
	const char *what;
	size_t off, size;
	uint64_t value;
};

#define POKE(type, field, v, why) \
	{ why, offsetof(struct type, field), sizeof(((struct type *)0)->field), (uint64_t)(v) }

static void apply(void *rec, const struct poke *p)
{
	memcpy((uint8_t *)rec + p->off, &p->value, p->size);
}

/*
 * @len bytes on the heap, exactly, aligned as a receive buffer is (struct
 * mig_task wants 64): the first min(@n, @len) from @src, zeros after.
 */
static uint8_t *exact(const void *src, size_t n, size_t len)
{
	void *b = NULL;

	assert_int_equal(posix_memalign(&b, 64, len ? len : 1), 0);
	memset(b, 0, len);
	memcpy(b, src, n < len ? n : len);
	return b;
}

static int hello(const struct mig_hello *h, size_t len)
{
	uint8_t *b = exact(h, sizeof(*h), len);
	int r = mig_hello_check(b, len);

	free(b);
	return r;
}

static int reason(const struct mig_reason *m, size_t len)
{
	uint8_t *b = exact(m, sizeof(*m), len);
	int r = mig_reason_check(b, len);

	free(b);
	return r;
}

static int task(const struct mig_task *t, size_t len)
{
	uint8_t *b = exact(t, sizeof(*t), len);
	int r = mig_task_check(b, len);

	free(b);
	return r;
}

static void test_layout_is_frozen(void **state)
{
	(void)state;
	/* the ones mig_img.c does not assert itself */
	assert_int_equal(sizeof(struct mig_vmas_hdr), 8);
	assert_int_equal(sizeof(struct mig_end), 16);
	assert_int_equal(sizeof(struct mig_ready), 8);
	assert_int_equal(sizeof(struct mig_signal), 136);
	assert_int_equal(sizeof(struct mig_exit), 8);
	assert_int_equal(sizeof(struct mig_comehome), 8);
	assert_int_equal(sizeof(struct mig_filereq), 24);
	assert_int_equal(sizeof(struct mig_filedata), 8);
	assert_int_equal(sizeof(struct mig_ppid), 8);
	assert_int_equal(offsetof(struct mig_hello, comm), 56);
	assert_int_equal(offsetof(struct mig_reason, text), 8);
	assert_int_equal(offsetof(struct mig_fwd_call, nbuf), 56);
	assert_int_equal(offsetof(struct mig_fwd_buf, len), 4);
	assert_int_equal(sizeof(struct mig_task) % 64, 0);
	/* record types are numbers on the wire */
	assert_int_equal(MIG_M_HELLO, 1);
	assert_int_equal(MIG_M_SYSCALL, 11);
	assert_int_equal(MIG_M_SYSRET, 12);
	assert_int_equal(MIG_M_PPID, 21);
	assert_int_equal(MIG_M_STOPPED, 23);
	assert_int_equal(MIG_M_PRIO, 25);
	assert_int_equal(MIG_M_CPU, 26);
	assert_int_equal(MIG_M_TAKE, 27);
	assert_int_equal(MIG_M_FREEZE, 28);
	assert_int_equal(MIG_M_FILES, 29);
	assert_int_equal(MIG_M_HAVE, 30);
	assert_int_equal(MIG_M_WARM, 31);
	assert_int_equal(MIG_M_LEAVE, 32);
	assert_int_equal(offsetof(struct mig_vma, off), 32);
	assert_int_equal(offsetof(struct mig_file, path), 40);
}

/* ---- HELLO, REFUSE/ABORT, TASK ---- */

static struct mig_hello good_hello(void)
{
	struct mig_hello h = {
		.version = MIG_VERSION, .home_node = 2, .home_pid = 42, .uid = 1000,
		.xcr0 = 7, .xsize = 832, .mem_bytes = 1 << 20, .mono_ns = 5, .boot_ns = 6,
		.comm = "sleep",
	};

	return h;
}

static void test_hello(void **state)
{
	static const struct poke bad[] = {
		POKE(mig_hello, version, 0, "version 0"),
		POKE(mig_hello, version, MIG_VERSION + 1, "a later version"),
		POKE(mig_hello, xsize, MIG_XSTATE_MAX + 1, "xsize too large"),
		POKE(mig_hello, home_pid, 0, "pid 0"),
		POKE(mig_hello, home_pid, -1, "negative pid"),
	};
	struct mig_hello h = good_hello();

	(void)state;
	assert_int_equal(hello(&h, sizeof(h)), 0);
	h.xsize = MIG_XSTATE_MAX;
	assert_int_equal(hello(&h, sizeof(h)), 0);
	h = good_hello();
	assert_int_equal(hello(&h, sizeof(h) - 1), -EBADMSG);
	assert_int_equal(hello(&h, sizeof(h) + 1), -EBADMSG);
	assert_int_equal(hello(&h, 0), -EBADMSG);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		h = good_hello();
		apply(&h, &bad[i]);
		if (hello(&h, sizeof(h)) != -EBADMSG)
			fail_msg("HELLO with %s accepted", bad[i].what);
	}
}

/*
 * Was a bug (mig_img.c, mig_hello_check): comm need not hold a NUL. Input: a
 * well-formed HELLO with comm = 16 bytes 'x' and no NUL. Expected
 * -EBADMSG, as mig_reason_check does for its text; got 0. The receiver
 * (daemons/mosix-migd/guest.c) then logs h.comm with "%s" and reads past
 * the end of its struct mig_hello on the stack.
 */
static void test_hello_comm_unterminated(void **state)
{
	struct mig_hello h = good_hello();

	(void)state;
	memset(h.comm, 'x', sizeof(h.comm));
	assert_int_equal(hello(&h, sizeof(h)), -EBADMSG);
}

static void test_reason(void **state)
{
	struct mig_reason m = { .err = -EBUSY, .step = 0, .text = "busy" };

	(void)state;
	assert_int_equal(reason(&m, sizeof(m)), 0);
	assert_int_equal(reason(&m, sizeof(m) - 1), -EBADMSG);
	assert_int_equal(reason(&m, sizeof(m) + 1), -EBADMSG);
	assert_int_equal(reason(&m, 0), -EBADMSG);
	/* the NUL may be the last byte, not beyond it */
	memset(m.text, 'x', sizeof(m.text) - 1);
	m.text[sizeof(m.text) - 1] = 0;
	assert_int_equal(reason(&m, sizeof(m)), 0);
	m.text[sizeof(m.text) - 1] = 'x';
	assert_int_equal(reason(&m, sizeof(m)), -EBADMSG);
}

static struct mig_task *good_task(struct mig_task *t)
{
	memset(t, 0, sizeof(*t));
	t->xsize = 832;
	t->xl = (struct mig_xlayout){ .features = 7, .size = 832, .off[2] = 576, .len[2] = 256 };
	t->auxv_bytes = 4 * 16;
	t->home_pid = 42;
	t->rseq_len = 32;
	t->vvar_start = 0x7ffff7fc0000;
	t->vdso_start = 0x7ffff7fc4000;
	t->vdso_end = 0x7ffff7fc6000;
	t->rlim[3] = (struct mig_rlim){ 4096, 1 << 20 };
	return t;
}

static void test_task(void **state)
{
	static const struct poke ok[] = {
		POKE(mig_task, xl.len[2], 0, "an enabled component without a place"),
		POKE(mig_task, auxv_bytes, MIG_AUXV_MAX * 8, "a full auxv"),
		POKE(mig_task, auxv_bytes, 0, "no auxv"),
		POKE(mig_task, rseq_len, 1024, "the largest rseq"),
		POKE(mig_task, vdso_end, 0x7ffff7fc4000 + MIG_VDSO_MAX, "the largest vDSO"),
		POKE(mig_task, vvar_start, 0x7ffff7fc4000, "vvar at the vDSO"),
		POKE(mig_task, rlim[0].max, ~0ull, "a soft CPU limit of 0 under none"),
		POKE(mig_task, rlim[3].cur, 1 << 20, "an address space limit as high as its hard one"),
	};
	static const struct poke bad[] = {
		POKE(mig_task, xsize, 575, "xsize below the legacy area"),
		POKE(mig_task, xsize, MIG_XSTATE_MAX + 1, "xsize too large"),
		POKE(mig_task, xsize, 1024, "xsize other than the layout's"),
		POKE(mig_task, xl.off[2], 512, "a component in the header"),
		POKE(mig_task, xl.off[2], 577, "a component past the end"),
		POKE(mig_task, xl.features, 5, "a layout without SSE"),
		POKE(mig_task, xl.len[0], 160, "a place for the legacy x87 state"),
		POKE(mig_task, auxv_bytes, MIG_AUXV_MAX * 8 + 16, "auxv too large"),
		POKE(mig_task, auxv_bytes, 8, "auxv of half a pair"),
		POKE(mig_task, home_pid, 0, "pid 0"),
		POKE(mig_task, home_pid, -5, "negative pid"),
		POKE(mig_task, rseq_len, 1025, "rseq too large"),
		POKE(mig_task, vdso_end, 0x7ffff7fc3000, "vDSO ending before it starts"),
		POKE(mig_task, vdso_end, 0x7ffff7fc4000 + MIG_VDSO_MAX + MIG_PAGE,
		     "vDSO too large"),
		POKE(mig_task, vdso_start, 0x7ffff7fc4010, "vDSO start unaligned"),
		POKE(mig_task, vvar_start, 0x7ffff7fc0800, "vvar unaligned"),
		POKE(mig_task, vvar_start, 0x7ffff7fc5000, "vvar after the vDSO"),
		POKE(mig_task, rlim[1].cur, 1, "a soft limit above its hard one"),
	};
	static struct mig_task t;

	(void)state;
	assert_int_equal(task(good_task(&t), sizeof(t)), 0);
	/* the smallest and largest register files */
	t.xsize = t.xl.size = 576;
	t.xl.features = 3;
	t.xl.off[2] = t.xl.len[2] = 0;
	assert_int_equal(task(&t, sizeof(t)), 0);
	t.xsize = t.xl.size = MIG_XSTATE_MAX;
	assert_int_equal(task(&t, sizeof(t)), 0);
	good_task(&t);
	assert_int_equal(task(&t, sizeof(t) - 1), -EBADMSG);
	assert_int_equal(task(&t, sizeof(t) + 1), -EBADMSG);
	assert_int_equal(task(&t, 0), -EBADMSG);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		apply(good_task(&t), &ok[i]);
		if (task(&t, sizeof(t)))
			fail_msg("TASK with %s refused", ok[i].what);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		apply(good_task(&t), &bad[i]);
		if (task(&t, sizeof(t)) != -EBADMSG)
			fail_msg("TASK with %s accepted", bad[i].what);
	}
	/* a vDSO that ends at the top of user space, and one past it */
	good_task(&t);
	t.vvar_start = t.vdso_start = MIG_USER_TOP - 2 * MIG_PAGE;
	t.vdso_end = MIG_USER_TOP;
	assert_int_equal(task(&t, sizeof(t)), 0);
	t.vvar_start = t.vdso_start = MIG_USER_TOP - MIG_PAGE;
	t.vdso_end = MIG_USER_TOP + MIG_PAGE;
	assert_int_equal(task(&t, sizeof(t)), -EBADMSG);
}

/* ---- VMAS, PAGES ---- */

#define PG MIG_PAGE

static struct mig_vma V(uint64_t start, uint64_t end, uint32_t prot, uint32_t kind,
			uint64_t pages)
{
	return (struct mig_vma){ start, end, prot, kind, pages, 0, 0, 0 };
}

/*
 * A VMAS payload of @len bytes: a header saying @count, then the @n VMAs
 * of @v (as many as fit). When the decoder accepts it, what it returns
 * must be the VMAs in the buffer and the count of the header.
 */
static int vmas(uint32_t count, const struct mig_vma *v, uint32_t n, size_t len)
{
	size_t full = sizeof(struct mig_vmas_hdr) + (size_t)n * sizeof(*v);
	struct mig_vmas_hdr *h;
	const struct mig_vma *got = NULL;
	uint32_t got_n = 0;
	uint8_t *b;
	int r;

	h = calloc(1, full);
	assert_non_null(h);
	h->count = count;
	if (n)
		memcpy(h + 1, v, (size_t)n * sizeof(*v));
	b = exact(h, full, len);
	free(h);
	r = mig_vmas_check(b, len, &got, &got_n);
	if (r == 0) {
		assert_ptr_equal(got, b + sizeof(struct mig_vmas_hdr));
		assert_int_equal(got_n, count);
	}
	free(b);
	return r;
}

#define HDR sizeof(struct mig_vmas_hdr)
#define VSZ sizeof(struct mig_vma)

static void test_vmas(void **state)
{
	/* text, data right after it (adjacent is not overlapping), stack */
	const struct mig_vma good[3] = {
		V(0x400000, 0x402000, 5, MIG_VK_FILE, 2),
		V(0x402000, 0x404000, 3, MIG_VK_HEAP, 0),
		V(0x7ffffffde000, 0x7ffffffff000, 3, MIG_VK_STACK, 0x21),
	};

	(void)state;
	assert_int_equal(vmas(3, good, 3, HDR + 3 * VSZ), 0);
	assert_int_equal(vmas(0, NULL, 0, HDR), 0);
	assert_int_equal(vmas(1, good, 1, HDR + VSZ), 0);
	/* lengths: short of the header, cut, one byte over, count disagrees */
	assert_int_equal(vmas(0, NULL, 0, 0), -EBADMSG);
	assert_int_equal(vmas(0, NULL, 0, HDR - 1), -EBADMSG);
	assert_int_equal(vmas(3, good, 3, HDR + 3 * VSZ - 1), -EBADMSG);
	assert_int_equal(vmas(3, good, 3, HDR + 2 * VSZ), -EBADMSG);
	assert_int_equal(vmas(3, good, 3, HDR + 3 * VSZ + 1), -EBADMSG);
	assert_int_equal(vmas(2, good, 3, HDR + 3 * VSZ), -EBADMSG);
	assert_int_equal(vmas(4, good, 3, HDR + 3 * VSZ), -EBADMSG);
	assert_int_equal(vmas(UINT32_MAX, good, 3, HDR + 3 * VSZ), -EBADMSG);
}

static void test_vmas_count_limit(void **state)
{
	uint32_t n = MIG_MAX_VMAS + 1;
	struct mig_vma *v = calloc(n, sizeof(*v));

	(void)state;
	assert_non_null(v);
	for (uint32_t i = 0; i < n; i++)
		v[i] = V(0x10000 + 2 * i * PG, 0x10000 + (2 * i + 1) * PG, 3, MIG_VK_ANON, 1);
	assert_int_equal(vmas(MIG_MAX_VMAS, v, MIG_MAX_VMAS, HDR + MIG_MAX_VMAS * VSZ), 0);
	assert_int_equal(vmas(n, v, n, HDR + n * VSZ), -EBADMSG);
	free(v);
}

static void test_vmas_malformed(void **state)
{
	static const struct {
		const char *what;
		struct mig_vma v;	/* the middle one of three */
		int want;
	} cases[] = {
		{ "the good one", { 0x500000, 0x510000, 3, MIG_VK_ANON, 0x10, 0, 0, 0 }, 0 },
		{ "prot rwx", { 0x500000, 0x510000, 7, MIG_VK_ANON, 0, 0, 0, 0 }, 0 },
		{ "prot none", { 0x500000, 0x510000, 0, MIG_VK_ANON, 0, 0, 0, 0 }, 0 },
		{ "a start unaligned", { 0x500800, 0x510000, 3, MIG_VK_ANON, 0, 0, 0, 0 }, -EBADMSG },
		{ "an end unaligned", { 0x500000, 0x510001, 3, MIG_VK_ANON, 0, 0, 0, 0 }, -EBADMSG },
		{ "empty", { 0x500000, 0x500000, 3, MIG_VK_ANON, 0, 0, 0, 0 }, -EBADMSG },
		{ "reversed", { 0x510000, 0x500000, 3, MIG_VK_ANON, 0, 0, 0, 0 }, -EBADMSG },
		{ "overlapping the one before", { 0x401000, 0x510000, 3, MIG_VK_ANON, 0, 0, 0, 0 },
		  -EBADMSG },
		{ "before the one before (unsorted)", { 0x100000, 0x200000, 3, MIG_VK_ANON, 0, 0, 0, 0 },
		  -EBADMSG },
		{ "overlapping the one after", { 0x500000, 0x7ffffffdf000, 3, MIG_VK_ANON, 0, 0, 0, 0 },
		  -EBADMSG },
		{ "after the one after (unsorted)",
		  { 0x7ffffffff000, 0x800000000000, 3, MIG_VK_ANON, 0, 0, 0, 0 }, -EBADMSG },
		{ "more pages than it holds", { 0x500000, 0x510000, 3, MIG_VK_ANON, 0x11, 0, 0, 0 },
		  -EBADMSG },
		{ "a wild page count", { 0x500000, 0x510000, 3, MIG_VK_ANON, UINT64_MAX, 0, 0, 0 },
		  -EBADMSG },
		{ "an unknown prot bit", { 0x500000, 0x510000, 8, MIG_VK_ANON, 0, 0, 0, 0 }, -EBADMSG },
		{ "kind 0", { 0x500000, 0x510000, 3, 0, 0, 0, 0, 0 }, -EBADMSG },
		{ "an unknown kind", { 0x500000, 0x510000, 3, MIG_VK_HEAP + 1, 0, 0, 0, 0 }, -EBADMSG },
		{ "a file's, at an offset", { 0x500000, 0x510000, 5, MIG_VK_FILE, 1, 0x3000, 1, 0 },
		  0 },
		{ "the last file", { 0x500000, 0x510000, 5, MIG_VK_FILE, 0, 0, MIG_MAX_FILES, 0 }, 0 },
		{ "a file past the table's limit",
		  { 0x500000, 0x510000, 5, MIG_VK_FILE, 0, 0, MIG_MAX_FILES + 1, 0 }, -EBADMSG },
		{ "a file for anonymous memory", { 0x500000, 0x510000, 3, MIG_VK_ANON, 0, 0, 1, 0 },
		  -EBADMSG },
		{ "an offset unaligned", { 0x500000, 0x510000, 5, MIG_VK_FILE, 0, 0x800, 1, 0 },
		  -EBADMSG },
		{ "padding set", { 0x500000, 0x510000, 5, MIG_VK_FILE, 0, 0, 1, 1 }, -EBADMSG },
	};
	struct mig_vma v[3] = {
		V(0x400000, 0x402000, 5, MIG_VK_FILE, 2),
		V(0, 0, 0, 0, 0),
		V(0x7ffffffde000, 0x7ffffffff000, 3, MIG_VK_STACK, 0x21),
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v[1] = cases[i].v;
		if (vmas(3, v, 3, HDR + 3 * VSZ) != cases[i].want)
			fail_msg("VMAS with %s: not %d", cases[i].what, cases[i].want);
	}
}

static void test_vmas_top(void **state)
{
	struct mig_vma v[2] = {
		V(0x400000, 0x401000, 5, MIG_VK_FILE, 1),
		V(MIG_USER_TOP - 4 * PG, MIG_USER_TOP, 3, MIG_VK_STACK, 4),
	};

	(void)state;
	assert_int_equal(vmas(2, v, 2, HDR + 2 * VSZ), 0);
	v[1].end = MIG_USER_TOP + PG;
	assert_int_equal(vmas(2, v, 2, HDR + 2 * VSZ), -EBADMSG);
	/* a kernel address, and one that wraps */
	v[1] = V(0xffffffffff600000, 0xffffffffff601000, 5, MIG_VK_ANON, 0);
	assert_int_equal(vmas(2, v, 2, HDR + 2 * VSZ), -EBADMSG);
	v[1] = V(0xfffffffffffff000, 0x1000, 3, MIG_VK_ANON, 0);
	assert_int_equal(vmas(2, v, 2, HDR + 2 * VSZ), -EBADMSG);
}

/* ---- FILES, HAVE ---- */

static struct mig_file F(const char *path, uint64_t size)
{
	struct mig_file f = { .size = size };

	memset(f.hash, 0xab, sizeof(f.hash));
	snprintf(f.path, sizeof(f.path), "%s", path);
	return f;
}

/* A FILES payload of @len bytes saying @count, then the @n of @f. */
static int files(uint32_t count, const struct mig_file *f, uint32_t n, size_t len)
{
	size_t full = sizeof(struct mig_files_hdr) + (size_t)n * sizeof(*f);
	struct mig_files_hdr *h = calloc(1, full);
	const struct mig_file *got = NULL;
	uint32_t got_n = 0;
	uint8_t *b;
	int r;

	assert_non_null(h);
	h->count = count;
	if (n)
		memcpy(h + 1, f, (size_t)n * sizeof(*f));
	b = exact(h, full, len);
	free(h);
	r = mig_files_check(b, len, &got, &got_n);
	if (r == 0) {
		assert_ptr_equal(got, b + sizeof(struct mig_files_hdr));
		assert_int_equal(got_n, count);
	}
	free(b);
	return r;
}

#define FHDR sizeof(struct mig_files_hdr)
#define FSZ sizeof(struct mig_file)

/*
 * WARM: FILES with the sender's stream version in the header's pad; a
 * peer of another version is told apart from a malformed list.
 */
static void test_warm(void **state)
{
	struct {
		struct mig_files_hdr h;
		struct mig_file f[1];
	} w = { { 1, MIG_VERSION }, { F("/usr/bin/perl", 3945288) } };
	const struct mig_file *got = NULL;
	uint32_t n = 0, version = 0;

	(void)state;
	assert_int_equal(mig_warm_check(&w, sizeof(w), &got, &n, &version), 0);
	assert_ptr_equal(got, w.f);
	assert_int_equal(n, 1);
	/* FILES must have a zero pad: a WARM is not a FILES */
	assert_int_equal(mig_files_check(&w, sizeof(w), &got, &n), -EBADMSG);
	w.h.pad = MIG_VERSION + 1;
	assert_int_equal(mig_warm_check(&w, sizeof(w), &got, &n, &version), -EPROTONOSUPPORT);
	assert_int_equal(version, MIG_VERSION + 1);
	w.h.pad = 0;
	assert_int_equal(mig_warm_check(&w, sizeof(w), &got, &n, &version), -EPROTONOSUPPORT);
	assert_int_equal(version, 0);
	/* the right version, then as FILES: cut, a count that disagrees */
	w.h.pad = MIG_VERSION;
	assert_int_equal(mig_warm_check(&w, sizeof(w) - 1, &got, &n, &version), -EBADMSG);
	assert_int_equal(mig_warm_check(&w, FHDR - 1, &got, &n, &version), -EBADMSG);
	w.h.count = 2;
	assert_int_equal(mig_warm_check(&w, sizeof(w), &got, &n, &version), -EBADMSG);
}

static void test_files(void **state)
{
	struct mig_file f[2] = { F("/usr/lib/x86_64-linux-gnu/libc.so.6", 1922136),
				 F("/usr/bin/python3.11", 6831736) };
	struct mig_file *many = calloc(MIG_MAX_FILES + 1, FSZ);

	(void)state;
	assert_non_null(many);
	assert_int_equal(files(2, f, 2, FHDR + 2 * FSZ), 0);
	assert_int_equal(files(0, NULL, 0, FHDR), 0);
	/* lengths: short of the header, cut, one over, the count disagrees */
	assert_int_equal(files(0, NULL, 0, FHDR - 1), -EBADMSG);
	assert_int_equal(files(2, f, 2, FHDR + 2 * FSZ - 1), -EBADMSG);
	assert_int_equal(files(2, f, 2, FHDR + 2 * FSZ + 1), -EBADMSG);
	assert_int_equal(files(1, f, 2, FHDR + 2 * FSZ), -EBADMSG);
	assert_int_equal(files(UINT32_MAX, f, 2, FHDR + 2 * FSZ), -EBADMSG);
	/* at most MIG_MAX_FILES */
	for (int i = 0; i <= MIG_MAX_FILES; i++)
		many[i] = f[0];
	assert_int_equal(files(MIG_MAX_FILES, many, MIG_MAX_FILES, FHDR + MIG_MAX_FILES * FSZ),
			 0);
	assert_int_equal(files(MIG_MAX_FILES + 1, many, MIG_MAX_FILES + 1,
			       FHDR + (MIG_MAX_FILES + 1) * FSZ), -EBADMSG);
	free(many);
	/* a relative path, an empty one, one not terminated, an empty file */
	f[1] = F("lib/libc.so.6", 10);
	assert_int_equal(files(2, f, 2, FHDR + 2 * FSZ), -EBADMSG);
	f[1] = F("", 10);
	assert_int_equal(files(2, f, 2, FHDR + 2 * FSZ), -EBADMSG);
	f[1] = F("/lib", 10);
	memset(f[1].path, 'x', sizeof(f[1].path));
	f[1].path[0] = '/';
	assert_int_equal(files(2, f, 2, FHDR + 2 * FSZ), -EBADMSG);
	f[1] = F("/lib/empty", 0);
	assert_int_equal(files(2, f, 2, FHDR + 2 * FSZ), -EBADMSG);
	/* HAVE: a bit a file, nothing more, nothing less */
	assert_int_equal(mig_fixed_check(MIG_M_HAVE, MIG_MAX_FILES / 8), 0);
	assert_int_equal(mig_fixed_check(MIG_M_HAVE, MIG_MAX_FILES / 8 - 1), -EBADMSG);
	assert_int_equal(mig_fixed_check(MIG_M_HAVE, MIG_MAX_FILES / 8 + 1), -EBADMSG);
	assert_int_equal(mig_fixed_check(MIG_M_FILES, 8), -EBADMSG);
	assert_int_equal(mig_fixed_check(MIG_M_WARM, 8), -EBADMSG);
}

/* A PAGES payload: a header (@addr, @hdr_len) then @bytes (zero) bytes. */
static int pages(uint64_t addr, uint64_t hdr_len, size_t bytes, const struct mig_vma *vma)
{
	struct mig_pages_hdr h = { addr, hdr_len };
	size_t len = sizeof(h) + bytes;
	uint8_t *b = exact(&h, sizeof(h), len);
	int r = mig_pages_check(b, len, vma);

	free(b);
	return r;
}

static int pages_len(size_t len, const struct mig_vma *vma)
{
	struct mig_pages_hdr h = { 0x10000, len > sizeof(h) ? len - sizeof(h) : 0 };
	uint8_t *b = exact(&h, sizeof(h), len);
	int r = mig_pages_check(b, len, vma);

	free(b);
	return r;
}

static void test_pages(void **state)
{
	const struct mig_vma vma = V(0x10000, 0x14000, 3, MIG_VK_ANON, 4);

	(void)state;
	assert_int_equal(pages(0x10000, 4 * PG, 4 * PG, &vma), 0);	/* all of it */
	assert_int_equal(pages(0x10000, PG, PG, &vma), 0);		/* the first page */
	assert_int_equal(pages(0x13000, PG, PG, &vma), 0);		/* the last page */
	assert_int_equal(pages(0x11000, 2 * PG, 2 * PG, &vma), 0);
	/* the header's length is the bytes that follow */
	assert_int_equal(pages(0x10000, PG, PG + 1, &vma), -EBADMSG);
	assert_int_equal(pages(0x10000, PG, PG - 1, &vma), -EBADMSG);
	assert_int_equal(pages(0x10000, 2 * PG, PG, &vma), -EBADMSG);
	assert_int_equal(pages_len(0, &vma), -EBADMSG);
	assert_int_equal(pages_len(sizeof(struct mig_pages_hdr) - 1, &vma), -EBADMSG);
	/* whole pages, at least one */
	assert_int_equal(pages(0x10000, 0, 0, &vma), -EBADMSG);
	assert_int_equal(pages(0x10000, 100, 100, &vma), -EBADMSG);
	assert_int_equal(pages(0x10000, PG + 100, PG + 100, &vma), -EBADMSG);
	assert_int_equal(pages(0x10800, PG, PG, &vma), -EBADMSG);
	/* inside the VMA */
	assert_int_equal(pages(0xf000, PG, PG, &vma), -EBADMSG);	/* before */
	assert_int_equal(pages(0xf000, 2 * PG, 2 * PG, &vma), -EBADMSG);	/* across start */
	assert_int_equal(pages(0x14000, PG, PG, &vma), -EBADMSG);	/* at the end */
	assert_int_equal(pages(0x13000, 2 * PG, 2 * PG, &vma), -EBADMSG);	/* across end */
	assert_int_equal(pages(0x10000, 5 * PG, 5 * PG, &vma), -EBADMSG);	/* too long */
	assert_int_equal(pages(0x80000, PG, PG, &vma), -EBADMSG);	/* far after */
	assert_int_equal(pages(0xfffffffffffff000, PG, PG, &vma), -EBADMSG);
}

/* ---- SYSCALL, SYSRET ---- */

static struct mig_fwd_buf B(uint8_t arg, uint8_t dir, uint8_t iov, uint8_t ret_len,
			    uint32_t len)
{
	return (struct mig_fwd_buf){ arg, dir, iov, ret_len, len };
}

/*
 * A SYSCALL payload: call @nr claiming @nbuf buffers, the @n of @b in the
 * table, then @data_len data bytes; @len bytes in all (0: just these).
 * When the decoder accepts it, the table and the data it returns must be
 * those in the buffer, and *@ret_data_len their length.
 */
static int call_len(int64_t nr, uint32_t nbuf, const struct mig_fwd_buf *b, uint32_t n,
		    size_t data_len, size_t len, size_t *ret_data_len)
{
	size_t full = sizeof(struct mig_fwd_call) + (size_t)n * sizeof(*b) + data_len;
	struct mig_fwd_call *c;
	const struct mig_fwd_buf *got_b = NULL;
	const uint8_t *got_d = NULL;
	size_t got_len = 0;
	uint8_t *rec;
	int r;

	c = calloc(1, full);
	assert_non_null(c);
	c->nr = nr;
	c->args[0] = 1;
	c->args[1] = 0x7fff0000;
	c->nbuf = nbuf;
	if (n)
		memcpy(c + 1, b, (size_t)n * sizeof(*b));
	memset((uint8_t *)(c + 1) + (size_t)n * sizeof(*b), 'd', data_len);
	if (!len)
		len = full;
	rec = exact(c, full, len);
	free(c);
	r = mig_fwd_call_check(rec, len, &got_b, &got_d, &got_len);
	if (r == 0) {
		assert_ptr_equal(got_b, rec + sizeof(struct mig_fwd_call));
		assert_ptr_equal(got_d, rec + sizeof(struct mig_fwd_call) + nbuf * sizeof(*b));
		assert_true(got_d + got_len == rec + len);
		if (ret_data_len)
			*ret_data_len = got_len;
	}
	free(rec);
	return r;
}

static int call(int64_t nr, const struct mig_fwd_buf *b, uint32_t n, size_t data_len)
{
	return call_len(nr, n, b, n, data_len, 0, NULL);
}

static void test_call(void **state)
{
	const struct mig_fwd_buf write1[] = { B(1, MIG_FWD_IN, 0, 0, 5) };
	const struct mig_fwd_buf stat1[] = {
		B(0, MIG_FWD_IN, 0, 0, 5),
		B(1, MIG_FWD_IO, 0, 0, 144),
	};
	const struct mig_fwd_buf read1[] = { B(1, MIG_FWD_OUT, 0, 1, 65536) };
	const struct mig_fwd_buf readv1[] = {
		B(1, MIG_FWD_OUT, 1, 1, 100),
		B(1, MIG_FWD_OUT, 1, 1, 0),
	};
	const struct mig_fwd_buf writev1[] = {
		B(1, MIG_FWD_IN, 1, 0, 3),
		B(1, MIG_FWD_IN, 1, 0, 0),
		B(1, MIG_FWD_IN, 1, 0, 4),
	};
	size_t dlen = 99;

	(void)state;
	assert_int_equal(call_len(1, 1, write1, 1, 5, 0, &dlen), 0);
	assert_int_equal(dlen, 5);
	assert_int_equal(call_len(4, 2, stat1, 2, 5 + 144, 0, &dlen), 0);
	assert_int_equal(dlen, 149);
	assert_int_equal(call_len(0, 1, read1, 1, 0, 0, &dlen), 0);
	assert_int_equal(dlen, 0);
	assert_int_equal(call(19, readv1, 2, 0), 0);
	assert_int_equal(call(20, writev1, 3, 7), 0);
	assert_int_equal(call(39, NULL, 0, 0), 0);	/* getpid: no buffers */
	assert_int_equal(call(1023, NULL, 0, 0), 0);
}

static void test_call_malformed(void **state)
{
	static const struct {
		const char *what;
		struct mig_fwd_buf b;
	} bad[] = {
		{ "argument 6", { 6, MIG_FWD_IN, 0, 0, 5 } },
		{ "argument 255", { 255, MIG_FWD_IN, 0, 0, 5 } },
		{ "direction 0", { 1, 0, 0, 0, 5 } },
		{ "direction 4", { 1, MIG_FWD_IO + 1, 0, 0, 5 } },
		{ "direction 5", { 1, MIG_FWD_IO + 2, 0, 0, 5 } },
		{ "direction 255", { 1, 255, 0, 0, 5 } },
		{ "iov 2", { 1, MIG_FWD_IN, 2, 0, 5 } },
		{ "ret_len 2", { 1, MIG_FWD_IN, 0, 2, 5 } },
	};
	const struct mig_fwd_buf write1[] = { B(1, MIG_FWD_IN, 0, 0, 5) };
	const struct mig_fwd_buf two[] = { B(1, MIG_FWD_IN, 0, 0, 5), B(2, MIG_FWD_OUT, 0, 0, 8) };
	struct mig_fwd_buf *many;

	(void)state;
	/* lengths: short of the header, a table cut short, bytes that do not
	 * add up, bytes for an OUT buffer (nothing goes home for those) */
	assert_int_equal(call_len(1, 0, NULL, 0, 0, sizeof(struct mig_fwd_call) - 1, NULL),
			 -EBADMSG);
	assert_int_equal(call_len(1, 0, NULL, 0, 0, 0, NULL), 0);
	assert_int_equal(call_len(1, 0, NULL, 0, 0, 1, NULL), -EBADMSG);
	assert_int_equal(call_len(1, 2, write1, 1, 0, 0, NULL), -EBADMSG);
	assert_int_equal(call_len(1, 2, two, 2, 5, sizeof(struct mig_fwd_call) + 12, NULL),
			 -EBADMSG);
	assert_int_equal(call(1, write1, 1, 4), -EBADMSG);
	assert_int_equal(call(1, write1, 1, 6), -EBADMSG);
	assert_int_equal(call(1, write1, 1, 0), -EBADMSG);
	assert_int_equal(call(1, two, 2, 5), 0);
	assert_int_equal(call(1, two, 2, 5 + 8), -EBADMSG);
	/* numbers outside the table */
	assert_int_equal(call(-1, write1, 1, 5), -EBADMSG);
	assert_int_equal(call(1024, write1, 1, 5), -EBADMSG);
	assert_int_equal(call(INT64_MIN, write1, 1, 5), -EBADMSG);
	/* with its bytes following or not, whatever the direction means */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (call(1, &bad[i].b, 1, 5) != -EBADMSG || call(1, &bad[i].b, 1, 0) != -EBADMSG)
			fail_msg("SYSCALL with a buffer of %s accepted", bad[i].what);
	/* 1024 buffers are the most; the lengths are u32, summed unwrapped */
	many = calloc(1025, sizeof(*many));
	assert_non_null(many);
	for (int i = 0; i < 1025; i++)
		many[i] = B(0, MIG_FWD_OUT, 1, 1, 1);
	assert_int_equal(call(1, many, 1024, 0), 0);
	assert_int_equal(call(1, many, 1025, 0), -EBADMSG);
	assert_int_equal(call_len(1, UINT32_MAX, many, 1025, 0, 0, NULL), -EBADMSG);
	many[0] = B(0, MIG_FWD_IN, 0, 0, UINT32_MAX);
	many[1] = B(1, MIG_FWD_IN, 0, 0, 2);
	assert_int_equal(call(1, many, 2, 1), -EBADMSG);
	free(many);
}

/*
 * A SYSRET payload claiming @nbuf buffers, the @n lengths of @lens, then
 * @data_len bytes; checked against a call of @want buffers.
 */
static int ret_len(uint32_t nbuf, const uint32_t *lens, uint32_t n, size_t data_len, size_t len,
		   uint32_t want, size_t *ret_data_len)
{
	size_t full = sizeof(struct mig_fwd_ret) + (size_t)n * sizeof(*lens) + data_len;
	struct mig_fwd_ret *r;
	const uint32_t *got_l = NULL;
	const uint8_t *got_d = NULL;
	size_t got_len = 0;
	uint8_t *rec;
	int e;

	r = calloc(1, full);
	assert_non_null(r);
	r->ret = 7;
	r->nbuf = nbuf;
	if (n)
		memcpy(r + 1, lens, (size_t)n * sizeof(*lens));
	if (!len)
		len = full;
	rec = exact(r, full, len);
	free(r);
	e = mig_fwd_ret_check(rec, len, want, &got_l, &got_d, &got_len);
	if (e == 0) {
		assert_ptr_equal(got_l, rec + sizeof(struct mig_fwd_ret));
		assert_ptr_equal(got_d, rec + sizeof(struct mig_fwd_ret) + want * sizeof(*lens));
		assert_true(got_d + got_len == rec + len);
		if (ret_data_len)
			*ret_data_len = got_len;
	}
	free(rec);
	return e;
}

static void test_ret(void **state)
{
	const uint32_t lens[] = { 3, 0, 4 };
	const uint32_t huge[] = { UINT32_MAX, 1 };
	size_t dlen = 99;

	(void)state;
	assert_int_equal(ret_len(3, lens, 3, 7, 0, 3, &dlen), 0);
	assert_int_equal(dlen, 7);
	assert_int_equal(ret_len(0, NULL, 0, 0, 0, 0, &dlen), 0);
	assert_int_equal(dlen, 0);
	/* the wrong buffer count, either way */
	assert_int_equal(ret_len(3, lens, 3, 7, 0, 2, NULL), -EBADMSG);
	assert_int_equal(ret_len(3, lens, 3, 7, 0, 4, NULL), -EBADMSG);
	assert_int_equal(ret_len(2, lens, 3, 7, 0, 3, NULL), -EBADMSG);
	assert_int_equal(ret_len(0, NULL, 0, 0, 0, 1, NULL), -EBADMSG);
	/* lengths: short of the header, the lengths cut, bytes not adding up */
	assert_int_equal(ret_len(0, NULL, 0, 0, sizeof(struct mig_fwd_ret) - 1, 0, NULL),
			 -EBADMSG);
	assert_int_equal(ret_len(0, NULL, 0, 0, offsetof(struct mig_fwd_ret, nbuf) + 2, 0, NULL),
			 -EBADMSG);
	assert_int_equal(ret_len(0, NULL, 0, 0, 1, 0, NULL), -EBADMSG);
	assert_int_equal(ret_len(0, NULL, 0, 0, 0, 0, NULL), 0);
	assert_int_equal(ret_len(3, lens, 2, 0, 0, 3, NULL), -EBADMSG);
	assert_int_equal(ret_len(3, lens, 3, 6, 0, 3, NULL), -EBADMSG);
	assert_int_equal(ret_len(3, lens, 3, 8, 0, 3, NULL), -EBADMSG);
	assert_int_equal(ret_len(0, NULL, 0, 1, 0, 0, NULL), -EBADMSG);
	/* lengths whose u32 sum would wrap to 0 */
	assert_int_equal(ret_len(2, huge, 2, 0, 0, 2, NULL), -EBADMSG);
	/* a caller expecting more buffers than the record can hold */
	assert_int_equal(ret_len(UINT32_MAX, NULL, 0, 0, 0, UINT32_MAX, NULL), -EBADMSG);
}

/* ---- fixed-size records ---- */

static void test_fixed(void **state)
{
	static const struct {
		uint32_t type;
		size_t len;
	} ok[] = {
		{ MIG_M_SIGNAL, sizeof(struct mig_signal) },
		{ MIG_M_KILL, sizeof(struct mig_signal) },
		{ MIG_M_EXIT, sizeof(struct mig_exit) },
		{ MIG_M_END, sizeof(struct mig_end) },
		{ MIG_M_READY, sizeof(struct mig_ready) },
		{ MIG_M_COMEHOME, sizeof(struct mig_comehome) },
		{ MIG_M_FILEREQ, sizeof(struct mig_filereq) },
		{ MIG_M_PPID, sizeof(struct mig_ppid) },
		{ MIG_M_STOPPED, sizeof(struct mig_signal) },
		{ MIG_M_PRIO, sizeof(struct mig_prio) },
		{ MIG_M_CPU, sizeof(struct mig_cpu) },
		{ MIG_M_FREEZE, sizeof(struct mig_freeze) },
		{ MIG_M_WELCOME, 0 },
		{ MIG_M_TAKE, 0 },
		{ MIG_M_GO, 0 },
		{ MIG_M_HOMEOK, 0 },
		{ MIG_M_PING, 0 },
		{ MIG_M_LEAVE, 0 },
	};
	/* the variable-size types have decoders of their own; the rest are
	 * not record types at all */
	static const uint32_t unknown[] = {
		0, MIG_M_HELLO, MIG_M_REFUSE, MIG_M_TASK, MIG_M_VMAS, MIG_M_PAGES,
		MIG_M_ABORT, MIG_M_SYSCALL, MIG_M_SYSRET, MIG_M_FILEDATA, MIG_M_MAX,
		MIG_M_MAX + 1, 255, UINT32_MAX,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(mig_fixed_check(ok[i].type, ok[i].len), 0);
		assert_int_equal(mig_fixed_check(ok[i].type, ok[i].len + 1), -EBADMSG);
		assert_int_equal(mig_fixed_check(ok[i].type, ok[i].len + 4096), -EBADMSG);
		if (ok[i].len)
			assert_int_equal(mig_fixed_check(ok[i].type, ok[i].len - 1), -EBADMSG);
		else
			assert_int_equal(mig_fixed_check(ok[i].type, 8), -EBADMSG);
	}
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		for (size_t len = 0; len <= 32; len++)
			if (mig_fixed_check(unknown[i], len) != -EBADMSG)
				fail_msg("type %u of %zu bytes accepted as fixed", unknown[i], len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_is_frozen),
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_hello_comm_unterminated),
		cmocka_unit_test(test_reason),
		cmocka_unit_test(test_task),
		cmocka_unit_test(test_vmas),
		cmocka_unit_test(test_vmas_count_limit),
		cmocka_unit_test(test_vmas_malformed),
		cmocka_unit_test(test_vmas_top),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_warm),
		cmocka_unit_test(test_pages),
		cmocka_unit_test(test_call),
		cmocka_unit_test(test_call_malformed),
		cmocka_unit_test(test_ret),
		cmocka_unit_test(test_fixed),
	};

	return cmocka_run_group_tests_name("mig_img", tests, NULL, NULL);
}
