/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_KEYSRV_WIRE_H
#define MOSIX_KEYSRV_WIRE_H

/*
 * The netboot key service: how a diskless node gets the cluster key, the
 * map and mosix.conf from its boot server (mosix-keysrv) without the key
 * ever being in the clear in the boot image or on the wire. Version 1,
 * UDP, big-endian. See docs/NETBOOT.md for the trust model.
 *
 * The node makes an X25519 key pair at every boot and asks:
 *
 *   offset size  request (KEYSRV_REQ_LEN bytes)
 *        0    4  magic "MXKQ"
 *        4    1  version (1)
 *        5    1  type (KEYSRV_REQUEST)
 *        6    2  length of the whole datagram (64)
 *        8   32  the node's ephemeral X25519 public key
 *       40   24  challenge: random bytes of this request
 *
 * The server answers with a bundle sealed to that public key, or with a
 * refusal, and signs either with its Ed25519 key, whose public half the
 * node has in its image:
 *
 *   offset size  answer
 *        0    4  magic "MXKA"
 *        4    1  version (1)
 *        5    1  type (KEYSRV_BUNDLE or KEYSRV_REFUSED)
 *        6    2  reason of a refusal (enum keysrv_reason), zero otherwise
 *        8    4  length of the whole datagram
 *       12   32  the request's public key    \ echoed: the signature binds
 *       44   24  the request's challenge     / the answer to one request
 *       68    4  S, length of the sealed bundle (0 in a refusal)
 *       72    S  crypto_box_seal(bundle, node's public key)
 *     72+S   64  Ed25519 signature of bytes 0 .. 72+S-1
 *
 * The bundle (plain text inside the sealed box):
 *
 *        0   32  the cluster key
 *       32    4  M, length of the map text
 *       36    4  C, length of mosix.conf
 *       40    M  the map (text, as in mosix.map)
 *     40+M    C  mosix.conf (text)
 *
 * An answer fits one UDP datagram (KEYSRV_ANS_MAX); the map and mosix.conf
 * together may take KEYSRV_TEXT_MAX bytes.
 */

#include <stddef.h>
#include <stdint.h>

#include "key.h"

#define KEYSRV_PORT 5652
#define KEYSRV_VERSION 1
#define KEYSRV_REQ_MAGIC 0x4d584b51u /* "MXKQ" */
#define KEYSRV_ANS_MAGIC 0x4d584b41u /* "MXKA" */
#define KEYSRV_PK_LEN 32	/* X25519 public key */
#define KEYSRV_CHAL_LEN 24
#define KEYSRV_REQ_LEN 64
#define KEYSRV_ANS_HDR_LEN 72
#define KEYSRV_SIG_LEN 64	/* Ed25519 */
#define KEYSRV_SEAL_LEN 48	/* crypto_box_SEALBYTES */
#define KEYSRV_BUNDLE_HDR_LEN 40
#define KEYSRV_TEXT_MAX 60000
#define KEYSRV_ANS_MAX (KEYSRV_ANS_HDR_LEN + KEYSRV_SEAL_LEN + \
			KEYSRV_BUNDLE_HDR_LEN + KEYSRV_TEXT_MAX + KEYSRV_SIG_LEN)
#define KEYSRV_SIGN_PK_LEN 32	/* Ed25519 public key */
#define KEYSRV_SIGN_SK_LEN 64	/* Ed25519 secret key (libsodium's form) */

enum keysrv_type {
	KEYSRV_REQUEST = 1,
	KEYSRV_BUNDLE = 2,
	KEYSRV_REFUSED = 3,
};

enum keysrv_reason {
	KEYSRV_R_NONE = 0,
	KEYSRV_R_RANGE = 1,	/* the address is outside the netboot range */
	KEYSRV_R_LEASE = 2,	/* no current DHCP lease for the address */
	KEYSRV_R_MAC = 3,	/* the lease's MAC is not allowed */
	KEYSRV_R_CONFIG = 4,	/* the server cannot read its own files */
	KEYSRV_R_MAX = 4,
};

struct keysrv_request {
	uint8_t pk[KEYSRV_PK_LEN];
	uint8_t chal[KEYSRV_CHAL_LEN];
};

/* A decoded bundle: the texts point into the buffer it was decoded from. */
struct keysrv_bundle {
	struct mosix_key key;
	const char *map;
	uint32_t map_len;
	const char *conf;
	uint32_t conf_len;
};

/* What reason @r means, in words ("" for none or unknown). */
const char *keysrv_reason_str(uint16_t r);

/* The request into @out (KEYSRV_REQ_LEN bytes). */
void keysrv_request_encode(const struct keysrv_request *req, uint8_t *out);

/*
 * Decode a received request: 0, -EBADMSG when malformed (length, magic,
 * type), -EPROTONOSUPPORT for another version.
 */
int keysrv_request_decode(const uint8_t *in, size_t len, struct keysrv_request *ret);

/*
 * The answer to @req into @out (@out_size bytes, KEYSRV_ANS_MAX is always
 * enough), signed with @sign_sk. With @reason KEYSRV_R_NONE it carries
 * @b sealed to the request's key; else it is a refusal and @b is unused.
 * Returns the length, or -EMSGSIZE when the texts are too long, -ENOMEM.
 */
int keysrv_answer_encode(const uint8_t sign_sk[KEYSRV_SIGN_SK_LEN],
			 const struct keysrv_request *req, uint16_t reason,
			 const struct keysrv_bundle *b, uint8_t *out, size_t out_size);

/*
 * Check an answer against the request it must answer: its form, then the
 * signature with @sign_pk. On success, *@ret_reason is KEYSRV_R_NONE and
 * the sealed bundle is at @in + *@ret_sealed_off, *@ret_sealed_len bytes;
 * or *@ret_reason says why the server refused. -EBADMSG when malformed,
 * -EPROTONOSUPPORT for another version, -ESTALE when it answers another
 * request (an old answer, or another node's), -EKEYREJECTED when the
 * signature is not the server's.
 */
int keysrv_answer_verify(const uint8_t sign_pk[KEYSRV_SIGN_PK_LEN],
			 const struct keysrv_request *req, const uint8_t *in,
			 size_t len, uint16_t *ret_reason, size_t *ret_sealed_off,
			 size_t *ret_sealed_len);

/*
 * Open a sealed bundle with the node's key pair into @plain (at least
 * @len - KEYSRV_SEAL_LEN bytes), then decode it into @ret, whose texts
 * point into @plain. -EKEYREJECTED when it does not open, -EBADMSG when
 * the bundle is malformed.
 */
int keysrv_bundle_open(const uint8_t pk[KEYSRV_PK_LEN], const uint8_t sk[32],
		       const uint8_t *sealed, size_t len, uint8_t *plain,
		       struct keysrv_bundle *ret);

/* Decode a bundle's plain text (@in, @len bytes): 0 or -EBADMSG. */
int keysrv_bundle_decode(const uint8_t *in, size_t len, struct keysrv_bundle *ret);

#endif
