#!/usr/bin/env bash
# Memory ushering: a node pushed into memory pressure stops taking guests
# and sends the ones it has home, before it thrashes; the guests live on.
# The pressure is real: node 2's threshold (usher_free_pm) is set just
# below the machine's free memory of the moment, and a process on node 2
# then fills 2 GiB.
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
migd_progs

avail_kib=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
if ((avail_kib < 4 * 1024 * 1024)); then
	echo "1..0 # SKIP needs 4 GiB of free memory (has $((avail_kib / 1024)) MiB)"
	exit 0
fi

plan 11
infod_cluster_up 2 || { echo "Bail out! no cluster"; exit 1; }
d1=$(cluster_dir 1)
d2=$(cluster_dir 2)
migd_start 1 || { echo "Bail out! no mosix-migd on node 1"; exit 1; }

# node 2 ushers below what is free now less 1 GiB (in pages of 4 KiB)
mem=$(cat "$d2/run/mosix/nodes/2/mem")
tmem=$(cat "$d2/run/mosix/nodes/2/tmem")
pm=$(((mem - 262144) * 1000 / tmem))
echo "usher_free_pm = $pm" >>"$d2/etc/mosix/mosix.conf"
diag "node 2: $mem of $tmem pages free for guests; ushering below $pm/1000"
migd_start 2 || { echo "Bail out! no mosix-migd on node 2"; exit 1; }

run_at 1 plain "$progs/plain" 300
plain_shell=$!
pid=$(node_pid 1 plain)
wait_for 5 grep -q ready "$d1/tmp/plain.out"
msg=$(cluster_exec 1 "$bin/migrate" "$pid" 2 2>&1)
ok $? "a process of node 1 moves to node 2 while memory is plentiful${msg:+: $msg}"

# the pressure: 2 GiB filled on node 2
run_at 2 hog python3 -c 'import time; b = b"x" * (2 << 30); print("full", flush=True); time.sleep(120)'
hog=$(node_pid 2 hog)
wait_for 30 grep -q full "$d2/tmp/hog.out"
ok $? "a process on node 2 filled 2 GiB"
below() { (($(cat "$d2/run/mosix/nodes/2/mem") * 1000 / tmem < pm)); }
wait_for 10 below
ok $? "node 2's free memory fell below its threshold: $(cat "$d2/run/mosix/nodes/2/mem") pages"
home() { [ "$(cat "$d1/run/mosix/proc/$pid/where" 2>/dev/null)" = here ]; }
wait_for 10 home
ok $? "node 2 sent its guest home"
grep -q "memory ushering: short of memory" "$d2/tmp/migd.log"
ok $? "node 2's migd says why"
cluster_exec 1 kill -0 "$pid"
ok $? "the process lives on at home"
msg=$(cluster_exec 1 "$bin/migrate" "$pid" 2 2>&1)
like "$msg" "short of free memory" "node 2 takes no guest meanwhile: $msg"

cluster_exec 2 kill "$hog"
above() { (($(cat "$d2/run/mosix/nodes/2/mem") * 1000 / tmem >= pm)); }
wait_for 15 above
ok $? "memory came back when the hog ended"
msg=$(cluster_exec 1 "$bin/migrate" "$pid" 2 2>&1)
ok $? "node 2 takes guests again${msg:+: $msg}"
sleep 1
cluster_exec 1 kill -0 "$pid"
ok $? "and the process runs on there"
cluster_exec 1 kill "$pid"
wait "$plain_shell"
is "$?" 143 "SIGTERM at home ends it"
