// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <linux/kcmp.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "engine/dep_direct.h"
#include "engine/mig_fs.h"
#include "engine/mig_img.h"

/* 0 once CAP_FSETID and CAP_SYS_RESOURCE are gone for good, or -errno. */
static int drop_write_caps(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct c[2];
	static const int caps[] = { CAP_FSETID, CAP_SYS_RESOURCE };

	if (syscall(SYS_capget, &h, c))
		return -errno;
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		uint32_t bit = 1u << (caps[i] % 32);

		c[caps[i] / 32].effective &= ~bit;
		c[caps[i] / 32].permitted &= ~bit;
		c[caps[i] / 32].inheritable &= ~bit;
	}
	return syscall(SYS_capset, &h, c) ? -errno : 0;
}

void dep_direct_init(struct dep_direct *x, int pidfd, pid_t pid)
{
	*x = (struct dep_direct){ .pidfd = pidfd, .pid = pid, .self = getpid() };
	x->writes = !drop_write_caps();
}

void dep_direct_forget(struct dep_direct *x)
{
	for (int i = 0; i < DEP_DIRECT_FDS; i++) {
		if (x->state[i] == 1)
			close(x->copy[i]);
		x->state[i] = 0;
	}
	x->fsize = 0;
}

static bool unlimited_fsize(struct dep_direct *x)
{
	struct rlimit r;

	if (!x->fsize)
		x->fsize = !prlimit(x->pid, RLIMIT_FSIZE, NULL, &r) &&
				   r.rlim_cur == RLIM_INFINITY ? 1 : -1;
	return x->fsize == 1;
}

/* Our copy of home fd @fd, or -1 when its calls go through the agent. */
static int copy_of(struct dep_direct *x, uint64_t fd)
{
	struct statfs fs;
	struct stat st;
	int c;

	if (fd >= DEP_DIRECT_FDS || x->state[fd] < 0)
		return -1;
	if (x->state[fd] == 1) {
		/*
		 * Still the file the process has there? Another process that
		 * shares its descriptor table (clone with CLONE_FILES) may
		 * have put another in its place since we took the copy.
		 */
		long same = syscall(SYS_kcmp, x->pid, x->self, KCMP_FILE, (unsigned long)fd,
				    (unsigned long)x->copy[fd]);

		if (same == 0)
			return x->copy[fd];
		close(x->copy[fd]);
		x->state[fd] = 0;
		if (same < 0 && (errno == ENOSYS || errno == EPERM)) {
			x->state[fd] = -1;	/* cannot tell (no kcmp): the agent's */
			return -1;
		}
	}
	x->state[fd] = -1;
	c = (int)syscall(SYS_pidfd_getfd, x->pidfd, (int)fd, 0);
	if (c < 0)
		return -1;
	if (fstat(c, &st) || !S_ISREG(st.st_mode) || fstatfs(c, &fs) || !mig_fs_plain(fs.f_type) ||
	    (fcntl(c, F_GETFL) & O_DIRECT)) {
		close(c);
		return -1;
	}
	x->state[fd] = 1;
	x->copy[fd] = c;
	return c;
}

int dep_direct_call(struct dep_direct *x, const void *rec, size_t len, uint8_t *reply,
		    size_t cap, size_t *ret_len)
{
	const struct mig_fwd_call *c = rec;
	struct mig_fwd_ret *rr = (struct mig_fwd_ret *)reply;
	const struct mig_fwd_buf *b;
	const uint8_t *in;
	uint8_t *out = reply + sizeof(*rr) + sizeof(uint32_t);
	size_t in_len;
	bool writes;
	long ret;
	int f;

	if (x->pidfd < 0 || mig_fwd_call_check(rec, len, &b, &in, &in_len))
		return 0;
	if (c->nr == SYS_lseek) {
		if (c->nbuf)
			return 0;
	} else if (c->nr == SYS_read || c->nr == SYS_pread64 || c->nr == SYS_write ||
		   c->nr == SYS_pwrite64) {
		writes = c->nr == SYS_write || c->nr == SYS_pwrite64;
		if (c->nbuf != 1 || b[0].arg != 1 || b[0].iov ||
		    b[0].dir != (writes ? MIG_FWD_IN : MIG_FWD_OUT) || b[0].len != c->args[2])
			return 0;
	} else {
		return 0;
	}
	if (cap < sizeof(*rr) + sizeof(uint32_t) + (c->nbuf ? b[0].len : 0))
		return 0;
	if (c->nr != SYS_read && c->nr != SYS_pread64 && !unlimited_fsize(x))
		return 0;
	if ((c->nr == SYS_write || c->nr == SYS_pwrite64) && !x->writes)
		return 0;
	f = copy_of(x, c->args[0]);
	if (f < 0)
		return 0;
	switch (c->nr) {
	case SYS_lseek:
		ret = lseek(f, (off_t)c->args[1], (int)c->args[2]);
		break;
	case SYS_read:
		ret = read(f, out, b[0].len);
		break;
	case SYS_pread64:
		ret = pread(f, out, b[0].len, (off_t)c->args[3]);
		break;
	case SYS_write:
		ret = write(f, in, b[0].len);
		break;
	default:
		ret = pwrite(f, in, b[0].len, (off_t)c->args[3]);
		break;
	}
	if (ret < 0)
		ret = -errno;
	rr->ret = ret;
	rr->nbuf = c->nbuf;
	rr->flags = 0;
	if (c->nbuf) {
		uint32_t n = (c->nr == SYS_read || c->nr == SYS_pread64) && ret > 0 ?
				     (uint32_t)ret : 0;

		*(uint32_t *)(rr + 1) = n;
		*ret_len = sizeof(*rr) + sizeof(uint32_t) + n;
	} else {
		*ret_len = sizeof(*rr);
	}
	x->served++;
	return 1;
}
