// SPDX-License-Identifier: GPL-2.0-only
#include <stdbool.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>

#include "engine/dep_rusage.h"
#include "engine/mig_img.h"

/* the one out buffer of the answer, if it has exactly @size bytes */
static uint8_t *only_buffer(uint8_t *reply, size_t reply_len, size_t size)
{
	struct mig_fwd_ret *rr = (struct mig_fwd_ret *)reply;
	uint32_t n;

	if (reply_len < sizeof(*rr) + sizeof(uint32_t) + size || rr->nbuf != 1 ||
	    rr->flags || rr->ret < 0)
		return NULL;
	memcpy(&n, rr + 1, sizeof(n));
	if (n != size || reply_len != sizeof(*rr) + sizeof(uint32_t) + size)
		return NULL;
	return reply + sizeof(*rr) + sizeof(uint32_t);
}

bool dep_rusage_add(const void *call, uint8_t *reply, size_t reply_len, uint64_t away_ns,
		    long clk_tck)
{
	const struct mig_fwd_call *c = call;
	uint8_t *p;

	if (!away_ns)
		return false;
	if (c->nr == SYS_getrusage &&
	    ((int)c->args[0] == RUSAGE_SELF || (int)c->args[0] == RUSAGE_THREAD)) {
		struct rusage ru;
		uint64_t us;

		p = only_buffer(reply, reply_len, sizeof(ru));
		if (!p)
			return false;
		memcpy(&ru, p, sizeof(ru));
		us = (uint64_t)ru.ru_utime.tv_sec * 1000000u + (uint64_t)ru.ru_utime.tv_usec +
		     away_ns / 1000u;
		ru.ru_utime.tv_sec = (time_t)(us / 1000000u);
		ru.ru_utime.tv_usec = (suseconds_t)(us % 1000000u);
		memcpy(p, &ru, sizeof(ru));
		return true;
	}
	if (c->nr == SYS_times && clk_tck > 0) {
		struct tms t;

		p = only_buffer(reply, reply_len, sizeof(t));
		if (!p)
			return false;
		memcpy(&t, p, sizeof(t));
		t.tms_utime += (clock_t)(away_ns / (1000000000u / (uint64_t)clk_tck));
		memcpy(p, &t, sizeof(t));
		return true;
	}
	return false;
}
