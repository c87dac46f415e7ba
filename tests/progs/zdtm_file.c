// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_file: a log file at home, opened O_APPEND before the migration, and
 * a second descriptor of it with its own offset. Lines written before and
 * after the migration land in order; fstat, pread, lseek and the second
 * descriptor's offset see the file the home process has.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "zdtm.h"

static const char before[] = "before 1\nbefore 2\n";
static const char after[] = "after 1\nafter 2 (writev)\n";

static int write_all(int fd, const char *s)
{
	size_t len = strlen(s);

	return write(fd, s, len) == (ssize_t)len ? 0 : -1;
}

int main(void)
{
	struct iovec iov[2] = { { "after 2 ", 8 }, { "(writev)\n", 9 } };
	char path[64], all[128], buf[128];
	struct stat st;
	int fd, rd;
	ssize_t n;

	zdtm_init("zdtm_file");
	snprintf(path, sizeof(path), "/tmp/zdtm_file.%d.log", (int)getpid());
	snprintf(all, sizeof(all), "%s%s", before, after);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	rd = open(path, O_RDONLY);
	if (fd < 0 || rd < 0 || write_all(fd, "before 1\n") || write_all(fd, "before 2\n")) {
		printf("FAIL zdtm_file: set up %s: %s\n", path, strerror(errno));
		return 1;
	}
	zdtm_check(lseek(rd, 3, SEEK_SET) == 3, "lseek before: %m");

	zdtm_ready();
	zdtm_wait();

	zdtm_check(fstat(fd, &st) == 0 && st.st_size == (off_t)strlen(before),
		   "fstat after: size %lld, expected %zu", (long long)st.st_size, strlen(before));
	zdtm_check(write_all(fd, "after 1\n") == 0, "write after: %m");
	zdtm_check(writev(fd, iov, 2) == 17, "writev after: %m");
	zdtm_check(fstat(fd, &st) == 0 && st.st_size == (off_t)strlen(all),
		   "fstat: size %lld, expected %zu", (long long)st.st_size, strlen(all));
	zdtm_check(lseek(fd, 0, SEEK_CUR) == (off_t)strlen(all), "O_APPEND offset is not the end");

	memset(buf, 0, sizeof(buf));
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	zdtm_check(n == (ssize_t)strlen(all) && strcmp(buf, all) == 0,
		   "pread got %zd bytes '%s'", n, buf);
	memset(buf, 0, sizeof(buf));
	n = pread(fd, buf, 5, 9);
	zdtm_check(n == 5 && strcmp(buf, "befor") == 0, "pread at 9 got '%s'", buf);
	zdtm_check(lseek(fd, 0, SEEK_CUR) == (off_t)strlen(all), "pread moved the offset");

	/* the second descriptor kept the offset it had at home */
	zdtm_check(lseek(rd, 0, SEEK_CUR) == 3, "second fd offset %lld, expected 3",
		   (long long)lseek(rd, 0, SEEK_CUR));
	memset(buf, 0, sizeof(buf));
	n = read(rd, buf, 6);
	zdtm_check(n == 6 && strcmp(buf, "ore 1\n") == 0, "read at 3 got '%s'", buf);
	zdtm_check(lseek(rd, -4, SEEK_END) == (off_t)strlen(all) - 4, "lseek SEEK_END: %m");
	memset(buf, 0, sizeof(buf));
	n = read(rd, buf, sizeof(buf) - 1);
	zdtm_check(n == 4 && strcmp(buf, "ev)\n") == 0, "read at the end got '%s'", buf);

	zdtm_check((fcntl(fd, F_GETFL) & O_APPEND) != 0, "O_APPEND lost");
	zdtm_check(fcntl(fd, F_GETFD) == FD_CLOEXEC, "FD_CLOEXEC lost");
	zdtm_check(fcntl(rd, F_GETFD) == 0, "FD_CLOEXEC appeared");
	zdtm_check(close(rd) == 0 && unlink(path) == 0, "close, unlink: %m");
	zdtm_check(fstat(fd, &st) == 0 && st.st_nlink == 0, "fstat after unlink: nlink %lu",
		   (unsigned long)st.st_nlink);
	return zdtm_done();
}
