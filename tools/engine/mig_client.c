// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "engine/mig_client.h"

#define CLIENT_AGAIN_MAX 20

static int request_once(const char *run_dir, const char *req, char *reply, size_t cap,
			unsigned timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000 };
	ssize_t n;
	int fd, r;

	if (cap < 2)
		return -EINVAL;
	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/migd.sock", run_dir);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (timeout_ms)
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
		r = -errno;
		goto out_close;
	}
	n = recv(fd, reply, cap - 1, 0);
	if (n <= 0) {
		r = n ? (errno == EAGAIN ? -ETIMEDOUT : -errno) : -ECONNRESET;
		goto out_close;
	}
	reply[n] = 0;
	r = 0;
out_close:
	close(fd);
	return r;
}

int mig_client_request(const char *run_dir, const char *req, char *reply, size_t cap,
		       unsigned timeout_ms)
{
	int r;

	/* "again": the deputy migd handed it to was ending, asked anew */
	for (int tries = 0;; tries++) {
		r = request_once(run_dir, req, reply, cap, timeout_ms);
		if (r || strcmp(reply, "again") || tries == CLIENT_AGAIN_MAX)
			break;
		usleep(10000);
	}
	if (!r && !strcmp(reply, "again"))
		snprintf(reply, cap, "err the process's deputy kept ending; try again");
	return r;
}

int mig_client_count(const char *run_dir, unsigned *ret_deputies, unsigned *ret_guests)
{
	char buf[65536], *line, *save = NULL;
	unsigned d = 0, g = 0;
	int r = mig_client_request(run_dir, "list", buf, sizeof(buf), 5000);

	if (r)
		return r;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		d += !strncmp(line, "deputy ", 7);
		g += !strncmp(line, "guest ", 6);
	}
	*ret_deputies = d;
	*ret_guests = g;
	return 0;
}

/*
 * migd's "stays" lines of @kind ("guest" or "deputy") into @e: the count
 * and, as far as they fit, the reasons. A migd without "stays" has none.
 */
static void read_stays(const char *run_dir, const char *kind, struct mig_evacuation *e)
{
	char buf[65536], *line, *save = NULL;
	size_t klen = strlen(kind), n = 0;

	e->stay = 0;
	e->why[0] = 0;
	if (mig_client_request(run_dir, "stays", buf, sizeof(buf), 5000))
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned g, d;
		int w;

		/* the counts: more may have said why than there was room for */
		if (sscanf(line, "end %u %u", &g, &d) == 2) {
			e->stay = *kind == 'g' ? g : d;
			break;
		}
		if (strncmp(line, kind, klen) || line[klen] != ' ')
			continue;
		e->stay++;
		w = snprintf(e->why + n, sizeof(e->why) - n, "%s\n", line + klen + 1);
		if (w > 0 && (size_t)w < sizeof(e->why) - n)
			n += (size_t)w;
		else
			e->why[n] = 0;	/* the rest is counted, not told */
	}
}

int mig_client_evacuate(const char *run_dir, const char *what, unsigned timeout_ms,
			struct mig_evacuation *ret)
{
	bool guests = !strcmp(what, "expel");
	unsigned d = 0, g = 0, waited = 0;
	char reply[128];
	int r;

	memset(ret, 0, sizeof(*ret));
	r = mig_client_request(run_dir, what, reply, sizeof(reply), 5000);
	if (r)
		return r;
	if (strncmp(reply, "ok", 2))
		return -EPERM;
	/* "ok N": how many were told to go */
	if (sscanf(reply + 2, "%u", &ret->asked) != 1)
		ret->asked = 0;
	for (;;) {
		r = mig_client_count(run_dir, &d, &g);
		if (r)
			return r;
		ret->left = guests ? g : d;
		if (!ret->left)
			return 0;
		read_stays(run_dir, guests ? "guest" : "deputy", ret);
		/* each one left has said why: waiting longer changes nothing */
		if (ret->stay >= ret->left || waited >= timeout_ms)
			return 0;
		usleep(100 * 1000);
		waited += 100;
	}
}
