#!/usr/bin/env bash
# Job control of a migrated process: SIGTSTP at home stops the guest on
# its node and the home process with it, so that its parent sees it
# stopped (waitpid WUNTRACED), the guest makes no progress while stopped,
# and SIGCONT at home resumes it there; the parent then sees its true
# exit status. It stops with SIGTSTP, as the guest did; in a group that
# is orphaned at home, where the kernel drops SIGTSTP, with SIGSTOP. With
# core dumps on (ulimit -c), the node traces its guest (for a core to be
# written at home) and holds its stop itself: the same, with the guest in
# a trace stop ('t') instead. Stopped while its forwarded call blocks at
# home (the open of a FIFO nobody writes yet), the stop signal comes to
# the node during the call, and home must still stop with SIGTSTP; so
# must a signal that meets the call on its way home (it came before the
# call began there: MOSIX_FAULT=slow-call holds an openat 1 s at home).
set -u
here=$(dirname "$0")
. "$here/../lib/tap.sh"
. "$here/../harness/cluster.sh"
. "$here/../lib/migd_cluster.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (namespaces, ptrace)"
	exit 0
fi
bin=${MOSIX_BIN:-$here/../../out/asan/bin}
plan 72
migd_cluster_up 2 || { echo "Bail out! no cluster"; exit 1; }
d1=$(cluster_dir 1)

printf '%s' 'import sys, time
for i in range(40):
    print("line", i, flush=True)
    time.sleep(0.1)
sys.exit(7)
' >"$d1/tmp/counter.py"
# the same lines, but blocked in between in a forwarded call: the open of
# a FIFO at home that nobody writes to until the test does (after SIGCONT)
printf '%s' 'import sys, time
for i in range(4):
    print("line", i, flush=True)
    time.sleep(0.1)
with open("/tmp/fifo") as f:
    f.read()
for i in range(4, 40):
    print("line", i, flush=True)
sys.exit(7)
' >"$d1/tmp/reader.py"
mkfifo "$d1/tmp/fifo"
# the parent: a session of its own (so that the test does not depend on
# the session it runs in); starts the counter in a group of its own ("own":
# the parent, in another group of the session, holds it) or in its own
# group ("orphan": no member has a parent in another group of the
# session, so the kernel drops SIGTSTP there); waits for /tmp/go (the test
# migrates the counter meanwhile), stops it, checks it makes no progress,
# resumes it
printf '%s' 'import os, signal, subprocess, sys, time
os.setsid()
out = open("/tmp/lines", "w")
own = sys.argv[1] == "own"
p = subprocess.Popen(["python3", sys.argv[2]], stdout=out,
                     preexec_fn=os.setpgrp if own else None)
print("child", p.pid, flush=True)
while not os.path.exists("/tmp/go"):
    time.sleep(0.05)
os.kill(p.pid, signal.SIGTSTP)
pid, st = os.waitpid(p.pid, os.WUNTRACED)
print("stopped" if os.WIFSTOPPED(st) else "not stopped", flush=True)
print("stop signal", os.WSTOPSIG(st) if os.WIFSTOPPED(st) else 0, flush=True)
time.sleep(0.3)
n0 = sum(1 for _ in open("/tmp/lines"))
time.sleep(1)
n1 = sum(1 for _ in open("/tmp/lines"))
print("progress while stopped", n1 - n0, flush=True)
open("/tmp/stopped", "w").close()
while not os.path.exists("/tmp/cont"):
    time.sleep(0.05)
os.kill(p.pid, signal.SIGCONT)
pid, st = os.waitpid(p.pid, 0)
print("status", os.WEXITSTATUS(st) if os.WIFEXITED(st) else -os.WTERMSIG(st), flush=True)
' >"$d1/tmp/parent.py"

# scenario GROUP STOPSIG WHY [core]: the counter ($prog, counter.py or
# reader.py) migrated, stopped, resumed (9 tests); with "core", under
# ulimit -c unlimited
prog=/tmp/counter.py
scenario() {
	local group=$1 stopsig=$2 why=$3 core=${4:-} shell child g out state=T
	rm -f "$d1"/tmp/{go,stopped,cont,lines,par.out}
	if [ -n "$core" ]; then
		# shellcheck disable=SC2016 # the inner shell's $1 and $2
		run_at 1 par sh -c 'ulimit -c unlimited && exec python3 /tmp/parent.py "$1" "$2"' sh \
			"$group" "$prog"
		group="$group, cores on"
		state=t
	else
		run_at 1 par python3 /tmp/parent.py "$group" "$prog"
	fi
	[ "$prog" = /tmp/reader.py ] && group="$group, stopped in a call"
	shell=$!
	wait_for 5 grep -q '^child' "$d1/tmp/par.out"
	child=$(sed -n 's/^child //p' "$d1/tmp/par.out")
	wait_for 5 grep -q 'line 3' "$d1/tmp/lines"
	cluster_exec 1 "$bin/migrate" "$child" 2
	ok $? "$group: migrate the child (pid $child) to node 2"
	g=$(guest_of 2 "$child")
	ok $? "$group: node 2 hosts it (pid ${g:-none} there)"
	touch "$d1/tmp/go"
	wait_for 10 test -e "$d1/tmp/stopped"
	out=$(cat "$d1/tmp/par.out")
	like "$out" "^stopped$" "$group: its parent at home sees it stopped (WUNTRACED)"
	printf '%s' "$out" | grep -qx stopped || migd_logs
	like "$out" "^stop signal $stopsig\$" "$group: ... by signal $stopsig: $why"
	like "$out" "progress while stopped 0" "$group: no progress while stopped"
	is "$(cluster_exec 2 sh -c "sed 's/.*) //' /proc/$g/stat | cut -c1")" "$state" \
		"$group: the guest on node 2 is stopped too ($state)"
	touch "$d1/tmp/cont"
	# the reader's call at home returns once there is a writer
	[ "$prog" = /tmp/reader.py ] && cluster_exec 1 sh -c 'echo x >/tmp/fifo'
	wait "$shell"
	like "$(cat "$d1/tmp/par.out")" "status 7" \
		"$group: after SIGCONT it runs on and exits 7, as its parent sees"
	is "$(grep -c '^line' "$d1/tmp/lines")" 40 "$group: all its lines"
	wait_for 3 test -z "$(ls "$(cluster_dir 2)/run/mosix/guests/")"
	ok $? "$group: nothing left on node 2"
}

scenario own 20 "SIGTSTP, as the guest stopped (its shell says Stopped, not Stopped (signal))"
# (natively it would not stop at all; the guest, in a group of its own
# on its node, did: home follows it with the stop that always works)
scenario orphan 19 "SIGSTOP: home's kernel drops SIGTSTP in an orphaned group"
scenario own 20 "SIGTSTP, as the guest stopped" core
prog=/tmp/reader.py
scenario own 20 "SIGTSTP, though the signal came to the node during the call"

# The stop comes while the call is on its way: at home before the call
# begins there, it is pending all the same and must end the wait.
# Without the home agent (no-agent: its planting failed), the call is
# injected, and the signal must end its wait all the same.
for f in slow-call slow-call-told no-agent,slow-call no-agent,slow-call-told; do
	migd_kill 1
	MIGD_ENV_1=MOSIX_FAULT=$f migd_start 1 || { echo "Bail out! no migd"; exit 1; }
	case $f in
	*slow-call) why="SIGTSTP, though it came at home as the call began" ;;
	*) why="SIGTSTP, though it reached the node before the call began at home" ;;
	esac
	case $f in no-agent*) why="$why (no agent)" ;; esac
	scenario own 20 "$why"
done
