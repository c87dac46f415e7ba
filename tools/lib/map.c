// SPDX-License-Identifier: GPL-2.0-only
#include "map.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define FORM "expected 'ID ADDRESS COUNT' or 'ID ADDRESS ALIAS'"

void map_init(struct mosix_map *m)
{
	memset(m, 0, sizeof(*m));
}

void map_release(struct mosix_map *m)
{
	if (!m)
		return;
	free(m->range);
	free(m->alias);
	free(m->by_addr);
	for (size_t i = 0; i < m->nsrc; i++)
		free(m->src[i]);
	free(m->src);
	map_init(m);
}

int map_source(struct mosix_map *m, const char *name, uint32_t *ret_src)
{
	return util_intern(&m->src, &m->nsrc, name, ret_src);
}

int map_add_range(struct mosix_map *m, uint32_t src, uint32_t line,
		  uint32_t first, const struct mosix_addr *addr, uint32_t count,
		  struct diag *d)
{
	const char *file = m->src[src];
	struct mosix_addr last;
	int r;

	if (first == 0 || first > MAP_MAX_ID) {
		diag_add(d, file, line, "node id %u is out of range (ids are 1..%u)",
			 first, MAP_MAX_ID);
		return -EINVAL;
	}
	if (count == 0) {
		diag_add(d, file, line, "count 0 is invalid: a range holds at least one node");
		return -EINVAL;
	}
	if (count > MAP_MAX_ID - first + 1) {
		diag_add(d, file, line, "node ids %u..%llu run past the last id %u",
			 first, (unsigned long long)first + count - 1, MAP_MAX_ID);
		return -EINVAL;
	}
	if (addr_add(addr, count - 1, &last) < 0) {
		char buf[ADDR_STRLEN];

		diag_add(d, file, line, "%u addresses from %s run past the end of the %s address space",
			 count, addr_format(addr, buf), addr_is_v4(addr) ? "IPv4" : "IPv6");
		return -EINVAL;
	}
	r = util_grow((void **)&m->range, &m->range_alloc, m->nrange + 1, sizeof(*m->range));
	if (r < 0)
		return r;
	m->range[m->nrange++] = (struct map_range){
		.first = first, .count = count, .addr = *addr, .src = src, .line = line,
	};
	m->finished = false;
	return 0;
}

int map_add_alias(struct mosix_map *m, uint32_t src, uint32_t line,
		  uint32_t id, const struct mosix_addr *addr, struct diag *d)
{
	int r;

	if (id == 0 || id > MAP_MAX_ID) {
		diag_add(d, m->src[src], line, "node id %u is out of range (ids are 1..%u)",
			 id, MAP_MAX_ID);
		return -EINVAL;
	}
	r = util_grow((void **)&m->alias, &m->alias_alloc, m->nalias + 1, sizeof(*m->alias));
	if (r < 0)
		return r;
	m->alias[m->nalias++] = (struct map_alias){
		.id = id, .addr = *addr, .src = src, .line = line,
	};
	m->finished = false;
	return 0;
}

/*
 * A decimal number made of digits only (no sign, no spaces), at most @max.
 * -EINVAL when it is not a number, -ERANGE when it is too large.
 */
static int parse_uint(const char *s, uint32_t max, uint32_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			v = (uint64_t)max + 1; /* saturate: keeps checking digits */
	}
	if (v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

static bool is_hostname(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 253 || s[0] == '-' || s[0] == '.')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.' && *s != '_')
			return false;
	return true;
}

static bool is_dotted_digits(const char *s)
{
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && *s != '.')
			return false;
	return true;
}

/* Numeric address, or a host name resolved now (IPv4 first). */
static int parse_address(const char *file, uint32_t line, const char *text,
			 unsigned flags, struct mosix_addr *ret, struct diag *d)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM };
	struct addrinfo *res;
	int r;

	if (addr_parse(text, ret) == 0)
		return 0;
	if (strchr(text, ':')) {
		diag_add(d, file, line, "invalid IPv6 address '%s'", text);
		return -EINVAL;
	}
	if (is_dotted_digits(text)) {
		diag_add(d, file, line, "invalid IPv4 address '%s'", text);
		return -EINVAL;
	}
	if (!is_hostname(text)) {
		diag_add(d, file, line, "invalid address or host name '%s'", text);
		return -EINVAL;
	}
	if (flags & MAP_NO_RESOLVE) {
		diag_add(d, file, line, "host name '%s' not allowed here: use an address", text);
		return -EINVAL;
	}
	r = getaddrinfo(text, NULL, &hints, &res);
	if (r != 0) {
		diag_add(d, file, line, "cannot resolve host name '%s': %s", text,
			 r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
		return -EINVAL;
	}
	/*
	 * The resolver's order depends on each node's gai.conf and addresses,
	 * and every node must read the same map: take IPv4 if there is one.
	 */
	const struct addrinfo *pick = res;

	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			pick = ai;
			break;
		}
	}
	r = addr_from_sockaddr(pick->ai_addr, ret);
	freeaddrinfo(res);
	if (r < 0)
		diag_add(d, file, line, "host name '%s' has no IPv4 or IPv6 address", text);
	return r;
}

/* One line, already cut at '#' and NUL-terminated. */
static int parse_line(struct mosix_map *m, uint32_t src, uint32_t line,
		      char *text, unsigned flags, struct diag *d)
{
	const char *file = m->src[src];
	char *field[4], *save = NULL;
	struct mosix_addr addr;
	uint32_t id, count = 0;
	int n = 0, r;

	for (char *t = strtok_r(text, " \t\r\v\f", &save); t;
	     t = strtok_r(NULL, " \t\r\v\f", &save)) {
		if (n == 3) {
			diag_add(d, file, line, "extra field '%s': " FORM, t);
			return -EINVAL;
		}
		field[n++] = t;
	}
	if (n == 0)
		return 0;
	if (n < 3) {
		diag_add(d, file, line, "missing field: " FORM);
		return -EINVAL;
	}

	r = parse_uint(field[0], MAP_MAX_ID, &id);
	if (r == -EINVAL) {
		diag_add(d, file, line, "node id '%s' is not a number", field[0]);
		return r;
	}
	if (r == -ERANGE || id == 0) {
		diag_add(d, file, line, "node id %s is out of range (ids are 1..%u)",
			 field[0], MAP_MAX_ID);
		return -EINVAL;
	}

	/* check the count before resolving, so a bad line costs no lookup */
	bool alias = strcasecmp(field[2], "alias") == 0;

	if (!alias) {
		r = parse_uint(field[2], MAP_MAX_ID, &count);
		if (r == -EINVAL) {
			diag_add(d, file, line, "count '%s' is not a number (nor ALIAS)",
				 field[2]);
			return r;
		}
		if (r == -ERANGE) {
			diag_add(d, file, line, "count %s is too large: a map holds at most %u nodes",
				 field[2], MAP_MAX_ID);
			return -EINVAL;
		}
	}

	r = parse_address(file, line, field[1], flags, &addr, d);
	if (r < 0)
		return r;
	if (alias)
		return map_add_alias(m, src, line, id, &addr, d);
	return map_add_range(m, src, line, id, &addr, count, d);
}

int map_parse(struct mosix_map *m, const char *name, const char *buf,
	      size_t len, unsigned flags, struct diag *d)
{
	char *text = NULL;
	size_t text_alloc = 0;
	uint32_t src, line = 0;
	int r, ret = 0;

	r = map_source(m, name, &src);
	if (r < 0)
		return r;
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;
		size_t n = end - pos;
		const char *hash = memchr(buf + pos, '#', n);

		line++;
		if (hash)
			n = (size_t)(hash - (buf + pos));
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
		r = parse_line(m, src, line, text, flags, d);
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

int map_load_file(struct mosix_map *m, const char *path, unsigned flags,
		  struct diag *d)
{
	char *buf;
	size_t len;
	int r;

	r = util_read_file(path, &buf, &len, d);
	if (r < 0)
		return r;
	r = map_parse(m, path, buf, len, flags, d);
	free(buf);
	return r;
}

/* qsort() must not see the NULL of an empty array */
static void sort(void *base, size_t n, size_t size,
		 int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

static int cmp_range_id(const void *a, const void *b)
{
	const struct map_range *x = a, *y = b;

	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	if (x->src != y->src)
		return x->src < y->src ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int cmp_alias(const void *a, const void *b)
{
	const struct map_alias *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return addr_cmp(&x->addr, &y->addr);
}

/* Address-sorted view of every entry, keeping where it came from. */
struct addr_entry {
	struct mosix_addr addr;
	uint32_t count;
	uint32_t src, line;
};

static int cmp_addr_entry(const void *a, const void *b)
{
	const struct addr_entry *x = a, *y = b;
	int c = addr_cmp(&x->addr, &y->addr);

	if (c)
		return c;
	if (x->src != y->src)
		return x->src < y->src ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static bool before(uint32_t src_a, uint32_t line_a, uint32_t src_b, uint32_t line_b)
{
	return src_a < src_b || (src_a == src_b && line_a < line_b);
}

/* "7" or "7..9", into a buffer of at least 16 bytes */
static const char *ids_format(const struct map_range *r, char *buf)
{
	if (r->count == 1)
		snprintf(buf, 16, "%u", r->first);
	else
		snprintf(buf, 16, "%u..%u", r->first, r->first + r->count - 1);
	return buf;
}

static int check_ids(struct mosix_map *m, struct diag *d)
{
	const struct map_range *cover = NULL;
	uint64_t cover_end = 0;
	int ret = 0;

	sort(m->range, m->nrange, sizeof(*m->range), cmp_range_id);
	for (size_t i = 0; i < m->nrange; i++) {
		const struct map_range *r = &m->range[i];
		uint64_t end = (uint64_t)r->first + r->count;

		if (cover && r->first < cover_end) {
			const struct map_range *late = r, *early = cover;

			if (before(r->src, r->line, cover->src, cover->line)) {
				late = cover;
				early = r;
			}
			char a[16], b[16];

			diag_add(d, m->src[late->src], late->line,
				 "node %s %s overlap%s ids %s of %s:%u",
				 late->count == 1 ? "id" : "ids", ids_format(late, a),
				 late->count == 1 ? "s" : "", ids_format(early, b),
				 m->src[early->src], early->line);
			ret = -EINVAL;
		}
		if (!cover || end > cover_end) {
			cover = r;
			cover_end = end;
		}
	}
	return ret;
}

static int check_addresses(struct mosix_map *m, struct diag *d)
{
	size_t n = m->nrange + m->nalias;
	struct addr_entry *e, *cover = NULL;
	/* inclusive: an exclusive end would overflow at the top of a space */
	struct mosix_addr cover_last = { { 0 } };
	char buf[ADDR_STRLEN];
	int ret = 0;

	e = calloc(n ? n : 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (size_t i = 0; i < m->nrange; i++)
		e[i] = (struct addr_entry){ m->range[i].addr, m->range[i].count,
					    m->range[i].src, m->range[i].line };
	for (size_t i = 0; i < m->nalias; i++)
		e[m->nrange + i] = (struct addr_entry){ m->alias[i].addr, 1,
							m->alias[i].src, m->alias[i].line };
	sort(e, n, sizeof(*e), cmp_addr_entry);

	for (size_t i = 0; i < n; i++) {
		struct mosix_addr last;

		/* map_add_range() made sure the range fits its space */
		addr_add(&e[i].addr, e[i].count - 1, &last);
		if (cover && addr_cmp(&e[i].addr, &cover_last) <= 0) {
			struct addr_entry *late = &e[i], *early = cover;

			if (before(late->src, late->line, early->src, early->line)) {
				late = cover;
				early = &e[i];
			}
			diag_add(d, m->src[late->src], late->line,
				 "address %s is already used at %s:%u",
				 addr_format(&e[i].addr, buf), m->src[early->src], early->line);
			ret = -EINVAL;
		}
		if (!cover || addr_cmp(&last, &cover_last) > 0) {
			cover = &e[i];
			cover_last = last;
		}
	}
	free(e);
	return ret;
}

/* The range holding @id, or NULL; needs the ranges sorted by id. */
static const struct map_range *range_find(const struct mosix_map *m, uint32_t id)
{
	size_t lo = 0, hi = m->nrange;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct map_range *r = &m->range[mid];

		if (id < r->first)
			hi = mid;
		else if (id - r->first >= r->count)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

static const struct map_range *find_range(const struct mosix_map *m, uint32_t id)
{
	return m->finished ? range_find(m, id) : NULL;
}

static int check_aliases(struct mosix_map *m, struct diag *d)
{
	int ret = 0;

	for (size_t i = 0; i < m->nalias; i++) {
		if (!range_find(m, m->alias[i].id)) {
			diag_add(d, m->src[m->alias[i].src], m->alias[i].line,
				 "alias for node %u, which the map does not list",
				 m->alias[i].id);
			ret = -EINVAL;
		}
	}
	return ret;
}

/* Join ranges that continue each other in both ids and addresses. */
static void merge_ranges(struct mosix_map *m)
{
	size_t out = 0;

	for (size_t i = 0; i < m->nrange; i++) {
		struct map_range *prev = out ? &m->range[out - 1] : NULL;
		struct mosix_addr next;

		if (prev && prev->first + prev->count == m->range[i].first &&
		    addr_add(&prev->addr, prev->count, &next) == 0 &&
		    addr_cmp(&next, &m->range[i].addr) == 0) {
			prev->count += m->range[i].count;
			continue;
		}
		m->range[out++] = m->range[i];
	}
	m->nrange = out;
}

static int cmp_index(const void *a, const void *b)
{
	return addr_cmp(&((const struct map_index *)a)->addr,
			&((const struct map_index *)b)->addr);
}

static int build_index(struct mosix_map *m)
{
	size_t n = m->nrange + m->nalias;

	free(m->by_addr);
	m->by_addr = calloc(n ? n : 1, sizeof(*m->by_addr));
	if (!m->by_addr)
		return -ENOMEM;
	m->nnodes = 0;
	for (size_t i = 0; i < m->nrange; i++) {
		m->by_addr[i] = (struct map_index){ m->range[i].addr, m->range[i].count,
						    m->range[i].first };
		m->nnodes += m->range[i].count;
	}
	for (size_t i = 0; i < m->nalias; i++)
		m->by_addr[m->nrange + i] = (struct map_index){ m->alias[i].addr, 1,
								m->alias[i].id };
	m->nby_addr = n;
	sort(m->by_addr, n, sizeof(*m->by_addr), cmp_index);
	return 0;
}

int map_finish(struct mosix_map *m, struct diag *d)
{
	int ret = 0, r;

	m->finished = false;
	if (check_ids(m, d) < 0)
		ret = -EINVAL;
	sort(m->alias, m->nalias, sizeof(*m->alias), cmp_alias);
	if (check_aliases(m, d) < 0)
		ret = -EINVAL;
	r = check_addresses(m, d);
	if (r == -ENOMEM)
		return r;
	if (r < 0 || ret < 0)
		return -EINVAL;
	merge_ranges(m);
	r = build_index(m);
	if (r < 0)
		return r;
	m->finished = true;
	return 0;
}

int map_load(struct mosix_map *m, const char *path, unsigned flags,
	     struct diag *d)
{
	int r;

	map_init(m);
	r = map_load_file(m, path, flags, d);
	if (r == 0 || r == -EINVAL) {
		/* whole-map checks still run, so one pass reports everything */
		int f = map_finish(m, d);

		if (r == 0)
			r = f;
		if (f == -ENOMEM)
			r = f;
	}
	if (r < 0)
		map_release(m);
	return r;
}

bool map_has_id(const struct mosix_map *m, uint32_t id)
{
	return find_range(m, id) != NULL;
}

int map_addr_of(const struct mosix_map *m, uint32_t id, struct mosix_addr *ret)
{
	const struct map_range *r = find_range(m, id);

	if (!r)
		return -ENOENT;
	return addr_add(&r->addr, id - r->first, ret);
}

uint32_t map_id_of(const struct mosix_map *m, const struct mosix_addr *a)
{
	size_t lo = 0, hi = m->nby_addr;
	uint64_t dist;

	if (!m->finished)
		return 0;
	/* the last entry starting at or below @a is the only candidate */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr_cmp(&m->by_addr[mid].addr, a) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	const struct map_index *e = &m->by_addr[lo - 1];

	if (addr_distance(&e->addr, a, &dist) < 0 || dist >= e->count)
		return 0;
	return e->id + (uint32_t)dist;
}

uint32_t map_next_id(const struct mosix_map *m, uint32_t id)
{
	size_t lo = 0, hi = m->nrange;

	if (!m->finished)
		return 0;
	if (id < MAP_MAX_ID && find_range(m, id + 1))
		return id + 1;
	/* first range starting above @id */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->range[mid].first <= id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->nrange ? m->range[lo].first : 0;
}

int map_write(const struct mosix_map *m, FILE *f)
{
	char buf[ADDR_STRLEN];

	if (!m->finished)
		return -EINVAL;
	for (size_t i = 0; i < m->nrange; i++)
		fprintf(f, "%u %s %u\n", m->range[i].first,
			addr_format(&m->range[i].addr, buf), m->range[i].count);
	for (size_t i = 0; i < m->nalias; i++)
		fprintf(f, "%u %s ALIAS\n", m->alias[i].id,
			addr_format(&m->alias[i].addr, buf));
	if (fflush(f) != 0 || ferror(f))
		return -EIO;
	return 0;
}
