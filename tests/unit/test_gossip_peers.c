// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pure logic of mosix-infod: merge by age, up and down, the replay
 * rule, the window, target choice (statistics of the mindead rule), the
 * start-up sweep, the memory bound, and the checks every received datagram
 * passes. The daemon's files are compiled in: they have no I/O of their own.
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

#include "daemons/mosix-infod/peers.c"
#include "daemons/mosix-infod/rx.c"

#define DEAD 3000

static void load_map(struct mosix_map *m, const char *text)
{
	struct diag d = DIAG_INIT;

	map_init(m);
	assert_int_equal(map_parse(m, "test.map", text, strlen(text), MAP_NO_RESOLVE, &d), 0);
	assert_int_equal(map_finish(m, &d), 0);
	diag_release(&d);
}

static struct gossip_vec vec(uint16_t node, uint32_t age, uint32_t load)
{
	return (struct gossip_vec){ .node = node, .age_ms = age, .load = load, .speed = 10000,
				    .cpus = 1, .tmem = 100, .mem = 50, .rmem = 50 };
}

static void test_pick(void **state)
{
	struct mosix_map m;
	struct map_pick p;
	const uint32_t want[] = { 1, 2, 3, 10, 11, 100 };

	(void)state;
	load_map(&m, "1 10.0.0.1 3\n10 10.0.1.1 2\n100 fd00::1 1\n");
	assert_int_equal(pick_init(&p, &m), 0);
	assert_int_equal(p.total, 6);
	for (uint32_t k = 0; k < 6; k++)
		assert_int_equal(pick_id(&p, k), want[k]);
	assert_int_equal(pick_id(&p, 6), 0);
	for (uint32_t k = 0; k < 6; k++)
		assert_int_equal(pick_index(&p, want[k]), k);
	assert_int_equal(pick_index(&p, 0), 6);
	assert_int_equal(pick_index(&p, 4), 6);
	assert_int_equal(pick_index(&p, 12), 6);
	assert_int_equal(pick_index(&p, 101), 6);
	pick_release(&p);
	pick_release(&p);
	map_release(&m);
}

static void test_rng(void **state)
{
	struct rng r;
	unsigned hist[10] = { 0 };

	(void)state;
	rng_seed(&r, 0);
	assert_int_not_equal(r.s, 0);
	for (int i = 0; i < 100000; i++) {
		uint32_t v = rng_below(&r, 10);

		assert_true(v < 10);
		hist[v]++;
	}
	for (int i = 0; i < 10; i++)
		assert_in_range(hist[i], 9500, 10500);
	assert_int_equal(rng_below(&r, 1), 0);
}

static void test_merge_by_age(void **state)
{
	struct peers t;
	struct gossip_vec v;
	struct peer *p;

	(void)state;
	peers_init(&t);
	v = vec(7, 100, 10);
	assert_int_equal(peers_merge(&t, &v, 1000, DEAD, 10), MERGE_UP);
	p = peers_find(&t, 7);
	assert_non_null(p);
	assert_int_equal(p->origin_ms, 900);
	assert_int_equal(p->v.load, 10);

	/* older information (origin 800) loses */
	v = vec(7, 200, 20);
	assert_int_equal(peers_merge(&t, &v, 1000, DEAD, 10), MERGE_OLDER);
	/* the same origin seen later through another node: not newer */
	v = vec(7, 600, 20);
	assert_int_equal(peers_merge(&t, &v, 1500, DEAD, 10), MERGE_OLDER);
	assert_int_equal(peers_find(&t, 7)->v.load, 10);

	/* fresher (origin 1450) wins, the node was up already */
	v = vec(7, 50, 30);
	assert_int_equal(peers_merge(&t, &v, 1500, DEAD, 10), MERGE_NEWER);
	p = peers_find(&t, 7);
	assert_int_equal(p->v.load, 30);
	assert_int_equal(p->origin_ms, 1450);
	assert_int_equal(p->v.age_ms, 0);

	/* dead on arrival: never taken, never creates an entry */
	v = vec(8, DEAD, 40);
	assert_int_equal(peers_merge(&t, &v, 1500, DEAD, 10), MERGE_STALE);
	assert_null(peers_find(&t, 8));
	peers_release(&t);
}

static void test_up_and_down(void **state)
{
	struct peers t;
	struct gossip_vec v = vec(3, 0, 1);
	struct peer *p;

	(void)state;
	peers_init(&t);
	assert_int_equal(peers_merge(&t, &v, 10000, DEAD, 10), MERGE_UP);
	p = peers_find(&t, 3);
	assert_true(peer_up(p, 10000, DEAD));
	assert_true(peer_up(p, 10000 + DEAD - 1, DEAD));
	/* information ages with the local clock until it is dead */
	assert_false(peer_up(p, 10000 + DEAD, DEAD));
	assert_int_equal(peers_live(&t, 10000 + DEAD, DEAD), 0);
	/* news brings it back, and says it came back */
	v.age_ms = 100;
	assert_int_equal(peers_merge(&t, &v, 20000, DEAD, 10), MERGE_UP);
	assert_true(peer_up(peers_find(&t, 3), 20000, DEAD));
	assert_int_equal(peers_live(&t, 20000, DEAD), 1);
	/* an entry made for replay state only is not up */
	assert_int_equal(peers_get(&t, 4, 10, &p), 0);
	assert_false(peer_up(p, 20000, DEAD));
	peers_release(&t);
}

static void test_replay_window(void **state)
{
	struct peer p = { .id = 2 };

	(void)state;
	/* nothing seen yet: anything goes */
	assert_true(peer_fresh_seq(NULL, 0, 0));
	assert_true(peer_fresh_seq(&p, 5, 1));
	peer_note_seq(&p, 5, 10);
	assert_false(peer_fresh_seq(&p, 5, 10));
	assert_false(peer_fresh_seq(&p, 5, 9));
	assert_false(peer_fresh_seq(&p, 4, 1000));
	assert_true(peer_fresh_seq(&p, 5, 11));
	/* a restart: higher epoch, sequence numbers start again */
	assert_true(peer_fresh_seq(&p, 6, 1));
	peer_note_seq(&p, 6, 1);
	assert_false(peer_fresh_seq(&p, 5, UINT64_MAX));
	assert_true(peer_fresh_seq(&p, 6, 2));
}

static void test_window(void **state)
{
	struct gossip_vec out[GOSSIP_MAX_VECS], v;
	struct peers t;
	size_t n;

	(void)state;
	peers_init(&t);
	/* node i has age 100 * i at time 10000; node 9 is dead */
	for (uint16_t i = 1; i <= 9; i++) {
		v = vec(i, i == 9 ? DEAD - 1 : 100u * i, i);
		assert_int_not_equal(peers_merge(&t, &v, 10000, DEAD, 100), MERGE_FULL);
	}
	n = peers_window(&t, 10001, DEAD, 0, out, 4);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(out[i].node, i + 1);
		assert_int_equal(out[i].age_ms, 100 * (i + 1) + 1);
	}
	/* the target itself is left out */
	n = peers_window(&t, 10001, DEAD, 2, out, 3);
	assert_int_equal(n, 3);
	assert_int_equal(out[0].node, 1);
	assert_int_equal(out[1].node, 3);
	assert_int_equal(out[2].node, 4);
	/* a dead node's information is not passed on */
	n = peers_window(&t, 10001, DEAD, 0, out, 22);
	assert_int_equal(n, 8);
	assert_int_equal(out[7].node, 8);
	assert_int_equal(peers_window(&t, 10001, DEAD, 0, out, 0), 0);
	peers_release(&t);
}

/* the fraction of targets that are not live, over many rounds */
static double dead_fraction(const struct peers *t, const struct map_pick *pick, uint32_t self,
			    unsigned fanout, struct rng *r, size_t *ret_picks)
{
	size_t picks = 0, dead = 0;

	for (int round = 0; round < 20000; round++) {
		uint32_t out[16];
		size_t n = peers_targets(t, pick, self, 0, DEAD, fanout, r, out);

		for (size_t i = 0; i < n; i++) {
			const struct peer *p = peers_find(t, out[i]);

			assert_int_not_equal(out[i], self);
			for (size_t j = 0; j < i; j++)
				assert_int_not_equal(out[i], out[j]);
			picks++;
			dead += !(p && peer_up(p, 0, DEAD));
		}
	}
	*ret_picks = picks;
	return (double)dead / (double)picks;
}

static void test_targets(void **state)
{
	struct mosix_map m;
	struct map_pick pick;
	struct peers t;
	struct rng r;
	size_t picks;
	double f;

	(void)state;
	rng_seed(&r, 42);
	load_map(&m, "1 10.0.0.1 1000\n");
	assert_int_equal(pick_init(&pick, &m), 0);
	peers_init(&t);

	/* nobody known: every target is any node of the map, never us */
	f = dead_fraction(&t, &pick, 1, 2, &r, &picks);
	assert_int_equal(picks, 40000);
	assert_true(f == 1.0);

	/* four alive (us and three): 1/max(5, live) of the picks go anywhere */
	for (uint16_t id = 2; id <= 4; id++) {
		struct gossip_vec v = vec(id, 0, 0);

		peers_merge(&t, &v, 0, DEAD, 1000);
	}
	f = dead_fraction(&t, &pick, 1, 2, &r, &picks);
	/* picks of "any node" that hit a live one are rare (3 in 999) */
	assert_true(f > 0.17 && f < 0.23);
	/* each of the three live nodes is chosen about as often */
	{
		unsigned hits[5] = { 0 };

		for (int i = 0; i < 30000; i++) {
			uint32_t out[1];

			if (peers_targets(&t, &pick, 1, 0, DEAD, 1, &r, out) == 1 && out[0] <= 4)
				hits[out[0]]++;
		}
		for (int id = 2; id <= 4; id++)
			assert_in_range(hits[id], 7500, 8500);
	}

	/* a hundred alive: one pick in a hundred goes anywhere */
	for (uint16_t id = 5; id <= 101; id++) {
		struct gossip_vec v = vec(id, 0, 0);

		peers_merge(&t, &v, 0, DEAD, 1000);
	}
	f = dead_fraction(&t, &pick, 1, 3, &r, &picks);
	assert_true(f > 0.005 && f < 0.015);

	/* a map of two nodes: the only target is the other one */
	{
		struct mosix_map m2;
		struct map_pick p2;
		struct peers empty;
		uint32_t out[4] = { 0 };

		load_map(&m2, "1 10.0.0.1 2\n");
		assert_int_equal(pick_init(&p2, &m2), 0);
		peers_init(&empty);
		assert_int_equal(peers_targets(&empty, &p2, 1, 0, DEAD, 4, &r, out), 1);
		assert_int_equal(out[0], 2);
		pick_release(&p2);
		map_release(&m2);
	}
	peers_release(&t);
	pick_release(&pick);
	map_release(&m);
}

static void test_bounded(void **state)
{
	struct mosix_map m;
	struct peers t;
	struct peer *p;

	(void)state;
	load_map(&m, "1 10.0.0.1 65535\n");
	peers_init(&t);
	for (uint16_t id = 1; id <= 4; id++) {
		struct gossip_vec v = vec(id, 0, 0);

		assert_int_equal(peers_merge(&t, &v, 0, DEAD, m.nnodes), MERGE_UP);
	}
	/* four nodes heard of in a map of 65535: four entries */
	assert_int_equal(t.n, 4);
	assert_true(t.alloc <= 16);
	/* never more than the bound */
	assert_int_equal(peers_get(&t, 5, 4, &p), -ENOSPC);
	assert_int_equal(peers_get(&t, 0, 100, &p), -ENOSPC);
	{
		struct gossip_vec v = vec(6, 0, 0);

		assert_int_equal(peers_merge(&t, &v, 0, DEAD, 4), MERGE_FULL);
	}
	/* sorted by id whatever the order of arrival */
	assert_int_equal(peers_get(&t, 3000, 100, &p), 0);
	assert_int_equal(peers_get(&t, 2000, 100, &p), 0);
	for (size_t i = 1; i < t.n; i++)
		assert_true(t.p[i - 1].id < t.p[i].id);
	peers_release(&t);
	map_release(&m);
}

static void test_dead_after(void **state)
{
	struct peers t;

	(void)state;
	peers_init(&t);
	for (uint16_t id = 2; id <= 4; id++) {
		struct gossip_vec v = vec(id, 0, 0);

		peers_merge(&t, &v, 0, DEAD, 100);
	}
	/* a small cluster: the setting */
	assert_int_equal(peers_dead_after(&t, 0, 10000, 1000, 2, 16), 10000);
	for (uint16_t id = 5; id <= 64; id++) {
		struct gossip_vec v = vec(id, 0, 0);

		peers_merge(&t, &v, 0, DEAD, 100);
	}
	/* 64 known: 10 rounds of 1000 ms * 64 / (2 * 16) */
	assert_int_equal(peers_dead_after(&t, 0, 10000, 1000, 2, 16), 20000);
	assert_int_equal(peers_dead_after(&t, 0, 10000, 1000, 4, 16), 10000);
	assert_int_equal(peers_dead_after(&t, 0, 30000, 1000, 2, 16), 30000);
	/* nodes not heard of for ten minutes no longer count */
	assert_int_equal(peers_dead_after(&t, KNOWN_MS, 10000, 1000, 2, 16), 10000);
	assert_int_equal(peers_dead_after(&t, 0, 10000, 1000, 0, 16), 10000);
	peers_release(&t);
}

static void test_prune(void **state)
{
	struct mosix_map m;
	struct peers t;

	(void)state;
	load_map(&m, "1 10.0.0.1 3\n");
	peers_init(&t);
	for (uint16_t id = 1; id <= 5; id++) {
		struct gossip_vec v = vec(id, 0, 0);

		peers_merge(&t, &v, 0, DEAD, 10);
	}
	peers_prune(&t, &m, 2);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.p[0].id, 1);
	assert_int_equal(t.p[1].id, 3);
	peers_release(&t);
	map_release(&m);
}

static void test_sweep(void **state)
{
	struct mosix_map m;
	struct map_pick pick;
	struct sweep s;
	uint8_t seen[200] = { 0 };
	uint32_t id;
	int n = 0;

	(void)state;
	load_map(&m, "1 10.0.0.1 100\n150 10.1.0.1 50\n");
	assert_int_equal(pick_init(&pick, &m), 0);
	sweep_start(&s, &pick, 50);
	/* nearest first */
	assert_int_equal(sweep_next(&s, &pick), 51);
	assert_int_equal(sweep_next(&s, &pick), 49);
	assert_int_equal(sweep_next(&s, &pick), 52);
	seen[51] = seen[49] = seen[52] = 1;
	n = 3;
	while ((id = sweep_next(&s, &pick))) {
		assert_true(map_has_id(&m, id));
		assert_int_not_equal(id, 50);
		assert_int_equal(seen[id]++, 0);
		n++;
	}
	/* every other node once, then it is over */
	assert_int_equal(n, 149);
	assert_int_equal(sweep_next(&s, &pick), 0);
	/* at the edge of the map, and from outside it */
	sweep_start(&s, &pick, 199);
	assert_int_equal(sweep_next(&s, &pick), 198);
	for (n = 1; sweep_next(&s, &pick); n++)
		;
	assert_int_equal(n, 149);
	sweep_start(&s, &pick, 120);
	for (n = 0; sweep_next(&s, &pick); n++)
		;
	assert_int_equal(n, 150);
	pick_release(&pick);
	map_release(&m);
}

/* --- received datagrams ---------------------------------------------------- */

struct rx_fixture {
	struct mosix_map map;
	struct mosix_key key, other;
	struct peers peers;
	struct rx_ctx ctx;
};

static int seal(const struct mosix_key *k, uint16_t sender, uint64_t epoch, uint64_t seq,
		const struct gossip_vec *v, uint16_t count, uint8_t *out)
{
	struct gossip_hdr h = { GOSSIP_VECTORS, sender, count, epoch, seq };

	return gossip_seal(k, &h, v, out, GOSSIP_MAX_LEN);
}

static struct mosix_addr addr(const char *s)
{
	struct mosix_addr a;

	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

static void test_rx(void **state)
{
	struct rx_fixture f;
	struct rx_result res;
	uint8_t buf[GOSSIP_MAX_LEN + 64];
	struct gossip_vec v[4];
	struct mosix_addr a1 = addr("10.0.0.1"), a2 = addr("10.0.0.2"), a3 = addr("10.0.0.3");
	struct mosix_addr alias2 = addr("10.9.0.2"), outside = addr("192.168.1.1");
	int len;

	(void)state;
	load_map(&f.map, "1 10.0.0.1 3\n2 10.9.0.2 alias\n");
	memset(f.key.b, 0x33, sizeof(f.key.b));
	memset(f.other.b, 0x44, sizeof(f.other.b));
	peers_init(&f.peers);
	f.ctx = (struct rx_ctx){ &f.map, &f.key, &f.peers, 1, DEAD };

	/* a good one: the sender's vector, one of node 3, one of us, one unmapped */
	v[0] = vec(2, 0, 250);
	v[1] = vec(3, 400, 100);
	v[2] = vec(1, 0, 9999);
	v[3] = vec(77, 0, 1);
	len = seal(&f.key, 2, 10, 1, v, 4, buf);
	assert_int_equal(rx_datagram(&f.ctx, buf, (size_t)len, &a2, 5000, &res), RX_OK);
	assert_int_equal(res.sender, 2);
	assert_true(res.changed);
	assert_true(res.greet);
	assert_int_equal(res.skipped, 1);
	assert_int_equal(peers_find(&f.peers, 2)->v.load, 250);
	assert_int_equal(peers_find(&f.peers, 3)->origin_ms, 4600);
	assert_null(peers_find(&f.peers, 1));
	assert_null(peers_find(&f.peers, 77));

	/* the very same datagram again, and an older one */
	assert_int_equal(rx_datagram(&f.ctx, buf, (size_t)len, &a2, 5001, &res), RX_REPLAY);
	len = seal(&f.key, 2, 9, 100, v, 1, buf);
	assert_int_equal(rx_datagram(&f.ctx, buf, (size_t)len, &a2, 5001, &res), RX_REPLAY);

	/* the next one, from the alias address: accepted, not a greeting */
	v[0].load = 260;
	len = seal(&f.key, 2, 10, 2, v, 1, buf);
	assert_int_equal(rx_datagram(&f.ctx, buf, (size_t)len, &alias2, 6000, &res), RX_OK);
	assert_false(res.greet);
	assert_int_equal(peers_find(&f.peers, 2)->v.load, 260);

	/* a restart of the sender (higher epoch): a greeting */
	len = seal(&f.key, 2, 11, 1, v, 1, buf);
	assert_int_equal(rx_datagram(&f.ctx, buf, (size_t)len, &a2, 6100, &res), RX_OK);
	assert_true(res.greet);

	/* from another node's address, from outside the map, from "us" */
	len = seal(&f.key, 2, 12, 1, v, 1, buf);
	assert_int_equal(rx_datagram(&f.ctx, buf, (size_t)len, &a3, 7000, &res),
			 RX_UNKNOWN_SENDER);
	assert_int_equal(rx_datagram(&f.ctx, buf, (size_t)len, &outside, 7000, &res),
			 RX_UNKNOWN_SENDER);
	v[0] = vec(1, 0, 0);
	len = seal(&f.key, 1, 12, 1, v, 1, buf);
	assert_int_equal(rx_datagram(&f.ctx, buf, (size_t)len, &a1, 7000, &res),
			 RX_UNKNOWN_SENDER);

	/* another key; an altered byte; a cut one; an oversized one */
	v[0] = vec(3, 0, 5);
	len = seal(&f.other, 3, 1, 1, v, 1, buf);
	assert_int_equal(rx_datagram(&f.ctx, buf, (size_t)len, &a3, 7000, &res), RX_BAD_KEY);
	len = seal(&f.key, 3, 1, 1, v, 1, buf);
	buf[len - 20] ^= 1;
	assert_int_equal(rx_datagram(&f.ctx, buf, (size_t)len, &a3, 7000, &res), RX_BAD_KEY);
	assert_int_equal(rx_datagram(&f.ctx, buf, (size_t)len - 1, &a3, 7000, &res), RX_MALFORMED);
	assert_int_equal(rx_datagram(&f.ctx, buf, 0, &a3, 7000, &res), RX_MALFORMED);
	assert_int_equal(rx_datagram(&f.ctx, buf, GOSSIP_MAX_LEN + 1, &a3, 7000, &res),
			 RX_MALFORMED);
	/* none of the refused ones made an entry for node 3's sequence */
	assert_false(peers_find(&f.peers, 3)->direct);

	/* a refused datagram changes nothing */
	assert_int_equal(peers_find(&f.peers, 3)->v.load, 100);
	peers_release(&f.peers);
	map_release(&f.map);
}

/* Random bytes, and random changes of a good datagram: never accepted. */
static void test_rx_random(void **state)
{
	struct rx_fixture f;
	struct rx_result res;
	uint8_t good[GOSSIP_MAX_LEN], buf[GOSSIP_MAX_LEN];
	struct gossip_vec v[2] = { vec(2, 0, 1), vec(3, 0, 2) };
	struct mosix_addr a2 = addr("10.0.0.2");
	struct rng r;
	int len;

	(void)state;
	rng_seed(&r, 99);
	load_map(&f.map, "1 10.0.0.1 3\n");
	memset(f.key.b, 0x55, sizeof(f.key.b));
	peers_init(&f.peers);
	f.ctx = (struct rx_ctx){ &f.map, &f.key, &f.peers, 1, DEAD };
	len = seal(&f.key, 2, 10, 1, v, 2, good);
	for (int i = 0; i < 20000; i++) {
		size_t n = (size_t)len;

		memcpy(buf, good, n);
		if (i % 2) {
			n = rng_below(&r, GOSSIP_MAX_LEN);
			randombytes_buf(buf, n);
		} else {
			buf[rng_below(&r, (uint32_t)n)] ^= (uint8_t)(1 + rng_below(&r, 255));
		}
		assert_int_not_equal(rx_datagram(&f.ctx, buf, n, &a2, 1000, &res), RX_OK);
	}
	assert_int_equal(f.peers.n, 0);
	peers_release(&f.peers);
	map_release(&f.map);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_rng),
		cmocka_unit_test(test_merge_by_age),
		cmocka_unit_test(test_up_and_down),
		cmocka_unit_test(test_replay_window),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_dead_after),
		cmocka_unit_test(test_prune),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_rx),
		cmocka_unit_test(test_rx_random),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("gossip_peers", tests, NULL, NULL);
}
