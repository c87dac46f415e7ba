// SPDX-License-Identifier: GPL-2.0-only
#include "keysrv_key.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* hex digits and a newline, with a bit of slack for a CR */
#define HEX_MAX (2 * KEYSRV_SIGN_SK_LEN + 4)

static int write_hex(const char *path, mode_t mode, const uint8_t *b, size_t n,
		     struct diag *d)
{
	char hex[HEX_MAX];
	size_t len = 2 * n + 1;
	int fd, r = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		r = -errno;
		diag_add(d, path, 0, "cannot create: %s", strerror(errno));
		return r;
	}
	sodium_bin2hex(hex, sizeof(hex), b, n);
	hex[2 * n] = '\n';
	errno = 0;
	if (fchmod(fd, mode) < 0 || write(fd, hex, len) != (ssize_t)len || fsync(fd) < 0) {
		r = errno ? -errno : -EIO;
		diag_add(d, path, 0, "cannot write: %s", strerror(-r));
		unlink(path);
	}
	sodium_memzero(hex, sizeof(hex));
	close(fd);
	return r;
}

int keysrv_key_generate(const char *path, struct diag *d)
{
	uint8_t pk[KEYSRV_SIGN_PK_LEN], sk[KEYSRV_SIGN_SK_LEN];
	char *pub = NULL;
	int r;

	if (sodium_init() < 0) {
		diag_add(d, path, 0, "libsodium cannot start");
		return -EIO;
	}
	if (asprintf(&pub, "%s.pub", path) < 0)
		return -ENOMEM;
	crypto_sign_keypair(pk, sk);
	r = write_hex(path, 0600, sk, sizeof(sk), d);
	if (r < 0)
		goto out_wipe;
	r = write_hex(pub, 0644, pk, sizeof(pk), d);
	if (r < 0)
		unlink(path);
out_wipe:
	sodium_memzero(sk, sizeof(sk));
	free(pub);
	return r;
}

/* Read @n bytes as 2 * @n hex digits (and an optional newline) from @fd. */
static int read_hex(int fd, const char *path, const char *what, uint8_t *ret,
		    size_t n, struct diag *d)
{
	char buf[HEX_MAX + 1];
	size_t bin_len = 0;
	ssize_t len;
	int r = 0;

	len = read(fd, buf, sizeof(buf) - 1);
	if (len < 0) {
		r = -errno;
		diag_add(d, path, 0, "cannot read the %s: %s", what, strerror(errno));
		return r;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	buf[len] = '\0';
	if ((size_t)len != 2 * n ||
	    sodium_hex2bin(ret, n, buf, (size_t)len, NULL, &bin_len, NULL) != 0 ||
	    bin_len != n) {
		diag_add(d, path, 0, "the %s must be %zu hex digits", what, 2 * n);
		r = -EINVAL;
	}
	sodium_memzero(buf, sizeof(buf));
	return r;
}

int keysrv_key_load_secret(const char *path, uint8_t ret[KEYSRV_SIGN_SK_LEN],
			   struct diag *d)
{
	uint8_t sk[KEYSRV_SIGN_SK_LEN];
	struct stat st;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		r = -errno;
		diag_add(d, path, 0, "cannot open the signing key: %s%s", strerror(errno),
			 errno == ENOENT ? " (create one with 'mosix-keysrv --genkey')" : "");
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		diag_add(d, path, 0, "cannot stat the signing key: %s", strerror(errno));
		goto out_close;
	}
	r = -EPERM;
	if (!S_ISREG(st.st_mode)) {
		diag_add(d, path, 0, "the signing key is not a regular file");
		goto out_close;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		diag_add(d, path, 0, "the signing key is open to other users (mode %04o): "
			 "chmod 600 it", (unsigned)(st.st_mode & 07777));
		goto out_close;
	}
	if (st.st_uid != geteuid()) {
		diag_add(d, path, 0, "the signing key belongs to uid %u, not to uid %u",
			 (unsigned)st.st_uid, (unsigned)geteuid());
		goto out_close;
	}
	r = read_hex(fd, path, "signing key", sk, sizeof(sk), d);
	if (r == 0)
		memcpy(ret, sk, sizeof(sk));
	sodium_memzero(sk, sizeof(sk));
out_close:
	close(fd);
	return r;
}

int keysrv_key_load_public(const char *path, uint8_t ret[KEYSRV_SIGN_PK_LEN],
			   struct diag *d)
{
	uint8_t pk[KEYSRV_SIGN_PK_LEN];
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		diag_add(d, path, 0, "cannot open the server's public key: %s", strerror(errno));
		return r;
	}
	r = read_hex(fd, path, "server's public key", pk, sizeof(pk), d);
	if (r == 0)
		memcpy(ret, pk, sizeof(pk));
	close(fd);
	return r;
}
