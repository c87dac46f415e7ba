/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_MIG_CLIENT_H
#define MOSIX_MIG_CLIENT_H

/*
 * The client side of mosix-migd's control socket ($MOSIX_RUN_DIR/
 * migd.sock): one request, one answer (see tools/daemons/mosix-migd/ctl.c
 * for the requests). Used by migrate, mosrun, mosctl and setpe.
 */

#include <stddef.h>

/*
 * Send @req and read the answer into @reply (NUL-terminated). @timeout_ms
 * bounds the wait for the answer (0: no bound; a migration of a large
 * process takes a while). -ENOENT/-ECONNREFUSED when no migd runs. An
 * answer "again" (the deputy migd handed the request to was ending, its
 * process just home) sends the request anew, up to 20 times.
 */
int mig_client_request(const char *run_dir, const char *req, char *reply, size_t cap,
		       unsigned timeout_ms);

/* Count the "deputy"/"guest" lines of a "list" answer. */
int mig_client_count(const char *run_dir, unsigned *ret_deputies, unsigned *ret_guests);

/* What an expel or a bring came to (mig_client_evacuate). */
struct mig_evacuation {
	unsigned asked;		/* how many migd sent on their way */
	unsigned left;		/* how many were still here at the end */
	unsigned stay;		/* of those, how many said why they cannot go */
	char why[2048];		/* their reasons, a line each, as many as fit */
};

/*
 * "expel" (every guest goes home) or "bring" (every process of this node
 * comes home), then wait up to @timeout_ms until none is left, or until
 * each one left has said why it cannot go (migd's "stays"). 0, or -errno
 * when migd cannot be asked.
 */
int mig_client_evacuate(const char *run_dir, const char *what, unsigned timeout_ms,
			struct mig_evacuation *ret);

#endif
