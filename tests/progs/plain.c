// SPDX-License-Identifier: GPL-2.0-only
/*
 * plain [SECONDS]: a process with nothing that keeps it from migrating.
 * Prints "ready", then sleeps SECONDS (default 300) or until killed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned seconds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 300;

	printf("ready\n");
	fflush(stdout);
	sleep(seconds);
	return 0;
}
