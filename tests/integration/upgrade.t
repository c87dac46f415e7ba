#!/usr/bin/env bash
# A package upgrade replaces mosix-migd's binary under the running daemon.
# It keeps running the old one while a process of its node is away (its
# deputy is a child only the old daemon knows), says so, and `mosctl away`
# tells the package why it waits; once nothing is away it exits 75, for
# systemd to start the new binary (RestartForceExitStatus=75). No process
# is lost either way. The package's prerm, on remove, first brings the
# node's processes home and sends its guests home.
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

plan 19
migd_cluster_up 2 || { echo "Bail out! no cluster"; exit 1; }
d1=$(cluster_dir 1)

# node 1's migd runs from a copy of the binary that the test can replace
# (under out/: each node has a /tmp of its own)
inst=$(mktemp -d -p "$out" upgrade.XXXXXX)
trap 'rm -rf "$inst"' EXIT
cp "$bin/mosix-migd" "$inst/mosix-migd"
migd_kill 1
# shellcheck disable=SC2016 # expanded by the inner sh
cluster_spawn 1 sh -c 'exec "$1" 2>>/tmp/migd.log' _ "$inst/mosix-migd"
migd1=$!
wait_for 10 test -S "$d1/run/mosix/migd.sock"
ok $? "node 1's mosix-migd runs from $inst"

away=$(cluster_exec 1 "$bin/mosctl" away)
is "$?" 0 "mosctl away: nothing away yet ($away)"

run_at 1 plain "$progs/plain" 300
shell=$!
pid=$(node_pid 1 plain)
wait_for 5 grep -q ready "$d1/tmp/plain.out"
msg=$(cluster_exec 1 "$bin/migrate" "$pid" 2 2>&1)
ok $? "a process of node 1 moves to node 2${msg:+: $msg}"

# the upgrade: a new file renamed over the old one, as dpkg does
cp "$bin/mosix-migd" "$inst/mosix-migd.new"
mv "$inst/mosix-migd.new" "$inst/mosix-migd"
said() { grep -q "a new mosix-migd is installed: it starts once no process is away" "$d1/tmp/migd.log"; }
wait_for 15 said
ok $? "mosix-migd notices the new binary and says it waits"
kill -0 "$migd1"
ok $? "and keeps running while the process is away"
away=$(cluster_exec 1 "$bin/mosctl" away)
is "$?" 1 "mosctl away exits 1: $away"
like "$away" "^1 process of this node away, 0 guests here" "and counts it"

msg=$(cluster_exec 1 "$bin/migrate" "$pid" home 2>&1)
ok $? "the process comes home${msg:+: $msg}"
wait "$migd1"
is "$?" 75 "then mosix-migd exits 75, for systemd to start the new binary"
cluster_exec 1 kill -0 "$pid"
ok $? "the process runs on at home"
cluster_exec 1 kill "$pid"
wait "$shell"
is "$?" 143 "until SIGTERM ends it"

# --- debian/mosix.prerm remove: nothing away, no guest left -------------------
migd_start 1 || { echo "Bail out! mosix-migd does not start again on node 1"; exit 1; }
d2=$(cluster_dir 2)
run_at 1 mine "$progs/plain" 300
mine_shell=$!
mine=$(node_pid 1 mine)
run_at 2 theirs "$progs/plain" 300
theirs_shell=$!
theirs=$(node_pid 2 theirs)
wait_for 5 grep -q ready "$d1/tmp/mine.out"
wait_for 5 grep -q ready "$d2/tmp/theirs.out"
cluster_exec 1 "$bin/migrate" "$mine" 2 && cluster_exec 2 "$bin/migrate" "$theirs" 1
ok $? "a process of node 1 runs on node 2, one of node 2 on node 1"
out=$(cluster_exec 1 env PATH="$bin:$PATH" sh "$root/debian/mosix.prerm" remove 2>&1)
ok $? "the prerm of a remove runs through"
diag "$out"
is "$(cat "$d1/run/mosix/proc/$mine/where")" here "node 1's process is home"
is "$(ls "$d1/run/mosix/guests/")" "" "node 1 hosts no guest"
is "$(cat "$d2/run/mosix/proc/$theirs/where")" here "node 2's process is home too"
cluster_exec 1 kill -0 "$mine" && cluster_exec 2 kill -0 "$theirs"
ok $? "both run on"
cluster_exec 1 kill "$mine"
cluster_exec 2 kill "$theirs"
wait "$mine_shell"
is "$?" 143 "node 1's ends by SIGTERM at home"
wait "$theirs_shell"
is "$?" 143 "so does node 2's"
