/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef INFOD_H
#define INFOD_H

/*
 * mosix-infod: the state of the daemon, shared by its parts.
 *
 *   main.c     options, start-up, the event loop, signals, reload
 *   config.c   map, own id, mosix.conf, pool.conf and key, loaded as one unit
 *   mode.c     the pool mode: running, effective, the adaptive schedule
 *   measure.c  this node's load vector from /proc
 *   peers.c    the other nodes: merge by age, replay, targets, window
 *   rx.c       the checks every received datagram passes
 *   gossip.c   sending rounds, the start-up sweep, receiving
 *   net.c      the UDP socket
 *   ctlsrv.c   the control socket (lib/ctl.h) and its commands
 *   publish.c  the state files for the tools (lib/state.h)
 *   kmirror.c  their copy in /proc/mosix, when the kernel part is there
 *
 * One thread; everything runs from the epoll loop in main.c.
 */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "kmirror.h"
#include "lib/ctl.h"
#include "lib/state.h"
#include "measure.h"
#include "net.h"
#include "peers.h"
#include "rx.h"

/* from debian/changelog, through tools/Makefile */
#define INFOD_VERSION MOSIX_VERSION

/* the policy flags an admin sets; the rest of the flags are measured */
#define INFOD_POLICY (GV_BLOCKED | GV_STAY | GV_LSTAY | GV_QUIET | GV_OFF)

struct infod_stats {
	uint64_t rx_ok, malformed, unknown_sender, bad_key, replay;
	uint64_t tx, tx_errors, rx_bytes, tx_bytes;
};

#define CTL_MAX_CLIENTS 16

/* epoll data: the kind in the low byte, a client's slot above it */
enum ev_kind {
	EV_UDP = 1,
	EV_SIGNAL,
	EV_TICK,
	EV_SAMPLE,
	EV_CTL,
	EV_CLIENT,
};

struct ctl_client {
	int fd;
	bool admin;		/* may change state */
	int64_t last_ms;	/* idle clients are dropped */
};

struct infod {
	struct infod_cfg cfg;
	uint32_t node_opt;	/* --node, kept for reloads */
	const char *run_dir;

	/* this node */
	uint16_t policy;	/* INFOD_POLICY bits */
	uint32_t speed;
	uint32_t decay_ms, decay_slow, decay_fast;
	struct measure meas;
	struct gossip_vec self_vec;
	int64_t self_vec_ms;	/* when self_vec was measured */
	bool quiet_told;	/* the last datagram before quiet went out */

	/* the pool mode (mode.c) */
	enum pool_mode mode;		/* running: mosix.conf's or mosctl mode's */
	int64_t pool_offset;		/* the schedule's clock minus the real one, s */
	struct pool_status pool;	/* as last evaluated; in admin/pool */
	bool pool_valid;
	time_t pool_checked;		/* the schedule's time of that evaluation */

	/* the others */
	struct peers peers;
	struct sweep sweep;
	struct rng rng;
	uint64_t epoch, seq;
	uint32_t dead_ms;	/* in effect: peers_dead_after() */

	/* what the tools see */
	struct cluster_state published;
	bool published_once;
	char stats_text[512];
	struct kmirror kmirror;		/* /proc/mosix (kmirror.c) */

	/* file descriptors of the loop */
	struct net net;
	int epoll_fd, signal_fd, tick_fd, sample_fd, ctl_fd;
	struct ctl_client client[CTL_MAX_CLIENTS];

	struct infod_stats stats;
	int64_t warned_ms[RX_REPLAY + 1];	/* rate of refusal warnings */
	bool quit;
};

/* main.c */
int64_t infod_now(void);
/* Reread map, conf and key; on failure keep the old ones. */
int infod_reload(struct infod *in, char *err, size_t err_size);
/* After a policy or timing change: tell the tools, rearm timers. */
void infod_policy_changed(struct infod *in);
int infod_set_decay(struct infod *in, uint32_t ms, uint32_t slow, uint32_t fast);

/* gossip.c */
/* Refresh the own vector (load, memory, flags). */
void infod_measure(struct infod *in, int64_t now);
/* One round: fanout datagrams, and the sweep's share. */
void infod_round(struct infod *in, int64_t now);
/* Drain the socket (a bounded number per call). */
void infod_receive(struct infod *in, int64_t now);

/* census.c */
/* Guests hosted here, and own mosix processes running here (RUN/guests,
 * RUN/proc of mosix-migd). 0 or -errno. */
int census_count(const char *run_dir, uint16_t *guests, uint32_t *local);

/* mode.c */
/* At start: mosix.conf's mode, evaluated at the schedule's clock. */
void infod_mode_start(struct infod *in);
/* Log the mode in use (info). */
void infod_mode_log(const struct infod *in);
/* After a reload replaced in->cfg; @old_configured: mosix.conf's mode before. */
void infod_mode_reloaded(struct infod *in, enum pool_mode old_configured);
/* Every tick: switch when the schedule says so. */
void infod_mode_tick(struct infod *in);
/* The "mode WORD [NOW]" command (ctl.h); admin/pool's text into @msg. */
int infod_mode_set(struct infod *in, char **word, int n, char *msg, size_t size);

/* ctlsrv.c */
int ctlsrv_open(struct infod *in);
void ctlsrv_close(struct infod *in);
void ctlsrv_accept(struct infod *in);
void ctlsrv_handle(struct infod *in, struct ctl_client *c);
void ctlsrv_expire(struct infod *in, int64_t now);
/* One command; the reply ("ok ..." / "error E ...") into @reply. */
void ctlsrv_command(struct infod *in, const char *req, bool admin, char *reply,
		    size_t size);

/* publish.c */
void publish_state(struct infod *in, int64_t now);
void publish_admin(struct infod *in);
void publish_stats(struct infod *in);
/* "key=value" pairs separated by @sep. */
void publish_stats_text(const struct infod *in, char sep, char *buf, size_t size);
void publish_remove(struct infod *in);
void publish_restore_policy(struct infod *in);

#endif
