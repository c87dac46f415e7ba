// SPDX-License-Identifier: GPL-2.0-only
/* The cluster key file: generation, permissions, format, derivation. */
#include <errno.h>
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
#include <sodium.h>

#include "lib/key.h"

static char dir[] = "/tmp/mosix-test-key.XXXXXX";

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_generate_and_load(void **state)
{
	char path[256];
	struct mosix_key a, b;
	struct diag d = DIAG_INIT;
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/secret", dir);
	assert_int_equal(key_generate(path, &d), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 65);
	assert_int_equal(key_load(path, &a, &d), 0);
	/* never replaced */
	assert_int_equal(key_generate(path, &d), -EEXIST);
	assert_int_equal(key_load(path, &b, &d), 0);
	assert_memory_equal(a.b, b.b, KEY_BYTES);
	unlink(path);
	diag_release(&d);
}

static void test_refused(void **state)
{
	char path[256];
	struct mosix_key k;
	struct diag d = DIAG_INIT;
	const char *hex = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF\n";

	(void)state;
	snprintf(path, sizeof(path), "%s/secret", dir);
	write_file(path, hex, 0644);
	assert_int_equal(key_load(path, &k, &d), -EPERM);
	assert_non_null(strstr(d.msg[0].text, "open to other users (mode 0644): chmod 600 it"));
	write_file(path, hex, 0600);
	assert_int_equal(key_load(path, &k, &d), 0);
	assert_int_equal(k.b[0], 0x00);
	assert_int_equal(k.b[31], 0xff);
	write_file(path, "0011\n", 0600);
	assert_int_equal(key_load(path, &k, &d), -EINVAL);
	write_file(path, "zz112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF\n", 0600);
	assert_int_equal(key_load(path, &k, &d), -EINVAL);
	unlink(path);
	assert_int_equal(key_load(path, &k, &d), -ENOENT);
	assert_non_null(strstr(d.msg[d.n - 1].text, "create one with 'mosctl genkey'"));
	diag_release(&d);
}

static void test_derive(void **state)
{
	struct mosix_key m, g, g2, mig;

	(void)state;
	memset(m.b, 7, sizeof(m.b));
	key_derive(&m, KEY_GOSSIP, &g);
	key_derive(&m, KEY_GOSSIP, &g2);
	key_derive(&m, KEY_MIGRATION, &mig);
	assert_memory_equal(g.b, g2.b, KEY_BYTES);
	assert_memory_not_equal(g.b, mig.b, KEY_BYTES);
	assert_memory_not_equal(g.b, m.b, KEY_BYTES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_and_load),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_derive),
	};
	int r;

	if (sodium_init() < 0 || !mkdtemp(dir))
		return 1;
	r = cmocka_run_group_tests_name("key", tests, NULL, NULL);
	rmdir(dir);
	return r;
}
