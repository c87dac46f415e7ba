// SPDX-License-Identifier: GPL-2.0-only
/*
 * The local control socket, $MOSIX_RUN_DIR/migd.sock (SOCK_SEQPACKET, one
 * request and one answer per connection unless said otherwise):
 *
 *   migrate PID NODE|home   ok ... / err REASON (from the deputy, once the
 *                           process runs there or could not move)
 *   list                    one line per process: "deputy PID NODE" or
 *                           "guest"; then "end"
 *   expel                   every guest is sent home; "ok N"
 *   bring                   every process of this node comes home; "ok N"
 *   stays                   those that could not since they were asked, a
 *                           line each ("guest WHY" / "deputy WHY") as many
 *                           as fit, then "end GUESTS DEPUTIES" (root only)
 *   lock PID 0|1            the user's lock of PID (mosrun -l): held by the
 *                           process and its descendants; "ok"
 *   job PID WORDS           how mosrun started PID (mig_pstate.h: "auto
 *                           cpujob decay=9000"): held by its descendants
 *                           too; "ok"
 *   migrate PID balance     one decision of the load balancer now: "ok
 *                           stays: WHY", or the move's answer
 *
 * Anyone may ask to move their own processes (real and effective uid of
 * the process are the caller's); root may move any and expel or bring.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "engine/mig_cantmove.h"
#include "engine/mig_dump.h"
#include "engine/mig_pstate.h"
#include "lib/kmosix.h"
#include "lib/log.h"
#include "migd.h"

int migd_ctl_open(struct migd *m)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, n;

	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", m->run_dir, MIGD_SOCKET);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a socket left by a dead migd goes; a live one answers connect */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		return -EADDRINUSE;
	}
	unlink(sa.sun_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(sa.sun_path, 0666) ||
	    listen(fd, 64)) {
		n = -errno;
		close(fd);
		return n;
	}
	m->ctl_fd = fd;
	return 0;
}

void migd_answer(int fd, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	if (fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		send(fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1, MSG_NOSIGNAL);
}

/* Real and effective uid of @pid are @uid. */
bool migd_owns(pid_t pid, uid_t uid)
{
	char path[64], line[256];
	unsigned r = ~0u, e = ~0u;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %u %u", &r, &e) == 2)
			break;
	fclose(f);
	return r == uid && e == uid;
}

bool migd_admin_flag(const char *run_dir, const char *name)
{
	char path[4096], c = '0';
	FILE *f;

	snprintf(path, sizeof(path), "%s/admin/%s", run_dir, name);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fread(&c, 1, 1, f) != 1)
		c = '0';
	fclose(f);
	return c == '1';
}

void migd_request_migrate(struct migd *m, int fd, uid_t uid, pid_t pid, const char *target)
{
	enum mig_cant why;
	struct kid *k;
	unsigned long node = 0;
	char *end;
	int sp[2], e;
	pid_t c;

	if (kill(pid, 0) && errno == ESRCH) {
		migd_answer(fd, "err no such process");
		return;
	}
	if (uid != 0 && !migd_owns(pid, uid)) {
		migd_answer(fd, "err not your process");
		return;
	}
	if (strcmp(target, "home")) {
		errno = 0;
		node = strtoul(target, &end, 10);
		if (errno || *end || end == target || !map_has_id(&m->id.map, (uint32_t)node)) {
			migd_answer(fd, "err no node '%s' in the map", target);
			return;
		}
	}
	/* mosctl lstay (and bring): this node's processes stay, even by hand */
	if (node && node != m->id.self && migd_admin_flag(m->run_dir, "lstay")) {
		migd_answer(fd, "err this node keeps its processes home (mosctl lstay)");
		return;
	}
	k = kid_find(m, KID_DEPUTY, pid);
	if (k) {
		char req[32];

		snprintf(req, sizeof(req), node && node != m->id.self ? "move %lu" : "home",
			 node);
		if (!kid_tell(k, req, fd))
			return;
		/* a deputy that just brought it home and is ending: forget it */
		close(k->ctl);
		k->ctl = -1;
		k->kind = 0;
		k->pid = 0;
		k->why[0] = 0;
	}
	if (!node || node == m->id.self) {
		migd_answer(fd, "ok home");
		return;
	}
	e = mig_cantmove_quick(pid, m->run_dir, &why);
	if (e || why != MIG_CAN) {
		migd_answer(fd, "err %s", e ? strerror(-e) : mig_cant_str(why));
		return;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp)) {
		migd_answer(fd, "err %s", strerror(errno));
		return;
	}
	c = fork();
	if (c < 0) {
		migd_answer(fd, "err cannot fork: %s", strerror(errno));
		close(sp[0]);
		close(sp[1]);
		return;
	}
	if (c == 0) {
		close(sp[0]);
		deputy_main(m, pid, (uint32_t)node, fd, sp[1]);
	}
	close(sp[1]);
	if (!kid_add(m, c, KID_DEPUTY, pid, sp[0]))
		close(sp[0]);
}

static void do_lock(struct migd *m, int fd, uid_t uid, pid_t pid, bool lock)
{
	struct mig_pstate ps = { 0 };
	int e;

	if (uid != 0 && !migd_owns(pid, uid)) {
		migd_answer(fd, "err not your process");
		return;
	}
	mig_pstate_read(m->run_dir, pid, &ps);
	ps.lock = lock;
	e = mig_pstate_write(m->run_dir, pid, &ps);
	if (e) {
		migd_answer(fd, "err %s", strerror(-e));
		return;
	}
	/*
	 * The kernel's flag too, when there is one: it follows forks inside
	 * the kernel (RUN's lock is found through the ancestors instead).
	 */
	e = kmosix_lock_set(NULL, pid, lock);
	if (e && e != -ENOENT)
		log_debug("process %d: cannot %s it in /proc/mosix/lock: %s", pid,
			  lock ? "lock" : "unlock", strerror(-e));
	migd_answer(fd, "ok");
}

static void do_job(struct migd *m, int fd, uid_t uid, pid_t pid, const char *words)
{
	struct mig_pstate ps = { 0 };
	int e;

	if (uid != 0 && !migd_owns(pid, uid)) {
		migd_answer(fd, "err not your process");
		return;
	}
	mig_pstate_read(m->run_dir, pid, &ps);
	if (mig_job_parse(words, &ps)) {
		migd_answer(fd, "err invalid job '%s'", words);
		return;
	}
	e = mig_pstate_write(m->run_dir, pid, &ps);
	if (e)
		migd_answer(fd, "err %s", strerror(-e));
	else
		migd_answer(fd, "ok");
}

static void do_list(struct migd *m, int fd)
{
	char buf[65536];
	size_t n = 0;

	for (int i = 0; i < MIGD_MAX_KIDS && n < sizeof(buf) - 64; i++) {
		const struct kid *k = &m->kid[i];

		if (!k->child)
			continue;
		if (k->kind == KID_DEPUTY)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "deputy %d\n", k->pid);
		else
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "guest %d\n", k->child);
	}
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "end\n");
	send(fd, buf, n, MSG_NOSIGNAL);
}

static void do_all(struct migd *m, int fd, enum kid_kind kind)
{
	int count = 0;

	for (int i = 0; i < MIGD_MAX_KIDS; i++) {
		struct kid *k = &m->kid[i];

		if (!k->child || k->kind != kind)
			continue;
		/* a reason from before this request is not its answer */
		kid_news(k);
		k->why[0] = 0;
		if (!kid_tell(k, "home", -1))
			count++;
	}
	migd_answer(fd, "ok %d", count);
}

/*
 * "stays": the processes that said they cannot leave since they were
 * last asked, a line each ("guest WHY" or "deputy WHY"), as many as fit,
 * then "end GUESTS DEPUTIES" with how many of each there are.
 */
static void do_stays(struct migd *m, int fd)
{
	char buf[65536];
	size_t n = 0;
	unsigned guests = 0, deputies = 0;

	for (int i = 0; i < MIGD_MAX_KIDS; i++) {
		struct kid *k = &m->kid[i];
		int w;

		if (!k->child || !k->kind)
			continue;
		kid_news(k);
		if (!k->why[0])
			continue;
		if (k->kind == KID_DEPUTY)
			deputies++;
		else
			guests++;
		w = snprintf(buf + n, sizeof(buf) - n - 32, "%s %s\n",
			     k->kind == KID_DEPUTY ? "deputy" : "guest", k->why);
		if (w > 0 && (size_t)w < sizeof(buf) - n - 32)
			n += (size_t)w;
	}
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "end %u %u\n", guests, deputies);
	send(fd, buf, n, MSG_NOSIGNAL);
}

/* One request, read whole, from a client whose credentials are @cr. */
static void serve(struct migd *m, int fd, const struct ucred *cr, const char *req)
{
	char target[32];
	int pid, off = 0;

	if (sscanf(req, "migrate %d %31s", &pid, target) == 2 && pid > 0 &&
	    !strcmp(target, "balance")) {
		migd_balance_one(m, fd, cr->uid, pid);
	} else if (sscanf(req, "migrate %d %31s", &pid, target) == 2 && pid > 0) {
		migd_request_migrate(m, fd, cr->uid, pid, target);
	} else if (sscanf(req, "lock %d %31s", &pid, target) == 2 && pid > 0) {
		do_lock(m, fd, cr->uid, pid, !strcmp(target, "1"));
	} else if (sscanf(req, "job %d %n", &pid, &off) == 1 && off > 0 && pid > 0) {
		do_job(m, fd, cr->uid, pid, req + off);
	} else if (!strcmp(req, "list")) {
		do_list(m, fd);
	} else if (!strcmp(req, "stays")) {
		/* names and home pids of other users' processes */
		if (cr->uid != 0)
			migd_answer(fd, "err only root may ask");
		else
			do_stays(m, fd);
	} else if (!strcmp(req, "expel") || !strcmp(req, "bring")) {
		if (cr->uid != 0)
			migd_answer(fd, "err only root may %s", req);
		else
			do_all(m, fd, req[0] == 'e' ? KID_GUEST : KID_DEPUTY);
	} else {
		migd_answer(fd, "err unknown request");
	}
}

/*
 * Read @c's request, if it came, and serve it. False while it has not
 * come (nothing was read); the client is done with otherwise.
 */
static bool try_serve(struct migd *m, struct ctl_pending *c)
{
	struct ctl_pending me = *c;
	char req[128];
	ssize_t n;

	n = recv(me.fd, req, sizeof(req) - 1, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	/* pending no more: a child forked to answer it keeps it, no other */
	c->fd = -1;
	if (n > 0) {
		req[n] = 0;
		serve(m, me.fd, &me.cr, req);
	}
	close(me.fd);
	return true;
}

/*
 * A client of the control socket. Its request is read without waiting
 * for it: one that connects and says nothing waits in m->pending, polled
 * with the rest, until CTL_WAIT_MS have passed, and stops nobody else.
 */
void migd_ctl_handle(struct migd *m)
{
	struct ctl_pending c = { .fd = -1 }, *slot = NULL;
	socklen_t cl = sizeof(c.cr);
	uint64_t oldest = UINT64_MAX;

	c.fd = accept4(m->ctl_fd, NULL, NULL, SOCK_CLOEXEC);
	if (c.fd < 0)
		return;
	if (getsockopt(c.fd, SOL_SOCKET, SO_PEERCRED, &c.cr, &cl)) {
		close(c.fd);
		return;
	}
	c.deadline_ms = mig_now_ns() / 1000000 + CTL_WAIT_MS;
	if (try_serve(m, &c))
		return;
	/* a free slot, or the one that has waited longest: it had its time */
	for (int i = 0; i < MIGD_MAX_PENDING; i++) {
		if (m->pending[i].fd < 0) {
			slot = &m->pending[i];
			break;
		}
		if (m->pending[i].deadline_ms < oldest) {
			oldest = m->pending[i].deadline_ms;
			slot = &m->pending[i];
		}
	}
	if (slot->fd >= 0)
		close(slot->fd);
	*slot = c;
}

int migd_ctl_poll(struct migd *m, struct pollfd *pf, int max)
{
	int n = 0;

	for (int i = 0; i < MIGD_MAX_PENDING && n < max; i++)
		if (m->pending[i].fd >= 0)
			pf[n++] = (struct pollfd){ m->pending[i].fd, POLLIN, 0 };
	return n;
}

void migd_ctl_pending(struct migd *m, const struct pollfd *pf, int n)
{
	uint64_t now = mig_now_ns() / 1000000;

	for (int k = 0; k < n; k++)
		for (int i = 0; i < MIGD_MAX_PENDING; i++) {
			struct ctl_pending *c = &m->pending[i];

			if (c->fd != pf[k].fd)
				continue;
			if (!(pf[k].revents && try_serve(m, c)) && now >= c->deadline_ms) {
				close(c->fd);
				c->fd = -1;
			}
		}
}
