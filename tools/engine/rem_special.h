/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_REM_SPECIAL_H
#define MOSIX_REM_SPECIAL_H

/*
 * The calls whose buffers depend on their arguments (SC_SPECIAL): ioctl by
 * request, fcntl by command, prctl by option, select, getsockopt, the
 * CPU-time clocks and timers, getrusage/times, and mmap of a file (a copy of the
 * file's bytes, fetched from home, mapped by the guest's own mmap).
 */

#include <linux/seccomp.h>

#include "engine/rem.h"
#include "engine/sc_table.h"

enum rem_special_how {
	REM_SPECIAL_ANSWER = 0,	/* *ret_val is the answer */
	REM_SPECIAL_FWD,	/* forward as described by *tmp */
	REM_SPECIAL_CONTINUE,	/* let the guest make the call itself */
	REM_SPECIAL_HOME,	/* bring the process home for it */
};

int rem_special(struct rem *r, const struct seccomp_notif *n, const struct sc_desc *d,
		struct sc_desc *tmp, long *ret_val);

#endif
