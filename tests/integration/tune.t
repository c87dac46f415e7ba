#!/usr/bin/env bash
# mosix-tune on a namespace cluster of 3 nodes with the real mosix-migd and
# mosix-infod: its probe really runs on the other nodes, the costs file it
# writes has plausible numbers for each and reads back (a run with -n keeps
# the other lines), -n measures only the nodes named, --dry-run writes
# nothing, a node whose migd is stopped or that is down gets no line, bad
# options are usage errors, and nothing is left running, even when it is
# interrupted.
set -u
here=$(dirname "$0")
. "$here/../lib/tap.sh"
. "$here/../harness/cluster.sh"
. "$here/../lib/migd_cluster.sh"
. "$here/../lib/infod_cluster.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (namespaces, ptrace)"
	exit 0
fi
root=$(cd "$here/../.." && pwd)
out=$(realpath -m -- "${MOSIX_OUT:-$root/out}")
bin=$(realpath -m -- "${MOSIX_BIN:-$out/asan/bin}")
# the probe must migrate, which a program built with sanitizers cannot: the
# plain build's mosix-tune is the probe of the ASan one
probe=$(realpath -m -- "${MOSIX_TUNE_PROBE:-$out/bin/mosix-tune}")
[ -x "$bin/mosix-tune" ] || { echo "Bail out! no $bin/mosix-tune (./build.sh tools)"; exit 1; }
[ -x "$probe" ] || { echo "Bail out! no $probe (./build.sh tools)"; exit 1; }

plan 42
migd_cluster_up 3 || { echo "Bail out! no cluster"; exit 1; }
for k in 1 2 3; do
	printf '%s' "$INFOD_CONF" >"$(cluster_dir "$k")/etc/mosix/mosix.conf"
	infod_start "$k" || { echo "Bail out! no infod on node $k"; exit 1; }
done
d1=$(cluster_dir 1)
costs=$d1/etc/mosix/costs

# node 1's snapshot says: COUNT other nodes up
ups() { [ "$(awk 'NR > 1 && $1 != 1 && $3 == 1' "$d1/run/mosix/cluster" | wc -l)" = "$1" ]; }
wait_for 15 ups 2 || { echo "Bail out! nodes 2 and 3 not up for node 1"; exit 1; }

# mosix-tune on node 1; its stdout in $d1/tmp/tune.out, stderr in tune.err
tune() {
	cluster_exec 1 env MOSIX_TUNE_PROBE="$probe" "$bin/mosix-tune" --rounds 2 "$@" \
		>"$d1/tmp/tune.out" 2>"$d1/tmp/tune.err"
}
# the node ids of the lines of a costs file
nodes_of() { awk '$1 ~ /^[0-9]+$/ { print $1 }' "$1" | xargs; }
# "process PID of node 1 (mosix-tune) runs here as" lines in node K's log
ran_on() { grep -c "of node 1 (mosix-tune) runs here as" "$(cluster_dir "$1")/tmp/migd.log"; }
# no probe anywhere, no guest on any node
nothing_left() {
	local k
	for k in 1 2 3; do
		! cluster_exec "$k" pgrep -x mosix-tune >/dev/null || return 1
		[ -z "$(ls "$(cluster_dir "$k")/run/mosix/guests/" 2>/dev/null)" ] || return 1
	done
}

# --- every node -------------------------------------------------------------------
tune
r=$?
ok $r "mosix-tune measures every node (exit 0)"
[ $r -eq 0 ] || { diag "$(cat "$d1/tmp/tune.out" "$d1/tmp/tune.err")"; migd_logs; }
is "$(nodes_of "$costs")" "2 3" "the costs file has a line for nodes 2 and 3"
is "$(grep -c '^mosix-costs 1$' "$costs")" 1 "it starts with the version line"
plausible=$(awk '$1 ~ /^[0-9]+$/ {
	bad += !($2 > 0 && $2 < 60000000)	# latency: under a minute
	bad += !($3 > 0 && $3 < 200000)		# MiB/s: below 200 GiB/s
	bad += !($4 > 0 && $4 < 1000000)	# forwarded call: under a second
	n++ } END { print n, bad + 0 }' "$costs")
is "$plausible" "2 0" "latency, bandwidth and forwarded call plausible on both"
diag "$(grep -v '^#' "$costs")"
median=$(awk '$1 ~ /^[0-9]+$/ { l[$1] = $2 " " $3 " " $4 }
	END { split(l[2], a); split(l[3], b)
	      printf "default %d %d %d", (a[1] + b[1]) / 2, (a[2] + b[2]) / 2, (a[3] + b[3]) / 2 }' \
	"$costs")
is "$(grep '^default' "$costs")" "$median" "the default line is the median of the two"
like "$(cat "$d1/tmp/tune.out")" "^NODE .*LATENCY_US" "a table of what was measured"
is "$(grep -c "^[23] " "$d1/tmp/tune.out")" 2 "with a row for each node"
like "$(cat "$d1/tmp/tune.out")" "wrote /etc/mosix/costs" "and where it wrote"
is "$(cat "$d1/tmp/tune.err")" "" "nothing on stderr"
n2=$(ran_on 2)
n3=$(ran_on 3)
ok $((n2 < 4)) "the probe ran on node 2 (both sizes, twice each: $n2 times)"
ok $((n3 < 4)) "and on node 3 ($n3 times)"
wait_for 5 nothing_left
ok $? "no probe and no guest left"

# --- -n 2: only node 2; node 3's line read back from the file and kept -------------
line3=$(grep '^3 ' "$costs")
tune -n 2
ok $? "mosix-tune -n 2 (exit 0)"
is "$(ran_on 2)" "$((n2 + 4))" "the probe ran on node 2 again"
is "$(ran_on 3)" "$n3" "not on node 3"
is "$(grep -c '^[0-9]' "$d1/tmp/tune.out")" 1 "its table has one node row"
is "$(nodes_of "$costs")" "2 3" "the file still has both lines"
is "$(grep '^3 ' "$costs")" "$line3" "node 3's line is the one it read"

# --- --dry-run and -o ---------------------------------------------------------------
sum=$(stat -c '%Y %i' "$costs"; md5sum <"$costs")
tune --dry-run -n 3
ok $? "mosix-tune --dry-run (exit 0)"
is "$(stat -c '%Y %i' "$costs"; md5sum <"$costs")" "$sum" "writes nothing"
like "$(cat "$d1/tmp/tune.out")" "mosix-costs 1" "prints the file instead"
is "$(grep -cE '^[23] [0-9]+ [0-9]+ [0-9]+$' "$d1/tmp/tune.out")" 2 "with both node lines"
tune -o /tmp/other.costs -n 3
ok $? "mosix-tune -o FILE (exit 0)"
is "$(nodes_of "$d1/tmp/other.costs")" "3" "writes FILE, with the node measured"

# --- a broken file: -n reports it and writes nothing --------------------------------
printf 'mosix-costs 1\n2 fast 1 1\n' >"$d1/tmp/bad.costs"
tune -n 2 -o /tmp/bad.costs
is "$?" 3 "a costs file that does not parse: exit 3"
like "$(cat "$d1/tmp/tune.err")" "bad.costs:2: " "the problem named FILE:LINE"
is "$(cat "$d1/tmp/bad.costs")" "$(printf 'mosix-costs 1\n2 fast 1 1')" "the file left as it was"

# --- a node whose migd is stopped, a node that is down ------------------------------
migd_kill 3
tune -o /tmp/down.costs
is "$?" 1 "node 3 without mosix-migd: exit 1"
like "$(cat "$d1/tmp/tune.err")" "node 3: cannot migrate there: .*; it gets no line" \
	"node 3 is reported"
is "$(nodes_of "$d1/tmp/down.costs")" "2" "node 2 gets a line, node 3 none"
is "$(grep '^default' "$d1/tmp/down.costs" | cut -d' ' -f2-)" \
	"$(grep '^2 ' "$d1/tmp/down.costs" | cut -d' ' -f2-)" "the default is node 2's line"
infod_kill 3
wait_for 15 ups 1
tune -o /tmp/down2.costs
is "$?" 1 "node 3 down: exit 1"
like "$(cat "$d1/tmp/tune.err")" "node 3: down; it gets no line" "reported as down"
wait_for 5 nothing_left
ok $? "no probe and no guest left"

# --- interrupted mid-run: the probe goes too, wherever it is ------------------------
run_at 1 intr env MOSIX_TUNE_PROBE="$probe" "$bin/mosix-tune" -n 2 --rounds 100 \
	-o /tmp/intr.costs
shell=$!
away() { compgen -G "$(cluster_dir 2)/run/mosix/guests/*" >/dev/null; }
wait_for 20 away
ok $? "(the probe runs on node 2)"
cluster_exec 1 kill -TERM "$(node_pid 1 intr)"
ended() { ! kill -0 "$shell" 2>/dev/null; }
wait_for 5 ended
ok $? "mosix-tune ends on SIGTERM"
kill -KILL "$shell" 2>/dev/null
wait "$shell"
wait_for 5 nothing_left
ok $? "no probe and no guest left"
test ! -e "$d1/tmp/intr.costs"
ok $? "and no file"

# --- usage errors, and what it cannot do ----------------------------------------------
for args in "--sizes 32,1" "--sizes 1" "-n 0" "-n 2,x" "--calls 0" "--rounds x" "--bogus" \
	"extra" "-n 1"; do
	# shellcheck disable=SC2086 # split on purpose
	tune $args
	r=$?
	if [ "$r" != 2 ] || ! grep -q "Try 'mosix-tune --help'" "$d1/tmp/tune.err"; then
		break
	fi
done
is "$r" 2 "bad options and -n of this node are usage errors (last tried: $args)"
cluster_exec 1 "$bin/mosix-tune" --help | grep -q '^usage: mosix-tune'
ok $? "--help prints the usage"
cluster_exec 1 env MOSIX_RUN_DIR=/nonexistent "$bin/mosix-tune" 2>/dev/null
is "$?" 3 "no cluster state: exit 3"
migd_kill 1
tune
is "$?" 3 "mosix-migd not running: exit 3"
