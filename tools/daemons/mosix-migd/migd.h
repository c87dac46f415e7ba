/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MIGD_H
#define MIGD_H

/*
 * mosix-migd: moves processes. The main process listens on TCP for other
 * nodes (each connection becomes a child that restores and supervises one
 * guest) and on a control socket for local requests (each process sent
 * away gets a child, its deputy). Children are tracked so that requests
 * reach the right one and mosctl expel/bring can reach them all.
 */

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "engine/mig_cantmove.h"
#include "engine/mig_net.h"
#include "lib/bal.h"
#include "lib/key.h"
#include "lib/nodecfg.h"

#define MIGD_SOCKET "migd.sock"
#define MIGD_MAX_KIDS 4096
#define MIGD_MAX_PENDING 16	/* control clients whose request has not come */
#define CTL_WAIT_MS 2000	/* how long it may take to come */

enum kid_kind {
	KID_DEPUTY = 1,		/* pid: the home process it serves */
	KID_GUEST,		/* pid: the guest it supervises */
};

/* A child's "stays WHY" (kid_news): at most this long, with its NUL */
#define KID_WHY_MAX 240

struct kid {
	pid_t child;		/* 0: free slot */
	enum kid_kind kind;
	pid_t pid;
	int ctl;		/* our end of a socketpair to the child */
	char why[KID_WHY_MAX];	/* why its process cannot leave, or "" */
};

/* A control client that connected and has not sent its request yet. */
struct ctl_pending {
	int fd;			/* -1: free */
	struct ucred cr;
	uint64_t deadline_ms;	/* CLOCK_MONOTONIC */
};

struct watch {
	int wd;
	pid_t pid;		/* 0: free */
};

/* What the balancer remembers of one local process between two rounds. */
struct track {
	pid_t pid;		/* 0: free */
	uint64_t start;		/* start time, clock ticks: guards pid reuse */
	uint64_t ticks;		/* CPU demand (demand_ns) at the last sample */
	uint64_t calls;		/* syscr + syscw at the last sample; away: calls home served */
	bool away;		/* @calls was counted away (where != 0) */
	uint64_t calls_at_ms;	/* when @calls was sampled; 0: never */
	uint64_t at_ms;		/* when sampled */
	uint64_t moved_ms;	/* when it last moved; 0: never */
	uint32_t nmigs;
	uint32_t cpu_pm, io_cps;
	bool seen;
	int answer_fd;		/* the answer to our last request; -1: none */
	uint32_t asked;		/* the node that request named */
	uint32_t asked_from;	/* where it ran then */
	uint32_t asked_pm;	/* the CPU share the request counted */
	uint32_t avoid;		/* the node that last refused it */
	uint64_t avoid_until_ms;
	uint32_t refusals;	/* in a row, by any node: the wait doubles */
	struct mig_cant_memo memo;	/* smaps' answer while its maps stay */
};

enum bal_scope {
	BAL_SCOPE_OFF,		/* only migrate PID balance */
	BAL_SCOPE_MOSRUN,	/* jobs started by mosrun (not -h, -n) */
	BAL_SCOPE_ALL,		/* those and every process of a user uid >= 1000 */
};

#define MIGD_MAX_TRACK 1024

struct balancer {
	struct bal bal;
	struct bal_costs costs;
	enum bal_scope scope;
	uint32_t interval_ms;
	int timer_fd;
	struct track track[MIGD_MAX_TRACK];
};

struct migd {
	struct node_ident id;
	struct mosix_key key;	/* the migration subkey */
	struct mig_net net;
	const char *run_dir;
	int listen_fd, ctl_fd, signal_fd;
	struct kid kid[MIGD_MAX_KIDS];
	int watch_fd, proc_wd;	/* inotify on run/proc (watch.c) */
	struct watch watch[MIGD_MAX_KIDS];
	struct ctl_pending pending[MIGD_MAX_PENDING];
	struct balancer bal;
	bool quit;
};

/* balance.c: the automatic load balancing and memory ushering */
int migd_balance_open(struct migd *m);
void migd_balance_tick(struct migd *m);
/* SIGHUP: the costs file again. */
void migd_balance_reload(struct migd *m);
void migd_balance_one(struct migd *m, int fd, uid_t uid, pid_t pid);

/* listen.c: TCP from other nodes, each connection a guest child */
int migd_listen(struct migd *m);
void migd_accept(struct migd *m);

/* ctl.c: the local control socket */
int migd_ctl_open(struct migd *m);
/* A new client: served at once if its request is there, else pending. */
void migd_ctl_handle(struct migd *m);
/* The pending clients into @pf (at most @max); their count. */
int migd_ctl_poll(struct migd *m, struct pollfd *pf, int max);
/* Serve those of @pf whose request came; drop those past their time. */
void migd_ctl_pending(struct migd *m, const struct pollfd *pf, int n);
/* Answer a control request on @fd (nothing when @fd < 0). */
void migd_answer(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Real and effective uid of @pid are @uid. */
bool migd_owns(pid_t pid, uid_t uid);
/* $RUN/admin/@name (mosix-infod's policy flags: block, lstay...) is "1". */
bool migd_admin_flag(const char *run_dir, const char *name);

/* Move @pid to @target ("home" or a node id) for @uid; answers on @fd
 * (-1: nobody to answer). */
void migd_request_migrate(struct migd *m, int fd, uid_t uid, pid_t pid, const char *target);

/* watch.c: requests written to run/proc/PID/where */
int migd_watch_open(struct migd *m);
void migd_watch_handle(struct migd *m);

/* kids.c */
struct kid *kid_add(struct migd *m, pid_t child, enum kid_kind kind, pid_t pid, int ctl);
struct kid *kid_find(struct migd *m, enum kid_kind kind, pid_t pid);
void kid_reap(struct migd *m);
/* Send @text (and @fd, if >= 0) to a child over its socketpair. */
int kid_tell(const struct kid *k, const char *text, int fd);
/*
 * Read what @k said since (nothing is read from a child otherwise): a
 * deputy or supervisor that could not move its process home when asked
 * says "stays WHY", kept in k->why for "stays" (mosctl expel, bring).
 */
void kid_news(struct kid *k);
/* Forget the state of processes that ended. */
void migd_sweep(struct migd *m);
/* Close what a fresh child inherited of the parent's and must not keep. */
void kid_close_inherited(struct migd *m, int keep);

/* guest.c / deputy.c: the children's lives; they never return */
void __attribute__((noreturn)) guest_main(struct migd *m, int fd, int ctl);
void __attribute__((noreturn)) deputy_main(struct migd *m, pid_t pid, uint32_t node,
					   int client, int ctl);

#endif
