// SPDX-License-Identifier: GPL-2.0-only
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

static const uint8_t v4_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

bool addr_is_v4(const struct mosix_addr *a)
{
	return memcmp(a->b, v4_prefix, sizeof(v4_prefix)) == 0;
}

static void addr_set_v4(struct mosix_addr *a, const void *in4)
{
	memcpy(a->b, v4_prefix, sizeof(v4_prefix));
	memcpy(a->b + 12, in4, 4);
}

int addr_parse(const char *text, struct mosix_addr *ret)
{
	struct in_addr in4;
	struct in6_addr in6;

	if (inet_pton(AF_INET, text, &in4) == 1) {
		addr_set_v4(ret, &in4);
		return 0;
	}
	if (inet_pton(AF_INET6, text, &in6) == 1) {
		memcpy(ret->b, &in6, 16);
		return 0;
	}
	return -EINVAL;
}

int addr_from_sockaddr(const struct sockaddr *sa, struct mosix_addr *ret)
{
	if (sa->sa_family == AF_INET) {
		addr_set_v4(ret, &((const struct sockaddr_in *)sa)->sin_addr);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(ret->b, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return 0;
	}
	return -EAFNOSUPPORT;
}

socklen_t addr_to_sockaddr(const struct mosix_addr *a, uint16_t port,
			   struct sockaddr_storage *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (addr_is_v4(a)) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ret;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, a->b + 12, 4);
		return sizeof(*s4);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ret;

	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	memcpy(&s6->sin6_addr, a->b, 16);
	return sizeof(*s6);
}

int addr_cmp(const struct mosix_addr *a, const struct mosix_addr *b)
{
	return memcmp(a->b, b->b, 16);
}

static void addr_split(const struct mosix_addr *a, uint64_t *hi, uint64_t *lo)
{
	*hi = 0;
	*lo = 0;
	for (int i = 0; i < 8; i++) {
		*hi = *hi << 8 | a->b[i];
		*lo = *lo << 8 | a->b[i + 8];
	}
}

static void addr_join(uint64_t hi, uint64_t lo, struct mosix_addr *a)
{
	for (int i = 7; i >= 0; i--) {
		a->b[i] = hi & 0xff;
		a->b[i + 8] = lo & 0xff;
		hi >>= 8;
		lo >>= 8;
	}
}

int addr_add(const struct mosix_addr *a, uint64_t n, struct mosix_addr *ret)
{
	uint64_t hi, lo;

	addr_split(a, &hi, &lo);
	if (addr_is_v4(a)) {
		uint64_t v4 = lo & 0xffffffffu;

		if (n > 0xffffffffu - v4)
			return -ERANGE;
		lo = (lo & ~(uint64_t)0xffffffffu) | (v4 + n);
		addr_join(hi, lo, ret);
		return 0;
	}
	if (lo + n < lo) {
		if (hi == UINT64_MAX)
			return -ERANGE;
		hi++;
	}
	lo += n;
	addr_join(hi, lo, ret);
	return 0;
}

int addr_distance(const struct mosix_addr *a, const struct mosix_addr *b,
		  uint64_t *ret)
{
	uint64_t ahi, alo, bhi, blo;

	if (addr_is_v4(a) != addr_is_v4(b) || addr_cmp(a, b) > 0)
		return -ERANGE;
	addr_split(a, &ahi, &alo);
	addr_split(b, &bhi, &blo);
	if (bhi == ahi) {
		*ret = blo - alo;
		return 0;
	}
	/* bhi > ahi: fits only when the borrow makes the high halves equal */
	if (bhi - ahi == 1 && blo < alo) {
		*ret = blo - alo;
		return 0;
	}
	return -ERANGE;
}

const char *addr_format(const struct mosix_addr *a, char *buf)
{
	if (addr_is_v4(a))
		inet_ntop(AF_INET, a->b + 12, buf, ADDR_STRLEN);
	else
		inet_ntop(AF_INET6, a->b, buf, ADDR_STRLEN);
	return buf;
}
