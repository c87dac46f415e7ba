// SPDX-License-Identifier: GPL-2.0-only
/*
 * setpe: check, show and install the cluster map; join and leave the
 * cluster through mosix-infod's control socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/mig_client.h"
#include "lib/conf.h"
#include "lib/ctl.h"
#include "lib/map.h"
#include "lib/paths.h"
#include "lib/pool.h"

/* how long mosix-infod may take to answer one request */
#define CTL_TIMEOUT_MS 5000

static const char usage[] =
	"usage: setpe -w [-f FILE] [-p ID] [-v]   install a map and join the cluster\n"
	"       setpe -c [-f FILE] [-p ID] [-v]   check a map\n"
	"       setpe -r [-f FILE]                print the active (or given) map\n"
	"                                         in canonical form\n"
	"       setpe -off                        leave the cluster\n"
	"       setpe --help\n"
	"\n"
	"  -w        check FILE (default $MOSIX_CONFIG_DIR/mosix.map) and\n"
	"            $MOSIX_CONFIG_DIR/mosix.conf, install FILE as the active map\n"
	"            ($MOSIX_RUN_DIR/mosix.map) and have mosix-infod reload it and\n"
	"            join; if mosix-infod does not run, it uses the map when it starts\n"
	"  -W        the same as -w (MOSIX's other spelling); with -c, -w and -W\n"
	"            only check\n"
	"  -off      have mosix-infod leave the cluster (the map stays installed)\n"
	"  -c        check FILE (default $MOSIX_CONFIG_DIR/mosix.map, and then\n"
	"            $MOSIX_CONFIG_DIR/mosix.conf and pool.conf if they exist):\n"
	"            exit 0 if valid, 1 with every error on stderr if not\n"
	"  -r        print the map the daemons use ($MOSIX_RUN_DIR/mosix.map),\n"
	"            or FILE with -f\n"
	"  -f FILE   the map to read ('-' is standard input)\n"
	"  -p ID     this node's id, instead of finding it from local addresses\n"
	"            (with -w: kept in $MOSIX_RUN_DIR/self-id for mosix-infod)\n"
	"  -v        with -c or -w: also say how many nodes and which one is this node\n"
	"\n"
	"Exit status: 0 success, 1 invalid map or failure (with a message),\n"
	"2 usage error.\n";

enum action { ACT_NONE, ACT_CHECK, ACT_READ, ACT_WRITE, ACT_OFF };

struct opts {
	enum action act;
	const char *file;
	uint32_t self;
	bool verbose;
	bool help;
};

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "setpe: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'setpe --help'.\n");
	return 2;
}

static int set_action(struct opts *o, enum action act, const char *arg)
{
	/* MOSIX: "setpe -w -c" only checks the table */
	if ((o->act == ACT_CHECK && act == ACT_WRITE) ||
	    (o->act == ACT_WRITE && act == ACT_CHECK)) {
		o->act = ACT_CHECK;
		return 0;
	}
	if (o->act != ACT_NONE && o->act != act)
		return usage_error("'%s' conflicts with an earlier action", arg);
	o->act = act;
	return 0;
}

/* MOSIX options are single-dash words (-off), so getopt does not fit. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r = 0;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			o->help = true;
			return 0;
		} else if (strcmp(a, "-c") == 0) {
			r = set_action(o, ACT_CHECK, a);
		} else if (strcmp(a, "-r") == 0) {
			r = set_action(o, ACT_READ, a);
		} else if (strcmp(a, "-v") == 0) {
			o->verbose = true;
		} else if (strcmp(a, "-f") == 0 || strcmp(a, "-p") == 0) {
			if (i + 1 >= argc)
				return usage_error("option '%s' needs an argument", a);
			if (a[1] == 'f') {
				o->file = argv[++i];
				continue;
			}
			char *end;
			unsigned long id;

			errno = 0;
			id = strtoul(argv[++i], &end, 10);
			if (errno || *end || end == argv[i] || id == 0 || id > MAP_MAX_ID)
				return usage_error("invalid node id '%s' (ids are 1..65535)",
						   argv[i]);
			o->self = (uint32_t)id;
		} else if (strcmp(a, "-w") == 0 || strcmp(a, "-W") == 0) {
			r = set_action(o, ACT_WRITE, a);
		} else if (strcmp(a, "-off") == 0) {
			r = set_action(o, ACT_OFF, a);
		} else {
			return usage_error("unknown option '%s'", a);
		}
		if (r)
			return r;
	}
	if (o->act == ACT_NONE)
		return usage_error("%s", "no action given (-w, -c, -r or -off)");
	if (o->act == ACT_OFF && (o->file || o->self || o->verbose))
		return usage_error("%s", "-off takes no other option");
	return 0;
}

static void print_diag(struct diag *d)
{
	diag_print(d, stderr, "setpe");
}

/*
 * The daemons read mosix.conf and pool.conf at start; a typo found then
 * would stop a node. Checking them with the map catches it before anything
 * runs.
 */
static int check_conf(struct diag *d)
{
	char *path = paths_config("mosix.conf"), *pool_path = paths_config(POOL_FILE);
	struct pool_sched sched;
	struct pool_cfg pool;
	struct conf c;
	int r = -ENOMEM;

	conf_init(&c);
	if (!path || !pool_path)
		goto out_free;
	r = 0;
	/* no file: every key has its default */
	if (access(path, F_OK) == 0 || errno != ENOENT) {
		r = conf_load(&c, path, d);
		if (r == 0)
			r = conf_check(&c, d);
	}
	/* the pool mode's servers and schedule; pool.conf alone when mosix.conf is bad */
	if (r == 0) {
		r = pool_cfg_load(&c, pool_path, &pool, d);
		if (r == 0)
			pool_cfg_release(&pool);
	} else if (r != -ENOMEM) {
		pool_sched_load(pool_path, &sched, d);
	}
out_free:
	conf_release(&c);
	free(pool_path);
	free(path);
	return r;
}

static void report(const struct mosix_map *m, const char *file, const struct opts *o)
{
	char buf[ADDR_STRLEN];
	struct mosix_addr a;
	uint32_t self = o->self;
	int r = 0;

	printf("%s: valid: %u node%s in %zu range%s, %zu alias%s\n", file,
	       m->nnodes, m->nnodes == 1 ? "" : "s", m->nrange,
	       m->nrange == 1 ? "" : "s", m->nalias, m->nalias == 1 ? "" : "es");
	if (!self)
		r = map_find_self(m, &self);
	if (r == -ENOENT) {
		printf("this node: not in the map (no local address is listed; "
		       "give its id with -p)\n");
	} else if (r == -ENOTUNIQ) {
		printf("this node: ambiguous (local addresses of several nodes are "
		       "listed; give its id with -p)\n");
	} else if (r < 0) {
		printf("this node: unknown (%s)\n", strerror(-r));
	} else if (map_addr_of(m, self, &a) < 0) {
		printf("this node: %u is not in the map\n", self);
	} else {
		printf("this node: %u (%s)%s\n", self, addr_format(&a, buf),
		       o->self ? " as given with -p" : "");
	}
}

/* Why a control request failed, as the end of a message. */
static const char *ctl_why(int r, const char *reply, char *buf, size_t size)
{
	if (r == -ETIMEDOUT)
		snprintf(buf, size, "mosix-infod did not answer within %d s",
			 CTL_TIMEOUT_MS / 1000);
	else if (r == -EACCES || r == -EPERM)
		snprintf(buf, size, "%s (only root may change the cluster)",
			 *reply ? reply : strerror(-r));
	else
		snprintf(buf, size, "%s", *reply ? reply : strerror(-r));
	return buf;
}

static bool daemon_absent(int r)
{
	return r == -ENOENT || r == -ECONNREFUSED;
}

/*
 * This node's id for the map being installed: -p, checked against the
 * map, or the node whose address is on a local interface. Reports why
 * when there is none.
 */
static int find_self(const struct mosix_map *m, const char *file,
		     const struct opts *o, uint32_t *ret_id)
{
	int r;

	if (o->self) {
		if (!map_has_id(m, o->self)) {
			fprintf(stderr, "setpe: node %u (given with -p) is not in '%s'\n",
				o->self, file);
			return -ENOENT;
		}
		*ret_id = o->self;
		return 0;
	}
	r = map_find_self(m, ret_id);
	if (r == -ENOENT)
		fprintf(stderr, "setpe: this node is not in '%s': none of its addresses "
			"is listed; give its id with -p\n", file);
	else if (r == -ENOTUNIQ)
		fprintf(stderr, "setpe: this node is ambiguous in '%s': local addresses "
			"of several nodes are listed; give its id with -p\n", file);
	else if (r < 0)
		fprintf(stderr, "setpe: cannot find this node's id: %s\n", strerror(-r));
	return r;
}

/* mkdir -p, the last directory with @mode. */
static int make_dirs(const char *dir, mode_t mode)
{
	char *p = strdup(dir);
	int r = 0;

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; ; s++) {
		bool last = *s == '\0';

		if (*s != '/' && !last)
			continue;
		*s = '\0';
		if (mkdir(p, last ? mode : 0755) < 0 && errno != EEXIST) {
			r = -errno;
			break;
		}
		if (last)
			break;
		*s = '/';
	}
	free(p);
	return r;
}

typedef int (*fill_fn)(FILE *f, const void *arg);

static int fill_map(FILE *f, const void *arg)
{
	return map_write(arg, f);
}

static int fill_id(FILE *f, const void *arg)
{
	return fprintf(f, "%u\n", *(const uint32_t *)arg) < 0 ? -EIO : 0;
}

/*
 * Replace @path by what @fill writes, mode 0644: a reader (mosix-infod on
 * reload, setpe -r) sees the old file or the new one, never a part.
 */
static int install_file(const char *path, fill_fn fill, const void *arg)
{
	char *tmp;
	FILE *f;
	int fd, r;

	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out_free_tmp;
	}
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		goto out_unlink;
	}
	r = fchmod(fd, 0644) < 0 ? -errno : fill(f, arg);
	if (r == 0 && (fflush(f) != 0 || fsync(fd) < 0))
		r = -errno;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
out_unlink:
	if (r < 0)
		unlink(tmp);
out_free_tmp:
	free(tmp);
	return r;
}

/*
 * setpe -w: everything is checked before anything is changed; then the
 * self-id and the map are installed, and only then is the daemon told,
 * so that it rereads a complete configuration.
 */
static int do_write(const struct mosix_map *m, const char *file, const struct opts *o)
{
	const char *run = paths_run_dir();
	struct diag cd = DIAG_INIT;
	char reply[CTL_MAX_MSG + 1], why[CTL_MAX_MSG + 64];
	char *map_path = NULL, *id_path = NULL;
	uint32_t self;
	int r, ret = 1;

	if (find_self(m, file, o, &self) < 0)
		return 1;
	/* mosix-infod rereads mosix.conf with the map */
	r = check_conf(&cd);
	print_diag(&cd);
	diag_release(&cd);
	if (r < 0)
		return 1;

	map_path = paths_run("mosix.map");
	id_path = paths_run("self-id");
	if (!map_path || !id_path) {
		fprintf(stderr, "setpe: out of memory\n");
		goto out_free;
	}
	r = make_dirs(run, 0755);
	if (r < 0) {
		fprintf(stderr, "setpe: cannot create '%s': %s\n", run, strerror(-r));
		goto out_free;
	}
	if (o->self) {
		r = install_file(id_path, fill_id, &self);
	} else {
		/* found from the addresses: an id given earlier no longer holds */
		r = unlink(id_path) < 0 && errno != ENOENT ? -errno : 0;
	}
	if (r < 0) {
		fprintf(stderr, "setpe: cannot write '%s': %s\n", id_path, strerror(-r));
		goto out_free;
	}
	r = install_file(map_path, fill_map, m);
	if (r < 0) {
		fprintf(stderr, "setpe: cannot install '%s': %s\n", map_path, strerror(-r));
		goto out_free;
	}
	if (o->verbose)
		report(m, file, o);

	r = ctl_request(run, "reload", CTL_TIMEOUT_MS, reply, sizeof(reply));
	if (daemon_absent(r)) {
		printf("setpe: map installed as '%s'; mosix-infod is not running: "
		       "it will use the map when it starts\n", map_path);
		ret = 0;
		goto out_free;
	}
	if (r == 0)
		r = ctl_request(run, "join", CTL_TIMEOUT_MS, reply, sizeof(reply));
	if (r < 0) {
		fprintf(stderr, "setpe: map installed as '%s', but mosix-infod did not "
			"join the cluster: %s\n", map_path,
			ctl_why(r, reply, why, sizeof(why)));
		goto out_free;
	}
	if (o->verbose)
		printf("this node joined the cluster\n");
	ret = 0;
out_free:
	free(map_path);
	free(id_path);
	return ret;
}

/* setpe -off */
static int do_off(void)
{
	const char *run = paths_run_dir();
	char reply[CTL_MAX_MSG + 1];
	int r;

	/* guests go home and our processes come home first (when migd runs) */
	for (int i = 0; i < 2; i++) {
		const char *what = i ? "bring" : "expel";
		struct mig_evacuation ev;

		r = mig_client_evacuate(run, what, 60000, &ev);
		if (r == -ENOENT || r == -ECONNREFUSED)
			break;
		if (r || ev.left) {
			if (r)
				fprintf(stderr, "setpe: cannot leave the cluster: %s: %s\n",
					what, strerror(-r));
			else
				fprintf(stderr, "setpe: cannot leave the cluster: %u %s\n%s",
					ev.left, i ? "processes could not come home" :
					"guests could not be sent home", ev.why);
			return 1;
		}
	}
	r = ctl_request(run, "leave", CTL_TIMEOUT_MS, reply, sizeof(reply));
	if (daemon_absent(r)) {
		fprintf(stderr, "setpe: cannot leave the cluster: mosix-infod is not "
			"running (no '%s/%s')\n", run, CTL_SOCKET);
		return 1;
	}
	if (r < 0) {
		char why[CTL_MAX_MSG + 64];

		fprintf(stderr, "setpe: cannot leave the cluster: %s\n",
			ctl_why(r, reply, why, sizeof(why)));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct diag d = DIAG_INIT;
	struct mosix_map m;
	char *path = NULL;
	const char *file;
	int r, ret = 1;

	r = parse_args(argc, argv, &o);
	if (r)
		return r;
	if (o.help) {
		fputs(usage, stdout);
		return 0;
	}
	if (o.act == ACT_OFF)
		return do_off();

	file = o.file;
	if (!file) {
		path = o.act == ACT_READ ? paths_run("mosix.map") : paths_config("mosix.map");
		if (!path) {
			fprintf(stderr, "setpe: out of memory\n");
			return 1;
		}
		file = path;
	}
	if (strcmp(file, "-") == 0)
		file = "/dev/stdin";
	if (o.act == ACT_READ && !o.file) {
		FILE *probe = fopen(file, "re");

		if (!probe) {
			fprintf(stderr, "setpe: no active map: cannot open '%s': %s\n",
				file, strerror(errno));
			goto out_free_path;
		}
		fclose(probe);
	}

	r = map_load(&m, file, 0, &d);
	print_diag(&d);
	if (r == -ENOMEM)
		fprintf(stderr, "setpe: out of memory\n");
	if (r < 0)
		goto out_release_diag;

	if (o.act == ACT_WRITE) {
		ret = do_write(&m, file, &o);
		map_release(&m);
		goto out_release_diag;
	} else if (o.act == ACT_READ) {
		r = map_write(&m, stdout);
		if (r < 0)
			fprintf(stderr, "setpe: cannot write the map: %s\n", strerror(-r));
	} else {
		struct diag cd = DIAG_INIT;

		if (!o.file)
			r = check_conf(&cd);
		print_diag(&cd);
		diag_release(&cd);
		if (r == 0 && o.verbose)
			report(&m, file, &o);
	}
	ret = r < 0 ? 1 : 0;
	map_release(&m);
out_release_diag:
	diag_release(&d);
out_free_path:
	free(path);
	return ret;
}
