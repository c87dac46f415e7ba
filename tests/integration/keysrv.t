#!/usr/bin/env bash
# The netboot key service, mosix-keysrv and mosix-keyget, on loopback in a
# network namespace of its own: a node in the range gets the head's key,
# map and mosix.conf; a node outside the range, without a lease or with a
# MAC not allowed is refused with the reason; a client trusts only the
# server's signature; the key is never in the clear on the wire; malformed
# datagrams leave the server answering.
set -u
here=$(dirname "$0")
. "$here/../lib/tap.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (a network namespace)"
	exit 0
fi
# own network namespace: nothing leaves loopback, no port is shared
if [ -z "${KEYSRV_T_NETNS:-}" ]; then
	KEYSRV_T_NETNS=1 exec unshare --net -- "$0" "$@"
fi
ip link set lo up
bin=${MOSIX_BIN:-$here/../../out/asan/bin}
tmp=$(mktemp -d)
srv=''
cleanup() {
	[ -z "$srv" ] || kill "$srv" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
plan 30

head=$tmp/head
node=$tmp/node
mkdir -p "$head/run" "$node"
export MOSIX_CONFIG_DIR=$head MOSIX_RUN_DIR=$head/run
printf '1 127.0.0.1 1\n' >"$head/mosix.map"
printf 'info_port = 5650\n' >"$head/mosix.conf"
"$bin/mosctl" genkey >/dev/null 2>&1

out=$("$bin/mosix-keysrv" --help)
like "$out" "^usage: mosix-keysrv" "mosix-keysrv --help"
"$bin/mosix-keysrv" --genkey >/dev/null
ok $? "--genkey makes the signing key pair"
is "$(stat -c %a "$head/keysrv.key") $(stat -c %a "$head/keysrv.key.pub")" "600 644" \
	"the secret half is 0600, the public half 0644"
"$bin/mosix-keysrv" --genkey >/dev/null 2>&1
is $? 1 "--genkey never replaces a key pair"
"$bin/mosix-keysrv" -p 15652 >/dev/null 2>&1
is $? 2 "no range is a usage error"
chmod 640 "$head/keysrv.key"
err=$("$bin/mosix-keysrv" -r 127.0.0.1 -p 15652 2>&1)
is $? 1 "a signing key others may read is refused"
like "$err" "open to other users" "... saying why"
chmod 600 "$head/keysrv.key"

start() {
	[ -z "$srv" ] || { kill "$srv"; wait "$srv" 2>/dev/null; }
	"$bin/mosix-keysrv" -p 15652 "$@" 2>>"$tmp/srv.log" &
	srv=$!
	for _ in $(seq 50); do
		ss -Hlun 'sport = :15652' | grep -q . && return 0
		sleep 0.1
	done
	return 1
}
get() {
	rm -f "$node"/*
	MOSIX_CONFIG_DIR=$node "$bin/mosix-keyget" -s 127.0.0.1 -p 15652 -t 1 -n 2 \
		-P "$head/keysrv.key.pub" "$@" 2>"$tmp/get.err"
}

start -r 127.0.0.1
ok $? "the server listens"
get
ok $? "a node in the range gets an answer"
cmp -s "$head/secret" "$node/secret" && cmp -s "$head/mosix.map" "$node/mosix.map" &&
	cmp -s "$head/mosix.conf" "$node/mosix.conf"
ok $? "... with the head's key, map and mosix.conf"
is "$(stat -c %a "$node/secret")" 600 "... the key written 0600"
printf '1 127.0.0.1 2\n' >"$head/run/mosix.map"
get
is "$(cat "$node/mosix.map")" "1 127.0.0.1 2" "the active map (setpe -w's) wins over the admin's"

get -P "$head/mosix.map" 2>/dev/null
is $? 1 "an unreadable public key file fails"
mkdir -p "$tmp/other"
rm -f "$node"/*
MOSIX_CONFIG_DIR=$tmp/other "$bin/mosix-keysrv" --genkey >/dev/null
MOSIX_CONFIG_DIR=$node "$bin/mosix-keyget" -s 127.0.0.1 -p 15652 -t 1 -n 1 \
	-P "$tmp/other/keysrv.key.pub" 2>"$tmp/get.err"
is $? 5 "an answer signed by another key is not trusted (exit 5)"
like "$(cat "$tmp/get.err")" "signature is not the server's" "... and says so"
test ! -e "$node/secret"
ok $? "... and nothing is written"

# the key is not on the wire: a request with a throw-away key, the answer read raw
python3 - "$head/secret" >"$tmp/wire" <<'PY'
import os, socket, sys
key = bytes.fromhex(open(sys.argv[1]).read().strip())
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
req = b"MXKQ\x01\x01\x00\x40" + os.urandom(32) + os.urandom(24)
s.sendto(req, ("127.0.0.1", 15652))
ans = s.recv(70000)
print(len(ans), key in ans, key.hex().encode() in ans, ans[:4] == b"MXKA")
PY
like "$(cat "$tmp/wire")" "^[0-9]+ False False True$" "the answer holds the key neither raw nor in hex"

start -r 10.0.0.0/24
get
is $? 4 "a node outside the range is refused (exit 4)"
like "$(cat "$tmp/get.err")" "outside the netboot range" "... with the reason"

now=$(date +%s)
printf '%s 52:54:00:00:00:01 127.0.0.2 x *\n' "$((now + 600))" >"$tmp/leases"
start -r 127.0.0.1 -l "$tmp/leases"
get
is $? 4 "an address without a lease is refused"
like "$(cat "$tmp/get.err")" "no current DHCP lease" "... with the reason"
printf '%s 52:54:00:00:00:02 127.0.0.1 x *\n' "$((now - 5))" >>"$tmp/leases"
get
is $? 4 "an expired lease is refused"
printf '%s 52:54:00:00:00:03 127.0.0.1 x *\n' "$((now + 600))" >>"$tmp/leases"
get
ok $? "a current lease is answered (the lease file is read at each request)"
printf '52:54:00:00:00:09 # another\n' >"$tmp/macs"
start -r 127.0.0.1 -l "$tmp/leases" -m "$tmp/macs"
get
like "$(cat "$tmp/get.err")" "MAC address is not allowed" "a MAC not in the allow-list is refused"
echo 52:54:00:00:00:03 >>"$tmp/macs"
get
ok $? "a MAC in the allow-list is answered"

# malformed datagrams: dropped, counted, and the server still answers
python3 - <<'PY'
import os, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
d = ("127.0.0.1", 15652)
for m in [b"", b"M", b"MXKQ", b"MXKQ\x02\x01\x00\x40" + bytes(56), b"MXKQ\x01\x01\x00\x40" + bytes(57),
          b"MXKQ\x01\x02\x00\x40" + bytes(56), os.urandom(64), os.urandom(60000)]:
    s.sendto(m, d)
for _ in range(300):
    s.sendto(os.urandom(64), d)
PY
get
ok $? "after 308 malformed datagrams the server still answers"
kill -0 "$srv"
ok $? "... and still runs"
like "$(cat "$tmp/srv.log")" "dropped a malformed request" "... and logged the drops"

kill "$srv"
wait "$srv"
is $? 0 "SIGTERM stops it with status 0"
srv=''
get
is $? 3 "with no server the client says so (exit 3)"
