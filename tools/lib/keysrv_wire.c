// SPDX-License-Identifier: GPL-2.0-only
#include "keysrv_wire.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(crypto_box_PUBLICKEYBYTES == KEYSRV_PK_LEN, "X25519 key size");
_Static_assert(crypto_box_SECRETKEYBYTES == 32, "X25519 secret key size");
_Static_assert(crypto_box_SEALBYTES == KEYSRV_SEAL_LEN, "sealed box overhead");
_Static_assert(crypto_sign_BYTES == KEYSRV_SIG_LEN, "signature size");
_Static_assert(crypto_sign_PUBLICKEYBYTES == KEYSRV_SIGN_PK_LEN, "Ed25519 key size");
_Static_assert(crypto_sign_SECRETKEYBYTES == KEYSRV_SIGN_SK_LEN, "Ed25519 secret size");
_Static_assert(KEYSRV_ANS_MAX <= 65507, "an answer must fit one UDP datagram");

#define OFF_MAGIC 0
#define OFF_VERSION 4
#define OFF_TYPE 5
#define OFF_REQ_LENGTH 6
#define OFF_REQ_PK 8
#define OFF_REQ_CHAL 40
_Static_assert(OFF_REQ_CHAL + KEYSRV_CHAL_LEN == KEYSRV_REQ_LEN, "request layout");

#define OFF_ANS_REASON 6
#define OFF_ANS_LENGTH 8
#define OFF_ANS_PK 12
#define OFF_ANS_CHAL 44
#define OFF_ANS_SEALED_LEN 68
_Static_assert(OFF_ANS_SEALED_LEN + 4 == KEYSRV_ANS_HDR_LEN, "answer layout");

#define OFF_B_KEY 0
#define OFF_B_MAP_LEN 32
#define OFF_B_CONF_LEN 36
_Static_assert(OFF_B_CONF_LEN + 4 == KEYSRV_BUNDLE_HDR_LEN, "bundle layout");

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

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

const char *keysrv_reason_str(uint16_t r)
{
	switch (r) {
	case KEYSRV_R_RANGE:
		return "the address is outside the netboot range";
	case KEYSRV_R_LEASE:
		return "the address has no current DHCP lease";
	case KEYSRV_R_MAC:
		return "the lease's MAC address is not allowed";
	case KEYSRV_R_CONFIG:
		return "the server cannot read the cluster configuration";
	default:
		return "";
	}
}

void keysrv_request_encode(const struct keysrv_request *req, uint8_t *out)
{
	put32(out + OFF_MAGIC, KEYSRV_REQ_MAGIC);
	out[OFF_VERSION] = KEYSRV_VERSION;
	out[OFF_TYPE] = KEYSRV_REQUEST;
	put16(out + OFF_REQ_LENGTH, KEYSRV_REQ_LEN);
	memcpy(out + OFF_REQ_PK, req->pk, KEYSRV_PK_LEN);
	memcpy(out + OFF_REQ_CHAL, req->chal, KEYSRV_CHAL_LEN);
}

int keysrv_request_decode(const uint8_t *in, size_t len, struct keysrv_request *ret)
{
	if (len < OFF_TYPE + 1 || get32(in + OFF_MAGIC) != KEYSRV_REQ_MAGIC)
		return -EBADMSG;
	if (in[OFF_VERSION] != KEYSRV_VERSION)
		return -EPROTONOSUPPORT;
	if (len != KEYSRV_REQ_LEN || in[OFF_TYPE] != KEYSRV_REQUEST ||
	    get16(in + OFF_REQ_LENGTH) != KEYSRV_REQ_LEN)
		return -EBADMSG;
	memcpy(ret->pk, in + OFF_REQ_PK, KEYSRV_PK_LEN);
	memcpy(ret->chal, in + OFF_REQ_CHAL, KEYSRV_CHAL_LEN);
	return 0;
}

/*
 * The answer is built in place: header, then the sealed bundle (sealed
 * from a plain-text copy that is wiped afterwards, since it holds the
 * cluster key), then the signature of everything before it.
 */
int keysrv_answer_encode(const uint8_t sign_sk[KEYSRV_SIGN_SK_LEN],
			 const struct keysrv_request *req, uint16_t reason,
			 const struct keysrv_bundle *b, uint8_t *out, size_t out_size)
{
	size_t plain_len = 0, sealed_len = 0, total;

	if (reason == KEYSRV_R_NONE) {
		if (b->map_len > KEYSRV_TEXT_MAX || b->conf_len > KEYSRV_TEXT_MAX - b->map_len)
			return -EMSGSIZE;
		plain_len = KEYSRV_BUNDLE_HDR_LEN + (size_t)b->map_len + b->conf_len;
		sealed_len = plain_len + KEYSRV_SEAL_LEN;
	}
	total = KEYSRV_ANS_HDR_LEN + sealed_len + KEYSRV_SIG_LEN;
	if (total > out_size)
		return -EMSGSIZE;
	put32(out + OFF_MAGIC, KEYSRV_ANS_MAGIC);
	out[OFF_VERSION] = KEYSRV_VERSION;
	out[OFF_TYPE] = reason == KEYSRV_R_NONE ? KEYSRV_BUNDLE : KEYSRV_REFUSED;
	put16(out + OFF_ANS_REASON, reason);
	put32(out + OFF_ANS_LENGTH, (uint32_t)total);
	memcpy(out + OFF_ANS_PK, req->pk, KEYSRV_PK_LEN);
	memcpy(out + OFF_ANS_CHAL, req->chal, KEYSRV_CHAL_LEN);
	put32(out + OFF_ANS_SEALED_LEN, (uint32_t)sealed_len);
	if (reason == KEYSRV_R_NONE) {
		uint8_t *plain = malloc(plain_len);
		int r;

		if (!plain)
			return -ENOMEM;
		memcpy(plain + OFF_B_KEY, b->key.b, KEY_BYTES);
		put32(plain + OFF_B_MAP_LEN, b->map_len);
		put32(plain + OFF_B_CONF_LEN, b->conf_len);
		if (b->map_len)
			memcpy(plain + KEYSRV_BUNDLE_HDR_LEN, b->map, b->map_len);
		if (b->conf_len)
			memcpy(plain + KEYSRV_BUNDLE_HDR_LEN + b->map_len, b->conf, b->conf_len);
		r = crypto_box_seal(out + KEYSRV_ANS_HDR_LEN, plain, plain_len, req->pk);
		sodium_memzero(plain, plain_len);
		free(plain);
		if (r != 0)
			return -EINVAL; /* not a valid curve point */
	}
	crypto_sign_detached(out + KEYSRV_ANS_HDR_LEN + sealed_len, NULL, out,
			     KEYSRV_ANS_HDR_LEN + sealed_len, sign_sk);
	return (int)total;
}

int keysrv_answer_verify(const uint8_t sign_pk[KEYSRV_SIGN_PK_LEN],
			 const struct keysrv_request *req, const uint8_t *in,
			 size_t len, uint16_t *ret_reason, size_t *ret_sealed_off,
			 size_t *ret_sealed_len)
{
	uint32_t sealed_len;
	uint16_t reason;
	uint8_t type;

	if (len < KEYSRV_ANS_HDR_LEN + KEYSRV_SIG_LEN || len > KEYSRV_ANS_MAX ||
	    get32(in + OFF_MAGIC) != KEYSRV_ANS_MAGIC)
		return -EBADMSG;
	if (in[OFF_VERSION] != KEYSRV_VERSION)
		return -EPROTONOSUPPORT;
	type = in[OFF_TYPE];
	reason = get16(in + OFF_ANS_REASON);
	sealed_len = get32(in + OFF_ANS_SEALED_LEN);
	if (get32(in + OFF_ANS_LENGTH) != len ||
	    sealed_len != len - KEYSRV_ANS_HDR_LEN - KEYSRV_SIG_LEN)
		return -EBADMSG;
	if (type == KEYSRV_BUNDLE) {
		if (reason != KEYSRV_R_NONE ||
		    sealed_len < KEYSRV_SEAL_LEN + KEYSRV_BUNDLE_HDR_LEN)
			return -EBADMSG;
	} else if (type == KEYSRV_REFUSED) {
		if (reason == KEYSRV_R_NONE || reason > KEYSRV_R_MAX || sealed_len != 0)
			return -EBADMSG;
	} else {
		return -EBADMSG;
	}
	if (crypto_sign_verify_detached(in + len - KEYSRV_SIG_LEN, in,
					len - KEYSRV_SIG_LEN, sign_pk) != 0)
		return -EKEYREJECTED;
	if (memcmp(in + OFF_ANS_PK, req->pk, KEYSRV_PK_LEN) != 0 ||
	    memcmp(in + OFF_ANS_CHAL, req->chal, KEYSRV_CHAL_LEN) != 0)
		return -ESTALE;
	*ret_reason = reason;
	*ret_sealed_off = KEYSRV_ANS_HDR_LEN;
	*ret_sealed_len = sealed_len;
	return 0;
}

int keysrv_bundle_decode(const uint8_t *in, size_t len, struct keysrv_bundle *ret)
{
	uint32_t map_len, conf_len;

	if (len < KEYSRV_BUNDLE_HDR_LEN)
		return -EBADMSG;
	map_len = get32(in + OFF_B_MAP_LEN);
	conf_len = get32(in + OFF_B_CONF_LEN);
	if (map_len > KEYSRV_TEXT_MAX || conf_len > KEYSRV_TEXT_MAX - map_len ||
	    len != KEYSRV_BUNDLE_HDR_LEN + (size_t)map_len + conf_len)
		return -EBADMSG;
	/* texts: no NUL inside, so that they can be written out as they are */
	if (memchr(in + KEYSRV_BUNDLE_HDR_LEN, '\0', (size_t)map_len + conf_len))
		return -EBADMSG;
	memcpy(ret->key.b, in + OFF_B_KEY, KEY_BYTES);
	ret->map = (const char *)in + KEYSRV_BUNDLE_HDR_LEN;
	ret->map_len = map_len;
	ret->conf = ret->map + map_len;
	ret->conf_len = conf_len;
	return 0;
}

int keysrv_bundle_open(const uint8_t pk[KEYSRV_PK_LEN], const uint8_t sk[32],
		       const uint8_t *sealed, size_t len, uint8_t *plain,
		       struct keysrv_bundle *ret)
{
	if (len < KEYSRV_SEAL_LEN + KEYSRV_BUNDLE_HDR_LEN)
		return -EBADMSG;
	if (crypto_box_seal_open(plain, sealed, len, pk, sk) != 0)
		return -EKEYREJECTED;
	return keysrv_bundle_decode(plain, len - KEYSRV_SEAL_LEN, ret);
}
