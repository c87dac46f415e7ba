// SPDX-License-Identifier: GPL-2.0-only
/*
 * The link baselines of the migration benchmark (bench/mig-bench): raw
 * TCP between two nodes, with nothing of mosix in the way.
 *
 *   mig_net sink PORT              accept one connection, read to EOF into
 *                                  a reused (touched) buffer, answer one byte
 *   mig_net send ADDR PORT MIB     send MIB MiB to a sink; prints "send MIB
 *                                  MiB in S s: R MiB/s", timed from the
 *                                  connect to the sink's answer
 *   mig_net echo PORT              accept one connection, echo it byte by
 *                                  byte until EOF
 *   mig_net ping ADDR PORT N       N one-byte round trips through an echo;
 *                                  prints "rtt mean M us median D us"
 *
 * The client retries its connect for 5 s, so the server may be started at
 * the same time. Both ends set TCP_NODELAY, as the migration channel does.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (4UL << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "mig_net: %s: %s\n", what, strerror(errno));
	exit(1);
}

static long parse_num(const char *s, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v <= 0 || v > max) {
		fprintf(stderr, "mig_net: invalid number '%s'\n", s);
		exit(2);
	}
	return v;
}

static void nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int serve_one(const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)parse_num(port, 65535)) };
	int l, c, one = 1;

	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0)
		die("socket");
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0)
		die("listen");
	c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		die("accept");
	close(l);
	nodelay(c);
	return c;
}

static int dial(const char *addr, const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)parse_num(port, 65535)) };
	struct timespec nap = { 0, 10 * 1000 * 1000 };

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "mig_net: invalid address '%s'\n", addr);
		exit(2);
	}
	for (int tries = 0; tries < 500; tries++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket");
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			nodelay(fd);
			return fd;
		}
		close(fd);
		nanosleep(&nap, NULL);
	}
	die("connect");
	return -1;
}

static int sink(const char *port)
{
	char *buf = malloc(CHUNK);
	int c = serve_one(port);
	ssize_t n;

	if (!buf)
		die("malloc");
	memset(buf, 1, CHUNK);
	while ((n = read(c, buf, CHUNK)) > 0)
		;
	if (n < 0)
		die("read");
	if (write(c, "k", 1) != 1)
		die("write");
	close(c);
	free(buf);
	return 0;
}

static int send_mib(const char *addr, const char *port, long mib)
{
	char *buf = malloc(CHUNK), ack;
	long left = mib << 20;
	double t;
	int fd;

	if (!buf)
		die("malloc");
	memset(buf, 0x5a, CHUNK);
	t = now();
	fd = dial(addr, port);
	while (left > 0) {
		ssize_t n = write(fd, buf, (size_t)(left < (long)CHUNK ? left : (long)CHUNK));
		if (n < 0)
			die("write");
		left -= n;
	}
	shutdown(fd, SHUT_WR);
	if (read(fd, &ack, 1) != 1)
		die("read the answer");
	t = now() - t;
	printf("send %ld MiB in %.3f s: %.0f MiB/s\n", mib, t, (double)mib / t);
	close(fd);
	free(buf);
	return 0;
}

static int echo(const char *port)
{
	int c = serve_one(port);
	char b;

	while (read(c, &b, 1) == 1)
		if (write(c, &b, 1) != 1)
			die("write");
	close(c);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int ping(const char *addr, const char *port, long n)
{
	double *rtt = calloc((size_t)n, sizeof(*rtt)), sum = 0;
	int fd = dial(addr, port);
	char b = 'p';

	if (!rtt)
		die("calloc");
	/* a few round trips first, so the first measured one finds warm caches */
	for (int i = 0; i < 100; i++)
		if (write(fd, &b, 1) != 1 || read(fd, &b, 1) != 1)
			die("ping");
	for (long i = 0; i < n; i++) {
		double t = now();

		if (write(fd, &b, 1) != 1 || read(fd, &b, 1) != 1)
			die("ping");
		rtt[i] = now() - t;
		sum += rtt[i];
	}
	close(fd);
	qsort(rtt, (size_t)n, sizeof(*rtt), cmp_double);
	printf("rtt mean %.1f us median %.1f us\n", sum / (double)n * 1e6, rtt[n / 2] * 1e6);
	free(rtt);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (argc == 3 && !strcmp(cmd, "sink"))
		return sink(argv[2]);
	if (argc == 5 && !strcmp(cmd, "send"))
		return send_mib(argv[2], argv[3], parse_num(argv[4], 1L << 20));
	if (argc == 3 && !strcmp(cmd, "echo"))
		return echo(argv[2]);
	if (argc == 5 && !strcmp(cmd, "ping"))
		return ping(argv[2], argv[3], parse_num(argv[4], 10000000));
	fprintf(stderr, "usage: mig_net sink PORT | send ADDR PORT MIB | echo PORT |"
		" ping ADDR PORT N\n");
	return 2;
}
