// SPDX-License-Identifier: GPL-2.0-only
/*
 * ktest: the /init of the kernel tier's initramfs (tests/kernel/). It
 * loads the mosix module, checks /proc/mosix, unloads it, checks the kernel
 * log, and prints TAP on the console, which the host-side test reads; then
 * it powers the machine off.
 *
 * On a patched kernel (/proc/mosix there from the start, CONFIG_MOSIX) it
 * checks the same files, built in, with the lock kept in the task
 * ("lock=task"), then runs the series' kselftest, /mosix_test, and
 * re-emits its results as its own.
 *
 * Run as PID 1 it mounts /proc and powers off at the end; run otherwise (as
 * root, on a machine where the module may be loaded) it only tests.
 * MOSIX_KO names the module (default /mosix.ko), MOSIX_VERSION the version
 * /proc/mosix/version must say (the kernel passes both from its command
 * line to init's environment). "ktest --locked" exits 0 when the calling
 * process is locked: the exec check runs it.
 *
 * Children report through their exit status; only the first process
 * prints. The plan comes last ("1..N"), since the count depends on what
 * loaded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROC_MOSIX "/proc/mosix"
#define LOCK_FILE PROC_MOSIX "/lock"
#define NODES_FILE PROC_MOSIX "/admin/nodes"

static int tap_n, tap_failed;

static void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static bool ok(bool pass, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", pass ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!pass)
		tap_failed++;
	return pass;
}

/* The file's bytes, NUL-terminated, or -errno. */
static int read_file(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	n = n < 0 ? -errno : 0;
	close(fd);
	buf[len] = '\0';
	return n < 0 ? (int)n : (int)len;
}

/* One write(2) of @text: 0 or -errno (of the open or the write). */
static int write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd, r = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		r = -errno;
	close(fd);
	return r;
}

static bool file_is(const char *path, const char *want, const char *what)
{
	char got[4096];
	int r = read_file(path, got, sizeof(got));

	if (r < 0)
		snprintf(got, sizeof(got), "(%s)", strerror(-r));
	if (!ok(r >= 0 && !strcmp(got, want), "%s", what)) {
		diag("%s: got '%s'", path, got);
		diag("expected '%s'", want);
		return false;
	}
	return true;
}

static bool write_gives(const char *path, const char *text, int want_errno,
			const char *what)
{
	int r = write_file(path, text);

	if (!ok(r == -want_errno, "%s", what)) {
		diag("write '%s' to %s: %s, expected %s", text, path,
		     r ? strerror(-r) : "success",
		     want_errno ? strerror(want_errno) : "success");
		return false;
	}
	return true;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static int load(const char *params)
{
	const char *ko = getenv("MOSIX_KO");
	int fd, r = 0;

	fd = open(ko ? ko : "/mosix.ko", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, params, 0) < 0)
		r = -errno;
	close(fd);
	return r;
}

static int unload(void)
{
	return syscall(SYS_delete_module, "mosix", O_NONBLOCK) < 0 ? -errno : 0;
}

/* --- the lock --------------------------------------------------------- */

static int set_lock(pid_t pid, int on)
{
	char text[64];

	snprintf(text, sizeof(text), "%d %d\n", (int)pid, on);
	return write_file(LOCK_FILE, text);
}

/* How many processes the lock file lists; whether @pid is one (-1: none). */
static int locked_count(pid_t pid, bool *ret_listed)
{
	char buf[65536], *line, *save = NULL;
	int n = 0;

	*ret_listed = false;
	if (read_file(LOCK_FILE, buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		n++;
		if (strtol(line, NULL, 10) == pid)
			*ret_listed = true;
	}
	return n;
}

static bool is_locked(pid_t pid)
{
	bool listed;

	locked_count(pid, &listed);
	return listed;
}

/* Fork; the child exits with @fn's status. The child's pid, or -1. */
static pid_t spawn(int (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(fn(arg));
	return pid;
}

/* Reap @pid: its exit status, or -1 when it did not exit normally. */
static int reap(pid_t pid)
{
	int status;

	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int child_is_locked(void *arg)
{
	(void)arg;
	return is_locked(getpid()) ? 0 : 1;
}

/* A child whose own child (the grandchild) must be locked too. */
static int grandchild_is_locked(void *arg)
{
	(void)arg;
	if (!is_locked(getpid()))
		return 1;
	return reap(spawn(child_is_locked, NULL)) == 0 ? 0 : 2;
}

static int exec_checks_lock(void *arg)
{
	char *argv[] = { "ktest", "--locked", NULL };

	(void)arg;
	execv("/proc/self/exe", argv);
	return 3;
}

static void *thread_main(void *arg)
{
	int *r = arg;

	/* a thread's id is not a process's: the lock is per process */
	*r = set_lock((pid_t)syscall(SYS_gettid), 1);
	return NULL;
}

static void test_lock(void)
{
	pid_t self = getpid(), child;
	pthread_t thread;
	siginfo_t si;
	bool listed;
	int r;

	file_is(LOCK_FILE, "", "lock: nothing is locked at first");
	ok(set_lock(self, 1) == 0 && is_locked(self), "lock: 'PID 1' locks a process");
	ok(set_lock(self, 1) == 0 && locked_count(self, &listed) == 1,
	   "lock: locking twice keeps one entry");

	child = spawn(child_is_locked, NULL);
	memset(&si, 0, sizeof(si));
	/* exited but not reaped: the lock must go at exit, not at wait */
	r = waitid(P_PID, child, &si, WEXITED | WNOWAIT);
	ok(r == 0 && si.si_status == 0, "lock: a child of a locked process is locked");
	ok(!is_locked(child), "lock: a locked process's entry goes when it exits");
	reap(child);
	ok(reap(spawn(grandchild_is_locked, NULL)) == 0,
	   "lock: inherited over two generations");
	ok(reap(spawn(exec_checks_lock, NULL)) == 0, "lock: kept across execve");

	r = 1;
	if (pthread_create(&thread, NULL, thread_main, &r) || pthread_join(thread, NULL))
		r = 1;
	ok(r == -ESRCH, "lock: the id of a thread that is not the leader gives ESRCH (%s)",
	   r == 1 ? "no thread" : strerror(-r));
	ok(is_locked(self), "lock: a thread's exit does not unlock its process");

	ok(set_lock(self, 0) == 0 && !is_locked(self), "lock: 'PID 0' unlocks");
	ok(set_lock(self, 0) == 0, "lock: unlocking an unlocked process is fine");
	ok(reap(spawn(child_is_locked, NULL)) == 1,
	   "lock: a child of an unlocked process is not locked");

	write_gives(LOCK_FILE, "1 2\n", EINVAL, "lock: flag 2 gives EINVAL");
	write_gives(LOCK_FILE, "1\n", EINVAL, "lock: a missing flag gives EINVAL");
	write_gives(LOCK_FILE, "1 1 1\n", EINVAL, "lock: an extra field gives EINVAL");
	write_gives(LOCK_FILE, "x 1\n", EINVAL, "lock: a word for a pid gives EINVAL");
	write_gives(LOCK_FILE, "0 1\n", EINVAL, "lock: pid 0 gives EINVAL");
	write_gives(LOCK_FILE, "-5 1\n", EINVAL, "lock: a negative pid gives EINVAL");
	write_gives(LOCK_FILE, "4194304 1\n", ESRCH, "lock: a pid no process has gives ESRCH");
}

/*
 * Forks of locked processes on every CPU while nodes come and go and are
 * read: afterwards the table holds exactly the processes still locked.
 */
static int fork_storm(void *arg)
{
	int i, bad = 0;

	(void)arg;
	for (i = 0; i < 200; i++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (reap(pid) != 0)
			bad++;
	}
	return bad ? 1 : 0;
}

static int node_churn(void *arg)
{
	char line[128], buf[4096], path[64];
	int i, bad = 0;

	(void)arg;
	for (i = 0; i < 200; i++) {
		int id = 100 + i % 17;

		snprintf(line, sizeof(line), "%d 1 %d 10000 1 1 2 1 0\n", id, i);
		if (write_file(NODES_FILE, line))
			bad++;
		snprintf(path, sizeof(path), PROC_MOSIX "/nodes/%d/load", 100 + (i * 7) % 17);
		read_file(path, buf, sizeof(buf));
		read_file(NODES_FILE, buf, sizeof(buf));
		if (i % 3 == 0) {
			snprintf(line, sizeof(line), "-%d\n", 100 + (i * 5) % 17);
			if (write_file(NODES_FILE, line))
				bad++;
		}
	}
	return bad ? 1 : 0;
}

static void test_stress(void)
{
	pid_t self = getpid(), kids[5];
	int i, bad = 0;
	bool listed;

	set_lock(self, 1);
	for (i = 0; i < 4; i++)
		kids[i] = spawn(fork_storm, NULL);
	kids[4] = spawn(node_churn, NULL);
	for (i = 0; i < 5; i++)
		if (reap(kids[i]) != 0)
			bad++;
	ok(!bad, "stress: 800 forks of locked processes beside node churn");
	i = locked_count(self, &listed);
	if (!ok(i == 1 && listed, "stress: afterwards only this process is locked"))
		diag("%d entries", i);
	set_lock(self, 0);
	write_file(NODES_FILE, "clear\n");
}

/* --- admin/ ------------------------------------------------------------ */

static void test_admin(void)
{
	static const struct {
		const char *name, *value;
	} defaults[] = {
		{ "block", "0\n" }, { "stay", "0\n" }, { "lstay", "0\n" },
		{ "quiet", "0\n" }, { "speed", "10000\n" },
		{ "decay", "100 975 926\n" }, { "version", "\n" },
	};
	static const struct {
		const char *name, *write, *value;
	} sets[] = {
		{ "block", "1\n", "1\n" }, { "stay", "1", "1\n" },
		{ "lstay", "1\n", "1\n" }, { "quiet", "1\n", "1\n" },
		{ "speed", "12345\n", "12345\n" },
		{ "decay", "500 900 800\n", "500 900 800\n" },
		{ "version", "0.1.0 test\n", "0.1.0 test\n" },
		{ "block", "0\n", "0\n" },
	};
	static const struct {
		const char *name, *write;
	} bad[] = {
		{ "block", "2\n" }, { "block", "x\n" }, { "block", "\n" },
		{ "block", "1 1\n" }, { "stay", "-1\n" },
		{ "speed", "0\n" }, { "speed", "1000001\n" },
		{ "decay", "100 975\n" }, { "decay", "9 975 926\n" },
		{ "decay", "100 0 926\n" }, { "decay", "100 975 1001\n" },
		{ "version", "a\tb\n" },
		{ "version", "0123456789012345678901234567890123456789012345678901234567890123\n" },
	};
	char path[128], what[160];
	size_t i;

	for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		snprintf(path, sizeof(path), PROC_MOSIX "/admin/%s", defaults[i].name);
		snprintf(what, sizeof(what), "admin/%s reads its default", defaults[i].name);
		file_is(path, defaults[i].value, what);
	}
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		snprintf(path, sizeof(path), PROC_MOSIX "/admin/%s", sets[i].name);
		snprintf(what, sizeof(what), "admin/%s: write '%.*s'", sets[i].name,
			 (int)strcspn(sets[i].write, "\n"), sets[i].write);
		if (write_gives(path, sets[i].write, 0, what))
			file_is(path, sets[i].value, "  and read it back");
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), PROC_MOSIX "/admin/%s", bad[i].name);
		snprintf(what, sizeof(what), "admin/%s: '%.*s' gives EINVAL", bad[i].name,
			 (int)strcspn(bad[i].write, "\n"), bad[i].write);
		write_gives(path, bad[i].write, EINVAL, what);
	}
	file_is(PROC_MOSIX "/admin/decay", "500 900 800\n", "admin/decay: bad writes changed nothing");
	file_is(PROC_MOSIX "/admin/version", "0.1.0 test\n", "admin/version: bad writes changed nothing");
	write_gives(PROC_MOSIX "/admin/version", "\n", 0, "admin/version: an empty write clears it");
	file_is(PROC_MOSIX "/admin/version", "\n", "  and it reads empty");
}

/* --- nodes/ ------------------------------------------------------------ */

static void check_node(int id, const char *cpus, const char *load, const char *speed,
		       const char *mem, const char *rmem, const char *tmem,
		       const char *status, const char *util)
{
	const char *names[] = { "cpus", "load", "speed", "mem", "rmem", "tmem", "status", "util" };
	const char *want[] = { cpus, load, speed, mem, rmem, tmem, status, util };
	char path[128], expect[64], got[64];
	int bad = 0;
	size_t i;

	for (i = 0; i < 8; i++) {
		snprintf(path, sizeof(path), PROC_MOSIX "/nodes/%d/%s", id, names[i]);
		snprintf(expect, sizeof(expect), "%s\n", want[i]);
		if (read_file(path, got, sizeof(got)) < 0 || strcmp(got, expect)) {
			diag("%s: '%.*s', expected %s", path, (int)strcspn(got, "\n"), got, want[i]);
			bad++;
		}
	}
	ok(!bad, "nodes/%d/{cpus,load,speed,mem,rmem,tmem,status,util} hold the values written", id);
}

static int unprivileged(void *arg)
{
	int bad = 0;

	(void)arg;
	if (setgid(65534) || setuid(65534))
		return 10;
	/* everyone reads */
	if (!exists(PROC_MOSIX "/version") || write_file(PROC_MOSIX "/admin/block", "1") != -EACCES)
		bad |= 1;
	if (write_file(NODES_FILE, "3 1 0 1 0 0 0 1 0\n") != -EACCES)
		bad |= 2;
	if (write_file(LOCK_FILE, "1 1\n") != -EACCES)
		bad |= 4;
	return bad;
}

static int without_cap_sys_admin(void *arg)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	int bad = 0;

	(void)arg;
	if (syscall(SYS_capget, &hdr, data))
		return 10;
	data[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
	if (syscall(SYS_capset, &hdr, data))
		return 11;
	/* uid 0 may open the files; the write itself needs CAP_SYS_ADMIN */
	if (write_file(PROC_MOSIX "/admin/block", "1") != -EPERM)
		bad |= 1;
	if (write_file(NODES_FILE, "3 1 0 1 0 0 0 1 0\n") != -EPERM)
		bad |= 2;
	if (write_file(LOCK_FILE, "1 1\n") != -EPERM)
		bad |= 4;
	return bad;
}

static void test_nodes(void)
{
	char buf[4096];
	int r;

	ok(exists(PROC_MOSIX "/nodes") && !exists(PROC_MOSIX "/nodes/1"),
	   "nodes/ exists and is empty");
	write_gives(NODES_FILE,
		    "2 4 250 20000 1000 2000 1048576 1 500\n"
		    "1 2 150 10000 3000 4000 262144 1 1000\n",
		    0, "admin/nodes: two nodes in one write");
	check_node(1, "2", "150", "10000", "3000", "4000", "262144", "1", "1000");
	check_node(2, "4", "250", "20000", "1000", "2000", "1048576", "1", "500");
	file_is(NODES_FILE,
		"1 2 150 10000 3000 4000 262144 1 1000\n"
		"2 4 250 20000 1000 2000 1048576 1 500\n",
		"admin/nodes reads every node, sorted by id");
	write_gives(NODES_FILE, "1 8 10 30000 5 6 7 0 0", 0,
		    "admin/nodes: an update, without a final newline");
	check_node(1, "8", "10", "30000", "5", "6", "7", "0", "0");
	write_gives(NODES_FILE, "65535 1 0 1 0 0 0 1 0\n\n  \n", 0,
		    "admin/nodes: node 65535, blank lines ignored");
	ok(exists(PROC_MOSIX "/nodes/65535/load"), "nodes/65535 exists");
	write_gives(NODES_FILE, "-2\n-65535\n-9\n", 0,
		    "admin/nodes: '-ID' forgets nodes (an unknown one too)");
	ok(!exists(PROC_MOSIX "/nodes/2") && !exists(PROC_MOSIX "/nodes/65535") &&
	   exists(PROC_MOSIX "/nodes/1"), "  they are gone, the others stay");

	write_gives(NODES_FILE, "0 1 0 1 0 0 0 1 0\n", EINVAL, "admin/nodes: id 0 gives EINVAL");
	write_gives(NODES_FILE, "65536 1 0 1 0 0 0 1 0\n", EINVAL,
		    "admin/nodes: id 65536 gives EINVAL");
	write_gives(NODES_FILE, "3 1 0 1 0 0 0 1\n", EINVAL,
		    "admin/nodes: a missing field gives EINVAL");
	write_gives(NODES_FILE, "3 1 0 1 0 0 0 1 0 0\n", EINVAL,
		    "admin/nodes: an extra field gives EINVAL");
	write_gives(NODES_FILE, "3 0 0 1 0 0 0 1 0\n", EINVAL, "admin/nodes: 0 cpus gives EINVAL");
	write_gives(NODES_FILE, "3 1 0 0 0 0 0 1 0\n", EINVAL, "admin/nodes: speed 0 gives EINVAL");
	write_gives(NODES_FILE, "3 1 0 1 5 0 4 1 0\n", EINVAL,
		    "admin/nodes: mem above tmem gives EINVAL");
	write_gives(NODES_FILE, "3 1 0 1 0 5 4 1 0\n", EINVAL,
		    "admin/nodes: rmem above tmem gives EINVAL");
	write_gives(NODES_FILE, "3 1 0 1 0 0 0 2 0\n", EINVAL, "admin/nodes: status 2 gives EINVAL");
	write_gives(NODES_FILE, "3 1 0 1 0 0 0 1 1001\n", EINVAL,
		    "admin/nodes: util 1001 gives EINVAL");
	write_gives(NODES_FILE, "3 1 x 1 0 0 0 1 0\n", EINVAL, "admin/nodes: a word gives EINVAL");
	write_gives(NODES_FILE, "-0\n", EINVAL, "admin/nodes: '-0' gives EINVAL");
	write_gives(NODES_FILE, "clearall\n", EINVAL, "admin/nodes: an unknown word gives EINVAL");
	snprintf(buf, sizeof(buf), "3%*s 1 0 1 0 0 0 1 0\n", 256, "");
	write_gives(NODES_FILE, buf, EINVAL, "admin/nodes: a line of 256 bytes or more gives EINVAL");
	write_gives(NODES_FILE, "4 1 0 1 0 0 0 1 0\n-1\n3 1 0 1 0 0 0 7 0\n", EINVAL,
		    "admin/nodes: a write with one bad line gives EINVAL");
	ok(!exists(PROC_MOSIX "/nodes/4") && exists(PROC_MOSIX "/nodes/1"),
	   "  and none of it is applied");
	check_node(1, "8", "10", "30000", "5", "6", "7", "0", "0");

	r = reap(spawn(unprivileged, NULL));
	ok(r == 0, "an unprivileged user reads but cannot open the files for writing (%d)", r);
	r = reap(spawn(without_cap_sys_admin, NULL));
	ok(r == 0, "root without CAP_SYS_ADMIN cannot write (EPERM) (%d)", r);

	write_gives(NODES_FILE, "3 1 0 1 0 0 0 1 0\nclear\n", 0, "admin/nodes: 'clear'");
	ok(!exists(PROC_MOSIX "/nodes/1") && !exists(PROC_MOSIX "/nodes/3") &&
	   read_file(NODES_FILE, buf, sizeof(buf)) == 0, "  forgets every node");
}

/* Loaded with max_nodes=2. */
static void test_max_nodes(void)
{
	write_gives(NODES_FILE, "1 1 0 1 0 0 0 1 0\n2 1 0 1 0 0 0 1 0\n3 1 0 1 0 0 0 1 0\n",
		    ENOSPC, "max_nodes=2: three nodes give ENOSPC");
	ok(!exists(PROC_MOSIX "/nodes/1"), "  and none is added");
	write_gives(NODES_FILE, "1 1 0 1 0 0 0 1 0\n2 1 0 1 0 0 0 1 0\n", 0,
		    "max_nodes=2: two nodes fit");
	write_gives(NODES_FILE, "5 1 0 1 0 0 0 1 0\n", ENOSPC, "max_nodes=2: a third gives ENOSPC");
	write_gives(NODES_FILE, "2 2 0 1 0 0 0 1 0\n", 0, "max_nodes=2: an update still works");
}

/* --- the kernel log ----------------------------------------------------- */

static void test_dmesg(void)
{
	static const char *const bad_words[] = {
		"WARNING:", "BUG:", "Oops", "Call Trace", "general protection",
		"UBSAN", "KASAN", "kmemleak", "list_del corruption", "refcount_t",
	};
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf, *line, *save = NULL;
	int n, bad = 0;
	size_t i;

	if (size <= 0)
		size = 1 << 20;
	buf = malloc((size_t)size + 1);
	n = buf ? klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size) : -1;
	if (!ok(n >= 0, "the kernel log can be read")) {
		free(buf);
		return;
	}
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		bool flagged = false;

		for (i = 0; i < sizeof(bad_words) / sizeof(bad_words[0]); i++)
			flagged |= strstr(line, bad_words[i]) != NULL;
		bad += flagged;
		if (flagged || strstr(line, "mosix"))
			diag("dmesg: %s", line);
	}
	ok(!bad, "dmesg has no WARNING, BUG, Oops or Call Trace line");
	free(buf);
}

/* --- the sequence -------------------------------------------------------- */

static bool check_version(const char *lock)
{
	const char *v = getenv("MOSIX_VERSION");
	char want[256];

	snprintf(want, sizeof(want), "version=%s\ninterface=1\nlock=%s\n", v ? v : "unknown", lock);
	return file_is(PROC_MOSIX "/version", want, "/proc/mosix/version");
}

/*
 * The kselftest of the series, its TAP re-emitted: "ok N desc" and
 * "not ok N desc" become checks of this run, "# ..." diagnostics.
 */
static void run_selftest(const char *path)
{
	char line[512], *desc;
	int p[2], status, n = 0;
	pid_t pid;
	FILE *in;

	if (!ok(pipe(p) == 0, "selftest: a pipe"))
		return;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execl(path, path, (char *)NULL);
		printf("not ok 1 exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(p[1]);
	in = fdopen(p[0], "r");
	while (in && fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "ok ", 3) || !strncmp(line, "not ok ", 7)) {
			desc = line + (line[0] == 'o' ? 3 : 7);
			desc += strspn(desc, "0123456789");
			desc += strspn(desc, " -");
			ok(line[0] == 'o', "selftest: %s", desc);
			n++;
		} else if (line[0] == '#') {
			diag("selftest: %s", line + strspn(line, "# "));
		} else if (!strncmp(line, "1..", 3)) {
			diag("selftest plan %s", line + 3);
		}
	}
	if (in)
		fclose(in);
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status),
	   "selftest: %s passed all %d of its tests", path, n);
}

/* the interface built into a patched kernel: nothing to load or unload */
static void run_builtin(void)
{
	ok(exists(PROC_MOSIX "/admin") && exists(PROC_MOSIX "/nodes") && exists(LOCK_FILE) &&
	   exists(PROC_MOSIX "/guests"),
	   "built in: /proc/mosix has admin/, nodes/, lock and guests");
	ok(load("") < 0, "built in: there is no module to load");
	check_version("task");
	test_admin();
	test_nodes();
	test_lock();
	test_stress();
	run_selftest("/mosix_test");
	test_dmesg();
}

static void run(void)
{
	struct timespec ts;
	char buf[256];
	int r;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	diag("ktest started %ld.%03ld s after boot", (long)ts.tv_sec, ts.tv_nsec / 1000000);
	if (read_file("/proc/version", buf, sizeof(buf)) > 0)
		diag("%.*s", (int)strcspn(buf, "\n"), buf);
	if (exists(PROC_MOSIX)) {
		run_builtin();
		return;
	}

	r = load("max_nodes=0");
	ok(r == -EINVAL, "insmod with max_nodes=0 fails with EINVAL (%s)", strerror(-r));
	ok(!exists(PROC_MOSIX), "  and leaves no /proc/mosix");
	r = load("");
	if (!ok(r == 0, "insmod mosix.ko (%s)", r ? strerror(-r) : "loaded")) {
		test_dmesg();
		return;
	}
	ok(exists(PROC_MOSIX "/admin") && exists(PROC_MOSIX "/nodes") && exists(LOCK_FILE),
	   "/proc/mosix has admin/, nodes/ and lock");
	check_version("module");
	test_admin();
	test_nodes();
	test_lock();
	test_stress();

	/* unload with state in every table */
	write_file(NODES_FILE, "7 1 0 1 0 0 0 1 0\n8 1 0 1 0 0 0 1 0\n");
	set_lock(getpid(), 1);
	r = unload();
	ok(r == 0, "rmmod with nodes and a lock in the tables (%s)", r ? strerror(-r) : "ok");
	ok(!exists(PROC_MOSIX), "  /proc/mosix is gone");
	ok(reap(spawn(fork_storm, NULL)) == 0, "  forks and exits go on after it");

	r = load("max_nodes=2");
	ok(r == 0, "insmod again, max_nodes=2 (%s)", r ? strerror(-r) : "loaded");
	if (r == 0) {
		file_is(PROC_MOSIX "/admin/speed", "10000\n", "  a new load starts from the defaults");
		file_is(LOCK_FILE, "", "  with nothing locked");
		test_max_nodes();
		r = unload();
		ok(r == 0, "rmmod again (%s)", r ? strerror(-r) : "ok");
	}
	test_dmesg();
}

int main(int argc, char **argv)
{
	bool init = getpid() == 1;

	if (argc > 1 && !strcmp(argv[1], "--locked"))
		return is_locked(getpid()) ? 0 : 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (init) {
		mkdir("/proc", 0555);
		if (mount("proc", "/proc", "proc", 0, NULL))
			printf("Bail out! cannot mount /proc: %s\n", strerror(errno));
	}
	run();
	printf("1..%d\n", tap_n);
	fflush(stdout);
	if (init) {
		sync();
		reboot(RB_POWER_OFF);
	}
	return tap_failed ? 1 : 0;
}
