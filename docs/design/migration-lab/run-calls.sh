#!/bin/bash
# run-calls.sh [HOME-ARGS] - forwarding costs as seen by a migrated program
# (calls.c): forwarded fcntl, supervisor-answered getppid, local calls.
cd "$(dirname "$0")"; mkdir -p logs; L=logs/calls
PORT=$((7700 + RANDOM % 200))
./remote $PORT $REMOTE_ARGS 2>$L.remote </dev/null >/dev/null & RPID=$!
sleep 0.2
./calls >$L.out </dev/null & T=$!
sleep 0.3
./home $T $PORT "$@" 2>$L.home </dev/null >/dev/null & H=$!
sleep 0.5
kill -USR1 $T
timeout 30 tail --pid=$T -f /dev/null
wait $T; echo "parent sees: exit status $?"
timeout 5 tail --pid=$H -f /dev/null
cat $L.home $L.remote $L.out
