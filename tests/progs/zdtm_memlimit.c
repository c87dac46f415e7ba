// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_memlimit: limits on what the process uses where it runs, set at
 * home before the migration, hold after it: an address-space limit (64
 * MiB above what it has) refuses a 256 MiB mapping and allows a 16 MiB
 * one; a CPU-time limit (3 s above what it used) sends SIGXCPU while it
 * spins, within 8 s of wall time. An address-space limit lowered after
 * the migration holds too.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "zdtm.h"

#define MIB (1024ul * 1024ul)
#define MS 1000000LL

static volatile sig_atomic_t xcpu;

static void on_xcpu(int sig)
{
	(void)sig;
	xcpu = 1;
}

/* the size of its address space now, from /proc/self/statm */
static unsigned long vm_bytes(void)
{
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%lu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return pages * (unsigned long)sysconf(_SC_PAGESIZE);
}

/* whether an anonymous mapping of @bytes can be made (and unmaps it) */
static int can_map(unsigned long bytes, int *err)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	*err = errno;
	if (p == MAP_FAILED)
		return 0;
	munmap(p, bytes);
	return 1;
}

static void cap_as(unsigned long above)
{
	struct rlimit r;

	getrlimit(RLIMIT_AS, &r);
	r.rlim_cur = vm_bytes() + above;
	if (setrlimit(RLIMIT_AS, &r))
		zdtm_check(0, "setrlimit(RLIMIT_AS): %s", strerror(errno));
}

int main(void)
{
	struct rusage ru;
	struct rlimit r;
	volatile unsigned long x = 0;
	long long t0;
	int err, made;

	zdtm_init("zdtm_memlimit");
	signal(SIGXCPU, on_xcpu);
	cap_as(64 * MIB);
	getrusage(RUSAGE_SELF, &ru);
	getrlimit(RLIMIT_CPU, &r);
	r.rlim_cur = (rlim_t)ru.ru_utime.tv_sec + (rlim_t)ru.ru_stime.tv_sec + 3;
	if (setrlimit(RLIMIT_CPU, &r))
		zdtm_check(0, "setrlimit(RLIMIT_CPU): %s", strerror(errno));
	zdtm_ready();
	zdtm_wait();

	made = can_map(256 * MIB, &err);
	zdtm_check(!made && err == ENOMEM, "a 256 MiB mapping under a limit 64 MiB above: %s",
		   made ? "made" : strerror(err));
	zdtm_check(can_map(16 * MIB, &err), "a 16 MiB mapping: %s", strerror(err));

	t0 = zdtm_now();
	while (!xcpu && zdtm_now() - t0 < 8000 * MS)
		for (int i = 0; i < 100000; i++)
			x += (unsigned long)i;
	zdtm_check(xcpu, "no SIGXCPU in %lld ms of spinning under a limit 3 s above",
		   (zdtm_now() - t0) / MS);

	cap_as(8 * MIB);
	made = can_map(16 * MIB, &err);
	zdtm_check(!made && err == ENOMEM, "a 16 MiB mapping after a limit 8 MiB above: %s",
		   made ? "made" : strerror(err));
	return zdtm_done();
}
