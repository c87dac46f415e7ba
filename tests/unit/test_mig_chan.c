// SPDX-License-Identifier: GPL-2.0-only
/*
 * The migration channel over a socketpair, the other side in a forked
 * child: handshakes both ways and records of every size; each way a
 * handshake is refused (key, map, address, version, replay, timeout); each
 * way a record is refused (altered, too long, cut short); the frozen
 * layout of the handshake messages and their decoder.
 *
 * Children report by exit status: 0, an errno (what the channel
 * returned), or CHILD_BAD when the data it received was not what was sent.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/mig_chan.h"

#define CHILD_BAD 250

/* what the wire carries: the sizes of version 1's messages */
#define HELLO_LEN 48
#define REPLY_LEN 104
#define PROOF_LEN 72
#define REFUSE_LEN 16

/* nodes 1..3 at 10.0.0.1..3, and 7 with an alias */
static const char map_text[] = "1 10.0.0.1 3\n7 10.0.1.7 1\n7 192.168.0.7 alias\n";

static struct mosix_map map;
static struct mosix_key key, other_key;

static struct mosix_addr A(const char *s)
{
	struct mosix_addr a;

	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

/* One side of a handshake: who it is, whom it expects, with which key. */
struct side {
	bool server;
	const struct mosix_key *key;
	uint32_t self, peer;		/* peer: the client's expected server */
	const char *peer_addr;		/* the server's view of the client */
	int timeout_ms;			/* SO_RCVTIMEO, 0 for none */
	int (*after)(struct mig_chan *c, uint32_t peer);
};

static void set_timeout(int fd, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* Run @s on @fd; 0 or a negative errno; the peer id found in *ret_peer. */
static int run_side(const struct side *s, int fd, uint32_t *ret_peer)
{
	struct mig_chan *c = NULL;
	uint32_t peer = s->peer;
	int r;

	if (s->timeout_ms)
		set_timeout(fd, s->timeout_ms);
	if (s->server) {
		struct mosix_addr a = A(s->peer_addr);

		r = mig_chan_accept(fd, s->key, s->self, &map, &a, &peer, &c);
	} else {
		r = mig_chan_connect(fd, s->key, s->self, s->peer, &c);
	}
	if (r == 0 && s->after)
		r = s->after(c, peer);
	mig_chan_free(c);
	if (ret_peer)
		*ret_peer = peer;
	return r;
}

/* Fork a child running @s on @fd; the parent's copy of @fd is closed. */
static pid_t spawn(const struct side *s, int fd, int close_fd)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int r;

		close(close_fd);
		r = run_side(s, fd, NULL);
		_exit(r < 0 ? -r : r);
	}
	close(fd);
	return pid;
}

static int reap(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

/* Run @parent here and @child in a child; their results, errno positive. */
static void run_pair(const struct side *parent, const struct side *child,
		     int *ret_parent, int *ret_child, uint32_t *ret_peer)
{
	int sv[2];
	pid_t pid;

	pair(sv);
	pid = spawn(child, sv[1], sv[0]);
	*ret_parent = -run_side(parent, sv[0], ret_peer);
	close(sv[0]);
	*ret_child = reap(pid);
}

/* ---- records ---- */

struct rec {
	uint32_t type;
	size_t hlen, len;	/* hlen > 0: sent with mig_chan_send2 */
	bool exact;		/* received with cap == its length */
	unsigned times;		/* sent this many times in a row */
};

static const struct rec recs[] = {
	{ 10, 0, 0, false, 1 },
	{ 11, 0, 0, true, 1 },
	{ 12, 0, 1, false, 1 },
	{ 13, 0, 1, true, 1 },
	{ 14, 16, 1000, false, 1 },
	{ 15, 0, 4096, true, 1 },
	{ 16, 0, MIG_CHAN_MAX, true, 1 },		/* the channel's own buffer */
	{ 17, 64, MIG_CHAN_MAX - 64, false, 1 },
	{ 18, 0, 100, false, 1 },			/* small again after large */
	/* enough small ones for the buffers to be given back, then large */
	{ 19, 0, 10, true, 70 },
	{ 20, 0, MIG_CHAN_MAX, true, 1 },
};

static uint8_t pattern(uint32_t type, size_t i)
{
	return (uint8_t)(i * 31 + type * 7 + (i >> 12));
}

static uint8_t *filled(uint32_t type, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	for (size_t i = 0; p && i < len; i++)
		p[i] = pattern(type, i);
	return p;
}

/* how many records send_all() sends */
static uint64_t n_recs(void)
{
	uint64_t n = 0;

	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		n += recs[i].times;
	return n;
}

static int send_all(struct mig_chan *c)
{
	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		const struct rec *x = &recs[i];
		size_t total = x->hlen + x->len;
		uint8_t *p = filled(x->type, total);
		int r = 0;

		if (!p)
			return -ENOMEM;
		for (unsigned t = 0; t < x->times && r == 0; t++) {
			if (x->hlen)
				r = mig_chan_send2(c, x->type, p, x->hlen, p + x->hlen, x->len);
			else
				r = mig_chan_send(c, x->type, p, x->len);
		}
		free(p);
		if (r < 0)
			return r;
	}
	/* each record counts once, however it was sent */
	return mig_chan_sent(c) == n_recs() ? 0 : CHILD_BAD;
}

/* 0, a negative errno, or CHILD_BAD when what came is not what was sent */
static int recv_all(struct mig_chan *c)
{
	uint8_t *buf = malloc(MIG_CHAN_MAX);
	int r = 0;

	if (!buf)
		return -ENOMEM;
	for (size_t i = 0, t = 0; i < sizeof(recs) / sizeof(recs[0]) && r == 0;) {
		const struct rec *x = &recs[i];
		size_t total = x->hlen + x->len, len = 0;
		uint32_t type = 0;

		if (++t >= x->times) {
			i++;
			t = 0;
		}

		/* every other record where it was decrypted: in @buf, a few
		 * bytes in when it fit, at its start when it did not */
		const uint8_t *p = buf;
		size_t cap = x->exact ? total : MIG_CHAN_MAX;

		if (i % 2)
			r = mig_chan_recv_at(c, &type, buf, cap, &p, &len);
		else
			r = mig_chan_recv(c, &type, buf, cap, &len);
		if (r < 0)
			break;
		if (type != x->type || len != total || p < buf || p > buf + 8 ||
		    (size_t)(p - buf) + len > cap)
			r = CHILD_BAD;
		for (size_t j = 0; r == 0 && j < len; j++)
			if (p[j] != pattern(x->type, j))
				r = CHILD_BAD;
	}
	free(buf);
	if (r == 0 && mig_chan_received(c) != n_recs())
		r = CHILD_BAD;
	return r;
}

/* the client sends first, then the server: never both blocked in send */
static int client_talks(struct mig_chan *c, uint32_t peer)
{
	int r;

	(void)peer;
	r = send_all(c);
	return r < 0 ? r : recv_all(c);
}

static int server_talks(struct mig_chan *c, uint32_t peer)
{
	int r;

	if (peer != 2)
		return CHILD_BAD;
	r = recv_all(c);
	return r != 0 ? r : send_all(c);
}

static const struct side good_server = { true, &key, 1, 0, "10.0.0.2", 0, server_talks };
static const struct side good_client = { false, &key, 2, 1, NULL, 0, client_talks };

static void test_records_child_client(void **state)
{
	int rp, rc;
	uint32_t peer;

	(void)state;
	run_pair(&good_server, &good_client, &rp, &rc, &peer);
	assert_int_equal(rp, 0);
	assert_int_equal(rc, 0);
	assert_int_equal(peer, 2);
}

static void test_records_child_server(void **state)
{
	int rp, rc;

	(void)state;
	run_pair(&good_client, &good_server, &rp, &rc, NULL);
	assert_int_equal(rp, 0);
	assert_int_equal(rc, 0);
}

/* a node may come from its alias address */
static void test_alias_address(void **state)
{
	const struct side srv = { true, &key, 1, 0, "192.168.0.7", 0, NULL };
	const struct side cli = { false, &key, 7, 1, NULL, 0, NULL };
	int rp, rc;
	uint32_t peer;

	(void)state;
	run_pair(&srv, &cli, &rp, &rc, &peer);
	assert_int_equal(rp, 0);
	assert_int_equal(rc, 0);
	assert_int_equal(peer, 7);
}

/* ---- refused handshakes ---- */

static void expect_both(const struct side *srv, const struct side *cli, int err)
{
	int rp, rc;

	run_pair(srv, cli, &rp, &rc, NULL);
	assert_int_equal(rp, err);
	assert_int_equal(rc, err);
}

static void test_wrong_key(void **state)
{
	const struct side srv = { true, &key, 1, 0, "10.0.0.2", 0, NULL };
	const struct side cli = { false, &key, 2, 1, NULL, 0, NULL };
	struct side bad_srv = srv, bad_cli = cli;

	(void)state;
	bad_srv.key = &other_key;
	bad_cli.key = &other_key;
	expect_both(&bad_srv, &cli, EKEYREJECTED);
	expect_both(&srv, &bad_cli, EKEYREJECTED);
}

static void test_refused_peers(void **state)
{
	const struct side srv = { true, &key, 1, 0, "10.0.0.2", 0, NULL };
	const struct side cli = { false, &key, 2, 1, NULL, 0, NULL };
	struct side s = srv, c = cli;

	(void)state;
	/* an id the map does not have, from an address it does not have */
	c.self = 9;
	s.peer_addr = "10.0.0.9";
	expect_both(&s, &c, EPERM);
	/* a mapped id from another node's address */
	s.peer_addr = "10.0.0.3";
	c = cli;
	expect_both(&s, &c, EPERM);
	/* ... or from an unmapped one */
	s.peer_addr = "10.9.9.9";
	expect_both(&s, &c, EPERM);
	/* the client meant another server */
	s = srv;
	c.peer = 3;
	expect_both(&s, &c, EPERM);
	/* the server is not who the client meant (it says it is node 3) */
	s.self = 3;
	c.peer = 1;
	expect_both(&s, &c, EPERM);
}

/* A silent peer: the handshake ends with SO_RCVTIMEO, on either side. */
static void test_handshake_timeout(void **state)
{
	struct side srv = { true, &key, 1, 0, "10.0.0.2", 200, NULL };
	struct side cli = { false, &key, 2, 1, NULL, 200, NULL };
	int sv[2];

	(void)state;
	pair(sv);
	assert_int_equal(run_side(&srv, sv[0], NULL), -ETIMEDOUT);
	assert_int_equal(run_side(&cli, sv[0], NULL), -ETIMEDOUT);
	close(sv[0]);
	close(sv[1]);
}

static void read_exact(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (uint8_t *)buf + got, len - got);

		assert_true(n > 0);
		got += (size_t)n;
	}
}

static void write_exact(int fd, const void *buf, size_t len)
{
	assert_int_equal(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

/*
 * Capture what a client sends in a good session (relayed here in lock
 * step), then play it to a new server: its fresh nonce makes the old
 * proof worthless.
 */
static void test_replayed_client(void **state)
{
	const struct side srv = { true, &key, 1, 0, "10.0.0.2", 0, NULL };
	const struct side cli = { false, &key, 2, 1, NULL, 0, NULL };
	uint8_t hello[HELLO_LEN], reply[REPLY_LEN], reply2[REPLY_LEN], proof[PROOF_LEN];
	int a[2], b[2];
	pid_t pc, ps;

	(void)state;
	pair(a);
	pair(b);
	pc = spawn(&cli, a[1], a[0]);
	ps = spawn(&srv, b[1], b[0]);
	read_exact(a[0], hello, sizeof(hello));
	write_exact(b[0], hello, sizeof(hello));
	read_exact(b[0], reply, sizeof(reply));
	write_exact(a[0], reply, sizeof(reply));
	read_exact(a[0], proof, sizeof(proof));
	write_exact(b[0], proof, sizeof(proof));
	assert_int_equal(reap(pc), 0);
	assert_int_equal(reap(ps), 0);
	close(a[0]);
	close(b[0]);

	pair(b);
	ps = spawn(&srv, b[1], b[0]);
	write_exact(b[0], hello, sizeof(hello));
	read_exact(b[0], reply2, sizeof(reply2));
	assert_memory_not_equal(reply, reply2, sizeof(reply));
	write_exact(b[0], proof, sizeof(proof));
	assert_int_equal(reap(ps), EKEYREJECTED);
	close(b[0]);

	/* and a captured reply does not fool a new client */
	pair(a);
	pc = spawn(&cli, a[1], a[0]);
	read_exact(a[0], hello, sizeof(hello));
	write_exact(a[0], reply, sizeof(reply));
	assert_int_equal(reap(pc), EKEYREJECTED);
	close(a[0]);
}

static void encode_hs(uint8_t version, uint8_t kind, uint32_t sender,
		      uint32_t receiver, uint8_t *out, size_t *ret_len)
{
	struct mig_hs m = { .version = version, .kind = kind, .sender = sender,
			    .receiver = receiver };

	*ret_len = mig_chan_hs_encode(&m, out);
}

static void test_other_version(void **state)
{
	const struct side srv = { true, &key, 1, 0, "10.0.0.2", 0, NULL };
	const struct side cli = { false, &key, 2, 1, NULL, 0, NULL };
	uint8_t buf[MIG_CHAN_HS_MAX], in[MIG_CHAN_HS_MAX];
	struct mig_hs m;
	size_t len;
	int sv[2];
	pid_t pid;

	(void)state;
	/* a version 2 client: the server refuses it, saying why */
	pair(sv);
	pid = spawn(&srv, sv[1], sv[0]);
	encode_hs(2, MIG_HS_HELLO, 2, 1, buf, &len);
	write_exact(sv[0], buf, len);
	read_exact(sv[0], in, REFUSE_LEN);
	assert_int_equal(mig_chan_hs_parse(in, REFUSE_LEN, &m), 0);
	assert_int_equal(m.kind, MIG_HS_REFUSE);
	assert_int_equal(m.reason, MIG_REFUSE_VERSION);
	assert_int_equal(reap(pid), EPROTO);
	close(sv[0]);

	/* a version 2 server */
	pair(sv);
	pid = spawn(&cli, sv[1], sv[0]);
	read_exact(sv[0], in, HELLO_LEN);
	encode_hs(2, MIG_HS_REPLY, 1, 2, buf, &len);
	write_exact(sv[0], buf, len);
	assert_int_equal(reap(pid), EPROTO);
	close(sv[0]);

	/* a version 2 server that refuses in its REFUSE (the same in all versions) */
	pair(sv);
	pid = spawn(&cli, sv[1], sv[0]);
	read_exact(sv[0], in, HELLO_LEN);
	m = (struct mig_hs){ .version = 2, .kind = MIG_HS_REFUSE, .reason = MIG_REFUSE_VERSION };
	len = mig_chan_hs_encode(&m, buf);
	write_exact(sv[0], buf, len);
	assert_int_equal(reap(pid), EPROTO);
	close(sv[0]);
}

/* Not a migration daemon at all: refused without a reply. */
static void test_garbage_peer(void **state)
{
	const struct side srv = { true, &key, 1, 0, "10.0.0.2", 0, NULL };
	static const char http[] = "GET / HTTP/1.0\r\n\r\n";
	int sv[2];
	pid_t pid;
	char c;

	(void)state;
	pair(sv);
	pid = spawn(&srv, sv[1], sv[0]);
	write_exact(sv[0], http, sizeof(http) - 1);
	assert_int_equal(reap(pid), EBADMSG);
	/* end of stream (or reset: the server left bytes unread), no reply */
	assert_true(read(sv[0], &c, 1) <= 0);
	close(sv[0]);
}

/* ---- refused records ---- */

/*
 * A client that, once connected, lets @tamper change the bytes of its
 * next records on the wire: the channel writes into a socketpair put in
 * place of its fd; what it wrote goes to the real peer changed.
 */
static int (*tamper)(struct mig_chan *c, int real_fd, int captured_fd);

static int tampering_client(struct mig_chan *c, uint32_t peer)
{
	int fd = mig_chan_fd(c), real = dup(fd), t[2], r;

	(void)peer;
	if (real < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, t) < 0 || dup2(t[0], fd) < 0)
		return -errno;
	r = tamper(c, real, t[1]);
	close(real);
	return r;
}

/* Send one record of @len bytes through the channel; its wire bytes in @out. */
static ssize_t capture(struct mig_chan *c, int captured_fd, size_t len, uint8_t *out)
{
	uint8_t payload[256] = { 1, 2, 3 };
	size_t want = MIG_CHAN_LEN + MIG_CHAN_OVERHEAD + len;
	int r = mig_chan_send(c, 42, payload, len);

	if (r < 0)
		return r;
	return read(captured_fd, out, want) == (ssize_t)want ? (ssize_t)want : -EIO;
}

static int flip_bit(struct mig_chan *c, int real, int captured)
{
	uint8_t rec[512];
	ssize_t n;

	/* one good record, then one with a bit flipped in its payload */
	n = capture(c, captured, 100, rec);
	if (n < 0 || send(real, rec, (size_t)n, 0) != n)
		return CHILD_BAD;
	n = capture(c, captured, 100, rec);
	if (n < 0)
		return CHILD_BAD;
	rec[MIG_CHAN_LEN + 30] ^= 0x10;
	return send(real, rec, (size_t)n, 0) == n ? 0 : CHILD_BAD;
}

static int cut_short(struct mig_chan *c, int real, int captured)
{
	uint8_t rec[512];
	ssize_t n = capture(c, captured, 200, rec);

	if (n < 0)
		return CHILD_BAD;
	/* half a record, then the end of the stream (the child exits) */
	return send(real, rec, (size_t)n / 2, 0) == n / 2 ? 0 : CHILD_BAD;
}

static int swap_records(struct mig_chan *c, int real, int captured)
{
	uint8_t r1[512], r2[512];
	ssize_t n1 = capture(c, captured, 10, r1);
	ssize_t n2 = capture(c, captured, 10, r2);

	if (n1 < 0 || n2 < 0)
		return CHILD_BAD;
	return send(real, r2, (size_t)n2, 0) == n2 && send(real, r1, (size_t)n1, 0) == n1 ?
		0 : CHILD_BAD;
}

/* The server here, a tampering client in a child; the server's channel. */
static struct mig_chan *serve_tampered(int (*fn)(struct mig_chan *, int, int),
				       pid_t *ret_pid, int *ret_fd)
{
	const struct side cli = { false, &key, 2, 1, NULL, 0, tampering_client };
	struct mosix_addr a = A("10.0.0.2");
	struct mig_chan *c = NULL;
	uint32_t peer;
	int sv[2];

	tamper = fn;
	pair(sv);
	*ret_pid = spawn(&cli, sv[1], sv[0]);
	assert_int_equal(mig_chan_accept(sv[0], &key, 1, &map, &a, &peer, &c), 0);
	*ret_fd = sv[0];
	return c;
}

static void test_flipped_bit(void **state)
{
	uint8_t buf[256];
	uint32_t type;
	size_t len;
	pid_t pid;
	int fd;
	struct mig_chan *c = serve_tampered(flip_bit, &pid, &fd);

	(void)state;
	assert_int_equal(mig_chan_recv(c, &type, buf, sizeof(buf), &len), 0);
	assert_int_equal(type, 42);
	assert_int_equal(len, 100);
	assert_int_equal(mig_chan_received(c), 1);
	assert_int_equal(mig_chan_recv(c, &type, buf, sizeof(buf), &len), -EBADMSG);
	/* the receiving side stays broken; only whole records count */
	assert_int_equal(mig_chan_recv(c, &type, buf, sizeof(buf), &len), -EBADMSG);
	assert_int_equal(mig_chan_received(c), 1);
	assert_int_equal(reap(pid), 0);
	mig_chan_free(c);
	close(fd);
}

static void test_reordered(void **state)
{
	uint8_t buf[256];
	uint32_t type;
	size_t len;
	pid_t pid;
	int fd;
	struct mig_chan *c = serve_tampered(swap_records, &pid, &fd);

	(void)state;
	assert_int_equal(mig_chan_recv(c, &type, buf, sizeof(buf), &len), -EBADMSG);
	assert_int_equal(reap(pid), 0);
	mig_chan_free(c);
	close(fd);
}

static void test_eof_mid_record(void **state)
{
	uint8_t buf[256];
	uint32_t type;
	size_t len;
	pid_t pid;
	int fd;
	struct mig_chan *c = serve_tampered(cut_short, &pid, &fd);

	(void)state;
	assert_int_equal(mig_chan_recv(c, &type, buf, sizeof(buf), &len), -ECONNRESET);
	assert_int_equal(reap(pid), 0);
	mig_chan_free(c);
	close(fd);
}

/* A client that sends a length and a few bytes of body, but no record. */
static uint32_t raw_len;

static int raw_length(struct mig_chan *c, int real, int captured)
{
	uint8_t b[MIG_CHAN_LEN + 8] = { 0 };

	(void)c;
	(void)captured;
	b[0] = raw_len & 0xff;
	b[1] = (raw_len >> 8) & 0xff;
	b[2] = (raw_len >> 16) & 0xff;
	b[3] = raw_len >> 24;
	return send(real, b, sizeof(b), 0) == (ssize_t)sizeof(b) ? 0 : CHILD_BAD;
}

static int pending(int fd)
{
	int n = -1;

	assert_int_equal(ioctl(fd, FIONREAD, &n), 0);
	return n;
}

/* Too long for MIG_CHAN_MAX, or for the caller's buffer: the body is left unread. */
static void test_too_long(void **state)
{
	static const struct {
		uint32_t len;
		size_t cap;
		int err;
	} cases[] = {
		{ MIG_CHAN_MAX + MIG_CHAN_OVERHEAD + 1, MIG_CHAN_MAX, -EMSGSIZE },
		{ UINT32_MAX, MIG_CHAN_MAX, -EMSGSIZE },
		{ MIG_CHAN_OVERHEAD + 100, 99, -EMSGSIZE },
		{ MIG_CHAN_OVERHEAD - 1, MIG_CHAN_MAX, -EBADMSG },
		{ 0, MIG_CHAN_MAX, -EBADMSG },
	};
	uint8_t buf[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t type;
		size_t len;
		pid_t pid;
		int fd;
		struct mig_chan *c;

		raw_len = cases[i].len;
		c = serve_tampered(raw_length, &pid, &fd);
		assert_int_equal(reap(pid), 0);
		assert_int_equal(mig_chan_recv(c, &type, buf, cases[i].cap, &len), cases[i].err);
		assert_int_equal(pending(fd), 8);
		assert_int_equal(mig_chan_recv(c, &type, buf, cases[i].cap, &len), cases[i].err);
		mig_chan_free(c);
		close(fd);
	}
}

/*
 * A receive timeout between records is -EAGAIN and harmless: the next
 * record still comes; at the end of the stream, -ECONNRESET.
 */
static int late_record(struct mig_chan *c, uint32_t peer)
{
	(void)peer;
	usleep(300 * 1000);
	return mig_chan_send(c, 5, "late", 4);
}

static void test_timeout_between_records(void **state)
{
	const struct side cli = { false, &key, 2, 1, NULL, 0, late_record };
	struct mosix_addr a = A("10.0.0.2");
	struct mig_chan *c = NULL;
	uint8_t buf[16];
	uint32_t peer, type;
	size_t len;
	int sv[2];
	pid_t pid;

	(void)state;
	pair(sv);
	pid = spawn(&cli, sv[1], sv[0]);
	assert_int_equal(mig_chan_accept(sv[0], &key, 1, &map, &a, &peer, &c), 0);
	set_timeout(sv[0], 50);
	assert_int_equal(mig_chan_recv(c, &type, buf, sizeof(buf), &len), -EAGAIN);
	/* the handshake's messages are no records */
	assert_int_equal(mig_chan_received(c), 0);
	set_timeout(sv[0], 5000);
	assert_int_equal(mig_chan_recv(c, &type, buf, sizeof(buf), &len), 0);
	assert_int_equal(mig_chan_received(c), 1);
	assert_int_equal(type, 5);
	assert_int_equal(len, 4);
	assert_memory_equal(buf, "late", 4);
	assert_int_equal(reap(pid), 0);
	assert_int_equal(mig_chan_recv(c, &type, buf, sizeof(buf), &len), -ECONNRESET);
	assert_int_equal(mig_chan_recv(c, &type, buf, sizeof(buf), &len), -ECONNRESET);
	/* the peer is gone: sending fails, without SIGPIPE */
	assert_int_equal(mig_chan_send(c, 1, NULL, 0), -EPIPE);
	assert_int_equal(mig_chan_send(c, 1, NULL, 0), -EPIPE);
	assert_int_equal(mig_chan_sent(c), 0);
	assert_int_equal(mig_chan_received(c), 1);
	assert_int_equal(mig_chan_fd(c), sv[0]);
	mig_chan_free(c);
	close(sv[0]);
}

static void test_send_too_long(void **state)
{
	const struct side cli = { false, &key, 2, 1, NULL, 0, NULL };
	struct mosix_addr a = A("10.0.0.2");
	struct mig_chan *c = NULL;
	uint8_t b = 0;
	uint32_t peer;
	int sv[2];
	pid_t pid;

	(void)state;
	pair(sv);
	pid = spawn(&cli, sv[1], sv[0]);
	assert_int_equal(mig_chan_accept(sv[0], &key, 1, &map, &a, &peer, &c), 0);
	assert_int_equal(reap(pid), 0);
	assert_int_equal(mig_chan_send2(c, 1, &b, 1, &b, MIG_CHAN_MAX), -EMSGSIZE);
	assert_int_equal(mig_chan_send2(c, 1, &b, SIZE_MAX, &b, 2), -EMSGSIZE);
	assert_int_equal(mig_chan_send(c, 1, &b, (size_t)MIG_CHAN_MAX + 1), -EMSGSIZE);
	mig_chan_free(c);
	mig_chan_free(NULL);
	close(sv[0]);
}

/* ---- the decoders ---- */

static void test_layout_is_frozen(void **state)
{
	struct mig_hs m = { .version = 1, .kind = MIG_HS_HELLO, .sender = 0x0102,
			    .receiver = 0xfffe };
	static const uint8_t want[16] = { 'M', 'X', 'M', 'C', 1, 1, 48, 0,
					  0x02, 0x01, 0, 0, 0xfe, 0xff, 0, 0 };
	uint8_t buf[MIG_CHAN_HS_MAX];
	struct mig_hs back;
	size_t len;

	(void)state;
	memset(m.nonce, 0xaa, sizeof(m.nonce));
	assert_int_equal(mig_chan_hs_encode(&m, buf), HELLO_LEN);
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(buf[16], 0xaa);
	assert_int_equal(mig_chan_hs_parse(buf, HELLO_LEN, &back), 0);
	assert_int_equal(back.version, 1);
	assert_int_equal(back.kind, MIG_HS_HELLO);
	assert_int_equal(back.sender, 0x0102);
	assert_int_equal(back.receiver, 0xfffe);
	assert_memory_equal(back.nonce, m.nonce, sizeof(m.nonce));

	m.kind = MIG_HS_REPLY;
	assert_int_equal(mig_chan_hs_encode(&m, buf), REPLY_LEN);
	m.kind = MIG_HS_PROOF;
	assert_int_equal(mig_chan_hs_encode(&m, buf), PROOF_LEN);
	m = (struct mig_hs){ .version = 1, .kind = MIG_HS_REFUSE, .reason = 2 };
	assert_int_equal(mig_chan_hs_encode(&m, buf), REFUSE_LEN);
	assert_int_equal(buf[8], 2);
	assert_int_equal(mig_chan_hs_peek(buf, MIG_CHAN_HS_PREFIX, &len), 0);
	assert_int_equal(len, REFUSE_LEN);

	/* the record frame: u32 little-endian length of the ciphertext */
	assert_int_equal(MIG_CHAN_OVERHEAD, 21);
	buf[0] = 21;
	buf[1] = buf[2] = buf[3] = 0;
	assert_int_equal(mig_chan_parse_len(buf, 4, &len), 0);
	assert_int_equal(len, 21);
	assert_int_equal(mig_chan_parse_len(buf, 3, &len), -EBADMSG);
}

static void test_hs_refused_bytes(void **state)
{
	struct mig_hs m = { .version = 1, .kind = MIG_HS_PROOF, .sender = 4, .receiver = 5 };
	uint8_t good[MIG_CHAN_HS_MAX], buf[MIG_CHAN_HS_MAX];
	struct mig_hs back;
	size_t len = mig_chan_hs_encode(&m, good), l;

	(void)state;
	assert_int_equal(mig_chan_hs_parse(good, len, &back), 0);
	assert_int_equal(mig_chan_hs_parse(good, len - 1, &back), -EBADMSG);
	assert_int_equal(mig_chan_hs_parse(good, 4, &back), -EBADMSG);
	assert_int_equal(mig_chan_hs_peek(good, 7, &l), -EBADMSG);
#define BAD(off, val, err)                                                  \
	do {                                                                \
		memcpy(buf, good, len);                                     \
		buf[off] = (val);                                           \
		assert_int_equal(mig_chan_hs_parse(buf, len, &back), err);   \
	} while (0)
	BAD(0, 'm', -EBADMSG);			/* magic */
	BAD(4, 0, -EPROTO);			/* version */
	BAD(4, 2, -EPROTO);
	BAD(5, 9, -EBADMSG);			/* kind */
	BAD(5, MIG_HS_HELLO, -EBADMSG);		/* kind of another length */
	BAD(6, PROOF_LEN + 1, -EBADMSG);	/* length */
	BAD(7, 1, -EBADMSG);
	BAD(8, 0, -EBADMSG);			/* node id 0 */
	BAD(14, 1, -EBADMSG);			/* node id > 65535 */
#undef BAD
	m = (struct mig_hs){ .version = 1, .kind = MIG_HS_REFUSE, .reason = 0 };
	len = mig_chan_hs_encode(&m, buf);
	assert_int_equal(mig_chan_hs_parse(buf, len, &back), -EBADMSG);
	buf[8] = 1;
	buf[12] = 1;
	assert_int_equal(mig_chan_hs_parse(buf, len, &back), -EBADMSG);
	buf[12] = 0;
	buf[4] = 77;	/* a refusal is read whatever its version */
	assert_int_equal(mig_chan_hs_parse(buf, len, &back), 0);
	assert_int_equal(back.version, 77);
}

/* seal and open in memory: round trip, and every byte authenticated */
static void test_seal_open(void **state)
{
	crypto_secretstream_xchacha20poly1305_state push, pull, pull2;
	uint8_t k[crypto_secretstream_xchacha20poly1305_KEYBYTES];
	uint8_t hdr[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
	uint8_t rec[MIG_CHAN_LEN + MIG_CHAN_OVERHEAD + 64], copy[sizeof(rec)];
	uint32_t type;
	size_t n, len;

	(void)state;
	crypto_secretstream_xchacha20poly1305_keygen(k);
	crypto_secretstream_xchacha20poly1305_init_push(&push, hdr, k);
	crypto_secretstream_xchacha20poly1305_init_pull(&pull, hdr, k);
	memset(rec + MIG_CHAN_SEAL_PAYLOAD, 0x5a, 64);
	n = mig_chan_seal(&push, rec, 0xdeadbeef, 64);
	assert_int_equal(n, sizeof(rec));
	assert_int_equal(mig_chan_parse_len(rec, MIG_CHAN_LEN, &len), 0);
	assert_int_equal(len, n - MIG_CHAN_LEN);
	for (size_t i = MIG_CHAN_LEN; i < n; i++) {
		memcpy(copy, rec, n);
		copy[i] ^= 1;
		pull2 = pull;
		assert_int_equal(mig_chan_open(&pull2, copy + MIG_CHAN_LEN, n - MIG_CHAN_LEN,
					       &type, &len), -EBADMSG);
	}
	assert_int_equal(mig_chan_open(&pull, rec + MIG_CHAN_LEN, n - MIG_CHAN_LEN, &type, &len),
			 0);
	assert_int_equal(type, 0xdeadbeef);
	assert_int_equal(len, 64);
	for (size_t i = 0; i < 64; i++)
		assert_int_equal(rec[MIG_CHAN_LEN + MIG_CHAN_OPEN_PAYLOAD + i], 0x5a);
}

static int setup(void **state)
{
	struct diag d = DIAG_INIT;
	int r;

	(void)state;
	if (sodium_init() < 0)
		return -1;
	signal(SIGPIPE, SIG_DFL);	/* the channel must not need SIG_IGN */
	memset(key.b, 0x42, sizeof(key.b));
	other_key = key;
	other_key.b[0] ^= 1;
	map_init(&map);
	r = map_parse(&map, "t.map", map_text, sizeof(map_text) - 1, MAP_NO_RESOLVE, &d);
	if (r == 0)
		r = map_finish(&map, &d);
	diag_release(&d);
	return r;
}

static int teardown(void **state)
{
	(void)state;
	map_release(&map);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_is_frozen),
		cmocka_unit_test(test_hs_refused_bytes),
		cmocka_unit_test(test_seal_open),
		cmocka_unit_test(test_records_child_client),
		cmocka_unit_test(test_records_child_server),
		cmocka_unit_test(test_alias_address),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_refused_peers),
		cmocka_unit_test(test_handshake_timeout),
		cmocka_unit_test(test_replayed_client),
		cmocka_unit_test(test_other_version),
		cmocka_unit_test(test_garbage_peer),
		cmocka_unit_test(test_flipped_bit),
		cmocka_unit_test(test_reordered),
		cmocka_unit_test(test_eof_mid_record),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_timeout_between_records),
		cmocka_unit_test(test_send_too_long),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
