// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_dlopen: a library loaded after the migration. dlopen("libm.so.6")
 * opens the file at home and maps it (a file mmap, which the node serves
 * from the home's copy); cos and sqrt from it give the right answers, and
 * a missing library fails cleanly. (zdtm_procmaps checks /proc/self/maps.)
 * The program is not linked with libm, so nothing of it is mapped before.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "zdtm.h"

/* whether a line of /proc/self/maps names WHAT (read at home, so before) */
static int in_maps(const char *what)
{
	char line[512];
	int found = 0;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, what) != NULL;
	fclose(f);
	return found;
}

int main(void)
{
	double (*fn)(double);
	double c, s;
	void *h;

	zdtm_init("zdtm_dlopen");
	zdtm_check(in_maps("libm.so") == 0, "libm is mapped before dlopen");

	zdtm_ready();
	zdtm_wait();

	h = dlopen("libm.so.6", RTLD_NOW | RTLD_LOCAL);
	zdtm_check(h != NULL, "dlopen libm.so.6: %s", h ? "" : dlerror());
	if (!h)
		return zdtm_done();
	fn = (double (*)(double))dlsym(h, "cos");
	c = fn ? fn(0.5) : 0;
	zdtm_check(c > 0.877582561890372 && c < 0.877582561890373, "cos(0.5) = %.17g", c);
	fn = (double (*)(double))dlsym(h, "sqrt");
	s = fn ? fn(2.0) : 0;
	zdtm_check(s * s > 1.9999999999 && s * s < 2.0000000001, "sqrt(2) = %.17g", s);
	zdtm_check(dlclose(h) == 0, "dlclose: %s", dlerror());
	h = dlopen("libzdtm-none.so.1", RTLD_NOW);
	zdtm_check(h == NULL, "dlopen of a missing library succeeded");
	return zdtm_done();
}
