// SPDX-License-Identifier: GPL-2.0-only
#include "state.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "map.h"

/* 65535 lines of at most ~200 bytes: anything larger is not ours */
#define STATE_MAX_BYTES (16u << 20)
#define STATE_FIELDS 14

static const char *const mode_names[] = {
	[POOL_SINGLE] = "single",
	[POOL_SERVER] = "server",
	[POOL_HALF_DUPLEX] = "half-duplex",
	[POOL_ADAPTIVE] = "adaptive",
};

const char *state_mode_name(unsigned mode)
{
	return mode < sizeof(mode_names) / sizeof(mode_names[0]) ? mode_names[mode] : NULL;
}

void cluster_state_init(struct cluster_state *s)
{
	memset(s, 0, sizeof(*s));
}

void cluster_state_release(struct cluster_state *s)
{
	if (!s)
		return;
	free(s->node);
	cluster_state_init(s);
}

const struct node_state *cluster_state_find(const struct cluster_state *s,
					    uint32_t id)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->node[mid].id == id)
			return &s->node[mid];
		if (s->node[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* --- writing --------------------------------------------------------- */

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * One writer (the daemon) per run directory, so a fixed temporary name is
 * enough; a crash leaves it behind to be overwritten next time. Readers see
 * the old file or the new one, never a part.
 */
static int write_at(int dirfd, const char *name, const char *text, size_t len)
{
	char tmp[64];
	int fd, r;

	if (snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	r = write_all(fd, text, len);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(dirfd, tmp, 0);
	return r;
}

int state_write_file(const char *dir, const char *name, const char *text)
{
	int dfd, r;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	r = write_at(dfd, name, text, strlen(text));
	close(dfd);
	return r;
}

static int mkdir_open(int dirfd, const char *name)
{
	const int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW;
	int fd;

	/* it is there almost every time: open first */
	fd = openat(dirfd, name, flags);
	if (fd >= 0 || errno != ENOENT)
		return fd < 0 ? -errno : fd;
	if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(dirfd, name, flags);
	return fd < 0 ? -errno : fd;
}

struct node_file {
	const char *name;
	uint64_t (*get)(const struct node_state *n);
};

static uint64_t get_cpus(const struct node_state *n) { return n->v.cpus; }
static uint64_t get_load(const struct node_state *n) { return n->v.load; }
static uint64_t get_speed(const struct node_state *n) { return n->v.speed; }
static uint64_t get_mem(const struct node_state *n) { return n->v.mem; }
static uint64_t get_rmem(const struct node_state *n) { return n->v.rmem; }
static uint64_t get_tmem(const struct node_state *n) { return n->v.tmem; }
static uint64_t get_status(const struct node_state *n) { return n->up; }
static uint64_t get_util(const struct node_state *n) { return n->v.util; }

static const struct node_file node_files[] = {
	{ "cpus", get_cpus },	{ "load", get_load }, { "speed", get_speed },
	{ "mem", get_mem },	{ "rmem", get_rmem }, { "tmem", get_tmem },
	{ "status", get_status }, { "util", get_util },
};
#define NODE_FILES (sizeof(node_files) / sizeof(node_files[0]))

/* nodes/<id>/: the files whose value differs from @prev (all without). */
static int write_node(int nodes_fd, const struct node_state *n,
		      const struct node_state *prev)
{
	char name[16], text[32];
	bool changed = !prev;
	int fd, r = 0;

	for (size_t i = 0; i < NODE_FILES && !changed; i++)
		changed = node_files[i].get(prev) != node_files[i].get(n);
	if (!changed)
		return 0;
	snprintf(name, sizeof(name), "%u", n->id);
	fd = mkdir_open(nodes_fd, name);
	if (fd < 0)
		return fd;
	for (size_t i = 0; i < NODE_FILES && r == 0; i++) {
		uint64_t v = node_files[i].get(n);
		int len;

		if (prev && node_files[i].get(prev) == v)
			continue;
		len = snprintf(text, sizeof(text), "%" PRIu64 "\n", v);
		r = write_at(fd, node_files[i].name, text, (size_t)len);
	}
	close(fd);
	return r;
}

/* Remove nodes/<name>/ and what we put in it; a stranger's file stays. */
static int remove_node_dir(int nodes_fd, const char *name)
{
	int fd = openat(nodes_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	for (size_t i = 0; i < NODE_FILES; i++)
		unlinkat(fd, node_files[i].name, 0);
	close(fd);
	if (unlinkat(nodes_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static bool is_id_name(const char *s, uint32_t *ret)
{
	uint32_t v = 0;

	if (!*s || *s == '0')
		return false;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return false;
		v = v * 10 + (uint32_t)(*s - '0');
		if (v > MAP_MAX_ID)
			return false;
	}
	*ret = v;
	return true;
}

/* Without a previous state: whatever nodes/ holds that @s does not list. */
static int remove_unlisted(int nodes_fd, const struct cluster_state *s)
{
	int fd = dup(nodes_fd), r = 0;
	struct dirent *e;
	DIR *dir;

	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	while ((e = readdir(dir))) {
		uint32_t id;

		if (is_id_name(e->d_name, &id) && !cluster_state_find(s, id)) {
			int q = remove_node_dir(nodes_fd, e->d_name);

			if (q < 0 && r == 0)
				r = q;
		}
	}
	closedir(dir);
	return r;
}

static int update_tree(int run_fd, const struct cluster_state *s,
		       const struct cluster_state *prev)
{
	size_t j = 0;
	int nodes_fd, r = 0;

	nodes_fd = mkdir_open(run_fd, "nodes");
	if (nodes_fd < 0)
		return nodes_fd;
	for (size_t i = 0; i < s->n && r == 0; i++) {
		const struct node_state *p = NULL;

		/* both sorted by id: walk them together */
		while (prev && j < prev->n && prev->node[j].id < s->node[i].id) {
			char name[16];

			snprintf(name, sizeof(name), "%u", prev->node[j].id);
			r = remove_node_dir(nodes_fd, name);
			j++;
		}
		if (prev && j < prev->n && prev->node[j].id == s->node[i].id)
			p = &prev->node[j++];
		if (r == 0)
			r = write_node(nodes_fd, &s->node[i], p);
	}
	for (; prev && j < prev->n && r == 0; j++) {
		char name[16];

		snprintf(name, sizeof(name), "%u", prev->node[j].id);
		r = remove_node_dir(nodes_fd, name);
	}
	if (!prev && r == 0)
		r = remove_unlisted(nodes_fd, s);
	close(nodes_fd);
	return r;
}

/* The snapshot text, in one malloc'd buffer. */
static int format_snapshot(const struct cluster_state *s, char **ret, size_t *ret_len)
{
	/* the longest line: 5 numbers of 20 digits, 8 of 10, an address */
	const size_t line_max = 5 * 21 + 8 * 11 + ADDR_STRLEN + 2;
	size_t alloc = 64 + (s->n + 1) * line_max, len;
	char *buf = malloc(alloc), a[ADDR_STRLEN];

	if (!buf)
		return -ENOMEM;
	len = (size_t)snprintf(buf, alloc, "mosix-state %d %u %" PRIu64 "\n", STATE_VERSION,
			       s->self, s->now_ms);
	for (size_t i = 0; i < s->n; i++) {
		const struct node_state *n = &s->node[i];
		const struct gossip_vec *v = &n->v;

		len += (size_t)snprintf(buf + len, alloc - len,
					"%u %s %d %u %u %u %u %u %" PRIu64 " %" PRIu64
					" %" PRIu64 " %u %u %u\n",
					n->id, addr_format(&n->addr, a), n->up ? 1 : 0,
					n->age_ms, v->load, v->speed, v->cpus, v->util, v->tmem,
					v->mem, v->rmem, v->guests, v->local, v->flags);
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

int cluster_state_update(const char *run_dir, const struct cluster_state *s,
			 const struct cluster_state *prev)
{
	size_t len;
	char *text;
	int run_fd, r;

	r = format_snapshot(s, &text, &len);
	if (r < 0)
		return r;
	run_fd = open(run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (run_fd < 0) {
		r = -errno;
		goto out_free_text;
	}
	r = update_tree(run_fd, s, prev);
	/* the snapshot is what tools read: write it even if the tree failed */
	int q = write_at(run_fd, STATE_FILE, text, len);

	if (r == 0)
		r = q;
	close(run_fd);
out_free_text:
	free(text);
	return r;
}

int cluster_state_write(const char *run_dir, const struct cluster_state *s)
{
	return cluster_state_update(run_dir, s, NULL);
}

/* --- reading --------------------------------------------------------- */

static int read_bounded(const char *path, char **ret, size_t *ret_len, struct diag *d)
{
	size_t len = 0, alloc = 0;
	char *buf = NULL;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r != -ENOENT)
			diag_add(d, path, 0, "cannot open: %s", strerror(errno));
		return r;
	}
	for (;;) {
		ssize_t got;

		if (len + 1 >= alloc) {
			size_t want = alloc ? alloc * 2 : 65536;
			char *nb;

			if (want > STATE_MAX_BYTES + 1)
				want = STATE_MAX_BYTES + 1;
			if (len + 1 >= want) {
				diag_add(d, path, 0, "file is larger than %u bytes", STATE_MAX_BYTES);
				r = -EFBIG;
				goto out_free;
			}
			nb = realloc(buf, want);
			if (!nb) {
				r = -ENOMEM;
				goto out_free;
			}
			buf = nb;
			alloc = want;
		}
		got = read(fd, buf + len, alloc - len - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = -errno;
			diag_add(d, path, 0, "cannot read: %s", strerror(errno));
			goto out_free;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	buf = NULL;
out_free:
	free(buf);
	close(fd);
	return r;
}

/* A decimal number of at most @max; no sign, no spaces, no leading junk. */
static bool parse_u64(const char *s, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned dgt;

		if (*s < '0' || *s > '9')
			return false;
		dgt = (unsigned)(*s - '0');
		if (dgt > max || v > (max - dgt) / 10)
			return false;
		v = v * 10 + dgt;
	}
	*ret = v;
	return true;
}

static int split(char *line, char **f, int max)
{
	char *save = NULL, *t;
	int n = 0;

	for (t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == max)
			return max + 1;
		f[n++] = t;
	}
	return n;
}

static const char *const field_names[STATE_FIELDS] = {
	"id", "address", "up", "age", "load", "speed", "cpus",
	"util", "tmem", "mem", "rmem", "guests", "local", "flags",
};

static const uint64_t field_max[STATE_FIELDS] = {
	MAP_MAX_ID, 0, 1, UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT16_MAX,
	UINT32_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT16_MAX, UINT32_MAX, UINT16_MAX,
};

static int parse_node(const char *path, unsigned line, char *text,
		      struct node_state *ret, struct diag *d)
{
	uint64_t v[STATE_FIELDS] = { 0 };
	char *f[STATE_FIELDS];
	int n = split(text, f, STATE_FIELDS);

	if (n != STATE_FIELDS) {
		diag_add(d, path, line, "expected %d fields, found %s%d", STATE_FIELDS,
			 n > STATE_FIELDS ? "more than " : "", n > STATE_FIELDS ? STATE_FIELDS : n);
		return -EINVAL;
	}
	for (int i = 0; i < STATE_FIELDS; i++) {
		if (i == 1)
			continue;
		if (!parse_u64(f[i], field_max[i], &v[i])) {
			diag_add(d, path, line, "invalid %s '%s'", field_names[i], f[i]);
			return -EINVAL;
		}
	}
	if (v[0] == 0) {
		diag_add(d, path, line, "invalid id '0'");
		return -EINVAL;
	}
	if (addr_parse(f[1], &ret->addr) < 0) {
		diag_add(d, path, line, "invalid address '%s'", f[1]);
		return -EINVAL;
	}
	ret->id = (uint32_t)v[0];
	ret->up = v[2] == 1;
	ret->age_ms = (uint32_t)v[3];
	ret->v = (struct gossip_vec){
		.node = (uint16_t)v[0],
		.flags = (uint16_t)v[13],
		.age_ms = (uint32_t)v[3],
		.load = (uint32_t)v[4],
		.speed = (uint32_t)v[5],
		.cpus = (uint16_t)v[6],
		.guests = (uint16_t)v[11],
		.local = (uint32_t)v[12],
		.tmem = v[8],
		.mem = v[9],
		.rmem = v[10],
		.util = (uint32_t)v[7],
	};
	return 0;
}

static int parse_header(const char *path, char *text, struct cluster_state *s,
			struct diag *d)
{
	uint64_t ver, self, now;
	char *f[4];

	if (split(text, f, 4) != 4 || strcmp(f[0], "mosix-state") != 0 ||
	    !parse_u64(f[1], UINT32_MAX, &ver)) {
		diag_add(d, path, 1, "not a mosix-infod state file");
		return -EINVAL;
	}
	if (ver != STATE_VERSION) {
		diag_add(d, path, 1, "state version %" PRIu64 " is not supported (only %d)",
			 ver, STATE_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (!parse_u64(f[2], MAP_MAX_ID, &self) || self == 0 ||
	    !parse_u64(f[3], UINT64_MAX, &now)) {
		diag_add(d, path, 1, "invalid header");
		return -EINVAL;
	}
	s->self = (uint32_t)self;
	s->now_ms = now;
	return 0;
}

static int parse_state(const char *path, char *buf, size_t len,
		       struct cluster_state *s, struct diag *d)
{
	size_t lines = 0, alloc;
	unsigned line = 0;
	char *p = buf, *end = buf + len;
	int r;

	if (memchr(buf, '\0', len)) {
		diag_add(d, path, 0, "file contains a NUL byte");
		return -EINVAL;
	}
	if (len == 0 || buf[len - 1] != '\n') {
		diag_add(d, path, 0, "file is %s", len ? "truncated (no final newline)" : "empty");
		return -EINVAL;
	}
	for (char *q = buf; q < end; q++)
		lines += *q == '\n';
	/* at most one line per possible node, and one header */
	if (lines - 1 > MAP_MAX_ID) {
		diag_add(d, path, 0, "more than %u nodes", MAP_MAX_ID);
		return -EINVAL;
	}
	alloc = lines - 1;
	s->node = calloc(alloc ? alloc : 1, sizeof(*s->node));
	if (!s->node)
		return -ENOMEM;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));

		*nl = '\0';
		line++;
		if (line == 1) {
			r = parse_header(path, p, s, d);
		} else {
			r = parse_node(path, line, p, &s->node[s->n], d);
			if (r == 0 && s->n && s->node[s->n - 1].id >= s->node[s->n].id) {
				diag_add(d, path, line, "node %u is out of order", s->node[s->n].id);
				r = -EINVAL;
			}
			if (r == 0)
				s->n++;
		}
		if (r < 0)
			return r;
		p = nl + 1;
	}
	return 0;
}

int cluster_state_parse(const char *name, char *buf, size_t len,
			struct cluster_state *ret, struct diag *d)
{
	struct cluster_state s;
	int r;

	cluster_state_init(&s);
	r = parse_state(name, buf, len, &s, d);
	if (r < 0)
		cluster_state_release(&s);
	else
		*ret = s;
	return r;
}

int cluster_state_read(const char *run_dir, struct cluster_state *ret,
		       struct diag *d)
{
	char *path, *buf = NULL;
	size_t len = 0;
	int r;

	if (asprintf(&path, "%s/%s", run_dir, STATE_FILE) < 0)
		return -ENOMEM;
	r = read_bounded(path, &buf, &len, d);
	if (r < 0)
		goto out_free_path;
	r = cluster_state_parse(path, buf, len, ret, d);
	free(buf);
out_free_path:
	free(path);
	return r;
}
