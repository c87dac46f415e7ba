// SPDX-License-Identifier: GPL-2.0-only
/*
 * mps: ps with the MOSIX columns. Where each process runs, how often it
 * migrated and whether it is locked come from the files mosix-migd keeps
 * under $MOSIX_RUN_DIR (mig_pstate.h); why it cannot migrate is read from
 * /proc (mig_cantmove.h). With --guests, the processes this node runs for
 * other nodes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/mig_cantmove.h"
#include "engine/mig_pstate.h"
#include "lib/kmosix.h"
#include "lib/map.h"
#include "lib/paths.h"

/* how much of a command line is shown */
#define CMD_MAX 4096
/* widths of the columns that are not numbers */
#define USER_WIDTH 8
#define CANT_WIDTH 23

static const char usage[] =
	"usage: mps [-a] [--no-header] [PID...]\n"
	"       mps --guests [--no-header]\n"
	"       mps --help\n"
	"\n"
	"Processes with their MOSIX state, one line each:\n"
	"  PID USER HOME WHERE NMIGS LOCK CANTMOVE TIME CMD\n"
	"  HOME      this node's id (- when it has no cluster map)\n"
	"  WHERE     here, or the id of the node the process runs on\n"
	"  NMIGS     how many times it migrated\n"
	"  LOCK      yes when its user locked it at home (or, with /proc/mosix,\n"
	"            an ancestor)\n"
	"  CANTMOVE  why it cannot migrate now, or -; ? when that is not ours to see\n"
	"  TIME      CPU time used, here and on other nodes, [DAYS-]HH:MM:SS\n"
	"\n"
	"  (none)       your processes (root: every process)\n"
	"  -a           the processes of every user\n"
	"  PID...       these processes only\n"
	"  --guests     the processes this node runs for other nodes: local pid,\n"
	"               home node, pid at home, CPU time, command (root and\n"
	"               group mosix only)\n"
	"  --no-header  no line of column titles\n"
	"  -h, --help   this text\n"
	"\n"
	"Exit status: 0 success, 1 a process not found or another failure (with\n"
	"a message), 2 usage error.\n";

struct opts {
	bool all;
	bool guests;
	bool no_header;
	bool help;
	pid_t *pids;
	size_t npids;
};

/* What /proc says of one process, for the columns. */
struct proc_info {
	pid_t pid;
	uid_t euid;
	bool have_uid;
	unsigned long long ticks;	/* user + system CPU time */
	bool have_time;
	char cmd[CMD_MAX];
};

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "mps: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'mps --help'.\n");
	return 2;
}

/* A pid: decimal, 1..INT_MAX. */
static int parse_pid(const char *s, pid_t *ret)
{
	long long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return -EINVAL;
	}
	if (v == 0)
		return -EINVAL;
	*ret = (pid_t)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			o->help = true;
			return 0;
		} else if (strcmp(a, "-a") == 0) {
			o->all = true;
		} else if (strcmp(a, "--guests") == 0) {
			o->guests = true;
		} else if (strcmp(a, "--no-header") == 0) {
			o->no_header = true;
		} else if (a[0] == '-') {
			return usage_error("unknown option '%s'", a);
		} else if (parse_pid(a, &o->pids[o->npids]) < 0) {
			return usage_error("invalid pid '%s'", a);
		} else {
			o->npids++;
		}
	}
	if (o->guests && (o->all || o->npids))
		return usage_error("%s", "--guests takes no -a and no PID");
	if (o->all && o->npids)
		return usage_error("%s", "-a and PIDs exclude each other");
	return 0;
}

/* Read all of a small /proc file, NUL-terminated; its length or -errno. */
static ssize_t read_proc(pid_t pid, const char *name, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd, err;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = read(fd, buf, size - 1);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	buf[n] = '\0';
	return n;
}

/*
 * The first @n bytes of @s as the terminal may see them: a NUL is a space,
 * a control character a '?' (a process chooses its arguments and name).
 * Returns @n.
 */
static ssize_t printable(char *s, ssize_t n)
{
	for (ssize_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\0')
			s[i] = ' ';
		else if (c < ' ' || c == 0x7f)
			s[i] = '?';
	}
	return n;
}

/*
 * The columns /proc gives. -ESRCH when the process is gone; a field the
 * caller may not read is left unknown, not an error.
 */
static int proc_read(pid_t pid, struct proc_info *ret)
{
	char buf[2048], comm[64] = "";
	const char *p, *open_paren;
	ssize_t n;

	memset(ret, 0, sizeof(*ret));
	ret->pid = pid;
	n = read_proc(pid, "stat", buf, sizeof(buf));
	if (n == -ESRCH || n == 0)
		return -ESRCH;
	open_paren = n > 0 ? strchr(buf, '(') : NULL;
	p = n > 0 ? strrchr(buf, ')') : NULL;
	if (open_paren && p && p > open_paren) {
		size_t len = (size_t)(p - open_paren - 1);
		unsigned long long utime, stime;

		if (len >= sizeof(comm))
			len = sizeof(comm) - 1;
		memcpy(comm, open_paren + 1, len);
		comm[len] = '\0';
		/* utime and stime are fields 14 and 15; the state is field 3 */
		for (int field = 2; field < 14 && p; field++)
			p = strchr(p + 1, ' ');
		if (p && sscanf(p, " %llu %llu", &utime, &stime) == 2) {
			ret->ticks = utime + stime;
			ret->have_time = true;
		}
	}

	n = read_proc(pid, "status", buf, sizeof(buf));
	if (n == -ESRCH)
		return -ESRCH;
	p = n > 0 ? strstr(buf, "\nUid:") : NULL;
	if (p) {
		unsigned long real, eff;

		if (sscanf(p + 5, "%lu %lu", &real, &eff) == 2) {
			ret->euid = (uid_t)eff;
			ret->have_uid = true;
		}
	}

	n = read_proc(pid, "cmdline", ret->cmd, sizeof(ret->cmd));
	if (n == -ESRCH)
		return -ESRCH;
	/* arguments are NUL-separated */
	n = printable(ret->cmd, n);
	while (n > 0 && ret->cmd[n - 1] == ' ')
		ret->cmd[--n] = '\0';
	/* kernel threads and zombies have no command line: ps shows [name] */
	if (n <= 0) {
		n = snprintf(ret->cmd, sizeof(ret->cmd), "[%s]", comm);
		printable(ret->cmd, n < (ssize_t)sizeof(ret->cmd) ? n : (ssize_t)sizeof(ret->cmd) - 1);
	}
	return 0;
}

static const char *format_time(const struct proc_info *p, char *buf, size_t size)
{
	long hz = sysconf(_SC_CLK_TCK);
	unsigned long long s;

	if (!p->have_time || hz <= 0)
		return "?";
	s = p->ticks / (unsigned long long)hz;
	if (s >= 86400)
		snprintf(buf, size, "%llu-%02llu:%02llu:%02llu", s / 86400, s / 3600 % 24,
			 s / 60 % 60, s % 60);
	else
		snprintf(buf, size, "%02llu:%02llu:%02llu", s / 3600, s / 60 % 60, s % 60);
	return buf;
}

/* The user name, as ps cuts it: 7 characters and '+'. One-entry cache. */
static const char *format_user(const struct proc_info *p, char *buf, size_t size)
{
	static char name[USER_WIDTH + 1];
	static uid_t cached = (uid_t)-1;

	if (!p->have_uid)
		return "?";
	if (p->euid != cached) {
		const struct passwd *pw = getpwuid(p->euid);

		if (!pw)
			snprintf(name, sizeof(name), "%u", (unsigned)p->euid);
		else if (strlen(pw->pw_name) > USER_WIDTH)
			snprintf(name, sizeof(name), "%.*s+", USER_WIDTH - 1, pw->pw_name);
		else
			snprintf(name, sizeof(name), "%s", pw->pw_name);
		cached = p->euid;
	}
	snprintf(buf, size, "%s", name);
	return buf;
}

/*
 * The CPU time it used on other nodes, which home's kernel never counted
 * (its deputy keeps it, RUN/proc/PID/cpu): TIME is all of it.
 */
static void add_away_time(struct proc_info *p, pid_t pid, const char *run_dir)
{
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t ns;

	if (p->have_time && hz > 0 && mig_pstate_read_cpu(run_dir, pid, &ns) == 0)
		p->ticks += ns / (1000000000ull / (unsigned long long)hz);
}

/*
 * One line of the table. -ESRCH when the process ended meanwhile: a
 * process that is gone has no line.
 */
static int print_process(pid_t pid, const char *home, const char *run_dir)
{
	char where[16], nmigs[16], user[USER_WIDTH + 1], cpu[32];
	const char *lock, *cant;
	struct proc_info p;
	struct mig_pstate ps;
	enum mig_cant why;
	bool klock;
	int r;

	r = proc_read(pid, &p);
	if (r < 0)
		return r;
	add_away_time(&p, pid, run_dir);
	r = mig_pstate_read(run_dir, pid, &ps);
	if (r < 0) {
		snprintf(where, sizeof(where), "?");
		snprintf(nmigs, sizeof(nmigs), "?");
		lock = "?";
	} else {
		if (ps.where)
			snprintf(where, sizeof(where), "%u", ps.where);
		else
			snprintf(where, sizeof(where), "here");
		snprintf(nmigs, sizeof(nmigs), "%u", ps.nmigs);
		/* the kernel's flag, where it keeps one, is inherited too */
		lock = ps.lock || (kmosix_locked(NULL, pid, &klock) == 0 && klock) ? "yes" : "no";
	}
	if (r == 0 && ps.where) {
		/* away already: the home process is only the deputy's */
		cant = "-";
	} else {
		r = mig_cantmove(pid, run_dir, &why);
		if (r == -ESRCH)
			return r;
		cant = r < 0 ? "?" : mig_cant_str(why);
	}
	printf("%7d %-*s %5s %5s %5s %4s %-*s %9s %s\n", (int)pid, USER_WIDTH,
	       format_user(&p, user, sizeof(user)), home, where, nmigs, lock, CANT_WIDTH,
	       cant, format_time(&p, cpu, sizeof(cpu)), p.cmd);
	return 0;
}

/* Does the caller see @pid by default: its own (effective uid), or root's all. */
static bool selected(pid_t pid, const struct opts *o)
{
	struct proc_info p;

	if (o->all || getuid() == 0)
		return true;
	return proc_read(pid, &p) == 0 && p.have_uid && p.euid == getuid();
}

static int list_processes(const struct opts *o, const char *home, const char *run_dir)
{
	struct dirent *e;
	DIR *d;
	int ret = 0;

	if (!o->no_header)
		printf("%7s %-*s %5s %5s %5s %4s %-*s %9s %s\n", "PID", USER_WIDTH, "USER",
		       "HOME", "WHERE", "NMIGS", "LOCK", CANT_WIDTH, "CANTMOVE", "TIME", "CMD");
	if (o->npids) {
		for (size_t i = 0; i < o->npids; i++) {
			if (print_process(o->pids[i], home, run_dir) == -ESRCH) {
				fflush(stdout);
				fprintf(stderr, "mps: no process %d\n", (int)o->pids[i]);
				ret = 1;
			}
		}
		return ret;
	}
	d = opendir("/proc");
	if (!d) {
		fprintf(stderr, "mps: cannot read '/proc': %s\n", strerror(errno));
		return 1;
	}
	/* /proc lists processes by increasing pid */
	while ((e = readdir(d))) {
		pid_t pid;

		if (parse_pid(e->d_name, &pid) < 0 || !selected(pid, o))
			continue;
		print_process(pid, home, run_dir);
	}
	closedir(d);
	return ret;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/* Report a guests file that cannot be used; access is the usual reason. */
static void guest_error(const char *path, int err)
{
	if (err == -EACCES || err == -EPERM)
		fprintf(stderr, "mps: cannot read '%s': %s (only root and group mosix "
			"may see the guests)\n", path, strerror(-err));
	else if (err == -EINVAL)
		fprintf(stderr, "mps: '%s': not a guest record (HOMENODE HOMEPID)\n", path);
	else
		fprintf(stderr, "mps: cannot read '%s': %s\n", path, strerror(-err));
}

/* @pid in the kernel's list of guests, or NULL */
static const struct kmosix_guest *kernel_guest(const struct kmosix_guest *g, size_t n,
					       pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (g[i].pid == pid)
			return &g[i];
	return NULL;
}

static int add_pid(pid_t **pids, size_t *n, size_t *alloc, pid_t pid)
{
	if (*n == *alloc) {
		size_t na = *alloc ? 2 * *alloc : 64;
		pid_t *np = realloc(*pids, na * sizeof(**pids));

		if (!np)
			return -ENOMEM;
		*pids = np;
		*alloc = na;
	}
	(*pids)[(*n)++] = pid;
	return 0;
}

/*
 * The guests are those mosix-migd records in RUN/guests and, on the
 * patched kernel, those /proc/mosix/guests lists (root only): the kernel
 * hides them from /proc listings, and a record may be missing after a
 * crash of mosix-migd.
 */
static int list_guests(const struct opts *o, const char *run_dir)
{
	struct kmosix_guest *kg = NULL;
	pid_t *pids = NULL;
	size_t n = 0, alloc = 0, kn = 0;
	struct dirent *e;
	char dir[PATH_MAX];
	DIR *d;
	int ret = 0, r;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/guests", run_dir) >= sizeof(dir)) {
		fprintf(stderr, "mps: run directory name too long: '%s'\n", run_dir);
		return 1;
	}
	d = opendir(dir);
	if (!d && errno != ENOENT) {
		guest_error(dir, -errno);
		return 1;
	}
	/* no directory: no guest ever came */
	while (d && (e = readdir(d))) {
		pid_t pid;

		if (parse_pid(e->d_name, &pid) < 0)
			continue;
		if (add_pid(&pids, &n, &alloc, pid) < 0) {
			fprintf(stderr, "mps: out of memory\n");
			ret = 1;
			goto out_free;
		}
	}
	r = kmosix_guests_read(NULL, &kg, &kn);
	if (r < 0 && r != -ENOENT && r != -EACCES && r != -EPERM) {
		fprintf(stderr, "mps: cannot read '/proc/mosix/guests': %s\n", strerror(-r));
		ret = 1;
	}
	for (size_t i = 0; r == 0 && i < kn; i++) {
		bool known = false;

		for (size_t j = 0; j < n && !known; j++)
			known = pids[j] == kg[i].pid;
		if (!known && add_pid(&pids, &n, &alloc, kg[i].pid) < 0) {
			fprintf(stderr, "mps: out of memory\n");
			ret = 1;
			goto out_free;
		}
	}
	if (n)
		qsort(pids, n, sizeof(*pids), cmp_pid);

	if (!o->no_header)
		printf("%7s %5s %8s %9s %s\n", "PID", "HOME", "HOMEPID", "TIME", "CMD");
	for (size_t i = 0; i < n; i++) {
		char cpu[32];
		struct proc_info p;
		const struct kmosix_guest *g = kernel_guest(kg, kn, pids[i]);
		uint32_t node;
		pid_t home_pid;

		r = mig_guest_read(run_dir, pids[i], &node, &home_pid);
		if (r == -ENOENT && g) {
			node = g->node;
			home_pid = g->home_pid;
			r = 0;
		}
		/* a guest that ended between the listing and now */
		if (r == -ENOENT)
			continue;
		if (r < 0) {
			char path[PATH_MAX + 16];

			snprintf(path, sizeof(path), "%s/%d", dir, (int)pids[i]);
			fflush(stdout);
			guest_error(path, r);
			ret = 1;
			continue;
		}
		/* the file outlives its process until mosix-migd removes it */
		if (proc_read(pids[i], &p) < 0)
			continue;
		printf("%7d %5u %8d %9s %s\n", (int)pids[i], node, (int)home_pid,
		       format_time(&p, cpu, sizeof(cpu)), p.cmd);
	}
out_free:
	free(pids);
	free(kg);
	if (d)
		closedir(d);
	return ret;
}

/*
 * This node's id as text: the one setpe -p gave ($MOSIX_RUN_DIR/self-id),
 * or the node of the active map with a local address; "-" without a map.
 * The active map is written by setpe with numeric addresses, so nothing
 * needs resolving.
 */
static void self_id(char *buf, size_t size)
{
	char *map_path = paths_run("mosix.map"), *id_path = paths_run("self-id");
	struct mosix_map m;
	uint32_t id = 0;
	FILE *f;

	snprintf(buf, size, "-");
	if (!map_path || !id_path || access(map_path, F_OK) < 0 ||
	    map_load(&m, map_path, MAP_NO_RESOLVE, NULL) < 0)
		goto out_free;
	f = fopen(id_path, "re");
	if (f) {
		char line[32];

		if (!fgets(line, sizeof(line), f) || sscanf(line, "%u", &id) != 1 ||
		    !map_has_id(&m, id))
			id = 0;
		fclose(f);
	}
	if (id || map_find_self(&m, &id) == 0)
		snprintf(buf, size, "%u", id);
	map_release(&m);
out_free:
	free(map_path);
	free(id_path);
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	const char *run_dir = paths_run_dir();
	char home[16];
	int ret;

	/* at most one pid per argument */
	o.pids = calloc((size_t)argc, sizeof(*o.pids));
	if (!o.pids) {
		fprintf(stderr, "mps: out of memory\n");
		return 1;
	}
	ret = parse_args(argc, argv, &o);
	if (ret)
		goto out_free;
	if (o.help) {
		fputs(usage, stdout);
		goto out_free;
	}
	if (o.guests) {
		ret = list_guests(&o, run_dir);
	} else {
		self_id(home, sizeof(home));
		ret = list_processes(&o, home, run_dir);
	}
	if (fflush(stdout) != 0) {
		fprintf(stderr, "mps: cannot write: %s\n", strerror(errno));
		ret = 1;
	}
out_free:
	free(o.pids);
	return ret;
}
