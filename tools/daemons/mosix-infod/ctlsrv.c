// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control socket (lib/ctl.h): who may connect, and the commands.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "infod.h"
#include "lib/log.h"

/* a client that says nothing for this long loses its slot */
#define CLIENT_IDLE_MS 10000
#define MAX_GROUPS 65536

static int socket_path(const struct infod *in, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/%s", in->run_dir, CTL_SOCKET) >=
	    (int)sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	return 0;
}

/* Another daemon answers on the socket: do not take it away from it. */
static bool socket_alive(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	bool alive;

	if (fd < 0)
		return false;
	alive = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return alive;
}

int ctlsrv_open(struct infod *in)
{
	struct sockaddr_un sa;
	struct group *gr;
	mode_t old;
	int fd, r;

	r = socket_path(in, &sa);
	if (r < 0)
		return r;
	if (socket_alive(&sa))
		return -EADDRINUSE;
	unlink(sa.sun_path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* born 0660: there is no moment when others may connect */
	old = umask(0117);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, CTL_MAX_CLIENTS) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	gr = getgrnam("mosix");
	if (gr && chown(sa.sun_path, 0, gr->gr_gid) < 0)
		log_warn("cannot give '%s' to group mosix: %s", sa.sun_path, strerror(errno));
	in->ctl_fd = fd;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		in->client[i].fd = -1;
	return 0;
}

static void drop_client(struct infod *in, struct ctl_client *c)
{
	if (c->fd < 0)
		return;
	epoll_ctl(in->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
}

void ctlsrv_close(struct infod *in)
{
	struct sockaddr_un sa;

	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		drop_client(in, &in->client[i]);
	if (in->ctl_fd >= 0) {
		close(in->ctl_fd);
		in->ctl_fd = -1;
		if (socket_path(in, &sa) == 0)
			unlink(sa.sun_path);
	}
}

static bool in_group(int fd, gid_t primary, gid_t gid)
{
	gid_t small[64], *groups = small;
	socklen_t len = sizeof(small);
	bool found = primary == gid;

	if (found)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0) {
		if (errno != ERANGE || len > MAX_GROUPS * sizeof(gid_t))
			return false;
		groups = malloc(len);
		if (!groups || getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0) {
			free(groups);
			return false;
		}
	}
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		found |= groups[i] == gid;
	if (groups != small)
		free(groups);
	return found;
}

static void reply_and_close(int fd, const char *text)
{
	send(fd, text, strlen(text), MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
}

void ctlsrv_accept(struct infod *in)
{
	struct ctl_client *slot = NULL;
	struct ucred uc;
	socklen_t len = sizeof(uc);
	struct group *gr;
	bool admin, reader;
	int fd;

	fd = accept4(in->ctl_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0) {
		close(fd);
		return;
	}
	/*
	 * Root only: SO_PEERCRED maps the peer's uid into our user
	 * namespace, so root of a user namespace anyone may make (unshare
	 * -Ur) is its real uid here. Its CapEff in /proc/PID/status would
	 * read full, and a pid may be reused: neither says who is asking.
	 */
	admin = uc.uid == 0;
	gr = admin ? NULL : getgrnam("mosix");
	reader = admin || (gr && in_group(fd, uc.gid, gr->gr_gid));
	if (!reader) {
		reply_and_close(fd, "error 13 permission denied: root or group mosix only");
		return;
	}
	for (int i = 0; i < CTL_MAX_CLIENTS && !slot; i++)
		if (in->client[i].fd < 0)
			slot = &in->client[i];
	if (!slot) {
		reply_and_close(fd, "error 16 too many control connections");
		return;
	}
	struct epoll_event ev = {
		.events = EPOLLIN,
		.data.u64 = (uint64_t)(slot - in->client) << 8 | EV_CLIENT,
	};
	if (epoll_ctl(in->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		return;
	}
	*slot = (struct ctl_client){ .fd = fd, .admin = admin, .last_ms = infod_now() };
}

void ctlsrv_expire(struct infod *in, int64_t now)
{
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (in->client[i].fd >= 0 && now - in->client[i].last_ms > CLIENT_IDLE_MS)
			drop_client(in, &in->client[i]);
}

void ctlsrv_handle(struct infod *in, struct ctl_client *c)
{
	char req[CTL_MAX_MSG + 1], reply[CTL_MAX_MSG];
	ssize_t n;

	n = recv(c->fd, req, CTL_MAX_MSG, MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		drop_client(in, c);
		return;
	}
	c->last_ms = infod_now();
	if (n > CTL_MAX_MSG) {
		snprintf(reply, sizeof(reply), "error %d request longer than %d bytes", EMSGSIZE,
			 CTL_MAX_MSG);
	} else {
		req[n] = '\0';
		ctlsrv_command(in, req, c->admin, reply, sizeof(reply));
	}
	if (send(c->fd, reply, strlen(reply), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		drop_client(in, c);
}

/* --- the commands ---------------------------------------------------- */

struct command {
	const char *name;
	int nargs;
	bool admin;
	const char *usage;
	/* 0 and a message (maybe empty), or -errno and the reason */
	int (*run)(struct infod *in, const struct command *cmd, const uint32_t *arg, char *msg,
		   size_t size);
	uint16_t flag;		/* for the flag commands */
	bool set;
	/* instead of run, for commands whose arguments are words: their own checks */
	int (*run_words)(struct infod *in, char **word, int n, char *msg, size_t size);
};

static int run_flag(struct infod *in, const struct command *cmd, const uint32_t *arg, char *msg,
		    size_t size)
{
	uint16_t before = in->policy;

	(void)arg;
	(void)msg;
	(void)size;
	if (cmd->set)
		in->policy |= cmd->flag;
	else
		in->policy &= (uint16_t)~cmd->flag;
	if (in->policy != before) {
		log_notice("%s (by the control socket)", cmd->name);
		infod_policy_changed(in);
	}
	return 0;
}

static int run_setspeed(struct infod *in, const struct command *cmd, const uint32_t *arg,
			char *msg, size_t size)
{
	(void)cmd;
	if (arg[0] < 1 || arg[0] > 1000000) {
		snprintf(msg, size, "speed must be 1..1000000");
		return -ERANGE;
	}
	in->speed = arg[0];
	log_notice("speed set to %u", in->speed);
	infod_policy_changed(in);
	return 0;
}

static int run_setdecay(struct infod *in, const struct command *cmd, const uint32_t *arg,
			char *msg, size_t size)
{
	int r;

	(void)cmd;
	if (arg[0] < 10 || arg[0] > 60000 || arg[1] < 1 || arg[1] > 1000 || arg[2] < 1 ||
	    arg[2] > 1000) {
		snprintf(msg, size, "interval must be 10..60000 ms, slow and fast 1..1000");
		return -ERANGE;
	}
	r = infod_set_decay(in, arg[0], arg[1], arg[2]);
	if (r < 0) {
		snprintf(msg, size, "cannot set the decay timer: %s", strerror(-r));
		return r;
	}
	log_notice("decay set to %u ms, slow %u, fast %u", arg[0], arg[1], arg[2]);
	return 0;
}

static int run_reload(struct infod *in, const struct command *cmd, const uint32_t *arg, char *msg,
		      size_t size)
{
	(void)cmd;
	(void)arg;
	return infod_reload(in, msg, size);
}

static int run_ping(struct infod *in, const struct command *cmd, const uint32_t *arg, char *msg,
		    size_t size)
{
	(void)cmd;
	(void)arg;
	snprintf(msg, size, "%s %u", INFOD_VERSION, in->cfg.self);
	return 0;
}

static int run_stats(struct infod *in, const struct command *cmd, const uint32_t *arg, char *msg,
		     size_t size)
{
	(void)cmd;
	(void)arg;
	publish_stats_text(in, ' ', msg, size);
	return 0;
}

#define FLAG(n, f, s) { n, 0, true, n, run_flag, f, s, NULL }

static const struct command commands[] = {
	FLAG("block", GV_BLOCKED, true),
	FLAG("noblock", GV_BLOCKED, false),
	FLAG("stay", GV_STAY, true),
	FLAG("nostay", GV_STAY, false),
	FLAG("lstay", GV_LSTAY, true),
	FLAG("nolstay", GV_LSTAY, false),
	FLAG("quiet", GV_QUIET, true),
	FLAG("noquiet", GV_QUIET, false),
	FLAG("leave", GV_OFF, true),
	FLAG("join", GV_OFF, false),
	{ "setspeed", 1, true, "setspeed N", run_setspeed, 0, false, NULL },
	{ "setdecay", 3, true, "setdecay INTERVAL_MS SLOW FAST", run_setdecay, 0, false, NULL },
	{ "reload", 0, true, "reload", run_reload, 0, false, NULL },
	{ "ping", 0, false, "ping", run_ping, 0, false, NULL },
	{ "stats", 0, false, "stats", run_stats, 0, false, NULL },
	{ "mode", -1, true, "mode single|server|half-duplex|adaptive [NOW]", NULL, 0, false,
	  infod_mode_set },
};

static bool parse_arg(const char *s, uint32_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*ret = (uint32_t)v;
	return true;
}

void ctlsrv_command(struct infod *in, const char *req, bool admin, char *reply, size_t size)
{
	char buf[CTL_MAX_MSG + 1], msg[CTL_MAX_MSG - 32] = "", *word[5], *save = NULL, *t;
	const struct command *cmd = NULL;
	uint32_t arg[3];
	int n = 0, r;

	snprintf(buf, sizeof(buf), "%s", req);
	for (t = strtok_r(buf, " \t\r\n", &save); t && n < 5; t = strtok_r(NULL, " \t\r\n", &save))
		word[n++] = t;
	if (n == 0) {
		snprintf(reply, size, "error %d empty request", EINVAL);
		return;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(word[0], commands[i].name) == 0)
			cmd = &commands[i];
	if (!cmd) {
		/* the word is ours to print: at most 64 printable bytes */
		char w[65];
		size_t k;

		for (k = 0; word[0][k] && k < 64; k++)
			w[k] = word[0][k] >= 0x20 && word[0][k] < 0x7f ? word[0][k] : '?';
		w[k] = '\0';
		snprintf(reply, size, "error %d unknown command '%s'", EINVAL, w);
		return;
	}
	if (cmd->run_words) {
		if (!admin) {
			snprintf(reply, size, "error %d permission denied: '%s' needs root",
				 EACCES, cmd->name);
			return;
		}
		r = cmd->run_words(in, word + 1, n - 1, msg, sizeof(msg));
		goto out_reply;
	}
	if (n - 1 != cmd->nargs) {
		snprintf(reply, size, "error %d usage: %s", EINVAL, cmd->usage);
		return;
	}
	for (int i = 0; i < cmd->nargs; i++)
		if (!parse_arg(word[i + 1], &arg[i])) {
			snprintf(reply, size, "error %d usage: %s", EINVAL, cmd->usage);
			return;
		}
	if (cmd->admin && !admin) {
		snprintf(reply, size, "error %d permission denied: '%s' needs root", EACCES,
			 cmd->name);
		return;
	}
	r = cmd->run(in, cmd, arg, msg, sizeof(msg));
out_reply:
	if (r < 0)
		snprintf(reply, size, "error %d %s", -r, *msg ? msg : strerror(-r));
	else
		snprintf(reply, size, "ok%s%s", *msg ? " " : "", msg);
}
