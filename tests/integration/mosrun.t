#!/usr/bin/env bash
# mosrun and its MOSIX names, and the commands that move every process of
# a node: runon starts a program on another node before it runs anything,
# nomig locks it (and what it starts) home, mosctl expel sends every guest
# home and blocks, mosctl bring brings every process home, setpe -off does
# both before leaving.
set -u
here=$(dirname "$0")
. "$here/../lib/tap.sh"
. "$here/../harness/cluster.sh"
. "$here/../lib/migd_cluster.sh"
. "$here/../lib/infod_cluster.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (namespaces, ptrace)"
	exit 0
fi
bin=${MOSIX_BIN:-$here/../../out/asan/bin}
plan 38
migd_cluster_up 2 || { echo "Bail out! no cluster"; exit 1; }
if ! infod_start 1 || ! infod_start 2; then
	echo "Bail out! no infod"
	exit 1
fi
d1=$(cluster_dir 1)
d2=$(cluster_dir 2)
printf '%s' 'import os, sys, time
for i in range(int(sys.argv[1])):
    print("line", i, flush=True)
    time.sleep(0.1)
sys.exit(5)
' >"$d1/tmp/counter.py"

# --- runon: on node 2 from the first instruction -----------------------------------
run_at 1 ro "$bin/runon" 2 python3 /tmp/counter.py 25
shell=$!
has_guest() { compgen -G "$d2/run/mosix/guests/*" >/dev/null; }
wait_for 5 has_guest
ok $? "runon 2: node 2 hosts the process while it runs"
wait "$shell"
is "$?" 5 "runon exits with the command's status"
is "$(grep -c '^line' "$d1/tmp/ro.out")" 25 "all its output at home"
is "$(cat "$d1/tmp/ro.err")" "" "nothing on stderr"
run_at 1 ro2 "$bin/mosrun" -n 2 sh -c 'exit 3'
wait $!
is "$?" 3 "mosrun -n 2 sh -c 'exit 3': status 3 (sh forks home as needed)"
run_at 1 ro3 "$bin/runon" 2 /nonexistent/prog
wait $!
is "$?" 127 "runon with a missing command: 127"

# --- nomig: locked, and so is what it starts ----------------------------------------
run_at 1 nm "$bin/nomig" sh -c 'python3 /tmp/counter.py 40; true'
shell=$!
sh_pid=$(node_pid 1 nm)
child=$(child_of 1 "$sh_pid")
out=$(cluster_exec 1 "$bin/migrate" "$sh_pid" 2 2>&1)
like "$out" "cannot migrate $sh_pid: locked by user" "nomig: migrate refuses: locked by user"
out=$(cluster_exec 1 "$bin/migrate" "$child" 2 2>&1)
like "$out" "cannot migrate $child: locked by user" "and so for its child"
like "$(cluster_exec 1 "$bin/mps" "$child")" "locked by user" "mps shows the lock"
cluster_exec 1 kill "$child"
wait "$shell"
run_at 1 nm2 "$bin/nomig" /nonexistent/prog
wait $!
is "$?" 127 "nomig with a missing command: 127"

# --- mosctl expel on the node hosting guests ----------------------------------------
shells=()
for k in a b; do
	run_at 1 "ex$k" python3 /tmp/counter.py 60
	shells+=($!)
done
pa=$(node_pid 1 exa python3)
pb=$(node_pid 1 exb python3)
sleep 0.3
cluster_exec 1 "$bin/migrate" "$pa" 2 && cluster_exec 1 "$bin/migrate" "$pb" 2
ok $? "two processes sent to node 2"
cluster_exec 2 "$bin/mosctl" expel
ok $? "mosctl expel on node 2 succeeds"
test -z "$(ls "$d2/run/mosix/guests/")"
ok $? "node 2 hosts no guest any more"
wait_for 3 grep -qx here "$d1/run/mosix/proc/$pa/where"
ok $? "the first runs at home again (where says here)"
is "$(tracer_of 1 "$pb")" 0 \
	"the second runs natively at home"
wait_for 3 test "$(cat "$d2/run/mosix/admin/block" 2>/dev/null)" = 1
ok $? "node 2 is blocked"
out=$(cluster_exec 1 "$bin/migrate" "$pa" 2 2>&1)
like "$out" "blocked" "a blocked node refuses new guests"
cluster_exec 2 "$bin/mosctl" noblock >/dev/null
wait "${shells[@]}"

# --- mosctl expel of a guest that waits in a call at home ---------------------------
# cat reads a fifo that stays quiet: the read runs at home, and would hold
# the guest on node 2 for as long as it waits. The expel has the deputy
# stop the read; cat comes home and reads on there.
quiet_reader 1 exc
shell=$!
pc=$(node_pid 1 exc cat)
cluster_exec 1 "$bin/migrate" "$pc" 2 && wait_for 5 has_guest
ok $? "cat, reading a quiet fifo, sent to node 2"
wait_for 5 reads_home 1 "$pc"
ok $? "its read of the fifo waits at home"
t0=$(date +%s%N)
cluster_exec 2 timeout 20 "$bin/mosctl" expel
ok $? "mosctl expel on node 2 succeeds at once (within 20 s: the read would wait for ever)"
diag "the expel took $((($(date +%s%N) - t0) / 1000000)) ms"
test -z "$(ls "$d2/run/mosix/guests/")" && grep -qx here "$d1/run/mosix/proc/$pc/where"
ok $? "cat is home"
quiet_reader_feed 1 exc "line one"
wait "$shell"
is "$?" 0 "cat ends with status 0 at the fifo's end"
is "$(cat "$d1/tmp/exc.out")" "line one" "and wrote what came after the expel"
cluster_exec 2 "$bin/mosctl" noblock >/dev/null

# A node that cannot send it home (MOSIX_FAULT=no-home, once it holds it):
# the read goes on, and home, told so, no longer stops it for the move it
# wanted; before, each try was stopped again, a busy loop between nodes.
migd_kill 2
MIGD_ENV_2=MOSIX_FAULT=no-home migd_start 2
quiet_reader 1 exd
shell=$!
pc=$(node_pid 1 exd cat)
cluster_exec 1 "$bin/migrate" "$pc" 2 && wait_for 5 has_guest && wait_for 5 reads_home 1 "$pc"
ok $? "cat, reading the quiet fifo, runs on node 2 and waits in its read at home"
out=$(cluster_exec 2 timeout 20 "$bin/mosctl" expel 2>&1)
is "$?" 1 "mosctl expel fails at once (not after its minute): the guest cannot go"
like "$out" "expel: process $pc of node 1 \\(cat\\): this node cannot send it home: " \
	"and names it, with the node's reason"
# migd's own answer, which names other users' processes: root's alone
stays='import socket; s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect("/run/mosix/migd.sock"); s.send(b"stays"); print(s.recv(65536).decode())'
out=$(cluster_exec 2 /usr/bin/python3 -c "$stays")
like "$out" "^guest process $pc of node 1 \\(cat\\): this node cannot send it home" \
	"migd's \"stays\" has it"
like "$out" "^end 1 0$" "and counts it"
out=$(cluster_exec 2 setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 \
	-c "$stays" 2>&1)
like "$out" "^err only root" "but not for another user"
out=$(cluster_exec 1 timeout 20 "$bin/mosctl" bring 2>&1)
is "$?" 1 "mosctl bring at home fails at once too"
like "$out" "bring: process $pc on node 2: this node cannot send it home: " \
	"and names it, with node 2's reason"
calls=$(cat "$d1/run/mosix/proc/$pc/calls")
sleep 1
calls=$(($(cat "$d1/run/mosix/proc/$pc/calls") - calls))
[ "$calls" -le 2 ]
ok $? "node 2 cannot send it home: its read waits on quietly ($calls calls in 1 s)"
quiet_reader_feed 1 exd "line two"
wait "$shell"
is "$?" 0 "cat ends with status 0"
is "$(cat "$d1/tmp/exd.out")" "line two" "and wrote what came"
cluster_exec 2 "$bin/mosctl" noblock >/dev/null
migd_kill 2
migd_start 2

# --- mosctl bring on the home node -----------------------------------------------------
shells=()
for k in a b; do
	run_at 1 "br$k" python3 /tmp/counter.py 60
	shells+=($!)
done
pa=$(node_pid 1 bra python3)
pb=$(node_pid 1 brb python3)
sleep 0.3
cluster_exec 1 "$bin/migrate" "$pa" 2 && cluster_exec 1 "$bin/migrate" "$pb" 2
ok $? "two processes sent to node 2"
cluster_exec 1 "$bin/mosctl" bring
ok $? "mosctl bring on node 1 succeeds"
test -z "$(ls "$d2/run/mosix/guests/")"
ok $? "none runs on node 2 any more"
wait "${shells[@]}"
is "$(cat "$d1/tmp/bra.out" "$d1/tmp/brb.out" | grep -c '^line')" 120 \
	"both finished at home with all their output"
