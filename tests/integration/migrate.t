#!/usr/bin/env bash
# Process migration between namespace nodes with the real mosix-migd, on
# real unmodified programs: python3 and sha256sum moved mid-run produce the
# same bytes as a run at home, their parent sees the true exit status, the
# work really happens on the other node (its guest uses the CPU, the home
# process none), kill -9 at home ends the guest, signals reach handlers on
# the node, migrate home and node to node, and every refusal leaves the
# process running at home.
set -u
here=$(dirname "$0")
. "$here/../lib/tap.sh"
. "$here/../harness/cluster.sh"
. "$here/../lib/migd_cluster.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (namespaces, ptrace)"
	exit 0
fi
bin=${MOSIX_BIN:-$here/../../out/asan/bin}
plan 57
migd_cluster_up 3 || { echo "Bail out! no cluster"; exit 1; }
d1=$(cluster_dir 1)

# a counter: prints a line every 0.2 s, then exits with status 7
COUNTER='import os, sys, time
for i in range(int(sys.argv[1])):
    print("line", i, "pid", os.getpid(), "ppid", os.getppid(), flush=True)
    time.sleep(0.2)
sys.exit(7)
'
printf '%s' "$COUNTER" >"$d1/tmp/counter.py"

# --- python3 moved mid-run ------------------------------------------------------
run_at 1 ctr python3 /tmp/counter.py 15
shell=$!
pid=$(node_pid 1 ctr)
wait_for 5 grep -q 'line 2' "$d1/tmp/ctr.out"
cluster_exec 1 "$bin/migrate" "$pid" 2 2>"$d1/tmp/mig.err"
ok $? "migrate python3 (pid $pid) to node 2"
g=$(guest_of 2 "$pid")
ok $? "node 2 hosts its guest (pid ${g:-none} there)"
is "$(cluster_exec 2 readlink "/proc/$g/ns/net")" "$(cluster_exec 2 readlink /proc/self/ns/net)" \
	"the guest lives in node 2's network namespace"
is "$(cat "$d1/run/mosix/proc/$pid/where" 2>/dev/null)" "2" "where says 2"
wait "$shell"
is "$(grep -c '^line' "$d1/tmp/ctr.out")" 15 "all 15 lines reach the home's file"
is "$(grep -c "pid $pid ppid" "$d1/tmp/ctr.out")" 15 "getpid is the home pid on both nodes"
is "$(awk '{ print $6 }' "$d1/tmp/ctr.out" | sort -u | wc -l)" 1 "getppid is the same on both nodes"
is "$(cluster_exec 1 sh -c 'sh -c "exit 0"; echo')" "" "(the node still runs commands)"
run_at 1 ctr2 sh -c "python3 /tmp/counter.py 2 >/dev/null; echo \$?"
wait $!
is "$(cat "$d1/tmp/ctr2.out")" 7 "(baseline: the counter exits with 7)"
test -z "$(ls "$(cluster_dir 2)/run/mosix/guests/" 2>/dev/null)"
ok $? "the guest is gone from node 2 after the exit"

# the parent (a shell at home) sees the true exit status
run_at 1 par sh -c "python3 /tmp/counter.py 12 >/tmp/par.lines; echo status \$?"
shell=$!
child=$(child_of 1 "$(node_pid 1 par)")
sleep 0.5
cluster_exec 1 "$bin/migrate" "$child" 3
ok $? "migrate a child of a shell to node 3"
wait "$shell"
is "$(cat "$d1/tmp/par.out")" "status 7" "its parent sees exit status 7"

# --- it really runs there: CPU on the node, none at home -------------------------
BURN='import sys
n = 0
for i in range(int(sys.argv[1])):
    n = (n * 31 + i) % 1000003
print(n)
'
printf '%s' "$BURN" >"$d1/tmp/burn.py"
run_at 1 burn0 python3 /tmp/burn.py 20000000
wait $!
expect=$(cat "$d1/tmp/burn0.out")
run_at 1 burn python3 /tmp/burn.py 20000000
shell=$!
pid=$(node_pid 1 burn python3)
sleep 0.3
cluster_exec 1 "$bin/migrate" "$pid" 2
ok $? "migrate a CPU-bound python3 to node 2"
g=$(guest_of 2 "$pid")
# the deputy frees what the process left at home after answering: counting
# starts once the home process waits for calls (sleeping, not traced)
# shellcheck disable=SC2016 # expanded in the node
wait_for 10 cluster_exec 1 sh -c 'grep -q "^State:.*S (sleeping)" "/proc/$0/status"' "$pid"
h0=$(cpu_ticks 1 "$pid")
g0=$(cpu_ticks 2 "$g")
sleep 1
h1=$(cpu_ticks 1 "$pid")
g1=$(cpu_ticks 2 "$g")
ok $((g1 - g0 < 50)) "the guest used CPU on node 2 ($((g1 - g0)) ticks in 1 s)"
is "$((h1 - h0))" 0 "the home process used none meanwhile"
wait "$shell"
is "$(cat "$d1/tmp/burn.out")" "$expect" "its result equals a run at home"

# --- sha256sum of a file that exists only at home --------------------------------
head -c 300000000 /dev/urandom >"$d1/tmp/big"
test ! -e "$(cluster_dir 2)/tmp/big"
ok $? "(the file is not on node 2)"
run_at 1 sum0 sha256sum /tmp/big
wait $!
run_at 1 sum sha256sum /tmp/big
shell=$!
pid=$(node_pid 1 sum sha256sum)
cluster_exec 1 "$bin/migrate" "$pid" 2
ok $? "migrate sha256sum mid-file to node 2"
wait "$shell"
is "$(cat "$d1/tmp/sum.out")" "$(cat "$d1/tmp/sum0.out")" "same digest as at home"
rm -f "$d1/tmp/big"

# --- kill -9 at home ends the guest ----------------------------------------------
run_at 1 k9 python3 /tmp/counter.py 100
shell=$!
pid=$(node_pid 1 k9 python3)
sleep 0.5
cluster_exec 1 "$bin/migrate" "$pid" 2
g=$(guest_of 2 "$pid")
t0=$(date +%s%N)
cluster_exec 1 kill -9 "$pid"
wait_for 2 sh -c "! cluster_exec 2 test -e /proc/$g" 2>/dev/null ||
	wait_for 2 eval "! [ -e \"\$(cluster_dir 2)/run/mosix/guests/$g\" ]"
gone=$(( ($(date +%s%N) - t0) / 1000000 ))
ok $((gone > 1000)) "kill -9 at home ends the guest within a second (${gone} ms)"
wait "$shell"

# --- signals: a handler runs on the node; the parent sees a signal death ---------
SIGS='import os, signal, sys, time
got = []
signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
for i in range(40):
    time.sleep(0.1)
    if len(got) >= 2:
        print("handled", len(got), flush=True)
        sys.exit(3)
print("no signal", flush=True)
'
printf '%s' "$SIGS" >"$d1/tmp/sigs.py"
run_at 1 sig sh -c 'python3 /tmp/sigs.py; echo status $?'
shell=$!
pid=$(child_of 1 "$(node_pid 1 sig)")
sleep 0.5
cluster_exec 1 "$bin/migrate" "$pid" 2
ok $? "migrate a python3 with a SIGUSR1 handler"
cluster_exec 1 kill -USR1 "$pid"
sleep 0.3
cluster_exec 1 kill -USR1 "$pid"
wait "$shell"
is "$(cat "$d1/tmp/sig.out")" "$(printf 'handled 2\nstatus 3')" "SIGUSR1 at home ran the handler there"

run_at 1 term sh -c 'python3 /tmp/counter.py 100 >/dev/null; echo status $?'
shell=$!
pid=$(child_of 1 "$(node_pid 1 term)")
sleep 0.5
cluster_exec 1 "$bin/migrate" "$pid" 3
ok $? "migrate a python3 without handlers to node 3"
cluster_exec 1 kill -TERM "$pid"
wait "$shell"
is "$(cat "$d1/tmp/term.out")" "status 143" "SIGTERM kills it there; the parent sees signal 15"

# the deputy dies (killed, a crash): its process dies with it, as SIGKILL
# (its memory is on the node; at home it was an empty shell)
run_at 1 dep sh -c 'python3 /tmp/counter.py 100 >/dev/null; echo status $?'
shell=$!
pid=$(child_of 1 "$(node_pid 1 dep)")
sleep 0.5
cluster_exec 1 "$bin/migrate" "$pid" 2
ok $? "migrate a python3 to node 2"
deputy=$(tracer_of 1 "$pid")
cluster_exec 1 kill -KILL "${deputy:-0}"
wait_for 10 test -s "$d1/tmp/dep.out"
survived=no
if cluster_exec 1 kill -0 "$pid" 2>/dev/null; then
	survived=yes
	cluster_exec 1 kill -KILL "$pid"
fi
wait "$shell"
is "$(cat "$d1/tmp/dep.out"), survived: $survived" "status 137, survived: no" \
	"its deputy ($deputy) killed, it dies too: the parent sees SIGKILL"
not_guest_of() { ! guest_of "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
wait_for 5 not_guest_of 2 "$pid"
ok $? "and node 2 ends the guest"

# --- home, and node to node -------------------------------------------------------
run_at 1 hop python3 /tmp/counter.py 30
shell=$!
pid=$(node_pid 1 hop python3)
sleep 0.5
cluster_exec 1 "$bin/migrate" "$pid" 2
ok $? "to node 2"
sleep 0.5
cluster_exec 1 "$bin/migrate" "$pid" 3
ok $? "node 2 to node 3"
guest_of 3 "$pid" >/dev/null
ok $? "node 3 hosts it"
grep -q "process $pid of node 1 (python3) runs here as" "$(cluster_dir 3)/tmp/migd.log"
ok $? "node 3 knows it by name, from the HELLO home sent for the move on"
wait_for 3 not_guest_of 2 "$pid"
ok $? "node 2 no longer does"
sleep 0.5
cluster_exec 1 "$bin/migrate" "$pid" home
ok $? "node 3 to home"
is "$(tracer_of 1 "$pid")" 0 \
	"at home it runs untraced, natively"
wait "$shell"
is "$(grep -c '^line' "$d1/tmp/hop.out")" 30 "30 lines through three nodes"

# A move on while it waits in a call at home (cat reading a quiet fifo):
# the call is stopped for the request, made again while the next node
# hashes its files, and stopped again once that node answers. Before, the
# move on waited for the call, here for ever.
quiet_reader 1 hopc
shell=$!
pid=$(node_pid 1 hopc cat)
cluster_exec 1 "$bin/migrate" "$pid" 2
ok $? "cat, reading a quiet fifo, to node 2"
wait_for 5 reads_home 1 "$pid"
ok $? "its read waits at home"
cluster_exec 1 timeout 10 "$bin/migrate" "$pid" 3 && guest_of 3 "$pid" >/dev/null
ok $? "node 2 to node 3 while it waits (within 10 s: the read would wait for ever)"
quiet_reader_feed 1 hopc "after the move"
wait "$shell"
is "$(cat "$d1/tmp/hopc.out")" "after the move" "it read on node 3 what came, and ended"

# --- a record from home and a call at once: neither waits -------------------------
# The guest writes home every millisecond. Its supervisor on node 2 is
# stopped for 0.2 s (a loaded node), and meanwhile home forwards a
# SIGWINCH (ignored): once it runs again, both the call and the SIGNAL
# record wait for it. The call read the record on its way; a readiness
# seen before it made the supervisor wait for home's next record (its
# heartbeat, a second later) with the guest's next call unanswered.
cat >"$d1/tmp/beat.py" <<'EOF'
import os, sys, time
t = time.monotonic(); end = t + float(sys.argv[1]); worst = 0
while t < end:
    os.write(1, b".")
    time.sleep(0.001)
    n = time.monotonic()
    worst = max(worst, n - t)
    t = n
os.write(2, b"worst %.0f ms\n" % (worst * 1000))
EOF
run_at 1 beat python3 /tmp/beat.py 3
shell=$!
pid=$(node_pid 1 beat python3)
sleep 0.3
cluster_exec 1 "$bin/migrate" "$pid" 2
ok $? "a process writing home every millisecond moves to node 2"
g=$(guest_of 2 "$pid")
# the guest's parent is its init, whose parent is the supervisor
# shellcheck disable=SC2016 # expanded by the inner sh
sup=$(cluster_exec 2 sh -c 'i=$(cut -d" " -f4 /proc/$1/stat); cut -d" " -f4 /proc/$i/stat' \
	sh "${g:-0}")
cluster_exec 2 kill -STOP "${sup:-0}"
sleep 0.05
cluster_exec 1 kill -WINCH "$pid"
sleep 0.15
cluster_exec 2 kill -CONT "${sup:-0}"
wait "$shell"
worst=$(sed -n 's/^worst \([0-9]*\) ms$/\1/p' "$d1/tmp/beat.err")
[ -n "$worst" ] && ((worst < 700))
ok $? "its supervisor stopped 0.2 s, its longest wait between writes: ${worst:-?} ms (under 700)"

# --- refusals leave the process at home -------------------------------------------
run_at 1 ref python3 /tmp/counter.py 25
shell=$!
pid=$(node_pid 1 ref python3)
sleep 0.3
out=$(cluster_exec 1 "$bin/migrate" "$pid" 9 2>&1)
is "$?" 1 "a node id not in the map: cannot migrate"
like "$out" "no node '9' in the map" "and says so"
migd_kill 3
MIGD_ENV_3=MOSIX_FAULT=stage migd_start 3
out=$(cluster_exec 1 "$bin/migrate" "$pid" 3 2>&1)
ok $(($? == 1 ? 0 : 1)) "a restore that fails on the node: cannot migrate"
like "$out" "cannot migrate $pid: .*restore|staging" "with the node's reason"
# fails_at_once FAULT WHAT REASON: with MOSIX_FAULT=FAULT on node 3, a
# move there fails with the node's REASON, and at once, not after the
# 10 s I/O timeout with home waiting for HAVE
fails_at_once() {
	local t0 out rc ms
	migd_kill 3
	MIGD_ENV_3="MOSIX_FAULT=$1" migd_start 3
	t0=$(now_ms)
	out=$(cluster_exec 1 "$bin/migrate" "$pid" 3 2>&1)
	rc=$?
	ms=$(($(now_ms) - t0))
	ok $((rc == 1 ? 0 : 1)) "$2: cannot migrate"
	like "$out" "cannot migrate $pid: .*$3" "with the node's reason"
	ok $((ms < 5000 ? 0 : 1)) "and says so at once (${ms} ms, under 5000)"
}
# the node makes the guest while home still reads the process, before
# FILES: a failure there is told once FILES has its answer
fails_at_once spawn "the node cannot make the guest's namespaces" \
	"cannot make the guest's namespaces"
# any failure before FILES is answered: ABORT goes out before the node
# reads the rest, so home, waiting for HAVE, hears it at once
fails_at_once task "the node finds the task record bad" "bad task record"
migd_kill 3
MIGD_ENV_3=MOSIX_FAULT=pages migd_start 3
out=$(cluster_exec 1 "$bin/migrate" "$pid" 3 2>&1)
ok $(($? == 1 ? 0 : 1)) "the node's migd dies mid-transfer: cannot migrate ($out)"
migd_kill 3
migd_start 3
wait "$shell"
is "$(grep -c '^line' "$d1/tmp/ref.out")" 25 "the process ran on at home, unharmed"

# a mapping of the node's own where the deputy's area at home lies (the
# two layouts are random, so now and then they meet; MOSIX_FAULT=
# scratch-busy makes sure): the restorer keeps the area free once it has
# unmapped the node's, and the process moves all the same
migd_kill 3
MIGD_ENV_3=MOSIX_FAULT=scratch-busy migd_start 3
run_at 1 sb python3 /tmp/counter.py 30
shell=$!
pid=$(node_pid 1 sb python3)
sleep 0.3
out=$(cluster_exec 1 "$bin/migrate" "$pid" 3 2>&1)
ok $? "a mapping in the way of home's area on node 3: it moves all the same${out:+ ($out)}"
wait_for 5 guest_of 3 "$pid" >/dev/null
ok $? "node 3 hosts its guest"
sleep 0.5
cluster_exec 1 "$bin/migrate" "$pid" home
ok $? "and it comes home into its area"
wait "$shell"
is "$(grep -c '^line' "$d1/tmp/sb.out")" 30 "it ran to its end: 30 lines"
migd_kill 3
migd_start 3
