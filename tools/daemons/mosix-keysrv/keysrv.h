/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_KEYSRV_H
#define MOSIX_KEYSRV_H

/*
 * mosix-keysrv: the boot server's key service (docs/NETBOOT.md). Who may
 * ask (allow.c) and what they get (answer.c); main.c has the loop.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/addrlist.h"
#include "lib/diag.h"
#include "lib/keysrv_wire.h"

#define KEYSRV_MAC_MAX 64 /* room for a lease's hardware address, NUL included */

struct keysrv_allow {
	struct addrlist range;	/* the netboot range: nothing outside is answered */
	const char *leases;	/* dnsmasq's lease file, or NULL */
	const char *macs;	/* allowed MACs, one a line, or NULL */
};

void keysrv_allow_init(struct keysrv_allow *a);
void keysrv_allow_release(struct keysrv_allow *a);

/*
 * Whether @addr may have the key: KEYSRV_R_NONE, or the reason to refuse
 * (outside the range, no current lease, MAC not allowed); the lease's MAC
 * goes to @ret_mac (KEYSRV_MAC_MAX bytes). The lease and
 * MAC files are read at each call, so dnsmasq's changes count at once;
 * an unreadable file refuses (KEYSRV_R_CONFIG), with why in @d.
 */
uint16_t keysrv_allow_check(const struct keysrv_allow *a, const struct mosix_addr *addr,
			    int64_t now, char *ret_mac, struct diag *d);

/*
 * The answer to @req for an allowed node: the cluster key, the map the
 * daemons use and mosix.conf, read now, sealed and signed into @out.
 * Returns the length, or -errno with why in @d (then refuse).
 */
int keysrv_answer_build(const uint8_t *sign_sk, const struct keysrv_request *req,
			uint8_t *out, size_t out_size, struct diag *d);

#endif
