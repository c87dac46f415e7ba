/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_CPUFEAT_H
#define MOSIX_CPUFEAT_H

/*
 * The CPU features a user program may choose at run time (glibc's string
 * functions, ld.so's lazy binding, libm, OpenSSL...) and then expect on
 * every CPU it runs on. A process moved to a node whose CPU lacks one
 * dies of SIGILL, so the node refuses it instead (mosix-migd), naming
 * what it lacks.
 *
 * A set is a uint64_t, bit i for cpufeat_table[i]. Sets travel between
 * nodes (the HELLO's cpu_need), so the bit positions are wire format:
 * entries are only ever added at the end. Features that only
 * tune speed (ERMS, FSRM) and those of the kernel (PCID, x2APIC, XSAVES)
 * are not listed: a program works without them.
 */

#include <stddef.h>
#include <stdint.h>

struct cpufeat {
	const char *name;	/* as in /proc/cpuinfo */
	const char *glibc;	/* glibc.cpu.hwcaps name glibc honours, or NULL */
	uint32_t leaf, sub;
	uint8_t reg;		/* 0 eax, 1 ebx, 2 ecx, 3 edx */
	uint8_t bit;
	uint64_t xcr0;		/* XCR0 bits the OS must enable for it */
};

extern const struct cpufeat cpufeat_table[];
extern const unsigned cpufeat_count;

/* This CPU's features (CPUID, and XCR0 for the register files). */
uint64_t cpufeat_local(void);

/* The names of @set, space-separated, in @buf (truncated to @len). */
void cpufeat_names(uint64_t set, char *buf, size_t len);

/*
 * Names separated by spaces or commas into *@set. 0, or -EINVAL with the
 * first unknown name in @bad.
 */
int cpufeat_parse(const char *text, uint64_t *set, char *bad, size_t badlen);

/*
 * The features a process's glibc was told not to use: the
 * "glibc.cpu.hwcaps=-NAME,..." of GLIBC_TUNABLES in @env (the NUL-separated
 * /proc/PID/environ, @len bytes), names as glibc spells them. Only those
 * nothing but glibc itself chooses by CPUID count (XSAVEC, which ld.so's
 * lazy binding uses): other code (OpenSSL, BLAS, multiversioned
 * functions) reads CPUID itself and may use AVX2 or AVX-512 whatever
 * glibc was told. Those an admin may declare unused in mig_cpu_ignore.
 */
uint64_t cpufeat_glibc_off(const char *env, size_t len);

#endif
