#!/usr/bin/env bash
# More end-to-end migration, each result compared with a baseline run at
# home in the same test: real unmodified programs (perl, bc, xz, gzip,
# sha256sum) moved mid-run give the same bytes; a guest restored with the
# vDSO proxy keeps a sane monotonic clock, also when it is stopped inside
# the vDSO; a hundred round trips of one
# process leave no process, descriptor, file or memory behind in any
# node's mosix-migd; a node that dies takes its guest with it and home
# ends the process with SIGKILL at once; a node with another cluster key,
# and a node that is not in the receiver's map, are refused while the
# process runs on where it was.
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

skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n # SKIP $1"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

plan 87
migd_cluster_up 3 || { echo "Bail out! no cluster"; exit 1; }
d1=$(cluster_dir 1)
d2=$(cluster_dir 2)
d3=$(cluster_dir 3)

# moved PID NODE WHAT: migrate PID (of node 1) to NODE; two checks: migrate
# says it moved, and NODE hosts the guest (its pid there in $g)
moved() {
	local pid=$1 node=$2 what=$3 msg
	msg=$(cluster_exec 1 "$bin/migrate" "$pid" "$node" 2>&1)
	ok $? "migrate $what (pid $pid) to node $node mid-run${msg:+: $msg}"
	g=$(guest_of "$node" "$pid")
	ok $? "node $node hosts its guest (pid ${g:-none} there)"
}

# same FILE0 FILE DESC: the two files of node 1's /tmp hold the same bytes
same() {
	cmp -s "$d1/tmp/$1" "$d1/tmp/$2"
	ok $? "$3"
	cmp -s "$d1/tmp/$1" "$d1/tmp/$2" ||
		diag "$(ls -l "$d1/tmp/$1" "$d1/tmp/$2")" "$(tail -n 3 "$d1/tmp/${2%.out}.err")"
}

# pid_named K PARENT NAME: the pid of the child NAME of PARENT in node K
pid_named() {
	wait_for 5 cluster_exec "$1" pgrep -P "$2" -x "$3" >/dev/null &&
		cluster_exec "$1" pgrep -P "$2" -x "$3"
}

# --- real programs moved mid-run: the same bytes as at home ---------------------
# perl: a CPU loop printing a line now and then
cat >"$d1/tmp/loop.pl" <<'EOF'
$| = 1;
my $n = 0;
for my $i (1 .. 40) {
	for my $k (1 .. 600000) { $n = ($n * 31 + $k) % 1000003 }
	print "line $i $n\n";
}
EOF
t0=$(now_ms)
run_at 1 perl0 perl /tmp/loop.pl
wait $!
base_ms=$(($(now_ms) - t0))
run_at 1 perl perl /tmp/loop.pl
shell=$!
pid=$(node_pid 1 perl)
wait_for 5 grep -q '^line 2 ' "$d1/tmp/perl.out"
moved "$pid" 2 "perl (${base_ms} ms at home)"
before=$(grep -c '^line' "$d1/tmp/perl.out")
ok $((before >= 40)) "it had printed $before of 40 lines when it moved"
is "$(cluster_exec 2 cat "/proc/${g:-0}/comm" 2>&1)" perl \
	"node 2 knows the guest as perl"
wait "$shell"
same perl0.out perl.out "perl: the same lines as at home"

# bc: pi to 2500 digits, one long computation, its input from a pipe
if command -v bc >/dev/null; then
	t0=$(now_ms)
	run_at 1 bc0 sh -c "echo 'scale=2500; 4*a(1)' | bc -l"
	wait $!
	base_ms=$(($(now_ms) - t0))
	run_at 1 bc sh -c "echo 'scale=2500; 4*a(1)' | bc -l"
	shell=$!
	pid=$(pid_named 1 "$(node_pid 1 bc)" bc)
	sleep 0.3
	moved "$pid" 2 "bc (${base_ms} ms at home)"
	wait "$shell"
	same bc0.out bc.out "bc: the same digits as at home"
else
	skip "bc is not installed (apt-get install bc)"
	skip "bc is not installed"
	skip "bc is not installed"
fi

# xz and gzip: a 64 MiB file that only node 1 has, compressed into a file
# at home. xz -9 needs data it compresses fast: random blocks among long
# runs of text; gzip -9 gets base64 text, which keeps it busy for seconds.
python3 -c '
import os, sys
with open(sys.argv[1], "wb") as f:
    for b in range(64):
        f.write(os.urandom(32768))
        t = b"block %d of the mosix migration test data\n" % b
        f.write((t * (1048576 // len(t) + 1))[:1048576 - 32768])
' "$d1/tmp/mix"
head -c 48000000 /dev/urandom | base64 -w 76 >"$d1/tmp/b64"
test ! -e "$d2/tmp/mix" && test ! -e "$d2/tmp/b64"
ok $? "(the input files are not on node 2)"
if command -v xz >/dev/null; then
	t0=$(now_ms)
	run_at 1 xz0 xz -9 -T1 -c /tmp/mix
	wait $!
	base_ms=$(($(now_ms) - t0))
	run_at 1 xz xz -9 -T1 -c /tmp/mix
	shell=$!
	pid=$(node_pid 1 xz)
	sleep 0.5
	moved "$pid" 2 "xz -9 (${base_ms} ms at home)"
	wait "$shell"
	same xz0.out xz.out "xz: the same compressed bytes as at home ($(stat -c %s "$d1/tmp/xz.out") bytes)"
else
	skip "xz is not installed (apt-get install xz-utils)"
	skip "xz is not installed"
	skip "xz is not installed"
fi
t0=$(now_ms)
run_at 1 gz0 gzip -9 -c /tmp/b64
wait $!
base_ms=$(($(now_ms) - t0))
run_at 1 gz gzip -9 -c /tmp/b64
shell=$!
pid=$(node_pid 1 gz)
sleep 0.5
moved "$pid" 2 "gzip -9 (${base_ms} ms at home)"
wait "$shell"
same gz0.out gz.out "gzip: the same compressed bytes as at home ($(stat -c %s "$d1/tmp/gz.out") bytes)"

# sha256sum: a file, then a pipe whose writer waits a second, so that it
# is mid-input when it moves
run_at 1 sum0 sh -c 'sha256sum /tmp/b64 - </tmp/mix'
wait $!
run_at 1 sum sh -c '{ sleep 1; cat /tmp/mix; } | sha256sum /tmp/b64 -'
shell=$!
pid=$(pid_named 1 "$(node_pid 1 sum)" sha256sum)
moved "$pid" 3 "sha256sum"
wait "$shell"
same sum0.out sum.out "sha256sum: the same digests as at home"
# its reads of the pipe went through the home agent; its writes to the
# output file, a regular file, were served by the deputy on a copy of the fd
# (migd logs it once the process has ended at home: just after the shell)
wait_for 5 grep -q "process $pid ended" "$d1/tmp/migd.log"
direct=$(sed -n "s/.*process $pid ended.* (\([0-9]*\) file reads and writes.*/\1/p" \
	"$d1/tmp/migd.log" | tail -n 1)
ok "$([ "${direct:-0}" -gt 0 ]; echo $?)" \
	"node 1's deputy served ${direct:-no} of its file reads and writes itself"
rm -f "$d1/tmp/mix" "$d1/tmp/b64" "$d1"/tmp/xz*.out "$d1"/tmp/gz*.out

# --- the vDSO proxy: a sane monotonic clock ------------------------------------
migd_kill 3
MIGD_ENV_3=MOSIX_VDSO_PROXY=1 migd_start 3
# each line: the monotonic time since the last line, how often it went
# backwards in 2000 reads in a row, the monotonic and the wall clock
cat >"$d1/tmp/mono.py" <<'EOF'
import sys, time
prev = time.monotonic()
print("start %.6f %.6f" % (prev, time.time()), flush=True)
for i in range(int(sys.argv[1])):
    time.sleep(0.02)
    back = 0
    t = time.monotonic()
    for k in range(2000):
        u = time.monotonic()
        if u < t:
            back += 1
        t = u
    print("%d %.6f %d %.6f %.6f" % (i, t - prev, back, t, time.time()), flush=True)
    prev = t
EOF
run_at 1 mono python3 /tmp/mono.py 100
shell=$!
pid=$(node_pid 1 mono)
wait_for 5 grep -q '^5 ' "$d1/tmp/mono.out"
moved "$pid" 3 "python3 reading time.monotonic()"
grep -q "process $pid of node 1 (python3) runs here as ${g:-?} (vDSO proxy)" "$d3/tmp/migd.log"
ok $? "node 3's migd restored it with the vDSO proxy"
wait "$shell"
end_wall=$(date +%s.%N)
mono=$(cat "$d1/tmp/mono.out")
is "$(grep -c '^[0-9]' <<<"$mono")" 100 "100 lines, moved after the 6th"
# shellcheck disable=SC2016 # awk's own $n
is "$(awk '/^[0-9]/ && ($2 < 0 || $3 != 0)' <<<"$mono")" "" \
	"the monotonic clock never went backwards"
# shellcheck disable=SC2016
max=$(awk '/^[0-9]/ && $2 > m { m = $2 } END { printf "%.3f", m }' <<<"$mono")
ok "$(awk -v m="$max" 'BEGIN { print !(m < 1.0) }')" \
	"nor jumped forwards (the longest gap between lines: $max s)"
# shellcheck disable=SC2016
drift=$(awk '/^start/ { m0 = $2; w0 = $3 } /^[0-9]/ { m = $4; w = $5 }
	END { d = (m - m0) - (w - w0); printf "%.4f", d < 0 ? -d : d }' <<<"$mono")
ok "$(awk -v d="$drift" 'BEGIN { print !(d < 0.05) }')" \
	"it kept pace with the wall clock across the move (off by $drift s)"
# shellcheck disable=SC2016
skew=$(awk -v e="$end_wall" '/^[0-9]/ { w = $5 } END { d = e - w; printf "%.3f", d }' <<<"$mono")
ok "$(awk -v d="$skew" 'BEGIN { print !(d >= 0 && d < 2) }')" \
	"its wall clock agrees with home's (the last line ${skew} s before the end)"

# a process stopped with its rip inside the vDSO (nearly always, for this
# one) is stepped out of it first: the proxy's copy of home's vDSO holds
# jumps, not home's code, and this node's vDSO is not at home
run_at 1 spin "$progs/vdso_spin" 6
shell=$!
pid=$(node_pid 1 spin)
wait_for 5 grep -q ready "$d1/tmp/spin.out"
fails=0
for ((r = 0; r < 10; r++)); do
	cluster_exec 1 "$bin/migrate" "$pid" 3 >&2 || fails=$((fails + 1))
	cluster_exec 1 "$bin/migrate" "$pid" home >&2 || fails=$((fails + 1))
done
is "$fails" 0 "ten round trips home -> node 3 (vDSO proxy) of a process spinning in the vDSO"
wait "$shell"
is "$?" 0 "it ran to its end and exited 0"
like "$(cat "$d1/tmp/spin.out")" "done [0-9]+ calls" "with its clocks monotonic all along"
migd_kill 3
migd_start 3

# --- a hundred round trips -------------------------------------------------------
# mosix-migd runs here without ASan's quarantine of freed memory, which
# would otherwise grow its RSS as a leak would
for k in 1 2 3; do
	migd_kill "$k"
	declare "MIGD_ENV_$k=ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
	migd_start "$k"
done
# the main mosix-migd of node K: the one started from outside the node
migd_of() {
	cluster_exec "$1" pgrep -x -P 0 mosix-migd
}
# per node: processes, mosix-migd's children and descriptors, files under
# run/mosix/guests and run/mosix/proc
node_state() {
	local k=$1 d m
	d=$(cluster_dir "$k")
	m=$(migd_of "$k")
	echo "procs $(cluster_exec "$k" ps -e --no-headers | wc -l)" \
		"kids $(cluster_exec "$k" pgrep -P "$m" | wc -l)" \
		"fds $(cluster_exec "$k" ls "/proc/$m/fd" | wc -l)" \
		"files $(find "$d/run/mosix/guests" "$d/run/mosix/proc" -mindepth 1 2>/dev/null | wc -l)"
}
migd_rss() {
	# shellcheck disable=SC2016 # awk's own $2
	cluster_exec "$1" awk '/^VmRSS/ { print $2 }' "/proc/$(migd_of "$1")/status"
}
# every node runs its mosix-migd and nothing else of migration
alone() {
	local k
	for k in 1 2 3; do
		[ "$(cluster_exec "$k" pgrep -c -x mosix-migd)" = 1 ] || return 1
	done
}
settled() {
	local k
	for k in 1 2 3; do
		[ "$(node_state "$k")" = "${state0[k]}" ] || return 1
	done
}
wait_for 5 alone || diag "processes of migrations before are still running"
declare -a state0 rss0
for k in 1 2 3; do
	state0[k]=$(node_state "$k")
	rss0[k]=$(migd_rss "$k")
done
run_at 1 churn "$progs/mm_churn" /tmp/churn.stop
shell=$!
pid=$(node_pid 1 churn)
sleep 0.2
# one round trip first, to pick a count that fits in about 30 s
t0=$(now_ms)
cluster_exec 1 "$bin/migrate" "$pid" 2 && cluster_exec 1 "$bin/migrate" "$pid" home
ok $? "one round trip home -> node 2 -> home"
rt_ms=$(($(now_ms) - t0))
n=$((30000 / (rt_ms > 1 ? rt_ms : 1)))
((n > 100)) && n=100
((n < 10)) && n=10
fails=0 went=0 hosted=0
: >"$d1/tmp/churn.fails"
t0=$(now_ms)
for ((i = 1; i < n; i++)); do
	node=$((2 + i % 2))
	if cluster_exec 1 "$bin/migrate" "$pid" "$node" 2>"$d1/tmp/churn.mig"; then
		went=$((went + 1))
		guest_of "$node" "$pid" >/dev/null && hosted=$((hosted + 1))
	else
		fails=$((fails + 1))
		echo "trip $i, to node $node: $(cat "$d1/tmp/churn.mig")" >>"$d1/tmp/churn.fails"
	fi
	if ! cluster_exec 1 "$bin/migrate" "$pid" home 2>"$d1/tmp/churn.mig"; then
		fails=$((fails + 1))
		echo "trip $i, home: $(cat "$d1/tmp/churn.mig")" >>"$d1/tmp/churn.fails"
	fi
done
loop_ms=$(($(now_ms) - t0))
[ "$n" -lt 100 ] && diag "only $n round trips: one took $rt_ms ms"
is "$fails" 0 "$((n - 1)) more round trips, to nodes 2 and 3 in turn, in $loop_ms ms: every migrate succeeded"
[ -s "$d1/tmp/churn.fails" ] && diag "$(cat "$d1/tmp/churn.fails")"
is "$hosted" "$went" "each of the $went times it moved, the node hosted the guest"
is "$(tracer_of 1 "$pid")" 0 \
	"back home it runs untraced"
touch "$d1/tmp/churn.stop"
wait "$shell"
rounds=$(awk '{ print $2 }' "$d1/tmp/churn.out")
run_at 1 churn0 "$progs/mm_churn" - "${rounds:-0}"
wait $!
like "$(cat "$d1/tmp/churn.out")" "^rounds [0-9]+ run " "it ran its $rounds rounds to the end"
same churn0.out churn.out "its memory and checksums are those of $rounds rounds at home"
# the entry of a process that ended at home goes at migd's next sweep (10 s)
wait_for 15 settled
for k in 1 2 3; do
	is "$(node_state "$k")" "${state0[k]}" \
		"node $k: no process, child of migd, descriptor or run file left"
	rss=$(migd_rss "$k")
	ok $((rss - rss0[k] > 4096)) \
		"node $k: migd's RSS grew by at most 4 MiB (${rss0[k]} -> $rss KiB)"
done
for k in 1 2 3; do
	migd_kill "$k"
	unset "MIGD_ENV_$k"
	migd_start "$k"
done

# killed_within TAG WAIT MS WHAT [NOTE]: after the event at $t0, the job TAG
# (its shell $shell, the process $pid) ends within WAIT s; its parent at
# home saw SIGKILL, within MS ms of WHAT, and node 1's log names node 2
# (3 tests; a process still there is killed, so the test goes on)
killed_within() {
	local out=$d1/tmp/$1.out took
	wait_for "$2" grep -q '^status' "$out"
	took=$(($(now_ms) - t0))
	grep -q '^status' "$out" || cluster_exec 1 kill -KILL "$pid"
	wait "$shell"
	is "$(cat "$out")" "status 137" "its parent at home sees it killed by SIGKILL"
	ok $((took > $3)) "within $(($3 / 1000)) s $4 ($took ms${5:+; $5})"
	like "$(cat "$d1/tmp/migd.log")" "lost node 2 running process $pid" \
		"node 1's migd log names the lost node"
}

# --- a call that blocks at home for long: heartbeats both ways meanwhile -------
# (the process opens a FIFO at home, which blocks until a writer comes)
cluster_exec 1 mkfifo /tmp/slow.fifo
printf 'import time\ntime.sleep(1)\nprint(open("/tmp/slow.fifo").readline().strip())\n' \
	>"$d1/tmp/slow.py"
in_open() { [ "$(cluster_exec 1 cut -d' ' -f1 "/proc/$1/syscall" 2>/dev/null)" = 257 ]; }
run_at 1 slow sh -c 'python3 /tmp/slow.py; echo status $?'
shell=$!
pid=$(child_of 1 "$(node_pid 1 slow)")
sleep 0.3	# python3 by now, not the shell before its exec
moved "$pid" 2 "a python3 about to open a FIFO at home"
wait_for 5 in_open "$pid"
sleep 7
guest_of 2 "$pid" >/dev/null
ok $? "7 s into a blocking call at home, node 2 still hosts it" ||
	diag "$(tail -n 5 "$d2/tmp/migd.log")"
cluster_exec 1 sh -c 'echo hello >/tmp/slow.fifo'
wait "$shell"
is "$(cat "$d1/tmp/slow.out")" "$(printf 'hello\nstatus 0')" "and the call returns what came: the process goes on"

# node 2's link goes down while a call blocks at home (nothing flows,
# no FIN): TCP keepalive tells home within about 5 s
run_at 1 hang sh -c 'python3 /tmp/slow.py; echo status $?'
shell=$!
pid=$(child_of 1 "$(node_pid 1 hang)")
sleep 0.3
moved "$pid" 2 "a python3 about to open a FIFO at home"
wait_for 5 in_open "$pid"
t0=$(now_ms)
cluster_exec hub ip link set n2e0 down
killed_within hang 12 8000 "of node 2's link going down"
cluster_exec hub ip link set n2e0 up
migd_kill 2
migd_start 2

# --- the node dies: home ends the process with SIGKILL at once -----------------
printf 'import time\nwhile True:\n    time.sleep(0.1)\n' >"$d1/tmp/forever.py"
run_at 1 dead sh -c 'python3 /tmp/forever.py; echo status $?'
shell=$!
pid=$(child_of 1 "$(node_pid 1 dead)")
sleep 0.3
moved "$pid" 2 "a python3 whose parent waits at home"
# every mosix-migd process of node 2: the daemon, the guest's supervisor
# and the guest's init (and the guest itself, which still has their name)
migds=$(cluster_exec 2 pgrep -x mosix-migd | paste -sd ' ')
t0=$(now_ms)
# shellcheck disable=SC2086 # one word per pid
cluster_exec 2 kill -KILL $migds
killed_within dead 10 5000 "of node 2's migd processes dying" "pids $migds"
wait_for 3 eval '! cluster_exec 2 pgrep -u nobody >/dev/null'
ok $? "nothing of the guest runs on node 2"
migd_kill 2
migd_start 2
is "$(ls "$d2/run/mosix/guests" 2>/dev/null)" "" \
	"node 2's restarted migd lists no guest of the dead one"
run_at 1 again python3 /tmp/forever.py
shell=$!
pid=$(node_pid 1 again)
sleep 0.3
moved "$pid" 2 "a process to the restarted node 2"
cluster_exec 1 kill -KILL "$pid"
wait "$shell"

# --- another cluster key: refused, the process runs on at home ------------------
printf 'import time\nfor i in range(20):\n    print("line", i, flush=True)\n    time.sleep(0.1)\n' \
	>"$d1/tmp/count.py"
cp "$d1/tmp/count.py" "$d3/tmp/count.py"
migd_kill 3
rm -f "$d3/etc/mosix/secret"
cluster_exec 3 "$bin/mosctl" genkey >/dev/null
ok $? "node 3 gets a key of its own (mosctl genkey)"
! cmp -s "$d1/etc/mosix/secret" "$d3/etc/mosix/secret"
ok $? "(which differs from the cluster's)"
migd_start 3
run_at 1 key python3 /tmp/count.py
shell=$!
pid=$(node_pid 1 key python3)
sleep 0.3
msg=$(cluster_exec 1 "$bin/migrate" "$pid" 3 2>&1)
is "$?" 1 "migrate to the node with another key fails"
like "$msg" "key" "and says why: $msg"
is "$(tracer_of 1 "$pid")" 0 \
	"the process runs on at home, untraced"
guest_of 3 "$pid" >/dev/null
ok $((!$?)) "node 3 has no guest of it"
like "$(cat "$d3/tmp/migd.log")" "refused a connection from 10\.77\.0\.1: wrong cluster key" \
	"node 3's migd log says it refused node 1's key"
wait "$shell"
is "$(grep -c '^line' "$d1/tmp/key.out")" 20 "all 20 lines at home"
# a move on: home tries node 3 before node 2 stops the guest
run_at 1 keyon python3 /tmp/count.py
shell=$!
pid=$(node_pid 1 keyon python3)
sleep 0.3
cluster_exec 1 "$bin/migrate" "$pid" 2
ok $? "another process to node 2"
msg=$(cluster_exec 1 "$bin/migrate" "$pid" 3 2>&1)
is "$?" 1 "on from node 2 to the node with another key fails"
like "$msg" "cannot reach node 3: the cluster keys differ" \
	"and says why, found before node 2 stopped it: $msg"
guest_of 2 "$pid" >/dev/null
ok $? "it runs on on node 2"
wait "$shell"
is "$(grep -c '^line' "$d1/tmp/keyon.out")" 20 "all 20 lines"
migd_kill 3
install -m 0600 "$d1/etc/mosix/secret" "$d3/etc/mosix/secret"
migd_start 3

# --- a node that is not in the receiver's map: refused --------------------------
migd_kill 2
cp "$d2/etc/mosix/mosix.map" "$d2/tmp/mosix.map.3"
printf '1 10.77.0.1 2\n' >"$d2/etc/mosix/mosix.map"
migd_start 2
run_at 3 map python3 /tmp/count.py
shell=$!
pid=$(node_pid 3 map python3)
sleep 0.3
msg=$(cluster_exec 3 "$bin/migrate" "$pid" 2 2>&1)
is "$?" 1 "node 3 cannot send a process to node 2, whose map lacks node 3"
like "$msg" "map|not a node|unknown|refus" \
	"and says why ($msg)"
like "$(cat "$d2/tmp/migd.log")" "refused a connection from 10\.77\.0\.3: not a node of the map" \
	"node 2's migd log says it refused a node not in its map"
guest_of 2 "$pid" >/dev/null
ok $((!$?)) "node 2 has no guest of it"
wait "$shell"
is "$(grep -c '^line' "$d3/tmp/map.out")" 20 "the process ran on at node 3, all 20 lines"
migd_kill 2
cp "$d2/tmp/mosix.map.3" "$d2/etc/mosix/mosix.map"
migd_start 2

# --- a sleep the kernel already restarted once -----------------------------------
# SIGSTOP and SIGCONT (or a refused migration's ptrace stop) leave a sleeping
# process in restart_syscall, whose call is not in its registers: the move
# finds the call it restarts and makes it again, instead of a restart that
# finds nothing on the node and ends the sleep at once
run_at 1 sleeper "$progs/plain" 300
shell=$!
pid=$(node_pid 1 sleeper)
wait_for 5 grep -q ready "$d1/tmp/sleeper.out"
cluster_exec 1 kill -STOP "$pid"
# node-exec mirrors the stop of its child, as a job of a shell would, and
# continues it when it is continued itself
stopped() { grep -q '^State:.*T' "/proc/$shell/status"; }
wait_for 5 stopped
kill -CONT "$shell"
sleep 0.2
# shellcheck disable=SC2016 # awk's own $2
is "$(cluster_exec 1 awk '{ print $1 }' "/proc/$pid/syscall")" 219 \
	"a stopped and continued sleep waits in restart_syscall (219)"
msg=$(cluster_exec 1 "$bin/migrate" "$pid" 2 2>&1)
ok $? "it moves to node 2${msg:+: $msg}"
sleep 1
cluster_exec 1 kill -0 "$pid"
ok $? "and sleeps on there"
msg=$(cluster_exec 1 "$bin/migrate" "$pid" home 2>&1)
ok $? "home again${msg:+: $msg}"
sleep 0.5
cluster_exec 1 kill -0 "$pid"
ok $? "and sleeps on at home"
cluster_exec 1 kill "$pid"
wait "$shell"
is "$?" 143 "until SIGTERM ends it"

# --- a sparse mapping of a terabyte ---------------------------------------------
# (AddressSanitizer's shadow looks so): its pages are not looked up one by
# one for minutes; the process stays, and migrate says why
run_at 1 sparse "$progs/sparse_map" 5
shell=$!
pid=$(node_pid 1 sparse)
wait_for 5 grep -q ready "$d1/tmp/sparse.out"
t0=$(date +%s)
msg=$(cluster_exec 1 "$bin/migrate" "$pid" 2 2>&1)
ok $(($? == 1 ? 0 : 1)) "a process with a 1 TiB sparse mapping: cannot migrate ($(($(date +%s) - t0)) s)"
like "$msg" "over 64 GiB, too large to scan" "and says why: $msg"
wait "$shell"
is "$?" 0 "it ran on at home to its end"

# (a migrated process whose parent waits for it with job control: not here)
