#!/bin/bash
#
# TAP test of the one-machine cluster harness (tests/harness/cluster.sh):
# isolation of nodes, networks, cpusets, and that teardown leaves nothing
# behind, after cluster_down, SIGINT, a SIGKILLed supervisor, a SIGKILLed
# test script, and with the mosix-cluster CLI.  Needs root.  Run: prove -v.

# shellcheck disable=SC2016 # single quotes: expanded by an inner shell or eval
set -u

HARNESS=$(realpath -- "$(dirname -- "${BASH_SOURCE[0]}")/../harness")
# We install our own traps (cleaning up victims too); the victim scripts
# below exercise the traps cluster_up installs.
export MOSIX_CLUSTER_NO_TRAP=1
# shellcheck source=../harness/cluster.sh source-path=SCRIPTDIR
source "$HARNESS/cluster.sh" || exit 1

if ((EUID != 0)); then
	echo "1..0 # SKIP needs root"
	exit 0
fi
have_cpuset=0
[[ -f /sys/fs/cgroup/cpuset/cpuset.cpus ]] && have_cpuset=1

TMP=$(mktemp -d /tmp/harness-t.XXXXXX) || exit 1
victims=()
cleanup() {
	local v d pid start
	for v in "${victims[@]}"; do
		kill -KILL "$v" 2>/dev/null
	done
	# Their supervisors die with them; then the sweep removes their state.
	for d in "$TMP/states"/mosix-cluster.*/supervisor; do
		[[ -r $d ]] && read -r pid start <"$d" &&
			wait_until 3 eval '! _cluster_alive "$pid" "$start"'
	done
	cluster_down
	MOSIX_CLUSTER_TMPDIR=$TMP/states cluster_sweep
	rm -rf -- "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- TAP ---------------------------------------------------------------------

n_test=0
n_fail=0
ok() {
	n_test=$((n_test + 1))
	echo "ok $n_test - $1"
}
not_ok() {
	n_test=$((n_test + 1))
	n_fail=$((n_fail + 1))
	echo "not ok $n_test - $1"
}
diag() {
	local line
	while IFS= read -r line; do echo "# $line"; done <<<"$*"
}
# check DESC CMD...: one assertion, passing if CMD succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then
		ok "$desc"
	else
		not_ok "$desc"
		return 1
	fi
}
# is DESC GOT WANT
is() {
	if [[ $2 == "$3" ]]; then
		ok "$1"
	else
		not_ok "$1"
		diag "got:  '$2'" "want: '$3'"
		return 1
	fi
}
skip() {
	n_test=$((n_test + 1))
	echo "ok $n_test # SKIP $1"
}

# Poll CMD for up to SECONDS; true as soon as it succeeds.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < deadline)) || return 1
		sleep 0.05
	done
}

# --- What a cluster is made of, and whether any of it is left -----------------

# Other clusters may come and go while we run (tests run in parallel), so
# each check looks for what belongs to the cluster under test only.
host_mounts=$(</proc/self/mountinfo)
host_forward=$(</proc/sys/net/ipv4/ip_forward)
host_links() { ip -o link show | awk -F': ' '{ print $2 }' | sort; }
base_links=$(host_links)

# The victim scripts keep their state dirs here, so that we can tell theirs
# from those of other clusters.
VSTATES=$TMP/states
mkdir "$VSTATES" || exit 1

# Clock ticks since boot, the unit of a process's start time.
CLK_TCK=$(getconf CLK_TCK)
now_ticks() {
	local up
	read -r up _ </proc/uptime
	echo $((${up%.*} * CLK_TCK + 10#${up#*.} * CLK_TCK / 100))
}

# Remember a live cluster's state dir, cpuset, processes and namespaces.
rec_state='' rec_cpuset='' rec_pids=() rec_ns=() rec_tdown=0
# Call when the teardown begins: namespace numbers are reused once freed,
# and a process started later can only hold a new namespace of that number.
teardown_starts() { rec_tdown=$(now_ticks); }
record_cluster() {
	local state=$1 f pid start ns mine
	rec_state=$state
	rec_tdown=0
	rec_cpuset=''
	[[ -r $state/cpuset ]] && read -r rec_cpuset <"$state/cpuset"
	rec_pids=()
	rec_ns=()
	while read -r pid start; do
		rec_pids+=("$pid $start")
	done < <(cat -- "$state/supervisor" "$state/hub" "$state/kids" "$state"/node*/pid)
	for f in "$state/hub" "$state"/node*/pid; do
		read -r pid start <"$f"
		for ns in net mnt pid uts ipc; do
			mine=$(readlink "/proc/self/ns/$ns")
			ns=$(readlink "/proc/$pid/ns/$ns")
			[[ -n $ns && $ns != "$mine" ]] && rec_ns+=("$ns")
		done
	done
	((${#rec_ns[@]} > 0)) || diag "no namespace recorded for $state"
}

# Print what of the recorded cluster still runs.
procs_left() {
	local p c
	for p in "${rec_pids[@]}"; do
		# shellcheck disable=SC2086 # "pid start"
		_cluster_alive $p && echo "pid ${p% *} is alive"
	done
	for c in /proc/[0-9]*/cmdline; do
		[[ $(tr '\0' ' ' 2>/dev/null <"$c") == *"$rec_state"* ]] && echo "${c%/cmdline} mentions $rec_state"
	done
	return 0
}
no_procs_left() { [[ -z $(procs_left) ]]; }

# Print recorded namespaces still held by a process (as its namespace or as
# an open file).  Bind mounts would show in mountinfo, checked apart.
ns_held() {
	local path ns pid
	((${#rec_ns[@]})) || return 0
	find /proc/[0-9]*/ns /proc/[0-9]*/fd -maxdepth 1 -type l -printf '%p %l\n' 2>/dev/null |
		grep -F -f <(printf ' %s\n' "${rec_ns[@]}") |
		while read -r path ns; do
			pid=${path#/proc/}
			pid=${pid%%/*}
			_cluster_proc "$pid" || continue
			((rec_tdown && _cluster_pstart > rec_tdown)) && continue
			echo "$ns held by $path: $(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")"
		done
	return 0
}
no_ns_held() { [[ -z $(ns_held) ]]; }

mounts_unchanged() { [[ $(</proc/self/mountinfo) == "$host_mounts" ]]; }

# Assert that nothing of the recorded cluster is left (WHEN: after what).
check_gone() {
	local when=$1
	check "$when: no process of the cluster is left" wait_until 5 no_procs_left ||
		diag "$(procs_left)"
	check "$when: none of its namespaces is held" wait_until 5 no_ns_held ||
		diag "$(ns_held)"
	check "$when: no mount added to the host" mounts_unchanged ||
		diag "$(diff <(echo "$host_mounts") /proc/self/mountinfo)"
	is "$when: host network links unchanged" "$(host_links)" "$base_links"
	check "$when: state dir removed" test ! -e "$rec_state"
	if [[ -n $rec_cpuset ]]; then
		check "$when: cpuset removed" test ! -e "$rec_cpuset"
	else
		skip "$when: no cpuset in this scenario"
	fi
}

# Print what is left of the victims' clusters, for the scenarios where the
# state dir is not known: their state dirs, processes (which name their
# state dir), and cpusets without a cluster (they are made after its state
# dir and removed before it).
strays() {
	local c cs
	ls -d "$VSTATES"/* 2>/dev/null
	for c in /proc/[0-9]*/cmdline; do
		[[ $(tr '\0' ' ' 2>/dev/null <"$c") == *"$VSTATES/"* ]] && echo "${c%/cmdline}"
	done
	for cs in /sys/fs/cgroup/cpuset/mosix-test.*; do
		[[ -d $cs ]] || continue
		compgen -G "/tmp/mosix-cluster.${cs##*.}" >/dev/null ||
			compgen -G "/tmp/*/mosix-cluster.${cs##*.}" >/dev/null || echo "$cs"
	done
	return 0
}
no_strays() { [[ -z $(strays) ]]; }

# Start a script that sources the harness, brings up 2 nodes with the traps
# cluster_up installs, runs a process in node1 and waits.  Sets victim_pid
# and victim_state.  SIGINT is restored: bash starts background jobs with it
# ignored, and a shell cannot trap a signal ignored at its start.
start_victim() {
	local ready=$TMP/victim.state
	rm -f "$ready" "$ready.fifo"
	cat >"$TMP/victim.sh" <<-'EOF'
		set -u
		unset MOSIX_CLUSTER_NO_TRAP
		source "$1/cluster.sh"
		cluster_up 2 $3 || exit 1
		cluster_spawn 1 sleep 300
		echo "$MOSIX_CLUSTER_STATE" >"$2.tmp" && mv "$2.tmp" "$2"
		wait $!
		# The node may die first (supervisor killed): keep waiting for a signal.
		mkfifo "$2.fifo" && read -r _ <>"$2.fifo"
	EOF
	local opt=''
	((have_cpuset)) && opt=--cpuset
	MOSIX_CLUSTER_TMPDIR=$VSTATES env --default-signal=INT \
		bash "$TMP/victim.sh" "$HARNESS" "$ready" "$opt" >"$TMP/victim.out" 2>&1 &
	victim_pid=$!
	victims+=("$victim_pid")
	victim_state=''
	if wait_until 20 test -s "$ready"; then
		read -r victim_state <"$ready"
		record_cluster "$victim_state"
	else
		diag "victim did not come up:" "$(cat "$TMP/victim.out")"
	fi
}

# --- A flat cluster of four nodes ------------------------------------------

up_opts=()
((have_cpuset)) && up_opts=(--cpuset)
t0=$(date +%s%N)
cluster_up 4 "${up_opts[@]}"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
is "cluster_up 4 ${up_opts[*]} succeeds" "$rc" 0
diag "cluster_up 4 ${up_opts[*]} took ${ms} ms"
check "four nodes come up in under 5 s (${ms} ms)" test "$ms" -lt 5000
if ((rc != 0)); then
	echo "Bail out! no cluster"
	exit 1
fi
record_cluster "$MOSIX_CLUSTER_STATE"

names=''
for i in 1 2 3 4; do names+="$(cluster_exec "$i" hostname) "; done
is "hostnames are node1..node4" "$names" "node1 node2 node3 node4 "
is "uname -n agrees" "$(cluster_exec 3 uname -n)" node3
is "node /etc/hostname" "$(cluster_exec 2 cat /etc/hostname)" node2
is "nodes resolve each other by name" \
	"$(cluster_exec 1 getent ahostsv4 node4 | awk 'NR == 1 { print $1 }')" 10.77.0.4

# pid namespaces
is "node-init is pid 1 of node1" "$(cluster_exec 1 cat /proc/1/comm)" node-init
is "node-init is pid 1 of node4" "$(cluster_exec 4 cat /proc/1/comm)" node-init
cluster_spawn 2 sleep 300
spawned=$!
wait_until 5 cluster_exec 2 pgrep -x sleep >/dev/null
is "node1's ps sees only node-init and itself" \
	"$(cluster_exec 1 ps -e -o comm= | tr '\n' ' ')" "node-init ps "
is "node2's ps sees its own sleep" \
	"$(cluster_exec 2 ps -e -o comm= | tr '\n' ' ')" "node-init sleep ps "
is "node1's /proc holds two processes (init, sh)" \
	"$(cluster_exec 1 sh -c 'set -- /proc/[0-9]*; echo $#')" 2
pidns=$(for i in 1 2 3 4; do readlink "/proc/$(cluster_pid "$i")/ns/pid"; done | sort -u | wc -l)
is "four distinct pid namespaces" "$pidns" 4
check "node pid namespace differs from the host's" \
	test "$(readlink "/proc/$(cluster_pid 1)/ns/pid")" != "$(readlink /proc/self/ns/pid)"

# cluster_spawn: signals reach the command, wait gets its status
kill -TERM "$spawned"
wait "$spawned"
is "kill of a cluster_spawn pid reaches the command (status 143)" "$?" 143
check "the spawned sleep is gone from node2" \
	wait_until 3 eval '! cluster_exec 2 pgrep -x sleep >/dev/null'

# cluster_exec pass-through
cluster_exec 1 sh -c 'exit 7'
is "cluster_exec passes the exit status" "$?" 7
is "cluster_exec passes stdin and stdout" "$(echo hello | cluster_exec 2 cat)" hello
is "cluster_exec passes stderr" "$(cluster_exec 2 sh -c 'echo oops >&2' 2>&1 >/dev/null)" oops
cluster_exec 1 /nonexistent/cmd 2>/dev/null
is "missing command exits 127" "$?" 127
cluster_exec 9 true 2>/dev/null
is "unknown node exits 125" "$?" 125
is "cwd is kept when it exists in the node" "$(cd "$HARNESS" && cluster_exec 1 pwd)" "$HARNESS"
is "cwd falls back to / when hidden in the node" "$(cd "$TMP" && cluster_exec 1 pwd)" /

# private files
echo host >"$TMP/host-file"
# Names unique to this run, so that no earlier run can make these pass or fail.
f1=harness-t.$$
cluster_exec 1 sh -c 'for f in /tmp /run /etc/mosix /etc /dev/shm; do echo n1 >"$f/$1" || exit; done' _ "$f1"
is "node1 wrote its files" "$?" 0
for f in "/tmp/$f1" "/run/$f1" "/etc/mosix/$f1" "/etc/$f1" "/dev/shm/$f1"; do
	check "node2 does not see node1's $f" cluster_exec 2 test ! -e "$f"
	check "the host does not see node1's $f" test ! -e "$f"
done
d1=$(cluster_dir 1)
is "node1's /tmp file is in cluster_dir 1/tmp" "$(cat "$d1/tmp/$f1")" n1
is "node1's /run file is in cluster_dir 1/run" "$(cat "$d1/run/$f1")" n1
is "node1's /etc/mosix file is in cluster_dir 1/etc/mosix" "$(cat "$d1/etc/mosix/$f1")" n1
is "node1's /etc/mosix holds only its own file" "$(cluster_exec 1 ls -A /etc/mosix)" "$f1"
if [[ -d /etc/mosix ]]; then
	check "the host's /etc/mosix did not get node1's file" test ! -e "/etc/mosix/$f1"
else
	check "the host's /etc/mosix was not created" test ! -e /etc/mosix
fi
echo placed >"$(cluster_dir 2)/etc/mosix/mosix.map"
is "a file placed in cluster_dir 2/etc/mosix shows in node2" \
	"$(cluster_exec 2 cat /etc/mosix/mosix.map)" placed
check "... and not in node1" cluster_exec 1 test ! -e /etc/mosix/mosix.map
check "node1 does not see the host's /tmp" cluster_exec 1 test ! -e "$TMP/host-file"
check "node1 does not see the cluster's state dir" cluster_exec 1 test ! -e "$MOSIX_CLUSTER_STATE"
check "node1 sees the repository" cluster_exec 1 test -f "$HARNESS/cluster.sh"
is "node1 sees the host's /etc (overlay)" \
	"$(cluster_exec 1 cat /etc/debian_version)" "$(cat /etc/debian_version)"
check "node1's /sys shows its own eth0" cluster_exec 1 test -e /sys/class/net/eth0
is "node1's /sys shows only its own interfaces" \
	"$(cluster_exec 1 ls /sys/class/net | tr '\n' ' ')" "eth0 lo "

# network
is "node2's address" "$(cluster_addr 2) $(cluster_addr6 2)" "10.77.0.2 fd77::2"
fail4='' fail6=''
for i in 1 2 3 4; do
	for j in 1 2 3 4; do
		((i == j)) && continue
		cluster_reach "$i" "$(cluster_addr "$j")" || fail4+=" $i->$j"
		cluster_reach "$i" "$(cluster_addr6 "$j")" || fail6+=" $i->$j"
	done
done
is "all nodes reach each other over IPv4" "$fail4" ""
is "all nodes reach each other over IPv6" "$fail6" ""
if command -v ping >/dev/null; then
	check "ping node1 -> node3" eval 'cluster_exec 1 ping -n -c1 -W1 10.77.0.3 >/dev/null'
else
	skip "ping not installed (apt-get install iputils-ping)"
fi
check "TCP fallback of cluster_reach works (IPv4)" \
	env MOSIX_CLUSTER_NO_PING=1 bash -c 'source "$1"; cluster_reach 1 10.77.0.2' _ "$HARNESS/cluster.sh"
check "TCP fallback of cluster_reach works (IPv6)" \
	env MOSIX_CLUSTER_NO_PING=1 bash -c 'source "$1"; cluster_reach 4 fd77::1' _ "$HARNESS/cluster.sh"
check "an absent address is not reached" eval '! cluster_reach 1 10.77.0.99'
for i in 1 4; do
	check "node$i has no route out (IPv4)" eval "! cluster_exec $i ip route get 1.1.1.1 >/dev/null 2>&1"
	check "node$i has no route out (IPv6)" eval "! cluster_exec $i ip -6 route get 2001:db8::1 >/dev/null 2>&1"
done
defaults=$(for i in 1 2 3 4 hub; do cluster_exec "$i" ip route show default; cluster_exec "$i" ip -6 route show default; done)
is "no default route in any node nor the hub" "$defaults" ""
is "the hub has no IPv4 address" "$(cluster_exec hub ip -4 -o addr show)" ""
is "the hub holds bridge br0 and four ports" \
	"$(cluster_exec hub ip -o link show master br0 | wc -l)" 4
is "the host's links are unchanged while up" "$(host_links)" "$base_links"

# cpusets
if ((have_cpuset)); then
	_cluster_cpuset_parent
	_cluster_cpu_list "$(cat "$_cluster_csparent/cpuset.cpus")"
	cpus=("${_cluster_cpus[@]}")
	bad=''
	((${#cpus[@]})) || bad="no cpu found in $_cluster_csparent"
	for i in 1 2 3 4; do
		((${#cpus[@]})) || break
		want=${cpus[(i - 1) % ${#cpus[@]}]}
		got=$(awk '/^Cpus_allowed_list/ { print $2 }' "/proc/$(cluster_pid "$i")/status")
		[[ $got == "$want" ]] || bad+=" node$i:init=$got(want $want)"
		got=$(cluster_exec "$i" awk '/^Cpus_allowed_list/ { print $2 }' /proc/self/status)
		[[ $got == "$want" ]] || bad+=" node$i:exec=$got(want $want)"
	done
	is "node K's processes are pinned to CPU (K-1) mod ncpu" "$bad" ""
	check "the cluster's cpuset exists" test -d "$(cluster_cpuset 1)"
else
	skip "no cgroup v1 cpuset"
	skip "no cgroup v1 cpuset"
fi

teardown_starts
cluster_down
is "cluster_down succeeds" "$?" 0
cluster_down
is "cluster_down again is a no-op" "$?" 0
check_gone "after cluster_down"

# --- Routed topology ---------------------------------------------------------

cluster_up 5 --topology routed
is "cluster_up 5 --topology routed succeeds" "$?" 0
record_cluster "${MOSIX_CLUSTER_STATE:-/nonexistent}"
is "router addresses" "$(cluster_addr 1) $(cluster_addr 1 2) $(cluster_addr6 1 2)" \
	"10.77.1.254 10.77.2.254 fd77:2::254"
is "subnet 1 and 2 nodes" "$(cluster_addr 2) $(cluster_addr 3) $(cluster_addr6 3)" \
	"10.77.1.2 10.77.2.3 fd77:2::3"
check "node2 (subnet 1) reaches node4 (subnet 1)" cluster_reach 2 10.77.1.4
check "node2 (subnet 1) reaches node3 (subnet 2) over IPv4" cluster_reach 2 10.77.2.3
check "node2 (subnet 1) reaches node3 (subnet 2) over IPv6" cluster_reach 2 fd77:2::3
check "node5 (subnet 2) reaches node2 (subnet 1)" cluster_reach 5 10.77.1.2
check "node3 reaches the router's far side" cluster_reach 3 10.77.1.254
check "node2 routes to subnet 2 via the router" \
	eval 'cluster_exec 2 ip route get 10.77.2.3 | grep -q "via 10.77.1.254 dev eth0"'
if command -v ping >/dev/null; then
	check "replies from subnet 2 come through one hop (ttl=63)" \
		eval 'cluster_exec 2 ping -n -c1 -W1 10.77.2.3 | grep -q "ttl=63"'
else
	skip "ping not installed"
fi
cluster_exec 1 sh -c 'echo 0 >/proc/sys/net/ipv4/ip_forward; echo 0 >/proc/sys/net/ipv6/conf/all/forwarding'
check "with forwarding off on the router, subnet 2 is unreachable (IPv4)" eval '! cluster_reach 2 10.77.2.3'
check "with forwarding off on the router, subnet 2 is unreachable (IPv6)" eval '! cluster_reach 2 fd77:2::3'
cluster_exec 1 sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward; echo 1 >/proc/sys/net/ipv6/conf/all/forwarding'
check "with forwarding back on, it is reachable again (IPv4)" cluster_reach 2 10.77.2.3
check "with forwarding back on, it is reachable again (IPv6)" cluster_reach 2 fd77:2::3
check "host forwarding untouched by the router" test "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_forward"
check "routed node has no route out" eval '! cluster_exec 3 ip route get 1.1.1.1 >/dev/null 2>&1'
teardown_starts
cluster_down
check_gone "after routed cluster_down"

# --- SIGINT to a script that has a cluster up ---------------------------------

start_victim
check "victim cluster is up" test -n "$victim_state"
teardown_starts
kill -INT "$victim_pid"
wait_until 10 eval '! kill -0 "$victim_pid" 2>/dev/null'
wait "$victim_pid"
is "the victim dies of SIGINT (130)" "$?" 130
check_gone "after SIGINT"

# --- A signal while cluster_up is running ------------------------------------

# Whenever it lands, everything goes: the victim's traps cover the state dir
# and the cpusets, the parent-death signals the processes.
cat >"$TMP/early.sh" <<-'EOF'
	set -u
	unset MOSIX_CLUSTER_NO_TRAP
	source "$1/cluster.sh"
	cluster_up 4 $2
	read -r _ <>"$3"
EOF
mkfifo "$TMP/early.fifo"
for delay in 0.02 0.08 0.15 0.25; do
	MOSIX_CLUSTER_TMPDIR=$VSTATES env --default-signal=INT bash "$TMP/early.sh" "$HARNESS" "${up_opts[*]}" "$TMP/early.fifo" >/dev/null 2>&1 &
	early=$!
	victims+=("$early")
	sleep "$delay"
	kill -TERM "$early"
	wait "$early"
	rc=$?
	check "SIGTERM ${delay}s into cluster_up: the script dies of it ($rc)" test "$rc" = 143
	check "SIGTERM ${delay}s into cluster_up: nothing is left" wait_until 5 no_strays ||
		diag "$(strays)"
done
check "... and no mount was added to the host" mounts_unchanged

# --- SIGKILL of the supervisor -----------------------------------------------

start_victim
check "victim cluster is up" test -n "$victim_state"
read -r sup _ <"$victim_state/supervisor"
teardown_starts
kill -KILL "$sup"
check "nodes die with their supervisor" wait_until 5 no_ns_held || diag "$(ns_held)"
kill -TERM "$victim_pid"
wait "$victim_pid"
is "the victim dies of SIGTERM (143)" "$?" 143
check_gone "after SIGKILL of the supervisor"

# --- SIGKILL of the script itself, then the stale sweep ----------------------

start_victim
check "victim cluster is up" test -n "$victim_state"
teardown_starts
kill -KILL "$victim_pid"
wait "$victim_pid" 2>/dev/null
check "the cluster dies with its script (pdeathsig)" wait_until 5 no_ns_held || diag "$(ns_held)"
check "its state dir stays until swept" test -d "$victim_state"
MOSIX_CLUSTER_TMPDIR=$VSTATES cluster_sweep
check_gone "after SIGKILL of the script and a sweep"

# --- The mosix-cluster CLI ---------------------------------------------------

out=$("$HARNESS/mosix-cluster" run 2 -- bash -c '
	source "$MOSIX_CLUSTER_HARNESS" || exit 1
	echo "$MOSIX_CLUSTER_STATE" >"$1"
	echo "$MOSIX_CLUSTER_NODES $(cluster_exec 2 hostname) $("$2" exec 1 hostname)"
	exit 3' _ "$TMP/cli.state" "$HARNESS/mosix-cluster")
is "mosix-cluster run passes CMD's exit status" "$?" 3
is "CMD sees the cluster" "$out" "2 node2 node1"
read -r cli_state <"$TMP/cli.state"
check "mosix-cluster run removes its state dir" test ! -e "$cli_state"

"$HARNESS/mosix-cluster" run 2 -- bash -c 'echo "$MOSIX_CLUSTER_STATE" >"$1"; exec sleep 300' _ "$TMP/cli2.state" &
cli=$!
victims+=("$cli")
if wait_until 20 test -s "$TMP/cli2.state"; then
	read -r cli_state <"$TMP/cli2.state"
	record_cluster "$cli_state"
	teardown_starts
	kill -TERM "$cli"
	wait "$cli"
	is "mosix-cluster dies of SIGTERM (143)" "$?" 143
	check_gone "after SIGTERM to mosix-cluster"
else
	not_ok "mosix-cluster run came up"
fi

is "mosix-cluster --help" "$("$HARNESS/mosix-cluster" --help | head -n1 | cut -c1-23)" "usage: mosix-cluster ru"

echo "1..$n_test"
((n_fail == 0))
