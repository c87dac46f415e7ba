#!/usr/bin/env bash
# The per-process MOSIX files as requests, as /proc/PID/where was in
# MOSIX: a user writes a node id to $MOSIX_RUN_DIR/proc/PID/where of a
# process of theirs and it moves there; "home" brings it back; writing 1 to
# lock pins it; requests for another user's process are refused.
set -u
here=$(dirname "$0")
. "$here/../lib/tap.sh"
. "$here/../harness/cluster.sh"
. "$here/../lib/migd_cluster.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (namespaces, ptrace)"
	exit 0
fi
if ! command -v setpriv >/dev/null; then
	echo "1..0 # SKIP no setpriv (util-linux)"
	exit 0
fi
bin=${MOSIX_BIN:-$here/../../out/asan/bin}
plan 14
migd_cluster_up 2 || { echo "Bail out! no cluster"; exit 1; }
d1=$(cluster_dir 1)
printf '%s' 'import sys, time
for i in range(int(sys.argv[1])):
    print("line", i, flush=True)
    time.sleep(0.1)
' >"$d1/tmp/counter.py"
# as user nobody in node 1
as_nobody() { cluster_exec 1 setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

run_at 1 w setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 /tmp/counter.py 60
shell=$!
pid=$(node_pid 1 w)
sleep 0.3
is "$(stat -c %a "$d1/run/mosix/proc")" 1777 "run/proc is open and sticky, like /tmp"
as_nobody sh -c "mkdir /run/mosix/proc/$pid && echo 2 > /run/mosix/proc/$pid/where"
wait_for 10 guest_of 2 "$pid"
ok $? "its user writes 2 to where: it moves to node 2"
wait_for 5 grep -qx 2 "$d1/run/mosix/proc/$pid/where"
ok $? "where then says 2"
as_nobody sh -c "echo home > /run/mosix/proc/$pid/where"
not_guest() { ! guest_of 2 "$pid"; }
wait_for 10 not_guest
ok $? "home written to where: it comes back"
as_nobody sh -c "echo 1 > /run/mosix/proc/$pid/lock"
out=$(cluster_exec 1 "$bin/migrate" "$pid" 2 2>&1)
like "$out" "locked by user" "1 written to lock pins it"
wait "$shell"
is "$(grep -c '^line' "$d1/tmp/w.out")" 60 "it ran to its end, all its lines at home"

# another user's process: refused
run_at 1 r python3 /tmp/counter.py 40
shell=$!
pid=$(node_pid 1 r)
sleep 0.3
as_nobody sh -c "mkdir /run/mosix/proc/$pid && echo 2 > /run/mosix/proc/$pid/where"
sleep 1
guest_of 2 "$pid" >/dev/null
is "$?" 1 "nobody asks to move a root process: it stays"
like "$(cat "$d1/tmp/migd.log")" "uid 65534\) to move process $pid" "migd saw the request"
wait "$shell"
test ! -e "$d1/run/mosix/proc/$pid" || wait_for 12 test ! -e "$d1/run/mosix/proc/$pid"
ok $? "the entry of the ended process goes"

# --- run/proc is open to all: what a user puts there misleads no one ----------
# a link to a directory of root's, for a process that does not exist: the
# sweep (every 10 s) removes the link, not what it points to
mkdir -p "$d1/tmp/precious" && echo x >"$d1/tmp/precious/keep"
as_nobody ln -s /tmp/precious /run/mosix/proc/99999
wait_for 12 eval "! test -L $d1/run/mosix/proc/99999"
ok $? "migd's sweep removed the link a user made in run/proc"
test -f "$d1/tmp/precious/keep"
ok $? "and not what it pointed to: root's file is still there"
# a FIFO as a state file of a user's own process: readers do not wait on it
run_at 1 f setpriv --reuid=65534 --regid=65534 --clear-groups sleep 30
fpid=$(node_pid 1 f)
as_nobody sh -c "mkdir /run/mosix/proc/$fpid && mkfifo /run/mosix/proc/$fpid/lock"
out=$(cluster_exec 1 timeout 10 "$bin/mps" 2>&1)
like "$out" "sleep 30" "mps lists the processes all the same (it read past the FIFO)"
cluster_exec 1 kill "$fpid" 2>/dev/null

# --- a request that reaches a deputy as it ends -------------------------------
# It brought its process home and is about to end when migd hands it the
# next request: it must not take the asker's socket with it (the asker
# saw "Connection reset by peer"), but send it back to migd, which then
# answers itself. MOSIX_FAULT=home-linger holds the ending deputy 0.5 s.
migd_kill 1
MIGD_ENV_1=MOSIX_FAULT=home-linger migd_start 1 || { echo "Bail out! no migd"; exit 1; }
run_at 1 e setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 /tmp/counter.py 30
shell=$!
pid=$(node_pid 1 e python3)
as_nobody sh -c "mkdir -p /run/mosix/proc/$pid && echo 2 > /run/mosix/proc/$pid/where"
wait_for 10 guest_of 2 "$pid" >/dev/null
as_nobody sh -c "echo home > /run/mosix/proc/$pid/where"
wait_for 10 not_guest
# within the 0.5 s: locked, and asked to move again
as_nobody sh -c "echo 1 > /run/mosix/proc/$pid/lock"
out=$(cluster_exec 1 "$bin/migrate" "$pid" 2 2>&1)
like "$out" "locked by user" "asked while its deputy ends, migd answers: it is locked"
wait "$shell"
is "$(grep -c '^line' "$d1/tmp/e.out")" 30 "it ran to its end, all its lines at home"
