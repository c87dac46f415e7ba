// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_persona: its personality. Set to READ_IMPLIES_EXEC at home, it
 * holds after the migration: a readable mapping made on the node is
 * executable too, as its own /proc/self/maps shows, and
 * personality(0xffffffff) reads it back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>

#include "zdtm.h"

/* the permissions /proc/self/maps shows for the mapping at @p */
static void perms_of(const void *p, char out[5])
{
	unsigned long want = (unsigned long)p, s, e;
	char line[512], perm[5];
	FILE *f = fopen("/proc/self/maps", "r");

	strcpy(out, "none");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %4s", &s, &e, perm) == 3 && s <= want && want < e) {
			memcpy(out, perm, 5);
			break;
		}
	fclose(f);
}

int main(void)
{
	char perm[5];
	void *p;
	int now;

	zdtm_init("zdtm_persona");
	if (personality(PER_LINUX | READ_IMPLIES_EXEC) < 0) {
		printf("FAIL zdtm_persona: set up\n");
		return 1;
	}
	zdtm_ready();
	zdtm_wait();

	/* the mapping first: personality() itself brings a guest home */
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	zdtm_check(p != MAP_FAILED, "mmap failed");
	perms_of(p, perm);
	zdtm_check(perm[2] == 'x', "a PROT_READ mapping under READ_IMPLIES_EXEC is %s", perm);
	now = personality(0xffffffff);
	zdtm_check(now == (PER_LINUX | READ_IMPLIES_EXEC), "personality 0x%x, was 0x%x", now,
		   PER_LINUX | READ_IMPLIES_EXEC);
	return zdtm_done();
}
