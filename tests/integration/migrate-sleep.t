#!/usr/bin/env bash
# A process moved while it sleeps sleeps only what was left: coreutils'
# sleep (a relative clock_nanosleep with a rem of its own, into which the
# kernel writes the time left when the stop interrupts it) moved to node 2
# and home again mid-sleep, and, as a guard of the absolute case that
# needs nothing, python3's time.sleep (an absolute clock_nanosleep) moved
# to node 2 mid-sleep: each ends after the time asked, not later, with
# status 0.
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

plan 15
migd_cluster_up 2 || { echo "Bail out! no cluster"; exit 1; }
d1=$(cluster_dir 1)
# mosix-guest where the package made it, else nobody
guest_uid=$(id -u mosix-guest 2>/dev/null || echo 65534)

# timed TAG CMD...: CMD under a shell of node 1 that prints, when CMD
# ends, its status, start and end ($EPOCHREALTIME); CMD's pid in $pid
timed() {
	local tag=$1 sh
	shift
	# shellcheck disable=SC2016 # the inner shell's
	run_at 1 "$tag" bash -c 's=$EPOCHREALTIME; "$@"; echo "$? $s $EPOCHREALTIME"' bash "$@"
	sh=$(node_pid 1 "$tag")
	pid=$(child_of 1 "$sh")
}

# ended TAG SECS: CMD exited 0 after at least SECS seconds and less than
# SECS + 0.8 (a move takes some ms, a restarted sleep the whole SECS again)
ended() {
	local tag=$1 secs=$2 f=$d1/tmp/$1.out st t0 t1 ms
	wait_for $((secs + 10)) test -s "$f"
	read -r st t0 t1 <"$f"
	is "${st:-none}" 0 "$tag: exit status 0"
	ms=$(awk -v a="${t0:-0}" -v b="${t1:-0}" 'BEGIN { printf "%d", (b - a) * 1000 }')
	((ms >= secs * 1000 && ms < secs * 1000 + 800))
	ok $? "$tag: slept $ms ms, asked for $((secs * 1000))"
}

# sleeps_on K PID: node K hosts PID's guest, and the guest sleeps there in
# clock_nanosleep (230), a local call: two checks
sleeps_on() {
	local g nr
	g=$(guest_of "$1" "$2")
	ok $? "node $1 hosts its guest (pid ${g:-none} there)"
	# shellcheck disable=SC2016 # awk's
	is "$(cluster_exec "$1" awk '/^Uid:/ { print $2 }' "/proc/${g:-0}/status")" "$guest_uid" \
		"as the guests' user (uid $guest_uid)"
	wait_for 2 eval "[ \"\$(cluster_exec $1 cut -d' ' -f1 /proc/${g:-0}/syscall)\" = 230 ]"
	nr=$(cluster_exec "$1" cut -d' ' -f1 "/proc/${g:-0}/syscall" 2>/dev/null)
	is "${nr:-none}" 230 "the guest sleeps there, in clock_nanosleep"
}

# go PID NODE WHAT: migrate PID to NODE
go() {
	local msg
	msg=$(cluster_exec 1 "$bin/migrate" "$1" "$2" 2>&1)
	ok $? "migrate $3 (pid $1) to $2${msg:+: $msg}"
}

# --- coreutils sleep: to node 2 and home again, both mid-sleep -------------------
timed sleep sleep 4
sleep 1
go "$pid" 2 "sleep 4, a second into it,"
sleeps_on 2 "$pid"
sleep 1
go "$pid" home "it, another second on,"
# node 2 ends its guest once home has the process
wait_for 5 eval "! guest_of 2 $pid"
ok $? "no guest left on node 2"
ended sleep 4

# --- python3: an absolute sleep, to node 2, ending there -------------------------
timed py python3 -c 'import time; time.sleep(3)'
sleep 1
go "$pid" 2 "python3 in time.sleep(3), a second into it,"
sleeps_on 2 "$pid"
ended py 3
grep -q "runs on node 2" "$d1/tmp/migd.log"
ok $? "home's migd logged the moves"
