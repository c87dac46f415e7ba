/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_CTL_H
#define MOSIX_CTL_H

/*
 * The control socket of mosix-infod: $MOSIX_RUN_DIR/infod.sock, a Unix
 * SOCK_SEQPACKET socket, mode 0660, group "mosix" when that group exists.
 * The daemon checks SO_PEERCRED: root, or a member of group mosix, may
 * read; changing state needs root (or CAP_SYS_ADMIN).
 *
 * One request per packet, one reply per request, text:
 *   request   "COMMAND [ARG...]"        at most CTL_MAX_MSG bytes
 *   reply     "ok[ MESSAGE]" or "error ERRNO MESSAGE"
 *
 * Commands (the mosctl verbs they serve):
 *   block | noblock | stay | nostay | lstay | nolstay | quiet | noquiet
 *   setspeed N                   10000 = the reference CPU
 *   setdecay INTERVAL_MS SLOW FAST
 *   reload                       reread mosix.map and mosix.conf (as SIGHUP)
 *   join | leave                 setpe -w / setpe -off
 *   ping                         "ok VERSION SELF-ID"
 *   stats                        "ok KEY=VALUE ..." (space-separated): rx_ok
 *                                malformed unknown_sender bad_key replay tx
 *                                tx_errors rx_bytes tx_bytes known up
 *                                dead_after_ms; also in $RUN/admin/stats
 *   mode WORD [NOW]              set the running pool mode (single, server,
 *                                half-duplex, adaptive; lib/pool.h) until
 *                                mosix.conf's mode changes or the daemon
 *                                restarts; "ok " and the new admin/pool text
 *                                (KEY=VALUE lines, state.h). NOW (seconds
 *                                since the epoch, for tests) sets the
 *                                schedule's clock, which runs on from there
 *                                until the next mode command without NOW
 *
 * ping and stats only read (root or group mosix); the others need root.
 */

#include <stddef.h>

#define CTL_SOCKET "infod.sock"
#define CTL_MAX_MSG 512

/*
 * Send one request to the daemon of @run_dir and wait (up to @timeout_ms)
 * for the reply. On success, 0 and the reply's text after "ok" (maybe
 * empty) in @reply; a daemon's "error E MSG" gives -E and MSG in @reply.
 * -ENOENT/-ECONNREFUSED when no daemon runs, -EACCES when not allowed.
 */
int ctl_request(const char *run_dir, const char *request, int timeout_ms,
		char *reply, size_t reply_size);

#endif
