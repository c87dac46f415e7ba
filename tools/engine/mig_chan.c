// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/mig_chan.h"
#include "engine/mig_gcm.h"

_Static_assert(crypto_secretstream_xchacha20poly1305_HEADERBYTES == MIG_CHAN_STREAM_HDR,
	       "stream header size");
_Static_assert(crypto_secretstream_xchacha20poly1305_KEYBYTES == KEY_BYTES, "key size");
_Static_assert(crypto_secretstream_xchacha20poly1305_ABYTES == 17, "record overhead");
_Static_assert(crypto_generichash_KEYBYTES_MAX >= KEY_BYTES, "proof key size");
/* an AES-256-GCM record has the same size: a zero byte for the tag byte */
_Static_assert(1 + MIG_GCM_TAG == crypto_secretstream_xchacha20poly1305_ABYTES, "GCM overhead");
_Static_assert(MIG_GCM_KEY == 32, "GCM key size");
_Static_assert(MIG_CHAN_MAX + MIG_CHAN_OVERHEAD <= UINT32_MAX, "length field");
_Static_assert(MIG_CHAN_MAX + MIG_CHAN_LEN + MIG_CHAN_OVERHEAD <= INT32_MAX, "record size");

/* the handshake layout, frozen */
#define HS_MAGIC "MXMC"
#define OFF_VERSION 4
#define OFF_KIND 5
#define OFF_LENGTH 6
#define OFF_SENDER 8
#define OFF_RECEIVER 12
#define OFF_NONCE 16			/* HELLO, REPLY */
#define OFF_REPLY_HDR 48
#define OFF_REPLY_PROOF 72
#define OFF_PROOF_HDR 16
#define OFF_PROOF_PROOF 40
#define OFF_REASON 8
#define OFF_RESERVED 12
#define LEN_HELLO 48
#define LEN_REPLY 104
#define LEN_PROOF 72
#define LEN_REFUSE 16
_Static_assert(OFF_NONCE + MIG_CHAN_NONCE == LEN_HELLO, "HELLO layout");
_Static_assert(OFF_NONCE + MIG_CHAN_NONCE == OFF_REPLY_HDR, "REPLY layout");
_Static_assert(OFF_REPLY_HDR + MIG_CHAN_STREAM_HDR == OFF_REPLY_PROOF, "REPLY layout");
_Static_assert(OFF_REPLY_PROOF + MIG_CHAN_PROOF == LEN_REPLY, "REPLY layout");
_Static_assert(OFF_PROOF_HDR + MIG_CHAN_STREAM_HDR == OFF_PROOF_PROOF, "PROOF layout");
_Static_assert(OFF_PROOF_PROOF + MIG_CHAN_PROOF == LEN_PROOF, "PROOF layout");
_Static_assert(LEN_REPLY == MIG_CHAN_HS_MAX, "longest message");
_Static_assert(MIG_CHAN_HS_PREFIX == OFF_SENDER, "prefix");

#define TAG_MESSAGE crypto_secretstream_xchacha20poly1305_TAG_MESSAGE

/* record buffers: at most this much stays allocated for small records */
#define BUF_SMALL (64u << 10)
/* ...after this many small records in a row following a large one */
#define BUF_SHRINK_AFTER 64

struct mig_buf {
	uint8_t *p;
	size_t size;
	unsigned small_streak;
};

struct mig_chan {
	int fd;
	/* sticky errors: a side that failed once is out of step for good */
	int tx_err, rx_err;
	crypto_secretstream_xchacha20poly1305_state tx, rx;
	/* AES-256-GCM: the keys from the handshake; in use once set */
	uint8_t gcm_tx_key[MIG_GCM_KEY], gcm_rx_key[MIG_GCM_KEY];
	struct mig_gcm *gtx, *grx;
	struct mig_buf sbuf, rbuf;
	uint64_t nsent, nrecv;	/* records, each way */
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static size_t hs_len(uint8_t kind)
{
	switch (kind) {
	case MIG_HS_HELLO:
		return LEN_HELLO;
	case MIG_HS_REPLY:
		return LEN_REPLY;
	case MIG_HS_PROOF:
		return LEN_PROOF;
	case MIG_HS_REFUSE:
		return LEN_REFUSE;
	}
	return 0;
}

int mig_chan_hs_peek(const uint8_t *p, size_t len, size_t *ret_len)
{
	uint8_t kind;
	size_t want;

	if (len < MIG_CHAN_HS_PREFIX || memcmp(p, HS_MAGIC, 4) != 0)
		return -EBADMSG;
	kind = p[OFF_KIND];
	want = p[OFF_LENGTH] | (size_t)p[OFF_LENGTH + 1] << 8;
	/* a refusal is understood whatever its version */
	if (kind == MIG_HS_REFUSE && want == LEN_REFUSE) {
		*ret_len = want;
		return 0;
	}
	if (p[OFF_VERSION] != MIG_CHAN_VERSION)
		return -EPROTO;
	if (hs_len(kind) == 0 || want != hs_len(kind))
		return -EBADMSG;
	*ret_len = want;
	return 0;
}

static bool id_ok(uint32_t id)
{
	return id >= 1 && id <= MAP_MAX_ID;
}

int mig_chan_hs_parse(const uint8_t *p, size_t len, struct mig_hs *ret)
{
	struct mig_hs m = { 0 };
	size_t want;
	int r;

	r = mig_chan_hs_peek(p, len, &want);
	if (r < 0)
		return r;
	if (len != want)
		return -EBADMSG;
	m.version = p[OFF_VERSION];
	m.kind = p[OFF_KIND];
	switch (m.kind) {
	case MIG_HS_HELLO:
		memcpy(m.nonce, p + OFF_NONCE, MIG_CHAN_NONCE);
		break;
	case MIG_HS_REPLY:
		memcpy(m.nonce, p + OFF_NONCE, MIG_CHAN_NONCE);
		memcpy(m.stream_hdr, p + OFF_REPLY_HDR, MIG_CHAN_STREAM_HDR);
		memcpy(m.proof, p + OFF_REPLY_PROOF, MIG_CHAN_PROOF);
		break;
	case MIG_HS_PROOF:
		memcpy(m.stream_hdr, p + OFF_PROOF_HDR, MIG_CHAN_STREAM_HDR);
		memcpy(m.proof, p + OFF_PROOF_PROOF, MIG_CHAN_PROOF);
		break;
	case MIG_HS_REFUSE:
		m.reason = get32(p + OFF_REASON);
		if (m.reason == 0 || get32(p + OFF_RESERVED) != 0)
			return -EBADMSG;
		*ret = m;
		return 0;
	}
	m.sender = get32(p + OFF_SENDER);
	m.receiver = get32(p + OFF_RECEIVER);
	if (!id_ok(m.sender) || !id_ok(m.receiver))
		return -EBADMSG;
	*ret = m;
	return 0;
}

size_t mig_chan_hs_encode(const struct mig_hs *m, uint8_t *out)
{
	size_t len = hs_len(m->kind);

	memcpy(out, HS_MAGIC, 4);
	out[OFF_VERSION] = m->version;
	out[OFF_KIND] = m->kind;
	out[OFF_LENGTH] = len & 0xff;
	out[OFF_LENGTH + 1] = len >> 8;
	switch (m->kind) {
	case MIG_HS_HELLO:
		memcpy(out + OFF_NONCE, m->nonce, MIG_CHAN_NONCE);
		break;
	case MIG_HS_REPLY:
		memcpy(out + OFF_NONCE, m->nonce, MIG_CHAN_NONCE);
		memcpy(out + OFF_REPLY_HDR, m->stream_hdr, MIG_CHAN_STREAM_HDR);
		memcpy(out + OFF_REPLY_PROOF, m->proof, MIG_CHAN_PROOF);
		break;
	case MIG_HS_PROOF:
		memcpy(out + OFF_PROOF_HDR, m->stream_hdr, MIG_CHAN_STREAM_HDR);
		memcpy(out + OFF_PROOF_PROOF, m->proof, MIG_CHAN_PROOF);
		break;
	case MIG_HS_REFUSE:
		put32(out + OFF_REASON, m->reason);
		put32(out + OFF_RESERVED, 0);
		return len;
	}
	put32(out + OFF_SENDER, m->sender);
	put32(out + OFF_RECEIVER, m->receiver);
	return len;
}

int mig_chan_parse_len(const uint8_t *p, size_t len, size_t *ret_clen)
{
	uint32_t clen;

	if (len != MIG_CHAN_LEN)
		return -EBADMSG;
	clen = get32(p);
	if (clen > MIG_CHAN_MAX + MIG_CHAN_OVERHEAD)
		return -EMSGSIZE;
	if (clen < MIG_CHAN_OVERHEAD)
		return -EBADMSG;
	*ret_clen = clen;
	return 0;
}

size_t mig_chan_seal(crypto_secretstream_xchacha20poly1305_state *st,
		     uint8_t *rec, uint32_t type, size_t len)
{
	size_t clen = MIG_CHAN_OVERHEAD + len;

	put32(rec, (uint32_t)clen);
	put32(rec + MIG_CHAN_LEN + 1, type);
	/*
	 * In place: the message (type and payload) starts one byte after the
	 * ciphertext, exactly where push writes its encryption (after the
	 * tag byte), so each byte is read before it is overwritten.
	 */
	crypto_secretstream_xchacha20poly1305_push(st, rec + MIG_CHAN_LEN, NULL,
						   rec + MIG_CHAN_LEN + 1, 4 + len, NULL, 0,
						   TAG_MESSAGE);
	return MIG_CHAN_LEN + clen;
}

int mig_chan_open(crypto_secretstream_xchacha20poly1305_state *st, uint8_t *c,
		  size_t clen, uint32_t *ret_type, size_t *ret_len)
{
	unsigned long long mlen;
	unsigned char tag;

	if (clen < MIG_CHAN_OVERHEAD)
		return -EBADMSG;
	/* pull checks the MAC before it decrypts, in place like seal */
	if (crypto_secretstream_xchacha20poly1305_pull(st, c + 1, &mlen, &tag, c, clen,
						       NULL, 0) != 0)
		return -EBADMSG;
	if (tag != TAG_MESSAGE || mlen < 4)
		return -EBADMSG;
	*ret_type = get32(c + 1);
	*ret_len = (size_t)mlen - 4;
	return 0;
}

/*
 * Read exactly @len bytes. -ECONNRESET at end of stream, -EAGAIN when a
 * receive timeout (or O_NONBLOCK) stopped it; *@got says how far it came.
 */
static int read_full(int fd, void *buf, size_t len, size_t *got)
{
	uint8_t *p = buf;

	*got = 0;
	while (*got < len) {
		ssize_t n = read(fd, p + *got, len - *got);

		if (n > 0) {
			*got += (size_t)n;
			continue;
		}
		if (n == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -EAGAIN;
		return -errno;
	}
	return 0;
}

/* Write all of @buf; a send timeout is -ETIMEDOUT. Never SIGPIPE. */
static int write_full(int fd, const void *buf, size_t len, int flags)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, flags | MSG_NOSIGNAL);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == 0)
			return -EPIPE;	/* a stream socket never does this */
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -ETIMEDOUT;
		return -errno;
	}
	return 0;
}

/*
 * Make @b hold @need bytes. Its contents are not kept. A buffer grown for
 * large records is given back after a run of small ones, so that a
 * channel that moved pages and now forwards system calls does not hold
 * megabytes for the rest of the process's life.
 */
static int buf_reserve(struct mig_buf *b, size_t need)
{
	size_t size;

	if (need <= BUF_SMALL && b->size > BUF_SMALL) {
		if (++b->small_streak >= BUF_SHRINK_AFTER) {
			free(b->p);
			b->p = NULL;
			b->size = 0;
			b->small_streak = 0;
		}
	} else {
		b->small_streak = 0;
	}
	if (b->size >= need)
		return 0;
	/* doubling, so that slowly growing records do not realloc each time */
	size = BUF_SMALL;
	while (size < need)
		size *= 2;
	if (size > MIG_CHAN_LEN + MIG_CHAN_OVERHEAD + MIG_CHAN_MAX)
		size = need;
	free(b->p);
	b->p = malloc(size);
	b->size = b->p ? size : 0;
	return b->p ? 0 : -ENOMEM;
}

static int hs_send(int fd, const struct mig_hs *m)
{
	uint8_t buf[MIG_CHAN_HS_MAX];

	return write_full(fd, buf, mig_chan_hs_encode(m, buf), 0);
}

/* Tell the peer why we stop; best effort, never blocks. */
static void hs_refuse(int fd, uint32_t reason)
{
	struct mig_hs m = { .version = MIG_CHAN_VERSION, .kind = MIG_HS_REFUSE,
			    .reason = reason };
	uint8_t buf[LEN_REFUSE];

	mig_chan_hs_encode(&m, buf);
	(void)send(fd, buf, sizeof(buf), MSG_NOSIGNAL | MSG_DONTWAIT);
}

static int refusal_errno(uint32_t reason)
{
	switch (reason) {
	case MIG_REFUSE_PEER:
		return -EPERM;
	case MIG_REFUSE_KEY:
		return -EKEYREJECTED;
	case MIG_REFUSE_VERSION:
		return -EPROTO;
	}
	return -ECONNREFUSED;
}

/*
 * Read one handshake message of kind @kind. A REFUSE instead gives its
 * errno; another version is refused in turn, so that the peer knows.
 * Timeouts are -ETIMEDOUT here: there is no record to wait for.
 */
static int hs_read(int fd, uint8_t kind, struct mig_hs *ret)
{
	uint8_t buf[MIG_CHAN_HS_MAX];
	size_t len, got;
	int r;

	r = read_full(fd, buf, MIG_CHAN_HS_PREFIX, &got);
	if (r < 0)
		return r == -EAGAIN ? -ETIMEDOUT : r;
	r = mig_chan_hs_peek(buf, MIG_CHAN_HS_PREFIX, &len);
	if (r == -EPROTO)
		hs_refuse(fd, MIG_REFUSE_VERSION);
	if (r < 0)
		return r;
	r = read_full(fd, buf + MIG_CHAN_HS_PREFIX, len - MIG_CHAN_HS_PREFIX, &got);
	if (r < 0)
		return r == -EAGAIN ? -ETIMEDOUT : r;
	r = mig_chan_hs_parse(buf, len, ret);
	if (r < 0)
		return r;
	if (ret->kind == MIG_HS_REFUSE)
		return refusal_errno(ret->reason);
	return ret->kind == kind ? 0 : -EBADMSG;
}

/* What both sides know of a handshake, in the order it is hashed. */
struct hs_ctx {
	uint32_t client, server;
	uint8_t nc[MIG_CHAN_NONCE], ns[MIG_CHAN_NONCE];
	uint8_t hdr_s[MIG_CHAN_STREAM_HDR], hdr_c[MIG_CHAN_STREAM_HDR];
};

/* labels are 16 bytes each, so that no input is a prefix of another */
enum hs_label { L_SERVER_PROOF, L_CLIENT_PROOF, L_KEY_C2S, L_KEY_S2C, L_GCM_C2S, L_GCM_S2C };
static const char hs_labels[][16] = {
	[L_SERVER_PROOF] = "mxmc1 srv proof",
	[L_CLIENT_PROOF] = "mxmc1 cli proof",
	[L_KEY_C2S] = "mxmc1 key c->s ",
	[L_KEY_S2C] = "mxmc1 key s->c ",
	[L_GCM_C2S] = "mxmc1 gcm c->s ",
	[L_GCM_S2C] = "mxmc1 gcm s->c ",
};

/*
 * BLAKE2b-256 keyed with the migration subkey over the label, both ids,
 * both nonces and the first @nhdr stream headers (server's, client's).
 */
static void hs_prf(uint8_t out[32], const struct mosix_key *k, enum hs_label label,
		   const struct hs_ctx *x, int nhdr)
{
	crypto_generichash_state st;
	uint8_t ids[8];

	put32(ids, x->client);
	put32(ids + 4, x->server);
	crypto_generichash_init(&st, k->b, KEY_BYTES, 32);
	crypto_generichash_update(&st, (const uint8_t *)hs_labels[label], 16);
	crypto_generichash_update(&st, ids, sizeof(ids));
	crypto_generichash_update(&st, x->nc, sizeof(x->nc));
	crypto_generichash_update(&st, x->ns, sizeof(x->ns));
	if (nhdr >= 1)
		crypto_generichash_update(&st, x->hdr_s, sizeof(x->hdr_s));
	if (nhdr >= 2)
		crypto_generichash_update(&st, x->hdr_c, sizeof(x->hdr_c));
	crypto_generichash_final(&st, out, 32);
	sodium_memzero(&st, sizeof(st));
}

static int chan_new(int fd, struct mig_chan **ret)
{
	struct mig_chan *c;

	/* picks the fast implementations of the ciphers; cheap once done */
	if (sodium_init() < 0)
		return -EIO;
	/*
	 * Loads libcrypto if it is there (milliseconds, once per process):
	 * now, before the handshake, rather than between the deputy's HELLO
	 * and the node's answer, where the time would skew the guest's
	 * clock offset, which is taken from HELLO's timestamps.
	 */
	(void)mig_gcm_available();
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = fd;
	*ret = c;
	return 0;
}

/*
 * Both stream keys from the handshake: the push side's header is made
 * here (into @x), the pull side's comes from the peer.
 */
static void chan_keys(struct mig_chan *c, const struct mosix_key *k,
		      const struct hs_ctx *x, bool client, uint8_t *ret_hdr)
{
	uint8_t c2s[KEY_BYTES], s2c[KEY_BYTES];

	hs_prf(c2s, k, L_KEY_C2S, x, 0);
	hs_prf(s2c, k, L_KEY_S2C, x, 0);
	crypto_secretstream_xchacha20poly1305_init_push(&c->tx, ret_hdr, client ? c2s : s2c);
	/* AES-256-GCM's, for later: never the secretstream's keys again */
	hs_prf(c2s, k, L_GCM_C2S, x, 0);
	hs_prf(s2c, k, L_GCM_S2C, x, 0);
	memcpy(c->gcm_tx_key, client ? c2s : s2c, MIG_GCM_KEY);
	memcpy(c->gcm_rx_key, client ? s2c : c2s, MIG_GCM_KEY);
	sodium_memzero(c2s, sizeof(c2s));
	sodium_memzero(s2c, sizeof(s2c));
}

static int chan_pull(struct mig_chan *c, const struct mosix_key *k,
		     const struct hs_ctx *x, bool client)
{
	uint8_t key[KEY_BYTES];
	int r;

	hs_prf(key, k, client ? L_KEY_S2C : L_KEY_C2S, x, 0);
	r = crypto_secretstream_xchacha20poly1305_init_pull(&c->rx, client ? x->hdr_s : x->hdr_c,
							    key);
	sodium_memzero(key, sizeof(key));
	return r == 0 ? 0 : -EBADMSG;
}

int mig_chan_connect(int fd, const struct mosix_key *mig_key, uint32_t self_id,
		     uint32_t peer_id, struct mig_chan **ret)
{
	struct mig_hs hello = { .version = MIG_CHAN_VERSION, .kind = MIG_HS_HELLO,
				.sender = self_id, .receiver = peer_id };
	struct mig_hs proof = { .version = MIG_CHAN_VERSION, .kind = MIG_HS_PROOF,
				.sender = self_id, .receiver = peer_id };
	struct hs_ctx x = { .client = self_id, .server = peer_id };
	uint8_t want[MIG_CHAN_PROOF];
	struct mig_hs reply;
	struct mig_chan *c;
	int r;

	if (!id_ok(self_id) || !id_ok(peer_id))
		return -EINVAL;
	r = chan_new(fd, &c);
	if (r < 0)
		return r;
	randombytes_buf(x.nc, sizeof(x.nc));
	memcpy(hello.nonce, x.nc, sizeof(x.nc));
	r = hs_send(fd, &hello);
	if (r < 0)
		goto out_free_chan;

	r = hs_read(fd, MIG_HS_REPLY, &reply);
	if (r < 0)
		goto out_free_chan;
	if (reply.sender != peer_id || reply.receiver != self_id) {
		hs_refuse(fd, MIG_REFUSE_PEER);
		r = -EPERM;
		goto out_free_chan;
	}
	memcpy(x.ns, reply.nonce, sizeof(x.ns));
	memcpy(x.hdr_s, reply.stream_hdr, sizeof(x.hdr_s));
	hs_prf(want, mig_key, L_SERVER_PROOF, &x, 1);
	if (crypto_verify_32(want, reply.proof) != 0) {
		hs_refuse(fd, MIG_REFUSE_KEY);
		r = -EKEYREJECTED;
		goto out_free_chan;
	}

	/* the server holds the key: keys, our stream header and our proof */
	chan_keys(c, mig_key, &x, true, x.hdr_c);
	r = chan_pull(c, mig_key, &x, true);
	if (r < 0)
		goto out_free_chan;
	memcpy(proof.stream_hdr, x.hdr_c, sizeof(x.hdr_c));
	hs_prf(proof.proof, mig_key, L_CLIENT_PROOF, &x, 2);
	r = hs_send(fd, &proof);
	if (r < 0)
		goto out_free_chan;
	*ret = c;
	return 0;

out_free_chan:
	mig_chan_free(c);
	return r;
}

int mig_chan_accept(int fd, const struct mosix_key *mig_key, uint32_t self_id,
		    const struct mosix_map *map, const struct mosix_addr *peer_addr,
		    uint32_t *ret_peer_id, struct mig_chan **ret)
{
	struct mig_hs reply = { .version = MIG_CHAN_VERSION, .kind = MIG_HS_REPLY,
				.sender = self_id };
	struct hs_ctx x = { .server = self_id };
	uint8_t want[MIG_CHAN_PROOF];
	struct mig_hs hello, proof;
	struct mig_chan *c;
	int r;

	if (!id_ok(self_id))
		return -EINVAL;
	r = chan_new(fd, &c);
	if (r < 0)
		return r;
	r = hs_read(fd, MIG_HS_HELLO, &hello);
	if (r < 0)
		goto out_free_chan;
	/*
	 * Who may talk to us: a node of the map, from one of its addresses,
	 * that means us. Decided before the key is used at all.
	 */
	if (hello.receiver != self_id || !map_has_id(map, hello.sender) ||
	    map_id_of(map, peer_addr) != hello.sender) {
		hs_refuse(fd, MIG_REFUSE_PEER);
		r = -EPERM;
		goto out_free_chan;
	}
	x.client = hello.sender;
	memcpy(x.nc, hello.nonce, sizeof(x.nc));
	randombytes_buf(x.ns, sizeof(x.ns));

	chan_keys(c, mig_key, &x, false, x.hdr_s);
	reply.receiver = x.client;
	memcpy(reply.nonce, x.ns, sizeof(x.ns));
	memcpy(reply.stream_hdr, x.hdr_s, sizeof(x.hdr_s));
	hs_prf(reply.proof, mig_key, L_SERVER_PROOF, &x, 1);
	r = hs_send(fd, &reply);
	if (r < 0)
		goto out_free_chan;

	r = hs_read(fd, MIG_HS_PROOF, &proof);
	if (r < 0)
		goto out_free_chan;
	if (proof.sender != x.client || proof.receiver != self_id) {
		r = -EBADMSG;
		goto out_free_chan;
	}
	memcpy(x.hdr_c, proof.stream_hdr, sizeof(x.hdr_c));
	hs_prf(want, mig_key, L_CLIENT_PROOF, &x, 2);
	/* no refusal: an honest client with another key stopped at our proof */
	if (crypto_verify_32(want, proof.proof) != 0) {
		r = -EKEYREJECTED;
		goto out_free_chan;
	}
	r = chan_pull(c, mig_key, &x, false);
	if (r < 0)
		goto out_free_chan;
	*ret_peer_id = x.client;
	*ret = c;
	return 0;

out_free_chan:
	mig_chan_free(c);
	return r;
}

void *mig_chan_room(struct mig_chan *c, size_t len)
{
	if (c->tx_err || len > MIG_CHAN_MAX ||
	    buf_reserve(&c->sbuf, MIG_CHAN_LEN + MIG_CHAN_OVERHEAD + len) < 0)
		return NULL;
	return c->sbuf.p + MIG_CHAN_SEAL_PAYLOAD;
}

int mig_chan_send_room(struct mig_chan *c, uint32_t type, size_t len)
{
	uint8_t *rec = c->sbuf.p;
	size_t total;
	int r;

	if (c->tx_err)
		return c->tx_err;
	if (len > MIG_CHAN_MAX || !rec ||
	    c->sbuf.size < MIG_CHAN_LEN + MIG_CHAN_OVERHEAD + len)
		return -EMSGSIZE;
	if (c->gtx)
		total = mig_chan_gcm_seal(c->gtx, rec, type, len);
	else
		total = mig_chan_seal(&c->tx, rec, type, len);
	if (!total) {
		c->tx_err = -EIO;
		return -EIO;
	}
	/* one send: the length and the record leave together */
	r = write_full(c->fd, rec, total, 0);
	if (r < 0)
		c->tx_err = r;
	else
		c->nsent++;
	return r;
}

int mig_chan_send2(struct mig_chan *c, uint32_t type, const void *hdr,
		   size_t hlen, const void *p, size_t len)
{
	uint8_t *room;

	if (c->tx_err)
		return c->tx_err;
	if (hlen > MIG_CHAN_MAX || len > MIG_CHAN_MAX - hlen)
		return -EMSGSIZE;
	room = mig_chan_room(c, hlen + len);
	if (!room)
		return -ENOMEM;
	if (hlen)
		memcpy(room, hdr, hlen);
	if (len)
		memcpy(room + hlen, p, len);
	return mig_chan_send_room(c, type, hlen + len);
}

int mig_chan_send(struct mig_chan *c, uint32_t type, const void *p, size_t len)
{
	return mig_chan_send2(c, type, NULL, 0, p, len);
}

int mig_chan_recv_at(struct mig_chan *c, uint32_t *ret_type, uint8_t *buf, size_t cap,
		     const uint8_t **ret_payload, size_t *ret_len)
{
	uint8_t lenb[MIG_CHAN_LEN];
	size_t clen, got, len;
	uint32_t type;
	uint8_t *cbuf;
	int r;

	if (c->rx_err)
		return c->rx_err;
	r = read_full(c->fd, lenb, sizeof(lenb), &got);
	if (r == -EAGAIN && got == 0)
		return -EAGAIN;	/* nothing consumed: still in step */
	if (r < 0)
		goto out_broken;
	r = mig_chan_parse_len(lenb, sizeof(lenb), &clen);
	if (r < 0)
		goto out_broken;
	if (clen - MIG_CHAN_OVERHEAD > cap) {
		r = -EMSGSIZE;
		goto out_broken;
	}
	/* decrypt in the caller's buffer when the whole ciphertext fits */
	if (clen <= cap) {
		cbuf = buf;
	} else {
		r = buf_reserve(&c->rbuf, clen);
		if (r < 0)
			goto out_broken;
		cbuf = c->rbuf.p;
	}
	r = read_full(c->fd, cbuf, clen, &got);
	if (r < 0)
		goto out_broken;
	if (c->grx)
		r = mig_chan_gcm_open(c->grx, lenb, cbuf, clen, &type, &len);
	else
		r = mig_chan_open(&c->rx, cbuf, clen, &type, &len);
	if (r < 0)
		goto out_broken;
	*ret_payload = cbuf + MIG_CHAN_OPEN_PAYLOAD;
	if (cbuf != buf) {
		if (len)
			memcpy(buf, cbuf + MIG_CHAN_OPEN_PAYLOAD, len);
		*ret_payload = buf;
	}
	*ret_type = type;
	*ret_len = len;
	c->nrecv++;
	return 0;

out_broken:
	if (r == -EAGAIN)
		r = -ETIMEDOUT;
	c->rx_err = r;
	return r;
}

int mig_chan_recv(struct mig_chan *c, uint32_t *ret_type, void *buf,
		  size_t cap, size_t *ret_len)
{
	const uint8_t *p;
	int r;

	r = mig_chan_recv_at(c, ret_type, buf, cap, &p, ret_len);
	if (!r && *ret_len && p != buf)
		memmove(buf, p, *ret_len);
	return r;
}

int mig_chan_fd(const struct mig_chan *c)
{
	return c->fd;
}

uint64_t mig_chan_sent(const struct mig_chan *c)
{
	return c->nsent;
}

uint64_t mig_chan_received(const struct mig_chan *c)
{
	return c->nrecv;
}

int mig_chan_use_gcm(struct mig_chan *c, bool ocb)
{
	struct mig_gcm *tx, *rx;
	int r;

	if (c->gtx)
		return 0;
	r = mig_gcm_new(c->gcm_tx_key, true, ocb, &tx);
	if (r < 0)
		return r;
	r = mig_gcm_new(c->gcm_rx_key, false, ocb, &rx);
	if (r < 0) {
		mig_gcm_free(tx);
		return r;
	}
	c->gtx = tx;
	c->grx = rx;
	sodium_memzero(c->gcm_tx_key, sizeof(c->gcm_tx_key));
	sodium_memzero(c->gcm_rx_key, sizeof(c->gcm_rx_key));
	return 0;
}

size_t mig_chan_gcm_seal(struct mig_gcm *g, uint8_t *rec, uint32_t type, size_t len)
{
	size_t clen = MIG_CHAN_OVERHEAD + len;

	put32(rec, (uint32_t)clen);
	rec[MIG_CHAN_LEN] = 0;
	put32(rec + MIG_CHAN_LEN + 1, type);
	/* the length and the zero byte authenticated, type and payload sealed */
	if (mig_gcm_seal(g, rec, MIG_CHAN_LEN + 1, rec + MIG_CHAN_LEN + 1, 4 + len,
			 rec + MIG_CHAN_SEAL_PAYLOAD + len) < 0)
		return 0;
	return MIG_CHAN_LEN + clen;
}

int mig_chan_gcm_open(struct mig_gcm *g, const uint8_t lenb[MIG_CHAN_LEN], uint8_t *c,
		      size_t clen, uint32_t *ret_type, size_t *ret_len)
{
	uint8_t aad[MIG_CHAN_LEN + 1];
	size_t mlen;

	if (clen < MIG_CHAN_OVERHEAD || c[0] != 0)
		return -EBADMSG;
	mlen = clen - 1 - MIG_GCM_TAG;
	memcpy(aad, lenb, MIG_CHAN_LEN);
	aad[MIG_CHAN_LEN] = c[0];
	if (mig_gcm_open(g, aad, sizeof(aad), c + 1, mlen, c + 1 + mlen) < 0)
		return -EBADMSG;
	*ret_type = get32(c + 1);
	*ret_len = mlen - 4;
	return 0;
}

void mig_chan_close(struct mig_chan *c)
{
	if (!c)
		return;
	close(c->fd);
	mig_chan_free(c);
}

void mig_chan_free(struct mig_chan *c)
{
	if (!c)
		return;
	mig_gcm_free(c->gtx);
	mig_gcm_free(c->grx);
	free(c->sbuf.p);
	free(c->rbuf.p);
	sodium_memzero(c, sizeof(*c));
	free(c);
}
