/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_DEP_AGENT_H
#define MOSIX_DEP_AGENT_H

/*
 * The home agent (blob/agent.c) in the home process of a migrated
 * process: planted once at the commit, it makes each forwarded call with
 * one futex round trip instead of a ptrace stop and an injection. The
 * deputy stops it (PTRACE_INTERRUPT) to inject anything else, and starts
 * it again afterwards.
 */

#include <stdbool.h>
#include <stdint.h>

#include "engine/blob/agent.h"
#include "engine/mig_inject.h"

/*
 * The top of the scratch area is the agent's: its shared pages there, its
 * stack right below. The shared pages hold struct agent_shm and, from
 * DEP_AGENT_BUF on, the buffers of a call that fit (dep_serve.c).
 */
#define DEP_AGENT_TOP (64u * 1024)
#define DEP_AGENT_SHM (32u * 1024)
#define DEP_AGENT_BUF 256u
#define DEP_AGENT_STACK 4096u

struct dep_agent {
	struct agent_shm *shm;		/* the deputy's view */
	uint64_t shm_home;		/* the home process's view */
	uint64_t code;			/* where the loop is, at home */
	uint32_t seq;
	bool running;
	/*
	 * Called about every TICK_NS while a call blocks at home (a read
	 * from a terminal): the heartbeat with the node. Nonzero: the node
	 * is lost, and it has killed the home process.
	 */
	int (*tick)(void *arg);
	/*
	 * Called at each wake while a call waits at home (every few ms, at
	 * most 50): true when the process is wanted elsewhere, and the call
	 * is stopped for it (as for a pending signal). Optional.
	 */
	bool (*wanted)(void *arg);
	void *tick_arg;
};

/* The process is stopped with @j set up: map the shared page (a memfd
 * made in the home process, its fd closed there again) and copy the loop.
 * @pidfd is the home process's. */
int dep_agent_plant(struct dep_agent *a, struct inj *j, int pidfd);

/* Run the loop (from a ptrace stop); stop it again (to a ptrace stop). */
int dep_agent_start(struct dep_agent *a, struct inj *j);
int dep_agent_stop(struct dep_agent *a, struct inj *j);

/*
 * One call through the loop. Signals that stop the process meanwhile are
 * noted in @j (pending) and suppressed; one that interrupts the call
 * before it did anything makes it return -EINTR and sets *@ret_aborted.
 * One noted before the call began, or j->interrupt, has the same effect
 * at the call's first interruptible wait (mig_inject.h).
 * -ESRCH (as the result) when the process died.
 */
long dep_agent_call(struct dep_agent *a, struct inj *j, long nr, const uint64_t args[6],
		    bool *ret_aborted);

void dep_agent_release(struct dep_agent *a);

#endif
