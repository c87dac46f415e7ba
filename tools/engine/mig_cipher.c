// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>

#include "engine/mig_cipher.h"
#include "engine/mig_gcm.h"
#include "engine/mig_img.h"

uint32_t mig_cipher_offer(void)
{
	return MIG_CIPHER_STREAM | (mig_gcm_available() ? MIG_CIPHER_GCM : 0) |
	       (mig_gcm_ocb_available() ? MIG_CIPHER_OCB : 0);
}

int mig_cipher_answer(struct mig_chan *c, uint32_t offered)
{
	struct mig_cipher_msg m = { .cipher = MIG_CIPHER_STREAM };
	int r;

	if ((offered & MIG_CIPHER_OCB) && mig_gcm_ocb_available())
		m.cipher = MIG_CIPHER_OCB;
	else if ((offered & MIG_CIPHER_GCM) && mig_gcm_available())
		m.cipher = MIG_CIPHER_GCM;
	r = mig_chan_send(c, MIG_M_CIPHER, &m, sizeof(m));
	if (r < 0 || m.cipher == MIG_CIPHER_STREAM)
		return r;
	/* the deputy switches as it reads this record: so do we, after it */
	return mig_chan_use_gcm(c, m.cipher == MIG_CIPHER_OCB);
}

int mig_cipher_follow(struct mig_chan *c, uint32_t offered, void *buf, size_t cap)
{
	const struct mig_cipher_msg *m = buf;
	uint32_t type;
	size_t len;
	int r;

	r = mig_chan_recv(c, &type, buf, cap, &len);
	if (r < 0)
		return r;
	if (type != MIG_M_CIPHER || mig_cipher_check(buf, len, offered))
		return -EPROTO;
	return m->cipher == MIG_CIPHER_STREAM ? 0 :
	       mig_chan_use_gcm(c, m->cipher == MIG_CIPHER_OCB);
}
