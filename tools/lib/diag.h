/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_DIAG_H
#define MOSIX_DIAG_H

/*
 * A list of diagnostics, each already formatted as "FILE:LINE: message".
 *
 * The library never prints: parsers append every problem they find here so
 * that the command can report all of them at once and the tests can compare
 * them. A NULL diag is allowed and drops the messages.
 */

#include <stddef.h>
#include <stdio.h>

struct diag_msg {
	char *text;	/* "FILE:LINE: message" */
	char *file;
	unsigned line;
	size_t seq;	/* order of arrival, to keep sorting stable */
};

struct diag {
	struct diag_msg *msg;
	size_t n;
	size_t alloc;
	/* set when an allocation failed: some messages were lost */
	int lost;
};

#define DIAG_INIT { 0 }

void diag_init(struct diag *d);
void diag_release(struct diag *d);

/* Append "FILE:LINE: message"; LINE 0 gives "FILE: message". */
__attribute__((format(printf, 4, 5)))
void diag_add(struct diag *d, const char *file, unsigned line,
	      const char *fmt, ...);

/*
 * Put the messages in reading order: by file (in the order files were first
 * mentioned), then by line; messages of one line keep their order. Parsers
 * find some errors only after the whole input (overlaps, duplicates), and
 * users read them best next to their neighbours.
 */
void diag_sort(struct diag *d);

/*
 * Sort, then write every message to @f, one per line, and say so when
 * some were lost to a failed allocation (@prog names the program). The
 * library never prints on its own: this is for the commands' use.
 */
void diag_print(struct diag *d, FILE *f, const char *prog);

#endif
