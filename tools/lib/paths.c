// SPDX-License-Identifier: GPL-2.0-only
#include "paths.h"

#include <stdio.h>
#include <stdlib.h>

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v && *v ? v : fallback;
}

const char *paths_config_dir(void)
{
	return env_or("MOSIX_CONFIG_DIR", PATHS_CONFIG_DEFAULT);
}

const char *paths_run_dir(void)
{
	return env_or("MOSIX_RUN_DIR", PATHS_RUN_DEFAULT);
}

static char *join(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

char *paths_config(const char *name)
{
	return join(paths_config_dir(), name);
}

char *paths_run(const char *name)
{
	return join(paths_run_dir(), name);
}
