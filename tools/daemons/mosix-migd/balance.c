// SPDX-License-Identifier: GPL-2.0-only
/*
 * Automatic load balancing and memory ushering (the decision itself is
 * lib/bal.c). Every balance_interval_ms: read what gossip says about the
 * cluster, sample this node's candidate processes from /proc, and carry
 * out at most one move. A node decides for its own processes, wherever
 * they run; as a host it only sheds guests when memory runs short.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "engine/mig_cantmove.h"
#include "engine/mig_pstate.h"
#include "lib/conf.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/state.h"
#include "migd.h"

#define MAX_PROCS 8192
#define FIRST_USER_UID 1000
#define NOBODY_UID 65534
#define ASKED_WORK_MS 60000
/* a node that refused a process is not asked again for it for this long,
 * doubling with each refusal in a row up to the most */
#define REFUSED_WAIT_MS 60000
#define REFUSED_WAIT_MAX_MS 3600000

/* One process of this node's /proc. */
struct pinfo {
	pid_t pid, ppid;
	uid_t uid;
	uint64_t ticks, start, rss;
	int job;		/* index into the job list, -1: none yet, -2: none */
	struct mig_pstate ps;	/* only read for candidates */
};

struct scan {
	struct pinfo *p;
	size_t n;
	long hz;
	uint64_t boot_ms;	/* CLOCK_BOOTTIME now, ms: for ages */
};

static uint64_t now_ms(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static int load_conf(struct balancer *b)
{
	static const struct {
		const char *key;
		size_t off;
		uint32_t scale;
	} keys[] = {
		{ "balance_hysteresis_pm", offsetof(struct bal_params, hysteresis_pm), 1 },
		{ "balance_residency_s", offsetof(struct bal_params, residency_ms), 1000 },
		{ "balance_min_cpu_ms", offsetof(struct bal_params, min_cpu_ms), 1 },
		{ "balance_io_max_cps", offsetof(struct bal_params, io_max_cps), 1 },
		{ "usher_free_pm", offsetof(struct bal_params, usher_pm), 1 },
		{ "balance_view", offsetof(struct bal_params, view), 1 },
	};
	char *path = paths_config("mosix.conf");
	struct diag d = DIAG_INIT;
	struct bal_params p;
	struct conf c;
	const char *scope;
	int r = 0;

	if (!path)
		return -ENOMEM;
	bal_params_default(&p);
	conf_init(&c);
	if (access(path, F_OK) == 0) {
		r = conf_load(&c, path, &d);
		if (!r)
			r = conf_check(&c, &d);
	}
	for (size_t i = 0; !r && i < sizeof(keys) / sizeof(keys[0]); i++) {
		uint32_t v;

		r = conf_get_uint(&c, keys[i].key, &v);
		if (!r)
			*(uint32_t *)((char *)&p + keys[i].off) = v * keys[i].scale;
	}
	if (!r)
		r = conf_get_uint(&c, "balance_interval_ms", &b->interval_ms);
	scope = r ? NULL : conf_get(&c, "balance");
	b->scope = !scope || !strcmp(scope, "mosrun") ? BAL_SCOPE_MOSRUN :
		   !strcmp(scope, "all") ? BAL_SCOPE_ALL : BAL_SCOPE_OFF;
	for (size_t i = 0; i < d.n; i++)
		log_err("%s", d.msg[i].text);
	diag_release(&d);
	conf_release(&c);
	free(path);
	bal_init(&b->bal, &p);
	/* each daemon its own order among equal nodes: no herd */
	randombytes_buf(&b->bal.salt, sizeof(b->bal.salt));
	return r;
}

/* The costs of mosix-tune, or the defaults (said once, at start). */
static void load_costs(struct balancer *b)
{
	char *path = paths_config(BAL_COSTS_FILE);
	struct diag d = DIAG_INIT;
	int r;

	bal_costs_init(&b->costs);
	if (!path)
		return;
	r = bal_costs_load(&b->costs, path, &d);
	if (r == -ENOENT)
		log_info("no '%s': the balancer uses the default costs (mosix-tune measures them)",
			 path);
	for (size_t i = 0; r != -ENOENT && i < d.n; i++)
		log_warn("%s (the default costs are used)", d.msg[i].text);
	diag_release(&d);
	free(path);
}

void migd_balance_reload(struct migd *m)
{
	load_costs(&m->bal);
}

int migd_balance_open(struct migd *m)
{
	struct balancer *b = &m->bal;
	struct itimerspec it = { 0 };
	int r;

	b->timer_fd = -1;
	r = load_conf(b);
	if (r)
		return r;
	load_costs(b);
	b->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (b->timer_fd < 0)
		return -errno;
	it.it_interval.tv_sec = b->interval_ms / 1000;
	it.it_interval.tv_nsec = (long)(b->interval_ms % 1000) * 1000000;
	it.it_value = it.it_interval;
	if (timerfd_settime(b->timer_fd, 0, &it, NULL))
		return -errno;
	log_info("load balancing: %s, every %u ms",
		 b->scope == BAL_SCOPE_OFF ? "off (migrate PID balance only)" :
		 b->scope == BAL_SCOPE_ALL ? "mosrun jobs and all user processes" : "mosrun jobs",
		 b->interval_ms);
	return 0;
}

/* Fields 4 (ppid), 14-15 (utime, stime), 22 (starttime), 24 (rss). */
static int read_stat(int dirfd, const char *pid, struct pinfo *ret)
{
	char path[64], buf[1024], *p;
	unsigned long long v[25] = { 0 };
	struct stat st;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "%s/stat", pid);
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (fstat(fd, &st))
		n = -1;
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -EIO;
	p += 4;
	for (i = 4; i <= 24 && *p; i++) {
		char *end;

		v[i] = strtoull(p, &end, 10);
		if (end == p)
			break;
		p = end + (*end == ' ');
	}
	if (i <= 24)
		return -EIO;
	ret->pid = (pid_t)strtol(pid, NULL, 10);
	ret->ppid = (pid_t)v[4];
	ret->ticks = v[14] + v[15];
	ret->start = v[22];
	ret->rss = v[24];
	ret->uid = st.st_uid;
	ret->job = -1;
	return 0;
}

static int by_pid(const void *a, const void *b)
{
	const struct pinfo *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static struct pinfo *find(struct scan *s, pid_t pid)
{
	struct pinfo key = { .pid = pid };

	return bsearch(&key, s->p, s->n, sizeof(*s->p), by_pid);
}

static int scan_proc(struct scan *s)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (!d)
		return -errno;
	s->n = 0;
	while ((e = readdir(d)) && s->n < MAX_PROCS)
		if (isdigit((unsigned char)e->d_name[0]) &&
		    !read_stat(dirfd(d), e->d_name, &s->p[s->n]))
			s->n++;
	closedir(d);
	qsort(s->p, s->n, sizeof(*s->p), by_pid);
	return 0;
}

/*
 * The job that covers @p: its own job file or its nearest ancestor's
 * (mosrun's flags hold for what the job starts). Processes of this migd
 * (deputies, guests) are never candidates.
 */
static const struct pinfo *job_of(struct migd *m, struct scan *s, struct pinfo *p)
{
	struct pinfo *q = p;

	for (int depth = 0; q && depth < 64; depth++) {
		if (q->pid == getpid())
			return NULL;
		if (q->job == -1) {
			q->job = -2;
			if (!mig_pstate_read(m->run_dir, q->pid, &q->ps) && (q->ps.job & MIG_JOB_SET))
				q->job = 0;
		}
		if (q->job == 0)
			return q;
		if (q->ppid <= 1)
			break;
		q = find(s, q->ppid);
	}
	return NULL;
}

static struct track *track_of(struct balancer *b, const struct pinfo *p)
{
	struct track *free_t = NULL;

	for (int i = 0; i < MIGD_MAX_TRACK; i++) {
		struct track *t = &b->track[i];

		if (t->pid == p->pid && t->start == p->start)
			return t;
		if (!t->pid && !free_t)
			free_t = t;
	}
	if (free_t)
		*free_t = (struct track){ .pid = p->pid, .start = p->start, .answer_fd = -1 };
	return free_t;
}

/*
 * Nanoseconds @pid ran plus waited to run (/proc/PID/schedstat): what it
 * asked of the CPU. A CPU-bound process sharing one CPU with three others
 * gets a quarter of it, yet wants it all; its demand shows that. Without
 * schedstat, the CPU time it got.
 */
static uint64_t demand_ns(pid_t pid, uint64_t ticks, long hz)
{
	unsigned long long run, wait;
	char path[64];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return ticks * 1000000000u / (uint64_t)hz;
	n = fscanf(f, "%llu %llu", &run, &wait);
	fclose(f);
	if (n != 2)
		return ticks * 1000000000u / (uint64_t)hz;
	return run + wait;
}

/* syscr + syscw of /proc/PID/io: the calls it made at home. */
static uint64_t io_calls(pid_t pid)
{
	unsigned long long r = 0, w = 0;
	char path[64], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/io", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "syscr: %llu", &r) != 1)
			sscanf(line, "syscw: %llu", &w);
	fclose(f);
	return r + w;
}

/* Fold a sample into a profile that keeps @decay/10000 of the past. */
static uint32_t fold(uint32_t old, uint64_t sample, uint32_t decay, bool first)
{
	if (first)
		return (uint32_t)sample;
	return (uint32_t)(((uint64_t)old * decay + sample * (MIG_DECAY_MAX - decay)) /
			  MIG_DECAY_MAX);
}

/*
 * Fold the system calls counted since the last sample into @t's rate.
 * At home they are /proc/PID/io's; away, the calls home served for it
 * (the home process makes some of them, through the agent, and the
 * deputy the rest, file reads and writes, which /proc/PID/io would miss).
 * A count of the other kind, or one that went back (a new deputy counts
 * from 0), is a new baseline.
 */
static void sample_io(struct track *t, uint64_t calls, bool away, uint64_t now, uint64_t age_ms,
		      uint32_t decay)
{
	uint64_t dt = now - t->calls_at_ms;

	if (!t->calls_at_ms) {
		/* no past yet: the average since it started, but its start
		 * (loading a program, its libraries) is no measure of its
		 * I/O: judged from its second second */
		t->io_cps = away || age_ms < 2000 ? 0 : (uint32_t)(calls * 1000 / age_ms);
	} else if (t->away != away || calls < t->calls) {
		t->io_cps = 0;
	} else if (dt >= 100) {
		t->io_cps = fold(t->io_cps, (calls - t->calls) * 1000 / dt, decay, false);
	} else {
		return;
	}
	t->calls = calls;
	t->away = away;
	t->calls_at_ms = now;
}

/*
 * Sample @p and describe it for the decision. @job: the job file that
 * covers it (NULL under balance = all without one).
 */
static void describe(struct migd *m, struct scan *s, struct pinfo *p, const struct pinfo *job,
		     uint64_t now, struct bal_proc *ret)
{
	struct track *t = track_of(&m->bal, p);
	uint64_t age_ms = s->boot_ms - p->start * 1000 / (uint64_t)s->hz;
	uint64_t cpu_ms = p->ticks * 1000 / (uint64_t)s->hz, calls = 0;
	int calls_err = 0;
	uint64_t want = demand_ns(p->pid, p->ticks, s->hz);
	uint32_t decay = job ? job->ps.decay : MIG_DECAY_DEFAULT;
	enum mig_cant why = MIG_CAN;

	*ret = (struct bal_proc){ .pid = p->pid, .where = p->ps.where, .cpu_ms = cpu_ms,
				  .pages = p->rss,
				  /* moved before we knew it (a migd restart): count from its start */
				  .since_move_ms = p->ps.nmigs ? age_ms : UINT64_MAX };
	if (job && (job->ps.job & MIG_JOB_CPU))
		ret->flags |= BAL_CPUJOB;
	if (job && (job->ps.job & MIG_JOB_IO))
		ret->flags |= BAL_IOJOB;
	if (!p->ps.where)
		calls = io_calls(p->pid);
	else	/* not written yet, or unreadable: no sample this round */
		calls_err = mig_pstate_read_calls(m->run_dir, p->pid, &calls);
	if (t) {
		bool first = !t->at_ms;
		uint64_t dt = now - t->at_ms;

		if (!calls_err)
			sample_io(t, calls, p->ps.where, now, age_ms, decay);
		/* away: the CPU it uses is on the other node, not in our
		 * counters; it left as a CPU-bound process */
		if (p->ps.where)
			t->cpu_pm = 1000;
		if (!first && dt >= 100) {
			uint64_t pm = (want - t->ticks) / 1000 / dt;

			t->cpu_pm = p->ps.where ? 1000 : fold(t->cpu_pm, pm > 1000 ? 1000 : pm,
							      decay, false);
		} else if (first) {
			/* no past yet: the average since it started */
			uint64_t pm = age_ms ? want / 1000 / age_ms : 0;

			t->cpu_pm = p->ps.where ? 1000 : (uint32_t)(pm > 1000 ? 1000 : pm);
		}
		if (first || dt >= 100) {
			t->ticks = want;
			t->at_ms = now;
		}
		if (p->ps.nmigs != t->nmigs) {
			t->nmigs = p->ps.nmigs;
			if (!first)
				t->moved_ms = now;
		}
		t->seen = true;
		if (t->avoid && now < t->avoid_until_ms)
			ret->avoid = t->avoid;
		ret->cpu_pm = t->cpu_pm;
		ret->io_cps = t->io_cps;
		if (t->moved_ms)
			ret->since_move_ms = now - t->moved_ms;
		/* a young process seen once is not judged yet (too young) */
		if (first && age_ms < 2000)
			ret->cpu_ms = 0;
	}
	/* away, its CPU time is the other node's: its age stands in */
	if (p->ps.where)
		ret->cpu_ms = age_ms;
	/* every candidate, every turn: smaps only when its maps changed */
	if (!p->ps.where && ((t ? mig_cantmove_memo(p->pid, m->run_dir, &t->memo, &why) :
			      mig_cantmove(p->pid, m->run_dir, &why)) || why != MIG_CAN))
		ret->flags |= BAL_CANTMOVE;
	if (why == MIG_CANT_USER_LOCK)
		ret->flags |= BAL_LOCKED;
}

/* This node's candidates into @out (at most @max); their count. */
static size_t candidates(struct migd *m, struct scan *s, uint64_t now, struct bal_proc *out,
			 size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n && n < max; i++) {
		struct pinfo *p = &s->p[i];
		const struct pinfo *job = job_of(m, s, p);

		/* (a parent outside our pid namespace shows as ppid 0) */
		if (p->pid == getpid())
			continue;
		if (job && !(job->ps.job & MIG_JOB_AUTO))
			continue;
		if (!job && (m->bal.scope != BAL_SCOPE_ALL || p->uid < FIRST_USER_UID ||
			     p->uid == NOBODY_UID))
			continue;
		if (!job) {
			/* not a descendant of this migd, then (guests are) */
			const struct pinfo *q = p;

			for (int d = 0; q && q->ppid > 1 && d < 64; d++) {
				if (q->ppid == getpid())
					break;
				q = find(s, q->ppid);
			}
			if (q && q->ppid == getpid())
				continue;
		}
		describe(m, s, p, job, now, &out[n++]);
	}
	return n;
}

static void forget_unseen(struct balancer *b)
{
	for (int i = 0; i < MIGD_MAX_TRACK; i++) {
		if (b->track[i].pid && !b->track[i].seen) {
			if (b->track[i].answer_fd >= 0)
				close(b->track[i].answer_fd);
			b->track[i].answer_fd = -1;
			b->track[i].pid = 0;
		}
		b->track[i].seen = false;
	}
}

static void log_procs(const struct bal *b, const struct bal_proc *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *why = bal_unfit(b, &p[i]);
		char at[16], moved[48];

		if (p[i].where)
			snprintf(at, sizeof(at), "node %u", p[i].where);
		else
			snprintf(at, sizeof(at), "home");
		if (p[i].since_move_ms == UINT64_MAX)
			snprintf(moved, sizeof(moved), "never moved");
		else
			snprintf(moved, sizeof(moved), "moved %llu ms ago",
				 (unsigned long long)p[i].since_move_ms);
		log_debug("balance: process %d at %s: CPU demand %u/1000, %u calls/s, %llu ms CPU, "
			  "%llu pages, %s: %s", (int)p[i].pid, at, p[i].cpu_pm, p[i].io_cps,
			  (unsigned long long)p[i].cpu_ms, (unsigned long long)p[i].pages, moved,
			  why ? why : "a candidate");
	}
}

/*
 * What came of our own requests: a node that refused a process (not in
 * the map, unreachable, CPU, memory, blocked) is left out of its targets
 * for a while, so that the balancer does not ask it again at every turn.
 */
static void collect_answers(struct balancer *b, uint64_t now)
{
	for (int i = 0; i < MIGD_MAX_TRACK; i++) {
		struct track *t = &b->track[i];
		char text[256];
		ssize_t n;

		if (!t->pid || t->answer_fd < 0)
			continue;
		n = recv(t->answer_fd, text, sizeof(text) - 1, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		close(t->answer_fd);
		t->answer_fd = -1;
		if (n <= 0)
			continue;	/* no answer: the deputy is gone */
		text[n] = 0;
		if (!strncmp(text, "ok", 2) || t->asked == 0) {
			t->refusals = 0;
			continue;
		}
		{
			struct bal_decision d = { .pid = t->pid, .from = t->asked_from,
						  .to = t->asked };
			uint64_t wait = REFUSED_WAIT_MS;

			/* the node did not take its load: others may */
			bal_withdraw(&b->bal, &d, t->asked_pm, now);

			for (uint32_t k = 0; k < t->refusals && wait < REFUSED_WAIT_MAX_MS; k++)
				wait *= 2;
			if (wait > REFUSED_WAIT_MAX_MS)
				wait = REFUSED_WAIT_MAX_MS;
			t->refusals++;
			/* its own reason, maybe, that smaps shows and maps hid */
			t->memo.valid = false;
			t->avoid = t->asked;
			t->avoid_until_ms = now + wait;
			log_info("balance: process %d stays off node %u for %llu s: %s", (int)t->pid,
				 t->asked, (unsigned long long)(wait / 1000),
				 strncmp(text, "err ", 4) ? text : text + 4);
		}
	}
}

/* Carry out @d: the deputy (or a new one) moves the process. */
static void carry_out(struct migd *m, int fd, uid_t uid, const struct bal_decision *d,
		      uint32_t cpu_pm, uint64_t now)
{
	char target[16], line[256];
	struct track *t = NULL;
	int sp[2] = { -1, -1 };

	if (d->to == m->id.self)
		snprintf(target, sizeof(target), "home");
	else
		snprintf(target, sizeof(target), "%u", d->to);
	bal_format(d, line, sizeof(line));
	log_info("balance: %s", line);
	bal_moved(&m->bal.bal, d, cpu_pm, now);
	for (int i = 0; i < MIGD_MAX_TRACK; i++)
		if (m->bal.track[i].pid == d->pid) {
			t = &m->bal.track[i];
			t->moved_ms = now;
		}
	/* our own request: the answer comes back to us (collect_answers) */
	if (fd < 0 && t && !socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp)) {
		if (t->answer_fd >= 0)
			close(t->answer_fd);
		t->answer_fd = sp[0];
		t->asked = d->to == m->id.self ? 0 : d->to;
		t->asked_from = d->from;
		t->asked_pm = cpu_pm;
		fd = sp[1];
	}
	migd_request_migrate(m, fd, uid, d->pid, target);
	if (sp[1] >= 0)
		close(sp[1]);
}

/* Memory ushering: one guest home per round while memory is short. */
static void usher(struct migd *m, const struct node_state *self)
{
	if (!bal_usher(&m->bal.bal, &self->v))
		return;
	for (int i = 0; i < MIGD_MAX_KIDS; i++) {
		struct kid *k = &m->kid[i];

		if (k->child && k->kind == KID_GUEST && !kid_tell(k, "home", -1)) {
			log_info("memory ushering: %s (%llu of %llu pages free): guest %d sent home",
				 self->v.flags & GV_SWAPPING ? "swapping" : "short of memory",
				 (unsigned long long)self->v.mem, (unsigned long long)self->v.tmem,
				 (int)k->child);
			return;
		}
	}
}

static int round_prepare(struct migd *m, struct cluster_state *cs, struct scan *s)
{
	struct diag d = DIAG_INIT;
	int r;

	cluster_state_init(cs);
	r = cluster_state_read(m->run_dir, cs, &d);
	diag_release(&d);
	if (r)
		return r;
	s->hz = sysconf(_SC_CLK_TCK);
	if (s->hz <= 0)
		s->hz = 100;
	s->boot_ms = now_ms(CLOCK_BOOTTIME);
	s->p = calloc(MAX_PROCS, sizeof(*s->p));
	if (!s->p) {
		cluster_state_release(cs);
		return -ENOMEM;
	}
	r = scan_proc(s);
	if (r) {
		free(s->p);
		cluster_state_release(cs);
	}
	return r;
}

void migd_balance_tick(struct migd *m)
{
	struct balancer *b = &m->bal;
	const struct node_state *self;
	struct cluster_state cs;
	struct bal_decision d;
	struct bal_proc *procs;
	struct cluster_state view;
	struct scan s = { 0 };
	uint64_t now = now_ms(CLOCK_MONOTONIC), ticks;
	size_t n;
	int r;

	while (read(b->timer_fd, &ticks, sizeof(ticks)) == sizeof(ticks))
		;
	if (round_prepare(m, &cs, &s))
		return;
	self = cluster_state_find(&cs, m->id.self);
	if (!self || (self->v.flags & GV_OFF))
		goto out_release;
	usher(m, self);
	if (b->scope == BAL_SCOPE_OFF || (self->v.flags & (GV_STAY | GV_LSTAY)))
		goto out_release;
	procs = calloc(MAX_PROCS, sizeof(*procs));
	if (!procs)
		goto out_release;
	collect_answers(b, now);
	n = candidates(m, &s, now, procs, MAX_PROCS);
	forget_unseen(b);
	log_procs(&b->bal, procs, n);
	if (bal_view(&b->bal, &cs, procs, n, &view))
		goto out_free;
	r = bal_decide(&b->bal, &view, &b->costs, procs, n, now, &d);
	free(view.node);
	if (r == 1) {
		uint32_t cpu_pm = 1000;

		for (size_t i = 0; i < n; i++)
			if (procs[i].pid == d.pid)
				cpu_pm = procs[i].cpu_pm;
		carry_out(m, -1, 0, &d, cpu_pm, now);
	} else if (n) {
		log_debug("balance: load %u here; no move pays", self->v.load);
	}
out_free:
	free(procs);
out_release:
	free(s.p);
	cluster_state_release(&cs);
}

void migd_balance_one(struct migd *m, int fd, uid_t uid, pid_t pid)
{
	struct cluster_state cs;
	struct bal_decision d;
	struct bal_proc p;
	struct bal one;
	struct cluster_state view;
	struct pinfo *pi;
	int r;
	struct scan s = { 0 };
	const struct node_state *self;
	const char *why;
	uint64_t now = now_ms(CLOCK_MONOTONIC);

	if (uid != 0 && !migd_owns(pid, uid)) {
		migd_answer(fd, "err not your process");
		return;
	}
	if (round_prepare(m, &cs, &s)) {
		migd_answer(fd, "err no cluster information (is mosix-infod running?)");
		return;
	}
	pi = find(&s, pid);
	self = cluster_state_find(&cs, m->id.self);
	if (!pi) {
		migd_answer(fd, "err no such process");
		goto out_release;
	}
	if (migd_admin_flag(m->run_dir, "lstay") || (self && (self->v.flags & GV_LSTAY))) {
		migd_answer(fd, "ok stays: this node keeps its processes (lstay)");
		goto out_release;
	}
	describe(m, &s, pi, job_of(m, &s, pi), now, &p);
	/* asked for: it need not have aged, nor waited since its last move */
	one = m->bal.bal;
	one.p.min_cpu_ms = 0;
	one.p.residency_ms = 0;
	why = bal_io_home(&one, &p) ? NULL : bal_unfit(&one, &p);
	if (why) {
		migd_answer(fd, "ok stays: %s", why);
		goto out_release;
	}
	/* and is expected to run on for a while, or nobody would ask */
	if (p.cpu_ms < ASKED_WORK_MS)
		p.cpu_ms = ASKED_WORK_MS;
	if (bal_view(&one, &cs, &p, 1, &view)) {
		migd_answer(fd, "err out of memory");
		goto out_release;
	}
	r = bal_decide(&one, &view, &m->bal.costs, &p, 1, now, &d);
	free(view.node);
	if (r != 1) {
		migd_answer(fd, "ok stays: no node would finish it sooner");
		goto out_release;
	}
	carry_out(m, fd, uid, &d, p.cpu_pm, now);
out_release:
	free(s.p);
	cluster_state_release(&cs);
}
