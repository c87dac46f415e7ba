#!/usr/bin/env bash
# The CPU time a migrated process reads of itself counts its time on the
# node: python3, moved to node 2 while it sleeps, spins there for 1.5 s,
# then prints what getrusage(RUSAGE_SELF), times() and
# clock_gettime(CLOCK_PROCESS_CPUTIME_ID) say (resource.getrusage,
# os.times, time.process_time). The node answers the CPU clock itself;
# getrusage and times run at home, whose kernel counts only the home
# task's time, so the deputy adds the time away. All three must count the
# spin (at least 0.5 s, whatever the machine's load gave it) and agree to
# 0.3 s; RUSAGE_CHILDREN is home's alone (it never had children; what
# the shell before its exec reaped is far below the spin).
set -u
here=$(dirname "$0")
. "$here/../lib/tap.sh"
. "$here/../harness/cluster.sh"
. "$here/../lib/migd_cluster.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (namespaces, ptrace)"
	exit 0
fi
migd_progs

plan 8
migd_cluster_up 2 || { echo "Bail out! no cluster"; exit 1; }
d1=$(cluster_dir 1)

cat >"$d1/tmp/spin.py" <<'PY'
import os, resource, time
time.sleep(2)
end = time.monotonic() + 1.5
while time.monotonic() < end:
    pass
ru = resource.getrusage(resource.RUSAGE_SELF)
t = os.times()
ch = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f %.3f %.3f %.3f" % (time.process_time(), ru.ru_utime + ru.ru_stime,
                               t.user + t.system, ch.ru_utime + ch.ru_stime))
PY
run_at 1 spin python3 /tmp/spin.py
pid=$(node_pid 1 spin python3)
cluster_exec 1 "$bin/migrate" "$pid" 2
ok $? "python3 moved to node 2 while it sleeps"
g=$(guest_of 2 "$pid")
ok $? "node 2 hosts its guest (pid ${g:-none} there)"
wait_for 15 test -s "$d1/tmp/spin.out"
read -r clock ru tms children <"$d1/tmp/spin.out"
diag "CPU clock ${clock:-?} s, getrusage ${ru:-?} s, times ${tms:-?} s, children ${children:-?} s"
# atleast A B: A >= B; near A B: |A - B| <= 0.3
atleast() { awk -v a="${1:-0}" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
near() { awk -v a="${1:-0}" -v b="${2:-99}" 'BEGIN { d = a - b; exit !(d <= 0.3 && d >= -0.3) }'; }
atleast "${clock:-0}" 0.5
ok $? "the CPU clock counts the spin on node 2 (${clock:-none} s)"
atleast "${ru:-0}" 0.5
ok $? "so does getrusage(RUSAGE_SELF) (${ru:-none} s)"
near "${ru:-0}" "${clock:-0}"
ok $? "getrusage agrees with the CPU clock"
atleast "${tms:-0}" 0.5
ok $? "so does times() (${tms:-none} s)"
near "${tms:-0}" "${clock:-0}"
ok $? "times agrees with the CPU clock"
awk -v c="${children:-9}" 'BEGIN { exit !(c < 0.3) }'
ok $? "RUSAGE_CHILDREN: home's, the spin not in it (${children:-none} s)"
