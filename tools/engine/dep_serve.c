// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "engine/dep_serve.h"
#include "engine/mig_img.h"

#define FIRST_BUF 4096u		/* the gadget and small scratch live below */

static uint64_t align16(uint64_t x)
{
	return (x + 15) & ~15ull;
}

/*
 * Where a call's buffers go in the home process: the agent's shared page
 * when they fit there (plain copies, no system call), else the scratch
 * area (process_vm_writev/readv).
 */
struct area {
	const struct inj *j;
	uint64_t home;		/* the first byte, at home */
	uint8_t *local;		/* the same byte here, or NULL */
};

static int area_put(const struct area *a, uint64_t addr, const void *p, size_t n)
{
	if (!a->local)
		return inj_put(a->j, addr, p, n);
	memcpy(a->local + (addr - a->home), p, n);
	return 0;
}

static int area_get(const struct area *a, uint64_t addr, void *p, size_t n)
{
	if (!a->local)
		return inj_get(a->j, addr, p, n);
	memcpy(p, a->local + (addr - a->home), n);
	return 0;
}

/* The bytes the buffers and iovec arrays of a call take, aligned as placed. */
static uint64_t call_bytes(const struct mig_fwd_buf *b, uint32_t nbuf)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < nbuf; i++)
		n += align16(b[i].len) + (b[i].iov ? align16(sizeof(struct iovec)) : 0);
	return n;
}

int dep_serve_call(struct inj *j, struct dep_agent *ag, const void *rec, size_t len,
		   uint8_t *reply, size_t cap, size_t *ret_len, bool *ret_aborted)
{
	const struct mig_fwd_call *c = rec;
	const struct mig_fwd_buf *b;
	const uint8_t *in;
	size_t in_len, out_len = 0;
	uint64_t args[6], where[64], cur, limit;
	struct mig_fwd_ret *rr = (struct mig_fwd_ret *)reply;
	struct area a;
	uint32_t *lens;
	uint8_t *out;
	long ret;
	int r;

	r = mig_fwd_call_check(rec, len, &b, &in, &in_len);
	if (r)
		return r;
	if (c->nbuf > 64 || cap < sizeof(*rr) + c->nbuf * sizeof(uint32_t))
		return -EBADMSG;
	memcpy(args, c->args, sizeof(args));
	if (ag && call_bytes(b, c->nbuf) <= DEP_AGENT_SHM - DEP_AGENT_BUF) {
		a = (struct area){ j, ag->shm_home + DEP_AGENT_BUF,
				   (uint8_t *)ag->shm + DEP_AGENT_BUF };
		limit = ag->shm_home + DEP_AGENT_SHM;
	} else {
		a = (struct area){ j, j->scratch + FIRST_BUF, NULL };
		/* the agent's stack is right below its page, the kept
		 * arguments below that */
		limit = j->scratch + j->scratch_len - DEP_AGENT_TOP - DEP_AGENT_STACK - DEP_ARGS_LEN;
	}
	cur = a.home;
	/* buffers first, then each iovec array */
	for (uint32_t i = 0; i < c->nbuf; i++) {
		where[i] = cur;
		if (cur > limit || b[i].len > limit - cur)
			return -EBADMSG;
		if (b[i].dir & MIG_FWD_IN) {
			r = area_put(&a, cur, in, b[i].len);
			if (r)
				return -ESRCH;
			in += b[i].len;
		}
		if (!b[i].iov)
			args[b[i].arg] = cur;
		cur = align16(cur + b[i].len);
	}
	for (uint32_t i = 0; i < c->nbuf;) {
		struct iovec v[64];
		uint32_t n = 0, arg = b[i].arg;

		if (!b[i].iov) {
			i++;
			continue;
		}
		/* every element, empty ones too: the count argument says how many */
		for (; i < c->nbuf && b[i].iov && b[i].arg == arg && n < 64; i++)
			v[n++] = (struct iovec){ (void *)(uintptr_t)where[i], b[i].len };
		if (cur > limit || n * sizeof(v[0]) > limit - cur)
			return -EBADMSG;
		if (area_put(&a, cur, v, n * sizeof(v[0])))
			return -ESRCH;
		args[arg] = cur;
		cur = align16(cur + n * sizeof(v[0]));
	}

	if (ag) {
		ret = dep_agent_call(ag, j, c->nr, args, ret_aborted);
	} else {
		j->aborted = 0;
		j->abort_on_signal = 1;
		ret = inj_call(j, c->nr, (long)args[0], (long)args[1], (long)args[2],
			       (long)args[3], (long)args[4], (long)args[5]);
		j->abort_on_signal = 0;
		*ret_aborted = j->aborted;
	}
	j->interrupt = 0;	/* this call's */
	if (j->dead)
		return -ESRCH;

	/* aborted: the restart code, for the node to answer with */
	rr->ret = j->aborted ? j->abort_code : ret;
	rr->nbuf = c->nbuf;
	rr->flags = j->aborted ? MIG_FWD_ABORTED : 0;
	lens = (uint32_t *)(rr + 1);
	out = (uint8_t *)(lens + c->nbuf);
	{
		/* ret counts bytes over all iovec elements of one call */
		uint64_t left = ret > 0 ? (uint64_t)ret : 0;

		for (uint32_t i = 0; i < c->nbuf; i++) {
			uint32_t n = 0;

			if (j->aborted) {
				/*
				 * What home's kernel wrote into the process's
				 * own bytes before the stop (what is left of
				 * a ppoll's or select's timeout, poll's
				 * revents) it writes natively too: they go
				 * back with the restart. Out buffers hold
				 * nothing of the process's: never.
				 */
				if (b[i].dir == MIG_FWD_IO)
					n = b[i].len;
			} else if (b[i].dir & MIG_FWD_OUT && ret >= 0) {
				n = b[i].len;
				if (b[i].ret_len) {
					n = left < n ? (uint32_t)left : n;
					left -= n;
				}
			}
			if (n > reply + cap - out)
				return -EBADMSG;
			if (n && area_get(&a, where[i], out, n))
				return -ESRCH;
			lens[i] = n;
			out += n;
			out_len += n;
		}
	}
	*ret_len = (size_t)(out - reply);
	(void)out_len;
	return 0;
}
