#!/usr/bin/env bash
# What the daemons and commands write to and read from the mosix kernel
# part, against a stand-in: MOSIX_PROC_DIR points lib/kmosix at a directory
# of plain files made here, which the writes append to (kmosix.h). So this
# tests our side (what is written when, what is read), not the kernel's
# (tests/kernel does that in qemu). Without the variable, the rest of the
# suite runs with no /proc/mosix at all.
#   mosix-infod: clear and every node at start, changed nodes after, -ID for
#     a node left out of the map, everything again when admin/version reads
#     empty (a module loaded again), the policy and its version, an empty
#     table when it stops
#   mosix-migd: mosrun -l writes "PID 1" to mosix/lock; a pid the kernel
#     says is locked cannot move; a guest is marked in PID/mosix/guest, or
#     not taken when that fails
#   mosctl check and mps --guests
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
migd_progs
plan 34

# --- mosctl check ---------------------------------------------------------------------
fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT
mkdir -p "$fake/mosix"
printf 'version=9.9\ninterface=1\nlock=module\n' >"$fake/mosix/version"
line=$(MOSIX_PROC_DIR=$fake "$bin/mosctl" check | grep '^mosix kernel part')
like "$line" '  ok \(module 9\.9, interface 1, lock in the module\)$' \
	"mosctl check: the module, its version and interface"
mkdir -p "$fake/self/mosix"
: >"$fake/self/mosix/guest"
: >"$fake/mosix/guests"
printf 'version=6.1-mosix\ninterface=1\nlock=task\n' >"$fake/mosix/version"
line=$(MOSIX_PROC_DIR=$fake "$bin/mosctl" check | grep '^mosix kernel part')
like "$line" '  ok \(patched kernel 6\.1-mosix, interface 1, lock in the task, guests hidden, pids answered by the kernel\)$' \
	"mosctl check: the patched kernel and what it adds"
printf 'interface=2\nlock=task\n' >"$fake/mosix/version"
line=$(MOSIX_PROC_DIR=$fake "$bin/mosctl" check | grep '^mosix kernel part')
like "$line" 'optional, missing: .* \(patched kernel, interface 2: not used, these tools know interface 1\)$' \
	"mosctl check: another interface is not used, and says so"

# --- the cluster: node 1's daemons see a module, node 2's a patched kernel -----------
infod_cluster_up 2 || { echo "Bail out! no cluster"; exit 1; }
d1=$(cluster_dir 1)
d2=$(cluster_dir 2)
k1=$d1/tmp/kproc
k2=$d2/tmp/kproc
mkdir -p "$k1/mosix/admin" "$k2/mosix/admin" "$k2/self/mosix"
printf 'version=test\ninterface=1\nlock=module\n' >"$k1/mosix/version"
printf 'version=test\ninterface=1\nlock=task\n' >"$k2/mosix/version"
for f in nodes version block stay lstay quiet speed decay; do
	: >"$k1/mosix/admin/$f"
done
: >"$k1/mosix/lock"
: >"$k2/self/mosix/guest"
: >"$k2/mosix/guests"

infod_kill 1 TERM
rm -f "$d1/run/mosix/cluster"
# shellcheck disable=SC2016 # expanded by the inner sh
cluster_spawn 1 env MOSIX_PROC_DIR=/tmp/kproc sh -c 'exec "$@" 2>>/tmp/infod.log' _ \
	"$bin/mosix-infod"
_infod_pid[1]=$!
# shellcheck disable=SC2034 # read by migd_start
MIGD_ENV_1=MOSIX_PROC_DIR=/tmp/kproc
# shellcheck disable=SC2034 # read by migd_start
MIGD_ENV_2=MOSIX_PROC_DIR=/tmp/kproc
if ! migd_start 1 || ! migd_start 2; then
	echo "Bail out! no migd"
	exit 1
fi

nodes=$k1/mosix/admin/nodes
# predicates for wait_for: the last line of FILE; the lines of FILE matching RE
last_is() { [ "$(tail -n 1 "$1")" = "$2" ]; }
lines_are() { [ "$(grep -c "$1" "$2")" -eq "$3" ]; }
# a node's line: ID CPUS LOAD SPEED MEM RMEM TMEM STATUS UTIL
node_line() { grep -E "^$1 [0-9]+ [0-9]+ [0-9]+ [0-9]+ [0-9]+ [0-9]+ $2 [0-9]+\$" "$nodes"; }
wait_for 10 node_line 2 1 >/dev/null
ok $? "infod: node 2 is written to admin/nodes, up"
is "$(head -n 1 "$nodes")" clear "infod: the first write is clear"
node_line 1 1 >/dev/null
ok $? "infod: and this node, up"
bad=$(grep -v -E '^(clear|-?[0-9]+( [0-9]+){8})$' "$nodes")
is "$bad" "" "infod: every line is clear, -ID or a whole node"
wait_for 5 test -s "$k1/mosix/admin/version"
is "$(cat "$k1/mosix/admin/version")" "$(cat "$d1/run/mosix/admin/version")" \
	"infod: admin/version is the daemon's version"
for f in block stay lstay quiet speed decay; do
	[ "$(tail -n 1 "$k1/mosix/admin/$f")" = "$(cat "$d1/run/mosix/admin/$f")" ] || bad="$bad $f"
done
is "$bad" "" "infod: the policy files are the daemon's"
like "$(cat "$d1/tmp/infod.log")" "keeping /proc/mosix \(module test, interface 1, lock in the module\)" \
	"infod: says that it keeps /proc/mosix"
is "$(grep -c -i 'proc/mosix' "$d2/tmp/infod.log")" 0 \
	"infod without the kernel part: no word of it"

cluster_exec 1 "$bin/mosctl" block >/dev/null
wait_for 5 last_is "$k1/mosix/admin/block" 1
ok $? "infod: mosctl block is mirrored to admin/block"
cluster_exec 1 "$bin/mosctl" noblock >/dev/null
wait_for 5 last_is "$k1/mosix/admin/block" 0
ok $? "infod: and noblock"

# changed nodes only: node 2 down is one line, then nothing while it stays so
infod_kill 2 TERM
wait_for 8 node_line 2 0 >/dev/null
ok $? "infod: node 2 down is written (status 0)"
before=$(grep -c '^2 ' "$nodes")
sleep 1
is "$(grep -c '^2 ' "$nodes")" "$before" "infod: an unchanged node is not written again"
infod_start 2 || { echo "Bail out! no infod on node 2"; exit 1; }

# a module loaded again: its admin/version is empty
: >"$k1/mosix/admin/version"
wait_for 5 lines_are '^clear$' "$nodes" 2
ok $? "infod: an empty admin/version gets clear and every node again"
wait_for 5 test -s "$k1/mosix/admin/version"
ok $? "infod: and the version"

# a node left out of the map is forgotten
printf '1 10.77.0.1 1\n' | tee "$d1/etc/mosix/mosix.map" >"$d1/run/mosix/mosix.map"
kill -HUP "${_infod_pid[1]}"
wait_for 5 grep -qx -- -2 "$nodes"
ok $? "infod: a node gone from the map is written as -2"

infod_kill 1 TERM
is "$(tail -n 1 "$nodes")" clear "infod: stopped, it empties the table"
is "$(tail -c 1 "$k1/mosix/admin/version" | od -An -c | tr -d ' ')" '\n' \
	"infod: and clears admin/version"
printf '1 10.77.0.1 2\n' | tee "$d1/etc/mosix/mosix.map" >"$d1/run/mosix/mosix.map"
infod_start 1 || { echo "Bail out! no infod on node 1"; exit 1; }

# --- migd on node 1 (a module): the lock ------------------------------------------------
run_at 1 nm "$bin/nomig" sleep 600
nm=$(node_pid 1 nm)
wait_for 5 grep -qx "$nm 1" "$k1/mosix/lock"
ok $? "mosrun -l: 'PID 1' written to mosix/lock"
cluster_exec 1 kill "$nm"

run_at 1 plain sleep 600
p=$(node_pid 1 plain)
printf '%s\n' "$p" >"$k1/mosix/lock"
out=$(cluster_exec 1 "$bin/migrate" "$p" 2 2>&1)
like "$out" "cannot migrate $p: locked by user" "a pid that mosix/lock lists cannot move"
like "$(cluster_exec 1 env MOSIX_PROC_DIR=/tmp/kproc "$bin/mps" "$p" | tail -n 1)" " yes +locked by user" \
	"mps: LOCK yes, locked by user"
: >"$k1/mosix/lock"
mkdir -p "$k1/$p/mosix"
echo 1 >"$k1/$p/mosix/lock"
out=$(cluster_exec 1 "$bin/migrate" "$p" 2 2>&1)
like "$out" "cannot migrate $p: locked by user" "nor one whose PID/mosix/lock says 1"
echo 0 >"$k1/$p/mosix/lock"

# --- node 2 (a patched kernel): the guest's mark; node 1: where and nmigs --------------
: >"$k1/$p/mosix/where"
: >"$k1/$p/mosix/nmigs"
# the guest's pid is not known before: room for any of a small namespace's
(cd "$k2" && mkdir -p {2..3999}/mosix && touch {2..3999}/mosix/guest)
# shellcheck disable=SC2016 # awk's own $4
ppid=$(cluster_exec 1 awk '{ print $4 }' "/proc/$p/stat")
out=$(cluster_exec 1 "$bin/migrate" "$p" 2 2>&1)
ok $? "migrate to a node whose kernel answers pids"
[ -z "$out" ] || diag "$out"
g=$(guest_of 2 "$p")
is "$(cat "$k2/$g/mosix/guest" 2>/dev/null)" "1 $p $ppid" \
	"its supervisor wrote NODE PID PPID to /proc/GUEST/mosix/guest"
like "$(cat "$d2/tmp/migd.log")" "runs here as $g \(pids answered by the kernel\)" \
	"migd says the kernel answers its pids"
is "$(tail -n 1 "$k1/$p/mosix/where")" 2 "home: /proc/PID/mosix/where says 2"
is "$(tail -n 1 "$k1/$p/mosix/nmigs")" 1 "home: nmigs says 1"
cluster_exec 1 "$bin/migrate" "$p" home
wait_for 5 last_is "$k1/$p/mosix/where" 0
ok $? "home again: where says 0"

# the mark cannot be written: the guest is not taken, the process runs on at home
rm -rf "${k2:?}"/[0-9]*
run_at 1 plain2 sleep 600
p2=$(node_pid 1 plain2)
out=$(cluster_exec 1 "$bin/migrate" "$p2" 2 2>&1)
like "$out" "cannot mark the guest" "no mark, no guest: migrate says why"
cluster_exec 1 kill -0 "$p2"
ok $? "and the process runs on at home"
test -z "$(ls "$d2/run/mosix/guests/" 2>/dev/null)"
ok $? "node 2 hosts nothing"
cluster_exec 1 kill "$p" "$p2"

# --- mps --guests: the kernel's list too ------------------------------------------------
run_at 2 local sleep 600
q=$(node_pid 2 local)
printf '%s 1 4242 1\n' "$q" >"$k2/mosix/guests"
line=$(cluster_exec 2 env MOSIX_PROC_DIR=/tmp/kproc "$bin/mps" --guests --no-header)
like "$line" "^ *$q +1 +4242 " "mps --guests: a guest only /proc/mosix/guests lists"
cluster_exec 2 kill "$q"
