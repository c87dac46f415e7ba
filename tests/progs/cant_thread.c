// SPDX-License-Identifier: GPL-2.0-only
/*
 * cant_thread [SECONDS]: a second thread shares the address space (mps:
 * "multi-threaded"). Prints "ready", then sleeps SECONDS (default 300).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned seconds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 300;
	pthread_t t;
	int r;

	r = pthread_create(&t, NULL, idle, NULL);
	if (r) {
		fprintf(stderr, "cant_thread: pthread_create: %s\n", strerror(r));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	sleep(seconds);
	return 0;
}
