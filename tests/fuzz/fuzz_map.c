// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the map parser. Besides crashes and sanitizer
 * reports, it checks a property: a map that parses prints a canonical form
 * that parses again to the same canonical form, with the same node count.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/map.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *canonical(const struct mosix_map *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	if (map_write(m, f) < 0)
		abort();
	fclose(f);
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d = DIAG_INIT;
	struct mosix_map m, again;
	int r;

	map_init(&m);
	/* no resolving: a fuzzer must not send DNS queries */
	r = map_parse(&m, "fuzz", (const char *)data, size, MAP_NO_RESOLVE, &d);
	if (map_finish(&m, &d) == 0 && r == 0) {
		char *text = canonical(&m), *text2;


		map_init(&again);
		if (map_parse(&again, "canon", text, strlen(text), MAP_NO_RESOLVE, NULL) ||
		    map_finish(&again, NULL))
			abort();
		text2 = canonical(&again);
		if (strcmp(text, text2) != 0 || again.nnodes != m.nnodes)
			abort();
		free(text2);
		free(text);
		map_release(&again);
	} else if (d.n == 0) {
		abort(); /* a rejected map must say why */
	}
	diag_sort(&d);
	map_release(&m);
	diag_release(&d);
	return 0;
}
