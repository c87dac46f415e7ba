// SPDX-License-Identifier: GPL-2.0-only
/*
 * How many guests this node hosts and how many of its own mosix processes
 * run here, for the load vector: read from what mosix-migd keeps in the
 * run directory (guests/PID for each guest, proc/PID/ for each process it
 * manages), counting only processes that still exist.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "engine/mig_pstate.h"
#include "infod.h"

static bool alive(const char *name, pid_t *pid)
{
	char path[32], *end;
	long v = strtol(name, &end, 10);

	if (*end || v <= 0 || v > INT_MAX)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld", v);
	*pid = (pid_t)v;
	return access(path, F_OK) == 0;
}

int census_count(const char *run_dir, uint16_t *guests, uint32_t *local)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *d;
	pid_t pid;

	*guests = 0;
	*local = 0;
	snprintf(dir, sizeof(dir), "%s/guests", run_dir);
	d = opendir(dir);
	if (d) {
		while ((e = readdir(d)))
			if (alive(e->d_name, &pid) && *guests < UINT16_MAX)
				(*guests)++;
		closedir(d);
	} else if (errno != ENOENT) {
		return -errno;
	}
	snprintf(dir, sizeof(dir), "%s/proc", run_dir);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		struct mig_pstate ps;

		if (alive(e->d_name, &pid) && mig_pstate_read(run_dir, pid, &ps) == 0 &&
		    ps.where == 0)
			(*local)++;
	}
	closedir(d);
	return 0;
}
