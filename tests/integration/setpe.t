#!/usr/bin/env bash
# setpe -c / -r on real files: exit codes, every error on stderr with its
# FILE:LINE, canonical output, and MOSIX_CONFIG_DIR / MOSIX_RUN_DIR.
set -u
. "$(dirname "$0")/../lib/tap.sh"
bin=${MOSIX_BIN:-${MOSIX_OUT:-$(dirname "$0")/../../out}/bin}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

plan 17

printf '# comment\n1 10.0.0.1 10 # ten\n11 10.0.0.11 5\n20 fd00::1 3\n3 192.168.1.1 alias\n' >"$work/good.map"
"$bin/setpe" -c -f "$work/good.map" >"$work/out" 2>"$work/err"
is "$?" 0 "setpe -c accepts a valid map"
is "$(cat "$work/out" "$work/err")" "" "setpe -c is silent on success"

"$bin/setpe" -r -f "$work/good.map" >"$work/out"
is "$(cat "$work/out")" "$(printf '1 10.0.0.1 15\n20 fd00::1 3\n3 192.168.1.1 ALIAS')" \
	"setpe -r prints the canonical form (ranges merged, aliases last)"

"$bin/setpe" -c -v -p 12 -f "$work/good.map" >"$work/out"
like "$(cat "$work/out")" "18 nodes in 2 ranges, 1 alias" "setpe -c -v counts nodes"
like "$(cat "$work/out")" "this node: 12 \(10.0.0.12\) as given with -p" "setpe -p names this node"

printf '1 10.0.0.1 10\nbogus\n0 10.1.0.1 1\n5 10.2.0.1 1\n7 10.7.0.1 alias\n8 10.0.0.9 1\n' >"$work/bad.map"
"$bin/setpe" -c -f "$work/bad.map" >"$work/out" 2>"$work/err"
is "$?" 1 "setpe -c exits 1 on an invalid map"
expected="$work/bad.map:2: missing field: expected 'ID ADDRESS COUNT' or 'ID ADDRESS ALIAS'
$work/bad.map:3: node id 0 is out of range (ids are 1..65535)
$work/bad.map:4: node id 5 overlaps ids 1..10 of $work/bad.map:1
$work/bad.map:5: alias for node 7, which the map does not list
$work/bad.map:6: node id 8 overlaps ids 1..10 of $work/bad.map:1
$work/bad.map:6: address 10.0.0.9 is already used at $work/bad.map:1"
is "$(cat "$work/err")" "$expected" "every error is reported, in line order, as FILE:LINE: message"
is "$(cat "$work/out")" "" "nothing on stdout for an invalid map"

"$bin/setpe" -c -x >/dev/null 2>"$work/err"
is "$?" 2 "unknown option: exit 2"
like "$(cat "$work/err")" "unknown option '-x'" "unknown option is named"

mkdir -p "$work/etc" "$work/run"
cp "$work/good.map" "$work/etc/mosix.map"
MOSIX_CONFIG_DIR=$work/etc "$bin/setpe" -c
is "$?" 0 "setpe -c reads \$MOSIX_CONFIG_DIR/mosix.map"
MOSIX_RUN_DIR=$work/run "$bin/setpe" -r >/dev/null 2>"$work/err"
is "$?" 1 "setpe -r without an active map fails"
like "$(cat "$work/err")" "no active map: cannot open '$work/run/mosix.map'" "and says where it looked"
printf '2 10.9.9.9 1\n' >"$work/run/mosix.map"
is "$(MOSIX_RUN_DIR=$work/run "$bin/setpe" -r)" "2 10.9.9.9 1" "setpe -r reads \$MOSIX_RUN_DIR/mosix.map"

# mosix.conf beside the default map is checked too, with FILE:LINE errors
printf 'mode = sometimes\ninfo_port = 5650\ncolour = blue\n' >"$work/etc/mosix.conf"
MOSIX_CONFIG_DIR=$work/etc "$bin/setpe" -c 2>"$work/err"
is "$?" 1 "setpe -c fails on a bad mosix.conf"
is "$(cat "$work/err")" "$work/etc/mosix.conf:1: mode: 'sometimes' is not one of single|server|half-duplex|adaptive
$work/etc/mosix.conf:3: unknown key 'colour'" "and names each bad line"
cp "${MOSIX_ROOT:-$(dirname "$0")/../..}/config/mosix.conf" "$work/etc/mosix.conf"
MOSIX_CONFIG_DIR=$work/etc "$bin/setpe" -c
is "$?" 0 "the shipped config/mosix.conf passes setpe -c"
