#!/usr/bin/env bash
# Job control of a migrated process: SIGTSTP at home stops the guest on
# its node and the home process with it, so that its parent sees it
# stopped (waitpid WUNTRACED), the guest makes no progress while stopped,
# and SIGCONT at home resumes it there; the parent then sees its true
# exit status.
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
plan 9
migd_cluster_up 2 || { echo "Bail out! no cluster"; exit 1; }
d1=$(cluster_dir 1)

printf '%s' 'import sys, time
for i in range(40):
    print("line", i, flush=True)
    time.sleep(0.1)
sys.exit(7)
' >"$d1/tmp/counter.py"
# the parent: starts the counter, waits for /tmp/go (the test migrates the
# counter meanwhile), stops it, checks it makes no progress, resumes it
printf '%s' 'import os, signal, subprocess, sys, time
out = open("/tmp/lines", "w")
p = subprocess.Popen(["python3", "/tmp/counter.py"], stdout=out)
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

run_at 1 par python3 /tmp/parent.py
shell=$!
wait_for 5 grep -q '^child' "$d1/tmp/par.out"
child=$(sed -n 's/^child //p' "$d1/tmp/par.out")
wait_for 5 grep -q 'line 3' "$d1/tmp/lines"
cluster_exec 1 "$bin/migrate" "$child" 2
ok $? "migrate the child (pid $child) to node 2"
g=$(guest_of 2 "$child")
ok $? "node 2 hosts it (pid ${g:-none} there)"
touch "$d1/tmp/go"
wait_for 10 test -e "$d1/tmp/stopped"
# (the guest has a process group of its own, in a session of its own: in an
# orphaned group the kernel drops SIGTSTP, as full CI runs once showed)
todo=""
out=$(cat "$d1/tmp/par.out")
like "$out" "^stopped$" "its parent at home sees it stopped (WUNTRACED) $todo"
printf '%s' "$out" | grep -qx stopped || migd_logs
like "$out" "^stop signal 20$" \
	"... by SIGTSTP, as the guest stopped (its shell says Stopped, not Stopped (signal))"
like "$(cat "$d1/tmp/par.out")" "progress while stopped 0" "no progress while stopped"
is "$(cluster_exec 2 sh -c "sed 's/.*) //' /proc/$g/stat | cut -c1")" T \
	"the guest on node 2 is stopped too $todo"
touch "$d1/tmp/cont"
wait "$shell"
like "$(cat "$d1/tmp/par.out")" "status 7" "after SIGCONT it runs on and exits 7, as its parent sees $todo"
is "$(grep -c '^line' "$d1/tmp/lines")" 40 "all its lines"
test -z "$(ls "$(cluster_dir 2)/run/mosix/guests/")"
ok $? "nothing left on node 2"
