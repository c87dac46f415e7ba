// SPDX-License-Identifier: GPL-2.0-only
/*
 * mosix-keyget: a diskless node's half of the netboot key service
 * (docs/NETBOOT.md, lib/keysrv_wire.h). Makes an X25519 key pair, asks the
 * boot server, and accepts only an answer to this very request signed by
 * the server whose public key the boot image holds; then writes the
 * cluster key, the map and mosix.conf. The key pair lives only in memory.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/addr.h"
#include "lib/keysrv_key.h"
#include "lib/keysrv_wire.h"
#include "lib/paths.h"

static const char usage[] =
	"usage: mosix-keyget -s SERVER [OPTION...]\n"
	"       mosix-keyget --help\n"
	"\n"
	"Fetches the cluster key, the map and mosix.conf from the boot server's\n"
	"mosix-keysrv, sealed to a key made for this request and signed by the\n"
	"server (see mosix-keyget(8)), and writes them to DIR.\n"
	"\n"
	"  -s, --server ADDR   the boot server's address\n"
	"  -P, --pubkey FILE   the server's public key (default\n"
	"                      $MOSIX_CONFIG_DIR/keysrv.key.pub)\n"
	"  -p, --port N        UDP port (default 5652)\n"
	"  -t, --timeout S     seconds to wait for each answer (default 2)\n"
	"  -n, --tries N       requests to send before giving up (default 3)\n"
	"  -o, --output DIR    where to write secret (0600), mosix.map and\n"
	"                      mosix.conf (default $MOSIX_CONFIG_DIR)\n"
	"\n"
	"Exit status: 0 written, 1 failure, 2 usage error, 3 no answer,\n"
	"4 the server refused (its reason is printed), 5 only answers that\n"
	"failed the signature check.\n";

enum {
	EXIT_NO_ANSWER = 3,
	EXIT_REFUSED = 4,
	EXIT_UNTRUSTED = 5,
};

struct opts {
	const char *server;
	const char *pubkey;
	const char *output;
	uint16_t port;
	unsigned timeout_s;
	unsigned tries;
};

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "mosix-keyget: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'mosix-keyget --help'.\n");
	return 2;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
	char *end;

	errno = 0;
	*ret = strtoul(s, &end, 10);
	return errno || *end || end == s || *s == '-' || *ret == 0 || *ret > max ? -EINVAL : 0;
}

/* 0, 1 after --help, 2 after a usage error */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "pubkey", required_argument, NULL, 'P' },
		{ "port", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "tries", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	unsigned long v;
	int c;

	while ((c = getopt_long(argc, argv, "s:P:p:t:n:o:h", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->server = optarg;
			break;
		case 'P':
			o->pubkey = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'p':
			if (parse_uint(optarg, 65535, &v))
				return usage_error("invalid port '%s'", optarg);
			o->port = (uint16_t)v;
			break;
		case 't':
			if (parse_uint(optarg, 3600, &v))
				return usage_error("invalid timeout '%s' (1..3600 seconds)", optarg);
			o->timeout_s = (unsigned)v;
			break;
		case 'n':
			if (parse_uint(optarg, 1000, &v))
				return usage_error("invalid count of tries '%s' (1..1000)", optarg);
			o->tries = (unsigned)v;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		default:
			fprintf(stderr, "Try 'mosix-keyget --help'.\n");
			return 2;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!o->server)
		return usage_error("%s", "no server: give -s ADDR");
	return 0;
}

/* Write @len bytes to DIR/NAME through a temporary file and rename. */
static int write_file(const char *dir, const char *name, mode_t mode, const void *buf,
		      size_t len)
{
	char path[4096], tmp[4096 + 8];
	int fd, r = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		goto out_err;
	if (fchmod(fd, mode) < 0 || (len && write(fd, buf, len) != (ssize_t)len)) {
		r = errno ? -errno : -EIO;
		close(fd);
		unlink(tmp);
		goto out_report;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		unlink(tmp);
		goto out_err;
	}
	return 0;
out_err:
	r = -errno;
out_report:
	fprintf(stderr, "mosix-keyget: cannot write '%s': %s\n", path, strerror(-r));
	return r;
}

static int write_bundle(const char *dir, const struct keysrv_bundle *b)
{
	char hex[2 * KEY_BYTES + 2];
	int r;

	sodium_bin2hex(hex, sizeof(hex), b->key.b, KEY_BYTES);
	hex[2 * KEY_BYTES] = '\n';
	r = write_file(dir, "secret", 0600, hex, 2 * KEY_BYTES + 1);
	sodium_memzero(hex, sizeof(hex));
	if (r == 0)
		r = write_file(dir, "mosix.map", 0644, b->map, b->map_len);
	if (r == 0)
		r = write_file(dir, "mosix.conf", 0644, b->conf, b->conf_len);
	return r;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct outcome {
	int refused;	/* a reason, 0 if none came */
	int untrusted;	/* answers that failed their checks */
	int done;
};

/*
 * Wait up to @ms for the answer to @req. A datagram that is not it (a
 * stale answer, a forgery, another node's) is counted and waiting goes
 * on: a genuine answer may still come.
 */
static void await(int fd, const struct opts *o, const uint8_t *spk,
		  const struct keysrv_request *req, const uint8_t *esk, uint8_t *buf,
		  uint8_t *plain, int64_t ms, struct outcome *res)
{
	int64_t end = now_ms() + ms;

	for (int64_t left = ms; left > 0 && !res->done; left = end - now_ms()) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct keysrv_bundle b;
		size_t off, slen;
		uint16_t reason;
		ssize_t len;
		int r;

		if (poll(&p, 1, (int)left) <= 0)
			continue;
		len = recv(fd, buf, KEYSRV_ANS_MAX, 0);
		if (len < 0)
			continue;
		r = keysrv_answer_verify(spk, req, buf, (size_t)len, &reason, &off, &slen);
		if (r < 0) {
			res->untrusted++;
			fprintf(stderr, "mosix-keyget: ignored an answer from the server: %s\n",
				r == -EKEYREJECTED ? "its signature is not the server's" :
				r == -ESTALE ? "it answers another request" :
				r == -EPROTONOSUPPORT ? "another protocol version" : "malformed");
			continue;
		}
		if (reason != KEYSRV_R_NONE) {
			res->refused = reason;
			fprintf(stderr, "mosix-keyget: the server refused: %s\n",
				keysrv_reason_str(reason));
			return;
		}
		r = keysrv_bundle_open(req->pk, esk, buf + off, slen, plain, &b);
		if (r < 0) {
			res->untrusted++;
			fprintf(stderr, "mosix-keyget: a signed answer does not open: %s\n",
				r == -EKEYREJECTED ? "not sealed to this request's key" : "malformed");
			continue;
		}
		if (write_bundle(o->output, &b) == 0)
			res->done = 1;
		else
			res->done = -1;
		key_wipe(&b.key);
		sodium_memzero(plain, KEYSRV_ANS_MAX);
	}
}

static int run(const struct opts *o, const uint8_t *spk)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(o->port) };
	uint8_t esk[32], reqbuf[KEYSRV_REQ_LEN], *buf, *plain;
	struct keysrv_request req;
	struct outcome res = { 0 };
	struct mosix_addr a;
	int fd, zero = 0, rc = 1;

	if (addr_parse(o->server, &a) < 0) {
		fprintf(stderr, "mosix-keyget: invalid server address '%s'\n", o->server);
		return 1;
	}
	memcpy(&sa.sin6_addr, a.b, 16);
	buf = malloc(KEYSRV_ANS_MAX);
	plain = malloc(KEYSRV_ANS_MAX);
	if (!buf || !plain) {
		fprintf(stderr, "mosix-keyget: out of memory\n");
		goto out_free;
	}
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "mosix-keyget: cannot open a UDP socket: %s\n", strerror(errno));
		goto out_free;
	}
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	/* connected: the kernel drops datagrams from anyone but the server */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "mosix-keyget: cannot reach %s: %s\n", o->server, strerror(errno));
		goto out_close;
	}
	crypto_box_keypair(req.pk, esk);
	for (unsigned t = 0; t < o->tries && !res.done && !res.refused; t++) {
		/* a new challenge each try: each answer is bound to one request */
		randombytes_buf(req.chal, sizeof(req.chal));
		keysrv_request_encode(&req, reqbuf);
		if (send(fd, reqbuf, sizeof(reqbuf), 0) < 0)
			fprintf(stderr, "mosix-keyget: cannot send to %s: %s\n", o->server,
				strerror(errno));
		await(fd, o, spk, &req, esk, buf, plain, (int64_t)o->timeout_s * 1000, &res);
	}
	if (res.done > 0)
		rc = 0;
	else if (res.done < 0)
		rc = 1;
	else if (res.refused)
		rc = EXIT_REFUSED;
	else if (res.untrusted)
		rc = EXIT_UNTRUSTED;
	else
		rc = EXIT_NO_ANSWER;
	if (rc == EXIT_NO_ANSWER || rc == EXIT_UNTRUSTED)
		fprintf(stderr, "mosix-keyget: no %sanswer from %s port %u after %u tries\n",
			rc == EXIT_UNTRUSTED ? "trusted " : "", o->server, o->port, o->tries);
	sodium_memzero(esk, sizeof(esk));
out_close:
	close(fd);
out_free:
	free(buf);
	free(plain);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = { .port = KEYSRV_PORT, .timeout_s = 2, .tries = 3 };
	uint8_t spk[KEYSRV_SIGN_PK_LEN];
	struct diag d = DIAG_INIT;
	char *pub = NULL;
	int r, rc = 1;

	r = parse_args(argc, argv, &o);
	if (r)
		return r == 1 ? 0 : 2;
	if (sodium_init() < 0) {
		fprintf(stderr, "mosix-keyget: libsodium cannot start\n");
		return 1;
	}
	pub = o.pubkey ? strdup(o.pubkey) : paths_config("keysrv.key.pub");
	if (!o.output)
		o.output = paths_config_dir();
	if (!pub) {
		fprintf(stderr, "mosix-keyget: out of memory\n");
		return 1;
	}
	if (keysrv_key_load_public(pub, spk, &d) < 0)
		diag_print(&d, stderr, "mosix-keyget");
	else
		rc = run(&o, spk);
	diag_release(&d);
	free(pub);
	return rc;
}
