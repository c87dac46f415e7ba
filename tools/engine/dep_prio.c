// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <linux/ioprio.h>
#include <stdint.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine/dep_prio.h"
#include "engine/mig_proc.h"

void dep_prio_init(struct dep_prio *p, pid_t pid, int32_t nice, uint32_t policy)
{
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->told.nice = nice;
	p->told.policy = policy;
	p->io = -1;
}

void dep_prio_moved(struct dep_prio *p)
{
	/* no value it can have: all of it is told again */
	p->told.nice = INT32_MIN;
}

int dep_prio_read(pid_t pid, struct mig_prio *m)
{
	int policy, oom;

	memset(m, 0, sizeof(*m));
	errno = 0;
	m->nice = getpriority(PRIO_PROCESS, (id_t)pid);
	if (m->nice == -1 && errno)
		return -errno;
	policy = sched_getscheduler(pid);
	if (policy < 0)
		return -errno;
	/* SCHED_RESET_ON_FORK is not kept: forks run at home */
	policy &= ~SCHED_RESET_ON_FORK;
	m->policy = policy == SCHED_BATCH || policy == SCHED_IDLE ? (uint32_t)policy : SCHED_OTHER;
	if (mig_proc_oom_adj(pid, &oom) == 0)
		m->oom_adj = oom;
	return 0;
}

bool dep_prio_changed(struct dep_prio *p, struct mig_prio *ret)
{
	struct mig_prio now;

	if (dep_prio_read(p->pid, &now) || !memcmp(&now, &p->told, sizeof(now)))
		return false;
	p->told = now;
	*ret = now;
	return true;
}

int dep_prio_follow_io(struct dep_prio *p)
{
	long io = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, (int)p->pid);

	if (io < 0)
		return -errno;
	if (io == p->io)
		return 0;
	if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, (int)io))
		return -errno;
	p->io = (int)io;
	return 0;
}
