// SPDX-License-Identifier: GPL-2.0-only
/*
 * mosix-infod: keeps every node's load vector known to every other node by
 * gossip over authenticated UDP, and shows the result to the tools.
 *
 * Start-up, the event loop (one thread: epoll over the UDP socket, a
 * signalfd, two timerfds and the control socket), reload and shutdown.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "infod.h"
#include "lib/log.h"
#include "lib/notify.h"
#include "lib/paths.h"
#include "lib/util.h"

#define DEFAULT_DECAY_MS 100

static const char usage[] =
	"usage: mosix-infod [--node ID] [--debug] [--now EPOCH_SECONDS]\n"
	"       mosix-infod --help\n"
	"\n"
	"Gossips this node's load to the cluster and keeps the cluster's state in\n"
	"$MOSIX_RUN_DIR (see mosix-infod(8)). Runs in the foreground, logs to\n"
	"standard error; SIGHUP rereads the map and mosix.conf, SIGTERM stops.\n"
	"\n"
	"  --node ID   this node's id, instead of $MOSIX_RUN_DIR/self-id or the\n"
	"              local addresses\n"
	"  --debug     log debug messages too\n"
	"  --now T     for tests: the adaptive schedule's clock reads T (seconds\n"
	"              since the epoch) at start, and runs on from there\n"
	"\n"
	"Exit status: 0 after SIGTERM, 1 when it cannot start, 2 usage error.\n";

struct opts {
	uint32_t node;
	int64_t now;	/* --now, 0: the real clock */
	bool debug;
	bool help;
};

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "mosix-infod: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'mosix-infod --help'.\n");
	return 2;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			o->help = true;
			return 0;
		} else if (strcmp(a, "--debug") == 0) {
			o->debug = true;
		} else if (strcmp(a, "--node") == 0 || strncmp(a, "--node=", 7) == 0) {
			char *end;
			unsigned long id;

			if (a[6] == '=')
				val = a + 7;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return usage_error("option '%s' needs an argument", a);
			errno = 0;
			id = strtoul(val, &end, 10);
			if (errno || *end || end == val || *val == '-' || id == 0 || id > MAP_MAX_ID)
				return usage_error("invalid node id '%s' (ids are 1..65535)", val);
			o->node = (uint32_t)id;
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
			o->now = t;
		} else {
			return usage_error("unknown option '%s'", a);
		}
	}
	return 0;
}

int64_t infod_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int arm(int fd, uint32_t first_ms, uint32_t every_ms)
{
	struct itimerspec it = {
		.it_value = { first_ms / 1000, (long)(first_ms % 1000) * 1000000 },
		.it_interval = { every_ms / 1000, (long)(every_ms % 1000) * 1000000 },
	};

	return timerfd_settime(fd, 0, &it, NULL) < 0 ? -errno : 0;
}

static int watch(struct infod *in, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(in->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/*
 * The epoch orders our datagrams across restarts: receivers refuse a lower
 * one. The clock gives it; the last one is kept in the run directory so
 * that a clock stepped back between two starts cannot silence this node.
 */
static uint64_t make_epoch(const char *run_dir)
{
	char path[4096], text[32] = "";
	uint64_t epoch, saved;
	struct timespec ts;
	int fd;

	clock_gettime(CLOCK_REALTIME, &ts);
	epoch = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	snprintf(path, sizeof(path), "%s/infod.epoch", run_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		ssize_t n = read(fd, text, sizeof(text) - 1);

		close(fd);
		if (n > 0 && sscanf(text, "%" SCNu64, &saved) == 1 && saved >= epoch)
			epoch = saved + 1;
	}
	snprintf(text, sizeof(text), "%" PRIu64 "\n", epoch);
	fd = state_write_file(run_dir, "infod.epoch", text);
	if (fd < 0)
		log_warn("cannot save the epoch in '%s': %s", path, strerror(-fd));
	return epoch;
}

static void log_diag(struct diag *d, enum log_level level)
{
	diag_sort(d);
	for (size_t i = 0; i < d->n; i++)
		log_msg(level, "%s", d->msg[i].text);
	if (d->lost)
		log_msg(level, "out of memory: some errors were not shown");
}

void infod_policy_changed(struct infod *in)
{
	/* flags and speed are in the vector the next datagram carries */
	infod_measure(in, infod_now());
	publish_admin(in);
}

int infod_set_decay(struct infod *in, uint32_t ms, uint32_t slow, uint32_t fast)
{
	int r = arm(in->sample_fd, ms, ms);

	if (r < 0)
		return r;
	in->decay_ms = ms;
	in->decay_slow = slow;
	in->decay_fast = fast;
	publish_admin(in);
	return 0;
}

/* Move to another UDP port: the new socket first, so failure changes nothing. */
static int rebind(struct infod *in, uint16_t port)
{
	struct net n;
	int r;

	r = net_open(&n, port);
	if (r < 0)
		return r;
	epoll_ctl(in->epoll_fd, EPOLL_CTL_DEL, in->net.fd, NULL);
	net_close(&in->net);
	in->net = n;
	return watch(in, in->net.fd, EV_UDP);
}

int infod_reload(struct infod *in, char *err, size_t err_size)
{
	struct diag d = DIAG_INIT;
	struct infod_cfg c;
	enum pool_mode old_mode;
	bool new_interval;
	int r;

	notify_reloading();
	r = cfg_load(&c, in->node_opt, &d);
	if (r < 0) {
		log_diag(&d, LOG_LEVEL_ERR);
		log_err("reload failed: keeping the map and settings in use");
		diag_sort(&d);
		snprintf(err, err_size, "reload failed: %s",
			 d.n ? d.msg[0].text : strerror(-r));
		goto out_ready;
	}
	if (c.port != in->cfg.port) {
		r = rebind(in, c.port);
		if (r < 0) {
			log_err("reload failed: cannot bind UDP port %u: %s", c.port, strerror(-r));
			snprintf(err, err_size, "reload failed: cannot bind UDP port %u: %s",
				 c.port, strerror(-r));
			cfg_release(&c);
			goto out_ready;
		}
	}
	new_interval = c.interval_ms != in->cfg.interval_ms;
	old_mode = in->cfg.pool.mode;
	cfg_release(&in->cfg);
	in->cfg = c;
	in->speed = c.speed;
	in->dead_ms = c.dead_ms;
	in->decay_slow = c.decay_slow;
	in->decay_fast = c.decay_fast;
	peers_prune(&in->peers, &in->cfg.map, in->cfg.self);
	if (new_interval)
		arm(in->tick_fd, in->cfg.interval_ms, in->cfg.interval_ms);
	/* new nodes may be out there: announce ourselves again */
	sweep_start(&in->sweep, &in->cfg.pick, in->cfg.self);
	infod_mode_reloaded(in, old_mode);
	infod_measure(in, infod_now());
	publish_admin(in);
	log_info("reloaded: node %u of %u in '%s', every %u ms", in->cfg.self,
		 in->cfg.map.nnodes, in->cfg.map_path, in->cfg.interval_ms);
	r = 0;
out_ready:
	diag_release(&d);
	notify_send("READY=1");
	return r;
}

static void teardown(struct infod *in)
{
	ctlsrv_close(in);
	net_close(&in->net);
	if (in->epoll_fd >= 0)
		close(in->epoll_fd);
	if (in->signal_fd >= 0)
		close(in->signal_fd);
	if (in->tick_fd >= 0)
		close(in->tick_fd);
	if (in->sample_fd >= 0)
		close(in->sample_fd);
	measure_release(&in->meas);
	kmirror_release(&in->kmirror);
	peers_release(&in->peers);
	cluster_state_release(&in->published);
	cfg_release(&in->cfg);
}

static int open_loop(struct infod *in)
{
	sigset_t mask;
	int r;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	in->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	in->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	in->sample_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	in->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (in->signal_fd < 0 || in->tick_fd < 0 || in->sample_fd < 0 || in->epoll_fd < 0)
		return -errno;
	/* the first round at once: the sweep finds the cluster */
	r = arm(in->tick_fd, 1, in->cfg.interval_ms);
	if (r == 0)
		r = arm(in->sample_fd, in->decay_ms, in->decay_ms);
	if (r == 0)
		r = watch(in, in->signal_fd, EV_SIGNAL);
	if (r == 0)
		r = watch(in, in->tick_fd, EV_TICK);
	if (r == 0)
		r = watch(in, in->sample_fd, EV_SAMPLE);
	if (r == 0)
		r = watch(in, in->net.fd, EV_UDP);
	if (r == 0)
		r = watch(in, in->ctl_fd, EV_CTL);
	return r;
}

static int setup(struct infod *in, const struct opts *o)
{
	struct diag d = DIAG_INIT;
	char a[ADDR_STRLEN];
	int r;

	in->run_dir = paths_run_dir();
	in->node_opt = o->node;
	if (mkdir(in->run_dir, 0755) < 0 && errno != EEXIST) {
		log_err("cannot create '%s': %s", in->run_dir, strerror(errno));
		return -errno;
	}
	r = cfg_load(&in->cfg, o->node, &d);
	log_diag(&d, LOG_LEVEL_ERR);
	diag_release(&d);
	if (r < 0) {
		log_err("not starting: %s", r == -ENOMEM ? "out of memory"
				: "fix the errors above");
		return r;
	}
	r = measure_init(&in->meas);
	if (r < 0) {
		log_err("cannot read /proc: %s", strerror(-r));
		return r;
	}
	in->speed = in->cfg.speed;
	in->dead_ms = in->cfg.dead_ms;
	in->decay_ms = DEFAULT_DECAY_MS;
	in->decay_slow = in->cfg.decay_slow;
	in->decay_fast = in->cfg.decay_fast;
	publish_restore_policy(in);
	if (o->now)
		in->pool_offset = o->now - (int64_t)time(NULL);
	infod_mode_start(in);
	rng_seed(&in->rng, ((uint64_t)randombytes_random() << 32) | randombytes_random());
	in->epoch = make_epoch(in->run_dir);

	r = net_open(&in->net, in->cfg.port);
	if (r < 0) {
		log_err("cannot bind UDP port %u: %s", in->cfg.port, strerror(-r));
		return r;
	}
	r = ctlsrv_open(in);
	if (r == -EADDRINUSE)
		log_err("another mosix-infod serves '%s/%s'", in->run_dir, CTL_SOCKET);
	else if (r < 0)
		log_err("cannot open the control socket '%s/%s': %s", in->run_dir, CTL_SOCKET,
			strerror(-r));
	if (r < 0)
		return r;
	r = open_loop(in);
	if (r < 0) {
		log_err("cannot set up the event loop: %s", strerror(-r));
		return r;
	}
	measure_sample(&in->meas, in->decay_slow, in->decay_fast);
	infod_measure(in, infod_now());
	publish_admin(in);
	sweep_start(&in->sweep, &in->cfg.pick, in->cfg.self);
	log_info("node %u (%s, from %s) of %u in '%s'; UDP port %u (%s), every %u ms; "
		 "load from %s", in->cfg.self, addr_format(&in->cfg.self_addr, a),
		 in->cfg.self_from, in->cfg.map.nnodes, in->cfg.map_path, in->cfg.port,
		 in->net.family == AF_INET6 ? "IPv4 and IPv6" : "IPv4 only",
		 in->cfg.interval_ms, measure_source_name(&in->meas));
	infod_mode_log(in);
	return 0;
}

static void on_signal(struct infod *in)
{
	struct signalfd_siginfo si;
	char err[256];

	while (read(in->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP: reloading");
			infod_reload(in, err, sizeof(err));
		} else {
			log_info("signal %u: stopping", si.ssi_signo);
			in->quit = true;
		}
	}
}

static void on_tick(struct infod *in, int fd, int64_t now)
{
	uint64_t expirations;

	if (read(fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return;
	if (fd == in->sample_fd) {
		int r = measure_sample(&in->meas, in->decay_slow, in->decay_fast);

		if (r < 0)
			log_debug("load sample failed: %s", strerror(-r));
		return;
	}
	infod_mode_tick(in);
	infod_measure(in, now);
	infod_round(in, now);
	publish_state(in, now);
	kmirror_round(in);
	publish_stats(in);
	ctlsrv_expire(in, now);
}

static int run(struct infod *in)
{
	while (!in->quit) {
		struct epoll_event ev[16];
		int n = epoll_wait(in->epoll_fd, ev, 16, -1);
		int64_t now = infod_now();

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_err("epoll_wait: %s", strerror(errno));
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			unsigned kind = ev[i].data.u64 & 0xff;
			size_t slot = (size_t)(ev[i].data.u64 >> 8);

			switch (kind) {
			case EV_UDP:
				infod_receive(in, now);
				break;
			case EV_SIGNAL:
				on_signal(in);
				break;
			case EV_TICK:
				on_tick(in, in->tick_fd, now);
				break;
			case EV_SAMPLE:
				on_tick(in, in->sample_fd, now);
				break;
			case EV_CTL:
				ctlsrv_accept(in);
				break;
			case EV_CLIENT:
				if (slot < CTL_MAX_CLIENTS)
					ctlsrv_handle(in, &in->client[slot]);
				break;
			}
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct infod in = {
		.epoll_fd = -1, .signal_fd = -1, .tick_fd = -1, .sample_fd = -1,
		.ctl_fd = -1, .net = { .fd = -1 },
		.meas = { .stat_fd = -1, .meminfo_fd = -1, .vmstat_fd = -1 },
	};
	int r;

	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		in.client[i].fd = -1;
	r = parse_args(argc, argv, &o);
	if (r)
		return r;
	if (o.help) {
		fputs(usage, stdout);
		return 0;
	}
	log_init("mosix-infod");
	if (o.debug)
		log_set_max(LOG_LEVEL_DEBUG);
	if (sodium_init() < 0) {
		log_err("libsodium cannot start");
		return 1;
	}
	umask(022);
	r = setup(&in, &o);
	if (r < 0) {
		teardown(&in);
		return 1;
	}
	notify_send("READY=1");
	r = run(&in);
	notify_send("STOPPING=1");
	publish_remove(&in);
	kmirror_stop(&in);
	teardown(&in);
	log_info("stopped");
	return r < 0 ? 1 : 0;
}
