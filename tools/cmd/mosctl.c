// SPDX-License-Identifier: GPL-2.0-only
/*
 * mosctl: the MOSIX administration verbs. Questions about nodes are
 * answered from mosix-infod's snapshot ($MOSIX_RUN_DIR/cluster) and the
 * active map; changes of this node's policy go to mosix-infod over its
 * control socket (ctl.h), which checks that the caller may make them.
 */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "engine/mig_client.h"
#include "engine/mig_probe.h"
#include "lib/addr.h"
#include "lib/cpufeat.h"
#include "lib/ctl.h"
#include "lib/diag.h"
#include "lib/key.h"
#include "lib/map.h"
#include "lib/nodefmt.h"
#include "lib/paths.h"
#include "lib/pool.h"
#include "lib/state.h"
#include "lib/util.h"

#define CTL_TIMEOUT_MS 5000
/* the decay intervals mosix-infod takes */
#define DECAY_MIN_MS 10u
#define DECAY_MAX_MS 60000u
/* most addresses one host name may give, for lookups */
#define MAX_HOST_ADDRS 16

static const char usage[] =
	"usage: mosctl COMMAND [ARG...]\n"
	"\n"
	"About the nodes (NODE: an id, address or host name; default this node):\n"
	"  status [--json] [NODE]   every node (or one): id, address, state, load,\n"
	"                           cpus, speed, utilisation, memory, guests, age\n"
	"                           of the information, flags\n"
	"  whois [NODE]             an id's address, or an address's or host's id,\n"
	"                           from the active map; alone: this node's id\n"
	"  getload [NODE]           load (1.00 = one fully busy reference CPU)\n"
	"  getspeed [NODE]          speed (10000 = the reference CPU)\n"
	"  getmem [NODE]            memory free for guest processes, in bytes\n"
	"  getfree [NODE]           raw free memory, in bytes\n"
	"  getutil [NODE]           CPU utilisation, in percent\n"
	"  isup [NODE]              print 'up' (exit 0) or 'down' (exit 1)\n"
	"\n"
	"This node's policy (root; mosix-infod must run):\n"
	"  block | noblock          refuse | accept guest processes\n"
	"  stay | nostay            keep local processes | let them migrate\n"
	"                           automatically\n"
	"  lstay | nolstay          keep local processes, even from manual\n"
	"                           migration | let them go\n"
	"  quiet | noquiet          stop | resume telling other nodes about this one\n"
	"  setspeed N               set this node's speed (10000 = reference CPU)\n"
	"  setdecay INTERVAL SLOW FAST\n"
	"                           every INTERVAL seconds (0.01..60, or as\n"
	"                           INTERVALms) keep\n"
	"                           SLOW/1000 of slow-decaying and FAST/1000 of\n"
	"                           fast-decaying process statistics\n"
	"  mode single|server|half-duplex|adaptive [--now EPOCH_SECONDS]\n"
	"                           run in this pool mode (until mosix.conf's mode\n"
	"                           changes or mosix-infod restarts); when it takes\n"
	"                           no guests now, send the guests home; --now\n"
	"                           (tests) sets the adaptive schedule's clock\n"
	"  mode                     show the pool mode (anyone)\n"
	"\n"
	"Other:\n"
	"  genkey                   create the cluster key $MOSIX_CONFIG_DIR/secret\n"
	"                           (never replaces one)\n"
	"  check                    try the kernel features process migration uses:\n"
	"                           one line each; exit 0 if every required one works\n"
	"  expel | bring            send guests home and block | bring own processes\n"
	"                           home and lstay, waiting until done\n"
	"  away                     count this node's processes away and its guests;\n"
	"                           exit 0 when none, 1 when some, 3 when\n"
	"                           mosix-migd does not run\n"
	"  --help                   this text\n"
	"\n"
	"Exit status: 0 success, 1 failure (with a message), 2 usage error.\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "mosctl: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'mosctl --help'.\n");
	return 2;
}

static void print_diag(struct diag *d)
{
	diag_print(d, stderr, "mosctl");
	diag_release(d);
}

static uint64_t realtime_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

/* A node id: 0 and the id, -EINVAL when @s is no number, -ERANGE out of range. */
static int parse_id(const char *s, uint32_t *ret)
{
	unsigned long v = 0;

	if (!*s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > MAP_MAX_ID)
			return -ERANGE;
	}
	if (v == 0)
		return -ERANGE;
	*ret = (uint32_t)v;
	return 0;
}

/*
 * The addresses of @name: itself when numeric, else what the resolver
 * says. Returns how many (at most @max), or -ENOENT (reported).
 */
static int resolve(const char *name, struct mosix_addr *ret, int max)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM };
	struct addrinfo *res, *ai;
	int n = 0, r;

	if (addr_parse(name, &ret[0]) == 0)
		return 1;
	r = getaddrinfo(name, NULL, &hints, &res);
	if (r) {
		fprintf(stderr, "mosctl: cannot resolve '%s': %s\n", name, gai_strerror(r));
		return -ENOENT;
	}
	for (ai = res; ai && n < max; ai = ai->ai_next)
		if (addr_from_sockaddr(ai->ai_addr, &ret[n]) == 0)
			n++;
	freeaddrinfo(res);
	if (!n) {
		fprintf(stderr, "mosctl: '%s' has no IPv4 or IPv6 address\n", name);
		return -ENOENT;
	}
	return n;
}

/* The active map, $MOSIX_RUN_DIR/mosix.map; reports why when there is none. */
static int load_active_map(struct mosix_map *m, char **ret_path)
{
	struct diag d = DIAG_INIT;
	char *path = paths_run("mosix.map");
	int r;

	if (!path) {
		fprintf(stderr, "mosctl: out of memory\n");
		return -ENOMEM;
	}
	if (access(path, F_OK) < 0) {
		r = -errno;
		fprintf(stderr, "mosctl: no active map: cannot open '%s': %s "
			"(install one with setpe -w)\n", path, strerror(errno));
		free(path);
		return r;
	}
	r = map_load(m, path, 0, &d);
	print_diag(&d);
	if (r < 0) {
		free(path);
		return r;
	}
	*ret_path = path;
	return 0;
}

/* Read the snapshot; reports why when there is none. */
static int load_state(struct cluster_state *s)
{
	struct diag d = DIAG_INIT;
	const char *run = paths_run_dir();
	int r;

	cluster_state_init(s);
	r = cluster_state_read(run, s, &d);
	print_diag(&d);
	if (r == -ENOENT)
		fprintf(stderr, "mosctl: mosix-infod is not running: no '%s/%s'\n", run,
			STATE_FILE);
	else if (r < 0)
		fprintf(stderr, "mosctl: cannot read '%s/%s': %s\n", run, STATE_FILE,
			strerror(-r));
	return r;
}

/*
 * The id NODE names: a number, or an address or host name found among the
 * snapshot's nodes or, for aliases, in the active map. NULL: this node.
 * Returns 0, 1 (failure, reported) or 2 (usage, reported).
 */
static int node_arg(const char *arg, const struct cluster_state *s, uint32_t *ret)
{
	struct mosix_addr a[MAX_HOST_ADDRS];
	struct mosix_map m;
	char *path = NULL;
	int n, r;

	if (!arg) {
		if (!s->self) {
			fprintf(stderr, "mosctl: mosix-infod does not know which node this "
				"is (see setpe -w and -p)\n");
			return 1;
		}
		*ret = s->self;
		return 0;
	}
	r = parse_id(arg, ret);
	if (r == 0)
		return 0;
	if (r == -ERANGE)
		return usage_error("invalid node id '%s' (ids are 1..65535)", arg);
	n = resolve(arg, a, MAX_HOST_ADDRS);
	if (n < 0)
		return 1;
	for (int i = 0; i < n; i++)
		for (size_t k = 0; k < s->n; k++)
			if (addr_cmp(&a[i], &s->node[k].addr) == 0) {
				*ret = s->node[k].id;
				return 0;
			}
	/* an alias is only in the map; without one, the snapshot is all we have */
	*ret = 0;
	path = paths_run("mosix.map");
	if (path && map_load(&m, path, 0, NULL) == 0) {
		for (int i = 0; i < n && !*ret; i++)
			*ret = map_id_of(&m, &a[i]);
		map_release(&m);
	}
	free(path);
	if (*ret)
		return 0;
	fprintf(stderr, "mosctl: '%s' is not a node of the cluster\n", arg);
	return 1;
}

/* Why there is no entry for node @id in the snapshot. */
static void explain_missing(uint32_t id)
{
	struct mosix_map m;
	char *path = paths_run("mosix.map");
	bool mapped = false;

	if (path && map_load(&m, path, 0, NULL) == 0) {
		mapped = map_has_id(&m, id);
		map_release(&m);
	}
	if (mapped)
		fprintf(stderr, "mosctl: node %u: no information (never heard from)\n", id);
	else
		fprintf(stderr, "mosctl: node %u is not in the cluster map%s%s%s\n", id,
			path ? " '" : "", path ? path : "", path ? "'" : "");
	free(path);
}

static void json_node(const struct cluster_state *s, const struct node_state *n,
		      uint64_t now, bool comma)
{
	static const struct {
		uint16_t bit;
		const char *name;
	} flags[] = {
		{ GV_BLOCKED, "blocked" }, { GV_STAY, "stay" }, { GV_LSTAY, "lstay" },
		{ GV_QUIET, "quiet" }, { GV_SWAPPING, "swapping" }, { GV_OFF, "off" },
		{ GV_NOGUESTS, "noguests" },
	};
	char addr[ADDR_STRLEN];
	const char *sep = "";

	printf("    {\"id\": %" PRIu32 ", \"address\": \"%s\", \"self\": %s, "
	       "\"up\": %s, \"state\": \"%s\", \"age_ms\": %" PRIu64 ",\n",
	       n->id, addr_format(&n->addr, addr), n->id == s->self ? "true" : "false",
	       n->up ? "true" : "false", nodefmt_state(n), nodefmt_age_now(s, n, now));
	printf("     \"cpus\": %u, \"speed\": %" PRIu32 ", \"load\": %" PRIu32
	       ".%02" PRIu32 ", \"util_percent\": %" PRIu32 ".%" PRIu32 ",\n",
	       (unsigned)n->v.cpus, n->v.speed, n->v.load / 100, n->v.load % 100,
	       n->v.util / 10, n->v.util % 10);
	printf("     \"tmem_bytes\": %" PRIu64 ", \"mem_bytes\": %" PRIu64
	       ", \"rmem_bytes\": %" PRIu64 ",\n",
	       n->v.tmem * NODEFMT_PAGE, n->v.mem * NODEFMT_PAGE, n->v.rmem * NODEFMT_PAGE);
	printf("     \"guests\": %u, \"local\": %" PRIu32 ", \"flags\": [",
	       (unsigned)n->v.guests, n->v.local);
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (n->v.flags & flags[i].bit) {
			printf("%s\"%s\"", sep, flags[i].name);
			sep = ", ";
		}
	}
	printf("]}%s\n", comma ? "," : "");
}

/* "2026-11-23 18:00:00 CET", local time */
static const char *local_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M:%S %Z", &tm))
		snprintf(buf, size, "%" PRId64, t);
	return buf;
}

/*
 * This node's pool mode in one line: the running mode (and mosix.conf's
 * when mosctl mode changed it), in adaptive mode the mode of the period
 * now, why it takes no guests, and the next switch.
 */
static void print_pool(const struct pool_status *p)
{
	char at[64];

	printf("mode: %s", state_mode_name(p->mode));
	if (p->mode != p->configured)
		printf(" (set by mosctl mode; mosix.conf: %s)", state_mode_name(p->configured));
	if (p->mode == POOL_ADAPTIVE)
		printf(", now %s (%s since %s)", state_mode_name(p->effective),
		       pool_period_name(p->period), local_time(p->since, at, sizeof(at)));
	if (!p->guests)
		printf(", takes no guests (%s)", p->why);
	if (p->next)
		printf("; next switch: %s at %s (%" PRId64 ")", state_mode_name(p->next_mode),
		       local_time(p->next, at, sizeof(at)), p->next);
	printf("\n");
}

static void json_pool(const struct pool_status *p)
{
	printf("  \"pool\": {\"configured\": \"%s\", \"mode\": \"%s\", \"effective\": \"%s\", "
	       "\"guests\": %s, \"why\": \"%s\", \"period\": \"%s\", \"since\": %" PRId64
	       ", \"next\": %" PRId64 ", \"next_mode\": \"%s\"},\n",
	       state_mode_name(p->configured), state_mode_name(p->mode),
	       state_mode_name(p->effective), p->guests ? "true" : "false", p->why,
	       pool_period_name(p->period), p->since, p->next,
	       p->next ? state_mode_name(p->next_mode) : "-");
}

static int cmd_status(int argc, char **argv)
{
	struct pool_status pool;
	bool has_pool;
	struct cluster_state s;
	const struct node_state *one = NULL;
	const char *node = NULL;
	bool json = false;
	uint64_t now;
	int ret = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (argv[i][0] == '-')
			return usage_error("unknown option '%s' of status", argv[i]);
		else if (!node)
			node = argv[i];
		else
			return usage_error("status takes one NODE at most, not also '%s'", argv[i]);
	}
	if (load_state(&s) < 0)
		return 1;
	if (node) {
		uint32_t id = 0;

		ret = node_arg(node, &s, &id);
		if (ret)
			goto out_release;
		one = cluster_state_find(&s, id);
		if (!one) {
			explain_missing(id);
			ret = 1;
			goto out_release;
		}
	}
	now = realtime_ms();
	/* the mode is this node's: shown with the whole table or this node */
	has_pool = (!one || one->id == s.self) &&
		   pool_status_read(paths_run_dir(), &pool) == 0;
	if (json) {
		printf("{\n  \"self\": %" PRIu32 ",\n  \"time_ms\": %" PRIu64 ",\n", s.self,
		       s.now_ms);
		if (has_pool)
			json_pool(&pool);
		printf("  \"nodes\": [\n");
		for (size_t i = 0; i < s.n; i++) {
			const struct node_state *n = &s.node[i];

			if (one && n != one)
				continue;
			json_node(&s, n, now, !one && i + 1 < s.n);
		}
		printf("  ]\n}\n");
	} else {
		int w = nodefmt_addr_width(&s);
		char row[256], flags[64];

		printf("%s FLAGS\n", nodefmt_header(w, row, sizeof(row)));
		for (size_t i = 0; i < s.n; i++) {
			const struct node_state *n = &s.node[i];

			if (one && n != one)
				continue;
			printf("%s %s\n",
			       nodefmt_row(n, n->id == s.self, nodefmt_age_now(&s, n, now), w,
					   row, sizeof(row)),
			       nodefmt_flags(n->v.flags, false, flags, sizeof(flags)));
		}
		if (has_pool)
			print_pool(&pool);
	}
	ret = fflush(stdout) == 0 ? 0 : 1;
out_release:
	cluster_state_release(&s);
	return ret;
}

enum figure { FIG_LOAD, FIG_SPEED, FIG_MEM, FIG_FREE, FIG_UTIL, FIG_UP };

static int cmd_get(enum figure fig, int argc, char **argv)
{
	struct cluster_state s;
	const struct node_state *n;
	char age[NODEFMT_FIELD];
	uint32_t id = 0;
	int ret;

	if (argc > 2)
		return usage_error("'%s' takes one NODE at most", argv[0]);
	if (load_state(&s) < 0)
		return 1;
	ret = node_arg(argc > 1 ? argv[1] : NULL, &s, &id);
	if (ret)
		goto out_release;
	ret = 1;
	n = cluster_state_find(&s, id);
	if (fig == FIG_UP) {
		/* a node that left the cluster takes no part: down */
		bool up = n && n->up && !(n->v.flags & GV_OFF);

		if (!n)
			explain_missing(id);
		printf("%s\n", up ? "up" : "down");
		ret = up ? 0 : 1;
		goto out_release;
	}
	if (!n) {
		explain_missing(id);
		goto out_release;
	}
	if (!n->up) {
		fprintf(stderr, "mosctl: node %u is down (last heard from %s ago)\n", id,
			nodefmt_age(nodefmt_age_now(&s, n, realtime_ms()), age, sizeof(age)));
		goto out_release;
	}
	switch (fig) {
	case FIG_LOAD:
		printf("%" PRIu32 ".%02" PRIu32 "\n", n->v.load / 100, n->v.load % 100);
		break;
	case FIG_SPEED:
		printf("%" PRIu32 "\n", n->v.speed);
		break;
	case FIG_MEM:
		printf("%" PRIu64 "\n", n->v.mem * NODEFMT_PAGE);
		break;
	case FIG_FREE:
		printf("%" PRIu64 "\n", n->v.rmem * NODEFMT_PAGE);
		break;
	case FIG_UTIL:
		printf("%" PRIu32 ".%" PRIu32 "\n", n->v.util / 10, n->v.util % 10);
		break;
	case FIG_UP:
		break;
	}
	ret = 0;
out_release:
	cluster_state_release(&s);
	return ret;
}

/* This node's id without mosix-infod: setpe -p's choice, or the addresses. */
static int self_from_map(const struct mosix_map *m, const char *map_path,
			 uint32_t *ret)
{
	char *path = paths_run("self-id");
	FILE *f;
	int r;

	if (!path)
		return -ENOMEM;
	f = fopen(path, "re");
	free(path);
	if (f) {
		char line[32];
		bool got = fgets(line, sizeof(line), f);

		fclose(f);
		if (got) {
			line[strcspn(line, "\n")] = '\0';
			if (parse_id(line, ret) == 0)
				return 0;
		}
	}
	r = map_find_self(m, ret);
	if (r == -ENOENT)
		fprintf(stderr, "mosctl: this node is not in '%s': none of its addresses "
			"is listed (see setpe -p)\n", map_path);
	else if (r == -ENOTUNIQ)
		fprintf(stderr, "mosctl: this node is ambiguous in '%s': addresses of "
			"several nodes are local (see setpe -p)\n", map_path);
	else if (r < 0)
		fprintf(stderr, "mosctl: cannot find this node's id: %s\n", strerror(-r));
	return r;
}

static int cmd_whois(int argc, char **argv)
{
	struct mosix_addr a[MAX_HOST_ADDRS];
	char buf[ADDR_STRLEN];
	struct mosix_map m;
	char *path = NULL;
	uint32_t id = 0;
	int n, ret = 1;

	if (argc > 2)
		return usage_error("%s", "whois takes one NODE at most");
	if (argc > 1) {
		int r = parse_id(argv[1], &id);

		if (r == -ERANGE)
			return usage_error("invalid node id '%s' (ids are 1..65535)", argv[1]);
	}
	if (load_active_map(&m, &path) < 0)
		return 1;
	if (argc == 1) {
		struct cluster_state s;

		/* mosix-infod's view first: it is what the cluster knows */
		cluster_state_init(&s);
		if (cluster_state_read(paths_run_dir(), &s, NULL) == 0 && s.self)
			id = s.self;
		cluster_state_release(&s);
		if (id || self_from_map(&m, path, &id) == 0) {
			printf("%u\n", id);
			ret = 0;
		}
	} else if (id) {
		if (map_addr_of(&m, id, &a[0]) == 0) {
			printf("%s\n", addr_format(&a[0], buf));
			ret = 0;
		} else {
			fprintf(stderr, "mosctl: node %u is not in the active map '%s'\n",
				id, path);
		}
	} else {
		n = resolve(argv[1], a, MAX_HOST_ADDRS);
		for (int i = 0; i < n && !id; i++)
			id = map_id_of(&m, &a[i]);
		if (id) {
			printf("%u\n", id);
			ret = 0;
		} else if (n > 0) {
			fprintf(stderr, "mosctl: '%s' is not in the active map '%s'\n",
				argv[1], path);
		}
	}
	map_release(&m);
	free(path);
	return ret;
}

/* Send @request to this node's mosix-infod; @verb names it in messages. */
#define EVACUATE_MS 60000
#define EVACUATE_S "60"		/* the same, for messages */

static int send_ctl_reply(const char *verb, const char *request, char *reply, size_t size)
{
	const char *run = paths_run_dir();
	int r;

	r = ctl_request(run, request, CTL_TIMEOUT_MS, reply, size);
	if (r == 0)
		return 0;
	if (r == -ENOENT || r == -ECONNREFUSED)
		fprintf(stderr, "mosctl: %s: mosix-infod is not running (no '%s/%s')\n",
			verb, run, CTL_SOCKET);
	else if (r == -ETIMEDOUT)
		fprintf(stderr, "mosctl: %s: mosix-infod did not answer within %d s\n",
			verb, CTL_TIMEOUT_MS / 1000);
	else if (r == -EACCES || r == -EPERM)
		fprintf(stderr, "mosctl: %s: %s (only root may change this node's policy)\n",
			verb, *reply ? reply : strerror(-r));
	else
		fprintf(stderr, "mosctl: %s: %s\n", verb, *reply ? reply : strerror(-r));
	return 1;
}

static int send_ctl(const char *verb, const char *request)
{
	char reply[CTL_MAX_MSG + 1];

	return send_ctl_reply(verb, request, reply, sizeof(reply));
}

/* A decimal within [min, max]; -EINVAL otherwise. */
static int parse_uint(const char *s, uint32_t min, uint32_t max, uint32_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > max)
			return -EINVAL;
	}
	if (v < min)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

/* "2", "0.5" (seconds, up to 3 decimals) or "500ms", into milliseconds. */
static int parse_interval(const char *s, uint32_t *ret_ms)
{
	size_t len = strlen(s);

	if (len > 2 && strcmp(s + len - 2, "ms") == 0) {
		char num[16];

		if (len - 2 >= sizeof(num))
			return -EINVAL;
		memcpy(num, s, len - 2);
		num[len - 2] = '\0';
		return parse_uint(num, DECAY_MIN_MS, DECAY_MAX_MS, ret_ms);
	}
	return util_parse_seconds(s, DECAY_MIN_MS, DECAY_MAX_MS, ret_ms);
}

static int cmd_setspeed(int argc, char **argv)
{
	char req[64];
	uint32_t speed;

	if (argc != 2)
		return usage_error("%s", "usage: mosctl setspeed N");
	if (parse_uint(argv[1], 1, 1000000, &speed) < 0)
		return usage_error("invalid speed '%s' (1..1000000; 10000 is the "
				   "reference CPU)", argv[1]);
	snprintf(req, sizeof(req), "setspeed %" PRIu32, speed);
	return send_ctl("setspeed", req);
}

static int cmd_setdecay(int argc, char **argv)
{
	uint32_t ms, slow, fast;
	char req[96];

	if (argc != 4)
		return usage_error("%s", "usage: mosctl setdecay INTERVAL SLOW FAST");
	if (parse_interval(argv[1], &ms) < 0)
		return usage_error("invalid interval '%s' (seconds, as 2 or 0.5, or "
				   "milliseconds as 500ms; 0.01 to 60 seconds)", argv[1]);
	if (parse_uint(argv[2], 1, 1000, &slow) < 0)
		return usage_error("invalid SLOW '%s' (per mille kept, 1..1000)", argv[2]);
	if (parse_uint(argv[3], 1, 1000, &fast) < 0)
		return usage_error("invalid FAST '%s' (per mille kept, 1..1000)", argv[3]);
	snprintf(req, sizeof(req), "setdecay %" PRIu32 " %" PRIu32 " %" PRIu32, ms,
		 slow, fast);
	return send_ctl("setdecay", req);
}

static int cmd_genkey(int argc, char **argv)
{
	const char *dir = paths_config_dir();
	struct diag d = DIAG_INIT;
	char *path;
	int r;

	(void)argv;
	if (argc != 1)
		return usage_error("%s", "genkey takes no argument (it never replaces a key)");
	path = paths_config("secret");
	if (!path) {
		fprintf(stderr, "mosctl: out of memory\n");
		return 1;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "mosctl: cannot create '%s': %s\n", dir, strerror(errno));
		free(path);
		return 1;
	}
	r = key_generate(path, &d);
	if (r == -EEXIST) {
		diag_release(&d);
		fprintf(stderr, "mosctl: the cluster key '%s' already exists; genkey never "
			"replaces it (remove it first to make a new one, then copy the new "
			"one to every node)\n", path);
	} else {
		print_diag(&d);
	}
	if (r == 0)
		printf("mosctl: new cluster key '%s' (mode 0600): copy it to every node\n",
		       path);
	free(path);
	return r < 0 ? 1 : 0;
}

/* mosctl check: the probe, one line per feature, then the verdict */
static int cmd_check(int argc, char **argv)
{
	int width = 0, req = 0, req_missing = 0, opt = 0, opt_missing = 0, r;
	struct mig_features f;
	char kernel[256];

	(void)argv;
	if (argc != 1)
		return usage_error("%s", "check takes no argument");
	r = mig_probe(&f);
	if (r < 0) {
		fprintf(stderr, "mosctl: check: cannot probe the kernel: %s\n", strerror(-r));
		return 1;
	}
	/* module or patched kernel, and what the tools use of it */
	kmosix_describe(&f.kmosix, kernel, sizeof(kernel));
	for (int i = 0; i < MIG_F_NR; i++) {
		int len = (int)strlen(mig_feature_info(i)->name);

		if (len > width)
			width = len;
	}
	for (int i = 0; i < MIG_F_NR; i++) {
		const struct mig_feature_info *fi = mig_feature_info(i);

		printf("%-*s  ", width, fi->name);
		if (fi->required)
			req++;
		else
			opt++;
		if (mig_has(&f, i)) {
			printf("ok");
			if (i == MIG_F_XSTATE)
				printf(" (%" PRIu32 " bytes, XCR0 %#" PRIx64 ")", f.xstate_size, f.xcr0);
			if (i == MIG_F_MOSIX_KERNEL)
				printf(" (%s)", kernel);
			printf("\n");
		} else if (fi->required) {
			req_missing++;
			printf("missing: needed for %s (%s)\n", fi->use, strerror(-f.err[i]));
		} else {
			opt_missing++;
			printf("optional, missing: %s", fi->use);
			/* there, but of an interface these tools do not know */
			if (i == MIG_F_MOSIX_KERNEL && f.kmosix.present)
				printf(" (%s)", kernel);
			printf("\n");
		}
	}
	{
		/* what a node must have to take this node's processes */
		char names[2048];

		cpufeat_names(cpufeat_local(), names, sizeof(names));
		printf("%-*s  ok (%s)\n", width, "CPU features (other nodes need them)", names);
	}
	if (req_missing)
		printf("mosctl check: %d of %d required kernel features missing: this node "
		       "cannot migrate processes\n", req_missing, req);
	else
		printf("mosctl check: all %d required kernel features work; %d of %d "
		       "optional ones missing\n", req, opt_missing, opt);
	if (fflush(stdout) != 0)
		return 1;
	return mig_features_sufficient(&f) ? 0 : 1;
}

/* Each process that said why it cannot leave (migd's "stays"), a line each. */
static void print_stays(const char *verb, const struct mig_evacuation *ev)
{
	const char *p = ev->why;

	while (*p) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);

		fprintf(stderr, "mosctl: %s: %.*s\n", verb, len, p);
		p += len + (nl != NULL);
	}
}

/*
 * expel: block (no new guests), then send every guest home; bring: every
 * process of this node comes home, then lstay keeps them here. Both wait
 * until done and say what could not move.
 */
static int cmd_evacuate(const char *verb)
{
	bool expel = !strcmp(verb, "expel");
	const char *run = paths_run_dir();
	struct mig_evacuation ev;
	int r;

	if (expel && send_ctl(verb, "block"))
		fprintf(stderr, "mosctl: expel: guests are sent home anyway\n");
	r = mig_client_evacuate(run, verb, EVACUATE_MS, &ev);
	if (r == -ENOENT || r == -ECONNREFUSED) {
		fprintf(stderr, "mosctl: %s: mosix-migd is not running (no '%s/migd.sock')\n",
			verb, run);
		return 1;
	}
	if (r) {
		fprintf(stderr, "mosctl: %s: %s\n", verb,
			r == -EPERM ? "only root may do this" : strerror(-r));
		return 1;
	}
	if (ev.left) {
		print_stays(verb, &ev);
		fprintf(stderr, "mosctl: %s: %u %s could not %s%s\n", verb, ev.left,
			ev.left == 1 ? "process" : "processes", expel ? "be sent home" : "come home",
			ev.stay >= ev.left ? "" : " within " EVACUATE_S " s");
		return 1;
	}
	return expel ? 0 : send_ctl(verb, "lstay");
}

/*
 * mode WORD: mosix-infod switches (and answers with admin/pool's text);
 * when the new mode takes no guests, mosix-migd sends them home, as
 * expel does, without blocking the node: the mode refuses new ones.
 * mode alone: admin/pool, for anyone.
 */
static int cmd_mode(int argc, char **argv)
{
	const char *run = paths_run_dir(), *word = NULL, *now = NULL;
	char req[96], reply[CTL_MAX_MSG + 1];
	struct pool_status p;
	struct mig_evacuation ev;
	enum pool_mode m;
	int r;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--now") == 0 && i + 1 < argc)
			now = argv[++i];
		else if (strncmp(argv[i], "--now=", 6) == 0)
			now = argv[i] + 6;
		else if (argv[i][0] == '-')
			return usage_error("unknown option '%s' of mode", argv[i]);
		else if (!word)
			word = argv[i];
		else
			return usage_error("mode takes one mode, not also '%s'", argv[i]);
	}
	if (!word) {
		if (now)
			return usage_error("%s", "--now needs a mode: mode WORD --now EPOCH_SECONDS");
		r = pool_status_read(run, &p);
		if (r < 0) {
			fprintf(stderr, "mosctl: mode: %s '%s/admin/%s'%s\n",
				r == -ENOENT ? "mosix-infod is not running: no" : "cannot read",
				run, POOL_STATUS_FILE, r == -ENOENT ? "" : " (mosix-infod too old?)");
			return 1;
		}
		print_pool(&p);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (pool_mode_parse(word, &m) < 0)
		return usage_error("unknown mode '%s' (single, server, half-duplex or adaptive)",
				   word);
	if (now) {
		uint32_t t;

		if (parse_uint(now, 1, UINT32_MAX, &t) < 0)
			return usage_error("invalid time '%s' (seconds since the epoch)", now);
		snprintf(req, sizeof(req), "mode %s %" PRIu32, word, t);
	} else {
		snprintf(req, sizeof(req), "mode %s", word);
	}
	if (send_ctl_reply("mode", req, reply, sizeof(reply)))
		return 1;
	if (pool_status_parse(reply, &p) < 0) {
		fprintf(stderr, "mosctl: mode: mosix-infod switched, but its answer is not "
			"understood (another version?)\n");
		return 1;
	}
	print_pool(&p);
	if (p.guests)
		return fflush(stdout) == 0 ? 0 : 1;
	r = mig_client_evacuate(run, "expel", EVACUATE_MS, &ev);
	if (r == -ENOENT || r == -ECONNREFUSED) {
		printf("no guests to send home: mosix-migd is not running\n");
	} else if (r) {
		fprintf(stderr, "mosctl: mode: cannot send the guests home: %s\n",
			r == -EPERM ? "only root may do this" : strerror(-r));
		return 1;
	} else if (ev.left) {
		print_stays("mode", &ev);
		fprintf(stderr, "mosctl: mode: %u of %u %s could not be sent home%s\n",
			ev.left, ev.asked, ev.asked == 1 ? "guest" : "guests",
			ev.stay >= ev.left ? "" : " within " EVACUATE_S " s");
		return 1;
	} else if (!ev.asked) {
		printf("no guests to send home\n");
	} else {
		printf("%u %s sent home\n", ev.asked, ev.asked == 1 ? "guest" : "guests");
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

/*
 * What mosix-migd serves now: this node's processes away and the guests
 * here. Exit 0 when there are none (a restart of mosix-migd loses
 * nothing), 1 when there are, 3 when mosix-migd does not run: the
 * package's postinst asks before it restarts the daemon.
 */
static int cmd_away(void)
{
	unsigned dep = 0, guests = 0;
	int r = mig_client_count(paths_run_dir(), &dep, &guests);

	if (r == -ENOENT || r == -ECONNREFUSED) {
		printf("mosix-migd is not running\n");
		return 3;
	}
	if (r) {
		fprintf(stderr, "mosctl: away: cannot ask mosix-migd: %s\n", strerror(-r));
		return 1;
	}
	printf("%u %s of this node away, %u %s here\n", dep,
	       dep == 1 ? "process" : "processes", guests, guests == 1 ? "guest" : "guests");
	if (fflush(stdout))
		return 1;
	return dep || guests ? 1 : 0;
}

struct command {
	const char *name;
	/* the control request of a policy verb; NULL for the others */
	const char *request;
	enum {
		C_POLICY, C_STATUS, C_WHOIS, C_GET, C_SETSPEED, C_SETDECAY, C_GENKEY,
		C_CHECK, C_EVACUATE, C_MODE, C_AWAY,
	} kind;
	enum figure fig;
};

static const struct command commands[] = {
	{ "block", "block", C_POLICY, 0 },
	{ "noblock", "noblock", C_POLICY, 0 },
	{ "-block", "noblock", C_POLICY, 0 },
	{ "stay", "stay", C_POLICY, 0 },
	{ "nostay", "nostay", C_POLICY, 0 },
	{ "-stay", "nostay", C_POLICY, 0 },
	{ "lstay", "lstay", C_POLICY, 0 },
	{ "nolstay", "nolstay", C_POLICY, 0 },
	{ "-lstay", "nolstay", C_POLICY, 0 },
	{ "quiet", "quiet", C_POLICY, 0 },
	{ "noquiet", "noquiet", C_POLICY, 0 },
	{ "-quiet", "noquiet", C_POLICY, 0 },
	{ "status", NULL, C_STATUS, 0 },
	{ "whois", NULL, C_WHOIS, 0 },
	{ "getload", NULL, C_GET, FIG_LOAD },
	{ "getspeed", NULL, C_GET, FIG_SPEED },
	{ "getmem", NULL, C_GET, FIG_MEM },
	{ "getfree", NULL, C_GET, FIG_FREE },
	{ "getutil", NULL, C_GET, FIG_UTIL },
	{ "isup", NULL, C_GET, FIG_UP },
	{ "setspeed", NULL, C_SETSPEED, 0 },
	{ "setdecay", NULL, C_SETDECAY, 0 },
	{ "genkey", NULL, C_GENKEY, 0 },
	{ "check", NULL, C_CHECK, 0 },
	{ "expel", NULL, C_EVACUATE, 0 },
	{ "bring", NULL, C_EVACUATE, 0 },
	{ "mode", NULL, C_MODE, 0 },
	{ "away", NULL, C_AWAY, 0 },
};

int main(int argc, char **argv)
{
	const struct command *c = NULL;

	if (argc < 2)
		return usage_error("%s", "no command given");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			c = &commands[i];
	if (!c)
		return usage_error("unknown command '%s'", argv[1]);
	argc--;
	argv++;

	switch (c->kind) {
	case C_POLICY:
		if (argc != 1)
			return usage_error("'%s' takes no argument", c->name);
		return send_ctl(c->name, c->request);
	case C_STATUS:
		return cmd_status(argc, argv);
	case C_WHOIS:
		return cmd_whois(argc, argv);
	case C_GET:
		return cmd_get(c->fig, argc, argv);
	case C_SETSPEED:
		return cmd_setspeed(argc, argv);
	case C_SETDECAY:
		return cmd_setdecay(argc, argv);
	case C_GENKEY:
		return cmd_genkey(argc, argv);
	case C_CHECK:
		return cmd_check(argc, argv);
	case C_EVACUATE:
		if (argc != 1)
			return usage_error("'%s' takes no argument", c->name);
		return cmd_evacuate(c->name);
	case C_MODE:
		return cmd_mode(argc, argv);
	case C_AWAY:
		if (argc != 1)
			return usage_error("'%s' takes no argument", c->name);
		return cmd_away();
	}
	return 1;
}
