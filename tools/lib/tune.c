// SPDX-License-Identifier: GPL-2.0-only
/* mosix-tune's arithmetic (tune.h). */
#include "tune.h"

#include <errno.h>
#include <stdlib.h>

/* @v rounded to the nearest whole number within [1, @max]; NaN gives 1 */
static uint32_t clamp_round(double v, uint32_t max)
{
	if (!(v >= 1.0))
		return 1;
	if (v >= (double)max)
		return max;
	return (uint32_t)(v + 0.5);
}

int tune_fit(const struct tune_move *a, const struct tune_move *b, struct bal_cost *ret)
{
	const struct tune_move *lo = a, *hi = b;
	double ns_per_byte;

	if (a->bytes > b->bytes) {
		lo = b;
		hi = a;
	}
	if (lo->bytes == hi->bytes || !lo->ns || !hi->ns)
		return -EINVAL;
	if (hi->ns <= lo->ns) {
		ret->latency_us = clamp_round((double)lo->ns / 1e3, TUNE_LATENCY_US_MAX);
		ret->mib_per_s = clamp_round((double)hi->bytes * 1e9 / ((double)hi->ns * 1048576.0),
					     TUNE_MIB_PER_S_MAX);
		return 1;
	}
	ns_per_byte = (double)(hi->ns - lo->ns) / (double)(hi->bytes - lo->bytes);
	ret->latency_us = clamp_round(((double)lo->ns - ns_per_byte * (double)lo->bytes) / 1e3,
				      TUNE_LATENCY_US_MAX);
	ret->mib_per_s = clamp_round(1e9 / (ns_per_byte * 1048576.0), TUNE_MIB_PER_S_MAX);
	return 0;
}

uint32_t tune_fwd_us(uint64_t remote_ns, uint64_t home_ns, unsigned calls)
{
	uint64_t per = 1000 * (uint64_t)(calls ? calls : 1), diff, us;

	if (remote_ns <= home_ns)
		return 1;
	diff = remote_ns - home_ns;
	us = diff / per + (diff % per != 0);
	return us > TUNE_FWD_US_MAX ? TUNE_FWD_US_MAX : (uint32_t)us;
}

static int by_value(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* the median of @v (sorted in place), @n > 0 */
static uint32_t median(uint32_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), by_value);
	if (n % 2)
		return v[n / 2];
	return (uint32_t)(((uint64_t)v[n / 2 - 1] + v[n / 2]) / 2);
}

int tune_median(const struct bal_cost *k, size_t n, struct bal_cost *ret)
{
	struct bal_cost m = { 0 };
	uint32_t *v;

	if (!n) {
		*ret = BAL_COST_DEFAULT;
		return 0;
	}
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		v[i] = k[i].latency_us;
	m.latency_us = median(v, n);
	for (size_t i = 0; i < n; i++)
		v[i] = k[i].mib_per_s;
	m.mib_per_s = median(v, n);
	for (size_t i = 0; i < n; i++)
		v[i] = k[i].fwd_us;
	m.fwd_us = median(v, n);
	free(v);
	*ret = m;
	return 0;
}
