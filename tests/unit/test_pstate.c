// SPDX-License-Identifier: GPL-2.0-only
/* The per-process MOSIX state files and the guest records (mig_pstate). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/mig_pstate.h"

struct fixture {
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/mosix-test-pstate.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static void expect_file(const char *dir, const char *name, const char *text,
			mode_t mode)
{
	char path[256], buf[64] = "";
	struct stat st;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	assert_string_equal(buf, text);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, mode);
}

static void test_defaults(void **state)
{
	struct fixture *f = *state;
	struct mig_pstate s = { .where = 9, .nmigs = 9, .lock = true };

	/* neither run/proc nor run/proc/PID: here, 0, unlocked */
	assert_int_equal(mig_pstate_read(f->dir, 1234, &s), 0);
	assert_int_equal(s.where, 0);
	assert_int_equal(s.nmigs, 0);
	assert_false(s.lock);
	assert_int_equal(mig_pstate_read(f->dir, 0, &s), -EINVAL);
	assert_int_equal(mig_pstate_read(f->dir, -5, &s), -EINVAL);
}

static void test_write_read(void **state)
{
	struct fixture *f = *state;
	struct mig_pstate in = { .where = 7, .nmigs = 3, .lock = true }, out;
	char dir[128], text[32];
	struct stat st;
	uid_t uid;

	assert_int_equal(mig_pstate_write(f->dir, 4321, &in), 0);
	snprintf(dir, sizeof(dir), "%s/proc/4321", f->dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	expect_file(dir, "where", "7\n", 0644);
	expect_file(dir, "nmigs", "3\n", 0644);
	expect_file(dir, "lock", "1\n", 0644);
	assert_int_equal(mig_pstate_read(f->dir, 4321, &out), 0);
	assert_int_equal(out.where, 7);
	assert_int_equal(out.nmigs, 3);
	assert_true(out.lock);
	/* where as a request: its text and its writer */
	assert_int_equal(mig_pstate_read_where(f->dir, 4321, text, sizeof(text), &uid), 0);
	assert_string_equal(text, "7");
	assert_int_equal(uid, geteuid());
	assert_int_equal(mig_pstate_read_where(f->dir, 1234, text, sizeof(text), &uid), -ENOENT);

	/* back home, unlocked: replaced, not appended */
	in = (struct mig_pstate){ .where = 0, .nmigs = 4, .lock = false };
	assert_int_equal(mig_pstate_write(f->dir, 4321, &in), 0);
	expect_file(dir, "where", "here\n", 0644);
	expect_file(dir, "lock", "0\n", 0644);
	assert_int_equal(mig_pstate_read(f->dir, 4321, &out), 0);
	assert_int_equal(out.where, 0);
	assert_int_equal(out.nmigs, 4);
	assert_false(out.lock);

	in.where = 65536;
	assert_int_equal(mig_pstate_write(f->dir, 4321, &in), -EINVAL);
	in.where = 65535;
	assert_int_equal(mig_pstate_write(f->dir, 4321, &in), 0);
	assert_int_equal(mig_pstate_read(f->dir, 4321, &out), 0);
	assert_int_equal(out.where, 65535);
}

/* how many entries of @dir there are, . and .. aside */
static int entries(const char *dir)
{
	struct dirent *e;
	int n = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/*
 * A move's state aside: nothing a reader sees changes until the commit,
 * which puts both in place and leaves lock as it was; a drop leaves no
 * file behind.
 */
static void test_aside(void **state)
{
	struct fixture *f = *state;
	struct mig_pstate in = { .where = 0, .nmigs = 2, .lock = true }, out;
	struct mig_pstate_aside a;
	uint64_t n;
	char dir[128];

	assert_int_equal(mig_pstate_write(f->dir, 4321, &in), 0);
	snprintf(dir, sizeof(dir), "%s/proc/4321", f->dir);
	assert_int_equal(entries(dir), 3);	/* nmigs, lock, where */
	assert_int_equal(mig_pstate_aside_move(f->dir, 4321, 5, 3, &a), 0);
	assert_int_equal(mig_pstate_read(f->dir, 4321, &out), 0);
	assert_int_equal(out.where, 0);
	assert_int_equal(out.nmigs, 2);
	mig_pstate_aside_drop(&a);
	assert_int_equal(entries(dir), 3);
	assert_int_equal(mig_pstate_read(f->dir, 4321, &out), 0);
	assert_int_equal(out.where, 0);
	mig_pstate_aside_drop(&a);	/* twice: nothing */

	assert_int_equal(mig_pstate_aside_move(f->dir, 4321, 5, 3, &a), 0);
	assert_int_equal(mig_pstate_aside_commit(&a), 0);
	expect_file(dir, "where", "5\n", 0644);
	expect_file(dir, "nmigs", "3\n", 0644);
	assert_int_equal(mig_pstate_read(f->dir, 4321, &out), 0);
	assert_true(out.lock);
	assert_int_equal(entries(dir), 3);
	assert_int_equal(mig_pstate_aside_commit(&a), -EBADF);	/* empty */

	/* home: the calls served away go at the commit */
	assert_int_equal(mig_pstate_write_calls(f->dir, 4321, 9), 0);
	assert_int_equal(mig_pstate_aside_move(f->dir, 4321, 0, 4, &a), 0);
	assert_int_equal(mig_pstate_read_calls(f->dir, 4321, &n), 0);
	assert_int_equal(mig_pstate_aside_commit(&a), 0);
	expect_file(dir, "where", "here\n", 0644);
	assert_int_equal(mig_pstate_read_calls(f->dir, 4321, &n), -ENOENT);

	/* a new entry, and a node id out of range */
	assert_int_equal(mig_pstate_aside_move(f->dir, 777, 65536, 1, &a), -EINVAL);
	assert_int_equal(mig_pstate_aside_move(f->dir, 777, 2, 1, &a), 0);
	assert_int_equal(mig_pstate_aside_commit(&a), 0);
	assert_int_equal(mig_pstate_read(f->dir, 777, &out), 0);
	assert_int_equal(out.where, 2);
	assert_int_equal(out.nmigs, 1);
	assert_false(out.lock);
}

/* The count of calls served away: written whole, read back, checked. */
static void test_calls(void **state)
{
	struct fixture *f = *state;
	struct mig_pstate in = { .where = 2, .nmigs = 1 };
	uint64_t n = 77;
	char dir[128];

	/* no file: no count */
	assert_int_equal(mig_pstate_read_calls(f->dir, 4321, &n), -ENOENT);
	assert_int_equal(n, 77);
	assert_int_equal(mig_pstate_write(f->dir, 4321, &in), 0);
	assert_int_equal(mig_pstate_write_calls(f->dir, 4321, 18446744073709551615ull), 0);
	snprintf(dir, sizeof(dir), "%s/proc/4321", f->dir);
	expect_file(dir, "calls", "18446744073709551615\n", 0644);
	assert_int_equal(mig_pstate_read_calls(f->dir, 4321, &n), 0);
	assert_true(n == 18446744073709551615ull);
	assert_int_equal(mig_pstate_write_calls(f->dir, 4321, 12), 0);
	expect_file(dir, "calls", "12\n", 0644);
	assert_int_equal(mig_pstate_read_calls(f->dir, 4321, &n), 0);
	assert_int_equal(n, 12);
	/* what no count is: untouched */
	put(dir, "calls", "-1\n");
	assert_int_equal(mig_pstate_read_calls(f->dir, 4321, &n), -EINVAL);
	put(dir, "calls", "18446744073709551616\n");
	assert_int_equal(mig_pstate_read_calls(f->dir, 4321, &n), -EINVAL);
	put(dir, "calls", "12 x\n");
	assert_int_equal(mig_pstate_read_calls(f->dir, 4321, &n), -EINVAL);
	put(dir, "calls", "");
	assert_int_equal(mig_pstate_read_calls(f->dir, 4321, &n), -EINVAL);
	assert_int_equal(n, 12);
	/* home again: gone */
	in.where = 0;
	assert_int_equal(mig_pstate_write(f->dir, 4321, &in), 0);
	assert_int_equal(mig_pstate_read_calls(f->dir, 4321, &n), -ENOENT);
	/* no directory (the process never moved): nowhere to write */
	assert_int_equal(mig_pstate_write_calls(f->dir, 999, 1), -ENOENT);
}

/*
 * RUN/proc is open to all, like /tmp: an entry may be a user's symbolic
 * link to a directory of root's. Removing and writing the entry deal
 * with the link, never with what it points to.
 */
static void test_linked_entry(void **state)
{
	struct fixture *f = *state;
	struct mig_pstate in = { .where = 2, .nmigs = 1 }, out;
	char target[128], link[128], path[192];
	struct stat st;

	snprintf(target, sizeof(target), "%s/precious", f->dir);
	assert_int_equal(mkdir(target, 0755), 0);
	put(target, "where", "3\n");
	put(target, "keep", "x\n");
	snprintf(path, sizeof(path), "%s/proc", f->dir);
	assert_int_equal(mkdir(path, 01777), 0);
	snprintf(link, sizeof(link), "%s/proc/99999", f->dir);
	assert_int_equal(symlink(target, link), 0);
	/* reading through it: no state of root's */
	assert_int_equal(mig_pstate_read(f->dir, 99999, &out), -EINVAL);
	/* removing: the link goes, what it points to stays */
	assert_int_equal(mig_pstate_remove(f->dir, 99999), 0);
	assert_int_equal(lstat(link, &st), -1);
	snprintf(path, sizeof(path), "%s/keep", target);
	assert_int_equal(stat(path, &st), 0);
	/* writing: a directory of our own in its place */
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(mig_pstate_write(f->dir, 99999, &in), 0);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	expect_file(link, "where", "2\n", 0644);
	expect_file(target, "where", "3\n", 0644);
	snprintf(path, sizeof(path), "%s/nmigs", target);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(mig_pstate_write_calls(f->dir, 99999, 5), 0);
	snprintf(path, sizeof(path), "%s/calls", target);
	assert_int_equal(stat(path, &st), -1);
}

/* A state file that is a FIFO (its user may make one) blocks nobody. */
static void test_fifo(void **state)
{
	struct fixture *f = *state;
	struct mig_pstate out;
	char dir[128], path[192], buf[32];
	uint64_t n;
	uid_t uid;

	snprintf(dir, sizeof(dir), "%s/proc", f->dir);
	assert_int_equal(mkdir(dir, 01777), 0);
	snprintf(dir, sizeof(dir), "%s/proc/4321", f->dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/where", dir);
	assert_int_equal(mkfifo(path, 0644), 0);
	snprintf(path, sizeof(path), "%s/calls", dir);
	assert_int_equal(mkfifo(path, 0644), 0);
	alarm(10);	/* a hang is the failure */
	assert_int_equal(mig_pstate_read(f->dir, 4321, &out), -EINVAL);
	assert_int_equal(mig_pstate_read_calls(f->dir, 4321, &n), -EINVAL);
	assert_int_equal(mig_pstate_read_where(f->dir, 4321, buf, sizeof(buf), &uid), -EINVAL);
	alarm(0);
}

/*
 * An entry another user made for our process: it becomes ours (the
 * process's owner's), and what that user left in it goes.
 */
/*
 * An entry another user made for a process not theirs says nothing: a
 * lock there would pin the process, a job make it a candidate.
 */
static void test_forged_entry(void **state)
{
	struct fixture *f = *state;
	struct mig_pstate out;
	char dir[128];
	uint64_t n = 5;

	if (geteuid() != 0)
		skip();
	snprintf(dir, sizeof(dir), "%s/proc", f->dir);
	assert_int_equal(mkdir(dir, 01777), 0);
	/* pid 1 is root's */
	snprintf(dir, sizeof(dir), "%s/proc/1", f->dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	put(dir, "lock", "1\n");
	put(dir, "job", "auto\n");
	put(dir, "calls", "77\n");
	assert_int_equal(chown(dir, 12345, 12345), 0);
	assert_int_equal(mig_pstate_read(f->dir, 1, &out), 0);
	assert_false(out.lock);
	assert_int_equal(out.job, 0);
	assert_int_equal(mig_pstate_read_calls(f->dir, 1, &n), -ENOENT);
	assert_int_equal(n, 5);
	/* root's own: it counts */
	assert_int_equal(chown(dir, 0, 0), 0);
	assert_int_equal(mig_pstate_read(f->dir, 1, &out), 0);
	assert_true(out.lock);
}

static void test_foreign_entry(void **state)
{
	struct fixture *f = *state;
	struct mig_pstate in = { .nmigs = 2 };
	char dir[128], path[192];
	struct stat st;

	if (geteuid() != 0)
		skip();
	snprintf(dir, sizeof(dir), "%s/proc", f->dir);
	assert_int_equal(mkdir(dir, 01777), 0);
	snprintf(dir, sizeof(dir), "%s/proc/%d", f->dir, (int)getpid());
	assert_int_equal(mkdir(dir, 0777), 0);
	put(dir, "calls", "123456\n");
	put(dir, "junk", "x\n");
	/* a tree of theirs, which must not keep the entry theirs */
	snprintf(path, sizeof(path), "%s/a", dir);
	assert_int_equal(mkdir(path, 0777), 0);
	snprintf(path, sizeof(path), "%s/a/b", dir);
	assert_int_equal(mkdir(path, 0777), 0);
	put(path, "c", "x\n");
	assert_int_equal(chown(path, 12345, 12345), 0);
	snprintf(path, sizeof(path), "%s/calls", dir);
	assert_int_equal(chown(path, 12345, 12345), 0);
	assert_int_equal(chown(dir, 12345, 12345), 0);
	assert_int_equal(mig_pstate_write(f->dir, getpid(), &in), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(stat(path, &st), -1);
	snprintf(path, sizeof(path), "%s/junk", dir);
	assert_int_equal(stat(path, &st), -1);
	snprintf(path, sizeof(path), "%s/a", dir);
	assert_int_equal(stat(path, &st), -1);
	expect_file(dir, "nmigs", "2\n", 0644);
	/* and it goes whole, a tree left in it too */
	snprintf(path, sizeof(path), "%s/d", dir);
	assert_int_equal(mkdir(path, 0777), 0);
	put(path, "e", "x\n");
	assert_int_equal(mig_pstate_remove(f->dir, getpid()), 0);
	assert_int_equal(stat(dir, &st), -1);
}

static void test_partial(void **state)
{
	struct fixture *f = *state;
	struct mig_pstate s;
	char dir[128];

	/* only a lock: the user locked a process that never moved */
	snprintf(dir, sizeof(dir), "%s/proc", f->dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(dir, sizeof(dir), "%s/proc/77", f->dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	put(dir, "lock", "1");
	assert_int_equal(mig_pstate_read(f->dir, 77, &s), 0);
	assert_int_equal(s.where, 0);
	assert_int_equal(s.nmigs, 0);
	assert_true(s.lock);
}

static void test_malformed(void **state)
{
	static const struct {
		const char *name, *text;
	} bad[] = {
		{ "where", "0\n" }, { "where", "65536\n" }, { "where", "there\n" },
		{ "where", " 5\n" }, { "where", "5 \n" }, { "where", "\n\n" },
		{ "nmigs", "-1\n" }, { "nmigs", "4294967296\n" }, { "nmigs", "1x\n" },
		{ "lock", "2\n" }, { "lock", "yes\n" },
		{ "where", "1111111111111111111111111111111111111111111111111111111111111111111\n" },
	};
	struct fixture *f = *state;
	struct mig_pstate good = { .where = 3, .nmigs = 1 }, s = { .where = 9, .nmigs = 9, .lock = true };
	char dir[128];

	snprintf(dir, sizeof(dir), "%s/proc/55", f->dir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(mig_pstate_write(f->dir, 55, &good), 0);
		put(dir, bad[i].name, bad[i].text);
		assert_int_equal(mig_pstate_read(f->dir, 55, &s), -EINVAL);
		/* untouched on failure */
		assert_int_equal(s.where, 9);
	}
	/* without the final newline is fine */
	put(dir, "where", "12");
	put(dir, "nmigs", "0");
	put(dir, "lock", "0");
	assert_int_equal(mig_pstate_read(f->dir, 55, &s), 0);
	assert_int_equal(s.where, 12);
}

static void test_remove(void **state)
{
	struct fixture *f = *state;
	struct mig_pstate in = { .where = 2, .nmigs = 1, .lock = true }, out;
	char dir[128];
	struct stat st;

	assert_int_equal(mig_pstate_write(f->dir, 999, &in), 0);
	/* what a writer that died would leave */
	snprintf(dir, sizeof(dir), "%s/proc/999", f->dir);
	put(dir, ".where.AbCdEf", "5\n");
	assert_int_equal(mig_pstate_remove(f->dir, 999), 0);
	assert_int_equal(stat(dir, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(mig_pstate_remove(f->dir, 999), 0);
	assert_int_equal(mig_pstate_read(f->dir, 999, &out), 0);
	assert_int_equal(out.where, 0);
	assert_false(out.lock);
}

static void test_job(void **state)
{
	static const char *const bad[] = { "", "cpujob", "auto manual", "auto cpujob iojob",
					   "auto decay=10001", "auto decay=", "auto fast" };
	struct fixture *f = *state;
	struct mig_pstate in = { .where = 0 }, out = { 0 };
	char dir[128], text[64];

	assert_int_equal(mig_job_parse("auto cpujob decay=9000", &in), 0);
	assert_int_equal(in.job, MIG_JOB_SET | MIG_JOB_AUTO | MIG_JOB_CPU);
	assert_int_equal(in.decay, 9000);
	mig_job_format(&in, text, sizeof(text));
	assert_string_equal(text, "auto cpujob decay=9000\n");
	assert_int_equal(mig_pstate_write(f->dir, 77, &in), 0);
	snprintf(dir, sizeof(dir), "%s/proc/77", f->dir);
	expect_file(dir, "job", "auto cpujob decay=9000\n", 0644);
	assert_int_equal(mig_pstate_read(f->dir, 77, &out), 0);
	assert_int_equal(out.job, in.job);
	assert_int_equal(out.decay, 9000);
	assert_int_equal(mig_job_parse("manual iojob", &out), 0);
	assert_int_equal(out.job, MIG_JOB_SET | MIG_JOB_IO);
	assert_int_equal(out.decay, MIG_DECAY_DEFAULT);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (mig_job_parse(bad[i], &out) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
	put(dir, "job", "auto sometimes\n");
	assert_int_equal(mig_pstate_read(f->dir, 77, &out), -EINVAL);
}

static void test_guest(void **state)
{
	struct fixture *f = *state;
	uint32_t node = 0;
	pid_t home = 0;
	char dir[128];
	struct stat st;

	assert_int_equal(mig_guest_read(f->dir, 300, &node, &home), -ENOENT);
	assert_int_equal(mig_guest_write(f->dir, 300, 3, 4242), 0);
	snprintf(dir, sizeof(dir), "%s/guests", f->dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 02750);
	expect_file(dir, "300", "3 4242\n", 0640);
	assert_int_equal(mig_guest_read(f->dir, 300, &node, &home), 0);
	assert_int_equal(node, 3);
	assert_int_equal(home, 4242);

	assert_int_equal(mig_guest_write(f->dir, 300, 0, 1), -EINVAL);
	assert_int_equal(mig_guest_write(f->dir, 300, 65536, 1), -EINVAL);
	assert_int_equal(mig_guest_write(f->dir, 300, 1, 0), -EINVAL);
	assert_int_equal(mig_guest_write(f->dir, 0, 1, 1), -EINVAL);

	put(dir, "301", "3\n");
	assert_int_equal(mig_guest_read(f->dir, 301, &node, &home), -EINVAL);
	put(dir, "301", "0 5\n");
	assert_int_equal(mig_guest_read(f->dir, 301, &node, &home), -EINVAL);
	put(dir, "301", "3 0\n");
	assert_int_equal(mig_guest_read(f->dir, 301, &node, &home), -EINVAL);
	put(dir, "301", "3 5 7\n");
	assert_int_equal(mig_guest_read(f->dir, 301, &node, &home), -EINVAL);
	assert_int_equal(node, 3);
	assert_int_equal(home, 4242);

	assert_int_equal(mig_guest_remove(f->dir, 300), 0);
	assert_int_equal(mig_guest_read(f->dir, 300, &node, &home), -ENOENT);
	assert_int_equal(mig_guest_remove(f->dir, 300), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linked_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest, setup, teardown),
	};

	return cmocka_run_group_tests_name("pstate", tests, NULL, NULL);
}
