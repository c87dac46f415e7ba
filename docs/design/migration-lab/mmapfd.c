/* mmapfd.c - a file mapped after migration (dlopen, mmap of a data file):
 * the guest's fd N exists only at home. The supervisor gets the file's
 * bytes (here: made up; the deputy would pread them through pidfd_getfd on
 * the home fd), puts them in a memfd, installs it in the guest AT THE SAME
 * NUMBER N with SECCOMP_IOCTL_NOTIF_ADDFD, and answers CONTINUE, so the
 * guest's own mmap call maps the copy. */
#include "lab.h"
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

int main(void)
{
	int sp[2], N = 42;	/* a "home" fd number, not open in the guest */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
	pid_t c = fork();
	if (c == 0) {
		struct sock_filter f[] = {	/* notify on mmap without MAP_ANONYMOUS */
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 0, 3),
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 16 + 3 * 8),
			BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, MAP_ANONYMOUS, 1, 0),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
		struct sock_fprog p = { 6, f };
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		int l = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &p);
		write(sp[1], &l, sizeof(l));
		char *m = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, N, 0);
		char msg[160];
		int n = snprintf(msg, sizeof(msg), "guest: mmap(fd %d) -> %s; content \"%.30s\"\n", N,
				 m == MAP_FAILED ? strerror(errno) : "mapped", m == MAP_FAILED ? "" : m);
		write(1, msg, n);
		_exit(0);
	}
	int lc, pfd = syscall(SYS_pidfd_open, c, 0);
	read(sp[0], &lc, sizeof(lc));
	int lfd = syscall(SYS_pidfd_getfd, pfd, lc, 0);
	struct seccomp_notif n;
	memset(&n, 0, sizeof(n));
	if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &n)) die("recv");
	printf("supervisor: mmap of fd %llu, len %llu, offset %llu\n", n.data.args[4], n.data.args[1], n.data.args[5]);
	int mfd = memfd_create("home-file-copy", MFD_CLOEXEC);
	const char text[] = "bytes of the file that exists only at home";
	write(mfd, text, sizeof(text));
	ftruncate(mfd, 8192);
	struct seccomp_notif_addfd add = { .id = n.id, .flags = SECCOMP_ADDFD_FLAG_SETFD,
					   .srcfd = mfd, .newfd = n.data.args[4] };
	int got = ioctl(lfd, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
	printf("supervisor: ADDFD put the copy at guest fd %d\n", got);
	struct seccomp_notif_resp r = { .id = n.id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };
	if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &r)) die("send");
	fflush(stdout);
	waitpid(c, NULL, 0);
	return 0;
}
