#!/bin/bash
# run-all.sh - every end-to-end scenario once, one verdict line each.
cd "$(dirname "$0")"
v() { local name=$1 want=$2; shift 2; local out; out=$(timeout 90 "$@" 2>&1)
	if grep -aq -- "$want" <<<"$out"; then echo "PASS $name"; else echo "FAIL $name"; echo "$out" | sed 's/^/    /'; fi; }
v "migrate, signals to handler, exit status"      "exit status 7"   ./run.sh usr1 -p -d
v "same, ptrace injection per call"               "exit status 7"   ./run.sh usr1 -d
v "SIGTERM handler -> exit 3"                     "exit status 3"   ./run.sh term -p -d
v "death by forwarded SIGUSR2 -> 128+12"          "exit status 140" ./run.sh usr2 -p -d
v "kill -9 at home ends the remote"               "remote killed"   ./run.sh kill9 -p -d
v "vDSO proxy"                                    "exit status 7"   env REMOTE_ARGS=-P ./run.sh usr1 -p -d
v "AVX state (ymm8-15) survives"                  "lines: 12"       env TARGET="./fpu 12" ./run.sh plain -p -d
v "restore fails in stage -> stays home"          "exit status 7"   env LAB_FAULT=stage ./run.sh fault -p
v "restore fails in blob -> stays home"           "exit status 7"   env LAB_FAULT=blob ./run.sh fault -p
v "migrate home, then native"                     "TracerPid: 0"    env LINES_N=50 ./run.sh back -p -d -b 2
v "node to node (relayed)"                        "moved node to node" env LINES_N=50 ./run.sh hop -p -d -b 2
v "node to node, proxy then move"                 "exit status 7"   env LINES_N=50 REMOTE_ARGS=-P ./run.sh hop -p -d -b 2
v "fork on the remote brings it home"             "exit status 5"   env TARGET=./forker ./run.sh plain -p -d
v "256 MiB heap there and back, checksum"         "sum=196608"      env MB=256 WARM=2 LINES_N=50 ./run.sh back -p -d -b 2
