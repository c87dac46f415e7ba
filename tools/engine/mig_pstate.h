/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_MIG_PSTATE_H
#define MOSIX_MIG_PSTATE_H

/*
 * The MOSIX state of single processes, kept as small text files under the
 * run directory (paths_run_dir()) so that the commands (mps, migrate) read
 * what mosix-migd decided without asking it:
 *
 *   RUN/proc/PID/where   "here", or the id of the node the process runs on
 *   RUN/proc/PID/nmigs   how many times it migrated, in decimal
 *   RUN/proc/PID/lock    "1" when its user locked it at home, else "0"
 *   RUN/proc/PID/job     how mosrun started it, words: "auto" (the load
 *                        balancer may move it and its descendants) or
 *                        "manual" (only when asked), then "cpujob" or
 *                        "iojob" (mosrun -c/-i) and "decay=N" (mosrun -d:
 *                        the weight, in 1/10000, its CPU and I/O profile
 *                        keeps from one second to the next)
 *   RUN/proc/PID/calls   while it runs on another node: the system calls
 *                        home served for it so far, in decimal (its deputy
 *                        writes it; the balancer reads how I/O-bound it is)
 *   RUN/proc/PID/cpu     "START NS": the CPU time, in ns, the process used
 *                        on other nodes, for the process that started at
 *                        START (mig_proc_start: a later one with its pid
 *                        is not it). Its deputy writes it, root's; mps
 *                        adds it to home's CPU time, the next move counts
 *                        it. A file of anyone else's is none.
 *   RUN/guests/PID       "HOMENODE HOMEPID\n": local process PID is a guest
 *                        whose home is process HOMEPID on node HOMENODE
 *
 * A missing file means the default: here, 0 migrations, not locked; a
 * missing guest file means "not a guest". Every file is replaced whole
 * (written aside, then renamed), so a reader sees the old content or the
 * new one, never a part. The three files of a process are replaced one by
 * one: a reader may see a new where with the old count.
 *
 * RUN/proc and RUN/proc/PID are mode 0755 and the files 0644: any user may
 * see where processes are. RUN/guests is 0750 and its files 0640, with the
 * group "mosix" when there is one: guests are none of a user's business.
 *
 * The writers are for mosix-migd, the only writer; it removes a process's
 * files when the process ends, since a pid may be reused. Since anyone may
 * make entries in RUN/proc, readers and writers never follow a link there
 * nor open anything but regular files (mig_pstate.c says how).
 */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum mig_job_flags {
	MIG_JOB_SET = 1 << 0,	/* started by mosrun: the job file exists */
	MIG_JOB_AUTO = 1 << 1,	/* the balancer may move it */
	MIG_JOB_CPU = 1 << 2,	/* mosrun -c */
	MIG_JOB_IO = 1 << 3,	/* mosrun -i */
};

#define MIG_DECAY_DEFAULT 8000
#define MIG_DECAY_MAX 10000	/* no decay: the profile since the start */

struct mig_pstate {
	uint32_t where;	/* node id, 1..65535; 0 = here */
	uint32_t nmigs;
	bool lock;
	uint32_t job;	/* enum mig_job_flags; 0: no job file */
	uint32_t decay;	/* 0..MIG_DECAY_MAX; with a job file */
};

/*
 * The job words ("auto cpujob decay=9000") into @ret's job and decay, and
 * back. 0 or -EINVAL.
 */
int mig_job_parse(const char *words, struct mig_pstate *ret);
void mig_job_format(const struct mig_pstate *s, char *buf, size_t size);

/*
 * Read the state of @pid. Returns 0 (missing files give the defaults),
 * -EINVAL when a file holds something else than this format or is no
 * regular file (a FIFO must not block the reader), or RUN/proc/PID is no
 * directory (a link), or the -errno of a failed read (-EACCES...). *@ret
 * is untouched on failure.
 */
int mig_pstate_read(const char *run_dir, pid_t pid, struct mig_pstate *ret);

/*
 * Write the state of @pid, creating RUN/proc/PID. 0, -EINVAL for a node id
 * out of range, or -errno.
 */
int mig_pstate_write(const char *run_dir, pid_t pid, const struct mig_pstate *s);

/*
 * A move's new place and count, written aside before the commit (files
 * beside nmigs and where in RUN/proc/PID, made if missing) and put in
 * place after it: the renames are all that is left then. The rest of the
 * state (lock, job) is not touched.
 */
struct mig_pstate_aside {
	int dfd;			/* RUN/proc/PID, -1 when nothing is aside */
	unsigned n;			/* files aside */
	bool home;			/* where 0: calls goes too */
	char tmp[2][NAME_MAX + 1];	/* their names */
};

/* @where and @nmigs of @pid into @a, aside. 0, -EINVAL, or -errno (then
 * nothing is aside). */
int mig_pstate_aside_move(const char *run_dir, pid_t pid, uint32_t where, uint32_t nmigs,
			  struct mig_pstate_aside *a);

/* Put them in place, the count first. 0 or -errno; @a is empty after. */
int mig_pstate_aside_commit(struct mig_pstate_aside *a);

/* Remove what is aside (no commit). Accepts an empty @a. */
void mig_pstate_aside_drop(struct mig_pstate_aside *a);

/*
 * RUN/proc/PID/where as it stands, a request to move @pid when its user
 * wrote it: its text into @buf (without the final newline) and its owner
 * into *@ret_uid. 0, -ENOENT, -EINVAL (no regular file, too long, no
 * entry of ours: a link), or -errno.
 */
int mig_pstate_read_where(const char *run_dir, pid_t pid, char *buf, size_t size,
			  uid_t *ret_uid);

/* The CPU time @pid used away, RUN/proc/PID/cpu. 0 or -errno. */
int mig_pstate_write_cpu(const char *run_dir, pid_t pid, uint64_t ns);
/*
 * What that file says, or 0 when there is none, it is not root's (nor
 * ours), or it was written for an earlier process with that pid. 0 or
 * -errno (-EINVAL: not this format).
 */
int mig_pstate_read_cpu(const char *run_dir, pid_t pid, uint64_t *ret);

/*
 * Write the count of calls home served for @pid while away
 * (RUN/proc/PID/calls). 0, -ENOENT when mig_pstate_write has not made
 * RUN/proc/PID, or -errno.
 */

int mig_pstate_write_calls(const char *run_dir, pid_t pid, uint64_t calls);

/*
 * Read that count. 0, -ENOENT when there is none (the process is home, or
 * its deputy has not written it yet), -EINVAL when the file holds no
 * decimal count, or -errno; *@ret is untouched on failure.
 */
int mig_pstate_read_calls(const char *run_dir, pid_t pid, uint64_t *ret);

/*
 * The same where and nmigs into /proc/PID/mosix/ of the patched kernel
 * (lib/kmosix.h), so that MOSIX's files say it too. 0, also without those
 * files (a stock kernel, or the process gone), or -errno. The lock is not
 * written here: the kernel's is inherited, and a child's "0" in RUN must
 * not unlock it (see kmosix_lock_set()).
 */
int mig_pstate_kernel(pid_t pid, const struct mig_pstate *s);

/* Remove RUN/proc/PID and all in it. 0 also when there was none. */
int mig_pstate_remove(const char *run_dir, pid_t pid);

/*
 * Local process @pid is a guest: its home node and its pid there. 0,
 * -ENOENT when it is no guest, -EINVAL for a malformed file, or -errno
 * (-EACCES for users not in group mosix). Outputs untouched on failure.
 */
int mig_guest_read(const char *run_dir, pid_t pid, uint32_t *ret_home_node,
		   pid_t *ret_home_pid);

/* Record guest @pid, creating RUN/guests. 0, -EINVAL or -errno. */
int mig_guest_write(const char *run_dir, pid_t pid, uint32_t home_node,
		    pid_t home_pid);

/* Forget guest @pid. 0 also when it was not recorded. */
int mig_guest_remove(const char *run_dir, pid_t pid);

#endif
