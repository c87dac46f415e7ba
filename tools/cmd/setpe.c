// SPDX-License-Identifier: GPL-2.0-only
/*
 * setpe: check, show and (with the daemons) install the cluster map.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/map.h"
#include "lib/paths.h"

static const char usage[] =
	"usage: setpe -c [-f FILE] [-p ID] [-v]   check a map\n"
	"       setpe -r [-f FILE]                print the active (or given) map\n"
	"                                         in canonical form\n"
	"       setpe --help\n"
	"\n"
	"  -c        check FILE (default $MOSIX_CONFIG_DIR/mosix.map, and then\n"
	"            $MOSIX_CONFIG_DIR/mosix.conf if it exists): exit 0 if valid,\n"
	"            1 with every error on stderr if not\n"
	"  -r        print the map the daemons use ($MOSIX_RUN_DIR/mosix.map),\n"
	"            or FILE with -f\n"
	"  -f FILE   the map to read ('-' is standard input)\n"
	"  -p ID     this node's id, instead of finding it from local addresses\n"
	"  -v        with -c: also say how many nodes and which one is this node\n"
	"\n"
	"Exit status: 0 success, 1 invalid map, 2 usage error.\n";

enum action { ACT_NONE, ACT_CHECK, ACT_READ };

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
		} else if (strcmp(a, "-w") == 0 || strcmp(a, "-W") == 0 ||
			   strcmp(a, "-off") == 0) {
			return usage_error("'%s' joins or leaves the cluster, which needs "
					   "mosix-infod; this build has no daemons yet", a);
		} else {
			return usage_error("unknown option '%s'", a);
		}
		if (r)
			return r;
	}
	if (o->act == ACT_NONE)
		return usage_error("%s", "no action given (-c or -r)");
	return 0;
}

static void print_diag(struct diag *d)
{
	diag_sort(d);
	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "%s\n", d->msg[i].text);
	if (d->lost)
		fprintf(stderr, "setpe: out of memory: some errors were not shown\n");
}

/*
 * The daemons read mosix.conf at start; a typo found then would stop a
 * node. Checking it with the map catches it before anything runs.
 */
static int check_conf(struct diag *d)
{
	struct conf c;
	char *path = paths_config("mosix.conf");
	int r = 0;

	if (!path)
		return -ENOMEM;
	/* no file: every key has its default */
	if (access(path, F_OK) < 0 && errno == ENOENT)
		goto out_free_path;
	conf_init(&c);
	r = conf_load(&c, path, d);
	if (r == 0)
		r = conf_check(&c, d);
	conf_release(&c);
out_free_path:
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

	if (o.act == ACT_READ) {
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
