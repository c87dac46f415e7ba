// SPDX-License-Identifier: GPL-2.0-only
/*
 * Client side of the mosix-infod control socket (see ctl.h): one request,
 * one reply, over a fresh SOCK_SEQPACKET connection each time, so that a
 * command never has to care about a daemon restarting between two calls.
 */
#include "ctl.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* errno values a daemon may send back: anything else is a broken reply */
#define CTL_MAX_ERRNO 4095

static void set_reply(char *reply, size_t size, const char *text, size_t len)
{
	if (!reply || !size)
		return;
	if (len >= size)
		len = size - 1;
	memcpy(reply, text, len);
	reply[len] = '\0';
}

/*
 * Decode one reply packet. "ok" or "ok MESSAGE" gives 0; "error E MESSAGE"
 * gives -E; anything else (another word, a bad or missing number, a NUL
 * inside) is -EBADMSG. One trailing newline is tolerated. MESSAGE goes to
 * @reply, cut to fit.
 */
static int parse_reply(const char *msg, size_t len, char *reply, size_t size)
{
	unsigned long e = 0;
	size_t i;

	set_reply(reply, size, "", 0);
	if (len && msg[len - 1] == '\n')
		len--;
	if (memchr(msg, '\0', len))
		return -EBADMSG;
	if (len >= 2 && memcmp(msg, "ok", 2) == 0) {
		if (len == 2)
			return 0;
		if (msg[2] != ' ')
			return -EBADMSG;
		set_reply(reply, size, msg + 3, len - 3);
		return 0;
	}
	if (len < 6 || memcmp(msg, "error ", 6) != 0)
		return -EBADMSG;
	for (i = 6; i < len && msg[i] >= '0' && msg[i] <= '9'; i++) {
		e = e * 10 + (unsigned long)(msg[i] - '0');
		if (e > CTL_MAX_ERRNO)
			return -EBADMSG;
	}
	if (i == 6 || e == 0 || (i < len && msg[i] != ' '))
		return -EBADMSG;
	if (i < len)
		set_reply(reply, size, msg + i + 1, len - i - 1);
	return -(int)e;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until @fd is readable; -ETIMEDOUT when @timeout_ms passes first. */
static int wait_readable(int fd, int timeout_ms)
{
	int64_t deadline = now_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
	struct pollfd p = { .fd = fd, .events = POLLIN };

	for (;;) {
		int64_t left = deadline - now_ms();
		int r;

		if (left < 0)
			left = 0;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

int ctl_request(const char *run_dir, const char *request, int timeout_ms,
		char *reply, size_t reply_size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	/* one more byte than allowed, to tell an over-long reply */
	char buf[CTL_MAX_MSG + 1];
	size_t len = strlen(request);
	bool unsent = false;
	ssize_t n;
	int fd, r;

	set_reply(reply, reply_size, "", 0);
	if (len == 0 || len > CTL_MAX_MSG)
		return -EMSGSIZE;
	r = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", run_dir, CTL_SOCKET);
	if (r < 0 || (size_t)r >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto out_close;
	}
	if (send(fd, request, len, MSG_NOSIGNAL) < 0) {
		if (errno != EPIPE && errno != ECONNRESET) {
			r = -errno;
			goto out_close;
		}
		/*
		 * A daemon that refuses a client answers ("error 13 ...") and
		 * hangs up before reading anything: its reply may be waiting.
		 */
		unsent = true;
	}
	r = wait_readable(fd, unsent ? 0 : timeout_ms);
	if (r < 0)
		goto out_close;
	do {
		n = recv(fd, buf, sizeof(buf), 0);
	} while (n < 0 && errno == EINTR);
	/*
	 * A peer that closed with our request unread leaves ECONNRESET
	 * pending, which the kernel reports before the reply that came
	 * first; reporting it clears it.
	 */
	if (n < 0 && errno == ECONNRESET)
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && errno == EAGAIN)
		errno = ECONNRESET;
	if (n < 0) {
		r = -errno;
		goto out_close;
	}
	/* the daemon closed without answering: it refused us or died */
	if (n == 0) {
		r = -ECONNRESET;
		goto out_close;
	}
	if ((size_t)n > CTL_MAX_MSG) {
		r = -EBADMSG;
		goto out_close;
	}
	r = parse_reply(buf, (size_t)n, reply, reply_size);
out_close:
	close(fd);
	return r;
}
