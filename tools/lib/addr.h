/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_ADDR_H
#define MOSIX_ADDR_H

/*
 * Node addresses.
 *
 * One representation for IPv4 and IPv6 so that the map can sort, search and
 * compare ranges of either kind with the same code: an IPv4 address is kept
 * in its IPv4-mapped IPv6 form (::ffff:a.b.c.d). Ranges never cross from
 * the mapped IPv4 space into the rest of IPv6, because addr_add() treats the
 * 32-bit IPv4 space as its own address space with its own end.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct mosix_addr {
	uint8_t b[16];
};

/* Longest text addr_format() writes, NUL included (INET6_ADDRSTRLEN). */
#define ADDR_STRLEN 46

/* Parse a numeric IPv4 or IPv6 address. Returns 0 or -EINVAL. */
int addr_parse(const char *text, struct mosix_addr *ret);

/* Take the address out of an AF_INET or AF_INET6 socket address. */
int addr_from_sockaddr(const struct sockaddr *sa, struct mosix_addr *ret);

/* Fill a socket address (AF_INET for IPv4 addresses) with @port. */
socklen_t addr_to_sockaddr(const struct mosix_addr *a, uint16_t port,
			   struct sockaddr_storage *ret);

bool addr_is_v4(const struct mosix_addr *a);

/* memcmp-style ordering: all IPv4 addresses sort as one block. */
int addr_cmp(const struct mosix_addr *a, const struct mosix_addr *b);

/*
 * ret = a + n. Returns -ERANGE, leaving ret untouched, when the result runs
 * past the end of a's address space (255.255.255.255 for IPv4, all ones for
 * IPv6).
 */
int addr_add(const struct mosix_addr *a, uint64_t n, struct mosix_addr *ret);

/*
 * The distance b - a when a <= b and both are in the same address space and
 * the distance fits 64 bits; otherwise -ERANGE.
 */
int addr_distance(const struct mosix_addr *a, const struct mosix_addr *b,
		  uint64_t *ret);

/* Text form into buf (at least ADDR_STRLEN bytes); returns buf. */
const char *addr_format(const struct mosix_addr *a, char *buf);

#endif
