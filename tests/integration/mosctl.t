#!/usr/bin/env bash
# mosctl: first against snapshots written here in the format of state.h
# (every figure, JSON, node names, exit codes, usage errors, genkey), then
# on a namespace cluster of four nodes running the real mosix-infod: the
# nodes see each other, and policy set on one node shows on the others.
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

mosctl() { "$bin/mosctl" "$@"; }

export MOSIX_RUN_DIR=$work/run MOSIX_CONFIG_DIR=$work/etc
mkdir -p "$work/run" "$work/etc"

# --- no daemon, no snapshot ---------------------------------------------------

mosctl status >"$work/out" 2>"$work/err"
is "$?" 1 "status without a snapshot: exit 1"
is "$(cat "$work/err")" "mosctl: mosix-infod is not running: no '$work/run/cluster'" \
	"and says why, naming the file"
mosctl block 2>"$work/err"
is "$?" 1 "block without mosix-infod: exit 1"
is "$(cat "$work/err")" "mosctl: block: mosix-infod is not running (no '$work/run/infod.sock')" \
	"and names the control socket"

# --- a snapshot written by hand -------------------------------------------------

now=$(($(date +%s%N) / 1000000))
# ID ADDRESS UP AGE-MS LOAD SPEED CPUS UTIL TMEM MEM RMEM GUESTS LOCAL FLAGS
cat >"$work/run/cluster" <<EOF
mosix-state 1 2 $now
1 10.77.0.1 1 1200 52 10000 2 255 1000000 500000 600000 1 3 0
2 10.77.0.2 1 0 150 12000 4 800 2000000 1500000 1600000 0 5 3
3 10.77.0.3 0 35000 0 10000 2 0 1000000 0 0 0 0 0
4 fd77::4 1 800 7 10000 1 10 1000000 900000 950000 0 0 33
EOF
printf '1 10.77.0.1 3\n4 fd77::4 1\n2 10.77.9.9 ALIAS\n' >"$work/run/mosix.map"

out=$(mosctl status)
is "$?" 0 "status: exit 0"
is "$(echo "$out" | head -n 1)" \
	"   ID  ADDRESS   STATE  LOAD CPUS SPEED UTIL   MEM  RMEM GUEST   AGE FLAGS" \
	"status: column titles"
like "$(echo "$out" | sed -n 2p)" \
	'^    1  10\.77\.0\.1 up     0\.52    2 10000  26%  1\.9G  2\.2G     1  [0-9.]+s -$' \
	"status: node 1's figures"
like "$(echo "$out" | sed -n 3p)" '^    2\* 10\.77\.0\.2 up     1\.50    4 12000  80%  5\.7G  6\.1G     0 .* blocked,stay$' \
	"status: this node is marked, with its flags as words"
like "$(echo "$out" | sed -n 4p)" '^    3  10\.77\.0\.3 down .* 3[5-9]s -$' "status: a node down, with the age of its news"
like "$(echo "$out" | sed -n 5p)" '^    4  fd77::4   off ' "status: a node that left is off"
is "$(echo "$out" | wc -l)" 5 "status: one line per node"
is "$(mosctl status 4 | tail -n 1 | awk '{ print $1, $2, $3 }')" "4 fd77::4 off" "status NODE: that node alone"

mosctl status --json >"$work/json"
is "$?" 0 "status --json: exit 0"
python3 -m json.tool "$work/json" >/dev/null 2>"$work/err"
ok "$?" "status --json is valid JSON"
is "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
n = {x["id"]: x for x in d["nodes"]}
print(d["self"], len(d["nodes"]), n[1]["load"], n[2]["flags"], n[3]["up"], n[4]["state"],
      n[1]["mem_bytes"], n[2]["self"], n[1]["util_percent"])' "$work/json")" \
	"2 4 0.52 ['blocked', 'stay'] False off 2048000000 True 25.5" "status --json: the figures"
mosctl status --json 3 | python3 -m json.tool >/dev/null
ok "$?" "status --json NODE is valid JSON"

is "$(mosctl getload)" "1.50" "getload: this node by default"
is "$(mosctl getload 1)" "0.52" "getload 1"
is "$(mosctl getspeed 2)" "12000" "getspeed"
is "$(mosctl getmem 1)" "2048000000" "getmem: bytes free for guests"
is "$(mosctl getfree 1)" "2457600000" "getfree: raw free bytes"
is "$(mosctl getutil 1)" "25.5" "getutil: percent"
is "$(mosctl getload 10.77.0.1)" "0.52" "a node named by its address"
is "$(mosctl getload 10.77.9.9)" "1.50" "a node named by its alias (from the map)"
mosctl getload 3 2>"$work/err"
is "$?" 1 "getload of a node down: exit 1"
like "$(cat "$work/err")" "^mosctl: node 3 is down \(last heard from [0-9]+s ago\)$" "and says so"

is "$(mosctl isup 1)" up "isup 1: up"
mosctl isup 1 >/dev/null
is "$?" 0 "isup of a node up: exit 0"
is "$(mosctl isup 3)" down "isup 3: down"
mosctl isup 3 >/dev/null
is "$?" 1 "isup of a node down: exit 1"
mosctl isup 4 >/dev/null
is "$?" 1 "isup of a node that left: exit 1"
out=$(mosctl isup 5 2>"$work/err")
is "$?:$out" "1:down" "isup of a node never heard from: down, exit 1"
is "$(cat "$work/err")" "mosctl: node 5 is not in the cluster map '$work/run/mosix.map'" \
	"and says the node is not in the map"
mosctl getload 9.9.9.9 2>"$work/err"
is "$?" 1 "an address of no node: exit 1"
is "$(cat "$work/err")" "mosctl: '9.9.9.9' is not a node of the cluster" "and names it"

is "$(mosctl whois 2)" 10.77.0.2 "whois ID: the address"
is "$(mosctl whois 4)" fd77::4 "whois ID: an IPv6 address"
is "$(mosctl whois 10.77.0.3)" 3 "whois ADDRESS: the id"
is "$(mosctl whois 10.77.9.9)" 2 "whois ALIAS: the id"
is "$(mosctl whois)" 2 "whois: this node, from mosix-infod's snapshot"
mosctl whois 9 2>"$work/err"
is "$?" 1 "whois of an id not in the map: exit 1"
is "$(cat "$work/err")" "mosctl: node 9 is not in the active map '$work/run/mosix.map'" "and names the map"
mosctl whois no-such-host.invalid 2>"$work/err"
is "$?" 1 "whois of an unknown host: exit 1"
like "$(cat "$work/err")" "^mosctl: cannot resolve 'no-such-host.invalid'" "and names it"
mv "$work/run/cluster" "$work/cluster"
echo 3 >"$work/run/self-id"
is "$(mosctl whois)" 3 "whois without a daemon: this node from setpe -p's self-id"
mv "$work/cluster" "$work/run/cluster"
rm "$work/run/self-id"

# --- usage, and what needs migration -------------------------------------------

for args in "" "frobnicate" "block extra" "setspeed" "setspeed 0" "setspeed fast" \
	"setdecay 1 975" "setdecay 0 975 926" "setdecay 61 975 926" "setdecay 5ms 975 926" \
	"setdecay 1 1001 926" "status --yaml" \
	"getload 1 2" "getload 70000" "whois 1 2" "genkey --force"; do
	# shellcheck disable=SC2086 # word splitting wanted
	mosctl $args >/dev/null 2>&1
	is "$?" 2 "usage error: mosctl $args"
done
mosctl frobnicate 2>"$work/err"
is "$(cat "$work/err")" "mosctl: unknown command 'frobnicate'
Try 'mosctl --help'." "an unknown command is named"
mosctl --help | head -n 1 | grep -q '^usage: mosctl'
ok "$?" "--help starts with the usage"
for verb in expel bring; do
	mosctl "$verb" 2>"$work/err"
	is "$?" 1 "$verb without mosix-migd: exit 1"
	like "$(cat "$work/err")" "mosctl: $verb: mosix-migd is not running \\(no '.*/migd.sock'\\)" \
		"$verb says mosix-migd is not running"
done

# --- genkey ---------------------------------------------------------------------

rm -rf "${work:?}/etc"
mosctl genkey >"$work/out"
is "$?" 0 "genkey: exit 0 (creating the configuration directory)"
is "$(stat -c '%a %s' "$work/etc/secret")" "600 65" "genkey: mode 0600, 64 hex digits and a newline"
like "$(cat "$work/etc/secret")" '^[0-9a-f]{64}$' "genkey: the key is hex"
sum=$(md5sum <"$work/etc/secret")
mosctl genkey 2>"$work/err"
is "$?" 1 "genkey with a key present: exit 1"
like "$(cat "$work/err")" "^mosctl: the cluster key '$work/etc/secret' already exists; genkey never replaces it" \
	"and says it never replaces one"
is "$(md5sum <"$work/etc/secret")" "$sum" "the key is unchanged"

# --- the real mosix-infod on a namespace cluster ----------------------------------

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
	n1() { cluster_exec 1 "$bin/mosctl" "$@"; }
	n2() { cluster_exec 2 "$bin/mosctl" "$@"; }

	ok "$(infod_wait 20 all_up 1 4; echo $?)" "status on node 1 sees 4 nodes up"
	out=$(n1 status)
	is "$(echo "$out" | awk 'NR > 1 && $3 == "up"' | wc -l)" 4 "status lists the 4 nodes up"
	like "$(echo "$out" | sed -n 2p)" '^    1\* 10\.77\.0\.1 up ' "node 1 is marked as this node"
	is "$(n1 status --json | python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["self"], sorted(n["id"] for n in d["nodes"] if n["up"]))')" \
		"1 [1, 2, 3, 4]" "status --json on the cluster is valid and lists the nodes up"
	is "$(n2 whois)" 2 "whois on node 2: 2"
	is "$(n2 whois 3)" 10.77.0.3 "whois 3: its address"
	is "$(n2 whois node4)" 4 "whois HOST: the node's id"
	like "$(n1 getspeed 3)" '^[0-9]+$' "getspeed of another node"
	like "$(n1 getload 2)" '^[0-9]+\.[0-9]{2}$' "getload of another node"
	like "$(n1 getmem 4)" '^[1-9][0-9]*$' "getmem of another node"
	is "$(n1 isup 2)" up "isup 2 on node 1: up"

	n2 block
	is "$?" 0 "block on node 2: exit 0"
	ok "$(infod_wait 10 has_flag 1 2 blocked; echo $?)" "node 1 sees node 2 blocked"
	is "$(cluster_exec 2 cat /run/mosix/admin/block)" 1 "node 2's admin/block is 1"
	n2 noblock
	ok "$(infod_wait 10 no_flag 1 2 blocked; echo $?)" "after noblock, node 1 sees node 2 not blocked"
	n2 stay && n2 lstay && n2 quiet && n2 noquiet
	ok "$?" "stay, lstay, quiet, noquiet on node 2: exit 0"
	ok "$(infod_wait 10 has_flag 1 2 'stay,lstay'; echo $?)" "node 1 sees node 2's stay and lstay"
	n2 nostay && n2 nolstay
	ok "$?" "nostay, nolstay: exit 0"

	n2 setspeed 23456
	is "$?" 0 "setspeed 23456 on node 2: exit 0"
	ok "$(infod_wait 10 speed_is 3 2 23456; echo $?)" "node 3 sees node 2's speed 23456"
	is "$(n2 getspeed)" 23456 "node 2's getspeed says 23456"
	n2 setdecay 2 975 926
	is "$?" 0 "setdecay on node 2: exit 0"
	is "$(cluster_exec 2 cat /run/mosix/admin/decay)" "2000 975 926" "and the daemon took it (admin/decay)"

	cluster_exec 3 env MOSIX_RUN_DIR=/nonexistent "$bin/mosctl" block 2>"$work/err"
	is "$?" 1 "a policy verb without a daemon fails"
	# as nobody: the daemon refuses changes from users other than root
	cluster_exec 3 setpriv --reuid=65534 --regid=65534 --clear-groups "$bin/mosctl" block 2>"$work/err"
	is "$?" 1 "block as an ordinary user: exit 1"
	like "$(cat "$work/err")" "^mosctl: block: .*only root" "and says only root may"
	# nor a user of the socket's group (mosix, where it exists) as root of a
	# user namespace of their own, whose capabilities /proc/PID/status
	# shows full
	sg=$(stat -c %g "$(cluster_dir 3)/run/mosix/infod.sock")
	if cluster_exec 3 setpriv --reuid=65534 --regid="$sg" --clear-groups unshare -Ur true; then
		cluster_exec 3 setpriv --reuid=65534 --regid="$sg" --clear-groups \
			unshare -Ur "$bin/mosctl" block 2>"$work/err"
		is "$?" 1 "block as root of a user namespace (unshare -Ur) of a group member's: exit 1"
		like "$(cat "$work/err")" "^mosctl: block: .*only root" "and says only root may"
		is "$(cluster_exec 3 cat /run/mosix/admin/block)" 0 "node 3's admin/block is still 0"
	else
		skip "no user namespaces for unprivileged users here"
		skip "no user namespaces for unprivileged users here"
		skip "no user namespaces for unprivileged users here"
	fi

	infod_kill 4
	ok "$(infod_wait 30 isup_is 1 4 down; echo $?)" "isup 4 on node 1 says down once node 4's daemon is killed"
	n1 isup 4 >/dev/null
	is "$?" 1 "isup of the killed node: exit 1"
	n1 getload 4 2>"$work/err"
	like "$(cat "$work/err")" "^mosctl: node 4 is down" "getload of the killed node says it is down"

	cluster_exec 1 "$bin/mosctl" genkey 2>"$work/err"
	is "$?" 1 "genkey on a node that has a key: exit 1"
	is "$(stat -c %a "$(cluster_dir 1)/etc/mosix/secret")" 600 "the node's key is still 0600"
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
