/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_MIG_GCM_H
#define MOSIX_MIG_GCM_H

/*
 * AES-256-GCM for the records of the migration channel (mig_chan.h), from
 * OpenSSL's libcrypto, loaded when first asked for (dlopen): with AES-NI
 * and carry-less multiplication it seals 2-3 GB/s on one core of the
 * development machine, where libsodium 1.0.18's ciphers (the
 * secretstream, its own AES-256-GCM) manage 0.55-0.65 GB/s. A move
 * encrypts and decrypts every page, and both ends share the CPUs of a
 * namespace cluster, so that is the difference between a move bound by
 * the cipher and one bound by the link.
 *
 * Probed, not assumed: available only when the library loads, has every
 * function used, and the CPU has AES-NI and PCLMULQDQ (without them
 * OpenSSL falls back to slow constant-time code, and the secretstream is
 * the better choice); MOSIX_NO_GCM in the environment turns it off (tests
 * of the fallback). The channel offers it in the migration's HELLO and
 * uses it only when both sides can (mig_img.h, MIG_M_CIPHER).
 *
 * Records under 1 KiB go through libsodium's AES-256-GCM where it is
 * available (the same algorithm: either end opens what the other seals),
 * which is three times cheaper than libcrypto's for a forwarded call's
 * small records.
 *
 * AES-256-OCB (RFC 7253) for the records of 1 KiB and more, where both
 * ends' libcrypto has it: on the development machine's AES-NI it seals a
 * 512 KiB run of pages 1.6-2 times as fast as GCM (OpenSSL 3.0's GCM is
 * bound by its GHASH; OCB's authentication is an XOR per block), and a
 * move seals and opens every page. The small records stay GCM (libsodium
 * has no OCB); the large ones then have a key of their own, derived from
 * the direction's, so that no key serves two modes.
 *
 * One key per direction; the nonce is a record counter (64 bits, then 4
 * zero bytes) kept here, so a dropped, repeated or reordered record fails
 * to open, as with the secretstream. Never more than 2^64 records.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MIG_GCM_KEY 32
#define MIG_GCM_TAG 16

struct mig_gcm;

/* Whether AES-256-GCM can be used in this process (probed once). */
bool mig_gcm_available(void);

/* Whether AES-256-OCB can be too, for the large records. */
bool mig_gcm_ocb_available(void);

/*
 * A direction keyed with @key (copied into libcrypto's context), to seal
 * (@seal) or to open records, its counter at 0; with @ocb, its large
 * records under AES-256-OCB. -EOPNOTSUPP when not available, -ENOMEM.
 */
int mig_gcm_new(const uint8_t key[MIG_GCM_KEY], bool seal, bool ocb, struct mig_gcm **ret);

/*
 * Records of fewer than @max bytes (payload and AAD) through libsodium's
 * implementation, the rest through libcrypto's (default 1024; 0 for
 * libcrypto only, SIZE_MAX for libsodium wherever it can). Both make
 * AES-256-GCM: for tests that one end opens what the other sealed.
 */
void mig_gcm_set_small(struct mig_gcm *g, size_t max);

/* How many records of @g went through libsodium (for tests). */
uint64_t mig_gcm_small_records(const struct mig_gcm *g);

/* Accepts NULL; wipes the key. */
void mig_gcm_free(struct mig_gcm *g);

/*
 * Encrypt @len bytes at @p in place, authenticating @aad (@alen bytes)
 * too, and write the tag to @tag; the next record's nonce. -EIO if
 * libcrypto fails, -EMSGSIZE beyond INT_MAX bytes.
 */
int mig_gcm_seal(struct mig_gcm *g, const uint8_t *aad, size_t alen, uint8_t *p, size_t len,
		 uint8_t tag[MIG_GCM_TAG]);

/*
 * Decrypt @len bytes at @p in place when they and @aad authenticate with
 * @tag under the expected nonce: 0, else -EBADMSG (and @p holds garbage;
 * the direction must not be used again).
 */
int mig_gcm_open(struct mig_gcm *g, const uint8_t *aad, size_t alen, uint8_t *p, size_t len,
		 const uint8_t tag[MIG_GCM_TAG]);

#endif
