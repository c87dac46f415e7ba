/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_MIG_CHAN_H
#define MOSIX_MIG_CHAN_H

/*
 * The migration channel: one TCP connection between two mosix-migd (home
 * deputy and remote supervisor), mutually authenticated with the cluster's
 * migration subkey (key_derive(KEY_MIGRATION)) and encrypted, carrying
 * records of a type and a payload (the payloads are mig_img.h's).
 *
 * Handshake, version 1. Little-endian; every message starts with the same
 * 8 bytes, and REFUSE is the same in every version, so that two versions
 * can at least tell each other why they part:
 *
 *   offset size  field
 *        0    4  magic "MXMC"
 *        4    1  version (1)
 *        5    1  kind (enum mig_hs_kind)
 *        6    2  length of the whole message (fixed for each kind)
 *
 *   HELLO  client -> server, 48 bytes     REPLY  server -> client, 104 bytes
 *        8    4  client node id                8    4  server node id
 *       12    4  server node id (meant)       12    4  client node id
 *       16   32  client nonce                 16   32  server nonce
 *                                              48   24  stream header s->c
 *   PROOF  client -> server, 72 bytes         72   32  server proof
 *        8    4  client node id
 *       12    4  server node id             REFUSE either side, 16 bytes
 *       16   24  stream header c->s            8    4  reason (mig_refuse)
 *       40   32  client proof                 12    4  reserved, zero
 *
 * The server checks the claimed client id against the map and the TCP
 * source address before it uses the key at all. Proofs and session keys
 * are BLAKE2b-256 keyed with the subkey over a 16-byte label, both ids,
 * both nonces and (for proofs) the stream headers sent so far; the labels
 * differ by role and use, so a proof reflected to its sender, replayed
 * into another session (fresh nonces) or taken for a key is worthless.
 * The server proves first; the client checks that proof before it sends
 * its own, and the server checks the client's before accept returns:
 * nothing of a process travels before both sides know the other holds the
 * key. A side that finds the other wrong sends REFUSE (best effort) so
 * that both report the same reason.
 *
 * Records: u32 length of the ciphertext, then the ciphertext: one
 * crypto_secretstream_xchacha20poly1305 message (tag MESSAGE) per record,
 * one stream per direction, whose plaintext is u32 type then the payload.
 * The stream orders the records: a dropped, repeated, reordered or cut
 * record fails to decrypt. End of stream at a record boundary is plain
 * EOF; the protocol on top says when a conversation is complete.
 *
 * AES-256-GCM records: once both sides have agreed (the migration's
 * HELLO offers it, MIG_M_CIPHER answers; mig_img.h), each switches both
 * directions with mig_chan_use_gcm() at the same point of the
 * conversation, and every record after it has the same framing but is
 * sealed with AES-256-GCM (mig_gcm.h): the length, then one byte, zero,
 * then u32 type and the payload encrypted, then the 16-byte tag; the
 * length and that byte are authenticated too. The keys are derived in the
 * handshake like the secretstream's (own labels), the nonce is the
 * record's number in its direction, so ordering holds as before.
 *
 * Cost: the cipher bounds a channel (one core, about 0.55-0.65 GB/s here
 * with the secretstream, 2-3 GB/s with AES-256-GCM; bench/bench_chan.c).
 * A sent payload is copied once (a run of pages not at all: the sender
 * reads it into mig_chan_room()), into a buffer where it is encrypted in
 * place and leaves in one send(); a received one is
 * decrypted in place in the caller's buffer when its ciphertext fits there
 * (else in the channel's) and moved to the start. The channel keeps a
 * buffer per direction as large as its recent records (MIG_CHAN_MAX and a
 * few bytes at most) and gives it back after a run of small ones.
 *
 * I/O: @fd is a connected, blocking stream socket (SO_RCVTIMEO and
 * SO_SNDTIMEO may bound the waits). Everything is written with
 * send(MSG_NOSIGNAL), so the channel never raises SIGPIPE whatever the
 * caller does with it. EINTR is retried. A channel is used by one thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "lib/addr.h"
#include "lib/key.h"
#include "lib/map.h"

#define MIG_CHAN_MAX (4u << 20)	/* largest record payload, bytes */

#define MIG_CHAN_VERSION 1
#define MIG_CHAN_NONCE 32
#define MIG_CHAN_PROOF 32
#define MIG_CHAN_STREAM_HDR 24	/* crypto_secretstream_..._HEADERBYTES */
#define MIG_CHAN_HS_PREFIX 8
#define MIG_CHAN_HS_MAX 104	/* the longest handshake message (REPLY) */

enum mig_hs_kind {
	MIG_HS_HELLO = 1,
	MIG_HS_REPLY = 2,
	MIG_HS_PROOF = 3,
	MIG_HS_REFUSE = 4,
};

/* Why a side ended the handshake; the other side returns the errno. */
enum mig_refuse {
	MIG_REFUSE_PEER = 1,	/* not in the map, wrong address or id: -EPERM */
	MIG_REFUSE_KEY = 2,	/* the proof did not check: -EKEYREJECTED */
	MIG_REFUSE_VERSION = 3,	/* another version: -EPROTO */
	/* any other reason (a later version's): -ECONNREFUSED */
};

struct mig_chan;

/*
 * Client side of a connected TCP socket @fd: prove and check the key, and
 * that the peer is node @peer_id. On success *@ret is a new channel (free
 * it with mig_chan_free(); it does not own @fd). Errors: -EPERM when the
 * peer refused us or is another node, -EKEYREJECTED when the keys differ,
 * -EPROTO for another version, -EBADMSG for a malformed message,
 * -ECONNRESET when the peer closed, -ETIMEDOUT when SO_RCVTIMEO or
 * SO_SNDTIMEO expired, -EINVAL for an id out of 1..MAP_MAX_ID, -ENOMEM,
 * other -errno from the socket.
 */
int mig_chan_connect(int fd, const struct mosix_key *mig_key, uint32_t self_id,
		     uint32_t peer_id, struct mig_chan **ret);

/*
 * Server side: the peer must claim a node id that is in @map and is the
 * node of @peer_addr (the TCP source address; main or alias address of the
 * node), and must mean us (@self_id); others are refused with -EPERM before
 * the key is used at all. *@ret_peer_id is the client's node id. Errors as
 * for mig_chan_connect(); a replayed or forged client proof gives
 * -EKEYREJECTED.
 */
int mig_chan_accept(int fd, const struct mosix_key *mig_key, uint32_t self_id,
		    const struct mosix_map *map, const struct mosix_addr *peer_addr,
		    uint32_t *ret_peer_id, struct mig_chan **ret);

/*
 * Send one record of @len payload bytes (at most MIG_CHAN_MAX). Returns 0
 * or -errno: -EMSGSIZE (too long) and -ENOMEM leave the channel usable;
 * a failed write (-EPIPE, -ECONNRESET, -ETIMEDOUT...) breaks the sending
 * side for good, and every later send returns the same error.
 */
int mig_chan_send(struct mig_chan *c, uint32_t type, const void *p, size_t len);

/*
 * One record whose payload is @hdr (@hlen bytes) followed by @p (@len
 * bytes), as one would send a small header and a run of pages: they are
 * copied once, into the buffer they are encrypted in. Same errors.
 */
int mig_chan_send2(struct mig_chan *c, uint32_t type, const void *hdr,
		   size_t hlen, const void *p, size_t len);

/*
 * A record built in place, for runs of pages read straight into the
 * buffer they are encrypted in (one copy less): mig_chan_room() gives the
 * place of a payload of up to @len bytes (NULL when @len is too long, the
 * sending side is broken or memory is short), valid until the next call
 * on the channel; mig_chan_send_room() sends the @len bytes written there
 * as one record of @type. Errors as for mig_chan_send().
 */
void *mig_chan_room(struct mig_chan *c, size_t len);
int mig_chan_send_room(struct mig_chan *c, uint32_t type, size_t len);

/*
 * Receive one record: its type in *@ret_type, its payload in @buf and its
 * length in *@ret_len. Reads exactly one record from the socket and
 * nothing more (no read-ahead), so that poll() on the fd stays meaningful
 * between records. @buf may serve as scratch space up to @cap bytes: after
 * a failure its contents are undefined.
 * Errors: -EAGAIN when SO_RCVTIMEO expired before the first byte of a
 * record (the channel stays usable: a heartbeat can be checked this way);
 * otherwise the receiving side is broken for good and returns the same
 * error again: -EMSGSIZE when the record is longer than @cap (found from
 * its length, nothing more is read), -EBADMSG when it fails
 * authentication or is malformed, -ECONNRESET at end of stream (also in
 * the middle of a record), -ETIMEDOUT when the timeout expired in the
 * middle of a record, -ENOMEM, other -errno from read.
 */
int mig_chan_recv(struct mig_chan *c, uint32_t *ret_type, void *buf,
		  size_t cap, size_t *ret_len);
/*
 * The same, but the payload is left where it was decrypted: *@ret_payload
 * points into @buf (at a small offset when the ciphertext fit there, at its
 * start otherwise). Saves moving a large record's payload once more.
 */
int mig_chan_recv_at(struct mig_chan *c, uint32_t *ret_type, uint8_t *buf, size_t cap,
		     const uint8_t **ret_payload, size_t *ret_len);

int mig_chan_fd(const struct mig_chan *c);

/*
 * Records sent and received whole since the handshake: the same record
 * is number N at both ends, so a side can tell whether one it sent had
 * arrived when the peer wrote something (mig_img.h's SYSCALL `seen`).
 */
uint64_t mig_chan_sent(const struct mig_chan *c);
uint64_t mig_chan_received(const struct mig_chan *c);

/*
 * From now on, seal and open records in both directions with AES-256-GCM
 * (see above), with @ocb those of 1 KiB and more with AES-256-OCB
 * (mig_gcm.h): 0, -EOPNOTSUPP where mig_gcm_available() (or
 * mig_gcm_ocb_available()) is false (the channel is unchanged then),
 * -ENOMEM. Both sides must switch at the same record; the migration
 * protocol says where.
 */
int mig_chan_use_gcm(struct mig_chan *c, bool ocb);

/* Accepts NULL; wipes the keys; does not close the fd. */
void mig_chan_free(struct mig_chan *c);
/* mig_chan_free, and closes the fd too (a link of one's own). */
void mig_chan_close(struct mig_chan *c);

/*
 * The decoders and the record codec, pure functions on buffers: the
 * channel uses them, and tests/fuzz/fuzz_chan.c fuzzes them.
 */

/* One handshake message, decoded. Fields a kind does not have are zero. */
struct mig_hs {
	uint8_t version;
	uint8_t kind;			/* enum mig_hs_kind */
	uint32_t sender, receiver;	/* node ids (HELLO, REPLY, PROOF) */
	uint8_t nonce[MIG_CHAN_NONCE];	/* HELLO, REPLY */
	uint8_t stream_hdr[MIG_CHAN_STREAM_HDR]; /* REPLY, PROOF */
	uint8_t proof[MIG_CHAN_PROOF];	/* REPLY, PROOF */
	uint32_t reason;		/* REFUSE */
};

/*
 * Check the first MIG_CHAN_HS_PREFIX bytes of a handshake message (@len at
 * least that): 0 and the length of the whole message, -EBADMSG when the
 * magic, kind or length is wrong, -EPROTO for another version (except for
 * REFUSE, the same in every version).
 */
int mig_chan_hs_peek(const uint8_t *p, size_t len, size_t *ret_len);

/*
 * Decode a whole handshake message of exactly @len bytes: 0, -EBADMSG or
 * -EPROTO as mig_chan_hs_peek(), and -EBADMSG for a node id out of
 * 1..MAP_MAX_ID, a zero reason or a reserved field that is not zero.
 */
int mig_chan_hs_parse(const uint8_t *p, size_t len, struct mig_hs *ret);

/*
 * Encode @m (its version and kind, a valid kind) into @out
 * (MIG_CHAN_HS_MAX bytes); returns the length.
 */
size_t mig_chan_hs_encode(const struct mig_hs *m, uint8_t *out);

/* Bytes a record adds to its payload on the wire besides the length. */
#define MIG_CHAN_OVERHEAD (4 + crypto_secretstream_xchacha20poly1305_ABYTES)
#define MIG_CHAN_LEN 4		/* the length before each record */
/* where mig_chan_seal() wants the payload, and mig_chan_open() leaves it */
#define MIG_CHAN_SEAL_PAYLOAD (MIG_CHAN_LEN + 1 + 4)
#define MIG_CHAN_OPEN_PAYLOAD (1 + 4)

/*
 * Decode a record's length (@len must be MIG_CHAN_LEN): 0 and the length
 * of the ciphertext that follows, -EMSGSIZE when it is longer than a
 * payload of MIG_CHAN_MAX can make, -EBADMSG when it is too short for a
 * record at all.
 */
int mig_chan_parse_len(const uint8_t *p, size_t len, size_t *ret_clen);

/*
 * Seal a record in place: @rec has MIG_CHAN_LEN + MIG_CHAN_OVERHEAD + @len
 * bytes, the payload (@len bytes, at most MIG_CHAN_MAX) already at
 * MIG_CHAN_SEAL_PAYLOAD. Writes the length and the type, and encrypts;
 * returns the number of bytes to send from @rec, all of it.
 */
size_t mig_chan_seal(crypto_secretstream_xchacha20poly1305_state *st,
		     uint8_t *rec, uint32_t type, size_t len);

/*
 * Open in place the ciphertext of one record (@clen bytes, without its
 * length): 0, its type and the payload length, the payload then at
 * @c + MIG_CHAN_OPEN_PAYLOAD; -EBADMSG when it does not authenticate, is
 * not a record (tag other than MESSAGE) or is too short for a type. After
 * a failure @st must not be used again.
 */
int mig_chan_open(crypto_secretstream_xchacha20poly1305_state *st, uint8_t *c,
		  size_t clen, uint32_t *ret_type, size_t *ret_len);

/*
 * The same for an AES-256-GCM record (mig_gcm.h): seal in place as
 * mig_chan_seal() does; open the ciphertext (@clen bytes, after the length
 * @lenb, which is authenticated too) in place as mig_chan_open() does,
 * -EBADMSG when it does not authenticate or its first byte is not zero.
 */
struct mig_gcm;
size_t mig_chan_gcm_seal(struct mig_gcm *g, uint8_t *rec, uint32_t type, size_t len);
int mig_chan_gcm_open(struct mig_gcm *g, const uint8_t lenb[MIG_CHAN_LEN], uint8_t *c,
		      size_t clen, uint32_t *ret_type, size_t *ret_len);

#endif
