#!/usr/bin/env bash
# The pool modes (lib/pool.h), with the schedule's clock injected (--now):
# first without a cluster, the timers mosix-pool-generator makes from
# pool.conf (systemd-analyze verify and calendar agree with them) and the
# FILE:LINE errors of a bad pool.conf; then on a namespace cluster of three
# nodes with mosix-infod and mosix-migd: a node booted at night is in the
# night's mode, by day in the day's, over a weekend in the night's; it
# switches by itself; mosctl status and mode show the next switch; a
# half-duplex node refuses a guest, in server mode only servers take one;
# a node with a guest switched to half-duplex sends it home, where it runs
# on and exits normally; reloads keep mosctl mode's choice until
# mosix.conf's mode changes.
set -u
here=$(dirname "$0")
. "$here/../lib/tap.sh"
root=$(cd "$here/../.." && pwd)
out=$(realpath -m -- "${MOSIX_OUT:-$root/out}")
bin=$(realpath -m -- "${MOSIX_BIN:-$out/asan/bin}")
progs=$out/asan/tests/progs
work=$(mktemp -d)
export MOSIX_CLUSTER_NO_TRAP=1
cleanup() {
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

[ -x "$bin/mosix-pool-generator" ] || { echo "Bail out! no $bin/mosix-pool-generator"; exit 1; }
# every time below is UTC, as the nodes read it
export TZ=UTC
# Monday 2026-11-23 00:00:00 UTC, and hours and days from it
MON=1795392000
H=3600
D=86400
gen() { "$bin/mosix-pool-generator" "$@"; }

# --- the generator --------------------------------------------------------------------

export MOSIX_CONFIG_DIR=$work/etc MOSIX_RUN_DIR=$work/run
mkdir -p "$work/etc" "$work/run"
gen --help | head -n 1 | grep -q '^usage: mosix-pool-generator'
ok $? "--help starts with the usage"
for args in "" "a b" "--now 5 a" "--check a" "--now x --check" "--frob a"; do
	# shellcheck disable=SC2086 # word splitting wanted
	gen $args >/dev/null 2>&1
	is "$?" 2 "usage error: mosix-pool-generator $args"
done

# no mosix.conf, no pool.conf: the default schedule, not wanted (mode single)
mkdir -p "$work/g1/n" "$work/g1/e" "$work/g1/l"
gen "$work/g1/n" "$work/g1/e" "$work/g1/l"
is "$?" 0 "generator with the defaults: exit 0"
is "$(cd "$work/g1" && find . | sort | tr '\n' ' ')" \
	". ./e ./l ./n ./n/mosix-pool-day.timer ./n/mosix-pool-night.timer " \
	"two timers in the first directory, not wanted by mosix.target"
is "$(sed -n 's/^OnCalendar=//p' "$work/g1/n/mosix-pool-day.timer")" "Mon..Fri *-*-* 08:00:00" \
	"the day begins Mon..Fri at 08:00"
is "$(sed -n 's/^OnCalendar=//p' "$work/g1/n/mosix-pool-night.timer")" "Mon..Fri *-*-* 18:00:00" \
	"the night at 18:00"
is "$(grep -E '^(Persistent|Unit)=' "$work/g1/n/mosix-pool-night.timer" | tr '\n' ' ')" \
	"Persistent=false Unit=mosix-pool@night.service " "not persistent, starting mosix-pool@night"

# adaptive, and a schedule of our own: nights past midnight, weekends
printf 'mode = adaptive\n' >"$work/etc/mosix.conf"
printf '# ours\nday = mon-fri 7:30\nday_mode = half-duplex\nnight=Mon..Thu,Sun 22:15:30\nnight_mode = single\n' \
	>"$work/etc/pool.conf"
mkdir -p "$work/g2"
gen "$work/g2"
is "$?" 0 "generator with one directory (by hand), mode adaptive: exit 0"
is "$(readlink "$work/g2/mosix.target.wants/mosix-pool-day.timer") $(readlink "$work/g2/mosix.target.wants/mosix-pool-night.timer")" \
	"../mosix-pool-day.timer ../mosix-pool-night.timer" "both timers wanted by mosix.target"
gen "$work/g2"
is "$?" 0 "a second run in the same directory: exit 0"
day=$(sed -n 's/^OnCalendar=//p' "$work/g2/mosix-pool-day.timer")
night=$(sed -n 's/^OnCalendar=//p' "$work/g2/mosix-pool-night.timer")
is "$day|$night" "Mon..Fri *-*-* 07:30:00|Mon..Thu,Sun *-*-* 22:15:30" "in systemd's normal form"

if command -v systemd-analyze >/dev/null; then
	# the same instants as systemd's, from a Friday night and a Sunday noon
	for t in $((MON + 4 * D + 23 * H)) $((MON + 6 * D + 12 * H)) $((MON + 7 * H)); do
		c=$(gen --check --now "$t")
		for p in day night; do
			e=${!p}
			s=$(systemd-analyze calendar --base-time="@$t" "$e" 2>&1)
			ok $? "systemd-analyze calendar '$e'"
			is "$(echo "$s" | sed -n 's/^Normalized form: //p')" "$e" "systemd's normal form is ours"
			want=$(echo "$s" | sed -n 's/^ *Next elapse: //p')
			is "$(echo "$c" | sed -n "s/^  $p: .*, next //p")" "$want" \
				"from $(date -d "@$t" '+%a %H:%M'), the $p begins next at $want, as systemd says"
		done
	done
	# verify: the generated timers, with the service they start
	mkdir -p "$work/units"
	cp "$work/g2/"*.timer "$root/config/systemd/mosix.target" "$work/units/"
	# the packages install mosctl in /usr/bin; here it is the build's
	sed "s|/usr/bin/mosctl|$bin/mosctl|" "$root/config/systemd/mosix-pool@.service" \
		>"$work/units/mosix-pool@.service"
	v=$(cd "$work/units" && systemd-analyze verify --man=no ./mosix-pool-day.timer \
		./mosix-pool-night.timer ./mosix-pool@.service 2>&1)
	ok $? "systemd-analyze verify: the timers and mosix-pool@.service"
	is "$v" "" "with nothing to say"
else
	skip "no systemd-analyze (package systemd)"
fi

is "$(gen --check --now $((MON + 4 * D + 23 * H)) | tail -n 1)" \
	"at Fri 2026-11-27 23:00:00 UTC: day, half-duplex since Fri 2026-11-27 07:30:00 UTC; next switch: single at Sun 2026-11-29 22:15:30 UTC" \
	"--check: no night on Friday: its day lasts until Sunday night"
is "$(gen --check --now $((MON + 3 * D + 23 * H)) | tail -n 1)" \
	"at Thu 2026-11-26 23:00:00 UTC: night, single since Thu 2026-11-26 22:15:30 UTC; next switch: half-duplex at Fri 2026-11-27 07:30:00 UTC" \
	"--check: a night past midnight"
is "$(gen --check --now $((MON + 6 * D + 23 * H)) | tail -n 1)" \
	"at Sun 2026-11-29 23:00:00 UTC: night, single since Sun 2026-11-29 22:15:30 UTC; next switch: half-duplex at Mon 2026-11-30 07:30:00 UTC" \
	"--check: Sunday's night begins at 22:15:30"
is "$(gen --check --now $((MON + 7 * D + 8 * H)) | sed -n 4p)" \
	"mosix.conf's mode: adaptive (the timers are wanted by mosix.target)" "--check: the timers are wanted"

# a bad pool.conf: every error with its file and line, nothing written
printf 'day = Mon..Fry 08:00\nday_mode = adaptive\nnight = Mon..Fri 25:00\ndusk = 17:00\nnight = Fri..Mon 18:00\n' \
	>"$work/etc/pool.conf"
want="$work/etc/pool.conf:1: day: 'Fry' is not a weekday (Mon, Tue, ... Sun)
$work/etc/pool.conf:2: day_mode: 'adaptive' is not one of single|server|half-duplex
$work/etc/pool.conf:3: night: '25:00' is not a time HH:MM[:SS] (hours 0..23, minutes and seconds 0..59)
$work/etc/pool.conf:4: unknown key 'dusk' (pool.conf has day, day_mode, night and night_mode)
$work/etc/pool.conf:5: 'night' is already set at line 3"
mkdir -p "$work/g3"
gen "$work/g3" 2>"$work/err"
is "$?" 1 "generator with a bad pool.conf: exit 1"
is "$(head -n 5 "$work/err")" "$want" "every error as FILE:LINE"
is "$(tail -n 1 "$work/err")" "mosix-pool-generator: no timers for the adaptive mode: fix the errors above" \
	"and why nothing was made"
is "$(find "$work/g3" -mindepth 1 | wc -l)" 0 "nothing written"
printf '1 127.0.0.1 1\n' >"$work/etc/mosix.map"
"$bin/setpe" -c 2>"$work/err"
is "$?" 1 "setpe -c checks pool.conf too: exit 1"
is "$(cat "$work/err")" "$want" "with the same errors"
"$bin/mosix-infod" --node 1 2>"$work/err" &
wait $!
is "$?" 1 "mosix-infod does not start with a bad pool.conf"
like "$(cat "$work/err")" "pool\\.conf:3: night: '25:00' is not a time" "and says why, FILE:LINE"
printf 'night = Fri..Mon 18:00\n' >"$work/etc/pool.conf"
"$bin/setpe" -c 2>"$work/err"
is "$(cat "$work/err")" "$work/etc/pool.conf:1: night: the range Fri..Mon goes backwards: weeks run Mon..Sun (write Mon,Fri..Sun)
$work/etc/pool.conf:1: 'night' is set but 'day' is not: give both, when the day and when the night begins" \
	"a range backwards, a night without a day"
printf 'mode = server\n' >"$work/etc/mosix.conf"
rm "$work/etc/pool.conf"
"$bin/setpe" -c 2>"$work/err"
is "$(cat "$work/err")" "$work/etc/mosix.conf:1: the server mode needs 'servers', the nodes that take guests: none are listed" \
	"server mode without servers"
printf 'mode = single\nservers = 1-8 x\n' >"$work/etc/mosix.conf"
"$bin/setpe" -c 2>"$work/err"
is "$(cat "$work/err")" "$work/etc/mosix.conf:2: servers: 'x' is not a node id or a range of ids FIRST-LAST (ids are 1..65535)" \
	"a bad servers list"
unset MOSIX_CONFIG_DIR MOSIX_RUN_DIR

# --- on a cluster ---------------------------------------------------------------------

cluster_tests() {
	# shellcheck source=../harness/cluster.sh
	. "$here/../harness/cluster.sh" || return 1
	# shellcheck source=../lib/migd_cluster.sh
	. "$here/../lib/migd_cluster.sh" || return 1
	# shellcheck source=../lib/infod_cluster.sh
	. "$here/../lib/infod_cluster.sh" || return 1
	make -C "$root/tests" --no-print-directory -s O="$out/asan" progs >&2 ||
		{ echo "Bail out! cannot build the programs of tests/progs"; exit 1; }
	migd_cluster_up 3 || { echo "Bail out! no cluster"; exit 1; }
	local d1 d2 d3 k conf
	d1=$(cluster_dir 1)
	d2=$(cluster_dir 2)
	d3=$(cluster_dir 3)
	for k in 1 2 3; do
		conf="${INFOD_CONF}servers = 3"$'\n'
		[ "$k" = 1 ] && conf+="mode = adaptive"$'\n'
		printf '%s' "$conf" >"$(cluster_dir "$k")/etc/mosix/mosix.conf"
	done
	cp "$root/config/pool.conf" "$d1/etc/mosix/"
	# a counter: a line every 0.1 s, then exit status 5
	printf '%s' 'import sys, time
for i in range(int(sys.argv[1])):
    print("line", i, flush=True)
    time.sleep(0.1)
sys.exit(5)
' >"$d1/tmp/counter.py"
	n() { local k=$1; shift; cluster_exec "$k" "$bin/mosctl" "$@"; }
	mode_of() { cat "$(cluster_dir "$1")/run/mosix/admin/mode"; }
	pool_key() { sed -n "s/^$2=//p" "$(cluster_dir "$1")/run/mosix/admin/pool"; }
	# shellcheck disable=SC2016 # the node's $TZ
	is "$(cluster_exec 1 sh -c 'echo $TZ')" UTC "(the nodes' clocks read UTC)"

	# booted on Monday at 07:00: the weekend's night
	if ! infod_start 1 --now $((MON + 7 * H)) || ! infod_start 2 || ! infod_start 3; then
		echo "Bail out! no mosix-infod"
		exit 1
	fi
	is "$(n 1 mode)" "mode: adaptive, now single (night since 2026-11-20 18:00:00 UTC); next switch: half-duplex at 2026-11-23 08:00:00 UTC (1795420800)" \
		"booted at night: the night's mode, single, until 08:00"
	is "$(mode_of 1) $(pool_key 1 guests)" "single 1" "admin/mode single, admin/pool: takes guests"
	infod_kill 1 TERM
	# booted by day
	infod_start 1 --now $((MON + 10 * H))
	is "$(n 1 status | tail -n 1)" "mode: adaptive, now half-duplex (day since 2026-11-23 08:00:00 UTC), takes no guests (half-duplex mode); next switch: single at 2026-11-23 18:00:00 UTC (1795456800)" \
		"booted by day: half-duplex until 18:00, as mosctl status says"
	is "$(mode_of 1) $(pool_key 1 guests) $(pool_key 1 next)" "half-duplex 0 1795456800" \
		"admin/mode half-duplex; admin/pool: no guests, next switch"
	ok "$(infod_wait 10 has_flag 2 1 noguests; echo $?)" "node 2 sees node 1 take no guests"
	is "$(n 2 status --json | python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["pool"]["effective"], [x["flags"] for x in d["nodes"] if x["id"] == 1][0])')" \
		"single ['noguests']" "status --json: node 2's own pool, node 1's flag"

	# a half-duplex node refuses a guest; the process runs on at home
	run_at 2 p1 "$progs/plain" 60
	local sh1=$! pid out
	pid=$(node_pid 2 p1)
	out=$(cluster_exec 2 "$bin/migrate" "$pid" 1 2>&1)
	is "$?" 1 "migrate to the half-duplex node 1: refused"
	like "$out" "the node takes no guests \\(half-duplex mode\\)" "with the reason"
	cluster_exec 2 kill -0 "$pid"
	ok $? "the process runs on at home"
	cluster_exec 2 kill "$pid"
	wait "$sh1"

	# a weekend; then a switch that the daemon makes by itself
	is "$(n 1 mode adaptive --now $((MON + 5 * D + 12 * H)))" \
		"mode: adaptive, now single (night since 2026-11-27 18:00:00 UTC); next switch: half-duplex at 2026-11-30 08:00:00 UTC (1796025600)" \
		"on Saturday: the night's mode until Monday 08:00"
	n 1 mode adaptive --now $((MON + 8 * H - 2)) >/dev/null
	is "$(mode_of 1)" single "two seconds before 08:00: single"
	ok "$(infod_wait 6 sh -c "grep -qx half-duplex '$d1/run/mosix/admin/mode'"; echo $?)" \
		"at 08:00 mosix-infod switches to half-duplex by itself"
	like "$(cat "$d1/tmp/infod.log")" "pool mode adaptive: half-duplex \\(day\\), takes no guests" \
		"and logs it"

	# server mode: only servers (node 3) take guests
	is "$(n 1 mode single)" "mode: single (set by mosctl mode; mosix.conf: adaptive)" "node 1: single"
	is "$(n 2 mode server)" "mode: server (set by mosctl mode; mosix.conf: single), takes no guests (server mode: node 2 is not a server)
no guests to send home" "node 2 in server mode is no server: no guests"
	is "$(n 3 mode server)" "mode: server (set by mosctl mode; mosix.conf: single)" "node 3 is a server"
	ok "$(infod_wait 10 has_flag 1 2 noguests; echo $?)" "node 1 sees node 2 take no guests"
	run_at 1 p2 python3 /tmp/counter.py 40
	local sh2=$! pid2
	pid2=$(node_pid 1 p2)
	# python3 runs (the shell before it would come home to exec it)
	wait_for 5 grep -q '^line 1' "$d1/tmp/p2.out"
	out=$(cluster_exec 1 "$bin/migrate" "$pid2" 2 2>&1)
	is "$?" 1 "migrate to node 2, a client: refused"
	like "$out" "the node takes no guests \\(server mode: node 2 is not a server\\)" "with the reason"
	cluster_exec 1 "$bin/migrate" "$pid2" 3
	ok $? "migrate to node 3, a server: it takes it"
	wait_for 3 guest_of 3 "$pid2" >/dev/null
	ok $? "node 3 hosts the guest"

	# node 3 turns half-duplex: the guest goes home and finishes there
	out=$(n 3 mode half-duplex)
	is "$?" 0 "mode half-duplex on node 3 with a guest: exit 0"
	is "$out" "mode: half-duplex (set by mosctl mode; mosix.conf: single), takes no guests (half-duplex mode)
1 guest sent home" "and it says that one guest went home"
	test -z "$(ls "$d3/run/mosix/guests/")"
	ok $? "node 3 hosts no guest any more"
	wait_for 3 grep -qx here "$d1/run/mosix/proc/$pid2/where"
	ok $? "the process runs at home again"
	wait "$sh2"
	is "$?:$(grep -c '^line' "$d1/tmp/p2.out")" "5:40" "and ends normally there: all its output, its exit status"

	# without mosix-migd, nothing is sent
	migd_kill 2
	is "$(n 2 mode half-duplex)" "mode: half-duplex (set by mosctl mode; mosix.conf: single), takes no guests (half-duplex mode)
no guests to send home: mosix-migd is not running" "mode without mosix-migd: nothing to send home"

	# reloads: mosctl mode's choice stays until mosix.conf's mode changes
	local ipid
	ipid=$(cluster_exec 2 pgrep -x mosix-infod)
	cluster_exec 2 kill -HUP "$ipid"
	infod_wait 5 grep -q 'reloaded' "$d2/tmp/infod.log"
	is "$(pool_key 2 mode)/$(pool_key 2 configured)" "half-duplex/single" "a reload keeps mosctl mode's choice"
	printf '%smode = server\nservers = 3\n' "$INFOD_CONF" >"$d2/etc/mosix/mosix.conf"
	cluster_exec 2 kill -HUP "$ipid"
	ok "$(infod_wait 5 sh -c "grep -qx mode=server '$d2/run/mosix/admin/pool'"; echo $?)" \
		"a reload with another mode in mosix.conf applies it"
	printf '%smode = single\n' "$INFOD_CONF" >"$d2/etc/mosix/mosix.conf"
	cluster_exec 2 kill -HUP "$ipid"
	infod_wait 5 sh -c "grep -qx mode=single '$d2/run/mosix/admin/pool'"
	out=$(n 2 mode server 2>&1)
	is "$?" 1 "mode server with no servers listed: exit 1"
	is "$out" "mosctl: mode: the server mode needs 'servers' in mosix.conf, the nodes that take guests: none are listed" \
		"and says why"
	printf 'day = 08:00\n' >"$d2/etc/mosix/pool.conf"
	cluster_exec 2 kill -HUP "$ipid"
	ok "$(infod_wait 5 grep -q "reload failed" "$d2/tmp/infod.log"; echo $?)" "a bad pool.conf: the reload fails"
	like "$(cat "$d2/tmp/infod.log")" "/etc/mosix/pool\\.conf:1: 'day' is set but 'night' is not" \
		"and the log names FILE:LINE"
	is "$(pool_key 2 mode)" single "the mode in use stays"

	# usage, and who may
	for args in "mode sometimes" "mode single extra" "mode single --now x" "mode --now 5"; do
		# shellcheck disable=SC2086 # word splitting wanted
		n 1 $args >/dev/null 2>&1
		is "$?" 2 "usage error: mosctl $args"
	done
	out=$(cluster_exec 1 setpriv --reuid=65534 --regid=65534 --clear-groups "$bin/mosctl" mode half-duplex 2>&1)
	is "$?" 1 "mode as an ordinary user: exit 1"
	like "$out" "^mosctl: mode: .*only root" "only root may"
	like "$(cluster_exec 1 setpriv --reuid=65534 --regid=65534 --clear-groups "$bin/mosctl" mode)" \
		"^mode: single " "anyone may see the mode"
	cluster_down
}

if [ "$(id -u)" -ne 0 ]; then
	skip "the cluster tests need root (namespaces, ptrace)"
else
	cluster_tests
fi

echo "1..$_tap_n"
