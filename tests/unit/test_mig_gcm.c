// SPDX-License-Identifier: GPL-2.0-only
/*
 * The channel's AES-256-GCM directions: small records go through
 * libsodium's implementation, large ones through libcrypto's, so each must
 * open what the other sealed, at every size around the switch; a flipped
 * bit in the AAD, the payload or the tag fails either way; a record out of
 * order fails; both give the specification's answers for the zero key. Skipped where the machine cannot do AES-256-GCM at all (no
 * AES-NI, no libcrypto): the channel then never uses it.
 *
 * With OCB for the large records: every size opens, the small ones still
 * through libsodium; a flipped bit or a record out of order fails; and a
 * large record is really OCB under a key of its own (a GCM direction of
 * the same key cannot open it), where a small one is the same GCM record.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "engine/mig_gcm.h"

#define BIG (64 * 1024)

/* the sizes that matter: empty, around the 1 KiB switch, large */
static const size_t sizes[] = { 0, 1, 15, 16, 17, 1000, 1018, 1019, 1020, 1023, 1024, 4096,
				BIG };

struct pair {
	struct mig_gcm *tx, *rx;
};

static void pair_new_ocb(struct pair *p, size_t tx_small, size_t rx_small, bool tx_ocb,
			 bool rx_ocb)
{
	uint8_t key[MIG_GCM_KEY];

	if (!mig_gcm_available() || !crypto_aead_aes256gcm_is_available() ||
	    ((tx_ocb || rx_ocb) && !mig_gcm_ocb_available()))
		skip();
	randombytes_buf(key, sizeof(key));
	assert_int_equal(mig_gcm_new(key, true, tx_ocb, &p->tx), 0);
	assert_int_equal(mig_gcm_new(key, false, rx_ocb, &p->rx), 0);
	mig_gcm_set_small(p->tx, tx_small);
	mig_gcm_set_small(p->rx, rx_small);
}

static void pair_free(struct pair *p)
{
	mig_gcm_free(p->tx);
	mig_gcm_free(p->rx);
}

/* how many of sizes[] (with the 5-byte AAD) go through libsodium */
static uint64_t expect_small(size_t max)
{
	uint64_t n = 0;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		n += sizes[i] + 5 < max;
	return n;
}

static void fill(uint8_t *b, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(i * 31 + seed);
}

/*
 * The first record of a direction under the all-zero key: nonce 0, so
 * test cases 13 and 14 of the GCM specification (McGrew and Viega), the
 * empty message and one zero block, whichever implementation seals it.
 */
static void test_known_answers(void **state)
{
	static const uint8_t ct14[16] = { 0xce, 0xa7, 0x40, 0x3d, 0x4d, 0x60, 0x6b, 0x6e,
					  0x07, 0x4e, 0xc5, 0xd3, 0xba, 0xf3, 0x9d, 0x18 };
	static const uint8_t tag14[16] = { 0xd0, 0xd1, 0xc8, 0xa7, 0x99, 0x99, 0x6b, 0xf0,
					   0x26, 0x5b, 0x98, 0xb5, 0xd4, 0x8a, 0xb9, 0x19 };
	static const uint8_t tag13[16] = { 0x53, 0x0f, 0x8a, 0xfb, 0xc7, 0x45, 0x36, 0xb9,
					   0xa9, 0x63, 0xb4, 0xf1, 0xc4, 0xcb, 0x73, 0x8b };
	static const size_t small[] = { 0, SIZE_MAX };
	static const uint8_t zero_key[MIG_GCM_KEY];

	(void)state;
	if (!mig_gcm_available() || !crypto_aead_aes256gcm_is_available())
		skip();
	for (size_t i = 0; i < 2; i++) {
		uint8_t block[16] = { 0 }, tag[MIG_GCM_TAG];
		struct mig_gcm *g;

		assert_int_equal(mig_gcm_new(zero_key, true, false, &g), 0);
		mig_gcm_set_small(g, small[i]);
		assert_int_equal(mig_gcm_seal(g, NULL, 0, block, 0, tag), 0);
		assert_memory_equal(tag, tag13, sizeof(tag));
		mig_gcm_free(g);
		assert_int_equal(mig_gcm_new(zero_key, true, false, &g), 0);
		mig_gcm_set_small(g, small[i]);
		assert_int_equal(mig_gcm_seal(g, NULL, 0, block, sizeof(block), tag), 0);
		assert_memory_equal(block, ct14, sizeof(block));
		assert_memory_equal(tag, tag14, sizeof(tag));
		/* the path asked for was the path taken */
		assert_int_equal(mig_gcm_small_records(g), small[i] ? 1 : 0);
		mig_gcm_free(g);
	}
}

/* every size sealed by one implementation opens under the other */
static void cross_ocb(size_t tx_small, size_t rx_small, bool ocb)
{
	static const uint8_t aad[5] = { 1, 2, 3, 4, 0 };
	uint8_t *buf = malloc(BIG), *want = malloc(BIG), tag[MIG_GCM_TAG];
	struct pair p;

	assert_non_null(buf);
	assert_non_null(want);
	pair_new_ocb(&p, tx_small, rx_small, ocb, ocb);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];

		fill(want, n, (unsigned)i);
		memcpy(buf, want, n);
		assert_int_equal(mig_gcm_seal(p.tx, aad, sizeof(aad), buf, n, tag), 0);
		if (n >= 16)
			assert_memory_not_equal(buf, want, n);	/* it was encrypted */
		assert_int_equal(mig_gcm_open(p.rx, aad, sizeof(aad), buf, n, tag), 0);
		assert_memory_equal(buf, want, n);
	}
	/* each side took the path it was given, not a silent fallback */
	assert_int_equal(mig_gcm_small_records(p.tx), expect_small(tx_small));
	assert_int_equal(mig_gcm_small_records(p.rx), expect_small(rx_small));
	pair_free(&p);
	free(want);
	free(buf);
}

static void cross(size_t tx_small, size_t rx_small)
{
	cross_ocb(tx_small, rx_small, false);
}

static void test_libcrypto_to_libsodium(void **state)
{
	(void)state;
	cross(0, SIZE_MAX);
}

static void test_libsodium_to_libcrypto(void **state)
{
	(void)state;
	cross(SIZE_MAX, 0);
}

static void test_default_switch(void **state)
{
	(void)state;
	cross(1024, 1024);
}

/*
 * One bit flipped anywhere: refused, whichever implementation opens (the
 * third case: a large record under OCB).
 */
static void test_flipped_bits(void **state)
{
	static const size_t rx_small[] = { 0, SIZE_MAX, 1024 };

	(void)state;
	for (size_t r = 0; r < 3; r++) {
		for (size_t where = 0; where < 3; where++) {
			uint8_t aad[5] = { 9, 8, 7, 6, 0 }, buf[2048], tag[MIG_GCM_TAG];
			size_t len = r == 2 ? sizeof(buf) : 40;
			struct pair p;

			pair_new_ocb(&p, 1024, rx_small[r], r == 2, r == 2);
			fill(buf, len, 3);
			assert_int_equal(mig_gcm_seal(p.tx, aad, sizeof(aad), buf, len, tag), 0);
			if (where == 0)
				aad[2] ^= 0x10;
			else if (where == 1)
				buf[len - 1] ^= 1;
			else
				tag[0] ^= 0x80;
			assert_int_equal(mig_gcm_open(p.rx, aad, sizeof(aad), buf, len, tag),
					 -EBADMSG);
			pair_free(&p);
		}
	}
}

/* the nonce is the record's number: the second record does not open first */
static void test_out_of_order(void **state)
{
	static const size_t lens[] = { 40, 4096, 4096 };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		uint8_t a[4096], b[4096], ta[MIG_GCM_TAG], tb[MIG_GCM_TAG];
		struct pair p;

		pair_new_ocb(&p, 1024, 1024, i == 2, i == 2);
		fill(a, lens[i], 1);
		fill(b, lens[i], 2);
		assert_int_equal(mig_gcm_seal(p.tx, NULL, 0, a, lens[i], ta), 0);
		assert_int_equal(mig_gcm_seal(p.tx, NULL, 0, b, lens[i], tb), 0);
		assert_int_equal(mig_gcm_open(p.rx, NULL, 0, b, lens[i], tb), -EBADMSG);
		pair_free(&p);
	}
}

static void test_ocb_every_size(void **state)
{
	(void)state;
	cross_ocb(1024, 1024, true);
}

/*
 * Between an OCB direction and a GCM one of the same key: a small record
 * opens (GCM on both sides), a large one does not, either way round.
 */
static void test_ocb_is_not_gcm(void **state)
{
	static const uint8_t aad[5] = { 5, 4, 3, 2, 0 };

	(void)state;
	for (int way = 0; way < 2; way++) {
		uint8_t small[40], big[4096], want[4096], tag[MIG_GCM_TAG];
		struct pair p;

		pair_new_ocb(&p, 1024, 1024, way == 0, way == 1);
		fill(want, sizeof(want), 7);
		memcpy(small, want, sizeof(small));
		assert_int_equal(mig_gcm_seal(p.tx, aad, sizeof(aad), small, sizeof(small), tag), 0);
		assert_int_equal(mig_gcm_open(p.rx, aad, sizeof(aad), small, sizeof(small), tag), 0);
		assert_memory_equal(small, want, sizeof(small));
		memcpy(big, want, sizeof(big));
		assert_int_equal(mig_gcm_seal(p.tx, aad, sizeof(aad), big, sizeof(big), tag), 0);
		assert_int_equal(mig_gcm_open(p.rx, aad, sizeof(aad), big, sizeof(big), tag),
				 -EBADMSG);
		pair_free(&p);
	}
}

static int setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_libcrypto_to_libsodium),
		cmocka_unit_test(test_libsodium_to_libcrypto),
		cmocka_unit_test(test_default_switch),
		cmocka_unit_test(test_flipped_bits),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_ocb_every_size),
		cmocka_unit_test(test_ocb_is_not_gcm),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
