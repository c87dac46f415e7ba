// SPDX-License-Identifier: GPL-2.0-only
/*
 * How long loading and searching a map takes, against reading the same
 * file alone (the baseline, measured in the same run).
 *
 *   bench_map FILE [ROUNDS]
 *
 * Prints one line per figure: median of ROUNDS loads, and lookups per
 * second by id and by address over random nodes of the map.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/map.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* The baseline: what any loader pays, bringing the bytes in. */
static int read_whole(const char *path, size_t *ret_len)
{
	static char buf[1 << 16];
	size_t len = 0;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((got = read(fd, buf, sizeof(buf))) > 0)
		len += (size_t)got;
	close(fd);
	*ret_len = len;
	return got < 0 ? -errno : 0;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int main(int argc, char **argv)
{
	int rounds = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 21;
	double *t_read, *t_load, t0, t_id, t_addr;
	const int lookups = 2000000;
	struct mosix_addr *addrs;
	uint32_t *ids, nids = 0;
	struct mosix_map m;
	uint64_t s = 42;
	size_t len = 0;
	unsigned long sink = 0;

	if (argc < 2 || rounds < 1) {
		fprintf(stderr, "usage: bench_map FILE [ROUNDS]\n");
		return 2;
	}
	t_read = calloc((size_t)rounds, sizeof(double));
	t_load = calloc((size_t)rounds, sizeof(double));
	ids = calloc(MAP_MAX_ID, sizeof(*ids));
	addrs = calloc(MAP_MAX_ID, sizeof(*addrs));
	if (!t_read || !t_load || !ids || !addrs)
		return 1;

	for (int i = 0; i < rounds; i++) {
		struct diag d = DIAG_INIT;

		t0 = now();
		if (read_whole(argv[1], &len) < 0) {
			perror(argv[1]);
			return 1;
		}
		t_read[i] = now() - t0;

		t0 = now();
		if (map_load(&m, argv[1], MAP_NO_RESOLVE, &d) < 0) {
			fprintf(stderr, "%s: %s\n", argv[1], d.n ? d.msg[0].text : "cannot load");
			return 1;
		}
		t_load[i] = now() - t0;
		diag_release(&d);
		if (i + 1 < rounds)
			map_release(&m);
	}

	for (uint32_t id = map_next_id(&m, 0); id; id = map_next_id(&m, id)) {
		ids[nids] = id;
		map_addr_of(&m, id, &addrs[nids]);
		nids++;
	}

	t0 = now();
	for (int i = 0; i < lookups; i++) {
		struct mosix_addr a;

		sink += (unsigned long)map_addr_of(&m, ids[rnd(&s) % nids], &a) + a.b[15];
	}
	t_id = now() - t0;
	t0 = now();
	for (int i = 0; i < lookups; i++)
		sink += map_id_of(&m, &addrs[rnd(&s) % nids]);
	t_addr = now() - t0;

	double r = median(t_read, rounds), l = median(t_load, rounds);

	printf("map:            %s (%zu bytes, %u nodes, %zu ranges)\n", argv[1], len,
	       m.nnodes, m.nrange);
	printf("read file:      %8.3f ms (baseline)\n", r * 1e3);
	printf("load map:       %8.3f ms (%.1fx the read)\n", l * 1e3, l / r);
	printf("lookup by id:   %8.1f ns\n", t_id / lookups * 1e9);
	printf("lookup by addr: %8.1f ns\n", t_addr / lookups * 1e9);
	printf("checksum:       %lu\n", sink % 1000);
	map_release(&m);
	free(t_read);
	free(t_load);
	free(ids);
	free(addrs);
	return 0;
}
