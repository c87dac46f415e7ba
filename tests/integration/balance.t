#!/usr/bin/env bash
# Automatic load balancing on a namespace cluster of single-CPU nodes
# (cpusets), with the real mosix-infod gossiping loads and the real
# mosix-migd deciding: of four CPU-bound perl jobs started on node 1, two
# soon run on node 2 at once, and they finish in less than 0.85 of the time
# node 1 alone takes (same run, timed before and after, same jobs, same
# bytes out; the same jobs placed by hand two per node are timed too, for
# what this machine's two CPUs can do); an I/O-bound
# job (dd) and a locked job stay home while CPU-bound ones move; a steady load moves no process
# more than once in a minute; `migrate PID balance` decides on demand;
# mosctl lstay keeps a node's processes home, even from migrate.
set -u
here=$(dirname "$0")
. "$here/../lib/tap.sh"
. "$here/../harness/cluster.sh"
. "$here/../lib/infod_cluster.sh"
. "$here/../lib/migd_cluster.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (namespaces, cpusets, ptrace)"
	exit 0
fi
root=$(cd "$here/../.." && pwd)
out=$(realpath -m -- "${MOSIX_OUT:-$root/out}")
bin=$(realpath -m -- "${MOSIX_BIN:-$out/asan/bin}")

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# load_in_view K: node 1's view of node K's load
load_in_view() {
	cluster_exec 1 "$bin/mosctl" status --json "$1" | sed -n 's/.*"load": \([0-9.]*\).*/\1/p'
}
below() { awk -v l="$(load_in_view "$1")" -v m="$2" 'BEGIN { exit !(l != "" && l < m) }'; }
above() { awk -v l="$(load_in_view "$1")" -v m="$2" 'BEGIN { exit !(l != "" && l > m) }'; }

plan 23
infod_cluster_up 2 --cpuset || { echo "Bail out! no cluster"; exit 1; }
d1=$(cluster_dir 1)
d2=$(cluster_dir 2)
migd_start_conf 1 2 <<'EOF' || { echo "Bail out! no mosix-migd"; exit 1; }
balance_interval_ms = 250
balance_min_cpu_ms = 100
EOF
infod_wait 10 all_up 1 2
ok $? "two nodes up"
cpus1=$(cat "$(cluster_cpuset 1)/cpuset.cpus")
cpus2=$(cat "$(cluster_cpuset 2)/cpuset.cpus")
[[ $cpus1 =~ ^[0-9]+$ && $cpus2 =~ ^[0-9]+$ && $cpus1 != "$cpus2" ]]
ok $? \
	"one CPU each: node 1 has CPU $cpus1, node 2 CPU $cpus2"

# --- calibrate: one job takes about 6 s alone on one CPU ---------------------
cat >"$d1/tmp/job.pl" <<'EOF'
my $n = 0;
for my $i (1 .. $ARGV[0]) { $n = ($n * 31 + $i) % 1000003 }
print "$ARGV[0] $n\n";
EOF
# the fastest of three runs: a moment of load elsewhere must not make the
# jobs shorter than meant
cal_ms=999999
for _ in 1 2 3; do
	t0=$(now_ms)
	cluster_exec 1 perl /tmp/job.pl 2000000 >/dev/null
	t=$(($(now_ms) - t0))
	((t < cal_ms)) && cal_ms=$t
done
iters=$((2000000 * 6000 / (cal_ms > 0 ? cal_ms : 1)))
diag "2000000 iterations took $cal_ms ms: $iters make a job"

# run_jobs TAG MOSRUN-ARGS...: four jobs on node 1, each under mosrun with
# the arguments; prints the makespan in ms once all four are done
run_jobs() {
	local tag=$1 t0 i
	shift
	t0=$(now_ms)
	for i in 1 2 3 4; do
		run_at 1 "$tag$i" "$bin/mosrun" "$@" perl /tmp/job.pl "$iters"
	done
	for i in 1 2 3 4; do
		wait_for 120 test -s "$d1/tmp/$tag$i.out"
	done
	echo $(($(now_ms) - t0))
}

# hand_jobs TAG: the same four jobs, no mosix, two started on each node;
# prints the makespan in ms
hand_jobs() {
	local tag=$1 t0 i
	t0=$(now_ms)
	for i in 1 2 3 4; do
		run_at $(((i + 1) / 2)) "$tag$i" perl /tmp/job.pl "$iters"
	done
	for i in 1 2 3 4; do
		wait_for 120 test -s "$(cluster_dir $(((i + 1) / 2)))/tmp/$tag$i.out"
	done
	echo $(($(now_ms) - t0))
}

# --- the speedup --------------------------------------------------------------
# The machine's speed drifts over a minute (a VM shares its host), so each
# baseline is timed before and after the balanced run, and the balanced run
# is held against the mean of the two. Even so, time alone cannot tell the
# right placement (two jobs per node) from three on node 1 and one on node
# 2 (0.75 of the time at home): the two vCPUs drift apart too (in one run
# the same two jobs took 7.2 s on one and 10.9 s on the other), and the
# balanced run took 0.55 to 0.73 of the time at home in CI. So the
# placement is checked as such (node 2 runs two jobs at once, soon after
# the start), and the time only for a clear gain (under 0.85).
cp "$d1/tmp/job.pl" "$d2/tmp/job.pl"
# In the order hand, home, balanced, home, hand, each baseline's mean is
# taken where the balanced run is, however the machine drifts (by 20% in
# one CI run); and node 2's load, which the jobs placed by hand raise,
# decays while node 1 alone works, before the balanced run and the tests
# after.
hand0_ms=$(hand_jobs hand)
diag "four jobs placed by hand, two per node: $hand0_ms ms"
alone0_ms=$(run_jobs alone -h)
diag "four jobs kept at home (mosrun -h): $alone0_ms ms"
nguests0=$(grep -c "runs here as" "$d2/tmp/migd.log")
# node 2 as it was before the jobs placed there by hand: idle
wait_for 30 below 2 0.5 || diag "node 2 still looks busy to node 1: $(load_in_view 2)"
# the most guests node 2 runs at once, and when (ms after the start) it
# first ran that many: sampled while the balanced run lasts
rm -f "$d1/tmp/sampled"
(
	t0=$(now_ms) most=0
	while [ ! -e "$d1/tmp/sampled" ]; do
		n=$(find "$d2/run/mosix/guests" -type f 2>/dev/null | wc -l)
		if ((n > most)); then
			most=$n
			echo "$most $(($(now_ms) - t0))" >"$d1/tmp/most"
		fi
		sleep 0.1
	done
) &
sampler=$!
bal_ms=$(run_jobs bal)
touch "$d1/tmp/sampled"
wait "$sampler"
diag "four jobs balanced (mosrun): $bal_ms ms"
nguests=$(($(grep -c "runs here as" "$d2/tmp/migd.log") - nguests0))
read -r most most_ms <"$d1/tmp/most" 2>/dev/null || most=0 most_ms=0
alone1_ms=$(run_jobs again -h)
alone_ms=$(((alone0_ms + alone1_ms) / 2))
diag "four jobs kept at home again: $alone1_ms ms (mean $alone_ms ms)"
hand1_ms=$(hand_jobs byhand)
hand_ms=$(((hand0_ms + hand1_ms) / 2))
diag "four jobs placed by hand again: $hand1_ms ms (mean $hand_ms ms)"
((nguests >= 1))
ok $? "node 2 took $nguests of them as guests"
((most >= 2 && most_ms < 5000))
ok $? "node 2 ran two of them at once, $most_ms ms after the start (at most $most at once)"
((bal_ms * 100 < alone_ms * 85))
ok $? "balanced they finish in $bal_ms ms, less than 0.85 of $alone_ms ms at home \
($((bal_ms * 100 / alone_ms))%; placed by hand $((hand_ms * 100 / alone_ms))%)"
for i in 1 2 3 4; do
	same=0
	cmp -s "$d1/tmp/alone$i.out" "$d1/tmp/bal$i.out" && same=1
	ok "$((!same))" "job $i printed the same as at home: $(cat "$d1/tmp/bal$i.out")"
done
grep -q "balance: process [0-9]*: node 1 -> 2" "$d1/tmp/migd.log"
ok $? "node 1's migd logged its decisions with their numbers"
diag "$(grep 'balance: process' "$d1/tmp/migd.log" | head -n 4)"

# --- who stays: an I/O-bound job and a locked job ------------------------------
# node 2 idle again in node 1's view, after the jobs placed there by hand
wait_for 60 below 2 0.5 || diag "node 2 still looks busy to node 1: $(load_in_view 2)"
run_at 1 io "$bin/mosrun" dd if=/dev/zero of=/dev/null bs=1 count=2000000000
run_at 1 locked "$bin/mosrun" -l perl /tmp/job.pl "$((iters * 2))"
run_at 1 cpu1 "$bin/mosrun" perl /tmp/job.pl "$((iters * 2))"
run_at 1 cpu2 "$bin/mosrun" perl /tmp/job.pl "$((iters * 2))"
io=$(node_pid 1 io)
locked=$(node_pid 1 locked)
cpu1=$(node_pid 1 cpu1)
cpu2=$(node_pid 1 cpu2)
where_of() { cat "$d1/run/mosix/proc/$1/where" 2>/dev/null || echo here; }
moved_one() { [ "$(where_of "$cpu1")" = 2 ] || [ "$(where_of "$cpu2")" = 2 ]; }
wait_for 15 moved_one
ok $? "a CPU-bound job moved to node 2 (cpu1: $(where_of "$cpu1"), cpu2: $(where_of "$cpu2"))"
sleep 3
is "$(where_of "$io")" here "dd, I/O-bound, stayed home"
is "$(where_of "$locked")" here "the locked job (mosrun -l) stayed home"
nm=$(cat "$d1/run/mosix/proc/$io/nmigs" 2>/dev/null || echo 0)
is "$nm" 0 "dd never moved"
msg=$(cluster_exec 1 "$bin/migrate" "$io" balance 2>&1)
like "$msg" "stays where it is: I/O-bound" "migrate PID balance says why dd stays: $msg"
msg=$(cluster_exec 1 "$bin/migrate" "$locked" balance 2>&1)
like "$msg" "stays where it is: locked" "and why the locked job stays: $msg"
# all_gone K PID...: none of the processes runs in node K any more
all_gone() {
	local k=$1 p
	shift
	for p in "$@"; do
		cluster_exec "$k" kill -0 "$p" 2>/dev/null && return 1
	done
	return 0
}
cluster_exec 1 kill "$io" "$locked" "$cpu1" "$cpu2"
wait_for 10 all_gone 1 "$io" "$locked" "$cpu1" "$cpu2"

# --- no ping-pong: three jobs for a minute ------------------------------------
for i in 1 2 3; do
	run_at 1 "steady$i" "$bin/mosrun" perl /tmp/job.pl "$((iters * 100))"
done
pids=""
for i in 1 2 3; do
	pids="$pids $(node_pid 1 "steady$i")"
done
sleep 60
total=0
worst=0
for p in $pids; do
	n=$(cat "$d1/run/mosix/proc/$p/nmigs" 2>/dev/null || echo 0)
	total=$((total + n))
	((n > worst)) && worst=$n
done
((total >= 1))
ok $? "three jobs on two nodes: $total moved"
((worst <= 1))
ok $? "none moved more than once in a minute (most: $worst)"
# shellcheck disable=SC2086 # a list of pids
cluster_exec 1 kill $pids
# shellcheck disable=SC2086
wait_for 10 all_gone 1 $pids

# --- migrate PID balance on demand --------------------------------------------
# The answer depends on the load averages, which move over seconds: node
# 2 must look idle to node 1 again after the jobs above, and node 1 busy
# with the two jobs below, or staying is the right answer.
wait_for 60 below 2 0.1 || diag "node 2 still looks busy to node 1: $(load_in_view 2)"
run_at 1 ask "$bin/mosrun" -h perl /tmp/job.pl "$iters"
run_at 1 hog "$bin/mosrun" -h perl /tmp/job.pl "$iters"
ask=$(node_pid 1 ask)
hog=$(node_pid 1 hog)
wait_for 60 above 1 1.5 || diag "node 1 does not look busy: $(load_in_view 1)"
msg=$(cluster_exec 1 "$bin/migrate" "$ask" balance 2>&1)
ok $? "migrate $ask balance${msg:+: $msg}"
is "$(where_of "$ask")" 2 "it went to the idle node 2 (mosrun -h only keeps the balancer's own rounds away)"
wait_for 60 test -s "$d1/tmp/ask.out"
is "$(cat "$d1/tmp/ask.out")" "$(cat "$d1/tmp/alone1.out")" "and finished with the same output"

# --- mosctl lstay: this node's processes stay, even by hand ---------------------
cluster_exec 1 kill "$hog" 2>/dev/null
run_at 1 stayer "$bin/mosrun" -h perl /tmp/job.pl "$((iters * 10))"
hog=$(node_pid 1 stayer)
wait_for 5 cluster_exec 1 kill -0 "$hog"
cluster_exec 1 "$bin/mosctl" lstay >/dev/null
lstay_on() { [ "$(cat "$d1/run/mosix/admin/lstay" 2>/dev/null)" = 1 ]; }
wait_for 5 lstay_on
msg=$(cluster_exec 1 "$bin/migrate" "$hog" 2 2>&1)
like "$msg" "keeps its processes home \\(mosctl lstay\\)" "under lstay, migrate by hand is refused: $msg"
msg=$(cluster_exec 1 "$bin/migrate" "$hog" balance 2>&1)
like "$msg" "stays where it is: .*lstay" "and so is migrate PID balance: $msg"
cluster_exec 1 "$bin/mosctl" nolstay >/dev/null
cluster_exec 1 kill "$hog" 2>/dev/null

