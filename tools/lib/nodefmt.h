/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_NODEFMT_H
#define MOSIX_NODEFMT_H

/*
 * How the commands show nodes: the figures of a node_state as short text,
 * the node table row that mosctl status and mtop share, the orders mtop
 * sorts by and the cluster totals. Pure functions over a snapshot already
 * read (state.h): nothing here reads files or prints.
 *
 * Units shown: load as a decimal (1.00 = one fully busy reference CPU),
 * utilisation in percent, memory in binary units (K, M, G, T, P of bytes;
 * the snapshot counts 4 KiB pages), ages in s, m, h or d.
 *
 * Every formatter writes a NUL-terminated string into @buf (cut to @size)
 * and returns @buf, so that calls can be arguments of printf.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state.h"

#define NODEFMT_PAGE 4096u

/* Room for any single figure (nodefmt_load ... nodefmt_age). */
#define NODEFMT_FIELD 24

/* Width of the ADDRESS column that fits a table row in 80 columns. */
#define NODEFMT_ADDR_NARROW 15

enum nodefmt_sort {
	NODEFMT_BY_ID,		/* ascending id */
	NODEFMT_BY_LOAD,	/* busiest first */
	NODEFMT_BY_MEM,		/* most memory free for guests first */
};

struct nodefmt_totals {
	size_t up;		/* nodes up and in the cluster (not off) */
	size_t total;		/* nodes in the snapshot */
	uint64_t cpus;		/* of the nodes up */
	uint64_t load;		/* sum of their loads, 100 = one busy CPU */
	uint64_t mem;		/* memory free for guests, pages */
	uint64_t tmem;		/* total memory, pages */
	size_t guests;
};

/* "0.52": @load / 100 with two decimals. */
const char *nodefmt_load(uint32_t load, char *buf, size_t size);

/* "26%": @permille in whole percent, rounded. */
const char *nodefmt_util(uint32_t permille, char *buf, size_t size);

/*
 * @pages of 4 KiB in at most 5 characters: "0", "512K", "1023M", "1.5G",
 * "12G", "3.2T". One decimal below 10 of a unit, truncated (never shows
 * more than there is).
 */
const char *nodefmt_mem(uint64_t pages, char *buf, size_t size);

/* "0.5s", "12s", "5m", "3h", "2d": one decimal below 10 s, then whole. */
const char *nodefmt_age(uint64_t ms, char *buf, size_t size);

/* "up", "down", or "off" (up, but left the cluster with setpe -off). */
const char *nodefmt_state(const struct node_state *n);

/*
 * The flags other than off: as words ("blocked,stay"), or with @letters
 * as one letter each ("BS": B blocked, S stay, L lstay, Q quiet, W
 * swapping). "-" when there is none.
 */
const char *nodefmt_flags(uint16_t flags, bool letters, char *buf, size_t size);

/*
 * The age of a node's information now: its age when the snapshot was
 * written plus the time since then (@now_ms, CLOCK_REALTIME like
 * s->now_ms; a snapshot from the future counts as just written).
 */
uint64_t nodefmt_age_now(const struct cluster_state *s,
			 const struct node_state *n, uint64_t now_ms);

/*
 * One row of the node table, columns ID (with '*' after this node's),
 * ADDRESS (@addr_width wide; a longer address is cut and ends in '+'),
 * STATE, LOAD, CPUS, SPEED, UTIL, MEM, RMEM, GUEST, AGE; no trailing
 * space, no newline. nodefmt_header() gives the matching titles.
 */
const char *nodefmt_row(const struct node_state *n, bool self, uint64_t age_ms,
			int addr_width, char *buf, size_t size);
const char *nodefmt_header(int addr_width, char *buf, size_t size);

/* The widest address of @s, at least as wide as the title "ADDRESS". */
int nodefmt_addr_width(const struct cluster_state *s);

/*
 * Sort @v, @n pointers into a snapshot, by @by. Nodes down (or off) come
 * after those up in every order but by id; ties go by id, so the order is
 * total and a display does not jump between refreshes.
 */
void nodefmt_sort(const struct node_state **v, size_t n, enum nodefmt_sort by);

/* Parse "id", "load", "mem" (and "memory"); -EINVAL otherwise. */
int nodefmt_sort_parse(const char *word, enum nodefmt_sort *ret);
const char *nodefmt_sort_name(enum nodefmt_sort by);

void nodefmt_totals(const struct cluster_state *s, struct nodefmt_totals *ret);

/*
 * "4/4 nodes up, 8 cpus, load 1.25, free memory 12G of 16G, 3 guests":
 * the totals line of mtop and mosctl status.
 */
const char *nodefmt_totals_line(const struct nodefmt_totals *t, char *buf,
				size_t size);

#endif
