/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_PATHS_H
#define MOSIX_PATHS_H

/*
 * Where configuration and run-time state live. Every command and daemon
 * goes through here so that MOSIX_CONFIG_DIR and MOSIX_RUN_DIR (used by the
 * tests and by nodes that run from RAM) are honoured everywhere.
 */

#define PATHS_CONFIG_DEFAULT "/etc/mosix"
#define PATHS_RUN_DEFAULT "/run/mosix"

/* $MOSIX_CONFIG_DIR, or /etc/mosix when unset or empty. */
const char *paths_config_dir(void);
/* $MOSIX_RUN_DIR, or /run/mosix when unset or empty. */
const char *paths_run_dir(void);

/* "<dir>/<name>" into a malloc'd string, or NULL when out of memory. */
char *paths_config(const char *name);
char *paths_run(const char *name);

#endif
