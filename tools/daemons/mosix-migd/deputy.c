// SPDX-License-Identifier: GPL-2.0-only
/*
 * A local process sent away: its deputy stops it, sends it to the node,
 * answers the migrate command, frees what it left at home, then serves it
 * until it ends or is home.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/dep.h"
#include "engine/mig_dump.h"
#include "lib/log.h"
#include "migd.h"

void deputy_main(struct migd *m, pid_t pid, uint32_t node, int client, int ctl)
{
	struct dep d;
	char why[DEP_WHY_MAX], reply[DEP_WHY_MAX + 16];
	uint64_t t0;
	int e;

	kid_close_inherited(m, ctl);
	signal(SIGTERM, SIG_IGN);	/* a migd restart does not end deputies */
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);	/* never die mid-injection */
	e = dep_init(&d, pid, &m->net, m->run_dir);
	if (e) {
		snprintf(reply, sizeof(reply), "err %s", strerror(-e));
		send(client, reply, strlen(reply), MSG_NOSIGNAL);
		_exit(1);
	}
	e = dep_migrate(&d, node, why, sizeof(why));
	if (d.kernel_err)
		log_debug("process %d: cannot write /proc/%d/mosix: %s", pid, pid,
			  strerror(-d.kernel_err));
	if (e) {
		log_info("process %d stays home: %s", pid, why);
		snprintf(reply, sizeof(reply), "err %s", why);
		send(client, reply, strlen(reply), MSG_NOSIGNAL);
		_exit(1);
	}
	log_info("process %d runs on node %u: %.1f MiB in %.1f ms", pid, node,
		 (double)d.sent_bytes / 1048576.0, (double)d.frozen_ns / 1e6);
	/* KiB rounded up: any hashing while stopped shows */
	if (d.warm_hashed || d.frozen_hashed)
		log_info("process %d: hashed %llu KiB of its files before its stop, %llu KiB "
			 "while stopped", pid, (unsigned long long)(d.warm_hashed + 1023) / 1024,
			 (unsigned long long)(d.frozen_hashed + 1023) / 1024);
	snprintf(reply, sizeof(reply), "ok %llu %llu", (unsigned long long)d.frozen_ns,
		 (unsigned long long)d.sent_bytes);
	send(client, reply, strlen(reply), MSG_NOSIGNAL);
	close(client);
	/*
	 * The process runs on the node: home's cleanup need not be waited
	 * for, but a forwarded call made meanwhile is, hence the log line.
	 */
	t0 = mig_now_ns();
	if (dep_settle(&d))
		log_debug("process %d died at home right after its move", pid);
	else
		log_debug("process %d: home's copy freed, calls served after %.1f ms", pid,
			  (double)(mig_now_ns() - t0) / 1e6);
	d.ctl_fd = ctl;
	d.kernel_err = 0;
	e = dep_serve(&d);
	if (d.kernel_err)
		log_debug("process %d: cannot write /proc/%d/mosix: %s", pid, pid,
			  strerror(-d.kernel_err));
	if (d.lost)
		log_err("lost node %u running process %d: the process was killed", d.where, pid);
	else if (e == 0 && d.where)
		log_info("process %d ended on node %u (%llu file reads and writes served by the "
			 "deputy)", pid, d.where, (unsigned long long)d.direct.served);
	else if (e == 0)
		log_info("process %d ended or is home (%llu file reads and writes served by the "
			 "deputy)", pid, (unsigned long long)d.direct.served);
	dep_release(&d);
	_exit(e ? 1 : 0);
}
