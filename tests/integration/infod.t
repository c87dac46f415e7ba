#!/usr/bin/env bash
# mosix-infod on four namespace nodes: refusals at start-up, the nodes see
# each other with sensible figures, load follows CPU burners and decays,
# policy and speed travel, a killed daemon goes down and comes back, quiet,
# reload by SIGHUP and by the control socket, readiness, journal format,
# and a clean exit on SIGTERM.
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
# with cgroup v1 cpusets, each node gets one CPU: its "cpus" must say 1
cpuset=()
[ -f /sys/fs/cgroup/cpuset/cpuset.cpus ] && cpuset=(--cpuset)
cluster_up 4 "${cpuset[@]}" || { echo "Bail out! no cluster"; exit 1; }

MAP='1 10.77.0.1 4
'
# a node is down after 3 s without news; news every 500 ms
CONF='info_interval_ms = 500
info_dead_after_s = 3
'
d1=$(cluster_dir 1)

# --- refusals at start-up -------------------------------------------------------

# run the daemon on node 1 in the foreground; it must exit at once
refused() {
	cluster_exec 1 timeout 10 "$bin/mosix-infod" >"$d1/tmp/out" 2>"$d1/tmp/err"
}

infod_files 4 "$MAP" "$CONF"
rm "$d1/etc/mosix/secret"
refused
is "$?" 1 "no key: exit 1"
like "$(cat "$d1/tmp/err")" "/etc/mosix/secret: cannot open the cluster key: .*mosctl genkey" \
	"no key: says which file and how to make one"
like "$(cat "$d1/tmp/err")" "not starting" "no key: says it does not start"

infod_files 1 "$MAP" "$CONF"
chmod 644 "$d1/etc/mosix/secret"
refused
is "$?" 1 "a key others may read: exit 1"
like "$(cat "$d1/tmp/err")" "secret: the cluster key is open to other users" "and says why"

infod_files 1 "$MAP" "info_interval_ms = 10
colour = blue
"
refused
is "$?" 1 "bad mosix.conf: exit 1"
like "$(cat "$d1/tmp/err")" "/etc/mosix/mosix.conf:1: info_interval_ms" "names FILE:LINE of a bad value"
like "$(cat "$d1/tmp/err")" "/etc/mosix/mosix.conf:2: unknown key 'colour'" "and of an unknown key"

infod_files 1 "1 10.77.0.1 4
bogus line
" "$CONF"
refused
is "$?" 1 "bad map: exit 1"
like "$(cat "$d1/tmp/err")" "/etc/mosix/mosix.map:2: " "names FILE:LINE of the map error"

infod_files 1 "2 10.77.0.2 3
" "$CONF"
refused
is "$?" 1 "this node not in the map: exit 1"
like "$(cat "$d1/tmp/err")" "mosix.map: this node is not in the map" "and says so"

infod_files 1 "$MAP" "$CONF"
mkdir -p "$d1/run/mosix" && echo 9 >"$d1/run/mosix/self-id"
refused
is "$?" 1 "self-id names a node outside the map: exit 1"
like "$(cat "$d1/tmp/err")" "this node \(9, from self-id\) is not in the map" "and says where 9 came from"
rm "$d1/run/mosix/self-id"

cluster_exec 1 "$bin/mosix-infod" --bogus 2>"$d1/tmp/err"
is "$?" 2 "unknown option: exit 2"
is "$("$bin/mosix-infod" --help | head -n 1)" "usage: mosix-infod [--node ID] [--debug] [--now EPOCH_SECONDS]" "--help"

# --- four nodes ---------------------------------------------------------------

infod_files 4 "$MAP" "$CONF"
# node 1 tells a service manager it is ready (an abstract socket name)
cluster_spawn 1 "$tool" listen @infod-test-notify 3 30000 >"$d1/tmp/notify"
listener=$!
poll 5 grep -q listening "$d1/tmp/notify"
t0=${EPOCHREALTIME/./}
daemon_start 1 NOTIFY_SOCKET=@infod-test-notify
for k in 2 3 4; do daemon_start "$k"; done
poll 3 all_see_up 4
check $? "all four nodes see four nodes up within 3 s of start ($(ms_since "$t0") ms)"
is "$(ids_of 2)" "1 2 3 4 " "node 2's snapshot lists nodes 1..4"

bad=''
for id in 1 2 3 4; do
	cpus=$(view 2 "$id" cpus) tmem=$(view 2 "$id" tmem) mem=$(view 2 "$id" mem)
	rmem=$(view 2 "$id" rmem) speed=$(view 2 "$id" speed) util=$(view 2 "$id" util)
	[ "${cpus:-0}" -ge 1 ] && [ "${tmem:-0}" -gt 0 ] && [ "${mem:-0}" -le "$tmem" ] &&
		[ "${rmem:-0}" -gt 0 ] && [ "$rmem" -le "$tmem" ] && [ "$speed" = 10000 ] &&
		[ "${util:-9999}" -le 1000 ] || bad+=" $id:cpus=$cpus,tmem=$tmem,mem=$mem,rmem=$rmem,speed=$speed,util=$util"
done
is "$bad" "" "node 2 shows sensible figures of every node (cpus >= 1, memory, speed 10000)"
if [ ${#cpuset[@]} -gt 0 ]; then
	is "$(view 2 1 cpus)$(view 2 3 cpus)" 11 "a node in a cpuset of one CPU shows cpus 1"
else
	is "$(view 2 1 cpus)" "$(nproc)" "without cpusets a node shows the machine's CPUs"
fi
is "$(cat "$(cluster_dir 3)/run/mosix/nodes/4/status" "$(cluster_dir 3)/run/mosix/nodes/4/speed")" \
	"$(printf '1\n10000')" "the nodes/ tree: node 3 shows node 4 up, speed 10000"
is "$(view 3 3 age)" 0 "a node's own information has age 0"
is "$(ctl 1 ping)" "ok 0.1.0 1" "ctl ping answers version and id"
like "$(ctl 1 stats)" "^ok rx_ok=[1-9][0-9]* malformed=0 unknown_sender=0 bad_key=0 replay=0 tx=[1-9]" \
	"ctl stats: datagrams received and sent, none refused"
like "$(cat "$d1/run/mosix/admin/stats")" "tx_bytes=[1-9]" "admin/stats holds the counters"
is "$(cat "$d1/tmp/notify")" "listening
READY=1" "READY=1 reaches \$NOTIFY_SOCKET (abstract name)"

# --- load -----------------------------------------------------------------------

# two CPU burners in node 3: a node's load counts its own tasks only
cluster_spawn 3 sh -c 'while :; do :; done'
b1=$!
cluster_spawn 3 sh -c 'while :; do :; done'
b2=$!
t0=${EPOCHREALTIME/./}
poll 5 field_above 1 3 load 50
check $? "two burners on node 3 raise its load seen from node 1 above 50 within 5 s ($(ms_since "$t0") ms, load $(view 1 3 load))"
poll 5 field_above 4 3 load 100
check $? "... and above 100 seen from node 4 (load $(view 4 3 load))"
field_above 1 3 util 250
check $? "node 3's utilisation seen from node 1 is above 25% ($(view 1 3 util))"
field_below 1 1 load 50
check $? "node 1's own load stays low ($(view 1 1 load))"
kill "$b1" "$b2"
wait "$b1" "$b2" 2>/dev/null
t0=${EPOCHREALTIME/./}
poll 8 field_below 2 3 load 30
check $? "when they stop, node 3's load seen from node 2 decays below 30 ($(ms_since "$t0") ms)"

# --- policy and speed ---------------------------------------------------------

ctl 2 "setspeed 20000" >/dev/null
check $? "ctl setspeed 20000 on node 2"
poll 3 field_is 1 2 speed 20000
check $? "node 1 sees node 2's speed 20000"
is "$(cat "$(cluster_dir 2)/run/mosix/admin/speed")" 20000 "node 2's admin/speed"
ctl 2 block >/dev/null
poll 3 has_flag 4 2 "$GV_BLOCKED"
check $? "block on node 2: node 4 sees it blocked"
is "$(cat "$(cluster_dir 2)/run/mosix/admin/block")" 1 "node 2's admin/block is 1"
ctl 2 noblock >/dev/null
poll 3 no_flag 4 2 "$GV_BLOCKED"
check $? "noblock: the flag clears"
ctl 2 leave >/dev/null
poll 3 has_flag 3 2 "$GV_OFF"
check $? "leave (setpe -off): node 3 sees node 2 off"
sleep 3.5
is "$(view 3 2 up)" 1 "... and still up after info_dead_after_s: it keeps gossiping"
ctl 2 join >/dev/null
poll 3 no_flag 3 2 "$GV_OFF"
check $? "join: the flag clears"
like "$(ctl 2 'setspeed 0')" "^error 34 " "setspeed 0 is refused (ERANGE)"
like "$(ctl 2 frobnicate)" "^error 22 unknown command 'frobnicate'" "an unknown command is refused"
like "$(ctl 2 'setdecay 100 500 100')" "^ok" "setdecay"
is "$(cat "$(cluster_dir 2)/run/mosix/admin/decay")" "100 500 100" "admin/decay"
like "$(cluster_exec 2 setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$tool" ctl /run/mosix ping 2>&1)" "Permission denied" \
	"a user outside root and group mosix cannot connect"

# --- quiet ----------------------------------------------------------------------

ctl 4 quiet >/dev/null
poll 3 has_flag 1 4 "$GV_QUIET"
check $? "quiet: the last datagram says so"
tx=$(counter 4 tx)
t0=${EPOCHREALTIME/./}
poll 6 field_is 1 4 up 0
check $? "a quiet node is shown down after info_dead_after_s ($(ms_since "$t0") ms)"
is "$(counter 4 tx)" "$tx" "a quiet node sends nothing"
ctl 4 noquiet >/dev/null
poll 3 field_is 1 4 up 1
check $? "noquiet: up again"

# --- a crash and a restart -------------------------------------------------------

daemon_stop 2 KILL
t0=${EPOCHREALTIME/./}
poll 6 field_is 1 2 up 0
check $? "a killed daemon is shown down within info_dead_after_s + 1 interval ($(ms_since "$t0") ms)"
status_is() { [ "$(cat "$(cluster_dir "$1")/run/mosix/nodes/$2/status")" = "$3" ]; }
poll 2 status_is 1 2 0
check $? "nodes/2/status says 0"
is "$(view 1 2 speed)" 20000 "its last figures stay in the snapshot"
# restart with stderr as "the journal": priorities as <N>
d2=$(cluster_dir 2)
: >"$d2/tmp/journal"
jstream=$(stat -c '%d:%i' "$d2/tmp/journal")
# shellcheck disable=SC2016 # expanded by the inner sh
cluster_spawn 2 env JOURNAL_STREAM="$jstream" sh -c 'exec "$0" 2>>/tmp/journal' "$bin/mosix-infod"
_daemon_pid[2]=$!
t0=${EPOCHREALTIME/./}
poll 4 field_is 1 2 up 1
check $? "restarted, it is up again within 4 s ($(ms_since "$t0") ms)"
poll 3 sees_up 2 4
check $? "and sees the others"
like "$(head -n 1 "$d2/tmp/journal")" "^<6>node 2 \(10.77.0.2, from local addresses\)" \
	"with \$JOURNAL_STREAM on stderr, lines carry <priority> and no name"
is "$(view 1 2 speed)" 10000 "a restart takes the speed of mosix.conf again"

# --- reload -----------------------------------------------------------------------

printf '%sspeed = 15000\n' "$CONF" >"$d1/etc/mosix/mosix.conf"
kill -HUP "${_daemon_pid[1]}"
poll 3 field_is 3 1 speed 15000
check $? "SIGHUP rereads mosix.conf: node 3 sees node 1's new speed"
wait "$listener"
like "$(tail -n 2 "$d1/tmp/notify" | tr '\n' ' ')" "^RELOADING=1 MONOTONIC_USEC=[0-9]+ READY=1 $" \
	"a reload is announced with RELOADING=1 and MONOTONIC_USEC, then READY=1"
printf 'speed = fast\n' >"$d1/etc/mosix/mosix.conf"
like "$(ctl 1 reload)" "^error 22 reload failed: /etc/mosix/mosix.conf:1: speed" \
	"ctl reload of a bad mosix.conf fails with FILE:LINE"
is "$(ctl 1 ping)" "ok 0.1.0 1" "and the daemon carries on"
is "$(cat "$d1/run/mosix/admin/speed")" 15000 "with the settings it had"
printf '%sspeed = 12000\n' "$CONF" >"$d1/etc/mosix/mosix.conf"
like "$(ctl 1 reload)" "^ok" "ctl reload of a good one"
poll 3 field_is 4 1 speed 12000
check $? "node 4 sees node 1's speed 12000"
# a second daemon must not take over the running one's socket
cluster_exec 1 timeout 10 "$bin/mosix-infod" 2>"$d1/tmp/err"
is "$?" 1 "a second mosix-infod on a node refuses to start"
check_sock() { cluster_exec 1 test -S /run/mosix/infod.sock && ctl 1 ping >/dev/null; }
check_sock
check $? "and the first keeps its control socket"

# --- SIGTERM --------------------------------------------------------------------

stops=''
for k in 1 2 3 4; do
	daemon_stop "$k" TERM
	rc=$?
	[ "$rc" -eq 0 ] || diag "node $k: exit status $rc"
	stops+=$rc
done
is "$stops" 0000 "SIGTERM: every daemon exits 0 (no sanitizer report)"
cluster_exec 1 test -e /run/mosix/infod.sock
is "$?" 1 "the control socket is removed"
cluster_exec 1 test -e /run/mosix/cluster
is "$?" 1 "the snapshot is removed"
like "$(tail -n 1 "$d1/tmp/infod.log")" "mosix-infod: info: stopped" "the log ends with 'stopped'"

cluster_down
echo "1..$_tap_n"
