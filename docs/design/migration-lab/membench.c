/* membench.c - what bounds a memory transfer here, in one run (MB arg,
 * default 256): first touch of fresh memory; TCP loopback into touched and
 * into fresh memory; process_vm_readv; userfaultfd (per-fault latency with
 * 4 KiB UFFDIO_COPY, and eager 2 MiB UFFDIO_COPY); libsodium secretstream
 * (XChaCha20-Poly1305) encryption rate. Build: make membench LDLIBS=-lsodium */
#include "lab.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sodium.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

static size_t SZ;
static char *fresh(void)
{
	char *p = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) die("mmap");
	return p;
}
static void report(const char *what, uint64_t t0)
{
	double s = (now_ns() - t0) / 1e9;
	printf("%-44s %7.0f MiB/s\n", what, SZ / 1048576.0 / s);
}
static int uffd;
static char *src;
static void *handler(void *arg)	/* serve faults one 4 KiB page at a time */
{
	char *base = arg;
	for (;;) {
		struct uffd_msg m;
		if (read(uffd, &m, sizeof(m)) != sizeof(m)) return NULL;
		uint64_t a = m.arg.pagefault.address & ~4095ul;
		struct uffdio_copy c = { a, (uint64_t)src + (a - (uint64_t)base), 4096, 0, 0 };
		ioctl(uffd, UFFDIO_COPY, &c);
	}
}
int main(int argc, char **argv)
{
	SZ = (argc > 1 ? strtoul(argv[1], 0, 10) : 256) << 20;
	src = fresh(); memset(src, 1, SZ);
	uint64_t t = now_ns(); char *p = fresh(); memset(p, 2, SZ); report("first touch (memset of fresh anon memory)", t);
	t = now_ns(); memcpy(p, src, SZ); report("memcpy into touched memory", t);
	munmap(p, SZ);
	/* TCP loopback */
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	bind(ls, (void *)&sa, sizeof(sa)); listen(ls, 1); getsockname(ls, (void *)&sa, &sl);
	pid_t kid = fork();
	if (kid == 0) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		connect(c, (void *)&sa, sizeof(sa));
		for (int k = 0; k < 2; k++) write_full(c, src, SZ);
		pause();
	}
	int c = accept(ls, NULL, NULL);
	p = fresh(); memset(p, 0, SZ);
	t = now_ns(); read_full(c, p, SZ); report("TCP loopback into touched memory", t);
	munmap(p, SZ); p = fresh();
	t = now_ns(); read_full(c, p, SZ); report("TCP loopback into fresh memory", t);
	/* process_vm_readv from another process */
	t = now_ns();
	for (size_t o = 0; o < SZ; o += 4 << 20) {
		struct iovec l = { p + o, 4 << 20 }, r = { src + o, 4 << 20 };
		if (process_vm_readv(kid, &l, 1, &r, 1, 0) < 0) die("process_vm_readv");
	}
	report("process_vm_readv (4 MiB chunks, touched)", t);
	kill(kid, SIGKILL); waitpid(kid, NULL, 0); munmap(p, SZ);
	/* userfaultfd: eager 2 MiB copies, then lazy 4 KiB faults */
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
	struct uffdio_api api = { .api = UFFD_API };
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api)) die("userfaultfd");
	p = fresh();
	struct uffdio_register reg = { { (uint64_t)p, SZ }, UFFDIO_REGISTER_MODE_MISSING, 0 };
	if (ioctl(uffd, UFFDIO_REGISTER, &reg)) die("register");
	t = now_ns();
	for (size_t o = 0; o < SZ; o += 2 << 20) {
		struct uffdio_copy cp = { (uint64_t)p + o, (uint64_t)src + o, 2 << 20, 0, 0 };
		if (ioctl(uffd, UFFDIO_COPY, &cp)) die("copy");
	}
	report("UFFDIO_COPY eager, 2 MiB at a time", t);
	munmap(p, SZ); p = fresh();
	reg.range.start = (uint64_t)p;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg)) die("register");
	pthread_t th; pthread_create(&th, NULL, handler, p);
	size_t n = SZ / 4096 < 20000 ? SZ / 4096 : 20000;
	t = now_ns();
	for (size_t i = 0; i < n; i++) if (p[i * 4096] != 1) die("content");
	double us = (now_ns() - t) / 1e3 / n;
	printf("%-44s %7.1f us per fault = %.0f MiB/s\n", "lazy: fault + UFFDIO_COPY 4 KiB (thread)", us, 4096 / us / 1.048576);
	/* authenticated encryption of the stream */
	if (sodium_init() < 0) die("sodium");
	unsigned char key[crypto_secretstream_xchacha20poly1305_KEYBYTES], hdr[24];
	crypto_secretstream_xchacha20poly1305_state st;
	crypto_secretstream_xchacha20poly1305_keygen(key);
	crypto_secretstream_xchacha20poly1305_init_push(&st, hdr, key);
	static unsigned char out[(1 << 16) + 17];
	t = now_ns();
	for (size_t o = 0; o < SZ; o += 1 << 16)
		crypto_secretstream_xchacha20poly1305_push(&st, out, NULL, (unsigned char *)src + o, 1 << 16, NULL, 0, 0);
	report("secretstream push, 64 KiB messages (1 core)", t);
	if (crypto_aead_aes256gcm_is_available()) {
		unsigned char k2[32], npub[12] = { 0 };
		randombytes_buf(k2, sizeof(k2));
		crypto_aead_aes256gcm_state gs;
		crypto_aead_aes256gcm_beforenm(&gs, k2);
		t = now_ns();
		for (size_t o = 0; o < SZ; o += 1 << 16) {
			npub[0]++;
			crypto_aead_aes256gcm_encrypt_afternm(out, NULL, (unsigned char *)src + o, 1 << 16,
							      NULL, 0, NULL, npub, &gs);
		}
		report("AES-256-GCM (AES-NI), 64 KiB messages", t);
	}
	unsigned char tag[16], k3[32];
	randombytes_buf(k3, sizeof(k3));
	t = now_ns();
	for (size_t o = 0; o < SZ; o += 1 << 16)
		crypto_onetimeauth(tag, (unsigned char *)src + o, 1 << 16, k3);
	report("Poly1305 alone (authenticate, no secrecy)", t);
	t = now_ns();
	p = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	memcpy(p, src, SZ);
	report("MAP_POPULATE then memcpy", t);
	return 0;
}
