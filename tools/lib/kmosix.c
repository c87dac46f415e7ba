// SPDX-License-Identifier: GPL-2.0-only
#include "kmosix.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "map.h"
#include "util.h"

/* a version file is three short lines; anything longer is not one */
#define VERSION_MAX 512
/* a lock file of a patched kernel: "0\n" or "1\n" */
#define SMALL_MAX 32

static const char *root_of(const char *root)
{
	const char *env;

	if (root)
		return root;
	env = getenv("MOSIX_PROC_DIR");
	return env && *env ? env : "/proc";
}

static int path_of(char *buf, size_t size, const char *root, const char *rel)
{
	int n = snprintf(buf, size, "%s/%s", root_of(root), rel);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* A decimal of digits only, at most @max: 0 or -EINVAL. */
static int parse_u64(const char *s, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		uint64_t digit = (uint64_t)(*s - '0');

		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (digit > max || v > (max - digit) / 10)
			return -EINVAL;
		v = v * 10 + digit;
	}
	*ret = v;
	return 0;
}

int kmosix_parse_version(const char *text, struct kmosix *ret)
{
	struct kmosix k = { 0 };
	char buf[VERSION_MAX], *save = NULL;
	bool have_interface = false;

	if (strlen(text) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", text);
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(l, '=');
		uint64_t v;

		if (!eq)
			return -EINVAL;
		*eq++ = '\0';
		if (!strcmp(l, "version")) {
			snprintf(k.version, sizeof(k.version), "%s", eq);
		} else if (!strcmp(l, "interface")) {
			if (parse_u64(eq, UINT_MAX, &v) < 0 || v == 0)
				return -EINVAL;
			k.interface = (unsigned)v;
			have_interface = true;
		} else if (!strcmp(l, "lock")) {
			if (!strcmp(eq, "module"))
				k.lock = KMOSIX_LOCK_MODULE;
			else if (!strcmp(eq, "task"))
				k.lock = KMOSIX_LOCK_TASK;
		}
	}
	if (!have_interface)
		return -EINVAL;
	k.present = true;
	k.usable = k.interface == KMOSIX_INTERFACE;
	*ret = k;
	return 0;
}

static bool exists(const char *root, const char *rel)
{
	char path[PATH_MAX];

	return path_of(path, sizeof(path), root, rel) == 0 && access(path, F_OK) == 0;
}

int kmosix_probe(const char *root, struct kmosix *ret)
{
	char text[VERSION_MAX];
	ssize_t n;
	int r;

	memset(ret, 0, sizeof(*ret));
	n = kmosix_read(root, "mosix/version", text, sizeof(text));
	if (n == -ENOENT)
		return 0;
	if (n < 0)
		return (int)n;
	r = kmosix_parse_version(text, ret);
	if (r < 0)
		return r;
	ret->per_process = exists(root, "self/mosix");
	ret->guest_ids = exists(root, "self/mosix/guest");
	ret->guests = exists(root, "mosix/guests");
	return 0;
}

void kmosix_describe(const struct kmosix *k, char *buf, size_t size)
{
	int n;

	if (!k->present) {
		snprintf(buf, size, "absent");
		return;
	}
	n = snprintf(buf, size, "%s%s%s, interface %u",
		     k->lock == KMOSIX_LOCK_TASK ? "patched kernel" : "module",
		     *k->version ? " " : "", k->version, k->interface);
	if (n < 0 || (size_t)n >= size)
		return;
	if (!k->usable) {
		snprintf(buf + n, size - (size_t)n, ": not used, these tools know interface %d",
			 KMOSIX_INTERFACE);
		return;
	}
	n += snprintf(buf + n, size - (size_t)n, ", lock in the %s",
		      k->lock == KMOSIX_LOCK_TASK ? "task" :
		      k->lock == KMOSIX_LOCK_MODULE ? "module" : "kernel");
	if ((size_t)n < size && k->guests)
		n += snprintf(buf + n, size - (size_t)n, ", guests hidden");
	if ((size_t)n < size && k->guest_ids)
		snprintf(buf + n, size - (size_t)n, ", pids answered by the kernel");
}

ssize_t kmosix_read(const char *root, const char *rel, char *buf, size_t size)
{
	char path[PATH_MAX];
	size_t len = 0;
	int fd, r;

	r = path_of(path, sizeof(path), root, rel);
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* seq_file answers in pieces: read until the end or the buffer is full */
	while (len < size - 1) {
		ssize_t got = read(fd, buf + len, size - 1 - len);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = -errno;
			close(fd);
			return r;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

/* All of ROOT/@rel, NUL-terminated, into a malloc'd *@ret. */
static int read_all(const char *root, const char *rel, char **ret)
{
	char path[PATH_MAX];
	struct diag d = DIAG_INIT;
	size_t len;
	int r;

	r = path_of(path, sizeof(path), root, rel);
	if (r == 0)
		r = util_read_file(path, ret, &len, &d);
	diag_release(&d);
	if (r < 0)
		return r;
	/* util_read_file leaves no NUL, but room for one: it reads in 64 KiB */
	(*ret)[len] = '\0';
	return 0;
}

int kmosix_write(const char *root, const char *rel, const char *text, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, r;

	r = path_of(path, sizeof(path), root, rel);
	if (r < 0)
		return r;
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	r = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

size_t kmosix_chunk(const char *text, size_t len, size_t max)
{
	size_t end = 0;

	if (len <= max)
		return len;
	for (size_t i = 0; i < max; i++)
		if (text[i] == '\n')
			end = i + 1;
	return end;
}

bool kmosix_node_from_state(const struct node_state *s, struct kmosix_node *ret)
{
	const struct gossip_vec *v = &s->v;

	if (s->id == 0 || s->id > MAP_MAX_ID)
		return false;
	ret->id = s->id;
	ret->cpus = v->cpus ? v->cpus : 1;
	ret->load = v->load;
	ret->speed = v->speed ? v->speed : 1;
	ret->tmem = v->tmem;
	ret->mem = v->mem < v->tmem ? v->mem : v->tmem;
	ret->rmem = v->rmem < v->tmem ? v->rmem : v->tmem;
	ret->status = s->up ? 1 : 0;
	ret->util = v->util < 1000 ? v->util : 1000;
	return true;
}

size_t kmosix_node_format(const struct kmosix_node *n, char *buf, size_t size)
{
	int len = snprintf(buf, size, "%u %u %u %u %llu %llu %llu %u %u\n", n->id, n->cpus,
			   n->load, n->speed, (unsigned long long)n->mem,
			   (unsigned long long)n->rmem, (unsigned long long)n->tmem, n->status,
			   n->util);

	if (len < 0)
		return 0;
	return (size_t)len < size ? (size_t)len : size - 1;
}

int kmosix_nodes_parse(char *text, struct kmosix_node **ret, size_t *ret_n)
{
	static const uint64_t max[9] = {
		MAP_MAX_ID, UINT16_MAX, UINT32_MAX, UINT32_MAX, UINT64_MAX,
		UINT64_MAX, UINT64_MAX, 1, 1000,
	};
	struct kmosix_node *nodes = NULL;
	size_t n = 0, alloc = 0;
	char *save = NULL;
	int r = 0;

	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *fsave = NULL;
		uint64_t v[9];
		int k = 0;

		for (char *w = strtok_r(l, " \t", &fsave); w; w = strtok_r(NULL, " \t", &fsave)) {
			if (k == 9 || parse_u64(w, max[k], &v[k]) < 0) {
				r = -EINVAL;
				goto out_free;
			}
			k++;
		}
		if (k == 0)
			continue;
		if (k != 9 || v[0] == 0 || (n && v[0] <= nodes[n - 1].id)) {
			r = -EINVAL;
			goto out_free;
		}
		r = util_grow((void **)&nodes, &alloc, n + 1, sizeof(*nodes));
		if (r < 0)
			goto out_free;
		nodes[n++] = (struct kmosix_node){
			.id = (uint32_t)v[0], .cpus = (uint32_t)v[1], .load = (uint32_t)v[2],
			.speed = (uint32_t)v[3], .mem = v[4], .rmem = v[5], .tmem = v[6],
			.status = (uint32_t)v[7], .util = (uint32_t)v[8],
		};
	}
	*ret = nodes;
	*ret_n = n;
	return 0;
out_free:
	free(nodes);
	return r;
}

void kmosix_text_release(struct kmosix_text *t)
{
	free(t->buf);
	t->buf = NULL;
	t->len = t->alloc = 0;
}

static int text_add(struct kmosix_text *t, const char *s, size_t len)
{
	int r = util_grow((void **)&t->buf, &t->alloc, t->len + len + 1, 1);

	if (r < 0)
		return r;
	memcpy(t->buf + t->len, s, len);
	t->len += len;
	t->buf[t->len] = '\0';
	return 0;
}

static bool same_node(const struct kmosix_node *a, const struct kmosix_node *b)
{
	return a->cpus == b->cpus && a->load == b->load && a->speed == b->speed &&
	       a->mem == b->mem && a->rmem == b->rmem && a->tmem == b->tmem &&
	       a->status == b->status && a->util == b->util;
}

int kmosix_nodes_diff(const struct kmosix_node *old, size_t nold,
		      const struct kmosix_node *cur, size_t ncur, bool no_new,
		      struct kmosix_text *forget, struct kmosix_text *set)
{
	char line[KMOSIX_LINE_MAX];
	size_t i = 0, j = 0;
	int r = 0;

	/* a merge of two lists sorted by id */
	while (r == 0 && (i < nold || j < ncur)) {
		if (j == ncur || (i < nold && old[i].id < cur[j].id)) {
			int len = snprintf(line, sizeof(line), "-%u\n", old[i++].id);

			r = text_add(forget, line, (size_t)len);
		} else if (i == nold || cur[j].id < old[i].id) {
			if (!no_new)
				r = text_add(set, line, kmosix_node_format(&cur[j], line,
									    sizeof(line)));
			j++;
		} else {
			if (!same_node(&old[i], &cur[j]))
				r = text_add(set, line, kmosix_node_format(&cur[j], line,
									    sizeof(line)));
			i++;
			j++;
		}
	}
	return r;
}

int kmosix_lock_set(const char *root, pid_t pid, bool lock)
{
	char text[32];
	int len;

	if (pid <= 0)
		return -EINVAL;
	len = snprintf(text, sizeof(text), "%d %d\n", (int)pid, lock ? 1 : 0);
	return kmosix_write(root, "mosix/lock", text, (size_t)len);
}

bool kmosix_lock_listed(const char *text, pid_t pid)
{
	char want[16];
	size_t len = (size_t)snprintf(want, sizeof(want), "%d", (int)pid);

	for (const char *p = text; p && *p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (!strncmp(p, want, len) && (p[len] == '\n' || p[len] == '\0'))
			return true;
	}
	return false;
}

int kmosix_locked(const char *root, pid_t pid, bool *ret)
{
	char rel[64], small[SMALL_MAX], *list;
	ssize_t n;
	int r;

	if (pid <= 0)
		return -EINVAL;
	snprintf(rel, sizeof(rel), "%d/mosix/lock", (int)pid);
	n = kmosix_read(root, rel, small, sizeof(small));
	if (n >= 0) {
		*ret = small[0] == '1';
		return 0;
	}
	if (n != -ENOENT)
		return (int)n;
	/* the module: its table of locked processes */
	r = read_all(root, "mosix/lock", &list);
	if (r < 0)
		return r;
	*ret = kmosix_lock_listed(list, pid);
	free(list);
	return 0;
}

int kmosix_task_write(const char *root, pid_t pid, const char *name, const char *text)
{
	char rel[64];

	if (pid <= 0)
		return -EINVAL;
	snprintf(rel, sizeof(rel), "%d/mosix/%s", (int)pid, name);
	return kmosix_write(root, rel, text, strlen(text));
}

int kmosix_guests_parse(char *text, struct kmosix_guest **ret, size_t *ret_n)
{
	struct kmosix_guest *g = NULL;
	size_t n = 0, alloc = 0;
	char *save = NULL;
	int r = 0;

	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *f[4], *fsave = NULL;
		uint64_t v[4];
		int k = 0;

		for (char *w = strtok_r(l, " \t", &fsave); w; w = strtok_r(NULL, " \t", &fsave)) {
			if (k == 4) {
				r = -EINVAL;
				goto out_free;
			}
			f[k++] = w;
		}
		if (k == 0)
			continue;
		if (k != 4 || parse_u64(f[0], INT_MAX, &v[0]) || parse_u64(f[1], MAP_MAX_ID, &v[1]) ||
		    parse_u64(f[2], INT_MAX, &v[2]) || parse_u64(f[3], INT_MAX, &v[3]) ||
		    !v[0] || !v[1] || !v[2]) {
			r = -EINVAL;
			goto out_free;
		}
		r = util_grow((void **)&g, &alloc, n + 1, sizeof(*g));
		if (r < 0)
			goto out_free;
		g[n++] = (struct kmosix_guest){ (pid_t)v[0], (uint32_t)v[1], (pid_t)v[2],
						(pid_t)v[3] };
	}
	*ret = g;
	*ret_n = n;
	return 0;
out_free:
	free(g);
	return r;
}

int kmosix_guests_read(const char *root, struct kmosix_guest **ret, size_t *ret_n)
{
	char *text;
	int r;

	r = read_all(root, "mosix/guests", &text);
	if (r < 0)
		return r;
	r = kmosix_guests_parse(text, ret, ret_n);
	free(text);
	return r;
}

int kmosix_nodes_read(const char *root, struct kmosix_node **ret, size_t *ret_n)
{
	char *text;
	int r;

	r = read_all(root, "mosix/admin/nodes", &text);
	if (r < 0)
		return r;
	r = kmosix_nodes_parse(text, ret, ret_n);
	free(text);
	return r;
}
