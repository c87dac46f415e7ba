// SPDX-License-Identifier: GPL-2.0-only
/*
 * Calendar expressions: what we accept (the normal forms are those
 * systemd-analyze calendar prints), what we refuse and why, and when an
 * expression fires, around weekends and daylight saving changes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "lib/cal.h"

/* Monday 2026-11-23 00:00:00 UTC */
#define MON 1795392000
#define H 3600
#define DAY (24 * H)

static void use_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static void normal(const char *text, const char *want)
{
	char why[160] = "", buf[64];
	struct cal c;

	if (cal_parse(text, &c, why, sizeof(why)) < 0)
		print_error("'%s': %s\n", text, why);
	assert_int_equal(cal_parse(text, &c, why, sizeof(why)), 0);
	assert_int_equal(cal_format(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
	/* the normal form reads back as itself */
	assert_int_equal(cal_parse(buf, &c, why, sizeof(why)), 0);
	assert_int_equal(cal_format(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
}

static void test_accepted(void **state)
{
	(void)state;
	normal("Mon..Fri *-*-* 08:00:00", "Mon..Fri *-*-* 08:00:00");
	normal("mon..FRI 8:00", "Mon..Fri *-*-* 08:00:00");
	normal("Monday-Friday 18:00", "Mon..Fri *-*-* 18:00:00");
	normal("Sat,Sun 10:30", "Sat,Sun *-*-* 10:30:00");
	normal("Mon,Tue 08:00", "Mon,Tue *-*-* 08:00:00");
	normal("Mon,Tue,Wed 8:00", "Mon..Wed *-*-* 08:00:00");
	normal("Mon-Wed,Fri 18:00", "Mon..Wed,Fri *-*-* 18:00:00");
	normal("Sat,Sun,Mon 1:2:3", "Mon,Sat,Sun *-*-* 01:02:03");
	normal("Mon,Wed,Fri 23:59:59", "Mon,Wed,Fri *-*-* 23:59:59");
	normal("Mon..Sun 08:00", "*-*-* 08:00:00");
	normal("*-*-* 08:00", "*-*-* 08:00:00");
	normal("08:00", "*-*-* 08:00:00");
	normal("  Sun\t*-*-*   0:00  ", "Sun *-*-* 00:00:00");
	normal("daily", "*-*-* 00:00:00");
	normal("Weekly", "Mon *-*-* 00:00:00");
}

static void refused(const char *text, const char *want)
{
	char why[160] = "";
	struct cal c = { 0 }, before = { .days = 1, .hour = 2 };

	c = before;
	assert_int_equal(cal_parse(text, &c, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, want);
	assert_memory_equal(&c, &before, sizeof(c));
}

static void test_refused(void **state)
{
	(void)state;
	refused("", "empty calendar expression");
	refused("Fri..Mon 08:00", "the range Fri..Mon goes backwards: weeks run Mon..Sun "
		"(write Mon,Fri..Sun)");
	refused("Mon..Fry 08:00", "'Fry' is not a weekday (Mon, Tue, ... Sun)");
	refused("Mon;Tue 08:00", "unexpected ';Tue' in the weekdays 'Mon;Tue'");
	refused("Mon..Fri", "'Mon..Fri' has no time of day (HH:MM[:SS])");
	refused("hourly", "'hourly' is not a calendar expression we accept ([WEEKDAYS] "
		"[*-*-*] HH:MM[:SS], daily or weekly)");
	refused("Mon 2026-11-23 08:00", "'2026-11-23': only the date *-*-* is supported (the "
		"schedule repeats every week)");
	refused("Mon *-*-01 08:00", "'*-*-01': only the date *-*-* is supported (the "
		"schedule repeats every week)");
	refused("Mon 24:00", "'24:00' is not a time HH:MM[:SS] (hours 0..23, minutes and "
		"seconds 0..59)");
	refused("Mon 08:60", "'08:60' is not a time HH:MM[:SS] (hours 0..23, minutes and "
		"seconds 0..59)");
	refused("Mon 08", "'08' is not a time HH:MM[:SS] (hours 0..23, minutes and seconds "
		"0..59)");
	refused("Mon 008:00", "'008:00' is not a time HH:MM[:SS] (hours 0..23, minutes and "
		"seconds 0..59)");
	refused("Mon 08:00:00.5", "'08:00:00.5': lists, ranges and repetitions of times are "
		"not supported (one time HH:MM[:SS] per expression)");
	refused("Mon 08,12:00", "'08,12:00': lists, ranges and repetitions of times are not "
		"supported (one time HH:MM[:SS] per expression)");
	refused("Mon 08:00/2", "'08:00/2': lists, ranges and repetitions of times are not "
		"supported (one time HH:MM[:SS] per expression)");
	refused("Mon *-*-* 08:00 UTC", "too many fields: expected [WEEKDAYS] [*-*-*] "
		"HH:MM[:SS] (time zones are not supported)");
	refused("Mon Tue 08:00", "'Tue': only the date *-*-* is supported (the schedule "
		"repeats every week)");
}

static struct cal parse(const char *text)
{
	char why[160];
	struct cal c;

	assert_int_equal(cal_parse(text, &c, why, sizeof(why)), 0);
	return c;
}

static time_t next(const char *text, time_t t)
{
	struct cal c = parse(text);
	time_t r = 0;

	assert_int_equal(cal_next(&c, t, &r), 0);
	return r;
}

static time_t prev(const char *text, time_t t)
{
	struct cal c = parse(text);
	time_t r = 0;

	assert_int_equal(cal_prev(&c, t, &r), 0);
	return r;
}

static void test_fire_utc(void **state)
{
	(void)state;
	use_tz("UTC");
	/* strictly after for next, at or before for prev */
	assert_int_equal(next("Mon..Fri 08:00", MON), MON + 8 * H);
	assert_int_equal(next("Mon..Fri 08:00", MON + 8 * H), MON + DAY + 8 * H);
	assert_int_equal(prev("Mon..Fri 08:00", MON + 8 * H), MON + 8 * H);
	assert_int_equal(prev("Mon..Fri 08:00", MON + 8 * H - 1), MON - 3 * DAY + 8 * H);
	/* Friday evening: the next working day is Monday */
	assert_int_equal(next("Mon..Fri 08:00", MON + 4 * DAY + 18 * H), MON + 7 * DAY + 8 * H);
	assert_int_equal(prev("Mon..Fri 18:00", MON + 6 * DAY + 12 * H), MON + 4 * DAY + 18 * H);
	/* once a week: up to seven days either way */
	assert_int_equal(next("Wed 12:00", MON + 2 * DAY + 12 * H), MON + 9 * DAY + 12 * H);
	assert_int_equal(prev("Wed 12:00", MON + 2 * DAY + 12 * H - 1), MON - 5 * DAY + 12 * H);
	assert_int_equal(next("Sat,Sun 10:00:30", MON), MON + 5 * DAY + 10 * H + 30);
	assert_int_equal(next("daily", MON), MON + DAY);
	assert_int_equal(prev("daily", MON), MON);
	assert_int_equal(next("weekly", MON), MON + 7 * DAY);
}

static void test_fire_local(void **state)
{
	(void)state;
	/* a zone east of Greenwich: local 08:00 is 07:00 UTC in winter */
	use_tz("Europe/Berlin");
	assert_int_equal(next("Mon..Fri 08:00", MON), MON + 7 * H);
	/* 2026-03-29 02:30 does not exist in Berlin: the next Sunday's fires */
	assert_int_equal(next("Sun 02:30", 1774699200 /* Sat 28 Mar 12:00 UTC */),
			 1775349000 /* Sun 5 Apr 02:30 CEST */);
	/* 2026-10-25 02:30 happens twice: fires once, then next week */
	{
		time_t first = next("Sun 02:30", 1792843200 /* Sat 24 Oct 12:00 UTC */);

		assert_true(first == 1792888200 || first == 1792891800);
		assert_int_equal(next("Sun 02:30", 1792891800), 1793496600);
	}
	use_tz("America/New_York");
	assert_int_equal(next("Mon..Fri 08:00", MON), MON + 13 * H);
	use_tz("UTC");
}

static void test_collide(void **state)
{
	struct cal a = parse("Mon..Fri 08:00"), b = parse("Sat,Sun 08:00"),
		   c = parse("Fri 08:00:00"), e = parse("Mon..Fri 08:00:01");

	(void)state;
	assert_false(cal_collide(&a, &b));
	assert_true(cal_collide(&a, &c));
	assert_false(cal_collide(&a, &e));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_fire_utc),
		cmocka_unit_test(test_fire_local),
		cmocka_unit_test(test_collide),
	};

	return cmocka_run_group_tests_name("cal", tests, NULL, NULL);
}
