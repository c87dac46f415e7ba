/* home.c - the home side: freeze PID, send its image to a remote restorer
 * (remote.c) over TCP, and after the remote reports READY (the commit
 * point) become its deputy: run forwarded syscalls inside the frozen home
 * process by injection, forward signals that reach the home pid, kill the
 * remote when the home process is killed, and end the home process with
 * the remote's exit status or signal.
 *   usage: home PID PORT [-d] [-p] [-b SECONDS]
 *   -d: drop the home copy of memory at commit
 *   -p: serve forwarded calls with the parasite loop (parasite.c) instead
 *       of one ptrace injection per call
 *   -b: bring the process home after SECONDS (migrate PID home)
 *   -n PORT2: with -b, move it on to the remote at PORT2 instead */
#include "dump.h"
#include "parasite.inc"
#include <linux/futex.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

static struct inj J;
static struct img_hdr H;
static struct img_vma V[MAX_VMAS];
struct shm { volatile uint32_t req, done, pad[2]; long nr, a[6], ret; char buf[]; };
static struct shm *S;		/* the deputy's view of the shared page */
static uint64_t S_home;		/* the home process's view */
static uint64_t nserved, served_ns;
static char iobuf[1 << 20];
#include "homerestore.h"

static void park(void)	/* the home process waits in pause() at the gadget */
{
	struct user_regs_struct r = J.saved;
	r.rip = J.gadget; r.rax = SYS_pause; r.orig_rax = -1;
	ptrace(PTRACE_SETREGS, J.pid, 0, &r);
	ptrace(PTRACE_CONT, J.pid, 0, 0);
}

/* The home keeps its kernel state only. rseq goes first: else the kernel
 * faults writing cpu_id into freed memory and kills the process. */
static void drop_home(void)
{
	if (H.rseq_ptr) inj_call(&J, SYS_rseq, H.rseq_ptr, H.rseq_len, 1, H.rseq_sig, 0, 0);
	for (uint32_t i = 0; i < H.nvma; i++)
		inj_call(&J, SYS_munmap, V[i].start, V[i].end - V[i].start, 0, 0, 0, 0);
}

/* Stop the parked process; forward signals that were already on the way. */
static int stop_home(int sock)
{
	ptrace(PTRACE_INTERRUPT, J.pid, 0, 0);
	for (;;) {
		int st;
		if (waitpid(J.pid, &st, __WALL) < 0 || !WIFSTOPPED(st)) return -1;
		if ((st >> 16) == PTRACE_EVENT_STOP) return 0;
		int64_t a = WSTOPSIG(st);
		send_msg(sock, M_SIGNAL, &a, 1, 0, 0);
		ptrace(PTRACE_CONT, J.pid, 0, 0);
	}
}

static void flush_pending(int sock)
{
	for (int i = 0; i < J.npending; i++) {
		int64_t a = J.pending[i];
		send_msg(sock, M_SIGNAL, &a, 1, 0, 0);
	}
	J.npending = 0;
}

/* Forwarded call: a[0]=nr, a[1..6]=args, a[7]=out bytes. Lab subset of the
 * argument table: write/pwrite copy a buffer in, read copies one out, the
 * rest go with their raw integer arguments. */
static void serve_syscall(int sock, struct msg *m)
{
	int64_t nr = m->a[0], *a = m->a + 1, ret, outlen = 0;
	if (m->len > sizeof(iobuf) || read_full(sock, iobuf, m->len)) exit(1);
	uint64_t t0 = now_ns();
	if (S) {	/* parasite: buffers in the shared page, one futex round trip */
		static uint32_t seq;
		S->nr = nr;
		for (int i = 0; i < 6; i++) S->a[i] = a[i];
		if (nr == SYS_write || nr == SYS_pwrite64) {
			memcpy(S->buf, iobuf, m->len); S->a[1] = S_home + offsetof(struct shm, buf); S->a[2] = m->len;
		} else if (nr == SYS_read) {
			S->a[1] = S_home + offsetof(struct shm, buf); if (S->a[2] > 1 << 20) S->a[2] = 1 << 20;
		}
		S->req = ++seq;
		syscall(SYS_futex, &S->req, FUTEX_WAKE, 1, 0, 0, 0);
		while (S->done != seq) {
			struct timespec ts = { 0, 1000000 };
			syscall(SYS_futex, &S->done, FUTEX_WAIT, seq - 1, &ts, 0, 0);
			int ws;	/* a signal stops the home process: forward it */
			if (S->done != seq && waitpid(J.pid, &ws, __WALL | WNOHANG) == J.pid) {
				if (!WIFSTOPPED(ws)) exit(1);
				int64_t sg = WSTOPSIG(ws);
				if ((ws >> 16) == 0) send_msg(sock, M_SIGNAL, &sg, 1, 0, 0);
				ptrace(PTRACE_CONT, J.pid, 0, 0);
			}
		}
		ret = S->ret;
		if (nr == SYS_read && ret > 0) { memcpy(iobuf, S->buf, ret); outlen = ret; }
		nserved++; served_ns += now_ns() - t0;
		send_msg(sock, M_SYSRET, &ret, 1, iobuf, outlen);
		return;
	}
	uint64_t sb = J.scratch + 4096;
	if (stop_home(sock)) exit(1);
	if (nr == SYS_write || nr == SYS_pwrite64) {
		inj_put(&J, sb, iobuf, m->len);
		ret = inj_call(&J, nr, a[0], sb, m->len, a[3], 0, 0);
	} else if (nr == SYS_read) {
		ret = inj_call(&J, nr, a[0], sb, a[2] < (int64_t)sizeof(iobuf) ? a[2] : (int64_t)sizeof(iobuf), 0, 0, 0);
		if (ret > 0 && !inj_get(&J, sb, iobuf, ret)) outlen = ret;
	} else {
		ret = inj_call(&J, nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
	flush_pending(sock);
	park();
	nserved++; served_ns += now_ns() - t0;
	send_msg(sock, M_SYSRET, &ret, 1, iobuf, outlen);
}

/* The remote ended: end the home process the same way, so that its parent
 * sees the true status. a[0]=0: exit(a[1]); a[0]=1: killed by signal a[1]. */
static void finish(int sock, struct msg *m)
{
	if (stop_home(sock)) exit(1);
	if (m->a[0] == 0) {
		inj_call(&J, SYS_exit_group, m->a[1], 0, 0, 0, 0, 0);
	} else {
		struct ksigaction dfl = { 0 };
		uint64_t unblock = 1ull << (m->a[1] - 1);
		inj_put(&J, J.scratch + 64, &dfl, sizeof(dfl));
		inj_put(&J, J.scratch + 128, &unblock, 8);
		inj_call(&J, SYS_rt_sigaction, m->a[1], J.scratch + 64, 0, 8, 0, 0);
		inj_call(&J, SYS_rt_sigprocmask, SIG_UNBLOCK, J.scratch + 128, 0, 8, 0, 0);
		ptrace(PTRACE_CONT, J.pid, 0, m->a[1]);	/* from the int3 stop */
	}
	int st;
	waitpid(J.pid, &st, __WALL);
	fprintf(stderr, "home: process %d ended (%s %d); served %lu calls, %.1f us each at home\n",
		J.pid, m->a[0] ? "signal" : "exit", (int)m->a[1], nserved,
		nserved ? served_ns / 1e3 / nserved : 0);
	exit(0);
}

int main(int argc, char **argv)
{
	int drop = 0, para = 0, opt, back = -1, next = 0;
	while ((opt = getopt(argc, argv, "dpb:n:")) != -1) {
		if (opt == 'n') next = atoi(optarg);
		if (opt == 'd') drop = 1;
		else if (opt == 'p') para = 1;
		else if (opt == 'b') back = atoi(optarg) * 1000;
	}
	if (argc - optind < 2) { fprintf(stderr, "usage: home PID PORT [-d] [-p] [-b S]\n"); return 2; }
	argv += optind - 1;
	pid_t pid = atoi(argv[1]);
	int sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (connect(sock, (void *)&sa, sizeof(sa))) die("connect");
	setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	signal(SIGPIPE, SIG_IGN);	/* a dead peer must not kill us mid-injection */
	struct dump_stats st = { 0 };
	uint64_t t0 = now_ns();
	if (ptrace(PTRACE_SEIZE, pid, 0, 0)) die("seize %d", pid);
	ptrace(PTRACE_INTERRUPT, pid, 0, 0);
	int ws;
	if (waitpid(pid, &ws, __WALL) < 0) die("waitpid");
	st.freeze_ns = now_ns() - t0;
	if (inj_setup(&J, pid, 1 << 21)) die("inject setup");
	t0 = now_ns();
	if (dump_state(&J, &H)) die("dump state");
	H.home_pid = pid;
	char p[64]; snprintf(p, sizeof(p), "/proc/%d/stat", pid);
	FILE *f = fopen(p, "r");
	if (!f || fscanf(f, "%*d (%*[^)]) %*c %d", &H.home_ppid) != 1) die("stat");
	fclose(f);
	int r = dump_vmas(&J, &H, V);
	if (r == -2) { fprintf(stderr, "cannot migrate %d: writable shared mapping\n", pid); goto abort; }
	if (r) die("maps");
	st.state_ns = now_ns() - t0;
	if (dump_memory(&J, &H, V, sock, &st)) { fprintf(stderr, "home: stream broke\n"); goto abort; }
	struct msg m;
	if (read_full(sock, &m, sizeof(m)) || m.type != M_READY) {
		fprintf(stderr, "home: remote did not confirm; process continues at home\n");
		goto abort;
	}
	/* Commit: from here the remote runs the process. */
	uint64_t frozen = now_ns() - t0 + st.freeze_ns;
	fprintf(stderr, "home: %d committed: %d vmas, %.1f MiB sent (%lu pages never touched skipped), "
		"interrupt %.0f us, state %.0f us, memory %.1f ms (%.0f MiB/s), frozen %.1f ms\n",
		pid, H.nvma, st.bytes / 1048576.0, st.pages_skipped, st.freeze_ns / 1e3,
		st.state_ns / 1e3, st.mem_ns / 1e6, st.bytes / 1048576.0 / (st.mem_ns / 1e9), frozen / 1e6);
	size_t shm_len = 4096 + (1 << 20);
	if (para) {
		/* plant the parasite: a memfd made in the home process (its fd
		 * closed there again), mapped by both sides */
		int hfd = inj_call(&J, SYS_memfd_create, J.scratch + 512, 0, 0, 0, 0, 0);
		int pfd = syscall(SYS_pidfd_open, pid, 0);
		int mfd = syscall(SYS_pidfd_getfd, pfd, hfd, 0);
		size_t len = shm_len;
		if (hfd < 0 || mfd < 0 || ftruncate(mfd, len)) die("parasite memfd");
		S_home = inj_call(&J, SYS_mmap, 0, len, PROT_READ | PROT_WRITE, MAP_SHARED, hfd, 0);
		inj_call(&J, SYS_close, hfd, 0, 0, 0, 0, 0);
		S = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
		close(mfd); close(pfd);
		inj_put(&J, J.scratch + 1024, parasite_bin, sizeof(parasite_bin));
		/* mapped before the drop, so it sits in a hole of the image */
		if (drop) drop_home();
		struct user_regs_struct pr = J.saved;
		pr.rip = J.scratch + 1024; pr.rdi = S_home; pr.orig_rax = -1;
		pr.rsp = J.scratch + J.scratch_len - 64;
		send_msg(sock, M_GO, 0, 0, 0, 0);
		ptrace(PTRACE_SETREGS, pid, 0, &pr);
		ptrace(PTRACE_CONT, pid, 0, 0);
	} else {
		if (drop) drop_home();
		send_msg(sock, M_GO, 0, 0, 0, 0);
		park();
	}

	sigset_t ss; sigemptyset(&ss); sigaddset(&ss, SIGCHLD);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	int sfd = signalfd(-1, &ss, SFD_CLOEXEC);
	uint64_t deadline = now_ns() + (uint64_t)back * 1000000;
	struct pollfd pf[2] = { { sock, POLLIN, 0 }, { sfd, POLLIN, 0 } };
	for (;;) {
		int64_t left = back < 0 ? -1 : (int64_t)(deadline - now_ns()) / 1000000;
		int n = poll(pf, 2, back < 0 ? -1 : left < 0 ? 0 : left);
		if (n == 0 && back >= 0) {	/* migrate PID home */
			send_msg(sock, M_COMEHOME, 0, 0, 0, 0);
			back = -1;
			continue;
		}
		if (n < 0) continue;
		if (pf[1].revents) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) < 0) continue;
			while ((r = waitpid(pid, &ws, __WALL | WNOHANG)) > 0) {
				if (WIFEXITED(ws) || WIFSIGNALED(ws)) {	/* kill -9 at home */
					send_msg(sock, M_KILL, 0, 0, 0, 0);
					fprintf(stderr, "home: process %d died at home (%s), remote killed\n",
						pid, WIFSIGNALED(ws) ? strsignal(WTERMSIG(ws)) : "exit");
					return 0;
				}
				if ((ws >> 16) == 0) {	/* signal-delivery stop: forward */
					int64_t a = WSTOPSIG(ws);
					send_msg(sock, M_SIGNAL, &a, 1, 0, 0);
				}
				ptrace(PTRACE_CONT, pid, 0, 0);	/* suppressed at home */
			}
		}
		if (pf[0].revents) {
			if (read_full(sock, &m, sizeof(m))) {
				fprintf(stderr, "home: lost the remote node; killing %d\n", pid);
				kill(pid, SIGKILL);
				return 1;
			}
			if (m.type == M_SYSCALL) serve_syscall(sock, &m);
			else if (m.type == M_EXIT) finish(sock, &m);
			else if (m.type == M_IMAGE && next) {
				if ((sock = relay_to(sock, next)) < 0) {
					fprintf(stderr, "home: move to node at %d failed\n", next);
					return 1;	/* lab: a real deputy keeps the old remote */
				}
				pf[0].fd = sock;
				next = 0;
			} else if (m.type == M_IMAGE) {
				int e = come_home(sock, S_home, shm_len);
				if (e) {
					fprintf(stderr, "home: coming home failed (homerestore.h:%d, %m); killing %d\n", -e, pid);
					kill(pid, SIGKILL);
					return 1;
				}
				return 0;
			}
		}
	}
abort:
	inj_teardown(&J);
	inj_restore(&J);
	ptrace(PTRACE_DETACH, pid, 0, 0);
	return 1;
}
