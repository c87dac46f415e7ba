// SPDX-License-Identifier: GPL-2.0-only
/*
 * A connection from another node: authenticate it, hear what it brings,
 * refuse or take the process in as a guest, and supervise the guest until
 * it ends, goes home or moves on.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/mig_dump.h"
#include "engine/mig_files.h"
#include "engine/mig_pstate.h"
#include "engine/rem.h"
#include "lib/cpufeat.h"
#include "lib/kmosix.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/state.h"
#include "migd.h"

#define IO_MS 10000
/* after WARM, HELLO waits for home's own hashing and the stop too */
#define WARMED_MS 60000
#define INTRO_MAX (sizeof(struct mig_files_hdr) + MIG_MAX_FILES * sizeof(struct mig_file))

static uint64_t mem_available(void)
{
	unsigned long long kb = 0;
	char line[256];
	FILE *f = fopen("/proc/meminfo", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb * 1024;
}

/*
 * What mosix-infod last measured: this node swaps, or has less free memory
 * than memory ushering allows (it sends its guests away, so it takes none).
 */
static const char *memory_short(struct migd *m)
{
	struct cluster_state s;
	struct diag d = DIAG_INIT;
	const struct node_state *self;
	const char *why = NULL;

	cluster_state_init(&s);
	if (cluster_state_read(m->run_dir, &s, &d) == 0) {
		self = cluster_state_find(&s, m->id.self);
		if (self && (self->v.flags & GV_SWAPPING))
			why = "the node is swapping";
		else if (self && bal_usher(&m->bal.bal, &self->v))
			why = "the node is short of free memory (memory ushering)";
	}
	cluster_state_release(&s);
	diag_release(&d);
	return why;
}

/* Why this node takes no guest at all now, whatever it is, or NULL. */
static const char *refusal_any(struct migd *m, char *buf, size_t len)
{
	struct pool_status pool;

	if (migd_admin_flag(m->run_dir, "block"))
		return "the node takes no guests (blocked)";
	/* the pool mode as mosix-infod last evaluated it; none: no mode to obey */
	if (pool_status_read(m->run_dir, &pool) == 0 && !pool.guests) {
		snprintf(buf, len, "the node takes no guests (%s)", pool.why);
		return buf;
	}
	return memory_short(m);
}

/* Why this node takes no guest now, or NULL. */
static const char *refusal(struct migd *m, const struct mig_hello *h, char *buf, size_t len)
{
	const char *no;
	uint64_t avail;

	uint64_t lacks = h->cpu_need & ~cpufeat_local();

	if (migd_admin_flag(m->run_dir, "off"))
		return "the node has left the cluster";
	if (lacks) {
		char names[1024];
		int n;

		/* all of them, or the home names them (an admin sets
		 * mig_cpu_ignore from the list: a part of it is no use) */
		cpufeat_names(lacks, names, sizeof(names));
		n = snprintf(buf, len, MIG_REASON_CPU_NAMES, m->id.self, names);
		if (n < 0 || (size_t)n >= len)
			snprintf(buf, len, MIG_REASON_CPU_FMT, m->id.self,
				 (unsigned long long)lacks);
		log_info("process %d of node %u may use what this CPU lacks: %s", h->home_pid,
			 h->home_node, names);
		return buf;
	}
	no = refusal_any(m, buf, len);
	if (no)
		return no;
	avail = mem_available();
	if (avail && avail < h->mem_bytes + (64u << 20)) {
		snprintf(buf, len, "not enough free memory on node %u", m->id.self);
		return buf;
	}
	return NULL;
}

static void refuse(struct mig_chan *ch, int err, const char *text)
{
	struct mig_reason r = { .err = err };

	snprintf(r.text, sizeof(r.text), "%s", text);
	mig_chan_send(ch, MIG_M_REFUSE, &r, sizeof(r));
}

/*
 * WARM, before HELLO (mig_img.h): home lists the files the process maps
 * while it still runs. Those this node lacks in its cache are hashed now,
 * not once the process is stopped; none when it would refuse any guest
 * anyway. HAVE says it is done.
 */
static int warm(struct migd *m, struct mig_chan *ch, uint32_t from, const void *buf,
		size_t len, uint64_t *hashed)
{
	const struct mig_file *f;
	struct mig_have have = { 0 };
	char tbuf[MIG_REASON_MAX];
	uint32_t n, version;
	int e = mig_warm_check(buf, len, &f, &n, &version);

	if (e == -EPROTONOSUPPORT) {
		snprintf(tbuf, sizeof(tbuf), "node %u speaks stream version %u, not %u",
			 m->id.self, (unsigned)MIG_VERSION, version);
		log_info("refused a process of node %u: %s", from, tbuf);
		refuse(ch, e, tbuf);
		return e;
	}
	if (e) {
		log_warn("node %u: malformed list of files", from);
		return e;
	}
	if (!migd_admin_flag(m->run_dir, "off") && !refusal_any(m, tbuf, sizeof(tbuf))) {
		int fds[MIG_MAX_FILES];
		char cache[4096];

		mig_files_cache_dir(m->run_dir, cache, sizeof(cache));
		mig_files_match(cache, f, n, fds, &have, hashed);
		mig_files_close(fds, n);
	}
	return mig_chan_send(ch, MIG_M_HAVE, &have, sizeof(have));
}

/*
 * HELLO into @h, after WARM if home sends one (@hashed: the bytes it took
 * hashing). 0, or -errno: -ECONNRESET when home closed the link first
 * (the process ended before its stop).
 */
static int hear_intro(struct migd *m, struct mig_chan *ch, int fd, uint32_t from,
		      struct mig_hello *h, uint64_t *hashed)
{
	void *buf = malloc(INTRO_MAX);
	uint32_t type;
	size_t len;
	int e;

	if (!buf)
		return -ENOMEM;
	e = mig_chan_recv(ch, &type, buf, INTRO_MAX, &len);
	if (!e && type == MIG_M_WARM) {
		e = warm(m, ch, from, buf, len, hashed);
		if (!e) {
			mig_net_timeouts(fd, WARMED_MS);
			e = mig_chan_recv(ch, &type, buf, INTRO_MAX, &len);
			mig_net_timeouts(fd, IO_MS);
		}
	}
	if (e == -ECONNRESET || e == -EPROTONOSUPPORT || e == -EBADMSG)
		goto out_free;	/* said already, or nothing to say */
	if (e) {
		log_warn("node %u: no introduction: %s", from, strerror(-e));
		goto out_free;
	}
	if (type != MIG_M_HELLO || mig_hello_check(buf, len) ||
	    ((const struct mig_hello *)buf)->home_node != from) {
		log_warn("node %u: malformed introduction", from);
		e = -EBADMSG;
		goto out_free;
	}
	memcpy(h, buf, sizeof(*h));
out_free:
	free(buf);
	return e;
}

void guest_main(struct migd *m, int fd, int ctl)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct mosix_addr peer;
	struct mig_chan *ch = NULL;
	struct mig_reason why = { 0 };
	struct mig_hello h;
	struct kmosix k;
	struct rem r;
	pid_t gpid;
	char tbuf[MIG_REASON_MAX];
	const char *no;
	uint64_t warm_hashed = 0;
	uint32_t from = 0;
	int e;

	kid_close_inherited(m, ctl);
	signal(SIGTERM, SIG_IGN);	/* a migd restart does not end guests */
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) ||
	    addr_from_sockaddr((struct sockaddr *)&ss, &peer))
		_exit(1);
	mig_net_timeouts(fd, IO_MS);
	e = mig_chan_accept(fd, &m->key, m->id.self, &m->id.map, &peer, &from, &ch);
	if (e) {
		char abuf[ADDR_STRLEN];

		log_warn("refused a connection from %s: %s", addr_format(&peer, abuf),
			 e == -EPERM ? "not a node of the map" :
			 e == -EKEYREJECTED ? "wrong cluster key" : strerror(-e));
		_exit(1);
	}
	e = hear_intro(m, ch, fd, from, &h, &warm_hashed);
	if (e == -ECONNRESET) {
		log_info("node %u closed the connection before sending a process", from);
		_exit(0);
	}
	if (e)
		_exit(1);
	no = refusal(m, &h, tbuf, sizeof(tbuf));
	if (no) {
		log_info("refused process %d of node %u: %s", h.home_pid, from, no);
		refuse(ch, -EBUSY, no);
		_exit(0);
	}
	if (mig_chan_send(ch, MIG_M_WELCOME, NULL, 0))
		_exit(1);
	if (rem_init(&r, ch, &h, m->run_dir, m->id.self))
		_exit(1);
	r.ctl_fd = ctl;
	r.force_proxy = getenv("MOSIX_VDSO_PROXY") != NULL;
	/* the patched kernel answers the guest's getpid and hides it */
	r.kernel_ids = kmosix_probe(NULL, &k) == 0 && k.usable && k.guest_ids;
	rem_spawn(&r);
	e = rem_restore(&r, &why);
	if (e == -ECONNRESET && !r.guest) {
		/* home stopped the process and found it could not move */
		log_info("process %d of node %u: %s", h.home_pid, from, why.text);
		rem_release(&r);
		_exit(0);
	}
	if (e) {
		log_warn("process %d of node %u: %s", h.home_pid, from, why.text);
		if (r.guest > 0)
			mig_guest_remove(m->run_dir, r.guest);
		/*
		 * ABORT first: home may be waiting for HAVE (a bad TASK
		 * fails before FILES is answered), and would wait for it
		 * until the I/O timeout while this side waited for the END.
		 */
		mig_chan_send(ch, MIG_M_ABORT, &why, sizeof(why));
		rem_drain(&r);
		rem_release(&r);
		_exit(1);
	}
	if (rem_commit(&r)) {
		log_warn("process %d of node %u: no commit; dropped", h.home_pid, from);
		mig_guest_remove(m->run_dir, r.guest);
		_exit(1);
	}
	log_info("process %d of node %u (%s) runs here as %d%s%s", h.home_pid, from, h.comm,
		 r.guest, r.sh->vdso_proxy ? " (vDSO proxy)" : "",
		 r.kernel_ids ? " (pids answered by the kernel)" : "");
	/* KiB rounded up: any hashing while stopped shows */
	if (warm_hashed || r.frozen_hashed)
		log_info("process %d of node %u: hashed %llu KiB of its files before its stop, "
			 "%llu KiB while stopped", h.home_pid, from,
			 (unsigned long long)(warm_hashed + 1023) / 1024,
			 (unsigned long long)(r.frozen_hashed + 1023) / 1024);
	/* no more waiting on a quiet home inside a call: the heartbeat decides,
	 * and keepalive while a call blocks at home (the home gone: lost) */
	mig_net_timeouts(fd, 0);
	mig_net_keepalive(fd);
	gpid = r.guest;
	e = rem_supervise(&r);
	if (r.kernel_err)
		log_debug("process %d of node %u: cannot update /proc/%d/mosix/guest: %s",
			  h.home_pid, from, gpid, strerror(-r.kernel_err));
	if (e)
		log_warn("lost home node %u of process %d: guest killed", from, h.home_pid);
	else
		log_info("process %d of node %u: done here (%lu calls forwarded)", h.home_pid,
			 from, (unsigned long)r.nfwd);
	rem_release(&r);
	mig_chan_free(ch);
	close(fd);
	_exit(e ? 1 : 0);
}
