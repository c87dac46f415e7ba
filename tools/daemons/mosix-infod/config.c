// SPDX-License-Identifier: GPL-2.0-only
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
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

static int load_self(struct infod_cfg *c, uint32_t node_opt, struct diag *d)
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

static int load_conf(struct infod_cfg *c, struct diag *d)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{ "info_interval_ms", offsetof(struct infod_cfg, interval_ms) },
		{ "info_fanout", offsetof(struct infod_cfg, fanout) },
		{ "info_window", offsetof(struct infod_cfg, window) },
		{ "info_dead_after_s", offsetof(struct infod_cfg, dead_ms) },
		{ "decay_slow", offsetof(struct infod_cfg, decay_slow) },
		{ "decay_fast", offsetof(struct infod_cfg, decay_fast) },
		{ "speed", offsetof(struct infod_cfg, speed) },
	};
	char *path = paths_config("mosix.conf");
	const char *mode;
	struct conf conf;
	uint32_t port;
	int r = 0;

	if (!path)
		return -ENOMEM;
	conf_init(&conf);
	/* no file: every key has its default */
	if (exists(path)) {
		r = conf_load(&conf, path, d);
		if (r == 0)
			r = conf_check(&conf, d);
		if (r < 0)
			goto out_release;
	}
	r = conf_get_uint(&conf, "info_port", &port);
	for (size_t i = 0; r == 0 && i < sizeof(keys) / sizeof(keys[0]); i++)
		r = conf_get_uint(&conf, keys[i].key, (uint32_t *)((char *)c + keys[i].off));
	if (r < 0) {
		diag_add(d, path, 0, "cannot read the settings");
		goto out_release;
	}
	c->port = (uint16_t)port;
	c->dead_ms *= 1000;
	mode = conf_get(&conf, "mode");
	c->mode = POOL_SINGLE;
	for (unsigned m = 0; state_mode_name(m); m++)
		if (mode && strcmp(mode, state_mode_name(m)) == 0)
			c->mode = (enum pool_mode)m;
out_release:
	conf_release(&conf);
	free(path);
	return r;
}

static int load_key(struct infod_cfg *c, struct diag *d)
{
	char *path = paths_config("secret");
	struct mosix_key master;
	int r;

	if (!path)
		return -ENOMEM;
	r = key_load(path, &master, d);
	if (r == 0) {
		key_derive(&master, KEY_GOSSIP, &c->key);
		key_wipe(&master);
	}
	free(path);
	return r;
}

int cfg_load(struct infod_cfg *c, uint32_t node_opt, struct diag *d)
{
	char *run_map;
	int r, ret = 0;

	memset(c, 0, sizeof(*c));
	run_map = paths_run("mosix.map");
	if (!run_map)
		return -ENOMEM;
	if (exists(run_map)) {
		c->map_path = run_map;
	} else {
		free(run_map);
		c->map_path = paths_config("mosix.map");
		if (!c->map_path)
			return -ENOMEM;
	}
	r = map_load(&c->map, c->map_path, 0, d);
	if (r == 0)
		r = load_self(c, node_opt, d);
	if (r == 0)
		r = pick_init(&c->pick, &c->map);
	ret = r;
	/* a bad map, conf and key are all reported in one run */
	r = load_conf(c, d);
	if (ret == 0)
		ret = r;
	r = load_key(c, d);
	if (ret == 0)
		ret = r;
	if (ret < 0)
		cfg_release(c);
	return ret;
}

void cfg_release(struct infod_cfg *c)
{
	if (!c)
		return;
	map_release(&c->map);
	pick_release(&c->pick);
	free(c->map_path);
	key_wipe(&c->key);
	memset(c, 0, sizeof(*c));
}
