#!/usr/bin/env bash
# Processes that must stay home stay, and run on unharmed.
# - A process whose memory another process runs on (clone(CLONE_VM)
#   without CLONE_THREAD, or a vfork child before its exec): moving the
#   memory would pull it from under the other. tests/progs/cant_sharedmm
#   makes such a pair, the child counting in the shared memory and the
#   parent watching the count. Neither may move, by migd's check before
#   the stop, and by the deputy's check again once the process is stopped
#   (a sibling made in between: MOSIX_FAULT=late-stop makes the deputy
#   wait two seconds before it stops the process). Both go on counting.
# - python3 with an interval timer on its CPU time (ITIMER_VIRTUAL), which
#   would count the home task's time, and it no longer runs there: /proc
#   does not show it, the deputy asks the stopped process.
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

plan 20
migd_cluster_up 2 || { echo "Bail out! no cluster"; exit 1; }
d1=$(cluster_dir 1)

# start TAG ARGS...: cant_sharedmm ARGS on node 1 until it says "ready";
# its pid in $pid, the child it printed (if any) in $child
start() {
	local tag=$1 line
	shift
	run_at 1 "$tag" "$progs/cant_sharedmm" "$@"
	pid=$(node_pid 1 "$tag")
	wait_for 5 grep -q '^ready' "$d1/tmp/$tag.out"
	line=$(head -n 1 "$d1/tmp/$tag.out")
	child=${line#ready}
	child=${child# }
}

# refused PID WHAT [REASON]: migrate PID to node 2 fails, naming the
# reason (default: address space shared), and node 2 hosts no guest of it
refused() {
	local msg
	msg=$(cluster_exec 1 "$bin/migrate" "$1" 2 2>&1)
	is "$?" 1 "$2: migrate fails"
	like "$msg" "cannot migrate $1: ${3:-address space shared}" "$2: with the reason ($msg)"
	ok "$(guest_of 2 "$1" >/dev/null && echo 1 || echo 0)" "$2: no guest of it on node 2"
}

# counting TAG PID CHILD: after 1.5 s more, both are alive and the count
# has not stopped (the parent prints FAIL and exits when it does)
counting() {
	sleep 1.5
	ok "$(cluster_exec 1 kill -0 "$2" "$3" 2>/dev/null && echo 0 || echo 1)" \
		"$1: parent $2 and child $3 still run"
	ok "$(grep -q FAIL "$d1/tmp/$1.out" && echo 1 || echo 0)" \
		"$1: the count goes on ($(tail -n 1 "$d1/tmp/$1.out"))"
}

# --- migd's check, before any stop ----------------------------------------------
start pair 60
like "$(cluster_exec 1 "$bin/mps" --no-header "$pid")" "address space shared" \
	"mps: the parent's CANTMOVE is 'address space shared'"
refused "$pid" "the parent"
refused "$child" "the child"
counting pair "$pid" "$child"
cluster_exec 1 kill -9 "$pid" "$child" 2>/dev/null

# --- an interval timer on CPU time: seen only once the process is stopped -------
# shellcheck disable=SC2016 # python's
run_at 1 vtimer python3 -c 'import signal, sys, time
signal.setitimer(signal.ITIMER_VIRTUAL, 3600)
print("ready", flush=True)
for i in range(600):
    time.sleep(0.1)
print("done", flush=True)'
pid=$(node_pid 1 vtimer)
wait_for 5 grep -q '^ready' "$d1/tmp/vtimer.out"
refused "$pid" "python3 with ITIMER_VIRTUAL armed" "CPU-time timer"
sleep 0.5
ok "$(cluster_exec 1 kill -0 "$pid" 2>/dev/null && echo 0 || echo 1)" \
	"python3 still runs at home"
is "$(cluster_exec 1 cat "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f3)" S \
	"and sleeps there, not stopped"
cluster_exec 1 kill -9 "$pid" 2>/dev/null

# --- the deputy's check, once the process is stopped ----------------------------
migd_kill 1
MIGD_ENV_1=MOSIX_FAULT=late-stop migd_start 1 || { echo "Bail out! no migd"; exit 1; }
start late 60 late
cluster_exec 1 "$bin/migrate" "$pid" 2 >"$d1/tmp/late.migrate" 2>&1 &
mig=$!
sleep 0.5
cluster_exec 1 kill -USR1 "$pid"
wait_for 5 grep -q '^cloned' "$d1/tmp/late.out"
child=$(sed -n 's/^cloned //p' "$d1/tmp/late.out")
wait "$mig"
is "$?" 1 "a sibling made after migd's check: migrate fails"
like "$(cat "$d1/tmp/late.migrate")" "cannot migrate $pid: address space shared" \
	"with the reason the deputy found once it stopped the process"
counting late "$pid" "$child"
cluster_exec 1 kill -9 "$pid" "$child" 2>/dev/null

# the same delay with nothing made meanwhile: it moves (the check refuses
# only what it should)
start alone 60 late
msg=$(cluster_exec 1 "$bin/migrate" "$pid" 2 2>&1)
ok $? "with no sibling it moves all the same${msg:+: $msg}"
g=$(guest_of 2 "$pid")
ok $? "node 2 hosts its guest (pid ${g:-none} there)"
cluster_exec 1 kill -9 "$pid" 2>/dev/null
