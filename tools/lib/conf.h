/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_CONF_H
#define MOSIX_CONF_H

/*
 * mosix.conf: "key = value" lines, '#' comments, blank lines ignored.
 *
 * Parsing keeps every entry with its line, so that typed lookups can report
 * a bad value as FILE:LINE. The set of keys, their types, ranges and
 * defaults is one table (conf_keys[] in conf.c), which conf_check() uses to
 * reject unknown keys and bad values before any daemon reads them, and which
 * config/mosix.conf documents.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

struct conf_entry {
	char *key;
	char *value;
	uint32_t line;
};

struct conf {
	struct conf_entry *e;
	size_t n;
	char *file;
};

enum conf_type {
	CONF_UINT,	/* decimal, within [min, max] */
	CONF_WORD,	/* one of the '|'-separated words in choices */
	CONF_STRING,	/* free text */
	CONF_CPUFEATS,	/* CPU feature names (cpufeat.h), space-separated */
};

struct conf_key {
	const char *key;
	enum conf_type type;
	uint32_t min, max;
	const char *choices;
	const char *def;	/* default, as text */
};

/* The known keys; ends with a NULL key. */
extern const struct conf_key conf_keys[];

void conf_init(struct conf *c);
void conf_release(struct conf *c);

/* Parse text; 0, -EINVAL (syntax errors reported to @d) or -ENOMEM. */
int conf_parse(struct conf *c, const char *name, const char *buf, size_t len,
	       struct diag *d);

/* Read a file; -errno (reported) when it cannot be read. */
int conf_load(struct conf *c, const char *path, struct diag *d);

/* Unknown keys, keys given twice, values of the wrong type or range. */
int conf_check(const struct conf *c, struct diag *d);

/* The value of @key: the file's, else the table's default, else NULL. */
const char *conf_get(const struct conf *c, const char *key);

/* A CONF_UINT key's value; -EINVAL if it is not a valid number. */
int conf_get_uint(const struct conf *c, const char *key, uint32_t *ret);

#endif
