// SPDX-License-Identifier: GPL-2.0-only
#include "key.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "64 hex digits\n": what key_generate() writes, at most a bit of slack */
#define KEY_FILE_MAX 80

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int key_load(const char *path, struct mosix_key *ret, struct diag *d)
{
	char buf[KEY_FILE_MAX + 1];
	struct mosix_key k;
	struct stat st;
	ssize_t len;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		r = -errno;
		diag_add(d, path, 0, "cannot open the cluster key: %s%s", strerror(errno),
			 errno == ENOENT ? " (create one with 'mosctl genkey')" : "");
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		diag_add(d, path, 0, "cannot stat the cluster key: %s", strerror(errno));
		goto out_close;
	}
	r = -EPERM;
	if (!S_ISREG(st.st_mode)) {
		diag_add(d, path, 0, "the cluster key is not a regular file");
		goto out_close;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		diag_add(d, path, 0, "the cluster key is open to other users (mode %04o): "
			 "chmod 600 it", (unsigned)(st.st_mode & 07777));
		goto out_close;
	}
	if (st.st_uid != geteuid()) {
		diag_add(d, path, 0, "the cluster key belongs to uid %u, not to uid %u",
			 (unsigned)st.st_uid, (unsigned)geteuid());
		goto out_close;
	}
	len = read(fd, buf, sizeof(buf));
	if (len < 0) {
		r = -errno;
		diag_add(d, path, 0, "cannot read the cluster key: %s", strerror(errno));
		goto out_close;
	}
	r = -EINVAL;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len != 2 * KEY_BYTES) {
		diag_add(d, path, 0, "the cluster key must be %d hex digits", 2 * KEY_BYTES);
		goto out_wipe;
	}
	for (int i = 0; i < KEY_BYTES; i++) {
		int hi = hexval(buf[2 * i]), lo = hexval(buf[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			diag_add(d, path, 0, "the cluster key must be %d hex digits",
				 2 * KEY_BYTES);
			goto out_wipe;
		}
		k.b[i] = (uint8_t)(hi << 4 | lo);
	}
	*ret = k;
	r = 0;
out_wipe:
	sodium_memzero(&k, sizeof(k));
	sodium_memzero(buf, sizeof(buf));
out_close:
	close(fd);
	return r;
}

int key_generate(const char *path, struct diag *d)
{
	char hex[2 * KEY_BYTES + 2];
	struct mosix_key k;
	int fd, r = 0;

	if (sodium_init() < 0) {
		diag_add(d, path, 0, "libsodium cannot start");
		return -EIO;
	}
	/* O_EXCL: an existing key is the cluster's; never replace it silently */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
		diag_add(d, path, 0, "cannot create the cluster key: %s", strerror(errno));
		return r;
	}
	randombytes_buf(k.b, sizeof(k.b));
	sodium_bin2hex(hex, sizeof(hex), k.b, sizeof(k.b));
	hex[2 * KEY_BYTES] = '\n';
	if (write(fd, hex, 2 * KEY_BYTES + 1) != 2 * KEY_BYTES + 1 || fsync(fd) < 0) {
		r = errno ? -errno : -EIO;
		diag_add(d, path, 0, "cannot write the cluster key: %s", strerror(-r));
		unlink(path);
	}
	sodium_memzero(&k, sizeof(k));
	sodium_memzero(hex, sizeof(hex));
	close(fd);
	return r;
}

void key_derive(const struct mosix_key *master, enum key_purpose purpose,
		struct mosix_key *ret)
{
	/* contexts are exactly crypto_kdf_CONTEXTBYTES (8) characters */
	static const char *const context[] = {
		[KEY_GOSSIP] = "mxgossip",
		[KEY_MIGRATION] = "mxmigrat",
	};

	crypto_kdf_derive_from_key(ret->b, sizeof(ret->b), (uint64_t)purpose,
				   context[purpose], master->b);
}

void key_wipe(struct mosix_key *k)
{
	sodium_memzero(k, sizeof(*k));
}
