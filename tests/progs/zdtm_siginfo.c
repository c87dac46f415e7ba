// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_siginfo: what a SA_SIGINFO handler learns of the sender, after the
 * migration. SIGUSR1 sent by the test (kill at home, before SIGUSR2):
 * SI_USER, the sender's uid, and the sender's pid, which the test wrote
 * into the file named by the first argument (if any) before it sent. A
 * real-time
 * signal the process queues to itself with sigqueue: SI_QUEUE, its own
 * pid and the value it sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "zdtm.h"

struct seen {
	volatile sig_atomic_t n;
	int code, value;
	pid_t pid;
	uid_t uid;
};

static struct seen usr1, rt;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	struct seen *s = sig == SIGUSR1 ? &usr1 : &rt;

	(void)uc;
	s->code = si->si_code;
	s->pid = si->si_pid;
	s->uid = si->si_uid;
	s->value = si->si_value.sival_int;
	s->n++;
}

static void await(struct seen *s)
{
	for (int i = 0; i < 100 && !s->n; i++)
		usleep(10000);
}

/* the sender's pid from @path, or 0 */
static pid_t sender(const char *path)
{
	FILE *f = path ? fopen(path, "re") : NULL;
	int pid = 0;

	if (f) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return pid;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = on_sig, .sa_flags = SA_SIGINFO | SA_RESTART };
	int rtsig = SIGRTMIN + 1;

	zdtm_init("zdtm_siginfo");
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(rtsig, &sa, NULL);

	zdtm_ready();
	zdtm_wait();

	await(&usr1);
	zdtm_check(usr1.n == 1, "SIGUSR1 from the test ran %d times", (int)usr1.n);
	zdtm_check(usr1.code == SI_USER, "SIGUSR1: si_code %d, expected SI_USER", usr1.code);
	zdtm_check(usr1.pid != 0 && usr1.pid != getpid(), "SIGUSR1: si_pid %d", (int)usr1.pid);
	if (argc > 1)
		zdtm_check(usr1.pid == sender(argv[1]), "SIGUSR1: si_pid %d, the sender was %d",
			   (int)usr1.pid, (int)sender(argv[1]));
	zdtm_check(usr1.uid == getuid(), "SIGUSR1: si_uid %d, expected %d", (int)usr1.uid,
		   (int)getuid());

	zdtm_check(sigqueue(getpid(), rtsig, (union sigval){ .sival_int = 4242 }) == 0,
		   "sigqueue: %m");
	await(&rt);
	zdtm_check(rt.n == 1, "the queued signal ran %d times", (int)rt.n);
	zdtm_check(rt.code == SI_QUEUE, "queued: si_code %d, expected SI_QUEUE", rt.code);
	zdtm_check(rt.pid == getpid(), "queued: si_pid %d, expected %d", (int)rt.pid,
		   (int)getpid());
	zdtm_check(rt.value == 4242, "queued: si_value %d, expected 4242", rt.value);
	return zdtm_done();
}
