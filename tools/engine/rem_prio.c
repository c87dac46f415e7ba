// SPDX-License-Identifier: GPL-2.0-only
/*
 * What home changed while the process is away, and tells the node on its
 * own (not as the answer to anything): its parent (MIG_M_PPID) and its
 * nice value, policy and oom_score_adj as an admin set them (MIG_M_PRIO,
 * dep_prio.c). Never more than the node gives its guests: a nice value
 * below this supervisor's, a policy above its own or an oom_score_adj
 * below it is the supervisor's (as the restorer does for the nice value
 * it arrives with).
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "engine/mig_proc.h"
#include "engine/rem.h"

/* Of the policies a guest may have, how much CPU each gets: more, higher. */
static int policy_rank(int policy)
{
	policy &= ~SCHED_RESET_ON_FORK;
	return policy == SCHED_IDLE ? 0 : policy == SCHED_BATCH ? 1 : 2;
}

static void apply_prio(struct rem *r, const struct mig_prio *m)
{
	struct sched_param sp = { 0 };
	int base = getpriority(PRIO_PROCESS, 0), oom = 0, own = sched_getscheduler(0);
	char path[64], val[16];
	int fd, n, policy = (int)m->policy;

	if (r->guest <= 0)
		return;
	mig_proc_oom_adj(getpid(), &oom);
	if (own >= 0 && policy_rank(own) < policy_rank(policy))
		policy = own & ~SCHED_RESET_ON_FORK;
	if (policy == SCHED_OTHER || policy == SCHED_BATCH || policy == SCHED_IDLE)
		sched_setscheduler(r->guest, policy, &sp);
	setpriority(PRIO_PROCESS, (id_t)r->guest, m->nice > base ? m->nice : base);
	if (m->oom_adj > oom)
		oom = m->oom_adj > 1000 ? 1000 : m->oom_adj;
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)r->guest);
	n = snprintf(val, sizeof(val), "%d", oom);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, val, (size_t)n) != n)
			fprintf(stderr, "mosix-migd: guest %d: cannot set its oom_score_adj\n",
				r->guest);
		close(fd);
	}
	/* home's, for the image if it moves on */
	r->sh->task.nice = m->nice;
	r->sh->task.policy = m->policy;
}

bool rem_home_news(struct rem *r, uint32_t type, size_t len)
{
	if ((type != MIG_M_PPID && type != MIG_M_PRIO && type != MIG_M_FREEZE) ||
	    mig_fixed_check(type, len))
		return false;
	if (type == MIG_M_FREEZE) {
		/* applied by the main loop (rem_trace_freeze) */
		r->want_frozen = ((const struct mig_freeze *)r->in)->on != 0;
		return true;
	}
	if (type == MIG_M_PRIO) {
		apply_prio(r, (const struct mig_prio *)r->in);
		return true;
	}
	r->home_ppid = ((const struct mig_ppid *)r->in)->ppid;
	if (r->kernel_ids) {
		int e = rem_mark_guest(r);

		if (e && !r->kernel_err)
			r->kernel_err = e;
	}
	return true;
}
