// SPDX-License-Identifier: GPL-2.0-only
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/nodecfg.h"
#include "lib/paths.h"

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
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
	char *path = paths_config("mosix.conf"), *pool_path = paths_config(POOL_FILE);
	struct conf conf;
	uint32_t port;
	int r = 0;

	conf_init(&conf);
	if (!path || !pool_path) {
		r = -ENOMEM;
		goto out_release;
	}
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
	r = pool_cfg_load(&conf, pool_path, &c->pool, d);
out_release:
	conf_release(&conf);
	free(pool_path);
	free(path);
	return r;
}

int cfg_load(struct infod_cfg *c, uint32_t node_opt, struct diag *d)
{
	struct node_ident id;
	int r, ret = 0;

	memset(c, 0, sizeof(*c));
	pool_cfg_init(&c->pool);
	r = node_ident_load(&id, node_opt, d);
	/* the fields infod uses by their old names */
	c->map = id.map;
	c->map_path = id.map_path;
	c->self_from = id.self_from;
	c->self = id.self;
	c->self_addr = id.self_addr;
	if (r == 0)
		r = pick_init(&c->pick, &c->map);
	ret = r;
	/* a bad map, conf and key are all reported in one run */
	r = load_conf(c, d);
	if (ret == 0)
		ret = r;
	r = node_key_load(KEY_GOSSIP, &c->key, d);
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
	pool_cfg_release(&c->pool);
	memset(c, 0, sizeof(*c));
}
