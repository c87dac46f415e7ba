/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_DEP_SERVE_H
#define MOSIX_DEP_SERVE_H

/*
 * The home half of a forwarded call: place the buffers of a SYSCALL record
 * in the home process's scratch area, point the arguments (and iovecs) at
 * them, run the call there by injection, and build the SYSRET record with
 * the bytes that go back. The call runs with the home process's fds, cwd,
 * credentials and limits: it is the process making it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/dep_agent.h"
#include "engine/mig_inject.h"

/* Scratch the deputy maps in the home process: gadget page + buffers. */
#define DEP_SCRATCH_LEN (8u << 20)
/*
 * At its top, below the agent's page and stack: the copy of the process's
 * arguments and environment that home's /proc shows while it is away
 * (dep_main.c keep_args). Call buffers end below it.
 */
#define DEP_ARGS_LEN (64u * 1024)
#define DEP_ARGS_OFF (DEP_SCRATCH_LEN - DEP_AGENT_TOP - DEP_AGENT_STACK - DEP_ARGS_LEN)

/*
 * The call runs through the home agent @ag when given, else by injection.
 * @rec/@len: a SYSCALL payload (checked here). Fills @reply (@cap bytes)
 * with the SYSRET payload. *@ret_aborted: a signal interrupted the call at
 * home before it did anything (it returned -EINTR there; the remote
 * decides whether to make it again). With j->interrupt set, a signal is
 * pending for the call (mig_inject.h); cleared once the call is made.
 * -EBADMSG for a malformed record, -ESRCH when the home process died.
 */
int dep_serve_call(struct inj *j, struct dep_agent *ag, const void *rec, size_t len,
		   uint8_t *reply, size_t cap, size_t *ret_len, bool *ret_aborted);

#endif
