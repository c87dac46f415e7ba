// SPDX-License-Identifier: GPL-2.0-only
/*
 * The gossip datagram: round trip, the frozen layout, and every way a
 * datagram is refused (malformed, other version, wrong key, altered bytes).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "lib/gossip_wire.h"

static struct gossip_vec vec(uint16_t node)
{
	return (struct gossip_vec){
		.node = node, .flags = GV_BLOCKED | (2 << GV_MODE_SHIFT), .age_ms = 1500,
		.load = 250, .speed = 10000, .cpus = 2, .guests = 1, .local = 7,
		.tmem = 6000000, .mem = 3000000, .rmem = 3500000, .util = 999,
	};
}

static bool vec_equal(const struct gossip_vec *a, const struct gossip_vec *b)
{
	return a->node == b->node && a->flags == b->flags && a->age_ms == b->age_ms &&
	       a->load == b->load && a->speed == b->speed && a->cpus == b->cpus &&
	       a->guests == b->guests && a->local == b->local && a->tmem == b->tmem &&
	       a->mem == b->mem && a->rmem == b->rmem && a->util == b->util;
}

static void keys(struct mosix_key *a, struct mosix_key *b)
{
	memset(a->b, 0x11, sizeof(a->b));
	memset(b->b, 0x11, sizeof(b->b));
	b->b[31] ^= 1;
}

static int seal(const struct mosix_key *k, uint16_t count, uint8_t *out)
{
	struct gossip_vec v[GOSSIP_MAX_VECS];
	struct gossip_hdr h = { GOSSIP_VECTORS, 3, count, 1234567890123ull, 42 };

	for (int i = 0; i < count; i++)
		v[i] = vec((uint16_t)(3 + i * 10));
	return gossip_seal(k, &h, v, out, GOSSIP_MAX_LEN);
}

static void test_round_trip(void **state)
{
	struct mosix_key k, other;
	uint8_t buf[GOSSIP_MAX_LEN];
	struct gossip_vec v[GOSSIP_MAX_VECS];
	struct gossip_hdr h;

	(void)state;
	keys(&k, &other);
	for (uint16_t count = 1; count <= GOSSIP_MAX_VECS; count++) {
		int len = seal(&k, count, buf);

		assert_int_equal(len, GOSSIP_HDR_LEN + count * GOSSIP_VEC_LEN + GOSSIP_TAG_LEN);
		assert_true(len <= 1400);
		assert_int_equal(gossip_open(&k, buf, (size_t)len, &h, v), 0);
		assert_int_equal(h.sender, 3);
		assert_int_equal(h.count, count);
		assert_int_equal(h.epoch, 1234567890123ull);
		assert_int_equal(h.seq, 42);
		for (int i = 0; i < count; i++) {
			struct gossip_vec want = vec((uint16_t)(3 + i * 10));

			assert_true(vec_equal(&v[i], &want));
		}
	}
}

static void test_layout_is_frozen(void **state)
{
	struct mosix_key k, other;
	uint8_t buf[GOSSIP_MAX_LEN], p[GOSSIP_VEC_LEN];
	struct gossip_vec v = vec(0x0102);
	static const uint8_t want_hdr[16] = { 'M', 'X', 'G', 'S', 1, 1, 0, 128, 0, 3, 0, 1, 0, 0, 0, 0 };

	(void)state;
	keys(&k, &other);
	assert_int_equal(seal(&k, 1, buf), 128);
	assert_memory_equal(buf, want_hdr, sizeof(want_hdr));
	/* epoch and seq, big-endian */
	assert_int_equal(buf[23], 1234567890123ull & 0xff);
	assert_int_equal(buf[31], 42);
	gossip_vec_encode(&v, p);
	assert_int_equal(p[0], 1);
	assert_int_equal(p[1], 2);
	assert_int_equal(p[17], 2);	/* cpus */
	assert_int_equal(p[51], 999 & 0xff);	/* util */
}

static void test_refused(void **state)
{
	struct mosix_key k, other;
	uint8_t buf[GOSSIP_MAX_LEN], copy[GOSSIP_MAX_LEN];
	struct gossip_vec v[GOSSIP_MAX_VECS];
	struct gossip_hdr h;
	int len;

	(void)state;
	keys(&k, &other);
	len = seal(&k, 2, buf);
	assert_int_equal(gossip_open(&other, buf, (size_t)len, &h, v), -EKEYREJECTED);
	/* truncated, extended, shorter than a header */
	assert_int_equal(gossip_open(&k, buf, (size_t)len - 1, &h, v), -EBADMSG);
	assert_int_equal(gossip_open(&k, buf, 10, &h, v), -EBADMSG);
	assert_int_equal(gossip_open(&k, buf, 0, &h, v), -EBADMSG);
	/* every single flipped bit is refused, header or payload */
	for (int i = 0; i < len * 8; i++) {
		memcpy(copy, buf, (size_t)len);
		copy[i / 8] ^= (uint8_t)(1 << (i % 8));
		int r = gossip_open(&k, copy, (size_t)len, &h, v);

		assert_true(r == -EKEYREJECTED || r == -EBADMSG || r == -EPROTONOSUPPORT);
	}
	memcpy(copy, buf, (size_t)len);
	copy[4] = 2;
	assert_int_equal(gossip_peek(copy, (size_t)len, &h), -EPROTONOSUPPORT);
	/* a count beyond the maximum, with a matching length, is still malformed */
	assert_int_equal(gossip_seal(&k, &(struct gossip_hdr){ GOSSIP_VECTORS, 3, 24, 1, 1 },
				     v, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(gossip_seal(&k, &(struct gossip_hdr){ GOSSIP_VECTORS, 3, 0, 1, 1 },
				     v, buf, sizeof(buf)), -EINVAL);
}

/* a well-authenticated sender still cannot plant nonsense */
static void test_sane_vectors(void **state)
{
	struct mosix_key k, other;
	struct gossip_vec v[2], out[GOSSIP_MAX_VECS];
	struct gossip_hdr h = { GOSSIP_VECTORS, 3, 2, 1, 1 };
	uint8_t buf[GOSSIP_MAX_LEN];
	int len;

	(void)state;
	keys(&k, &other);
	v[0] = vec(3);
	v[1] = vec(4);
	v[1].cpus = 0;
	len = gossip_seal(&k, &h, v, buf, sizeof(buf));
	assert_int_equal(gossip_open(&k, buf, (size_t)len, &h, out), -EBADMSG);
	v[1] = vec(4);
	v[1].mem = v[1].tmem + 1;
	len = gossip_seal(&k, &h, v, buf, sizeof(buf));
	assert_int_equal(gossip_open(&k, buf, (size_t)len, &h, out), -EBADMSG);
	/* the first vector must be the sender's own */
	v[0] = vec(5);
	v[1] = vec(4);
	len = gossip_seal(&k, &h, v, buf, sizeof(buf));
	assert_int_equal(gossip_open(&k, buf, (size_t)len, &h, out), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_layout_is_frozen),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_sane_vectors),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("gossip_wire", tests, NULL, NULL);
}
