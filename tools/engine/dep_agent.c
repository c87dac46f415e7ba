// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stddef.h>
#include <linux/futex.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.inc"
#include "engine/dep_agent.h"

#define MAX_WAIT_NS (50 * 1000000L)	/* how late a signal may be noticed */
#define TICK_NS (250 * 1000000ull)

_Static_assert(sizeof(struct agent_shm) <= DEP_AGENT_BUF, "agent page layout");
_Static_assert(DEP_AGENT_SHM <= DEP_AGENT_TOP, "agent area");

int dep_agent_plant(struct dep_agent *a, struct inj *j, int pidfd)
{
	uint64_t top = j->scratch + j->scratch_len - DEP_AGENT_TOP;
	long hfd, r;
	int mfd;

	memset(a, 0, sizeof(*a));
	if (j->scratch_len < 2 * DEP_AGENT_TOP)
		return -EINVAL;
	/* the name is read from the scratch page: "agent" */
	if (inj_put(j, j->scratch + 512, "mosix-agent", 12))
		return -ESRCH;
	hfd = inj_call(j, SYS_memfd_create, (long)(j->scratch + 512), MFD_CLOEXEC, 0, 0, 0, 0);
	if (hfd < 0)
		return (int)hfd;
	mfd = (int)syscall(SYS_pidfd_getfd, pidfd, (int)hfd, 0);
	r = mfd < 0 ? -errno : ftruncate(mfd, DEP_AGENT_SHM) ? -errno : 0;
	if (!r) {
		r = inj_call(j, SYS_mmap, (long)top, DEP_AGENT_SHM, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_FIXED, hfd, 0);
		r = r == (long)top ? 0 : r < 0 ? r : -EFAULT;
	}
	/* the home's fd table must look as before */
	inj_call(j, SYS_close, hfd, 0, 0, 0, 0, 0);
	if (!r) {
		a->shm = mmap(NULL, DEP_AGENT_SHM, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
		if (a->shm == MAP_FAILED) {
			a->shm = NULL;
			r = -errno;
		}
	}
	if (mfd >= 0)
		close(mfd);
	if (r)
		return (int)r;
	a->shm_home = top;
	a->code = j->scratch + 2048;	/* above the small scratch buffers */
	a->seq = a->shm->done;
	return inj_put(j, a->code, agent_bin, sizeof(agent_bin));
}

int dep_agent_start(struct dep_agent *a, struct inj *j)
{
	struct user_regs_struct r = j->saved;

	r.rip = a->code;
	r.rdi = a->shm_home;
	r.rsp = a->shm_home - 256;	/* the agent's stack, below its page */
	r.orig_rax = (unsigned long long)-1;
	if (ptrace(PTRACE_SETREGS, j->pid, 0, &r) || ptrace(PTRACE_CONT, j->pid, 0, 0))
		return -ESRCH;
	a->running = true;
	return 0;
}

int dep_agent_stop(struct dep_agent *a, struct inj *j)
{
	if (!a->running)
		return 0;
	a->running = false;
	return inj_interrupt(j);
}

/* A stop of the home process while the agent runs a call. */
static int on_stop(struct inj *j, int st)
{
	if (!WIFSTOPPED(st)) {
		j->dead = 1;
		j->status = st;
		return -ESRCH;
	}
	/* a signal for the process (the agent sets no trap: a SIGTRAP is a
	 * user's): noted, and maybe the call aborted; or our interrupt */
	inj_call_stop(j, st);
	return ptrace(PTRACE_CONT, j->pid, 0, 0) ? -ESRCH : 0;
}

long dep_agent_call(struct dep_agent *a, struct inj *j, long nr, const uint64_t args[6],
		    bool *ret_aborted)
{
	struct agent_shm *s = a->shm;
	long wait_ns = 20000;
	uint32_t seq = ++a->seq;
	struct timespec t0;
	uint64_t next_tick;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	next_tick = (uint64_t)t0.tv_sec * 1000000000ull + (uint64_t)t0.tv_nsec + TICK_NS;

	j->aborted = 0;
	/* a signal while the agent still waits for this call aborts nothing */
	j->abort_not_futex = a->shm_home + offsetof(struct agent_shm, req);
	s->nr = nr;
	for (int i = 0; i < 6; i++)
		s->a[i] = (long)args[i];
	__atomic_store_n(&s->req, seq, __ATOMIC_RELEASE);
	syscall(SYS_futex, &s->req, FUTEX_WAKE, 1, NULL, NULL, 0);
	while (__atomic_load_n(&s->done, __ATOMIC_ACQUIRE) != seq) {
		struct timespec ts = { 0, wait_ns };
		int st;
		pid_t w;

		syscall(SYS_futex, &s->done, FUTEX_WAIT, seq - 1, &ts, NULL, 0);
		if (__atomic_load_n(&s->done, __ATOMIC_ACQUIRE) == seq)
			break;
		/* a long call (a read from a terminal): look for signals less often */
		if (wait_ns < MAX_WAIT_NS)
			wait_ns *= 2;
		while ((w = waitpid(j->pid, &st, __WALL | WNOHANG)) == j->pid)
			if (on_stop(j, st))
				return -ESRCH;
		if (w < 0 && errno != EINTR) {
			j->dead = 1;	/* reaped by someone else's wait: gone */
			return -ESRCH;
		}
		if (a->wanted && !j->interrupt && a->wanted(a->tick_arg))
			j->interrupt = 1;
		/*
		 * A signal is pending (or the process is wanted elsewhere):
		 * end the call's wait, if it is in one (else the stop finds
		 * it elsewhere, and the next try may find it there); a stop
		 * left over once the call is done is the main loop's, which
		 * resumes it.
		 */
		if (__atomic_load_n(&s->done, __ATOMIC_ACQUIRE) != seq)
			inj_interrupt_call(j);
		if (a->tick && wait_ns >= MAX_WAIT_NS) {
			struct timespec t;
			uint64_t now;

			clock_gettime(CLOCK_MONOTONIC, &t);
			now = (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
			if (now >= next_tick) {
				next_tick = now + TICK_NS;
				a->tick(a->tick_arg);	/* on loss, the process dies: seen above */
			}
		}
	}
	*ret_aborted = j->aborted;
	return s->ret;
}

void dep_agent_release(struct dep_agent *a)
{
	if (a->shm)
		munmap(a->shm, DEP_AGENT_SHM);
	a->shm = NULL;
}
