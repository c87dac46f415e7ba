// SPDX-License-Identifier: GPL-2.0-only
#include "mig_pstate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/kmosix.h"
#include "lib/map.h"
#include "engine/mig_proc.h"

/* the longest valid content of a state file, "65535 4194304\n", with room */
#define PSTATE_FILE_MAX 64
/* how deep what a user made in an entry is removed */
#define PSTATE_TREE_DEPTH 8

/*
 * Anyone may make entries in RUN/proc (sticky, open to all, like /tmp), and
 * the user of a process owns its entry: so a name there may be a symbolic
 * link to a directory of root's, a FIFO, or another user's directory. The
 * state is therefore reached through file descriptors: RUN/proc/PID opened
 * without following a link (open_entry), its files opened, made and
 * renamed relative to it, never through a path that a user could redirect.
 */

/* RUN/proc, opened. */
static int open_procs(const char *run_dir)
{
	char path[PATH_MAX];
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/proc", run_dir) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* RUN/proc/PID, opened through @procs: -ELOOP for a link, -ENOTDIR for a file. */
static int open_entry(int procs, pid_t pid)
{
	char name[16];
	int fd;

	if (pid <= 0)
		return -EINVAL;
	snprintf(name, sizeof(name), "%d", (int)pid);
	fd = openat(procs, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* The real uid of @pid, or -1. */
static uid_t process_uid(pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	return stat(path, &st) ? (uid_t)-1 : st.st_uid;
}

/*
 * RUN/proc/PID for reading: -ENOENT when there is none, -EINVAL when it is
 * no directory (a link, a file), -EINVAL for a pid that cannot be one.
 * @state: what it says is the process's state, so an entry counts only
 * when root, the process's user or we own it; anyone may make one for any
 * pid (a lock that pins another user's processes, say), and that one is
 * as good as none (-ENOENT).
 */
static int entry_read(const char *run_dir, pid_t pid, bool state)
{
	struct stat st;
	int procs, fd;

	if (pid <= 0)
		return -EINVAL;
	procs = open_procs(run_dir);
	if (procs < 0)
		return procs;
	fd = open_entry(procs, pid);
	close(procs);
	if (fd == -ELOOP || fd == -ENOTDIR)
		return -EINVAL;
	if (fd < 0 || !state)
		return fd;
	if (fstat(fd, &st) < 0 ||
	    (st.st_uid != 0 && st.st_uid != geteuid() && st.st_uid != process_uid(pid))) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

/*
 * The content of the small regular file @name of @dfd into @buf,
 * NUL-terminated, without its final newline. Not a link, and not a FIFO
 * or a device (-EINVAL), which would block us. A file too long for @buf
 * cannot be valid: -EINVAL. Its owner into *@ret_uid, if not NULL.
 */
static int read_at(int dfd, const char *name, char *buf, size_t size, uid_t *ret_uid)
{
	struct stat st;
	ssize_t n;
	int fd, r = 0;

	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto out_close;
	}
	n = read(fd, buf, size);
	if (n < 0) {
		r = -errno;
	} else if ((size_t)n >= size) {
		r = -EINVAL;
	} else {
		if (n > 0 && buf[n - 1] == '\n')
			n--;
		buf[n] = '\0';
		if (ret_uid)
			*ret_uid = st.st_uid;
	}
out_close:
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

int mig_pstate_read_where(const char *run_dir, pid_t pid, char *buf, size_t size,
			  uid_t *ret_uid)
{
	int fd, r;

	/* whoever wrote it asks: migd decides whether they may */
	fd = entry_read(run_dir, pid, false);
	if (fd < 0)
		return fd;
	r = read_at(fd, "where", buf, size, ret_uid);
	close(fd);
	return r;
}

/* File @name of an entry into @buf; a missing file gives "" (the caller's default). */
static int field_at(int dfd, const char *name, char *buf, size_t size)
{
	int r = read_at(dfd, name, buf, size, NULL);

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
	int fd, r;

	fd = entry_read(run_dir, pid, true);
	if (fd == -ENOENT) {
		*ret = s;	/* no state: the defaults */
		return 0;
	}
	if (fd < 0)
		return fd;
	r = field_at(fd, "where", buf, sizeof(buf));
	if (r < 0)
		goto out_close;
	r = -EINVAL;
	if (*buf && strcmp(buf, "here") != 0 && parse_u32(buf, 1, MAP_MAX_ID, &s.where) < 0)
		goto out_close;

	r = field_at(fd, "nmigs", buf, sizeof(buf));
	if (r < 0)
		goto out_close;
	r = -EINVAL;
	if (*buf && parse_u32(buf, 0, UINT32_MAX, &s.nmigs) < 0)
		goto out_close;

	r = field_at(fd, "lock", buf, sizeof(buf));
	if (r < 0)
		goto out_close;
	r = -EINVAL;
	if (strcmp(buf, "1") == 0)
		s.lock = true;
	else if (*buf && strcmp(buf, "0") != 0)
		goto out_close;

	r = field_at(fd, "job", buf, sizeof(buf));
	if (r < 0)
		goto out_close;
	r = -EINVAL;
	if (*buf && mig_job_parse(buf, &s))
		goto out_close;

	*ret = s;
	r = 0;
out_close:
	close(fd);
	return r;
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
 * Replace file @name of @dfd by @text, mode @mode, owned by @owner (-1:
 * ours): written to a new file of a random name (with a leading dot, so
 * that listings skip it) that nobody could have put there before us, then
 * renamed over the old one. No fsync: the run directory is a tmpfs that
 * does not outlive the processes it describes.
 */
/*
 * @text into a new file of @dfd beside @name, whose name goes to @tmp (of
 * NAME_MAX + 1 bytes), for aside_rename() to put in place. 0 or -errno;
 * nothing is left behind on failure.
 */
static int write_aside(int dfd, const char *name, const char *text, mode_t mode, uid_t owner,
		       char *tmp)
{
	size_t len = strlen(text);
	uint64_t rnd;
	ssize_t n;
	int fd = -1, r = 0;

	for (int i = 0; i < 8 && fd < 0; i++) {
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			return -EIO;
		if ((size_t)snprintf(tmp, NAME_MAX + 1, ".%s.%016llx", name,
				     (unsigned long long)rnd) >= NAME_MAX + 1)
			return -ENAMETOOLONG;
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			return -errno;
	}
	if (fd < 0)
		return -EEXIST;
	if (fchmod(fd, mode) < 0 || (owner != (uid_t)-1 && fchown(fd, owner, (gid_t)-1) < 0)) {
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
	if (r < 0)
		unlinkat(dfd, tmp, 0);
	return r;
}

static int aside_rename(int dfd, const char *tmp, const char *name)
{
	int r = 0;

	if (renameat(dfd, tmp, dfd, name) < 0) {
		r = -errno;
		unlinkat(dfd, tmp, 0);
	}
	return r;
}

static int write_at(int dfd, const char *name, const char *text, mode_t mode, uid_t owner)
{
	char tmp[NAME_MAX + 1];
	int r = write_aside(dfd, name, text, mode, owner, tmp);

	return r ? r : aside_rename(dfd, tmp, name);
}

/*
 * Remove what is in @dfd, with directories and what is in them down to
 * @depth levels. Each directory becomes ours (mode 0700) before we empty
 * it, so that the user who made it adds nothing meanwhile.
 */
static int clear_tree(int dfd, int depth)
{
	struct dirent *e;
	DIR *d;
	int fd, r = 0;

	fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	while ((e = readdir(d))) {
		int sub;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		/* unlinkat removes a link, never what it points to */
		if (unlinkat(dfd, e->d_name, 0) == 0 || errno == ENOENT)
			continue;
		if (errno != EISDIR || depth <= 0) {
			r = errno == EISDIR ? -ENOTEMPTY : -errno;
			break;
		}
		sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			r = -errno;
			break;
		}
		if (fchown(sub, geteuid(), (gid_t)-1) < 0 || fchmod(sub, 0700) < 0)
			r = -errno;
		else
			r = clear_tree(sub, depth - 1);
		close(sub);
		if (!r && unlinkat(dfd, e->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
			r = -errno;
		if (r)
			break;
	}
	closedir(d);
	return r;
}

/*
 * RUN/proc/PID for writing, made if missing: a directory of ours, root's
 * or @owner's (the process's user; -1 when unknown), mode 0755. A link or
 * a file in its place goes; another user's directory becomes ours, and
 * what they left in it goes.
 */
static int entry_write(int procs, pid_t pid, uid_t owner)
{
	char name[16];
	struct stat st;
	int fd, r;

	snprintf(name, sizeof(name), "%d", (int)pid);
	fd = open_entry(procs, pid);
	if (fd == -ELOOP || fd == -ENOTDIR) {
		if (unlinkat(procs, name, 0) < 0 && errno != ENOENT)
			return -errno;
		fd = -ENOENT;
	}
	if (fd == -ENOENT) {
		if (mkdirat(procs, name, 0755) < 0 && errno != EEXIST)
			return -errno;
		fd = open_entry(procs, pid);
	}
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out_close;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0 && st.st_uid != owner) {
		/* theirs no more first, so that they add nothing meanwhile */
		if (fchown(fd, geteuid(), (gid_t)-1) < 0 || fchmod(fd, 0755) < 0) {
			r = -errno;
			goto out_close;
		}
		r = clear_tree(fd, PSTATE_TREE_DEPTH);
		if (r)
			goto out_close;
	} else if ((st.st_mode & 07777) != 0755 && fchmod(fd, 0755) < 0) {
		r = -errno;
		goto out_close;
	}
	return fd;
out_close:
	close(fd);
	return r;
}

/*
 * RUN/proc/PID for writing the state of @pid at node @where, made if
 * missing, and the user its files go to (*@ret_give, -1 for none). Its
 * fd, or -errno.
 */
static int entry_for(const char *run_dir, pid_t pid, uint32_t where, uid_t *ret_give)
{
	char dir[PATH_MAX];
	int procs, fd, r;

	*ret_give = (uid_t)-1;
	if (where > MAP_MAX_ID || pid <= 0)
		return -EINVAL;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/proc", run_dir) >= sizeof(dir))
		return -ENAMETOOLONG;
	/* sticky and open, like /tmp: a user may make their process's entry
	 * (and write 1 to lock, or a node to where) */
	r = make_dir(dir, 01777, (gid_t)-1);
	if (r < 0)
		return r;
	procs = open_procs(run_dir);
	if (procs < 0)
		return procs;
	/* the process's user may write lock and where (mosix-migd acts on it) */
	if (geteuid() == 0)
		*ret_give = process_uid(pid);
	fd = entry_write(procs, pid, *ret_give);
	close(procs);
	return fd;
}

int mig_pstate_write(const char *run_dir, pid_t pid, const struct mig_pstate *s)
{
	char text[PSTATE_FILE_MAX];
	uid_t give;
	int fd, r;

	fd = entry_for(run_dir, pid, s->where, &give);
	if (fd < 0)
		return fd;

	/* the count first: a reader that sees the new place sees the new count */
	snprintf(text, sizeof(text), "%u\n", s->nmigs);
	r = write_at(fd, "nmigs", text, 0644, give);
	if (!r)
		r = write_at(fd, "lock", s->lock ? "1\n" : "0\n", 0644, give);
	if (!r) {
		if (s->where)
			snprintf(text, sizeof(text), "%u\n", s->where);
		else
			snprintf(text, sizeof(text), "here\n");
		r = write_at(fd, "where", text, 0644, give);
	}
	/* the calls served away mean nothing at home */
	if (!r && !s->where && unlinkat(fd, "calls", 0) < 0 && errno != ENOENT)
		r = -errno;
	if (!r && s->job) {
		mig_job_format(s, text, sizeof(text));
		r = write_at(fd, "job", text, 0644, (uid_t)-1);
	}
	if (!r && give != (uid_t)-1 && fchown(fd, give, (gid_t)-1) < 0)
		r = -errno;
	close(fd);
	return r;
}

int mig_pstate_aside_move(const char *run_dir, pid_t pid, uint32_t where, uint32_t nmigs,
			  struct mig_pstate_aside *a)
{
	char text[PSTATE_FILE_MAX];
	uid_t give;
	int r;

	memset(a, 0, sizeof(*a));
	a->dfd = entry_for(run_dir, pid, where, &give);
	if (a->dfd < 0) {
		r = a->dfd;
		a->dfd = -1;
		return r;
	}
	a->home = where == 0;
	/* renamed in this order: a reader that sees the new place sees the
	 * new count */
	snprintf(text, sizeof(text), "%u\n", nmigs);
	r = write_aside(a->dfd, "nmigs", text, 0644, give, a->tmp[0]);
	if (!r) {
		a->n = 1;
		if (where)
			snprintf(text, sizeof(text), "%u\n", where);
		else
			snprintf(text, sizeof(text), "here\n");
		r = write_aside(a->dfd, "where", text, 0644, give, a->tmp[1]);
	}
	if (!r)
		a->n = 2;
	if (!r && give != (uid_t)-1 && fchown(a->dfd, give, (gid_t)-1) < 0)
		r = -errno;
	if (r)
		mig_pstate_aside_drop(a);
	return r;
}

int mig_pstate_aside_commit(struct mig_pstate_aside *a)
{
	static const char *const names[] = { "nmigs", "where" };
	int r = a->dfd < 0 ? -EBADF : 0;

	for (unsigned i = 0; !r && i < a->n; i++) {
		r = aside_rename(a->dfd, a->tmp[i], names[i]);
		a->tmp[i][0] = '\0';
	}
	/* the calls served away mean nothing at home */
	if (!r && a->home && unlinkat(a->dfd, "calls", 0) < 0 && errno != ENOENT)
		r = -errno;
	mig_pstate_aside_drop(a);
	return r;
}

void mig_pstate_aside_drop(struct mig_pstate_aside *a)
{
	if (a->dfd < 0)
		return;
	for (unsigned i = 0; i < a->n; i++)
		if (a->tmp[i][0])
			unlinkat(a->dfd, a->tmp[i], 0);
	close(a->dfd);
	a->dfd = -1;
	a->n = 0;
}

int mig_pstate_write_calls(const char *run_dir, pid_t pid, uint64_t calls)
{
	char text[PSTATE_FILE_MAX];
	int procs, fd, r;

	procs = open_procs(run_dir);
	if (procs < 0)
		return procs;
	fd = open_entry(procs, pid);
	close(procs);
	if (fd < 0)
		return fd;
	snprintf(text, sizeof(text), "%llu\n", (unsigned long long)calls);
	r = write_at(fd, "calls", text, 0644, (uid_t)-1);
	close(fd);
	return r;
}

int mig_pstate_write_cpu(const char *run_dir, pid_t pid, uint64_t ns)
{
	char text[PSTATE_FILE_MAX];
	uint64_t start;
	int procs, fd, r;

	r = mig_proc_start(pid, &start);
	if (r)
		return r;
	procs = open_procs(run_dir);
	if (procs < 0)
		return procs;
	fd = open_entry(procs, pid);
	close(procs);
	if (fd < 0)
		return fd;
	snprintf(text, sizeof(text), "%llu %llu\n", (unsigned long long)start,
		 (unsigned long long)ns);
	r = write_at(fd, "cpu", text, 0644, (uid_t)-1);
	close(fd);
	return r;
}

int mig_pstate_read_cpu(const char *run_dir, pid_t pid, uint64_t *ret)
{
	char buf[PSTATE_FILE_MAX], *sp;
	uint64_t start, now, ns;
	uid_t uid = (uid_t)-1;
	int fd, r;

	*ret = 0;
	fd = entry_read(run_dir, pid, true);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	r = read_at(fd, "cpu", buf, sizeof(buf), &uid);
	close(fd);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	/* the user owns the entry, so may put a file there: not this one */
	if (uid != 0 && uid != geteuid())
		return 0;
	sp = strchr(buf, ' ');
	if (!sp)
		return -EINVAL;
	*sp = '\0';
	if (parse_u64(buf, 0, UINT64_MAX, &start) || parse_u64(sp + 1, 0, UINT64_MAX, &ns))
		return -EINVAL;
	if (mig_proc_start(pid, &now) || now != start)
		return 0;
	*ret = ns;
	return 0;
}

int mig_pstate_read_calls(const char *run_dir, pid_t pid, uint64_t *ret)
{
	char buf[PSTATE_FILE_MAX];
	int fd, r;

	fd = entry_read(run_dir, pid, true);
	if (fd < 0)
		return fd;
	r = read_at(fd, "calls", buf, sizeof(buf), NULL);
	close(fd);
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
	char name[16];
	int procs, fd, r = 0;

	if (pid <= 0)
		return -EINVAL;
	procs = open_procs(run_dir);
	if (procs < 0)
		return procs == -ENOENT ? 0 : procs;
	snprintf(name, sizeof(name), "%d", (int)pid);
	fd = open_entry(procs, pid);
	if (fd == -ELOOP || fd == -ENOTDIR) {
		/* a link (or a file) in its place: that goes, not what it points to */
		if (unlinkat(procs, name, 0) < 0 && errno != ENOENT)
			r = -errno;
	} else if (fd >= 0) {
		/*
		 * Everything in it, with what a writer that died left behind;
		 * ours first, so that its user adds nothing meanwhile.
		 */
		if (geteuid() == 0 && (fchown(fd, 0, (gid_t)-1) < 0 || fchmod(fd, 0700) < 0))
			r = -errno;
		if (!r)
			r = clear_tree(fd, PSTATE_TREE_DEPTH);
		close(fd);
		if (r == 0 && unlinkat(procs, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
			r = -errno;
	} else if (fd != -ENOENT) {
		r = fd;
	}
	close(procs);
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
	r = read_at(AT_FDCWD, path, buf, sizeof(buf), NULL);
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
	int fd, r;

	if (pid <= 0 || home_pid <= 0 || home_node == 0 || home_node > MAP_MAX_ID)
		return -EINVAL;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/guests", run_dir) >= sizeof(dir))
		return -ENAMETOOLONG;
	/* set-group-id: the files take the directory's group */
	if (stat(dir, &st) < 0) {
		if (errno != ENOENT)
			return -errno;
		r = make_dir(dir, 02750, mosix_gid());
		if (r < 0)
			return r;
	}
	snprintf(name, sizeof(name), "%d", (int)pid);
	snprintf(text, sizeof(text), "%u %d\n", home_node, (int)home_pid);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = write_at(fd, name, text, 0640, (uid_t)-1);
	close(fd);
	return r;
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
