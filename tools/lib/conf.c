// SPDX-License-Identifier: GPL-2.0-only
#include "conf.h"
#include "cpufeat.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Keep in step with config/mosix.conf, which documents each key. */
const struct conf_key conf_keys[] = {
	{ "info_port", CONF_UINT, 1, 65535, NULL, "5650" },
	{ "mig_port", CONF_UINT, 1, 65535, NULL, "5651" },
	{ "info_interval_ms", CONF_UINT, 50, 60000, NULL, "1000" },
	{ "info_fanout", CONF_UINT, 1, 16, NULL, "2" },
	{ "info_window", CONF_UINT, 1, 22, NULL, "16" },
	{ "info_dead_after_s", CONF_UINT, 1, 3600, NULL, "10" },
	{ "decay_slow", CONF_UINT, 1, 1000, NULL, "975" },
	{ "decay_fast", CONF_UINT, 1, 1000, NULL, "926" },
	{ "speed", CONF_UINT, 1, 1000000, NULL, "10000" },
	{ "balance", CONF_WORD, 0, 0, "mosrun|all|off", "mosrun" },
	{ "balance_interval_ms", CONF_UINT, 100, 60000, NULL, "1000" },
	{ "balance_hysteresis_pm", CONF_UINT, 0, 10000, NULL, "250" },
	{ "balance_residency_s", CONF_UINT, 0, 86400, NULL, "30" },
	{ "balance_min_cpu_ms", CONF_UINT, 0, 3600000, NULL, "1000" },
	{ "balance_io_max_cps", CONF_UINT, 1, 10000000, NULL, "200" },
	{ "balance_view", CONF_UINT, 0, 65535, NULL, "16" },
	{ "usher_free_pm", CONF_UINT, 0, 1000, NULL, "50" },
	{ "mode", CONF_WORD, 0, 0, "single|server|half-duplex|adaptive", "single" },
	{ "servers", CONF_STRING, 0, 0, NULL, "" },
	{ "mig_cpu_ignore", CONF_CPUFEATS, 0, 0, NULL, "" },
	{ NULL, CONF_STRING, 0, 0, NULL, NULL },
};

void conf_init(struct conf *c)
{
	memset(c, 0, sizeof(*c));
}

void conf_release(struct conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->e[i].key);
		free(c->e[i].value);
	}
	free(c->e);
	free(c->file);
	conf_init(c);
}

static bool valid_key(const char *k)
{
	if (!*k)
		return false;
	for (; *k; k++)
		if (!isalnum((unsigned char)*k) && *k != '_' && *k != '-')
			return false;
	return true;
}

static int add_entry(struct conf *c, const char *key, const char *value,
		     uint32_t line)
{
	struct conf_entry *e = realloc(c->e, (c->n + 1) * sizeof(*e));
	char *k, *v;

	if (!e)
		return -ENOMEM;
	c->e = e;
	k = strdup(key);
	v = strdup(value);
	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	e = &c->e[c->n++];
	e->key = k;
	e->value = v;
	e->line = line;
	return 0;
}

int conf_parse(struct conf *c, const char *name, const char *buf, size_t len,
	       struct diag *d)
{
	uint32_t line = 0;
	int ret = 0, r;

	free(c->file);
	c->file = strdup(name);
	if (!c->file)
		return -ENOMEM;
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;
		char *text, *hash, *eq, *key;

		line++;
		if (memchr(buf + pos, '\0', end - pos)) {
			diag_add(d, name, line, "line contains a NUL byte");
			ret = -EINVAL;
			pos = end + 1;
			continue;
		}
		text = strndup(buf + pos, end - pos);
		pos = end + 1;
		if (!text)
			return -ENOMEM;
		hash = strchr(text, '#');
		if (hash)
			*hash = '\0';
		key = util_trim(text);
		if (!*key) {
			free(text);
			continue;
		}
		eq = strchr(key, '=');
		if (!eq) {
			diag_add(d, name, line, "expected 'key = value'");
			ret = -EINVAL;
			free(text);
			continue;
		}
		*eq = '\0';
		key = util_trim(key);
		if (!valid_key(key)) {
			diag_add(d, name, line, "invalid key '%s'", key);
			ret = -EINVAL;
			free(text);
			continue;
		}
		r = add_entry(c, key, util_trim(eq + 1), line);
		free(text);
		if (r < 0)
			return r;
	}
	return ret;
}

int conf_load(struct conf *c, const char *path, struct diag *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		diag_add(d, path, 0, "cannot open: %s", strerror(errno));
		return r;
	}
	/* a config file is small; getdelim reads it whole */
	ssize_t got = getdelim(&buf, &len, '\0', f);

	if (got < 0 && ferror(f)) {
		r = -errno;
		diag_add(d, path, 0, "cannot read: %s", strerror(errno));
		goto out_close;
	}
	r = conf_parse(c, path, buf ? buf : "", got < 0 ? 0 : (size_t)got, d);
out_close:
	free(buf);
	fclose(f);
	return r;
}

static const struct conf_key *find_key(const char *key)
{
	for (const struct conf_key *k = conf_keys; k->key; k++)
		if (strcmp(k->key, key) == 0)
			return k;
	return NULL;
}

static int parse_uint(const char *s, uint32_t min, uint32_t max, uint32_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return -ERANGE;
	}
	if (v < min)
		return -ERANGE;
	*ret = (uint32_t)v;
	return 0;
}

static bool is_choice(const char *choices, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = choices; p;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == n && strncmp(p, word, n) == 0)
			return true;
		p = bar ? bar + 1 : NULL;
	}
	return false;
}

int conf_check(const struct conf *c, struct diag *d)
{
	int ret = 0;

	for (size_t i = 0; i < c->n; i++) {
		const struct conf_entry *e = &c->e[i];
		const struct conf_key *k = find_key(e->key);
		uint32_t v;

		for (size_t j = 0; j < i; j++) {
			if (strcmp(c->e[j].key, e->key) == 0) {
				diag_add(d, c->file, e->line, "'%s' is already set at line %u",
					 e->key, c->e[j].line);
				ret = -EINVAL;
				break;
			}
		}
		if (!k) {
			diag_add(d, c->file, e->line, "unknown key '%s'", e->key);
			ret = -EINVAL;
			continue;
		}
		if (k->type == CONF_UINT && parse_uint(e->value, k->min, k->max, &v) < 0) {
			diag_add(d, c->file, e->line, "%s: '%s' is not a number in %u..%u",
				 e->key, e->value, k->min, k->max);
			ret = -EINVAL;
		} else if (k->type == CONF_WORD && !is_choice(k->choices, e->value)) {
			diag_add(d, c->file, e->line, "%s: '%s' is not one of %s",
				 e->key, e->value, k->choices);
			ret = -EINVAL;
		} else if (k->type == CONF_CPUFEATS) {
			char bad[64];
			uint64_t set;

			if (cpufeat_parse(e->value, &set, bad, sizeof(bad))) {
				diag_add(d, c->file, e->line,
					 "%s: '%s' is not a CPU feature mosix knows "
					 "(the names are those of /proc/cpuinfo)", e->key, bad);
				ret = -EINVAL;
			}
		}
	}
	return ret;
}

const char *conf_get(const struct conf *c, const char *key)
{
	const struct conf_key *k;

	/* the last setting wins, as in most key = value files */
	for (size_t i = c->n; i-- > 0;)
		if (strcmp(c->e[i].key, key) == 0)
			return c->e[i].value;
	k = find_key(key);
	return k ? k->def : NULL;
}

int conf_get_uint(const struct conf *c, const char *key, uint32_t *ret)
{
	const struct conf_key *k = find_key(key);
	const char *v = conf_get(c, key);

	if (!k || k->type != CONF_UINT || !v)
		return -EINVAL;
	return parse_uint(v, k->min, k->max, ret) < 0 ? -EINVAL : 0;
}
