// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "engine/rem_fwd.h"

/* Small out-buffers also go home, so bytes the call leaves alone survive. */
#define SMALL_OUT 512

static int peek(pid_t pid, uint64_t addr, void *buf, size_t n)
{
	struct iovec l = { buf, n }, r = { (void *)(uintptr_t)addr, n };

	if (!n)
		return 0;
	return process_vm_readv(pid, &l, 1, &r, 1, 0) == (ssize_t)n ? 0 : -EFAULT;
}

ssize_t rem_read_str(pid_t pid, uint64_t addr, char *buf, size_t cap)
{
	size_t got = 0;

	/* page by page: the string may end just before an unmapped page */
	while (got < cap) {
		size_t chunk = 4096 - ((addr + got) & 4095);
		struct iovec l, r;
		ssize_t n;
		char *z;

		if (chunk > cap - got)
			chunk = cap - got;
		l = (struct iovec){ buf + got, chunk };
		r = (struct iovec){ (void *)(uintptr_t)(addr + got), chunk };
		n = process_vm_readv(pid, &l, 1, &r, 1, 0);
		if (n <= 0)
			return -EFAULT;
		z = memchr(buf + got, 0, (size_t)n);
		if (z)
			return z - buf + 1;
		got += (size_t)n;
	}
	return -ENAMETOOLONG;
}

struct gather {
	pid_t pid;
	uint8_t *cap_end;
	struct mig_fwd_call *call;
	struct mig_fwd_buf *bufs;
	uint8_t *data;		/* where the next IN bytes go */
	size_t total;		/* bytes moved by this call, both ways */
	struct rem_fwd_plan *plan;
};

static int add_buf(struct gather *g, int arg, int dir, int iov, int ret_len, uint64_t addr,
		   uint64_t len)
{
	struct mig_fwd_buf *b;
	uint32_t i = g->call->nbuf;

	if (i == REM_FWD_MAX_BUFS)
		return -E2BIG;
	if (len > REM_FWD_DATA_MAX || g->total + len > REM_FWD_DATA_MAX)
		return -E2BIG;
	if (dir == MIG_FWD_OUT && len <= SMALL_OUT && !ret_len)
		dir = MIG_FWD_IO;
	b = &g->bufs[i];
	b->arg = (uint8_t)arg;
	b->dir = (uint8_t)dir;
	b->iov = (uint8_t)iov;
	b->ret_len = (uint8_t)ret_len;
	b->len = (uint32_t)len;
	g->plan->addr[i] = addr;
	g->plan->len[i] = (uint32_t)len;
	g->plan->dir[i] = (uint8_t)dir;
	g->call->nbuf = i + 1;
	g->total += len;
	return 0;
}

/* The bytes of every IN buffer, in buffer order, after the table. */
static int copy_in(struct gather *g)
{
	uint8_t *p = (uint8_t *)(g->bufs + g->call->nbuf);

	for (uint32_t i = 0; i < g->call->nbuf; i++) {
		if (!(g->bufs[i].dir & MIG_FWD_IN))
			continue;
		if (p + g->bufs[i].len > g->cap_end)
			return -E2BIG;
		if (peek(g->pid, g->plan->addr[i], p, g->bufs[i].len))
			return -EFAULT;
		p += g->bufs[i].len;
	}
	g->data = p;
	return 0;
}

static int gather_iov(struct gather *g, int arg, uint64_t addr, uint64_t count, int dir)
{
	struct iovec v[64];
	int r;

	if (count > 64)
		return -E2BIG;	/* IOV_MAX is 1024: more than 64 goes home */
	r = peek(g->pid, addr, v, count * sizeof(v[0]));
	if (r)
		return r;
	for (uint64_t i = 0; i < count; i++) {
		r = add_buf(g, arg, dir, 1, dir == MIG_FWD_OUT,
			    (uint64_t)(uintptr_t)v[i].iov_base, v[i].iov_len);
		if (r)
			return r;
	}
	/* none: the argument stays as it was, the kernel reads no element */
	return 0;
}

int rem_fwd_gather(pid_t pid, long nr, const uint64_t args[6], const struct sc_desc *d,
		   uint8_t *out, size_t cap, size_t *ret_len, struct rem_fwd_plan *plan)
{
	struct gather g = { .pid = pid, .cap_end = out + cap, .plan = plan };
	int r;

	if (cap < sizeof(struct mig_fwd_call) + REM_FWD_MAX_BUFS * sizeof(struct mig_fwd_buf))
		return -E2BIG;
	g.call = (struct mig_fwd_call *)out;
	memset(g.call, 0, sizeof(*g.call));
	g.call->nr = nr;
	memcpy(g.call->args, args, sizeof(g.call->args));
	g.bufs = (struct mig_fwd_buf *)(g.call + 1);
	plan->nbuf = 0;
	for (int i = 0; i < d->nargs && i < SC_NARGS; i++) {
		const struct sc_arg *a = &d->arg[i];
		uint64_t len = a->size;
		int dir;

		if (a->kind == SCK_VAL || !args[i])
			continue;
		if (a->flags & SCF_LEN_ARG) {
			uint64_t n = args[a->len_arg];

			/* a byte count too large for one trip: a short transfer */
			if (a->size == 1 && n > REM_FWD_DATA_MAX / 2 &&
			    (a->kind == SCK_IN || a->kind == SCK_OUT)) {
				n = REM_FWD_DATA_MAX / 2;
				g.call->args[a->len_arg] = n;
			}
			len = n * a->size;
		} else if (a->flags & SCF_LEN_PTR) {
			uint32_t n;

			if (!args[a->len_arg])
				continue;
			r = peek(pid, args[a->len_arg], &n, sizeof(n));
			if (r)
				return r;
			len = n;
		}
		switch (a->kind) {
		case SCK_IN:
			dir = MIG_FWD_IN;
			break;
		case SCK_OUT:
			dir = MIG_FWD_OUT;
			break;
		case SCK_IO:
			dir = MIG_FWD_IO;
			break;
		case SCK_STR: {
			char path[PATH_MAX];
			ssize_t n = rem_read_str(pid, args[i], path, sizeof(path));

			if (n < 0)
				return (int)n;
			r = add_buf(&g, i, MIG_FWD_IN, 0, 0, args[i], (uint64_t)n);
			if (r)
				return r;
			continue;
		}
		case SCK_IOV_IN:
		case SCK_IOV_OUT:
			r = gather_iov(&g, i, args[i], args[a->len_arg],
				       a->kind == SCK_IOV_IN ? MIG_FWD_IN : MIG_FWD_OUT);
			if (r)
				return r;
			continue;
		default:
			return -ENOSYS;
		}
		r = add_buf(&g, i, dir, 0, !!(a->flags & SCF_RET_LEN), args[i], len);
		if (r)
			return r;
	}
	plan->nbuf = g.call->nbuf;
	r = copy_in(&g);
	if (r)
		return r;
	*ret_len = (size_t)(g.data - out);
	return 0;
}

int rem_fwd_scatter(pid_t pid, const struct rem_fwd_plan *plan, const uint32_t *lens,
		    const uint8_t *data)
{
	int r = 0;

	for (uint32_t i = 0; i < plan->nbuf; i++) {
		struct iovec l = { (void *)data, lens[i] };
		struct iovec rv = { (void *)(uintptr_t)plan->addr[i], lens[i] };

		/* only what the call writes comes back, never into an IN buffer */
		if (lens[i] > plan->len[i] || (lens[i] && !(plan->dir[i] & MIG_FWD_OUT)))
			return -EBADMSG;
		if (lens[i] && process_vm_writev(pid, &l, 1, &rv, 1, 0) != (ssize_t)lens[i])
			r = -EFAULT;
		data += lens[i];
	}
	return r;
}

int rem_fwd_scatter_aborted(pid_t pid, const struct rem_fwd_plan *plan, const uint32_t *lens,
			    const uint8_t *data)
{
	for (uint32_t i = 0; i < plan->nbuf; i++)
		if (lens[i] && plan->dir[i] != MIG_FWD_IO)
			return -EBADMSG;
	return rem_fwd_scatter(pid, plan, lens, data);
}

bool rem_fwd_needs_home(const struct sc_desc *d, const uint64_t args[6])
{
	for (int i = 0; i < d->nargs && i < SC_NARGS; i++)
		if (d->arg[i].kind == SCK_SIGSET && args[i])
			return true;
	return false;
}

void rem_fwd_timeout_left(long nr, uint64_t args[6], const uint64_t first[6],
			  uint64_t elapsed_ns)
{
	int at, ms;

	switch (nr) {
	case SYS_poll:
		at = 2;
		break;
	case SYS_epoll_wait:
	case SYS_epoll_pwait:
		at = 3;
		break;
	default:
		return;
	}
	ms = (int)first[at];
	if (ms <= 0)
		return;		/* no wait, or no end */
	/* whole milliseconds gone, so that it never ends before its time */
	if (elapsed_ns / 1000000 >= (uint64_t)ms)
		ms = 0;
	else
		ms -= (int)(elapsed_ns / 1000000);
	args[at] = (uint64_t)ms;
}
