// SPDX-License-Identifier: GPL-2.0-only
#include "mig_pstate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/kmosix.h"
#include "lib/map.h"

/* the longest valid content of a state file, "65535 4194304\n", with room */
#define PSTATE_FILE_MAX 64

/* "RUN/proc/PID" or "RUN/proc/PID/NAME" (@name non-NULL) */
static int proc_path(char *buf, size_t size, const char *run_dir, pid_t pid,
		     const char *name)
{
	int n;

	if (pid <= 0)
		return -EINVAL;
	if (name)
		n = snprintf(buf, size, "%s/proc/%d/%s", run_dir, (int)pid, name);
	else
		n = snprintf(buf, size, "%s/proc/%d", run_dir, (int)pid);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/*
 * The content of a small file into @buf, NUL-terminated, without its
 * final newline. A file too long for @buf cannot be valid: -EINVAL.
 */
static int read_small(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size);
	if (n < 0) {
		r = -errno;
	} else if ((size_t)n >= size) {
		r = -EINVAL;
	} else {
		if (n > 0 && buf[n - 1] == '\n')
			n--;
		buf[n] = '\0';
	}
	close(fd);
	return r;
}

/* A decimal in [@min, @max], digits only: 0 or -EINVAL. */
static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		uint64_t digit = (uint64_t)(*s - '0');

		if (*s < '0' || *s > '9' || digit > max || v > (max - digit) / 10)
			return -EINVAL;
		v = v * 10 + digit;
	}
	if (v < min)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *ret)
{
	uint64_t v;
	int r = parse_u64(s, min, max, &v);

	if (!r)
		*ret = (uint32_t)v;
	return r;
}

/*
 * Read RUN/proc/PID/@name into @buf; a missing file gives "" (the caller's
 * default).
 */
static int read_field(const char *run_dir, pid_t pid, const char *name, char *buf,
		      size_t size)
{
	char path[PATH_MAX];
	int r;

	r = proc_path(path, sizeof(path), run_dir, pid, name);
	if (r < 0)
		return r;
	r = read_small(path, buf, size);
	if (r == -ENOENT) {
		buf[0] = '\0';
		r = 0;
	}
	return r;
}

int mig_pstate_read(const char *run_dir, pid_t pid, struct mig_pstate *ret)
{
	struct mig_pstate s = { 0 };
	char buf[PSTATE_FILE_MAX];
	int r;

	r = read_field(run_dir, pid, "where", buf, sizeof(buf));
	if (r < 0)
		return r;
	if (*buf && strcmp(buf, "here") != 0 && parse_u32(buf, 1, MAP_MAX_ID, &s.where) < 0)
		return -EINVAL;

	r = read_field(run_dir, pid, "nmigs", buf, sizeof(buf));
	if (r < 0)
		return r;
	if (*buf && parse_u32(buf, 0, UINT32_MAX, &s.nmigs) < 0)
		return -EINVAL;

	r = read_field(run_dir, pid, "lock", buf, sizeof(buf));
	if (r < 0)
		return r;
	if (strcmp(buf, "1") == 0)
		s.lock = true;
	else if (*buf && strcmp(buf, "0") != 0)
		return -EINVAL;

	r = read_field(run_dir, pid, "job", buf, sizeof(buf));
	if (r < 0)
		return r;
	if (*buf && mig_job_parse(buf, &s))
		return -EINVAL;

	*ret = s;
	return 0;
}

int mig_job_parse(const char *words, struct mig_pstate *ret)
{
	char buf[PSTATE_FILE_MAX], *save = NULL;
	uint32_t job = MIG_JOB_SET, decay = MIG_DECAY_DEFAULT;
	bool mode = false;

	if (strlen(words) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", words);
	for (char *w = strtok_r(buf, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
		if (!strcmp(w, "auto") || !strcmp(w, "manual")) {
			if (mode)
				return -EINVAL;
			mode = true;
			job |= w[0] == 'a' ? MIG_JOB_AUTO : 0;
		} else if (!strcmp(w, "cpujob") && !(job & MIG_JOB_IO)) {
			job |= MIG_JOB_CPU;
		} else if (!strcmp(w, "iojob") && !(job & MIG_JOB_CPU)) {
			job |= MIG_JOB_IO;
		} else if (!strncmp(w, "decay=", 6)) {
			if (parse_u32(w + 6, 0, MIG_DECAY_MAX, &decay) < 0)
				return -EINVAL;
		} else {
			return -EINVAL;
		}
	}
	if (!mode)
		return -EINVAL;
	ret->job = job;
	ret->decay = decay;
	return 0;
}

void mig_job_format(const struct mig_pstate *s, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s decay=%u\n", s->job & MIG_JOB_AUTO ? "auto" : "manual",
		 s->job & MIG_JOB_CPU ? " cpujob" : s->job & MIG_JOB_IO ? " iojob" : "",
		 s->decay);
}

/*
 * Create directory @path with exactly @mode (the umask must not decide who
 * may read it), and group @gid unless it is -1. An existing one is kept
 * as it is: the admin may have changed it.
 */
static int make_dir(const char *path, mode_t mode, gid_t gid)
{
	if (mkdir(path, mode & 0777) < 0)
		return errno == EEXIST ? 0 : -errno;
	if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0)
		return -errno;
	if (chmod(path, mode) < 0)
		return -errno;
	return 0;
}

/*
 * Replace @dir/@name by @text, mode @mode: written to a temporary file in
 * the same directory (named with a leading dot, so that listings skip it),
 * then renamed over the old one. No fsync: the run directory is a tmpfs
 * that does not outlive the processes it describes.
 */
static int write_file(const char *dir, const char *name, const char *text,
		      mode_t mode)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	size_t len = strlen(text);
	ssize_t n;
	int fd, r = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name) >= sizeof(tmp) ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) < 0) {
		r = -errno;
		goto out_close;
	}
	n = write(fd, text, len);
	if (n < 0)
		r = -errno;
	else if ((size_t)n != len)
		r = -EIO;
out_close:
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

/* The real uid of @pid, or -1. */
static uid_t process_uid(pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	return stat(path, &st) ? (uid_t)-1 : st.st_uid;
}

int mig_pstate_write(const char *run_dir, pid_t pid, const struct mig_pstate *s)
{
	char dir[PATH_MAX], text[PSTATE_FILE_MAX];
	uid_t owner;
	int r;

	if (s->where > MAP_MAX_ID)
		return -EINVAL;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/proc", run_dir) >= sizeof(dir))
		return -ENAMETOOLONG;
	/* sticky and open, like /tmp: a user may make their process's entry
	 * (and write 1 to lock, or a node to where) */
	r = make_dir(dir, 01777, (gid_t)-1);
	if (r < 0)
		return r;
	r = proc_path(dir, sizeof(dir), run_dir, pid, NULL);
	if (r < 0)
		return r;
	r = make_dir(dir, 0755, (gid_t)-1);
	if (r < 0)
		return r;
	owner = process_uid(pid);

	/* the count first: a reader that sees the new place sees the new count */
	snprintf(text, sizeof(text), "%u\n", s->nmigs);
	r = write_file(dir, "nmigs", text, 0644);
	if (r < 0)
		return r;
	r = write_file(dir, "lock", s->lock ? "1\n" : "0\n", 0644);
	if (r < 0)
		return r;
	if (s->where)
		snprintf(text, sizeof(text), "%u\n", s->where);
	else
		snprintf(text, sizeof(text), "here\n");
	r = write_file(dir, "where", text, 0644);
	/* the calls served away mean nothing at home */
	if (!r && !s->where) {
		char calls[PATH_MAX + 8];

		snprintf(calls, sizeof(calls), "%s/calls", dir);
		if (unlink(calls) && errno != ENOENT)
			r = -errno;
	}
	if (!r && s->job) {
		mig_job_format(s, text, sizeof(text));
		r = write_file(dir, "job", text, 0644);
	}
	/* the process's user may write lock and where (mosix-migd acts on it) */
	if (!r && owner != (uid_t)-1 && geteuid() == 0) {
		static const char *const names[] = { "", "/nmigs", "/lock", "/where" };

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			char p[PATH_MAX + 8];

			snprintf(p, sizeof(p), "%s%s", dir, names[i]);
			if (chown(p, owner, (gid_t)-1) && errno != ENOENT)
				r = -errno;
		}
	}
	return r;
}

int mig_pstate_write_calls(const char *run_dir, pid_t pid, uint64_t calls)
{
	char dir[PATH_MAX], text[PSTATE_FILE_MAX];
	int r;

	r = proc_path(dir, sizeof(dir), run_dir, pid, NULL);
	if (r < 0)
		return r;
	snprintf(text, sizeof(text), "%llu\n", (unsigned long long)calls);
	return write_file(dir, "calls", text, 0644);
}

int mig_pstate_read_calls(const char *run_dir, pid_t pid, uint64_t *ret)
{
	char path[PATH_MAX], buf[PSTATE_FILE_MAX];
	int r;

	r = proc_path(path, sizeof(path), run_dir, pid, "calls");
	if (r < 0)
		return r;
	r = read_small(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	return parse_u64(buf, 0, UINT64_MAX, ret);
}

int mig_pstate_kernel(pid_t pid, const struct mig_pstate *s)
{
	char text[PSTATE_FILE_MAX];
	int r;

	/* the count first, as in RUN */
	snprintf(text, sizeof(text), "%u\n", s->nmigs);
	r = kmosix_task_write(NULL, pid, "nmigs", text);
	if (r == 0) {
		snprintf(text, sizeof(text), "%u\n", s->where);
		r = kmosix_task_write(NULL, pid, "where", text);
	}
	return r == -ENOENT ? 0 : r;
}

int mig_pstate_remove(const char *run_dir, pid_t pid)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int r;

	r = proc_path(dir, sizeof(dir), run_dir, pid, NULL);
	if (r < 0)
		return r;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	/* everything in it, with what a writer that died left behind */
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT) {
			r = -errno;
			break;
		}
	}
	closedir(d);
	if (r == 0 && rmdir(dir) < 0 && errno != ENOENT)
		r = -errno;
	return r;
}

static int guest_path(char *buf, size_t size, const char *run_dir, pid_t pid)
{
	int n;

	if (pid <= 0)
		return -EINVAL;
	n = snprintf(buf, size, "%s/guests/%d", run_dir, (int)pid);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int mig_guest_read(const char *run_dir, pid_t pid, uint32_t *ret_home_node,
		   pid_t *ret_home_pid)
{
	char path[PATH_MAX], buf[PSTATE_FILE_MAX];
	uint32_t node, home_pid;
	char *sp;
	int r;

	r = guest_path(path, sizeof(path), run_dir, pid);
	if (r < 0)
		return r;
	r = read_small(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	sp = strchr(buf, ' ');
	if (!sp)
		return -EINVAL;
	*sp = '\0';
	if (parse_u32(buf, 1, MAP_MAX_ID, &node) < 0 ||
	    parse_u32(sp + 1, 1, INT_MAX, &home_pid) < 0)
		return -EINVAL;
	*ret_home_node = node;
	*ret_home_pid = (pid_t)home_pid;
	return 0;
}

/* Group "mosix" when it exists: its members may list the guests. */
static gid_t mosix_gid(void)
{
	const struct group *g = getgrnam("mosix");

	return g ? g->gr_gid : (gid_t)-1;
}

int mig_guest_write(const char *run_dir, pid_t pid, uint32_t home_node,
		    pid_t home_pid)
{
	char dir[PATH_MAX], name[16], text[PSTATE_FILE_MAX];
	struct stat st;

	if (pid <= 0 || home_pid <= 0 || home_node == 0 || home_node > MAP_MAX_ID)
		return -EINVAL;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/guests", run_dir) >= sizeof(dir))
		return -ENAMETOOLONG;
	/* set-group-id: the files take the directory's group */
	if (stat(dir, &st) < 0) {
		int r;

		if (errno != ENOENT)
			return -errno;
		r = make_dir(dir, 02750, mosix_gid());
		if (r < 0)
			return r;
	}
	snprintf(name, sizeof(name), "%d", (int)pid);
	snprintf(text, sizeof(text), "%u %d\n", home_node, (int)home_pid);
	return write_file(dir, name, text, 0640);
}

int mig_guest_remove(const char *run_dir, pid_t pid)
{
	char path[PATH_MAX];
	int r;

	r = guest_path(path, sizeof(path), run_dir, pid);
	if (r < 0)
		return r;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}
