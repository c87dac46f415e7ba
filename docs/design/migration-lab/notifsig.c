/* notifsig.c - a signal that reaches the guest while its syscall waits for
 * the supervisor (a forwarded read blocking at home): the kernel drops the
 * notification (SECCOMP_IOCTL_NOTIF_ID_VALID fails), runs the handler, and
 * restarts the call (SA_RESTART: a new notification) or fails it with
 * EINTR. So the supervisor only has to cancel the home side. */
#include "lab.h"
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

static volatile int hits;
static void on_usr1(int s) { (void)s; hits++; }

static void run(int restart)
{
	int sp[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
	pid_t c = fork();
	if (c == 0) {
		struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = restart ? SA_RESTART : 0 };
		sigaction(SIGUSR1, &sa, NULL);
		struct sock_filter f[] = {	/* notify on read, allow the rest */
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_read, 0, 1),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
		struct sock_fprog p = { 4, f };
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		int l = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &p);
		write(sp[1], &l, sizeof(l));
		char b;
		long r = read(0, &b, 1);
		int e = errno;
		char msg[128];
		int n = snprintf(msg, sizeof(msg), "  guest: read returned %ld (%s), handler ran %d time(s)\n",
				 r, r < 0 ? strerror(e) : "ok", hits);
		write(2, msg, n);
		_exit(0);
	}
	int lfd_child, pfd = syscall(SYS_pidfd_open, c, 0);
	read(sp[0], &lfd_child, sizeof(lfd_child));
	int lfd = syscall(SYS_pidfd_getfd, pfd, lfd_child, 0);
	struct seccomp_notif n;
	memset(&n, 0, sizeof(n));
	ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &n);	/* the read waits "at home" */
	uint64_t id = n.id;
	kill(c, SIGUSR1);
	usleep(20000);
	int valid = ioctl(lfd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id);
	printf("%s: after the signal the pending notification is %s\n", restart ? "SA_RESTART" : "no SA_RESTART",
	       valid == 0 ? "still valid" : "gone (ENOENT)");
	struct seccomp_notif_resp r = { .id = id, .val = 1 };
	printf("  answering it anyway: %s\n", ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &r) ? strerror(errno) : "ok");
	if (restart) {	/* the restarted read comes again as a new notification */
		memset(&n, 0, sizeof(n));
		ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &n);
		printf("  restarted: new notification for syscall %d (id %s)\n", n.data.nr, n.id != id ? "new" : "same");
		struct seccomp_notif_resp r2 = { .id = n.id, .val = 1 };
		ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &r2);
	}
	fflush(stdout);
	waitpid(c, NULL, 0);
}
int main(void) { run(1); run(0); return 0; }
