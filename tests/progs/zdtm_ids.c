// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_ids: who and where the process is stays the home's. getpid,
 * getppid, the user and group ids, process group and session, the node
 * name (uname), the umask (027, set before), and the working directory
 * (a directory of its own under /tmp, entered before): getcwd names it,
 * relative paths open in it, new files get the umask's mode, and fchdir
 * back into it through a descriptor opened before works.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "zdtm.h"

int main(void)
{
	pid_t pid = getpid(), ppid = getppid(), pgrp = getpgrp(), sid = getsid(0);
	uid_t uid = getuid(), euid = geteuid();
	gid_t gid = getgid(), egid = getegid();
	char dir[64], cwd[256] = "", buf[16];
	struct utsname u0, u = { 0 };
	struct stat st = { 0 };
	int dfd, fd;

	zdtm_init("zdtm_ids");
	snprintf(dir, sizeof(dir), "/tmp/zdtm_ids.%d.d", (int)pid);
	umask(027);
	if (uname(&u0) || mkdir(dir, 0755) || chdir(dir) ||
	    (fd = open("rel.txt", O_WRONLY | O_CREAT | O_EXCL, 0666)) < 0 ||
	    write(fd, "hello", 5) != 5 || close(fd) ||
	    (dfd = open(dir, O_RDONLY | O_DIRECTORY)) < 0) {
		printf("FAIL zdtm_ids: set up %s: %s\n", dir, strerror(errno));
		return 1;
	}

	zdtm_ready();
	zdtm_wait();

	zdtm_check(getpid() == pid && getppid() == ppid, "pid %d ppid %d, were %d %d",
		   (int)getpid(), (int)getppid(), (int)pid, (int)ppid);
	zdtm_check(getuid() == uid && geteuid() == euid && getgid() == gid && getegid() == egid,
		   "uid %d gid %d, were %d %d", (int)getuid(), (int)getgid(), (int)uid, (int)gid);
	zdtm_check(getpgrp() == pgrp && getsid(0) == sid, "pgrp %d sid %d, were %d %d",
		   (int)getpgrp(), (int)getsid(0), (int)pgrp, (int)sid);
	zdtm_check(uname(&u) == 0 && strcmp(u.nodename, u0.nodename) == 0,
		   "node name '%s', was '%s'", u.nodename, u0.nodename);

	zdtm_check(umask(022) == 027, "umask was not 027");
	zdtm_check(umask(027) == 022, "umask(022) did not hold");
	zdtm_check(getcwd(cwd, sizeof(cwd)) && strcmp(cwd, dir) == 0, "getcwd '%s', expected '%s'",
		   cwd, dir);
	memset(buf, 0, sizeof(buf));
	fd = open("rel.txt", O_RDONLY);
	zdtm_check(fd >= 0 && read(fd, buf, sizeof(buf) - 1) == 5 && strcmp(buf, "hello") == 0,
		   "relative open and read: '%s' (%m)", buf);
	close(fd);
	zdtm_check(stat("rel.txt", &st) == 0 && (st.st_mode & 0777) == 0640,
		   "file made before: mode %o, expected 640", (unsigned)st.st_mode & 0777);
	fd = open("new.txt", O_WRONLY | O_CREAT | O_EXCL, 0666);
	zdtm_check(fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0640,
		   "file made after: mode %o, expected 640 (%m)", (unsigned)st.st_mode & 0777);
	close(fd);

	zdtm_check(chdir("..") == 0 && getcwd(cwd, sizeof(cwd)) && strcmp(cwd, "/tmp") == 0,
		   "after chdir(\"..\"): '%s'", cwd);
	zdtm_check(access(dir + 5, F_OK) == 0, "relative path from /tmp: %m");
	zdtm_check(fchdir(dfd) == 0 && getcwd(cwd, sizeof(cwd)) && strcmp(cwd, dir) == 0,
		   "after fchdir: '%s'", cwd);
	zdtm_check(unlink("rel.txt") == 0 && unlink("new.txt") == 0 && chdir("/") == 0 &&
			   rmdir(dir) == 0,
		   "clean up: %m");
	return zdtm_done();
}
