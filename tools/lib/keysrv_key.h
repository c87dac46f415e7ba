/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_KEYSRV_KEY_H
#define MOSIX_KEYSRV_KEY_H

/*
 * The key service's Ed25519 signing key pair (docs/NETBOOT.md):
 *
 *   keysrv.key      the secret key, 128 hex digits and a newline, mode
 *                   0600, on the boot server only
 *   keysrv.key.pub  the public key, 64 hex digits and a newline, mode
 *                   0644, baked into the boot image so that a node trusts
 *                   only its own server's answers
 *
 * The secret file is refused, as the cluster key is, when another user
 * may read it or owns it.
 */

#include <stdint.h>

#include "diag.h"
#include "keysrv_wire.h"

/* A new key pair: @path and "@path.pub", replacing neither. 0 or -errno. */
int keysrv_key_generate(const char *path, struct diag *d);

/* Read the secret key @path. -EPERM when others may read it, -EINVAL, -errno. */
int keysrv_key_load_secret(const char *path, uint8_t ret[KEYSRV_SIGN_SK_LEN],
			   struct diag *d);

/* Read a public key file. -EINVAL when malformed, -errno. */
int keysrv_key_load_public(const char *path, uint8_t ret[KEYSRV_SIGN_PK_LEN],
			   struct diag *d);

#endif
