// SPDX-License-Identifier: GPL-2.0-only
/*
 * The per-process files as a way to ask: writing a node id (or "home") to
 * $MOSIX_RUN_DIR/proc/PID/where migrates process PID, as writing to
 * /proc/PID/where did in MOSIX. ($MOSIX_RUN_DIR/proc is sticky and open
 * like /tmp, so a user may make the entry of a process of theirs; the
 * request counts only when the file's owner owns the process, or is root.
 * Writing 1 to lock needs no daemon: mig_cantmove reads it.)
 *
 * inotify: the proc directory for new entries, each entry for a closed
 * writer of where. migd's own writes are renames, not closed writers.
 */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/mig_pstate.h"
#include "lib/log.h"
#include "migd.h"

static void watch_entry(struct migd *m, const char *name, bool fresh);

int migd_watch_open(struct migd *m)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s/proc", m->run_dir);
	if (mkdir(path, 01777) && errno != EEXIST)
		return -errno;
	chmod(path, 01777);
	m->watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (m->watch_fd < 0)
		return -errno;
	m->proc_wd = inotify_add_watch(m->watch_fd, path, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
	if (m->proc_wd < 0)
		return -errno;
	d = opendir(path);
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			watch_entry(m, e->d_name, false);
	if (d)
		closedir(d);
	return 0;
}

/* Act on what where says now, as its owner asks. */
static void where_written(struct migd *m, pid_t pid)
{
	char text[32] = "";
	uid_t uid;

	/* not through a link someone put in RUN/proc, nor from a FIFO */
	if (mig_pstate_read_where(m->run_dir, pid, text, sizeof(text), &uid) || !*text)
		return;
	text[strcspn(text, " \t\r\n")] = 0;
	if (!strcmp(text, "here"))
		snprintf(text, sizeof(text), "home");
	log_info("%s/proc/%d/where asks (uid %u) to move process %d to %s", m->run_dir,
		 (int)pid, (unsigned)uid, (int)pid, text);
	migd_request_migrate(m, -1, uid, pid, text);
}

static void watch_entry(struct migd *m, const char *name, bool fresh)
{
	char path[PATH_MAX], where[PATH_MAX + 8], *end;
	long pid = strtol(name, &end, 10);
	struct stat st;
	int wd;

	if (*end || pid <= 0)
		return;
	snprintf(path, sizeof(path), "%s/proc/%s", m->run_dir, name);
	wd = inotify_add_watch(m->watch_fd, path, IN_CLOSE_WRITE | IN_ONLYDIR | IN_DONT_FOLLOW);
	if (wd < 0)
		return;
	for (int i = 0; i < MIGD_MAX_KIDS; i++) {
		if (m->watch[i].wd == wd || !m->watch[i].pid) {
			m->watch[i].wd = wd;
			m->watch[i].pid = (pid_t)pid;
			/* a new entry may have been written before we watched it */
			snprintf(where, sizeof(where), "%s/where", path);
			if (fresh && !lstat(where, &st) && st.st_size > 0 && st.st_uid != 0)
				where_written(m, (pid_t)pid);
			return;
		}
	}
	inotify_rm_watch(m->watch_fd, wd);
}

void migd_watch_handle(struct migd *m)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(m->watch_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const void *)p;

			p += sizeof(*ev) + ev->len;
			if (ev->wd == m->proc_wd && ev->len && (ev->mask & IN_ISDIR)) {
				watch_entry(m, ev->name, true);
				continue;
			}
			for (int i = 0; i < MIGD_MAX_KIDS; i++) {
				if (m->watch[i].wd != ev->wd || !m->watch[i].pid)
					continue;
				if (ev->mask & IN_IGNORED)
					m->watch[i].pid = 0;	/* the entry went */
				else if (ev->len && !strcmp(ev->name, "where"))
					where_written(m, m->watch[i].pid);
				break;
			}
		}
	}
}
