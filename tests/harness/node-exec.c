// SPDX-License-Identifier: GPL-2.0
/*
 * node-exec - run a command inside a test node of the cluster harness.
 *
 * Usage: node-exec [-c TASKS] [-s STARTTIME] PID [--] CMD [ARG...]
 *
 * Joins the namespaces of process PID (mnt, uts, ipc, net, pid; those equal
 * to ours are skipped, so it also enters the harness's hub, which only has
 * its own network), keeps the current directory if that path exists in the
 * node (else "/"), forks and runs CMD in the node's pid namespace.
 *
 *   -c TASKS      first write our pid to this cgroup v1 "tasks" file, so CMD
 *                 runs in the node's cpuset;
 *   -s STARTTIME  PID's start time (field 22 of /proc/PID/stat): refuse to
 *                 run if PID now names another process (pid reuse after the
 *                 node died would otherwise run CMD on the host).
 *
 * Unlike nsenter(1), the waiting parent forwards every signal it receives
 * to CMD, and CMD gets SIGKILL if the parent dies, so "kill $pid" of a
 * backgrounded node-exec reaches the command in the node.  The exit status
 * is CMD's; if CMD died of a signal, node-exec dies of the same signal.
 * node-exec's own failures exit 125, CMD not executable 126, not found 127.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_INTERNAL 125
#define EXIT_NOEXEC 126
#define EXIT_NOTFOUND 127

static const struct {
	const char *name;
	int flag;
} namespaces[] = {
	{ "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS },
	{ "net", CLONE_NEWNET }, { "pid", CLONE_NEWPID },
	{ "mnt", CLONE_NEWNS },
};

static void usage(void)
{
	fprintf(stderr,
		"usage: node-exec [-c TASKS] [-s STARTTIME] PID [--] CMD [ARG...]\n");
}

static int join_cgroup(const char *tasks)
{
	char buf[32];
	int fd, len, ret = 0;

	fd = open(tasks, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%d\n", getpid());
	if (write(fd, buf, len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

/* Field 22 of /proc/PID/stat, which never changes for a process. */
static int read_starttime(pid_t pid, unsigned long long *ret_start)
{
	char path[64], buf[1024], *p;
	unsigned long long start;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: skip to the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return -EIO;
	/* After ')' come fields 3.. ; field 22 is the 20th of those. */
	for (i = 3; i <= 22; i++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EIO;
	}
	if (sscanf(p, " %llu", &start) != 1)
		return -EIO;
	*ret_start = start;
	return 0;
}

static bool same_namespace(pid_t pid, const char *name)
{
	char path[64];
	struct stat mine, theirs;

	snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
	if (stat(path, &mine) < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, name);
	if (stat(path, &theirs) < 0)
		return false;
	return mine.st_dev == theirs.st_dev && mine.st_ino == theirs.st_ino;
}

/*
 * Enter PID's namespaces in one setns() on a pidfd, which fails instead of
 * entering a half-dead process's namespaces.  When starttime is given, the
 * pidfd is checked to name the expected process: it is opened first, so a
 * matching start time read afterwards proves it pins the right one.
 */
static int enter_node(pid_t pid, const char *starttime)
{
	unsigned long long want, have = 0;
	int pidfd, flags = 0, r;
	size_t i;

	pidfd = pidfd_open(pid, 0);
	if (pidfd < 0)
		return -errno;
	if (starttime) {
		want = strtoull(starttime, NULL, 10);
		r = read_starttime(pid, &have);
		if (r < 0)
			goto out_close_pidfd;
		if (have != want) {
			r = -ESRCH;
			goto out_close_pidfd;
		}
	}
	for (i = 0; i < sizeof(namespaces) / sizeof(namespaces[0]); i++)
		if (!same_namespace(pid, namespaces[i].name))
			flags |= namespaces[i].flag;
	r = 0;
	if (flags && setns(pidfd, flags) < 0)
		r = -errno;
out_close_pidfd:
	close(pidfd);
	return r;
}

/*
 * Ask the parent to kill us if it dies, then run CMD.  getppid() is 0 while
 * the parent lives outside our new pid namespace, and the parent's pid when
 * we share its pid namespace (the hub); anything else means it is gone.
 */
static void child_exec(char **cmd, const sigset_t *oldmask, pid_t parent)
{
	pid_t ppid;
	int code;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	ppid = getppid();
	if (ppid != 0 && ppid != parent)
		_exit(EXIT_INTERNAL);
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	execvp(cmd[0], cmd);
	code = errno == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC;
	fprintf(stderr, "node-exec: unable to run '%s': %s\n", cmd[0],
		strerror(errno));
	_exit(code);
}

/* Die the way the child died, so callers see the same wait status. */
static int mirror_status(int status)
{
	struct rlimit nocore = { 0, 0 };
	sigset_t set;
	int sig;

	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	sig = WTERMSIG(status);
	setrlimit(RLIMIT_CORE, &nocore);
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	return 128 + sig;
}

/*
 * Forward every signal to the child until it exits.  Job control: when the
 * child stops, stop ourselves too, and continue it when we are continued,
 * as nsenter does, so a shell sees the job stop and resume.
 */
static int supervise(pid_t child)
{
	sigset_t all;
	int status;

	sigfillset(&all);
	for (;;) {
		int sig = sigwaitinfo(&all, NULL);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(child, sig);
			continue;
		}
		for (;;) {
			pid_t r = waitpid(child, &status, WNOHANG | WUNTRACED);

			if (r == 0)
				break;
			if (r < 0)
				return EXIT_INTERNAL;
			if (WIFSTOPPED(status)) {
				kill(getpid(), SIGSTOP);
				kill(child, SIGCONT);
				continue;
			}
			return mirror_status(status);
		}
	}
}

int main(int argc, char **argv)
{
	const char *tasks = NULL, *starttime = NULL;
	char cwd[PATH_MAX];
	bool have_cwd;
	sigset_t all, oldmask;
	pid_t pid, child, self;
	char *end;
	int opt, r;

	while ((opt = getopt(argc, argv, "+c:s:h")) != -1) {
		switch (opt) {
		case 'c':
			tasks = optarg;
			break;
		case 's':
			starttime = optarg;
			break;
		default:
			usage();
			return opt == 'h' ? 0 : EXIT_INTERNAL;
		}
	}
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (argc - optind < 2) {
		usage();
		return EXIT_INTERNAL;
	}
	pid = strtol(argv[optind], &end, 10);
	if (*end || pid <= 0) {
		fprintf(stderr, "node-exec: bad pid '%s'\n", argv[optind]);
		return EXIT_INTERNAL;
	}
	optind++;
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (optind >= argc) {
		usage();
		return EXIT_INTERNAL;
	}

	if (tasks) {
		r = join_cgroup(tasks);
		if (r < 0) {
			fprintf(stderr, "node-exec: unable to join '%s': %s\n",
				tasks, strerror(-r));
			return EXIT_INTERNAL;
		}
	}
	have_cwd = getcwd(cwd, sizeof(cwd)) != NULL;
	r = enter_node(pid, starttime);
	if (r < 0) {
		fprintf(stderr, "node-exec: unable to enter node pid %d: %s\n",
			pid, strerror(-r));
		return EXIT_INTERNAL;
	}
	/* setns(CLONE_NEWNS) moved us to the node's "/"; look the path up there. */
	if (!have_cwd || chdir(cwd) < 0) {
		if (chdir("/") < 0)
			return EXIT_INTERNAL;
	}

	/* Block everything before fork so no signal is lost before we wait. */
	signal(SIGCHLD, SIG_DFL);
	self = getpid();
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &oldmask);
	child = fork();
	if (child < 0) {
		fprintf(stderr, "node-exec: fork: %s\n", strerror(errno));
		return EXIT_INTERNAL;
	}
	if (child == 0)
		child_exec(argv + optind, &oldmask, self);
	return supervise(child);
}
