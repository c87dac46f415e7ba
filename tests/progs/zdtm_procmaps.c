// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_procmaps: /proc/self/maps describes the process's own memory,
 * wherever it runs. After the migration: the mapping holding main() names
 * the executable, a local variable is in [stack], a page mapped just now
 * is listed, and pthread_getattr_np (glibc reads /proc/self/maps for the
 * main thread's stack) gives a stack that holds the local variable.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "zdtm.h"

/* the line of /proc/self/maps whose range holds AT, without its newline */
static void line_of(const void *at, char *out, size_t size)
{
	unsigned long lo, hi;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");

	snprintf(out, size, "(none)");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && (unsigned long)at >= lo &&
		    (unsigned long)at < hi)
			snprintf(out, size, "%.*s", (int)strcspn(line, "\n"), line);
	fclose(f);
}

int main(void)
{
	char exe[256] = "", line[512];
	volatile char local = 1;
	pthread_attr_t attr;
	size_t stack_size = 0;
	void *stack = NULL;
	char *page;
	ssize_t n;

	zdtm_init("zdtm_procmaps");
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = 0;

	zdtm_ready();
	zdtm_wait();

	line_of((const void *)main, line, sizeof(line));
	zdtm_check(n > 0 && strstr(line, exe) != NULL, "main() is in '%s', not in %s", line, exe);
	line_of((const void *)&local, line, sizeof(line));
	zdtm_check(strstr(line, "[stack]") != NULL, "a local is in '%s', not in [stack]", line);
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	line_of(page, line, sizeof(line));
	zdtm_check(page != MAP_FAILED && strncmp(line, "(none)", 6) != 0 && strstr(line, "rw-p"),
		   "a page mapped now is in '%s'", line);
	zdtm_check(pthread_getattr_np(pthread_self(), &attr) == 0 &&
			   pthread_attr_getstack(&attr, &stack, &stack_size) == 0,
		   "pthread_getattr_np failed");
	zdtm_check((const char *)&local >= (char *)stack &&
			   (const char *)&local < (char *)stack + stack_size,
		   "pthread_getattr_np: stack %p size %zu does not hold %p", stack, stack_size,
		   (const void *)&local);
	return zdtm_done();
}
