// SPDX-License-Identifier: GPL-2.0-only
/*
 * The netboot key service's messages: a request and a sealed, signed answer
 * make the round trip; the layout is frozen; a refusal carries its reason;
 * an answer is refused when it is malformed, of another version, signed by
 * another key, altered, or the answer to another request; a bundle opens
 * only with the request's key.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "lib/keysrv_wire.h"

struct fixture {
	uint8_t spk[KEYSRV_SIGN_PK_LEN], ssk[KEYSRV_SIGN_SK_LEN];
	uint8_t esk[32];
	struct keysrv_request req;
	struct keysrv_bundle b;
	uint8_t ans[KEYSRV_ANS_MAX];
	uint8_t plain[KEYSRV_ANS_MAX];
};

static const char MAP[] = "1 10.77.0.1 1\n2 10.77.0.100 10\n";
static const char CONF[] = "info_port = 5650\n";

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	crypto_sign_keypair(f->spk, f->ssk);
	crypto_box_keypair(f->req.pk, f->esk);
	randombytes_buf(f->req.chal, sizeof(f->req.chal));
	memset(f->b.key.b, 0x5a, sizeof(f->b.key.b));
	f->b.map = MAP;
	f->b.map_len = sizeof(MAP) - 1;
	f->b.conf = CONF;
	f->b.conf_len = sizeof(CONF) - 1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[KEYSRV_REQ_LEN];
	struct keysrv_request back;
	struct keysrv_bundle got;
	size_t off, slen;
	uint16_t reason = 99;
	int len;

	keysrv_request_encode(&f->req, buf);
	assert_int_equal(keysrv_request_decode(buf, sizeof(buf), &back), 0);
	assert_memory_equal(back.pk, f->req.pk, KEYSRV_PK_LEN);
	assert_memory_equal(back.chal, f->req.chal, KEYSRV_CHAL_LEN);

	len = keysrv_answer_encode(f->ssk, &f->req, KEYSRV_R_NONE, &f->b, f->ans, sizeof(f->ans));
	assert_int_equal(len, KEYSRV_ANS_HDR_LEN + KEYSRV_SEAL_LEN + KEYSRV_BUNDLE_HDR_LEN +
				      f->b.map_len + f->b.conf_len + KEYSRV_SIG_LEN);
	assert_int_equal(keysrv_answer_verify(f->spk, &f->req, f->ans, (size_t)len, &reason,
					      &off, &slen), 0);
	assert_int_equal(reason, KEYSRV_R_NONE);
	assert_int_equal(keysrv_bundle_open(f->req.pk, f->esk, f->ans + off, slen, f->plain,
					    &got), 0);
	assert_memory_equal(got.key.b, f->b.key.b, KEY_BYTES);
	assert_int_equal(got.map_len, f->b.map_len);
	assert_memory_equal(got.map, MAP, f->b.map_len);
	assert_int_equal(got.conf_len, f->b.conf_len);
	assert_memory_equal(got.conf, CONF, f->b.conf_len);
	/* the key is not in the clear in the answer */
	assert_null(memmem(f->ans, (size_t)len, f->b.key.b, KEY_BYTES));
}

static void test_layout_is_frozen(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[KEYSRV_REQ_LEN];
	int len;

	keysrv_request_encode(&f->req, buf);
	assert_memory_equal(buf, "MXKQ\x01\x01\x00\x40", 8);
	assert_memory_equal(buf + 8, f->req.pk, KEYSRV_PK_LEN);
	assert_memory_equal(buf + 40, f->req.chal, KEYSRV_CHAL_LEN);
	len = keysrv_answer_encode(f->ssk, &f->req, KEYSRV_R_MAC, NULL, f->ans, sizeof(f->ans));
	assert_int_equal(len, KEYSRV_ANS_HDR_LEN + KEYSRV_SIG_LEN);
	assert_memory_equal(f->ans, "MXKA\x01\x03\x00\x03\x00\x00\x00\x88", 12);
	assert_memory_equal(f->ans + 12, f->req.pk, KEYSRV_PK_LEN);
	assert_memory_equal(f->ans + 44, f->req.chal, KEYSRV_CHAL_LEN);
	assert_memory_equal(f->ans + 68, "\x00\x00\x00\x00", 4);
}

static void test_refusal(void **state)
{
	struct fixture *f = *state;
	size_t off, slen;
	uint16_t reason;

	for (uint16_t r = 1; r <= KEYSRV_R_MAX; r++) {
		int len = keysrv_answer_encode(f->ssk, &f->req, r, NULL, f->ans, sizeof(f->ans));
		assert_int_equal(keysrv_answer_verify(f->spk, &f->req, f->ans, (size_t)len,
						      &reason, &off, &slen), 0);
		assert_int_equal(reason, r);
		assert_string_not_equal(keysrv_reason_str(r), "");
	}
}

static void test_refused_answers(void **state)
{
	struct fixture *f = *state;
	uint8_t other_pk[KEYSRV_SIGN_PK_LEN], other_sk[KEYSRV_SIGN_SK_LEN];
	struct keysrv_request other = f->req;
	struct keysrv_bundle got;
	size_t off, slen;
	uint16_t reason;
	int len;

	len = keysrv_answer_encode(f->ssk, &f->req, KEYSRV_R_NONE, &f->b, f->ans, sizeof(f->ans));
	/* short, long, other magic, other version */
	assert_int_equal(keysrv_answer_verify(f->spk, &f->req, f->ans, 10, &reason, &off, &slen),
			 -EBADMSG);
	assert_int_equal(keysrv_answer_verify(f->spk, &f->req, f->ans, (size_t)len - 1, &reason,
					      &off, &slen), -EBADMSG);
	f->ans[4] = 2;
	assert_int_equal(keysrv_answer_verify(f->spk, &f->req, f->ans, (size_t)len, &reason, &off,
					      &slen), -EPROTONOSUPPORT);
	f->ans[4] = 1;
	/* another server's key */
	crypto_sign_keypair(other_pk, other_sk);
	assert_int_equal(keysrv_answer_verify(other_pk, &f->req, f->ans, (size_t)len, &reason,
					      &off, &slen), -EKEYREJECTED);
	/* one bit changed in the sealed part */
	f->ans[KEYSRV_ANS_HDR_LEN + 5] ^= 1;
	assert_int_equal(keysrv_answer_verify(f->spk, &f->req, f->ans, (size_t)len, &reason, &off,
					      &slen), -EKEYREJECTED);
	f->ans[KEYSRV_ANS_HDR_LEN + 5] ^= 1;
	/* the answer to another request (an old one, another node's) */
	other.chal[0] ^= 1;
	assert_int_equal(keysrv_answer_verify(f->spk, &other, f->ans, (size_t)len, &reason, &off,
					      &slen), -ESTALE);
	/* a genuine answer opens only with the request's key */
	assert_int_equal(keysrv_answer_verify(f->spk, &f->req, f->ans, (size_t)len, &reason, &off,
					      &slen), 0);
	crypto_box_keypair(other.pk, other_sk);
	assert_int_equal(keysrv_bundle_open(other.pk, other_sk, f->ans + off, slen, f->plain, &got),
			 -EKEYREJECTED);
	/* a refusal may not carry a bundle, a bundle no reason */
	f->ans[7] = KEYSRV_R_RANGE;
	assert_int_equal(keysrv_answer_verify(f->spk, &f->req, f->ans, (size_t)len, &reason, &off,
					      &slen), -EBADMSG);
}

static void test_bad_requests_and_bundles(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[KEYSRV_REQ_LEN + 1] = { 0 }, plain[KEYSRV_BUNDLE_HDR_LEN + 4] = { 0 };
	struct keysrv_request r;
	struct keysrv_bundle b;

	keysrv_request_encode(&f->req, buf);
	assert_int_equal(keysrv_request_decode(buf, KEYSRV_REQ_LEN + 1, &r), -EBADMSG);
	assert_int_equal(keysrv_request_decode(buf, 5, &r), -EBADMSG);
	buf[5] = KEYSRV_BUNDLE;
	assert_int_equal(keysrv_request_decode(buf, KEYSRV_REQ_LEN, &r), -EBADMSG);
	buf[5] = KEYSRV_REQUEST;
	buf[4] = 9;
	assert_int_equal(keysrv_request_decode(buf, KEYSRV_REQ_LEN, &r), -EPROTONOSUPPORT);
	/* bundle lengths must add up, and the texts hold no NUL */
	plain[35] = 4; /* map length 4 */
	memcpy(plain + KEYSRV_BUNDLE_HDR_LEN, "1 x\n", 4);
	assert_int_equal(keysrv_bundle_decode(plain, sizeof(plain), &b), 0);
	assert_int_equal(keysrv_bundle_decode(plain, sizeof(plain) - 1, &b), -EBADMSG);
	plain[KEYSRV_BUNDLE_HDR_LEN + 1] = '\0';
	assert_int_equal(keysrv_bundle_decode(plain, sizeof(plain), &b), -EBADMSG);
	plain[32] = 0xff; /* a map of 4 GiB */
	assert_int_equal(keysrv_bundle_decode(plain, sizeof(plain), &b), -EBADMSG);
	/* texts too long for one datagram are refused at encoding */
	f->b.map_len = KEYSRV_TEXT_MAX + 1;
	assert_int_equal(keysrv_answer_encode(f->ssk, &f->req, KEYSRV_R_NONE, &f->b, f->ans,
					      sizeof(f->ans)), -EMSGSIZE);
	f->b.map_len = sizeof(MAP) - 1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layout_is_frozen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests_and_bundles, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("keysrv_wire", tests, NULL, NULL);
}
