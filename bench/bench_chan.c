// SPDX-License-Identifier: GPL-2.0-only
/*
 * Throughput of the migration channel between two processes, against the
 * same bytes sent in the clear over the same kind of socket (the baseline,
 * measured in the same run).
 *
 *   bench_chan [MIB]      (default 256)
 *
 * Prints one line per transport (socketpair, loopback TCP) and record size:
 * MiB/s in the clear and through the channel, with the secretstream and
 * with AES-256-GCM records and with GCM's large records under AES-256-OCB
 * (what the migration uses; "-" where libcrypto cannot), from the
 * first byte sent to the receiver's acknowledgement of the last. Records are sent as a page
 * run would be: mig_chan_send2() of a 32-byte header and the pages.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/mig_chan.h"
#include "engine/mig_gcm.h"

#define RUN_HDR 32

static struct mosix_map map;
static struct mosix_key key;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_chan: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

/* A connected pair: AF_UNIX socketpair, or TCP over 127.0.0.1. */
static void connect_pair(int tcp, int sv[2])
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in from = { .sin_family = AF_INET,
				    .sin_addr.s_addr = htonl(0x7f000002) };
	socklen_t salen = sizeof(sa);
	int l, one = 1;

	if (!tcp) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			die("socketpair", errno);
		return;
	}
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&sa, &salen) < 0)
		die("listen", errno);
	/* from node 2's address, as the map says */
	sv[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sv[0] < 0 || bind(sv[0], (struct sockaddr *)&from, sizeof(from)) < 0 ||
	    connect(sv[0], (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect", errno);
	sv[1] = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (sv[1] < 0)
		die("accept", errno);
	setsockopt(sv[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(sv[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	close(l);
}

static void write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("send", errno);
		p += n;
		len -= (size_t)n;
	}
}

static void read_all(int fd, uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("read", n < 0 ? errno : ECONNRESET);
		p += n;
		len -= (size_t)n;
	}
}

/* How the bytes go: in the clear, or through the channel with one cipher. */
enum mode { CLEAR, STREAM, GCM, OCB };

/* The receiving side, in a child. */
static void receiver(int fd, enum mode chan, size_t total, size_t rec)
{
	uint8_t *buf = malloc(MIG_CHAN_MAX);
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct mosix_addr a;
	struct mig_chan *c;
	uint32_t peer, type;
	size_t got = 0, len;
	int r;

	if (!buf)
		die("malloc", ENOMEM);
	memset(buf, 0, MIG_CHAN_MAX);
	if (!chan) {
		while (got < total) {
			len = total - got < rec ? total - got : rec;
			read_all(fd, buf, len);
			got += len;
		}
		write_all(fd, buf, 1);
		_exit(0);
	}
	/* the TCP source address, or what a socketpair stands for */
	if (getpeername(fd, (struct sockaddr *)&ss, &sslen) < 0 ||
	    addr_from_sockaddr((struct sockaddr *)&ss, &a) < 0)
		addr_parse("127.0.0.2", &a);
	r = mig_chan_accept(fd, &key, 1, &map, &a, &peer, &c);
	if (r < 0)
		die("accept", r);
	if (chan >= GCM && (r = mig_chan_use_gcm(c, chan == OCB)) < 0)
		die("gcm", r);
	while (got < total) {
		r = mig_chan_recv(c, &type, buf, MIG_CHAN_MAX, &len);
		if (r < 0)
			die("recv", r);
		got += len - RUN_HDR;
	}
	r = mig_chan_send(c, 2, NULL, 0);
	if (r < 0)
		die("send", r);
	mig_chan_free(c);
	free(buf);
	_exit(0);
}

/* MiB/s moving @total bytes in records of @rec bytes. */
static double run(int tcp, enum mode chan, size_t total, size_t rec)
{
	uint8_t *pages = malloc(rec), hdr[RUN_HDR] = { 0 }, ack[64];
	struct mig_chan *c = NULL;
	double t0, t;
	uint32_t type;
	size_t sent = 0, len;
	int sv[2], status, r;
	pid_t pid;

	if (!pages)
		die("malloc", ENOMEM);
	for (size_t i = 0; i < rec; i++)
		pages[i] = (uint8_t)(i * 131);
	connect_pair(tcp, sv);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (pid == 0) {
		close(sv[0]);
		receiver(sv[1], chan, total, rec);
	}
	close(sv[1]);
	if (chan) {
		r = mig_chan_connect(sv[0], &key, 2, 1, &c);
		if (r < 0)
			die("connect", r);
		if (chan >= GCM && (r = mig_chan_use_gcm(c, chan == OCB)) < 0)
			die("gcm", r);
	}
	t0 = now();
	while (sent < total) {
		size_t n = total - sent < rec ? total - sent : rec;

		if (chan) {
			r = mig_chan_send2(c, 1, hdr, sizeof(hdr), pages, n);
			if (r < 0)
				die("send", r);
		} else {
			write_all(sv[0], pages, n);
		}
		sent += n;
	}
	if (chan) {
		r = mig_chan_recv(c, &type, ack, sizeof(ack), &len);
		if (r < 0)
			die("ack", r);
	} else {
		read_all(sv[0], ack, 1);
	}
	t = now() - t0;
	mig_chan_free(c);
	close(sv[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		die("receiver", EIO);
	free(pages);
	return (double)total / (1 << 20) / t;
}

int main(int argc, char **argv)
{
	static const char map_text[] = "1 127.0.0.1 1\n2 127.0.0.2 1\n";
	static const size_t recs[] = { 64u << 10, 1u << 20, MIG_CHAN_MAX - RUN_HDR };
	size_t total = (size_t)(argc > 1 ? strtoul(argv[1], NULL, 10) : 256) << 20;
	struct diag d = DIAG_INIT;

	if (argc > 2 || total == 0) {
		fprintf(stderr, "usage: bench_chan [MIB]\n");
		return 2;
	}
	if (sodium_init() < 0)
		die("sodium_init", EIO);
	randombytes_buf(key.b, sizeof(key.b));
	map_init(&map);
	if (map_parse(&map, "bench", map_text, sizeof(map_text) - 1, MAP_NO_RESOLVE, &d) < 0 ||
	    map_finish(&map, &d) < 0)
		die("map", EINVAL);
	diag_release(&d);
	printf("%-11s %-10s %12s %12s %12s %12s %7s\n", "transport", "record", "clear MiB/s",
	       "chan MiB/s", "GCM MiB/s", "OCB MiB/s", "ratio");
	for (int tcp = 0; tcp <= 1; tcp++)
		for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
			double clear = run(tcp, CLEAR, total, recs[i]);
			double chan = run(tcp, STREAM, total, recs[i]);
			double gcm = mig_gcm_available() ? run(tcp, GCM, total, recs[i]) : 0;
			double ocb = mig_gcm_ocb_available() ? run(tcp, OCB, total, recs[i]) : 0;
			double best = chan;
			char g[32] = "-", o[32] = "-";

			if (gcm > 0)
				snprintf(g, sizeof(g), "%.0f", gcm);
			if (ocb > 0)
				snprintf(o, sizeof(o), "%.0f", ocb);
			best = gcm > best ? gcm : best;
			best = ocb > best ? ocb : best;
			/* ratio: the clear against the fastest cipher */
			printf("%-11s %7zu KiB %12.0f %12.0f %12s %12s %6.2fx\n",
			       tcp ? "tcp" : "socketpair", (recs[i] + RUN_HDR) >> 10, clear,
			       chan, g, o, clear / best);
		}
	map_release(&map);
	return 0;
}
