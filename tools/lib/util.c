// SPDX-License-Identifier: GPL-2.0-only
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int util_grow(void **p, size_t *alloc, size_t need, size_t size)
{
	size_t n = *alloc ? *alloc : 16;
	void *q;

	if (need <= *alloc)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*alloc = n;
	return 0;
}

int util_intern(char ***names, size_t *n, const char *name, uint32_t *ret_index)
{
	char **list, *copy;

	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*names)[i], name) == 0) {
			*ret_index = (uint32_t)i;
			return 0;
		}
	}
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	list = realloc(*names, (*n + 1) * sizeof(*list));
	if (!list) {
		free(copy);
		return -ENOMEM;
	}
	*names = list;
	list[*n] = copy;
	*ret_index = (uint32_t)(*n)++;
	return 0;
}

int util_read_file(const char *path, char **ret, size_t *ret_len, struct diag *d)
{
	char *buf = NULL;
	size_t len = 0, alloc = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		diag_add(d, path, 0, "cannot open: %s", strerror(errno));
		return r;
	}
	for (;;) {
		ssize_t got;

		r = util_grow((void **)&buf, &alloc, len + 65536, 1);
		if (r < 0)
			goto out_free_buf;
		got = read(fd, buf + len, alloc - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = -errno;
			diag_add(d, path, 0, "cannot read: %s", strerror(errno));
			goto out_free_buf;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	*ret = buf;
	*ret_len = len;
	return 0;
out_free_buf:
	free(buf);
	close(fd);
	return r;
}

int util_parse_seconds(const char *s, uint32_t min_ms, uint32_t max_ms,
		       uint32_t *ret_ms)
{
	uint64_t ms = 0;
	int decimals = -1;

	if (!*s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p == '.' && decimals < 0) {
			decimals = 0;
			continue;
		}
		if (*p < '0' || *p > '9' || decimals >= 3)
			return -EINVAL;
		ms = ms * 10 + (uint64_t)(*p - '0');
		if (decimals >= 0)
			decimals++;
		if (ms > (uint64_t)max_ms * 1000)
			return -EINVAL;
	}
	for (int d = decimals < 0 ? 0 : decimals; d < 3; d++)
		ms *= 10;
	if (ms < min_ms || ms > max_ms)
		return -EINVAL;
	*ret_ms = (uint32_t)ms;
	return 0;
}

char *util_trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

int util_parse_epoch(const char *s, int64_t *ret)
{
	char *end;
	long long t;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	t = strtoll(s, &end, 10);
	if (errno || *end || t <= 0)
		return -EINVAL;
	*ret = (int64_t)t;
	return 0;
}
