// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_rlimit: resource limits are the home process's. Limits lowered
 * before the migration (open files 40, file size 1 MiB, core 0) read back
 * the same after it with getrlimit and prlimit, as every other limit does,
 * and are enforced at home: the 41st descriptor fails with EMFILE, a write
 * beyond 1 MiB with EFBIG. A limit set after the migration holds too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "zdtm.h"

/* the highest descriptor open() reaches before EMFILE; closes them all */
static int fill_fds(int *err)
{
	int fds[256], n = 0, top = -1;

	while (n < 256 && (fds[n] = open("/dev/null", O_RDONLY)) >= 0) {
		if (fds[n] > top)
			top = fds[n];
		n++;
	}
	*err = errno;
	while (n--)
		close(fds[n]);
	return top;
}

int main(void)
{
	struct rlimit before[RLIM_NLIMITS], r;
	char path[64];
	int fd, top, err = 0;

	zdtm_init("zdtm_rlimit");
	signal(SIGXFSZ, SIG_IGN);
	snprintf(path, sizeof(path), "/tmp/zdtm_rlimit.%d", (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	getrlimit(RLIMIT_NOFILE, &r);
	r.rlim_cur = 40;
	if (fd < 0 || setrlimit(RLIMIT_NOFILE, &r) ||
	    setrlimit(RLIMIT_FSIZE, &(struct rlimit){ 1 << 20, RLIM_INFINITY }) ||
	    setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, RLIM_INFINITY })) {
		printf("FAIL zdtm_rlimit: set up: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 0; i < RLIM_NLIMITS; i++)
		getrlimit(i, &before[i]);

	zdtm_ready();
	zdtm_wait();

	for (int i = 0; i < RLIM_NLIMITS; i++) {
		memset(&r, 0, sizeof(r));
		zdtm_check(getrlimit(i, &r) == 0 && r.rlim_cur == before[i].rlim_cur &&
				   r.rlim_max == before[i].rlim_max,
			   "limit %d is %llu/%llu, was %llu/%llu", i, (unsigned long long)r.rlim_cur,
			   (unsigned long long)r.rlim_max, (unsigned long long)before[i].rlim_cur,
			   (unsigned long long)before[i].rlim_max);
	}
	memset(&r, 0, sizeof(r));
	zdtm_check(prlimit(0, RLIMIT_NOFILE, NULL, &r) == 0 && r.rlim_cur == 40,
		   "prlimit: open files %llu", (unsigned long long)r.rlim_cur);
	top = fill_fds(&err);
	zdtm_check(top == 39 && err == EMFILE, "opened up to fd %d, then %s", top, strerror(err));
	errno = 0;
	zdtm_check(pwrite(fd, "x", 1, 1 << 20) == -1 && errno == EFBIG,
		   "a write beyond 1 MiB: %m");
	zdtm_check(pwrite(fd, "x", 1, (1 << 20) - 1) == 1, "a write below 1 MiB: %m");

	r = before[RLIMIT_NOFILE];
	r.rlim_cur = 50;
	zdtm_check(setrlimit(RLIMIT_NOFILE, &r) == 0, "setrlimit after: %m");
	zdtm_check(getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur == 50,
		   "getrlimit after setrlimit: %llu", (unsigned long long)r.rlim_cur);
	top = fill_fds(&err);
	zdtm_check(top == 49 && err == EMFILE, "then opened up to fd %d, then %s", top,
		   strerror(err));
	close(fd);
	unlink(path);
	return zdtm_done();
}
