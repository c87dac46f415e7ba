// SPDX-License-Identifier: GPL-2.0-only
/*
 * The remote half of a forwarded call (engine/rem_fwd.c), with the test
 * process as its own guest: process_vm_readv/writev work on oneself. For
 * each kind of argument of the real descriptors (sc_lookup): the SYSCALL
 * record gathered from the guest's memory, which must pass the decoder
 * the deputy runs (mig_fwd_call_check) and agree with the plan; then a
 * SYSRET made here by hand, checked as the remote checks it
 * (mig_fwd_ret_check), scattered back into the guest's memory.
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/mig_img.h"
#include "engine/rem_fwd.h"
#include "engine/sc_table.h"

#define P(x) ((uint64_t)(uintptr_t)(x))
#define PG 4096

/* what a remote sends: the largest SYSCALL record */
static uint8_t out[sizeof(struct mig_fwd_call) + REM_FWD_MAX_BUFS * sizeof(struct mig_fwd_buf) +
		   REM_FWD_DATA_MAX] __attribute__((aligned(64)));
/* what comes back: a SYSRET made here */
static uint8_t back[sizeof(struct mig_fwd_ret) + REM_FWD_MAX_BUFS * sizeof(uint32_t) + 65536]
	__attribute__((aligned(64)));

/* the last call gathered, as the deputy's decoder sees it */
static struct rem_fwd_plan plan;
static size_t rec_len;
static const struct mig_fwd_buf *bufs;
static const uint8_t *in_data;
static size_t in_len;

static const struct mig_fwd_call *call(void)
{
	return (const struct mig_fwd_call *)out;
}

/*
 * Gather call @nr with @args from this process, into a record of at most
 * @cap bytes. A record it makes must pass mig_fwd_call_check, carry the
 * plan's buffers in the plan's order, and hold for each IN buffer the
 * bytes at its address.
 */
static int gather_cap(long nr, const uint64_t args[6], size_t cap)
{
	const struct sc_desc *d = sc_lookup(nr);
	size_t off = 0;
	int r;

	assert_non_null(d);
	assert_int_equal(d->cls, SC_FWD);
	assert_true(cap <= sizeof(out));
	memset(&plan, 0xa5, sizeof(plan));
	rec_len = 0;
	r = rem_fwd_gather(getpid(), nr, args, d, out, cap, &rec_len, &plan);
	if (r)
		return r;
	assert_true(rec_len <= cap);
	assert_int_equal(mig_fwd_call_check(out, rec_len, &bufs, &in_data, &in_len), 0);
	assert_int_equal(call()->nr, nr);
	assert_int_equal(call()->nbuf, plan.nbuf);
	assert_true(plan.nbuf <= REM_FWD_MAX_BUFS);
	for (uint32_t i = 0; i < plan.nbuf; i++) {
		assert_int_equal(bufs[i].len, plan.len[i]);
		assert_int_equal(bufs[i].dir, plan.dir[i]);
		if (!(bufs[i].dir & MIG_FWD_IN))
			continue;
		assert_true(off + bufs[i].len <= in_len);
		if (bufs[i].len)
			assert_memory_equal(in_data + off, (const void *)(uintptr_t)plan.addr[i],
					    bufs[i].len);
		off += bufs[i].len;
	}
	assert_int_equal(off, in_len);
	return 0;
}

static int gather(long nr, const uint64_t args[6])
{
	return gather_cap(nr, args, sizeof(out));
}

static void assert_buf(uint32_t i, uint8_t arg, uint8_t dir, uint8_t iov, uint8_t ret_len,
		       uint32_t len, const void *addr)
{
	assert_true(i < plan.nbuf);
	assert_int_equal(bufs[i].arg, arg);
	assert_int_equal(bufs[i].dir, dir);
	assert_int_equal(bufs[i].iov, iov);
	assert_int_equal(bufs[i].ret_len, ret_len);
	assert_int_equal(bufs[i].len, len);
	assert_int_equal(plan.addr[i], P(addr));
}

/*
 * Answer the last call with a SYSRET: result @ret, @n lengths, @dlen
 * bytes. The remote's decoder must take it (else its error); then it is
 * scattered into this process.
 */
static int answer(int64_t ret, const uint32_t *lens, uint32_t n, const void *data, size_t dlen)
{
	struct mig_fwd_ret *rr = (struct mig_fwd_ret *)back;
	const uint32_t *l;
	const uint8_t *d;
	size_t len = sizeof(*rr) + n * sizeof(*lens) + dlen, got;
	int r;

	assert_true(len <= sizeof(back));
	rr->ret = ret;
	rr->nbuf = n;
	rr->flags = 0;
	if (n)
		memcpy(rr + 1, lens, n * sizeof(*lens));
	if (dlen)
		memcpy(back + sizeof(*rr) + n * sizeof(*lens), data, dlen);
	r = mig_fwd_ret_check(back, len, plan.nbuf, &l, &d, &got);
	if (r)
		return r;
	assert_int_equal(got, dlen);
	return rem_fwd_scatter(getpid(), &plan, l, d);
}

/* A page that is surely not mapped. */
static void *hole(void)
{
	void *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	assert_int_equal(munmap(p, PG), 0);
	return p;
}

static void test_write(void **state)
{
	char msg[] = "hello, home";
	const uint32_t none[] = { 0 };

	(void)state;
	assert_int_equal(gather(SYS_write, (uint64_t[6]){ 1, P(msg), 11 }), 0);
	assert_int_equal(plan.nbuf, 1);
	assert_buf(0, 1, MIG_FWD_IN, 0, 0, 11, msg);
	assert_int_equal(in_len, 11);
	assert_memory_equal(in_data, "hello, home", 11);
	assert_int_equal(rec_len, sizeof(struct mig_fwd_call) + sizeof(struct mig_fwd_buf) + 11);
	assert_int_equal(call()->args[0], 1);
	assert_int_equal(call()->args[1], P(msg));
	assert_int_equal(call()->args[2], 11);
	/* nothing comes back */
	assert_int_equal(answer(11, none, 1, NULL, 0), 0);
	assert_string_equal(msg, "hello, home");
	/* nor does an empty write carry any byte */
	assert_int_equal(gather(SYS_write, (uint64_t[6]){ 1, P(msg), 0 }), 0);
	assert_buf(0, 1, MIG_FWD_IN, 0, 0, 0, msg);
	assert_int_equal(in_len, 0);
}

static void test_read(void **state)
{
	char buf[100];
	const uint32_t five[] = { 5 }, zero[] = { 0 }, over[] = { 101 };
	char big[101];

	(void)state;
	memset(buf, 'g', sizeof(buf));
	memset(big, 'B', sizeof(big));
	assert_int_equal(gather(SYS_read, (uint64_t[6]){ 0, P(buf), sizeof(buf) }), 0);
	/* small, but only `ret` bytes come back: nothing goes home */
	assert_buf(0, 1, MIG_FWD_OUT, 0, 1, sizeof(buf), buf);
	assert_int_equal(in_len, 0);
	assert_int_equal(answer(5, five, 1, "abcde", 5), 0);
	assert_memory_equal(buf, "abcdeggg", 8);
	assert_int_equal(buf[99], 'g');
	/* end of file */
	assert_int_equal(answer(0, zero, 1, NULL, 0), 0);
	assert_memory_equal(buf, "abcdeggg", 8);
	/* more bytes than the buffer holds: refused, the buffer untouched */
	assert_int_equal(answer(101, over, 1, big, sizeof(big)), -EBADMSG);
	assert_memory_equal(buf, "abcdeggg", 8);
	/* a SYSRET with the wrong buffer count is refused by its decoder */
	assert_int_equal(answer(0, NULL, 0, NULL, 0), -EBADMSG);
	assert_int_equal(answer(0, (const uint32_t[]){ 0, 0 }, 2, NULL, 0), -EBADMSG);
}

static void test_read_clamped(void **state)
{
	const uint64_t half = REM_FWD_DATA_MAX / 2;
	char buf[16];
	char *big;

	(void)state;
	/* a count too large for one trip: a short read of half the data limit */
	assert_int_equal(gather(SYS_read, (uint64_t[6]){ 0, P(buf), REM_FWD_DATA_MAX + 1 }), 0);
	assert_int_equal(call()->args[2], half);
	assert_buf(0, 1, MIG_FWD_OUT, 0, 1, (uint32_t)half, buf);
	assert_int_equal(plan.len[0], half);
	assert_int_equal(gather(SYS_read, (uint64_t[6]){ 0, P(buf), UINT64_MAX }), 0);
	assert_int_equal(call()->args[2], half);
	assert_int_equal(gather(SYS_pread64, (uint64_t[6]){ 0, P(buf), half + 1, 4096 }), 0);
	assert_int_equal(call()->args[2], half);
	assert_int_equal(call()->args[3], 4096);
	/* up to the limit the count is kept */
	assert_int_equal(gather(SYS_read, (uint64_t[6]){ 0, P(buf), half }), 0);
	assert_int_equal(call()->args[2], half);
	assert_int_equal(gather(SYS_read, (uint64_t[6]){ 0, P(buf), 4096 }), 0);
	assert_int_equal(call()->args[2], 4096);
	/* a write too: its first bytes go home, a short write */
	big = malloc(half + 100);
	assert_non_null(big);
	for (size_t i = 0; i < half + 100; i++)
		big[i] = (char)(i * 7);
	assert_int_equal(gather(SYS_write, (uint64_t[6]){ 1, P(big), half + 100 }), 0);
	assert_int_equal(call()->args[2], half);
	assert_buf(0, 1, MIG_FWD_IN, 0, 0, (uint32_t)half, big);
	assert_int_equal(in_len, half);
	free(big);
}

static void test_stat(void **state)
{
	const char path[] = "/tmp";
	struct stat st, want;
	const uint32_t lens[] = { 0, sizeof(want) };

	(void)state;
	memset(&st, 0x5a, sizeof(st));
	assert_int_equal(gather(SYS_stat, (uint64_t[6]){ P(path), P(&st) }), 0);
	assert_int_equal(plan.nbuf, 2);
	/* the path with its NUL; the small stat buffer goes both ways, so
	 * that bytes the call leaves alone survive */
	assert_buf(0, 0, MIG_FWD_IN, 0, 0, 5, path);
	assert_buf(1, 1, MIG_FWD_IO, 0, 0, sizeof(st), &st);
	assert_int_equal(in_len, 5 + sizeof(st));
	assert_memory_equal(in_data, "/tmp", 5);
	assert_int_equal(stat(path, &want), 0);
	assert_int_equal(answer(0, lens, 2, &want, sizeof(want)), 0);
	assert_memory_equal(&st, &want, sizeof(st));
	/* a NULL stat buffer: no buffer, the NULL goes home as it is */
	assert_int_equal(gather(SYS_stat, (uint64_t[6]){ P(path), 0 }), 0);
	assert_int_equal(plan.nbuf, 1);
	assert_buf(0, 0, MIG_FWD_IN, 0, 0, 5, path);
	assert_int_equal(call()->args[1], 0);
}

static void test_writev(void **state)
{
	char a[] = "abc", b[] = "defg";
	struct iovec v[3] = { { a, 3 }, { b, 4 }, { a, 0 } };

	(void)state;
	assert_int_equal(gather(SYS_writev, (uint64_t[6]){ 1, P(v), 3 }), 0);
	assert_int_equal(plan.nbuf, 3);
	assert_buf(0, 1, MIG_FWD_IN, 1, 0, 3, a);
	assert_buf(1, 1, MIG_FWD_IN, 1, 0, 4, b);
	assert_buf(2, 1, MIG_FWD_IN, 1, 0, 0, a);
	assert_int_equal(in_len, 7);
	assert_memory_equal(in_data, "abcdefg", 7);
	/* no element: nothing goes home, the kernel reads no iovec */
	assert_int_equal(gather(SYS_writev, (uint64_t[6]){ 1, P(v), 0 }), 0);
	assert_int_equal(plan.nbuf, 0);
	assert_int_equal(in_len, 0);
}

static void test_readv(void **state)
{
	char a[4], b[8];
	struct iovec v[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	const uint32_t lens[] = { 4, 2 };

	(void)state;
	memset(a, '.', sizeof(a));
	memset(b, '.', sizeof(b));
	assert_int_equal(gather(SYS_readv, (uint64_t[6]){ 0, P(v), 2 }), 0);
	assert_int_equal(plan.nbuf, 2);
	assert_buf(0, 1, MIG_FWD_OUT, 1, 1, 4, a);
	assert_buf(1, 1, MIG_FWD_OUT, 1, 1, 8, b);
	assert_int_equal(in_len, 0);
	/* 6 bytes read: the first element full, 2 in the second */
	assert_int_equal(answer(6, lens, 2, "ABCDEF", 6), 0);
	assert_memory_equal(a, "ABCD", 4);
	assert_memory_equal(b, "EF......", 8);
}

static void test_iov_limits(void **state)
{
	static struct iovec v[65];
	static char c[65];
	char *big;

	(void)state;
	for (int i = 0; i < 65; i++)
		v[i] = (struct iovec){ &c[i], 1 };
	/* 64 elements are as many buffers as a call may have; more go home */
	assert_int_equal(gather(SYS_writev, (uint64_t[6]){ 1, P(v), 64 }), 0);
	assert_int_equal(plan.nbuf, 64);
	assert_int_equal(gather(SYS_writev, (uint64_t[6]){ 1, P(v), 65 }), -E2BIG);
	assert_int_equal(gather(SYS_readv, (uint64_t[6]){ 0, P(v), 65 }), -E2BIG);
	/* an iovec is not shortened: more than the data limit goes home */
	big = malloc(REM_FWD_DATA_MAX);
	assert_non_null(big);
	v[0] = (struct iovec){ big, REM_FWD_DATA_MAX / 2 + 1 };
	v[1] = (struct iovec){ big, REM_FWD_DATA_MAX / 2 };
	assert_int_equal(gather(SYS_readv, (uint64_t[6]){ 0, P(v), 2 }), -E2BIG);
	v[0].iov_len = REM_FWD_DATA_MAX / 2;
	assert_int_equal(gather(SYS_readv, (uint64_t[6]){ 0, P(v), 2 }), 0);
	v[0].iov_len = (size_t)REM_FWD_DATA_MAX + 1;
	assert_int_equal(gather(SYS_readv, (uint64_t[6]){ 0, P(v), 1 }), -E2BIG);
	free(big);
}

static void test_accept(void **state)
{
	struct sockaddr_in sa, peer = { .sin_family = AF_INET, .sin_port = htons(4242) };
	socklen_t sl = sizeof(sa), got = sizeof(peer);
	uint8_t large[1000] = { 0 };
	const uint32_t lens[] = { sizeof(peer), sizeof(got) };
	uint8_t data[sizeof(peer) + sizeof(got)];

	(void)state;
	memset(&sa, 0x33, sizeof(sa));
	assert_int_equal(gather(SYS_accept, (uint64_t[6]){ 3, P(&sa), P(&sl) }), 0);
	assert_int_equal(plan.nbuf, 2);
	/* the address buffer has the length *addrlen says; both go both ways */
	assert_buf(0, 1, MIG_FWD_IO, 0, 0, sizeof(sa), &sa);
	assert_buf(1, 2, MIG_FWD_IO, 0, 0, sizeof(sl), &sl);
	assert_int_equal(in_len, sizeof(sa) + sizeof(sl));
	memcpy(data, &peer, sizeof(peer));
	memcpy(data + sizeof(peer), &got, sizeof(got));
	assert_int_equal(answer(5, lens, 2, data, sizeof(data)), 0);
	assert_memory_equal(&sa, &peer, sizeof(sa));
	assert_int_equal(sl, sizeof(peer));
	/* up to 512 bytes (SMALL_OUT in rem_fwd.c) an OUT buffer goes home
	 * too; a larger one only comes back */
	sl = 512;
	assert_int_equal(gather(SYS_accept, (uint64_t[6]){ 3, P(large), P(&sl) }), 0);
	assert_buf(0, 1, MIG_FWD_IO, 0, 0, 512, large);
	sl = 513;
	assert_int_equal(gather(SYS_accept, (uint64_t[6]){ 3, P(large), P(&sl) }), 0);
	assert_buf(0, 1, MIG_FWD_OUT, 0, 0, 513, large);
	sl = sizeof(large);
	assert_int_equal(gather(SYS_accept, (uint64_t[6]){ 3, P(large), P(&sl) }), 0);
	assert_buf(0, 1, MIG_FWD_OUT, 0, 0, sizeof(large), large);
	assert_buf(1, 2, MIG_FWD_IO, 0, 0, sizeof(sl), &sl);
	assert_int_equal(in_len, sizeof(sl));
	/* no address wanted: no buffers */
	assert_int_equal(gather(SYS_accept, (uint64_t[6]){ 3, 0, 0 }), 0);
	assert_int_equal(plan.nbuf, 0);
	assert_int_equal(rec_len, sizeof(struct mig_fwd_call));
	/* an address but no length: no buffer for it (the call fails at home
	 * with EFAULT, as it would here) */
	assert_int_equal(gather(SYS_accept, (uint64_t[6]){ 3, P(&sa), 0 }), 0);
	assert_int_equal(plan.nbuf, 0);
	assert_int_equal(call()->args[1], P(&sa));
	/* a length the guest cannot read */
	assert_int_equal(gather(SYS_accept, (uint64_t[6]){ 3, P(&sa), P(hole()) }), -EFAULT);
	/* a length no trip can carry */
	sl = UINT32_MAX;
	assert_int_equal(gather(SYS_accept, (uint64_t[6]){ 3, P(&sa), P(&sl) }), -E2BIG);
}

static void test_null_pointers(void **state)
{
	struct stat st;

	(void)state;
	assert_int_equal(gather(SYS_write, (uint64_t[6]){ 1, 0, 5 }), 0);
	assert_int_equal(plan.nbuf, 0);
	assert_int_equal(call()->args[1], 0);
	assert_int_equal(call()->args[2], 5);
	assert_int_equal(rec_len, sizeof(struct mig_fwd_call));
	assert_int_equal(gather(SYS_read, (uint64_t[6]){ 0, 0, 100 }), 0);
	assert_int_equal(plan.nbuf, 0);
	assert_int_equal(gather(SYS_stat, (uint64_t[6]){ 0, P(&st) }), 0);
	assert_int_equal(plan.nbuf, 1);
	assert_buf(0, 1, MIG_FWD_IO, 0, 0, sizeof(st), &st);
	assert_int_equal(gather(SYS_readv, (uint64_t[6]){ 0, 0, 0 }), 0);
	assert_int_equal(plan.nbuf, 0);
}

/*
 * A wait with a signal mask of its own comes home with the process; the
 * same call without one is forwarded, its NULL going home as NULL.
 */
static void test_sigset_home(void **state)
{
	struct pollfd pf = { 0, POLLIN, 0 };
	uint64_t mask = 0, ppoll[6] = { P(&pf), 1, 0, 0, 8 };
	uint64_t pwait[6] = { 3, P(&pf), 1, 0, 0, 8 };

	(void)state;
	assert_false(rem_fwd_needs_home(sc_lookup(SYS_ppoll), ppoll));
	assert_int_equal(gather(SYS_ppoll, ppoll), 0);
	assert_int_equal(plan.nbuf, 1);
	ppoll[3] = P(&mask);
	assert_true(rem_fwd_needs_home(sc_lookup(SYS_ppoll), ppoll));
	assert_false(rem_fwd_needs_home(sc_lookup(SYS_epoll_pwait), pwait));
	pwait[4] = P(&mask);
	assert_true(rem_fwd_needs_home(sc_lookup(SYS_epoll_pwait), pwait));
	assert_true(rem_fwd_needs_home(sc_lookup(SYS_epoll_pwait2), pwait));
	/* an argument in that place of another call is just a value */
	assert_false(rem_fwd_needs_home(sc_lookup(SYS_read), pwait));
}

static void test_bad_pointers(void **state)
{
	char *h = hole(), buf[64] = "abcd";
	struct stat st;
	struct iovec v[2] = { { buf, 4 }, { h, 4 } };
	const uint32_t lens[] = { 3 };

	(void)state;
	assert_int_equal(gather(SYS_write, (uint64_t[6]){ 1, P(h), 5 }), -EFAULT);
	/* a buffer that runs into a hole */
	assert_int_equal(gather(SYS_write, (uint64_t[6]){ 1, P(h - 10), 100 }), -EFAULT);
	assert_int_equal(gather(SYS_stat, (uint64_t[6]){ P(h), P(&st) }), -EFAULT);
	/* the stat buffer is small, so it goes home too: read first */
	assert_int_equal(gather(SYS_stat, (uint64_t[6]){ P("/"), P(h) }), -EFAULT);
	assert_int_equal(gather(SYS_writev, (uint64_t[6]){ 1, P(h), 2 }), -EFAULT);
	assert_int_equal(gather(SYS_readv, (uint64_t[6]){ 1, P(h), 2 }), -EFAULT);
	assert_int_equal(gather(SYS_writev, (uint64_t[6]){ 1, P(v), 2 }), -EFAULT);
	/* a buffer that only comes back is not read before: the fault shows
	 * when the bytes come back */
	assert_int_equal(gather(SYS_read, (uint64_t[6]){ 0, P(h), 100 }), 0);
	assert_int_equal(answer(3, lens, 1, "abc", 3), -EFAULT);
}

static void test_long_strings(void **state)
{
	static char s[PATH_MAX + 100];
	struct stat st;

	(void)state;
	memset(s, 'a', sizeof(s));
	s[sizeof(s) - 1] = 0;
	assert_int_equal(gather(SYS_stat, (uint64_t[6]){ P(s), P(&st) }), -ENAMETOOLONG);
	/* PATH_MAX counts the NUL, as the kernel counts it */
	s[PATH_MAX] = 0;
	assert_int_equal(gather(SYS_stat, (uint64_t[6]){ P(s), P(&st) }), -ENAMETOOLONG);
	s[PATH_MAX - 1] = 0;
	assert_int_equal(gather(SYS_stat, (uint64_t[6]){ P(s), P(&st) }), 0);
	assert_buf(0, 0, MIG_FWD_IN, 0, 0, PATH_MAX, s);
	assert_int_equal(in_data[PATH_MAX - 1], 0);
	/* the empty string is one byte */
	assert_int_equal(gather(SYS_stat, (uint64_t[6]){ P(""), P(&st) }), 0);
	assert_int_equal(bufs[0].len, 1);
}

static void test_string_at_page_end(void **state)
{
	char *m = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *end, *s;
	struct stat st;

	(void)state;
	assert_true(m != MAP_FAILED);
	assert_int_equal(munmap(m + 2 * PG, PG), 0);
	end = m + 2 * PG;
	/* its NUL is the last byte before the hole */
	s = end - 5;
	memcpy(s, "/tmp", 5);
	assert_int_equal(gather(SYS_stat, (uint64_t[6]){ P(s), P(&st) }), 0);
	assert_buf(0, 0, MIG_FWD_IN, 0, 0, 5, s);
	assert_memory_equal(in_data, "/tmp", 5);
	/* a string across two mapped pages, up to the hole */
	memset(m + 100, 'x', 2 * PG - 101);
	end[-1] = 0;
	assert_int_equal(gather(SYS_stat, (uint64_t[6]){ P(m + 100), P(&st) }), -ENAMETOOLONG);
	s = end - PATH_MAX;
	assert_int_equal(gather(SYS_stat, (uint64_t[6]){ P(s), P(&st) }), 0);
	assert_buf(0, 0, MIG_FWD_IN, 0, 0, PATH_MAX, s);
	m[PG + 50] = 0;
	s = m + PG - 50;
	assert_int_equal(gather(SYS_stat, (uint64_t[6]){ P(s), P(&st) }), 0);
	assert_buf(0, 0, MIG_FWD_IN, 0, 0, 101, s);
	/* no NUL before the hole: the kernel would fault too */
	end[-1] = 'x';
	assert_int_equal(gather(SYS_stat, (uint64_t[6]){ P(end - 5), P(&st) }), -EFAULT);
	assert_int_equal(gather(SYS_stat, (uint64_t[6]){ P(end - 1), P(&st) }), -EFAULT);
	assert_int_equal(munmap(m, 2 * PG), 0);
}

static void test_capacity(void **state)
{
	const size_t head = sizeof(struct mig_fwd_call) +
			    REM_FWD_MAX_BUFS * sizeof(struct mig_fwd_buf);
	const size_t one = sizeof(struct mig_fwd_call) + sizeof(struct mig_fwd_buf);
	static char buf[10000];
	static const struct sc_desc fake = {
		.name = "fake", .cls = SC_FWD, .nargs = 1, .arg = { { .kind = 99, .size = 8 } },
	};
	uint64_t args[6] = { P(buf) };
	size_t len;

	(void)state;
	/* room for the largest table, always */
	assert_int_equal(gather_cap(SYS_write, (uint64_t[6]){ 1, 0, 0 }, head - 1), -E2BIG);
	assert_int_equal(gather_cap(SYS_write, (uint64_t[6]){ 1, 0, 0 }, head), 0);
	/* the IN bytes must fit after the table of the buffers there are */
	assert_int_equal(gather_cap(SYS_write, (uint64_t[6]){ 1, P(buf), 5000 }, one + 4999),
			 -E2BIG);
	assert_int_equal(gather_cap(SYS_write, (uint64_t[6]){ 1, P(buf), 5000 }, one + 5000), 0);
	assert_int_equal(rec_len, one + 5000);
	/* an argument the descriptors cannot express */
	assert_int_equal(rem_fwd_gather(getpid(), 1000, args, &fake, out, sizeof(out), &len, &plan),
			 -ENOSYS);
}

static void test_rem_read_str(void **state)
{
	char buf[16];

	(void)state;
	assert_int_equal(rem_read_str(getpid(), P("hello"), buf, sizeof(buf)), 6);
	assert_string_equal(buf, "hello");
	assert_int_equal(rem_read_str(getpid(), P("hello"), buf, 6), 6);
	assert_int_equal(rem_read_str(getpid(), P("hello"), buf, 5), -ENAMETOOLONG);
	assert_int_equal(rem_read_str(getpid(), P(hole()), buf, sizeof(buf)), -EFAULT);
}

/*
 * Was a bug (rem_fwd.c, rem_fwd_scatter): bytes come back into a buffer that
 * only went home. The plan records each buffer's direction, but scatter
 * checks only the length. Input: write(1, msg, 5) gathered, then a SYSRET
 * of 5 with lens {5} and bytes "XXXXX". Expected -EBADMSG and msg kept
 * (the deputy never sends bytes for an IN buffer, dep_serve.c); got 0 and
 * msg overwritten. The same holds for a path string (SCK_STR).
 */
static void test_scatter_into_in_buffer(void **state)
{
	char msg[] = "hello";
	const uint32_t lens[] = { 5 };

	(void)state;
	assert_int_equal(gather(SYS_write, (uint64_t[6]){ 1, P(msg), 5 }), 0);
	assert_int_equal(answer(5, lens, 1, "XXXXX", 5), -EBADMSG);
	assert_string_equal(msg, "hello");
}

/*
 * A call a signal stopped at home: its in/out buffers come back as home's
 * kernel left them (ppoll's remaining time); an out buffer never does,
 * since home's copy of it holds nothing of the process's.
 */
static void test_scatter_aborted(void **state)
{
	struct pollfd pf = { 0, POLLIN, 0 };
	struct timespec ts = { 2, 0 };
	const struct timespec left = { 1, 500 };
	const struct pollfd back_pf = { 0, POLLIN, 0 };
	uint8_t data[sizeof(back_pf) + sizeof(left)];
	const uint32_t lens[] = { sizeof(back_pf), sizeof(left) }, rlen[] = { 4 };
	const struct mig_fwd_ret *rr = (const struct mig_fwd_ret *)back;
	const uint32_t *l;
	const uint8_t *d;
	char buf[8] = "keep";
	size_t got;

	(void)state;
	assert_int_equal(gather(SYS_ppoll, (uint64_t[6]){ P(&pf), 1, P(&ts), 0, 8 }), 0);
	memcpy(data, &back_pf, sizeof(back_pf));
	memcpy(data + sizeof(back_pf), &left, sizeof(left));
	assert_int_equal(answer(-514 /* ERESTARTNOHAND */, lens, 2, data, sizeof(data)), 0);
	assert_int_equal(mig_fwd_ret_check(back, sizeof(*rr) + sizeof(lens) + sizeof(data),
					   plan.nbuf, &l, &d, &got), 0);
	ts = (struct timespec){ 2, 0 };
	assert_int_equal(rem_fwd_scatter_aborted(getpid(), &plan, l, d), 0);
	assert_int_equal(ts.tv_sec, 1);
	assert_int_equal(ts.tv_nsec, 500);

	assert_int_equal(gather(SYS_read, (uint64_t[6]){ 0, P(buf), 4 }), 0);
	assert_int_equal(answer(-512 /* ERESTARTSYS */, rlen, 1, "XXXX", 4), 0);	/* plain: written */
	memcpy(buf, "keep", 5);
	assert_int_equal(mig_fwd_ret_check(back, sizeof(*rr) + sizeof(rlen) + 4, plan.nbuf, &l,
					   &d, &got), 0);
	assert_int_equal(rem_fwd_scatter_aborted(getpid(), &plan, l, d), -EBADMSG);
	assert_string_equal(buf, "keep");
}

/*
 * A call forwarded again: poll's and epoll_wait's timeouts count from the
 * first try, in whole milliseconds gone (never ending early); an endless
 * or zero wait, and calls without such a timeout, are left as they are.
 */
static void test_timeout_left(void **state)
{
	const uint64_t first[6] = { 3, 4, 2000, 2000, 5, 6 };
	uint64_t a[6];

	(void)state;
	memcpy(a, first, sizeof(a));
	rem_fwd_timeout_left(SYS_epoll_wait, a, first, 1200999999ull);
	assert_int_equal(a[3], 800);
	assert_int_equal(a[2], 2000);
	rem_fwd_timeout_left(SYS_epoll_pwait, a, first, 1999999999ull);
	assert_int_equal(a[3], 1);
	rem_fwd_timeout_left(SYS_epoll_pwait, a, first, 2000000000ull);
	assert_int_equal(a[3], 0);
	rem_fwd_timeout_left(SYS_epoll_wait, a, first, 99000000000ull);
	assert_int_equal(a[3], 0);

	memcpy(a, first, sizeof(a));
	rem_fwd_timeout_left(SYS_poll, a, first, 500000000ull);
	assert_int_equal(a[2], 1500);
	assert_int_equal(a[3], 2000);

	/* -1 (as the 32-bit int the kernel reads) and 0 stay */
	{
		const uint64_t never[6] = { 3, 4, 0, 0xffffffffull, 0, 0 };

		memcpy(a, never, sizeof(a));
		rem_fwd_timeout_left(SYS_epoll_wait, a, never, 5000000000ull);
		assert_int_equal(a[3], 0xffffffffull);
		rem_fwd_timeout_left(SYS_poll, a, never, 5000000000ull);
		assert_int_equal(a[2], 0);
	}
	/* ppoll's is a timespec, read, as every argument, from the guest */
	memcpy(a, first, sizeof(a));
	rem_fwd_timeout_left(SYS_ppoll, a, first, 500000000ull);
	rem_fwd_timeout_left(SYS_read, a, first, 500000000ull);
	assert_memory_equal(a, first, sizeof(a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_read_clamped),
		cmocka_unit_test(test_stat),
		cmocka_unit_test(test_writev),
		cmocka_unit_test(test_readv),
		cmocka_unit_test(test_iov_limits),
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_null_pointers),
		cmocka_unit_test(test_sigset_home),
		cmocka_unit_test(test_bad_pointers),
		cmocka_unit_test(test_long_strings),
		cmocka_unit_test(test_string_at_page_end),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_rem_read_str),
		cmocka_unit_test(test_scatter_into_in_buffer),
		cmocka_unit_test(test_scatter_aborted),
		cmocka_unit_test(test_timeout_left),
	};

	return cmocka_run_group_tests_name("rem_fwd", tests, NULL, NULL);
}
