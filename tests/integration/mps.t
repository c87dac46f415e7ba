#!/usr/bin/env bash
# mps: its columns for a known process, the state files of mig_pstate.h
# written here by hand (where, nmigs, lock), this node's id from the map,
# the selection of processes, pids that do not exist, usage errors, and
# --guests with guest records pointing at real processes.
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

chmod 0755 "$work"
run=$work/run
export MOSIX_RUN_DIR=$run
mkdir -p "$run"

# start: a plain process (tests/progs/plain) that sleeps until killed; sets pid
start() {
	local i
	"$progs/plain" 120 >"$work/plain.$$.out" 2>&1 &
	pid=$!
	# not a job: bash would report its death by SIGKILL at the end
	disown "$pid"
	pids+=("$pid")
	for ((i = 0; i < 200; i++)); do
		grep -q ready "$work/plain.$$.out" 2>/dev/null && return 0
		sleep 0.05
	done
	diag "plain did not start"
	return 1
}

mps() { "$bin/mps" "$@"; }

header="    PID USER      HOME WHERE NMIGS LOCK CANTMOVE                     TIME CMD"
nopid=2147483647 # above any pid_max

plan 33

# --- usage -----------------------------------------------------------------------

mps --help >"$work/out"
is "$?" 0 "--help: exit 0"
like "$(head -n 1 "$work/out")" "^usage: mps " "--help: usage line"
mps 12x >/dev/null 2>"$work/err"
is "$?:$(head -n 1 "$work/err")" "2:mps: invalid pid '12x'" "a pid that is no number: usage error"
mps -x >/dev/null 2>"$work/err"
is "$?:$(head -n 1 "$work/err")" "2:mps: unknown option '-x'" "an unknown option: usage error"
mps --guests 1 >/dev/null 2>&1
is "$?" 2 "--guests with a pid: usage error"

# --- one process, its columns ------------------------------------------------------

start
a=$pid
mps "$a" >"$work/out"
is "$?" 0 "mps PID: exit 0"
is "$(head -n 1 "$work/out")" "$header" "the column titles"
is "$(sed -n 2p "$work/out")" \
	"$(printf '%7d %-8s %5s %5s %5s %4s %-23s %9s %s' "$a" "$(id -un)" - here 0 no - 00:00:00 \
		"$progs/plain 120")" \
	"a plain process: its user, no map (HOME -), here, 0, not locked, movable"
is "$(wc -l <"$work/out")" 2 "one line per process"
is "$(mps --no-header "$a" | wc -l)" 1 "--no-header: no titles"

# the files mosix-migd writes
mkdir -p "$run/proc/$a"
echo 3 >"$run/proc/$a/where"
echo 5 >"$run/proc/$a/nmigs"
echo 1 >"$run/proc/$a/lock"
like "$(mps --no-header "$a")" "^ *$a [a-z]+ +- +3 +5 +yes - +00:00:00 " \
	"WHERE, NMIGS, LOCK from \$MOSIX_RUN_DIR/proc/PID"
echo here >"$run/proc/$a/where"
like "$(mps --no-header "$a")" "^ *$a [a-z]+ +- +here +5 +yes locked by user " \
	"back home, still locked"
echo bogus >"$run/proc/$a/where"
like "$(mps --no-header "$a")" "^ *$a [a-z]+ +- +\? +\? +\? \? " "a malformed state file: '?'"
rm -rf "${run:?}/proc"

# --- this node's id ----------------------------------------------------------------

printf '3 127.0.0.1 1\n' >"$run/mosix.map"
like "$(mps --no-header "$a")" "^ *$a [a-z]+ +3 +here " "HOME: the map's node with a local address"
printf '1 10.99.0.1 9\n' >"$run/mosix.map"
like "$(mps --no-header "$a")" "^ *$a [a-z]+ +- +here " "HOME: '-' when no local address is in the map"
echo 5 >"$run/self-id"
like "$(mps --no-header "$a")" "^ *$a [a-z]+ +5 +here " "HOME: the id setpe -p gave"
rm -f "$run/mosix.map" "$run/self-id"

# --- selection, missing pids -------------------------------------------------------

start
b=$pid
mps >"$work/out"
like "$(grep -c -E "^ *($a|$b) " "$work/out")" "^2$" "no argument: the caller's processes"
mps -a >"$work/out"
ok "$(grep -q -E "^ +1 " "$work/out"; echo $?)" "-a: every process, pid 1 too"
mps --no-header "$b" "$a" | awk '{ print $1 }' >"$work/out"
is "$(paste -sd ' ' "$work/out")" "$b $a" "PIDs: those, in the order given"
mps "$nopid" >"$work/out" 2>"$work/err"
is "$?" 1 "a pid with no process: exit 1"
is "$(cat "$work/err")" "mps: no process $nopid" "and names it"
is "$(cat "$work/out")" "$header" "with nothing but the titles on stdout"
mps --no-header "$a" "$nopid" >"$work/out" 2>"$work/err"
is "$?:$(wc -l <"$work/out"):$(cat "$work/err")" "1:1:mps: no process $nopid" \
	"one pid found, one not: the line, the error, exit 1"

# --- guests --------------------------------------------------------------------------

mps --guests >"$work/out" 2>"$work/err"
is "$?:$(cat "$work/out")" "0:    PID  HOME  HOMEPID      TIME CMD" "--guests, no guests directory: titles only"
mkdir -p "$run/guests"
echo "7 4242" >"$run/guests/$b"
echo "2 17" >"$run/guests/$a"
echo "9 1" >"$run/guests/$nopid"
mps --guests >"$work/out" 2>"$work/err"
is "$?" 0 "--guests: exit 0"
# pids may wrap: the smaller comes first
first=2 second=3
[ "$a" -gt "$b" ] && first=3 second=2
is "$(sed -n ${first}p "$work/out")" \
	"$(printf '%7d %5u %8d %9s %s' "$a" 2 17 00:00:00 "$progs/plain 120")" \
	"--guests: local pid, home node, home pid, time, command"
like "$(sed -n ${second}p "$work/out")" "^ *$b +7 +4242 +00:00:00 $progs/plain 120\$" "sorted by pid"
is "$(wc -l <"$work/out")" 3 "a record whose process ended is not shown"
mps --guests --no-header | wc -l >"$work/out"
is "$(cat "$work/out")" 2 "--guests --no-header"
echo "junk" >"$run/guests/$a"
mps --guests --no-header >"$work/out" 2>"$work/err"
is "$?:$(cat "$work/err")" "1:mps: '$run/guests/$a': not a guest record (HOMENODE HOMEPID)" \
	"a malformed record: named, exit 1"
like "$(cat "$work/out")" "^ *$b +7 +4242 " "the others are still listed"
chmod 0750 "$run/guests"
if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$bin/mps" --guests >"$work/out" 2>"$work/err"
	is "$?:$(cat "$work/err")" \
		"1:mps: cannot read '$run/guests': Permission denied (only root and group mosix may see the guests)" \
		"--guests for others: refused, and says who may"
else
	skip "setpriv cannot run as nobody"
fi

# --- what a process chose as its name reaches no terminal raw -----------------
# a zombie (no command line: mps shows [name]) named with an escape sequence
# shellcheck disable=SC2016 # python's
sh -c 'python3 -c "import ctypes; ctypes.CDLL(None).prctl(15, b\"z\x1b[2Jz\", 0, 0, 0)" &
	exec sleep 30' &
zparent=$!
disown "$zparent"
pids+=("$zparent")
zombie=
for ((i = 0; i < 100; i++)); do
	zombie=$(ps -o pid= --ppid "$zparent" 2>/dev/null | tr -d ' ')
	[ -n "$zombie" ] && [ "$(cut -d' ' -f3 "/proc/$zombie/stat" 2>/dev/null)" = Z ] && break
	sleep 0.05
done
mps "$zombie" >"$work/out"
like "$(tail -n 1 "$work/out")" "\\[z\\?\\[2Jz\\]\$" "a zombie's name, its escape shown as ?"
