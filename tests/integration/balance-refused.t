#!/usr/bin/env bash
# A node the gossip shows idle but that refuses guests (here: its
# mosix-migd is not running, so nobody answers there) is asked once for a
# process, then left out of that process's targets for a minute: the
# balancer does not ask it again at every turn, and says so in its log.
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

plan 5
infod_cluster_up 2 --cpuset || { echo "Bail out! no cluster"; exit 1; }
d1=$(cluster_dir 1)
# a process may move again 1 s after a move: without the refusal
# remembered, the balancer would ask node 2 about every second
migd_start_conf 1 <<'EOF' || { echo "Bail out! no mosix-migd on node 1"; exit 1; }
balance_interval_ms = 250
balance_min_cpu_ms = 100
balance_residency_s = 1
EOF
infod_wait 10 all_up 1 2
ok $? "two nodes up; only node 1 runs mosix-migd"

cat >"$d1/tmp/spin.pl" <<'EOF'
my $n = 0;
while (1) { $n = ($n * 31 + 7) % 1000003 }
EOF
run_at 1 spin1 "$bin/mosrun" perl /tmp/spin.pl
run_at 1 spin2 "$bin/mosrun" perl /tmp/spin.pl
p1=$(node_pid 1 spin1)
p2=$(node_pid 1 spin2)
tried() { grep -c "balance: process $1: node 1 -> 2" "$d1/tmp/migd.log"; }
any_tried() { [ "$(tried "$p1")" -ge 1 ] || [ "$(tried "$p2")" -ge 1 ]; }
wait_for 20 any_tried
ok $? "the balancer asks node 2 for a job ($p1: $(tried "$p1"), $p2: $(tried "$p2"))"
wait_for 5 grep -q "balance: process [0-9]* stays off node 2 for 60 s" "$d1/tmp/migd.log"
ok $? "node 1's migd says it leaves node 2 out for that job, and for how long"
diag "$(grep 'stays off' "$d1/tmp/migd.log" | head -n 2)"
# six residency periods later: each job asked about once (the second one
# too: the first's refused move no longer counts as load on node 2)
sleep 6
n1=$(tried "$p1")
n2=$(tried "$p2")
((n1 == 1 && n2 == 1))
ok $? "each job asked about once in 6 s: $p1 $n1 time(s), $p2 $n2 time(s)"
is "$(cat "$d1/run/mosix/proc/$p1/where" 2>/dev/null || echo here)/$(cat "$d1/run/mosix/proc/$p2/where" 2>/dev/null || echo here)" \
	"here/here" "both jobs run on at home"
cluster_exec 1 kill "$p1" "$p2"
