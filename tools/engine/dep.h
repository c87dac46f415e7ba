/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_DEP_H
#define MOSIX_DEP_H

/*
 * The deputy: the home side of one migrated process, run by a child of
 * mosix-migd that traces it. It sends the process away (dep_migrate),
 * then keeps the frozen home process (its pid, fds, cwd, credentials,
 * limits, children) and runs in it every call the remote forwards,
 * forwards every signal sent to it, ends it the way the remote process
 * ended, and takes the process back when it comes home (dep_serve).
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/dep_agent.h"
#include "engine/dep_direct.h"
#include "engine/mig_img.h"
#include "engine/mig_inject.h"
#include "engine/mig_net.h"

struct dep {
	pid_t pid;			/* the process, at home */
	int pidfd;
	struct inj j;			/* the process stays seized */
	struct mig_chan *ch;		/* to the node running it */
	uint32_t where;			/* that node */
	const struct mig_net *net;
	const char *run_dir;
	uint8_t *in, *out;		/* one record each */
	struct mig_task *task;		/* the last image sent or received */
	uint32_t nmigs;
	uint64_t cpu_need;		/* dep_cpu_need() when it left home */
	uint64_t home_sigmask;		/* the mask the process had at home */
	uint64_t last_rx, last_tx;
	/*
	 * The number, on ch, of the last SIGNAL record sent (0: none): a
	 * SYSCALL that had not seen it met it on the way (mig_fwd_call.seen)
	 */
	uint32_t sig_mark;
	int ctl_fd;			/* requests from migd (-1: none) */
	int client_fd;			/* a migrate command waiting for an answer */
	bool parked;			/* waiting for calls: the agent, or pause() */
	struct dep_agent ag;		/* the home agent, once planted */
	struct dep_direct direct;	/* file I/O served without the agent */
	bool agent;			/* planted: calls go through it */
	bool lost;			/* the node stopped answering: killed */
	bool stopping;			/* our stop signal, after the guest stopped */
	int stop_sig;			/* which: the guest's */
	uint64_t stop_deadline;		/* a group stop should have followed by then */
	int stop_waits;			/* deadlines put off: it had not run */
	uint64_t frozen_ns;		/* the last migration's freeze time */
	uint64_t asked_ns;		/* when a move on asked its node to stop it */
	/*
	 * COMEHOME went to the node, or LEAVE came from it, and the process
	 * is not back yet: a call it waits in at home is stopped
	 * (call_wanted), or it could not come.
	 */
	bool want_back;
	struct mig_vma *moved;		/* what dep_settle frees at home */
	uint32_t nmoved;
	uint64_t sent_bytes;
	uint64_t warm_hashed;		/* bytes of its files hashed before the stop */
	uint64_t frozen_hashed;		/* ... and while it was stopped */
	/*
	 * The last FILES sent or relayed (NULL: none yet): a move on lists
	 * them to the next node (WARM) before the old node stops the guest.
	 */
	struct mig_files_hdr *files;
	/* that next node, connected and warming, until dep_move takes it */
	struct mig_chan *next;
	uint32_t next_node;
	uint64_t next_since;		/* when WARM went to it */
	/*
	 * CPU time: what the process used on other nodes on finished trips
	 * (RUN/proc/PID/cpu), what the guest has used on this one (its CPU
	 * records), and home's own in the image this trip began with.
	 */
	uint64_t away_ns;
	uint64_t guest_ns;
	uint64_t cpu_written;	/* when guest_ns last went to the state file */
	uint64_t home_ns;
	/* its arguments and environment kept at home (dep_args_point) */
	uint32_t args_len, env_len;
	uint64_t ncalls;		/* calls served since it left home */
	uint64_t calls_told;		/* ... as RUN/proc/PID/calls says */
	uint64_t calls_told_ns;		/* when that was written */
	/* MOSIX_FAULT (tests): commit, no-agent, late-stop, slow-call... */
	const char *fault;
	int kernel_err;			/* the first failed write of /proc/PID/mosix */
};

/* Closes nothing it was not given; 0 or -ENOMEM. */
int dep_init(struct dep *d, pid_t pid, const struct mig_net *net, const char *run_dir);
void dep_release(struct dep *d);

/*
 * Move the process from home to @node. 0 once it runs there (committed:
 * dep_settle must follow); otherwise -errno with the reason in @why, and
 * the process runs on at home as if nothing happened.
 */
int dep_migrate(struct dep *d, uint32_t node, char *why, size_t whylen);

/*
 * Room for why a move failed: a node's reason may name every CPU feature
 * it lacks (dep_refusal_text).
 */
#define DEP_WHY_MAX 512

/* A node's REFUSE @r as its text; a CPU mask (MIG_REASON_CPU_FMT) named. */
void dep_refusal_text(const struct mig_reason *r, char *why, size_t whylen);

/*
 * After a successful dep_migrate, once the command has its answer: free
 * the home process's memory (what the node now has), plant the agent and
 * let the process wait for calls. Freeing 256 MiB takes the home process
 * about 30 ms of its own; the process already runs on the node meanwhile,
 * so nobody waits for it. -ESRCH if the home process died meanwhile
 * (dep_serve then ends the guest).
 */
int dep_settle(struct dep *d);

/*
 * Serve the process until it ends (0; the home process ended the same
 * way) or is home again (0; detached, running natively) or is lost (-1;
 * the home process was killed).
 */
int dep_serve(struct dep *d);

/* Keep a FILES record (@rec, @len bytes) for the next move on (d->files). */
void dep_keep_files(struct dep *d, const void *rec, size_t len);

/* Let the home process wait for calls (the agent loop, or pause() at the
 * gadget where signals find it); and stop it again for injection. */
int dep_park(struct dep *d);
/*
 * The CPU features (lib/cpufeat.h) the process may use: this CPU's, but
 * those its glibc was told to leave (GLIBC_TUNABLES in its environment)
 * and those mosix.conf's mig_cpu_ignore names. Read while the process is
 * at home: away, its environment is not in the home process's memory.
 */
uint64_t dep_cpu_need(const struct dep *d);
/*
 * The HELLO that opens a move to a node: the process as home knows it
 * (name, uid, d->cpu_need, the clocks), needing @mem_bytes of memory.
 */
void dep_hello(const struct dep *d, uint64_t mem_bytes, struct mig_hello *h);
int dep_unpark(struct dep *d);
/*
 * Away, the home process never runs a handler (every signal stops it, to
 * be forwarded), but its stop signals must stop it as the guest stopped:
 * SIGTSTP, SIGTTIN and SIGTTOU get SIG_DFL at home. The image's handlers
 * come back with it.
 */
void dep_home_stops(struct dep *d);

/*
 * What home's /proc shows of the process while it is away (dep_args.c):
 * dep_args_read copies its arguments and environment into @buf
 * (DEP_ARGS_LEN bytes) before its memory goes, returning the arguments'
 * length (0: none kept) and the environment's in *ret_env; dep_args_keep
 * puts them in the deputy's area at home and points the mm fields there;
 * dep_args_point does that again, after a failed trip home put the
 * image's back.
 */
size_t dep_args_read(struct dep *d, uint8_t *buf, size_t *ret_env);
void dep_args_keep(struct dep *d, const uint8_t *buf, size_t alen, size_t elen);
void dep_args_point(struct dep *d);

/*
 * The home process's mm fields (prctl PR_SET_MM_MAP, which needs no
 * privilege) as d->task has them, but for the arguments and environment,
 * @args: arg_start, arg_end, env_start, env_end; and with @auxv its
 * auxiliary vector too (else left as it is). 0 or -EIO.
 */
int dep_set_mm(struct dep *d, const uint64_t args[4], bool auxv);

/*
 * Move the process from its node to @node, the image relayed through
 * home, on d->next, connected to @node before the old node was asked for
 * the guest (taken then); on failure it runs on where it was.
 */
int dep_move(struct dep *d, uint32_t node, char *why, size_t whylen);

/* Restore the image that follows a COMEHOME into the home process
 * (mig_home.c). 0, or -errno with the process still parked. */
int dep_restore_home(struct dep *d, char *why, size_t whylen);

#endif
