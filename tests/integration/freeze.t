#!/usr/bin/env bash
# A process whose cgroup is frozen at home (systemctl freeze, a batch
# system's suspend) while it runs on a node: its guest is held there too,
# using no CPU and writing nothing, and runs on at the thaw. Asked home
# while frozen, it stays on the node, alive, for as long as the freeze
# lasts (home tells the node it lives), then comes home at the thaw and
# runs on to its end. Before, the guest ran on through the freeze, and
# asked home, the deputy waited on the frozen process without a word to
# the node, which took home for lost after 5 s and killed the guest.
# Frozen at home, it cannot move, and migrate says so at once.
set -u
here=$(dirname "$0")
. "$here/../lib/tap.sh"
. "$here/../harness/cluster.sh"
. "$here/../lib/migd_cluster.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (namespaces, ptrace, cgroups)"
	exit 0
fi
# a cgroup of our own, under v2 (cgroup.freeze) or v1's freezer
fz=""
v2=$(awk '$9 == "cgroup2" && $4 == "/" { print $5; exit }' /proc/self/mountinfo)
v1=$(awk '$9 == "cgroup" && $4 == "/" && $11 ~ /(^|,)freezer(,|$)/ { print $5; exit }' \
	/proc/self/mountinfo)
if [ -n "$v2" ] && mkdir "$v2/mosix-freeze.$$" 2>/dev/null; then
	fz=$v2/mosix-freeze.$$
	freeze() { echo "$1" >"$fz/cgroup.freeze"; }
elif [ -n "$v1" ] && mkdir "$v1/mosix-freeze.$$" 2>/dev/null; then
	fz=$v1/mosix-freeze.$$
	freeze() { if [ "$1" = 1 ]; then echo FROZEN; else echo THAWED; fi >"$fz/freezer.state"; }
else
	echo "1..0 # SKIP no cgroup freezer to use (cgroup v2 or v1's freezer)"
	exit 0
fi
cleanup_fz() {
	freeze 0 2>/dev/null
	# anything left goes back to the root before the cgroup goes
	while read -r p; do echo "$p" >"$(dirname "$fz")/cgroup.procs"; done <"$fz/cgroup.procs"
	rmdir "$fz" 2>/dev/null
}
migd_progs

plan 15
migd_cluster_up 2 || { cleanup_fz; echo "Bail out! no cluster"; exit 1; }
d1=$(cluster_dir 1)

# a CPU-bound python3 printing its progress to a file at home
cat >"$d1/tmp/steps.py" <<'P'
n = 0
for i in range(40):
    for k in range(1000000):
        n = (n * 31 + k) % 1000003
    print(i, n, flush=True)
P
run_at 1 s python3 /tmp/steps.py
shell=$!
pid=$(node_pid 1 s)
wait_for 5 grep -q '^1 ' "$d1/tmp/s.out"
# the node's pid namespace is the one the cgroup file speaks
cluster_exec 1 sh -c "echo $pid >$fz/cgroup.procs"
freeze 1
msg=$(cluster_exec 1 timeout 10 "$bin/migrate" "$pid" 2 2>&1)
is "$?" 1 "frozen at home, it cannot migrate"
is "$msg" "cannot migrate $pid: frozen (cgroup freezer)" "and migrate says why"
freeze 0
cluster_exec 1 "$bin/migrate" "$pid" 2
ok $? "thawed, migrate python3 (pid $pid) to node 2"
wait_for 5 guest_of 2 "$pid" >/dev/null
g=$(guest_of 2 "$pid")
ok $? "node 2 hosts its guest (pid ${g:-none} there)"

# frozen while away: held on node 2 too, in a trace stop
guest_state() { cluster_exec 2 sh -c "sed 's/.*) //' /proc/${g:-0}/stat | cut -c1"; }
guest_is() { [ "$(guest_state)" = "$1" ]; }
lines() { grep -c . "$d1/tmp/s.out"; }
freeze 1
wait_for 5 guest_is t
is "$(guest_state)" t "frozen at home: its guest on node 2 is held too (t)"
c0=$(cpu_ticks 2 "$g")
l0=$(lines)
sleep 2
is "$(cpu_ticks 2 "$g")" "$c0" "it used no CPU there in 2 s"
is "$(lines)" "$l0" "and wrote nothing"
freeze 0
ran_on() { (($(cpu_ticks 2 "$g") > c0)); }
wait_for 5 ran_on
ok $? "thawed, it runs on on node 2 ($(guest_state), $(cpu_ticks 2 "$g") ticks)"
if [ "$(ulimit -c)" = 0 ]; then
	is "$(tracer_of 2 "$g")" 0 "untraced again"
else
	# cores on: traced all along, for a core to be written at home
	ok "$([ "$(tracer_of 2 "$g")" != 0 ]; echo $?)" "traced still, as any guest that may dump core"
fi

freeze 1
t0=$(date +%s)
cluster_exec 1 "$bin/migrate" "$pid" home >"$d1/tmp/home.msg" 2>&1 &
asked=$!
# longer than the 5 s after which a node takes a silent home for lost
sleep 7
guest_of 2 "$pid" >/dev/null
ok $? "7 s later, asked home, it still lives on node 2"
grep -q "process $pid: frozen at home (cgroup freezer): it comes home from node 2 once thawed" \
	"$d1/tmp/migd.log"
ok $? "node 1's migd says why it waits"
freeze 0
wait "$asked"
ok $? "thawed after $(($(date +%s) - t0)) s, migrate home returns: $(cat "$d1/tmp/home.msg")"
is "$(cat "$d1/run/mosix/proc/$pid/where" 2>/dev/null)" here "it is home"
wait "$shell"
is "$?" 0 "it ran to its end and exits 0"
is "$(grep -c . "$d1/tmp/s.out")" 40 "40 lines, none lost"
cleanup_fz
