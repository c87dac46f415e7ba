/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_AGENT_H
#define MOSIX_AGENT_H

/* The page the deputy and the home agent (agent.c) share. */

#include <stdint.h>

struct agent_shm {
	volatile uint32_t req;		/* the deputy's request number */
	volatile uint32_t done;		/* the last one the agent finished */
	uint32_t pad[2];
	volatile long nr;
	volatile long a[6];
	volatile long ret;
};

#endif
