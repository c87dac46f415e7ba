// SPDX-License-Identifier: GPL-2.0-only
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *log_prog = "mosix";
static enum log_level log_max = LOG_LEVEL_INFO;
static bool log_journal;

/*
 * $JOURNAL_STREAM is inherited by children whose stderr was redirected
 * elsewhere, so it only counts when it still describes our fd 2.
 */
static bool stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	uintmax_t dev, ino;
	struct stat st;
	char *end;

	if (!env || !*env || fstat(STDERR_FILENO, &st) < 0)
		return false;
	errno = 0;
	dev = strtoumax(env, &end, 10);
	if (errno || *end != ':')
		return false;
	ino = strtoumax(end + 1, &end, 10);
	if (errno || *end)
		return false;
	return dev == (uintmax_t)st.st_dev && ino == (uintmax_t)st.st_ino;
}

void log_init(const char *prog)
{
	if (prog && *prog)
		log_prog = prog;
	log_journal = stderr_is_journal();
}

void log_set_max(enum log_level level)
{
	log_max = level;
}

static const char *level_name(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_ERR:
		return "error";
	case LOG_LEVEL_WARNING:
		return "warning";
	case LOG_LEVEL_NOTICE:
		return "notice";
	case LOG_LEVEL_INFO:
		return "info";
	default:
		return "debug";
	}
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX + 2];
	int saved = errno, n, m;
	size_t len;

	if (level > log_max)
		return;
	if (log_journal)
		n = snprintf(line, LOG_LINE_MAX, "<%d>", (int)level);
	else
		n = snprintf(line, LOG_LINE_MAX, "%s: %s: ", log_prog, level_name(level));
	if (n < 0)
		n = 0;
	m = vsnprintf(line + n, LOG_LINE_MAX - (size_t)n, fmt, ap);
	len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > LOG_LINE_MAX - 1)
		len = LOG_LINE_MAX - 1;
	line[len++] = '\n';
	/* one write; if stderr is gone there is nobody left to tell */
	ssize_t w = write(STDERR_FILENO, line, len);

	(void)w;
	errno = saved;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}
