// SPDX-License-Identifier: GPL-2.0-only
/*
 * The files the tools read (lib/state.h): the cluster snapshot and the
 * nodes/ tree when the view changes, admin/ when the policy does, and the
 * counters in admin/stats.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "infod.h"
#include "lib/log.h"

/* admin/ files of the policy flags, "0" or "1" */
static const struct {
	const char *name;
	uint16_t flag;
} policy_files[] = {
	{ "block", GV_BLOCKED }, { "stay", GV_STAY }, { "lstay", GV_LSTAY },
	{ "quiet", GV_QUIET },	 { "off", GV_OFF },
};
#define POLICY_FILES (sizeof(policy_files) / sizeof(policy_files[0]))

static uint64_t realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* This node and every node heard of, sorted by id. */
static int build(struct infod *in, int64_t now, struct cluster_state *s)
{
	const struct peers *t = &in->peers;
	size_t n = 0, j = 0;
	bool self_done = false;

	cluster_state_init(s);
	s->node = calloc(t->n + 1, sizeof(*s->node));
	if (!s->node)
		return -ENOMEM;
	s->self = in->cfg.self;
	s->now_ms = realtime_ms();
	while (j < t->n || !self_done) {
		struct node_state *ns = &s->node[n];

		if (!self_done && (j == t->n || in->cfg.self < t->p[j].id)) {
			ns->id = in->cfg.self;
			ns->up = true;
			ns->v = in->self_vec;
			ns->v.age_ms = 0;
			self_done = true;
		} else {
			const struct peer *p = &t->p[j++];
			int64_t age = now - p->origin_ms;

			if (!p->heard)
				continue;
			ns->id = p->id;
			ns->up = peer_up(p, now, in->dead_ms);
			ns->age_ms = age < 0 ? 0 : age > UINT32_MAX ? UINT32_MAX : (uint32_t)age;
			ns->v = p->v;
			ns->v.age_ms = ns->age_ms;
		}
		if (map_addr_of(&in->cfg.map, ns->id, &ns->addr) < 0)
			continue;
		n++;
	}
	s->n = n;
	return 0;
}

static bool same_vec(const struct gossip_vec *a, const struct gossip_vec *b)
{
	return a->node == b->node && a->flags == b->flags && a->load == b->load &&
	       a->speed == b->speed && a->cpus == b->cpus && a->guests == b->guests &&
	       a->local == b->local && a->tmem == b->tmem && a->mem == b->mem &&
	       a->rmem == b->rmem && a->util == b->util;
}

/* Ages move all the time; the view is the rest. */
static bool same_view(const struct cluster_state *a, const struct cluster_state *b)
{
	if (a->n != b->n || a->self != b->self)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->node[i].id != b->node[i].id || a->node[i].up != b->node[i].up ||
		    memcmp(&a->node[i].addr, &b->node[i].addr, sizeof(a->node[i].addr)) ||
		    !same_vec(&a->node[i].v, &b->node[i].v))
			return false;
	return true;
}

static void log_transitions(const struct cluster_state *old, const struct cluster_state *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct node_state *o = cluster_state_find(old, s->node[i].id);
		bool was = o && o->up;

		if (s->node[i].id == s->self || was == s->node[i].up)
			continue;
		log_info("node %u is %s", s->node[i].id, s->node[i].up ? "up" : "down");
	}
}

void publish_state(struct infod *in, int64_t now)
{
	struct cluster_state s;
	int r;

	if (build(in, now, &s) < 0) {
		log_warn("cannot build the state snapshot: out of memory");
		return;
	}
	if (in->published_once && same_view(&s, &in->published)) {
		cluster_state_release(&s);
		return;
	}
	log_transitions(&in->published, &s);
	r = cluster_state_update(in->run_dir, &s, in->published_once ? &in->published : NULL);
	if (r < 0) {
		log_warn("cannot write the state in '%s': %s", in->run_dir, strerror(-r));
		/* try everything again next time */
		in->published_once = false;
	} else {
		in->published_once = true;
	}
	cluster_state_release(&in->published);
	in->published = s;
}

void publish_admin(struct infod *in)
{
	char *dir = NULL, text[64];
	int r = 0;

	if (asprintf(&dir, "%s/admin", in->run_dir) < 0) {
		log_warn("cannot write admin files: out of memory");
		return;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		r = -errno;
	for (size_t i = 0; r == 0 && i < POLICY_FILES; i++)
		r = state_write_file(dir, policy_files[i].name, in->policy & policy_files[i].flag ? "1\n" : "0\n");
	if (r == 0) {
		snprintf(text, sizeof(text), "%u\n", in->speed);
		r = state_write_file(dir, "speed", text);
	}
	if (r == 0) {
		snprintf(text, sizeof(text), "%u %u %u\n", in->decay_ms, in->decay_slow,
			 in->decay_fast);
		r = state_write_file(dir, "decay", text);
	}
	if (r == 0) {
		snprintf(text, sizeof(text), "%s\n", state_mode_name(in->pool.effective));
		r = state_write_file(dir, "mode", text);
	}
	if (r == 0) {
		char pool[512];

		r = pool_status_format(&in->pool, pool, sizeof(pool));
		if (r == 0)
			r = state_write_file(dir, POOL_STATUS_FILE, pool);
	}
	if (r == 0)
		r = state_write_file(dir, "version", INFOD_VERSION "\n");
	if (r < 0)
		log_warn("cannot write '%s': %s", dir, strerror(-r));
	free(dir);
	kmirror_admin(in);
}

/*
 * The policy outlives a restart of the daemon, as it outlived a restart of
 * MOSIX's daemons in the kernel: read admin/ back at start. /run is empty
 * after a reboot, so a reboot starts afresh.
 */
void publish_restore_policy(struct infod *in)
{

	for (size_t i = 0; i < POLICY_FILES; i++) {
		char path[4096], c = 0;
		int fd;

		snprintf(path, sizeof(path), "%s/admin/%s", in->run_dir, policy_files[i].name);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;
		if (read(fd, &c, 1) == 1 && c == '1')
			in->policy |= policy_files[i].flag;
		close(fd);
	}
}

void publish_stats_text(const struct infod *in, char sep, char *buf, size_t size)
{
	const struct infod_stats *s = &in->stats;
	int64_t now = infod_now();

	snprintf(buf, size,
		 "rx_ok=%llu%cmalformed=%llu%cunknown_sender=%llu%cbad_key=%llu%c"
		 "replay=%llu%ctx=%llu%ctx_errors=%llu%crx_bytes=%llu%ctx_bytes=%llu%c"
		 "known=%zu%cup=%zu%cdead_after_ms=%u",
		 (unsigned long long)s->rx_ok, sep, (unsigned long long)s->malformed, sep,
		 (unsigned long long)s->unknown_sender, sep, (unsigned long long)s->bad_key, sep,
		 (unsigned long long)s->replay, sep, (unsigned long long)s->tx, sep,
		 (unsigned long long)s->tx_errors, sep, (unsigned long long)s->rx_bytes, sep,
		 (unsigned long long)s->tx_bytes, sep, in->peers.n, sep,
		 peers_live(&in->peers, now, in->dead_ms), sep, in->dead_ms);
}

void publish_stats(struct infod *in)
{
	char text[sizeof(in->stats_text)], *dir;
	size_t len;
	int r;

	publish_stats_text(in, '\n', text, sizeof(text) - 1);
	len = strlen(text);
	text[len++] = '\n';
	text[len] = '\0';
	if (strcmp(text, in->stats_text) == 0)
		return;
	if (asprintf(&dir, "%s/admin", in->run_dir) < 0)
		return;
	r = state_write_file(dir, "stats", text);
	if (r < 0)
		log_warn("cannot write '%s/stats': %s", dir, strerror(-r));
	else
		memcpy(in->stats_text, text, len + 1);
	free(dir);
}

void publish_remove(struct infod *in)
{
	char *path;

	/* a snapshot nobody updates would look alive to the tools */
	if (asprintf(&path, "%s/%s", in->run_dir, STATE_FILE) < 0)
		return;
	unlink(path);
	free(path);
}
