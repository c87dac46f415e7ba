/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_MIG_IMG_H
#define MOSIX_MIG_IMG_H

/*
 * The migration stream and the forwarding protocol, version 3: the
 * payloads of the records that travel in a mig_chan (mig_chan.h frames,
 * authenticates and encrypts them; the record type is enum mig_msg).
 *
 * Every node of a cluster is x86-64, so the payloads are little-endian
 * structs with fixed sizes, frozen by the static asserts in mig_img.c.
 * Each record type has one decoder here that checks its length and every
 * count, offset and address in it before anything uses them.
 *
 * A migration, home deputy (D) to remote node (R):
 *   D: [WARM]           version 11, before the stop: the files it maps
 *                       now, as FILES but with zero hashes and the
 *                       version in the header's pad; R hashes
 *                       those it lacks in its cache and answers HAVE
 *                       (nothing matches: it only says R is done), so
 *                       that a first move hashes files, on both sides at
 *                       once, while the process still runs
 *   D: HELLO            who, why (a new guest), CPU features, clocks,
 *                       the ciphers it can use
 *   R: WELCOME|REFUSE   REFUSE carries a reason (blocked, no memory...)
 *   R: CIPHER           after WELCOME: the cipher of every later record
 *                       (both directions switch here; mig_chan.h)
 *   D: TASK [MAPS] [FILES] VMAS PAGES... END
 *   R: HAVE             right after FILES: which of those files the node
 *                       has too, byte for byte (mig_files.h)
 *   R: READY|ABORT      READY is the commit point
 *   D: GO               the guest runs; then, in both directions:
 *   SYSCALL/SYSRET, SIGNAL, KILL, EXIT, COMEHOME, IMAGE..., HOMEOK, PING
 *
 * Coming home (or moving on), R: COMEHOME TASK [MAPS] VMAS PAGES... END;
 * D: GO (it stays) or HOMEOK, answered by R with the signals the guest
 * had there (SIGNAL..., the kernel's queue, those taken by injections,
 * those home sent and not yet delivered) and HOMEOK (version 4).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/user.h>

#include "engine/mig_xstate.h"

#define MIG_VERSION 12
#define MIG_MAX_VMAS 4096
#define MIG_MAX_FILES 128
#define MIG_FILE_PATH 216
#define MIG_XSTATE_MAX 16384
#define MIG_VDSO_MAX (4 * 4096)
#define MIG_AUXV_MAX 64		/* 64-bit words */
#define MIG_NSIG 64
#define MIG_REASON_MAX 128
/*
 * A REFUSE for CPU features the node lacks, when their names do not fit
 * MIG_REASON_MAX: "node N's CPU lacks features 0xMASK" (lib/cpufeat.h
 * bits); the deputy names them in its own message (mig_reason_cpu).
 */
#define MIG_REASON_CPU_FMT "node %u's CPU lacks features 0x%llx"
/* ... and the same named, by whichever side has the room */
#define MIG_REASON_CPU_NAMES "node %u's CPU lacks what the process may use: %s"
/*
 * The limits that bind where the process runs, not at home: CPU time,
 * data, stack, address space; mig_task.rlim[i] is MIG_RLIM_RES[i]. The
 * others (open files, file size, ...) are enforced at home, where the
 * calls they limit run.
 */
#define MIG_RLIM_NR 4
#define MIG_RLIM_RES { RLIMIT_CPU, RLIMIT_DATA, RLIMIT_STACK, RLIMIT_AS }

/*
 * mig_task.flags. MIG_TASK_CORE: home's RLIMIT_CORE is not 0, so a signal
 * that dumps core brings the process home to die there (rem_trace.c).
 */
#define MIG_TASK_CORE 0x1u

struct mig_rlim {
	uint64_t cur, max;	/* RLIM_INFINITY is ~0 */
};

enum mig_msg {
	MIG_M_HELLO = 1,
	MIG_M_WELCOME,
	MIG_M_REFUSE,
	MIG_M_TASK,
	MIG_M_VMAS,
	MIG_M_PAGES,
	MIG_M_END,
	MIG_M_READY,
	MIG_M_ABORT,
	MIG_M_GO,
	MIG_M_SYSCALL,
	MIG_M_SYSRET,
	MIG_M_SIGNAL,
	MIG_M_KILL,
	MIG_M_EXIT,
	MIG_M_COMEHOME,
	MIG_M_HOMEOK,
	MIG_M_PING,
	MIG_M_FILEREQ,	/* R->D: bytes of a home fd, for a file mmap */
	MIG_M_FILEDATA,
	MIG_M_PPID,	/* D->R: the home parent changed */
	MIG_M_MAPS,	/* after TASK: home's /proc/PID/maps text, for the names */
	MIG_M_STOPPED,	/* R->D: the guest stopped (job control); mig_signal */
	MIG_M_CIPHER,	/* R->D: after WELCOME, the cipher from here on */
	MIG_M_PRIO,	/* D->R: home's nice, policy or oom_score_adj changed */
	MIG_M_CPU,	/* R->D: the CPU time the guest has used (mig_cpu) */
	MIG_M_TAKE,	/* D->R: after COMEHOME, home can take the image now */
	MIG_M_FREEZE,	/* D->R: home's cgroup freezer holds the process, or no more */
	MIG_M_FILES,	/* D->R: after MAPS, the system files its VMAs map */
	MIG_M_HAVE,	/* R->D: which of FILES this node has, identical */
	MIG_M_WARM,	/* D->R: before HELLO, the files it maps (mig_warm_check) */
	MIG_M_LEAVE,	/* R->D: expelled during a forwarded call: stop it */
	MIG_M_MAX
};

/* HELLO: the deputy introduces a process. */
struct mig_hello {
	uint32_t version;
	uint32_t home_node;
	int32_t home_pid;
	uint32_t uid;		/* real uid at home, for logs and mps */
	uint64_t xcr0;		/* XSAVE features the image uses */
	uint32_t xsize;		/* NT_X86_XSTATE bytes */
	uint32_t ciphers;	/* enum mig_cipher bits the deputy can use
				 * besides the secretstream, always there */
	uint64_t mem_bytes;	/* what the image will need on the node */
	int64_t mono_ns;	/* home CLOCK_MONOTONIC at send time */
	int64_t boot_ns;	/* home CLOCK_BOOTTIME */
	char comm[16];
	uint64_t cpu_need;	/* lib/cpufeat.h features the process may use */
};

/*
 * The record ciphers of the channel: the secretstream always; AES-256-GCM
 * where both sides have it (mig_gcm.h), much faster for pages; and that
 * with its records of 1 KiB and more under AES-256-OCB, faster again.
 */
enum mig_cipher {
	MIG_CIPHER_STREAM = 1 << 0,
	MIG_CIPHER_GCM = 1 << 1,
	MIG_CIPHER_OCB = 1 << 2,
};

/* CIPHER: the one chosen (a single bit the HELLO offered). */
struct mig_cipher_msg {
	uint32_t cipher;
	uint32_t pad;
};

/* REFUSE / ABORT: why not. */
struct mig_reason {
	int32_t err;		/* negative errno */
	uint32_t step;		/* ABORT: the restore step that failed */
	char text[MIG_REASON_MAX];	/* NUL-terminated */
};

/* The kernel's struct sigaction on x86-64. */
struct mig_ksigaction {
	uint64_t handler, flags, restorer, mask;
};

/* TASK: everything but memory. */
struct mig_task {
	struct user_regs_struct regs;	/* with fs_base, gs_base */
	uint64_t sigmask;
	struct mig_ksigaction act[MIG_NSIG + 1];	/* [1..64] */
	uint64_t ss_sp;		/* sigaltstack */
	int32_t ss_flags;
	uint32_t pad0;
	uint64_t ss_size;
	uint64_t rseq_ptr;
	uint32_t rseq_len, rseq_sig;
	uint64_t robust_head, robust_len;
	uint64_t start_code, end_code, start_data, end_data;
	uint64_t start_brk, brk, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;
	uint64_t auxv[MIG_AUXV_MAX];
	uint32_t auxv_bytes;
	uint32_t xsize;
	uint64_t vvar_start, vdso_start, vdso_end;	/* home layout */
	uint8_t vdso[MIG_VDSO_MAX];			/* home vDSO bytes */
	int32_t home_pid, home_ppid;
	uint32_t nmigs;
	uint32_t pad1;
	uint64_t cpu_ns;	/* CPU time the process used before this node */
	uint64_t home_scratch;	/* the deputy's area in the home process: */
	uint64_t home_scratch_len;	/* kept free wherever the process runs */
	struct mig_rlim rlim[MIG_RLIM_NR];	/* home's, as set there */
	int32_t nice;		/* home's nice value, -20..19 */
	uint32_t policy;	/* SCHED_OTHER, SCHED_BATCH or SCHED_IDLE */
	uint32_t personality;	/* personality(2): ADDR_NO_RANDOMIZE... */
	uint32_t flags;		/* MIG_TASK_* */
	struct mig_xlayout xl;	/* of the CPU xstate was read on */
	uint8_t xstate[MIG_XSTATE_MAX] __attribute__((aligned(64)));
};

enum mig_vma_kind {
	MIG_VK_ANON = 1,
	MIG_VK_FILE,
	MIG_VK_STACK,
	MIG_VK_HEAP,
};

struct mig_vma {
	uint64_t start, end;
	uint32_t prot, kind;
	uint64_t pages;		/* pages of it that PAGES records carry */
	uint64_t off;		/* MIG_VK_FILE with a file: offset in it */
	uint32_t file;		/* 0, or 1 + index in FILES of a file the node
				 * maps itself: PAGES carry only the pages the
				 * process changed (copy-on-write) */
	uint32_t pad;
};

/*
 * FILES: a count, then that many struct mig_file: files home and node may
 * both have (root's, not writable by others), named by path, told by
 * length and BLAKE2b-256 of their bytes.
 */
struct mig_files_hdr {
	uint32_t count;
	uint32_t pad;
};

struct mig_file {
	uint64_t size;
	uint8_t hash[32];
	char path[MIG_FILE_PATH];	/* absolute, NUL-terminated */
};

/* HAVE: bit i set, the node has file i of FILES, identical. */
struct mig_have {
	uint64_t bits[MIG_MAX_FILES / 64];
};

/* VMAS: a count, then that many struct mig_vma, in address order. */
struct mig_vmas_hdr {
	uint32_t count;
	uint32_t pad;
};

/* PAGES: a run of whole pages inside one VMA; the bytes follow. */
struct mig_pages_hdr {
	uint64_t addr;
	uint64_t len;
};

/* END: totals, checked against what arrived. */
struct mig_end {
	uint64_t pages;
	uint32_t nvma;
	uint32_t pad;
};

/* READY: the restored guest waits for GO. */
struct mig_ready {
	int32_t guest_pid;	/* as the node's migd sees it */
	uint32_t vdso_proxy;	/* 1: the vDSO runs through a proxy */
};

/*
 * SYSCALL: a forwarded call. Followed by nbuf struct mig_fwd_buf and then
 * the bytes of every buffer that goes home (IN, IO, strings, iovec data),
 * in that order. The deputy places each buffer in the home process and
 * points the argument (or iovec) at it.
 */
struct mig_fwd_call {
	int64_t nr;
	uint64_t args[6];
	uint32_t nbuf;
	/*
	 * The records the node had from home when it sent this one (low 32
	 * bits of mig_chan_received(), version 10). A SIGNAL sent later
	 * waits at the node for this call's answer, as a signal pending
	 * during the call: home makes the call end at its first wait.
	 */
	uint32_t seen;
};

enum mig_fwd_dir {
	MIG_FWD_IN = 1,		/* bytes go home */
	MIG_FWD_OUT = 2,	/* bytes come back */
	MIG_FWD_IO = 3,
};

struct mig_fwd_buf {
	uint8_t arg;		/* which argument points at it */
	uint8_t dir;		/* enum mig_fwd_dir */
	uint8_t iov;		/* 1: one element of the iovec array at arg */
	uint8_t ret_len;	/* 1: only `ret` bytes come back (with iov: in total) */
	uint32_t len;
};

/* SYSRET: the result, then nbuf lengths (u32) and the bytes that come back. */
struct mig_fwd_ret {
	int64_t ret;
	uint32_t nbuf;
	uint32_t flags;		/* enum mig_fwd_ret_flags */
};

enum mig_fwd_ret_flags {
	/* a signal for the process stopped the call at home before it did
	 * anything: the SIGNAL record came first; make the call again unless
	 * the signal interrupted the guest's call too. `ret` is the call's
	 * -ERESTART* code (restart or EINTR, by the kernel's rules for it) */
	MIG_FWD_ABORTED = 1 << 0,
};

/* SIGNAL D->R: deliver; KILL: end the guest now. */
struct mig_signal {
	int32_t sig;
	int32_t has_info;	/* 1: info is the siginfo it arrived with at home */
	uint8_t info[128];	/* siginfo_t: sender pid and uid, code, value */
};

/* A SIGNAL record for @sig, with @info, a siginfo_t, as it arrived. */
void mig_signal_make(struct mig_signal *m, int sig, const void *info);

/* Whether @sig is a stop signal: SIGSTOP, SIGTSTP, SIGTTIN or SIGTTOU. */
bool mig_signal_stops(int sig);

/* EXIT R->D: how the guest ended. */
struct mig_exit {
	int32_t signaled;	/* 1: killed by signal `code` */
	int32_t code;
};

/* COMEHOME D->R: send the image back (or, with to_node, on). */
struct mig_comehome {
	uint32_t reason;	/* enum mig_home_reason */
	uint32_t pad;
};

enum mig_home_reason {
	MIG_HOME_ASKED = 1,	/* migrate PID home, or moving on */
	MIG_HOME_CALL,		/* the process made a call that runs only at home */
	MIG_HOME_CORE,		/* a signal dumps its core: at home, where it belongs */
};

/* FILEREQ R->D: read [off, off+len) of home fd. FILEDATA: the bytes. */
struct mig_filereq {
	int32_t fd;
	uint32_t pad;
	uint64_t off, len;
};

struct mig_filedata {
	int64_t ret;		/* bytes that follow, or -errno */
};

/* PPID D->R */
struct mig_ppid {
	int32_t ppid;
	int32_t pad;
};

/* CPU R->D, once a second: the guest's CPU time on the node, for home's
 * accounting (mps) and the next move's CPU clock and limit. */
struct mig_cpu {
	uint64_t ns;
};

/*
 * FREEZE D->R: a cgroup freezer at home holds the process (on 1) or let
 * it go (on 0): the node holds the guest the same (rem_trace.c).
 */
struct mig_freeze {
	uint32_t on;
	uint32_t pad;
};

/*
 * PRIO D->R: what an admin set at home while the process is away (renice,
 * chrt, oom_score_adj), for the guest to follow; never more than the
 * node gives guests (rem_prio.c).
 */
struct mig_prio {
	int32_t nice;		/* -20..19 */
	uint32_t policy;	/* SCHED_OTHER, SCHED_BATCH or SCHED_IDLE */
	int32_t oom_adj;	/* -1000..1000 */
	uint32_t pad;
};

/*
 * Decoders: 0 when @buf (@len bytes, as received) is a well-formed payload
 * of that type, -EBADMSG otherwise. They never read beyond @len.
 */
int mig_hello_check(const void *buf, size_t len);
int mig_reason_check(const void *buf, size_t len);
int mig_task_check(const void *buf, size_t len);
/* @ret_vmas points into @buf; VMAs are page-aligned, sorted, disjoint and
 * below the user address limit, and their pages fit inside them. */
int mig_vmas_check(const void *buf, size_t len, const struct mig_vma **ret_vmas,
		   uint32_t *ret_count);
/* FILES: @ret_files points into @buf; each path absolute, NUL-terminated. */
int mig_files_check(const void *buf, size_t len, const struct mig_file **ret_files,
		    uint32_t *ret_count);
/*
 * WARM: FILES whose header's pad is the sender's MIG_VERSION (the first
 * record of a move: HELLO's version check comes after it); another
 * version is -EPROTONOSUPPORT, *@ret_version set then.
 */
int mig_warm_check(const void *buf, size_t len, const struct mig_file **ret_files,
		   uint32_t *ret_count, uint32_t *ret_version);
/* A PAGES header inside @vma, page-aligned, with @len - header bytes. */
int mig_pages_check(const void *buf, size_t len, const struct mig_vma *vma);
/* A SYSCALL: @ret_bufs and @ret_data point into @buf; data lengths add up. */
int mig_fwd_call_check(const void *buf, size_t len, const struct mig_fwd_buf **ret_bufs,
		       const uint8_t **ret_data, size_t *ret_data_len);
/* A SYSRET answering a call with @nbuf buffers: @ret_lens, @ret_data. */
int mig_fwd_ret_check(const void *buf, size_t len, uint32_t nbuf, const uint32_t **ret_lens,
		      const uint8_t **ret_data, size_t *ret_data_len);
/* Fixed-size payloads: SIGNAL, EXIT, END, READY, COMEHOME, FILEREQ, PPID, HAVE... */
/* CIPHER: one known cipher, the secretstream or one @offered (a HELLO's). */
int mig_cipher_check(const void *buf, size_t len, uint32_t offered);
int mig_fixed_check(uint32_t type, size_t len);

/* The highest user address on x86-64. */
#define MIG_USER_TOP 0x00fffffffffff000ull	/* 5-level paging */
#define MIG_PAGE 4096ull

#endif
