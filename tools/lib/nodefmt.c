// SPDX-License-Identifier: GPL-2.0-only
#include "nodefmt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *nodefmt_load(uint32_t load, char *buf, size_t size)
{
	snprintf(buf, size, "%" PRIu32 ".%02" PRIu32, load / 100, load % 100);
	return buf;
}

const char *nodefmt_util(uint32_t permille, char *buf, size_t size)
{
	snprintf(buf, size, "%" PRIu32 "%%", (permille + 5) / 10);
	return buf;
}

const char *nodefmt_mem(uint64_t pages, char *buf, size_t size)
{
	static const char unit[] = "KMGTPEZ";
	uint64_t kib, whole;
	unsigned u = 0;

	if (pages == 0) {
		snprintf(buf, size, "0");
		return buf;
	}
	/* more than 16 ZiB is not a real figure: show the most we can */
	kib = pages > UINT64_MAX / (NODEFMT_PAGE / 1024) ? UINT64_MAX
							 : pages * (NODEFMT_PAGE / 1024);
	while (u + 1 < sizeof(unit) - 1 && (kib >> (10 * u)) >= 1024)
		u++;
	whole = kib >> (10 * u);
	if (whole < 10 && u > 0) {
		unsigned tenth = (unsigned)(((kib >> (10 * (u - 1))) & 1023) * 10 / 1024);

		snprintf(buf, size, "%" PRIu64 ".%u%c", whole, tenth, unit[u]);
	} else {
		snprintf(buf, size, "%" PRIu64 "%c", whole, unit[u]);
	}
	return buf;
}

const char *nodefmt_age(uint64_t ms, char *buf, size_t size)
{
	uint64_t s = ms / 1000;

	if (ms < 10000)
		snprintf(buf, size, "%" PRIu64 ".%" PRIu64 "s", s, ms % 1000 / 100);
	else if (s < 100)
		snprintf(buf, size, "%" PRIu64 "s", s);
	else if (s < 100 * 60)
		snprintf(buf, size, "%" PRIu64 "m", s / 60);
	else if (s < 48 * 3600)
		snprintf(buf, size, "%" PRIu64 "h", s / 3600);
	else
		snprintf(buf, size, "%" PRIu64 "d", s / 86400);
	return buf;
}

static bool in_cluster(const struct node_state *n)
{
	return n->up && !(n->v.flags & GV_OFF);
}

const char *nodefmt_state(const struct node_state *n)
{
	if (!n->up)
		return "down";
	return n->v.flags & GV_OFF ? "off" : "up";
}

const char *nodefmt_flags(uint16_t flags, bool letters, char *buf, size_t size)
{
	static const struct {
		uint16_t bit;
		char letter;
		const char *word;
	} names[] = {
		{ GV_BLOCKED, 'B', "blocked" },
		{ GV_STAY, 'S', "stay" },
		{ GV_LSTAY, 'L', "lstay" },
		{ GV_QUIET, 'Q', "quiet" },
		{ GV_SWAPPING, 'W', "swapping" },
		{ GV_NOGUESTS, 'N', "noguests" },
	};
	size_t len = 0;

	if (!size)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int r;

		if (!(flags & names[i].bit))
			continue;
		if (letters)
			r = snprintf(buf + len, size - len, "%c", names[i].letter);
		else
			r = snprintf(buf + len, size - len, "%s%s", len ? "," : "",
				     names[i].word);
		/* whole words only: drop one that does not fit */
		if (r < 0 || (size_t)r >= size - len) {
			buf[len] = '\0';
			return buf;
		}
		len += (size_t)r;
	}
	if (!len)
		snprintf(buf, size, "-");
	return buf;
}

uint64_t nodefmt_age_now(const struct cluster_state *s,
			 const struct node_state *n, uint64_t now_ms)
{
	uint64_t since = now_ms > s->now_ms ? now_ms - s->now_ms : 0;

	return n->age_ms + since;
}

const char *nodefmt_header(int addr_width, char *buf, size_t size)
{
	snprintf(buf, size, "%5s  %-*s %-5s %5s %4s %5s %4s %5s %5s %5s %5s", "ID",
		 addr_width, "ADDRESS", "STATE", "LOAD", "CPUS", "SPEED", "UTIL",
		 "MEM", "RMEM", "GUEST", "AGE");
	return buf;
}

const char *nodefmt_row(const struct node_state *n, bool self, uint64_t age_ms,
			int addr_width, char *buf, size_t size)
{
	char addr[ADDR_STRLEN], shown[ADDR_STRLEN + 1], load[NODEFMT_FIELD];
	char util[NODEFMT_FIELD], mem[NODEFMT_FIELD], rmem[NODEFMT_FIELD];
	char age[NODEFMT_FIELD];

	addr_format(&n->addr, addr);
	if (addr_width >= 2 && strlen(addr) > (size_t)addr_width)
		snprintf(shown, sizeof(shown), "%.*s+", addr_width - 1, addr);
	else
		snprintf(shown, sizeof(shown), "%s", addr);
	snprintf(buf, size,
		 "%5" PRIu32 "%c %-*s %-5s %5s %4u %5" PRIu32 " %4s %5s %5s %5u %5s",
		 n->id, self ? '*' : ' ', addr_width, shown, nodefmt_state(n),
		 nodefmt_load(n->v.load, load, sizeof(load)), (unsigned)n->v.cpus,
		 n->v.speed, nodefmt_util(n->v.util, util, sizeof(util)),
		 nodefmt_mem(n->v.mem, mem, sizeof(mem)),
		 nodefmt_mem(n->v.rmem, rmem, sizeof(rmem)), (unsigned)n->v.guests,
		 nodefmt_age(age_ms, age, sizeof(age)));
	return buf;
}

int nodefmt_addr_width(const struct cluster_state *s)
{
	char addr[ADDR_STRLEN];
	size_t w = strlen("ADDRESS");

	for (size_t i = 0; i < s->n; i++) {
		size_t l = strlen(addr_format(&s->node[i].addr, addr));

		if (l > w)
			w = l;
	}
	return (int)w;
}

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return a > b ? -1 : a < b;
}

static int cmp_node(const void *pa, const void *pb, void *arg)
{
	const struct node_state *a = *(const struct node_state *const *)pa;
	const struct node_state *b = *(const struct node_state *const *)pb;
	enum nodefmt_sort by = *(const enum nodefmt_sort *)arg;
	int c = 0;

	if (by != NODEFMT_BY_ID && in_cluster(a) != in_cluster(b))
		return in_cluster(a) ? -1 : 1;
	if (by == NODEFMT_BY_LOAD)
		c = cmp_u64_desc(a->v.load, b->v.load);
	else if (by == NODEFMT_BY_MEM)
		c = cmp_u64_desc(a->v.mem, b->v.mem);
	if (c)
		return c;
	return a->id < b->id ? -1 : a->id > b->id;
}

void nodefmt_sort(const struct node_state **v, size_t n, enum nodefmt_sort by)
{
	if (n > 1)
		qsort_r(v, n, sizeof(*v), cmp_node, &by);
}

int nodefmt_sort_parse(const char *word, enum nodefmt_sort *ret)
{
	if (strcmp(word, "id") == 0)
		*ret = NODEFMT_BY_ID;
	else if (strcmp(word, "load") == 0)
		*ret = NODEFMT_BY_LOAD;
	else if (strcmp(word, "mem") == 0 || strcmp(word, "memory") == 0)
		*ret = NODEFMT_BY_MEM;
	else
		return -EINVAL;
	return 0;
}

const char *nodefmt_sort_name(enum nodefmt_sort by)
{
	switch (by) {
	case NODEFMT_BY_LOAD:
		return "load";
	case NODEFMT_BY_MEM:
		return "memory";
	case NODEFMT_BY_ID:
		break;
	}
	return "id";
}

void nodefmt_totals(const struct cluster_state *s, struct nodefmt_totals *ret)
{
	struct nodefmt_totals t = { .total = s->n };

	for (size_t i = 0; i < s->n; i++) {
		const struct node_state *n = &s->node[i];

		if (!in_cluster(n))
			continue;
		t.up++;
		t.cpus += n->v.cpus;
		t.load += n->v.load;
		t.mem += n->v.mem;
		t.tmem += n->v.tmem;
		t.guests += n->v.guests;
	}
	*ret = t;
}

const char *nodefmt_totals_line(const struct nodefmt_totals *t, char *buf,
				size_t size)
{
	char load[NODEFMT_FIELD], mem[NODEFMT_FIELD], tmem[NODEFMT_FIELD];
	uint32_t l = t->load > UINT32_MAX ? UINT32_MAX : (uint32_t)t->load;

	snprintf(buf, size,
		 "%zu/%zu nodes up, %" PRIu64 " cpus, load %s, free memory %s of %s, "
		 "%zu guest%s",
		 t->up, t->total, t->cpus, nodefmt_load(l, load, sizeof(load)),
		 nodefmt_mem(t->mem, mem, sizeof(mem)),
		 nodefmt_mem(t->tmem, tmem, sizeof(tmem)), t->guests,
		 t->guests == 1 ? "" : "s");
	return buf;
}
