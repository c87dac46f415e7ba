// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control socket client against a scripted server in a child process:
 * every reply form (ok, ok MESSAGE, error E MESSAGE), every malformed reply,
 * a daemon that hangs up or never answers, and no daemon at all.
 *
 * The server answers "say TEXT" with TEXT verbatim, so each test chooses
 * the exact bytes it gets back.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/ctl.h"

static char dir[] = "/tmp/mosix-test-ctl.XXXXXX";
static char refusing[] = "/tmp/mosix-test-ctl-refusing.XXXXXX";
static pid_t server, refuser;

static int listen_at(const char *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", d, CTL_SOCKET);
	unlink(sa.sun_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The child: one request per connection, until "quit". */
static void serve(int lfd)
{
	char buf[2 * CTL_MAX_MSG];

	for (;;) {
		int c = accept(lfd, NULL, NULL);
		ssize_t n;

		if (c < 0)
			_exit(1);
		n = recv(c, buf, sizeof(buf) - 1, 0);
		if (n <= 0) {
			close(c);
			continue;
		}
		buf[n] = '\0';
		if (strcmp(buf, "quit") == 0)
			_exit(0);
		if (strncmp(buf, "say ", 4) == 0) {
			send(c, buf + 4, (size_t)n - 4, MSG_NOSIGNAL);
		} else if (strcmp(buf, "nul") == 0) {
			send(c, "ok a\0b", 6, MSG_NOSIGNAL);
		} else if (strcmp(buf, "long") == 0) {
			memset(buf, 'x', CTL_MAX_MSG + 10);
			memcpy(buf, "ok ", 3);
			send(c, buf, CTL_MAX_MSG + 10, MSG_NOSIGNAL);
		} else if (strcmp(buf, "silent") == 0) {
			/* hold the connection open and say nothing */
			recv(c, buf, sizeof(buf), 0);
		}
		/* anything else, "hangup" included: close without a reply */
		close(c);
	}
}

/* The other child: refuses every client at once, unread, as the daemon does. */
static void refuse(int lfd)
{
	static const char no[] = "error 13 permission denied: root or group mosix only";

	for (;;) {
		int c = accept(lfd, NULL, NULL);

		if (c < 0)
			_exit(1);
		send(c, no, sizeof(no) - 1, MSG_NOSIGNAL);
		close(c);
	}
}

static int setup(void **state)
{
	int lfd;

	(void)state;
	if (!mkdtemp(refusing))
		return -1;
	lfd = listen_at(refusing);
	if (lfd < 0)
		return -1;
	refuser = fork();
	if (refuser < 0)
		return -1;
	if (refuser == 0)
		refuse(lfd);
	close(lfd);

	if (!mkdtemp(dir))
		return -1;
	lfd = listen_at(dir);
	if (lfd < 0)
		return -1;
	server = fork();
	if (server < 0)
		return -1;
	if (server == 0)
		serve(lfd);
	close(lfd);
	return 0;
}

static int teardown(void **state)
{
	char path[256];

	(void)state;
	ctl_request(dir, "quit", 1000, NULL, 0);
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	kill(refuser, SIGKILL);
	waitpid(refuser, NULL, 0);
	snprintf(path, sizeof(path), "%s/%s", dir, CTL_SOCKET);
	unlink(path);
	rmdir(dir);
	snprintf(path, sizeof(path), "%s/%s", refusing, CTL_SOCKET);
	unlink(path);
	rmdir(refusing);
	return 0;
}

static void test_ok(void **state)
{
	char reply[CTL_MAX_MSG + 1] = "junk";

	(void)state;
	assert_int_equal(ctl_request(dir, "say ok", 2000, reply, sizeof(reply)), 0);
	assert_string_equal(reply, "");
	assert_int_equal(ctl_request(dir, "say ok 0.1 3", 2000, reply, sizeof(reply)), 0);
	assert_string_equal(reply, "0.1 3");
	assert_int_equal(ctl_request(dir, "say ok with newline\n", 2000, reply, sizeof(reply)), 0);
	assert_string_equal(reply, "with newline");
	/* no reply buffer: the status alone */
	assert_int_equal(ctl_request(dir, "say ok fine", 2000, NULL, 0), 0);
}

static void test_error(void **state)
{
	char reply[64];

	(void)state;
	assert_int_equal(ctl_request(dir, "say error 1 only root may block", 2000,
				     reply, sizeof(reply)), -EPERM);
	assert_string_equal(reply, "only root may block");
	assert_int_equal(ctl_request(dir, "say error 22", 2000, reply, sizeof(reply)),
			 -EINVAL);
	assert_string_equal(reply, "");
	assert_int_equal(ctl_request(dir, "say error 4095 x", 2000, reply, sizeof(reply)),
			 -4095);
}

static void test_truncated_reply(void **state)
{
	char reply[6];

	(void)state;
	assert_int_equal(ctl_request(dir, "say ok 123456789", 2000, reply, sizeof(reply)), 0);
	assert_string_equal(reply, "12345");
	assert_int_equal(ctl_request(dir, "say error 2 abcdefgh", 2000, reply, sizeof(reply)),
			 -ENOENT);
	assert_string_equal(reply, "abcde");
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"say okay", "say OK", "say error", "say error ", "say error x y",
		"say error 0 zero", "say error 4096 big", "say error 12x y",
		"say error -5 neg", "say fine", "say  ok",
	};
	char reply[64];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = ctl_request(dir, bad[i], 2000, reply, sizeof(reply));

		if (r != -EBADMSG)
			fail_msg("'%s' gave %d, not -EBADMSG", bad[i] + 4, r);
	}
	assert_int_equal(ctl_request(dir, "nul", 2000, reply, sizeof(reply)), -EBADMSG);
	assert_int_equal(ctl_request(dir, "long", 2000, reply, sizeof(reply)), -EBADMSG);
}

static void test_no_answer(void **state)
{
	char reply[64] = "junk";

	(void)state;
	assert_int_equal(ctl_request(dir, "hangup", 2000, reply, sizeof(reply)),
			 -ECONNRESET);
	assert_string_equal(reply, "");
	assert_int_equal(ctl_request(dir, "silent", 100, reply, sizeof(reply)),
			 -ETIMEDOUT);
}

/*
 * Refused before the request was read: whether the refusal comes before
 * or after our send, the daemon's reason is what we get.
 */
static void test_refused(void **state)
{
	char reply[128];

	(void)state;
	for (int i = 0; i < 50; i++) {
		assert_int_equal(ctl_request(refusing, "block", 2000, reply, sizeof(reply)),
				 -EACCES);
		assert_string_equal(reply, "permission denied: root or group mosix only");
		/* give the refuser a head start now and then: the other order */
		if (i % 2)
			usleep(2000);
	}
}

static void test_bad_request(void **state)
{
	char big[CTL_MAX_MSG + 2];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(ctl_request(dir, big, 1000, NULL, 0), -EMSGSIZE);
	assert_int_equal(ctl_request(dir, "", 1000, NULL, 0), -EMSGSIZE);
	big[CTL_MAX_MSG] = '\0';
	memcpy(big, "say ok", 6);
	big[6] = ' ';
	/* exactly CTL_MAX_MSG is allowed (and the reply is long but legal) */
	assert_int_equal(ctl_request(dir, big, 2000, NULL, 0), 0);
}

static void test_no_daemon(void **state)
{
	char other[] = "/tmp/mosix-test-ctl2.XXXXXX";
	char path[256], longdir[200];
	int fd;

	(void)state;
	assert_non_null(mkdtemp(other));
	assert_int_equal(ctl_request(other, "ping", 1000, NULL, 0), -ENOENT);
	/* a socket file left by a dead daemon */
	fd = listen_at(other);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ctl_request(other, "ping", 1000, NULL, 0), -ECONNREFUSED);
	snprintf(path, sizeof(path), "%s/%s", other, CTL_SOCKET);
	unlink(path);
	rmdir(other);

	memset(longdir, 'd', sizeof(longdir) - 1);
	longdir[0] = '/';
	longdir[sizeof(longdir) - 1] = '\0';
	assert_int_equal(ctl_request(longdir, "ping", 1000, NULL, 0), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_error),
		cmocka_unit_test(test_truncated_reply),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_no_answer),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_bad_request),
		cmocka_unit_test(test_no_daemon),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
