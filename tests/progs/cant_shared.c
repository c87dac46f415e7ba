// SPDX-License-Identifier: GPL-2.0-only
/*
 * cant_shared [SECONDS]: a writable MAP_SHARED mapping of a file (mps:
 * "writable shared mapping"); the file, in $TMPDIR or /tmp, is unlinked at
 * once. Prints "ready", then sleeps SECONDS (default 300).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned seconds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 300;
	const char *dir = getenv("TMPDIR");
	char path[4096];
	char *p;
	int fd;

	snprintf(path, sizeof(path), "%s/cant_shared.XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0) {
		perror("cant_shared: mkstemp");
		return 1;
	}
	unlink(path);
	if (ftruncate(fd, 4096) < 0) {
		perror("cant_shared: ftruncate");
		return 1;
	}
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("cant_shared: mmap");
		return 1;
	}
	close(fd);
	p[0] = 1;
	printf("ready\n");
	fflush(stdout);
	sleep(seconds);
	return 0;
}
