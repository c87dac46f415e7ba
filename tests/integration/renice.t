#!/usr/bin/env bash
# What an admin does at home to a process that is away reaches its guest:
# renice, chrt (batch, idle, other) and oom_score_adj on the home pid are
# set on the guest within a couple of seconds, never beyond what the node
# gives guests (a negative nice stays home's alone; so would a negative
# oom_score_adj, which root here, without CAP_SYS_RESOURCE, cannot set).
# Home keeps the admin's values, and the guest's own getpriority (run at
# home) sees them. ionice at home is taken by the process's deputy, which
# does the process's file I/O while it is away.
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

plan 13
migd_cluster_up 2 || { echo "Bail out! no cluster"; exit 1; }
d1=$(cluster_dir 1)

# a python3 that prints its own nice value (getpriority, run at home) when
# /tmp/ask appears, until /tmp/stop does
printf '%s' 'import os, time
print("ready", flush=True)
while not os.path.exists("/tmp/stop"):
    if os.path.exists("/tmp/ask"):
        os.unlink("/tmp/ask")
        print("nice", os.getpriority(os.PRIO_PROCESS, 0), flush=True)
    time.sleep(0.05)
' >"$d1/tmp/prio.py"
run_at 1 p python3 /tmp/prio.py
shell=$!
pid=$(node_pid 1 p)
wait_for 5 grep -q '^ready' "$d1/tmp/p.out"
cluster_exec 1 "$bin/migrate" "$pid" 2
ok $? "migrate python3 (pid $pid) to node 2"
# its supervisor records it just after the commit that ends migrate
wait_for 5 guest_of 2 "$pid" >/dev/null
g=$(guest_of 2 "$pid")
ok $? "node 2 hosts its guest (pid ${g:-none} there)"

# guest_field N: field N of the guest's /proc/PID/stat on node 2 (after
# the comm): 17 is the nice value, 39 the policy
guest_field() { cluster_exec 2 sed 's/.*) //' "/proc/${g:-0}/stat" | cut -d' ' -f"$1"; }
guest_oom() { cluster_exec 2 cat "/proc/${g:-0}/oom_score_adj"; }
guest_is() { [ "$("$1" "${@:3}")" = "$2" ]; }

cluster_exec 1 renice -n 9 -p "$pid" >/dev/null
wait_for 5 guest_is guest_field 9 17
is "$(guest_field 17)" 9 "renice -n 9 at home: the guest on node 2 runs at nice 9"
cluster_exec 1 chrt --idle -p 0 "$pid"
wait_for 5 guest_is guest_field 5 39
is "$(guest_field 39)" 5 "chrt --idle at home: the guest is SCHED_IDLE (5)"
cluster_exec 1 chrt --other -p 0 "$pid"
wait_for 5 guest_is guest_field 0 39
is "$(guest_field 39)" 0 "chrt --other at home: SCHED_OTHER again"
cluster_exec 1 sh -c "echo 600 > /proc/$pid/oom_score_adj"
wait_for 5 guest_is guest_oom 600
is "$(guest_oom)" 600 "oom_score_adj 600 at home: the guest's too"
cluster_exec 1 sh -c "echo 100 > /proc/$pid/oom_score_adj"
wait_for 5 guest_is guest_oom 100
is "$(guest_oom)" 100 "then 100: the guest's too"
deputy=$(tracer_of 1 "$pid")
deputy_io() { cluster_exec 1 ionice -p "${deputy:-0}" 2>&1; }
cluster_exec 1 ionice -c 3 -p "$pid"
wait_for 5 guest_is deputy_io idle
is "$(deputy_io)" idle "ionice -c 3 at home: its deputy (pid ${deputy:-none}) does its I/O as idle"
cluster_exec 1 ionice -c 2 -n 6 -p "$pid"
wait_for 5 guest_is deputy_io "best-effort: prio 6"
is "$(deputy_io)" "best-effort: prio 6" "ionice -c 2 -n 6: so does the deputy"
# lower than the node gives guests: not granted there
cluster_exec 1 renice -n -4 -p "$pid" >/dev/null
wait_for 5 guest_is guest_field 0 17
is "$(guest_field 17)" 0 "renice -n -4 at home: the guest gets 0, no more"
touch "$d1/tmp/ask"
wait_for 5 grep -q '^nice' "$d1/tmp/p.out"
is "$(sed -n 's/^nice //p' "$d1/tmp/p.out")" -4 "its own getpriority (at home) says -4"
guest_of 2 "$pid" >/dev/null
ok $? "it ran on node 2 all along"
touch "$d1/tmp/stop"
wait "$shell"
is "$?" 0 "it exits 0"
