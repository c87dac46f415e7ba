// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the migration channel's decoders. A peer without
 * the key reaches the handshake decoder and a record's length and tag
 * check; one with it (a node gone bad) reaches the decoder of a record's
 * plaintext. The first input byte picks which:
 *   0  the rest is a handshake message: decode it; what is accepted must
 *      encode to the same bytes
 *   1  the rest is a record as read from the wire (length, ciphertext)
 *   2  the rest is authenticated plaintext: byte 1 the stream tag, then
 *      the message, pushed with the fuzzer's key; the record decoder must
 *      accept exactly the MESSAGE-tagged ones with a type, and give back
 *      what was sealed
 *   3  as 1, for an AES-256-GCM record (where libcrypto can be loaded)
 *   4  the rest is a payload: sealed as an AES-256-GCM record, it opens
 *      to the same type and bytes; with one byte of the record changed
 *      (byte 1 of the input says which), it does not open
 * In 3 and 4 the last byte's low bits pick which implementation of
 * AES-256-GCM seals and which opens (libsodium's for small records,
 * libcrypto's, or one of each): either must open what the other sealed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "engine/mig_chan.h"
#include "engine/mig_gcm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t buf[MIG_CHAN_LEN + MIG_CHAN_OVERHEAD + 65536];

static void fuzz_hs(const uint8_t *p, size_t len)
{
	uint8_t again[MIG_CHAN_HS_MAX];
	struct mig_hs m;
	size_t want;
	int r = mig_chan_hs_peek(p, len, &want);

	if (r == 0 && (want < MIG_CHAN_HS_PREFIX || want > MIG_CHAN_HS_MAX))
		abort();
	if (mig_chan_hs_parse(p, len, &m) < 0)
		return;
	if (r < 0 || want != len || mig_chan_hs_encode(&m, again) != len ||
	    memcmp(again, p, len) != 0)
		abort();
}

static void stream(crypto_secretstream_xchacha20poly1305_state *push,
		   crypto_secretstream_xchacha20poly1305_state *pull)
{
	static crypto_secretstream_xchacha20poly1305_state push0;
	static uint8_t key[crypto_secretstream_xchacha20poly1305_KEYBYTES] = { 7, 7, 7 };
	static uint8_t hdr[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
	static int ready;

	if (!ready) {
		if (sodium_init() < 0)
			abort();
		crypto_secretstream_xchacha20poly1305_init_push(&push0, hdr, key);
		ready = 1;
	}
	*push = push0;
	if (pull && crypto_secretstream_xchacha20poly1305_init_pull(pull, hdr, key) != 0)
		abort();
}

static void fuzz_wire(const uint8_t *p, size_t len)
{
	crypto_secretstream_xchacha20poly1305_state push, pull;
	uint32_t type;
	size_t clen, plen;
	int r;

	if (len < MIG_CHAN_LEN)
		return;
	r = mig_chan_parse_len(p, MIG_CHAN_LEN, &clen);
	if (r < 0)
		return;
	if (clen < MIG_CHAN_OVERHEAD || clen > MIG_CHAN_MAX + MIG_CHAN_OVERHEAD)
		abort();
	if (clen != len - MIG_CHAN_LEN || clen > sizeof(buf))
		return;
	stream(&push, &pull);
	memcpy(buf, p + MIG_CHAN_LEN, clen);
	/* nobody can forge a record without the key */
	if (mig_chan_open(&pull, buf, clen, &type, &plen) == 0)
		abort();
}

static void fuzz_plain(const uint8_t *p, size_t len)
{
	crypto_secretstream_xchacha20poly1305_state push, pull;
	unsigned long long clen;
	uint32_t type;
	size_t plen;
	uint8_t tag;
	int r;

	if (len < 1 || len - 1 > sizeof(buf) - MIG_CHAN_SEAL_PAYLOAD -
				  crypto_secretstream_xchacha20poly1305_ABYTES)
		return;
	tag = p[0];
	p++;
	len--;

	/* any tag, any length: only a MESSAGE with a type is a record */
	stream(&push, &pull);
	crypto_secretstream_xchacha20poly1305_push(&push, buf, &clen, p, len, NULL, 0, tag);
	r = mig_chan_open(&pull, buf, (size_t)clen, &type, &plen);
	if ((r == 0) != (tag == crypto_secretstream_xchacha20poly1305_TAG_MESSAGE && len >= 4))
		abort();
	if (r == 0 && (plen != len - 4 || memcmp(buf + MIG_CHAN_OPEN_PAYLOAD, p + 4, plen) != 0 ||
		       type != ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
				(uint32_t)p[3] << 24)))
		abort();

	/* what seal makes, open gives back */
	stream(&push, &pull);
	if (len)
		memcpy(buf + MIG_CHAN_SEAL_PAYLOAD, p, len);
	if (mig_chan_seal(&push, buf, (uint32_t)len * 2654435761u, len) !=
	    MIG_CHAN_LEN + MIG_CHAN_OVERHEAD + len)
		abort();
	if (mig_chan_parse_len(buf, MIG_CHAN_LEN, &plen) < 0 || plen != MIG_CHAN_OVERHEAD + len)
		abort();
	if (mig_chan_open(&pull, buf + MIG_CHAN_LEN, plen, &type, &plen) < 0 || plen != len ||
	    type != (uint32_t)len * 2654435761u ||
	    (len && memcmp(buf + MIG_CHAN_LEN + MIG_CHAN_OPEN_PAYLOAD, p, len) != 0))
		abort();
}

/*
 * A fresh pair of AES-256-GCM directions with the fuzzer's key, or false.
 * @mix (0-3) picks the implementations: the default switch at 1 KiB,
 * libsodium sealing what libcrypto opens, the reverse, or libcrypto only;
 * its bit 2 the large records under OCB (default switch).
 */
static bool gcm_pair(struct mig_gcm **seal, struct mig_gcm **open, unsigned mix)
{
	static const uint8_t key[MIG_GCM_KEY] = { 9, 9, 9 };
	static const size_t small[4][2] = {
		{ 1024, 1024 }, { SIZE_MAX, 0 }, { 0, SIZE_MAX }, { 0, 0 },
	};

	/* OCB: its large records only with the default switch on both sides */
	bool ocb = (mix & 4) && mig_gcm_ocb_available();

	if (!mig_gcm_available())
		return false;
	if (mig_gcm_new(key, true, ocb, seal) < 0 || mig_gcm_new(key, false, ocb, open) < 0)
		abort();
	if (ocb)
		return true;
	mig_gcm_set_small(*seal, small[mix & 3][0]);
	mig_gcm_set_small(*open, small[mix & 3][1]);
	return true;
}

static void fuzz_gcm_wire(const uint8_t *p, size_t len)
{
	struct mig_gcm *seal, *open;
	uint32_t type;
	size_t clen, plen;

	if (len < MIG_CHAN_LEN || mig_chan_parse_len(p, MIG_CHAN_LEN, &clen) < 0 ||
	    clen != len - MIG_CHAN_LEN || clen > sizeof(buf) || !gcm_pair(&seal, &open, p[0]))
		return;
	memcpy(buf, p + MIG_CHAN_LEN, clen);
	/* nobody can forge a record without the key */
	if (mig_chan_gcm_open(open, p, buf, clen, &type, &plen) == 0)
		abort();
	mig_gcm_free(seal);
	mig_gcm_free(open);
}

static void fuzz_gcm_plain(const uint8_t *p, size_t len)
{
	struct mig_gcm *seal, *open;
	size_t n, plen, flip;
	uint32_t type, t = 0;

	if (len < 1 || len - 1 > sizeof(buf) - MIG_CHAN_LEN - MIG_CHAN_OVERHEAD ||
	    !gcm_pair(&seal, &open, p[len - 1]))
		return;
	flip = p[0];
	p++;
	len--;
	for (size_t i = 0; i < len && i < 4; i++)
		t |= (uint32_t)p[i] << (8 * i);
	if (len)
		memcpy(buf + MIG_CHAN_SEAL_PAYLOAD, p, len);
	n = mig_chan_gcm_seal(seal, buf, t, len);
	if (n != MIG_CHAN_LEN + MIG_CHAN_OVERHEAD + len ||
	    mig_chan_parse_len(buf, MIG_CHAN_LEN, &plen) < 0 || plen != n - MIG_CHAN_LEN)
		abort();
	if (flip < n) {
		/* any change, to the length or the record, and it does not open */
		buf[flip] ^= 0x5a;
		if (mig_chan_gcm_open(open, buf, buf + MIG_CHAN_LEN, n - MIG_CHAN_LEN, &type,
				      &plen) == 0)
			abort();
	} else if (mig_chan_gcm_open(open, buf, buf + MIG_CHAN_LEN, n - MIG_CHAN_LEN, &type,
				     &plen) < 0 || plen != len || type != t ||
		   (len && memcmp(buf + MIG_CHAN_LEN + MIG_CHAN_OPEN_PAYLOAD, p, len) != 0)) {
		abort();
	}
	mig_gcm_free(seal);
	mig_gcm_free(open);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 5) {
	case 3:
		fuzz_gcm_wire(data + 1, size - 1);
		break;
	case 4:
		fuzz_gcm_plain(data + 1, size - 1);
		break;
	case 0:
		fuzz_hs(data + 1, size - 1);
		break;
	case 1:
		fuzz_wire(data + 1, size - 1);
		break;
	default:
		fuzz_plain(data + 1, size - 1);
		break;
	}
	return 0;
}
