// SPDX-License-Identifier: GPL-2.0-only
/*
 * Home's nice value, policy and oom_score_adj, as an admin changed them
 * while the process is away (MIG_M_PRIO, dep_prio.c), set on its guest.
 * Never more than the node gives its guests: a nice value below this
 * supervisor's, or an oom_score_adj below it, is the supervisor's (as
 * the restorer does for the nice value it arrives with).
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "engine/mig_proc.h"
#include "engine/rem.h"

static int own_oom_adj(void)
{
	char buf[16], *end;
	long v;

	if (mig_proc_read(getpid(), "oom_score_adj", buf, sizeof(buf)) <= 0)
		return 0;
	v = strtol(buf, &end, 10);
	return end != buf && v >= -1000 && v <= 1000 ? (int)v : 0;
}

void rem_prio_apply(struct rem *r, const struct mig_prio *m)
{
	struct sched_param sp = { 0 };
	int base = getpriority(PRIO_PROCESS, 0), oom = own_oom_adj();
	char path[64], val[16];
	int fd, n;

	if (r->guest <= 0)
		return;
	if (m->policy == SCHED_OTHER || m->policy == SCHED_BATCH || m->policy == SCHED_IDLE)
		sched_setscheduler(r->guest, (int)m->policy, &sp);
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
