// SPDX-License-Identifier: GPL-2.0-only
/*
 * mosix-keysrv: gives diskless nodes booting from this server the cluster
 * key, map and mosix.conf, sealed to a key each node makes at boot and
 * signed with this server's key (docs/NETBOOT.md, lib/keysrv_wire.h).
 *
 * One thread, one UDP socket, one datagram at a time: every request is
 * answered (or refused, signed) at once, from files read then, so the
 * only state is the signing key. Malformed datagrams are dropped and
 * counted; nothing a peer sends makes it allocate more than one answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "keysrv.h"
#include "lib/keysrv_key.h"
#include "lib/log.h"
#include "lib/paths.h"

static const char usage[] =
	"usage: mosix-keysrv -r ITEM [-r ITEM...] [OPTION...]\n"
	"       mosix-keysrv --genkey [-k FILE]\n"
	"       mosix-keysrv --help\n"
	"\n"
	"Answers the diskless nodes of the netboot range with the cluster key,\n"
	"the map and mosix.conf of $MOSIX_CONFIG_DIR, sealed to a key each node\n"
	"makes at boot and signed with this server's key (see mosix-keysrv(8)).\n"
	"Runs in the foreground, logs to standard error; SIGTERM stops it.\n"
	"\n"
	"  -r, --range ITEM     addresses that may ask: ADDRESS, FIRST-LAST,\n"
	"                       ADDRESS/PREFIX or dhcp-range=VALUE (repeatable)\n"
	"  -d, --dnsmasq FILE   every dhcp-range= of a dnsmasq configuration\n"
	"  -l, --leases FILE    answer only addresses with a current lease in\n"
	"                       this dnsmasq lease file\n"
	"  -m, --allow-mac FILE and only leases of the MACs in FILE (one a line)\n"
	"  -k, --key FILE       the signing key (default\n"
	"                       $MOSIX_CONFIG_DIR/keysrv.key; its public half is\n"
	"                       FILE.pub)\n"
	"  -a, --address ADDR   listen on ADDR only (default: every address)\n"
	"  -p, --port N         UDP port (default 5652)\n"
	"      --genkey         create the signing key pair FILE and FILE.pub\n"
	"                       (never replaces one) and exit\n"
	"      --debug          log every dropped datagram\n"
	"\n"
	"Exit status: 0 after SIGTERM, 1 when it cannot start, 2 usage error.\n";

struct opts {
	struct keysrv_allow allow;
	const char *key;
	const char *address;
	uint16_t port;
	bool genkey;
	bool debug;
};

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "mosix-keysrv: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'mosix-keysrv --help'.\n");
	return 2;
}

/* 0, 1 after --help, 2 after a usage error (reported) */
static int parse_args(int argc, char **argv, struct opts *o, struct diag *d)
{
	static const struct option lopts[] = {
		{ "range", required_argument, NULL, 'r' },
		{ "dnsmasq", required_argument, NULL, 'd' },
		{ "leases", required_argument, NULL, 'l' },
		{ "allow-mac", required_argument, NULL, 'm' },
		{ "key", required_argument, NULL, 'k' },
		{ "address", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "genkey", no_argument, NULL, 'G' },
		{ "debug", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	uint32_t src, line = 0;
	int c;

	if (addrlist_source(&o->allow.range, "<command-line>", &src) < 0)
		return 2;
	while ((c = getopt_long(argc, argv, "r:d:l:m:k:a:p:h", lopts, NULL)) != -1) {
		char *end;
		unsigned long port;

		switch (c) {
		case 'r':
			addrlist_add_item(&o->allow.range, src, ++line, optarg, d);
			break;
		case 'd':
			addrlist_load_file(&o->allow.range, optarg, ADDRLIST_DNSMASQ, d);
			break;
		case 'l':
			o->allow.leases = optarg;
			break;
		case 'm':
			o->allow.macs = optarg;
			break;
		case 'k':
			o->key = optarg;
			break;
		case 'a':
			o->address = optarg;
			break;
		case 'p':
			errno = 0;
			port = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || port == 0 || port > 65535)
				return usage_error("invalid port '%s'", optarg);
			o->port = (uint16_t)port;
			break;
		case 'G':
			o->genkey = true;
			break;
		case 'D':
			o->debug = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		default:
			fprintf(stderr, "Try 'mosix-keysrv --help'.\n");
			return 2;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (d->n)
		return 2;
	if (!o->genkey && o->allow.range.nrun == 0)
		return usage_error("%s", "no netboot range: give -r or -d");
	if (o->allow.macs && !o->allow.leases)
		return usage_error("%s", "--allow-mac needs --leases");
	return 0;
}

static int open_socket(const struct opts *o)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(o->port) };
	int fd, zero = 0;

	if (o->address) {
		struct mosix_addr a;

		if (addr_parse(o->address, &a) < 0) {
			log_err("invalid listen address '%s'", o->address);
			return -EINVAL;
		}
		memcpy(&sa.sin6_addr, a.b, 16);
	} else {
		sa.sin6_addr = in6addr_any;
	}
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_err("cannot open a UDP socket: %s", strerror(errno));
		return -errno;
	}
	/* one socket for IPv4 (mapped) and IPv6 */
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		log_err("cannot bind UDP port %u: %s", o->port, strerror(errno));
		close(fd);
		return r;
	}
	return fd;
}

static void log_diag(struct diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		log_err("%s", d->msg[i].text);
	diag_release(d);
	diag_init(d);
}

/* Answer one datagram (or drop it); counts what was dropped. */
static void serve_one(const struct opts *o, const uint8_t *sk, int fd, const uint8_t *in,
		      size_t len, const struct sockaddr_in6 *from, uint8_t *out,
		      unsigned long *dropped)
{
	char who[ADDR_STRLEN], mac[KEYSRV_MAC_MAX];
	struct keysrv_request req;
	struct diag d = DIAG_INIT;
	struct mosix_addr addr;
	uint16_t reason;
	int n;

	if (addr_from_sockaddr((const struct sockaddr *)from, &addr) < 0)
		return;
	addr_format(&addr, who);
	n = keysrv_request_decode(in, len, &req);
	if (n < 0) {
		++*dropped;
		if (o->debug || *dropped == 1 || *dropped % 1000 == 0)
			log_warn("dropped a malformed request from %s (%s; %lu so far)", who,
				 n == -EPROTONOSUPPORT ? "another version" : "bad form", *dropped);
		return;
	}
	reason = keysrv_allow_check(&o->allow, &addr, (int64_t)time(NULL), mac, &d);
	n = -1;
	if (reason == KEYSRV_R_NONE) {
		n = keysrv_answer_build(sk, &req, out, KEYSRV_ANS_MAX, &d);
		if (n < 0 && n != -EINVAL)
			reason = KEYSRV_R_CONFIG;
		else if (n < 0)
			log_warn("dropped a request from %s: %s", who, d.n ? d.msg[0].text : "");
	}
	log_diag(&d);
	if (n < 0 && reason == KEYSRV_R_NONE)
		return;
	if (reason != KEYSRV_R_NONE) {
		n = keysrv_answer_encode(sk, &req, reason, NULL, out, KEYSRV_ANS_MAX);
		log_notice("refused %s%s%s: %s", who, mac[0] ? " " : "", mac,
			   keysrv_reason_str(reason));
	} else {
		log_info("sent the key to %s%s%s", who, mac[0] ? " " : "", mac);
	}
	if (n > 0 && sendto(fd, out, (size_t)n, 0, (const struct sockaddr *)from,
			    sizeof(*from)) < 0)
		log_warn("cannot answer %s: %s", who, strerror(errno));
	sodium_memzero(out, KEYSRV_ANS_MAX);
}

static int serve(const struct opts *o, const uint8_t *sk)
{
	unsigned long dropped = 0;
	uint8_t in[KEYSRV_REQ_LEN + 1], *out;
	struct sigaction sa = { .sa_handler = on_term };
	int fd, r = 0;

	out = malloc(KEYSRV_ANS_MAX);
	if (!out)
		return -ENOMEM;
	fd = open_socket(o);
	if (fd < 0) {
		r = fd;
		goto out_free;
	}
	/* no SA_RESTART: recvfrom returns to see stop */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	log_info("listening on UDP port %u, %zu range(s)%s%s", o->port, o->allow.range.nrun,
		 o->allow.leases ? ", leases of " : "", o->allow.leases ? o->allow.leases : "");
	while (!stop) {
		struct sockaddr_in6 from;
		socklen_t flen = sizeof(from);
		ssize_t len;

		/* one byte more than a request: a longer datagram is malformed */
		len = recvfrom(fd, in, sizeof(in), MSG_TRUNC, (struct sockaddr *)&from, &flen);
		if (len < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			log_err("cannot receive: %s", strerror(errno));
			r = -errno;
			break;
		}
		if (flen > sizeof(from) || from.sin6_family != AF_INET6)
			continue;
		serve_one(o, sk, fd, in, (size_t)len > sizeof(in) ? sizeof(in) : (size_t)len,
			  &from, out, &dropped);
	}
	close(fd);
out_free:
	free(out);
	return r;
}

int main(int argc, char **argv)
{
	struct opts o = { .port = KEYSRV_PORT };
	uint8_t sk[KEYSRV_SIGN_SK_LEN];
	struct diag d = DIAG_INIT;
	char *key_path = NULL;
	int r, rc = 1;

	log_init("mosix-keysrv");
	keysrv_allow_init(&o.allow);
	r = parse_args(argc, argv, &o, &d);
	if (r) {
		diag_print(&d, stderr, "mosix-keysrv");
		rc = r == 1 ? 0 : 2;
		goto out;
	}
	if (o.debug)
		log_set_max(LOG_LEVEL_DEBUG);
	key_path = o.key ? strdup(o.key) : paths_config("keysrv.key");
	if (!key_path || sodium_init() < 0) {
		log_err("cannot start: out of memory or no libsodium");
		goto out;
	}
	if (o.genkey) {
		if (keysrv_key_generate(key_path, &d) == 0) {
			printf("%s\n%s.pub\n", key_path, key_path);
			rc = 0;
		}
		diag_print(&d, stderr, "mosix-keysrv");
		goto out;
	}
	if (keysrv_key_load_secret(key_path, sk, &d) < 0) {
		diag_print(&d, stderr, "mosix-keysrv");
		goto out;
	}
	rc = serve(&o, sk) < 0 ? 1 : 0;
	sodium_memzero(sk, sizeof(sk));
out:
	diag_release(&d);
	free(key_path);
	keysrv_allow_release(&o.allow);
	return rc;
}
