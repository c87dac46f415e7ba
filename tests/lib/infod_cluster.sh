# shellcheck shell=bash
# shellcheck disable=SC2154 # $bin is set by the test that sources this
# A namespace cluster running the real mosix-infod, for the tests of the
# commands that talk to it. Source after tests/harness/cluster.sh and set
# $bin to the directory of the binaries.
#
#   infod_cluster_up N [ARGS]  cluster_up N ARGS; a map of the N nodes and a fast
#                          mosix.conf in each node's /etc/mosix; a key made
#                          with mosctl genkey on node 1, copied to the
#                          others; setpe -w on each (no daemon yet); then
#                          mosix-infod started on every node
#   infod_start K [ARG...] start mosix-infod (with ARGs) on node K, wait for
#                          its snapshot
#   infod_kill K [SIG]     stop it (default SIGKILL: a crash)
#   infod_wait SECS PRED ARGS...  poll PRED until it holds; false on timeout
#   infod_logs             print every node's daemon log (for diagnostics)
#
# Predicates, about what node NODE's mosctl status says of node ID:
#   all_up NODE COUNT      COUNT nodes up
#   has_flag NODE ID F,..  every flag of the list is set
#   no_flag NODE ID F      the flag is not set
#   speed_is NODE ID N     the speed is N
#   state_is NODE ID S     the state is S (up, down, off)
#   isup_is NODE ID W      mosctl isup ID prints W
#   count_is NODE COUNT    the status lists COUNT nodes

# information travels every 200 ms; a node is down after 2 s of silence
INFOD_CONF='info_interval_ms = 200
info_dead_after_s = 2
'
declare -a _infod_pid=()

infod_cluster_up() {
	local n=$1 i d
	shift
	cluster_up "$n" "$@" || return 1
	for ((i = 1; i <= n; i++)); do
		d=$(cluster_dir "$i") || return 1
		printf '1 10.77.0.1 %d\n' "$n" >"$d/etc/mosix/mosix.map"
		printf '%s' "$INFOD_CONF" >"$d/etc/mosix/mosix.conf"
	done
	cluster_exec 1 "$bin/mosctl" genkey >/dev/null || return 1
	for ((i = 2; i <= n; i++)); do
		install -m 0600 "$(cluster_dir 1)/etc/mosix/secret" \
			"$(cluster_dir "$i")/etc/mosix/secret" || return 1
	done
	for ((i = 1; i <= n; i++)); do
		cluster_exec "$i" "$bin/setpe" -w >/dev/null || return 1
		infod_start "$i" || return 1
	done
}

infod_start() {
	local k=$1 d
	shift
	d=$(cluster_dir "$k") || return 1
	rm -f "$d/run/mosix/cluster"
	# shellcheck disable=SC2016 # expanded by the inner sh
	cluster_spawn "$k" sh -c 'exec "$@" 2>>/tmp/infod.log' _ "$bin/mosix-infod" "$@"
	_infod_pid[k]=$!
	infod_wait 10 test -s "$d/run/mosix/cluster" ||
		{ echo "# mosix-infod did not start on node $k" >&2; infod_logs; return 1; }
}

infod_kill() {
	local k=$1 sig=${2:-KILL}
	[ -n "${_infod_pid[k]:-}" ] || return 1
	kill -s "$sig" "${_infod_pid[k]}" 2>/dev/null
	wait "${_infod_pid[k]}" 2>/dev/null
	_infod_pid[k]=''
}

infod_wait() {
	local secs=$1 end
	shift
	end=$(($(date +%s%N) + secs * 1000000000))
	until "$@" 2>/dev/null; do
		(($(date +%s%N) < end)) || return 1
		sleep 0.1
	done
}

infod_logs() {
	local f
	for f in "${MOSIX_CLUSTER_STATE:-/nonexistent}"/node*/tmp/infod.log; do
		[ -f "$f" ] && sed "s|^|# ${f#"$MOSIX_CLUSTER_STATE"/}: |" "$f" >&2
	done
	return 0
}

# The status line of node ID as node NODE sees it, or nothing.
_infod_row() {
	cluster_exec "$1" "$bin/mosctl" status 2>/dev/null |
		awk -v id="$2" 'NR > 1 { i = $1; sub(/\*$/, "", i); if (i == id) print }'
}

all_up() {
	[ "$(cluster_exec "$1" "$bin/mosctl" status 2>/dev/null |
		awk 'NR > 1 && $3 == "up"' | wc -l)" -eq "$2" ]
}

# the node rows: not the titles, nor the line of this node's pool mode
count_is() {
	[ "$(cluster_exec "$1" "$bin/mosctl" status 2>/dev/null |
		awk 'NR > 1 && $1 ~ /^[0-9]+\*?$/' | wc -l)" -eq "$2" ]
}

has_flag() {
	local flags f
	flags=$(_infod_row "$1" "$2" | awk '{ print $NF }')
	[ -n "$flags" ] || return 1
	for f in ${3//,/ }; do
		[[ ,$flags, == *",$f,"* ]] || return 1
	done
}

no_flag() {
	local flags
	flags=$(_infod_row "$1" "$2" | awk '{ print $NF }')
	[ -n "$flags" ] && [[ ,$flags, != *",$3,"* ]]
}

speed_is() {
	[ "$(_infod_row "$1" "$2" | awk '{ print $6 }')" = "$3" ]
}

state_is() {
	[ "$(_infod_row "$1" "$2" | awk '{ print $3 }')" = "$3" ]
}

isup_is() {
	[ "$(cluster_exec "$1" "$bin/mosctl" isup "$2" 2>/dev/null)" = "$3" ]
}
