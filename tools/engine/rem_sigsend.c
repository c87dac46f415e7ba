// SPDX-License-Identifier: GPL-2.0-only
/*
 * A kill() or tgkill() from home, sent again on this node so that the
 * guest's handler sees what it would have seen at home: SI_USER (or
 * SI_TKILL), the sender's home pid and uid. The kernel lets no process
 * forge those codes for another, and fills si_pid and si_uid from the
 * sender itself; so the sender is made for the purpose: a child of the
 * guest's init, in the guest's pid namespace, with the home sender's pid
 * there (clone3's set_tid) and its uid as real uid (which is what si_uid
 * reports; the effective uid stays root, which lets it signal the guest).
 * It sends the one signal and exits. Run by init only.
 *
 * For its short life a process of that uid on this node may signal it
 * too: it blocks what it can and is not dumpable (no core of a root
 * process's memory, no ptrace), init kills it if it is stopped, and one
 * killed by someone else counts as sent (sending again could send twice).
 */
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/rem.h"

void rem_sig_queue(pid_t guest, int sig, const siginfo_t *si)
{
	siginfo_t q = *si;

	if (q.si_code >= 0 || q.si_code == SI_TKILL)
		q.si_code = SI_QUEUE;
	if (syscall(SYS_rt_tgsigqueueinfo, guest, guest, sig, &q))
		kill(guest, sig);
}

int rem_sig_send_as(pid_t guest, int sig, const siginfo_t *si)
{
	struct clone_args ca = { .exit_signal = SIGCHLD };
	pid_t want = si->si_pid, c;
	int st;

	if ((si->si_code != SI_USER && si->si_code != SI_TKILL) || want <= 1 || want == guest)
		return -EINVAL;
	ca.set_tid = (uint64_t)(uintptr_t)&want;
	ca.set_tid_size = 1;
	/* no CLONE_VM: the child has its own copy, as after fork() */
	c = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (c < 0)
		return -errno;	/* the pid is taken here, or above pid_max */
	if (c == 0) {
		sigset_t all;
		long r;

		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, NULL);
		if (prctl(PR_SET_DUMPABLE, 0) || setresuid(si->si_uid, (uid_t)-1, (uid_t)-1))
			_exit(2);
		if (si->si_code == SI_TKILL)
			r = syscall(SYS_tgkill, guest, guest, sig);
		else
			r = kill(guest, sig);
		_exit(r ? 3 : 0);
	}
	for (;;) {
		if (waitpid(c, &st, __WALL | WUNTRACED) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!WIFSTOPPED(st))
			break;
		kill(c, SIGKILL);
	}
	if (WIFSIGNALED(st))
		return 0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EPERM;
}
