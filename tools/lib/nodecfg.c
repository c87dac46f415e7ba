// SPDX-License-Identifier: GPL-2.0-only
#include "nodecfg.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/paths.h"

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* $MOSIX_RUN_DIR/self-id: one decimal id, written by setpe -p */
static int read_self_id(const char *path, uint32_t *ret, struct diag *d)
{
	char buf[32], *p, *end;
	unsigned long id;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int r = -errno;

		diag_add(d, path, 0, "cannot open: %s", strerror(errno));
		return r;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		diag_add(d, path, 0, "cannot read: %s", strerror(errno));
		return -EIO;
	}
	buf[n] = '\0';
	for (p = buf; isspace((unsigned char)*p); p++)
		;
	errno = 0;
	id = strtoul(p, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	if (errno || end == p || *end || *p == '-' || id == 0 || id > MAP_MAX_ID) {
		diag_add(d, path, 1, "invalid node id (ids are 1..%u)", MAP_MAX_ID);
		return -EINVAL;
	}
	*ret = (uint32_t)id;
	return 0;
}

static int load_self(struct node_ident *c, uint32_t node_opt, struct diag *d)
{
	char *path = paths_run("self-id");
	int r = 0;

	if (!path)
		return -ENOMEM;
	if (node_opt) {
		c->self = node_opt;
		c->self_from = "--node";
	} else if (exists(path)) {
		r = read_self_id(path, &c->self, d);
		c->self_from = "self-id";
	} else {
		c->self_from = "local addresses";
		r = map_find_self(&c->map, &c->self);
		if (r == -ENOENT)
			diag_add(d, c->map_path, 0, "this node is not in the map: no local "
				 "address is listed (give its id with setpe -p or --node)");
		else if (r == -ENOTUNIQ)
			diag_add(d, c->map_path, 0, "this node is ambiguous: local addresses "
				 "of several nodes are listed (give its id with setpe -p or --node)");
		else if (r < 0)
			diag_add(d, c->map_path, 0, "cannot find this node: %s", strerror(-r));
	}
	if (r == 0 && map_addr_of(&c->map, c->self, &c->self_addr) < 0) {
		diag_add(d, c->map_path, 0, "this node (%u, from %s) is not in the map",
			 c->self, c->self_from);
		r = -ENOENT;
	}
	free(path);
	return r;
}

int node_ident_load(struct node_ident *n, uint32_t node_opt, struct diag *d)
{
	char *run_map;
	int r;

	memset(n, 0, sizeof(*n));
	run_map = paths_run("mosix.map");
	if (!run_map)
		return -ENOMEM;
	if (exists(run_map)) {
		n->map_path = run_map;
	} else {
		free(run_map);
		n->map_path = paths_config("mosix.map");
		if (!n->map_path)
			return -ENOMEM;
	}
	r = map_load(&n->map, n->map_path, 0, d);
	if (r == 0)
		r = load_self(n, node_opt, d);
	return r;
}

void node_ident_release(struct node_ident *n)
{
	if (!n)
		return;
	map_release(&n->map);
	free(n->map_path);
	memset(n, 0, sizeof(*n));
}

int node_key_load(enum key_purpose purpose, struct mosix_key *ret, struct diag *d)
{
	char *path = paths_config("secret");
	struct mosix_key master;
	int r;

	if (!path)
		return -ENOMEM;
	r = key_load(path, &master, d);
	if (r == 0) {
		key_derive(&master, purpose, ret);
		key_wipe(&master);
	}
	free(path);
	return r;
}
