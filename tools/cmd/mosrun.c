// SPDX-License-Identifier: GPL-2.0-only
/*
 * mosrun: run a command so that it may migrate, locked home, or started
 * on another node. runon, nomig and runhome are its MOSIX names.
 */
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/mig_client.h"
#include "lib/paths.h"

static const char usage[] =
	"usage: mosrun [-h] [-l] [-n NODE] COMMAND [ARG...]\n"
	"       runon NODE COMMAND [ARG...]    (mosrun -n NODE)\n"
	"       nomig COMMAND [ARG...]         (mosrun -l)\n"
	"       runhome COMMAND [ARG...]       (mosrun -h)\n"
	"       mosrun --help\n"
	"\n"
	"Runs COMMAND so that it may migrate (see migrate(1)).\n"
	"  -n NODE  start it on node NODE at once; its home stays here\n"
	"  -l       lock it (and everything it starts) at home\n"
	"  -h       start it at home (the default); it stays until moved\n"
	"\n"
	"Without -n, COMMAND replaces mosrun (same pid). With -n, mosrun waits\n"
	"for it and exits as it did. If it cannot start on NODE it runs at home,\n"
	"and mosrun says why.\n"
	"\n"
	"Exit status: COMMAND's, or 125 when mosrun fails, 126 when COMMAND\n"
	"cannot run, 127 when it is not found, 2 on a usage error.\n";

static int usage_error(const char *prog, const char *msg)
{
	fprintf(stderr, "%s: %s\nTry 'mosrun --help'.\n", prog, msg);
	return 2;
}

static int ask(const char *prog, const char *req)
{
	char reply[512];
	int r = mig_client_request(paths_run_dir(), req, reply, sizeof(reply), 0);

	if (r) {
		fprintf(stderr, "%s: cannot reach mosix-migd at '%s/migd.sock': %s\n", prog,
			paths_run_dir(), strerror(-r));
		return -1;
	}
	if (strncmp(reply, "ok", 2)) {
		fprintf(stderr, "%s: %s\n", prog, !strncmp(reply, "err ", 4) ? reply + 4 : reply);
		return -1;
	}
	return 0;
}

static void __attribute__((noreturn)) run(const char *prog, char **argv)
{
	execvp(argv[0], argv);
	fprintf(stderr, "%s: cannot run '%s': %s\n", prog, argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

static pid_t child;

static void pass_on(int sig)
{
	if (child > 0)
		kill(child, sig);
}

/*
 * Start COMMAND stopped right after its execve (traced for that one stop),
 * have it moved while it has not run a single instruction of its own, then
 * let it go and wait for it, to exit as it did.
 */
static int run_on(const char *prog, const char *node, char **argv)
{
	char req[64];
	int st;

	child = fork();
	if (child < 0) {
		fprintf(stderr, "%s: cannot fork: %s\n", prog, strerror(errno));
		return 125;
	}
	if (child == 0) {
		if (ptrace(PTRACE_TRACEME, 0, 0, 0))
			_exit(125);
		run(prog, argv);
	}
	if (waitpid(child, &st, 0) != child || !WIFSTOPPED(st)) {
		/* it could not even run: its status says why */
		return WIFEXITED(st) ? WEXITSTATUS(st) : 125;
	}
	/* stopped by the exec's SIGTRAP: leave it stopped (SIGSTOP) for migd */
	ptrace(PTRACE_DETACH, child, 0, SIGSTOP);
	waitpid(child, &st, WUNTRACED);
	snprintf(req, sizeof(req), "migrate %d %s", child, node);
	if (ask(prog, req))
		fprintf(stderr, "%s: %s runs at home\n", prog, argv[0]);
	signal(SIGINT, pass_on);
	signal(SIGTERM, pass_on);
	signal(SIGHUP, pass_on);
	signal(SIGQUIT, pass_on);
	kill(child, SIGCONT);
	while (waitpid(child, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(st)) {
		signal(WTERMSIG(st), SIG_DFL);
		raise(WTERMSIG(st));
		return 128 + WTERMSIG(st);
	}
	return WEXITSTATUS(st);
}

int main(int argc, char **argv)
{
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	const char *node = NULL;
	bool lock = false;
	int i = 1;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-help"))) {
		/* a MOSIX name first says how it is called itself */
		if (!strcmp(prog, "runon"))
			fputs("usage: runon NODE COMMAND [ARG...]\n", stdout);
		else if (!strcmp(prog, "nomig") || !strcmp(prog, "runhome"))
			printf("usage: %s COMMAND [ARG...]\n", prog);
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(prog, "runon")) {
		if (argc < 3)
			return usage_error(prog, "expected NODE and COMMAND");
		node = argv[1];
		i = 2;
	} else if (!strcmp(prog, "nomig")) {
		lock = true;
	} else if (strcmp(prog, "runhome")) {
		for (; i < argc && argv[i][0] == '-'; i++) {
			if (!strcmp(argv[i], "--")) {
				i++;
				break;
			} else if (!strcmp(argv[i], "-l")) {
				lock = true;
			} else if (!strcmp(argv[i], "-h")) {
				node = NULL;
			} else if (!strcmp(argv[i], "-n") && i + 1 < argc) {
				node = argv[++i];
			} else {
				return usage_error(prog, "unknown option");
			}
		}
	}
	if (i >= argc)
		return usage_error(prog, "no command given");
	if (lock && node)
		return usage_error(prog, "-l and -n do not go together");
	if (node) {
		char *end;
		unsigned long id = strtoul(node, &end, 10);

		if (*end || end == node || !id || id > 65535)
			return usage_error(prog, "invalid node id");
		return run_on(prog, node, argv + i);
	}
	if (lock) {
		char req[64];

		snprintf(req, sizeof(req), "lock %d 1", (int)getpid());
		if (ask(prog, req))
			return 125;
	}
	run(prog, argv + i);
}
