#!/usr/bin/env bash
# mtop: batch output (-b) and the live screen, driven in a tmux pane of 80x24:
# first on a 1000-node snapshot written here in the format of state.h
# (sorting, scrolling, resizing, quitting), then on a namespace cluster of
# four nodes running the real mosix-infod.
set -u
. "$(dirname "$0")/../lib/tap.sh"
bin=${MOSIX_BIN:-${MOSIX_OUT:-$(dirname "$0")/../../out}/bin}
bin=$(realpath -- "$bin")
work=$(mktemp -d)
tmux_sock=mosix-mtop-test-$$
# the cluster's traps would replace ours: cleanup takes the cluster down
export MOSIX_CLUSTER_NO_TRAP=1
cleanup() {
	tmux -L "$tmux_sock" kill-server 2>/dev/null
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$tmux_sock"
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

export MOSIX_RUN_DIR=$work/run
mkdir -p "$work/run"

# --- no snapshot, usage -----------------------------------------------------------

"$bin/mtop" -b -n 1 >"$work/out" 2>"$work/err"
is "$?" 1 "no snapshot: exit 1"
is "$(cat "$work/err")" "mtop: mosix-infod is not running: no '$work/run/cluster'" "and says why"
TERM=xterm "$bin/mtop" </dev/null >"$work/out" 2>"$work/err"
is "$?:$(cat "$work/err")" "1:mtop: mosix-infod is not running: no '$work/run/cluster'" \
	"the same before taking the screen"
for args in "-x" "-d" "-d 0" "-d abc" "-d 4000" "-s cpu" "-n 0" "-n -1" "extra"; do
	# shellcheck disable=SC2086 # word splitting wanted
	"$bin/mtop" $args >/dev/null 2>&1
	is "$?" 2 "usage error: mtop $args"
done
"$bin/mtop" --help | head -n 1 | grep -q '^usage: mtop'
ok "$?" "--help starts with the usage"

# --- 1000 nodes, batch --------------------------------------------------------------

# node i: load (i*7919)%900, free memory i*3000 pages; every 97th down,
# every 50th blocked; this is node 7
awk -v now="$(($(date +%s%N) / 1000000))" 'BEGIN {
	print "mosix-state 1 7 " now
	for (i = 1; i <= 1000; i++)
		printf "%d 10.%d.%d.%d %d %d %d 10000 %d %d 4000000 %d %d %d 0 %d\n",
			i, int(i / 65536), int(i / 256) % 256, i % 256, i % 97 ? 1 : 0,
			(i * 37) % 5000, (i * 7919) % 900, 1 + i % 8, (i * 13) % 1000,
			i * 3000, i * 3000, i % 4, i % 50 ? 0 : 1
}' >"$work/run/cluster"

"$bin/mtop" -b -n 2 -d 0.2 >"$work/out"
is "$?" 0 "mtop -b -n 2: exit 0"
is "$(wc -l <"$work/out")" $((2 * 1003 + 1)) "two frames of 1003 lines and a blank line between"
is "$(grep -c $'\e' "$work/out")" 0 "no escape sequences"
is "$(grep -c '^mtop - mosix cluster, node 7 ' "$work/out")" 2 "each frame starts with the title"
# the totals, added up here from the snapshot
totals=$(awk 'NR > 1 && $3 == 1 { n++; cpus += $7; load += $5; guests += $12 }
	END { printf "%d/1000 nodes up, %d cpus, load %d.%02d, free memory [0-9.]+[GT] of [0-9.]+[GT], %d guests",
		n, cpus, load / 100, load % 100, guests }' "$work/run/cluster")
like "$(sed -n 2p "$work/out")" "^$totals\$" "the totals line"
is "$(sed -n 3p "$work/out")" \
	"   ID  ADDRESS    STATE  LOAD CPUS SPEED UTIL   MEM  RMEM GUEST   AGE FLAGS" \
	"the column titles"
is "$(sed -n '4,1003p' "$work/out" | awk '$3 == "up"' | wc -l)" 990 "990 nodes up"
is "$(sed -n '4,1003p' "$work/out" | awk '{ print $3 }' | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')" \
	"down:10 up:990 " "and 10 down, listed last"
is "$(sed -n 4p "$work/out" | awk '{ print $1, $4 }')" "721 8.99" "sorted by load, the busiest first"
like "$(grep '^    7\* ' "$work/out" | head -n 1)" '^    7\* 10\.0\.0\.7 ' "this node is marked"
like "$(grep '^   50  ' "$work/out" | head -n 1)" ' blocked$' "flags as words"
is "$("$bin/mtop" -b -n 1 -s id | sed -n '4p;1003p' | awk '{ print $1 }' | tr '\n' ' ')" "1 1000 " \
	"-s id: by id"
is "$("$bin/mtop" -b -n 1 -s memory | sed -n 4p | awk '{ print $1 }')" 1000 "-s memory: most free first"

# --- 1000 nodes, on an 80x24 terminal -------------------------------------------------

# tmux_start CMD: run CMD in a fresh 80x24 pane; its exit status goes to $work/rc
tmux_start() {
	rm -f "$work/rc"
	tmux -L "$tmux_sock" -f /dev/null new-session -d -s mtop -x 80 -y 24 \
		"$1; echo \$? >$work/rc"
	tmux -L "$tmux_sock" set-option -t mtop remain-on-exit off >/dev/null
}
screen() { tmux -L "$tmux_sock" capture-pane -p -t mtop 2>/dev/null; }
keys() { tmux -L "$tmux_sock" send-keys -t mtop "$@"; }
# wait_screen ERE: until the screen matches, at most 5 s
wait_screen() {
	local i
	for ((i = 0; i < 50; i++)); do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.1
	done
	return 1
}
# line N of the screen (1-based)
line() { screen | sed -n "$1p"; }

if ! command -v tmux >/dev/null; then
	skip "tmux is not installed (apt-get install tmux)"
else
	tmux_start "env MOSIX_RUN_DIR=$work/run TERM=screen $bin/mtop -d 1"
	wait_screen 'q quit'
	ok "$?" "mtop shows its screen"
	like "$(line 1)" '^mtop - mosix cluster, node 7 .* sort: load  every 1s' "the title: node, order, interval"
	like "$(line 2)" "^$totals\$" "the totals line"
	like "$(line 3)" '^   ID  ADDRESS         STATE  LOAD CPUS SPEED UTIL   MEM  RMEM GUEST   AGE FLAGS' \
		"the column titles"
	like "$(line 4)" '^  721  10\.0\.2\.209      up     8\.99 ' "the busiest node first"
	is "$(screen | sed -n '4,23p' | grep -c '^ *[0-9]')" 20 "20 node rows fit in 24 lines"
	like "$(line 24)" '^l/m/i sort  \+/-/d delay  arrows PgUp PgDn scroll  q quit  \[1-20/1000\]' \
		"the keys line, with the rows shown"
	is "$(screen | awk '{ if (length($0) > 80) n++ } END { print n + 0 }')" 0 "no line wider than 80"

	keys i
	wait_screen 'sort: id'
	ok "$?" "i sorts by id"
	is "$(screen | sed -n '4,6p' | awk '{ print $1 }' | tr '\n' ' ')" "1 2 3 " "rows 1, 2, 3 first"
	keys NPage
	wait_screen '\[21-40/1000\]'
	ok "$?" "PgDn scrolls a screen"
	like "$(line 4)" '^   21  ' "to node 21"
	keys Down
	wait_screen '\[22-41/1000\]'
	ok "$?" "Down scrolls a line"
	keys End
	wait_screen '\[981-1000/1000\]'
	ok "$?" "End goes to the last node"
	like "$(line 23)" '^ 1000  10\.0\.3\.232 .* B$' "node 1000, blocked (B)"
	keys Home
	wait_screen '\[1-20/1000\]'
	ok "$?" "Home goes back to the first"
	keys m
	wait_screen 'sort: memory'
	ok "$?" "m sorts by memory"
	like "$(line 4)" '^ 1000  ' "the node with the most free memory first"
	keys l
	wait_screen 'sort: load'
	ok "$?" "l sorts by load again"
	keys +
	wait_screen 'every 2s'
	ok "$?" "+ lengthens the interval"
	keys - -
	wait_screen 'every 0.5s'
	ok "$?" "- shortens it"
	keys d
	wait_screen 'refresh interval in seconds:'
	ok "$?" "d asks for an interval"
	keys 3 Enter
	wait_screen 'every 3s'
	ok "$?" "and takes it"

	tmux -L "$tmux_sock" resize-window -t mtop -x 100 -y 30 2>/dev/null ||
		tmux -L "$tmux_sock" resize-pane -t mtop -x 100 -y 30
	wait_screen '\[1-26/1000\]'
	ok "$?" "after a resize to 100x30, 26 rows"
	like "$(line 30)" '^l/m/i sort' "the keys line moves to the new last line"

	mv "$work/run/cluster" "$work/cluster"
	keys ' '
	wait_screen "mosix-infod is not running: no '$work/run/cluster'"
	ok "$?" "a snapshot that disappears is reported on the screen"
	mv "$work/cluster" "$work/run/cluster"
	keys ' '
	wait_screen '990/1000 nodes up'
	ok "$?" "and the table comes back with it"

	keys q
	for ((i = 0; i < 50; i++)); do
		[ -s "$work/rc" ] && break
		sleep 0.1
	done
	is "$(cat "$work/rc" 2>/dev/null)" 0 "q quits, exit 0"

	tmux_start "env MOSIX_RUN_DIR=$work/run TERM=screen $bin/mtop"
	wait_screen 'q quit'
	tmux -L "$tmux_sock" list-panes -t mtop -F '#{pane_pid}' >"$work/panepid"
	pkill -TERM -x -P "$(cat "$work/panepid")" mtop
	for ((i = 0; i < 50; i++)); do
		[ -s "$work/rc" ] && break
		sleep 0.1
	done
	is "$(cat "$work/rc" 2>/dev/null)" 0 "SIGTERM ends mtop cleanly (exit 0)"
fi

# --- the real mosix-infod on a namespace cluster ----------------------------------------

cluster_tests() {
	# shellcheck source=../harness/cluster.sh
	source "$(dirname "$0")/../harness/cluster.sh" || return 1
	# shellcheck source=../lib/infod_cluster.sh
	source "$(dirname "$0")/../lib/infod_cluster.sh" || return 1
	unset MOSIX_RUN_DIR

	if ! infod_cluster_up 4; then
		echo "Bail out! no cluster of four mosix-infod nodes"
		exit 1
	fi
	ok "$(infod_wait 20 all_up 1 4; echo $?)" "the four nodes are up"

	cluster_exec 1 "$bin/mtop" -b -n 2 -d 0.5 >"$work/out"
	is "$?" 0 "mtop -b -n 2 on node 1: exit 0"
	is "$(grep -c '^mtop - mosix cluster, node 1 ' "$work/out")" 2 "two frames, of node 1"
	is "$(grep -c '^4/4 nodes up, ' "$work/out")" 2 "each with 4/4 nodes up"
	is "$(awk '$3 == "up" { i = $1; sub(/\*/, "", i); print i }' "$work/out" | sort -n | uniq -c |
		awk '{ printf "%s:%s ", $2, $1 }')" "1:2 2:2 3:2 4:2 " "every node in both frames"
	is "$(grep -c $'\e' "$work/out")" 0 "no escape sequences"

	if ! command -v tmux >/dev/null; then
		skip "tmux is not installed (apt-get install tmux)"
		return
	fi
	tmux_start "env MOSIX_CLUSTER_STATE=$MOSIX_CLUSTER_STATE $(realpath "$(dirname "$0")/../harness/mosix-cluster") exec 2 env TERM=screen $bin/mtop -s id -d 0.5"
	wait_screen '4/4 nodes up'
	ok "$?" "mtop on node 2's terminal shows 4/4 nodes up"
	like "$(line 1)" '^mtop - mosix cluster, node 2 ' "of node 2"
	is "$(screen | sed -n '4,7p' | awk '{ print $1, $2, $3 }' | tr '\n' ' ')" \
		"1 10.77.0.1 up 2* 10.77.0.2 up 3 10.77.0.3 up 4 10.77.0.4 up " "the four nodes, by id"
	like "$(line 24)" '^l/m/i sort .* q quit  \[1-4/4\]$' "the keys line"
	cluster_exec 3 "$bin/mosctl" block
	wait_screen '^    3  10\.77\.0\.3 .* B$'
	ok "$?" "node 3 blocked shows as B"
	keys l
	wait_screen 'sort: load'
	ok "$?" "l sorts by load"
	infod_kill 4
	wait_screen '^    4  10\.77\.0\.4 +down '
	ok "$?" "node 4 killed shows down"
	like "$(line 2)" '^3/4 nodes up' "and the totals count 3 up"
	like "$(line 7)" '^    4  ' "listed last"
	keys q
	for ((i = 0; i < 50; i++)); do
		[ -s "$work/rc" ] && break
		sleep 0.1
	done
	is "$(cat "$work/rc" 2>/dev/null)" 0 "q quits"
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
