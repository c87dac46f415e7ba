/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_GOSSIP_WIRE_H
#define MOSIX_GOSSIP_WIRE_H

/*
 * The mosix-infod datagram, version 1. Big-endian on the wire.
 *
 * A datagram carries 1..GOSSIP_MAX_VECS vectors, the sender's own first.
 *
 *   offset size  field
 *        0    4  magic "MXGS"
 *        4    1  version (1)
 *        5    1  type (GOSSIP_VECTORS)
 *        6    2  length of the whole datagram
 *        8    2  sender node id
 *       10    2  number of load vectors that follow
 *       12    4  reserved, zero
 *       16    8  epoch: sender's start time (ns since 1970), orders restarts
 *       24    8  sequence number within the epoch
 *       32   24  nonce (random)
 *       56  n*56 load vectors, encrypted        \ XChaCha20-Poly1305 with the
 *        ...  16 authentication tag            / gossip key; bytes 0..55 are
 *                                                authenticated, not secret
 *
 * The header stays readable so that a receiver can drop malformed datagrams
 * and datagrams from unknown senders before spending a decryption on them;
 * everything in it is still authenticated, so nothing in it can be forged.
 * Replays are the receiver's to refuse: (epoch, seq) grows for each sender.
 *
 * A datagram stays under 1400 bytes, so that it is never fragmented on an
 * Ethernet path (GOSSIP_MAX_VECS vectors at most).
 */

#include <stddef.h>
#include <stdint.h>

#include "key.h"

#define GOSSIP_MAGIC 0x4d584753u /* "MXGS" */
#define GOSSIP_VERSION 1
#define GOSSIP_HDR_LEN 56
#define GOSSIP_VEC_LEN 56
#define GOSSIP_TAG_LEN 16
#define GOSSIP_MAX_VECS 23
#define GOSSIP_MAX_LEN (GOSSIP_HDR_LEN + GOSSIP_MAX_VECS * GOSSIP_VEC_LEN + GOSSIP_TAG_LEN)

enum gossip_type {
	GOSSIP_VECTORS = 1,
};

/* What a node says about itself; others forward it with its age. */
enum gossip_flags {
	GV_BLOCKED = 1 << 0,	/* takes no guests (mosctl block) */
	GV_STAY = 1 << 1,	/* local processes do not migrate automatically */
	GV_LSTAY = 1 << 2,	/* local processes stay, even by hand */
	GV_QUIET = 1 << 3,	/* stopped gossiping (others see it age) */
	GV_SWAPPING = 1 << 4,	/* takes no guests while it swaps */
	GV_OFF = 1 << 5,	/* left the cluster (setpe -off) */
	GV_NOGUESTS = 1 << 6,	/* its pool mode takes no guests now */
	GV_MODE_SHIFT = 8,	/* bits 8..10: enum pool mode */
	GV_MODE_MASK = 7 << 8,
};

struct gossip_vec {
	uint16_t node;
	uint16_t flags;
	uint32_t age_ms;	/* age of this information when sent */
	uint32_t load;		/* 100 = one busy reference CPU */
	uint32_t speed;		/* 10000 = the reference CPU */
	uint16_t cpus;
	uint16_t guests;
	uint32_t local;		/* local processes that may migrate */
	uint64_t tmem;		/* total memory, 4 KiB pages */
	uint64_t mem;		/* memory free for guests, pages */
	uint64_t rmem;		/* raw free memory, pages */
	uint32_t util;		/* CPU utilisation, per mille */
};

struct gossip_hdr {
	uint8_t type;
	uint16_t sender;
	uint16_t count;
	uint64_t epoch;
	uint64_t seq;
};

/* One vector to and from its GOSSIP_VEC_LEN bytes; decode checks sanity. */
void gossip_vec_encode(const struct gossip_vec *v, uint8_t *p);
int gossip_vec_decode(const uint8_t *p, struct gossip_vec *v);

/*
 * Build a datagram of @h->count vectors into @out (GOSSIP_MAX_LEN bytes).
 * Returns its length, or -EINVAL when the count is out of range.
 */
int gossip_seal(const struct mosix_key *gossip_key, const struct gossip_hdr *h,
		const struct gossip_vec *vec, uint8_t *out, size_t out_size);

/*
 * Check the header of a received datagram: 0 and the header, -EBADMSG when
 * malformed (magic, length, count, reserved bits), -EPROTONOSUPPORT for
 * another version. Cheap: no cryptography.
 */
int gossip_peek(const uint8_t *in, size_t len, struct gossip_hdr *ret);

/*
 * Authenticate and decrypt a datagram that gossip_peek() accepted, into
 * @ret_vec (GOSSIP_MAX_VECS entries). -EKEYREJECTED when the tag does not
 * match (wrong key, altered bytes), -EBADMSG when a vector is invalid.
 */
int gossip_open(const struct mosix_key *gossip_key, const uint8_t *in,
		size_t len, struct gossip_hdr *ret, struct gossip_vec *ret_vec);

#endif
