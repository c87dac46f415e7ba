// SPDX-License-Identifier: GPL-2.0-only
/*
 * What an allowed node gets: the cluster key, the map the head's daemons
 * use (the active map if setpe -w installed one, else the admin's) and
 * mosix.conf (empty when there is none: every key has a default). Read at
 * each request, so the answer follows the head's files without a reload.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keysrv.h"
#include "lib/key.h"
#include "lib/paths.h"
#include "lib/util.h"

int keysrv_answer_build(const uint8_t *sign_sk, const struct keysrv_request *req,
			uint8_t *out, size_t out_size, struct diag *d)
{
	char *map_path, *conf_path = NULL, *key_path = NULL, *map = NULL, *conf = NULL;
	size_t map_len = 0, conf_len = 0;
	struct keysrv_bundle b = { 0 };
	int r = -ENOMEM;

	map_path = paths_run("mosix.map");
	if (!map_path)
		goto out_free;
	if (access(map_path, F_OK) != 0) {
		free(map_path);
		map_path = paths_config("mosix.map");
	}
	conf_path = paths_config("mosix.conf");
	key_path = paths_config("secret");
	if (!map_path || !conf_path || !key_path)
		goto out_free;
	r = key_load(key_path, &b.key, d);
	if (r < 0)
		goto out_free;
	r = util_read_file(map_path, &map, &map_len, d);
	if (r < 0)
		goto out_wipe;
	if (access(conf_path, F_OK) == 0) {
		r = util_read_file(conf_path, &conf, &conf_len, d);
		if (r < 0)
			goto out_wipe;
	}
	r = -EMSGSIZE;
	if (map_len + conf_len > KEYSRV_TEXT_MAX) {
		diag_add(d, map_path, 0, "the map and mosix.conf take %zu bytes, over %d",
			 map_len + conf_len, KEYSRV_TEXT_MAX);
		goto out_wipe;
	}
	b.map = map;
	b.map_len = (uint32_t)map_len;
	b.conf = conf;
	b.conf_len = (uint32_t)conf_len;
	r = keysrv_answer_encode(sign_sk, req, KEYSRV_R_NONE, &b, out, out_size);
	if (r == -EINVAL)
		diag_add(d, "request", 0, "the node's public key is not a valid X25519 key");
out_wipe:
	key_wipe(&b.key);
out_free:
	free(map);
	free(conf);
	free(map_path);
	free(conf_path);
	free(key_path);
	return r;
}
