// SPDX-License-Identifier: GPL-2.0-only
/*
 * /proc/mosix as a mirror of what mosix-infod publishes (kmirror.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infod.h"
#include "lib/log.h"
#include "lib/util.h"

/* the kinds of error logged once each */
enum kmirror_warn {
	KW_READ = 1 << 0,
	KW_NODES = 1 << 1,
	KW_FULL = 1 << 2,
	KW_ADMIN = 1 << 3,
	KW_VERSION = 1 << 4,
	KW_RESYNC = 1 << 5,
};

/* the admin files of the policy flags; "off" has none in the kernel */
static const struct {
	const char *name;
	uint16_t flag;
} kflags[] = {
	{ "mosix/admin/block", GV_BLOCKED },
	{ "mosix/admin/stay", GV_STAY },
	{ "mosix/admin/lstay", GV_LSTAY },
	{ "mosix/admin/quiet", GV_QUIET },
};

__attribute__((format(printf, 3, 4)))
static void warn_once(struct kmirror *km, uint32_t kind, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	if (km->warned & kind)
		return;
	km->warned |= kind;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_warn("%s", text);
}

/*
 * A write refused for lack of rights will be refused every time: stop
 * trying (the daemon runs on, /proc/mosix is not kept).
 */
static bool refused(struct kmirror *km, int err, const char *what)
{
	if (err != -EPERM && err != -EACCES && err != -EROFS)
		return false;
	log_warn("cannot write '/proc/%s': %s; /proc/mosix is not kept", what, strerror(-err));
	km->off = true;
	km->active = false;
	return true;
}

/* This round's table, from what publish_state() wrote. */
static int current(const struct infod *in, struct kmosix_node **ret, size_t *ret_n)
{
	const struct cluster_state *s = &in->published;
	struct kmosix_node *n;
	size_t k = 0;

	n = calloc(s->n ? s->n : 1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++)
		if (kmosix_node_from_state(&s->node[i], &n[k]))
			k++;
	*ret = n;
	*ret_n = k;
	return 0;
}

/* The kernel's table read back, after a write that failed. */
static void resync(struct kmirror *km)
{
	struct kmosix_node *n = NULL;
	size_t count = 0;
	int r;

	r = kmosix_nodes_read(NULL, &n, &count);
	if (r < 0) {
		warn_once(km, KW_RESYNC, "cannot read '/proc/mosix/admin/nodes' back: %s; it is "
			  "written whole next time", strerror(-r));
		km->stale = true;
		return;
	}
	free(km->node);
	km->node = n;
	km->n = count;
}

/* The kernel's limit, for the message, or 0 when it cannot be read. */
static unsigned long max_nodes(void)
{
	char text[32];

	if (kmosix_read("/sys", "module/mosix/parameters/max_nodes", text, sizeof(text)) <= 0)
		return 0;
	return strtoul(text, NULL, 10);
}

/*
 * Write lines to admin/nodes in parts of at most KMOSIX_WRITE_MAX, cut at
 * line ends; each part is applied on its own. 0 or the first -errno.
 */
static int write_lines(struct kmirror *km, const struct kmosix_text *t)
{
	size_t off = 0;
	int first = 0;

	while (off < t->len) {
		size_t part = kmosix_chunk(t->buf + off, t->len - off, KMOSIX_WRITE_MAX);
		int r;

		if (part == 0)
			return -EINVAL;	/* a line longer than a write: not ours */
		r = kmosix_write(NULL, "mosix/admin/nodes", t->buf + off, part);
		if (r < 0 && refused(km, r, "mosix/admin/nodes"))
			return r;
		if (r < 0 && !first)
			first = r;
		off += part;
	}
	return first;
}

/* After a failed write: log it, and learn what the kernel holds now. */
static void nodes_failed(struct kmirror *km, int err)
{
	if (err == -ENOSPC) {
		unsigned long max = max_nodes();

		if (max)
			warn_once(km, KW_FULL, "/proc/mosix holds at most max_nodes=%lu nodes (a "
				  "parameter of the mosix module): the others are left out", max);
		else
			warn_once(km, KW_FULL, "/proc/mosix is full (max_nodes, a parameter of "
				  "the mosix module): the other nodes are left out");
		km->full = true;
	} else {
		warn_once(km, KW_NODES, "cannot write '/proc/mosix/admin/nodes': %s",
			  strerror(-err));
	}
	resync(km);
}

/*
 * The nodes of @cur that @old has (both sorted by id), moved to its front:
 * what the kernel holds after a diff that left new nodes out. Their count.
 */
static size_t known_only(const struct kmosix_node *old, size_t nold, struct kmosix_node *cur,
			 size_t ncur)
{
	size_t i = 0, k = 0;

	for (size_t j = 0; j < ncur; j++) {
		while (i < nold && old[i].id < cur[j].id)
			i++;
		if (i < nold && old[i].id == cur[j].id)
			cur[k++] = cur[j];
	}
	return k;
}

/*
 * Bring the kernel's table from km->node to this round's: forgotten nodes
 * in one write, new and changed ones in the next (nodes forgotten in a
 * write do not make room for nodes it adds).
 */
static void update_nodes(struct infod *in)
{
	struct kmirror *km = &in->kmirror;
	struct kmosix_text forget = { 0 }, set = { 0 };
	bool no_new = km->full;
	struct kmosix_node *cur;
	size_t ncur;
	int r;

	if (current(in, &cur, &ncur) < 0)
		return;
	r = kmosix_nodes_diff(km->node, km->n, cur, ncur, no_new, &forget, &set);
	if (r < 0)
		goto out_free;
	if (forget.len) {
		r = write_lines(km, &forget);
		if (r < 0)
			goto out_failed;
		/* room again, maybe */
		km->full = false;
	}
	if (set.len) {
		r = write_lines(km, &set);
		if (r < 0)
			goto out_failed;
	}
	if (no_new)
		ncur = known_only(km->node, km->n, cur, ncur);
	free(km->node);
	km->node = cur;
	km->n = ncur;
	cur = NULL;
	goto out_free;
out_failed:
	if (!km->off)
		nodes_failed(km, r);
out_free:
	free(cur);
	kmosix_text_release(&forget);
	kmosix_text_release(&set);
}

void kmirror_admin(struct infod *in)
{
	struct kmirror *km = &in->kmirror;
	char text[64];
	int r = 0, len;

	if (!km->active || km->off)
		return;
	for (size_t i = 0; i < sizeof(kflags) / sizeof(kflags[0]) && r == 0; i++)
		r = kmosix_write(NULL, kflags[i].name, in->policy & kflags[i].flag ? "1\n" : "0\n",
				 2);
	if (r == 0) {
		len = snprintf(text, sizeof(text), "%u\n", in->speed);
		r = kmosix_write(NULL, "mosix/admin/speed", text, (size_t)len);
	}
	if (r == 0) {
		len = snprintf(text, sizeof(text), "%u %u %u\n", in->decay_ms, in->decay_slow,
			       in->decay_fast);
		r = kmosix_write(NULL, "mosix/admin/decay", text, (size_t)len);
	}
	if (r < 0 && !refused(km, r, "mosix/admin"))
		warn_once(km, KW_ADMIN, "cannot write the policy to '/proc/mosix/admin': %s",
			  strerror(-r));
}

/*
 * Everything, after a start, a load of the module, or a table we lost
 * track of: "clear" alone first, then every node, the policy, and last
 * the version, whose being set says that the rest is there.
 */
static void publish_all(struct infod *in)
{
	struct kmirror *km = &in->kmirror;
	struct kmosix k;
	char what[256];
	bool was = km->active;
	int r;

	if (kmosix_probe(NULL, &k) < 0 || !k.present)
		return;
	if (!k.usable) {
		kmosix_describe(&k, what, sizeof(what));
		log_warn("/proc/mosix is of another interface (%s); it is not kept", what);
		km->off = true;
		return;
	}
	r = kmosix_write(NULL, "mosix/admin/nodes", "clear\n", 6);
	if (r < 0) {
		if (!refused(km, r, "mosix/admin/nodes"))
			warn_once(km, KW_NODES, "cannot write '/proc/mosix/admin/nodes': %s",
				  strerror(-r));
		km->stale = true;
		return;
	}
	free(km->node);
	km->node = NULL;
	km->n = 0;
	km->stale = false;
	km->full = false;
	km->active = true;
	update_nodes(in);
	kmirror_admin(in);
	if (km->off)
		return;
	r = kmosix_write(NULL, "mosix/admin/version", INFOD_VERSION "\n",
			 strlen(INFOD_VERSION "\n"));
	if (r < 0 && !refused(km, r, "mosix/admin/version"))
		warn_once(km, KW_VERSION, "cannot write '/proc/mosix/admin/version': %s",
			  strerror(-r));
	if (!was) {
		kmosix_describe(&k, what, sizeof(what));
		log_info("keeping /proc/mosix (%s)", what);
	}
}

void kmirror_round(struct infod *in)
{
	struct kmirror *km = &in->kmirror;
	char version[80];
	ssize_t n;

	if (km->off)
		return;
	n = kmosix_read(NULL, "mosix/admin/version", version, sizeof(version));
	if (n == -ENOENT) {
		/* no kernel part, or its module was unloaded */
		if (km->active)
			log_info("/proc/mosix is gone");
		km->active = false;
		return;
	}
	if (n < 0) {
		warn_once(km, KW_READ, "cannot read '/proc/mosix/admin/version': %s",
			  strerror((int)-n));
		return;
	}
	if (!km->active || km->stale || !*util_trim(version)) {
		/* a new start, its errors worth a word again */
		if (!km->active)
			km->warned = 0;
		publish_all(in);
		return;
	}
	update_nodes(in);
}

void kmirror_stop(struct infod *in)
{
	struct kmirror *km = &in->kmirror;

	if (!km->active || km->off)
		return;
	kmosix_write(NULL, "mosix/admin/nodes", "clear\n", 6);
	kmosix_write(NULL, "mosix/admin/version", "\n", 1);
}

void kmirror_release(struct kmirror *km)
{
	free(km->node);
	km->node = NULL;
	km->n = 0;
}
