// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <linux/ptrace.h>	/* after sys/ptrace.h: PTRACE_LISTEN, EVENT_STOP */
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/dep.h"
#include "engine/dep_parent.h"
#include "engine/dep_prio.h"
#include "engine/dep_rusage.h"
#include "engine/dep_serve.h"
#include "engine/mig_cantmove.h"
#include "engine/mig_cipher.h"
#include "engine/mig_dump.h"
#include "engine/mig_files.h"
#include "engine/mig_freezer.h"
#include "engine/mig_proc.h"
#include "engine/mig_pstate.h"
#include "engine/mig_xstate.h"
#include "lib/cpufeat.h"

#define HEARTBEAT_NS 1000000000ull
#define LOST_NS (5 * HEARTBEAT_NS)
#define CALLS_TELL_NS (HEARTBEAT_NS / 10)
#define FILE_CHUNK ((4u << 20) - 4096)
#define STOP_WAIT_NS (200 * 1000000ull)	/* for a group stop to follow ours */
#define STOP_LATE_MAX 25		/* more waits while it may still stop: 5 s */
#define WARM_WAIT_NS (10 * HEARTBEAT_NS)	/* a move on's next node, for HAVE */
#define SLOW_CALL_US 1000000	/* tests: MOSIX_FAULT=slow-call, slow-call-told (openat) */

int dep_init(struct dep *d, pid_t pid, const struct mig_net *net, const char *run_dir)
{
	memset(d, 0, sizeof(*d));
	d->pid = pid;
	d->net = net;
	d->run_dir = run_dir;
	d->ctl_fd = -1;
	d->client_fd = -1;
	d->fault = getenv("MOSIX_FAULT");
	d->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (d->pidfd < 0)
		return -errno;
	dep_direct_init(&d->direct, d->pidfd, pid);
	d->in = mmap(NULL, MIG_CHAN_MAX, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);
	d->out = mmap(NULL, MIG_CHAN_MAX, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	d->task = mmap(NULL, sizeof(*d->task), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (d->in == MAP_FAILED || d->out == MAP_FAILED || d->task == MAP_FAILED) {
		dep_release(d);
		return -ENOMEM;
	}
	return 0;
}

static void close_chan(struct dep *d)
{
	if (!d->ch)
		return;
	mig_chan_close(d->ch);
	d->ch = NULL;
	d->sig_mark = 0;
}

static void move_on_drop(struct dep *d);

void dep_release(struct dep *d)
{
	close_chan(d);
	dep_direct_forget(&d->direct);
	dep_agent_release(&d->ag);
	free(d->moved);
	d->moved = NULL;
	free(d->files);
	d->files = NULL;
	move_on_drop(d);
	if (d->in && d->in != MAP_FAILED)
		munmap(d->in, MIG_CHAN_MAX);
	if (d->out && d->out != MAP_FAILED)
		munmap(d->out, MIG_CHAN_MAX);
	if (d->task && d->task != MAP_FAILED)
		munmap(d->task, sizeof(*d->task));
	if (d->pidfd >= 0)
		close(d->pidfd);
	d->in = d->out = NULL;
	d->task = NULL;
	d->pidfd = -1;
}

/* MOSIX_FAULT: one step, or several separated by commas */
static bool fault(const struct dep *d, const char *step)
{
	size_t n = strlen(step);
	const char *p = d->fault;

	while (p) {
		if (!strncmp(p, step, n) && (p[n] == ',' || !p[n]))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

static int send_rec(struct dep *d, uint32_t type, const void *p, size_t len)
{
	int e = mig_chan_send(d->ch, type, p, len);

	if (!e)
		d->last_tx = mig_now_ns();
	if (!e && type == MIG_M_SIGNAL)
		d->sig_mark = (uint32_t)mig_chan_sent(d->ch);
	return e;
}

static int recv_rec(struct dep *d, uint32_t *type, size_t *len)
{
	int e = mig_chan_recv(d->ch, type, d->in, MIG_CHAN_MAX, len);

	if (!e)
		d->last_rx = mig_now_ns();
	return e;
}

/* The node is lost while a call runs at home, and so is the process. */
static int call_lost(struct dep *d)
{
	d->lost = true;
	kill(d->pid, SIGKILL);
	return -1;
}

/*
 * Records from the node while a call runs at home: PINGs, and LEAVE when
 * the node expels the process (mosctl expel) and wants the call stopped.
 * Anything else is a broken stream: the node is lost, and so is the
 * process (SIGKILL at home).
 */
static int call_news(struct dep *d)
{
	struct pollfd pf = { mig_chan_fd(d->ch), POLLIN, 0 };
	uint8_t small[64];	/* d->in holds the call being served */

	while (poll(&pf, 1, 0) == 1) {
		uint32_t type;
		size_t len;

		if (mig_chan_recv(d->ch, &type, small, sizeof(small), &len) ||
		    (type != MIG_M_PING && type != MIG_M_LEAVE) || len)
			goto out_lost;
		d->last_rx = mig_now_ns();
		/* the node sends it home by itself: COMEHOME follows */
		if (type == MIG_M_LEAVE)
			d->want_back = true;
	}
	if (pf.revents & (POLLERR | POLLHUP))
		goto out_lost;
	return 0;

out_lost:
	return call_lost(d);
}

/*
 * The process is wanted back, or a request waits that may want it
 * (migrate home, a move on), or its node expels it, or a move on's next
 * node answered (or never will): a call it waits in at home (a read of a
 * quiet pipe) would hold it away for as long. Stopped, the call aborts
 * before it did anything; the main loop then takes the request, and the
 * node, once it has COMEHOME or sent LEAVE, leaves the call to be made
 * again at home.
 */
static bool call_wanted(void *arg)
{
	struct dep *d = arg;
	struct pollfd pf[3] = {
		{ d->ctl_fd, POLLIN, 0 },
		{ mig_chan_fd(d->ch), POLLIN, 0 },
		/* a move on's next node: its answer to WARM, for COMEHOME */
		{ d->next ? mig_chan_fd(d->next) : -1, POLLIN, 0 },
	};

	/* a negative fd is skipped */
	if (poll(pf, 3, 0) > 0 && pf[1].revents && call_news(d))
		return false;	/* lost: the process is being killed */
	return d->want_back || (pf[0].revents & POLLIN) || pf[2].revents ||
	       (d->next && mig_now_ns() - d->next_since > WARM_WAIT_NS);
}

/*
 * While a call blocks at home (dep_agent.h): the node, waiting for the
 * answer, says nothing unless it expels the process (call_news); TCP
 * keepalive (mig_net_keepalive) makes the socket fail when its machine or
 * link is gone. Then, or at its end of the stream, the node is lost, and
 * so is the process. PINGs are sent meanwhile, for a node that counts
 * them.
 */
static int call_tick(void *arg)
{
	struct dep *d = arg;

	if (call_news(d))
		return -1;
	if (mig_now_ns() - d->last_tx > HEARTBEAT_NS && send_rec(d, MIG_M_PING, NULL, 0))
		return call_lost(d);
	return 0;
}

int dep_park(struct dep *d)
{
	struct user_regs_struct r = d->j.saved;

	if (d->agent) {
		if (dep_agent_start(&d->ag, &d->j))
			return -ESRCH;
		d->parked = true;
		return 0;
	}
	r.rip = d->j.gadget;
	r.rax = SYS_pause;
	r.orig_rax = (unsigned long long)-1;
	if (ptrace(PTRACE_SETREGS, d->pid, 0, &r) || ptrace(PTRACE_CONT, d->pid, 0, 0))
		return -ESRCH;
	d->parked = true;
	return 0;
}

int dep_unpark(struct dep *d)
{
	int e;

	if (!d->parked)
		return 0;
	e = inj_interrupt(&d->j);
	d->parked = false;
	d->ag.running = false;
	return e;
}

uint64_t dep_cpu_need(const struct dep *d)
{
	char path[64], *env = NULL;
	size_t len = 0, cap = 0;
	uint64_t off = 0;
	ssize_t k;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/environ", d->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto out;
	for (;;) {
		if (len == cap) {
			char *n = realloc(env, cap ? cap * 2 : 4096);

			if (!n)
				goto out_close;
			env = n;
			cap = cap ? cap * 2 : 4096;
		}
		k = read(fd, env + len, cap - len);
		if (k <= 0)
			break;
		len += (size_t)k;
	}
	off = cpufeat_glibc_off(env, len);
out_close:
	close(fd);
	free(env);
out:
	return cpufeat_local() & ~off & ~d->net->cpu_ignore;
}

void dep_hello(const struct dep *d, uint64_t mem_bytes, struct mig_hello *h)
{
	struct mig_xlayout xl;
	struct timespec m, b;
	char path[64];
	int fd;

	memset(h, 0, sizeof(*h));
	h->version = MIG_VERSION;
	h->home_node = d->net->self;
	h->home_pid = d->pid;
	mig_xstate_layout(&xl);
	h->xcr0 = xl.features;
	/* the node checks TASK's own; HELLO may precede the dump */
	h->xsize = xl.size;
	h->ciphers = mig_cipher_offer();
	h->cpu_need = d->cpu_need;
	h->mem_bytes = mem_bytes;
	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_BOOTTIME, &b);
	h->mono_ns = (int64_t)m.tv_sec * 1000000000 + m.tv_nsec;
	h->boot_ns = (int64_t)b.tv_sec * 1000000000 + b.tv_nsec;
	snprintf(path, sizeof(path), "/proc/%d/comm", d->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t k = read(fd, h->comm, sizeof(h->comm) - 1);

		if (k > 0 && h->comm[k - 1] == '\n')
			h->comm[k - 1] = 0;
		close(fd);
	}
	{
		char st[64];
		FILE *f;
		unsigned uid;

		snprintf(st, sizeof(st), "/proc/%d/status", d->pid);
		f = fopen(st, "re");
		while (f && fgets(path, sizeof(path), f))
			if (sscanf(path, "Uid: %u", &uid) == 1)
				h->uid = uid;
		if (f)
			fclose(f);
	}
}

/*
 * The names of the process's mappings (files, offsets) as home knows
 * them: the node restores memory without files and lists these names in
 * the process's /proc/self/maps.
 */
static int send_maps(struct dep *d)
{
	char path[64];
	ssize_t n, len = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/maps", d->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;	/* only names: not worth failing for */
	while ((n = read(fd, d->out + len, MIG_CHAN_MAX - (size_t)len)) > 0)
		len += n;
	close(fd);
	return send_rec(d, MIG_M_MAPS, d->out, (size_t)len);
}

/* Whether the record in d->in is the node's ABORT; its reason into @why. */
static bool node_aborted(const struct dep *d, uint32_t type, size_t len, char *why,
			 size_t whylen)
{
	if (type != MIG_M_ABORT || mig_reason_check(d->in, len))
		return false;
	snprintf(why, whylen, "the node could not restore it: %s",
		 ((const struct mig_reason *)d->in)->text);
	return true;
}

/*
 * FILES -> HAVE: the system files the process maps that the node has too
 * need not travel (mig_files.h). Nothing to offer, no records: the node
 * goes on to VMAS. A file that cannot be hashed here is simply sent.
 */
static int offer_files(struct dep *d, struct mig_vma *v, uint32_t n,
		       const struct mig_pagebits *pb, char *why, size_t whylen)
{
	struct mig_files_hdr *h = (struct mig_files_hdr *)d->out;
	struct mig_file *f = (struct mig_file *)(h + 1);
	char cache[4096];
	uint32_t type;
	size_t len;
	int e;

	_Static_assert(sizeof(*h) + MIG_MAX_FILES * sizeof(*f) <= MIG_CHAN_MAX, "FILES fits");
	mig_files_cache_dir(d->run_dir, cache, sizeof(cache));
	memset(h, 0, sizeof(*h));
	if (mig_files_collect(d->pid, cache, v, n, f, &h->count, &d->frozen_hashed) || !h->count)
		return 0;
	dep_keep_files(d, h, sizeof(*h) + h->count * sizeof(*f));
	e = send_rec(d, MIG_M_FILES, h, sizeof(*h) + h->count * sizeof(*f));
	if (!e)
		e = recv_rec(d, &type, &len);
	/* a node that failed before it read FILES says so in place of HAVE */
	if (!e && node_aborted(d, type, len, why, whylen))
		return -ECANCELED;
	if (!e && (type != MIG_M_HAVE || mig_fixed_check(type, len)))
		e = -EPROTO;
	if (!e)
		e = mig_files_settle(d->pid, v, n, (const struct mig_have *)d->in, pb);
	if (e)
		snprintf(why, whylen, "the node did not say which files it has: %s",
			 strerror(-e));
	return e;
}

void dep_keep_files(struct dep *d, const void *rec, size_t len)
{
	const struct mig_file *f;
	uint32_t n;

	if (mig_files_check(rec, len, &f, &n))
		return;
	if (!d->files)
		d->files = malloc(sizeof(*d->files) + MIG_MAX_FILES * sizeof(*f));
	if (!d->files)
		return;		/* only a move on's head start lost */
	memcpy(d->files, rec, len);
}

void dep_refusal_text(const struct mig_reason *r, char *why, size_t whylen)
{
	unsigned long long lacks;
	unsigned node;

	if (sscanf(r->text, MIG_REASON_CPU_FMT, &node, &lacks) == 2) {
		char names[1024];

		cpufeat_names(lacks, names, sizeof(names));
		snprintf(why, whylen, MIG_REASON_CPU_NAMES, node, names);
		return;
	}
	snprintf(why, whylen, "%s", r->text);
}

/*
 * A REFUSE the node answered with (@type, @len of d->in): its reason in
 * @why and its error (-EPERM if it gave none); 0 for any other record.
 */
static int refused(const struct dep *d, uint32_t type, size_t len, char *why, size_t whylen)
{
	const struct mig_reason *r = (const void *)d->in;

	if (type != MIG_M_REFUSE || mig_reason_check(d->in, len))
		return 0;
	dep_refusal_text(r, why, whylen);
	return r->err < 0 ? r->err : -EPERM;
}

static void connect_failed(uint32_t node, int e, char *why, size_t whylen)
{
	snprintf(why, whylen, "cannot reach node %u: %s", node,
		 e == -EKEYREJECTED ? "the cluster keys differ" :
		 e == -EPERM ? "it does not take this node (not in its map, or another "
			       "address)" : strerror(-e));
}

static int warm_failed(int e, char *why, size_t whylen)
{
	snprintf(why, whylen, "the node did not take the list of its files (%s)%s",
		 strerror(-e), e == -ECONNRESET || e == -EPIPE ?
		 ": does it run an older mosix (stream version 10 or less)?" : "");
	return e;
}

/* The answer to WARM on @ch: HAVE, or REFUSE with its reason in @why. */
static int warm_heard(struct dep *d, struct mig_chan *ch, char *why, size_t whylen)
{
	uint32_t type;
	size_t len;
	int e = mig_chan_recv(ch, &type, d->in, MIG_CHAN_MAX, &len);

	if (e)
		return warm_failed(e, why, whylen);
	e = refused(d, type, len, why, whylen);
	if (e)
		return e;
	if (type != MIG_M_HAVE || mig_fixed_check(type, len))
		return warm_failed(-EPROTO, why, whylen);
	return 0;
}

/* A move on given up (or taken by dep_move): the next node's link goes. */
static void move_on_drop(struct dep *d)
{
	mig_chan_close(d->next);
	d->next = NULL;
	d->next_node = 0;
}

/* COMEHOME to the node running it: the guest stops there, for d->next_node. */
static int move_on_ask(struct dep *d, uint32_t *move_to, char *why, size_t whylen)
{
	struct mig_comehome c = { .reason = MIG_HOME_ASKED };
	int e = send_rec(d, MIG_M_COMEHOME, &c, sizeof(c));

	if (e) {
		snprintf(why, whylen, "the node does not answer");
		move_on_drop(d);
		return e;
	}
	d->want_back = true;
	*move_to = d->next_node;
	d->asked_ns = mig_now_ns();
	return 0;
}

/*
 * WARM -> HAVE, before the stop: the files the process maps now, so that
 * a first move to this node hashes them on both sides while it still
 * runs, each side at once; FILES, once it is stopped, then finds them in
 * both caches (a file it maps in between is hashed then, as before).
 * Nothing to list, no records. The list's hashes are zero, so HAVE only
 * says the node is done.
 */
static int warm_files(struct dep *d, char *why, size_t whylen)
{
	struct mig_files_hdr *h = (struct mig_files_hdr *)d->out;
	struct mig_file *f = (struct mig_file *)(h + 1);
	char cache[4096];
	uint32_t n;
	int e;

	memset(h, 0, sizeof(*h));
	if (mig_files_list(d->pid, NULL, f, &h->count, NULL) || !h->count)
		return 0;
	h->pad = MIG_VERSION;	/* HELLO, which carries it too, comes later */
	e = send_rec(d, MIG_M_WARM, h, sizeof(*h) + h->count * sizeof(*f));
	/*
	 * Home's own while the node hashes (the list's buffer is free again).
	 * Its result does not matter: FILES hashes whatever is still missing.
	 */
	mig_files_cache_dir(d->run_dir, cache, sizeof(cache));
	if (!e) {
		mig_files_list(d->pid, cache, f, &n, &d->warm_hashed);
		return warm_heard(d, d->ch, why, whylen);
	}
	return warm_failed(e, why, whylen);
}

/*
 * A move on: connect to @node and, if the process's files are known
 * (d->files), list them (WARM), so that the node hashes its copies while
 * the guest still runs where it is; the old node is asked to stop it
 * only once the node answers (move_on_warmed). d->next is then set; with
 * no list, the old node is asked at once. On failure nothing was
 * stopped, and the reason is in @why.
 */
static int move_on(struct dep *d, uint32_t node, uint32_t *move_to, char *why, size_t whylen)
{
	struct mig_files_hdr *h = (struct mig_files_hdr *)d->out;
	struct mig_file *f = (struct mig_file *)(h + 1);
	int e;

	move_on_drop(d);
	e = mig_net_connect(d->net, node, &d->next);
	if (e) {
		connect_failed(node, e, why, whylen);
		return e;
	}
	d->next_node = node;
	if (!d->files || !d->files->count)
		return move_on_ask(d, move_to, why, whylen);
	memcpy(h, d->files, sizeof(*h) + d->files->count * sizeof(*f));
	/* names and sizes: which of them match is for FILES to say */
	for (uint32_t i = 0; i < h->count; i++)
		memset(f[i].hash, 0, sizeof(f[i].hash));
	h->pad = MIG_VERSION;
	e = mig_chan_send(d->next, MIG_M_WARM, h, sizeof(*h) + h->count * sizeof(*f));
	if (e) {
		move_on_drop(d);
		return warm_failed(e, why, whylen);
	}
	d->next_since = mig_now_ns();
	return 0;
}

/* The next node answered WARM: ask the old one for the guest. */
static int move_on_warmed(struct dep *d, uint32_t *move_to, char *why, size_t whylen)
{
	int e = warm_heard(d, d->next, why, whylen);

	if (e) {
		move_on_drop(d);
		return e;
	}
	return move_on_ask(d, move_to, why, whylen);
}

/*
 * WELCOME (and CIPHER), or REFUSE with its reason, after the HELLO sent at
 * the stop: the node made the guest's namespaces and processes meanwhile,
 * while this side read the process.
 */
static int welcomed(struct dep *d, const struct mig_hello *h, char *why, size_t whylen)
{
	uint32_t type;
	size_t len;
	int e;

	e = recv_rec(d, &type, &len);
	if (e) {
		snprintf(why, whylen, "the node did not answer: %s", strerror(-e));
		return e;
	}
	e = refused(d, type, len, why, whylen);
	if (e)
		return e;
	if (type != MIG_M_WELCOME) {
		snprintf(why, whylen, "the node answered out of turn");
		return -EPROTO;
	}
	e = mig_cipher_follow(d->ch, h->ciphers, d->in, MIG_CHAN_MAX);
	if (e)
		snprintf(why, whylen, "the node chose no cipher we offered: %s", strerror(-e));
	return e;
}

/* READY or ABORT after the image: READY is the commit point. */
static int await_ready(struct dep *d, char *why, size_t whylen)
{
	uint32_t type;
	size_t len;
	int e = recv_rec(d, &type, &len);

	if (e) {
		snprintf(why, whylen, "the node failed during the transfer: %s", strerror(-e));
		return e;
	}
	if (node_aborted(d, type, len, why, whylen))
		return -ECANCELED;
	if (type != MIG_M_READY || mig_fixed_check(type, len)) {
		snprintf(why, whylen, "the node answered out of turn");
		return -EPROTO;
	}
	return 0;
}

/*
 * After the commit the home keeps only its kernel state. rseq goes first:
 * otherwise the kernel's next cpu_id update faults on freed memory and
 * kills the process.
 */
static void drop_home_memory(struct dep *d, const struct mig_vma *v, uint32_t n)
{
	uint64_t zero = 0;

	if (d->task->rseq_ptr)
		inj_call(&d->j, SYS_rseq, (long)d->task->rseq_ptr, d->task->rseq_len, 1,
			 d->task->rseq_sig, 0, 0);
	for (uint32_t i = 0; i < n; i++)
		inj_call(&d->j, SYS_munmap, (long)v[i].start, (long)(v[i].end - v[i].start), 0,
			 0, 0, 0);
	/* every signal now stops the home process, to be forwarded */
	inj_set_mask(&d->j, zero);
	dep_home_stops(d);
}

void dep_home_stops(struct dep *d)
{
	static const int stops[] = { SIGTSTP, SIGTTIN, SIGTTOU };
	static const uint64_t dfl[4] = { 0 };	/* SIG_DFL, no flags, mask */

	if (inj_put(&d->j, d->j.scratch + 64, dfl, sizeof(dfl)))
		return;
	for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
		inj_call(&d->j, SYS_rt_sigaction, stops[i], (long)(d->j.scratch + 64), 0, 8, 0,
			 0);
}

/* the kernel's copy, if it keeps one: the deputy logs a failure */
static void write_kernel_state(struct dep *d, const struct mig_pstate *ps)
{
	int e = mig_pstate_kernel(d->pid, ps);

	if (e && !d->kernel_err)
		d->kernel_err = e;
}

static void write_state(struct dep *d)
{
	struct mig_pstate ps = { 0 };

	mig_pstate_read(d->run_dir, d->pid, &ps);
	ps.where = d->where;
	ps.nmigs = d->nmigs;
	mig_pstate_write(d->run_dir, d->pid, &ps);
	write_kernel_state(d, &ps);
}

/*
 * write_state after a move whose files went aside before the commit
 * (@aside_e their result): on a slow file system the writes took a
 * millisecond, and `migrate` waits for them; the renames are quick.
 */
static void commit_state(struct dep *d, struct mig_pstate_aside *aside, int aside_e)
{
	struct mig_pstate ps = { .where = d->where, .nmigs = d->nmigs };

	if (aside_e || mig_pstate_aside_commit(aside)) {
		write_state(d);
		return;
	}
	write_kernel_state(d, &ps);
}

/*
 * How the scheduler treats it at home: its nice value and a policy for
 * batch or idle work (real-time ones keep it home, mig_cantmove).
 */
static int read_sched(pid_t pid, struct mig_task *t)
{
	struct mig_prio m;
	int e = dep_prio_read(pid, &m);

	if (e)
		return e;
	t->nice = m.nice;
	t->policy = m.policy;
	return 0;
}

/* A value of /proc/PID/limits: a number, or "unlimited". */
static int limit_value(const char *s, uint64_t *ret)
{
	char *end;

	if (!strcmp(s, "unlimited")) {
		*ret = RLIM_INFINITY;
		return 0;
	}
	errno = 0;
	*ret = strtoull(s, &end, 10);
	return errno || *end || end == s ? -EIO : 0;
}

/*
 * The limits that bind where it runs (mig_img.h), as home has them, and
 * whether home would write its core (MIG_TASK_CORE), from
 * /proc/PID/limits: prlimit would need CAP_SYS_RESOURCE for another
 * user's process even to read. The kernel prints one line per resource,
 * in the order of their numbers, the name in the first 26 columns.
 */
static int read_limits(pid_t pid, struct mig_task *t)
{
	static const int res[MIG_RLIM_NR] = MIG_RLIM_RES;
	char path[64], line[128], soft[32], hard[32];
	uint64_t cur[RLIM_NLIMITS], max[RLIM_NLIMITS];
	int n = -1, e = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!e && fgets(line, sizeof(line), f)) {
		if (n >= 0 && n < RLIM_NLIMITS) {
			if (strlen(line) < 26 || sscanf(line + 26, "%31s %31s", soft, hard) != 2 ||
			    limit_value(soft, &cur[n]) || limit_value(hard, &max[n]))
				e = -EIO;
		}
		n++;
	}
	fclose(f);
	if (e || n < RLIM_NLIMITS)
		return e ? e : -EIO;
	for (int i = 0; i < MIG_RLIM_NR; i++)
		t->rlim[i] = (struct mig_rlim){ cur[res[i]], max[res[i]] };
	if (cur[RLIMIT_CORE])
		t->flags |= MIG_TASK_CORE;
	return 0;
}

int dep_migrate(struct dep *d, uint32_t node, char *why, size_t whylen)
{
	struct mig_pstate_aside aside = { .dfd = -1 };
	struct mig_pagebits pb = { 0 };
	struct mig_dump_stats st = { 0 };
	struct mig_excl ex;
	struct mig_hello h;
	struct mig_vma *v = NULL;
	struct mig_pstate ps = { 0 };
	enum mig_cant cant;
	uint64_t t0, vd[1][2];
	uint32_t n;
	int e, aside_e;

	mig_pstate_read(d->run_dir, d->pid, &ps);
	d->nmigs = ps.nmigs;
	/*
	 * Connect and authenticate before the stop: the process runs on
	 * meanwhile, the node's migd forks its side, and a node that cannot
	 * be reached or refuses the key never stops it.
	 */
	e = mig_net_connect(d->net, node, &d->ch);
	if (e) {
		connect_failed(node, e, why, whylen);
		return e;
	}
	e = warm_files(d, why, whylen);
	if (e)
		goto out_close;
	/* tests: time to change the process between migd's check and the stop */
	if (fault(d, "late-stop"))
		sleep(2);
	t0 = mig_now_ns();
	e = inj_seize(d->pid);
	if (e) {
		snprintf(why, whylen, "cannot stop it: %s", strerror(-e));
		goto out_close;
	}
	/* migd's check ran before the stop: a thread started since would be
	 * left running on memory that goes */
	e = mig_cantmove_frozen(d->pid, d->run_dir, &cant);
	if (e || cant != MIG_CAN) {
		snprintf(why, whylen, "%s", e ? strerror(-e) : mig_cant_str(cant));
		e = e ? e : -EBUSY;
		goto out_detach;
	}
	/*
	 * HELLO now, with its clocks and (as its memory) what is resident:
	 * the node makes the guest's namespaces and processes while this
	 * side reads the process, instead of after.
	 */
	d->cpu_need = dep_cpu_need(d);
	dep_hello(d, mig_proc_rss(d->pid), &h);
	e = send_rec(d, MIG_M_HELLO, &h, sizeof(h));
	if (e) {
		snprintf(why, whylen, "the node did not answer: %s", strerror(-e));
		goto out_detach;
	}
	e = inj_setup(&d->j, d->pid, DEP_SCRATCH_LEN);
	if (e) {
		snprintf(why, whylen, "cannot prepare it: %s", strerror(-e));
		goto out_detach;
	}
	e = mig_dump_cant(&d->j, &cant);
	if (e || cant != MIG_CAN) {
		snprintf(why, whylen, "%s", e ? strerror(-e) : mig_cant_str(cant));
		e = e ? e : -EBUSY;
		goto out_teardown;
	}
	e = mig_proc_vdso(d->pid, &vd[0][0], &vd[0][1]);
	if (!e)
		e = inj_step_out(&d->j, vd, 1);
	if (e && e != -ENOENT) {
		snprintf(why, whylen, "cannot step it out of the vDSO: %s", strerror(-e));
		goto out_teardown;
	}
	memset(d->task, 0, sizeof(*d->task));
	e = mig_dump_state(&d->j, d->task);
	if (e) {
		if (e == -EAGAIN)
			snprintf(why, whylen, "it waits in the kernel's restart of a system call "
				 "that cannot be told; try again once the call returns");
		else
			snprintf(why, whylen, "cannot read its state: %s", strerror(-e));
		goto out_teardown;
	}
	d->task->home_pid = d->pid;
	mig_proc_stat(d->pid, NULL, &d->task->home_ppid);
	d->task->nmigs = d->nmigs + 1;
	/* its CPU clock and limit on the node count its earlier trips too */
	mig_pstate_read_cpu(d->run_dir, d->pid, &d->away_ns);
	d->home_ns = mig_proc_cpu_ns(d->pid);
	d->guest_ns = 0;
	d->task->cpu_ns = d->home_ns + d->away_ns;
	e = read_limits(d->pid, d->task);
	if (!e)
		e = read_sched(d->pid, d->task);
	if (!e)
		e = mig_proc_personality(d->pid, &d->task->personality);
	if (e) {
		snprintf(why, whylen, "cannot read its limits, priority or personality: %s",
			 strerror(-e));
		goto out_teardown;
	}
	d->task->home_scratch = d->j.scratch;
	d->task->home_scratch_len = d->j.scratch_len;
	d->home_sigmask = d->task->sigmask;
	ex = (struct mig_excl){ d->j.scratch, d->j.scratch + d->j.scratch_len };
	e = mig_dump_vmas(d->pid, &ex, 1, d->task, &v, &n, &pb);
	if (e) {
		snprintf(why, whylen, "%s", e == -EBUSY ? "writable shared mapping" :
			 e == -EFBIG ? "a mapping of over 64 GiB, too large to scan "
				       "(AddressSanitizer's shadow?)" :
			 "cannot read its memory map");
		goto out_teardown;
	}
	e = welcomed(d, &h, why, whylen);
	if (e)
		goto out_teardown;
	e = send_rec(d, MIG_M_TASK, d->task, sizeof(*d->task));
	if (!e)
		e = send_maps(d);
	if (!e) {
		e = offer_files(d, v, n, &pb, why, whylen);
		if (e)
			goto out_teardown;
	}
	if (!e)
		e = mig_dump_pages(d->pid, v, n, d->ch, &st, &pb);
	/* the pages went: the bits are of no more use */
	mig_pagebits_free(&pb);
	if (!e)
		d->last_tx = mig_now_ns();
	if (e) {
		snprintf(why, whylen, "the transfer to node %u broke: %s", node, strerror(-e));
		goto out_teardown;
	}
	/* while the node restores: the state files, all but their renames */
	aside_e = mig_pstate_aside_move(d->run_dir, d->pid, node, d->nmigs + 1, &aside);
	e = await_ready(d, why, whylen);
	if (e)
		goto out_teardown;
	if (fault(d, "commit")) {
		snprintf(why, whylen, "fault injected before the commit");
		e = -ECANCELED;
		goto out_teardown;
	}
	/* commit: from here the node runs the process */
	e = send_rec(d, MIG_M_GO, NULL, 0);
	if (e) {
		snprintf(why, whylen, "node %u went away at the commit", node);
		goto out_teardown;
	}
	/*
	 * Its memory is about to go: from now on, should this deputy die,
	 * the home process must die too (its parent sees SIGKILL), not run
	 * on as an empty shell. Detaching (coming home) ends this.
	 */
	ptrace(PTRACE_SETOPTIONS, d->pid, 0, PTRACE_O_EXITKILL);
	d->sent_bytes = st.bytes;
	d->frozen_ns = mig_now_ns() - t0;
	d->where = node;
	d->nmigs++;
	commit_state(d, &aside, aside_e);
	d->moved = v;
	d->nmoved = n;
	return 0;

out_teardown:
	mig_pstate_aside_drop(&aside);
	mig_pagebits_free(&pb);
	free(v);
	/* signals that came while we held it are its own again */
	inj_requeue(&d->j);
	inj_teardown(&d->j);
out_detach:
	ptrace(PTRACE_DETACH, d->pid, 0, 0);
	inj_send_after(&d->j);
out_close:
	close_chan(d);
	return e;
}

int dep_settle(struct dep *d)
{
	uint8_t *args = malloc(DEP_ARGS_LEN);
	size_t alen = 0, elen = 0;

	if (args)
		alen = dep_args_read(d, args, &elen);
	drop_home_memory(d, d->moved, d->nmoved);
	dep_args_keep(d, args, alen, elen);
	free(args);
	free(d->moved);
	d->moved = NULL;
	d->nmoved = 0;
	/* without the agent, each call is one more ptrace stop: slower, right */
	d->agent = !fault(d, "no-agent") && !dep_agent_plant(&d->ag, &d->j, d->pidfd);
	d->ag.tick = call_tick;
	d->ag.wanted = call_wanted;
	d->ag.tick_arg = d;
	return dep_park(d);
}

static void reply_client(struct dep *d, const char *text)
{
	if (d->client_fd < 0)
		return;
	/* the command may have gone away: nothing more to tell then */
	(void)send(d->client_fd, text, strlen(text), MSG_NOSIGNAL);
	close(d->client_fd);
	d->client_fd = -1;
}

/* Why it stays away, for a bring that waits here (migd's "stays"). */
static void tell_stays(const struct dep *d, const char *why)
{
	char t[DEP_WHY_MAX + 80];

	if (d->ctl_fd < 0)
		return;
	snprintf(t, sizeof(t), "stays %s", why);
	send(d->ctl_fd, t, strlen(t), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* "err WHY" (about node @node, if not 0) to the command waiting */
static void reply_err(struct dep *d, uint32_t node, const char *why)
{
	char t[DEP_WHY_MAX + 32];

	if (node)
		snprintf(t, sizeof(t), "err node %u: %s", node, why);
	else
		snprintf(t, sizeof(t), "err %s", why);
	reply_client(d, t);
}

static void forward_pending(struct dep *d)
{
	if (d->j.lost)
		fprintf(stderr, "mosix-migd: process %d: %d queued signals lost at home\n",
			d->pid, d->j.lost);
	d->j.lost = 0;
	for (int i = 0; i < d->j.npending; i++) {
		struct mig_signal s;

		mig_signal_make(&s, d->j.pending[i], &d->j.pending_info[i]);
		send_rec(d, MIG_M_SIGNAL, &s, sizeof(s));
	}
	d->j.npending = 0;
}

static int on_sigchld(struct dep *d);

static int serve_call(struct dep *d, size_t len)
{
	const struct mig_fwd_call *c = len >= sizeof(*c) ? (const void *)d->in : NULL;
	size_t out_len;
	bool aborted;
	int e;

	/* a regular file's read or write, on our copy of the descriptor */
	if (d->agent) {
		if (dep_direct_call(&d->direct, d->in, len, d->out, MIG_CHAN_MAX, &out_len) == 1)
			goto out_answer;
		/* anything else may change the descriptors or the limits */
		dep_direct_forget(&d->direct);
	}
	/*
	 * tests: a signal at home meets an open on its way here, noted as
	 * the call starts ("slow-call"), or sent to the node first, where
	 * it waits for the call's answer ("slow-call-told")
	 */
	if ((fault(d, "slow-call") || fault(d, "slow-call-told")) && c && c->nr == SYS_openat) {
		usleep(SLOW_CALL_US);
		if (fault(d, "slow-call-told") && on_sigchld(d))
			return -ESRCH;
	}
	/*
	 * A signal the node had not seen when it sent the call waits there
	 * for its answer: as pending during the call, it ends the call's
	 * first interruptible wait (natively it would not begin one).
	 */
	if (c)
		d->j.interrupt = (int32_t)(d->sig_mark - c->seen) > 0;
	/* with the agent, the process stays in its loop */
	e = d->agent ? 0 : dep_unpark(d);
	/* noted as it was woken for the call (no agent): pending as well */
	if (d->j.npending)
		d->j.interrupt = 1;
	if (!e)
		e = dep_serve_call(&d->j, d->agent ? &d->ag : NULL, d->in, len, d->out,
				   MIG_CHAN_MAX, &out_len, &aborted);
	if (e == -ESRCH)
		return e;
	if (e) {
		/* a call home cannot make as described (its buffers do not
		 * fit): it fails there, rather than waiting for ever */
		struct mig_fwd_ret *rr = (struct mig_fwd_ret *)d->out;
		const struct mig_fwd_buf *b;
		const uint8_t *in;
		size_t in_len;

		if (mig_fwd_call_check(d->in, len, &b, &in, &in_len) || c->nbuf > 64)
			return -EPROTO;
		*rr = (struct mig_fwd_ret){ .ret = -EINVAL, .nbuf = c->nbuf };
		memset(rr + 1, 0, c->nbuf * sizeof(uint32_t));
		out_len = sizeof(*rr) + c->nbuf * sizeof(uint32_t);
		goto out_answer;
	}
	/* its CPU time on nodes too, as the node's CPU clocks count it */
	dep_rusage_add(d->in, d->out, out_len, d->away_ns + d->guest_ns, sysconf(_SC_CLK_TCK));
	/*
	 * Signals that came during the call go first: the node delivers them
	 * as the call returns (raise() runs its handler before it returns),
	 * or makes the call again after a handler with SA_RESTART.
	 */
	(void)aborted;
out_answer:
	forward_pending(d);
	e = send_rec(d, MIG_M_SYSRET, d->out, out_len);
	/* busy at home, not silent: a long blocking call is no lost node */
	d->last_rx = mig_now_ns();
	if (!e && !d->agent)
		e = dep_park(d);
	return e;
}

/* Bytes of a home fd for a file mmap on the node, read through a copy of
 * the fd (pidfd_getfd): no injection, the home process is not disturbed. */
static int serve_file(struct dep *d, size_t len)
{
	struct mig_filereq q;
	struct mig_filedata *fd = (struct mig_filedata *)d->out;
	uint64_t done = 0;
	int f, e = 0;

	if (mig_fixed_check(MIG_M_FILEREQ, len))
		return -EPROTO;
	memcpy(&q, d->in, sizeof(q));
	f = (int)syscall(SYS_pidfd_getfd, d->pidfd, q.fd, 0);
	if (f < 0) {
		fd->ret = -errno;
		return send_rec(d, MIG_M_FILEDATA, fd, sizeof(*fd));
	}
	while (done < q.len) {
		size_t want = q.len - done < FILE_CHUNK ? q.len - done : FILE_CHUNK;
		ssize_t n = pread(f, d->out + sizeof(*fd), want, (off_t)(q.off + done));

		if (n <= 0)
			break;
		fd->ret = n;
		e = send_rec(d, MIG_M_FILEDATA, fd, sizeof(*fd) + (size_t)n);
		if (e)
			break;
		done += (uint64_t)n;
	}
	close(f);
	if (e)
		return e;
	fd->ret = 0;
	return send_rec(d, MIG_M_FILEDATA, fd, sizeof(*fd));
}

/*
 * The node's process ended: the home process ends the same way, so that
 * its parent sees the true status.
 */
static void finish(struct dep *d, const struct mig_exit *how)
{
	struct mig_exit e = *how;
	int st;

	/* our copies of its files go first: its locks end with it */
	dep_direct_forget(&d->direct);
	if (dep_unpark(d))
		return;
	if (e.signaled && (e.code <= 0 || e.code > MIG_NSIG))
		e.code = SIGKILL;	/* no such signal: killed, then */
	if (!e.signaled) {
		inj_call(&d->j, SYS_exit_group, e.code, 0, 0, 0, 0, 0);
	} else {
		/* no core of the emptied home process: the memory was elsewhere */
		static const uint64_t no_core[2] = { 0, 0 };
		struct {
			uint64_t handler, flags, restorer, mask;
		} dfl = { 0 };
		uint64_t unblock = 1ull << (e.code - 1);

		inj_put(&d->j, d->j.scratch + 192, no_core, sizeof(no_core));
		inj_call(&d->j, SYS_prlimit64, 0, RLIMIT_CORE, (long)(d->j.scratch + 192), 0, 0, 0);
		/* SIG_DFL and unblocked; resumed from the trap with the signal */
		inj_put(&d->j, d->j.scratch + 64, &dfl, sizeof(dfl));
		inj_put(&d->j, d->j.scratch + 128, &unblock, 8);
		inj_call(&d->j, SYS_rt_sigaction, e.code, (long)(d->j.scratch + 64), 0, 8, 0, 0);
		inj_call(&d->j, SYS_rt_sigprocmask, SIG_UNBLOCK, (long)(d->j.scratch + 128), 0, 8,
			 0, 0);
		ptrace(PTRACE_CONT, d->pid, 0, e.code);
	}
	while (waitpid(d->pid, &st, __WALL) == d->pid && WIFSTOPPED(st))
		ptrace(PTRACE_CONT, d->pid, 0, WSTOPSIG(st) == SIGTRAP ? 0 : WSTOPSIG(st));
}

/*
 * The stop signal the deputy itself sent (the guest stopped): home stops
 * with it, so that its shell sees what the guest saw ("Stopped" for a ^Z,
 * not "Stopped (signal)"). A SIGCONT that comes first discards it, and
 * ends our waiting for it (on_sigchld).
 */
static bool own_stop(const struct dep *d, int sig)
{
	/* a user's, if any, is the same: the guest is stopped already */
	return d->stopping && sig == d->stop_sig;
}

/* Tracee events: signals to forward, or the end of the home process. */
static int on_sigchld(struct dep *d)
{
	struct mig_signal k = { .sig = SIGKILL };
	int st;

	for (;;) {
		struct mig_signal s;
		siginfo_t si;
		pid_t w;

		/* reaped already, by an injection's wait */
		if (d->j.dead)
			goto out_ended;
		w = waitpid(d->pid, &st, __WALL | WNOHANG);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == ECHILD)
			goto out_ended;
		if (w != d->pid)
			return 0;
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			d->j.dead = 1;
			d->j.status = st;
			goto out_ended;
		}
		if ((st >> 16) == PTRACE_EVENT_STOP && WSTOPSIG(st) != SIGTRAP) {
			/* in group stop, as its shell sees it: stay, but hear SIGCONT */
			d->stop_deadline = 0;
			ptrace(PTRACE_LISTEN, d->pid, 0, 0);
			continue;
		}
		if ((st >> 16) != 0) {
			ptrace(PTRACE_CONT, d->pid, 0, 0);
			continue;
		}
		s = (struct mig_signal){ .sig = WSTOPSIG(st) };
		s.has_info = !ptrace(PTRACE_GETSIGINFO, d->pid, 0, &si);
		if (!s.has_info)
			memset(&si, 0, sizeof(si));
		if (own_stop(d, s.sig)) {
			/*
			 * Into group stop for real (its stop disposition is
			 * SIG_DFL), unless its group is orphaned here, where the
			 * kernel drops SIGTSTP, SIGTTIN and SIGTTOU: then no
			 * group stop follows, and dep_serve() sends SIGSTOP.
			 */
			d->stopping = false;
			if (s.sig != SIGSTOP) {
				d->stop_deadline = mig_now_ns() + STOP_WAIT_NS;
				d->stop_waits = 0;
			}
			ptrace(PTRACE_CONT, d->pid, 0, s.sig);
			continue;
		}
		if (s.sig == SIGCONT) {
			/* our stop, if not yet taken, is gone */
			d->stopping = false;
			d->stop_deadline = 0;
		}
		/* a SIGTRAP the kernel made would be a stray of ours: only users' go */
		if (s.sig != SIGTRAP || si.si_code <= 0) {
			memcpy(s.info, &si, sizeof(s.info));
			send_rec(d, MIG_M_SIGNAL, &s, sizeof(s));
		}
		ptrace(PTRACE_CONT, d->pid, 0, 0);	/* suppressed at home */
	}

out_ended:
	dep_direct_forget(&d->direct);
	/* killed at home (kill -9): the node ends its part now */
	send_rec(d, MIG_M_KILL, &k, sizeof(k));
	return 1;
}

/* A request from migd: "home" or "move NODE", with the asker's socket. */
static int read_ctl(struct dep *d, char *buf, size_t cap)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { buf, cap - 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t n = recvmsg(d->ctl_fd, &m, MSG_CMSG_CLOEXEC);

	if (n <= 0)
		return -ECONNRESET;
	buf[n] = 0;
	c = CMSG_FIRSTHDR(&m);
	if (c && c->cmsg_type == SCM_RIGHTS) {
		int fd;

		memcpy(&fd, CMSG_DATA(c), sizeof(fd));
		if (d->client_fd >= 0)
			reply_client(d, "err another request is in progress");
		d->client_fd = fd;
	}
	return 0;
}

/*
 * The process is home and this deputy ends: requests migd sends from now
 * on fail at its end (EPIPE), so it serves them itself; those already
 * queued here, each with its asker's socket, are answered "again", and
 * the asker asks once more (mig_client.h). Closed without that, a queued
 * socket went unanswered and its asker saw the connection reset.
 */
static void ctl_hand_back(struct dep *d)
{
	if (d->ctl_fd < 0)
		return;
	shutdown(d->ctl_fd, SHUT_RD);
	for (;;) {
		char buf[64], cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *c;
		int fd;

		if (recvmsg(d->ctl_fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
			break;
		c = CMSG_FIRSTHDR(&m);
		if (!c || c->cmsg_type != SCM_RIGHTS)
			continue;
		memcpy(&fd, CMSG_DATA(c), sizeof(fd));
		send(fd, "again", 5, MSG_NOSIGNAL);	/* gone already: nobody to tell */
		close(fd);
	}
	close(d->ctl_fd);
	d->ctl_fd = -1;
}

/*
 * The calls served, for the balancer (an I/O-bound process comes home):
 * at most every CALLS_TELL_NS while they come, so that a busy process
 * costs a small file a tenth of a second, not one per call.
 */
static void tell_calls(struct dep *d, uint64_t now)
{
	if (d->ncalls == d->calls_told || now - d->calls_told_ns < CALLS_TELL_NS)
		return;
	if (!mig_pstate_write_calls(d->run_dir, d->pid, d->ncalls))
		d->calls_told = d->ncalls;
	d->calls_told_ns = now;
}

/* The home parent changed: the node answers getppid, so it is told. */
static int tell_parent(struct dep *d, struct dep_parent *par)
{
	struct mig_ppid m = { 0 };

	if (!dep_parent_changed(par, &m.ppid))
		return 0;
	return send_rec(d, MIG_M_PPID, &m, sizeof(m));
}

/* An admin reniced it at home, say: the guest follows. */
static int tell_prio(struct dep *d, struct dep_prio *pr)
{
	struct mig_prio m;

	if (!dep_prio_changed(pr, &m))
		return 0;
	return send_rec(d, MIG_M_PRIO, &m, sizeof(m));
}

/*
 * Whether the home process, let go with a stop signal, may still stop:
 * only asleep again in the agent's wait ('S') does it show the kernel
 * dropped the signal (an orphaned group). Runnable ('R'), it has not
 * run since (a busy machine); stopped ('t'), its group stop came after
 * this turn's look at SIGCHLD and is collected at the next. Up to
 * STOP_LATE_MAX waits in all.
 */
static bool stop_late(struct dep *d)
{
	char st;

	if (d->stop_waits >= STOP_LATE_MAX || mig_proc_stat(d->pid, &st, NULL) || st == 'S')
		return false;
	d->stop_waits++;
	return true;
}

/*
 * A cgroup freezer at home holds the process (systemctl freeze, a batch
 * system's suspend) or let it go: the node holds the guest the same.
 */
static int tell_frozen(struct dep *d, bool *told)
{
	struct mig_freeze m = { .on = mig_frozen(d->pid) == 1 };

	if (m.on == *told)
		return 0;
	*told = m.on;
	return send_rec(d, MIG_M_FREEZE, &m, sizeof(m));
}

int dep_serve(struct dep *d)
{
	struct dep_parent par;
	struct dep_prio prio;
	uint64_t watched = 0;
	uint32_t move_to = 0;
	sigset_t mask;
	bool first = true, frozen = false;
	int sfd, ret = -1;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	dep_parent_init(&par, d->pid, d->task->home_ppid);
	dep_prio_init(&prio, d->pid, d->task->nice, d->task->policy);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		goto out_kill;
	d->last_rx = d->last_tx = mig_now_ns();
	/* a count left from an earlier trip would read as calls of this one */
	mig_pstate_write_calls(d->run_dir, d->pid, d->ncalls);
	d->calls_told = d->ncalls;
	for (;;) {
		struct pollfd pf[5] = {
			{ mig_chan_fd(d->ch), POLLIN, 0 },
			{ sfd, POLLIN, 0 },
			{ dep_parent_fd(&par), POLLIN, 0 },
			{ d->ctl_fd, POLLIN, 0 },
			/* a move on, once the next node has warmed */
			{ d->next && !move_to ? mig_chan_fd(d->next) : -1, POLLIN, 0 },
		};
		struct signalfd_siginfo si;
		uint32_t type;
		size_t len;
		uint64_t now;
		char why[DEP_WHY_MAX];

		/* signals noted while injecting (the move, a failed trip
		 * home) reach the node now, not at its next forwarded call */
		if (d->j.npending)
			forward_pending(d);
		/* it died in one of our waits (a failed trip home, say) */
		if (d->j.dead && on_sigchld(d)) {
			ret = 0;
			goto out;
		}
		/* a negative fd is skipped */
		if (poll(pf, 5, 250) < 0 && errno != EINTR)
			goto out_kill;
		/* its parent ended (or, checked with the heartbeat, changed) */
		if ((pf[2].revents || first) && tell_parent(d, &par))
			goto out_lost;
		if (first && tell_prio(d, &prio))
			goto out_lost;
		if (first)
			dep_prio_follow_io(&prio);
		/*
		 * The first time round: what the process did before the
		 * signalfd existed (a signal sent just after the move, whose
		 * SIGCHLD nobody heard) waits to be collected all the same.
		 */
		if (pf[1].revents || first) {
			first = false;
			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				;
			if (on_sigchld(d)) {
				ret = 0;
				goto out;
			}
		}
		if (d->ctl_fd >= 0 && pf[3].revents) {
			char req[64];
			unsigned node;

			if (read_ctl(d, req, sizeof(req))) {
				close(d->ctl_fd);
				d->ctl_fd = -1;
			} else if (!strcmp(req, "home") || sscanf(req, "move %u", &node) == 1) {
				/* a request before it supersedes a move on not begun */
				move_on_drop(d);
				move_to = 0;
				if (strcmp(req, "home") && node == d->where) {
					reply_client(d, "ok");
				} else if (!strcmp(req, "home")) {
					struct mig_comehome c = { .reason = MIG_HOME_ASKED };

					if (send_rec(d, MIG_M_COMEHOME, &c, sizeof(c)))
						reply_client(d, "err the node does not answer");
					else
						d->want_back = true;
				} else if (move_on(d, node, &move_to, why, sizeof(why))) {
					reply_err(d, 0, why);
				}
			}
		}
		if (pf[4].revents && d->next && !move_to) {
			uint32_t node = d->next_node;

			if (move_on_warmed(d, &move_to, why, sizeof(why)))
				reply_err(d, node, why);
		} else if (d->next && !move_to && mig_now_ns() - d->next_since > WARM_WAIT_NS) {
			/* as long as a first move waits (the link's timeout) */
			reply_err(d, d->next_node, "no answer to the list of its files");
			move_on_drop(d);
		}
		if (pf[0].revents) {
			if (recv_rec(d, &type, &len))
				goto out_lost;
			switch (type) {
			case MIG_M_SYSCALL: {
				int e = serve_call(d, len);

				d->ncalls++;
				if (e == -ESRCH) {
					on_sigchld(d);
					ret = 0;
					goto out;
				}
				if (e == -EPROTO)
					goto out_lost;	/* a record that does not add up */
				break;
			}
			case MIG_M_FILEREQ:
				if (serve_file(d, len))
					goto out_lost;
				break;
			case MIG_M_EXIT:
				if (mig_fixed_check(type, len))
					goto out_lost;
				finish(d, (const struct mig_exit *)d->in);
				ret = 0;
				goto out;
			case MIG_M_COMEHOME:
				d->want_back = false;
				if (!move_to && d->next) {
					/* it comes home by itself before a move on */
					move_on_drop(d);
					reply_client(d, "err it came home first");
				}
				if (!move_to && !mig_fixed_check(type, len) &&
				    ((const struct mig_comehome *)d->in)->reason == MIG_HOME_CORE)
					fprintf(stderr, "mosix-migd: process %d: a signal dumps its "
						"core on node %u: it comes home to die\n", d->pid,
						d->where);
				if (move_to) {
					if (dep_move(d, move_to, why, sizeof(why))) {
						reply_err(d, 0, why);
					} else {
						fprintf(stderr, "mosix-migd: process %d runs on node %u: "
							"%.1f MiB in %.1f ms\n", d->pid, d->where,
							(double)d->sent_bytes / 1048576.0,
							(double)d->frozen_ns / 1e6);
						reply_client(d, "ok");
						dep_prio_moved(&prio);
						dep_parent_moved(&par);
						frozen = false;	/* it runs there */
						watched = 0;	/* tell it now */
					}
					move_to = 0;
					write_state(d);
					break;
				}
				if (dep_restore_home(d, why, sizeof(why)) == 0) {
					d->where = 0;
					write_state(d);
					/* tests: a request reaches a deputy that ends */
					if (fault(d, "home-linger"))
						usleep(500000);
					/* no more requests: the next goes to a new deputy */
					ctl_hand_back(d);
					reply_client(d, "ok");
					ret = 0;
					goto out;
				}
				{
					char t[DEP_WHY_MAX + 64];

					snprintf(t, sizeof(t), "err cannot bring it home: %s", why);
					reply_client(d, t);
					snprintf(t, sizeof(t), "process %d on node %u: "
						 "cannot bring it home: %s", d->pid, d->where, why);
					tell_stays(d, t);
				}
				break;
			case MIG_M_REFUSE:
				/*
				 * The node could not send it back: it runs on
				 * there, and the calls it waits in at home are
				 * no longer stopped for it (each would be
				 * forwarded again, for ever).
				 */
				d->want_back = false;
				if (!mig_reason_check(d->in, len)) {
					const char *text = ((const struct mig_reason *)d->in)->text;
					char t[200];

					snprintf(t, sizeof(t), "err %s", text);
					reply_client(d, t);
					snprintf(t, sizeof(t), "process %d on node %u: %s", d->pid,
						 d->where, text);
					tell_stays(d, t);
				}
				move_to = 0;
				move_on_drop(d);
				break;
			case MIG_M_PING:
				break;
			case MIG_M_LEAVE:
				/* the call it would have stopped ended first:
				 * COMEHOME follows */
				if (len)
					goto out_lost;
				break;
			case MIG_M_CPU:
				if (mig_fixed_check(type, len))
					goto out_lost;
				d->guest_ns = ((const struct mig_cpu *)d->in)->ns;
				/* also before each getrusage and times: the file
				 * (mps) keeps the heartbeat's pace */
				now = mig_now_ns();
				if (now - d->cpu_written >= HEARTBEAT_NS) {
					d->cpu_written = now;
					mig_pstate_write_cpu(d->run_dir, d->pid,
							     d->away_ns + d->guest_ns);
				}
				break;
			case MIG_M_STOPPED:
				/*
				 * Job control: the guest stopped (SIGTSTP from the
				 * terminal, say), so the home process stops too and
				 * its parent sees it stopped; SIGCONT at home reaches
				 * the guest as any signal.
				 */
				if (!mig_fixed_check(type, len) && !d->stopping) {
					const struct mig_signal *m = (const void *)d->in;

					d->stop_sig = mig_signal_stops(m->sig) ? m->sig : SIGSTOP;
					d->stopping = true;
					kill(d->pid, d->stop_sig);
				}
				break;
			default:
				goto out_lost;
			}
		}
		now = mig_now_ns();
		tell_calls(d, now);
		if (d->stop_deadline && now > d->stop_deadline && stop_late(d)) {
			/* its group stop may still come, or be collected */
			d->stop_deadline = now + STOP_WAIT_NS;
		} else if (d->stop_deadline && now > d->stop_deadline) {
			/* our job-control stop was dropped (orphaned group) */
			d->stop_deadline = 0;
			d->stop_sig = SIGSTOP;
			d->stopping = true;
			kill(d->pid, SIGSTOP);
		}
		if (now - d->last_rx > LOST_NS)
			goto out_lost;
		/* once a second, busy or not: what home changed meanwhile */
		if (now - watched > HEARTBEAT_NS) {
			watched = now;
			if (tell_parent(d, &par) || tell_prio(d, &prio) ||
			    tell_frozen(d, &frozen))
				goto out_lost;
			/* a failure leaves the one it had: nothing to tell */
			dep_prio_follow_io(&prio);
		}
		if (now - d->last_tx > HEARTBEAT_NS && send_rec(d, MIG_M_PING, NULL, 0))
			goto out_lost;
	}
out_lost:
	d->lost = true;
out_kill:
	kill(d->pid, SIGKILL);
	ret = -1;
out:
	reply_client(d, "err the process ended");
	move_on_drop(d);
	dep_parent_close(&par);
	if (sfd >= 0)
		close(sfd);
	/* home again, it keeps its count and lock; ended, its entry goes */
	if (kill(d->pid, 0) && errno == ESRCH)
		mig_pstate_remove(d->run_dir, d->pid);
	return ret;
}
