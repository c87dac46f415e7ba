#!/usr/bin/env bash
# A process away that turns I/O-bound comes home: a perl job (mosrun) is
# moved to node 2 while it computes, then writes a file at home a byte at
# a time; each write is a call home (served by the deputy, so the home
# process's own /proc/PID/io does not show them), the deputy counts them
# (run/mosix/proc/PID/calls), and home's balancer brings the job home, says
# why in its log, and the file is whole. A CPU-bound job moved to node 2
# stays there meanwhile: only I/O brings a process home this way.
set -u
here=$(dirname "$0")
. "$here/../lib/tap.sh"
. "$here/../harness/cluster.sh"
. "$here/../lib/infod_cluster.sh"
. "$here/../lib/migd_cluster.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (namespaces, ptrace)"
	exit 0
fi
# each node counts every CPU here: with one, the CPU balancer would bring
# the two jobs on node 2 home on its own
if [ "$(nproc)" -lt 2 ]; then
	echo "1..0 # SKIP needs 2 CPUs (two CPU-bound jobs on node 2 must not crowd it)"
	exit 0
fi
root=$(cd "$here/../.." && pwd)
out=$(realpath -m -- "${MOSIX_OUT:-$root/out}")
bin=$(realpath -m -- "${MOSIX_BIN:-$out/asan/bin}")

plan 13
infod_cluster_up 2 || { echo "Bail out! no cluster"; exit 1; }
d1=$(cluster_dir 1)
migd_start_conf 1 2 <<'EOF' || { echo "Bail out! no mosix-migd"; exit 1; }
balance_interval_ms = 250
balance_residency_s = 2
EOF
infod_wait 10 all_up 1 2
ok $? "two nodes up"

# a CPU phase of a few seconds, then N one-byte writes to a file at home
n=200000
cat >"$d1/tmp/phases.pl" <<'EOF'
$| = 1;
print "compute\n";
my $x = 0;
for my $i (1 .. $ARGV[0]) { $x = ($x * 31 + $i) % 1000003 }
print "io $x\n";
open(my $fh, '>', '/tmp/io.dat') or die "open: $!";
syswrite($fh, chr(97 + $_ % 26), 1) == 1 or die "write: $!" for 1 .. $ARGV[1];
close($fh) or die "close: $!";
print "done\n";
EOF
cat >"$d1/tmp/spin.pl" <<'EOF'
my $x = 0;
for my $i (1 .. $ARGV[0]) { $x = ($x * 31 + $i) % 1000003 }
print "$x\n";
EOF

where_of() { cat "$d1/run/mosix/proc/$1/where" 2>/dev/null || echo here; }
calls_of() { cat "$d1/run/mosix/proc/$1/calls" 2>/dev/null || echo 0; }
printed() { grep -q "$2" "$d1/tmp/$1.out"; }

# --- the control: CPU-bound, it stays where it was sent ---------------------------
run_at 1 spin "$bin/mosrun" perl /tmp/spin.pl 4000000000
spin=$(node_pid 1 spin perl)
msg=$(cluster_exec 1 "$bin/migrate" "$spin" 2 2>&1)
ok $? "the CPU-bound job (pid $spin) moved to node 2${msg:+: $msg}"

# --- the job that turns I/O-bound ---------------------------------------------
run_at 1 phases "$bin/mosrun" perl /tmp/phases.pl 40000000 "$n"
pid=$(node_pid 1 phases)
wait_for 10 printed phases '^compute'
msg=$(cluster_exec 1 "$bin/migrate" "$pid" 2 2>&1)
ok $? "the job (pid $pid) moved to node 2 while it computes${msg:+: $msg}"
guest_of 2 "$pid" >/dev/null
ok $? "node 2 hosts its guest"
wait_for 60 printed phases '^io '
ok $? "it computed there and started writing: $(grep '^io ' "$d1/tmp/phases.out")"
# its files go when it ends: read them while it runs; the balancer may be
# quicker (its calls file goes when it is home), and then its decision,
# made from that file alone while the job was away, says the count
calls_over() { (($(calls_of "$1") > $2)); }
line=
decided() { line=$(grep "balance: process $pid: node 2 -> 1 (home): I/O-bound" "$d1/tmp/migd.log"); }
seen=0
counted() {
	seen=$(calls_of "$pid")
	((seen > 100)) || decided
}
wait_for 10 counted
ok $? "home counts the calls it serves: $seen so far${line:+, home already: ${line##*, }}"
wait_for 20 decided
ok $? "node 1's balancer brought it home: ${line#*balance: }"
# remote, the writes would take 20 s and more
wait_for 60 printed phases '^done'
ok $? "the job finished"
! grep -q "process $pid ended on node" "$d1/tmp/migd.log" &&
	grep -q "process $pid ended or is home" "$d1/tmp/migd.log"
ok $? "at home: its deputy was done before"
size=$(stat -c %s "$d1/tmp/io.dat" 2>/dev/null || echo 0)
is "$size" "$n" "its file at home has every byte"
head -c 26 "$d1/tmp/io.dat" | grep -qx 'bcdefghijklmnopqrstuvwxyza'
ok $? "in order"

is "$(where_of "$spin")" 2 "the CPU-bound job stayed on node 2 all along"
nm=$(cat "$d1/run/mosix/proc/$spin/nmigs" 2>/dev/null || echo 0)
is "$nm" 1 "moved once, by hand"
cluster_exec 1 kill "$spin" 2>/dev/null
