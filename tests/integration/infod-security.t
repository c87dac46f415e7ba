#!/usr/bin/env bash
# mosix-infod refuses what it must, and counts it: a node with another key,
# a sender outside the map, thousands of hostile datagrams (random, cut,
# oversized, altered, wrongly keyed, replayed), replays of accepted ones,
# vectors about unmapped nodes or about the receiver. None of it is shown,
# none of it stops the daemon.
#
#   nodes 1-3   the cluster (map 1..4 and 6, key K)
#   node 4      in the map, runs mosix-infod with another key
#   node 5      outside the map, runs mosix-infod with key K (its map
#               lists itself)
#   node 6      in the map, no daemon: infod-tool speaks for it with key K
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
cluster_up 6 || { echo "Bail out! no cluster"; exit 1; }

MAP='1 10.77.0.1 4
6 10.77.0.6 1
'
CONF='info_interval_ms = 300
info_dead_after_s = 3
'
key=$(infod_key)
infod_files 6 "$MAP" "$CONF" "$key"
infod_files 4 "$MAP" "$CONF" "$key"
# node 4: the right map, another key
printf '%s\n' "$(infod_key)" >"$(cluster_dir 4)/etc/mosix/secret"
# node 5: the right key, but the cluster's map does not have it
printf '1 10.77.0.1 6\n' >"$(cluster_dir 5)/etc/mosix/mosix.map"
port=5650

for k in 1 2 3; do daemon_start "$k"; done
poll 5 all_see_up 3
check $? "nodes 1-3 see each other"
daemon_start 4
daemon_start 5

refused_total() {
	echo $(($(counter "$1" malformed) + $(counter "$1" unknown_sender) + \
		$(counter "$1" bad_key) + $(counter "$1" replay)))
}
counter_above() { local v; v=$(counter "$1" "$2"); [ -n "$v" ] && [ "$v" -gt "$3" ]; }
counter_atleast() { local v; v=$(counter "$1" "$2"); [ -n "$v" ] && [ "$v" -ge "$3" ]; }

for k in 1 2 3; do
	poll 5 counter_above "$k" bad_key 0
	check $? "node $k counts node 4's datagrams as bad key ($(counter "$k" bad_key))"
	poll 5 counter_above "$k" unknown_sender 0
	check $? "node $k counts node 5's datagrams as from an unknown sender ($(counter "$k" unknown_sender))"
done
sleep 2
for k in 1 2 3; do
	is "$(ids_of "$k")" "1 2 3 " "node $k never shows node 4 (other key) nor node 5 (outside the map)"
done
is "$(ids_of 4)" "4 " "node 4 (other key) shows nobody but itself"
# the cluster sends to node 4 only now and then: it never answered them
poll 10 counter_above 4 bad_key 0
check $? "node 4 counts the cluster's datagrams as bad key ($(counter 4 bad_key))"
is "$(ids_of 5)" "5 " "node 5 (outside the map) shows nobody but itself"
like "$(grep -c 'bad key' "$(cluster_dir 1)/tmp/infod.log")" "^[12]$" \
	"node 1 logged one warning about the bad key, not one per datagram"

# --- replays and forged vectors, with the key, for node 6 --------------------

send6() {
	cluster_exec 6 "$tool" send /etc/mosix/secret 6 "$1" "$2" 10.77.0.1 "$port" "${@:3}"
}
ok0=$(counter 1 rx_ok) rp0=$(counter 1 replay)
# node 6's own vector, one about node 9 (not in the map), one about node 1
send6 100 5 6:111 9:500 1:77777
check $? "infod-tool sends for node 6"
poll 3 field_is 1 6 load 111
check $? "a datagram with the key from node 6's address is accepted: node 6 shows load 111"
send6 100 5 6:222
send6 100 4 6:222
send6 99 9 6:222
poll 3 counter_atleast 1 replay $((rp0 + 3))
check $? "the same (epoch, seq), a lower seq and a lower epoch are counted as replays"
sleep 0.7
is "$(view 1 6 load)" 111 "replays change nothing"
send6 100 6 6:333
poll 3 field_is 1 6 load 333
check $? "the next sequence number is accepted again"
like "$(counter 1 rx_ok)" "^[0-9]+$" "rx_ok is counted ($ok0 before)"
is "$(ids_of 1)" "1 2 3 6 " "the vector about node 9 (not in the map) is not shown"
field_below 1 1 load 77777
check $? "a vector about the receiver itself is ignored ($(view 1 1 load))"
# node 6 says nothing more: it goes down like any silent node
poll 6 field_is 1 6 up 0
check $? "node 6 goes down when it falls silent"

# --- a flood of hostile datagrams -----------------------------------------------

before=$(refused_total 1)
ok_before=$(counter 1 rx_ok)
n=7000
out=$(cluster_exec 2 "$tool" junk /etc/mosix/secret 2 42 "$n" 10.77.0.1 "$port")
check $? "node 2 sent $n hostile datagrams to node 1 ($(echo "$out" | tr '\n' ' '))"
# UDP may drop some under the flood; those that arrive are all refused
got_most() { [ "$(refused_total 1)" -ge $((before + n * 90 / 100)) ]; }
poll 10 got_most
check $? "node 1 refused them ($(($(refused_total 1) - before)) of $n counted)"
like "$(counter 1 malformed)" "^[1-9]" "malformed ones counted ($(counter 1 malformed))"
like "$(counter 1 replay)" "^[1-9]" "replayed ones counted ($(counter 1 replay))"
is "$(ctl 1 ping)" "ok 0.1.0 1" "node 1 still answers"
is "$(ids_of 1)" "1 2 3 6 " "node 1's view has the same nodes"
bad=''
for id in 2 3; do
	l=$(view 1 "$id" load)
	[ "${l:-99999}" -lt 99999 ] || bad+=" node $id load $l"
done
is "$bad" "" "none of the forged loads (99999) is shown"
sleep 3.5
is "$(up_count 1)" 3 "nodes 2 and 3 are still up after info_dead_after_s: gossip goes on"
like "$(counter 1 rx_ok)" "^[0-9]+$" "and rx_ok grows ($ok_before before, $(counter 1 rx_ok) after)"
[ "$(counter 1 rx_ok)" -gt "$ok_before" ]
check $? "rx_ok grew after the flood"

# the same from outside the map, claiming to be node 2
u0=$(counter 1 unknown_sender)
cluster_exec 5 "$tool" junk /etc/mosix/secret 2 7 700 10.77.0.1 "$port" >/dev/null
poll 5 counter_atleast 1 unknown_sender $((u0 + 300))
check $? "valid-looking datagrams from outside the map are refused as unknown sender ($(($(counter 1 unknown_sender) - u0)) of 700; the rest malformed)"
is "$(ids_of 1)" "1 2 3 6 " "and show nothing"

for k in 1 2 3 4 5; do
	daemon_stop "$k" TERM
	is "$?" 0 "node $k: clean exit (no sanitizer report)"
done

cluster_down
echo "1..$_tap_n"
