// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of the per-process MOSIX state of a patched kernel (CONFIG_MOSIX):
 * /proc/<pid>/mosix/{cantmove,guest,lock,nmigs,where}, the lock across
 * fork and exec, a guest's getpid() and its absence from /proc listings,
 * and /proc/mosix/{lock,guests}. Runs as root; some checks drop to an
 * unprivileged user in a child.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest.h"

#define NOBODY 65534

static int read_text(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	return 0;
}

/* 0 or -errno of one write of @text */
static int write_text(const char *path, const char *text)
{
	int fd, err = 0;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0)
		err = -errno;
	close(fd);
	return err;
}

static bool pid_file_is(pid_t pid, const char *name, const char *want)
{
	char path[64], buf[128];

	snprintf(path, sizeof(path), "/proc/%d/mosix/%s", pid, name);
	if (read_text(path, buf, sizeof(buf)))
		return false;
	if (strcmp(buf, want)) {
		ksft_print_msg("%s: \"%.*s\", not \"%.*s\"\n", path,
			       (int)strcspn(buf, "\n"), buf,
			       (int)strcspn(want, "\n"), want);
		return false;
	}
	return true;
}

static int pid_write(pid_t pid, const char *name, const char *text)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/mosix/%s", pid, name);
	return write_text(path, text);
}

/* whether a line of @path starts with "@pid " or is "@pid" */
static bool listed(const char *path, pid_t pid)
{
	char buf[65536], want[16], *line, *save;
	int n;

	if (read_text(path, buf, sizeof(buf)))
		return false;
	n = snprintf(want, sizeof(want), "%d", pid);
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, want, n) && (!line[n] || line[n] == ' '))
			return true;
	return false;
}

/* whether @path has the line @want */
static bool has_line(const char *path, const char *want)
{
	char buf[65536], *line, *save;

	if (read_text(path, buf, sizeof(buf)))
		return false;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (!strcmp(line, want))
			return true;
	return false;
}

/* an unprivileged user who still owns its /proc/PID files */
static int become_nobody(void)
{
	if (setuid(NOBODY))
		return -1;
	/* setuid() made the process undumpable, its /proc files root's */
	return prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

static bool in_proc_listing(pid_t pid)
{
	struct dirent *d;
	bool found = false;
	DIR *dir;

	dir = opendir("/proc");
	if (!dir)
		return false;
	while ((d = readdir(dir)))
		if (atoi(d->d_name) == pid)
			found = true;
	closedir(dir);
	return found;
}

/* fork; the child runs @fn and exits with what it returns */
static int run_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* --- lock --------------------------------------------------------------- */

static int child_locked(void *arg)
{
	return pid_file_is(getpid(), "lock", "1\n") ? 0 : 1;
}

static int grandchild_locked(void *arg)
{
	return run_child(child_locked, NULL);
}

static int exec_locked(void *arg)
{
	static char *const argv[] = { "mosix_test", "--print-lock", NULL };

	execv("/proc/self/exe", argv);
	return 2;
}

static int nobody_locks_self(void *arg)
{
	if (become_nobody())
		return 2;
	if (pid_write(getpid(), "lock", "1"))
		return 1;
	return pid_file_is(getpid(), "lock", "1\n") ? 0 : 1;
}

static int nobody_locks_init(void *arg)
{
	if (become_nobody())
		return 2;
	/* the file is root's: open() refuses, or the write would */
	switch (pid_write(1, "lock", "1")) {
	case -EACCES:
	case -EPERM:
		return 0;
	}
	return 1;
}

static void test_lock(void)
{
	pid_t self = getpid();

	ksft_test_result(pid_file_is(self, "lock", "0\n"),
			 "lock: 0 by default\n");
	ksft_test_result(pid_write(self, "lock", "2") == -EINVAL &&
			 pid_write(self, "lock", "x") == -EINVAL,
			 "lock: 2 and x are refused with EINVAL\n");
	ksft_test_result(pid_write(self, "lock", "1\n") == 0 &&
			 pid_file_is(self, "lock", "1\n"),
			 "lock: 1 written reads back\n");
	ksft_test_result(listed("/proc/mosix/lock", self),
			 "lock: the process is listed in /proc/mosix/lock\n");
	ksft_test_result(run_child(child_locked, NULL) == 0,
			 "lock: a forked child is locked\n");
	ksft_test_result(run_child(grandchild_locked, NULL) == 0,
			 "lock: and its child\n");
	ksft_test_result(run_child(exec_locked, NULL) == 0,
			 "lock: execve keeps it\n");
	ksft_test_result(pid_file_is(self, "cantmove", "locked by user\n"),
			 "lock: cantmove says locked by user\n");
	ksft_test_result(pid_write(self, "lock", "0") == 0 &&
			 pid_file_is(self, "lock", "0\n") &&
			 !listed("/proc/mosix/lock", self) &&
			 run_child(child_locked, NULL) == 1,
			 "lock: 0 unlocks, and new children are not locked\n");
	ksft_test_result(run_child(nobody_locks_self, NULL) == 0,
			 "lock: an unprivileged owner locks its own process\n");
	ksft_test_result(run_child(nobody_locks_init, NULL) == 0,
			 "lock: but not another user's (EPERM)\n");
}

/* --- cantmove ------------------------------------------------------------ */

static void *sleeper(void *arg)
{
	pause();
	return NULL;
}

static int realtime_cantmove(void *arg)
{
	struct sched_param sp = { .sched_priority = 1 };

	if (sched_setscheduler(0, SCHED_FIFO, &sp))
		return 2;
	return pid_file_is(getpid(), "cantmove", "real-time scheduling\n") ?
		0 : 1;
}

static int iopl_cantmove(void *arg)
{
	if (iopl(3))
		return 2;
	return pid_file_is(getpid(), "cantmove", "I/O port access\n") ? 0 : 1;
}

static int mlockall_cantmove(void *arg)
{
	if (mlockall(MCL_FUTURE))
		return 2;
	return pid_file_is(getpid(), "cantmove", "locked memory\n") ? 0 : 1;
}

static void test_cantmove(void)
{
	pid_t self = getpid();
	pthread_t thread;
	char *page;

	ksft_test_result(pid_file_is(self, "cantmove", "-\n"),
			 "cantmove: - for this process\n");
	ksft_test_result(pid_write(self, "cantmove", "-") == -EACCES ||
			 pid_write(self, "cantmove", "-") == -EPERM,
			 "cantmove: cannot be written\n");
	ksft_test_result(pid_file_is(2, "cantmove", "kernel thread\n"),
			 "cantmove: kernel thread (pid 2, kthreadd)\n");
	if (pthread_create(&thread, NULL, sleeper, NULL) == 0) {
		ksft_test_result(pid_file_is(self, "cantmove",
					     "multi-threaded\n"),
				 "cantmove: multi-threaded\n");
		pthread_cancel(thread);
		pthread_join(thread, NULL);
	} else {
		ksft_test_result_fail("cantmove: multi-threaded (no thread)\n");
	}
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ksft_test_result(page != MAP_FAILED && mlock(page, 4096) == 0 &&
			 pid_file_is(self, "cantmove", "locked memory\n") &&
			 munlock(page, 4096) == 0 &&
			 pid_file_is(self, "cantmove", "-\n"),
			 "cantmove: locked memory (mlock), - after munlock\n");
	ksft_test_result(run_child(mlockall_cantmove, NULL) == 0,
			 "cantmove: locked memory (mlockall MCL_FUTURE)\n");
	munmap(page, 4096);
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ksft_test_result(page != MAP_FAILED &&
			 pid_file_is(self, "cantmove",
				     "writable shared mapping\n") &&
			 mprotect(page, 4096, PROT_READ) == 0 &&
			 pid_file_is(self, "cantmove", "-\n"),
			 "cantmove: writable shared mapping, - once read-only\n");
	munmap(page, 4096);
	ksft_test_result(run_child(realtime_cantmove, NULL) == 0,
			 "cantmove: real-time scheduling (SCHED_FIFO)\n");
	ksft_test_result(run_child(iopl_cantmove, NULL) == 0,
			 "cantmove: I/O port access (iopl)\n");
}

/* --- where, nmigs ---------------------------------------------------------- */

static int nobody_sets_where(void *arg)
{
	if (become_nobody())
		return 2;
	return pid_write(getpid(), "where", "3") == -EPERM &&
	       pid_write(getpid(), "guest", "3 10 9") == -EPERM ? 0 : 1;
}

static void test_where(void)
{
	pid_t self = getpid();

	ksft_test_result(pid_file_is(self, "where", "0\n") &&
			 pid_file_is(self, "nmigs", "0\n"),
			 "where, nmigs: 0 and 0 by default\n");
	ksft_test_result(pid_write(self, "where", "3") == 0 &&
			 pid_write(self, "nmigs", "2\n") == 0 &&
			 pid_file_is(self, "where", "3\n") &&
			 pid_file_is(self, "nmigs", "2\n"),
			 "where, nmigs: root writes 3 and 2, they read back\n");
	ksft_test_result(pid_write(self, "where", "65536") == -EINVAL &&
			 pid_write(self, "where", "-1") == -EINVAL &&
			 pid_write(self, "nmigs", "two") == -EINVAL &&
			 pid_file_is(self, "where", "3\n"),
			 "where, nmigs: bad values fail with EINVAL, change nothing\n");
	ksft_test_result(pid_write(self, "where", "0") == 0 &&
			 pid_file_is(self, "where", "0\n"),
			 "where: back to 0\n");
	ksft_test_result(run_child(nobody_sets_where, NULL) == 0,
			 "where, guest: an unprivileged owner gets EPERM\n");
}

/* --- guests -------------------------------------------------------------- */

struct guest_ids {
	long pid, ppid, tid;
	bool self_listed;
	long child_ppid;
};

/*
 * Our pid as /proc lists it. Not getpid(): the test may have marked us a
 * guest before we ran, and a guest's getpid() answers its home pid.
 */
static pid_t real_pid(void)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return (pid_t)strtol(buf, NULL, 10);
}

/*
 * The guest: waits for its go, then reports its ids, whether it sees
 * itself in /proc, and what a child it forks sees as its parent.
 */
static int guest_main(int go, int out)
{
	pid_t self = real_pid(), child;
	struct guest_ids ids;
	int p[2], status;
	char c;

	if (read(go, &c, 1) != 1)
		return 2;
	ids.pid = syscall(SYS_getpid);
	ids.ppid = syscall(SYS_getppid);
	ids.tid = syscall(SYS_gettid);
	ids.self_listed = in_proc_listing(self);
	ids.child_ppid = -1;
	if (pipe(p) == 0) {
		child = fork();
		if (child == 0) {
			long ppid = syscall(SYS_getppid);

			write(p[1], &ppid, sizeof(ppid));
			_exit(0);
		}
		if (child > 0 && read(p[0], &ids.child_ppid,
				      sizeof(ids.child_ppid)) < 0)
			ids.child_ppid = -2;
		waitpid(child, &status, 0);
	}
	if (write(out, &ids, sizeof(ids)) != sizeof(ids))
		return 2;
	/* wait for the end of the test */
	if (read(go, &c, 1) < 0)
		return 2;
	return 0;
}

static void test_guest(void)
{
	struct guest_ids ids = { 0 };
	int go[2], out[2];
	char want[64];
	pid_t guest;
	int status;

	if (pipe(go) || pipe(out)) {
		ksft_test_result_fail("guest: pipes\n");
		return;
	}
	guest = fork();
	if (guest == 0) {
		close(go[1]);
		close(out[0]);
		_exit(guest_main(go[0], out[1]));
	}
	close(go[0]);
	close(out[1]);
	ksft_test_result(pid_file_is(guest, "guest", "0\n") &&
			 in_proc_listing(guest) && !listed("/proc/mosix/guests", guest),
			 "guest: 0 by default, listed in /proc, not a guest\n");
	ksft_test_result(pid_write(guest, "guest", "0 10 9") == -EINVAL &&
			 pid_write(guest, "guest", "65536 10 9") == -EINVAL &&
			 pid_write(guest, "guest", "7 0 9") == -EINVAL &&
			 pid_write(guest, "guest", "7 10") == -EINVAL &&
			 pid_write(guest, "guest", "7 10 9 8") == -EINVAL &&
			 pid_file_is(guest, "guest", "0\n"),
			 "guest: bad values fail with EINVAL, change nothing\n");
	ksft_test_result(pid_write(guest, "guest", "7 4242 4241\n") == 0 &&
			 pid_file_is(guest, "guest", "7 4242 4241\n"),
			 "guest: root marks a process as node 7's pid 4242\n");
	ksft_test_result(!in_proc_listing(guest),
			 "guest: left out of this process's /proc listing\n");
	ksft_test_result(access("/proc/self/mosix", F_OK) == 0 &&
			 pid_file_is(guest, "guest", "7 4242 4241\n"),
			 "guest: its /proc/PID still answers a lookup\n");
	snprintf(want, sizeof(want), "%d 7 4242 4241", guest);
	ksft_test_result(has_line("/proc/mosix/guests", want),
			 "guest: listed in /proc/mosix/guests as \"%s\"\n", want);
	if (write(go[1], "g", 1) != 1 ||
	    read(out[0], &ids, sizeof(ids)) != sizeof(ids))
		ksft_print_msg("the guest did not answer\n");
	ksft_test_result(ids.pid == 4242 && ids.tid == 4242,
			 "guest: getpid() and gettid() are 4242 (%ld, %ld)\n",
			 ids.pid, ids.tid);
	ksft_test_result(ids.ppid == 4241,
			 "guest: getppid() is 4241 (%ld)\n", ids.ppid);
	ksft_test_result(ids.self_listed,
			 "guest: sees itself in its /proc listing\n");
	ksft_test_result(ids.child_ppid == guest,
			 "guest: its child is no guest: its getppid() is the real pid (%ld)\n",
			 ids.child_ppid);
	ksft_test_result(pid_write(guest, "guest", "7 4242 1\n") == 0 &&
			 pid_file_is(guest, "guest", "7 4242 1\n"),
			 "guest: its home parent can change\n");
	ksft_test_result(pid_write(guest, "guest", "0") == 0 &&
			 pid_file_is(guest, "guest", "0\n") &&
			 in_proc_listing(guest) &&
			 !listed("/proc/mosix/guests", guest),
			 "guest: 0 clears it; listed again\n");
	close(go[1]);
	waitpid(guest, &status, 0);
	ksft_test_result(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			 "guest: exited normally\n");
	close(out[0]);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--print-lock"))
		return pid_file_is(getpid(), "lock", "1\n") ? 0 : 1;
	ksft_print_header();
	if (access("/proc/self/mosix", F_OK))
		ksft_exit_skip("no /proc/self/mosix: not a CONFIG_MOSIX kernel\n");
	if (geteuid())
		ksft_exit_skip("needs root\n");
	ksft_set_plan(11 + 9 + 5 + 13);
	test_lock();
	test_cantmove();
	test_where();
	test_guest();
	ksft_finished();
}
