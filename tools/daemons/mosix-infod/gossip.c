// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sending and receiving gossip: what goes into each datagram, to whom, and
 * what a received one changes.
 */
#include <errno.h>
#include <string.h>

#include "infod.h"
#include "lib/log.h"

/* sweep datagrams per round: a burst a switch (or a test bridge) takes */
#define SWEEP_BUDGET 256
/* datagrams read per wake-up, so timers and signals are never starved */
#define RX_BUDGET 256
/* one warning per kind of refused datagram per minute */
#define WARN_EVERY_MS 60000

void infod_measure(struct infod *in, int64_t now)
{
	struct gossip_vec *v = &in->self_vec;
	int r;

	v->node = (uint16_t)in->cfg.self;
	v->speed = in->speed;
	r = measure_vector(&in->meas, in->speed, v);
	if (r < 0)
		log_warn("cannot measure the load vector: %s", strerror(-r));
	/* the effective mode only: others need not know our schedule */
	v->flags = (uint16_t)((v->flags & GV_SWAPPING) | in->policy |
			      (in->pool.guests ? 0 : GV_NOGUESTS) |
			      ((unsigned)in->pool.effective << GV_MODE_SHIFT));
	r = census_count(in->run_dir, &v->guests, &v->local);
	if (r < 0)
		log_warn("cannot count the guests in '%s': %s", in->run_dir, strerror(-r));
	in->self_vec_ms = now;
}

static uint32_t clamp_age(int64_t age)
{
	if (age < 0)
		return 0;
	return age > UINT32_MAX ? UINT32_MAX : (uint32_t)age;
}

/* One datagram: our vector, and with @window the freshest others. */
static void send_to(struct infod *in, uint32_t id, bool window, int64_t now)
{
	struct gossip_vec vec[GOSSIP_MAX_VECS];
	uint8_t buf[GOSSIP_MAX_LEN];
	struct gossip_hdr h;
	struct mosix_addr to;
	size_t n = 1, max = in->cfg.window;
	int len, r;

	if (map_addr_of(&in->cfg.map, id, &to) < 0)
		return;
	vec[0] = in->self_vec;
	vec[0].age_ms = clamp_age(now - in->self_vec_ms);
	if (max > GOSSIP_MAX_VECS - 1)
		max = GOSSIP_MAX_VECS - 1;
	if (window)
		n += peers_window(&in->peers, now, in->dead_ms, id, vec + 1, max);
	h = (struct gossip_hdr){
		.type = GOSSIP_VECTORS,
		.sender = (uint16_t)in->cfg.self,
		.count = (uint16_t)n,
		.epoch = in->epoch,
		.seq = ++in->seq,
	};
	len = gossip_seal(&in->cfg.key, &h, vec, buf, sizeof(buf));
	if (len < 0) {
		in->stats.tx_errors++;
		return;
	}
	/* an absent node costs this datagram and nothing more */
	r = net_send(&in->net, &to, buf, (size_t)len);
	if (r < 0) {
		in->stats.tx_errors++;
		return;
	}
	in->stats.tx++;
	in->stats.tx_bytes += (uint64_t)len;
}

void infod_round(struct infod *in, int64_t now)
{
	uint32_t target[16], id;
	unsigned budget = SWEEP_BUDGET;
	size_t n;

	in->dead_ms = peers_dead_after(&in->peers, now, in->cfg.dead_ms, in->cfg.interval_ms,
				       in->cfg.fanout, in->cfg.window);
	/* quiet: one last datagram carries GV_QUIET, then silence */
	if (in->policy & GV_QUIET) {
		if (in->quiet_told)
			return;
		in->quiet_told = true;
	} else {
		in->quiet_told = false;
	}
	n = peers_targets(&in->peers, &in->cfg.pick, in->cfg.self, now, in->dead_ms,
			  in->cfg.fanout < 16 ? in->cfg.fanout : 16, &in->rng, target);
	for (size_t i = 0; i < n; i++)
		send_to(in, target[i], true, now);

	while (budget && (id = sweep_next(&in->sweep, &in->cfg.pick))) {
		const struct peer *p = peers_find(&in->peers, id);

		/* live nodes hear from us anyway */
		if (id == in->cfg.self || (p && peer_up(p, now, in->dead_ms)))
			continue;
		send_to(in, id, false, now);
		budget--;
	}
}

static const char *const verdict_text[] = {
	[RX_OK] = "ok",
	[RX_MALFORMED] = "malformed",
	[RX_UNKNOWN_SENDER] = "the sender is not this address's node in the map",
	[RX_BAD_KEY] = "bad key (another cluster, or altered)",
	[RX_REPLAY] = "replayed",
};

static void count(struct infod *in, enum rx_verdict v, const struct mosix_addr *src,
		  uint32_t sender, int64_t now)
{
	uint64_t *c[] = {
		[RX_OK] = &in->stats.rx_ok,
		[RX_MALFORMED] = &in->stats.malformed,
		[RX_UNKNOWN_SENDER] = &in->stats.unknown_sender,
		[RX_BAD_KEY] = &in->stats.bad_key,
		[RX_REPLAY] = &in->stats.replay,
	};
	char a[ADDR_STRLEN];

	(*c[v])++;
	if (v == RX_OK)
		return;
	/* a flood must not flood the log: a warning per kind per minute */
	if (in->warned_ms[v] && now - in->warned_ms[v] < WARN_EVERY_MS)
		return;
	in->warned_ms[v] = now;
	if (sender)
		log_warn("refused a datagram from %s claiming node %u: %s (%llu so far)",
			 addr_format(src, a), sender, verdict_text[v], (unsigned long long)*c[v]);
	else
		log_warn("refused a datagram from %s: %s (%llu so far)", addr_format(src, a),
			 verdict_text[v], (unsigned long long)*c[v]);
}

void infod_receive(struct infod *in, int64_t now)
{
	/* one byte more than the largest datagram: MSG_TRUNC tells the rest */
	uint8_t buf[GOSSIP_MAX_LEN + 1];
	const struct rx_ctx ctx = {
		.map = &in->cfg.map,
		.key = &in->cfg.key,
		.peers = &in->peers,
		.self = in->cfg.self,
		.dead_ms = in->dead_ms,
	};

	for (int i = 0; i < RX_BUDGET; i++) {
		struct mosix_addr src;
		struct rx_result res;
		enum rx_verdict v;
		ssize_t got;

		got = net_recv(&in->net, buf, sizeof(buf), &src);
		if (got == -EINTR)
			continue;
		if (got < 0)
			break;
		in->stats.rx_bytes += (uint64_t)got;
		v = rx_datagram(&ctx, buf, (size_t)got, &src, now, &res);
		count(in, v, &src, v == RX_MALFORMED ? 0 : res.sender, now);
		if (v != RX_OK || !res.greet || (in->policy & GV_QUIET))
			continue;
		/* a newcomer (or a restarted node) gets our view at once */
		struct peer *p = peers_find(&in->peers, res.sender);

		if (p && (p->replied_ms == 0 || now - p->replied_ms >= in->cfg.interval_ms)) {
			p->replied_ms = now;
			send_to(in, res.sender, true, now);
		}
	}
}
