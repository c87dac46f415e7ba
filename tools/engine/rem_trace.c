// SPDX-License-Identifier: GPL-2.0-only
/*
 * A guest whose home writes cores runs traced. A signal whose default
 * action dumps core would kill the guest here with no core (a guest is
 * not dumpable: it changed uid), and the parent at home would see no
 * WCOREDUMP. So the supervisor watches the guest's signals: one that would
 * dump its core sends the process home instead, with the signal queued
 * there, and home's kernel writes the core as for any process: in its
 * cwd, by home's core_pattern and limits, with all of its memory.
 *
 * Tracing costs a stop per signal the guest gets, so only guests whose
 * home's RLIMIT_CORE is not 0 (MIG_TASK_CORE) are traced; Debian's default
 * soft limit is 0. Other signals pass at once; a group stop is held with
 * PTRACE_LISTEN, so that the guest stays stopped as it would untraced
 * (/proc shows it 't', not 'T': r->group_stopped says it for check_stop).
 *
 * A guest whose home process a cgroup freezer holds (FREEZE) is held here
 * the same, in an interrupt stop, and seized for it if it was not traced
 * already (rem_trace_freeze).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/mig_proc.h"
#include "engine/rem.h"

static bool dumps_core(int sig)
{
	switch (sig) {
	case SIGQUIT:
	case SIGILL:
	case SIGABRT:
	case SIGBUS:
	case SIGFPE:
	case SIGSEGV:
	case SIGXCPU:
	case SIGXFSZ:
	case SIGSYS:
		return true;
	default:
		/* SIGTRAP too, but the engine's injections raise it */
		return false;
	}
}

/*
 * Whether @sig, at its delivery stop, takes the default action: no
 * handler and not ignored. A traced process gets even the signals it
 * ignores as far as this stop; a fault's signal that was blocked or
 * ignored the kernel has made SIG_DFL before.
 */
static bool takes_default(pid_t pid, int sig)
{
	struct mig_proc_sigs s;
	uint64_t bit = 1ull << (sig - 1);

	if (mig_proc_sigs(pid, &s))
		return false;
	return !((s.cgt | s.ign) & bit);
}

/* A signal at its delivery stop: on, or home with it. */
static void on_signal(struct rem *r, int sig)
{
	if (!(r->sh->task.flags & MIG_TASK_CORE) || !dumps_core(sig) || r->core_set ||
	    r->core_failed || !takes_default(r->guest, sig) ||
	    ptrace(PTRACE_GETSIGINFO, r->guest, 0, &r->core_info)) {
		ptrace(PTRACE_CONT, r->guest, 0, sig);
		return;
	}
	fprintf(stderr, "mosix-migd: guest %d of node %u (home pid %d): signal %d dumps its core: "
		"sending it home\n", r->guest, r->hello.home_node, r->hello.home_pid, sig);
	r->core_set = true;
	r->want_home = true;
	r->home_reason = MIG_HOME_CORE;
	/* the signal goes home; the guest stops here, before running on */
	rem_trace_interrupt(r);
	ptrace(PTRACE_CONT, r->guest, 0, 0);
}

static void on_status(struct rem *r, int st)
{
	if (!WIFSTOPPED(st)) {
		/* it ended: init, its parent, hears of it now */
		r->traced = false;
		return;
	}
	if ((st >> 16) == 0) {
		on_signal(r, WSTOPSIG(st));
		return;
	}
	if ((st >> 16) != PTRACE_EVENT_STOP) {
		ptrace(PTRACE_CONT, r->guest, 0, 0);	/* asked for none */
		return;
	}
	if (r->interrupting) {
		r->interrupting = false;
		r->held = true;
		return;
	}
	if (mig_signal_stops(WSTOPSIG(st))) {
		r->group_stopped = true;
		ptrace(PTRACE_LISTEN, r->guest, 0, 0);
		return;
	}
	/* out of the group stop (SIGCONT), or a stop nobody asked for */
	r->group_stopped = false;
	ptrace(PTRACE_CONT, r->guest, 0, 0);
}

static int seize(struct rem *r)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	if (r->trace_fd < 0) {
		/* blocked first: a stop reported before the signalfd is read */
		sigprocmask(SIG_BLOCK, &mask, NULL);
		r->trace_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
		if (r->trace_fd < 0)
			return -errno;
	}
	if (ptrace(PTRACE_SEIZE, r->guest, 0, 0))
		return -errno;
	r->traced = true;
	r->interrupting = r->held = r->group_stopped = false;
	/* already stopped: the kernel reports that at once; see it now */
	rem_trace_events(r);
	return 0;
}

int rem_trace_start(struct rem *r)
{
	if (!(r->sh->task.flags & MIG_TASK_CORE) || r->guest <= 0)
		return 0;
	return seize(r);
}

void rem_trace_freeze(struct rem *r)
{
	if (r->want_frozen == r->frozen || r->guest <= 0)
		return;
	if (r->want_frozen) {
		if (!r->traced) {
			if (seize(r))
				return;	/* again at the next turn */
			r->freeze_traced = true;
		}
		if (rem_trace_interrupt(r))
			return;
		r->frozen = true;
		return;
	}
	/* thawed: once the stop asked for has come, it runs on */
	if (r->interrupting)
		return;
	if (r->held && r->freeze_traced) {
		/* leaves a group stop as it was */
		ptrace(PTRACE_DETACH, r->guest, 0, 0);
		r->traced = r->held = r->group_stopped = false;
	} else if (r->held) {
		ptrace(r->group_stopped ? PTRACE_LISTEN : PTRACE_CONT, r->guest, 0, 0);
		r->held = false;
	}
	r->freeze_traced = false;
	r->frozen = false;
}

void rem_trace_events(struct rem *r)
{
	struct signalfd_siginfo si;
	int st;

	if (r->trace_fd < 0)
		return;
	while (read(r->trace_fd, &si, sizeof(si)) == sizeof(si))
		;
	/* a bounded turn: a guest with a fast timer must not keep us here
	 * (what is left wakes the signalfd again) */
	for (int i = 0; i < 64 && r->traced &&
			waitpid(r->guest, &st, WNOHANG | __WALL) == r->guest; i++)
		on_status(r, st);
}

int rem_trace_interrupt(struct rem *r)
{
	if (r->held || r->interrupting)
		return 0;
	if (ptrace(PTRACE_INTERRUPT, r->guest, 0, 0))
		return -ESRCH;
	r->interrupting = true;
	return 0;
}

int rem_trace_hold(struct rem *r)
{
	int st;
	int e = rem_trace_interrupt(r);

	if (e)
		return e;
	while (r->traced && !r->held) {
		if (waitpid(r->guest, &st, __WALL) != r->guest)
			return -ESRCH;
		on_status(r, st);
	}
	return r->held ? 0 : -ESRCH;
}

int rem_trace_again(struct rem *r)
{
	r->traced = r->held = r->interrupting = r->group_stopped = false;
	/* held no more: the main loop holds it again if home is still frozen */
	r->frozen = r->freeze_traced = false;
	return rem_trace_start(r);
}
