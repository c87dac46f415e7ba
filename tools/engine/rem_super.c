// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/mig_dump.h"
#include "engine/mig_files.h"
#include "engine/mig_proc.h"
#include "engine/mig_pstate.h"
#include "engine/rem.h"
#include "engine/rem_fwd.h"
#include "engine/rem_special.h"

#define HEARTBEAT_NS 1000000000ull
#define LOST_NS (5 * HEARTBEAT_NS)
#define GUEST_SCRATCH (64 * 1024)
#define ERESTARTSYS 512		/* kernel-internal: restart or EINTR, by SA_RESTART */
#define ERESTARTNOINTR 513	/* restart always */
#define ERESTARTNOHAND 514	/* EINTR after a handler, else restart */
#define ERESTART_RESTARTBLOCK 516	/* the same, restarting by restart_block */
#define REM_MAX_SIGS 64
#define STOP_WATCH_NS (2 * HEARTBEAT_NS)	/* after a stop signal: every turn */
#define STOP_POLL_NS (HEARTBEAT_NS / 4)	/* otherwise: this often */

/* Signals from home waiting to be delivered. */
struct rem_sigs {
	int n;
	struct mig_signal s[REM_MAX_SIGS];
};

enum outcome {
	GOING_ON = 0,
	ENDED,		/* the guest exited or was killed: reported home */
	LEFT,		/* the process is home or on another node now */
	LOST,		/* home is gone */
};

static int send_rec(struct rem *r, uint32_t type, const void *p, size_t len)
{
	int e = mig_chan_send(r->ch, type, p, len);

	if (!e)
		r->last_tx = mig_now_ns();
	return e;
}

/* The guest's CPU time here so far, to home: 0 or -errno. */
static int tell_cpu(struct rem *r)
{
	struct mig_cpu c = { mig_proc_cpu_ns(r->guest) };

	r->cpu_told = mig_now_ns();
	return send_rec(r, MIG_M_CPU, &c, sizeof(c));
}

static void end_guest(struct rem *r)
{
	int st;

	if (r->guest > 0) {
		kill(r->guest, SIGKILL);
		/* traced by us (sent home, or for its core): its parent hears
		 * of its end only once we have; not traced: ECHILD at once */
		while (waitpid(r->guest, &st, __WALL) == r->guest && WIFSTOPPED(st))
			;
		r->traced = false;
	}
	if (r->init > 0) {
		kill(r->init, SIGKILL);
		waitpid(r->init, &st, 0);
		r->init = 0;
	}
	if (r->guest > 0)
		mig_guest_remove(r->run_dir, r->guest);
	r->guest = 0;
}

/*
 * Whether a signal sent to the guest now interrupts a call it is waiting
 * in: not if blocked or ignored there (SIG_DFL of a signal whose default
 * is to ignore it counts as ignored).
 */
static bool interrupts(pid_t guest, int sig)
{
	uint64_t bit;
	struct mig_proc_sigs s;

	if (sig <= 0 || sig > MIG_NSIG || sig == SIGKILL)
		return false;	/* deliver() drops it */
	bit = 1ull << (sig - 1);
	if (mig_proc_sigs(guest, &s))
		return true;
	if ((s.blk | s.ign) & bit)
		return false;
	if (s.cgt & bit)
		return true;
	return sig != SIGCHLD && sig != SIGWINCH && sig != SIGURG && sig != SIGCONT;
}

/*
 * A signal from home, with the siginfo it arrived with there: the sender's
 * pid and uid (home's, as the process believes it is at home), the code
 * and value. init sends it (rem_sig_send_as: kill() and tgkill() arrive
 * as such); the kernel lets a process forge only negative codes for
 * another one, so the kernel's own codes, and any signal init cannot
 * send, arrive as SI_QUEUE with their sender kept.
 */
static void deliver(struct rem *r, const struct mig_signal *m)
{
	siginfo_t si;

	if (m->sig <= 0 || m->sig > MIG_NSIG || m->sig == SIGKILL)
		return;
	if (!m->has_info) {
		kill(r->guest, m->sig);
		return;
	}
	memcpy(&si, m->info, sizeof(si));
	si.si_signo = m->sig;
	if (r->sig_fd >= 0) {
		struct rem_init_sig q = { .sig = m->sig };
		struct pollfd pf = { r->ack_fd, POLLIN, 0 };
		char ack;

		/* init sends it, and says so before the call may return; an
		 * ack that came too late for the signal before is no answer */
		while (read(r->ack_fd, &ack, 1) == 1)
			;
		memcpy(q.info, &si, sizeof(q.info));
		if (write(r->sig_fd, &q, sizeof(q)) == sizeof(q)) {
			if (poll(&pf, 1, 1000) == 1 && read(r->ack_fd, &ack, 1) != 1)
				r->sig_fd = (close(r->sig_fd), -1);	/* init is gone */
			return;
		}
	}
	rem_sig_queue(r->guest, m->sig, &si);
}

static bool stopped(struct rem *r)
{
	char state = 0;

	if (r->traced) {
		/* traced, its stop is a trace stop ('t'): the reports say */
		rem_trace_events(r);
		return r->group_stopped;
	}
	return !mig_proc_stat(r->guest, &state, NULL) && state == 'T';
}

/*
 * A stop signal went to the guest: the stop it may cause is home's to
 * repeat with this signal, and the loop watches for it at every turn
 * for a while.
 */
static void note_stop(struct rem *r, int sig)
{
	if (!mig_signal_stops(sig))
		return;
	r->stop_sig = sig;
	r->stop_watch_until = mig_now_ns() + STOP_WATCH_NS;
}

/*
 * Job control: after a stop signal the guest may enter group stop (its
 * default action); home is told, so that the home process stops too and
 * the shell at home sees it stopped. Checked at once after the signal,
 * and at every turn of the loop for STOP_WATCH_NS after that (a loaded
 * node stops it late), at every turn while it is stopped (to see it run
 * again), and otherwise every STOP_POLL_NS: reading /proc/PID/stat costs
 * as much as a notification, too much for every forwarded call.
 */
static void check_stop(struct rem *r, int sig)
{
	struct mig_signal s = { .sig = sig ? sig : SIGSTOP };

	if (sig && !mig_signal_stops(sig))
		return;
	r->stop_checked = mig_now_ns();
	if (sig)
		note_stop(r, sig);
	for (int i = 0; i < (sig ? 4 : 1); i++) {
		struct timespec ts = { 0, 5 * 1000000 };

		if (!stopped(r)) {
			if (!sig)
				r->stop_told = false;	/* running again */
			if (sig)
				nanosleep(&ts, NULL);
			continue;
		}
		if (!r->stop_told) {
			s.sig = r->stop_sig ? r->stop_sig : SIGSTOP;
			send_rec(r, MIG_M_STOPPED, &s, sizeof(s));
			r->stop_told = true;
		}
		return;
	}
}

/*
 * The signals that came during a forwarded call. A stop among them is
 * noted, not checked: the guest stops only once its call is answered,
 * and the loop's watch then reports it with its signal (not SIGSTOP).
 */
static void deliver_all(struct rem *r, struct rem_sigs *q)
{
	for (int i = 0; i < q->n; i++) {
		deliver(r, &q->s[i]);
		note_stop(r, q->s[i].sig);
	}
	q->n = 0;
}

static void answer(int lfd, uint64_t id, long val, unsigned flags)
{
	struct seccomp_notif_resp resp = { .id = id, .flags = flags };

	if (val < 0 && val > -4096)
		resp.error = (int32_t)val;
	else
		resp.val = val;
	/* ENOENT: a signal took the guest out of the call; nothing to do */
	ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

static enum outcome on_message(struct rem *r, uint32_t type, size_t len);

/* A request from migd on the control socket; true for "home" (expel). */
static bool ctl_request(struct rem *r)
{
	char req[32];
	ssize_t k = recv(r->ctl_fd, req, sizeof(req) - 1, 0);

	if (k <= 0) {
		close(r->ctl_fd);
		r->ctl_fd = -1;
		return false;
	}
	if (k != 4 || memcmp(req, "home", 4))
		return false;
	/* expelled: home takes it back without having asked */
	r->want_home = true;
	r->home_reason = MIG_HOME_ASKED;
	return true;
}

/*
 * An expel that came while a forwarded call waits at home (a read of a
 * quiet pipe): LEAVE, and the deputy stops the call before it did
 * anything; it comes back aborted and is made again at home
 * (forward_and_answer). Looked for at the deputy's PINGs, once a second
 * while a call waits, so that a quick call pays nothing for it.
 */
static int expel_in_call(struct rem *r)
{
	struct pollfd pf = { r->ctl_fd, POLLIN, 0 };

	if (r->ctl_fd < 0 || r->want_home || poll(&pf, 1, 0) != 1 || !ctl_request(r))
		return 0;
	return send_rec(r, MIG_M_LEAVE, NULL, 0);
}

/*
 * A forwarded call: send it, then serve what comes until its SYSRET;
 * signals that come meanwhile are kept in @q for the caller to deliver in
 * the right order. Returns the call's result, or sets *ret_outcome when
 * the conversation ends meanwhile (*ret_answer false: no answer then).
 */
static long forward(struct rem *r, const struct seccomp_notif *n, const struct sc_desc *d,
		    struct rem_sigs *q, enum outcome *ret_outcome, bool *ret_answer,
		    bool *ret_aborted)
{
	struct rem_fwd_plan plan;
	const uint32_t *lens;
	const uint8_t *data;
	size_t len, dlen;
	uint32_t type;
	int e;

	*ret_answer = true;
	*ret_aborted = false;
	e = rem_fwd_gather(n->pid, n->data.nr, (const uint64_t *)n->data.args, d, r->out,
			   MIG_CHAN_MAX, &len, &plan);
	if (e == -EFAULT)
		return -EFAULT;
	if (e) {
		/* not expressible here: the call runs at home */
		r->want_home = true;
		r->home_reason = MIG_HOME_CALL;
		*ret_answer = false;
		return 0;
	}
	/* home adds the CPU time used away to these: it must be current */
	if ((n->data.nr == SYS_getrusage || n->data.nr == SYS_times) && tell_cpu(r))
		goto out_lost;
	/* home's signals sent after this count as pending during the call */
	((struct mig_fwd_call *)r->out)->seen = (uint32_t)mig_chan_received(r->ch);
	if (send_rec(r, MIG_M_SYSCALL, r->out, len))
		goto out_lost;
	r->nfwd++;
	for (;;) {
		enum outcome o;

		/*
		 * A call may block at home for long (a read from a terminal):
		 * TCP keepalive tells a home that is gone (the socket fails);
		 * the deputy's PINGs meanwhile say only that an expel may be
		 * looked for.
		 */
		e = mig_chan_recv(r->ch, &type, r->in, MIG_CHAN_MAX, &len);
		if (e)
			goto out_lost;
		r->last_rx = mig_now_ns();
		if (type == MIG_M_SYSRET)
			break;
		if (type == MIG_M_PING) {
			/* our own quick calls (forward_own) leave a request to
			 * the main loop: a retried call would be stopped again */
			if (n->pid != (uint32_t)getpid() && expel_in_call(r))
				goto out_lost;
			continue;
		}
		if (type == MIG_M_SIGNAL) {
			if (mig_fixed_check(type, len))
				goto out_lost;
			if (q->n < REM_MAX_SIGS)
				memcpy(&q->s[q->n++], r->in, sizeof(q->s[0]));
			continue;
		}
		o = on_message(r, type, len);
		if (o != GOING_ON) {
			*ret_outcome = o;
			*ret_answer = false;
			return 0;
		}
	}
	if (mig_fwd_ret_check(r->in, len, plan.nbuf, &lens, &data, &dlen))
		goto out_lost;
	if (((const struct mig_fwd_ret *)r->in)->flags & MIG_FWD_ABORTED) {
		long code = ((const struct mig_fwd_ret *)r->in)->ret;

		*ret_aborted = true;
		/* its in/out buffers as home's kernel left them: a remaining
		 * timeout, which a call forwarded again goes on with */
		if (rem_fwd_scatter_aborted(n->pid, &plan, lens, data) == -EBADMSG)
			goto out_lost;
		/*
		 * The guest's kernel has no restart_block for a call it never
		 * ran: that one starts over instead, as NOHAND says.
		 */
		if (code == -ERESTART_RESTARTBLOCK)
			return -ERESTARTNOHAND;
		/* EINTR whatever the handler's SA_RESTART (epoll_wait) */
		if (code == -ERESTARTNOINTR || code == -ERESTARTNOHAND || code == -EINTR)
			return code;
		return -ERESTARTSYS;
	}
	if (rem_fwd_scatter(n->pid, &plan, lens, data))
		return -EFAULT;
	return ((const struct mig_fwd_ret *)r->in)->ret;

out_lost:
	*ret_outcome = LOST;
	*ret_answer = false;
	return 0;
}

/*
 * Run a forwarded call and answer it, with the signals that came from
 * home meanwhile delivered as they would have been there: before the call
 * returns. A call a signal stopped at home before it did anything
 * restarts or fails with EINTR as the guest's handler says (the kernel
 * decides, from -ERESTARTSYS, once the signal is pending).
 */
static enum outcome forward_and_answer(struct rem *r, const struct seccomp_notif *n,
				       const struct sc_desc *d)
{
	struct seccomp_notif again = *n;
	struct rem_sigs q = { 0 };
	enum outcome o = GOING_ON;
	uint64_t start = mig_now_ns();
	bool reply, aborted;

	for (;;) {
		bool stop = false;
		long val = forward(r, &again, d, &q, &o, &reply, &aborted);

		if (!reply) {
			deliver_all(r, &q);
			return o;
		}
		if (!aborted) {
			/* a killable wait keeps the signals pending until the
			 * answer; an interruptible one would end at the first */
			if (r->killable) {
				deliver_all(r, &q);
				answer(r->listener, n->id, val, 0);
			} else {
				answer(r->listener, n->id, val, 0);
				deliver_all(r, &q);
			}
			return o;
		}
		/*
		 * Stopped at home by a signal: the call ends only if one of
		 * them would interrupt it here, neither blocked nor ignored;
		 * otherwise it goes again. -ERESTARTSYS must not be the answer
		 * then: the kernel turns it into a restart or EINTR only for a
		 * signal it delivers, and would hand it to the process as is.
		 */
		for (int i = 0; i < q.n; i++)
			stop |= interrupts(r->guest, q.s[i].sig);
		deliver_all(r, &q);
		if (stop) {
			/* older kernels: the signal itself ended the wait */
			if (r->killable)
				answer(r->listener, n->id, val, 0);
			return o;
		}
		/*
		 * Home wants the process back (migrate home, a move on) and
		 * stopped the call for it: unanswered, it is made again at
		 * home, as a call that runs only there.
		 */
		if (r->want_home) {
			r->home_notif = n->id;
			r->home_notif_set = true;
			return o;
		}
		rem_fwd_timeout_left(again.data.nr, (uint64_t *)again.data.args,
				     (const uint64_t *)n->data.args, mig_now_ns() - start);
	}
}

/* A call made at home on our own behalf, with buffers in our memory. */
static long forward_own(struct rem *r, long nr, const uint64_t args[6],
			const struct sc_desc *d, enum outcome *o)
{
	struct seccomp_notif n = { .pid = (uint32_t)getpid() };
	struct rem_sigs q = { 0 };
	bool reply, aborted;
	long val;

	n.data.nr = (int)nr;
	memcpy(n.data.args, args, sizeof(n.data.args));
	/* quick calls: a signal at home waits for them to end, as it would */
	do {
		val = forward(r, &n, d, &q, o, &reply, &aborted);
		deliver_all(r, &q);
	} while (reply && aborted);
	return reply ? val : -EIO;
}

/*
 * A line of the guest's maps with the name home gave that memory: the
 * guest's memory is anonymous here, but the process knows it as parts of
 * its files. @line is rewritten in place (room for 4352 bytes).
 */
static void rename_line(const struct rem *r, char *line, size_t cap)
{
	unsigned long long s, e, hs, he, off;
	char perm[8], dev[16], name[4096];
	unsigned long long ino;
	const char *p = r->maps;

	if (!p || sscanf(line, "%llx-%llx %7s", &s, &e, perm) != 3)
		return;
	while (p && *p) {
		const char *nl = strchr(p, '\n');

		name[0] = 0;
		if (sscanf(p, "%llx-%llx %*s %llx %15s %llu %4095[^\n]", &hs, &he, &off, dev, &ino,
			   name) >= 5 && s >= hs && e <= he && ino) {
			snprintf(line, cap, "%llx-%llx %s %08llx %s %llu %*s%s\n", s, e, perm,
				 off + (s - hs), dev, ino, name[0] ? 26 - (int)strlen(dev) : 0, "",
				 name);
			return;
		}
		p = nl ? nl + 1 : NULL;
	}
}

/* Whether @path names this process's own maps or smaps. */
static const char *own_maps(const struct rem *r, const char *path)
{
	char self[64];
	const char *leaf;

	snprintf(self, sizeof(self), "/proc/%d/", r->sh->task.home_pid);
	if (!strncmp(path, "/proc/self/", 11))
		leaf = path + 11;
	else if (!strncmp(path, "/proc/thread-self/", 18))
		leaf = path + 18;
	else if (!strncmp(path, self, strlen(self)))
		leaf = path + strlen(self);
	else
		return NULL;
	return !strcmp(leaf, "maps") || !strcmp(leaf, "smaps") ? leaf : NULL;
}

/*
 * open("/proc/self/maps") at home would list the home process's memory,
 * which is gone: it gets the guest's own maps instead (without the
 * restorer's leftovers), as a file made at home (a memfd) so that every
 * later call on the fd runs at home as usual. glibc reads it to find the
 * stack (pthread_getattr_np), and so do many runtimes.
 */
static bool open_own_maps(struct rem *r, const struct seccomp_notif *n, long *ret_val,
			  enum outcome *o)
{
	static const struct sc_desc memfd = { .name = "memfd_create", .cls = SC_FWD,
		.nargs = 2, .arg = { { .kind = SCK_STR } } };
	static const struct sc_desc pwr = { .name = "pwrite64", .cls = SC_FWD, .nargs = 4,
		.arg = { [1] = { .kind = SCK_IN, .flags = SCF_LEN_ARG, .len_arg = 2,
				 .size = 1 } } };
	uint64_t a[6] = { 0 }, path_arg = n->data.nr == SYS_open ? n->data.args[0] :
					  n->data.args[1];
	int flags = (int)(n->data.nr == SYS_open ? n->data.args[1] : n->data.args[2]);
	char path[PATH_MAX], src[96], *buf = NULL, line[4352];
	const char *leaf;
	size_t len = 0, cap = 0;
	long fd;
	FILE *f;

	if (rem_read_str(n->pid, path_arg, path, sizeof(path)) <= 0 ||
	    !(leaf = own_maps(r, path)) || (flags & O_ACCMODE) != O_RDONLY)
		return false;
	snprintf(src, sizeof(src), "/proc/%d/%s", r->guest, !strcmp(leaf, "maps") ? "maps" :
		 "smaps");
	f = fopen(src, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e;
		size_t l = strlen(line);

		/* the restorer's area and the deputy's placeholder are ours */
		if (sscanf(line, "%llx-%llx", &s, &e) == 2 &&
		    ((s >= r->sh->keep_start && e <= r->sh->keep_end) ||
		     (s >= r->sh->task.home_scratch &&
		      e <= r->sh->task.home_scratch + r->sh->task.home_scratch_len))) {
			/* and, for smaps, the lines that follow it */
			while (fgets(line, sizeof(line), f) && !strchr(line, '-'))
				;
			if (feof(f))
				break;
			if (sscanf(line, "%llx-%llx", &s, &e) != 2)
				continue;
			l = strlen(line);
		}
		if (sscanf(line, "%llx-%llx", &s, &e) == 2) {
			rename_line(r, line, sizeof(line));
			l = strlen(line);
		}
		if (len + l + 1 > cap) {
			char *nb = realloc(buf, cap ? cap * 2 + l : 65536);

			if (!nb)
				break;
			buf = nb;
			cap = cap ? cap * 2 + l : 65536;
		}
		memcpy(buf + len, line, l);
		len += l;
	}
	fclose(f);
	a[0] = (uint64_t)(uintptr_t)leaf;
	a[1] = (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0;
	fd = forward_own(r, SYS_memfd_create, a, &memfd, o);
	if (fd >= 0 && len) {
		uint64_t b[6] = { (uint64_t)fd, (uint64_t)(uintptr_t)buf, len, 0 };

		long w = forward_own(r, SYS_pwrite64, b, &pwr, o);

		if (w < 0)
			fd = w;
	}
	free(buf);
	*ret_val = fd;
	return true;
}

/*
 * rt_sigaction(SIGCHLD, act): the guest's own, and home's too. The
 * children the process had at home when it left end there, and home's
 * kernel reaps them or tells of them as home's disposition says: SIG_IGN
 * or SA_NOCLDWAIT reap them at once (a later wait gets ECHILD, as the
 * process expects), SA_NOCLDSTOP keeps their stops quiet. The handler's
 * address never runs at home: home's signals come here. The filter sends
 * only this call here; a call the kernel would refuse (a bad pointer or
 * set size) goes only to the guest's, which refuses it.
 */
static enum outcome on_sigaction(struct rem *r, const struct seccomp_notif *n)
{
	static const struct sc_desc sa = { .name = "rt_sigaction", .cls = SC_FWD, .nargs = 4,
		.arg = { [1] = { .kind = SCK_IN, .size = 32 } } };
	struct {
		uint64_t handler, flags, restorer, mask;
	} act;
	struct iovec local = { &act, sizeof(act) };
	struct iovec remote = { (void *)(uintptr_t)n->data.args[1], sizeof(act) };
	enum outcome o = GOING_ON;

	if (n->data.args[3] == sizeof(act.mask) &&
	    process_vm_readv((pid_t)n->pid, &local, 1, &remote, 1, 0) == sizeof(act)) {
		uint64_t a[6] = { SIGCHLD, (uint64_t)(uintptr_t)&act, 0, sizeof(act.mask) };

		forward_own(r, SYS_rt_sigaction, a, &sa, &o);
	}
	answer(r->listener, n->id, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
	return o;
}

static enum outcome on_notification(struct rem *r)
{
	struct seccomp_notif n;
	const struct sc_desc *d;
	enum outcome o = GOING_ON;
	bool reply = true;
	long val = -ENOSYS;
	unsigned flags = 0;

	memset(&n, 0, sizeof(n));
	if (ioctl(r->listener, SECCOMP_IOCTL_NOTIF_RECV, &n))
		return GOING_ON;	/* the guest left the call meanwhile */
	d = sc_lookup(n.data.nr);
	if ((n.data.nr == SYS_open || n.data.nr == SYS_openat) &&
	    open_own_maps(r, &n, &val, &o)) {
		answer(r->listener, n.id, val, 0);
		return o;
	}
	switch (d ? d->cls : SC_HOME) {
	case SC_ANSWER:
		val = d->answer == SCA_PPID ? r->home_ppid : r->sh->task.home_pid;
		r->nanswered++;
		break;
	case SC_LOCAL:
		flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		val = 0;
		break;
	case SC_FWD:
		/* its own signal mask must hold where the handlers run */
		if (rem_fwd_needs_home(d, (const uint64_t *)n.data.args))
			goto home;
		return forward_and_answer(r, &n, d);
	case SC_SPECIAL: {
		struct sc_desc tmp;
		int how;

		if (d->special == SCS_SIGACTION)
			return on_sigaction(r, &n);
		how = rem_special(r, &n, d, &tmp, &val);

		if (how == REM_SPECIAL_FWD)
			return forward_and_answer(r, &n, &tmp);
		else if (how == REM_SPECIAL_CONTINUE)
			flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		else if (how == REM_SPECIAL_HOME)
			goto home;
		break;
	}
	default:
		goto home;
	}
	if (reply)
		answer(r->listener, n.id, flags ? 0 : val, flags);
	return o;
home:
	/*
	 * Left unanswered until the guest is being frozen: then it leaves the
	 * call with a restart, which the dump rewinds, so the process makes
	 * the call again at home, natively.
	 */
	r->want_home = true;
	r->home_reason = MIG_HOME_CALL;
	r->home_notif = n.id;
	r->home_notif_set = true;
	return GOING_ON;
}

/* Why it stays here, for an expel that waits on this node (migd's "stays"). */
static void tell_stays(const struct rem *r, const char *why)
{
	char t[MIG_REASON_MAX + 64];

	if (r->ctl_fd < 0)
		return;
	snprintf(t, sizeof(t), "stays process %d of node %u (%.16s): %s", r->hello.home_pid,
		 r->hello.home_node, r->hello.comm, why);
	send(r->ctl_fd, t, strlen(t), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/*
 * The guest could not be sent home: say why to home, which answers the
 * migrate command with it (the guest runs on here), to this daemon's log,
 * and to an expel waiting here.
 */
static void refuse_home(struct rem *r, const char *what, int e)
{
	struct mig_reason why = { .err = e };

	snprintf(why.text, sizeof(why.text), "this node cannot send it home: %s: %s", what,
		 strerror(-e));
	fprintf(stderr, "mosix-migd: guest %d of node %u (home pid %d): %s\n", r->guest,
		r->hello.home_node, r->hello.home_pid, why.text);
	send_rec(r, MIG_M_REFUSE, &why, sizeof(why));
	tell_stays(r, why.text);
}

/*
 * Home took the process (HOMEOK): the signals it had here go back with
 * it, to be queued at home, then HOMEOK says that was all. They are
 * those still queued in the guest's kernel (blocked ones, say), those our
 * injections took from it (@j), and those home sent that were not
 * delivered yet (@q).
 */
static void send_back(struct rem *r, struct inj *j, const struct rem_sigs *q)
{
	static const unsigned long queues[] = { 0, PTRACE_PEEKSIGINFO_SHARED };
	siginfo_t si[16];

	for (size_t k = 0; k < sizeof(queues) / sizeof(queues[0]); k++) {
		struct __ptrace_peeksiginfo_args a = { .off = 0, .flags = queues[k], .nr = 16 };
		long n;

		while ((n = ptrace(PTRACE_PEEKSIGINFO, r->guest, &a, si)) > 0) {
			for (long i = 0; i < n; i++) {
				struct mig_signal m;

				mig_signal_make(&m, si[i].si_signo, &si[i]);
				send_rec(r, MIG_M_SIGNAL, &m, sizeof(m));
			}
			a.off += (uint64_t)n;
		}
	}
	for (int i = 0; i < j->npending; i++) {
		struct mig_signal m;

		mig_signal_make(&m, j->pending[i], &j->pending_info[i]);
		send_rec(r, MIG_M_SIGNAL, &m, sizeof(m));
	}
	for (int i = 0; i < q->n; i++)
		send_rec(r, MIG_M_SIGNAL, &q->s[i], sizeof(q->s[i]));
	send_rec(r, MIG_M_HOMEOK, NULL, 0);
}

/*
 * Home's answer to what we sent it, one of @a or @b (or KILL), with what
 * it sends on its own meanwhile: news applied, signals queued on @q for
 * the guest if it stays. The answer's type, or 0 if the link broke.
 */
static uint32_t home_answer(struct rem *r, struct rem_sigs *q, uint32_t a, uint32_t b,
			    size_t *ret_len)
{
	uint32_t type;
	size_t len;

	for (;;) {
		if (mig_chan_recv(r->ch, &type, r->in, MIG_CHAN_MAX, &len))
			return 0;
		r->last_rx = mig_now_ns();
		if (type == a || type == b || type == MIG_M_KILL) {
			if (ret_len)
				*ret_len = len;
			return type;
		}
		rem_home_news(r, type, len);
		if (type == MIG_M_SIGNAL && !mig_fixed_check(type, len) && q->n < REM_MAX_SIGS)
			memcpy(&q->s[q->n++], r->in, sizeof(q->s[0]));
	}
}

/*
 * FILES -> HAVE on the way home or on (mig_files.h): the files of this
 * node the guest maps that home has too (or, through home, the next
 * node) need not travel. Nothing to offer, no records. 0; 1 when home
 * answered GO instead (it could not take the process: it stays here);
 * -errno when the link broke or home sent KILL.
 */
static int offer_files(struct rem *r, struct mig_vma *v, uint32_t n,
		       const struct mig_pagebits *pb, struct rem_sigs *q)
{
	struct mig_files_hdr *h = (struct mig_files_hdr *)r->out;
	struct mig_file *f = (struct mig_file *)(h + 1);
	char cache[4096];
	size_t len = 0;
	int e;

	mig_files_cache_dir(r->run_dir, cache, sizeof(cache));
	memset(h, 0, sizeof(*h));
	if (mig_files_collect(r->guest, cache, v, n, f, &h->count, NULL) || !h->count)
		return 0;
	e = send_rec(r, MIG_M_FILES, h, sizeof(*h) + h->count * sizeof(*f));
	if (e)
		return e;
	switch (home_answer(r, q, MIG_M_HAVE, MIG_M_GO, &len)) {
	case MIG_M_GO:
		return 1;
	case MIG_M_HAVE:
		if (!mig_fixed_check(MIG_M_HAVE, len))
			break;
		/* fall through */
	default:
		return -EPROTO;
	}
	return mig_files_settle(r->guest, v, n, (const struct mig_have *)r->in, pb);
}

/*
 * Freeze the guest and send its image home (or on, through home). The
 * guest stays frozen until home says HOMEOK (it ends) or GO (it resumes
 * here: the move failed).
 */
static enum outcome send_home(struct rem *r)
{
	const char *what = "stopping it";
	struct mig_comehome ch = { 0 };
	struct mig_dump_stats st = { 0 };
	struct mig_excl ex[4];
	struct rem_sigs q = { 0 };
	struct mig_pagebits pb = { 0 };
	struct mig_vma *v = NULL;
	struct mig_task *t = NULL;
	struct inj j;
	uint64_t vd[3][2];
	uint32_t n, type;
	int e, nex = 0;
	bool core = false;

	r->want_home = false;
	e = r->traced ? rem_trace_interrupt(r) : inj_seize_start(r->guest);
	if (e)
		goto out_free;
	/* a call waiting (killably) for us: its answer lets the stop happen */
	if (r->home_notif_set)
		answer(r->listener, r->home_notif, -ERESTARTSYS, 0);
	r->home_notif_set = false;
	e = r->traced ? rem_trace_hold(r) : inj_seize_wait(r->guest);
	if (e)
		goto out_free;
	/* the signal that dumps its core, even if a call asked first */
	if (r->core_set) {
		mig_signal_make(&q.s[q.n++], r->core_info.si_signo, &r->core_info);
		r->core_set = false;
		core = true;
	}
	ch.reason = core ? MIG_HOME_CORE : r->home_reason;
	/*
	 * Made once it is held, not before: without room for the image it
	 * goes on here as after any failure below, a call of it that waited
	 * for this answered, and one stopped for its core dies here.
	 */
	what = "making room for its image";
	/* tests: a node that cannot send it home, with the guest held */
	t = rem_fault(r, "no-home") ? MAP_FAILED :
		mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED) {
		t = NULL;
		e = -ENOMEM;
		goto out_detach;
	}
	what = "setting up its registers and scratch memory";
	e = inj_setup(&j, r->guest, GUEST_SCRATCH);
	if (e)
		goto out_detach;
	/*
	 * Home's vDSO (where the proxy or the moved one is), the restorer's
	 * area (a guest sent home at once may not have left it yet: GO came,
	 * but it has not run its rt_sigreturn) and this node's vDSO.
	 */
	vd[0][0] = r->sh->task.vdso_start;
	vd[0][1] = r->sh->task.vdso_end;
	vd[1][0] = r->sh->keep_start;
	vd[1][1] = r->sh->keep_end;
	e = mig_proc_vdso(r->guest, &vd[2][0], &vd[2][1]);
	what = "stepping it out of the vDSO and the restorer";
	e = inj_step_out(&j, vd, e ? 2 : 3);
	if (e)
		goto out_teardown;
	what = "reading its registers and state";
	e = mig_dump_state(&j, t);
	if (e)
		goto out_teardown;
	/* home's vDSO, not ours: where the process expects it, and its bytes */
	t->vvar_start = r->sh->task.vvar_start;
	t->vdso_start = r->sh->task.vdso_start;
	t->vdso_end = r->sh->task.vdso_end;
	memcpy(t->vdso, r->sh->task.vdso, sizeof(t->vdso));
	t->home_pid = r->sh->task.home_pid;
	t->home_ppid = r->home_ppid;
	t->nmigs = r->sh->task.nmigs;
	t->cpu_ns = r->sh->task.cpu_ns + mig_proc_cpu_ns(r->guest);
	t->home_scratch = r->sh->task.home_scratch;
	t->home_scratch_len = r->sh->task.home_scratch_len;
	/* home's limits, not the guest's, which are home's less the CPU time
	 * used before (a limit changed away brought it home) */
	memcpy(t->rlim, r->sh->task.rlim, sizeof(t->rlim));
	t->nice = r->sh->task.nice;
	t->policy = r->sh->task.policy;
	t->personality = r->sh->task.personality;
	t->flags = r->sh->task.flags;
	ex[nex++] = (struct mig_excl){ t->home_scratch, t->home_scratch + t->home_scratch_len };
	ex[nex++] = (struct mig_excl){ r->sh->keep_start, r->sh->keep_end };
	ex[nex++] = (struct mig_excl){ j.scratch, j.scratch + j.scratch_len };
	if (r->sh->vdso_proxy)
		ex[nex++] = (struct mig_excl){ t->vdso_start, t->vdso_end };
	what = "reading its memory map";
	e = mig_dump_vmas(r->guest, ex, nex, t, &v, &n, &pb);
	if (e)
		goto out_teardown;
	e = send_rec(r, MIG_M_COMEHOME, &ch, sizeof(ch));
	if (e)
		goto out_lost;
	/*
	 * Home says when it can take it (TAKE): its process may be frozen
	 * there (a cgroup freezer) for as long as the admin likes, and an
	 * image nobody reads would end the link. GO: it stays here.
	 */
	type = home_answer(r, &q, MIG_M_TAKE, MIG_M_GO, NULL);
	if (type == MIG_M_GO) {
		tell_stays(r, "its home did not take it back (GO)");
		goto out_teardown;
	}
	if (type != MIG_M_TAKE)
		goto out_lost;
	e = send_rec(r, MIG_M_TASK, t, sizeof(*t));
	if (!e && r->maps)
		e = send_rec(r, MIG_M_MAPS, r->maps, r->maps_len);
	if (!e)
		e = offer_files(r, v, n, &pb, &q);
	if (e == 1) {
		e = 0;	/* home has its answer: nothing to refuse */
		goto out_teardown;
	}
	if (!e)
		e = mig_dump_pages(r->guest, v, n, r->ch, &st, &pb);
	if (!e)
		r->last_tx = mig_now_ns();
	if (e)
		goto out_lost;
	/* home answers HOMEOK or GO (it stays here: what home changed
	 * meanwhile holds) */
	type = home_answer(r, &q, MIG_M_HOMEOK, MIG_M_GO, NULL);
	if (type == MIG_M_GO)
		tell_stays(r, "its home did not take it back (GO)");
	if (type == MIG_M_HOMEOK) {
		send_back(r, &j, &q);
		free(v);
		mig_pagebits_free(&pb);
		munmap(t, sizeof(*t));
		end_guest(r);
		return LEFT;
	}
	if (type != MIG_M_GO)
		goto out_lost;
out_teardown:
	/*
	 * It stays: what our injections took from it is its own again, sent
	 * as home's signals are (the guest cannot queue them to itself: its
	 * filter would ask this very thread about the calls).
	 */
	for (int i = 0; i < j.npending && q.n < REM_MAX_SIGS; i++)
		mig_signal_make(&q.s[q.n++], j.pending[i], &j.pending_info[i]);
	j.npending = 0;
	inj_teardown(&j);
out_detach:
	ptrace(PTRACE_DETACH, r->guest, 0, 0);
	/* traced again before the signal that dumps core comes back: it now
	 * ends the guest here, without a core */
	if (core) {
		r->core_failed = true;
		fprintf(stderr, "mosix-migd: guest %d of node %u (home pid %d): home did not "
			"take it back: it dies here, without a core\n", r->guest,
			r->hello.home_node, r->hello.home_pid);
	}
	if (r->traced)
		rem_trace_again(r);
	deliver_all(r, &q);
out_free:
	/* before anything was sent: home still waits for an answer */
	if (e)
		refuse_home(r, what, e);
	free(v);
	mig_pagebits_free(&pb);
	if (t)
		munmap(t, sizeof(*t));
	return GOING_ON;
out_lost:
	free(v);
	mig_pagebits_free(&pb);
	if (t)
		munmap(t, sizeof(*t));
	end_guest(r);
	return LOST;
}

static enum outcome on_message(struct rem *r, uint32_t type, size_t len)
{
	if (type != MIG_M_SYSCALL && type != MIG_M_SYSRET && mig_fixed_check(type, len))
		return LOST;	/* a malformed record: this conversation is over */
	switch (type) {
	case MIG_M_SIGNAL:
		deliver(r, (const struct mig_signal *)r->in);
		check_stop(r, ((const struct mig_signal *)r->in)->sig);
		return GOING_ON;
	case MIG_M_KILL:
		end_guest(r);
		return ENDED;
	case MIG_M_COMEHOME:
		r->want_home = true;
		r->home_reason = ((const struct mig_comehome *)r->in)->reason;
		return GOING_ON;
	case MIG_M_PPID:
	case MIG_M_PRIO:
	case MIG_M_FREEZE:
		rem_home_news(r, type, len);
		return GOING_ON;
	case MIG_M_PING:
		return GOING_ON;
	default:
		return LOST;
	}
}

static enum outcome on_guest_end(struct rem *r)
{
	struct mig_exit ex = { 0 };
	int st;

	if (read(r->status_fd, &st, sizeof(st)) != sizeof(st))
		st = SIGKILL;	/* init died first: killed */
	ex.signaled = WIFSIGNALED(st);
	ex.code = WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st);
	mig_guest_remove(r->run_dir, r->guest);
	r->guest = 0;
	waitpid(r->init, &st, 0);
	r->init = 0;
	send_rec(r, MIG_M_EXIT, &ex, sizeof(ex));
	return ENDED;
}

/*
 * Whether a record waits on the link now. A forwarded call reads what
 * comes until its answer, so what made poll() see the link readable may
 * be gone, and a blocking read would wait for home's next record: up to
 * a heartbeat, with the guest's next call unanswered meanwhile.
 */
static bool link_ready(struct rem *r)
{
	struct pollfd pf = { mig_chan_fd(r->ch), POLLIN, 0 };

	return poll(&pf, 1, 0) == 1;
}

int rem_supervise(struct rem *r)
{
	enum outcome o = GOING_ON;
	int e;

	e = rem_trace_start(r);
	if (e)
		fprintf(stderr, "mosix-migd: guest %d of node %u (home pid %d): cannot trace it (%s): "
			"a core it dumps is not written\n", r->guest, r->hello.home_node,
			r->hello.home_pid, strerror(-e));
	r->last_rx = r->last_tx = mig_now_ns();
	while (o == GOING_ON) {
		struct pollfd pf[5] = {
			{ r->listener, POLLIN, 0 },
			{ mig_chan_fd(r->ch), POLLIN, 0 },
			{ r->status_fd, POLLIN, 0 },
			{ r->ctl_fd, POLLIN, 0 },
			{ r->trace_fd, POLLIN, 0 },
		};
		uint64_t now;
		uint32_t type;
		size_t len;

		if (r->want_home) {
			o = send_home(r);
			continue;
		}
		/* a negative fd is skipped */
		if (poll(pf, 5, 250) < 0 && errno != EINTR)
			break;
		if (pf[4].revents)
			rem_trace_events(r);
		if (r->ctl_fd >= 0 && pf[3].revents)
			ctl_request(r);
		if (pf[2].revents) {
			o = on_guest_end(r);
			break;
		}
		if (pf[0].revents & POLLIN)
			o = on_notification(r);
		if (o == GOING_ON && pf[1].revents &&
		    (!(pf[0].revents & POLLIN) || link_ready(r))) {
			if (mig_chan_recv(r->ch, &type, r->in, MIG_CHAN_MAX, &len))
				o = LOST;
			else
				o = on_message(r, type, len);
			r->last_rx = mig_now_ns();
		}
		if (o == GOING_ON)
			rem_trace_freeze(r);
		now = mig_now_ns();
		if (o == GOING_ON && r->guest > 0 &&
		    (r->stop_told || now < r->stop_watch_until ||
		     now - r->stop_checked >= STOP_POLL_NS))
			check_stop(r, 0);
		if (o == GOING_ON && now - r->last_rx > LOST_NS)
			o = LOST;
		/* busy or not: home counts the CPU time its process uses here */
		if (o == GOING_ON && r->guest > 0 && now - r->cpu_told > HEARTBEAT_NS &&
		    tell_cpu(r))
			o = LOST;
		if (o == GOING_ON && now - r->last_tx > HEARTBEAT_NS && send_rec(r, MIG_M_PING,
									       NULL, 0))
			o = LOST;
	}
	if (o == LOST || o == GOING_ON) {
		end_guest(r);
		return -ECONNRESET;
	}
	return 0;
}
