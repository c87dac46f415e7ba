// SPDX-License-Identifier: GPL-2.0-only
/* The costs file of mosix-tune (format in bal.h). */
#include "bal.h"
#include "util.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bal_costs_init(struct bal_costs *c)
{
	memset(c, 0, sizeof(*c));
	c->def = BAL_COST_DEFAULT;
}

void bal_costs_release(struct bal_costs *c)
{
	free(c->node);
	bal_costs_init(c);
}

static int by_node(const void *a, const void *b)
{
	const struct bal_cost *x = a, *y = b;

	return (x->node > y->node) - (x->node < y->node);
}

/* "N" within [1, max] */
static int number(const char *s, uint32_t max, uint32_t *ret)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end || errno || v == 0 || v > max)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

/* One "NODE|default LATENCY_US MIB_PER_S FWD_US" line. */
static int parse_line(char *l, struct bal_cost *k, const char *path, unsigned line,
		      struct diag *d)
{
	char *f[5], *save = NULL;
	int n = 0;

	for (char *t = strtok_r(l, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == 5)
			break;
		f[n++] = t;
	}
	if (n != 4) {
		diag_add(d, path, line, "expected 'NODE LATENCY_US MIB_PER_S FWD_US'");
		return -EINVAL;
	}
	if (!strcmp(f[0], "default")) {
		k->node = 0;
	} else if (number(f[0], 65535, &k->node)) {
		diag_add(d, path, line, "'%s' is no node id (1-65535) nor 'default'", f[0]);
		return -EINVAL;
	}
	if (number(f[1], 600000000, &k->latency_us) || number(f[2], 1000000, &k->mib_per_s) ||
	    number(f[3], 60000000, &k->fwd_us)) {
		diag_add(d, path, line, "costs must be whole numbers above 0 "
			 "(LATENCY_US up to 600000000, MIB_PER_S up to 1000000, FWD_US up to 60000000)");
		return -EINVAL;
	}
	return 0;
}

int bal_costs_load(struct bal_costs *c, const char *path, struct diag *d)
{
	struct bal_costs n;
	size_t len, alloc = 0;
	char *raw, *buf, *line, *next;
	unsigned no = 1;
	bool seen_version = false, seen_def = false;
	int r;

	r = util_read_file(path, &raw, &len, d);
	if (r)
		return r;
	bal_costs_init(&n);
	buf = malloc(len + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out_free;
	}
	memcpy(buf, raw, len);
	buf[len] = 0;
	if (strlen(buf) != len) {
		diag_add(d, path, 0, "holds a NUL byte");
		r = -EINVAL;
		goto out_free;
	}
	for (line = buf; line; line = next, no++) {
		char *hash, *t;
		struct bal_cost k;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		t = util_trim(line);
		if (!*t)
			continue;
		if (!seen_version) {
			unsigned v;
			char extra;

			if (sscanf(t, "mosix-costs %u %c", &v, &extra) != 1) {
				diag_add(d, path, no, "expected 'mosix-costs %d' first",
					 BAL_COSTS_VERSION);
				r = -EINVAL;
				goto out_free;
			}
			if (v != BAL_COSTS_VERSION) {
				diag_add(d, path, no, "version %u; this mosix reads version %d", v,
					 BAL_COSTS_VERSION);
				r = -EINVAL;
				goto out_free;
			}
			seen_version = true;
			continue;
		}
		if (parse_line(t, &k, path, no, d)) {
			r = -EINVAL;
			continue;
		}
		if (!k.node) {
			if (seen_def) {
				diag_add(d, path, no, "a second 'default' line");
				r = -EINVAL;
			}
			seen_def = true;
			n.def = k;
			continue;
		}
		for (size_t i = 0; i < n.n; i++)
			if (n.node[i].node == k.node) {
				diag_add(d, path, no, "node %u listed twice", k.node);
				r = -EINVAL;
			}
		if (util_grow((void **)&n.node, &alloc, n.n + 1, sizeof(*n.node))) {
			r = -ENOMEM;
			goto out_free;
		}
		n.node[n.n++] = k;
	}
	if (!seen_version && !r) {
		diag_add(d, path, 0, "empty: expected 'mosix-costs %d'", BAL_COSTS_VERSION);
		r = -EINVAL;
	}
out_free:
	free(buf);
	free(raw);
	if (r) {
		bal_costs_release(&n);
		return r;
	}
	qsort(n.node, n.n, sizeof(*n.node), by_node);
	bal_costs_release(c);
	*c = n;
	return 0;
}

int bal_costs_write(const struct bal_costs *c, const char *path)
{
	char *text = NULL, *dir, *base, *pd = strdup(path), *pb = strdup(path);
	size_t size = 0;
	FILE *f;
	int r = -ENOMEM;

	if (!pd || !pb)
		goto out_free;
	f = open_memstream(&text, &size);
	if (!f)
		goto out_free;
	fprintf(f, "# Costs of migration, measured by mosix-tune(8); read by mosix-migd.\n"
		   "# NODE LATENCY_US MIB_PER_S FWD_US\n"
		   "mosix-costs %d\n"
		   "default %u %u %u\n",
		BAL_COSTS_VERSION, c->def.latency_us, c->def.mib_per_s, c->def.fwd_us);
	for (size_t i = 0; i < c->n; i++)
		fprintf(f, "%u %u %u %u\n", c->node[i].node, c->node[i].latency_us,
			c->node[i].mib_per_s, c->node[i].fwd_us);
	if (fclose(f))
		goto out_free;
	dir = dirname(pd);
	base = basename(pb);
	r = state_write_file(dir, base, text);
out_free:
	free(text);
	free(pd);
	free(pb);
	return r;
}

const struct bal_cost *bal_costs_of(const struct bal_costs *c, uint32_t node)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c->node[mid].node == node)
			return &c->node[mid];
		if (c->node[mid].node < node)
			lo = mid + 1;
		else
			hi = mid;
	}
	return &c->def;
}

uint64_t bal_move_ms(const struct bal_cost *k, uint64_t pages)
{
	uint64_t mib_pages = 256 * (uint64_t)(k->mib_per_s ? k->mib_per_s : 1);

	/* pages / (MiB/s * 256 pages per MiB) seconds, in ms, rounded up */
	return (k->latency_us + 999) / 1000 + (pages * 1000 + mib_pages - 1) / mib_pages;
}
