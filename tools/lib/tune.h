/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_TUNE_H
#define MOSIX_TUNE_H

/*
 * The arithmetic of mosix-tune(8): from timed migrations and timed system
 * calls to the cost lines of the costs file (bal.h). Pure code, no clock:
 * the command measures, this turns the measurements into numbers that
 * bal_costs_load accepts.
 *
 * A migration of a process whose memory is B bytes takes about
 *
 *     t = latency + B / bandwidth
 *
 * (the balancer's model, bal.h), so two moves of different sizes to the
 * same node give both: the slope is 1 / bandwidth, the intercept the
 * latency. A forwarded system call costs the difference between the call
 * made on the node (sent home and answered) and the same call made at
 * home.
 */

#include <stddef.h>
#include <stdint.h>

#include "bal.h"

/* One timed move: what migd said it sent, and how long the request took. */
struct tune_move {
	uint64_t bytes;
	uint64_t ns;
};

/* The largest values bal_costs_load takes; tune_* clamp to them. */
#define TUNE_LATENCY_US_MAX 600000000u
#define TUNE_MIB_PER_S_MAX 1000000u
#define TUNE_FWD_US_MAX 60000000u

/*
 * Latency and bandwidth of a node from two moves of different sizes (in
 * any order), into @ret->latency_us and @ret->mib_per_s (the other fields
 * are left alone). 0 when the line through them was used; 1 when the
 * larger move was no slower than the smaller (noise, or memory too cheap
 * to see at these sizes): then the smaller move's time is the latency and
 * the larger move's mean rate the bandwidth, which errs towards a move
 * costing more than it does, never less. -EINVAL when both moved the same number of bytes or
 * a time is 0. Every value is clamped to [1, TUNE_*_MAX].
 */
int tune_fit(const struct tune_move *a, const struct tune_move *b, struct bal_cost *ret);

/*
 * The cost of one forwarded call in microseconds, rounded up, from the
 * time @calls calls took on the node (@remote_ns) and at home (@home_ns):
 * at least 1 (the call did cross the network), at most TUNE_FWD_US_MAX.
 */
uint32_t tune_fwd_us(uint64_t remote_ns, uint64_t home_ns, unsigned calls);

/*
 * The default line: for each column the median of the @n lines of @k (the
 * mean of the two middle values when @n is even), node 0. With @n == 0,
 * BAL_COST_DEFAULT. 0 or -ENOMEM.
 */
int tune_median(const struct bal_cost *k, size_t n, struct bal_cost *ret);

#endif
