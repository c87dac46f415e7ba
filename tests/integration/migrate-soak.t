#!/usr/bin/env bash
# Many moves at once: eight real, unmodified programs started under mosrun
# on node 1 (perl and python3 computing, gzip, xz and sha256sum over a file
# only node 1 has, a bash loop that forks, a perl counting SIGUSR1s sent
# from home, a python3 that sleeps in short steps) are moved at random
# between home, node 2 and node 3, by hand, as fast as migrate returns,
# for SOAK_S seconds (45 by default). Each must print what the same
# program printed at home without mosix in the same run; a move refused
# must say why; every node must have hosted guests and have none left.
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

soak_s=${SOAK_S:-45}
progs=(perl python gzip xz sum sh sig nap)
plan $((${#progs[@]} + 6))
migd_cluster_up 3 || { echo "Bail out! no cluster"; exit 1; }
d1=$(cluster_dir 1)

head -c 16000000 /dev/urandom | base64 -w 76 >"$d1/tmp/b64"
cat >"$d1/tmp/loop.pl" <<'EOF'
$| = 1;
my $n = 0;
for my $i (1 .. 300) {
	for my $k (1 .. 300000) { $n = ($n * 31 + $k) % 1000003 }
	print "line $i $n\n";
}
EOF
cat >"$d1/tmp/calc.py" <<'EOF'
import hashlib
h = hashlib.sha256()
d = {}
for i in range(2500000):
    d[i % 5003] = d.get(i % 5003, 0) + i
    if i % 100000 == 0:
        h.update(repr(sorted(d.items())[:50]).encode())
        print(i, h.hexdigest()[:16], flush=True)
print("end", h.hexdigest())
EOF
cat >"$d1/tmp/fork.sh" <<'EOF'
i=0 s=0
while [ $i -lt 15000 ]; do
	s=$(((s * 7 + i) % 100003))
	i=$((i + 1))
	[ $((i % 1000)) = 0 ] && echo "$i $s $(echo forked $i)"
done
echo "done $s"
EOF
cat >"$d1/tmp/sig.pl" <<'EOF'
$| = 1;
my $got = 0;
$SIG{USR1} = sub { $got++ };
my $n = 0;
while ($got < 40) { for my $k (1 .. 20000) { $n = ($n * 31 + $k) % 1000003 } }
print "got $got\n";
EOF
cat >"$d1/tmp/nap.py" <<'EOF'
import time
t0 = time.monotonic()
s = 0
for i in range(300):
    time.sleep(0.02)
    s = (s * 31 + sum(range(20000))) % 1000003
took = time.monotonic() - t0
print("slept enough" if took >= 6.0 else "too short %f" % took, s)
EOF
cmd_of() {
	case $1 in
	perl) echo "perl /tmp/loop.pl" ;;
	python) echo "python3 /tmp/calc.py" ;;
	gzip) echo "gzip -9 -c /tmp/b64" ;;
	xz) echo "xz -6 -T1 -c /tmp/b64" ;;
	sum) echo "sha256sum /tmp/b64" ;;
	sh) echo "bash /tmp/fork.sh" ;;
	sig) echo "perl /tmp/sig.pl" ;;
	nap) echo "python3 /tmp/nap.py" ;;
	esac
}
# running K PIDFILE: its process in node K is still there
running() { cluster_exec "$1" kill -0 "$(cat "$(cluster_dir "$1")/tmp/$2")" 2>/dev/null; }
# usr1_until_done K PIDFILE SECS: SIGUSR1 every 0.1 s until it ends
usr1_until_done() {
	local end=$((SECONDS + $3)) p
	p=$(node_pid "$1" "$2")
	while ((SECONDS < end)) && cluster_exec "$1" kill -USR1 "$p" 2>/dev/null; do
		sleep 0.1
	done
}
# wait_all SECS PID...: wait for the shells, killing what is left at SECS
wait_all() {
	local end=$((SECONDS + $1)) p
	shift
	for p in "$@"; do
		while kill -0 "$p" 2>/dev/null && ((SECONDS < end)); do
			sleep 0.2
		done
		kill -0 "$p" 2>/dev/null && kill -KILL "$p"
		wait "$p" 2>/dev/null
	done
}

# --- at home, without mosix ----------------------------------------------------
shells=()
for p in "${progs[@]}"; do
	# shellcheck disable=SC2046 # the command's words
	run_at 1 "${p}0" $(cmd_of "$p")
	shells+=("$!")
done
usr1_until_done 1 sig0 120
wait_all 180 "${shells[@]}"

# --- the same under mosrun, moved at random -----------------------------------
n2=$(grep -c "runs here as" "$(cluster_dir 2)/tmp/migd.log")
n3=$(grep -c "runs here as" "$(cluster_dir 3)/tmp/migd.log")
shells=()
declare -A pid
for p in "${progs[@]}"; do
	# shellcheck disable=SC2046
	run_at 1 "$p" "$bin/mosrun" $(cmd_of "$p")
	shells+=("$!")
	pid[$p]=$(node_pid 1 "$p")
done
dests=(home 2 3)
moves=0 gone=0 refused=0 other=""
end=$((SECONDS + soak_s))
while ((SECONDS < end)); do
	for p in "${progs[@]}"; do
		running 1 "$p" || continue
		[ "$p" = sig ] && cluster_exec 1 kill -USR1 "${pid[$p]}" 2>/dev/null
		to=${dests[RANDOM % 3]}
		if msg=$(cluster_exec 1 "$bin/migrate" "${pid[$p]}" "$to" 2>&1); then
			moves=$((moves + 1))
		elif ! running 1 "$p"; then
			gone=$((gone + 1))	# it ended meanwhile
		else
			# a refusal leaves it where it was: it must say why
			refused=$((refused + 1))
			[[ $msg =~ ^"cannot migrate ${pid[$p]}: "..+ ]] || other="$other; $p -> $to: $msg"
			diag "$p -> $to: $msg"
		fi
	done
done
usr1_until_done 1 sig 60
wait_all 180 "${shells[@]}"
ok "$((moves < 40))" "$moves moves in ${soak_s} s ($gone asked of a process that had just ended)"
is "${other#; }" "" "each of the $refused refusals said why"
for p in "${progs[@]}"; do
	cmp -s "$d1/tmp/${p}0.out" "$d1/tmp/$p.out"
	ok $? "$p: the same $(stat -c %s "$d1/tmp/$p.out") bytes as at home"
	cmp -s "$d1/tmp/${p}0.out" "$d1/tmp/$p.out" ||
		diag "$(tail -n 3 "$d1/tmp/$p.err")"
done
n2=$(($(grep -c "runs here as" "$(cluster_dir 2)/tmp/migd.log") - n2))
n3=$(($(grep -c "runs here as" "$(cluster_dir 3)/tmp/migd.log") - n3))
ok "$((n2 < 1 || n3 < 1))" "guests ran on both nodes: $n2 on node 2, $n3 on node 3"
no_guests() { [ -z "$(ls "$(cluster_dir "$1")/run/mosix/guests/")" ]; }
for k in 1 2 3; do
	wait_for 5 no_guests "$k"
	ok $? "node $k: no guest left"
done
