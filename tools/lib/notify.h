/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_NOTIFY_H
#define MOSIX_NOTIFY_H

/*
 * The service manager notification protocol (sd_notify(3)) without
 * libsystemd: one datagram of "VAR=value" lines to the Unix socket named by
 * $NOTIFY_SOCKET, a path, or an abstract name written with a leading '@'.
 *
 *   notify_send("READY=1")          start-up done
 *   notify_send("RELOADING=1\nMONOTONIC_USEC=...")   reload begins
 *   notify_send("STOPPING=1")       shutting down
 *
 * Returns 1 when sent, 0 when $NOTIFY_SOCKET is unset (not started by a
 * service manager: nothing to do), -EINVAL for an unusable address, or
 * -errno from the socket calls.
 */

int notify_send(const char *state);

/* "RELOADING=1" with the MONOTONIC_USEC that Type=notify-reload wants. */
int notify_reloading(void);

#endif
