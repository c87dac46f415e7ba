// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/mig_pstate.h"
#include "lib/log.h"
#include "migd.h"

struct kid *kid_add(struct migd *m, pid_t child, enum kid_kind kind, pid_t pid, int ctl)
{
	for (int i = 0; i < MIGD_MAX_KIDS; i++) {
		struct kid *k = &m->kid[i];

		if (k->child)
			continue;
		*k = (struct kid){ .child = child, .kind = kind, .pid = pid, .ctl = ctl };
		return k;
	}
	return NULL;
}

struct kid *kid_find(struct migd *m, enum kid_kind kind, pid_t pid)
{
	for (int i = 0; i < MIGD_MAX_KIDS; i++)
		if (m->kid[i].child && m->kid[i].kind == kind && m->kid[i].pid == pid)
			return &m->kid[i];
	return NULL;
}

void kid_reap(struct migd *m)
{
	pid_t c;
	int st;

	while ((c = waitpid(-1, &st, WNOHANG)) > 0) {
		for (int i = 0; i < MIGD_MAX_KIDS; i++) {
			struct kid *k = &m->kid[i];

			if (k->child != c)
				continue;
			if (WIFSIGNALED(st))
				log_warn("%s of process %d ended by signal %d",
					 k->kind == KID_DEPUTY ? "deputy" : "supervisor",
					 k->pid, WTERMSIG(st));
			if (k->ctl >= 0)
				close(k->ctl);
			memset(k, 0, sizeof(*k));
		}
	}
}

void kid_news(struct kid *k)
{
	char buf[KID_WHY_MAX + 6];	/* "stays " and a reason that fits why */
	ssize_t n;

	while (k->ctl >= 0 && (n = recv(k->ctl, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
		buf[n] = 0;
		if (!strncmp(buf, "stays ", 6))
			snprintf(k->why, sizeof(k->why), "%s", buf + 6);
	}
}

int kid_tell(const struct kid *k, const char *text, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { (void *)text, strlen(text) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(fd));
	}
	return sendmsg(k->ctl, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

void kid_close_inherited(struct migd *m, int keep)
{
	close(m->listen_fd);
	close(m->ctl_fd);
	close(m->signal_fd);
	if (m->watch_fd >= 0)
		close(m->watch_fd);
	if (m->bal.timer_fd >= 0)
		close(m->bal.timer_fd);
	for (int i = 0; i < MIGD_MAX_KIDS; i++)
		if (m->kid[i].child && m->kid[i].ctl >= 0 && m->kid[i].ctl != keep)
			close(m->kid[i].ctl);
	/* other clients' sockets: theirs to see closed when we close them */
	for (int i = 0; i < MIGD_MAX_PENDING; i++)
		if (m->pending[i].fd >= 0)
			close(m->pending[i].fd);
}

/*
 * Per-process state of processes that ended (a lock set by mosrun -l on a
 * process that never moved, say) goes, so that a new process with the
 * same pid does not inherit it.
 */
void migd_sweep(struct migd *m)
{
	char path[4096];
	struct dirent *e;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/proc", m->run_dir);
	dir = opendir(path);
	while (dir && (e = readdir(dir))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end || pid <= 0 || kid_find(m, KID_DEPUTY, (pid_t)pid))
			continue;
		if (kill((pid_t)pid, 0) && errno == ESRCH)
			mig_pstate_remove(m->run_dir, (pid_t)pid);
	}
	if (dir)
		closedir(dir);
	/* guests of a supervisor that died with a migd crash */
	snprintf(path, sizeof(path), "%s/guests", m->run_dir);
	dir = opendir(path);
	if (!dir)
		return;
	while ((e = readdir(dir))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (!*end && pid > 0 && kill((pid_t)pid, 0) && errno == ESRCH)
			mig_guest_remove(m->run_dir, (pid_t)pid);
	}
	closedir(dir);
}
