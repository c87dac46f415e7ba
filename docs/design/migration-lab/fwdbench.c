/* fwdbench.c - the home side of a forwarded syscall, three ways, against
 * a native call and a TCP loopback round trip measured in the same run:
 *   A: the home process parked in pause(); per call PTRACE_INTERRUPT,
 *      inject, re-park (what home.c does)
 *   B: the home process kept in its int3 trap stop; per call one injection
 *   C: the parasite loop (parasite.c) in the home process, futex on a shared
 *      memfd page; no ptrace stop per call
 * Then: a signal to the home pid while C runs must still show up as a
 * signal-delivery stop, and kill -9 at home is seen through a pidfd. */
#include "inject.h"
#include <fcntl.h>
#include <poll.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include "parasite.inc"

struct shm { volatile uint32_t req, done, pad[2]; long nr, a[6], ret; };
static struct inj J;
static void park(void)
{
	struct user_regs_struct r = J.saved;
	r.rip = J.gadget; r.rax = SYS_pause; r.orig_rax = -1;
	ptrace(PTRACE_SETREGS, J.pid, 0, &r);
	ptrace(PTRACE_CONT, J.pid, 0, 0);
}
static double tcp_rtt(int n)
{
	int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	bind(ls, (void *)&sa, sizeof(sa)); listen(ls, 1); getsockname(ls, (void *)&sa, &sl);
	if (fork() == 0) {
		int c = accept(ls, NULL, NULL); char b;
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		while (read(c, &b, 1) == 1) write(c, &b, 1);
		_exit(0);
	}
	int c = socket(AF_INET, SOCK_STREAM, 0); char b = 0;
	connect(c, (void *)&sa, sizeof(sa));
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	uint64_t t = now_ns();
	for (int i = 0; i < n; i++) { write(c, &b, 1); read(c, &b, 1); }
	double r = (now_ns() - t) / 1e3 / n;
	close(c); close(ls); wait(NULL);
	return r;
}
int main(void)
{
	int n = 2000, st;
	pid_t pid = fork();
	if (pid == 0) for (;;) pause();
	uint64_t t = now_ns();
	for (int i = 0; i < n; i++) fcntl(1, F_GETFD);
	printf("native fcntl(1,F_GETFD)          %6.1f us\n", (now_ns() - t) / 1e3 / n);
	printf("TCP loopback round trip          %6.1f us\n", tcp_rtt(n));
	if (ptrace(PTRACE_SEIZE, pid, 0, 0)) die("seize");
	ptrace(PTRACE_INTERRUPT, pid, 0, 0);
	waitpid(pid, &st, __WALL);
	if (inj_setup(&J, pid, 1 << 20)) die("inj_setup");
	park();
	t = now_ns();
	for (int i = 0; i < n; i++) {
		ptrace(PTRACE_INTERRUPT, pid, 0, 0);
		waitpid(pid, &st, __WALL);
		if (inj_call(&J, SYS_fcntl, 1, F_GETFD, 0, 0, 0, 0) < 0) die("A");
		park();
	}
	printf("A interrupt+inject+park          %6.1f us\n", (now_ns() - t) / 1e3 / n);
	ptrace(PTRACE_INTERRUPT, pid, 0, 0);
	waitpid(pid, &st, __WALL);
	t = now_ns();
	for (int i = 0; i < n; i++) inj_call(&J, SYS_fcntl, 1, F_GETFD, 0, 0, 0, 0);
	printf("B inject from trap stop          %6.1f us\n", (now_ns() - t) / 1e3 / n);
	/* C: shared page from a memfd made in the home process, fd closed there */
	int hfd = inj_call(&J, SYS_memfd_create, J.scratch + 512, 0, 0, 0, 0, 0);
	int pfd = syscall(SYS_pidfd_open, pid, 0);
	int mfd = syscall(SYS_pidfd_getfd, pfd, hfd, 0);
	if (mfd < 0 || ftruncate(mfd, 4096)) die("memfd");
	long hshm = inj_call(&J, SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, hfd, 0);
	inj_call(&J, SYS_close, hfd, 0, 0, 0, 0, 0);
	struct shm *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	inj_put(&J, J.scratch + 1024, parasite_bin, sizeof(parasite_bin));
	struct user_regs_struct r = J.saved;
	r.rip = J.scratch + 1024; r.rdi = hshm; r.rsp = J.scratch + J.scratch_len - 64; r.orig_rax = -1;
	ptrace(PTRACE_SETREGS, pid, 0, &r);
	ptrace(PTRACE_CONT, pid, 0, 0);
	uint32_t seq = 0;
#define CALL(NR, A0, A1) do { s->nr = NR; s->a[0] = A0; s->a[1] = A1; s->req = ++seq; \
	syscall(SYS_futex, &s->req, FUTEX_WAKE, 1, 0, 0, 0); \
	while (s->done != seq) syscall(SYS_futex, &s->done, FUTEX_WAIT, seq - 1, 0, 0, 0); } while (0)
	t = now_ns();
	for (int i = 0; i < n; i++) CALL(SYS_fcntl, 1, F_GETFD);
	printf("C parasite, futex on shared page %6.1f us (ret %ld)\n", (now_ns() - t) / 1e3 / n, s->ret);
	kill(pid, SIGUSR1);
	waitpid(pid, &st, __WALL);
	printf("signal at home while parasite waits: %s stop, sig %d (suppressed)\n",
	       (st >> 16) ? "event" : "signal-delivery", WSTOPSIG(st));
	ptrace(PTRACE_CONT, pid, 0, 0);
	CALL(SYS_getpid, 0, 0);
	printf("parasite still serves after it: getpid -> %ld (home pid %d)\n", s->ret, pid);
	t = now_ns();
	kill(pid, SIGKILL);
	struct pollfd p = { pfd, POLLIN, 0 };
	poll(&p, 1, 5000);
	printf("kill -9 at home seen by pidfd poll after %.0f us\n", (now_ns() - t) / 1e3);
	waitpid(pid, &st, __WALL);
	return 0;
}
