// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_pipe: two pipes to a child forked before the migration. The child
 * stays home; the parent migrates and talks to it through the pipes: a
 * line each way, then 200000 bytes (more than a pipe holds, so the writes
 * block at home until the child reads) answered by their count and sum.
 * The parent reaps the child and sees its exit status.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zdtm.h"

#define BULK 200000

static int write_all(int fd, const void *p, size_t len)
{
	const char *s = p;

	while (len) {
		ssize_t n = write(fd, s, len);

		if (n <= 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

static ssize_t read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size && read(fd, buf + n, 1) == 1)
		if (buf[n++] == '\n')
			break;
	buf[n] = 0;
	return (ssize_t)n;
}

/* answers "ping" with "pong PPID", then counts and sums what comes to EOF */
static int child(int in, int out)
{
	unsigned long long sum = 0, count = 0;
	char buf[4096];
	ssize_t n;

	if (read_line(in, buf, sizeof(buf)) <= 0 || strcmp(buf, "ping\n") != 0)
		return 2;
	n = snprintf(buf, sizeof(buf), "pong %d\n", (int)getppid());
	if (write_all(out, buf, (size_t)n))
		return 2;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++, count++)
			sum += (unsigned char)buf[i];
	n = snprintf(buf, sizeof(buf), "%llu %llu\n", count, sum);
	return write_all(out, buf, (size_t)n) ? 2 : 3;
}

int main(void)
{
	unsigned long long sum = 0, count = 0, want = 0;
	int down[2], up[2], status = 0;
	char buf[64], expect[64];
	static char bulk[BULK];
	pid_t kid;

	zdtm_init("zdtm_pipe");
	if (pipe(down) || pipe(up) || (kid = fork()) < 0) {
		printf("FAIL zdtm_pipe: set up: %s\n", strerror(errno));
		return 1;
	}
	if (kid == 0) {
		close(down[1]);
		close(up[0]);
		_exit(child(down[0], up[1]));
	}
	close(down[0]);
	close(up[1]);
	for (size_t i = 0; i < BULK; i++) {
		bulk[i] = (char)(i * 7 + i / 251);
		want += (unsigned char)bulk[i];
	}

	zdtm_ready();
	zdtm_wait();

	zdtm_check(write_all(down[1], "ping\n", 5) == 0, "write ping: %m");
	read_line(up[0], buf, sizeof(buf));
	snprintf(expect, sizeof(expect), "pong %d\n", (int)getpid());
	zdtm_check(strcmp(buf, expect) == 0, "child answered '%s', expected '%s'", buf, expect);
	zdtm_check(write_all(down[1], bulk, BULK) == 0, "write bulk: %m");
	zdtm_check(close(down[1]) == 0, "close: %m");
	read_line(up[0], buf, sizeof(buf));
	zdtm_check(sscanf(buf, "%llu %llu", &count, &sum) == 2 && count == BULK && sum == want,
		   "child counted '%s', expected %d %llu", buf, BULK, want);
	zdtm_check(read(up[0], buf, sizeof(buf)) == 0, "no EOF after the child's answer");
	zdtm_check(waitpid(kid, &status, 0) == kid, "waitpid: %m");
	zdtm_check(WIFEXITED(status) && WEXITSTATUS(status) == 3, "child status 0x%x", status);
	return zdtm_done();
}
