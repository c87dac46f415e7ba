// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the gossip datagram decoder. An attacker without
 * the key reaches gossip_peek() and the tag check; one with it (a node of
 * the cluster gone bad) reaches the vector decoder. The first input byte
 * picks which: even = the raw datagram, odd = the rest sealed with the
 * fuzzer's key as the payload, so vectors are decoded from arbitrary bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "lib/gossip_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mosix_key key = { { 1, 2, 3 } };

	if (size == 0)
		return 0;
	if (data[0] % 2 == 0) {
		struct gossip_vec v[GOSSIP_MAX_VECS];
		struct gossip_hdr h;

		if (gossip_open(&key, data + 1, size - 1, &h, v) == 0 &&
		    (h.count == 0 || h.count > GOSSIP_MAX_VECS || v[0].node != h.sender))
			abort();
		return 0;
	}
	/* decode vectors from arbitrary bytes; accepted ones must re-encode */
	for (size_t off = 1; off + GOSSIP_VEC_LEN <= size; off += GOSSIP_VEC_LEN) {
		uint8_t again[GOSSIP_VEC_LEN];
		struct gossip_vec one;

		if (gossip_vec_decode(data + off, &one) < 0)
			continue;
		gossip_vec_encode(&one, again);
		if (memcmp(again, data + off, GOSSIP_VEC_LEN) != 0)
			abort();
	}
	return 0;
}
