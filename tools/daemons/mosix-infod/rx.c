// SPDX-License-Identifier: GPL-2.0-only
#include "rx.h"

#include <errno.h>
#include <string.h>

enum rx_verdict rx_datagram(const struct rx_ctx *c, const uint8_t *buf, size_t len,
			    const struct mosix_addr *src, int64_t now,
			    struct rx_result *res)
{
	struct gossip_vec vecs[GOSSIP_MAX_VECS];
	struct gossip_hdr h;
	struct peer *p;
	bool restarted;
	int r;

	memset(res, 0, sizeof(*res));
	if (len > GOSSIP_MAX_LEN || gossip_peek(buf, len, &h) < 0)
		return RX_MALFORMED;
	res->sender = h.sender;
	/* map_id_of() is 0 for unmapped addresses; never accept ourselves */
	if (h.sender == c->self || map_id_of(c->map, src) != h.sender)
		return RX_UNKNOWN_SENDER;
	r = gossip_open(c->key, buf, len, &h, vecs);
	if (r == -EKEYREJECTED)
		return RX_BAD_KEY;
	if (r < 0)
		return RX_MALFORMED;

	p = peers_find(c->peers, h.sender);
	if (!peer_fresh_seq(p, h.epoch, h.seq))
		return RX_REPLAY;
	/* the sender is mapped, so the map's size bounds the table */
	if (!p && peers_get(c->peers, h.sender, c->map->nnodes, &p) < 0)
		return RX_MALFORMED;
	restarted = p->direct && h.epoch != p->epoch;
	peer_note_seq(p, h.epoch, h.seq);

	for (size_t i = 0; i < h.count; i++) {
		enum merge_result m;

		if (vecs[i].node == c->self)
			continue;
		if (!map_has_id(c->map, vecs[i].node)) {
			res->skipped++;
			continue;
		}
		m = peers_merge(c->peers, &vecs[i], now, c->dead_ms, c->map->nnodes);
		if (m == MERGE_NEWER || m == MERGE_UP)
			res->changed = true;
		if (i == 0 && m == MERGE_UP)
			res->greet = true;
	}
	if (restarted)
		res->greet = true;
	return RX_OK;
}
