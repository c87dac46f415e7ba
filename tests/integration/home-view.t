#!/usr/bin/env bash
# What home shows of a process that is away. A CPU-bound python3 runs on
# node 2: ps at home shows its command line and /proc/PID/environ its
# environment (both read from its memory, which left home), as before the
# move; mps at home shows the CPU time its guest used (the home kernel's,
# which ps shows, stays near 0), and still does after it came home; moved
# again, its own CPU clock (time.process_time, CLOCK_PROCESS_CPUTIME_ID)
# on the node goes on from all the time it used, the first trip's
# included.
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

plan 12
migd_cluster_up 2 || { echo "Bail out! no cluster"; exit 1; }
d1=$(cluster_dir 1)

# busy, printing its CPU clock every half second, until /tmp/stop
printf '%s' 'import os, time
print("ready", flush=True)
t = time.monotonic()
while True:
    if time.monotonic() - t >= 0.5:
        if os.path.exists("/tmp/stop"):
            break
        t = time.monotonic()
        print("cpu %.3f" % time.process_time(), flush=True)
' >"$d1/tmp/busy.py"
run_at 1 b env MOSIX_TEST_MARK=home-view python3 /tmp/busy.py
shell=$!
pid=$(node_pid 1 b)
wait_for 5 grep -q '^ready' "$d1/tmp/b.out"
args() { cluster_exec 1 ps -o args= -p "$pid"; }
environ() { cluster_exec 1 cat "/proc/$pid/environ" | tr '\0' '\n'; }
args0=$(args)
env0=$(environ)

# mps_secs: mps's TIME of the process, in seconds
mps_secs() {
	local t
	t=$(cluster_exec 1 "$bin/mps" --no-header "$pid" |
		awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+:[0-9][0-9]:[0-9][0-9]$/) print $i }')
	IFS=: read -r h m s <<<"$t"
	echo $((10#$h * 3600 + 10#$m * 60 + 10#$s))
}
mps_at_least() { [ "$(mps_secs)" -ge "$1" ]; }
# the kernel's figure at home, in seconds (ps's TIME)
ps_secs() { cluster_exec 1 cat "/proc/$pid/stat" | sed 's/.*) //' | awk '{ print int(($12 + $13) / 100) }'; }
lines() { grep -c '^cpu' "$d1/tmp/b.out"; }
last_cpu() { sed -n 's/^cpu //p' "$d1/tmp/b.out" | tail -n 1; }

cluster_exec 1 "$bin/migrate" "$pid" 2
ok $? "migrate the busy python3 (pid $pid) to node 2"
# its supervisor records it just after the commit that ends migrate
wait_for 5 guest_of 2 "$pid" >/dev/null
ok $? "node 2 hosts its guest"
is "$(args)" "$args0" "ps at home shows its command line"
is "$(environ)" "$env0" "/proc/PID/environ at home shows its environment"
like "$(environ)" "^MOSIX_TEST_MARK=home-view\$" "... the one it was started with"
wait_for 15 mps_at_least 2
ok $? "mps at home: TIME counts its guest's CPU time ($(mps_secs) s)"
ok "$([ "$(ps_secs)" -lt 2 ]; echo $?)" \
	"home's kernel counted $(ps_secs) s (what ps shows): the rest was on node 2"

# what its clock read last on node 2: all it had used by then
v1=$(last_cpu)
cluster_exec 1 "$bin/migrate" "$pid" home
ok $? "brought home"
away=$(mps_secs)
ok "$([ "$away" -ge 2 ]; echo $?)" "mps still counts the time it used away ($away s)"

n=$(lines)
cluster_exec 1 "$bin/migrate" "$pid" 2
ok $? "moved to node 2 again"
more() { [ "$(lines)" -ge $((n + 3)) ]; }
wait_for 10 more
v=$(last_cpu)
ok "$(awk -v v="${v:-0}" -v a="${v1:-0}" 'BEGIN { exit !(a > 1 && v >= a) }'; echo $?)" \
	"there its CPU clock reads ${v:-nothing} s, on from the ${v1:-?} s it read on node 2 before"
touch "$d1/tmp/stop"
wait "$shell"
is "$?" 0 "it exits 0"
