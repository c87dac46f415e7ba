// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pool modes: pool.conf (the shipped file is the built-in default,
 * every error names FILE:LINE), the servers list, which period and mode
 * hold at a given time (nights past midnight, weekends), and admin/pool.
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

#include "lib/pool.h"

/* Monday 2026-11-23 00:00:00 UTC */
#define MON 1795392000
#define H 3600
#define DAY (24 * H)

static int setup(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static int sched(const char *text, struct pool_sched *s, struct diag *d)
{
	diag_init(d);
	return pool_sched_parse("p.conf", text, strlen(text), s, d);
}

static void test_default_is_shipped(void **state)
{
	const char *root = getenv("MOSIX_ROOT");
	struct diag d = DIAG_INIT;
	struct pool_sched def, shipped;
	char path[4096];

	(void)state;
	snprintf(path, sizeof(path), "%s/config/pool.conf", root ? root : "..");
	pool_sched_default(&def);
	assert_int_equal(pool_sched_load(path, &shipped, &d), 0);
	assert_memory_equal(&def, &shipped, sizeof(def));
	/* and a missing file is the default */
	memset(&shipped, 0, sizeof(shipped));
	assert_int_equal(pool_sched_load("/nonexistent/pool.conf", &shipped, &d), 0);
	assert_memory_equal(&def, &shipped, sizeof(def));
	assert_int_equal(d.n, 0);
	diag_release(&d);
}

static void test_parse(void **state)
{
	struct pool_sched s;
	struct diag d;

	(void)state;
	assert_int_equal(sched("# nights\nday = 07:00\nnight=22:30\n"
			       "day_mode = server\nnight_mode = half-duplex\n", &s, &d), 0);
	assert_int_equal(s.start[POOL_DAY].days, CAL_EVERY_DAY);
	assert_int_equal(s.start[POOL_DAY].hour, 7);
	assert_int_equal(s.start[POOL_NIGHT].hour, 22);
	assert_int_equal(s.start[POOL_NIGHT].min, 30);
	assert_int_equal(s.mode[POOL_DAY], POOL_SERVER);
	assert_int_equal(s.mode[POOL_NIGHT], POOL_HALF_DUPLEX);
	/* modes alone: the default times */
	assert_int_equal(sched("day_mode = single\n", &s, &d), 0);
	assert_int_equal(s.start[POOL_DAY].hour, 8);
	assert_int_equal(s.mode[POOL_DAY], POOL_SINGLE);
	assert_int_equal(s.mode[POOL_NIGHT], POOL_SINGLE);
	diag_release(&d);
}

static void test_errors(void **state)
{
	static const char *const want[] = {
		"p.conf:1: expected 'key = value'",
		"p.conf:2: day: 'Fry' is not a weekday (Mon, Tue, ... Sun)",
		"p.conf:3: unknown key 'dusk' (pool.conf has day, day_mode, night and "
		"night_mode)",
		"p.conf:4: day_mode: 'adaptive' is not one of single|server|half-duplex",
		"p.conf:5: night: '25:00' is not a time HH:MM[:SS] (hours 0..23, minutes and "
		"seconds 0..59)",
		"p.conf:6: 'night' is already set at line 5",
		"p.conf:7: night_mode: 'off' is not one of single|server|half-duplex",
	};
	struct pool_sched s, before;
	struct diag d;

	(void)state;
	memset(&s, 0x5a, sizeof(s));
	before = s;
	assert_int_equal(sched("the day begins at eight\n"
			       "day = Mon..Fry 08:00\n"
			       "dusk = 17:00\n"
			       "day_mode = adaptive\n"
			       "night = Mon 25:00\n"
			       "night = Mon 18:00\n"
			       "night_mode = off\n", &s, &d), -EINVAL);
	assert_int_equal(d.n, 7);
	for (size_t i = 0; i < d.n; i++)
		assert_string_equal(d.msg[i].text, want[i]);
	assert_memory_equal(&s, &before, sizeof(s));
	diag_release(&d);

	assert_int_equal(sched("\nnight = 18:00\n", &s, &d), -EINVAL);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msg[0].text, "p.conf:2: 'night' is set but 'day' is not: give "
			    "both, when the day and when the night begins");
	diag_release(&d);

	assert_int_equal(sched("day = Mon..Fri 08:00\nnight = Fri,Sat 8:00:00\n", &s, &d),
			 -EINVAL);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msg[0].text, "p.conf:2: night fires at the same time as day "
			    "(line 1): which period follows would be ambiguous");
	diag_release(&d);
}

static void test_ids(void **state)
{
	struct pool_ids ids;
	struct diag d = DIAG_INIT;

	(void)state;
	assert_int_equal(pool_ids_parse("m.conf", 3, " 1-8 12,20-21 ", &ids, &d), 0);
	assert_int_equal(ids.n, 3);
	assert_true(pool_ids_has(&ids, 1));
	assert_true(pool_ids_has(&ids, 8));
	assert_false(pool_ids_has(&ids, 9));
	assert_true(pool_ids_has(&ids, 12));
	assert_true(pool_ids_has(&ids, 21));
	assert_false(pool_ids_has(&ids, 22));
	pool_ids_release(&ids);
	assert_int_equal(pool_ids_parse("m.conf", 3, "", &ids, &d), 0);
	assert_int_equal(ids.n, 0);
	assert_false(pool_ids_has(&ids, 1));
	pool_ids_release(&ids);

	assert_int_equal(pool_ids_parse("m.conf", 3, "1-8 x 0 8-1 70000 3- 4-5-6", &ids, &d),
			 -EINVAL);
	assert_int_equal(d.n, 6);
	assert_string_equal(d.msg[0].text, "m.conf:3: servers: 'x' is not a node id or a "
			    "range of ids FIRST-LAST (ids are 1..65535)");
	assert_string_equal(d.msg[1].text, "m.conf:3: servers: '0' is not a node id or a "
			    "range of ids FIRST-LAST (ids are 1..65535)");
	assert_string_equal(d.msg[2].text, "m.conf:3: servers: the range '8-1' goes backwards");
	assert_string_equal(d.msg[3].text, "m.conf:3: servers: '70000' is not a node id or a "
			    "range of ids FIRST-LAST (ids are 1..65535)");
	assert_string_equal(d.msg[4].text, "m.conf:3: servers: '3-' is not a node id or a "
			    "range of ids FIRST-LAST (ids are 1..65535)");
	assert_string_equal(d.msg[5].text, "m.conf:3: servers: '4-5-6' is not a node id or a "
			    "range of ids FIRST-LAST (ids are 1..65535)");
	diag_release(&d);
}

static void cfg(struct pool_cfg *c, const char *conf_text, const char *pool_text)
{
	struct diag d = DIAG_INIT;
	struct conf cf;

	conf_init(&cf);
	assert_int_equal(conf_parse(&cf, "m.conf", conf_text, strlen(conf_text), &d), 0);
	assert_int_equal(conf_check(&cf, &d), 0);
	/* a nonexistent path: the default schedule */
	assert_int_equal(pool_cfg_load(&cf, "/nonexistent/pool.conf", c, &d), 0);
	if (pool_text) {
		assert_int_equal(pool_sched_parse("p.conf", pool_text, strlen(pool_text),
						  &c->sched, &d), 0);
	}
	assert_int_equal(d.n, 0);
	conf_release(&cf);
}

static void test_cfg_errors(void **state)
{
	static const char text[] = "mode = server\nservers =\n";
	struct diag d = DIAG_INIT;
	struct pool_cfg c;
	struct conf cf;

	(void)state;
	conf_init(&cf);
	assert_int_equal(conf_parse(&cf, "m.conf", text, strlen(text), &d), 0);
	assert_int_equal(pool_cfg_load(&cf, "/nonexistent/pool.conf", &c, &d), -EINVAL);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msg[0].text, "m.conf:2: the server mode needs 'servers', the "
			    "nodes that take guests: none are listed");
	conf_release(&cf);
	diag_release(&d);

	conf_init(&cf);
	assert_int_equal(conf_parse(&cf, "m.conf", "servers = 1 z\n", 14, &d), 0);
	assert_int_equal(pool_cfg_load(&cf, "/nonexistent/pool.conf", &c, &d), -EINVAL);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msg[0].text, "m.conf:1: servers: 'z' is not a node id or a "
			    "range of ids FIRST-LAST (ids are 1..65535)");
	conf_release(&cf);
	diag_release(&d);
}

static struct pool_status eval(const struct pool_cfg *c, enum pool_mode m, uint32_t self,
			       time_t t)
{
	struct pool_status s;

	pool_eval(c, m, self, t, &s);
	return s;
}

static void test_eval_default(void **state)
{
	struct pool_status s;
	struct pool_cfg c;

	(void)state;
	cfg(&c, "mode = adaptive\n", NULL);
	assert_int_equal(c.mode, POOL_ADAPTIVE);
	/* Monday 07:59:59: still the weekend's night */
	s = eval(&c, POOL_ADAPTIVE, 1, MON + 8 * H - 1);
	assert_int_equal(s.configured, POOL_ADAPTIVE);
	assert_int_equal(s.period, POOL_NIGHT);
	assert_int_equal(s.effective, POOL_SINGLE);
	assert_true(s.guests);
	assert_string_equal(s.why, "");
	assert_int_equal(s.since, MON - 3 * DAY + 18 * H);
	assert_int_equal(s.next, MON + 8 * H);
	assert_int_equal(s.next_mode, POOL_HALF_DUPLEX);
	/* 08:00:00 sharp: the day */
	s = eval(&c, POOL_ADAPTIVE, 1, MON + 8 * H);
	assert_int_equal(s.period, POOL_DAY);
	assert_int_equal(s.effective, POOL_HALF_DUPLEX);
	assert_false(s.guests);
	assert_string_equal(s.why, "half-duplex mode");
	assert_int_equal(s.since, MON + 8 * H);
	assert_int_equal(s.next, MON + 18 * H);
	assert_int_equal(s.next_mode, POOL_SINGLE);
	/* Tuesday night, then Saturday noon: night until Monday */
	s = eval(&c, POOL_ADAPTIVE, 1, MON + DAY + 23 * H);
	assert_int_equal(s.period, POOL_NIGHT);
	assert_int_equal(s.next, MON + 2 * DAY + 8 * H);
	s = eval(&c, POOL_ADAPTIVE, 1, MON + 5 * DAY + 12 * H);
	assert_int_equal(s.period, POOL_NIGHT);
	assert_int_equal(s.effective, POOL_SINGLE);
	assert_int_equal(s.since, MON + 4 * DAY + 18 * H);
	assert_int_equal(s.next, MON + 7 * DAY + 8 * H);
	/* the running mode wins over the configured one */
	s = eval(&c, POOL_SINGLE, 1, MON + 12 * H);
	assert_int_equal(s.configured, POOL_ADAPTIVE);
	assert_int_equal(s.mode, POOL_SINGLE);
	assert_int_equal(s.effective, POOL_SINGLE);
	assert_int_equal(s.period, POOL_NO_PERIOD);
	assert_int_equal(s.next, 0);
	assert_true(s.guests);
	s = eval(&c, POOL_HALF_DUPLEX, 1, MON + 12 * H);
	assert_false(s.guests);
	pool_cfg_release(&c);
}

static void test_eval_nights(void **state)
{
	struct pool_status s;
	struct pool_cfg c;

	(void)state;
	/* the night wraps past midnight, every day; a weekend of its own */
	cfg(&c, "mode = adaptive\nservers = 1-4\n",
	    "day = 07:00\nday_mode = server\nnight = 22:00\nnight_mode = single\n");
	s = eval(&c, POOL_ADAPTIVE, 9, MON + DAY + 2 * H);
	assert_int_equal(s.period, POOL_NIGHT);
	assert_int_equal(s.since, MON + 22 * H);
	assert_int_equal(s.next, MON + DAY + 7 * H);
	assert_int_equal(s.next_mode, POOL_SERVER);
	assert_true(s.guests);
	s = eval(&c, POOL_ADAPTIVE, 9, MON + DAY + 7 * H);
	assert_int_equal(s.effective, POOL_SERVER);
	assert_false(s.guests);
	assert_string_equal(s.why, "server mode: node 9 is not a server");
	s = eval(&c, POOL_ADAPTIVE, 4, MON + DAY + 7 * H);
	assert_true(s.guests);
	pool_cfg_release(&c);

	cfg(&c, "mode = adaptive\n",
	    "day = Mon..Fri 08:00\nnight = Mon..Thu 18:00\nday_mode = single\n"
	    "night_mode = half-duplex\n");
	/* Friday's day lasts the weekend: the next night is Monday's */
	s = eval(&c, POOL_ADAPTIVE, 1, MON + 5 * DAY);
	assert_int_equal(s.period, POOL_DAY);
	assert_int_equal(s.since, MON + 4 * DAY + 8 * H);
	assert_int_equal(s.next, MON + 7 * DAY + 18 * H);
	pool_cfg_release(&c);
}

static void same_status(const struct pool_status *a, const struct pool_status *b)
{
	assert_int_equal(a->configured, b->configured);
	assert_int_equal(a->mode, b->mode);
	assert_int_equal(a->effective, b->effective);
	assert_int_equal(a->guests, b->guests);
	assert_string_equal(a->why, b->why);
	assert_int_equal(a->period, b->period);
	assert_int_equal(a->since, b->since);
	assert_int_equal(a->next, b->next);
	if (a->next)
		assert_int_equal(a->next_mode, b->next_mode);
}

static void test_status_file(void **state)
{
	struct pool_status s, back;
	struct pool_cfg c;
	char buf[512];

	(void)state;
	cfg(&c, "mode = adaptive\n", NULL);
	s = eval(&c, POOL_ADAPTIVE, 1, MON + 9 * H);
	assert_int_equal(pool_status_format(&s, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "configured=adaptive\nmode=adaptive\neffective=half-duplex\n"
			    "guests=0\nwhy=half-duplex mode\nperiod=day\nsince=1795420800\n"
			    "next=1795456800\nnext_mode=single\n");
	assert_int_equal(pool_status_parse(buf, &back), 0);
	same_status(&s, &back);
	s = eval(&c, POOL_SINGLE, 1, MON);
	assert_int_equal(pool_status_format(&s, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "configured=adaptive\nmode=single\neffective=single\n"
			    "guests=1\nwhy=\nperiod=-\nsince=0\nnext=0\nnext_mode=-\n");
	assert_int_equal(pool_status_format(&s, buf, 20), -ENOSPC);
	snprintf(buf, sizeof(buf), "mode=single\nguests=1\n");
	assert_int_equal(pool_status_parse(buf, &back), -EINVAL);
	snprintf(buf, sizeof(buf), "configured=single\nmode=single\neffective=lots\nguests=1\n");
	assert_int_equal(pool_status_parse(buf, &back), -EINVAL);
	pool_cfg_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_is_shipped),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_cfg_errors),
		cmocka_unit_test(test_eval_default),
		cmocka_unit_test(test_eval_nights),
		cmocka_unit_test(test_status_file),
	};

	return cmocka_run_group_tests_name("pool", tests, setup, NULL);
}
