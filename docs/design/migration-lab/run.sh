#!/bin/bash
# run.sh MODE [HOME-ARGS] - migrate a running ./target to a "remote" (own
# pid+mnt ns, uid nobody) on this machine, then:
#   usr1   SIGUSR1 twice at home -> the handler runs on the remote; exit 7
#   term   SIGTERM at home -> handler, the program returns 3; parent sees 3
#   usr2   SIGUSR2 (no handler) at home -> remote dies of it, so does home
#   kill9  kill -9 at home -> the remote guest is gone (time it)
#   fault  restore fails on the remote (LAB_FAULT) -> process goes on at home
#   plain  nothing more (use with TARGET="./fpu 12")
#   back   with home -b 2: it comes home after 2 s; SIGUSR1 then, natively
#   hop    with home -b 2 -n $PORT2: node to node after 2 s; SIGUSR1 there
# Env: REMOTE_ARGS=-P (vDSO proxy), MB=N (heap), LAB_FAULT=stage|blob.
cd "$(dirname "$0")"; mkdir -p logs; MODE=$1; shift; L=logs/$MODE
PORT=$((7700 + RANDOM % 200))
./remote $PORT $REMOTE_ARGS 2>$L.remote </dev/null >/dev/null & RPID=$!
PORT2=$((PORT + 1))
[ $MODE = hop ] && { ./remote $PORT2 $REMOTE2_ARGS 2>$L.remote2 </dev/null >/dev/null & R2=$!; }
guest() { for p in $(cat /proc/$RPID/task/*/children 2>/dev/null); do cat /proc/$p/task/*/children; done 2>/dev/null; }
cleanup() { for p in $(cat /proc/$RPID/task/*/children 2>/dev/null); do
	kill -9 $(cat /proc/$p/task/*/children 2>/dev/null) $p 2>/dev/null; done
	[ -n "$R2" ] && for p in $(cat /proc/$R2/task/*/children 2>/dev/null); do
	kill -9 $(cat /proc/$p/task/*/children 2>/dev/null) $p 2>/dev/null; done
	kill -9 $RPID $R2 $T $H 2>/dev/null; }
trap cleanup EXIT
sleep 0.2
${TARGET:-./target -n ${LINES_N:-30} -m ${MB:-0}} >$L.out </dev/null & T=$!
sleep ${WARM:-1}
[ $MODE = hop ] && set -- "$@" -n $PORT2
./home $T $PORT "$@" 2>$L.home </dev/null >/dev/null & H=$!
sleep 1
case $MODE in
usr1) kill -USR1 $T; sleep 0.5; kill -USR1 $T ;;
term) kill -TERM $T ;;
usr2) kill -USR2 $T ;;
back|hop) sleep 2; grep -E 'State|TracerPid' /proc/$T/status | tr '\n\t' '  '; echo
	kill -USR1 $T; sleep 0.3; kill -USR1 $T ;;
kill9) G=$(guest); echo "guest pid $G on the remote, home pid $T"
	t0=$(date +%s%N); kill -9 $T
	while [ -e /proc/$G ] && [ "$(awk '{print $3}' /proc/$G/stat 2>/dev/null)" != Z ]; do sleep 0.001; done
	echo "kill -9 at home: remote guest gone after $(( ($(date +%s%N) - t0) / 1000 )) us" ;;
esac
timeout 30 tail --pid=$T -f /dev/null
wait $T; echo "parent sees: exit status $?"
timeout 5 tail --pid=$H -f /dev/null
cat $L.home $L.remote $([ $MODE = hop ] && echo $L.remote2)
sed -n '1,2p;$p' $L.out; echo "lines: $(wc -l <$L.out), pids seen: $(grep -o 'pid=[0-9]* ppid=[0-9]*' $L.out | sort -u | tr '\n' ' ')"
