// SPDX-License-Identifier: GPL-2.0-only
/*
 * mosix-migd: moves processes between the nodes of the cluster (see
 * migd.h). Start-up and the event loop of the main process: one thread,
 * poll over the TCP listener, the control socket and a signalfd.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/mig_gcm.h"
#include "engine/mig_probe.h"
#include "engine/rem.h"
#include "lib/conf.h"
#include "lib/cpufeat.h"
#include "lib/log.h"
#include "lib/notify.h"
#include "lib/paths.h"
#include "migd.h"

#define SWEEP_MS 10000
/* "restart me": the unit's RestartForceExitStatus= */
#define MIGD_EXIT_UPGRADE 75

static const char usage[] =
	"usage: mosix-migd [--node ID] [--debug]\n"
	"       mosix-migd --help\n"
	"\n"
	"Moves processes to and from the other nodes of the cluster (see\n"
	"mosix-migd(8)): takes guests over TCP from nodes of the map that hold the\n"
	"cluster key, and sends local processes away when asked (migrate, mosrun).\n"
	"Runs in the foreground, logs to standard error; SIGTERM stops it (guests\n"
	"and processes away keep running).\n"
	"\n"
	"  --node ID   this node's id, instead of $MOSIX_RUN_DIR/self-id or the\n"
	"              local addresses\n"
	"  --debug     log debug messages too\n"
	"\n"
	"Exit status: 0 after SIGTERM, 1 when it cannot start, 2 usage error, 75\n"
	"when a new version was installed and nothing was away: systemd starts it\n"
	"again.\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "mosix-migd: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'mosix-migd --help'.\n");
	return 2;
}

static int parse_args(int argc, char **argv, uint32_t *node, bool *debug, bool *help)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val;
		unsigned long id;
		char *end;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			*help = true;
			return 0;
		} else if (!strcmp(a, "--debug")) {
			*debug = true;
		} else if (!strcmp(a, "--node") || !strncmp(a, "--node=", 7)) {
			if (a[6] == '=')
				val = a + 7;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return usage_error("option '%s' needs an argument", a);
			errno = 0;
			id = strtoul(val, &end, 10);
			if (errno || *end || end == val || *val == '-' || !id || id > MAP_MAX_ID)
				return usage_error("invalid node id '%s' (ids are 1..65535)", val);
			*node = (uint32_t)id;
		} else {
			return usage_error("unknown option '%s'", a);
		}
	}
	return 0;
}

static void log_diag(struct diag *d)
{
	diag_sort(d);
	for (size_t i = 0; i < d->n; i++)
		log_err("%s", d->msg[i].text);
}

/* What migd reads of mosix.conf: its port and mig_cpu_ignore. */
static int load_conf(struct mig_net *net, struct diag *d)
{
	char *path = paths_config("mosix.conf");
	struct conf c;
	uint32_t port = 0;
	int r = 0;

	if (!path)
		return -ENOMEM;
	conf_init(&c);
	if (access(path, F_OK) == 0) {
		r = conf_load(&c, path, d);
		if (!r)
			r = conf_check(&c, d);
	}
	if (!r)
		r = conf_get_uint(&c, "mig_port", &port);
	/* checked above: the names are known */
	if (!r) {
		char bad[64];

		r = cpufeat_parse(conf_get(&c, "mig_cpu_ignore"), &net->cpu_ignore, bad,
				  sizeof(bad));
	}
	conf_release(&c);
	free(path);
	net->port = (uint16_t)port;
	return r;
}

/* The kernel features the engine needs, probed (mosctl check says more). */
static int check_kernel(void)
{
	struct mig_features f;
	int r = mig_probe(&f);

	if (r) {
		log_err("cannot probe the kernel's features: %s", strerror(-r));
		return r;
	}
	for (int i = 0; i < MIG_F_NR; i++) {
		const struct mig_feature_info *fi = mig_feature_info((enum mig_feature)i);

		if (!mig_has(&f, (enum mig_feature)i) && fi)
			log_msg(fi->required ? LOG_LEVEL_ERR : LOG_LEVEL_INFO,
				"kernel feature missing: %s (%s)", fi->name, fi->use);
	}
	if (!mig_features_sufficient(&f)) {
		log_err("not starting: this kernel lacks what migration needs");
		return -ENOSYS;
	}
	if (f.kmosix.present) {
		char k[256];

		kmosix_describe(&f.kmosix, k, sizeof(k));
		log_info("kernel part: %s", k);
	}
	return 0;
}

static int setup(struct migd *m, uint32_t node)
{
	struct diag d = DIAG_INIT;
	sigset_t mask;
	int r;

	m->run_dir = paths_run_dir();
	if (mkdir(m->run_dir, 0755) < 0 && errno != EEXIST) {
		log_err("cannot create '%s': %s", m->run_dir, strerror(errno));
		return -errno;
	}
	r = node_ident_load(&m->id, node, &d);
	if (!r)
		r = load_conf(&m->net, &d);
	if (!r)
		r = node_key_load(KEY_MIGRATION, &m->key, &d);
	log_diag(&d);
	diag_release(&d);
	if (r) {
		log_err("not starting: fix the errors above");
		return r;
	}
	/* before the SIGCHLD reaper: the probe waits for its own children */
	r = check_kernel();
	if (r)
		return r;
	m->net.map = &m->id.map;
	m->net.self = m->id.self;
	m->net.key = &m->key;
	r = migd_listen(m);
	if (r) {
		log_err("cannot listen on TCP port %u: %s", m->net.port, strerror(-r));
		return r;
	}
	/* what a crashed predecessor left, gone before anyone can ask */
	migd_sweep(m);
	r = migd_watch_open(m);
	if (r)
		log_warn("cannot watch '%s/proc': %s (writing to where moves nothing)",
			 m->run_dir, strerror(-r));
	r = migd_ctl_open(m);
	if (r) {
		log_err("cannot open '%s/%s': %s", m->run_dir, MIGD_SOCKET,
			r == -EADDRINUSE ? "another mosix-migd serves it" : strerror(-r));
		return r;
	}
	r = migd_balance_open(m);
	if (r) {
		log_err("cannot start the load balancer: %s", strerror(-r));
		return r;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	m->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (m->signal_fd < 0)
		return -errno;
	log_info("node %u of %u in '%s'; TCP port %u", m->id.self, m->id.map.nnodes,
		 m->id.map_path, m->net.port);
	/*
	 * Each guest's supervisor looks its user up again (an admin may add
	 * it later); done here once first, the name service is set up in
	 * this process, so that a child does not load it while the home node
	 * waits for its answer (1 ms per move where the user is missing).
	 */
	{
		uid_t uid;
		gid_t gid;
		bool own = rem_guest_ids(&uid, &gid) == 0;

		log_info("guests run as uid %u, gid %u (%s)", (unsigned)uid, (unsigned)gid,
			 own ? REM_GUEST_USER : "no user " REM_GUEST_USER ": nobody's");
	}
	return 0;
}

/*
 * A package upgrade replaced our binary (dpkg renames the new file over
 * the old: /proc/self/exe then reads "... (deleted)"). Deputies and guest
 * supervisors are children that this process knows by its table only, so
 * it restarts into the new binary only once it has none; systemd starts it
 * again (RestartForceExitStatus=). True when it is time to go.
 */
static bool upgraded_and_idle(struct migd *m, bool *said)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	unsigned kids = 0;

	if (n <= 10)
		return false;
	exe[n] = 0;
	if (strcmp(exe + n - 10, " (deleted)"))
		return false;
	for (int i = 0; i < MIGD_MAX_KIDS; i++)
		kids += m->kid[i].child != 0;
	if (!kids) {
		log_info("a new mosix-migd is installed and no process is away or hosted: "
			 "restarting into it");
		return true;
	}
	if (!*said)
		log_info("a new mosix-migd is installed: it starts once no process is away or "
			 "hosted (%u now)", kids);
	*said = true;
	return false;
}

/*
 * SIGHUP: mosix.conf's mig_cpu_ignore and the balancer's costs again, for
 * the processes sent away from now on; a bad file keeps the old values.
 */
static void reload(struct migd *m)
{
	struct mig_net net = m->net;
	struct diag d = DIAG_INIT;
	char names[1024];
	int r;

	r = load_conf(&net, &d);
	log_diag(&d);
	diag_release(&d);
	if (r) {
		log_warn("SIGHUP: mosix.conf not reread (fix the errors above); mig_cpu_ignore "
			 "stays as it was");
	} else if (net.port != m->net.port) {
		log_warn("SIGHUP: mig_port changed: restart mosix-migd to listen on %u", net.port);
	}
	if (!r)
		m->net.cpu_ignore = net.cpu_ignore;
	cpufeat_names(m->net.cpu_ignore, names, sizeof(names));
	log_info("SIGHUP: reread mig_cpu_ignore (%s) and the balancer's costs; the map, key and "
		 "port are read at start (restart to change)", *names ? names : "none");
	migd_balance_reload(m);
}

static void on_signal(struct migd *m)
{
	struct signalfd_siginfo si;

	while (read(m->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			kid_reap(m);
		} else if (si.ssi_signo == SIGHUP) {
			reload(m);
		} else {
			log_info("signal %u: stopping", si.ssi_signo);
			m->quit = true;
		}
	}
}

int main(int argc, char **argv)
{
	struct migd m = { .listen_fd = -1, .ctl_fd = -1, .signal_fd = -1, .watch_fd = -1,
			  .bal.timer_fd = -1 };
	bool debug = false, help = false;
	uint32_t node = 0;
	char path[4096];
	time_t last_sweep = 0;
	bool said_upgrade = false;
	int r, status = 0;

	r = parse_args(argc, argv, &node, &debug, &help);
	if (r)
		return r;
	if (help) {
		fputs(usage, stdout);
		return 0;
	}
	log_init("mosix-migd");
	if (debug)
		log_set_max(LOG_LEVEL_DEBUG);
	if (sodium_init() < 0) {
		log_err("libsodium cannot start");
		return 1;
	}
	/*
	 * Load and start libcrypto once, here: every deputy and supervisor is
	 * a child of this process, and each paid 3-4 ms (dlopen, providers,
	 * configuration) of every move's fixed cost doing it itself. So, as
	 * for any library the daemon maps, an updated libcrypto (or one
	 * installed since, or MOSIX_NO_GCM) takes effect when migd restarts
	 * (needrestart sees the old mapping).
	 */
	(void)mig_gcm_available();
	umask(022);
	for (int i = 0; i < MIGD_MAX_PENDING; i++)
		m.pending[i].fd = -1;
	if (setup(&m, node))
		return 1;
	notify_send("READY=1");
	while (!m.quit) {
		struct pollfd pf[5 + MIGD_MAX_PENDING] = {
			{ m.listen_fd, POLLIN, 0 },
			{ m.ctl_fd, POLLIN, 0 },
			{ m.signal_fd, POLLIN, 0 },
			{ m.watch_fd, POLLIN, 0 },
			{ m.bal.timer_fd, POLLIN, 0 },
		};
		/* a client that says nothing is dropped within its time */
		int np = migd_ctl_poll(&m, pf + 5, MIGD_MAX_PENDING);
		int n = poll(pf, (nfds_t)(5 + np), np ? CTL_WAIT_MS / 4 : SWEEP_MS);
		time_t now = time(NULL);

		if (now - last_sweep >= SWEEP_MS / 1000) {
			migd_sweep(&m);
			last_sweep = now;
			if (upgraded_and_idle(&m, &said_upgrade)) {
				status = MIGD_EXIT_UPGRADE;
				break;
			}
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			break;
		}
		if (pf[2].revents)
			on_signal(&m);
		if (pf[0].revents)
			migd_accept(&m);
		if (np)
			migd_ctl_pending(&m, pf + 5, np);
		if (pf[1].revents)
			migd_ctl_handle(&m);
		if (pf[3].revents)
			migd_watch_handle(&m);
		if (pf[4].revents)
			migd_balance_tick(&m);
	}
	notify_send("STOPPING=1");
	snprintf(path, sizeof(path), "%s/%s", m.run_dir, MIGD_SOCKET);
	unlink(path);
	node_ident_release(&m.id);
	bal_costs_release(&m.bal.costs);
	key_wipe(&m.key);
	log_info("stopped");
	return status;
}
