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

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/mig_net.h"
#include "lib/key.h"
#include "lib/nodecfg.h"

#define MIGD_SOCKET "migd.sock"
#define MIGD_MAX_KIDS 4096

enum kid_kind {
	KID_DEPUTY = 1,		/* pid: the home process it serves */
	KID_GUEST,		/* pid: the guest it supervises */
};

struct kid {
	pid_t child;		/* 0: free slot */
	enum kid_kind kind;
	pid_t pid;
	int ctl;		/* our end of a socketpair to the child */
};

struct watch {
	int wd;
	pid_t pid;		/* 0: free */
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
	bool quit;
};

/* listen.c: TCP from other nodes, each connection a guest child */
int migd_listen(struct migd *m);
void migd_accept(struct migd *m);

/* ctl.c: the local control socket */
int migd_ctl_open(struct migd *m);
void migd_ctl_handle(struct migd *m);

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
/* Forget the state of processes that ended. */
void migd_sweep(struct migd *m);
/* Close what a fresh child inherited of the parent's and must not keep. */
void kid_close_inherited(struct migd *m, int keep);

/* guest.c / deputy.c: the children's lives; they never return */
void __attribute__((noreturn)) guest_main(struct migd *m, int fd, int ctl);
void __attribute__((noreturn)) deputy_main(struct migd *m, pid_t pid, uint32_t node,
					   int client, int ctl);

#endif
