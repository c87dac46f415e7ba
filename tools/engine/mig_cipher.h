/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_MIG_CIPHER_H
#define MOSIX_MIG_CIPHER_H

/*
 * Choosing the record cipher of a migration channel, inside the
 * conversation itself (mig_img.h): the deputy offers in its HELLO what it
 * can use besides the secretstream; right after WELCOME the node answers
 * CIPHER with its choice, and from the next record on both directions use
 * it (mig_chan_use_gcm). The offer and the answer travel in authenticated
 * records, so nobody between the nodes can change them.
 */

#include <stddef.h>
#include <stdint.h>

#include "engine/mig_chan.h"

/* What this process can offer: enum mig_cipher bits for HELLO's ciphers. */
uint32_t mig_cipher_offer(void);

/* The node's side, after WELCOME: choose from @offered, send CIPHER and
 * switch. 0 or -errno from the channel. */
int mig_cipher_answer(struct mig_chan *c, uint32_t offered);

/*
 * The deputy's side, after WELCOME: read CIPHER (into @buf, @cap bytes),
 * check it against @offered and switch. -EPROTO for another record or an
 * answer that was not offered, -errno from the channel.
 */
int mig_cipher_follow(struct mig_chan *c, uint32_t offered, void *buf, size_t cap);

#endif
