// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_exit exit|abort|segv|abort-core|segv-core: how a migrated process
 * ends, as its parent sees it. The parent forks the child that the test
 * migrates (it says "ready pid=N"); after SIGUSR2 the child exits with 42,
 * raises SIGABRT, or stores through a bad pointer (a real fault, on the
 * node). The parent stays home, waits, and checks the status: exited 42,
 * or killed by SIGABRT or SIGSEGV.
 *
 * abort and segv run with a core limit of 0: no core. abort-core and
 * segv-core run with the core limit raised to the hard one, in a
 * directory of their own: the parent sees WCOREDUMP, and where
 * /proc/sys/kernel/core_pattern is a plain name ("core"), the core is in
 * the child's cwd (at home) and holds what the child wrote to its heap
 * after SIGUSR2 (on the node, if it moved). Another pattern (a pipe to a
 * collector, a path elsewhere) is named on a "note:" line and the file is
 * not looked for.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zdtm.h"

#define HEAP_LEN (1 << 20)

static volatile uintptr_t bad_address = 8;

/* Made at run time: the text of the program holds no copy of it. */
static void marker(char *buf, size_t len, pid_t pid)
{
	snprintf(buf, len, "zdtm-%s-%d-%s", "core", (int)pid, "written-after-usr2");
}

static int child(const char *how)
{
	char *heap = malloc(HEAP_LEN);

	zdtm_init("zdtm_exit child");
	if (!heap)
		return 1;
	memset(heap, 0x5a, HEAP_LEN);
	printf("ready pid=%d\n", (int)getpid());
	zdtm_wait();
	/* in the middle of memory that moved, written where it runs now */
	marker(heap + HEAP_LEN / 2, 64, getpid());
	printf("child: %s\n", how);
	fflush(stdout);
	if (strncmp(how, "abort", 5) == 0) {
		raise(SIGABRT);
		/* delivery may trail raise (zdtm_raise checks that it does not) */
		for (int i = 0; i < 100; i++)
			usleep(10000);
	} else if (strncmp(how, "segv", 4) == 0)
		*(volatile int *)bad_address = 1;
	else
		_exit(42);
	return 1;
}

/* The core's name in the cwd, or NULL (noted) for a pattern we do not read. */
static const char *core_name(pid_t kid, char *buf, size_t len)
{
	char pattern[256] = "", uses_pid[8] = "0";
	FILE *f = fopen("/proc/sys/kernel/core_pattern", "re");

	if (f) {
		if (!fgets(pattern, sizeof(pattern), f))
			pattern[0] = 0;
		fclose(f);
	}
	pattern[strcspn(pattern, "\n")] = 0;
	f = fopen("/proc/sys/kernel/core_uses_pid", "re");
	if (f) {
		if (!fgets(uses_pid, sizeof(uses_pid), f))
			uses_pid[0] = '0';
		fclose(f);
	}
	if (!pattern[0] || strpbrk(pattern, "/%|")) {
		printf("note: core_pattern '%s': the core file is not looked for\n", pattern);
		return NULL;
	}
	if (uses_pid[0] == '1')
		snprintf(buf, len, "%s.%d", pattern, (int)kid);
	else
		snprintf(buf, len, "%s", pattern);
	return buf;
}

/* Whether the file @name holds @what; the file is removed. */
static int file_holds(const char *name, const char *what)
{
	size_t cap = 0, len = 0, wl = strlen(what);
	char *buf = NULL;
	int found = 0, fd = open(name, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb = realloc(buf, cap ? cap * 2 : 1 << 22);

			if (!nb)
				break;
			buf = nb;
			cap = cap ? cap * 2 : 1 << 22;
		}
		n = read(fd, buf + len, cap - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	unlink(name);
	found = buf && memmem(buf, len, what, wl) != NULL;
	free(buf);
	return found;
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "exit";
	char dir[] = "/tmp/zdtm_core.XXXXXX", name[300], mark[64];
	struct rlimit core = { 0, 0 };
	int want_sig = 0, want_core = 0, status = 0;
	pid_t kid;

	if (strcmp(how, "abort") == 0 || strcmp(how, "abort-core") == 0)
		want_sig = SIGABRT;
	else if (strcmp(how, "segv") == 0 || strcmp(how, "segv-core") == 0)
		want_sig = SIGSEGV;
	else if (strcmp(how, "exit") != 0) {
		fprintf(stderr, "usage: zdtm_exit exit|abort|segv|abort-core|segv-core\n");
		return 2;
	}
	want_core = strstr(how, "-core") != NULL;
	if (want_core) {
		if (getrlimit(RLIMIT_CORE, &core) || core.rlim_max == 0 || !mkdtemp(dir) ||
		    chdir(dir)) {
			printf("FAIL zdtm_exit: no core limit or directory: %s\n", strerror(errno));
			return 1;
		}
		core.rlim_cur = core.rlim_max;
	}
	setrlimit(RLIMIT_CORE, &core);
	fflush(stdout);
	kid = fork();
	if (kid < 0) {
		printf("FAIL zdtm_exit: fork: %s\n", strerror(errno));
		return 1;
	}
	if (kid == 0)
		_exit(child(how));

	zdtm_init("zdtm_exit");
	while (waitpid(kid, &status, 0) < 0 && errno == EINTR)
		;
	if (!want_sig) {
		zdtm_check(WIFEXITED(status) && WEXITSTATUS(status) == 42,
			   "exit: status %#x, expected exit 42", status);
	} else if (!want_core) {
		zdtm_check(WIFSIGNALED(status) && WTERMSIG(status) == want_sig && !WCOREDUMP(status),
			   "%s: status %#x, expected signal %d without core", how, status, want_sig);
	} else {
		zdtm_check(WIFSIGNALED(status) && WTERMSIG(status) == want_sig && WCOREDUMP(status),
			   "%s: status %#x, expected signal %d with a core", how, status, want_sig);
		if (core_name(kid, name, sizeof(name))) {
			int found;

			marker(mark, sizeof(mark), kid);
			found = file_holds(name, mark);
			zdtm_check(found == 1, "%s: %s/%s %s", how, dir, name,
				   found < 0 ? strerror(-found) : "lacks what the child wrote");
		}
		chdir("/");
		rmdir(dir);
	}
	return zdtm_done();
}
