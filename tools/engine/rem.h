/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_REM_H
#define MOSIX_REM_H

/*
 * The remote node's side of one migrated process, run by a child of
 * mosix-migd: rem_restore receives the image and restores it as a guest
 * (uid nobody, its own pid, mount and time namespaces, no descriptor of
 * this node, a seccomp filter); rem_supervise then answers the guest's
 * notifications, forwards home-bound calls to the deputy, delivers the
 * signals home sends, and reports the guest's end, until it ends, goes
 * home or moves on.
 */

#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/mig_chan.h"
#include "engine/mig_img.h"
#include "engine/mig_stage.h"

/*
 * Guests run as this system user, which the package makes: a uid of their
 * own, so that no process of the node's but root's may signal them (a
 * guest's own kill is forwarded home). Without it, as nobody, whom any
 * daemon running as nobody may signal.
 */
#define REM_GUEST_USER "mosix-guest"
#define REM_GUEST_UID 65534	/* nobody: without REM_GUEST_USER */

/* A signal init sends to the guest from inside its pid namespace. */
struct rem_init_sig {
	int32_t sig;
	uint8_t info[128];
};

struct rem {
	struct mig_chan *ch;
	const char *run_dir;
	uint32_t self_node;
	struct mig_hello hello;
	int64_t hello_mono_ns, hello_boot_ns;	/* this node's clocks as HELLO came */
	uint8_t *in, *out;		/* one record each, MIG_CHAN_MAX */
	struct mig_stage_shared *sh;	/* shared with the guest */
	struct blob_sync *sync;		/* shared with the restorer blob */
	pid_t init;			/* the guest's pid namespace's init */
	pid_t guest;			/* the guest, as this node sees it */
	int listener;			/* seccomp notifications */
	int uffd;			/* our copy of the guest's, while filling */
	int status_fd;			/* the guest's wait status, from init */
	int files_fd;			/* to the guest: its copies of FILES' files */
	struct mig_reason spawn_why;	/* rem_spawn's failure, told by rem_restore */
	int sig_fd, ack_fd;		/* signals for init to send, its acks */
	int32_t home_ppid;
	bool force_proxy;
	/*
	 * Set by the caller before rem_restore when the kernel answers a
	 * guest's getpid (lib/kmosix.h guest_ids): the filter lets those calls
	 * run, and /proc/GUEST/mosix/guest is kept to the home's values.
	 */
	bool kernel_ids;
	int kernel_err;			/* the first failed update of that file */
	bool want_home;			/* send the process home at the next chance */
	uint32_t home_reason;
	uint64_t last_rx, last_tx;	/* ns, for the heartbeat */
	uint64_t cpu_told;		/* ns: when home was last told the guest's CPU */
	uint64_t nfwd, nanswered;
	uint64_t frozen_hashed;		/* bytes of its files hashed for FILES */
	const char *fault;		/* MOSIX_FAULT: fail at this step (tests) */
	int ctl_fd;			/* requests from migd ("home"), or -1 */
	bool image_done;		/* END of the image received */
	bool killable;			/* the guest's filter waits killably */
	bool stop_told;			/* home knows the guest is stopped */
	int stop_sig;			/* the last stop signal sent to it */
	uint64_t stop_checked;		/* ns: when its state was last read */
	uint64_t stop_watch_until;	/* ns: read it at every turn until then */
	uint32_t in_type;		/* type of the last record received */
	char *maps;			/* home's maps text (MAPS), or NULL */
	size_t maps_len;
	bool home_notif_set;		/* a call that must run at home waits */
	uint64_t home_notif;
	uid_t guest_uid;		/* rem_guest_ids() */
	gid_t guest_gid;
	/* rem_trace.c: the guest traced, for its core to be written at home */
	bool traced;			/* seized by us, home wants cores */
	int trace_fd;			/* SIGCHLD (signalfd) while traced, or -1 */
	bool interrupting;		/* PTRACE_INTERRUPT sent, its stop not seen */
	bool held;			/* in that stop, for send_home */
	bool group_stopped;		/* in group stop, held by PTRACE_LISTEN */
	bool core_set;			/* core_info: the signal that goes home */
	bool core_failed;		/* home could not take it: die here */
	siginfo_t core_info;
	/* home's process frozen (FREEZE): the guest held in a ptrace stop */
	bool want_frozen;		/* what home said last */
	bool frozen;			/* held (or being held) for it */
	bool freeze_traced;		/* seized only for that */
};

/*
 * The ids guests run as: REM_GUEST_USER's (0), else nobody's (-ENOENT).
 */
int rem_guest_ids(uid_t *ret_uid, gid_t *ret_gid);

/* Both return 0 or -errno; on failure @why says what (for ABORT/logs). */
int rem_init(struct rem *r, struct mig_chan *ch, const struct mig_hello *h,
	     const char *run_dir, uint32_t self_node);
/*
 * Right after WELCOME, while home reads the process's state: the guest's
 * namespaces, their init and the guest itself, unprivileged, waiting for
 * the image (rem_restore wakes it). A failure is kept for rem_restore to
 * return once it has answered FILES (the deputy waits for HAVE, and a
 * node that only drains the image would never send it).
 */
void rem_spawn(struct rem *r);
/* From TASK to GO, after rem_spawn. The guest runs when it returns 0;
 * -ECONNRESET: home gave up before TASK (said in @why). */
int rem_restore(struct rem *r, struct mig_reason *why);
/*
 * After a failed restore, and after its ABORT went out: read the rest of
 * the image, so that a deputy still sending gets to the ABORT instead of
 * a reset. One waiting for HAVE reads the ABORT in its place and closes.
 */
void rem_drain(struct rem *r);

/*
 * PAGES records until END, into the staged guest (rem_fill.c): by the
 * guest's userfaultfd (r->uffd) where it has one, else process_vm_writev.
 */
int rem_receive_pages(struct rem *r, struct mig_reason *why);

/* READY out, GO in: the commit. On failure the guest is told to end. */
int rem_commit(struct rem *r);
/*
 * Until the guest ends (0), goes home or moves on (0), or home is lost
 * (-ECONNRESET: the guest is killed). Returns after cleaning up the guest.
 */
int rem_supervise(struct rem *r);
void rem_release(struct rem *r);

/*
 * Write the guest's home ("NODE PID PPID") to /proc/GUEST/mosix/guest, for
 * the kernel to answer its getpid, gettid and getppid. 0 or -errno.
 */
int rem_mark_guest(struct rem *r);

/*
 * Send @sig to @guest (a pid in the caller's pid namespace: init's) from
 * a sender made with the pid and uid in @si, so that it arrives with
 * @si's SI_USER or SI_TKILL code (rem_sigsend.c). 0, -EINVAL for another
 * code, or -errno when no such sender could be made or send it.
 */
int rem_sig_send_as(pid_t guest, int sig, const siginfo_t *si);

/*
 * Queue @sig to @guest with @si's sender and value, as SI_QUEUE where @si
 * has a code only its sender's kernel may give (kill, tgkill, the
 * kernel's own); a plain kill() if even that fails.
 */
void rem_sig_queue(pid_t guest, int sig, const siginfo_t *si);

/*
 * The guest of a process whose home writes cores (MIG_TASK_CORE) runs
 * traced, so that a signal that would kill it with a core sends it home
 * instead (rem_trace.c). rem_trace_start seizes it (nothing to do for
 * others; 0 or -errno); rem_trace_events handles what it reported (on
 * r->trace_fd); rem_trace_interrupt asks it to stop and rem_trace_hold
 * waits until it has, for send_home (0, or -ESRCH: it is gone);
 * rem_trace_again seizes it again after a detach (r->traced false if it
 * could not).
 */
int rem_trace_start(struct rem *r);
void rem_trace_events(struct rem *r);
/*
 * Home's process frozen or thawed (r->want_frozen, from FREEZE): hold the
 * guest in a ptrace stop nobody sees (seizing it if it was not traced),
 * or let it run on. From the supervisor's main loop only, where no dump
 * holds the guest; a step that must wait for a stop is taken at a later
 * turn.
 */
void rem_trace_freeze(struct rem *r);
int rem_trace_interrupt(struct rem *r);
int rem_trace_hold(struct rem *r);
int rem_trace_again(struct rem *r);

/*
 * A record home sends on its own, found in r->in wherever the node reads
 * the channel: a new parent (MIG_M_PPID), home's nice value, policy and
 * oom_score_adj (MIG_M_PRIO, none beyond what this supervisor has), or a
 * freeze (MIG_M_FREEZE, noted for rem_trace_freeze). True when it was
 * one, and is applied (rem_prio.c).
 */
bool rem_home_news(struct rem *r, uint32_t type, size_t len);

/* Whether MOSIX_FAULT names @step. */
bool rem_fault(const struct rem *r, const char *step);

#endif
