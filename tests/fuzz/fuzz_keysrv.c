// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the netboot key service's decoders. Anyone on the
 * netboot network reaches mosix-keysrv's request decoder, and anyone who
 * can answer a node (a rogue server) reaches mosix-keyget's answer check;
 * a server gone bad (holding the signing key) reaches the bundle decoder.
 * The first input byte picks which; the rest is the datagram or bundle.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "lib/keysrv_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t spk[KEYSRV_SIGN_PK_LEN];
	static struct keysrv_request req;
	static int ready;

	if (!ready) {
		static const uint8_t seed[crypto_sign_SEEDBYTES] = { 7 };
		uint8_t ssk[KEYSRV_SIGN_SK_LEN];

		if (sodium_init() < 0)
			abort();
		crypto_sign_seed_keypair(spk, ssk, seed);
		memset(req.pk, 9, sizeof(req.pk));
		memset(req.chal, 5, sizeof(req.chal));
		ready = 1;
	}
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0: {
		/* a request: an accepted one must encode back to its bytes */
		struct keysrv_request r;

		if (keysrv_request_decode(data + 1, size - 1, &r) == 0) {
			uint8_t again[KEYSRV_REQ_LEN];

			keysrv_request_encode(&r, again);
			if (size - 1 != KEYSRV_REQ_LEN || memcmp(again, data + 1, KEYSRV_REQ_LEN))
				abort();
		}
		break;
	}
	case 1: {
		/* an answer: a forgery must never pass the signature check */
		size_t off, len;
		uint16_t reason;

		if (keysrv_answer_verify(spk, &req, data + 1, size - 1, &reason, &off, &len) == 0)
			abort();
		break;
	}
	default: {
		/* a bundle from a signed answer: lengths must hold together */
		struct keysrv_bundle b;

		if (keysrv_bundle_decode(data + 1, size - 1, &b) == 0 &&
		    (KEYSRV_BUNDLE_HDR_LEN + (size_t)b.map_len + b.conf_len != size - 1 ||
		     b.conf != b.map + b.map_len))
			abort();
		break;
	}
	}
	return 0;
}
