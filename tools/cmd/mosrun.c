// SPDX-License-Identifier: GPL-2.0-only
/*
 * mosrun: run a command so that it may migrate, locked home, or started
 * on another node, with the load balancer's hints. runon, nomig, runhome,
 * cpujob, iojob, nodecay, slowdecay and fastdecay are its MOSIX names.
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
#include "engine/mig_pstate.h"
#include "lib/paths.h"

static const char usage[] =
	"usage: mosrun [-h|-l|-n NODE] [-c|-i] [-d DECAY] COMMAND [ARG...]\n"
	"       runon NODE COMMAND [ARG...]    (mosrun -n NODE)\n"
	"       nomig COMMAND [ARG...]         (mosrun -l)\n"
	"       runhome COMMAND [ARG...]       (mosrun -h)\n"
	"       cpujob | iojob COMMAND [ARG...]    (mosrun -c | -i)\n"
	"       nodecay | slowdecay | fastdecay COMMAND [ARG...]\n"
	"                                      (mosrun -d 10000 | 9500 | 5000)\n"
	"       mosrun --help\n"
	"\n"
	"Runs COMMAND so that it may migrate (see migrate(1)). Without -h, -l or\n"
	"-n, the load balancer moves it (and what it starts) by itself.\n"
	"  -n NODE  start it on node NODE at once; its home stays here; the\n"
	"           balancer leaves it there\n"
	"  -l       lock it (and everything it starts) at home\n"
	"  -h       start it at home; it stays until moved by hand\n"
	"  -c       a CPU job: the balancer moves it whatever its I/O looks like\n"
	"  -i       an I/O job: the balancer leaves it where its I/O is (home)\n"
	"  -d DECAY how much (0-10000, in 1/10000) of its CPU and I/O profile the\n"
	"           balancer keeps from one second to the next (default 8000;\n"
	"           10000: its whole life counts, no decay)\n"
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
struct opts;
static int mark(const char *prog, pid_t pid, const struct opts *o);

static int run_on(const char *prog, const char *node, char **argv, const struct opts *o)
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
	mark(prog, child, o);
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

/* The MOSIX names that are mosrun with one option. */
static const struct {
	const char *name, *opt, *arg;
} names[] = {
	{ "nomig", "-l", NULL },	{ "runhome", "-h", NULL },	{ "cpujob", "-c", NULL },
	{ "iojob", "-i", NULL },	{ "nodecay", "-d", "10000" },	{ "slowdecay", "-d", "9500" },
	{ "fastdecay", "-d", "5000" },
};

struct opts {
	const char *node;
	bool lock, home;
	const char *kind;	/* NULL, "cpujob" or "iojob" */
	unsigned long decay;
};

static int parse_opt(const char *prog, struct opts *o, const char *opt, const char *arg)
{
	char *end;

	if (!strcmp(opt, "-l")) {
		o->lock = true;
	} else if (!strcmp(opt, "-h")) {
		o->home = true;
	} else if (!strcmp(opt, "-c") || !strcmp(opt, "-i")) {
		const char *k = opt[1] == 'c' ? "cpujob" : "iojob";

		if (o->kind && strcmp(o->kind, k))
			return usage_error(prog, "-c and -i do not go together");
		o->kind = k;
	} else if (!strcmp(opt, "-d")) {
		if (!arg)
			return usage_error(prog, "-d needs a DECAY");
		errno = 0;
		o->decay = strtoul(arg, &end, 10);
		if (errno || *end || end == arg || *arg == '-' || o->decay > 10000)
			return usage_error(prog, "DECAY is a number from 0 to 10000");
	} else if (!strcmp(opt, "-n")) {
		if (!arg)
			return usage_error(prog, "-n needs a NODE");
		o->node = arg;
	} else {
		return usage_error(prog, "unknown option");
	}
	return 0;
}

/* What the balancer may do with @pid: its job file (mig_pstate.h). */
static int mark(const char *prog, pid_t pid, const struct opts *o)
{
	char req[128];

	snprintf(req, sizeof(req), "job %d %s%s%s decay=%lu", (int)pid,
		 o->home || o->lock || o->node ? "manual" : "auto", o->kind ? " " : "",
		 o->kind ? o->kind : "", o->decay);
	return ask(prog, req);
}

int main(int argc, char **argv)
{
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	struct opts o = { .decay = MIG_DECAY_DEFAULT };
	int i = 1;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-help"))) {
		/* a MOSIX name first says how it is called itself */
		if (!strcmp(prog, "runon"))
			fputs("usage: runon NODE COMMAND [ARG...]\n", stdout);
		else if (strcmp(prog, "mosrun"))
			printf("usage: %s COMMAND [ARG...]\n", prog);
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(prog, "runon")) {
		if (argc < 3)
			return usage_error(prog, "expected NODE and COMMAND");
		o.node = argv[1];
		i = 2;
	} else {
		bool named = false;

		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (!strcmp(prog, names[k].name)) {
				parse_opt(prog, &o, names[k].opt, names[k].arg);
				named = true;
			}
		for (; !named && i < argc && argv[i][0] == '-'; i++) {
			const char *arg = NULL;
			int r;

			if (!strcmp(argv[i], "--")) {
				i++;
				break;
			}
			if ((!strcmp(argv[i], "-n") || !strcmp(argv[i], "-d")) && i + 1 < argc)
				arg = argv[i + 1];
			r = parse_opt(prog, &o, argv[i], arg);
			if (r)
				return r;
			i += arg != NULL;
		}
	}
	if (i >= argc)
		return usage_error(prog, "no command given");
	if ((o.lock && o.node) || (o.lock && o.home) || (o.home && o.node))
		return usage_error(prog, "-h, -l and -n do not go together");
	if (o.node) {
		char *end;
		unsigned long id = strtoul(o.node, &end, 10);

		if (*end || end == o.node || !id || id > 65535)
			return usage_error(prog, "invalid node id");
	}
	if (!o.node && mark(prog, getpid(), &o)) {
		if (o.lock)
			return 125;
		fprintf(stderr, "%s: %s runs at home, unbalanced\n", prog, argv[i]);
	}
	if (o.node)
		return run_on(prog, o.node, argv + i, &o);
	if (o.lock) {
		char req[64];

		snprintf(req, sizeof(req), "lock %d 1", (int)getpid());
		if (ask(prog, req))
			return 125;
	}
	run(prog, argv + i);
}
