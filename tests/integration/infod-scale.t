#!/usr/bin/env bash
# mosix-infod and the shape of the cluster: a map of 1000 nodes with four
# alive converges as fast as a map of four, and then costs a datagram now
# and then per absent node; an IPv6 map; a gateway cluster whose two
# subnets only talk through the router (an ALIAS line), which relays.
set -u
here=$(dirname "$0")
. "$here/../lib/tap.sh"
. "$here/../harness/cluster.sh"
. "$here/infod-lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (namespaces)"
	exit 0
fi
infod_init
cluster_up 4 || { echo "Bail out! no cluster"; exit 1; }

# the defaults, but a faster death
CONF='info_dead_after_s = 5
'
key=$(infod_key)

# Start four daemons at once on MAP; $took: ms until all see four up.
# (Not in a $(...): the daemons would keep its output open.)
converge() {
	local map=$1 t0 k rc
	infod_files 4 "$map" "$CONF" "$key"
	t0=${EPOCHREALTIME/./}
	for k in 1 2 3 4; do daemon_spawn "$k" >/dev/null; done
	poll 10 all_see_up 4
	rc=$?
	took=$(ms_since "$t0")
	return "$rc"
}

stop_all() {
	local k rc=0
	for k in 1 2 3 4; do daemon_stop "$k" TERM || rc=1; done
	return "$rc"
}

converge '1 10.77.0.1 4
'
check $? "a map of 4: all four see four up ($took ms)"
t4=$took
stop_all
check $? "clean exits"

converge '1 10.77.0.1 1000
'
check $? "a map of 1000 with 4 alive: all four see four up ($took ms)"
t1000=$took
[ "$t1000" -le $((t4 + 1000)) ] && [ "$t1000" -lt 3000 ]
check $? "as fast as the map of 4, within one interval ($t1000 ms against $t4 ms)"
is "$(ids_of 1)" "1 2 3 4 " "only the live nodes are listed"
# after the start-up sweep (256 a round: 4 rounds), the absent 996 cost no
# more than the rounds
sleep 4
tx0=$(counter 2 tx)
sleep 5
tx=$(($(counter 2 tx) - tx0))
[ "$tx" -le 12 ]
check $? "then a node sends about fanout datagrams per interval: $tx in 5 s"
diag "node 2: tx_errors $(counter 2 tx_errors) (no route to most of the map)"
stop_all
check $? "clean exits"

converge '1 fd77::1 4
'
check $? "an IPv6 map: all four see four up ($took ms)"
is "$(view 3 1 address)" "fd77::1" "the snapshot shows IPv6 addresses"
stop_all
check $? "clean exits"
cluster_down

# --- a gateway cluster ----------------------------------------------------------

cluster_up 5 --routed || { echo "Bail out! no routed cluster"; exit 1; }
infod_files 5 '1 10.77.1.254 1
1 10.77.2.254 ALIAS
2 10.77.1.2 1
3 10.77.2.3 1
4 10.77.1.4 1
5 10.77.2.5 1
' 'info_interval_ms = 300
info_dead_after_s = 3
' "$key"
# the router routes no more: the subnets meet only in its daemon
cluster_exec 1 sh -c 'echo 0 >/proc/sys/net/ipv4/ip_forward'
cluster_reach 2 10.77.2.3
is "$?" 1 "node 2 (subnet 1) cannot reach node 3 (subnet 2)"
for k in 1 2 3 4 5; do daemon_spawn "$k"; done
poll 10 all_see_up 5
check $? "all five see five up: information crosses through the router's daemon"
is "$(view 2 3 up)$(view 3 2 up)$(view 4 5 up)" 111 "node 2 sees node 3, node 3 node 2, node 4 node 5"
unknown=''
for k in 1 2 3 4 5; do unknown+=$(counter "$k" unknown_sender); done
is "$unknown" 00000 "no datagram refused: the router's alias address is its node"
daemon_stop 3 KILL
poll 6 field_is 2 3 up 0
check $? "node 3 killed: node 2 (other subnet) shows it down"
for k in 1 2 4 5; do
	daemon_stop "$k" TERM
	is "$?" 0 "node $k: clean exit"
done

cluster_down
echo "1..$_tap_n"
