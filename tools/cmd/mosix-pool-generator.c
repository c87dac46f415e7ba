// SPDX-License-Identifier: GPL-2.0-only
/*
 * mosix-pool-generator: a systemd generator (systemd.generator(7)) that
 * turns the adaptive schedule of pool.conf into two timers, one per switch,
 * each starting mosix-pool@PERIOD.service, which runs `mosctl mode
 * adaptive`. The timers are wanted by mosix.target when mosix.conf's mode
 * is adaptive, and written in any case, so that an admin may start them.
 *
 * mosix-infod follows the schedule by itself (lib/pool.h): the timers add
 * what only mosix-migd can do, sending guests home when a period begins
 * whose mode takes none. A node booted at night starts in the night mode
 * because mosix-infod evaluates the schedule when it starts; no boot-time
 * unit is needed.
 *
 * --check prints the schedule and what holds at a time (--now) instead.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/diag.h"
#include "lib/paths.h"
#include "lib/pool.h"
#include "lib/util.h"

#define PROG "mosix-pool-generator"
#define WANTS_DIR "mosix.target.wants"

static const char usage[] =
	"usage: mosix-pool-generator NORMAL_DIR [EARLY_DIR LATE_DIR]\n"
	"       mosix-pool-generator --check [--now EPOCH_SECONDS]\n"
	"       mosix-pool-generator --help\n"
	"\n"
	"A systemd generator: writes mosix-pool-day.timer and mosix-pool-night.timer\n"
	"into NORMAL_DIR from the adaptive schedule in $MOSIX_CONFIG_DIR/pool.conf,\n"
	"wanted by mosix.target when mosix.conf's mode is adaptive. systemd runs it\n"
	"at boot and at each daemon-reload, with three directories (only the\n"
	"first is used); it may be run by hand with one.\n"
	"\n"
	"  --check     check mosix.conf and pool.conf, and print the schedule and\n"
	"              the period, mode and next switch now; write nothing\n"
	"  --now T     with --check: at T (seconds since the epoch) instead of now\n"
	"\n"
	"Exit status: 0 success, 1 invalid configuration or a file that cannot be\n"
	"written (with a message), 2 usage error.\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry '" PROG " --help'.\n");
	return 2;
}

/* mosix.conf (defaults when absent) and pool.conf; problems to @d. */
static int load(struct pool_cfg *ret, char **ret_pool_path, struct diag *d)
{
	char *conf_path = paths_config("mosix.conf"), *pool_path = paths_config(POOL_FILE);
	struct conf c;
	int r = -ENOMEM;

	conf_init(&c);
	if (!conf_path || !pool_path)
		goto out_free;
	if (access(conf_path, F_OK) == 0) {
		r = conf_load(&c, conf_path, d);
		if (r == 0)
			r = conf_check(&c, d);
		if (r < 0)
			goto out_free;
	}
	r = pool_cfg_load(&c, pool_path, ret, d);
	if (r == 0) {
		*ret_pool_path = pool_path;
		pool_path = NULL;
	}
out_free:
	conf_release(&c);
	free(conf_path);
	free(pool_path);
	return r;
}

static int write_timer(const char *dir, const char *pool_path, const struct pool_cfg *c,
		       enum pool_period p, bool wanted)
{
	const char *name = pool_period_name(p);
	char path[4096], when[64], link[4096], target[128];
	FILE *f;
	int r;

	r = cal_format(&c->sched.start[p], when, sizeof(when));
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/mosix-pool-%s.timer", dir, name);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f,
		"# Made by mosix-pool-generator from %s: edit that file, then run\n"
		"# systemctl daemon-reload && systemctl reload mosix-infod\n"
		"[Unit]\n"
		"Description=mosix pool: the %s begins (%s mode)\n"
		"Documentation=man:pool.conf(5) man:mosix-pool-generator(8)\n"
		"SourcePath=%s\n"
		"PartOf=mosix.target\n"
		"\n"
		"[Timer]\n"
		"OnCalendar=%s\n"
		"# a switch missed while the node was off is not caught up: mosix-infod\n"
		"# takes the mode of the time it starts in\n"
		"Persistent=false\n"
		"AccuracySec=1s\n"
		"Unit=mosix-pool@%s.service\n",
		pool_path, name, state_mode_name(c->sched.mode[p]), pool_path, when, name);
	/* a full disk shows in the stream's error flag, not in an errno we keep */
	if (fflush(f) != 0 || ferror(f)) {
		fclose(f);
		return -EIO;
	}
	if (fclose(f) != 0)
		return -errno;
	if (!wanted)
		return 0;
	snprintf(link, sizeof(link), "%s/" WANTS_DIR "/mosix-pool-%s.timer", dir, name);
	snprintf(target, sizeof(target), "../mosix-pool-%s.timer", name);
	/* a directory used twice (by hand) gets the link again */
	if (unlink(link) < 0 && errno != ENOENT)
		return -errno;
	return symlink(target, link) < 0 ? -errno : 0;
}

static int generate(const char *dir)
{
	struct diag d = DIAG_INIT;
	struct pool_cfg c;
	char *pool_path = NULL, wants[4096];
	bool wanted;
	int r;

	pool_cfg_init(&c);
	r = load(&c, &pool_path, &d);
	diag_print(&d, stderr, PROG);
	diag_release(&d);
	if (r < 0) {
		fprintf(stderr, PROG ": no timers for the adaptive mode: %s\n",
			r == -ENOMEM ? "out of memory" : "fix the errors above");
		return 1;
	}
	wanted = c.mode == POOL_ADAPTIVE;
	snprintf(wants, sizeof(wants), "%s/" WANTS_DIR, dir);
	if (wanted && mkdir(wants, 0755) < 0 && errno != EEXIST) {
		r = -errno;
		fprintf(stderr, PROG ": cannot create '%s': %s\n", wants, strerror(-r));
		goto out_release;
	}
	for (int p = POOL_DAY; p <= POOL_NIGHT; p++) {
		r = write_timer(dir, pool_path, &c, (enum pool_period)p, wanted);
		if (r < 0) {
			fprintf(stderr, PROG ": cannot write the %s timer in '%s': %s\n",
				pool_period_name((enum pool_period)p), dir, strerror(-r));
			goto out_release;
		}
	}
out_release:
	pool_cfg_release(&c);
	free(pool_path);
	return r < 0 ? 1 : 0;
}

static const char *local_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm) || !strftime(buf, size, "%a %Y-%m-%d %H:%M:%S %Z", &tm))
		snprintf(buf, size, "%" PRId64, t);
	return buf;
}

static int check(int64_t now)
{
	struct diag d = DIAG_INIT;
	struct pool_status s;
	struct pool_cfg c;
	char *pool_path = NULL, when[64], at[64], since[64];
	int r;

	pool_cfg_init(&c);
	r = load(&c, &pool_path, &d);
	diag_print(&d, stderr, PROG);
	diag_release(&d);
	if (r < 0)
		return 1;
	printf("%s:\n", pool_path);
	for (int p = POOL_DAY; p <= POOL_NIGHT; p++) {
		time_t next = 0;

		cal_format(&c.sched.start[p], when, sizeof(when));
		cal_next(&c.sched.start[p], (time_t)now, &next);
		printf("  %s: %s, mode %s, next %s\n", pool_period_name((enum pool_period)p),
		       when, state_mode_name(c.sched.mode[p]), local_time(next, at, sizeof(at)));
	}
	printf("mosix.conf's mode: %s (the timers are %swanted by mosix.target)\n",
	       state_mode_name(c.mode), c.mode == POOL_ADAPTIVE ? "" : "not ");
	pool_eval(&c, POOL_ADAPTIVE, 0, (time_t)now, &s);
	printf("at %s: %s, %s since %s; next switch: %s at %s\n",
	       local_time(now, at, sizeof(at)), pool_period_name(s.period),
	       state_mode_name(s.effective), local_time(s.since, since, sizeof(since)),
	       state_mode_name(s.next_mode), local_time(s.next, when, sizeof(when)));
	pool_cfg_release(&c);
	free(pool_path);
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *dirs[3] = { NULL, NULL, NULL };
	bool do_check = false;
	int64_t now = 0;
	int ndirs = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (strcmp(a, "--check") == 0) {
			do_check = true;
		} else if (strcmp(a, "--now") == 0 || strncmp(a, "--now=", 6) == 0) {
			int64_t t;

			if (a[5] == '=')
				val = a + 6;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return usage_error("option '%s' needs an argument", a);
			if (util_parse_epoch(val, &t))
				return usage_error("invalid time '%s' (seconds since the epoch)", val);
			now = t;
		} else if (a[0] == '-') {
			return usage_error("unknown option '%s'", a);
		} else if (ndirs < 3) {
			dirs[ndirs++] = a;
		} else {
			return usage_error("too many directories: '%s'", a);
		}
	}
	if (do_check) {
		if (ndirs)
			return usage_error("--check writes nothing: no directory, not '%s'",
					   dirs[0]);
		return check(now ? now : (int64_t)time(NULL));
	}
	if (now)
		return usage_error("%s", "--now goes with --check");
	if (ndirs != 1 && ndirs != 3)
		return usage_error("%s", "expected one output directory, or the three "
				   "systemd gives generators");
	return generate(dirs[0]);
}
