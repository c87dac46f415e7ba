/* cantmove.c PID... - the reasons a process cannot migrate, each read from
 * /proc without stopping it (what `mps` shows in its CANTMOVE column and
 * what `migrate` refuses with). Prints "movable" or one line per reason. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int n;
static void why(pid_t pid, const char *r, const char *d)
{
	printf("%d: cannot migrate: %s%s%s\n", pid, r, d ? ": " : "", d ? d : "");
	n++;
}
static void check(pid_t pid)
{
	char p[64], l[1024], st[4096];
	n = 0;
	snprintf(p, sizeof(p), "/proc/%d/stat", pid);
	FILE *f = fopen(p, "r");
	if (!f || !fgets(st, sizeof(st), f)) { why(pid, "no such process", NULL); return; }
	fclose(f);
	char *s = strrchr(st, ')') + 2, state = *s;
	unsigned long v[60] = { 0 }; int i = 3;
	for (char *t = strtok(s, " "); t && i < 60; t = strtok(NULL, " "), i++) v[i] = strtoul(t, 0, 10);
	if (pid == 1) why(pid, "init", NULL);
	if (v[9] & 0x00200000) why(pid, "kernel thread", NULL);
	if (state == 'Z' || state == 'X') why(pid, "exiting", NULL);
	if (v[41] == 1 || v[41] == 2 || v[41] == 6) why(pid, "real-time scheduling", NULL);
	snprintf(p, sizeof(p), "/proc/%d/status", pid);
	f = fopen(p, "r");
	while (f && fgets(l, sizeof(l), f)) {
		long x;
		if (sscanf(l, "Threads: %ld", &x) == 1 && x > 1) why(pid, "threads (shared address space)", NULL);
		if (sscanf(l, "TracerPid: %ld", &x) == 1 && x) why(pid, "already traced", NULL);
		if (sscanf(l, "Seccomp: %ld", &x) == 1 && x) why(pid, "own seccomp filter (v1)", NULL);
		if (sscanf(l, "VmLck: %ld", &x) == 1 && x) why(pid, "locked memory (mlock)", NULL);
		if (!strncmp(l, "x86_Thread_features:", 20) && strstr(l, "shstk")) why(pid, "shadow stack (v1)", NULL);
	}
	if (f) fclose(f);
	snprintf(p, sizeof(p), "/proc/%d/smaps", pid);
	f = fopen(p, "r");
	char range[128] = "", name[512] = "";
	int shared = 0;
	while (f && fgets(l, sizeof(l), f)) {
		unsigned long a, b; char perm[8];
		if (sscanf(l, "%lx-%lx %7s", &a, &b, perm) == 3 && strchr(l, ' ')) {
			snprintf(range, sizeof(range), "%lx-%lx", a, b);
			char *nm = l; for (int k = 0; k < 5 && nm; k++) nm = strchr(nm + 1, ' ');
			while (nm && *nm == ' ') nm++;
			snprintf(name, sizeof(name), "%s %s", range, nm ? strtok(nm, "\n") : "");
			shared = perm[3] == 's';
			if (strstr(l, "/SYSV")) why(pid, "SysV shared memory", name);
			continue;
		}
		long pk;
		if (sscanf(l, "ProtectionKey: %ld", &pk) == 1 && pk) why(pid, "memory protection keys", name);
		if (strncmp(l, "VmFlags:", 8)) continue;
		if (shared && strstr(l, " mw")) why(pid, "writable shared mapping", name);
		if ((strstr(l, " io") || strstr(l, " pf")) && !strstr(name, " [v"))	/* not vvar/vdso */
			why(pid, "device mapping", name);
		if (strstr(l, " ht")) why(pid, "hugetlbfs mapping (v1)", name);
		if (strstr(l, " ui") || strstr(l, " uf")) why(pid, "userfaultfd-registered memory", name);
		if (strstr(l, " ss ")) why(pid, "shadow stack (v1)", name);
	}
	if (f) fclose(f);
	snprintf(p, sizeof(p), "/proc/%d/fd", pid);
	DIR *d = opendir(p);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char fp[400], t[256] = "";
		snprintf(fp, sizeof(fp), "%s/%s", p, e->d_name);
		if (readlink(fp, t, sizeof(t) - 1) <= 0) continue;
		if (strstr(t, "[signalfd]")) why(pid, "signalfd open (signals are handled remotely)", NULL);
		if (strstr(t, "[userfaultfd]")) why(pid, "userfaultfd open", NULL);
		if (strstr(t, "[io_uring]")) why(pid, "io_uring (v1)", NULL);
		if (strstr(t, "[perf_event]")) why(pid, "perf events", NULL);
	}
	if (d) closedir(d);
	snprintf(p, sizeof(p), "/proc/%d/timers", pid);
	f = fopen(p, "r");
	while (f && fgets(l, sizeof(l), f)) {
		int clk;
		if (sscanf(l, "ClockID: %d", &clk) == 1 && (clk == 2 || clk == 3 || clk < 0))
			why(pid, "CPU-time timer (counts home CPU time)", NULL);
	}
	if (f) fclose(f);
	if (!n) printf("%d: movable\n", pid);
}
int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) check(atoi(argv[i]));
	return 0;
}
