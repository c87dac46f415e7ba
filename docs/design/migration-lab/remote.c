/* remote.c - the remote node: receive an image from home.c, restore it in
 * a guest process inside fresh pid+mount namespaces running as nobody, and
 * supervise it: seccomp user notifications for every non-local syscall;
 * getpid/getppid/gettid answered with the home values, write/read and a few
 * more forwarded to the deputy; signals from home delivered; the guest's
 * end reported home.
 *   usage: remote PORT [-P]    (-P: force the vDSO proxy) */
#include "stage.h"
#include "dump.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/seccomp.h>
#include <linux/futex.h>

static int sock, stpipe[2];
static struct img_hdr *HS;	/* the image header, shared with the guest */
static pid_t G, home_pid, home_ppid;
static uint64_t nfwd, fwd_ns, nlocal, local_ns;

static pid_t guest_pid(pid_t init)	/* G as seen from here */
{
	char p[64]; snprintf(p, sizeof(p), "/proc/%d/task/%d/children", init, init);
	FILE *f = fopen(p, "r");
	int g = 0;
	if (f) { if (fscanf(f, "%d", &g) != 1) g = 0; fclose(f); }
	return g;
}

/* The namespace's init: start G (pid 2), report its wait status, exit. */
static void ns_init(uint32_t *sync, int force_proxy)
{
	mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	mount("tmpfs", "/tmp", "tmpfs", 0, "size=1m");	/* this node's files differ */
	pid_t g = fork();
	if (g == 0) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534)) _exit(120);
		stage_and_jump(sock, sync, HS, force_proxy);
		sync[2] = 0; sync[0] = 2; syscall(SYS_futex, sync, FUTEX_WAKE, 1, 0, 0, 0);
		_exit(121);
	}
	int st = 0;
	while (waitpid(g, &st, 0) < 0 && errno == EINTR);
	write_full(stpipe[1], &st, sizeof(st));
	_exit(0);
}

static int want_home;
static uint32_t *SYNC;

/* migrate home: freeze the guest with the same dump code the home uses
 * (its injected calls pass the guest's filter: they are local ones), send
 * the image back, and end the guest once home confirms. */
static void comehome(void)
{
	static struct inj j;
	static struct img_hdr h;
	static struct img_vma v[MAX_VMAS];
	uint64_t *s64 = (uint64_t *)(SYNC + 8), t0 = now_ns();
	int st;
	if (ptrace(PTRACE_SEIZE, G, 0, 0)) die("seize guest");
	ptrace(PTRACE_INTERRUPT, G, 0, 0);
	while (waitpid(G, &st, __WALL) == G && (st >> 16) != PTRACE_EVENT_STOP)
		ptrace(PTRACE_CONT, G, 0, WSTOPSIG(st));
	if (inj_setup(&j, G, 1 << 16) || dump_state(&j, &h)) die("dump guest");
	dump_excl[0][0] = s64[3]; dump_excl[0][1] = s64[4];	/* blob leftovers */
	dump_excl[1][0] = HS->vdso_start; dump_excl[1][1] = HS->vdso_end;	/* vDSO proxy, if any */
	dump_nexcl = 2;
	if (dump_vmas(&j, &h, v)) die("guest maps");
	/* the home's vDSO, not ours: where the process expects it, and its
	 * bytes, so that the next node can decide move or proxy again */
	h.vvar_start = HS->vvar_start; h.vdso_start = HS->vdso_start; h.vdso_end = HS->vdso_end;
	memcpy(h.vdso, HS->vdso, sizeof(h.vdso));
	h.home_pid = HS->home_pid; h.home_ppid = HS->home_ppid;
	struct dump_stats ds = { 0 };
	if (send_msg(sock, M_IMAGE, 0, 0, 0, 0) || dump_memory(&j, &h, v, sock, &ds)) die("send image");
	struct msg m;
	while (!read_full(sock, &m, sizeof(m)) && m.type != M_HOMEOK);
	kill(G, SIGKILL);
	fprintf(stderr, "remote: guest sent home: %u vmas, %.1f MiB in %.1f ms; guest ended\n",
		h.nvma, ds.bytes / 1048576.0, (now_ns() - t0) / 1e6);
	exit(0);
}

static void deliver(struct msg *m)
{
	if (m->type == M_COMEHOME) want_home = 1;
	if (m->type == M_SIGNAL) kill(G, m->a[0]);
	else if (m->type == M_KILL) {
		uint64_t t = now_ns();
		kill(G, SIGKILL);
		int st; read_full(stpipe[0], &st, sizeof(st));
		fprintf(stderr, "remote: home killed; guest %d gone %.0f us after the word came\n",
			G, (now_ns() - t) / 1e3);
		exit(0);
	}
}

static void handle(int lfd)
{
	static struct seccomp_notif n;
	static char buf[1 << 20];
	memset(&n, 0, sizeof(n));
	if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &n)) return;
	uint64_t t0 = now_ns();
	struct seccomp_notif_resp r = { .id = n.id };
	const uint64_t *a = (const uint64_t *)n.data.args;
	int nr = n.data.nr, local = 1;
	if (nr == SYS_getpid || nr == SYS_gettid) r.val = home_pid;
	else if (nr == SYS_getppid) r.val = home_ppid;
	else if (nr == SYS_write || nr == SYS_read || nr == SYS_close || nr == SYS_fcntl ||
		 nr == SYS_lseek || nr == SYS_dup || nr == SYS_dup2) {
		local = 0;
		int64_t q[8] = { nr, a[0], a[1], a[2], a[3], a[4], a[5], 0 };
		uint32_t inlen = 0;
		if (nr == SYS_write) {
			inlen = a[2] < sizeof(buf) ? a[2] : sizeof(buf);
			struct iovec l = { buf, inlen }, rv = { (void *)a[1], inlen };
			if (process_vm_readv(n.pid, &l, 1, &rv, 1, 0) != (ssize_t)inlen) inlen = 0;
		}
		if (send_msg(sock, M_SYSCALL, q, 8, buf, inlen)) exit(1);
		struct msg m;
		for (;;) {	/* signals may come first */
			if (read_full(sock, &m, sizeof(m))) exit(1);
			if (m.type == M_SYSRET) break;
			deliver(&m);
		}
		if (m.len > sizeof(buf) || read_full(sock, buf, m.len)) exit(1);
		if (m.len) {
			struct iovec l = { buf, m.len }, rv = { (void *)a[1], m.len };
			process_vm_writev(n.pid, &l, 1, &rv, 1, 0);
		}
		if (m.a[0] < 0) r.error = m.a[0]; else r.val = m.a[0];
	} else if (nr == SYS_clone || nr == SYS_clone3 || nr == SYS_fork || nr == SYS_vfork ||
		   nr == SYS_execve || nr == SYS_execveat) {
		/* bring home: leave the call pending; freezing the guest cancels
		 * it (-ERESTARTSYS), the dump turns that into a restart, and the
		 * process makes the call again, natively, at home */
		fprintf(stderr, "remote: syscall %d: bringing the process home first\n", nr);
		want_home = 1;
		return;
	} else {
		fprintf(stderr, "remote: syscall %d not in the lab table: ENOSYS\n", nr);
		r.error = -ENOSYS;
	}
	ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &r);
	uint64_t dt = now_ns() - t0;
	if (local) { nlocal++; local_ns += dt; } else { nfwd++; fwd_ns += dt; }
}

int main(int argc, char **argv)
{
	if (argc < 2) { fprintf(stderr, "usage: remote PORT [-P]\n"); return 2; }
	int force_proxy = argc > 2 && !strcmp(argv[2], "-P");
	int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (bind(ls, (void *)&sa, sizeof(sa)) || listen(ls, 1)) die("listen");
	sock = accept(ls, NULL, NULL);
	setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	uint32_t *sync = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	SYNC = sync;
	HS = mmap(NULL, sizeof(*HS), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (pipe(stpipe) || unshare(CLONE_NEWPID)) die("pipe/unshare");
	const char *off = getenv("LAB_TIMENS_OFFSET");	/* seconds added to MONOTONIC */
	if (off) {	/* a real node uses home's clock minus its own, sampled at commit */
		char b[64];
		int fd, n = snprintf(b, sizeof(b), "monotonic %s 0\nboottime %s 0\n", off, off);
		if (unshare(CLONE_NEWTIME) || (fd = open("/proc/self/timens_offsets", O_WRONLY)) < 0 ||
		    write(fd, b, n) != n) die("time namespace");
		close(fd);
	}
	uint64_t t0 = now_ns();
	pid_t init = fork();
	if (init == 0) {
		if (unshare(CLONE_NEWNS)) _exit(119);
		ns_init(sync, force_proxy);
	}
	while (!sync[0]) {	/* READY or failure from the blob */
		struct timespec ts = { 0, 100000000 };
		syscall(SYS_futex, sync, FUTEX_WAIT, 0, &ts, 0, 0);
		if (waitpid(init, NULL, WNOHANG) == init) break;
	}
	G = guest_pid(init);
	home_pid = HS->home_pid; home_ppid = HS->home_ppid;
	if (sync[0] != 1) {
		fprintf(stderr, "remote: restore failed at step %u (errno %u); abort\n", sync[2], sync[3]);
		send_msg(sock, M_ABORT, 0, 0, 0, 0);
		return 1;
	}
	int pfd = syscall(SYS_pidfd_open, G, 0);
	int lfd = syscall(SYS_pidfd_getfd, pfd, sync[2], 0);
	if (lfd < 0) die("pidfd_getfd");
	fprintf(stderr, "remote: guest %d restored in %.1f ms (nobody, own pid+mnt ns); READY\n",
		G, (now_ns() - t0) / 1e6);
	struct msg m;
	if (send_msg(sock, M_READY, 0, 0, 0, 0) || read_full(sock, &m, sizeof(m)) || m.type != M_GO) {
		sync[1] = 2;	/* no commit: the guest never runs */
		syscall(SYS_futex, sync + 1, FUTEX_WAKE, 1, 0, 0, 0);
		return 1;
	}
	sync[1] = 1;
	syscall(SYS_futex, sync + 1, FUTEX_WAKE, 1, 0, 0, 0);
	struct pollfd pf[3] = { { lfd, POLLIN, 0 }, { sock, POLLIN, 0 }, { stpipe[0], POLLIN, 0 } };
	for (;;) {
		if (want_home) comehome();
		if (poll(pf, 3, -1) < 0) continue;
		if (pf[0].revents & POLLIN) handle(lfd);
		if (pf[1].revents) {
			if (read_full(sock, &m, sizeof(m))) { kill(G, SIGKILL); return 1; }
			deliver(&m);
		}
		if (pf[2].revents) {
			int st;
			read_full(stpipe[0], &st, sizeof(st));
			int64_t e[2] = { WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st) };
			fprintf(stderr, "remote: guest ended (%s %d); %lu forwarded calls, %.1f us each "
				"at the supervisor; %lu answered here, %.1f us each\n",
				e[0] ? "signal" : "exit", (int)e[1], nfwd, nfwd ? fwd_ns / 1e3 / nfwd : 0,
				nlocal, nlocal ? local_ns / 1e3 / nlocal : 0);
			send_msg(sock, M_EXIT, e, 2, 0, 0);
			return 0;
		}
	}
}
