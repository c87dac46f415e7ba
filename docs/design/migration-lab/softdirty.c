/* softdirty.c - can pre-copy track dirty pages here? clear_refs 4 resets
 * soft-dirty bits (pagemap bit 55); a write sets the bit again. */
#include "lab.h"
#include <fcntl.h>
#include <sys/mman.h>
static int dirty(int pm, char *p)
{
	uint64_t e;
	pread(pm, &e, 8, (uint64_t)p / 4096 * 8);
	return (e >> 55) & 1;
}
int main(void)
{
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p[0] = p[4096] = 1;
	int pm = open("/proc/self/pagemap", O_RDONLY), cr = open("/proc/self/clear_refs", O_WRONLY);
	int ok = write(cr, "4", 1) == 1;
	int a = dirty(pm, p), b = dirty(pm, p + 4096);
	p[4096] = 2;
	printf("clear_refs 4: %s; after clear: %d %d; after writing page 2: %d %d -> soft-dirty %s\n",
	       ok ? "ok" : "refused", a, b, dirty(pm, p), dirty(pm, p + 4096),
	       ok && !a && !b && dirty(pm, p + 4096) && !dirty(pm, p) ? "works" : "NOT usable");
	return 0;
}
