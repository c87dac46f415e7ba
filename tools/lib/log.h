/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_LOG_H
#define MOSIX_LOG_H

/*
 * Logging for daemons and commands (never for library code, which reports
 * through return values and struct diag).
 *
 * One line per message on standard error, written with a single write(2)
 * so that lines of concurrent processes do not mix:
 *
 *   "<3>message"                  when standard error is the journal, i.e.
 *                                 $JOURNAL_STREAM names the device and inode
 *                                 of fd 2 (systemd then takes the priority
 *                                 from the "<N>" prefix and adds the name)
 *   "mosix-infod: error: message" otherwise
 *
 * Priorities are syslog's numbers. Messages above the maximum level
 * (default LOG_LEVEL_INFO) are dropped; lines longer than LOG_LINE_MAX are
 * cut.
 */

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_NOTICE = 5,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

#define LOG_LINE_MAX 2048

/* @prog names the program in plain lines; it is not copied. */
void log_init(const char *prog);

/* Drop messages less important than @level (a higher number). */
void log_set_max(enum log_level level);

__attribute__((format(printf, 2, 3)))
void log_msg(enum log_level level, const char *fmt, ...);
__attribute__((format(printf, 2, 0)))
void log_vmsg(enum log_level level, const char *fmt, va_list ap);

#define log_err(...) log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LEVEL_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
