// SPDX-License-Identifier: GPL-2.0-only
#include "pool.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "map.h"
#include "util.h"

/* the keys of pool.conf, in the order of enum pool_period times two */
enum { K_DAY, K_NIGHT, K_DAY_MODE, K_NIGHT_MODE, K_NR };
static const char *const pool_keys[K_NR] = { "day", "night", "day_mode", "night_mode" };

#define PERIOD_MODES "single|server|half-duplex"

int pool_mode_parse(const char *word, enum pool_mode *ret)
{
	for (unsigned m = 0; state_mode_name(m); m++)
		if (strcmp(word, state_mode_name(m)) == 0) {
			*ret = (enum pool_mode)m;
			return 0;
		}
	return -EINVAL;
}

const char *pool_period_name(enum pool_period p)
{
	return p == POOL_DAY ? "day" : p == POOL_NIGHT ? "night" : "-";
}

void pool_sched_default(struct pool_sched *ret)
{
	/* work hours: this workstation sends jobs out and takes no guests */
	*ret = (struct pool_sched){
		.start = {
			[POOL_DAY] = { .days = 0x3e, .hour = 8 },	/* Mon..Fri 08:00 */
			[POOL_NIGHT] = { .days = 0x3e, .hour = 18 },	/* Mon..Fri 18:00 */
		},
		.mode = { [POOL_DAY] = POOL_HALF_DUPLEX, [POOL_NIGHT] = POOL_SINGLE },
	};
}

static int key_index(const char *key)
{
	for (int k = 0; k < K_NR; k++)
		if (strcmp(key, pool_keys[k]) == 0)
			return k;
	return -1;
}

int pool_sched_parse(const char *name, const char *buf, size_t len, struct pool_sched *ret,
		     struct diag *d)
{
	uint32_t line[K_NR] = { 0 };
	struct pool_sched s;
	struct conf c;
	int r;

	pool_sched_default(&s);
	conf_init(&c);
	/* the syntax is mosix.conf's; the keys and values are ours */
	r = conf_parse(&c, name, buf, len, d);
	if (r == -ENOMEM)
		goto out_release;
	for (size_t i = 0; i < c.n; i++) {
		const struct conf_entry *e = &c.e[i];
		int k = key_index(e->key);

		if (k < 0) {
			diag_add(d, name, e->line, "unknown key '%s' (pool.conf has day, "
				 "day_mode, night and night_mode)", e->key);
			r = -EINVAL;
			continue;
		}
		if (line[k]) {
			diag_add(d, name, e->line, "'%s' is already set at line %u", e->key,
				 line[k]);
			r = -EINVAL;
			continue;
		}
		line[k] = e->line;
		if (k == K_DAY || k == K_NIGHT) {
			char why[160];

			if (cal_parse(e->value, &s.start[k], why, sizeof(why)) < 0) {
				diag_add(d, name, e->line, "%s: %s", e->key, why);
				r = -EINVAL;
			}
		} else {
			enum pool_mode m;

			if (pool_mode_parse(e->value, &m) < 0 || m == POOL_ADAPTIVE) {
				diag_add(d, name, e->line, "%s: '%s' is not one of " PERIOD_MODES,
					 e->key, e->value);
				r = -EINVAL;
			} else {
				s.mode[k - K_DAY_MODE] = m;
			}
		}
	}
	if (!line[K_DAY] != !line[K_NIGHT]) {
		int given = line[K_DAY] ? K_DAY : K_NIGHT;

		diag_add(d, name, line[given], "'%s' is set but '%s' is not: give both, when "
			 "the day and when the night begins", pool_keys[given],
			 pool_keys[!given]);
		r = -EINVAL;
	} else if (r == 0 && cal_collide(&s.start[POOL_DAY], &s.start[POOL_NIGHT])) {
		diag_add(d, name, line[K_NIGHT], "night fires at the same time as day (line %u): "
			 "which period follows would be ambiguous", line[K_DAY]);
		r = -EINVAL;
	}
	if (r == 0)
		*ret = s;
out_release:
	conf_release(&c);
	return r;
}

int pool_sched_load(const char *path, struct pool_sched *ret, struct diag *d)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	if (access(path, F_OK) < 0 && errno == ENOENT) {
		pool_sched_default(ret);
		return 0;
	}
	r = util_read_file(path, &buf, &len, d);
	if (r < 0)
		return r;
	r = pool_sched_parse(path, buf, len, ret, d);
	free(buf);
	return r;
}

/* A node id 1..MAP_MAX_ID at *@p, which moves past it; 0 when there is none. */
static uint32_t parse_id(const char **p)
{
	uint32_t v = 0;

	if (!isdigit((unsigned char)**p))
		return 0;
	while (isdigit((unsigned char)**p)) {
		v = v * 10 + (uint32_t)(**p - '0');
		if (v > MAP_MAX_ID)
			return 0;
		(*p)++;
	}
	return v;
}

int pool_ids_parse(const char *name, uint32_t line, const char *text, struct pool_ids *ret,
		   struct diag *d)
{
	struct pool_ids ids = { 0 };
	size_t alloc = 0;
	const char *p = text;
	int r = 0;

	for (;;) {
		size_t len;
		const char *at;
		uint32_t first, last;

		p += strspn(p, " \t,");
		if (!*p)
			break;
		at = p;
		len = strcspn(p, " \t,");
		first = parse_id(&p);
		last = first;
		if (first && *p == '-') {
			p++;
			last = parse_id(&p);
		}
		if (!first || !last || (size_t)(p - at) != len) {
			diag_add(d, name, line, "servers: '%.*s' is not a node id or a range of "
				 "ids FIRST-LAST (ids are 1..%u)", (int)len, at, MAP_MAX_ID);
			r = -EINVAL;
			p = at + len;
			continue;
		}
		if (last < first) {
			diag_add(d, name, line, "servers: the range '%.*s' goes backwards",
				 (int)len, at);
			r = -EINVAL;
			continue;
		}
		if (util_grow((void **)&ids.r, &alloc, ids.n + 1, sizeof(*ids.r)) < 0) {
			r = -ENOMEM;
			break;
		}
		ids.r[ids.n++] = (struct pool_id_range){ first, last };
	}
	if (r < 0) {
		pool_ids_release(&ids);
		return r;
	}
	*ret = ids;
	return 0;
}

bool pool_ids_has(const struct pool_ids *ids, uint32_t id)
{
	for (size_t i = 0; i < ids->n; i++)
		if (id >= ids->r[i].first && id <= ids->r[i].last)
			return true;
	return false;
}

void pool_ids_release(struct pool_ids *ids)
{
	if (!ids)
		return;
	free(ids->r);
	ids->r = NULL;
	ids->n = 0;
}

void pool_cfg_init(struct pool_cfg *c)
{
	memset(c, 0, sizeof(*c));
	pool_sched_default(&c->sched);
}

void pool_cfg_release(struct pool_cfg *c)
{
	if (!c)
		return;
	pool_ids_release(&c->servers);
	pool_cfg_init(c);
}

/* The line of the setting of @key that counts (the last), 0 if none. */
static uint32_t line_of(const struct conf *c, const char *key)
{
	for (size_t i = c->n; i-- > 0;)
		if (strcmp(c->e[i].key, key) == 0)
			return c->e[i].line;
	return 0;
}

int pool_cfg_load(const struct conf *c, const char *pool_path, struct pool_cfg *ret,
		  struct diag *d)
{
	const char *file = c->file ? c->file : "mosix.conf";
	const char *mode = conf_get(c, "mode"), *servers = conf_get(c, "servers");
	struct pool_cfg p;
	bool server_used;
	int r, ret_r = 0;

	pool_cfg_init(&p);
	if (!mode || pool_mode_parse(mode, &p.mode) < 0) {
		diag_add(d, file, line_of(c, "mode"), "mode: '%s' is not one of "
			 "single|server|half-duplex|adaptive", mode ? mode : "");
		ret_r = -EINVAL;
	}
	r = pool_ids_parse(file, line_of(c, "servers"), servers ? servers : "", &p.servers, d);
	if (r < 0)
		ret_r = r;
	r = pool_sched_load(pool_path, &p.sched, d);
	if (r < 0 && ret_r != -ENOMEM)
		ret_r = r;
	server_used = p.mode == POOL_SERVER ||
		      (p.mode == POOL_ADAPTIVE && (p.sched.mode[POOL_DAY] == POOL_SERVER ||
						   p.sched.mode[POOL_NIGHT] == POOL_SERVER));
	if (ret_r == 0 && server_used && !p.servers.n) {
		uint32_t line = line_of(c, "servers");

		diag_add(d, file, line ? line : line_of(c, "mode"), "the server mode%s needs "
			 "'servers', the nodes that take guests: none are listed",
			 p.mode == POOL_ADAPTIVE ? " (of pool.conf)" : "");
		ret_r = -EINVAL;
	}
	if (ret_r < 0) {
		pool_cfg_release(&p);
		return ret_r;
	}
	*ret = p;
	return 0;
}

void pool_eval(const struct pool_cfg *c, enum pool_mode mode, uint32_t self, time_t now,
	       struct pool_status *ret)
{
	struct pool_status s = {
		.configured = c->mode, .mode = mode, .effective = mode,
		.period = POOL_NO_PERIOD, .next_mode = mode,
	};

	if (mode == POOL_ADAPTIVE) {
		time_t day = 0, night = 0, next;
		bool has_day = cal_prev(&c->sched.start[POOL_DAY], now, &day) == 0;
		bool has_night = cal_prev(&c->sched.start[POOL_NIGHT], now, &night) == 0;
		enum pool_period p, q;

		/* the period whose beginning came last */
		p = has_day && (!has_night || day > night) ? POOL_DAY : POOL_NIGHT;
		q = p == POOL_DAY ? POOL_NIGHT : POOL_DAY;
		s.period = p;
		s.effective = c->sched.mode[p];
		s.since = p == POOL_DAY ? day : night;
		s.next_mode = s.effective;
		if (cal_next(&c->sched.start[q], now, &next) == 0) {
			s.next = next;
			s.next_mode = c->sched.mode[q];
		}
	}
	switch (s.effective) {
	case POOL_SINGLE:
	case POOL_ADAPTIVE:	/* a schedule never gives it */
		s.guests = true;
		break;
	case POOL_SERVER:
		s.guests = pool_ids_has(&c->servers, self);
		if (!s.guests)
			snprintf(s.why, sizeof(s.why), "server mode: node %" PRIu32
				 " is not a server", self);
		break;
	case POOL_HALF_DUPLEX:
		snprintf(s.why, sizeof(s.why), "half-duplex mode");
		break;
	}
	*ret = s;
}

int pool_status_format(const struct pool_status *s, char *buf, size_t size)
{
	int n;

	n = snprintf(buf, size,
		     "configured=%s\nmode=%s\neffective=%s\nguests=%d\nwhy=%s\nperiod=%s\n"
		     "since=%" PRId64 "\nnext=%" PRId64 "\nnext_mode=%s\n",
		     state_mode_name(s->configured), state_mode_name(s->mode),
		     state_mode_name(s->effective), s->guests, s->why,
		     pool_period_name(s->period), s->since, s->next,
		     s->next ? state_mode_name(s->next_mode) : "-");
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

static int parse_i64(const char *v, int64_t *ret)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno || end == v || *end || x < 0)
		return -EINVAL;
	*ret = x;
	return 0;
}

int pool_status_parse(char *buf, struct pool_status *ret)
{
	struct pool_status s = { .period = POOL_NO_PERIOD };
	unsigned seen = 0;
	char *save = NULL;

	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(l, '=');
		int r = 0;

		if (!v)
			return -EINVAL;
		*v++ = '\0';
		if (strcmp(l, "configured") == 0) {
			r = pool_mode_parse(v, &s.configured);
			seen |= 1;
		} else if (strcmp(l, "mode") == 0) {
			r = pool_mode_parse(v, &s.mode);
			seen |= 2;
		} else if (strcmp(l, "effective") == 0) {
			r = pool_mode_parse(v, &s.effective);
			seen |= 4;
		} else if (strcmp(l, "guests") == 0) {
			r = strcmp(v, "0") && strcmp(v, "1") ? -EINVAL : 0;
			s.guests = *v == '1';
			seen |= 8;
		} else if (strcmp(l, "why") == 0) {
			snprintf(s.why, sizeof(s.why), "%s", v);
		} else if (strcmp(l, "period") == 0) {
			s.period = strcmp(v, "day") == 0 ? POOL_DAY :
				   strcmp(v, "night") == 0 ? POOL_NIGHT : POOL_NO_PERIOD;
		} else if (strcmp(l, "since") == 0) {
			r = parse_i64(v, &s.since);
		} else if (strcmp(l, "next") == 0) {
			r = parse_i64(v, &s.next);
		} else if (strcmp(l, "next_mode") == 0 && strcmp(v, "-") != 0) {
			r = pool_mode_parse(v, &s.next_mode);
		}
		/* other keys: a newer daemon's, which this reader does not need */
		if (r < 0)
			return -EINVAL;
	}
	if (seen != 15)
		return -EINVAL;
	*ret = s;
	return 0;
}

int pool_status_read(const char *run_dir, struct pool_status *ret)
{
	char path[4096], buf[1024];
	ssize_t n;
	int fd, r;

	r = snprintf(path, sizeof(path), "%s/admin/%s", run_dir, POOL_STATUS_FILE);
	if (r < 0 || (size_t)r >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	/* written whole by a rename: one read sees one version */
	n = read(fd, buf, sizeof(buf) - 1);
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;
	buf[n] = '\0';
	return pool_status_parse(buf, ret);
}
