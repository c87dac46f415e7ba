/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_CAL_H
#define MOSIX_CAL_H

/*
 * Calendar expressions: the part of systemd.time(7)'s syntax that the pool
 * schedule (pool.h) accepts, evaluated here in local time. The same text
 * becomes OnCalendar= of a systemd timer, so mosix-infod, mosctl and
 * systemd must read it alike: anything systemd would read differently, or
 * that we cannot evaluate, is refused rather than guessed.
 *
 * Accepted:
 *
 *   [WEEKDAYS] [*-*-*] HH:MM[:SS]
 *   daily | weekly                  *-*-* 00:00:00 | Mon *-*-* 00:00:00
 *
 * WEEKDAYS is a comma list of days and ranges: "Mon", "Sat,Sun",
 * "Mon..Fri", "Mon-Wed,Fri"; names in English, three letters or in full,
 * any case; a range goes forwards from Monday to Sunday (Fri..Mon is an
 * error: write Mon,Fri..Sun). Without WEEKDAYS, every day. The date part,
 * when given, must be "*-*-*": the schedule repeats by week. HH is 0..23,
 * MM and SS 0..59 (one or two digits). Not accepted: dates, repetitions
 * ("/2"), lists or ranges of times, time zones, other shorthands.
 *
 * A time that a daylight saving change skips does not happen that day
 * (as systemd does); one that happens twice fires once.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct cal {
	uint8_t days;	/* bit n: weekday n as in struct tm (0 = Sunday) */
	uint8_t hour, min, sec;
};

/* Every day of the week in cal.days. */
#define CAL_EVERY_DAY 0x7f

/*
 * Parse @text. 0, or -EINVAL and the reason (no file or line: the caller
 * knows them) in @why.
 */
int cal_parse(const char *text, struct cal *ret, char *why, size_t why_size);

/*
 * The expression in systemd's normal form ("Mon..Fri *-*-* 08:00:00"), which
 * cal_parse() and systemd-analyze calendar both accept. -ENOSPC when
 * @size is too small.
 */
int cal_format(const struct cal *c, char *buf, size_t size);

/* The first time @c fires strictly after @t, in *@ret. 0 or -ENOENT. */
int cal_next(const struct cal *c, time_t t, time_t *ret);

/* The last time @c fired at or before @t, in *@ret. 0 or -ENOENT. */
int cal_prev(const struct cal *c, time_t t, time_t *ret);

/* Both fire at some same instant (same time of day, a day in common). */
static inline bool cal_collide(const struct cal *a, const struct cal *b)
{
	return (a->days & b->days) && a->hour == b->hour && a->min == b->min &&
	       a->sec == b->sec;
}

#endif
