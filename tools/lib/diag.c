// SPDX-License-Identifier: GPL-2.0-only
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void diag_init(struct diag *d)
{
	*d = (struct diag)DIAG_INIT;
}

void diag_release(struct diag *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->msg[i].text);
		free(d->msg[i].file);
	}
	free(d->msg);
	diag_init(d);
}

void diag_add(struct diag *d, const char *file, unsigned line,
	      const char *fmt, ...)
{
	char *body, *text, *fcopy;
	va_list ap;
	int r;

	if (!d)
		return;
	if (d->n == d->alloc) {
		size_t alloc = d->alloc ? 2 * d->alloc : 8;
		struct diag_msg *msg = realloc(d->msg, alloc * sizeof(*msg));

		if (!msg)
			goto out_lost;
		d->msg = msg;
		d->alloc = alloc;
	}
	va_start(ap, fmt);
	r = vasprintf(&body, fmt, ap);
	va_end(ap);
	if (r < 0)
		goto out_lost;
	if (line)
		r = asprintf(&text, "%s:%u: %s", file, line, body);
	else
		r = asprintf(&text, "%s: %s", file, body);
	free(body);
	if (r < 0)
		goto out_lost;
	fcopy = strdup(file);
	if (!fcopy)
		goto out_free_text;
	d->msg[d->n] = (struct diag_msg){ text, fcopy, line, d->n };
	d->n++;
	return;
out_free_text:
	free(text);
out_lost:
	d->lost = 1;
}

/* qsort has no context pointer, so each message carries its file's rank */
struct ranked {
	size_t file_rank;
	struct diag_msg m;
};

static int cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->file_rank != y->file_rank)
		return x->file_rank < y->file_rank ? -1 : 1;
	if (x->m.line != y->m.line)
		return x->m.line < y->m.line ? -1 : 1;
	return x->m.seq < y->m.seq ? -1 : x->m.seq > y->m.seq;
}

void diag_sort(struct diag *d)
{
	const char **files;
	struct ranked *r;
	size_t nfiles = 0;

	if (!d || d->n < 2)
		return;
	r = calloc(d->n, sizeof(*r));
	files = calloc(d->n, sizeof(*files));
	if (!r || !files)
		goto out_free; /* arrival order is still a valid order */
	/* inputs are few (a map or two), so a linear list of names will do */
	for (size_t i = 0; i < d->n; i++) {
		size_t rank = 0;

		while (rank < nfiles && strcmp(files[rank], d->msg[i].file) != 0)
			rank++;
		if (rank == nfiles)
			files[nfiles++] = d->msg[i].file;
		r[i] = (struct ranked){ rank, d->msg[i] };
	}
	qsort(r, d->n, sizeof(*r), cmp_ranked);
	for (size_t i = 0; i < d->n; i++)
		d->msg[i] = r[i].m;
out_free:
	free(files);
	free(r);
}

void diag_print(struct diag *d, FILE *f, const char *prog)
{
	diag_sort(d);
	for (size_t i = 0; i < d->n; i++)
		fprintf(f, "%s\n", d->msg[i].text);
	if (d->lost)
		fprintf(f, "%s: out of memory: some errors were not shown\n", prog);
}
