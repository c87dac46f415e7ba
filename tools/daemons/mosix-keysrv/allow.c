// SPDX-License-Identifier: GPL-2.0-only
/*
 * Who may have the key: an address inside the netboot range, and, when
 * asked for, one that dnsmasq leased and has not expired, to a MAC of the
 * allow-list.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keysrv.h"

void keysrv_allow_init(struct keysrv_allow *a)
{
	memset(a, 0, sizeof(*a));
	addrlist_init(&a->range);
}

void keysrv_allow_release(struct keysrv_allow *a)
{
	if (!a)
		return;
	addrlist_release(&a->range);
}

static bool in_range(const struct addrlist *l, const struct mosix_addr *addr)
{
	for (size_t i = 0; i < l->nrun; i++) {
		const struct addrlist_run *run = &l->run[i];
		uint64_t dist;

		if (addr_cmp(addr, &run->first) < 0)
			continue;
		if (addr_distance(&run->first, addr, &dist) == 0 && dist < run->count)
			return true;
	}
	return false;
}

/*
 * The MAC of @addr's current lease in dnsmasq's lease file: lines of
 * "EXPIRY MAC ADDRESS HOSTNAME CLIENT-ID", EXPIRY 0 meaning never.
 * 0 and the MAC, -ENOENT when there is none, -errno when unreadable.
 */
static int lease_mac(const char *path, const struct mosix_addr *addr, int64_t now,
		     char *ret_mac, struct diag *d)
{
	char line[512], mac[64], ip[ADDR_STRLEN + 8];
	FILE *f;
	int r = -ENOENT;

	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		diag_add(d, path, 0, "cannot open the lease file: %s", strerror(errno));
		return r;
	}
	while (fgets(line, sizeof(line), f)) {
		struct mosix_addr a;
		long long expiry;

		if (sscanf(line, "%lld %63s %53s", &expiry, mac, ip) != 3)
			continue;
		if (addr_parse(ip, &a) != 0 || addr_cmp(&a, addr) != 0)
			continue;
		if (expiry != 0 && expiry <= now)
			continue;
		snprintf(ret_mac, KEYSRV_MAC_MAX, "%s", mac);
		r = 0;
		break;
	}
	fclose(f);
	return r;
}

static bool mac_allowed(const char *path, const char *mac, struct diag *d, int *ret_err)
{
	char line[256];
	bool found = false;
	FILE *f;

	*ret_err = 0;
	f = fopen(path, "re");
	if (!f) {
		*ret_err = -errno;
		diag_add(d, path, 0, "cannot open the MAC allow-list: %s", strerror(errno));
		return false;
	}
	while (!found && fgets(line, sizeof(line), f)) {
		char *p = line, *end;

		end = strchr(p, '#');
		if (end)
			*end = '\0';
		while (isspace((unsigned char)*p))
			p++;
		end = p + strlen(p);
		while (end > p && isspace((unsigned char)end[-1]))
			*--end = '\0';
		found = *p && strcasecmp(p, mac) == 0;
	}
	fclose(f);
	return found;
}

uint16_t keysrv_allow_check(const struct keysrv_allow *a, const struct mosix_addr *addr,
			    int64_t now, char *ret_mac, struct diag *d)
{
	int r;

	ret_mac[0] = '\0';
	if (!in_range(&a->range, addr))
		return KEYSRV_R_RANGE;
	if (!a->leases)
		return KEYSRV_R_NONE;
	r = lease_mac(a->leases, addr, now, ret_mac, d);
	if (r == -ENOENT)
		return KEYSRV_R_LEASE;
	if (r < 0)
		return KEYSRV_R_CONFIG;
	if (!a->macs)
		return KEYSRV_R_NONE;
	if (mac_allowed(a->macs, ret_mac, d, &r))
		return KEYSRV_R_NONE;
	return r < 0 ? KEYSRV_R_CONFIG : KEYSRV_R_MAC;
}
