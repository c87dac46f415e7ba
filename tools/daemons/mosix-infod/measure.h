/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef INFOD_MEASURE_H
#define INFOD_MEASURE_H

/*
 * This node's load vector, from /proc.
 *
 * Load. Every decay interval (100 ms unless mosctl setdecay says
 * otherwise) the number of runnable tasks n, not counting mosix-infod, is
 * sampled and folded into the mean L (in thousandths of a task) the MOSIX
 * way, rising slowly and falling fast:
 *
 *   n*1000 >= L:  L = ceil((L * slow + n*1000 * (1000 - slow)) / 1000)
 *   n*1000 <  L:  L = floor((L * fast + n*1000 * (1000 - fast)) / 1000)
 *
 * (slow, fast: decay_slow and decay_fast of mosix.conf; the first sample
 * sets L.) The load sent is normalised by speed, 100 being one task on the
 * reference CPU:  load = L * 100 / 1000 * 10000 / speed = L * 1000 / speed.
 *
 * Where n comes from is probed once: in the initial pid namespace (a real
 * node), procs_running of /proc/stat; in any other (a container or a test
 * node sharing a kernel), the tasks of the pid namespace in state R, read
 * from /proc/PID/stat, since the kernel's counters are the whole machine's.
 * Utilisation follows the same rule: the CPUs of our affinity mask in
 * /proc/stat, or the CPU time of the namespace's tasks.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/gossip_wire.h"

enum measure_source {
	MEASURE_KERNEL,		/* /proc/stat: the whole machine */
	MEASURE_TASKS,		/* /proc/PID/stat of our pid namespace */
};

struct measure {
	enum measure_source source;
	pid_t self;
	bool have_mean;
	uint64_t mean;		/* thousandths of a runnable task */
	/* utilisation: counters at the last vector */
	uint64_t busy, total;
	/* swapping: pswpin + pswpout at the last vector */
	uint64_t swaps;
	bool have_swaps;
	int stat_fd, meminfo_fd, vmstat_fd;
	char *buf;
	size_t buf_size;
};

int measure_init(struct measure *m);
void measure_release(struct measure *m);

/* Probe result, for the start-up message. */
const char *measure_source_name(const struct measure *m);

/* One load sample, folded into the mean. */
int measure_sample(struct measure *m, uint32_t slow, uint32_t fast);

/*
 * Fill load, cpus, tmem, mem, rmem, util and GV_SWAPPING of @v (speed and
 * the policy flags are the caller's). Utilisation and swapping are over the
 * time since the previous call.
 */
int measure_vector(struct measure *m, uint32_t speed, struct gossip_vec *v);

/* --- pure parts, for the tests --------------------------------------- */

uint64_t measure_smooth(uint64_t mean, uint64_t sample, uint32_t slow, uint32_t fast);
uint32_t measure_load(uint64_t mean, uint32_t speed);

/* procs_running of /proc/stat text; -EINVAL if absent. */
int measure_parse_running(const char *text, uint64_t *ret);

/*
 * Busy and total jiffies of /proc/stat text, over the cpuN lines whose
 * number is in @cpus (a mask of @ncpus bits; NULL: the "cpu" line).
 */
int measure_parse_cpu(const char *text, const uint8_t *cpus, size_t ncpus,
		      uint64_t *ret_busy, uint64_t *ret_total);

/* MemTotal, MemAvailable, MemFree of /proc/meminfo, in KiB. */
int measure_parse_meminfo(const char *text, uint64_t *ret_total,
			  uint64_t *ret_avail, uint64_t *ret_free);

/* pswpin + pswpout of /proc/vmstat. */
int measure_parse_swaps(const char *text, uint64_t *ret);

/* State letter, utime + stime of /proc/PID/stat text. */
int measure_parse_pid_stat(const char *text, char *ret_state, uint64_t *ret_ticks);

/* Memory held back from guests: MemTotal / 20, in KiB. */
uint64_t measure_reserve(uint64_t total_kib);

#endif
