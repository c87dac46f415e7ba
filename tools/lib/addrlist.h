/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_ADDRLIST_H
#define MOSIX_ADDRLIST_H

/*
 * Address lists: the ways an administrator already has the addresses of
 * the nodes at hand, turned into runs of consecutive addresses, for
 * mosix-mkmap and the PXE setup tool.
 *
 * An item is one of
 *   ADDRESS            10.0.0.7, fd00::7 (numeric only: no host names)
 *   FIRST-LAST         10.0.0.1-10.0.0.99, both ends included, same family,
 *                      FIRST <= LAST
 *   ADDRESS/PREFIX     10.0.0.0/24: every address of the block, except that
 *                      IPv4 blocks of /30 and wider leave out the network and
 *                      broadcast addresses, which can never be a node
 *   dhcp-range=VALUE   a dnsmasq dhcp-range option (see below)
 * and no item may hold more than MAP_MAX_ID addresses (an IPv4 /16 holds
 * 65534, so it fits; an IPv6 block must be /113 or narrower).
 *
 * dnsmasq's dhcp-range is read as dnsmasq reads it:
 *   [tag:T,...][set:T,]START,END[,NETMASK[,BROADCAST]][,LEASE]        IPv4
 *   [tag:T,...][set:T,]START,END[,MODE...][,PREFIX-LEN][,LEASE]       IPv6
 * Leading tag tokens are skipped (tag:, set:, net: and old-style bare
 * names); START and END may come in either order, as dnsmasq swaps them;
 * NETMASK or PREFIX-LEN, when given, must hold both ends. Ranges that lease
 * no addresses of their own are errors naming why: "static" and "proxy"
 * ranges, IPv6 ranges with no END (router advertisement only), and
 * "constructor:" ranges, whose addresses depend on an interface's prefix.
 *
 * Every error is appended to the diag as "FILE:LINE: message", and parsing
 * goes on so that one run reports all of them. Runs keep where they were
 * read, so a later step can name the input line of any address.
 */

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "diag.h"
#include "map.h"

struct addrlist_run {
	struct mosix_addr first;
	uint32_t count; /* 1..MAP_MAX_ID */
	uint32_t src;	/* index into addrlist.src */
	uint32_t line;
};

struct addrlist {
	struct addrlist_run *run; /* in input order, duplicates kept */
	size_t nrun, run_alloc;
	char **src; /* names of the inputs */
	size_t nsrc;
};

enum addrlist_format {
	/* one item per line; '#' starts a comment anywhere */
	ADDRLIST_ITEMS,
	/* a dnsmasq configuration: every dhcp-range= line, the rest ignored */
	ADDRLIST_DNSMASQ,
};

void addrlist_init(struct addrlist *l);
void addrlist_release(struct addrlist *l);

/* The index of input @name (added on first use), for messages. 0 or -ENOMEM. */
int addrlist_source(struct addrlist *l, const char *name, uint32_t *ret_src);

/*
 * Add one item (any of the forms above; surrounding white space is
 * ignored). 0, -EINVAL when it is invalid (reported to @d), or -ENOMEM.
 */
int addrlist_add_item(struct addrlist *l, uint32_t src, uint32_t line,
		      const char *text, struct diag *d);

/* Add the value of a dhcp-range option (the text after "dhcp-range="). */
int addrlist_add_dhcp_range(struct addrlist *l, uint32_t src, uint32_t line,
			    const char *value, struct diag *d);

/*
 * Parse text in @format; @name is used in messages. 0, -EINVAL when some
 * line was bad (all reported), or -ENOMEM.
 */
int addrlist_parse(struct addrlist *l, const char *name, const char *buf,
		   size_t len, enum addrlist_format format, struct diag *d);

/* Read and parse a file. -errno (reported to @d) if it cannot be read. */
int addrlist_load_file(struct addrlist *l, const char *path,
		       enum addrlist_format format, struct diag *d);

/* What addrlist_assign() found, filled in on success and on -ENOSPC. */
struct addrlist_assigned {
	uint64_t new_addrs; /* distinct addresses that the map did not list */
	uint32_t free_ids;  /* unused ids from the first id to MAP_MAX_ID */
	uint32_t first_new, last_new; /* ids given; 0 when none */
};

/*
 * Give an id to every address of @l that the finished map @m does not
 * list (as a node or an alias): in list order, each address once, the free
 * ids from @first_id up (1..MAP_MAX_ID + 1; ids @m uses are skipped). The
 * new ranges are added to @m, which the caller must map_finish() again;
 * their messages name the input line of the item.
 *
 * Costs O(runs log runs) plus O(log ranges) per address listed; memory is
 * O(runs + new addresses), however often the list repeats an address.
 * Returns 0, -ENOSPC (nothing added; @info says how many ids were needed
 * and free), -EINVAL if @m is not finished, or -ENOMEM.
 */
int addrlist_assign(const struct addrlist *l, struct mosix_map *m,
		    uint32_t first_id, struct addrlist_assigned *info,
		    struct diag *d);

#endif
