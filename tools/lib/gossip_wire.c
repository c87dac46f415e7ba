// SPDX-License-Identifier: GPL-2.0-only
#include "gossip_wire.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

_Static_assert(GOSSIP_MAX_LEN <= 1400, "a gossip datagram must not fragment");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == 24, "nonce size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == GOSSIP_TAG_LEN, "tag size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == KEY_BYTES, "key size");

#define OFF_MAGIC 0
#define OFF_VERSION 4
#define OFF_TYPE 5
#define OFF_LENGTH 6
#define OFF_SENDER 8
#define OFF_COUNT 10
#define OFF_RESERVED 12
#define OFF_EPOCH 16
#define OFF_SEQ 24
#define OFF_NONCE 32
_Static_assert(OFF_NONCE + 24 == GOSSIP_HDR_LEN, "header layout");

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p + 4, v & 0xffffffffu);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

void gossip_vec_encode(const struct gossip_vec *v, uint8_t *p)
{
	put16(p + 0, v->node);
	put16(p + 2, v->flags);
	put32(p + 4, v->age_ms);
	put32(p + 8, v->load);
	put32(p + 12, v->speed);
	put16(p + 16, v->cpus);
	put16(p + 18, v->guests);
	put32(p + 20, v->local);
	put64(p + 24, v->tmem);
	put64(p + 32, v->mem);
	put64(p + 40, v->rmem);
	put32(p + 48, v->util);
	put32(p + 52, 0);
}

int gossip_vec_decode(const uint8_t *p, struct gossip_vec *v)
{
	*v = (struct gossip_vec){
		.node = get16(p + 0),
		.flags = get16(p + 2),
		.age_ms = get32(p + 4),
		.load = get32(p + 8),
		.speed = get32(p + 12),
		.cpus = get16(p + 16),
		.guests = get16(p + 18),
		.local = get32(p + 20),
		.tmem = get64(p + 24),
		.mem = get64(p + 32),
		.rmem = get64(p + 40),
		.util = get32(p + 48),
	};
	/* even an authenticated sender gets no nonsense into the tables */
	if (v->node == 0 || get32(p + 52) != 0 || v->cpus == 0 || v->speed == 0 ||
	    v->util > 1000 || v->mem > v->tmem || v->rmem > v->tmem)
		return -EBADMSG;
	return 0;
}

int gossip_seal(const struct mosix_key *gossip_key, const struct gossip_hdr *h,
		const struct gossip_vec *vec, uint8_t *out, size_t out_size)
{
	uint8_t plain[GOSSIP_MAX_VECS * GOSSIP_VEC_LEN];
	size_t plen = (size_t)h->count * GOSSIP_VEC_LEN;
	size_t len = GOSSIP_HDR_LEN + plen + GOSSIP_TAG_LEN;

	if (h->count == 0 || h->count > GOSSIP_MAX_VECS || h->sender == 0 || out_size < len)
		return -EINVAL;
	put32(out + OFF_MAGIC, GOSSIP_MAGIC);
	out[OFF_VERSION] = GOSSIP_VERSION;
	out[OFF_TYPE] = h->type;
	put16(out + OFF_LENGTH, (uint16_t)len);
	put16(out + OFF_SENDER, h->sender);
	put16(out + OFF_COUNT, h->count);
	put32(out + OFF_RESERVED, 0);
	put64(out + OFF_EPOCH, h->epoch);
	put64(out + OFF_SEQ, h->seq);
	randombytes_buf(out + OFF_NONCE, 24);
	for (size_t i = 0; i < h->count; i++)
		gossip_vec_encode(&vec[i], plain + i * GOSSIP_VEC_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + GOSSIP_HDR_LEN, NULL, plain, plen,
						   out, GOSSIP_HDR_LEN, NULL,
						   out + OFF_NONCE, gossip_key->b);
	return (int)len;
}

int gossip_peek(const uint8_t *in, size_t len, struct gossip_hdr *ret)
{
	struct gossip_hdr h;

	if (len < GOSSIP_HDR_LEN + GOSSIP_TAG_LEN || get32(in + OFF_MAGIC) != GOSSIP_MAGIC)
		return -EBADMSG;
	if (in[OFF_VERSION] != GOSSIP_VERSION)
		return -EPROTONOSUPPORT;
	h = (struct gossip_hdr){
		.type = in[OFF_TYPE],
		.sender = get16(in + OFF_SENDER),
		.count = get16(in + OFF_COUNT),
		.epoch = get64(in + OFF_EPOCH),
		.seq = get64(in + OFF_SEQ),
	};
	if (h.type != GOSSIP_VECTORS || h.sender == 0 || h.count == 0 ||
	    h.count > GOSSIP_MAX_VECS ||
	    get32(in + OFF_RESERVED) != 0 || get16(in + OFF_LENGTH) != len ||
	    len != GOSSIP_HDR_LEN + (size_t)h.count * GOSSIP_VEC_LEN + GOSSIP_TAG_LEN)
		return -EBADMSG;
	*ret = h;
	return 0;
}

int gossip_open(const struct mosix_key *gossip_key, const uint8_t *in,
		size_t len, struct gossip_hdr *ret, struct gossip_vec *ret_vec)
{
	uint8_t plain[GOSSIP_MAX_VECS * GOSSIP_VEC_LEN];
	unsigned long long plen;
	struct gossip_hdr h;
	int r;

	r = gossip_peek(in, len, &h);
	if (r < 0)
		return r;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &plen, NULL,
						       in + GOSSIP_HDR_LEN,
						       len - GOSSIP_HDR_LEN, in,
						       GOSSIP_HDR_LEN, in + OFF_NONCE,
						       gossip_key->b) != 0)
		return -EKEYREJECTED;
	for (size_t i = 0; i < h.count; i++) {
		r = gossip_vec_decode(plain + i * GOSSIP_VEC_LEN, &ret_vec[i]);
		if (r < 0)
			goto out_wipe;
	}
	/* the sender's own vector comes first, and is about the sender */
	if (ret_vec[0].node != h.sender) {
		r = -EBADMSG;
		goto out_wipe;
	}
	*ret = h;
	r = 0;
out_wipe:
	sodium_memzero(plain, sizeof(plain));
	return r;
}
