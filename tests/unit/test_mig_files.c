// SPDX-License-Identifier: GPL-2.0-only
/*
 * The files home and node both have (engine/mig_files): which files take
 * part, their BLAKE2b-256 and its cache, the node's match against its own
 * copies, and home's table of the files this very process maps.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include <linux/magic.h>

#include "engine/mig_files.h"
#include "engine/mig_fs.h"

struct fixture {
	char dir[64];		/* a file and the cache, under it */
	char cache[96];
	char file[96];
};

static void put(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/mig-files.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->cache, sizeof(f->cache), "%s/cache", f->dir);
	snprintf(f->file, sizeof(f->file), "%s/lib.so", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd))
		return -1;
	free(f);
	return 0;
}

/* BLAKE2b-256 of @text, as the file's would be */
static void blake(const char *text, uint8_t *out)
{
	crypto_generichash(out, 32, (const uint8_t *)text, strlen(text), NULL, 0);
}

static int hash_of(const struct fixture *f, uint8_t *out)
{
	struct stat st;
	int fd = open(f->file, O_RDONLY | O_CLOEXEC), r;

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	r = mig_files_hash(f->cache, fd, &st, out, NULL);
	close(fd);
	return r;
}

static void test_shareable(void **state)
{
	struct stat st = { .st_mode = S_IFREG | 0644, .st_uid = 0, .st_size = 10 };

	(void)state;
	assert_true(mig_files_shareable(&st));
	st.st_mode = S_IFREG | 0755;
	assert_true(mig_files_shareable(&st));
	st.st_mode = S_IFREG | 0664;		/* the group may write it */
	assert_false(mig_files_shareable(&st));
	st.st_mode = S_IFREG | 0646;		/* anyone may */
	assert_false(mig_files_shareable(&st));
	st.st_mode = S_IFREG | 0640;		/* not everyone may read it */
	assert_false(mig_files_shareable(&st));
	st.st_mode = S_IFREG | 0600;
	assert_false(mig_files_shareable(&st));
	st.st_mode = S_IFREG | 0711;		/* run, not read: a setuid program's way */
	assert_false(mig_files_shareable(&st));
	st.st_mode = S_IFREG | 0444;
	assert_true(mig_files_shareable(&st));
	st.st_mode = S_IFREG | 0644;
	st.st_uid = 1000;			/* a user's own */
	assert_false(mig_files_shareable(&st));
	st.st_uid = 0;
	st.st_size = 0;
	assert_false(mig_files_shareable(&st));
	st.st_size = 10;
	st.st_mode = S_IFCHR | 0644;
	assert_false(mig_files_shareable(&st));
}

/*
 * Only files of plain file systems: sysfs has root's 0644 files that say
 * 4096 bytes, made as they are read; /proc/kcore says 128 TiB.
 */
static void test_plain_fs(void **state)
{
	struct fixture *f = *state;
	const char *sysfs = "/sys/kernel/mm/transparent_hugepage/enabled";
	struct stat st;
	int fd;

	assert_true(mig_fs_plain(EXT4_SUPER_MAGIC));
	assert_true(mig_fs_plain(TMPFS_MAGIC));
	assert_false(mig_fs_plain(PROC_SUPER_MAGIC));
	assert_false(mig_fs_plain(SYSFS_MAGIC));
	assert_false(mig_fs_plain(FUSE_SUPER_MAGIC));
	put(f->file, "a library", 0644);
	fd = mig_files_open(f->file, O_NOFOLLOW, &st);
	assert_true(fd >= 0);
	close(fd);
	/* shareable by owner and mode, yet not opened */
	if (stat(sysfs, &st) == 0 && mig_files_shareable(&st))
		assert_int_equal(mig_files_open(sysfs, O_NOFOLLOW, &st), -1);
}

static void test_hash_and_cache(void **state)
{
	struct fixture *f = *state;
	uint8_t want[32], got[32];
	struct stat st;
	char entry[256];

	put(f->file, "the bytes of a library", 0644);
	blake("the bytes of a library", want);
	assert_int_equal(hash_of(f, got), 0);
	assert_memory_equal(got, want, 32);
	/* kept in the cache, under the inode */
	assert_int_equal(stat(f->file, &st), 0);
	snprintf(entry, sizeof(entry), "%s/%llx-%llu", f->cache, (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	assert_int_equal(access(entry, F_OK), 0);
	/* read from there: a changed entry shows (same length, times) */
	{
		int fd = open(entry, O_RDWR | O_CLOEXEC);
		off_t at = lseek(fd, -32, SEEK_END);
		uint8_t x = 0x5a;

		assert_true(fd >= 0 && at > 0);
		assert_int_equal(pwrite(fd, &x, 1, at), 1);
		close(fd);
	}
	assert_int_equal(hash_of(f, got), 0);
	assert_int_equal(got[0], 0x5a);
	/* rewritten in place: new times, so hashed again, not the entry */
	usleep(10000);
	put(f->file, "THE BYTES OF A LIBRARY", 0644);
	blake("THE BYTES OF A LIBRARY", want);
	assert_int_equal(hash_of(f, got), 0);
	assert_memory_equal(got, want, 32);
	/* without a cache it still answers */
	snprintf(f->cache, sizeof(f->cache), "%s/no/such/dir", f->dir);
	assert_int_equal(hash_of(f, got), 0);
	assert_memory_equal(got, want, 32);
}

static void test_match(void **state)
{
	struct fixture *f = *state;
	struct mig_file files[4] = { 0 };
	struct mig_have have;
	uint64_t hashed = 0;
	int fds[4];
	char other[128];

	put(f->file, "libc of this node", 0644);
	snprintf(other, sizeof(other), "%s/writable.so", f->dir);
	put(other, "libc of this node", 0666);
	for (int i = 0; i < 4; i++) {
		files[i].size = strlen("libc of this node");
		blake("libc of this node", files[i].hash);
		snprintf(files[i].path, sizeof(files[i].path), "%s", f->file);
	}
	files[1].hash[7] ^= 1;				/* other bytes */
	files[2].size++;				/* another length */
	snprintf(files[3].path, sizeof(files[3].path), "%s", other);	/* not root's alone */
	mig_files_match(f->cache, files, 4, fds, &have, &hashed);
	/* read once: the three others are cached, or not read at all */
	assert_int_equal(hashed, strlen("libc of this node"));
	assert_true(fds[0] >= 0);
	assert_true(mig_files_has(&have, 0));
	for (int i = 1; i < 4; i++) {
		assert_int_equal(fds[i], -1);
		assert_false(mig_files_has(&have, (uint32_t)i));
	}
	/* the fd is the node's copy, readable */
	{
		char buf[8] = "";

		assert_int_equal(pread(fds[0], buf, 4, 0), 4);
		assert_memory_equal(buf, "libc", 4);
	}
	mig_files_close(fds, 4);
	assert_int_equal(fds[0], -1);
	hashed = 0;
	mig_files_match(f->cache, files, 4, fds, &have, &hashed);
	assert_int_equal(hashed, 0);
	assert_true(mig_files_has(&have, 0));
	mig_files_close(fds, 4);
	/* a FIFO of root's: never opened for real (it would wait for a writer) */
	snprintf(files[0].path, sizeof(files[0].path), "%s/fifo", f->dir);
	assert_int_equal(mkfifo(files[0].path, 0644), 0);
	mig_files_match(f->cache, files, 1, fds, &have, NULL);
	assert_int_equal(fds[0], -1);
	assert_false(mig_files_has(&have, 0));
	/* a missing file, and one bit past the table */
	snprintf(files[0].path, sizeof(files[0].path), "%s/gone.so", f->dir);
	mig_files_match(f->cache, files, 1, fds, &have, NULL);
	assert_int_equal(fds[0], -1);
	assert_false(mig_files_has(&have, 0));
	assert_false(mig_files_has(&have, MIG_MAX_FILES));
}

/*
 * @f's file with @text (0644, shareable) and OTHER beside it with the same
 * bytes (0646: anyone may write it), both open read-only.
 */
static void two_files(const struct fixture *f, const char *text, char *other, size_t cap,
		      int *ret_fd, int *ret_fd2)
{
	put(f->file, text, 0644);
	snprintf(other, cap, "%s/shared.so", f->dir);
	put(other, text, 0646);
	*ret_fd = open(f->file, O_RDONLY | O_CLOEXEC);
	*ret_fd2 = open(other, O_RDONLY | O_CLOEXEC);
	assert_true(*ret_fd >= 0 && *ret_fd2 >= 0);
}

/*
 * Home's side on this very process: a shareable file it maps privately
 * gets an entry (hash of its bytes, its path) and its VMA the entry and
 * the offset; a second mapping of the same file shares the entry; a file
 * others may write gets none. Settled against a HAVE without it, every
 * page goes again.
 */
static void test_collect(void **state)
{
	struct fixture *f = *state;
	struct mig_file files[MIG_MAX_FILES];
	char text[3 * 4096], other[128];
	struct mig_vma v[3] = { 0 };
	struct mig_have have = { 0 };
	uint8_t want[32];
	uint32_t n = 0;
	int fd, fd2;
	void *a, *b, *c;

	memset(text, 'm', sizeof(text));
	text[sizeof(text) - 1] = 0;
	two_files(f, text, other, sizeof(other), &fd, &fd2);
	a = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 4096);
	b = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	c = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd2, 0);
	assert_true(a != MAP_FAILED && b != MAP_FAILED && c != MAP_FAILED);
	((char *)b)[4096] = 'x';	/* one page of b is its own now */
	v[0] = (struct mig_vma){ (uintptr_t)a, (uintptr_t)a + 4096, 1, MIG_VK_FILE, 1, 0, 0, 0 };
	v[1] = (struct mig_vma){ (uintptr_t)b, (uintptr_t)b + 8192, 3, MIG_VK_FILE, 2, 0, 0, 0 };
	v[2] = (struct mig_vma){ (uintptr_t)c, (uintptr_t)c + 4096, 1, MIG_VK_FILE, 1, 0, 0, 0 };
	/* in address order, as mig_dump_vmas gives them */
	for (int i = 0; i < 3; i++)
		for (int k = i + 1; k < 3; k++)
			if (v[k].start < v[i].start) {
				struct mig_vma t = v[i];

				v[i] = v[k];
				v[k] = t;
			}
	assert_int_equal(mig_files_collect(getpid(), f->cache, v, 3, files, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_string_equal(files[0].path, f->file);
	assert_int_equal(files[0].size, sizeof(text) - 1);
	blake(text, want);
	assert_memory_equal(files[0].hash, want, 32);
	for (int i = 0; i < 3; i++) {
		if (v[i].start == (uintptr_t)c) {
			assert_int_equal(v[i].file, 0);
			continue;
		}
		assert_int_equal(v[i].file, 1);
		assert_int_equal(v[i].off, v[i].start == (uintptr_t)a ? 4096 : 0);
	}
	/* the node has it: only b's own page goes (and c's, all of it) */
	have.bits[0] = 1;
	assert_int_equal(mig_files_settle(getpid(), v, 3, &have, NULL), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(v[i].pages, v[i].start == (uintptr_t)b ? 1 :
					     v[i].start == (uintptr_t)a ? 0 : 1);
	/* it does not: every page, as without files */
	have.bits[0] = 0;
	assert_int_equal(mig_files_settle(getpid(), v, 3, &have, NULL), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(v[i].file, 0);
		assert_int_equal(v[i].pages, (v[i].end - v[i].start) / 4096);
	}
	munmap(a, 4096);
	munmap(b, 8192);
	munmap(c, 4096);
	close(fd);
	close(fd2);
}

/*
 * Before the stop (WARM): every shareable file this process maps, once
 * each, however many times it is mapped; unhashed for the node, then
 * hashed into the cache; the next listing finds every hash there and
 * reads no file.
 */
static void test_list(void **state)
{
	struct fixture *f = *state;
	struct mig_file files[MIG_MAX_FILES];
	char text[2 * 4096], other[128];
	uint64_t hashed = 0;
	uint32_t n = 0, mine = 0;
	uint8_t want[32];
	int fd, fd2;
	void *a, *b, *c;

	memset(text, 'w', sizeof(text));
	text[sizeof(text) - 1] = 0;
	two_files(f, text, other, sizeof(other), &fd, &fd2);
	a = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	b = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 4096);
	c = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd2, 0);
	assert_true(a != MAP_FAILED && b != MAP_FAILED && c != MAP_FAILED);
	/* the list for the node: the same files, nothing hashed, zero hashes */
	memset(want, 0, sizeof(want));
	assert_int_equal(mig_files_list(getpid(), NULL, files, &n, &hashed), 0);
	assert_int_equal(hashed, 0);
	for (uint32_t i = 0; i < n; i++) {
		assert_string_not_equal(files[i].path, other);
		assert_memory_equal(files[i].hash, want, 32);
		if (strcmp(files[i].path, f->file))
			continue;
		mine++;
		assert_int_equal(files[i].size, sizeof(text) - 1);
	}
	assert_int_equal(mine, 1);
	mine = 0;
	assert_int_equal(mig_files_list(getpid(), f->cache, files, &n, &hashed), 0);
	blake(text, want);
	for (uint32_t i = 0; i < n; i++) {
		assert_string_not_equal(files[i].path, other);
		if (strcmp(files[i].path, f->file))
			continue;
		mine++;
		assert_int_equal(files[i].size, sizeof(text) - 1);
		assert_memory_equal(files[i].hash, want, 32);
	}
	assert_int_equal(mine, 1);
	/* this file at least was read; the cache is new */
	assert_true(hashed >= sizeof(text) - 1);
	hashed = 0;
	assert_int_equal(mig_files_list(getpid(), f->cache, files, &n, &hashed), 0);
	assert_int_equal(hashed, 0);
	munmap(a, 4096);
	munmap(b, 4096);
	munmap(c, 4096);
	close(fd);
	close(fd2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shareable),
		cmocka_unit_test_setup_teardown(test_plain_fs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hash_and_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match, setup, teardown),
		cmocka_unit_test_setup_teardown(test_collect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
