#!/usr/bin/env bash
# Why a process cannot migrate, as mps shows it: one small program per
# reason (tests/progs/cant_*), a plain one that can, the user lock, pid 1,
# and what another user is not allowed to see.
set -u
. "$(dirname "$0")/../lib/tap.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(realpath -m -- "${MOSIX_OUT:-$root/out}")
bin=$(realpath -m -- "${MOSIX_BIN:-$out/bin}")
progs=$out/asan/tests/progs
work=$(mktemp -d)
declare -a pids=()
cleanup() {
	[ ${#pids[@]} -gt 0 ] && kill -9 "${pids[@]}" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n # SKIP $1"
}

[ -x "$bin/mps" ] || { echo "Bail out! no $bin/mps (./build.sh tools)"; exit 1; }
make -C "$root/tests" --no-print-directory -s O="$out/asan" progs >&2 ||
	{ echo "Bail out! cannot build the programs of tests/progs"; exit 1; }

# others may read the run directory, as in /run
chmod 0755 "$work"
export MOSIX_RUN_DIR=$work/run
mkdir -p "$work/run"

# start PROG: run tests/progs/PROG until it says "ready [CHILD]"; sets pid
# and child (the pid it printed, if any). Every program ends by itself.
start() {
	local prog=$1 line i
	"$progs/$prog" 120 >"$work/$prog.out" 2>&1 &
	pid=$!
	# not a job: bash would report its death by SIGKILL at the end
	disown "$pid"
	pids+=("$pid")
	child=
	for ((i = 0; i < 200; i++)); do
		line=$(head -n 1 "$work/$prog.out")
		case $line in
		ready*)
			child=${line#ready}
			child=${child# }
			return 0
			;;
		esac
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	diag "$prog did not start: $(cat "$work/$prog.out")"
	return 1
}

# The CANTMOVE column of mps for PID (columns 41-63).
cantmove() {
	"$bin/mps" --no-header "$1" | cut -c41-63 | sed 's/ *$//'
}

# reason PROG EXPECTED [child]: PROG (or the child it made) shows EXPECTED
reason() {
	local prog=$1 want=$2 which=${3:-}
	if ! start "$prog"; then
		ok 1 "$prog starts"
		return
	fi
	[ "$which" = child ] && pid=$child
	is "$(cantmove "$pid")" "$want" "$prog: CANTMOVE is '$want'"
}

plan 20

reason plain "-"
reason cant_thread "multi-threaded"
reason cant_mlock "locked memory"
reason cant_shared "writable shared mapping"
reason cant_sysv "SysV shared memory"
reason cant_signalfd "signalfd"
reason cant_cputimer "CPU-time timer"
reason cant_zombie "zombie" child
reason cant_traced "being traced" child
reason cant_sharedmm "address space shared"
reason cant_sharedmm "address space shared" child
# a 32-bit program needs a gcc with -m32 (no 32-bit libraries)
if make -C "$root/tests" --no-print-directory -s O="$out/asan" progs32 >&2; then
	mkdir -p "$work/m32"
	reason m32/cant_compat "32-bit process"
else
	skip "this gcc cannot build 32-bit programs"
fi
if [ "$(id -u)" -eq 0 ]; then
	reason cant_fifo "real-time scheduling"
else
	skip "SCHED_FIFO needs root"
fi
is "$(cantmove 1)" "init" "pid 1: init"

# --- the user lock, and processes away ------------------------------------------

start plain
mkdir -p "$work/run/proc/$pid"
echo 1 >"$work/run/proc/$pid/lock"
row=$("$bin/mps" --no-header "$pid")
like "$row" "^ *$pid root .* here +0 +yes locked by user +[0-9:]+ $progs/plain 120\$" \
	"a lock file: LOCK yes, CANTMOVE 'locked by user'"
echo 0 >"$work/run/proc/$pid/lock"
is "$(cantmove "$pid")" "-" "unlocked again: '-'"

# a process that runs elsewhere is movable by definition: its deputy traces it
start cant_traced
mkdir -p "$work/run/proc/$child"
echo 4 >"$work/run/proc/$child/where"
echo 2 >"$work/run/proc/$child/nmigs"
like "$("$bin/mps" --no-header "$child")" "^ *$child root .* 4 +2 +no - " \
	"away on node 4 after 2 migrations: CANTMOVE '-'"

# --- what another user may not see ----------------------------------------------

start plain
plain=$pid
if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	row=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$bin/mps" --no-header "$plain")
	is "$(printf '%s\n' "$row" | cut -c41-63 | sed 's/ *$//')" "?" \
		"another user's process, its fds and smaps closed: '?'"
	like "$row" "^ *$plain root .* here +0 +no \? " "the other columns are still shown"
	is "$(setpriv --reuid=65534 --regid=65534 --clear-groups "$bin/mps" --no-header 1 |
		cut -c41-63 | sed 's/ *$//')" "init" "a reason /proc/PID/stat shows needs no access"
else
	skip "setpriv cannot run as nobody"
	skip "setpriv cannot run as nobody"
	skip "setpriv cannot run as nobody"
fi
