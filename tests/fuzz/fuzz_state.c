// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the state snapshot reader, which every tool runs on
 * a file another process wrote. Besides crashes: an accepted snapshot has
 * at most MAP_MAX_ID nodes, in increasing id order, each with a valid id,
 * and a rejected one says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/map.h"
#include "lib/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d = DIAG_INIT;
	struct cluster_state s;
	char *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (cluster_state_parse("fuzz", buf, size, &s, &d) == 0) {
		if (s.n > MAP_MAX_ID || s.self == 0 || s.self > MAP_MAX_ID)
			abort();
		for (size_t i = 0; i < s.n; i++) {
			if (s.node[i].id == 0 || s.node[i].id > MAP_MAX_ID ||
			    (i && s.node[i - 1].id >= s.node[i].id) ||
			    s.node[i].v.node != s.node[i].id)
				abort();
		}
		cluster_state_release(&s);
	} else if (d.n == 0 && !d.lost) {
		abort(); /* a refused snapshot must say why */
	}
	diag_release(&d);
	free(buf);
	return 0;
}
