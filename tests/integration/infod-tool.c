// SPDX-License-Identifier: GPL-2.0-only
/*
 * infod-tool: what the mosix-infod tests need besides the daemon.
 *
 *   infod-tool send KEYFILE SENDER EPOCH SEQ ADDR PORT [ID:LOAD...]
 *       one sealed datagram with a vector per ID:LOAD (the sender's own must
 *       come first to be accepted); without any, SENDER's with load 0
 *   infod-tool junk KEYFILE SENDER SEED COUNT ADDR PORT
 *       COUNT hostile datagrams, in turn: random bytes of random length,
 *       sealed ones cut short, oversized ones, sealed ones with one header
 *       byte changed, with one encrypted byte changed, sealed with another
 *       key, and replays (epoch 1, below any running daemon's) that claim
 *       load 99999 for every vector; prints how many of each went out
 *   infod-tool ctl RUN_DIR REQUEST
 *       one control request (lib/ctl.h), prints the reply; exit 0 if "ok"
 *   infod-tool listen SOCKET COUNT TIMEOUT_MS
 *       bind a datagram socket (a path, or @NAME), print COUNT messages
 *
 * Exit 0, 1 on failure, 2 on usage.
 */
#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/addr.h"
#include "lib/ctl.h"
#include "lib/gossip_wire.h"
#include "lib/key.h"

static int fail(const char *what)
{
	fprintf(stderr, "infod-tool: %s: %s\n", what, strerror(errno));
	return 1;
}

static unsigned long long num(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	if (*end || end == s) {
		fprintf(stderr, "infod-tool: invalid number '%s'\n", s);
		exit(2);
	}
	return v;
}

static int open_to(const char *addr, const char *port, struct sockaddr_storage *ss,
		   socklen_t *sl)
{
	struct mosix_addr a;

	if (addr_parse(addr, &a) < 0) {
		fprintf(stderr, "infod-tool: invalid address '%s'\n", addr);
		return -1;
	}
	*sl = addr_to_sockaddr(&a, (uint16_t)num(port), ss);
	return socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

static int load_key(const char *path, struct mosix_key *ret)
{
	struct mosix_key master;
	struct diag d = DIAG_INIT;
	int r = key_load(path, &master, &d);

	if (r < 0) {
		fprintf(stderr, "infod-tool: %s\n", d.n ? d.msg[0].text : "cannot load the key");
		diag_release(&d);
		return r;
	}
	key_derive(&master, KEY_GOSSIP, ret);
	return 0;
}

static struct gossip_vec vec(uint16_t node, uint32_t load)
{
	return (struct gossip_vec){ .node = node, .load = load, .speed = 10000, .cpus = 1,
				    .tmem = 1000, .mem = 500, .rmem = 500, .util = 10 };
}

static int cmd_send(int argc, char **argv)
{
	struct gossip_vec v[GOSSIP_MAX_VECS];
	uint8_t buf[GOSSIP_MAX_LEN];
	struct sockaddr_storage ss;
	struct mosix_key k;
	struct gossip_hdr h;
	socklen_t sl;
	int fd, len, n = 1;

	if (argc < 8 || argc - 8 > GOSSIP_MAX_VECS)
		return 2;
	if (load_key(argv[2], &k) < 0)
		return 1;
	h = (struct gossip_hdr){ GOSSIP_VECTORS, (uint16_t)num(argv[3]), 0, num(argv[4]),
				 num(argv[5]) };
	v[0] = vec(h.sender, 0);
	n = argc > 8 ? 0 : 1;
	for (int i = 8; i < argc; i++) {
		char *colon = strchr(argv[i], ':');

		if (!colon)
			return 2;
		*colon = '\0';
		v[n++] = vec((uint16_t)num(argv[i]), (uint32_t)num(colon + 1));
	}
	h.count = (uint16_t)n;
	len = gossip_seal(&k, &h, v, buf, sizeof(buf));
	fd = open_to(argv[6], argv[7], &ss, &sl);
	if (len < 0 || fd < 0)
		return fail("send");
	if (sendto(fd, buf, (size_t)len, 0, (struct sockaddr *)&ss, sl) < 0)
		return fail("sendto");
	close(fd);
	return 0;
}

static int cmd_junk(int argc, char **argv)
{
	static const char *const kinds[] = { "random", "truncated", "oversized", "header",
					     "payload", "other-key", "replay" };
	unsigned long long sent[7] = { 0 };
	struct gossip_vec v[GOSSIP_MAX_VECS];
	static uint8_t buf[65536];
	struct sockaddr_storage ss;
	struct mosix_key k, other;
	unsigned long long count;
	socklen_t sl;
	uint16_t sender;
	int fd;

	if (argc != 8)
		return 2;
	if (load_key(argv[2], &k) < 0)
		return 1;
	randombytes_buf(other.b, sizeof(other.b));
	sender = (uint16_t)num(argv[3]);
	srandom((unsigned)num(argv[4]));
	count = num(argv[5]);
	fd = open_to(argv[6], argv[7], &ss, &sl);
	if (fd < 0)
		return fail("socket");
	for (int i = 0; i < GOSSIP_MAX_VECS; i++)
		v[i] = vec(i ? (uint16_t)(1 + i % 4) : sender, 99999);
	for (unsigned long long i = 0; i < count; i++) {
		unsigned kind = (unsigned)(i % 7);
		struct gossip_hdr h = { GOSSIP_VECTORS, sender,
					(uint16_t)(1 + random() % GOSSIP_MAX_VECS), 1, i + 1 };
		size_t len;
		int sealed = gossip_seal(kind == 5 ? &other : &k, &h, v, buf, sizeof(buf));

		if (sealed < 0)
			return fail("seal");
		len = (size_t)sealed;
		switch (kind) {
		case 0:
			len = (size_t)(random() % 2000);
			for (size_t j = 0; j < len; j++)
				buf[j] = (uint8_t)random();
			/* sometimes with our magic and version, to pass the first test */
			if (len >= 5 && random() % 2)
				memcpy(buf, "MXGS\1", 5);
			break;
		case 1:
			len = (size_t)random() % len;
			break;
		case 2:
			/* mostly a little too long; now and then near the UDP limit */
			len = GOSSIP_MAX_LEN + 1 + (size_t)random() % (i % 10 ? 8000 : 60000);
			break;
		case 3:
			buf[random() % GOSSIP_HDR_LEN] ^= (uint8_t)(1 + random() % 255);
			break;
		case 4:
			buf[GOSSIP_HDR_LEN + (size_t)random() % (len - GOSSIP_HDR_LEN)] ^=
				(uint8_t)(1 + random() % 255);
			break;
		default:
			break;
		}
		if (sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sl) < 0 && errno != EMSGSIZE)
			return fail("sendto");
		sent[kind]++;
		/* a pause now and then: the receiver's queue is bounded */
		if (i % 16 == 15)
			usleep(1000);
	}
	for (int i = 0; i < 7; i++)
		printf("%s=%llu\n", kinds[i], sent[i]);
	close(fd);
	return 0;
}

static int cmd_ctl(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char reply[CTL_MAX_MSG + 1];
	struct pollfd pfd;
	ssize_t n;
	int fd;

	if (argc != 4)
		return 2;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", argv[2], CTL_SOCKET);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return fail("connect");
	if (send(fd, argv[3], strlen(argv[3]), 0) < 0)
		return fail("send");
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (poll(&pfd, 1, 5000) != 1)
		return fail("no reply");
	n = recv(fd, reply, CTL_MAX_MSG, 0);
	if (n < 0)
		return fail("recv");
	reply[n] = '\0';
	printf("%s\n", reply);
	close(fd);
	return strncmp(reply, "ok", 2) == 0 ? 0 : 1;
}

static int cmd_listen(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *name;
	unsigned long long count;
	socklen_t sl;
	int fd, timeout;

	if (argc != 5)
		return 2;
	name = argv[2];
	count = num(argv[3]);
	timeout = (int)num(argv[4]);
	if (strlen(name) >= sizeof(sa.sun_path))
		return 2;
	memcpy(sa.sun_path, name, strlen(name));
	sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name));
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	else
		sl++;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sl) < 0)
		return fail("bind");
	/* tell the test we listen: it starts the daemon after this line */
	printf("listening\n");
	fflush(stdout);
	for (unsigned long long i = 0; i < count; i++) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char msg[1024];
		ssize_t n;

		if (poll(&pfd, 1, timeout) != 1)
			return fail("timeout");
		n = recv(fd, msg, sizeof(msg) - 1, 0);
		if (n < 0)
			return fail("recv");
		msg[n] = '\0';
		/* one line per message */
		for (ssize_t j = 0; j < n; j++)
			if (msg[j] == '\n')
				msg[j] = ' ';
		printf("%s\n", msg);
		fflush(stdout);
	}
	close(fd);
	if (name[0] != '@')
		unlink(name);
	return 0;
}

int main(int argc, char **argv)
{
	int r = 2;

	if (sodium_init() < 0)
		return 1;
	if (argc > 1 && strcmp(argv[1], "send") == 0)
		r = cmd_send(argc, argv);
	else if (argc > 1 && strcmp(argv[1], "junk") == 0)
		r = cmd_junk(argc, argv);
	else if (argc > 1 && strcmp(argv[1], "ctl") == 0)
		r = cmd_ctl(argc, argv);
	else if (argc > 1 && strcmp(argv[1], "listen") == 0)
		r = cmd_listen(argc, argv);
	if (r == 2)
		fprintf(stderr, "usage: infod-tool send|junk|ctl|listen ... (see the source)\n");
	return r;
}
