# shellcheck shell=bash
# Helpers of the mosix-infod tests (infod*.t): the daemon on a namespace
# cluster (tests/harness/cluster.sh), read back through the files it writes
# (lib/state.h), so the tests depend on nothing but the daemon.
#
#   infod_init                   find the binaries, build infod-tool
#   infod_files N MAP CONF [KEY] map, mosix.conf, key on nodes 1..N
#   daemon_start K [VAR=VAL...]  start mosix-infod on node K (log in its
#                                /tmp/infod.log), wait for its socket
#   daemon_spawn K [VAR=VAL...]  the same without waiting
#   daemon_stop K [SIG]          signal it (TERM), wait, return its status
#   view K ID FIELD              FIELD of node ID in node K's snapshot
#   up_count K                   nodes shown up in node K's snapshot
#   counter K NAME               a counter of node K's admin/stats
#   poll SECS CMD...             run CMD every 50 ms until true; false
#                                after SECS
#   ctl K REQUEST                a control request on node K
#   infod_logs                   every daemon log, as TAP diagnostics
#   check STATUS DESC            ok, and the logs when it fails

_infod_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
_infod_root=$(cd "$_infod_here/../.." && pwd)
declare -a _daemon_pid=()

infod_init() {
	local out src
	out=$(realpath -m -- "${MOSIX_OUT:-$_infod_root/out}")
	bin=$(realpath -m -- "${MOSIX_BIN:-$out/bin}")
	[ -x "$bin/mosix-infod" ] || { echo "Bail out! no $bin/mosix-infod (./build.sh tools)"; exit 1; }
	tool=$out/tests/infod-tool
	src=$_infod_here/infod-tool.c
	# shellcheck disable=SC2015 # build, then move: fail if either fails
	if [ ! -x "$tool" ] || [ "$src" -nt "$tool" ] || [ "$out/lib/libmosix.a" -nt "$tool" ]; then
		mkdir -p "$out/tests" &&
			gcc -std=gnu11 -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -I "$_infod_root/tools" \
				-o "$tool.$$" "$src" "$out/lib/libmosix.a" -lsodium &&
			mv -f "$tool.$$" "$tool" ||
			{ echo "Bail out! cannot build $tool"; exit 1; }
	fi
}

infod_key() {
	od -An -tx1 -N32 /dev/urandom | tr -d ' \n'
	echo
}

# infod_files N MAP CONF [KEY]: the same files on nodes 1..N
infod_files() {
	local n=$1 map=$2 conf=$3 key=${4:-} i d
	[ -n "$key" ] || key=$(infod_key)
	for ((i = 1; i <= n; i++)); do
		d=$(cluster_dir "$i")/etc/mosix
		printf '%s' "$map" >"$d/mosix.map"
		printf '%s' "$conf" >"$d/mosix.conf"
		rm -f "$d/secret"
		(umask 077 && echo "$key" >"$d/secret")
	done
}

poll() {
	local end=$((${EPOCHREALTIME/./} + $1 * 1000000))
	shift
	until "$@"; do
		((${EPOCHREALTIME/./} < end)) || return 1
		sleep 0.05
	done
}

# milliseconds since an ${EPOCHREALTIME/./} value
ms_since() {
	echo $(((${EPOCHREALTIME/./} - $1) / 1000))
}

daemon_spawn() {
	local k=$1
	shift
	# a crashed daemon's socket would look like a new one's
	rm -f "$(cluster_dir "$k")/run/mosix/infod.sock"
	# shellcheck disable=SC2016 # expanded by the inner sh
	cluster_spawn "$k" env "$@" sh -c 'exec "$0" 2>>/tmp/infod.log' "$bin/mosix-infod"
	_daemon_pid[k]=$!
}

daemon_start() {
	daemon_spawn "$@"
	poll 10 test -S "$(cluster_dir "$1")/run/mosix/infod.sock" ||
		{ diag "mosix-infod did not start on node $1"; return 1; }
}

daemon_stop() {
	local k=$1 sig=${2:-TERM} rc
	[ -n "${_daemon_pid[k]:-}" ] || return 255
	kill -s "$sig" "${_daemon_pid[k]}" 2>/dev/null
	# (bash reports a job killed by a signal; that is what we asked for)
	wait "${_daemon_pid[k]}" 2>/dev/null
	rc=$?
	_daemon_pid[k]=''
	return "$rc"
}

# FIELD: one of the columns of the snapshot (lib/state.h)
view() {
	local k=$1 id=$2 field=$3 col
	case $field in
	address) col=2 ;; up) col=3 ;; age) col=4 ;; load) col=5 ;; speed) col=6 ;;
	cpus) col=7 ;; util) col=8 ;; tmem) col=9 ;; mem) col=10 ;; rmem) col=11 ;;
	guests) col=12 ;; local) col=13 ;; flags) col=14 ;;
	*) return 2 ;;
	esac
	awk -v id="$id" -v c="$col" 'NR > 1 && $1 == id { print $c }' \
		"$(cluster_dir "$k")/run/mosix/cluster" 2>/dev/null
}

up_count() {
	awk 'NR > 1 && $3 == 1' "$(cluster_dir "$1")/run/mosix/cluster" 2>/dev/null | wc -l
}

# ids in node K's snapshot, on one line
ids_of() {
	awk 'NR > 1 { printf "%s ", $1 }' "$(cluster_dir "$1")/run/mosix/cluster" 2>/dev/null
}

counter() {
	sed -n "s/^$2=//p" "$(cluster_dir "$1")/run/mosix/admin/stats" 2>/dev/null
}

ctl() {
	cluster_exec "$1" "$tool" ctl /run/mosix "$2"
}

# predicates for poll
sees_up() { [ "$(up_count "$1")" -eq "$2" ]; }
all_see_up() {
	local n=$1 i
	for ((i = 1; i <= n; i++)); do
		sees_up "$i" "$n" || return 1
	done
}
field_is() { [ "$(view "$1" "$2" "$3")" = "$4" ]; }
field_above() { local v; v=$(view "$1" "$2" "$3"); [ -n "$v" ] && [ "$v" -gt "$4" ]; }
field_below() { local v; v=$(view "$1" "$2" "$3"); [ -n "$v" ] && [ "$v" -lt "$4" ]; }
has_flag() { local f; f=$(view "$1" "$2" flags); [ -n "$f" ] && (((f & $3) != 0)); }
no_flag() { local f; f=$(view "$1" "$2" flags); [ -n "$f" ] && (((f & $3) == 0)); }

# the logs once, at the first failure: later ones tend to follow from it
_infod_logged=0
check() {
	ok "$@"
	if [ "$1" -ne 0 ] && [ "$_infod_logged" -eq 0 ]; then
		_infod_logged=1
		infod_logs
	fi
}

infod_logs() {
	local f
	for f in "${MOSIX_CLUSTER_STATE:-/nonexistent}"/node*/tmp/infod.log; do
		[ -f "$f" ] && diag "$(sed "s|^|${f#"$MOSIX_CLUSTER_STATE"/}: |" "$f" | tail -n 30)"
	done
	return 0
}

# the GV_* flags of lib/gossip_wire.h
GV_BLOCKED=1
GV_QUIET=8
GV_OFF=32
export GV_BLOCKED GV_QUIET GV_OFF
