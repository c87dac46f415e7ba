// SPDX-License-Identifier: GPL-2.0-only
/*
 * cant_sysv [SECONDS]: a SysV shared memory segment attached (mps: "SysV
 * shared memory"); marked for removal at once, so it goes with the
 * process. Prints "ready", then sleeps SECONDS (default 300).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned seconds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 300;
	char *p;
	int id;

	id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	if (id < 0) {
		perror("cant_sysv: shmget");
		return 1;
	}
	p = shmat(id, NULL, 0);
	shmctl(id, IPC_RMID, NULL);
	if (p == (void *)-1) {
		perror("cant_sysv: shmat");
		return 1;
	}
	p[0] = 1;
	printf("ready\n");
	fflush(stdout);
	sleep(seconds);
	return 0;
}
