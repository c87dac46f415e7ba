// SPDX-License-Identifier: GPL-2.0-only
/*
 * mosix-mkmap: build the minimal cluster map from the address lists an
 * administrator already has (addresses, ranges, CIDR blocks, dnsmasq
 * dhcp-range lines) and from existing maps, whose ids are kept. With only
 * --map inputs it normalises a map.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/addrlist.h"
#include "lib/map.h"

/* messages about command-line items name this file and the argv index */
#define CMDLINE "<command-line>"

static const char usage[] =
	"usage: mosix-mkmap [OPTION...] [ITEM...]\n"
	"\n"
	"Print the minimal map (canonical form) of the given nodes. An ITEM is\n"
	"an ADDRESS, a FIRST-LAST range, an ADDRESS/PREFIX block (IPv4 blocks\n"
	"leave out the network and broadcast addresses), or dhcp-range=VALUE.\n"
	"\n"
	"  -m, --map FILE         an existing map: its nodes keep their ids\n"
	"  -f, --file FILE        items, one per line ('#' starts a comment)\n"
	"  -d, --dnsmasq FILE     every dhcp-range= line of a dnsmasq configuration\n"
	"      --dhcp-range VALUE a dnsmasq dhcp-range value\n"
	"  -i, --first-id N       first id for new addresses (default: one above\n"
	"                         the highest id of the maps, or 1); used ids are\n"
	"                         skipped\n"
	"  -o, --output FILE      write FILE (atomically) instead of standard output\n"
	"  -h, --help             this text\n"
	"\n"
	"FILE '-' is standard input. New addresses get ids in the order given.\n"
	"Errors name FILE:LINE, or " CMDLINE ":N for the Nth argument.\n"
	"Exit status: 0 success, 1 invalid input (nothing written), 2 usage error.\n";

enum input_kind { IN_ITEM, IN_MAP, IN_FILE, IN_DNSMASQ, IN_DHCP };

struct input {
	enum input_kind kind;
	const char *arg;
	int argi; /* position on the command line, for messages */
};

struct opts {
	struct input *in;
	size_t nin;
	uint32_t first_id; /* 0: after the maps' highest id */
	const char *output;
	bool help;
};

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "mosix-mkmap: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'mosix-mkmap --help'.\n");
	return 2;
}

/*
 * Match argv[*i] against -S, --long and --long=VALUE. 1 with *ret_value
 * set (the next argument unless given after '='), 0 when it is another
 * option, 2 when the value is missing (reported).
 */
static int match(int argc, char **argv, int *i, const char *shrt,
		 const char *lng, const char **ret_value)
{
	const char *a = argv[*i];
	size_t n = strlen(lng);

	if (strncmp(a, lng, n) == 0 && a[n] == '=') {
		*ret_value = a + n + 1;
		return 1;
	}
	if (strcmp(a, lng) != 0 && !(shrt && strcmp(a, shrt) == 0))
		return 0;
	if (*i + 1 >= argc)
		return usage_error("option '%s' needs an argument", a);
	*ret_value = argv[++*i];
	return 1;
}

static int parse_first_id(const char *v, uint32_t *ret)
{
	unsigned long id = 0;

	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9' || id > MAP_MAX_ID)
			return -EINVAL;
		id = id * 10 + (unsigned long)(*p - '0');
	}
	if (!*v || id == 0 || id > MAP_MAX_ID)
		return -EINVAL;
	*ret = (uint32_t)id;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct {
		const char *shrt, *lng;
		enum input_kind kind;
	} files[] = {
		{ "-m", "--map", IN_MAP },
		{ "-f", "--file", IN_FILE },
		{ "-d", "--dnsmasq", IN_DNSMASQ },
		{ NULL, "--dhcp-range", IN_DHCP },
	};

	/* every argument is at most one input */
	o->in = calloc((size_t)argc, sizeof(*o->in));
	if (!o->in) {
		fprintf(stderr, "mosix-mkmap: out of memory\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		int argi = i, r = 0;
		bool matched = false;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			o->help = true;
			return 0;
		}
		if (a[0] != '-' || a[1] == '\0') {
			o->in[o->nin++] = (struct input){ IN_ITEM, a, i };
			continue;
		}
		for (size_t k = 0; k < sizeof(files) / sizeof(files[0]) && !matched; k++) {
			r = match(argc, argv, &i, files[k].shrt, files[k].lng, &v);
			if (r == 1) {
				o->in[o->nin++] = (struct input){ files[k].kind, v, argi };
				matched = true;
			} else if (r) {
				return r;
			}
		}
		if (matched)
			continue;
		r = match(argc, argv, &i, "-i", "--first-id", &v);
		if (r == 1) {
			if (parse_first_id(v, &o->first_id) < 0)
				return usage_error("invalid first id '%s' (ids are 1..65535)", v);
			continue;
		}
		if (r)
			return r;
		r = match(argc, argv, &i, "-o", "--output", &v);
		if (r == 1) {
			o->output = v;
			continue;
		}
		if (r)
			return r;
		return usage_error("unknown option '%s'", a);
	}
	if (o->nin == 0)
		return usage_error("%s", "no input given (addresses, --map, --file or --dnsmasq)");
	return 0;
}

static void print_diag(struct diag *d)
{
	diag_print(d, stderr, "mosix-mkmap");
}

static const char *stdin_if_dash(const char *path)
{
	return strcmp(path, "-") == 0 ? "/dev/stdin" : path;
}

/*
 * Read every input, maps into @m (finished when they are valid) and lists
 * into @l. Every error goes to @d; -EINVAL when there was one, -ENOMEM.
 */
static int read_inputs(const struct opts *o, struct mosix_map *m,
		       struct addrlist *l, struct diag *d)
{
	bool bad_map = false, bad = false;
	uint32_t cmdline;
	int r;

	r = addrlist_source(l, CMDLINE, &cmdline);
	if (r < 0)
		return r;
	for (size_t i = 0; i < o->nin; i++) {
		const struct input *in = &o->in[i];

		switch (in->kind) {
		case IN_MAP:
			r = map_load_file(m, stdin_if_dash(in->arg), 0, d);
			if (r < 0 && r != -ENOMEM)
				bad_map = true;
			break;
		case IN_ITEM:
			r = addrlist_add_item(l, cmdline, (uint32_t)in->argi, in->arg, d);
			break;
		case IN_DHCP:
			r = addrlist_add_dhcp_range(l, cmdline, (uint32_t)in->argi, in->arg, d);
			break;
		case IN_FILE:
		case IN_DNSMASQ:
			r = addrlist_load_file(l, stdin_if_dash(in->arg),
					       in->kind == IN_FILE ? ADDRLIST_ITEMS
								   : ADDRLIST_DNSMASQ, d);
			break;
		}
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			bad = true;
	}
	/* whole-map checks run even after a bad line, to report everything */
	r = map_finish(m, d);
	if (r == -ENOMEM)
		return r;
	if (r < 0 || bad || bad_map)
		return -EINVAL;
	return 0;
}

static void report_no_ids(const struct addrlist_assigned *info, uint32_t first_id)
{
	unsigned long long n = (unsigned long long)info->new_addrs;

	if (first_id > MAP_MAX_ID)
		fprintf(stderr, "mosix-mkmap: out of node ids: %llu new %s, "
			"but the maps use the last id %u (--first-id can fill gaps below it)\n",
			n, n == 1 ? "address needs an id" : "addresses need ids", MAP_MAX_ID);
	else
		fprintf(stderr, "mosix-mkmap: out of node ids: %llu new %s, "
			"but only %u %s free from id %u to %u\n",
			n, n == 1 ? "address needs an id" : "addresses need ids", info->free_ids,
			info->free_ids == 1 ? "is" : "are", first_id, MAP_MAX_ID);
}

/* Write @path through a temporary file and rename(), never half a map. */
static int write_atomic(const struct mosix_map *m, const char *path)
{
	char *tmp;
	FILE *f;
	int fd, r;

	if (asprintf(&tmp, "%s.XXXXXX", path) < 0) {
		fprintf(stderr, "mosix-mkmap: out of memory\n");
		return -ENOMEM;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		fprintf(stderr, "mosix-mkmap: cannot write '%s': %s\n", path, strerror(-r));
		goto out_free_tmp;
	}
	/* a map is public configuration; mkostemp() made it 0600 */
	if (fchmod(fd, 0644) < 0) {
		r = -errno;
		close(fd);
		goto out_unlink;
	}
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		goto out_unlink;
	}
	r = map_write(m, f);
	if (r == 0 && fsync(fileno(f)) < 0)
		r = -errno;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r == 0)
		goto out_free_tmp;
out_unlink:
	fprintf(stderr, "mosix-mkmap: cannot write '%s': %s\n", path, strerror(-r));
	unlink(tmp);
out_free_tmp:
	free(tmp);
	return r;
}

static uint32_t highest_id(const struct mosix_map *m)
{
	const struct map_range *r;

	if (!m->nrange)
		return 0;
	r = &m->range[m->nrange - 1]; /* sorted by id once finished */
	return r->first + r->count - 1;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct diag d = DIAG_INIT;
	struct addrlist_assigned info;
	struct addrlist l;
	struct mosix_map m;
	uint32_t first_id;
	int r, ret = 1;

	r = parse_args(argc, argv, &o);
	if (r) {
		ret = r;
		goto out_free_inputs;
	}
	if (o.help) {
		fputs(usage, stdout);
		ret = 0;
		goto out_free_inputs;
	}

	map_init(&m);
	addrlist_init(&l);
	r = read_inputs(&o, &m, &l, &d);
	if (r == 0) {
		first_id = o.first_id ? o.first_id : highest_id(&m) + 1;
		r = addrlist_assign(&l, &m, first_id, &info, &d);
		if (r == -ENOSPC)
			report_no_ids(&info, first_id);
		/* new entries avoid used ids and addresses: this only merges */
		if (r == 0)
			r = map_finish(&m, &d);
	}
	print_diag(&d);
	if (r == -ENOMEM)
		fprintf(stderr, "mosix-mkmap: out of memory\n");
	if (r < 0)
		goto out_release;

	if (o.output && strcmp(o.output, "-") != 0) {
		r = write_atomic(&m, o.output);
	} else {
		r = map_write(&m, stdout);
		if (r < 0)
			fprintf(stderr, "mosix-mkmap: cannot write the map: %s\n", strerror(-r));
	}
	ret = r < 0 ? 1 : 0;
out_release:
	addrlist_release(&l);
	map_release(&m);
	diag_release(&d);
out_free_inputs:
	free(o.in);
	return ret;
}
