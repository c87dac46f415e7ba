// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mig_freezer.h"
#include "engine/mig_proc.h"

/*
 * Where the v2 hierarchy and v1's freezer are mounted whole (root "/"),
 * from our mountinfo: "ID PARENT MAJ:MIN ROOT POINT OPTS... - TYPE SRC
 * SUPEROPTS". Either is left empty if not mounted.
 */
static void mounts(char *v2, char *v1, size_t size)
{
	char root[PATH_MAX], point[PATH_MAX], type[32], super[256];
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	*v2 = *v1 = 0;
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		const char *dash = strstr(line, " - ");

		if (!dash || sscanf(line, "%*s %*s %*s %4095s %4095s", root, point) != 2 ||
		    sscanf(dash + 3, "%31s %*s %255s", type, super) != 2 || strcmp(root, "/"))
			continue;
		if (!*v2 && !strcmp(type, "cgroup2"))
			snprintf(v2, size, "%s", point);
		else if (!*v1 && !strcmp(type, "cgroup") && mig_has_word(super, "freezer", ","))
			snprintf(v1, size, "%s", point);
	}
	free(line);
	fclose(f);
}

/* The first line of @dir/@name, or "" if none. */
static void first_line(const char *dir, const char *path, const char *name, char *buf,
		       size_t size)
{
	char p[PATH_MAX * 2 + 64];
	FILE *f;

	*buf = 0;
	snprintf(p, sizeof(p), "%s%s/%s", dir, path, name);
	f = fopen(p, "re");
	if (!f)
		return;
	if (!fgets(buf, (int)size, f))
		*buf = 0;
	fclose(f);
}

/* cgroup.events holds "frozen 1" once all of the cgroup is */
static bool v2_frozen(const char *mnt, const char *path)
{
	char p[PATH_MAX * 2 + 64], line[64];
	bool frozen = false;
	FILE *f;

	first_line(mnt, path, "cgroup.freeze", line, sizeof(line));
	if (line[0] == '1')
		return true;
	snprintf(p, sizeof(p), "%s%s/cgroup.events", mnt, path);
	f = fopen(p, "re");
	if (!f)
		return false;
	while (!frozen && fgets(line, sizeof(line), f))
		frozen = !strcmp(line, "frozen 1\n");
	fclose(f);
	return frozen;
}

int mig_frozen(pid_t pid)
{
	char v2[PATH_MAX], v1[PATH_MAX], state[32], p[64], *line = NULL;
	size_t cap = 0;
	int frozen = 0;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/cgroup", (int)pid);
	f = fopen(p, "re");
	if (!f)
		return -errno;
	mounts(v2, v1, sizeof(v2));
	/* "ID:CONTROLLERS:PATH": v2's is "0::PATH" */
	while (!frozen && getline(&line, &cap, f) > 0) {
		char *ctl = strchr(line, ':'), *path = ctl ? strchr(ctl + 1, ':') : NULL;

		if (!path)
			continue;
		*ctl++ = 0;
		*path++ = 0;
		path[strcspn(path, "\n")] = 0;
		if (!strcmp(line, "0") && !*ctl && *v2) {
			frozen = v2_frozen(v2, path);
		} else if (*v1 && mig_has_word(ctl, "freezer", ",")) {
			first_line(v1, path, "freezer.state", state, sizeof(state));
			frozen = !strncmp(state, "FROZEN", 6) || !strncmp(state, "FREEZING", 8);
		}
	}
	free(line);
	fclose(f);
	return frozen;
}
