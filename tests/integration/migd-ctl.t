#!/usr/bin/env bash
# mosix-migd's control socket is open to every local user; one who
# connects and says nothing must stop no one else: with eight silent
# clients connected, a migrate request is answered at once, the silent
# ones are dropped within about 2 s, and more of them than there is room
# for push out the oldest, never the daemon.
set -u
here=$(dirname "$0")
. "$here/../lib/tap.sh"
. "$here/../harness/cluster.sh"
. "$here/../lib/migd_cluster.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (namespaces, ptrace)"
	exit 0
fi
migd_progs

plan 7
migd_cluster_up 2 || { echo "Bail out! no cluster"; exit 1; }
d1=$(cluster_dir 1)

# silent N SECS TAG: N connections to migd.sock, as nobody, that send
# nothing; prints "open" once all are connected, then for each the seconds
# until migd closed it (or "held" after SECS)
cat >"$d1/tmp/silent.py" <<'EOF'
import socket, sys, time
n, secs = int(sys.argv[1]), float(sys.argv[2])
socks = []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect("/run/mosix/migd.sock")
    socks.append(s)
t0 = time.monotonic()
print("open", flush=True)
for s in socks:
    s.settimeout(max(0.01, secs - (time.monotonic() - t0)))
    try:
        s.recv(1)
        print("%.1f" % (time.monotonic() - t0), flush=True)
    except socket.timeout:
        print("held", flush=True)
EOF
run_at 1 p "$progs/plain" 60
pid=$(node_pid 1 p)
wait_for 10 grep -q ready "$d1/tmp/p.out"
run_at 1 silent setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 /tmp/silent.py 8 10
wait_for 10 grep -q '^open' "$d1/tmp/silent.out"
ok $? "eight silent clients connected"
t0=$(date +%s%N)
msg=$(cluster_exec 1 "$bin/migrate" "$pid" 2 2>&1)
ok $? "migrate $pid 2 meanwhile${msg:+: $msg}"
ms=$((($(date +%s%N) - t0) / 1000000))
((ms < 1500))
ok $? "answered in $ms ms, not after the silent ones' time"
lines_at_least() { (($(grep -c . "$d1/tmp/$1.out") >= $2)); }
wait_for 12 lines_at_least silent 9
closed=$(grep -cE '^[0-9]' "$d1/tmp/silent.out")
is "$closed" 8 "migd dropped every silent client ($(tr '\n' ' ' <"$d1/tmp/silent.out"))"
late=$(awk '/^[0-9]/ && $1 > 4 { n++ } END { print n + 0 }' "$d1/tmp/silent.out")
is "$late" 0 "each within its 2 s, not one after another"
# more silent clients than room: the daemon goes on answering
run_at 1 many setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 /tmp/silent.py 40 10
wait_for 10 grep -q '^open' "$d1/tmp/many.out"
t0=$(date +%s%N)
msg=$(cluster_exec 1 "$bin/migrate" "$pid" home 2>&1)
ok $? "with forty of them, migrate $pid home is answered${msg:+: $msg}"
ms=$((($(date +%s%N) - t0) / 1000000))
((ms < 1500))
ok $? "in $ms ms"
cluster_exec 1 kill "$pid" 2>/dev/null
