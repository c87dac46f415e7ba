// SPDX-License-Identifier: GPL-2.0-only
/* The probe mosix-tune moves around (tune_probe.h). */
#include "tune_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* the fd the probe reports on, in its own numbering */
#define PROBE_FD 3

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

void tune_probe_init(struct tune_probe *p)
{
	memset(p, 0, sizeof(*p));
	p->fd = -1;
}

void tune_probe_release(struct tune_probe *p)
{
	if (!p)
		return;
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (p->fd >= 0)
		close(p->fd);
	tune_probe_init(p);
}

/*
 * The next line the probe wrote, without its newline, waiting up to
 * @timeout_ms. Lines are short and each is one write, but a read may
 * still end mid-line: what follows a newline is kept for the next call.
 */
static int read_line(struct tune_probe *p, unsigned timeout_ms, char *line, size_t cap)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000u;

	for (;;) {
		char *nl = memchr(p->buf, '\n', p->len);
		struct pollfd pf = { p->fd, POLLIN, 0 };
		uint64_t now;
		ssize_t n;
		int r;

		if (nl) {
			size_t l = (size_t)(nl - p->buf);

			if (l >= cap)
				return -EPROTO;
			memcpy(line, p->buf, l);
			line[l] = '\0';
			p->len -= l + 1;
			memmove(p->buf, nl + 1, p->len);
			return 0;
		}
		if (p->len == sizeof(p->buf))
			return -EPROTO;
		now = now_ns();
		if (now >= end)
			return -ETIMEDOUT;
		r = poll(&pf, 1, (int)((end - now + 999999) / 1000000));
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r <= 0)
			continue;
		n = read(p->fd, p->buf + p->len, sizeof(p->buf) - p->len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		p->len += (size_t)n;
	}
}

int tune_probe_start(struct tune_probe *p, const char *exe, unsigned mib, unsigned calls,
		     unsigned timeout_ms)
{
	char a_mib[16], a_calls[16], a_fd[16], line[32];
	char *argv[] = { (char *)"mosix-tune", (char *)TUNE_PROBE_ARG, a_mib, a_calls, a_fd,
			 NULL };
	pid_t parent = getpid();
	int pfd[2], r;

	tune_probe_init(p);
	snprintf(a_mib, sizeof(a_mib), "%u", mib);
	snprintf(a_calls, sizeof(a_calls), "%u", calls);
	snprintf(a_fd, sizeof(a_fd), "%d", PROBE_FD);
	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	p->pid = fork();
	if (p->pid < 0) {
		r = -errno;
		p->pid = 0;
		goto out_close_pipe;
	}
	if (p->pid == 0) {
		/* dies with mosix-tune, wherever it runs then */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(127);
		if (pfd[1] == PROBE_FD ? fcntl(PROBE_FD, F_SETFD, 0) < 0
				       : dup2(pfd[1], PROBE_FD) < 0)
			_exit(127);
		execv(exe, argv);
		_exit(127);
	}
	close(pfd[1]);
	p->fd = pfd[0];
	r = read_line(p, timeout_ms, line, sizeof(line));
	if (!r && strcmp(line, "ready"))
		r = -EPROTO;
	if (r)
		tune_probe_release(p);
	return r;

out_close_pipe:
	close(pfd[0]);
	close(pfd[1]);
	return r;
}

int tune_probe_calls(struct tune_probe *p, unsigned timeout_ms, uint64_t *ret_ns)
{
	unsigned long long ns;
	char line[48], extra;
	int r;

	if (p->pid <= 0 || kill(p->pid, SIGUSR1))
		return -ESRCH;
	r = read_line(p, timeout_ms, line, sizeof(line));
	if (r)
		return r;
	if (sscanf(line, "calls %llu%c", &ns, &extra) != 1)
		return -EPROTO;
	*ret_ns = ns;
	return 0;
}

/* --- the probe ----------------------------------------------------------- */

static volatile sig_atomic_t probe_asked;

static void on_usr1(int sig)
{
	(void)sig;
	probe_asked = 1;
}

/* All of @len bytes at @mem, pseudo-random (xorshift64). */
static void fill(uint64_t *mem, size_t len)
{
	uint64_t x = 0x9e3779b97f4a7c15u ^ (uint64_t)getpid();

	for (size_t i = 0; i < len / sizeof(*mem); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		mem[i] = x;
	}
}

/* The whole line or an error; EPIPE (mosix-tune is done) ends the probe. */
static int report(int fd, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;

	do
		n = write(fd, text, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int tune_probe_run(unsigned mib, unsigned calls, int fd)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigset_t usr1, waiting;
	size_t len = (size_t)mib << 20;
	char line[48];
	void *mem;
	int r;

	if (fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &usr1, &waiting) || sigaction(SIGUSR1, &sa, NULL))
		return -errno;
	sigdelset(&waiting, SIGUSR1);
	/* mmap, not malloc: the memory must be ours alone, whatever the allocator */
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return -errno;
	fill(mem, len);
	r = report(fd, "ready\n");
	while (!r) {
		uint64_t t0, t1;

		while (!probe_asked)
			sigsuspend(&waiting);
		probe_asked = 0;
		t0 = now_ns();
		for (unsigned i = 0; i < calls; i++)
			syscall(SYS_getuid);
		t1 = now_ns();
		snprintf(line, sizeof(line), "calls %llu\n", (unsigned long long)(t1 - t0));
		r = report(fd, line);
	}
	munmap(mem, len);
	return r == -EPIPE ? 0 : r;
}
