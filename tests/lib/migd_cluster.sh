# shellcheck shell=bash
# shellcheck disable=SC2154 # $bin is set by the test that sources this
# A namespace cluster running the real mosix-migd, for the migration tests.
# Source after tests/harness/cluster.sh and set $bin to the binaries.
#
#   migd_cluster_up N        cluster_up N, a map of the N nodes, one key
#                            shared by all, mosix-migd started on each
#   migd_start K             start mosix-migd on node K (env: MIGD_ENV_K,
#                            e.g. MOSIX_FAULT=stage), wait for its socket
#   migd_start_conf K...     append stdin to each node K's mosix.conf (the
#                            balancer's settings, say), then migd_start K;
#                            false if one does not start
#   migd_kill K [SIG]        stop it (default SIGKILL)
#   migd_logs                print every node's migd log (diagnostics)
#   run_at K PIDFILE CMD...  start CMD on node K in the background, its
#                            pid (in the node) written to PIDFILE under
#                            the node's /tmp; stdout to /tmp/PIDFILE.out
#   node_pid K PIDFILE       that pid
#   guest_of K HOMEPID       the pid (in node K) of the guest of HOMEPID,
#                            from migd's guests/ files; empty if none
#   child_of K PID           the (first) child of PID in node K, waiting
#                            for it to appear
#   tracer_of K PID          PID's tracer in node K (its deputy while it is
#                            away), 0 if none
#   wait_for SECS CMD...     poll CMD until it succeeds; false on timeout
#   cpu_ticks K PID          utime+stime of PID in node K, clock ticks
#   migd_progs               set $root, $out, $bin and $progs for a test of
#                            tests/integration ($here), and build the
#                            programs of tests/progs; bail out if it cannot

declare -a _migd_pid=()

migd_cluster_up() {
	local n=$1 i d
	shift
	cluster_up "$n" "$@" || return 1
	for ((i = 1; i <= n; i++)); do
		d=$(cluster_dir "$i") || return 1
		printf '1 10.77.0.1 %d\n' "$n" >"$d/etc/mosix/mosix.map"
	done
	cluster_exec 1 "$bin/mosctl" genkey >/dev/null || return 1
	for ((i = 2; i <= n; i++)); do
		install -m 0600 "$(cluster_dir 1)/etc/mosix/secret" \
			"$(cluster_dir "$i")/etc/mosix/secret" || return 1
	done
	for ((i = 1; i <= n; i++)); do
		migd_start "$i" || return 1
	done
}

migd_start() {
	local k=$1 d env_var
	d=$(cluster_dir "$k") || return 1
	env_var=MIGD_ENV_$k
	# shellcheck disable=SC2016 # expanded by the inner sh
	cluster_spawn "$k" env ${!env_var:-} sh -c 'exec "$1" 2>>/tmp/migd.log' _ \
		"$bin/mosix-migd" >/dev/null
	_migd_pid[k]=$!
	wait_for 10 test -S "$d/run/mosix/migd.sock" ||
		{ echo "# mosix-migd did not start on node $k" >&2; migd_logs; return 1; }
}

migd_start_conf() {
	local conf k
	conf=$(cat)
	for k in "$@"; do
		printf '%s\n' "$conf" >>"$(cluster_dir "$k")/etc/mosix/mosix.conf" || return 1
		migd_start "$k" || return 1
	done
}

# SIGKILL ends node-exec, whose death only then kills mosix-migd
# (PR_SET_PDEATHSIG): until migd itself is gone, its TCP port is taken
_migd_gone() {
	[ ! -e "/proc/$1" ] || [ "$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null)" = Z ]
}

migd_kill() {
	local k=$1 sig=${2:-KILL} daemon
	[ -n "${_migd_pid[k]:-}" ] || return 1
	daemon=$(pgrep -P "${_migd_pid[k]}" | head -n 1)
	kill -s "$sig" "${_migd_pid[k]}" 2>/dev/null
	wait "${_migd_pid[k]}" 2>/dev/null
	[ -z "$daemon" ] || wait_for 5 _migd_gone "$daemon"
	_migd_pid[k]=''
	rm -f "$(cluster_dir "$k")/run/mosix/migd.sock"
}

migd_logs() {
	local k
	for k in $(cluster_nodes); do
		diag "--- node $k: migd.log"
		diag "$(cat "$(cluster_dir "$k")/tmp/migd.log" 2>/dev/null)"
	done
}

run_at() {
	local k=$1 f=$2
	shift 2
	# shellcheck disable=SC2016 # expanded by the inner sh
	cluster_spawn "$k" sh -c 'echo $$ >"/tmp/$0"; exec "$@" >"/tmp/$0.out" 2>"/tmp/$0.err"' \
		"$f" "$@"
}

# node_pid K F [COMM]: the pid of what run_at K F started; with COMM, once
# it runs COMM: run_at writes the pid before its exec (and mosrun's), so a
# migrate at once may catch the shell or mosrun instead
node_pid() {
	local f p
	f="$(cluster_dir "$1")/tmp/$2"
	wait_for 5 test -s "$f" || return 1
	p=$(cat "$f")
	if [ -n "${3:-}" ] && ! wait_for 10 _runs "$1" "$p" "$3"; then
		diag "node $1: pid $p does not run $3: $(cluster_exec "$1" cat "/proc/$p/comm" 2>&1)"
	fi
	echo "$p"
}

_runs() { [ "$(cluster_exec "$1" cat "/proc/$2/comm" 2>/dev/null)" = "$3" ]; }

guest_of() {
	local k=$1 home=$2 g
	for g in "$(cluster_dir "$k")"/run/mosix/guests/*; do
		[ -f "$g" ] || continue
		if [ "$(cut -d' ' -f2 "$g")" = "$home" ]; then
			basename "$g"
			return 0
		fi
	done
	return 1
}

child_of() {
	local k=$1 p=$2
	wait_for 5 cluster_exec "$k" pgrep -P "$p" >/dev/null || return 1
	cluster_exec "$k" pgrep -o -P "$p"
}

tracer_of() {
	# shellcheck disable=SC2016 # awk's own $2
	cluster_exec "$1" awk '/^TracerPid/ { print $2 }' "/proc/$2/status"
}

wait_for() {
	local secs=$1 end
	shift
	end=$(($(date +%s%N) + secs * 1000000000))
	until "$@" 2>/dev/null; do
		(($(date +%s%N) < end)) || return 1
		sleep 0.05
	done
}

# quiet_reader K NAME: cat reading /tmp/NAME.fifo on node K, a fifo a
# holder keeps open and quiet, so that the read waits (as a forwarded call,
# once cat is away); then $! is the reader's, and node_pid K NAME cat
# its pid
quiet_reader() {
	mkfifo "$(cluster_dir "$1")/tmp/$2.fifo"
	run_at "$1" "$2w" sh -c "exec 3<>/tmp/$2.fifo; exec sleep 60"
	run_at "$1" "$2" cat "/tmp/$2.fifo"
}

# reads_home K PID: PID waits in a read of its fd 3 (the fifo) on node K
reads_home() {
	[ "$(cluster_exec "$1" cut -d' ' -f1-2 "/proc/$2/syscall")" = "0 0x3" ]
}

# quiet_reader_feed K NAME TEXT: TEXT to the reader, then its end of file
quiet_reader_feed() {
	echo "$3" >"$(cluster_dir "$1")/tmp/$2.fifo"
	cluster_exec "$1" kill "$(node_pid "$1" "$2w" sleep)"
}

cpu_ticks() {
	cluster_exec "$1" cat "/proc/$2/stat" 2>/dev/null |
		sed 's/.*) //' | awk '{ print $12 + $13 }'
}

migd_progs() {
	# shellcheck disable=SC2034 # the test's
	root=$(cd "$here/../.." && pwd)
	out=$(realpath -m -- "${MOSIX_OUT:-$root/out}")
	bin=$(realpath -m -- "${MOSIX_BIN:-$out/asan/bin}")
	# shellcheck disable=SC2034 # the test's
	progs=$out/asan/tests/progs
	make -C "$root/tests" --no-print-directory -s O="$out/asan" progs >&2 ||
		{ echo "Bail out! cannot build the programs of tests/progs"; exit 1; }
}
