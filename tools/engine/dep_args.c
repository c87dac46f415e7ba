// SPDX-License-Identifier: GPL-2.0-only
#include <stdint.h>
#include <string.h>

#include "engine/dep.h"
#include "engine/dep_serve.h"

/*
 * What home's /proc shows of it while it is away: cmdline and environ are
 * read from its memory, which goes; without them ps would show "[name]",
 * as for a kernel thread. A copy of its arguments and environment is kept
 * at DEP_ARGS_OFF in the deputy's area (which stays free wherever the
 * process runs) and the mm fields point there until it comes home. Read
 * before its memory goes (@buf), written after. Arguments past
 * DEP_ARGS_LEN are cut; an environment that does not fit is not kept.
 */
size_t dep_args_read(struct dep *d, uint8_t *buf, size_t *ret_env)
{
	const struct mig_task *t = d->task;
	size_t alen = t->arg_end > t->arg_start ? t->arg_end - t->arg_start : 0;
	size_t elen = t->env_end > t->env_start ? t->env_end - t->env_start : 0;

	if (alen > DEP_ARGS_LEN)
		alen = DEP_ARGS_LEN;
	if (alen + elen > DEP_ARGS_LEN)
		elen = 0;
	*ret_env = 0;
	if (!alen || inj_get(&d->j, t->arg_start, buf, alen))
		return 0;
	buf[alen - 1] = 0;
	if (elen && !inj_get(&d->j, t->env_start, buf + alen, elen))
		*ret_env = elen;
	return alen;
}

void dep_args_keep(struct dep *d, const uint8_t *buf, size_t alen, size_t elen)
{
	d->args_len = d->env_len = 0;
	if (!alen || d->j.scratch_len != DEP_SCRATCH_LEN ||
	    inj_put(&d->j, d->j.scratch + DEP_ARGS_OFF, buf, alen + elen))
		return;
	d->args_len = (uint32_t)alen;
	d->env_len = (uint32_t)elen;
	dep_args_point(d);
}

void dep_args_point(struct dep *d)
{
	uint64_t at = d->j.scratch + DEP_ARGS_OFF;
	uint64_t args[4] = { at, at + d->args_len, d->task->env_start, d->task->env_end };

	if (!d->args_len)
		return;
	if (d->env_len) {
		args[2] = at + d->args_len;
		args[3] = at + d->args_len + d->env_len;
	}
	dep_set_mm(d, args, false);
}
