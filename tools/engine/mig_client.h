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

/*
 * "expel" (every guest goes home) or "bring" (every process of this node
 * comes home), then wait up to @timeout_ms until none is left; the number
 * left in *@ret_left. 0, or -errno when migd cannot be asked.
 */
int mig_client_evacuate(const char *run_dir, const char *what, unsigned timeout_ms,
			unsigned *ret_left);

/* The same, and how many migd sent on their way in *@ret_asked. */
int mig_client_evacuate_count(const char *run_dir, const char *what, unsigned timeout_ms,
			      unsigned *ret_asked, unsigned *ret_left);

#endif
