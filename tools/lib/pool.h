/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_POOL_H
#define MOSIX_POOL_H

/*
 * The pool modes: which nodes take guests, and when.
 *
 *   single       every node sends jobs out and takes guests
 *   server       only the nodes listed in mosix.conf's `servers` take
 *                guests; the others send jobs out and take none
 *   half-duplex  this node sends jobs out and takes no guests
 *   adaptive     one of the three by the time of day, as pool.conf says
 *
 * mosix.conf's `mode` is the configured mode; `mosctl mode` may change the
 * running one; the effective mode is the running one, or in adaptive mode
 * the mode of the period of the schedule that contains now.
 *
 * pool.conf ($MOSIX_CONFIG_DIR/pool.conf), "key = value" lines as
 * mosix.conf, holds the adaptive schedule: two periods, "day" and "night",
 * each beginning whenever its calendar expression (cal.h) fires and lasting
 * until the other's fires:
 *
 *   day = Mon..Fri *-*-* 08:00:00       when the day period begins
 *   day_mode = half-duplex              the mode during it
 *   night = Mon..Fri *-*-* 18:00:00
 *   night_mode = single
 *
 * These are also the defaults, of a missing file and of missing keys; day
 * and night are given both or neither. A period's mode is single, server
 * or half-duplex. So the week above is in the night mode from Friday 18:00
 * to Monday 08:00. The two expressions may not fire at the same instant.
 *
 * The effective mode is published in $MOSIX_RUN_DIR/admin/pool (state.h),
 * which mosix-migd and mosctl read through pool_status_read().
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cal.h"
#include "conf.h"
#include "diag.h"
#include "state.h"

#define POOL_FILE "pool.conf"
#define POOL_STATUS_FILE "pool"

enum pool_period {
	POOL_DAY = 0,
	POOL_NIGHT = 1,
	POOL_NO_PERIOD = -1,	/* not adaptive */
};

struct pool_sched {
	struct cal start[2];		/* when each period begins, by enum pool_period */
	enum pool_mode mode[2];		/* the mode during it: never POOL_ADAPTIVE */
};

/* Node ids as ranges, in input order. */
struct pool_ids {
	struct pool_id_range {
		uint32_t first, last;
	} *r;
	size_t n;
};

/* What the pool modes of a node are made of, from mosix.conf and pool.conf. */
struct pool_cfg {
	enum pool_mode mode;		/* mosix.conf's */
	struct pool_ids servers;
	struct pool_sched sched;
};

/* The state of a node's pool mode at one instant: admin/pool. */
struct pool_status {
	enum pool_mode configured;	/* mosix.conf's */
	enum pool_mode mode;		/* running: mosix.conf's or mosctl mode's */
	enum pool_mode effective;	/* never POOL_ADAPTIVE */
	bool guests;			/* the effective mode lets this node take guests */
	char why[64];			/* why not: "half-duplex mode"; else "" */
	enum pool_period period;
	int64_t since;			/* epoch seconds the period began; 0: not adaptive */
	int64_t next;			/* epoch seconds of the next switch; 0: none */
	enum pool_mode next_mode;	/* the effective mode after it */
};

/* "single" etc. into *@ret; -EINVAL for other words. */
int pool_mode_parse(const char *word, enum pool_mode *ret);

/* "day", "night"; "-" for POOL_NO_PERIOD. */
const char *pool_period_name(enum pool_period p);

/* The built-in schedule, the same as the shipped config/pool.conf. */
void pool_sched_default(struct pool_sched *ret);

/*
 * Parse pool.conf text; @name is used in messages, each "FILE:LINE: ...".
 * 0, -EINVAL (all problems reported to @d) or -ENOMEM; @ret untouched on
 * failure.
 */
int pool_sched_parse(const char *name, const char *buf, size_t len, struct pool_sched *ret,
		     struct diag *d);

/* Read @path; a missing file gives the defaults. 0 or -errno (reported). */
int pool_sched_load(const char *path, struct pool_sched *ret, struct diag *d);

/*
 * Parse a list of node ids and ranges, "1-8 12" or "1-8,12" (ids
 * 1..MAP_MAX_ID); problems reported as @name:@line. 0, -EINVAL, -ENOMEM.
 */
int pool_ids_parse(const char *name, uint32_t line, const char *text, struct pool_ids *ret,
		   struct diag *d);
bool pool_ids_has(const struct pool_ids *ids, uint32_t id);
void pool_ids_release(struct pool_ids *ids);

/*
 * From a checked mosix.conf @c: mode and servers, and the schedule from
 * @pool_path. Also refuses a server mode (configured, or a period's) with
 * no servers listed: no node would take guests. 0 or -errno (reported).
 */
int pool_cfg_load(const struct conf *c, const char *pool_path, struct pool_cfg *ret,
		  struct diag *d);
void pool_cfg_init(struct pool_cfg *c);
void pool_cfg_release(struct pool_cfg *c);

/*
 * The state of node @self running in @mode at time @now: the effective
 * mode, whether it takes guests, and in adaptive mode the period and the
 * next switch. Pure: no clock, no files.
 */
void pool_eval(const struct pool_cfg *c, enum pool_mode mode, uint32_t self, time_t now,
	       struct pool_status *ret);

/* admin/pool's text ("key=value" lines, state.h). -ENOSPC if too small. */
int pool_status_format(const struct pool_status *s, char *buf, size_t size);

/* Parse that text (@buf is modified). 0 or -EINVAL; @ret untouched then. */
int pool_status_parse(char *buf, struct pool_status *ret);

/* Read $run_dir/admin/pool. -ENOENT when mosix-infod has not written one. */
int pool_status_read(const char *run_dir, struct pool_status *ret);

#endif
