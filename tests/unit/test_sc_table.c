// SPDX-License-Identifier: GPL-2.0-only
/*
 * The generated system call table: lookups, a few exact descriptors, and
 * the rules every descriptor must keep for the supervisor to marshal it
 * (a length names a value argument, a length pointer a 4-byte buffer...).
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>

#include <cmocka.h>

#include "engine/sc_table.h"

static const struct sc_desc *must(long nr, const char *name)
{
	const struct sc_desc *d = sc_lookup(nr);

	assert_non_null(d);
	assert_string_equal(d->name, name);
	return d;
}

static void assert_arg(const struct sc_arg *a, int kind, int flags, int len_arg, uint32_t size)
{
	assert_int_equal(a->kind, kind);
	assert_int_equal(a->flags, flags);
	assert_int_equal(a->len_arg, len_arg);
	assert_int_equal(a->size, size);
}

static void test_unknown(void **state)
{
	(void)state;
	assert_null(sc_lookup(-1));
	assert_null(sc_lookup(400));		/* a hole in the numbers */
	assert_null(sc_lookup(1000));
	assert_null(sc_lookup(SC_TABLE_SIZE));
	assert_null(sc_lookup(LONG_MAX));
	assert_null(sc_lookup(0x40000000L));	/* the x32 bit */
	/* an unknown number's slot is SC_HOME, as the filter reads it */
	assert_int_equal(sc_table[400].cls, SC_HOME);
	assert_null(sc_table[400].name);
}

static void test_names(void **state)
{
	(void)state;
	must(SYS_read, "read");
	must(SYS_openat, "openat");
	must(SYS_clone3, "clone3");
	must(SYS_rseq, "rseq");
	must(SYS_close_range, "close_range");
	must(SYS_futex_waitv, "futex_waitv");
	must(SYS_set_mempolicy_home_node, "set_mempolicy_home_node");
}

static void test_forwarded(void **state)
{
	const struct sc_desc *d;

	(void)state;
	d = must(SYS_read, "read");
	assert_int_equal(d->cls, SC_FWD);
	assert_int_equal(d->nargs, 3);
	assert_arg(&d->arg[0], SCK_VAL, 0, 0, 0);
	assert_arg(&d->arg[1], SCK_OUT, SCF_LEN_ARG | SCF_RET_LEN, 2, 1);
	assert_arg(&d->arg[2], SCK_VAL, 0, 0, 0);

	d = must(SYS_write, "write");
	assert_arg(&d->arg[1], SCK_IN, SCF_LEN_ARG, 2, 1);

	d = must(SYS_stat, "stat");
	assert_int_equal(d->nargs, 2);
	assert_int_equal(d->arg[0].kind, SCK_STR);
	assert_arg(&d->arg[1], SCK_OUT, 0, 0, 144);

	d = must(SYS_poll, "poll");
	assert_arg(&d->arg[0], SCK_IO, SCF_LEN_ARG, 1, 8);

	d = must(SYS_accept, "accept");
	assert_arg(&d->arg[1], SCK_OUT, SCF_LEN_PTR, 2, 1);
	assert_arg(&d->arg[2], SCK_IO, 0, 0, 4);

	d = must(SYS_readv, "readv");
	assert_arg(&d->arg[1], SCK_IOV_OUT, SCF_LEN_ARG | SCF_RET_LEN, 2, 16);
	d = must(SYS_writev, "writev");
	assert_arg(&d->arg[1], SCK_IOV_IN, SCF_LEN_ARG, 2, 16);

	d = must(SYS_epoll_wait, "epoll_wait");
	assert_arg(&d->arg[1], SCK_OUT, SCF_LEN_ARG, 2, 12);

	d = must(SYS_uname, "uname");
	assert_int_equal(d->cls, SC_FWD);
	assert_arg(&d->arg[0], SCK_OUT, 0, 0, 390);

	d = must(SYS_getuid, "getuid");
	assert_int_equal(d->cls, SC_FWD);
	assert_int_equal(d->nargs, 0);
}

static void test_classes(void **state)
{
	const struct sc_desc *d;

	(void)state;
	assert_int_equal(must(SYS_brk, "brk")->cls, SC_LOCAL);
	assert_int_equal(must(SYS_futex, "futex")->cls, SC_LOCAL);
	assert_int_equal(must(SYS_exit_group, "exit_group")->cls, SC_LOCAL);
	assert_int_equal(must(SYS_clone, "clone")->cls, SC_HOME);
	assert_int_equal(must(SYS_fork, "fork")->cls, SC_HOME);
	assert_int_equal(must(SYS_execve, "execve")->cls, SC_HOME);
	assert_int_equal(must(SYS_mlock, "mlock")->cls, SC_HOME);

	d = must(SYS_getpid, "getpid");
	assert_int_equal(d->cls, SC_ANSWER);
	assert_int_equal(d->answer, SCA_PID);
	assert_int_equal(must(SYS_gettid, "gettid")->answer, SCA_TID);
	assert_int_equal(must(SYS_getppid, "getppid")->answer, SCA_PPID);

	d = must(SYS_mmap, "mmap");
	assert_int_equal(d->cls, SC_SPECIAL);
	assert_int_equal(d->special, SCS_MMAP);
	assert_int_equal(must(SYS_clock_gettime, "clock_gettime")->special, SCS_CPUTIME);
	assert_int_equal(must(SYS_getrusage, "getrusage")->special, SCS_RUSAGE);
	assert_int_equal(must(SYS_getsockopt, "getsockopt")->special, SCS_GETSOCKOPT);
	assert_int_equal(must(SYS_setitimer, "setitimer")->special, SCS_CPUTIMER);
	assert_int_equal(must(SYS_timer_create, "timer_create")->special, SCS_CPUTIMER);
	assert_int_equal(must(SYS_setrlimit, "setrlimit")->special, SCS_RLIMIT);
	assert_int_equal(must(SYS_prlimit64, "prlimit64")->special, SCS_RLIMIT);
	assert_int_equal(must(SYS_setpriority, "setpriority")->special, SCS_PRIORITY);
}

/* What the supervisor relies on, for every entry. */
static void check_desc(const struct sc_desc *d)
{
	if (!d->name) {
		assert_int_equal(d->cls, SC_HOME);
		assert_int_equal(d->nargs, 0);
		return;
	}
	assert_true(d->cls <= SC_SPECIAL);
	assert_int_equal(d->answer != SCA_NONE, d->cls == SC_ANSWER);
	assert_int_equal(d->special != SCS_NONE, d->cls == SC_SPECIAL);
	assert_true(d->answer <= SCA_PPID);
	assert_true(d->special <= SCS_SIGACTION);
	if (d->cls != SC_FWD) {
		assert_int_equal(d->nargs, 0);
		return;
	}
	assert_true(d->nargs <= SC_NARGS);
	for (int i = 0; i < d->nargs; i++) {
		const struct sc_arg *a = &d->arg[i];
		const struct sc_arg *t = &d->arg[a->len_arg];

		assert_true(a->kind <= SCK_SIGSET);
		if (a->kind == SCK_VAL || a->kind == SCK_STR || a->kind == SCK_SIGSET) {
			assert_int_equal(a->flags, 0);
			continue;
		}
		assert_true(a->size > 0);
		assert_false((a->flags & SCF_LEN_ARG) && (a->flags & SCF_LEN_PTR));
		if (a->flags & (SCF_LEN_ARG | SCF_LEN_PTR)) {
			assert_true(a->len_arg < d->nargs);
			assert_int_not_equal(a->len_arg, i);
		}
		if (a->flags & SCF_LEN_ARG)
			assert_int_equal(t->kind, SCK_VAL);
		if (a->flags & SCF_LEN_PTR) {
			assert_true(t->kind == SCK_IN || t->kind == SCK_IO);
			assert_int_equal(t->flags, 0);
			assert_int_equal(t->size, 4);
		}
		if (a->kind == SCK_IOV_IN || a->kind == SCK_IOV_OUT)
			assert_true(a->flags & SCF_LEN_ARG);
		if (a->flags & SCF_RET_LEN)
			assert_true(a->kind == SCK_OUT || a->kind == SCK_IO ||
				    a->kind == SCK_IOV_OUT);
	}
}

static void test_every_entry(void **state)
{
	(void)state;
	for (long nr = 0; nr < SC_TABLE_SIZE; nr++) {
		const struct sc_desc *d = sc_lookup(nr);

		check_desc(&sc_table[nr]);
		if (d)
			assert_ptr_equal(d, &sc_table[nr]);
		else
			assert_null(sc_table[nr].name);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_forwarded),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_every_entry),
	};

	return cmocka_run_group_tests_name("sc_table", tests, NULL, NULL);
}
