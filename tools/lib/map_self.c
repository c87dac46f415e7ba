// SPDX-License-Identifier: GPL-2.0-only
#include "map.h"

#include <errno.h>
#include <ifaddrs.h>
#include <stdlib.h>

int map_match_self(const struct mosix_map *m, const struct mosix_addr *local,
		   size_t nlocal, uint32_t *ret_id)
{
	uint32_t found = 0;

	for (size_t i = 0; i < nlocal; i++) {
		uint32_t id = map_id_of(m, &local[i]);

		if (!id)
			continue;
		/* a gateway's alias leads to the same id: not ambiguous */
		if (found && found != id)
			return -ENOTUNIQ;
		found = id;
	}
	if (!found)
		return -ENOENT;
	*ret_id = found;
	return 0;
}

int map_find_self(const struct mosix_map *m, uint32_t *ret_id)
{
	struct ifaddrs *ifa, *i;
	struct mosix_addr *local;
	size_t n = 0;
	int r;

	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i; i = i->ifa_next)
		n++;
	local = calloc(n ? n : 1, sizeof(*local));
	if (!local) {
		r = -ENOMEM;
		goto out_free_ifaddrs;
	}
	n = 0;
	for (i = ifa; i; i = i->ifa_next)
		if (i->ifa_addr && addr_from_sockaddr(i->ifa_addr, &local[n]) == 0)
			n++;
	r = map_match_self(m, local, n, ret_id);
	free(local);
out_free_ifaddrs:
	freeifaddrs(ifa);
	return r;
}
