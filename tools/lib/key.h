/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_KEY_H
#define MOSIX_KEY_H

/*
 * The cluster key: 32 random bytes shared by every node, kept in
 * /etc/mosix/secret as 64 hex digits and a newline, mode 0600, owned by the
 * user that runs the daemons. Every cluster message is authenticated (and
 * its payload encrypted) with a subkey derived from it for one purpose, so
 * a message of one protocol can never pass as one of another.
 */

#include <stdint.h>

#include "diag.h"

#define KEY_BYTES 32

struct mosix_key {
	uint8_t b[KEY_BYTES];
};

enum key_purpose {
	KEY_GOSSIP = 1,		/* mosix-infod datagrams */
	KEY_MIGRATION = 2,	/* mosix-migd streams */
};

/*
 * Read @path. Refuses (-EPERM, with the reason in @d) a file that is not a
 * regular file, that group or others may read or write, or that another
 * user owns: a readable key is a cluster anyone can join. -EINVAL for a
 * malformed file, -errno when it cannot be read.
 */
int key_load(const char *path, struct mosix_key *ret, struct diag *d);

/* A new random key written to @path (mode 0600, not replacing a file). */
int key_generate(const char *path, struct diag *d);

/* The subkey for one purpose. */
void key_derive(const struct mosix_key *master, enum key_purpose purpose,
		struct mosix_key *ret);

/* Overwrite key material so it does not linger in freed memory. */
void key_wipe(struct mosix_key *k);

#endif
