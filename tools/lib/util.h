/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_UTIL_H
#define MOSIX_UTIL_H

/*
 * Small helpers the parsers share: growing arrays, interning input names
 * for messages, reading a whole file.
 */

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/*
 * Make room for @need elements of @size bytes in *@p (capacity *@alloc),
 * doubling. 0 or -ENOMEM (*@p untouched).
 */
int util_grow(void **p, size_t *alloc, size_t need, size_t size);

/*
 * The index of @name in the list (*@names, *@n), added on first use: inputs
 * are few, so a linear search will do. 0 or -ENOMEM.
 */
int util_intern(char ***names, size_t *n, const char *name, uint32_t *ret_index);

/*
 * Read all of @path into a malloc'd buffer (*@ret, not NUL-terminated).
 * -errno, reported to @d as "PATH: cannot open/read: reason".
 */
int util_read_file(const char *path, char **ret, size_t *ret_len, struct diag *d);

/* Cut white space off both ends of @s, in place; returns the new start. */
char *util_trim(char *s);

/*
 * Seconds with up to three decimals ("2", "0.5", "1.25") into milliseconds,
 * which must lie in [@min_ms, @max_ms]. 0 or -EINVAL (*@ret_ms untouched).
 */
int util_parse_seconds(const char *s, uint32_t min_ms, uint32_t max_ms,
		       uint32_t *ret_ms);

/*
 * A time in seconds since the epoch, digits only, above 0 (the --now of
 * the tests). 0 or -EINVAL (*@ret untouched).
 */
int util_parse_epoch(const char *s, int64_t *ret);

#endif
