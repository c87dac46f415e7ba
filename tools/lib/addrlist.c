// SPDX-License-Identifier: GPL-2.0-only
#include "addrlist.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* more fields than any valid dhcp-range has: tags, 2 ends, 6 modes, lease */
#define DHCP_MAX_FIELDS 32

void addrlist_init(struct addrlist *l)
{
	memset(l, 0, sizeof(*l));
}

void addrlist_release(struct addrlist *l)
{
	if (!l)
		return;
	free(l->run);
	for (size_t i = 0; i < l->nsrc; i++)
		free(l->src[i]);
	free(l->src);
	addrlist_init(l);
}

int addrlist_source(struct addrlist *l, const char *name, uint32_t *ret_src)
{
	return util_intern(&l->src, &l->nsrc, name, ret_src);
}

static int add_run(struct addrlist *l, uint32_t src, uint32_t line,
		   const struct mosix_addr *first, uint32_t count)
{
	int r = util_grow((void **)&l->run, &l->run_alloc, l->nrun + 1, sizeof(*l->run));

	if (r < 0)
		return r;
	l->run[l->nrun++] = (struct addrlist_run){
		.first = *first, .count = count, .src = src, .line = line,
	};
	return 0;
}

static bool has_space(const char *s)
{
	for (; *s; s++)
		if (isspace((unsigned char)*s))
			return true;
	return false;
}

static bool is_dotted_digits(const char *s)
{
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && *s != '.')
			return false;
	return true;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* A numeric address, with a message that says what kind it looked like. */
static int parse_addr(const char *file, uint32_t line, const char *text,
		      struct mosix_addr *ret, struct diag *d)
{
	if (addr_parse(text, ret) == 0)
		return 0;
	if (!*text)
		diag_add(d, file, line, "missing address");
	else if (strchr(text, ':'))
		diag_add(d, file, line, "invalid IPv6 address '%s'", text);
	else if (is_dotted_digits(text))
		diag_add(d, file, line, "invalid IPv4 address '%s'", text);
	else
		diag_add(d, file, line,
			 "invalid address '%s': address lists take numeric IPv4 or IPv6 addresses",
			 text);
	return -EINVAL;
}

/* @count 0 means too many to count in 64 bits. */
static int too_many(struct diag *d, const char *file, uint32_t line,
		    const char *what, const char *text, uint64_t count)
{
	if (count)
		diag_add(d, file, line,
			 "%s '%s' holds %llu addresses, more than a map can hold (%u)",
			 what, text, (unsigned long long)count, MAP_MAX_ID);
	else
		diag_add(d, file, line,
			 "%s '%s' holds more addresses than a map can hold (%u)", what,
			 text, MAP_MAX_ID);
	return -EINVAL;
}

/* Add first..last (same family, first <= last), if it fits a map. */
static int add_span(struct addrlist *l, uint32_t src, uint32_t line,
		    const char *what, const char *text, const struct mosix_addr *first,
		    const struct mosix_addr *last, struct diag *d)
{
	uint64_t dist;

	if (addr_distance(first, last, &dist) < 0)
		return too_many(d, l->src[src], line, what, text, 0);
	if (dist >= MAP_MAX_ID)
		return too_many(d, l->src[src], line, what, text,
				dist == UINT64_MAX ? 0 : dist + 1);
	return add_run(l, src, line, first, (uint32_t)dist + 1);
}

/* The mask of byte @i under a prefix of @bits bits of 128. */
static uint8_t prefix_mask(unsigned bits, unsigned i)
{
	unsigned lo = i * 8;

	if (bits >= lo + 8)
		return 0xff;
	if (bits <= lo)
		return 0;
	return (uint8_t)(0xff << (8 - (bits - lo)));
}

static bool same_prefix(const struct mosix_addr *a, const struct mosix_addr *b,
			unsigned bits)
{
	for (unsigned i = 0; i < 16; i++) {
		uint8_t mask = prefix_mask(bits, i);

		if ((a->b[i] & mask) != (b->b[i] & mask))
			return false;
	}
	return true;
}

/* FIRST-LAST, both ends included. @t is a copy of the item, cut here. */
static int parse_range(struct addrlist *l, uint32_t src, uint32_t line,
		       const char *item, char *t, struct diag *d)
{
	const char *file = l->src[src];
	char *dash = strchr(t, '-');
	struct mosix_addr a, b;
	int ra, rb;

	*dash = '\0';
	ra = parse_addr(file, line, t, &a, d);
	rb = parse_addr(file, line, dash + 1, &b, d);
	if (ra < 0 || rb < 0)
		return -EINVAL;
	if (addr_is_v4(&a) != addr_is_v4(&b)) {
		diag_add(d, file, line, "range '%s' mixes IPv4 and IPv6 addresses", item);
		return -EINVAL;
	}
	if (addr_cmp(&a, &b) > 0) {
		diag_add(d, file, line,
			 "range '%s' is reversed: its first address is above its last", item);
		return -EINVAL;
	}
	return add_span(l, src, line, "range", item, &a, &b, d);
}

/*
 * ADDRESS/PREFIX. The prefix counts IPv4 bits for an IPv4 address written
 * as such, IPv6 bits otherwise (also for ::ffff:a.b.c.d, an IPv4 node).
 */
static int parse_block(struct addrlist *l, uint32_t src, uint32_t line,
		       const char *item, char *t, struct diag *d)
{
	const char *file = l->src[src];
	char *slash = strchr(t, '/'), *atext, *ptext;
	struct mosix_addr a, net;
	unsigned max, prefix, host;
	uint64_t count;
	bool six;

	*slash = '\0';
	atext = t;
	ptext = slash + 1;
	six = strchr(atext, ':') != NULL;
	max = six ? 128 : 32;
	if (!all_digits(ptext) || strlen(ptext) > 3 || (unsigned)strtoul(ptext, NULL, 10) > max) {
		diag_add(d, file, line, "invalid prefix length '%s' in '%s' (0..%u for IPv%c)",
			 ptext, item, max, six ? '6' : '4');
		return -EINVAL;
	}
	prefix = (unsigned)strtoul(ptext, NULL, 10) + (six ? 0 : 96);
	if (parse_addr(file, line, atext, &a, d) < 0)
		return -EINVAL;

	net = a;
	for (unsigned i = 0; i < 16; i++)
		net.b[i] &= prefix_mask(prefix, i);
	if (addr_cmp(&net, &a) != 0) {
		char buf[ADDR_STRLEN];

		diag_add(d, file, line, "block '%s' has host bits set (its network is %s/%s)",
			 item, addr_format(&net, buf), ptext);
		return -EINVAL;
	}
	host = 128 - prefix;
	if (host >= 64)
		return too_many(d, file, line, "block", item, 0);
	count = (uint64_t)1 << host;
	/* network and broadcast addresses are never nodes; a /31 has neither */
	if (addr_is_v4(&a) && host >= 2) {
		addr_add(&net, 1, &a);
		count -= 2;
	}
	if (count > MAP_MAX_ID)
		return too_many(d, file, line, "block", item, count);
	return add_run(l, src, line, &a, (uint32_t)count);
}

static int parse_single(struct addrlist *l, uint32_t src, uint32_t line,
			const char *t, struct diag *d)
{
	struct mosix_addr a;

	if (parse_addr(l->src[src], line, t, &a, d) < 0)
		return -EINVAL;
	return add_run(l, src, line, &a, 1);
}

int addrlist_add_item(struct addrlist *l, uint32_t src, uint32_t line,
		      const char *text, struct diag *d)
{
	const char *file = l->src[src];
	char *copy, *t, *item;
	int r;

	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	t = util_trim(copy);
	if (strncmp(t, "dhcp-range=", 11) == 0) {
		r = addrlist_add_dhcp_range(l, src, line, t + 11, d);
		goto out_free_copy;
	}
	if (!*t || has_space(t)) {
		diag_add(d, file, line, "expected one address, range or block, not '%s'", t);
		r = -EINVAL;
		goto out_free_copy;
	}
	/* the parsers cut @t; messages quote the item whole */
	item = strdup(t);
	if (!item) {
		r = -ENOMEM;
		goto out_free_copy;
	}
	if (strchr(t, '/'))
		r = parse_block(l, src, line, item, t, d);
	else if (strchr(t, '-'))
		r = parse_range(l, src, line, item, t, d);
	else
		r = parse_single(l, src, line, t, d);
	free(item);
out_free_copy:
	free(copy);
	return r;
}

/*
 * dnsmasq takes a leading field for a tag when it has a character that no
 * address has: tag:, set:, and the old bare network ids alike.
 */
static bool is_tag(const char *t)
{
	if (!*t)
		return false;
	for (; *t; t++)
		if (!isxdigit((unsigned char)*t) && *t != '.' && *t != ':')
			return true;
	return false;
}

/* dnsmasq's lease time: infinite, deprecated, or a number with s/m/h/d/w. */
static bool is_lease_time(const char *t)
{
	size_t n = strlen(t);

	if (strcmp(t, "infinite") == 0 || strcmp(t, "deprecated") == 0)
		return true;
	if (n > 1 && strchr("smhdwSMHDW", t[n - 1]))
		n--;
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)t[i]))
			return false;
	return true;
}

/* The lease time, if any, must be the last field. */
static int dhcp_tail(const char *file, uint32_t line, char **f, size_t n,
		     size_t k, struct diag *d)
{
	if (k < n && !is_lease_time(f[k])) {
		diag_add(d, file, line, "invalid lease time '%s' in dhcp-range", f[k]);
		return -EINVAL;
	}
	if (k + 1 < n) {
		diag_add(d, file, line, "unexpected '%s' after the lease time in dhcp-range",
			 f[k + 1]);
		return -EINVAL;
	}
	return 0;
}

static int dhcp_static(const char *file, uint32_t line, struct diag *d)
{
	diag_add(d, file, line,
		 "static dhcp-range leases no addresses of its own: list the nodes' addresses instead");
	return -EINVAL;
}

static int dhcp_mixed(const char *file, uint32_t line, struct diag *d)
{
	diag_add(d, file, line, "dhcp-range mixes IPv4 and IPv6 addresses");
	return -EINVAL;
}

static void swap_addr(struct mosix_addr *a, struct mosix_addr *b)
{
	struct mosix_addr t = *a;

	*a = *b;
	*b = t;
}

/* "START,END" for messages */
static const char *ends_format(const struct mosix_addr *a, const struct mosix_addr *b,
			       char *buf, size_t size)
{
	char x[ADDR_STRLEN], y[ADDR_STRLEN];

	snprintf(buf, size, "%s,%s", addr_format(a, x), addr_format(b, y));
	return buf;
}

/* IPv4: START,END|static|proxy[,NETMASK[,BROADCAST]][,LEASE] */
static int dhcp_range4(struct addrlist *l, uint32_t src, uint32_t line,
		       struct mosix_addr *start, char **f, size_t n, struct diag *d)
{
	const char *file = l->src[src];
	struct mosix_addr end, mask, bcast;
	char buf[2 * ADDR_STRLEN + 1];
	size_t k = 1;

	if (n == 0) {
		diag_add(d, file, line, "dhcp-range has no end address");
		return -EINVAL;
	}
	if (strcmp(f[0], "static") == 0)
		return dhcp_static(file, line, d);
	if (strcmp(f[0], "proxy") == 0) {
		diag_add(d, file, line,
			 "proxy dhcp-range leases no addresses: list the nodes' addresses instead");
		return -EINVAL;
	}
	if (addr_parse(f[0], &end) < 0) {
		diag_add(d, file, line, "invalid end address or mode '%s' in dhcp-range", f[0]);
		return -EINVAL;
	}
	if (!addr_is_v4(&end))
		return dhcp_mixed(file, line, d);
	/* dnsmasq swaps reversed ends, so its leases are the same range */
	if (addr_cmp(start, &end) > 0)
		swap_addr(start, &end);
	if (k < n && strchr(f[k], '.') && addr_parse(f[k], &mask) == 0 && addr_is_v4(&mask)) {
		for (unsigned i = 12; i < 16; i++) {
			if ((start->b[i] & mask.b[i]) != (end.b[i] & mask.b[i])) {
				diag_add(d, file, line,
					 "dhcp-range %s is not within one network of netmask %s",
					 ends_format(start, &end, buf, sizeof(buf)), f[k]);
				return -EINVAL;
			}
		}
		k++;
		if (k < n && strchr(f[k], '.') && addr_parse(f[k], &bcast) == 0 &&
		    addr_is_v4(&bcast))
			k++;
	}
	if (dhcp_tail(file, line, f, n, k, d) < 0)
		return -EINVAL;
	return add_span(l, src, line, "dhcp-range",
			ends_format(start, &end, buf, sizeof(buf)), start, &end, d);
}

/* IPv6: START[,END|constructor:IF][,MODE...][,PREFIX-LEN][,LEASE] */
static int dhcp_range6(struct addrlist *l, uint32_t src, uint32_t line,
		       struct mosix_addr *start, char **f, size_t n, struct diag *d)
{
	static const char *const modes[] = {
		"ra-only", "slaac", "ra-names", "ra-advrouter", "ra-stateless", "off-link",
	};
	const char *file = l->src[src], *constructor = NULL;
	bool have_end = false, is_static = false;
	char buf[2 * ADDR_STRLEN + 1];
	struct mosix_addr end;
	unsigned prefix = 64;
	size_t k;

	for (k = 0; k < n; k++) {
		bool mode = false;

		for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
			mode |= strcmp(f[k], modes[i]) == 0;
		if (mode)
			continue;
		if (strcmp(f[k], "static") == 0) {
			is_static = true;
		} else if (k == 0 && addr_parse(f[k], &end) == 0) {
			if (addr_is_v4(&end))
				return dhcp_mixed(file, line, d);
			have_end = true;
		} else if (strncmp(f[k], "constructor:", 12) == 0) {
			constructor = f[k];
		} else {
			break;
		}
	}
	if (k < n && all_digits(f[k]) && strlen(f[k]) <= 3 && strtoul(f[k], NULL, 10) <= 128)
		prefix = (unsigned)strtoul(f[k++], NULL, 10);
	if (dhcp_tail(file, line, f, n, k, d) < 0)
		return -EINVAL;
	if (constructor) {
		diag_add(d, file, line,
			 "dhcp-range with %s cannot be listed: its addresses come from that interface's prefix",
			 constructor);
		return -EINVAL;
	}
	if (is_static)
		return dhcp_static(file, line, d);
	if (!have_end) {
		diag_add(d, file, line,
			 "dhcp-range has no end address: it leases no addresses (router advertisements only)");
		return -EINVAL;
	}
	if (prefix < 64) {
		diag_add(d, file, line, "dhcp-range prefix length %u is below 64", prefix);
		return -EINVAL;
	}
	if (!same_prefix(start, &end, prefix)) {
		diag_add(d, file, line, "dhcp-range %s is not within one /%u network",
			 ends_format(start, &end, buf, sizeof(buf)), prefix);
		return -EINVAL;
	}
	if (addr_cmp(start, &end) > 0)
		swap_addr(start, &end);
	return add_span(l, src, line, "dhcp-range",
			ends_format(start, &end, buf, sizeof(buf)), start, &end, d);
}

int addrlist_add_dhcp_range(struct addrlist *l, uint32_t src, uint32_t line,
			    const char *value, struct diag *d)
{
	const char *file = l->src[src];
	char *copy, *f[DHCP_MAX_FIELDS], *p;
	struct mosix_addr start;
	size_t n = 0, i = 0;
	int r = -EINVAL;

	copy = strdup(value);
	if (!copy)
		return -ENOMEM;
	for (p = copy;;) {
		char *comma = strchr(p, ',');

		if (n == DHCP_MAX_FIELDS) {
			diag_add(d, file, line, "dhcp-range has more than %d fields",
				 DHCP_MAX_FIELDS);
			goto out_free_copy;
		}
		if (comma)
			*comma = '\0';
		f[n++] = util_trim(p);
		if (!comma)
			break;
		p = comma + 1;
	}
	while (i + 1 < n && is_tag(f[i]))
		i++;
	if (!*f[i]) {
		diag_add(d, file, line, "dhcp-range has no start address");
		goto out_free_copy;
	}
	if (addr_parse(f[i], &start) < 0) {
		diag_add(d, file, line, "invalid start address '%s' in dhcp-range", f[i]);
		goto out_free_copy;
	}
	if (addr_is_v4(&start))
		r = dhcp_range4(l, src, line, &start, f + i + 1, n - i - 1, d);
	else
		r = dhcp_range6(l, src, line, &start, f + i + 1, n - i - 1, d);
out_free_copy:
	free(copy);
	return r;
}

/* One line of an item list, cut at '#'. */
static int parse_item_line(struct addrlist *l, uint32_t src, uint32_t line,
			   char *text, struct diag *d)
{
	char *hash = strchr(text, '#'), *t;

	if (hash)
		*hash = '\0';
	t = util_trim(text);
	if (!*t)
		return 0;
	return addrlist_add_item(l, src, line, t, d);
}

/*
 * One line of a dnsmasq configuration. dnsmasq takes '#' for a comment
 * only at the start of a word, and allows spaces around '='.
 */
static int parse_dnsmasq_line(struct addrlist *l, uint32_t src, uint32_t line,
			      char *text, struct diag *d)
{
	bool word_start = true;
	char *eq, *name;

	for (char *p = text; *p; p++) {
		if (isspace((unsigned char)*p)) {
			word_start = true;
		} else if (word_start && *p == '#') {
			*p = '\0';
			break;
		} else {
			word_start = false;
		}
	}
	eq = strchr(text, '=');
	if (eq)
		*eq = '\0';
	name = util_trim(text);
	if (strcmp(name, "dhcp-range") != 0)
		return 0;
	if (!eq) {
		diag_add(d, l->src[src], line, "dhcp-range has no value");
		return -EINVAL;
	}
	return addrlist_add_dhcp_range(l, src, line, util_trim(eq + 1), d);
}

int addrlist_parse(struct addrlist *l, const char *name, const char *buf,
		   size_t len, enum addrlist_format format, struct diag *d)
{
	char *text = NULL;
	size_t text_alloc = 0;
	uint32_t src, line = 0;
	int r, ret = 0;

	r = addrlist_source(l, name, &src);
	if (r < 0)
		return r;
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;
		size_t n = end - pos;

		line++;
		r = util_grow((void **)&text, &text_alloc, n + 1, 1);
		if (r < 0)
			goto out_free_text;
		memcpy(text, buf + pos, n);
		text[n] = '\0';
		pos = end + 1;
		if (strlen(text) != n) {
			diag_add(d, name, line, "line contains a NUL byte");
			ret = -EINVAL;
			continue;
		}
		if (format == ADDRLIST_DNSMASQ)
			r = parse_dnsmasq_line(l, src, line, text, d);
		else
			r = parse_item_line(l, src, line, text, d);
		if (r == -ENOMEM)
			goto out_free_text;
		if (r < 0)
			ret = r;
	}
	r = ret;
out_free_text:
	free(text);
	return r;
}

int addrlist_load_file(struct addrlist *l, const char *path,
		       enum addrlist_format format, struct diag *d)
{
	char *buf;
	size_t len;
	int r;

	r = util_read_file(path, &buf, &len, d);
	if (r < 0)
		return r;
	r = addrlist_parse(l, path, buf, len, format, d);
	free(buf);
	return r;
}

/*
 * Id assignment works on sorted disjoint address intervals, so that its
 * cost follows the number of runs and of new addresses, not the number of
 * times an address is listed.
 */
struct span {
	struct mosix_addr first, last; /* inclusive: no overflow at the top */
	uint64_t count;
	uint64_t rank; /* how many new addresses sort below this span */
};

/* A new range for the map, before it is added. */
struct pending {
	uint32_t id, count, src, line;
	struct mosix_addr addr;
};

static int cmp_span(const void *a, const void *b)
{
	return addr_cmp(&((const struct span *)a)->first, &((const struct span *)b)->first);
}

static int push_span(struct span **v, size_t *n, size_t *alloc,
		     const struct mosix_addr *first, const struct mosix_addr *last)
{
	uint64_t dist;
	int r = util_grow((void **)v, alloc, *n + 1, sizeof(**v));

	if (r < 0)
		return r;
	/* spans never cross address spaces; callers keep first <= last */
	addr_distance(first, last, &dist);
	(*v)[(*n)++] = (struct span){ .first = *first, .last = *last, .count = dist + 1 };
	return 0;
}

/* The union of all runs, sorted by address. */
static int union_runs(const struct addrlist *l, struct span **ret, size_t *ret_n)
{
	struct span *all, *u = NULL;
	size_t n = 0, alloc = 0;
	int r = 0;

	if (!l->nrun) {
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	all = calloc(l->nrun, sizeof(*all));
	if (!all)
		return -ENOMEM;
	for (size_t i = 0; i < l->nrun; i++) {
		all[i].first = l->run[i].first;
		addr_add(&l->run[i].first, l->run[i].count - 1, &all[i].last);
	}
	qsort(all, l->nrun, sizeof(*all), cmp_span);
	for (size_t i = 0; i < l->nrun; i++) {
		struct span *cur = n ? &u[n - 1] : NULL;

		if (cur && addr_cmp(&all[i].first, &cur->last) <= 0) {
			if (addr_cmp(&all[i].last, &cur->last) > 0) {
				cur->last = all[i].last;
				addr_distance(&cur->first, &cur->last, &cur->count);
				cur->count++;
			}
			continue;
		}
		r = push_span(&u, &n, &alloc, &all[i].first, &all[i].last);
		if (r < 0)
			goto out_free_all;
	}
	*ret = u;
	*ret_n = n;
	u = NULL;
out_free_all:
	free(all);
	free(u);
	return r;
}

/* @u minus every address the map lists, node or alias. */
static int subtract_map(const struct span *u, size_t nu, const struct mosix_map *m,
			struct span **ret, size_t *ret_n)
{
	struct span *v = NULL;
	size_t n = 0, alloc = 0, j = 0;
	uint64_t rank = 0;
	int r;

	for (size_t i = 0; i < nu; i++) {
		struct mosix_addr s = u[i].first;
		bool covered = false;

		for (; j < m->nby_addr; j++) {
			const struct map_index *e = &m->by_addr[j];
			struct mosix_addr last;

			addr_add(&e->addr, e->count - 1, &last);
			if (addr_cmp(&last, &s) < 0)
				continue;
			if (addr_cmp(&e->addr, &u[i].last) > 0)
				break;
			if (addr_cmp(&e->addr, &s) > 0) {
				struct mosix_addr before;
				uint64_t gap;

				/* e starts inside the span: s..e->addr - 1 is new */
				addr_distance(&s, &e->addr, &gap);
				addr_add(&s, gap - 1, &before);
				r = push_span(&v, &n, &alloc, &s, &before);
				if (r < 0)
					goto out_free_v;
			}
			/* e may reach into the next span: look at it again there */
			if (addr_cmp(&last, &u[i].last) >= 0) {
				covered = true;
				break;
			}
			addr_add(&last, 1, &s);
		}
		if (!covered) {
			r = push_span(&v, &n, &alloc, &s, &u[i].last);
			if (r < 0)
				goto out_free_v;
		}
	}
	rank = 0;
	for (size_t i = 0; i < n; i++) {
		v[i].rank = rank;
		rank += v[i].count;
	}
	*ret = v;
	*ret_n = n;
	return 0;
out_free_v:
	free(v);
	return r;
}

/* Ids from @first to MAP_MAX_ID that no range of @m uses. */
static uint32_t free_ids(const struct mosix_map *m, uint32_t first)
{
	uint32_t n;

	if (first > MAP_MAX_ID)
		return 0;
	n = MAP_MAX_ID - first + 1;
	for (size_t i = 0; i < m->nrange; i++) {
		uint32_t lo = m->range[i].first, hi = lo + m->range[i].count - 1;

		if (hi < first)
			continue;
		if (lo < first)
			lo = first;
		n -= hi - lo + 1;
	}
	return n;
}

/* The first span whose last address is at or above @a. */
static size_t span_find(const struct span *v, size_t n, const struct mosix_addr *a)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr_cmp(&v[mid].last, a) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct assign_state {
	const struct mosix_map *m;
	uint8_t *seen; /* one bit per new address, by rank */
	uint32_t next_id;
	struct pending *p;
	size_t np, alloc;
};

/* Give @a the next free id, extending the last pending range if it can. */
static int assign_one(struct assign_state *st, const struct addrlist_run *run,
		      const struct mosix_addr *a)
{
	struct pending *last = st->np ? &st->p[st->np - 1] : NULL;
	struct mosix_addr next;
	uint32_t id = st->next_id;
	int r;

	while (map_has_id(st->m, id))
		id++;
	st->next_id = id + 1;
	if (last && last->src == run->src && last->line == run->line &&
	    last->id + last->count == id && addr_add(&last->addr, last->count, &next) == 0 &&
	    addr_cmp(&next, a) == 0) {
		last->count++;
		return 0;
	}
	r = util_grow((void **)&st->p, &st->alloc, st->np + 1, sizeof(*st->p));
	if (r < 0)
		return r;
	st->p[st->np++] = (struct pending){
		.id = id, .count = 1, .src = run->src, .line = run->line, .addr = *a,
	};
	return 0;
}

static int assign_run(struct assign_state *st, const struct addrlist_run *run,
		      const struct span *v, size_t nv)
{
	struct mosix_addr last;
	int r;

	addr_add(&run->first, run->count - 1, &last);
	for (size_t k = span_find(v, nv, &run->first);
	     k < nv && addr_cmp(&v[k].first, &last) <= 0; k++) {
		const struct mosix_addr *end = addr_cmp(&last, &v[k].last) < 0 ? &last : &v[k].last;
		uint64_t off = 0, off_end;

		if (addr_cmp(&run->first, &v[k].first) > 0)
			addr_distance(&v[k].first, &run->first, &off);
		addr_distance(&v[k].first, end, &off_end);
		for (; off <= off_end; off++) {
			uint64_t bit = v[k].rank + off;
			struct mosix_addr a;

			if (st->seen[bit / 8] & (1u << (bit % 8)))
				continue;
			st->seen[bit / 8] |= (uint8_t)(1u << (bit % 8));
			addr_add(&v[k].first, off, &a);
			r = assign_one(st, run, &a);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int addrlist_assign(const struct addrlist *l, struct mosix_map *m,
		    uint32_t first_id, struct addrlist_assigned *info,
		    struct diag *d)
{
	struct assign_state st = { .m = m, .next_id = first_id };
	struct span *u = NULL, *v = NULL;
	size_t nu = 0, nv = 0;
	uint64_t total = 0;
	int r;

	if (!m->finished || first_id == 0)
		return -EINVAL;
	*info = (struct addrlist_assigned){ .free_ids = free_ids(m, first_id) };
	r = union_runs(l, &u, &nu);
	if (r < 0)
		return r;
	r = subtract_map(u, nu, m, &v, &nv);
	if (r < 0)
		goto out_free_u;
	for (size_t i = 0; i < nv; i++)
		total += v[i].count;
	info->new_addrs = total;
	if (total > info->free_ids) {
		r = -ENOSPC;
		goto out_free_v;
	}
	r = 0;
	if (!total)
		goto out_free_v;
	st.seen = calloc((total + 7) / 8, 1);
	if (!st.seen) {
		r = -ENOMEM;
		goto out_free_v;
	}
	for (size_t i = 0; i < l->nrun; i++) {
		r = assign_run(&st, &l->run[i], v, nv);
		if (r < 0)
			goto out_free_state;
	}
	info->first_new = st.p[0].id;
	info->last_new = st.p[st.np - 1].id + st.p[st.np - 1].count - 1;
	/* only now: adding unfinishes the map, which map_has_id() needs */
	for (size_t i = 0; i < st.np; i++) {
		uint32_t src;

		r = map_source(m, l->src[st.p[i].src], &src);
		if (r < 0)
			goto out_free_state;
		r = map_add_range(m, src, st.p[i].line, st.p[i].id, &st.p[i].addr,
				  st.p[i].count, d);
		if (r < 0)
			goto out_free_state;
	}
out_free_state:
	free(st.p);
	free(st.seen);
out_free_v:
	free(v);
out_free_u:
	free(u);
	return r;
}
