// SPDX-License-Identifier: GPL-2.0-only
/*
 * This node's pool mode (lib/pool.h). The running mode is mosix.conf's
 * until `mosctl mode` changes it; a reload that finds another mode in
 * mosix.conf, or a restart, applies mosix.conf's again. The effective mode
 * it gives now goes into the gossip flags (gossip.c) and into admin/mode
 * and admin/pool (publish.c), which mosix-migd reads before it takes a
 * guest.
 *
 * In adaptive mode every tick checks whether a switch of the schedule is
 * due, so the daemon follows the schedule by itself, from its start (a
 * node booted at night starts in the night's mode) and whatever the
 * systemd timers do; the timers' `mosctl mode adaptive` also sends guests
 * home when the new mode takes none, which only mosix-migd can do.
 *
 * The schedule's clock is the real clock plus an offset, 0 unless a test
 * sets it (--now, "mode WORD NOW"): the schedule then runs on from there
 * in real time.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "infod.h"
#include "lib/log.h"
#include "lib/util.h"

static time_t pool_clock(const struct infod *in)
{
	return time(NULL) + (time_t)in->pool_offset;
}

static bool same_status(const struct pool_status *a, const struct pool_status *b)
{
	return a->configured == b->configured && a->mode == b->mode &&
	       a->effective == b->effective && a->guests == b->guests &&
	       strcmp(a->why, b->why) == 0 && a->period == b->period && a->since == b->since &&
	       a->next == b->next && a->next_mode == b->next_mode;
}

/* "2026-11-23 18:00:00 CET", local time */
static const char *when(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M:%S %Z", &tm))
		snprintf(buf, size, "%" PRId64, t);
	return buf;
}

static void describe(const struct pool_status *s, char *buf, size_t size)
{
	int n;

	n = snprintf(buf, size, "pool mode %s", state_mode_name(s->mode));
	if (n < 0 || (size_t)n >= size)
		return;
	if (s->mode == POOL_ADAPTIVE)
		n += snprintf(buf + n, size - (size_t)n, ": %s (%s)", state_mode_name(s->effective),
			      pool_period_name(s->period));
	if ((size_t)n < size && !s->guests)
		n += snprintf(buf + n, size - (size_t)n, ", takes no guests (%s)", s->why);
	if ((size_t)n < size && s->next) {
		char at[64];

		snprintf(buf + n, size - (size_t)n, "; %s from %s", state_mode_name(s->next_mode),
			 when(s->next, at, sizeof(at)));
	}
}

/* Evaluate at @now; true when what the tools see changed. */
static bool evaluate(struct infod *in, time_t now)
{
	struct pool_status s;

	pool_eval(&in->cfg.pool, in->mode, in->cfg.self, now, &s);
	in->pool_checked = now;
	if (in->pool_valid && same_status(&s, &in->pool))
		return false;
	/* the start is logged with the rest of the start-up (infod_mode_log) */
	if (in->pool_valid && (s.effective != in->pool.effective || s.guests != in->pool.guests ||
			       s.mode != in->pool.mode)) {
		char text[256];

		describe(&s, text, sizeof(text));
		log_notice("%s", text);
	}
	in->pool = s;
	in->pool_valid = true;
	return true;
}

void infod_mode_start(struct infod *in)
{
	in->mode = in->cfg.pool.mode;
	in->pool_valid = false;
	evaluate(in, pool_clock(in));
}

void infod_mode_log(const struct infod *in)
{
	char text[256];

	describe(&in->pool, text, sizeof(text));
	log_info("%s", text);
}

void infod_mode_reloaded(struct infod *in, enum pool_mode old_configured)
{
	/* mosctl mode's choice stands until mosix.conf says something new */
	if (in->cfg.pool.mode != old_configured)
		in->mode = in->cfg.pool.mode;
	/* the schedule or the servers may have changed too */
	evaluate(in, pool_clock(in));
}

void infod_mode_tick(struct infod *in)
{
	time_t now = pool_clock(in);

	/* a switch is due, or the clock went back */
	if (in->mode != POOL_ADAPTIVE)
		return;
	if ((in->pool.next && now >= in->pool.next) || now < in->pool_checked)
		if (evaluate(in, now))
			infod_policy_changed(in);
}

int infod_mode_set(struct infod *in, char **word, int n, char *msg, size_t size)
{
	enum pool_mode m;
	int64_t offset = 0;

	if (n < 1 || n > 2 || pool_mode_parse(word[0], &m) < 0) {
		snprintf(msg, size, "usage: mode single|server|half-duplex|adaptive [NOW]");
		return -EINVAL;
	}
	if (n == 2) {
		int64_t t;

		if (util_parse_epoch(word[1], &t)) {
			snprintf(msg, size, "NOW must be seconds since the epoch, not '%s'",
				 word[1]);
			return -EINVAL;
		}
		offset = (int64_t)t - (int64_t)time(NULL);
	}
	if (m == POOL_SERVER && !in->cfg.pool.servers.n) {
		snprintf(msg, size, "the server mode needs 'servers' in mosix.conf, the nodes "
			 "that take guests: none are listed");
		return -EINVAL;
	}
	if (m == POOL_ADAPTIVE && !in->cfg.pool.servers.n &&
	    (in->cfg.pool.sched.mode[POOL_DAY] == POOL_SERVER ||
	     in->cfg.pool.sched.mode[POOL_NIGHT] == POOL_SERVER)) {
		snprintf(msg, size, "pool.conf's schedule uses the server mode, which needs "
			 "'servers' in mosix.conf: none are listed");
		return -EINVAL;
	}
	in->mode = m;
	in->pool_offset = offset;
	if (evaluate(in, pool_clock(in)))
		infod_policy_changed(in);
	/* the reply is admin/pool's text: one read gives mosctl everything */
	pool_status_format(&in->pool, msg, size);
	return 0;
}
