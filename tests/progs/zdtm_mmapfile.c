// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_mmapfile: a data file that exists only at home (written to this
 * node's /tmp before the migration), mapped after it: through a descriptor
 * opened before (private, read-only, whole file: the tail of the last page
 * reads as zeros), through one opened after (private, writable, from an
 * offset: writes stay private) and read-only shared. Each sees the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "zdtm.h"

#define PAGE 4096
#define SIZE (3 * PAGE + 100)

static unsigned char byte(size_t i)
{
	return (unsigned char)(i * 31 + i / 4096 + 7);
}

/* the first offset in [from, to) whose byte is not the file's, or to */
static size_t first_bad(const unsigned char *p, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (p[i - from] != byte(i))
			return i;
	return to;
}

int main(void)
{
	static unsigned char data[SIZE];
	unsigned char *p;
	char path[64], c = 0;
	size_t bad, i;
	int fd, fd2;

	zdtm_init("zdtm_mmapfile");
	snprintf(path, sizeof(path), "/tmp/zdtm_mmapfile.%d.dat", (int)getpid());
	for (i = 0; i < SIZE; i++)
		data[i] = byte(i);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, SIZE) != SIZE) {
		printf("FAIL zdtm_mmapfile: write %s: %s\n", path, strerror(errno));
		return 1;
	}

	zdtm_ready();
	zdtm_wait();

	p = mmap(NULL, SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
	zdtm_check(p != MAP_FAILED, "mmap of the fd opened before: %m");
	if (p != MAP_FAILED) {
		bad = first_bad(p, 0, SIZE);
		zdtm_check(bad == SIZE, "private map: byte %zu differs", bad);
		for (i = SIZE; i < 4 * PAGE && p[i] == 0; i++)
			;
		zdtm_check(i == 4 * PAGE, "byte %zu past the end is not zero", i);
		munmap(p, SIZE);
	}

	fd2 = open(path, O_RDONLY | O_CLOEXEC);
	zdtm_check(fd2 >= 0, "open after: %m");
	p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd2, PAGE);
	zdtm_check(p != MAP_FAILED, "mmap at an offset: %m");
	if (p != MAP_FAILED) {
		bad = first_bad(p, PAGE, 3 * PAGE);
		zdtm_check(bad == 3 * PAGE, "map at offset %d: byte %zu differs", PAGE, bad);
		p[0] = (unsigned char)~byte(PAGE);
		zdtm_check(pread(fd2, &c, 1, PAGE) == 1 && (unsigned char)c == byte(PAGE),
			   "a private write reached the file");
		munmap(p, 2 * PAGE);
	}

	p = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, fd2, 0);
	zdtm_check(p != MAP_FAILED, "read-only shared mmap: %m");
	if (p != MAP_FAILED) {
		bad = first_bad(p, 0, SIZE);
		zdtm_check(bad == SIZE, "shared map: byte %zu differs", bad);
		munmap(p, SIZE);
	}
	close(fd2);
	close(fd);
	unlink(path);
	return zdtm_done();
}
