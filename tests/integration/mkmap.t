#!/usr/bin/env bash
# mosix-mkmap on real files: every input form, normalising a map (a fixed
# point that setpe accepts), merging a map with a dhcp range, every error
# with its FILE:LINE, out of ids, usage errors, and -o writing atomically.
set -u
. "$(dirname "$0")/../lib/tap.sh"
bin=${MOSIX_BIN:-${MOSIX_OUT:-$(dirname "$0")/../../out}/bin}
mkmap=$bin/mosix-mkmap
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

plan 39

# --- every item form on the command line, in order
out=$("$mkmap" 10.0.0.7 10.0.0.1-10.0.0.4 10.0.1.0/30 10.0.2.6/31 fd00::1 \
	'dhcp-range=tag:x,10.0.3.20,10.0.3.10,255.255.255.0,12h' --dhcp-range 10.0.4.1,10.0.4.2)
is "$?" 0 "items on the command line: exit 0"
is "$out" "1 10.0.0.7 1
2 10.0.0.1 4
6 10.0.1.1 2
8 10.0.2.6 2
10 fd00::1 1
11 10.0.3.10 11
22 10.0.4.1 2" "ids in input order; IPv4 blocks skip network and broadcast"

# --- normalising a messy map
cat >"$work/messy.map" <<'EOF'
# a map grown by hand
20  fd00::20 2   # v6 pair
3 10.0.0.3 2
1	10.0.0.1 2
7 192.168.7.1 alias
5 10.0.0.5 1
6 10.0.0.6 4
7 172.16.0.7 ALIAS

12 10.0.0.20 1
EOF
"$mkmap" --map "$work/messy.map" >"$work/canon.map" 2>"$work/err"
is "$?" 0 "--map normalises a valid map"
is "$(cat "$work/canon.map")" "1 10.0.0.1 9
12 10.0.0.20 1
20 fd00::20 2
7 172.16.0.7 ALIAS
7 192.168.7.1 ALIAS" "canonical form: maximal runs sorted by id, then aliases"
is "$(cat "$work/err")" "" "nothing on stderr on success"
again=$("$mkmap" --map /dev/stdin <"$work/canon.map")
is "$again" "$(cat "$work/canon.map")" "the canonical form is a fixed point"
is "$("$mkmap" -m - <"$work/messy.map")" "$(cat "$work/canon.map")" "'-' reads standard input"
"$bin/setpe" -c -f "$work/canon.map"
is "$?" 0 "setpe -c accepts the normalised map"

# --- a dnsmasq configuration (the PXE case)
cat >"$work/dnsmasq.conf" <<'EOF'
# PXE for the mosix nodes
interface=eth1
dhcp-boot=pxelinux.0
dhcp-range = set:nodes, 10.1.0.100, 10.1.0.149, 255.255.255.0, 12h  # rack 1
dhcp-host=52:54:00:00:00:01,10.1.0.50
#dhcp-range=10.9.0.1,10.9.0.9
dhcp-range=tag:eth2,10.2.0.10,10.2.0.19,infinite
dhcp-range=fd00:1::100,fd00:1::10f,64,1h
EOF
out=$("$mkmap" --dnsmasq "$work/dnsmasq.conf")
is "$?" 0 "--dnsmasq reads a dnsmasq configuration"
is "$out" "1 10.1.0.100 50
51 10.2.0.10 10
61 fd00:1::100 16" "every dhcp-range= line, nothing else"

# --- merging a map with a dhcp range keeps ids and fills new ones after
printf '1 10.1.0.100 10\n5 10.8.0.5 alias\n40 10.3.0.1 2\n' >"$work/old.map"
out=$("$mkmap" --map "$work/old.map" 'dhcp-range=10.1.0.95,10.1.0.112' 10.8.0.5)
is "$out" "1 10.1.0.100 10
40 10.3.0.1 2
42 10.1.0.95 5
47 10.1.0.110 3
5 10.8.0.5 ALIAS" "existing ids kept, new addresses above the highest id"
out=$("$mkmap" --map "$work/old.map" --first-id 11 10.1.0.110-10.1.0.112 10.3.0.1 10.3.0.3)
is "$out" "1 10.1.0.100 13
14 10.3.0.3 1
40 10.3.0.1 2
5 10.8.0.5 ALIAS" "--first-id fills from N, duplicates of mapped addresses add nothing"
out=$("$mkmap" --map "$work/old.map" --first-id 39 10.4.0.1-10.4.0.3)
is "$out" "1 10.1.0.100 10
39 10.4.0.1 1
40 10.3.0.1 2
42 10.4.0.2 2
5 10.8.0.5 ALIAS" "used ids are skipped"

# --- --file, with '#' comments and every form
printf '# rack 2\n10.5.0.1\n10.5.0.2-10.5.0.3 # two\n\n10.5.1.0/29\ndhcp-range=10.5.2.1,10.5.2.2\n' >"$work/list"
out=$("$mkmap" --file "$work/list" 10.5.0.1)
is "$out" "1 10.5.0.1 3
4 10.5.1.1 6
10 10.5.2.1 2" "--file reads one item per line; duplicates merged"

# --- errors: all of them, FILE:LINE, exit 1, nothing written
printf '10.6.0.1\n10.6.0.300\n10.6.0.9-10.6.0.1\n10.6.0.0/15\nfd00::/64\n' >"$work/bad.list"
printf 'dhcp-range=10.7.0.1,static\ndhcp-range=::,constructor:eth0\ndhcp-range=10.7.0.1,proxy\ndhcp-range=fd00::1,ra-only\n' >"$work/bad.conf"
printf '1 10.0.0.1 10\nbogus\n' >"$work/bad.map"
"$mkmap" --map "$work/bad.map" --file "$work/bad.list" --dnsmasq "$work/bad.conf" \
	10.0.0.x 10.0.0.1-fd00::1 >"$work/out" 2>"$work/err"
is "$?" 1 "invalid input: exit 1"
is "$(cat "$work/err")" "$work/bad.map:2: missing field: expected 'ID ADDRESS COUNT' or 'ID ADDRESS ALIAS'
$work/bad.list:2: invalid IPv4 address '10.6.0.300'
$work/bad.list:3: range '10.6.0.9-10.6.0.1' is reversed: its first address is above its last
$work/bad.list:4: block '10.6.0.0/15' holds 131070 addresses, more than a map can hold (65535)
$work/bad.list:5: block 'fd00::/64' holds more addresses than a map can hold (65535)
$work/bad.conf:1: static dhcp-range leases no addresses of its own: list the nodes' addresses instead
$work/bad.conf:2: dhcp-range with constructor:eth0 cannot be listed: its addresses come from that interface's prefix
$work/bad.conf:3: proxy dhcp-range leases no addresses: list the nodes' addresses instead
$work/bad.conf:4: dhcp-range has no end address: it leases no addresses (router advertisements only)
<command-line>:7: invalid address '10.0.0.x': address lists take numeric IPv4 or IPv6 addresses
<command-line>:8: range '10.0.0.1-fd00::1' mixes IPv4 and IPv6 addresses" \
	"every error, by input and line; arguments as <command-line>:N"
is "$(cat "$work/out")" "" "nothing on stdout after an error"

# two maps that conflict: map_finish names both places
printf '1 10.0.0.1 4\n' >"$work/a.map"
printf '3 10.9.0.3 1\n9 10.0.0.2 1\n' >"$work/b.map"
"$mkmap" -m "$work/a.map" -m "$work/b.map" 10.0.0.50 >"$work/out" 2>"$work/err"
is "$?" 1 "conflicting maps: exit 1"
is "$(cat "$work/err")" "$work/b.map:1: node id 3 overlaps ids 1..4 of $work/a.map:1
$work/b.map:2: address 10.0.0.2 is already used at $work/a.map:1" \
	"overlapping ids and a shared address, with both FILE:LINE"

"$mkmap" --dnsmasq "$work/none.conf" >/dev/null 2>"$work/err"
is "$?" 1 "a missing file: exit 1"
is "$(cat "$work/err")" "$work/none.conf: cannot open: No such file or directory" "and names it"

# --- out of ids
printf '1 10.0.0.1 65530\n' >"$work/big.map"
"$mkmap" -m "$work/big.map" 10.1.0.0/29 >"$work/out" 2>"$work/err"
is "$?" 1 "more nodes than ids: exit 1"
is "$(cat "$work/err")" "mosix-mkmap: out of node ids: 6 new addresses need ids, but only 5 are free from id 65531 to 65535" \
	"the message gives the counts"
is "$(cat "$work/out")" "" "and writes nothing"

# --- a /16 is fast, even listed twice (sanitised build included)
start=$(date +%s%N)
out=$("$mkmap" 10.20.0.0/16 10.20.0.1-10.20.255.254 | head -c 200)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
is "$out" "1 10.20.0.1 65534" "a /16 is 65534 nodes in one line"
ok "$([ "$ms" -lt 1000 ]; echo $?)" "a /16 takes well under a second (${ms} ms)"

# --- -o writes atomically: a reader of the old file keeps the old map
printf '1 10.30.0.1 1\n' >"$work/live.map"
exec 3<"$work/live.map"
"$mkmap" -o "$work/live.map" 10.30.0.1-10.30.0.5
is "$?" 0 "-o FILE: exit 0"
is "$(cat "$work/live.map")" "1 10.30.0.1 5" "-o writes the new map"
is "$(cat <&3)" "1 10.30.0.1 1" "the old file was replaced by rename, not rewritten in place"
exec 3<&-
is "$(stat -c %a "$work/live.map")" "644" "the map is readable by all (0644)"
"$mkmap" -o "$work/live.map" 10.30.0.999 2>/dev/null
is "$?" 1 "-o with bad input: exit 1"
is "$(cat "$work/live.map")" "1 10.30.0.1 5" "and the installed map is untouched"
is "$(find "$work" -name 'live.map.*' | wc -l)" "0" "no temporary file is left behind"
"$mkmap" -o "$work/nodir/x.map" 10.30.0.1 2>"$work/err"
is "$?" 1 "-o into a missing directory: exit 1"
is "$(cat "$work/err")" "mosix-mkmap: cannot write '$work/nodir/x.map': No such file or directory" "and says why"

# --- usage
"$mkmap" >/dev/null 2>"$work/err"
is "$?" 2 "no input: exit 2"
"$mkmap" --frobnicate 10.0.0.1 >/dev/null 2>"$work/err"
is "$?:$(head -1 "$work/err")" "2:mosix-mkmap: unknown option '--frobnicate'" "unknown option: exit 2, named"
"$mkmap" --first-id 0 10.0.0.1 >/dev/null 2>"$work/err"
is "$?:$(head -1 "$work/err")" "2:mosix-mkmap: invalid first id '0' (ids are 1..65535)" "bad --first-id: exit 2"
"$mkmap" 10.0.0.1 --map >/dev/null 2>"$work/err"
is "$?:$(head -1 "$work/err")" "2:mosix-mkmap: option '--map' needs an argument" "missing option argument: exit 2"
