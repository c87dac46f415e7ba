/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_TUNE_PROBE_H
#define MOSIX_TUNE_PROBE_H

/*
 * The probe of mosix-tune(8): a process that mosix-migd moves to each node
 * and home again while mosix-tune times the moves, so that the costs are
 * what migration really costs, with the real engine.
 *
 * mosix-tune starts it as "PROGRAM --probe MIB CALLS FD" (its hidden mode
 * runs tune_probe_run), with FD the write end of a pipe to mosix-tune.
 * The probe
 *   - maps MIB MiB of private anonymous memory and writes all of it with
 *     pseudo-random bytes (no zero page, no two pages alike): what a move
 *     carries besides the probe itself;
 *   - writes "ready\n" to FD;
 *   - at each SIGUSR1, makes CALLS getuid() calls and writes "calls NS\n",
 *     the nanoseconds they took, to FD.
 * getuid is forwarded home from every node (tools/engine/syscalls.tbl) and
 * copies no buffer, so the difference between its time on a node and at
 * home is the cost of forwarding itself. FD stays at home: on a node the
 * probe's writes to it are forwarded like any call.
 *
 * Between reports the probe waits in sigsuspend, which runs on the node,
 * so it is never inside a forwarded call when it is moved. It ends on
 * SIGKILL, when mosix-tune dies (PR_SET_PDEATHSIG), or when FD is closed.
 */

#include <stdint.h>
#include <sys/types.h>

#define TUNE_PROBE_ARG "--probe"
#define TUNE_PROBE_MIB_MAX 65536u
#define TUNE_PROBE_CALLS_MAX 10000000u

struct tune_probe {
	pid_t pid;	/* 0: none */
	int fd;		/* read end of the report pipe, -1: none */
	size_t len;	/* bytes of buf not yet read as lines */
	char buf[64];
};

void tune_probe_init(struct tune_probe *p);

/*
 * Start @exe as a probe of @mib MiB making @calls calls per report, and
 * wait up to @timeout_ms until its memory is written. 0, or -errno
 * (-ETIMEDOUT, -EPIPE when it died, -EPROTO when it said something else);
 * on failure no probe is left.
 */
int tune_probe_start(struct tune_probe *p, const char *exe, unsigned mib, unsigned calls,
		     unsigned timeout_ms);

/*
 * Ask the probe for a report (SIGUSR1) and wait up to @timeout_ms for it:
 * the nanoseconds its calls took in *@ret_ns. -ETIMEDOUT, -EPIPE (it
 * died), -EPROTO, -ESRCH.
 */
int tune_probe_calls(struct tune_probe *p, unsigned timeout_ms, uint64_t *ret_ns);

/* Kill the probe (wherever it runs: its deputy ends the guest) and reap it. */
void tune_probe_release(struct tune_probe *p);

/*
 * The probe's side, in the process started with TUNE_PROBE_ARG. Returns
 * 0 once FD is closed, -errno when it cannot start (no memory, bad FD).
 */
int tune_probe_run(unsigned mib, unsigned calls, int fd);

#endif
