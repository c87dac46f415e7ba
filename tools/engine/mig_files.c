// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "engine/mig_dump.h"
#include "engine/mig_files.h"
#include "engine/mig_fs.h"

#define HASH_CHUNK (256u << 10)
#define CACHE_MAGIC 0x31687366736f6d00ull	/* "\0mosfsh1" */

/* A cache entry, named after the inode: what it was hashed as. */
struct cache_ent {
	uint64_t magic;
	uint64_t dev, ino, size;
	int64_t mtime_s, mtime_ns, ctime_s, ctime_ns;
	uint8_t hash[32];
};

void mig_files_cache_dir(const char *run_dir, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/files", run_dir);
}

bool mig_files_shareable(const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_uid == 0 && !(st->st_mode & (S_IWGRP | S_IWOTH)) &&
	       (st->st_mode & S_IROTH) && st->st_size > 0;
}

bool mig_files_has(const struct mig_have *have, uint32_t i)
{
	return i < MIG_MAX_FILES && (have->bits[i / 64] >> (i % 64)) & 1;
}

static void cache_key(const struct stat *st, struct cache_ent *c)
{
	memset(c, 0, sizeof(*c));
	c->magic = CACHE_MAGIC;
	c->dev = st->st_dev;
	c->ino = st->st_ino;
	c->size = (uint64_t)st->st_size;
	c->mtime_s = st->st_mtim.tv_sec;
	c->mtime_ns = st->st_mtim.tv_nsec;
	c->ctime_s = st->st_ctim.tv_sec;
	c->ctime_ns = st->st_ctim.tv_nsec;
}

static int hash_fd(int fd, uint64_t size, uint8_t *ret_hash)
{
	crypto_generichash_state s;
	uint8_t *buf = malloc(HASH_CHUNK);
	uint64_t off = 0;
	int r = 0;

	if (!buf)
		return -ENOMEM;
	crypto_generichash_init(&s, NULL, 0, 32);
	while (off < size) {
		size_t want = size - off < HASH_CHUNK ? (size_t)(size - off) : HASH_CHUNK;
		ssize_t got = pread(fd, buf, want, (off_t)off);

		if (got <= 0) {
			/* shorter than it said: changed while we read */
			r = got < 0 ? -errno : -ESTALE;
			goto out_free;
		}
		crypto_generichash_update(&s, buf, (size_t)got);
		off += (uint64_t)got;
	}
	crypto_generichash_final(&s, ret_hash, 32);
out_free:
	free(buf);
	return r;
}

int mig_files_hash(const char *cache_dir, int fd, const struct stat *st, uint8_t ret_hash[32],
		   uint64_t *hashed)
{
	char path[4096], tmp[4200];
	struct cache_ent want, got;
	struct stat after;
	int cfd, r;

	cache_key(st, &want);
	if (snprintf(path, sizeof(path), "%s/%llx-%llu", cache_dir, (unsigned long long)want.dev,
		     (unsigned long long)want.ino) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	cfd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (cfd >= 0) {
		ssize_t n = read(cfd, &got, sizeof(got));

		close(cfd);
		if (n == (ssize_t)sizeof(got) &&
		    !memcmp(&got, &want, offsetof(struct cache_ent, hash))) {
			memcpy(ret_hash, got.hash, 32);
			return 0;
		}
	}
	r = hash_fd(fd, want.size, want.hash);
	if (r)
		return r;
	if (hashed)
		*hashed += want.size;
	/* changed while it was read: the bytes hashed may be neither */
	if (fstat(fd, &after) || after.st_size != st->st_size ||
	    after.st_mtim.tv_sec != st->st_mtim.tv_sec ||
	    after.st_mtim.tv_nsec != st->st_mtim.tv_nsec ||
	    after.st_ctim.tv_sec != st->st_ctim.tv_sec ||
	    after.st_ctim.tv_nsec != st->st_ctim.tv_nsec)
		return -ESTALE;
	memcpy(ret_hash, want.hash, 32);
	/* the cache only saves time: a failure to keep the entry is no error */
	if (mkdir(cache_dir, 0700) && errno != EEXIST)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	cfd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (cfd < 0)
		return 0;
	if (write(cfd, &want, sizeof(want)) != (ssize_t)sizeof(want) || close(cfd) ||
	    rename(tmp, path))
		unlink(tmp);
	return 0;
}

int mig_files_open(const char *path, int nofollow, struct stat *ret_st)
{
	int pfd = open(path, O_PATH | O_CLOEXEC | nofollow), fd = -1;
	struct statfs fs;

	if (pfd < 0)
		return -1;
	/* not /proc's files of root's, which a peer could name to keep us reading */
	if (!fstat(pfd, ret_st) && mig_files_shareable(ret_st) && !fstatfs(pfd, &fs) &&
	    mig_fs_plain(fs.f_type)) {
		char self[64];

		snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
		fd = open(self, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	}
	close(pfd);
	return fd;
}

/* Where a maps line's file lives: its device (major:minor, hex) and inode. */
struct seen {
	dev_t dev;
	ino_t ino;
	int32_t idx;		/* index in files, or -1: not shareable */
};

/*
 * The file of one VMA, opened by /proc/PID/map_files (the very inode it
 * maps, whatever its path says now), else by its path, checked against
 * the inode maps names. Its entry added, hashed unless @cache_dir is
 * NULL; -1 when it cannot be.
 */
static int32_t add_file(pid_t pid, const char *cache_dir, unsigned long long s,
			unsigned long long e, dev_t dev, ino_t ino, const char *name,
			struct mig_file *files, uint32_t *count, uint64_t *hashed)
{
	struct mig_file *f = &files[*count];
	char mf[96];
	struct stat st;
	int fd;

	if (*count == MIG_MAX_FILES || strlen(name) >= sizeof(f->path))
		return -1;
	snprintf(mf, sizeof(mf), "/proc/%d/map_files/%llx-%llx", (int)pid, s, e);
	fd = mig_files_open(mf, 0, &st);
	if (fd < 0)
		fd = mig_files_open(name, O_NOFOLLOW, &st);
	if (fd < 0)
		return -1;
	/* the inode maps names, so also the bytes the process sees */
	memset(f->hash, 0, sizeof(f->hash));
	if (st.st_dev != dev || st.st_ino != ino ||
	    (cache_dir && mig_files_hash(cache_dir, fd, &st, f->hash, hashed))) {
		close(fd);
		return -1;
	}
	close(fd);
	f->size = (uint64_t)st.st_size;
	memset(f->path, 0, sizeof(f->path));
	memcpy(f->path, name, strlen(name));
	return (int32_t)(*count)++;
}

/* One line of /proc/PID/maps that names a file by path: its fields. */
struct maps_line {
	unsigned long long s, e, off;
	dev_t dev;
	ino_t ino;
	const char *name;
};

static bool parse_maps_line(char *line, char *name, struct maps_line *m)
{
	unsigned long long ino;
	unsigned int maj, min;
	char *nm = name;
	size_t len;

	*name = 0;
	if (sscanf(line, "%llx-%llx %*s %llx %x:%x %llu %4095[^\n]", &m->s, &m->e, &m->off, &maj,
		   &min, &ino, name) < 7 || !ino)
		return false;
	while (*nm == ' ')
		nm++;
	len = strlen(nm);
	if (*nm != '/' || (len > 10 && !strcmp(nm + len - 10, " (deleted)")))
		return false;
	m->dev = makedev(maj, min);
	m->ino = (ino_t)ino;
	m->name = nm;
	return true;
}

/* The entry of @m's file: seen before, or added now; -1 when it cannot be. */
static int32_t file_of(pid_t pid, const char *cache_dir, const struct maps_line *m,
		       struct seen *seen, uint32_t *nseen, struct mig_file *files, uint32_t *count,
		       uint64_t *hashed)
{
	int32_t idx;

	for (uint32_t k = 0; k < *nseen; k++)
		if (seen[k].dev == m->dev && seen[k].ino == m->ino)
			return seen[k].idx;
	idx = add_file(pid, cache_dir, m->s, m->e, m->dev, m->ino, m->name, files, count, hashed);
	if (*nseen < MIG_MAX_FILES * 2)
		seen[(*nseen)++] = (struct seen){ m->dev, m->ino, idx };
	return idx;
}

/*
 * The file entries of @pid's file mappings: of those VMAs of @v (in
 * address order) that map a file, or with @v NULL of every mapping.
 */
static int walk_maps(pid_t pid, const char *cache_dir, struct mig_vma *v, uint32_t n,
		     struct mig_file *files, uint32_t *ret_count, uint64_t *hashed)
{
	struct seen seen[MIG_MAX_FILES * 2];
	uint32_t nseen = 0, count = 0, i = 0;
	char path[64], line[4352], name[4096];
	struct maps_line m;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		int32_t idx;

		if (!parse_maps_line(line, name, &m))
			continue;
		if (!v) {
			file_of(pid, cache_dir, &m, seen, &nseen, files, &count, hashed);
			continue;
		}
		while (i < n && v[i].start < m.s)
			i++;
		if (i == n)
			break;
		if (v[i].start != m.s || v[i].end != m.e || v[i].kind != MIG_VK_FILE)
			continue;
		idx = file_of(pid, cache_dir, &m, seen, &nseen, files, &count, hashed);
		if (idx < 0)
			continue;
		v[i].file = (uint32_t)idx + 1;
		v[i].off = m.off;
	}
	fclose(f);
	*ret_count = count;
	return 0;
}

int mig_files_collect(pid_t pid, const char *cache_dir, struct mig_vma *v, uint32_t n,
		      struct mig_file *files, uint32_t *ret_count, uint64_t *hashed)
{
	return walk_maps(pid, cache_dir, v, n, files, ret_count, hashed);
}

int mig_files_list(pid_t pid, const char *cache_dir, struct mig_file *files,
		   uint32_t *ret_count, uint64_t *hashed)
{
	return walk_maps(pid, cache_dir, NULL, 0, files, ret_count, hashed);
}

int mig_files_open_same(const char *cache_dir, const char *path, const struct mig_file *f,
			struct stat *ret_st, uint64_t *hashed)
{
	uint8_t hash[32];
	int fd = mig_files_open(path, O_NOFOLLOW, ret_st);

	if (fd < 0)
		return -1;
	if ((uint64_t)ret_st->st_size != f->size ||
	    mig_files_hash(cache_dir, fd, ret_st, hash, hashed) ||
	    sodium_memcmp(hash, f->hash, sizeof(hash))) {
		close(fd);
		return -1;
	}
	return fd;
}

void mig_files_match(const char *cache_dir, const struct mig_file *files, uint32_t n,
		     int *ret_fds, struct mig_have *ret_have, uint64_t *hashed)
{
	memset(ret_have, 0, sizeof(*ret_have));
	for (uint32_t i = 0; i < n && i < MIG_MAX_FILES; i++) {
		struct stat st;

		ret_fds[i] = mig_files_open_same(cache_dir, files[i].path, &files[i], &st, hashed);
		if (ret_fds[i] >= 0)
			ret_have->bits[i / 64] |= 1ull << (i % 64);
	}
}

void mig_files_close(int *fds, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

int mig_files_settle(pid_t pid, struct mig_vma *v, uint32_t n, const struct mig_have *have,
		     const struct mig_pagebits *pb)
{
	for (uint32_t i = 0; i < n; i++)
		if (v[i].file && !mig_files_has(have, v[i].file - 1))
			v[i].file = 0;
	return mig_dump_count(pid, v, n, pb);
}
