// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/mig_proc.h"

ssize_t mig_proc_read(pid_t pid, const char *name, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	if (size < 2)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n == 0)
		return -EIO;
	if (n > 0)
		buf[n] = 0;
	return n;
}

bool mig_has_word(const char *list, const char *word, const char *seps)
{
	size_t len = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += len) {
		bool start = p == list || strchr(seps, p[-1]);
		char end = p[len];

		if (start && (end == '\0' || end == '\n' || strchr(seps, end)))
			return true;
	}
	return false;
}

int mig_proc_personality(pid_t pid, uint32_t *ret)
{
	char buf[32];
	ssize_t n = mig_proc_read(pid, "personality", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	*ret = (uint32_t)strtoul(buf, NULL, 16);
	return 0;
}

int mig_proc_oom_adj(pid_t pid, int *ret)
{
	char buf[16], *end;
	ssize_t n = mig_proc_read(pid, "oom_score_adj", buf, sizeof(buf));
	long v;

	if (n < 0)
		return (int)n;
	v = strtol(buf, &end, 10);
	if (end == buf || v < -1000 || v > 1000)
		return -EIO;
	*ret = (int)v;
	return 0;
}

int mig_proc_start(pid_t pid, uint64_t *ret)
{
	char buf[512], *p;
	unsigned long long start;
	ssize_t n = mig_proc_read(pid, "stat", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	/* after the comm: state is field 3, starttime field 22 */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
			 "%*d %*d %*d %llu", &start) != 1)
		return -EIO;
	*ret = start;
	return 0;
}

int mig_proc_stat(pid_t pid, char *ret_state, pid_t *ret_ppid)
{
	char buf[512], *p, state;
	ssize_t n = mig_proc_read(pid, "stat", buf, sizeof(buf));
	int ppid;

	if (n < 0)
		return (int)n;
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %d", &state, &ppid) != 2)
		return -EIO;
	if (ret_state)
		*ret_state = state;
	if (ret_ppid)
		*ret_ppid = ppid;
	return 0;
}

int mig_proc_sigs(pid_t pid, struct mig_proc_sigs *ret)
{
	unsigned long long blk = 0, ign = 0, cgt = 0;
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "SigBlk: %llx", &blk);
		sscanf(line, "SigIgn: %llx", &ign);
		sscanf(line, "SigCgt: %llx", &cgt);
	}
	fclose(f);
	ret->blk = blk;
	ret->ign = ign;
	ret->cgt = cgt;
	return 0;
}

uint64_t mig_proc_cpu_ns(pid_t pid)
{
	/* the kernel's clock id of a process's CPU time (clock_getcpuclockid) */
	clockid_t clk = (clockid_t)(((unsigned)~pid << 3) | 2);
	struct timespec ts;

	if (clock_gettime(clk, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int mig_proc_vdso(pid_t pid, uint64_t *ret_start, uint64_t *ret_end)
{
	char path[64], line[512];
	unsigned long long s, e;
	int r = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);

		if (n < 8 || strcmp(line + n - 8, " [vdso]\n") ||
		    sscanf(line, "%llx-%llx", &s, &e) != 2)
			continue;
		*ret_start = s;
		*ret_end = e;
		r = 0;
		break;
	}
	fclose(f);
	return r;
}

uint64_t mig_proc_rss(pid_t pid)
{
	unsigned long long size, res;
	char buf[128];
	ssize_t n = mig_proc_read(pid, "statm", buf, sizeof(buf));

	if (n <= 0 || sscanf(buf, "%llu %llu", &size, &res) != 2)
		return 0;
	return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
}
