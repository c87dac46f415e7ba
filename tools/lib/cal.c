// SPDX-License-Identifier: GPL-2.0-only
#include "cal.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* far enough for a weekly expression, with a skipped day or two to spare */
#define CAL_SEARCH_DAYS 15

/* systemd's order and spelling: Monday first */
static const char *const day_name[7] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
static const char *const day_long[7] = { "monday", "tuesday", "wednesday", "thursday",
					 "friday", "saturday", "sunday" };

/* Monday-first index into struct tm's Sunday-first bit */
static unsigned wday_bit(int monday_first)
{
	return 1u << ((monday_first + 1) % 7);
}

/* A day name at the start of *@p: its Monday-first index, *@p moved past it. */
static int parse_day(const char **p)
{
	for (int i = 0; i < 7; i++) {
		size_t n = strlen(day_long[i]);

		/* the long name first: "Mon" is a prefix of "Monday" */
		if (strncasecmp(*p, day_long[i], n) == 0) {
			*p += n;
			return i;
		}
		if (strncasecmp(*p, day_name[i], 3) == 0) {
			*p += 3;
			return i;
		}
	}
	return -1;
}

/* The days of @days, Monday first, runs of three or more as ranges, as systemd writes them. */
static int format_days(uint8_t days, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int d = 0; d < 7;) {
		int e = d, r;

		if (!(days & wday_bit(d))) {
			d++;
			continue;
		}
		while (e + 1 < 7 && days & wday_bit(e + 1))
			e++;
		if (e - d >= 2)
			r = snprintf(buf + len, size - len, "%s%s..%s", len ? "," : "",
				     day_name[d], day_name[e]);
		else if (e > d)
			r = snprintf(buf + len, size - len, "%s%s,%s", len ? "," : "",
				     day_name[d], day_name[e]);
		else
			r = snprintf(buf + len, size - len, "%s%s", len ? "," : "", day_name[d]);
		if (r < 0 || (size_t)r >= size - len)
			return -ENOSPC;
		len += (size_t)r;
		d = e + 1;
	}
	return 0;
}

static int parse_weekdays(const char *s, uint8_t *ret, char *why, size_t why_size)
{
	const char *p = s;
	uint8_t days = 0;

	for (;;) {
		const char *at = p;
		int first = parse_day(&p), last;

		if (first < 0) {
			snprintf(why, why_size, "'%.*s' is not a weekday (Mon, Tue, ... Sun)",
				 (int)strcspn(at, ",.-"), at);
			return -EINVAL;
		}
		last = first;
		if (strncmp(p, "..", 2) == 0 || *p == '-') {
			p += *p == '-' ? 1 : 2;
			at = p;
			last = parse_day(&p);
			if (last < 0) {
				snprintf(why, why_size, "'%.*s' is not a weekday (Mon, Tue, ... Sun)",
					 (int)strcspn(at, ",.-"), at);
				return -EINVAL;
			}
			if (last < first) {
				char fix[64];
				uint8_t wrap = 0;

				for (int x = 0; x < 7; x++)
					if (x >= first || x <= last)
						wrap |= (uint8_t)wday_bit(x);
				format_days(wrap, fix, sizeof(fix));
				snprintf(why, why_size, "the range %s..%s goes backwards: weeks "
					 "run Mon..Sun (write %s)", day_name[first],
					 day_name[last], fix);
				return -EINVAL;
			}
		}
		for (int d = first; d <= last; d++)
			days |= (uint8_t)wday_bit(d);
		if (!*p)
			break;
		if (*p != ',') {
			snprintf(why, why_size, "unexpected '%s' in the weekdays '%s'", p, s);
			return -EINVAL;
		}
		p++;
	}
	*ret = days;
	return 0;
}

/* one or two digits, at most @max; *@p moved past them */
static int parse_field(const char **p, unsigned max)
{
	unsigned v = 0;
	int n = 0;

	while (isdigit((unsigned char)**p) && n < 2) {
		v = v * 10 + (unsigned)(**p - '0');
		(*p)++;
		n++;
	}
	return n && v <= max ? (int)v : -1;
}

static int parse_time(const char *s, struct cal *c, char *why, size_t why_size)
{
	const char *p = s;
	int h = parse_field(&p, 23);

	if (h >= 0 && *p == ':') {
		int m, sec = 0;

		p++;
		m = parse_field(&p, 59);
		if (m >= 0 && *p == ':') {
			p++;
			sec = parse_field(&p, 59);
		}
		if (m >= 0 && sec >= 0 && !*p) {
			c->hour = (uint8_t)h;
			c->min = (uint8_t)m;
			c->sec = (uint8_t)sec;
			return 0;
		}
	}
	if (strpbrk(s, "/~,.") && strchr(s, ':'))
		snprintf(why, why_size, "'%s': lists, ranges and repetitions of times are not "
			 "supported (one time HH:MM[:SS] per expression)", s);
	else
		snprintf(why, why_size, "'%s' is not a time HH:MM[:SS] (hours 0..23, minutes "
			 "and seconds 0..59)", s);
	return -EINVAL;
}

static bool looks_like_date(const char *s)
{
	return *s == '*' || isdigit((unsigned char)*s);
}

int cal_parse(const char *text, struct cal *ret, char *why, size_t why_size)
{
	char buf[128], *word[4], *save = NULL, *t;
	struct cal c = { .days = CAL_EVERY_DAY };
	int n = 0, i = 0, r;

	if (strlen(text) >= sizeof(buf)) {
		snprintf(why, why_size, "the expression is longer than %zu bytes",
			 sizeof(buf) - 1);
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", text);
	for (t = strtok_r(buf, " \t", &save); t && n < 4; t = strtok_r(NULL, " \t", &save))
		word[n++] = t;
	if (n == 0) {
		snprintf(why, why_size, "empty calendar expression");
		return -EINVAL;
	}
	if (n == 1 && strcasecmp(word[0], "daily") == 0) {
		*ret = (struct cal){ .days = CAL_EVERY_DAY };
		return 0;
	}
	if (n == 1 && strcasecmp(word[0], "weekly") == 0) {
		*ret = (struct cal){ .days = (uint8_t)wday_bit(0) };
		return 0;
	}
	if (n == 1 && isalpha((unsigned char)word[0][0])) {
		uint8_t days;

		if (parse_weekdays(word[0], &days, why, why_size) == 0)
			snprintf(why, why_size, "'%s' has no time of day (HH:MM[:SS])", text);
		else
			snprintf(why, why_size, "'%s' is not a calendar expression we accept "
				 "([WEEKDAYS] [*-*-*] HH:MM[:SS], daily or weekly)", text);
		return -EINVAL;
	}
	if (n > 3) {
		snprintf(why, why_size, "too many fields: expected [WEEKDAYS] [*-*-*] "
			 "HH:MM[:SS] (time zones are not supported)");
		return -EINVAL;
	}
	if (n > 1 && !looks_like_date(word[0])) {
		r = parse_weekdays(word[0], &c.days, why, why_size);
		if (r < 0)
			return r;
		i++;
	}
	if (n - i == 2) {
		if (strcmp(word[i], "*-*-*") != 0) {
			snprintf(why, why_size, "'%s': only the date *-*-* is supported (the "
				 "schedule repeats every week)", word[i]);
			return -EINVAL;
		}
		i++;
	}
	if (n - i != 1) {
		snprintf(why, why_size, "expected [WEEKDAYS] [*-*-*] HH:MM[:SS], not '%s'", text);
		return -EINVAL;
	}
	r = parse_time(word[i], &c, why, why_size);
	if (r < 0)
		return r;
	*ret = c;
	return 0;
}

int cal_format(const struct cal *c, char *buf, size_t size)
{
	char days[64] = "";
	int r;

	if ((c->days & CAL_EVERY_DAY) != CAL_EVERY_DAY && format_days(c->days, days,
								       sizeof(days)) < 0)
		return -ENOSPC;
	r = snprintf(buf, size, "%s%s*-*-* %02u:%02u:%02u", days, *days ? " " : "", c->hour,
		     c->min, c->sec);
	return r < 0 || (size_t)r >= size ? -ENOSPC : 0;
}

/*
 * When @c fires on the day @delta days from @t's local date; false when it
 * does not fire that day (another weekday, or a time skipped by a daylight
 * saving change, which mktime() moves to another hour).
 */
static bool fires_on(const struct cal *c, const struct tm *base, int delta, time_t *ret)
{
	struct tm tm = {
		.tm_year = base->tm_year, .tm_mon = base->tm_mon,
		.tm_mday = base->tm_mday + delta,
		.tm_hour = c->hour, .tm_min = c->min, .tm_sec = c->sec,
		.tm_isdst = -1,
	};
	time_t t = mktime(&tm);

	if (t == (time_t)-1 || !(c->days & (1u << tm.tm_wday)))
		return false;
	if (tm.tm_hour != c->hour || tm.tm_min != c->min || tm.tm_sec != c->sec)
		return false;
	*ret = t;
	return true;
}

int cal_next(const struct cal *c, time_t t, time_t *ret)
{
	struct tm base;
	time_t f;

	if (!localtime_r(&t, &base))
		return -ENOENT;
	for (int d = 0; d <= CAL_SEARCH_DAYS; d++)
		if (fires_on(c, &base, d, &f) && f > t) {
			*ret = f;
			return 0;
		}
	return -ENOENT;
}

int cal_prev(const struct cal *c, time_t t, time_t *ret)
{
	struct tm base;
	time_t f;

	if (!localtime_r(&t, &base))
		return -ENOENT;
	for (int d = 0; d >= -CAL_SEARCH_DAYS; d--)
		if (fires_on(c, &base, d, &f) && f <= t) {
			*ret = f;
			return 0;
		}
	return -ENOENT;
}
