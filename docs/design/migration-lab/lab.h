/* lab.h - shared by the migration-lab experiments: helpers, the image
 * layout (native structs; the real stream is versioned big-endian records),
 * the forwarding messages and the restorer blob's arguments. */
#ifndef LAB_H
#define LAB_H
#define _GNU_SOURCE
#include <stdint.h>
#include <stddef.h>
#include <sys/user.h>

#define IMG_MAGIC 0x4d584d47u /* "MXMG" */
#define IMG_VERSION 1
#define MAX_VMAS 512
#define XSTATE_MAX 4096
#define VDSO_MAX (4 * 4096)

struct ksigaction {		/* the kernel's struct sigaction on x86-64 */
	uint64_t handler, flags, restorer, mask;
};

enum vma_kind { VK_ANON = 1, VK_FILE = 2, VK_STACK = 3, VK_HEAP = 4, VK_VDSOPROXY = 5 };

struct img_vma {
	uint64_t start, end;
	uint32_t prot, kind;
	uint64_t bytes;		/* payload bytes that follow as runs */
	uint64_t stage;		/* restorer only: staging address */
};

struct img_hdr {
	uint32_t magic, version, nvma, xsize;
	struct user_regs_struct regs;	/* includes fs_base, gs_base */
	uint8_t xstate[XSTATE_MAX] __attribute__((aligned(64)));
	uint64_t sigmask;
	struct ksigaction act[65];
	uint64_t ss_sp; int32_t ss_flags, pad0; uint64_t ss_size;	/* stack_t */
	uint64_t rseq_ptr; uint32_t rseq_len, rseq_sig;
	uint64_t robust_head, robust_len;
	uint64_t start_code, end_code, start_data, end_data, start_brk, brk,
		 start_stack, arg_start, arg_end, env_start, env_end;
	uint64_t auxv[64]; uint32_t auxv_size, pad1;
	uint64_t vvar_start, vdso_start, vdso_end;	/* home layout */
	uint8_t vdso[VDSO_MAX];				/* home vDSO bytes */
	int32_t home_pid, home_ppid;
};
/* After the header: nvma struct img_vma, then per VMA runs of
 * {uint64_t addr, len} + len bytes until vma.bytes are consumed. */

/* Forwarding protocol between remote supervisor and home deputy. */
enum { M_READY = 1, M_GO, M_ABORT, M_SYSCALL, M_SYSRET, M_SIGNAL, M_KILL, M_EXIT,
       M_COMEHOME, M_IMAGE, M_HOMEOK };
struct msg {
	uint32_t type, len;	/* len: payload bytes after this header */
	int64_t a[8];		/* SYSCALL: nr, args[6], out_len; SYSRET: ret */
};

/* Arguments of the restorer blob; it runs with no libc, see blob.c. */
struct blob_range { uint64_t from, to, len; uint32_t prot, flags; };
struct blob_args {
	uint64_t old_rseq, old_rseq_len;	/* the restorer's own rseq */
	uint64_t rsv, rsv_len, keep_len;	/* reservation; blob keeps [rsv, rsv+keep) */
	uint64_t sync;				/* shared page: [0] state/fd, [1] go */
	uint64_t frame;				/* rsp for rt_sigreturn */
	uint64_t mm[11 + 4];			/* struct prctl_mm_map, filled by remote */
	uint32_t nunmap, nmove, nfilter, pad;
	uint64_t fprog;			/* struct sock_fprog * */
	struct img_hdr *h;
	struct blob_range unmap[64];
	struct blob_range move[MAX_VMAS + 8];
};

#define die(...) do { fprintf(stderr, __VA_ARGS__); fprintf(stderr, ": %m\n"); exit(1); } while (0)

#ifndef LAB_NO_LIBC
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
static inline uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + t.tv_nsec;
}
static inline int read_full(int fd, void *buf, size_t n)
{
	char *p = buf;
	while (n) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) return -1;
		p += r; n -= r;
	}
	return 0;
}
static inline int write_full(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t r = write(fd, p, n);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) return -1;
		p += r; n -= r;
	}
	return 0;
}
static inline int send_msg(int fd, uint32_t type, const int64_t *a, int na, const void *p, uint32_t len)
{
	struct msg m = { .type = type, .len = len };
	for (int i = 0; i < na; i++) m.a[i] = a[i];
	if (write_full(fd, &m, sizeof(m))) return -1;
	return len ? write_full(fd, p, len) : 0;
}
#endif
#endif
