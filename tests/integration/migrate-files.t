#!/usr/bin/env bash
# The files a process maps that the other side has too, byte for byte, do
# not travel: the guest maps the node's copy, and only the pages the
# process changed go (engine/mig_files.h); so on the way on (node to node,
# through home) and home. A first move hashes the files on both sides
# before the process stops (WARM), not while it is frozen, and so does a
# move on: home lists them to the next node first. python3 maps
# three files of 3 pages privately, changes a byte of one, and prints a
# digest of each mapping at home, on node 2, on node 3 and home again. Each node has its own /tmp:
#   same.bin  identical on every node: each guest maps its node's copy,
#             home maps its own again, and the changed page (copy-on-write)
#             goes with the process
#   diff.bin  node 2's has other bytes of the same length: not used there,
#             nor further on (node 2 holds it as bytes, not as a file)
#   open.bin  identical, but anyone may write it: never used
# The digests must not change on the way; python3's own program and libc
# are mapped from the nodes' files too, so the first move sends less than
# the process's file mappings weigh (before, every page of them went), and
# back home they are file mappings again, not anonymous memory.
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

plan 22
migd_cluster_up 3 || { echo "Bail out! no cluster"; exit 1; }
d1=$(cluster_dir 1)
d2=$(cluster_dir 2)
d3=$(cluster_dir 3)

# 3 pages; node 2's diff.bin has the bytes reversed
mkfile() { python3 -c 'import sys; b = bytes(range(256)) * 48
sys.stdout.buffer.write(b[::-1] if sys.argv[1] == "rev" else b)' "$1" >"$2"; chmod "$3" "$2"; }
mkfile fwd "$d1/tmp/same.bin" 0644
mkfile fwd "$d2/tmp/same.bin" 0644
mkfile fwd "$d1/tmp/diff.bin" 0644
mkfile rev "$d2/tmp/diff.bin" 0644
mkfile fwd "$d1/tmp/open.bin" 0666
mkfile fwd "$d2/tmp/open.bin" 0666
mkfile fwd "$d3/tmp/same.bin" 0644
mkfile fwd "$d3/tmp/diff.bin" 0644
mkfile fwd "$d3/tmp/open.bin" 0666

cat >"$d1/tmp/files.py" <<'PY'
import hashlib, mmap, os, time

def private(path):
    with open(path, "rb") as f:
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)

maps = {n: private("/tmp/%s.bin" % n) for n in ("same", "diff", "open")}
maps["same"][4096:4097] = b"Z"

def say(where):
    print(where, " ".join("%s=%s" % (n, hashlib.sha256(maps[n][:]).hexdigest()[:16])
                          for n in sorted(maps)), flush=True)

say("home")
for step in ("away", "on", "back"):
    while not os.path.exists("/tmp/go-" + step):
        time.sleep(0.05)
    say(step)
PY
run_at 1 files python3 /tmp/files.py
pid=$(node_pid 1 files python3)
wait_for 10 grep -q '^home ' "$d1/tmp/files.out"
# what its file mappings weigh: every page of them went before
filemib=$(cluster_exec 1 python3 -c 'import sys
s = 0
for l in open(sys.argv[1]):
    f = l.split()
    if f[4] != "0":
        a, b = (int(x, 16) for x in f[0].split("-"))
        s += b - a
print("%.1f" % (s / 1048576))' "/proc/$pid/maps")
cluster_exec 1 "$bin/migrate" "$pid" 2
ok $? "python3 moved to node 2"
g=$(guest_of 2 "$pid")
ok $? "node 2 hosts its guest (pid ${g:-none} there)"
gmaps=$(cluster_exec 2 cat "/proc/${g:-0}/maps")
echo "$gmaps" | grep -q ' /tmp/same\.bin$'
ok $? "the guest maps node 2's same.bin"
! echo "$gmaps" | grep -q ' /tmp/diff\.bin$'
ok $? "not node 2's diff.bin, whose bytes differ"
! echo "$gmaps" | grep -q ' /tmp/open\.bin$'
ok $? "nor open.bin, which anyone may write"
echo "$gmaps" | grep -q '/libc\.so\.6$'
ok $? "and node 2's libc"
sent=$(sed -n "s/.*process $pid runs on node 2: \([0-9.]*\) MiB.*/\1/p" "$d1/tmp/migd.log" | tail -1)
awk -v s="${sent:-999}" -v f="${filemib:-0}" 'BEGIN { exit !(s < f) }'
ok $? "the move sent ${sent:-?} MiB, less than its file mappings' ${filemib:-?} MiB"
[ -n "$(ls "$d1/run/mosix/files" 2>/dev/null)" ] && [ -n "$(ls "$d2/run/mosix/files" 2>/dev/null)" ]
ok $? "each node keeps the hashes it made, for the next move"
# a first move: both sides hash what they lack (WARM) while it still runs
for k in 1 2; do
	hl=$(grep "process $pid.*: hashed" "$(cluster_dir "$k")/tmp/migd.log" | tail -1)
	[[ $hl =~ hashed\ ([0-9]+)\ KiB\ of\ its\ files\ before\ its\ stop,\ 0\ KiB\ while ]] &&
		((BASH_REMATCH[1] > 0))
	ok $? "node $k hashed its files before the stop, none while stopped: ${hl#*: }"
done

# digests_after NAME: let the program read its mappings again
# (/tmp/go-NAME), and print the digests it wrote then
digests_after() {
	touch "$d1/tmp/go-$1"
	wait_for 15 grep -q "^$1 " "$d1/tmp/files.out"
	sed -n "s/^$1 //p" "$d1/tmp/files.out"
}
away=$(digests_after away)
home=$(sed -n 's/^home //p' "$d1/tmp/files.out")
diag "home: $home"
diag "away: $away"
[ -n "$home" ] && [ "$home" = "$away" ]
ok $? "on node 2 every mapping reads as at home, the changed byte too"
# the digests themselves: the changed byte is in same.bin's
want_same=$(python3 -c 'import hashlib; b = bytearray(bytes(range(256)) * 48); b[4096] = 90
print(hashlib.sha256(b).hexdigest()[:16])')
echo "$home" | grep -q "same=$want_same"
ok $? "same.bin read as home's bytes with the process's change"

# on to node 3, the image relayed through home: node 3 has all three
cluster_exec 1 "$bin/migrate" "$pid" 3
ok $? "on to node 3"
# home listed the files to node 3 before node 2 stopped the guest
hl=$(grep "process $pid.*: hashed" "$d3/tmp/migd.log" | tail -1)
[[ $hl =~ hashed\ ([0-9]+)\ KiB\ of\ its\ files\ before\ its\ stop,\ 0\ KiB\ while ]] &&
	((BASH_REMATCH[1] > 0))
ok $? "node 3 hashed its files before the stop, none while stopped: ${hl#*: }"
g3=$(guest_of 3 "$pid")
gmaps=$(cluster_exec 3 cat "/proc/${g3:-0}/maps")
echo "$gmaps" | grep -q ' /tmp/same\.bin$'
ok $? "the guest on node 3 maps node 3's same.bin"
! echo "$gmaps" | grep -q -e ' /tmp/open\.bin$' -e ' /tmp/diff\.bin$'
ok $? "not open.bin, nor diff.bin, which node 2 held as bytes (its own differs)"
on=$(digests_after on)
[ -n "$on" ] && [ "$on" = "$home" ]
ok $? "on node 3 every mapping reads as at home"

cluster_exec 1 "$bin/migrate" "$pid" home
ok $? "back home"
hmaps=$(cluster_exec 1 cat "/proc/$pid/maps")
echo "$hmaps" | grep -q ' /tmp/same\.bin$' && echo "$hmaps" | grep -q '/libc\.so\.6$'
ok $? "at home same.bin and libc are mappings of home's files again"
! echo "$hmaps" | grep -q -e ' /tmp/open\.bin$' -e ' /tmp/diff\.bin$'
ok $? "open.bin and diff.bin, which came as bytes, are anonymous memory now"
back=$(digests_after back)
[ -n "$back" ] && [ "$back" = "$home" ]
ok $? "and at home again, the same ($back)"
wait_for 10 sh -c "! kill -0 $pid 2>/dev/null || ! cluster_exec 1 test -d /proc/$pid"
[ ! -s "$d1/tmp/files.err" ]
ok $? "python3 said nothing on stderr$( [ -s "$d1/tmp/files.err" ] && echo ": $(head -c 300 "$d1/tmp/files.err")")"
