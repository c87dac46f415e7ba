// SPDX-License-Identifier: GPL-2.0-only
#include "measure.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* /proc/stat of a machine with thousands of CPUs still fits */
#define PROC_FILE_MAX (1u << 20)
/* the inode of the initial pid namespace (PROC_PID_INIT_INO) */
#define PID_NS_INIT_INO 0xEFFFFFFCu

/* --- pure parts ------------------------------------------------------ */

uint64_t measure_smooth(uint64_t mean, uint64_t sample, uint32_t slow, uint32_t fast)
{
	if (sample >= mean)
		return (mean * slow + sample * (1000 - slow) + 999) / 1000;
	return (mean * fast + sample * (1000 - fast)) / 1000;
}

uint32_t measure_load(uint64_t mean, uint32_t speed)
{
	uint64_t l;

	if (speed == 0)
		speed = 1;
	l = (mean * 1000 + speed / 2) / speed;
	return l > UINT32_MAX ? UINT32_MAX : (uint32_t)l;
}

uint64_t measure_reserve(uint64_t total_kib)
{
	return total_kib / 20;
}

/* The value after "@key" at the start of a line; -EINVAL if none. */
static int find_key(const char *text, const char *key, uint64_t *ret)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (strncmp(p, key, klen) == 0 && (p[klen] == ' ' || p[klen] == '\t' ||
						   p[klen] == ':')) {
			char *end;
			unsigned long long v;

			p += klen;
			while (*p == ':' || *p == ' ' || *p == '\t')
				p++;
			if (!isdigit((unsigned char)*p))
				return -EINVAL;
			errno = 0;
			v = strtoull(p, &end, 10);
			if (errno)
				return -EINVAL;
			*ret = v;
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -EINVAL;
}

int measure_parse_running(const char *text, uint64_t *ret)
{
	return find_key(text, "procs_running", ret);
}

int measure_parse_meminfo(const char *text, uint64_t *ret_total,
			  uint64_t *ret_avail, uint64_t *ret_free)
{
	uint64_t total, avail, free_kib;

	if (find_key(text, "MemTotal", &total) < 0 || find_key(text, "MemFree", &free_kib) < 0)
		return -EINVAL;
	/* kernels before 3.14 lack MemAvailable: free memory is the floor */
	if (find_key(text, "MemAvailable", &avail) < 0)
		avail = free_kib;
	*ret_total = total;
	*ret_avail = avail > total ? total : avail;
	*ret_free = free_kib > total ? total : free_kib;
	return 0;
}

int measure_parse_swaps(const char *text, uint64_t *ret)
{
	uint64_t in, out;

	if (find_key(text, "pswpin", &in) < 0 || find_key(text, "pswpout", &out) < 0)
		return -EINVAL;
	*ret = in + out;
	return 0;
}

/* "cpu  u n s i w x y z ..." -> busy and total jiffies */
static int cpu_fields(const char *p, uint64_t *busy, uint64_t *total)
{
	uint64_t f[8] = { 0 };
	int n = 0;

	while (n < 8) {
		char *end;

		while (*p == ' ')
			p++;
		if (!isdigit((unsigned char)*p))
			break;
		f[n++] = strtoull(p, &end, 10);
		p = end;
	}
	if (n < 4)
		return -EINVAL;
	/* user nice system idle iowait irq softirq steal */
	*busy = f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
	*total = *busy + f[3] + f[4];
	return 0;
}

int measure_parse_cpu(const char *text, const uint8_t *cpus, size_t ncpus,
		      uint64_t *ret_busy, uint64_t *ret_total)
{
	uint64_t busy = 0, total = 0, b, t;
	const char *p = text;
	bool found = false;

	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, "cpu", 3) != 0)
			continue;
		if (!cpus) {
			if (p[3] != ' ')
				continue;
			if (cpu_fields(p + 3, &b, &t) < 0)
				return -EINVAL;
			*ret_busy = b;
			*ret_total = t;
			return 0;
		}
		if (!isdigit((unsigned char)p[3]))
			continue;
		char *end;
		unsigned long cpu = strtoul(p + 3, &end, 10);

		if (cpu >= ncpus || !(cpus[cpu / 8] & (1u << (cpu % 8))))
			continue;
		if (cpu_fields(end, &b, &t) < 0)
			return -EINVAL;
		busy += b;
		total += t;
		found = true;
	}
	if (!found)
		return -EINVAL;
	*ret_busy = busy;
	*ret_total = total;
	return 0;
}

int measure_parse_pid_stat(const char *text, char *ret_state, uint64_t *ret_ticks)
{
	/* the name may hold spaces and parentheses: fields follow the last ')' */
	const char *p = strrchr(text, ')');
	uint64_t utime = 0, stime = 0;
	char state;

	if (!p || p[1] != ' ' || !p[2])
		return -EINVAL;
	p += 2;
	state = *p;
	/* field 3 is the state; utime and stime are fields 14 and 15 */
	for (int field = 3; field < 15; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -EINVAL;
		p++;
		if (field + 1 == 14 || field + 1 == 15) {
			char *end;
			uint64_t v = strtoull(p, &end, 10);

			if (end == p)
				return -EINVAL;
			if (field + 1 == 14)
				utime = v;
			else
				stime = v;
		}
	}
	*ret_state = state;
	*ret_ticks = utime + stime;
	return 0;
}

/* --- reading /proc --------------------------------------------------- */

/* Read a whole /proc file through a kept descriptor, NUL-terminated. */
static int read_proc(struct measure *m, int fd)
{
	size_t len = 0;

	for (;;) {
		ssize_t got;

		if (len + 1 >= m->buf_size) {
			size_t ns = m->buf_size ? m->buf_size * 2 : 8192;
			char *nb;

			if (ns > PROC_FILE_MAX)
				return -EFBIG;
			nb = realloc(m->buf, ns);
			if (!nb)
				return -ENOMEM;
			m->buf = nb;
			m->buf_size = ns;
		}
		got = pread(fd, m->buf + len, m->buf_size - len - 1, (off_t)len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			break;
		len += (size_t)got;
	}
	m->buf[len] = '\0';
	return 0;
}

static int read_file_at(int dirfd, const char *path, char *buf, size_t size)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0)
		return -errno;
	got = read(fd, buf, size - 1);
	close(fd);
	if (got < 0)
		return -EIO;
	buf[got] = '\0';
	return 0;
}

static enum measure_source probe_source(void)
{
	char link[64];
	ssize_t n = readlink("/proc/self/ns/pid", link, sizeof(link) - 1);
	unsigned long ino;

	if (n <= 0)
		return MEASURE_KERNEL;
	link[n] = '\0';
	if (sscanf(link, "pid:[%lu]", &ino) != 1)
		return MEASURE_KERNEL;
	return ino == PID_NS_INIT_INO ? MEASURE_KERNEL : MEASURE_TASKS;
}

/* Runnable tasks and their CPU ticks in our pid namespace, but us. */
static int scan_tasks(struct measure *m, uint64_t *ret_running, uint64_t *ret_ticks)
{
	uint64_t running = 0, ticks = 0;
	struct dirent *e;
	char buf[1024];
	DIR *dir;

	dir = opendir("/proc");
	if (!dir)
		return -errno;
	while ((e = readdir(dir))) {
		char path[64], state;
		uint64_t t;
		char *end;
		long pid;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		pid = strtol(e->d_name, &end, 10);
		if (*end || pid == m->self)
			continue;
		snprintf(path, sizeof(path), "%ld/stat", pid);
		/* a task that ended meanwhile is simply not counted */
		if (read_file_at(dirfd(dir), path, buf, sizeof(buf)) < 0 ||
		    measure_parse_pid_stat(buf, &state, &t) < 0)
			continue;
		running += state == 'R';
		ticks += t;
	}
	closedir(dir);
	*ret_running = running;
	*ret_ticks = ticks;
	return 0;
}

const char *measure_source_name(const struct measure *m)
{
	return m->source == MEASURE_KERNEL ? "procs_running of /proc/stat"
					   : "tasks of this pid namespace";
}

int measure_init(struct measure *m)
{
	memset(m, 0, sizeof(*m));
	m->stat_fd = m->meminfo_fd = m->vmstat_fd = -1;
	m->self = getpid();
	m->source = probe_source();
	m->stat_fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);
	m->meminfo_fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	m->vmstat_fd = open("/proc/vmstat", O_RDONLY | O_CLOEXEC);
	if (m->stat_fd < 0 || m->meminfo_fd < 0 || m->vmstat_fd < 0) {
		int r = -errno;

		measure_release(m);
		return r;
	}
	return 0;
}

void measure_release(struct measure *m)
{
	if (!m)
		return;
	if (m->stat_fd >= 0)
		close(m->stat_fd);
	if (m->meminfo_fd >= 0)
		close(m->meminfo_fd);
	if (m->vmstat_fd >= 0)
		close(m->vmstat_fd);
	free(m->buf);
	memset(m, 0, sizeof(*m));
	m->stat_fd = m->meminfo_fd = m->vmstat_fd = -1;
}

int measure_sample(struct measure *m, uint32_t slow, uint32_t fast)
{
	uint64_t n, ticks;
	int r;

	if (m->source == MEASURE_TASKS) {
		r = scan_tasks(m, &n, &ticks);
	} else {
		r = read_proc(m, m->stat_fd);
		if (r == 0)
			r = measure_parse_running(m->buf, &n);
		/* procs_running counts us: we are running while we read it */
		if (r == 0 && n > 0)
			n--;
	}
	if (r < 0)
		return r;
	if (!m->have_mean) {
		m->mean = n * 1000;
		m->have_mean = true;
	} else {
		m->mean = measure_smooth(m->mean, n * 1000, slow, fast);
	}
	return 0;
}

static uint64_t monotonic_ticks(void)
{
	long hz = sysconf(_SC_CLK_TCK);
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (hz <= 0)
		hz = 100;
	return (uint64_t)ts.tv_sec * (uint64_t)hz +
	       (uint64_t)ts.tv_nsec / (1000000000ull / (uint64_t)hz);
}

/* CPUs we may run on: a cpuset or taskset shows here */
static unsigned affinity(uint8_t *mask, size_t mask_bytes)
{
	cpu_set_t set;
	unsigned n = 0;

	memset(mask, 0, mask_bytes);
	if (sched_getaffinity(0, sizeof(set), &set) < 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);

		n = c > 0 ? (unsigned)c : 1;
		for (unsigned i = 0; i < n && i < mask_bytes * 8; i++)
			mask[i / 8] |= (uint8_t)(1u << (i % 8));
		return n;
	}
	for (unsigned i = 0; i < CPU_SETSIZE && i < mask_bytes * 8; i++)
		if (CPU_ISSET(i, &set)) {
			mask[i / 8] |= (uint8_t)(1u << (i % 8));
			n++;
		}
	return n ? n : 1;
}

static uint32_t util_of(uint64_t busy, uint64_t total, uint64_t pbusy, uint64_t ptotal)
{
	uint64_t db, dt;

	if (total <= ptotal)
		return 0;
	dt = total - ptotal;
	db = busy > pbusy ? busy - pbusy : 0;
	if (db > dt)
		db = dt;
	return (uint32_t)(db * 1000 / dt);
}

int measure_vector(struct measure *m, uint32_t speed, struct gossip_vec *v)
{
	uint8_t mask[CPU_SETSIZE / 8];
	uint64_t total, avail, free_kib, busy, all, swaps;
	unsigned cpus = affinity(mask, sizeof(mask));
	int r;

	v->cpus = cpus > UINT16_MAX ? UINT16_MAX : (uint16_t)cpus;
	v->load = measure_load(m->mean, speed);

	r = read_proc(m, m->meminfo_fd);
	if (r == 0)
		r = measure_parse_meminfo(m->buf, &total, &avail, &free_kib);
	if (r < 0)
		return r;
	v->tmem = total / 4;
	avail = avail > measure_reserve(total) ? avail - measure_reserve(total) : 0;
	v->mem = avail / 4;
	v->rmem = free_kib / 4;

	if (m->source == MEASURE_TASKS) {
		uint64_t running;

		r = scan_tasks(m, &running, &busy);
		all = monotonic_ticks() * cpus;
	} else {
		r = read_proc(m, m->stat_fd);
		if (r == 0)
			r = measure_parse_cpu(m->buf, mask, sizeof(mask) * 8, &busy, &all);
	}
	if (r < 0)
		return r;
	v->util = m->total ? util_of(busy, all, m->busy, m->total) : 0;
	m->busy = busy;
	m->total = all;

	v->flags &= (uint16_t)~GV_SWAPPING;
	/* no swap statistics (no swap support): never swapping */
	if (read_proc(m, m->vmstat_fd) == 0 && measure_parse_swaps(m->buf, &swaps) == 0) {
		if (m->have_swaps && swaps != m->swaps)
			v->flags |= GV_SWAPPING;
		m->swaps = swaps;
		m->have_swaps = true;
	}
	return 0;
}
