/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_SC_TABLE_H
#define MOSIX_SC_TABLE_H

/*
 * The classification of every x86-64 system call for a migrated process,
 * generated from tools/engine/syscalls.tbl by tools/engine/gen-syscalls
 * into sc_table_gen.c (and docs/syscalls.md). Nothing here is written by
 * hand but these types.
 *
 * A guest's seccomp filter lets SC_LOCAL calls run on the node; every other
 * call stops in the supervisor, which looks its number up here:
 *   SC_HOME     bring the process home and make the call there (the safe
 *               default: anything not classified is SC_HOME)
 *   SC_LOCAL    runs on the node (memory, time, signals of the process
 *               itself, pure computation)
 *   SC_FWD      runs in the home process; the arguments say which buffers
 *               go home with the call and which come back
 *   SC_ANSWER   answered by the supervisor from values kept at migration
 *               (getpid and friends), see enum sc_answer
 *   SC_SPECIAL  a named handler, see enum sc_special
 */

#include <stdint.h>

enum sc_class {
	SC_HOME = 0,
	SC_LOCAL,
	SC_FWD,
	SC_ANSWER,
	SC_SPECIAL,
};

/* What a forwarded argument carries (SC_FWD). */
enum sc_kind {
	SCK_VAL = 0,	/* a plain value, passed as is (fd, flags, count) */
	SCK_IN,		/* a buffer the call reads: copied home before it */
	SCK_OUT,	/* a buffer the call writes: copied back after it */
	SCK_IO,		/* both */
	SCK_STR,	/* a NUL-terminated string (path), at most PATH_MAX */
	SCK_IOV_IN,	/* struct iovec[count]: each buffer copied home */
	SCK_IOV_OUT,	/* struct iovec[count]: buffers filled by the call */
	/*
	 * A signal mask the call sets for as long as it waits (ppoll,
	 * epoll_pwait): NULL goes home as NULL; any other brings the process
	 * home for the call, since a forwarded wait cannot run the guest's
	 * handlers under that mask, nor keep out the signals it blocks.
	 */
	SCK_SIGSET,
};

enum sc_flags {
	/*
	 * The length is the value of argument len_arg times size (an
	 * element count, or bytes when size is 1); without it, size bytes.
	 */
	SCF_LEN_ARG = 1 << 0,
	/*
	 * The length is the u32 that argument len_arg points to, read from
	 * the guest before the call (value-result socklen_t, as in accept).
	 */
	SCF_LEN_PTR = 1 << 1,
	/*
	 * Out: only the first `return value` bytes are written back (read,
	 * recvfrom, getdents64, readlink); for SCK_IOV_OUT always so.
	 */
	SCF_RET_LEN = 1 << 2,
};

/* Values the supervisor answers itself (SC_ANSWER). */
enum sc_answer {
	SCA_NONE = 0,
	SCA_PID,	/* getpid: the home pid */
	SCA_TID,	/* gettid: the home pid (single-threaded) */
	SCA_PPID,	/* getppid: the home parent, updated by the deputy */
};

/* Calls with a handler of their own (SC_SPECIAL). */
enum sc_special {
	SCS_NONE = 0,
	SCS_MMAP,	/* anonymous: local (in the filter); a file: a copy */
	SCS_IOCTL,	/* by request number (terminal, FIONREAD...) */
	SCS_FCNTL,	/* F_GETLK/F_SETLK* carry a struct flock */
	SCS_SENDMSG,	/* struct msghdr with iovecs, name and control */
	SCS_RECVMSG,
	SCS_SELECT,	/* fd_set sizes from nfds */
	SCS_PSELECT6,
	SCS_PRCTL,	/* some options are local (PR_SET_NAME...) */
	SCS_CPUTIME,	/* clock_gettime/getres on CPU-time clocks */
	SCS_RUSAGE,	/* getrusage/times: home's and the guest's time */
	SCS_GETSOCKOPT,	/* optval length is *optlen */
	SCS_CPUTIMER,	/* setitimer/timer_create: timers on CPU time at home */
	SCS_RLIMIT,	/* setrlimit/prlimit64: limits on CPU and memory at home */
	SCS_PRIORITY,	/* setpriority: its own nice value at home */
	SCS_SIGACTION,	/* rt_sigaction: SIGCHLD's disposition at home too */
};

#define SC_NARGS 6

struct sc_arg {
	uint8_t kind;		/* enum sc_kind */
	uint8_t flags;		/* enum sc_flags */
	uint8_t len_arg;	/* argument index for SCF_LEN_ARG/SCF_LEN_PTR */
	uint8_t pad;
	uint32_t size;		/* bytes, or bytes per element with SCF_LEN_ARG */
};

struct sc_desc {
	const char *name;	/* NULL: no such call (a hole in the numbers) */
	uint8_t cls;		/* enum sc_class */
	uint8_t answer;		/* enum sc_answer, for SC_ANSWER */
	uint8_t special;	/* enum sc_special, for SC_SPECIAL */
	uint8_t nargs;
	struct sc_arg arg[SC_NARGS];
};

/* Indexed by system call number; numbers >= SC_TABLE_SIZE are SC_HOME. */
#define SC_TABLE_SIZE 512
extern const struct sc_desc sc_table[SC_TABLE_SIZE];

/* The entry of @nr, or NULL for an unknown number. */
const struct sc_desc *sc_lookup(long nr);

#endif
