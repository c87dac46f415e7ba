// SPDX-License-Identifier: GPL-2.0-only
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine/dep_parent.h"
#include "engine/mig_proc.h"

static void watch(struct dep_parent *p, int32_t ppid)
{
	if (p->fd >= 0)
		close(p->fd);
	/* ppid 0: a parent in another pid namespace, nothing to watch */
	p->fd = ppid > 0 ? (int)syscall(SYS_pidfd_open, (pid_t)ppid, 0) : -1;
}

void dep_parent_init(struct dep_parent *p, pid_t pid, int32_t told)
{
	p->pid = pid;
	p->told = told;
	p->fd = -1;
	watch(p, told);
}

int dep_parent_fd(const struct dep_parent *p)
{
	return p->fd;
}

bool dep_parent_changed(struct dep_parent *p, int32_t *ret_ppid)
{
	int32_t ppid;

	if (mig_proc_stat(p->pid, NULL, &ppid))
		return false;
	if (ppid == p->told) {
		struct pollfd pf = { p->fd, POLLIN, 0 };

		/* gone, yet still our parent (a parent in another pid
		 * namespace?): no watch that would wake us for ever; the
		 * caller's periodic call sees a later change */
		if (p->fd >= 0 && poll(&pf, 1, 0) == 1)
			dep_parent_close(p);
		return false;
	}
	p->told = ppid;
	watch(p, ppid);
	*ret_ppid = ppid;
	return true;
}

void dep_parent_moved(struct dep_parent *p)
{
	p->told = -1;
}

void dep_parent_close(struct dep_parent *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}
