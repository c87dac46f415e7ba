// SPDX-License-Identifier: GPL-2.0-only
/*
 * migrate: ask this node's mosix-migd to move a process. Waits until the
 * process runs on the node asked for (or could not move, and runs on
 * where it was).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mig_client.h"
#include "lib/paths.h"

static const char usage[] =
	"usage: migrate PID NODE|home|balance\n"
	"       migrate --help\n"
	"\n"
	"Moves process PID, while it runs, to node NODE of the cluster map; 'home'\n"
	"brings it back to this node, its home. A process away may be moved on to\n"
	"another node; its home stays here. 'balance' asks the load balancer for one\n"
	"decision now (it may also say the process stays).\n"
	"Returns once the process runs there; if it cannot move, it runs on where it\n"
	"was and migrate says why.\n"
	"\n"
	"Exit status: 0 moved (or already there), 1 cannot migrate, 2 usage error,\n"
	"3 mosix-migd is not running.\n";

int main(int argc, char **argv)
{
	char req[96], reply[1024], *end;
	long pid;
	int r;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr, "migrate: expected PID and NODE\nTry 'migrate --help'.\n");
		return 2;
	}
	errno = 0;
	pid = strtol(argv[1], &end, 10);
	if (errno || *end || end == argv[1] || pid <= 0 || pid > 0x3fffffff) {
		fprintf(stderr, "migrate: invalid pid '%s'\n", argv[1]);
		return 2;
	}
	if (strcmp(argv[2], "home") && strcmp(argv[2], "balance")) {
		unsigned long node = strtoul(argv[2], &end, 10);

		if (*end || end == argv[2] || node == 0 || node > 65535) {
			fprintf(stderr, "migrate: invalid node '%s' (a node id, home or "
				"balance)\n", argv[2]);
			return 2;
		}
	}
	snprintf(req, sizeof(req), "migrate %ld %s", pid, argv[2]);
	r = mig_client_request(paths_run_dir(), req, reply, sizeof(reply), 0);
	if (r) {
		fprintf(stderr, "migrate: cannot reach mosix-migd at '%s/migd.sock': %s\n",
			paths_run_dir(), strerror(-r));
		return 3;
	}
	if (!strncmp(reply, "ok stays: ", 10)) {
		printf("migrate: process %ld stays where it is: %s\n", pid, reply + 10);
		return 0;
	}
	if (!strncmp(reply, "ok", 2))
		return 0;
	fprintf(stderr, "cannot migrate %ld: %s\n", pid,
		!strncmp(reply, "err ", 4) ? reply + 4 : reply);
	return 1;
}
