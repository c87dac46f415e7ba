// SPDX-License-Identifier: GPL-2.0-only
/*
 * The deputy's own reads and writes of a process's regular files
 * (engine/dep_direct), against a real child process holding the files:
 * a write lands in its file at its offset and moves its offset, as its
 * own write would; a read and lseek share that offset; a pipe, a /proc
 * file and a process with a file-size limit go through the agent (the
 * call is not served here); forget() lets go of every copy; a descriptor
 * that a process sharing the table replaced is not written through the
 * old copy.
 */
#include <errno.h>
#include <linux/capability.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/dep_direct.h"
#include "engine/mig_img.h"

#define FILE_FD 10	/* the child's regular file */
#define PROC_FD 11	/* its /proc/self/status */
#define PIPE_FD 12	/* a pipe's write end */

struct child {
	pid_t pid;
	int pidfd;
	int file;	/* our own descriptor of the same file, to check it */
	char path[64];
};

/* A child with FILE_FD (offset 3 after "abc"), PROC_FD and PIPE_FD. */
static void child_start(struct child *c, bool limited)
{
	int ready[2], go[2];
	char b;

	strcpy(c->path, "/tmp/test_dep_direct.XXXXXX");
	c->file = mkstemp(c->path);
	assert_true(c->file >= 0);
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		int p[2];

		if (limited) {
			struct rlimit r = { 1 << 20, 1 << 20 };

			setrlimit(RLIMIT_FSIZE, &r);
		}
		if (dup2(open(c->path, O_RDWR), FILE_FD) < 0 ||
		    dup2(open("/proc/self/status", O_RDONLY), PROC_FD) < 0 || pipe(p) ||
		    dup2(p[1], PIPE_FD) < 0 || write(FILE_FD, "abc", 3) != 3)
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		/* until the test ends: the offset is checked from outside */
		if (read(go[0], &b, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	assert_int_equal(read(ready[0], &b, 1), 1);
	close(ready[0]);
	c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	assert_true(c->pidfd >= 0);
}

static void child_stop(struct child *c)
{
	int st;

	kill(c->pid, SIGKILL);
	waitpid(c->pid, &st, 0);
	close(c->pidfd);
	close(c->file);
	unlink(c->path);
}

/* The child's offset of @fd, from /proc/PID/fdinfo. */
static long offset_of(const struct child *c, int fd)
{
	char path[64], text[256], *p;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)c->pid, fd);
	f = open(path, O_RDONLY);
	if (f < 0)
		return -1;
	n = read(f, text, sizeof(text) - 1);
	close(f);
	if (n <= 0)
		return -1;
	text[n] = 0;
	p = strstr(text, "pos:");
	return p ? strtol(p + 4, NULL, 10) : -1;
}

struct rec {
	struct mig_fwd_call c;
	struct mig_fwd_buf b;
	uint8_t data[64];
};

/* A SYSCALL record as the node sends it; its length in *len. */
static void call(struct rec *r, size_t *len, long nr, int fd, const char *in, uint32_t n,
		 uint64_t off)
{
	memset(r, 0, sizeof(*r));
	r->c.nr = nr;
	r->c.args[0] = (uint64_t)fd;
	r->c.args[2] = n;
	r->c.args[3] = off;
	*len = sizeof(r->c);
	if (nr == SYS_lseek) {
		r->c.args[1] = off;
		r->c.args[2] = SEEK_SET;
		return;
	}
	r->c.nbuf = 1;
	r->b = (struct mig_fwd_buf){ .arg = 1, .len = n };
	r->b.dir = in ? MIG_FWD_IN : MIG_FWD_OUT;
	r->b.ret_len = !in;
	*len += sizeof(r->b);
	if (in) {
		memcpy(r->data, in, n);
		*len += n;
	}
}

static void test_regular_file(void **state)
{
	static uint8_t reply[4096];
	const struct mig_fwd_ret *rr = (const void *)reply;
	struct dep_direct x;
	struct child c;
	struct rec r;
	size_t len, out;
	char buf[16] = { 0 };

	(void)state;
	child_start(&c, false);
	dep_direct_init(&x, c.pidfd, c.pid);
	call(&r, &len, SYS_write, FILE_FD, "defg", 4, 0);
	assert_int_equal(dep_direct_call(&x, &r, len, reply, sizeof(reply), &out), 1);
	assert_int_equal(rr->ret, 4);
	assert_int_equal(out, sizeof(*rr) + sizeof(uint32_t));
	/* in its file, after its own bytes, and its offset moved */
	assert_int_equal(pread(c.file, buf, sizeof(buf) - 1, 0), 7);
	assert_string_equal(buf, "abcdefg");
	assert_int_equal(offset_of(&c, FILE_FD), 7);
	/* lseek moves its offset; read reads from there */
	call(&r, &len, SYS_lseek, FILE_FD, NULL, 0, 2);
	assert_int_equal(dep_direct_call(&x, &r, len, reply, sizeof(reply), &out), 1);
	assert_int_equal(rr->ret, 2);
	assert_int_equal(offset_of(&c, FILE_FD), 2);
	call(&r, &len, SYS_read, FILE_FD, NULL, 3, 0);
	assert_int_equal(dep_direct_call(&x, &r, len, reply, sizeof(reply), &out), 1);
	assert_int_equal(rr->ret, 3);
	assert_int_equal(*(const uint32_t *)(rr + 1), 3);
	assert_memory_equal(reply + sizeof(*rr) + sizeof(uint32_t), "cde", 3);
	assert_int_equal(offset_of(&c, FILE_FD), 5);
	/* pwrite and pread leave it */
	call(&r, &len, SYS_pwrite64, FILE_FD, "XY", 2, 0);
	assert_int_equal(dep_direct_call(&x, &r, len, reply, sizeof(reply), &out), 1);
	assert_int_equal(rr->ret, 2);
	assert_int_equal(offset_of(&c, FILE_FD), 5);
	assert_int_equal(pread(c.file, buf, 3, 0), 3);
	assert_memory_equal(buf, "XYc", 3);
	assert_int_equal(x.served, 4);
	/* a descriptor the process does not have: not served, not an error */
	call(&r, &len, SYS_write, 40, "z", 1, 0);
	assert_int_equal(dep_direct_call(&x, &r, len, reply, sizeof(reply), &out), 0);
	dep_direct_forget(&x);
	for (int i = 0; i < DEP_DIRECT_FDS; i++)
		assert_int_equal(x.state[i], 0);
	child_stop(&c);
}

/*
 * A process sharing its descriptor table with us (clone CLONE_FILES, as
 * a sibling of a migrated process might): when we put another file at
 * its descriptor, the next write goes to that file, not to the copy the
 * deputy took of the old one.
 */
static void test_shared_table(void **state)
{
	static uint8_t reply[4096];
	const struct mig_fwd_ret *rr = (const void *)reply;
	char a[] = "/tmp/test_dep_direct.aXXXXXX", b[] = "/tmp/test_dep_direct.bXXXXXX";
	char buf[8] = { 0 };
	struct dep_direct x;
	struct rec r;
	size_t len, out;
	int fa = mkstemp(a), fb = mkstemp(b), pidfd, st;
	pid_t pid;

	(void)state;
	assert_true(fa >= 0 && fb >= 0);
	assert_int_equal(dup2(fa, FILE_FD), FILE_FD);
	pid = (pid_t)syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, 0, 0, 0);
	assert_true(pid >= 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	assert_true(pidfd >= 0);
	dep_direct_init(&x, pidfd, pid);
	call(&r, &len, SYS_write, FILE_FD, "one", 3, 0);
	assert_int_equal(dep_direct_call(&x, &r, len, reply, sizeof(reply), &out), 1);
	assert_int_equal(rr->ret, 3);
	/* the sibling's dup2, in the table the process has too */
	assert_int_equal(dup2(fb, FILE_FD), FILE_FD);
	call(&r, &len, SYS_write, FILE_FD, "two", 3, 0);
	assert_int_equal(dep_direct_call(&x, &r, len, reply, sizeof(reply), &out), 1);
	assert_int_equal(rr->ret, 3);
	assert_int_equal(pread(fa, buf, sizeof(buf) - 1, 0), 3);
	assert_string_equal(buf, "one");
	assert_int_equal(pread(fb, buf, sizeof(buf) - 1, 0), 3);
	assert_string_equal(buf, "two");
	dep_direct_forget(&x);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	close(pidfd);
	close(FILE_FD);
	close(fa);
	close(fb);
	unlink(a);
	unlink(b);
}

static void test_not_served(void **state)
{
	static uint8_t reply[4096];
	struct dep_direct x;
	struct child c;
	struct rec r;
	size_t len, out;

	(void)state;
	child_start(&c, false);
	dep_direct_init(&x, c.pidfd, c.pid);
	/* a pipe (SIGPIPE, blocking, no offset) and /proc (it looks at the caller) */
	call(&r, &len, SYS_write, PIPE_FD, "z", 1, 0);
	assert_int_equal(dep_direct_call(&x, &r, len, reply, sizeof(reply), &out), 0);
	call(&r, &len, SYS_read, PROC_FD, NULL, 16, 0);
	assert_int_equal(dep_direct_call(&x, &r, len, reply, sizeof(reply), &out), 0);
	/* other calls on a regular file: fsync, or a write described otherwise */
	call(&r, &len, SYS_fsync, FILE_FD, NULL, 0, 0);
	r.c.nbuf = 0;
	len = sizeof(r.c);
	assert_int_equal(dep_direct_call(&x, &r, len, reply, sizeof(reply), &out), 0);
	call(&r, &len, SYS_write, FILE_FD, "zz", 2, 0);
	r.c.args[2] = 1;	/* the count is not the buffer's length */
	assert_int_equal(dep_direct_call(&x, &r, len, reply, sizeof(reply), &out), 0);
	/* a record that does not add up */
	call(&r, &len, SYS_write, FILE_FD, "zz", 2, 0);
	assert_int_equal(dep_direct_call(&x, &r, len - 1, reply, sizeof(reply), &out), 0);
	assert_int_equal(x.served, 0);
	assert_int_equal(offset_of(&c, FILE_FD), 3);
	dep_direct_forget(&x);
	child_stop(&c);

	/* a file-size limit is checked against the writer: writes go home */
	child_start(&c, true);
	dep_direct_init(&x, c.pidfd, c.pid);
	call(&r, &len, SYS_write, FILE_FD, "z", 1, 0);
	assert_int_equal(dep_direct_call(&x, &r, len, reply, sizeof(reply), &out), 0);
	call(&r, &len, SYS_read, FILE_FD, NULL, 1, 0);
	assert_int_equal(dep_direct_call(&x, &r, len, reply, sizeof(reply), &out), 1);
	dep_direct_forget(&x);
	child_stop(&c);
}

/* CAP_FSETID and CAP_SYS_RESOURCE given up; O_DIRECT left to the agent */
static void test_privileges_and_odirect(void **state)
{
	unsigned long long eff = 0;
	struct dep_direct x;
	struct child c;
	char line[128];
	FILE *f;
	int shared, fl;

	(void)state;
	child_start(&c, false);
	dep_direct_init(&x, c.pidfd, c.pid);
	assert_true(x.writes);
	f = fopen("/proc/self/status", "re");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		sscanf(line, "CapEff: %llx", &eff);
	fclose(f);
	assert_int_equal(eff & (1ull << CAP_FSETID), 0);
	assert_int_equal(eff & (1ull << CAP_SYS_RESOURCE), 0);
	/* the process's own open file set to O_DIRECT (where the fs can) */
	shared = (int)syscall(SYS_pidfd_getfd, c.pidfd, FILE_FD, 0);
	assert_true(shared >= 0);
	fl = fcntl(shared, F_GETFL);
	if (fl >= 0 && !fcntl(shared, F_SETFL, fl | O_DIRECT) &&
	    (fcntl(shared, F_GETFL) & O_DIRECT)) {
		static uint8_t reply[4096];
		struct rec r;
		size_t len, out;

		call(&r, &len, SYS_write, FILE_FD, "z", 1, 0);
		assert_int_equal(dep_direct_call(&x, &r, len, reply, sizeof(reply), &out), 0);
	}
	close(shared);
	dep_direct_forget(&x);
	child_stop(&c);
}

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_regular_file),
		cmocka_unit_test(test_shared_table),
		cmocka_unit_test(test_not_served),
		cmocka_unit_test(test_privileges_and_odirect),
	};

	return cmocka_run_group_tests(t, NULL, NULL);
}
