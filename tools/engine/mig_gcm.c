// SPDX-License-Identifier: GPL-2.0-only
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "engine/mig_gcm.h"

/*
 * The part of libcrypto's ABI used here (OpenSSL 3, <openssl/evp.h>),
 * declared by hand: the library is loaded when present, not a build
 * dependency.
 */
/* the AEAD controls: the same numbers for GCM and OCB */
#define EVP_CTRL_AEAD_GET_TAG 0x10
#define EVP_CTRL_AEAD_SET_TAG 0x11
#define LIBCRYPTO "libcrypto.so.3"
#define NONCE 12

struct evp {
	void *(*ctx_new)(void);
	void (*ctx_free)(void *ctx);
	const void *(*aes_256_gcm)(void);
	const void *(*aes_256_ocb)(void);	/* NULL without OCB */
	int (*enc_init)(void *ctx, const void *cipher, void *engine, const uint8_t *key,
			const uint8_t *iv);
	int (*enc_update)(void *ctx, uint8_t *out, int *outl, const uint8_t *in, int inl);
	int (*enc_final)(void *ctx, uint8_t *out, int *outl);
	int (*dec_init)(void *ctx, const void *cipher, void *engine, const uint8_t *key,
			const uint8_t *iv);
	int (*dec_update)(void *ctx, uint8_t *out, int *outl, const uint8_t *in, int inl);
	int (*dec_final)(void *ctx, uint8_t *out, int *outl);
	int (*ctx_ctrl)(void *ctx, int type, int arg, void *ptr);
};

/*
 * Below this many bytes (payload and AAD) a record goes through
 * libsodium's AES-256-GCM instead: the same construction, so either end
 * opens what the other sealed, but without the five calls through
 * OpenSSL 3's provider dispatch (the tag goes by a parameter looked up by
 * name), which cost a forwarded call's small records about 0.4 us each;
 * libcrypto's stitched code wins from about 1 KiB on (docs/BENCHMARKS.md).
 */
#define SMALL_MAX 1024

/* the context of the large records' own key under OCB (crypto_kdf) */
#define OCB_KDF_CTX "mxmc-ocb"
#define OCB_KDF_ID 1

struct mig_gcm {
	crypto_aead_aes256gcm_state small;	/* used when has_small */
	void *ctx;
	bool seal;
	bool has_small;
	size_t small_max;
	uint64_t counter;
	uint64_t small_records;	/* how many went through libsodium */
};

static struct evp evp;
static int probed;	/* 0 not yet, 1 available, -1 not */
static bool ocb_ok;	/* and AES-256-OCB too */

static bool load(void)
{
	static const char *const names[] = {
		"EVP_CIPHER_CTX_new", "EVP_CIPHER_CTX_free", "EVP_aes_256_gcm",
		"EVP_EncryptInit_ex", "EVP_EncryptUpdate", "EVP_EncryptFinal_ex",
		"EVP_DecryptInit_ex", "EVP_DecryptUpdate", "EVP_DecryptFinal_ex",
		"EVP_CIPHER_CTX_ctrl",
	};
	void *fn[sizeof(names) / sizeof(names[0])];
	void *h;

	if (getenv("MOSIX_NO_GCM"))
		return false;
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("aes") || !__builtin_cpu_supports("pclmul"))
		return false;
	/* never closed: the functions are used for the life of the process */
	h = dlopen(LIBCRYPTO, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return false;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		fn[i] = dlsym(h, names[i]);
		if (!fn[i])
			return false;
	}
	/* object pointers to function pointers: what dlsym is for (POSIX) */
	memcpy(&evp.ctx_new, &fn[0], sizeof(void *));
	memcpy(&evp.ctx_free, &fn[1], sizeof(void *));
	memcpy(&evp.aes_256_gcm, &fn[2], sizeof(void *));
	memcpy(&evp.enc_init, &fn[3], sizeof(void *));
	memcpy(&evp.enc_update, &fn[4], sizeof(void *));
	memcpy(&evp.enc_final, &fn[5], sizeof(void *));
	memcpy(&evp.dec_init, &fn[6], sizeof(void *));
	memcpy(&evp.dec_update, &fn[7], sizeof(void *));
	memcpy(&evp.dec_final, &fn[8], sizeof(void *));
	memcpy(&evp.ctx_ctrl, &fn[9], sizeof(void *));
	/* optional: a libcrypto built without OCB still does GCM */
	fn[0] = dlsym(h, "EVP_aes_256_ocb");
	memcpy(&evp.aes_256_ocb, &fn[0], sizeof(void *));
	return evp.aes_256_gcm() != NULL;
}

/*
 * libcrypto sets itself up at the first use of a cipher (its providers,
 * its configuration file): milliseconds, tens under a sanitiser. Done at
 * the probe, so that it never falls inside a conversation.
 */
static bool warm_up(const void *cipher)
{
	static const uint8_t key[MIG_GCM_KEY];
	void *ctx = evp.ctx_new();
	bool ok = ctx && cipher && evp.enc_init(ctx, cipher, NULL, key, NULL) == 1;

	if (ctx)
		evp.ctx_free(ctx);
	return ok;
}

bool mig_gcm_available(void)
{
	if (!probed) {
		probed = load() && warm_up(evp.aes_256_gcm()) ? 1 : -1;
		ocb_ok = probed > 0 && evp.aes_256_ocb && warm_up(evp.aes_256_ocb());
	}
	return probed > 0;
}

bool mig_gcm_ocb_available(void)
{
	return mig_gcm_available() && ocb_ok;
}

int mig_gcm_new(const uint8_t key[MIG_GCM_KEY], bool seal, bool ocb, struct mig_gcm **ret)
{
	uint8_t big_key[MIG_GCM_KEY];
	const void *cipher;
	struct mig_gcm *g;
	int ok;

	if (!mig_gcm_available() || (ocb && !mig_gcm_ocb_available()))
		return -EOPNOTSUPP;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->seal = seal;
	g->ctx = evp.ctx_new();
	if (!g->ctx) {
		free(g);
		return -ENOMEM;
	}
	/* libsodium reads the CPU's features in sodium_init (idempotent) */
	if (sodium_init() >= 0 && crypto_aead_aes256gcm_is_available() &&
	    crypto_aead_aes256gcm_beforenm(&g->small, key) == 0) {
		g->has_small = true;
		g->small_max = SMALL_MAX;
	}
	/*
	 * Under OCB the large records have a key of their own: one key
	 * must not serve two modes (GCM's small records keep @key), and the
	 * record counter, the nonce of both, then never repeats under a key.
	 */
	memcpy(big_key, key, sizeof(big_key));
	cipher = evp.aes_256_gcm();
	if (ocb) {
		cipher = evp.aes_256_ocb();
		if (crypto_kdf_derive_from_key(big_key, sizeof(big_key), OCB_KDF_ID, OCB_KDF_CTX,
					       key)) {
			sodium_memzero(big_key, sizeof(big_key));
			mig_gcm_free(g);
			return -EIO;
		}
	}
	/* the key now, the nonce with each record */
	ok = seal ? evp.enc_init(g->ctx, cipher, NULL, big_key, NULL) :
		    evp.dec_init(g->ctx, cipher, NULL, big_key, NULL);
	sodium_memzero(big_key, sizeof(big_key));
	if (ok != 1) {
		mig_gcm_free(g);
		return -EIO;
	}
	*ret = g;
	return 0;
}

void mig_gcm_free(struct mig_gcm *g)
{
	if (!g)
		return;
	/* libcrypto wipes the key schedule as it frees the context; the
	 * small path's is wiped with the rest below */
	evp.ctx_free(g->ctx);
	sodium_memzero(g, sizeof(*g));
	free(g);
}

static void nonce(const struct mig_gcm *g, uint8_t n[NONCE])
{
	memset(n, 0, NONCE);
	for (int i = 0; i < 8; i++)
		n[i] = (uint8_t)(g->counter >> (8 * i));
}

int mig_gcm_seal(struct mig_gcm *g, const uint8_t *aad, size_t alen, uint8_t *p, size_t len,
		 uint8_t tag[MIG_GCM_TAG])
{
	uint8_t n[NONCE];
	int outl, done = 0;

	if (!g->seal)
		return -EINVAL;
	if (len > INT_MAX || alen > INT_MAX)
		return -EMSGSIZE;
	nonce(g, n);
	if (g->has_small && len + alen < g->small_max) {
		unsigned long long tl;

		if (crypto_aead_aes256gcm_encrypt_detached_afternm(p, tag, &tl, p, len, aad, alen,
								   NULL, n, &g->small))
			return -EIO;
		g->counter++;
		g->small_records++;
		return 0;
	}
	/* OCB keeps a partial block back for the final step, GCM nothing */
	if (evp.enc_init(g->ctx, NULL, NULL, NULL, n) != 1 ||
	    (alen && evp.enc_update(g->ctx, NULL, &outl, aad, (int)alen) != 1) ||
	    (len && evp.enc_update(g->ctx, p, &done, p, (int)len) != 1) ||
	    evp.enc_final(g->ctx, p + done, &outl) != 1 || (size_t)done + (size_t)outl != len ||
	    evp.ctx_ctrl(g->ctx, EVP_CTRL_AEAD_GET_TAG, MIG_GCM_TAG, tag) != 1)
		return -EIO;
	g->counter++;
	return 0;
}

int mig_gcm_open(struct mig_gcm *g, const uint8_t *aad, size_t alen, uint8_t *p, size_t len,
		 const uint8_t tag[MIG_GCM_TAG])
{
	uint8_t n[NONCE], t[MIG_GCM_TAG];
	int outl, done = 0;

	if (g->seal)
		return -EINVAL;
	if (len > INT_MAX || alen > INT_MAX)
		return -EBADMSG;
	nonce(g, n);
	if (g->has_small && len + alen < g->small_max) {
		if (crypto_aead_aes256gcm_decrypt_detached_afternm(p, NULL, p, len, tag, aad, alen,
								   n, &g->small))
			return -EBADMSG;
		g->counter++;
		g->small_records++;
		return 0;
	}
	memcpy(t, tag, sizeof(t));
	/* the tag is checked by the final step: before it, nothing is trusted */
	if (evp.dec_init(g->ctx, NULL, NULL, NULL, n) != 1 ||
	    (alen && evp.dec_update(g->ctx, NULL, &outl, aad, (int)alen) != 1) ||
	    (len && evp.dec_update(g->ctx, p, &done, p, (int)len) != 1) ||
	    evp.ctx_ctrl(g->ctx, EVP_CTRL_AEAD_SET_TAG, MIG_GCM_TAG, t) != 1 ||
	    evp.dec_final(g->ctx, p + done, &outl) != 1 || (size_t)done + (size_t)outl != len)
		return -EBADMSG;
	g->counter++;
	return 0;
}

void mig_gcm_set_small(struct mig_gcm *g, size_t max)
{
	g->small_max = g->has_small ? max : 0;
}

uint64_t mig_gcm_small_records(const struct mig_gcm *g)
{
	return g->small_records;
}
