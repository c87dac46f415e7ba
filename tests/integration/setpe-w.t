#!/usr/bin/env bash
# setpe -w (install the map, set this node's id, join) and setpe -off
# (leave): first without a daemon, in temporary directories; then on a
# namespace cluster of four nodes running the real mosix-infod, where the
# other nodes see a node leave and join again.
set -u
. "$(dirname "$0")/../lib/tap.sh"
bin=${MOSIX_BIN:-${MOSIX_OUT:-$(dirname "$0")/../../out}/bin}
bin=$(realpath -- "$bin")
work=$(mktemp -d)
# the cluster's traps would replace ours: cleanup takes the cluster down
export MOSIX_CLUSTER_NO_TRAP=1
cleanup() {
	if declare -F cluster_down >/dev/null; then
		cluster_down
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n # SKIP $1"
}

# --- no daemon --------------------------------------------------------------------

export MOSIX_CONFIG_DIR=$work/etc MOSIX_RUN_DIR=$work/run/mosix
mkdir -p "$work/etc"
# 127.0.0.1 is on every machine's loopback: this machine is node 1
printf '# test map\n1 127.0.0.1 2\n10 fd00::10 3  # v6\n' >"$work/etc/mosix.map"

"$bin/setpe" -w >"$work/out" 2>"$work/err"
is "$?" 0 "setpe -w without mosix-infod: exit 0"
is "$(cat "$work/out")" "setpe: map installed as '$work/run/mosix/mosix.map'; mosix-infod is not running: it will use the map when it starts" \
	"and says the map is installed and used when mosix-infod starts"
is "$(cat "$work/err")" "" "nothing on stderr"
is "$(stat -c %a "$work/run/mosix")" 755 "the run directory is created, mode 0755"
is "$(stat -c %a "$work/run/mosix/mosix.map")" 644 "the active map is mode 0644"
is "$(cat "$work/run/mosix/mosix.map")" "1 127.0.0.1 2
10 fd00::10 3" "the active map is the canonical form"
is "$("$bin/setpe" -r)" "$(cat "$work/run/mosix/mosix.map")" "setpe -r prints the installed map"
check_self=$(ls "$work/run/mosix")
is "$check_self" "mosix.map" "no self-id without -p, no temporary file left"

"$bin/setpe" -W -p 11 -v >"$work/out"
is "$?" 0 "setpe -W -p 11 -v: exit 0"
is "$(cat "$work/run/mosix/self-id")" 11 "-p writes the id to self-id"
like "$(cat "$work/out")" "this node: 11 \(fd00::11\) as given with -p" "-v names this node"
"$bin/setpe" -w >/dev/null
is "$(ls "$work/run/mosix")" "mosix.map" "-w without -p removes an old self-id"

printf '1 127.0.0.1 2\n2 10.1.1.1 1\nbad line\n' >"$work/bad.map"
cp "$work/run/mosix/mosix.map" "$work/before"
"$bin/setpe" -w -f "$work/bad.map" >"$work/out" 2>"$work/err"
is "$?" 1 "setpe -w of an invalid map: exit 1"
is "$(cat "$work/err")" "$work/bad.map:2: node id 2 overlaps ids 1..2 of $work/bad.map:1
$work/bad.map:3: missing field: expected 'ID ADDRESS COUNT' or 'ID ADDRESS ALIAS'" \
	"every error, as FILE:LINE"
cmp -s "$work/before" "$work/run/mosix/mosix.map"
ok "$?" "the active map is unchanged"

"$bin/setpe" -w -p 5 2>"$work/err"
is "$?" 1 "-p with an id not in the map: exit 1"
is "$(cat "$work/err")" "setpe: node 5 (given with -p) is not in '$work/etc/mosix.map'" "and says so"
printf '1 10.1.1.1 4\n' | "$bin/setpe" -w -f - 2>"$work/err"
is "$?" 1 "a map without this node: exit 1"
like "$(cat "$work/err")" "this node is not in '/dev/stdin': none of its addresses is listed; give its id with -p" \
	"and says to use -p"
printf '1 127.0.0.1 1\n2 ::1 1\n' | "$bin/setpe" -w -f - 2>"$work/err"
is "$?" 1 "a map where two nodes are local: exit 1"
like "$(cat "$work/err")" "this node is ambiguous in '/dev/stdin'" "and says it is ambiguous"
cmp -s "$work/before" "$work/run/mosix/mosix.map"
ok "$?" "the active map is still unchanged"

printf 'info_interval_ms = 5\n' >"$work/etc/mosix.conf"
"$bin/setpe" -w 2>"$work/err"
is "$?" 1 "setpe -w with a bad mosix.conf: exit 1"
like "$(cat "$work/err")" "^$work/etc/mosix.conf:1: " "and names its line"
rm "$work/etc/mosix.conf"

printf '1 10.1.1.1 4\n' | "$bin/setpe" -w -c -f -
is "$?" 0 "setpe -w -c only checks (MOSIX): this node need not be in the map"

"$bin/setpe" -off 2>"$work/err"
is "$?" 1 "setpe -off without mosix-infod: exit 1"
is "$(cat "$work/err")" "setpe: cannot leave the cluster: mosix-infod is not running (no '$work/run/mosix/infod.sock')" \
	"and says so"
"$bin/setpe" -off -f x >/dev/null 2>&1
is "$?" 2 "-off with another option: usage error"
"$bin/setpe" -w -r >/dev/null 2>&1
is "$?" 2 "-w with -r: usage error"

touch "$work/file"
MOSIX_RUN_DIR=$work/file/run "$bin/setpe" -w 2>"$work/err"
is "$?" 1 "a run directory that cannot be made: exit 1"
is "$(cat "$work/err")" "setpe: cannot create '$work/file/run': Not a directory" "and names it"

# --- the real mosix-infod on a namespace cluster ------------------------------------

cluster_tests() {
	# shellcheck source=../harness/cluster.sh
	source "$(dirname "$0")/../harness/cluster.sh" || return 1
	# shellcheck source=../lib/infod_cluster.sh
	source "$(dirname "$0")/../lib/infod_cluster.sh" || return 1
	unset MOSIX_RUN_DIR MOSIX_CONFIG_DIR

	if ! infod_cluster_up 4; then
		echo "Bail out! no cluster of four mosix-infod nodes"
		exit 1
	fi
	ok "$(infod_wait 20 all_up 1 4; echo $?)" "the four nodes are up"
	is "$(cat "$(cluster_dir 3)/run/mosix/mosix.map")" "1 10.77.0.1 4" \
		"setpe -w installed the map on node 3"

	cluster_exec 4 "$bin/setpe" -off
	is "$?" 0 "setpe -off on node 4: exit 0"
	ok "$(infod_wait 10 state_is 1 4 off; echo $?)" "node 1 sees node 4 off"
	ok "$(infod_wait 10 state_is 2 4 off; echo $?)" "node 2 sees node 4 off"
	is "$(cluster_exec 1 "$bin/mosctl" isup 4)" down "isup 4 on node 1: down"
	is "$(cluster_exec 4 cat /run/mosix/admin/off)" 1 "node 4's admin/off is 1"

	cluster_exec 4 "$bin/setpe" -w >"$(cluster_dir 4)/tmp/out" 2>&1
	is "$?" 0 "setpe -w on node 4: exit 0"
	is "$(cat "$(cluster_dir 4)/tmp/out")" "" "silently, mosix-infod joined"
	ok "$(infod_wait 10 state_is 1 4 up; echo $?)" "node 1 sees node 4 up again"
	is "$(cluster_exec 1 "$bin/mosctl" isup 4)" up "isup 4 on node 1: up"

	# a new map through reload: node 1 drops node 4
	printf '1 10.77.0.1 3\n' >"$(cluster_dir 1)/tmp/three.map"
	cluster_exec 1 "$bin/setpe" -w -f /tmp/three.map
	is "$?" 0 "setpe -w of a three-node map on node 1: exit 0"
	is "$(cat "$(cluster_dir 1)/run/mosix/mosix.map")" "1 10.77.0.1 3" "node 1's active map has three nodes"
	ok "$(infod_wait 10 count_is 1 3; echo $?)" "after the reload node 1 lists three nodes"
	cluster_exec 1 "$bin/setpe" -w
	ok "$(infod_wait 10 count_is 1 4; echo $?)" "and four again after setpe -w of the four-node map"

	# -p: the id is kept for the daemon
	cluster_exec 2 "$bin/setpe" -w -p 2
	is "$?" 0 "setpe -w -p 2 on node 2: exit 0"
	is "$(cat "$(cluster_dir 2)/run/mosix/self-id")" 2 "self-id holds 2"
	is "$(cluster_exec 2 "$bin/mosctl" whois)" 2 "whois on node 2 says 2"

	# no daemon on node 3: the map waits for it
	infod_kill 3
	cluster_exec 3 "$bin/setpe" -w >"$(cluster_dir 3)/tmp/out"
	is "$?" 0 "setpe -w on node 3 without its daemon: exit 0"
	like "$(cat "$(cluster_dir 3)/tmp/out")" "mosix-infod is not running: it will use the map when it starts" \
		"and says the map is used when mosix-infod starts"
	cluster_exec 3 "$bin/setpe" -off 2>"$(cluster_dir 3)/tmp/err"
	is "$?" 1 "setpe -off on node 3 without its daemon: exit 1"
	like "$(cat "$(cluster_dir 3)/tmp/err")" "mosix-infod is not running" "and says so"
	ok "$(infod_wait 10 state_is 1 3 down; echo $?)" "node 1 sees node 3 down"
	infod_start 3
	ok "$(infod_wait 10 state_is 1 3 up; echo $?)" "node 3 is up again once its daemon starts"

	cluster_exec 2 setpriv --reuid=65534 --regid=65534 --clear-groups "$bin/setpe" -off \
		2>"$(cluster_dir 2)/tmp/err"
	is "$?" 1 "setpe -off as an ordinary user: exit 1"
	like "$(cat "$(cluster_dir 2)/tmp/err")" "^setpe: cannot leave the cluster: [Pp]ermission denied" \
		"and says it is not allowed"
	cluster_down
}

if [ "$(id -u)" -ne 0 ]; then
	skip "the cluster tests need root"
elif [ ! -x "$bin/mosix-infod" ]; then
	skip "no mosix-infod in $bin"
else
	cluster_tests
fi

echo "1..$_tap_n"
